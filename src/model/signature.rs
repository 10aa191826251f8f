//! The model signature: input and output schemas (columns or tensors) and inference params,
//! parsed with MLflow's own rules and error texts (mlflow/types/schema.py), and written back in
//! MLflow's JSON form.

use serde_json::{Value, json};

use super::error::Warning;
use super::mlmodel::describe;
use super::numpy;

/// MLflow's scalar column types (`DataType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataType {
    /// `boolean` (numpy bool).
    Boolean,
    /// `integer` (int32).
    Integer,
    /// `long` (int64).
    Long,
    /// `float` (float32).
    Float,
    /// `double` (float64).
    Double,
    /// `string` (str).
    String,
    /// `binary` (bytes; base64 in JSON).
    Binary,
    /// `datetime` (datetime64[ns]).
    Datetime,
}

/// The names of [`DataType`] in MLflow's order, as its error messages list them.
pub const DATA_TYPE_NAMES: [&str; 8] = [
    "boolean", "integer", "long", "float", "double", "string", "binary", "datetime",
];

impl DataType {
    /// The type named `name` in MLflow's JSON.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "boolean" => Self::Boolean,
            "integer" => Self::Integer,
            "long" => Self::Long,
            "float" => Self::Float,
            "double" => Self::Double,
            "string" => Self::String,
            "binary" => Self::Binary,
            "datetime" => Self::Datetime,
            _ => return None,
        })
    }

    /// The name MLflow writes.
    pub fn name(self) -> &'static str {
        match self {
            Self::Boolean => "boolean",
            Self::Integer => "integer",
            Self::Long => "long",
            Self::Float => "float",
            Self::Double => "double",
            Self::String => "string",
            Self::Binary => "binary",
            Self::Datetime => "datetime",
        }
    }

    /// The numpy dtype MLflow maps it to.
    pub fn numpy_dtype(self) -> &'static str {
        match self {
            Self::Boolean => "bool",
            Self::Integer => "int32",
            Self::Long => "int64",
            Self::Float => "float32",
            Self::Double => "float64",
            Self::String => "str",
            Self::Binary => "bytes",
            Self::Datetime => "datetime64[ns]",
        }
    }
}

/// The type of a column, an array item, a map value or an object property.
#[derive(Debug, Clone, PartialEq)]
pub enum ColType {
    /// A scalar [`DataType`].
    Scalar(DataType),
    /// `array` of items of one type.
    Array(Box<ColType>),
    /// `object` with named properties (sorted by name, as MLflow stores them).
    Object(Vec<Property>),
    /// `map` from string keys to values of one type.
    Map(Box<ColType>),
    /// `any`: no check at all.
    Any,
    /// `sparkml_vector`: a Spark ML vector of doubles.
    SparkMlVector,
}

/// One property of an `object` type.
#[derive(Debug, Clone, PartialEq)]
pub struct Property {
    /// The property name.
    pub name: String,
    /// Its type.
    pub ty: ColType,
    /// Whether it must be present (`None` when the file says `null`).
    pub required: Option<bool>,
}

/// A column of a column-based schema.
#[derive(Debug, Clone, PartialEq)]
pub struct ColSpec {
    /// The column name, or `None` for unnamed columns (addressed by position).
    pub name: Option<String>,
    /// The name exactly as written: MLflow keeps integer names (frames with default columns).
    pub name_json: Option<Value>,
    /// The column type.
    pub ty: ColType,
    /// `required` as MLflow holds it: `Some(true)` when a scalar column omits the key;
    /// `None` when a complex column omits it (MLflow then treats it as optional) or says `null`.
    pub required: Option<bool>,
}

impl ColSpec {
    /// Whether MLflow requires this column (`None` counts as optional, as in MLflow).
    pub fn is_required(&self) -> bool {
        self.required.unwrap_or(false)
    }
}

