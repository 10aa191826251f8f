//! MLflow's checks on parameter values (`ParamSpec.validate_type_and_shape`), used to validate
//! the defaults in a params schema as MLflow does when it loads the signature.

use serde_json::Value;

use super::signature::{ColType, DataType, ParamSpec, ParamType, Property};

/// Python's `str()` of a JSON value, as MLflow's messages print values.
pub fn py_str(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => py_repr(other),
    }
}

/// Python's `repr()` of a JSON value parsed by `json.loads`.
pub fn py_repr(value: &Value) -> String {
    match value {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => {
            if n.is_f64() {
                let f = n.as_f64().unwrap_or(0.0);
                if f.fract() == 0.0 && f.abs() < 1e16 {
                    format!("{f:.1}")
                } else {
                    f.to_string()
                }
            } else {
                n.to_string()
            }
        }
        Value::String(s) => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(py_repr).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Object(map) => {
            let inner: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("'{k}': {}", py_repr(v)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
    }
}

/// Python's type name of a JSON value after `json.loads`.
pub fn py_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// Python's `repr()` of an MLflow type, as its messages print types.
pub fn py_type_repr(ty: &ColType) -> String {
    match ty {
        ColType::Scalar(dt) => dt.name().to_string(),
        ColType::Array(items) => format!("Array({})", py_type_repr(items)),
        ColType::Object(props) => {
            let inner: Vec<String> = props
                .iter()
                .map(|p| {
                    let req = if p.required.unwrap_or(false) {
                        "required"
                    } else {
                        "optional"
                    };
                    format!("{}: {} ({req})", p.name, py_type_repr(&p.ty))
                })
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
        // Map's repr formats its value type with str(): `DataType.double` for scalars.
        ColType::Map(values) => match &**values {
            ColType::Scalar(dt) => format!("Map(str -> DataType.{})", dt.name()),
            other => format!("Map(str -> {})", py_type_repr(other)),
        },
        ColType::Any => "Any".into(),
        ColType::SparkMlVector => "SparkML vector".into(),
    }
}

fn param_type_repr(ty: &ParamType) -> String {
    match ty {
        ParamType::Scalar(dt) => dt.name().to_string(),
        ParamType::Object(props) => py_type_repr(&ColType::Object(props.clone())),
    }
}

/// `repr(ParamSpec)`, as MLflow names a param in its messages.
pub fn spec_repr(spec: &ParamSpec) -> String {
    let shape = match &spec.shape {
        Some(s) => {
            let dims: Vec<String> = s.iter().map(|d| d.to_string()).collect();
            if dims.len() == 1 {
                format!(" (shape: ({},))", dims[0])
            } else {
                format!(" (shape: ({}))", dims.join(", "))
            }
        }
        None => String::new(),
    };
    // A datetime default is a Python datetime, printed with a space before the time.
    let default = match (&spec.ty, &spec.default) {
        (ParamType::Scalar(DataType::Datetime), Value::String(s))
            if looks_like_datetime(s) && s.as_bytes().get(10) == Some(&b'T') =>
        {
            s.replacen('T', " ", 1)
        }
        (_, other) => py_str(other),
    };
    format!(
        "'{}': {} (default: {default}){shape}",
        spec.name,
        param_type_repr(&spec.ty),
    )
}

/// Checks a param's default as `ParamSpec.__init__` does; the error is MLflow's text.
pub fn validate_default(spec: &ParamSpec) -> Result<(), String> {
    validate_value(
        &spec_repr(spec),
        &spec.default,
        &spec.ty,
        spec.shape.as_deref(),
    )
}

/// `ParamSpec.validate_type_and_shape` for a JSON value.
pub fn validate_value(
    spec: &str,
    value: &Value,
    ty: &ParamType,
    shape: Option<&[i64]>,
) -> Result<(), String> {
    let is_list_shape = shape == Some(&[-1][..]);
    if is_list_shape {
        let ndim = ndim(value);
        if !(value.is_array() && ndim == 1) {
            return Err(format!(
                "Value must be a 1D array with shape (-1,) for param {spec}, received {} with ndim {ndim}",
                py_type(value)
            ));
        }
    }
    let wrap = |e: String| format!("Failed to validate type and shape for {spec}, error: {e}");
    match (shape, ty) {
        (None, ParamType::Scalar(dt)) => enforce_param_datatype(value, *dt).map_err(wrap),
        (None, ParamType::Object(props)) => enforce_object(value, props, true).map_err(wrap),
        (Some(_), _) if is_list_shape => {
            let Value::Array(items) = value else {
                return Ok(());
            };
            match ty {
                ParamType::Scalar(dt) => items
                    .iter()
                    .try_for_each(|v| enforce_param_datatype(v, *dt))
                    .map_err(wrap),
                ParamType::Object(_) => Err(wrap(
                    "Expected dtype to be DataType, got Object".to_string(),
                )),
            }
        }
        (Some(s), _) => {
            let dims: Vec<String> = s.iter().map(|d| d.to_string()).collect();
            let shape_text = if dims.len() == 1 {
                format!("({},)", dims[0])
            } else {
                format!("({})", dims.join(", "))
            };
            Err(format!(
                "Shape must be None for scalar or dictionary value, or (-1,) for 1D array value for ParamSpec {spec}), received {shape_text}"
            ))
        }
    }
}

/// numpy's `ndim` of `np.array(value)` for JSON values.
fn ndim(value: &Value) -> usize {
    match value {
        Value::Array(items) => {
            let inner: Vec<usize> = items.iter().map(ndim).collect();
            match inner.first() {
                Some(first) if inner.iter().all(|d| d == first) => 1 + first,
                Some(_) => 1, // ragged: numpy refuses or makes an object array
                None => 1,
            }
        }
        _ => 0,
    }
}

/// `_enforce_param_datatype`: the conversions MLflow allows for a param value.
pub fn enforce_param_datatype(value: &Value, dt: DataType) -> Result<(), String> {
    if value.is_null() {
        return Ok(());
    }
    if dt == DataType::Datetime {
        return match value {
            Value::String(s) if looks_like_datetime(s) => Ok(()),
            Value::String(s) => Err(format!(
                "Failed to convert value `{s}` from type `<class 'str'>` to `DataType.datetime`"
            )),
            Value::Number(_) | Value::Bool(_) => Err(format!(
                "Failed to convert value `{}` from type `<class '{}'>` to `DataType.datetime`",
                py_str(value),
                py_type(value)
            )),
            _ => Err(format!(
                "Failed to convert value `{}` from type `<class '{}'>` to `DataType.datetime`",
                py_str(value),
                py_type(value)
            )),
        };
    }
    if value.is_array() || value.is_object() {
        return Err(format!(
            "Value must be a scalar for type `DataType.{}`, got `{}`",
            dt.name(),
            py_str(value)
        ));
    }
    let ok = match (dt, value) {
        (DataType::Boolean, Value::Bool(_)) => true,
        (DataType::Integer | DataType::Long, Value::Number(n)) => !n.is_f64(),
        (DataType::Float | DataType::Double, Value::Number(_)) => true,
        (DataType::String, Value::String(_)) => true,
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "Can not safely convert `<class '{}'>` to `DataType.{}` for value `{}`",
            py_type(value),
            dt.name(),
            py_str(value)
        ))
    }
}

/// Whether numpy's `np.datetime64(text)` reads `text` as a date or date-time (ISO 8601).
pub fn looks_like_datetime(text: &str) -> bool {
    let t = text.trim();
    let bytes = t.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        bytes
            .get(range)
            .is_some_and(|s| s.iter().all(u8::is_ascii_digit))
    };
    if t.len() == 4 && digits(0..4) {
        return true;
    }
    if !(digits(0..4) && bytes.get(4) == Some(&b'-') && digits(5..7)) {
        return false;
    }
    if t.len() == 7 {
        return true;
    }
    if !(bytes.get(7) == Some(&b'-') && digits(8..10)) {
        return false;
    }
    if t.len() == 10 {
        return true;
    }
    matches!(bytes.get(10), Some(b'T' | b' ')) && digits(11..13)
}

