//! Python's view of the values a request carries, for MLflow's messages: the objects
//! `json.loads` makes and the numpy values MLflow turns them into, with Python's `repr`, `str`
//! and type names.

use std::rc::Rc;

use serde_json::Value;

use super::np::{Arr, Dt, Typed};

/// A Python object on its way through MLflow's request handling.
#[derive(Debug, Clone)]
pub enum Obj<'a> {
    /// A value exactly as `json.loads` made it (borrowed from the request).
    Json(&'a Value),
    /// `None` made on the way (a missing cell).
    None,
    /// A Python float made on the way (NaN for missing values).
    Float(f64),
    /// A Python string made on the way.
    Str(Rc<str>),
    /// A list made on the way.
    List(Rc<Vec<Obj<'a>>>),
    /// A numpy scalar (`np.array([x], dtype)[0]`): its dtype and value.
    NpScalar(Dt, Rc<Obj<'a>>),
    /// A numpy array.
    Arr(Rc<Arr<'a>>),
    /// A `bytes` object (after base64 decoding), by length.
    Bytes(usize),
    /// A Python int made on the way (an element of a typed tensor).
    Int(i64),
    /// A nested list standing for a typed tensor as the request writes it (see
    /// [`Typed`]): read in place, never made into JSON values.
    Typed(Rc<Typed<'a>>),
    /// A dict made on the way (the named tensors of a typed request).
    Dict(Rc<Vec<(Value, Obj<'a>)>>),
}

impl<'a> Obj<'a> {
    /// The object as plain JSON, when it is one.
    pub fn json(&self) -> Option<&'a Value> {
        match self {
            Obj::Json(v) => Some(v),
            _ => None,
        }
    }

    /// Python's `type(x).__name__`.
    pub fn type_name(&self) -> String {
        match self {
            Obj::Json(v) => json_type(v).to_string(),
            Obj::None => "NoneType".into(),
            Obj::Float(_) => "float".into(),
            Obj::Str(_) => "str".into(),
            Obj::List(_) => "list".into(),
            Obj::NpScalar(dt, _) => dt.scalar_type_name(),
            Obj::Arr(_) => "ndarray".into(),
            Obj::Bytes(_) => "bytes".into(),
            Obj::Int(_) => "int".into(),
            Obj::Typed(_) => "list".into(),
            Obj::Dict(_) => "dict".into(),
        }
    }

    /// Whether it is `None`.
    pub fn is_none(&self) -> bool {
        matches!(self, Obj::None | Obj::Json(Value::Null))
    }

    /// `x is None or (isinstance(x, float) and isnan(x))`, pandas' `isnull` on a scalar.
    pub fn is_null(&self) -> bool {
        match self {
            Obj::None | Obj::Json(Value::Null) => true,
            Obj::Float(f) => f.is_nan(),
            Obj::NpScalar(_, inner) => inner.is_null(),
            _ => false,
        }
    }

    /// `np.isscalar(x)`: Python scalars and numpy scalars, not `None`, lists, dicts or arrays.
    pub fn is_np_scalar(&self) -> bool {
        match self {
            Obj::Json(v) => matches!(v, Value::Bool(_) | Value::Number(_) | Value::String(_)),
            Obj::Float(_) | Obj::Str(_) | Obj::NpScalar(..) | Obj::Bytes(_) | Obj::Int(_) => true,
            Obj::None | Obj::List(_) | Obj::Arr(_) | Obj::Typed(_) | Obj::Dict(_) => false,
        }
    }

    /// Whether it is a Python list.
    pub fn is_list(&self) -> bool {
        matches!(
            self,
            Obj::Json(Value::Array(_)) | Obj::List(_) | Obj::Typed(_)
        )
    }

    /// Whether it is a Python dict.
    pub fn is_dict(&self) -> bool {
        matches!(self, Obj::Json(Value::Object(_)) | Obj::Dict(_))
    }

    /// The items of a list (or the rows of an array along its first axis).
    pub fn items(&self) -> Option<Vec<Obj<'a>>> {
        match self {
            Obj::Json(Value::Array(items)) => Some(items.iter().map(Obj::Json).collect()),
            Obj::List(items) => Some(items.as_ref().clone()),
            Obj::Typed(t) => Some(t.items()),
            Obj::Arr(a) if !a.shape.is_empty() => Some(a.rows()),
            _ => None,
        }
    }

    /// `len(x)` of a list or array.
    pub fn len(&self) -> Option<usize> {
        match self {
            Obj::Json(Value::Array(items)) => Some(items.len()),
            Obj::List(items) => Some(items.len()),
            Obj::Typed(t) => t.shape.first().copied(),
            Obj::Arr(a) => a.shape.first().copied(),
            _ => None,
        }
    }

    /// Python's `str(x)`.
    pub fn py_str(&self) -> String {
        match self {
            Obj::Json(Value::String(s)) => s.clone(),
            Obj::Str(s) => s.to_string(),
            Obj::NpScalar(_, inner) => inner.py_str(),
            other => other.py_repr(),
        }
    }

    /// Python's `repr(x)` (numpy scalars print as their value).
    pub fn py_repr(&self) -> String {
        match self {
            Obj::Json(v) => json_repr(v),
            Obj::None => "None".into(),
            Obj::Float(f) => float_repr(*f),
            Obj::Str(s) => str_repr(s),
            Obj::List(items) => {
                let inner: Vec<String> = items.iter().map(Obj::py_repr).collect();
                format!("[{}]", inner.join(", "))
            }
            Obj::NpScalar(dt, inner) => match dt {
                Dt::Float(_) => match inner.as_f64() {
                    Some(f) => float_repr(f),
                    None => inner.py_repr(),
                },
                _ => inner.py_repr(),
            },
            Obj::Arr(a) => format!("array(<{}>)", a.dtype.name()),
            Obj::Bytes(n) => format!("b'<{n} bytes>'"),
            Obj::Int(i) => i.to_string(),
            Obj::Typed(t) => {
                let inner: Vec<String> = t.items().iter().map(Obj::py_repr).collect();
                format!("[{}]", inner.join(", "))
            }
            Obj::Dict(items) => {
                let inner: Vec<String> = items
                    .iter()
                    .map(|(k, v)| format!("{}: {}", json_repr(k), v.py_repr()))
                    .collect();
                format!("{{{}}}", inner.join(", "))
            }
        }
    }

    /// The value as a float, for numbers and booleans.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Obj::Json(Value::Number(n)) => n.as_f64(),
            Obj::Json(Value::Bool(b)) => Some(f64::from(u8::from(*b))),
            Obj::Float(f) => Some(*f),
            Obj::Int(i) => Some(*i as f64),
            Obj::NpScalar(_, inner) => inner.as_f64(),
            _ => None,
        }
    }
}

/// Python's type name of a JSON value after `json.loads`.
pub fn json_type(value: &Value) -> &'static str {
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

/// Python's `repr` of a string: single quotes unless the text holds one and no double quote.
pub fn str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python's `repr` of a float: the shortest text that reads back, `1.5`, `2.0`, `1e-05`,
/// `1e+16`, `nan`, `inf`.
pub fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    let exp = f.abs().log10().floor() as i32;
    if (-4..16).contains(&exp) {
        let text = format!("{f}");
        if text.contains('.') || text.contains('e') {
            text
        } else {
            format!("{text}.0")
        }
    } else {
        // Rust writes `1e-5` and `1.5e16`; Python `1e-05` and `1.5e+16`.
        let text = format!("{f:e}");
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        let (sign, digits) = match exponent.strip_prefix('-') {
            Some(d) => ('-', d),
            None => ('+', exponent),
        };
        format!("{mantissa}e{sign}{digits:0>2}")
    }
}

/// Python's `repr` of a JSON value parsed by `json.loads`.
pub fn json_repr(value: &Value) -> String {
    match value {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.to_string(),
            (_, Some(u)) => u.to_string(),
            _ => float_repr(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => str_repr(s),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(json_repr).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Object(map) => {
            let inner: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", str_repr(k), json_repr(v)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
    }
}

/// Python's `str` of a JSON value.
pub fn json_str(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => json_repr(other),
    }
}

/// Python's `repr` of an exception: `ValueError('text')` (quoted as `repr` quotes the text).
pub fn exception_repr(kind: &str, message: &str) -> String {
    format!("{kind}({})", str_repr(message))
}

/// A Python tuple of integers as Python prints it: `(3,)`, `(2, 4)`, `()`.
pub fn tuple(dims: &[i64]) -> String {
    match dims {
        [] => "()".into(),
        [one] => format!("({one},)"),
        many => {
            let parts: Vec<String> = many.iter().map(i64::to_string).collect();
            format!("({})", parts.join(", "))
        }
    }
}

/// A Python set of strings as printed (`{'a', 'b'}`); the order of a real set depends on the
/// interpreter's hash seed, so the items are given in sorted order.
pub fn str_set<S: AsRef<str>>(items: &[S]) -> String {
    let mut sorted: Vec<String> = items.iter().map(|s| str_repr(s.as_ref())).collect();
    sorted.sort();
    format!("{{{}}}", sorted.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_as_python_prints_them() {
        assert_eq!(float_repr(1.5), "1.5");
        assert_eq!(float_repr(2.0), "2.0");
        assert_eq!(float_repr(1e-5), "1e-05");
        assert_eq!(float_repr(1.5e16), "1.5e+16");
        assert_eq!(float_repr(1e16), "1e+16");
        assert_eq!(float_repr(0.0001), "0.0001");
        assert_eq!(float_repr(123456789012345.0), "123456789012345.0");
    }

    #[test]
    fn strings_print_as_python_prints_them() {
        assert_eq!(str_repr("abc"), "'abc'");
        assert_eq!(str_repr("it's"), "\"it's\"");
        assert_eq!(str_repr("a'b\"c"), "'a\\'b\"c'");
        assert_eq!(
            exception_repr("ValueError", "could not convert string to float: 'abc'"),
            "ValueError(\"could not convert string to float: 'abc'\")"
        );
        assert_eq!(tuple(&[3]), "(3,)");
        assert_eq!(tuple(&[-1, 2]), "(-1, 2)");
    }
}