/// A tensor of a tensor-based schema.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorSpec {
    /// The tensor name, or `None` for the single unnamed tensor.
    pub name: Option<String>,
    /// The name exactly as written.
    pub name_json: Option<Value>,
    /// The numpy dtype name, as numpy names it (`uint8`, `float32`, `str`, `datetime64[ns]`).
    pub dtype: String,
    /// The shape; `-1` is a dimension of any size.
    pub shape: Vec<i64>,
}

impl TensorSpec {
    /// `uint8 [-1, 300, 300, 3]`.
    pub fn type_label(&self) -> String {
        format!("{} {}", self.dtype, shape_label(&self.shape))
    }
}

/// `[-1, 300, 300, 3]`.
pub fn shape_label(shape: &[i64]) -> String {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    format!("[{}]", dims.join(", "))
}

/// One entry of a schema.
#[derive(Debug, Clone, PartialEq)]
pub enum Spec {
    /// A column.
    Column(ColSpec),
    /// A tensor.
    Tensor(TensorSpec),
}

impl Spec {
    /// The name, if the schema is named.
    pub fn name(&self) -> Option<&str> {
        match self {
            Spec::Column(c) => c.name.as_deref(),
            Spec::Tensor(t) => t.name.as_deref(),
        }
    }

    /// Whether MLflow requires this input (tensors always are).
    pub fn is_required(&self) -> bool {
        match self {
            Spec::Column(c) => c.is_required(),
            Spec::Tensor(_) => true,
        }
    }

    /// The type as a short label: `double`, `array<long>`, `uint8 [-1, 300, 300, 3]`.
    pub fn type_label(&self) -> String {
        match self {
            Spec::Column(c) => c.ty.label(),
            Spec::Tensor(t) => t.type_label(),
        }
    }

    /// MLflow's JSON form of this spec (`ColSpec.to_dict` / `TensorSpec.to_dict`).
    pub fn to_mlflow_json(&self) -> Value {
        match self {
            Spec::Column(c) => {
                let mut obj = c.ty.to_mlflow_json();
                if let Some(map) = obj.as_object_mut() {
                    if let Some(name) = &c.name_json {
                        map.insert("name".into(), name.clone());
                    }
                    map.insert("required".into(), json!(c.required));
                }
                obj
            }
            Spec::Tensor(t) => {
                let info = json!({"dtype": t.dtype, "shape": t.shape});
                match &t.name_json {
                    None => json!({"type": "tensor", "tensor-spec": info}),
                    Some(name) => json!({"name": name, "type": "tensor", "tensor-spec": info}),
                }
            }
        }
    }
}

impl ColType {
    /// A short label: `double`, `array<long>`, `map<string, double>`, `object{a, b}`, `any`.
    pub fn label(&self) -> String {
        match self {
            ColType::Scalar(dt) => dt.name().to_string(),
            ColType::Array(items) => format!("array<{}>", items.label()),
            ColType::Map(values) => format!("map<string, {}>", values.label()),
            ColType::Object(props) => {
                let names: Vec<String> = props
                    .iter()
                    .map(|p| {
                        let mark = if p.required.unwrap_or(false) { "" } else { "?" };
                        format!("{}{mark}: {}", p.name, p.ty.label())
                    })
                    .collect();
                format!("object{{{}}}", names.join(", "))
            }
            ColType::Any => "any".to_string(),
            ColType::SparkMlVector => "sparkml_vector".to_string(),
        }
    }

    /// Whether an object appears here (itself, or as the items of arrays and maps).
    pub fn has_object(&self) -> bool {
        match self {
            ColType::Object(_) => true,
            ColType::Array(inner) | ColType::Map(inner) => inner.has_object(),
            _ => false,
        }
    }