/// `_enforce_object` for a JSON value: a dict with the required properties and no others.
pub fn enforce_object(value: &Value, props: &[Property], required: bool) -> Result<(), String> {
    if !required && (value.is_null() || value.as_object().is_some_and(|m| m.is_empty())) {
        return Ok(());
    }
    let Value::Object(map) = value else {
        return Err(format!(
            "Failed to enforce schema of '{}' with type '{}'. Expected data to be dictionary, got {}",
            py_str(value),
            py_type_repr(&ColType::Object(props.to_vec())),
            py_type(value)
        ));
    };
    let missing: Vec<String> = props
        .iter()
        .filter(|p| p.required.unwrap_or(false) && !map.contains_key(&p.name))
        .map(|p| format!("'{}'", p.name))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "Missing required properties: {{{}}}",
            missing.join(", ")
        ));
    }
    let invalid: Vec<String> = map
        .keys()
        .filter(|k| !props.iter().any(|p| &p.name == *k))
        .map(|k| format!("'{k}'"))
        .collect();
    if !invalid.is_empty() {
        return Err(format!(
            "Invalid properties not defined in the schema found: {{{}}}",
            invalid.join(", ")
        ));
    }
    for (k, v) in map {
        let Some(prop) = props.iter().find(|p| &p.name == k) else {
            continue;
        };
        if enforce_type(v, &prop.ty, prop.required.unwrap_or(false)).is_err() {
            let type_name = match &prop.ty {
                ColType::Scalar(dt) => dt.name().to_string(),
                ColType::Array(_) => "array".into(),
                ColType::Object(_) => "object".into(),
                ColType::Map(_) => "map".into(),
                ColType::Any => "any".into(),
                ColType::SparkMlVector => "sparkml_vector".into(),
            };
            return Err(format!(
                "Failed to enforce schema for key `{k}`. Expected type {type_name}, received type {}",
                py_type(v)
            ));
        }
    }
    Ok(())
}