    /// How many arrays and maps nest here (`array<array<double>>`: 2; a scalar: 0; an object
    /// counts its deepest property).
    pub fn depth(&self) -> usize {
        match self {
            ColType::Array(inner) | ColType::Map(inner) => 1 + inner.depth(),
            ColType::Object(props) => props.iter().map(|p| p.ty.depth()).max().unwrap_or(0),
            _ => 0,
        }
    }

    /// Whether the type is an array, object or map (not a scalar).
    pub fn is_nested(&self) -> bool {
        matches!(
            self,
            ColType::Array(_) | ColType::Object(_) | ColType::Map(_)
        )
    }

    /// MLflow's JSON form of the type part (without name and required).
    pub fn to_mlflow_json(&self) -> Value {
        match self {
            ColType::Scalar(dt) => json!({"type": dt.name()}),
            ColType::Array(items) => json!({"type": "array", "items": items.to_mlflow_json()}),
            ColType::Map(values) => json!({"type": "map", "values": values.to_mlflow_json()}),
            ColType::Object(props) => {
                let mut map = serde_json::Map::new();
                for p in props {
                    let mut d = p.ty.to_mlflow_json();
                    if let Some(obj) = d.as_object_mut() {
                        obj.insert("required".into(), json!(p.required));
                    }
                    map.insert(p.name.clone(), d);
                }
                json!({"type": "object", "properties": map})
            }
            ColType::Any => json!({"type": "any"}),
            ColType::SparkMlVector => json!({"type": "sparkml_vector"}),
        }
    }
}

/// An input or output schema: a non-empty list of all columns or all tensors.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    /// The specs in order.
    pub specs: Vec<Spec>,
}

impl Schema {
    /// Whether the schema is tensor-based.
    pub fn is_tensor(&self) -> bool {
        matches!(self.specs.first(), Some(Spec::Tensor(_)))
    }

    /// Whether the inputs are named (decided by the first entry, as in MLflow).
    pub fn has_names(&self) -> bool {
        self.specs.first().is_some_and(|s| s.name().is_some())
    }

    /// MLflow's JSON form (a list of spec objects).
    pub fn to_mlflow_json(&self) -> Value {
        Value::Array(self.specs.iter().map(Spec::to_mlflow_json).collect())
    }

    /// The tensor specs, in order.
    pub fn tensors(&self) -> Vec<&TensorSpec> {
        self.specs
            .iter()
            .filter_map(|s| match s {
                Spec::Tensor(t) => Some(t),
                Spec::Column(_) => None,
            })
            .collect()
    }

    /// The column specs, in order.
    pub fn columns(&self) -> Vec<&ColSpec> {
        self.specs
            .iter()
            .filter_map(|s| match s {
                Spec::Column(c) => Some(c),
                Spec::Tensor(_) => None,
            })
            .collect()
    }
}

/// The type of an inference parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamType {
    /// A scalar type (any but `binary`).
    Scalar(DataType),
    /// An object with properties.
    Object(Vec<Property>),
}

impl ParamType {
    /// `float`, `object{k: string}`.
    pub fn label(&self) -> String {
        match self {
            ParamType::Scalar(dt) => dt.name().to_string(),
            ParamType::Object(props) => ColType::Object(props.clone()).label(),
        }
    }
}

/// An inference parameter with its default.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamSpec {
    /// The parameter name.
    pub name: String,
    /// Its type.
    pub ty: ParamType,
    /// The default, as written (may be null).
    pub default: Value,
    /// `None` for a scalar or object, `Some([-1])` for a list.
    pub shape: Option<Vec<i64>>,
}

impl ParamSpec {
    /// MLflow's JSON form: `{"name", "default", "shape", "type"}` (+ `properties` for objects).
    pub fn to_mlflow_json(&self) -> Value {
        let mut map = serde_json::Map::new();
        map.insert("name".into(), json!(self.name));
        map.insert("default".into(), self.default.clone());
        map.insert("shape".into(), json!(self.shape));
        match &self.ty {
            ParamType::Scalar(dt) => {
                map.insert("type".into(), json!(dt.name()));
            }
            ParamType::Object(props) => {
                if let Value::Object(obj) = ColType::Object(props.clone()).to_mlflow_json() {
                    map.extend(obj);
                }
            }
        }
        Value::Object(map)
    }
}

/// A parsed signature: at least one of its three parts is present.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Signature {
    /// The input schema.
    pub inputs: Option<Schema>,
    /// The output schema.
    pub outputs: Option<Schema>,
    /// The params schema.
    pub params: Option<Vec<ParamSpec>>,
}

impl Signature {
    /// `{"inputs": [...]|null, "outputs": ..., "params": ...}` with MLflow's spec JSON.
    pub fn to_mlflow_json(&self) -> Value {
        json!({
            "inputs": self.inputs.as_ref().map(Schema::to_mlflow_json),
            "outputs": self.outputs.as_ref().map(Schema::to_mlflow_json),
            "params": self.params.as_ref().map(|p| Value::Array(p.iter().map(ParamSpec::to_mlflow_json).collect())),
        })
    }
}

/// What the card knows of the signature.
#[derive(Debug, Clone, PartialEq)]
pub enum SignatureState {
    /// The model has no signature: MLflow passes any input to the model unchecked.
    Absent,
    /// A signature MLflow would accept.
    Valid(Signature),
    /// A signature MLflow would refuse to load; the folder still opens.
    Invalid {
        /// Which part failed (`inputs`, `outputs`, `params`, or the whole).
        part: String,
        /// MLflow's message for it.
        error: String,
    },
}

impl SignatureState {
    /// The signature, if valid.
    pub fn valid(&self) -> Option<&Signature> {
        match self {
            SignatureState::Valid(s) => Some(s),
            _ => None,
        }
    }
}

/// Reads the `signature` value of MLmodel as `ModelSignature.from_dict` does.
///
/// Each part is normally a JSON string; a YAML list is read too, with a warning, since MLflow
/// itself fails on it.
pub fn parse_signature(value: &Value, warnings: &mut Vec<Warning>) -> SignatureState {
    let Value::Object(map) = value else {
        return SignatureState::Invalid {
            part: "signature".into(),
            error: format!(
                "expected a mapping with `inputs`, `outputs` and `params`, found {}",
                describe(value)
            ),
        };
    };
    let mut sig = Signature::default();
    for part in ["inputs", "outputs", "params"] {
        let Some(raw) = map.get(part) else { continue };
        let parsed: Value = match raw {
            Value::Null => continue,
            Value::String(s) if s.is_empty() => continue,
            Value::String(s) => match serde_json::from_str(s) {
                Ok(v) => v,
                Err(e) => {
                    return SignatureState::Invalid {
                        part: part.into(),
                        error: format!("`{part}` is not valid JSON: {e}"),
                    };
                }
            },
            Value::Array(items) if items.is_empty() => continue,
            Value::Array(_) => {
                warnings.push(Warning::new(
                    format!("MLmodel: signature.{part}"),
                    "is a YAML list, not the JSON string MLflow writes: MLflow itself fails to \
                     load this signature (json.loads needs a string); it is read here anyway",
                ));
                raw.clone()
            }
            other => {
                return SignatureState::Invalid {
                    part: part.into(),
                    error: format!(
                        "`{part}` must be a JSON string (or a list), found {}",
                        describe(other)
                    ),
                };
            }
        };
        let result = if part == "params" {
            parse_param_schema(&parsed).map(|p| sig.params = Some(p))
        } else {
            parse_schema(&parsed).map(|s| {
                if part == "inputs" {
                    sig.inputs = Some(s)
                } else {
                    sig.outputs = Some(s)
                }
            })
        };
        if let Err(error) = result {
            return SignatureState::Invalid {
                part: part.into(),
                error,
            };
        }
    }
    if sig.inputs.is_none() && sig.outputs.is_none() && sig.params.is_none() {
        return SignatureState::Invalid {
            part: "signature".into(),
            error: "At least one of inputs, outputs or params must be provided".into(),
        };
    }
    SignatureState::Valid(sig)
}