/// `_enforce_type` for one JSON value (a cell, an item, a property).
pub fn enforce_type(value: &Value, ty: &ColType, required: bool) -> Result<(), String> {
    match ty {
        ColType::Any => Ok(()),
        ColType::Scalar(dt) => enforce_scalar(value, *dt, required),
        ColType::Object(props) => enforce_object(value, props, required),
        ColType::Array(items) => {
            let any_items = matches!(**items, ColType::Any);
            if (!required || any_items)
                && (value.is_null() || value.as_array().is_some_and(Vec::is_empty))
            {
                return Ok(());
            }
            let Value::Array(list) = value else {
                return Err(format!(
                    "Expected data to be list or numpy array, got {}",
                    py_type(value)
                ));
            };
            // Elements are checked together, as one pandas Series.
            enforce_series(list, items)
        }
        ColType::Map(values) => {
            let any_values = matches!(**values, ColType::Any);
            if (!required || any_values)
                && (value.is_null() || value.as_object().is_some_and(|m| m.is_empty()))
            {
                return Ok(());
            }
            let Value::Object(map) = value else {
                return Err(format!(
                    "Expected data to be a dict, got {}",
                    py_type(value)
                ));
            };
            map.values().try_for_each(|v| enforce_type(v, values, true))
        }
        ColType::SparkMlVector => Ok(()),
    }
}

fn enforce_series(items: &[Value], ty: &ColType) -> Result<(), String> {
    match ty {
        ColType::Scalar(dt) => {
            // numpy infers one dtype for the list: all ints -> int64, any float -> float64.
            let all_ints = items
                .iter()
                .all(|v| v.as_number().is_some_and(|n| !n.is_f64()));
            let all_numbers = items.iter().all(Value::is_number);
            let zero_one = items
                .iter()
                .all(|v| v.as_f64().is_some_and(|f| f == 0.0 || f == 1.0));
            match dt {
                DataType::Long if all_ints => Ok(()),
                DataType::Double if all_numbers && (!all_ints || zero_one) => Ok(()),
                DataType::Float if all_ints && zero_one => Ok(()),
                _ => items.iter().try_for_each(|v| enforce_scalar(v, *dt, true)),
            }
        }
        other => items.iter().try_for_each(|v| enforce_type(v, other, true)),
    }
}

/// `_enforce_datatype` for one JSON scalar, with pandas' inferred dtype for it.
fn enforce_scalar(value: &Value, dt: DataType, required: bool) -> Result<(), String> {
    if !required && value.is_null() {
        return Ok(());
    }
    let fail = || {
        format!(
            "Failed to enforce schema of data `{}` with dtype `{}`",
            py_str(value),
            dt.name()
        )
    };
    let ok = match (value, dt) {
        (Value::Null | Value::Array(_) | Value::Object(_), _) => {
            return Err(format!(
                "Expected data to be scalar, got {}",
                py_type(value)
            ));
        }
        (Value::Bool(_), DataType::Boolean) => true,
        (Value::Number(n), DataType::Long) => !n.is_f64(),
        (Value::Number(n), DataType::Double | DataType::Float) => {
            // float64 -> double only; int64 only when the value is 0 or 1.
            if n.is_f64() {
                dt == DataType::Double
            } else {
                matches!(n.as_i64(), Some(0 | 1))
            }
        }
        (Value::String(_), DataType::String | DataType::Binary) => true,
        _ => false,
    };
    if ok { Ok(()) } else { Err(fail()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn param_conversions_follow_mlflow() {
        assert!(enforce_param_datatype(&json!(5), DataType::Double).is_ok());
        assert!(enforce_param_datatype(&json!(5), DataType::Integer).is_ok());
        assert_eq!(
            enforce_param_datatype(&json!(2.0), DataType::Long).unwrap_err(),
            "Can not safely convert `<class 'float'>` to `DataType.long` for value `2.0`"
        );
        assert!(enforce_param_datatype(&json!(true), DataType::Long).is_err());
        assert!(enforce_param_datatype(&json!(1), DataType::Boolean).is_err());
        assert!(enforce_param_datatype(&json!("true"), DataType::Boolean).is_err());
        assert!(enforce_param_datatype(&json!(3), DataType::String).is_err());
        assert!(enforce_param_datatype(&json!("2024-05-01"), DataType::Datetime).is_ok());
        assert!(enforce_param_datatype(&json!(5), DataType::Datetime).is_err());
    }

    #[test]
    fn python_reprs_match() {
        assert_eq!(
            py_repr(&json!(["a", 1, 2.0, null, true])),
            "['a', 1, 2.0, None, True]"
        );
        assert_eq!(py_str(&json!("x")), "x");
    }
}