/// `Schema.from_json` on parsed JSON: a list of ColSpec or TensorSpec objects, with the
/// schema-level rules of MLflow.
pub fn parse_schema(value: &Value) -> Result<Schema, String> {
    let Value::Array(items) = value else {
        return Err(format!(
            "Inputs of Schema must be a list, got {}",
            describe(value)
        ));
    };
    let mut specs = Vec::with_capacity(items.len());
    for item in items {
        let Value::Object(map) = item else {
            return Err(format!(
                "each entry of a schema must be a JSON object, found {}",
                describe(item)
            ));
        };
        if map.get("type").and_then(Value::as_str) == Some("tensor") {
            specs.push(Spec::Tensor(parse_tensor_spec(map)?));
        } else {
            specs.push(Spec::Column(parse_col_spec(map)?));
        }
    }
    check_schema_rules(&specs)?;
    Ok(Schema { specs })
}

fn check_schema_rules(specs: &[Spec]) -> Result<(), String> {
    if specs.is_empty() {
        return Err("Creating Schema with empty inputs is not allowed.".into());
    }
    let named = specs.iter().filter(|s| s.name().is_some()).count();
    if named != 0 && named != specs.len() {
        let names: Vec<String> = specs
            .iter()
            .map(|s| {
                let raw = match s {
                    Spec::Column(c) => c.name_json.as_ref(),
                    Spec::Tensor(t) => t.name_json.as_ref(),
                };
                raw.map(super::params::py_repr)
                    .unwrap_or_else(|| "None".into())
            })
            .collect();
        return Err(format!(
            "Creating Schema with a combination of named and unnamed inputs is not allowed. Got input names [{}]",
            names.join(", ")
        ));
    }
    let tensors = specs
        .iter()
        .filter(|s| matches!(s, Spec::Tensor(_)))
        .count();
    if tensors != 0 && tensors != specs.len() {
        return Err("Creating Schema with a combination of {0} and {1} is not supported. Please choose one of ColSpec or TensorSpec".into());
    }
    if tensors == specs.len() && specs.len() > 1 && named != specs.len() {
        return Err("Creating Schema with multiple unnamed TensorSpecs is not supported. Please provide names for each TensorSpec.".into());
    }
    let explicit_optional = specs
        .iter()
        .any(|s| matches!(s, Spec::Column(c) if c.required == Some(false)));
    if named == 0 && explicit_optional {
        return Err("Creating Schema with unnamed optional inputs is not supported. Please name all inputs or make all inputs required.".into());
    }
    Ok(())
}

fn name_of(value: Option<&Value>) -> Option<String> {
    match value {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => Some(other.to_string()),
    }
}

/// Python truthiness of a JSON value used as `required`; `null` stays `None`.
fn required_of(value: &Value) -> Option<bool> {
    match value {
        Value::Null => None,
        Value::Bool(b) => Some(*b),
        Value::Number(n) => Some(n.as_f64() != Some(0.0)),
        Value::String(s) => Some(!s.is_empty()),
        Value::Array(a) => Some(!a.is_empty()),
        Value::Object(o) => Some(!o.is_empty()),
    }
}

fn type_name(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn data_type_list() -> String {
    let names: Vec<String> = DATA_TYPE_NAMES.iter().map(|n| format!("'{n}'")).collect();
    format!("[{}]", names.join(", "))
}

fn parse_col_spec(map: &serde_json::Map<String, Value>) -> Result<ColSpec, String> {
    let Some(ty) = map.get("type") else {
        return Err("Missing keys in ColSpec JSON. Expected to find key `type`".into());
    };
    let name = name_of(map.get("name"));
    let name_json = map.get("name").filter(|v| !v.is_null()).cloned();
    let ty_name = type_name(ty);
    match ty_name.as_str() {
        "array" | "object" | "map" | "sparkml_vector" | "any" => {
            // Complex types: a missing `required` is None, which MLflow treats as optional.
            let required = map.get("required").and_then(required_of);
            let ty = complex_type(&ty_name, map)?;
            Ok(ColSpec {
                name,
                name_json,
                ty,
                required,
            })
        }
        _ => {
            if let Some(extra) = map
                .keys()
                .find(|k| !matches!(k.as_str(), "type" | "name" | "required"))
            {
                return Err(format!(
                    "ColSpec.__init__() got an unexpected keyword argument '{extra}'"
                ));
            }
            let Some(dt) = DataType::from_name(&ty_name) else {
                return Err(format!(
                    "Unsupported type '{ty_name}', expected instance of DataType or one of {}",
                    data_type_list()
                ));
            };
            let required = match map.get("required") {
                None => Some(true),
                Some(v) => required_of(v),
            };
            Ok(ColSpec {
                name,
                name_json,
                ty: ColType::Scalar(dt),
                required,
            })
        }
    }
}

/// Parses the type part of an array/object/map/any/sparkml_vector spec.
fn complex_type(ty_name: &str, map: &serde_json::Map<String, Value>) -> Result<ColType, String> {
    match ty_name {
        "array" => parse_array(map),
        "object" => parse_object(map),
        "map" => parse_map(map),
        "sparkml_vector" => Ok(ColType::SparkMlVector),
        "any" => Ok(ColType::Any),
        _ => Err(format!("unknown complex type '{ty_name}'")),
    }
}

/// A nested type (array items, map values): a DataType name or a complex type.
fn nested_type(
    ty_name: &str,
    map: &serde_json::Map<String, Value>,
    unsupported: impl Fn(&str) -> String,
) -> Result<ColType, String> {
    match ty_name {
        "array" | "object" | "map" | "sparkml_vector" | "any" => complex_type(ty_name, map),
        _ => DataType::from_name(ty_name)
            .map(ColType::Scalar)
            .ok_or_else(|| unsupported(ty_name)),
    }
}

fn parse_array(map: &serde_json::Map<String, Value>) -> Result<ColType, String> {
    let (Some(ty), Some(items)) = (map.get("type"), map.get("items")) else {
        return Err("Missing keys in Array JSON. Expected to find keys `items` and `type`".into());
    };
    if ty.as_str() != Some("array") {
        return Err("Type mismatch, Array expects `array` as the type".into());
    }
    let Value::Object(items) = items else {
        return Err("Expected items to be a dictionary of Object JSON".into());
    };
    let Some(item_ty) = items.get("type") else {
        return Err("Missing keys in Array's items JSON. Expected to find key `type`".into());
    };
    let item = nested_type(&type_name(item_ty), items, |t| {
        format!(
            "Unsupported type '{t}', expected instance of DataType, Array, Object, Map or one of {}",
            data_type_list()
        )
    })?;
    Ok(ColType::Array(Box::new(item)))
}

fn parse_map(map: &serde_json::Map<String, Value>) -> Result<ColType, String> {
    let (Some(ty), Some(values)) = (map.get("type"), map.get("values")) else {
        // MLflow's own text names the wrong keys; kept as it is.
        return Err("Missing keys in Array JSON. Expected to find keys `items` and `type`".into());
    };
    if ty.as_str() != Some("map") {
        return Err("Type mismatch, Map expects `map` as the type".into());
    }
    let Value::Object(values) = values else {
        return Err("Expected values to be a dictionary of Object JSON".into());
    };
    let Some(value_ty) = values.get("type") else {
        return Err("Missing keys in Map's items JSON. Expected to find key `type`".into());
    };
    let value_ty = type_name(value_ty);
    // MLflow returns a bare SparkML vector (not a map) for `values: sparkml_vector`.
    if value_ty == "sparkml_vector" {
        return Ok(ColType::SparkMlVector);
    }
    let value = nested_type(&value_ty, values, |t| {
        format!(
            "Unsupported value type '{t}', expected instance of DataType, Array, Object, Map or one of {}",
            data_type_list()
        )
    })?;
    Ok(ColType::Map(Box::new(value)))
}

fn parse_object(map: &serde_json::Map<String, Value>) -> Result<ColType, String> {
    let (Some(ty), Some(props)) = (map.get("type"), map.get("properties")) else {
        return Err(
            "Missing keys in Object JSON. Expected to find keys `properties` and `type`".into(),
        );
    };
    if ty.as_str() != Some("object") {
        return Err("Type mismatch, Object expects `object` as the type".into());
    }
    let props = parse_properties(props)?;
    Ok(ColType::Object(props))
}

fn parse_properties(props: &Value) -> Result<Vec<Property>, String> {
    let Value::Object(props) = props else {
        return Err("Expected properties to be a dictionary of Property JSON".into());
    };
    if props.values().any(|p| !p.is_object()) {
        return Err("Expected properties to be a dictionary of Property JSON".into());
    }
    let mut out = Vec::with_capacity(props.len());
    for (name, prop) in props {
        let Value::Object(dic) = prop else { continue };
        let Some(ty) = dic.get("type") else {
            return Err(format!(
                "Missing keys in Property `{name}`. Expected to find key `type`"
            ));
        };
        let required = match dic.get("required") {
            None => Some(true),
            Some(v) => required_of(v),
        };
        let ty_name = type_name(ty);
        if ty_name == "sparkml_vector" {
            // MLflow returns a SparkMLVector instead of a Property here, which Object refuses.
            return Err("Expected values to be instance of Property".into());
        }
        let ty = nested_type(&ty_name, dic, |t| {
            format!(
                "Unsupported type '{t}', expected instance of DataType, Array, Object, Map or one of {}",
                data_type_list()
            )
        })?;
        out.push(Property {
            name: name.clone(),
            ty,
            required,
        });
    }
    if out.is_empty() {
        return Err("Creating Object with empty properties is not allowed.".into());
    }
    // JSON objects cannot hold duplicate names after parsing, so MLflow's duplicate check
    // (`Found duplicated property names`) cannot fire here. MLflow sorts by name.
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

fn parse_tensor_spec(map: &serde_json::Map<String, Value>) -> Result<TensorSpec, String> {
    let Some(info) = map.get("tensor-spec") else {
        return Err(
            "Missing keys in TensorSpec JSON. Expected to find keys `tensor-spec` and `type`"
                .into(),
        );
    };
    let Value::Object(info) = info else {
        return Err(format!(
            "`tensor-spec` must be an object with `dtype` and `shape`, found {}",
            describe(info)
        ));
    };
    let (Some(dtype), Some(shape)) = (info.get("dtype"), info.get("shape")) else {
        return Err(
            "Missing keys in TensorSpec JSON. Expected to find keys `dtype` and `shape`".into(),
        );
    };
    let dtype = numpy::parse_dtype(&type_name(dtype))?;
    let Value::Array(dims) = shape else {
        return Err(format!(
            "Expected `shape` to be a list of integers, received {}",
            describe(shape)
        ));
    };
    let mut out = Vec::with_capacity(dims.len());
    for d in dims {
        match d.as_i64() {
            Some(v) => out.push(v),
            None => {
                return Err(format!(
                    "Expected `shape` to be a list of integers, found {} in it",
                    describe(d)
                ));
            }
        }
    }
    Ok(TensorSpec {
        name: name_of(map.get("name")),
        name_json: map.get("name").filter(|v| !v.is_null()).cloned(),
        dtype,
        shape: out,
    })
}

fn floats(value: Value) -> Value {
    match value {
        Value::Number(n) if !n.is_f64() => n
            .as_f64()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .unwrap_or(Value::Number(n)),
        Value::Array(items) => Value::Array(items.into_iter().map(floats).collect()),
        other => other,
    }
}

/// `ParamSchema.from_json` on parsed JSON, with the default of each param validated.
pub fn parse_param_schema(value: &Value) -> Result<Vec<ParamSpec>, String> {
    let Value::Array(items) = value else {
        return Err(format!(
            "params must be a JSON list, found {}",
            describe(value)
        ));
    };
    let mut out: Vec<ParamSpec> = Vec::with_capacity(items.len());
    for item in items {
        let Value::Object(map) = item else {
            return Err(format!(
                "each param must be a JSON object, found {}",
                describe(item)
            ));
        };
        let has = |k: &str| map.contains_key(k);
        if !(has("name") && has("default") && (has("type") || has("dtype"))) {
            let keys: Vec<String> = map.keys().map(|k| format!("'{k}'")).collect();
            return Err(format!(
                "Missing keys in ParamSpec JSON. Expected to find keys `name`, `type`(or `dtype`) and `default`. Received keys: dict_keys([{}])",
                keys.join(", ")
            ));
        }
        // Python: `kwargs.get("type") or kwargs.get("dtype")`.
        let ty_value = map
            .get("type")
            .filter(|v| required_of(v) == Some(true))
            .or_else(|| map.get("dtype"))
            .cloned()
            .unwrap_or(Value::Null);
        let name = match map.get("name") {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => String::new(),
        };
        let ty_name = type_name(&ty_value);
        let ty = if ty_name == "object" {
            let (Some(_), Some(props)) =
                (map.get("type").or(map.get("dtype")), map.get("properties"))
            else {
                return Err(
                    "Missing keys in Object JSON. Expected to find keys `properties` and `type`"
                        .into(),
                );
            };
            ParamType::Object(parse_properties(props)?)
        } else {
            match DataType::from_name(&ty_name) {
                Some(DataType::Binary) => {
                    return Err(format!(
                        "Binary type is not supported for parameters, ParamSpec '{name}'has dtype 'binary'"
                    ));
                }
                Some(dt) => ParamType::Scalar(dt),
                None => {
                    let names: Vec<String> = DATA_TYPE_NAMES
                        .iter()
                        .filter(|n| **n != "binary")
                        .map(|n| format!("'{n}'"))
                        .collect();
                    return Err(format!(
                        "Unsupported type '{ty_name}', expected instance of DataType or one of [{}]",
                        names.join(", ")
                    ));
                }
            }
        };
        let shape = match map.get("shape") {
            None | Some(Value::Null) => None,
            // Dimensions that are not integers leave an empty shape, which validation refuses.
            Some(Value::Array(dims)) => Some(
                dims.iter()
                    .map(Value::as_i64)
                    .collect::<Option<Vec<i64>>>()
                    .unwrap_or_default(),
            ),
            Some(_) => Some(Vec::new()),
        };
        let mut spec = ParamSpec {
            name,
            ty,
            default: map.get("default").cloned().unwrap_or(Value::Null),
            shape,
        };
        super::params::validate_default(&spec)?;
        // MLflow keeps the converted default: whole numbers become floats for float params.
        if let ParamType::Scalar(DataType::Float | DataType::Double) = spec.ty {
            spec.default = floats(spec.default);
        }
        out.push(spec);
    }
    let mut seen = std::collections::HashSet::new();
    let duplicates: Vec<String> = out
        .iter()
        .filter(|p| !seen.insert(p.name.clone()))
        .map(|p| format!("'{}'", p.name))
        .collect();
    if !duplicates.is_empty() {
        return Err(format!(
            "Duplicated parameters found in schema: [{}]",
            duplicates.join(", ")
        ));
    }
    Ok(out)
}
