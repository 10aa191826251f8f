//! What MLflow's scoring server does with a request, step by step as
//! `mlflow.pyfunc.scoring_server.invocations` does it (mlflow 3.17): the content type, the
//! body's form (`dataframe_split`, `dataframe_records`, `instances`, `inputs`, CSV), the
//! lenient parse and pre-cast to the signature's types, `_enforce_schema`, the params and the
//! type hints of models whose signature comes from them. A refused request gets the status,
//! `error_code` and message MLflow's server would answer (the meaningful part of the
//! message: without the Python reprs of the data and schema it embeds).
//!
//! The request is read without copying it: arrays made from it borrow its JSON. Verdicts and
//! messages are tested against the pinned mlflow on over a thousand generated requests
//! (tests/fixtures/validation_reference.py).

mod enforce;
mod json_errors;
mod np;
mod pd;
mod py;

use std::rc::Rc;

use serde_json::Value;

use crate::model::signature::{ColType, DataType, ParamSpec, Schema, Signature, Spec};
use enforce::{Data, Exc};
use np::{Dt, PyErr};
use py::{Obj, json_repr, str_repr};

pub use json_errors::python_json_error;

/// The keys that carry inputs in a scoring request, in the order MLflow's message lists them.
pub const FORMAT_KEYS: [&str; 4] = [
    "dataframe_records",
    "dataframe_split",
    "instances",
    "inputs",
];

/// The part of MLflow's "wrong format" messages that lists the four keys.
const REQUIRED_INPUT_FORMAT: &str = "The input must be a JSON dictionary with exactly one of the input fields {'dataframe_records', 'dataframe_split', 'instances', 'inputs'}";

/// What the server knows of a model when a request arrives.
#[derive(Debug, Clone, Copy, Default)]
pub struct Model<'s> {
    /// The signature (`None`: the model has none, and only the body's form is checked).
    pub signature: Option<&'s Signature>,
    /// `is_signature_from_type_hint`: the body must carry `inputs`, checked by type hints.
    pub from_type_hint: bool,
}

/// MLflow's `error_code` values the scoring server answers a request with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// `BAD_REQUEST`: the body could not be parsed or pre-cast.
    BadRequest,
    /// `INVALID_PARAMETER_VALUE`: schema enforcement or params refused it.
    InvalidParameterValue,
}

impl ErrorCode {
    /// The name MLflow sends.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "BAD_REQUEST",
            ErrorCode::InvalidParameterValue => "INVALID_PARAMETER_VALUE",
        }
    }
}

/// The server's refusal of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// HTTP status (400, or 415 for a content type it does not take).
    pub status: u16,
    /// `error_code` (none for a 415, which is plain text).
    pub code: Option<ErrorCode>,
    /// The input it concerns: `body`, a column or tensor name, or `params`.
    pub input: String,
    /// MLflow's message, its meaningful part.
    pub message: String,
    /// For a tensor of the wrong shape: the shape given and the one the signature asks for.
    pub shapes: Option<(Vec<usize>, Vec<i64>)>,
}

/// The server's acceptance of a request, with what it drops or ignores on the way.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accepted {
    /// What MLflow accepts with a warning (ignored params, extra inputs, unparsed bodies).
    pub notes: Vec<String>,
}

/// How a step failed: the refusal and where.
fn refusal(code: ErrorCode, input: &str, message: impl Into<String>) -> Refusal {
    Refusal {
        status: 400,
        code: Some(code),
        input: input.to_string(),
        message: message.into(),
        shapes: None,
    }
}

/// `MlflowInvalidInputException(message)`: a 400 BAD_REQUEST that starts "Invalid input. ".
fn invalid_input(input: &str, message: impl AsRef<str>) -> Refusal {
    refusal(
        ErrorCode::BadRequest,
        input,
        format!("Invalid input. {}", message.as_ref()),
    )
}

/// Checks a request as `/invocations` receives it: the Content-Type header and the body.
pub fn check_request(
    model: Model<'_>,
    content_type: &str,
    body: &[u8],
) -> Result<Accepted, Refusal> {
    let mut parts = content_type.split(';').map(str::trim);
    let mime = parts.next().unwrap_or("");
    let mut charset = "utf-8".to_string();
    let mut unexpected: Vec<String> = Vec::new();
    for pair in parts {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if key == "charset" {
            charset = value.to_lowercase();
        } else if !unexpected.iter().any(|u| u == key) {
            unexpected.push(key.to_string());
        }
    }
    let plain = |message: String| Refusal {
        status: 415,
        code: None,
        input: "Content-Type".into(),
        message,
        shapes: None,
    };
    if charset != "utf-8" {
        return Err(plain("The scoring server only supports UTF-8".into()));
    }
    if !unexpected.is_empty() {
        return Err(plain(format!(
            "Unrecognized content type parameters: {}.",
            unexpected.join(", ")
        )));
    }
    match mime {
        "text/csv" => {
            let text = std::str::from_utf8(body).map_err(|e| {
                invalid_input(
                    "body",
                    format!("Ensure that input is a valid UTF-8 encoded string. Error: '{e}'"),
                )
            })?;
            check_csv(model, text)
        }
        "application/json" => {
            let text = std::str::from_utf8(body).map_err(|e| {
                invalid_input(
                    "body",
                    format!(
                        "Ensure that input is a valid JSON formatted string. Error: 'UnicodeDecodeError({e})'"
                    ),
                )
            })?;
            if let Some(error) = python_json_error(text) {
                return Err(invalid_input(
                    "body",
                    format!(
                        "Ensure that input is a valid JSON formatted string. Error: '{}'",
                        py::exception_repr("JSONDecodeError", &error)
                    ),
                ));
            }
            let (value, _) = crate::model::lenient_json::parse(text).map_err(|e| {
                invalid_input(
                    "body",
                    format!("Ensure that input is a valid JSON formatted string. Error: '{e}'"),
                )
            })?;
            check_json(model, &value)
        }
        "application/vnd.apache.parquet" => Ok(Accepted {
            notes: vec!["a Parquet body is read by the server; it is not checked here".into()],
        }),
        _ => Err(plain(format!(
            "This predictor only supports the following content types: Types: ['text/csv', 'application/json', 'application/vnd.apache.parquet']. Got '{content_type}'."
        ))),
    }
}

/// Checks a JSON body (already parsed) as `/invocations` would with `application/json`.
pub fn check_json(model: Model<'_>, body: &Value) -> Result<Accepted, Refusal> {
    let map = match body {
        Value::Object(map) => map,
        Value::Array(_) => {
            return Err(invalid_input(
                "body",
                format!("{REQUIRED_INPUT_FORMAT}. Received a list."),
            ));
        }
        other => {
            return Err(invalid_input(
                "body",
                format!(
                    "{REQUIRED_INPUT_FORMAT}. Received unexpected input type '<class '{}'>.",
                    py::json_type(other)
                ),
            ));
        }
    };
    let schema = model.signature.and_then(|s| s.inputs.as_ref());
    let params_schema = model.signature.and_then(|s| s.params.as_deref());
    let mut accepted = Accepted::default();
    // The unified LLM format: passed to the model unparsed; keys named in the params schema
    // are its params.
    if ["messages", "prompt", "input"]
        .iter()
        .any(|k| map.contains_key(*k))
    {
        accepted
            .notes
            .push("chat-style body (messages/prompt/input): passed to the model as it is".into());
        let is_param = |k: &str| params_schema.is_some_and(|p| p.iter().any(|s| s.name == k));
        let data: Vec<(Value, Obj<'_>)> = map
            .iter()
            .filter(|(k, _)| !is_param(k))
            .map(|(k, v)| (Value::String(k.clone()), Obj::Json(v)))
            .collect();
        let params: serde_json::Map<String, Value> = map
            .iter()
            .filter(|(k, _)| is_param(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if model.from_type_hint {
            check_params(params_schema, Some(&Value::Object(params)), &mut accepted)?;
            return Ok(accepted);
        }
        predict(schema, Data::Dict(data), &mut accepted)?;
        check_params(params_schema, Some(&Value::Object(params)), &mut accepted)?;
        return Ok(accepted);
    }
    let present: Vec<&str> = map
        .keys()
        .map(String::as_str)
        .filter(|k| FORMAT_KEYS.contains(k))
        .collect();
    let params = map.get("params");
    if model.from_type_hint {
        let Some(inputs) = map.get("inputs") else {
            let keys: Vec<String> = present.iter().map(|k| str_repr(k)).collect();
            return Err(refusal(
                ErrorCode::InvalidParameterValue,
                "body",
                format!(
                    "Request payload must be a dictionary with 'inputs' key when the model contains a valid type hint. Found keys in payload: dict_keys([{}]).",
                    keys.join(", ")
                ),
            ));
        };
        check_params(params_schema, params, &mut accepted)?;
        if let Some(schema) = schema {
            type_hint_check(schema, inputs)?;
        }
        return Ok(accepted);
    }
    let [format] = present.as_slice() else {
        let keys: Vec<String> = present.iter().map(|k| str_repr(k)).collect();
        return Err(refusal(
            ErrorCode::BadRequest,
            "body",
            format!(
                "{REQUIRED_INPUT_FORMAT}. Received dictionary with input fields: [{}].",
                keys.join(", ")
            ),
        ));
    };
    let value = &map[*format];
    let data = match *format {
        "instances" | "inputs" => parse_tf_serving(format, value, schema)?,
        orient => Data::Frame(dataframe_from_parsed_json(orient, value, schema)?),
    };
    predict(schema, data, &mut accepted)?;
    check_params(params_schema, params, &mut accepted)?;
    Ok(accepted)
}

/// Checks a request of typed tensors (`{"inputs": tensor or {name: tensor}, "params": ...}`)
/// exactly as [`check_json`] checks the JSON they are written as, without writing it: numpy's
/// steps run on the values in place.
pub fn check_tensors(
    model: Model<'_>,
    tensors: &crate::input::request::Tensors,
    params: Option<&serde_json::Map<String, Value>>,
) -> Result<Accepted, Refusal> {
    use crate::input::request::Tensors;
    let params = params.filter(|p| !p.is_empty()).cloned().map(Value::Object);
    fn typed(t: &crate::input::tensor::Tensor) -> Option<Obj<'_>> {
        t.flat().map(|flat| {
            np::Typed {
                flat,
                shape: t.shape().to_vec(),
            }
            .obj()
        })
    }
    let input = match tensors {
        Tensors::One(t) => typed(t),
        Tensors::Named(ts) => ts
            .iter()
            .map(|(n, t)| typed(t).map(|o| (Value::String(n.clone()), o)))
            .collect::<Option<Vec<_>>>()
            .map(|d| Obj::Dict(Rc::new(d))),
    };
    // Type-hint checks read JSON values; a tensor not in C layout is not expected here: both
    // take the written JSON.
    let input = match input {
        Some(input) if !model.from_type_hint => input,
        _ => {
            let body = crate::input::request::Request::Tensors {
                tensors: tensors.clone(),
                params: params.as_ref().and_then(Value::as_object).cloned(),
            }
            .to_value(crate::input::request::BodyFormat::Mlflow);
            return check_json(model, &body);
        }
    };
    let schema = model.signature.and_then(|s| s.inputs.as_ref());
    let params_schema = model.signature.and_then(|s| s.params.as_deref());
    let mut accepted = Accepted::default();
    let data = cast_schema_type(&input, schema).map_err(|e| tf_serving_refusal("inputs", e))?;
    predict(schema, data, &mut accepted)?;
    check_params(params_schema, params.as_ref(), &mut accepted)?;
    Ok(accepted)
}

/// `PyFuncModel.predict`'s schema enforcement: a failure is INVALID_PARAMETER_VALUE with
/// the exception's text.
fn predict(
    schema: Option<&Schema>,
    data: Data<'_>,
    accepted: &mut Accepted,
) -> Result<(), Refusal> {
    let Some(schema) = schema else {
        return Ok(());
    };
    match enforce::enforce_schema(data, schema) {
        Ok(done) => {
            if !done.extra.is_empty() {
                accepted.notes.push(format!(
                    "inputs not in the signature are ignored: {}",
                    done.extra.join(", ")
                ));
            }
            Ok(())
        }
        Err(e) => {
            let mut r = refusal(ErrorCode::InvalidParameterValue, "inputs", e.text());
            if let Exc::Shape { got, expected, .. } = e {
                r.shapes = Some((got, expected));
            }
            Err(r)
        }
    }
}

/// `_enforce_params_schema(params, params_schema)`.
fn check_params(
    schema: Option<&[ParamSpec]>,
    params: Option<&Value>,
    accepted: &mut Accepted,
) -> Result<(), Refusal> {
    let Some(schema) = schema else {
        if params.is_some_and(|p| !p.is_null() && p.as_object().is_none_or(|m| !m.is_empty())) {
            accepted
                .notes
                .push("the model has no params schema: the params are ignored".into());
        }
        return Ok(());
    };
    let params = match params {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Object(map)) => map,
        Some(other) => {
            return Err(refusal(
                ErrorCode::InvalidParameterValue,
                "params",
                format!(
                    "Parameters must be a dictionary. Got type '{}'.",
                    py::json_type(other)
                ),
            ));
        }
    };
    let unknown: Vec<String> = params
        .keys()
        .filter(|k| !schema.iter().any(|p| &p.name == *k))
        .map(|k| str_repr(k))
        .collect();
    if !unknown.is_empty() {
        accepted.notes.push(format!(
            "Unrecognized params [{}] are ignored for inference.",
            unknown.join(", ")
        ));
    }
    let mut invalid: Vec<(String, String)> = Vec::new();
    for spec in schema {
        let Some(value) = params.get(&spec.name) else {
            continue;
        };
        let label = crate::model::params::spec_repr(spec);
        if let Err(e) =
            crate::model::params::validate_value(&label, value, &spec.ty, spec.shape.as_deref())
        {
            invalid.push((spec.name.clone(), e));
        }
    }
    if invalid.is_empty() {
        return Ok(());
    }
    let input = format!("params.{}", invalid[0].0);
    let items: Vec<String> = invalid
        .iter()
        .map(|(n, e)| format!("({}, {})", str_repr(n), str_repr(e)))
        .collect();
    Err(refusal(
        ErrorCode::InvalidParameterValue,
        &input,
        format!("Invalid parameters found: {{{}}}", items.join(", ")),
    ))
}

/// The spec MLflow uses for a name in `inputs`/`instances` (`schema.input_dict()`).
fn spec_for<'s>(schema: Option<&'s Schema>, name: &str) -> Option<&'s Spec> {
    let schema = schema.filter(|s| s.has_names())?;
    schema.specs.iter().find(|s| match s {
        Spec::Column(c) => c.name_json.as_ref() == Some(&Value::String(name.to_string())),
        Spec::Tensor(t) => t.name_json.as_ref() == Some(&Value::String(name.to_string())),
    })
}

/// `convert_data_type(data, spec)`: numpy's pre-cast of one input to its spec's type.
fn convert_data_type<'a>(data: &Obj<'a>, spec: Option<&Spec>) -> Result<Obj<'a>, Exc> {
    let wrap = |e: Exc| match e {
        Exc::Py(p) => Exc::Mlflow(format!("\u{0}{}", p.message)),
        other => Exc::Mlflow(format!("\u{0}{}", other.text())),
    };
    let arr = |o: &Obj<'a>, dt: Option<Dt>| -> Result<Obj<'a>, Exc> {
        np::array(o, dt)
            .map(|a| Obj::Arr(Rc::new(a)))
            .map_err(|e| wrap(Exc::Py(e)))
    };
    match spec {
        None => arr(data, None),
        Some(Spec::Tensor(t)) => arr(data, Some(Dt::from_spec(&t.dtype))),
        Some(Spec::Column(c)) => match &c.ty {
            ColType::Scalar(dt) => {
                let np_dt = enforce::numpy_of(*dt);
                if data.is_list() || matches!(data, Obj::Arr(_)) {
                    arr(data, Some(np_dt))
                } else {
                    let one = np::array(&Obj::List(Rc::new(vec![data.clone()])), Some(np_dt))
                        .map_err(|e| wrap(Exc::Py(e)))?;
                    Ok(one.rows().into_iter().next().unwrap_or(Obj::None))
                }
            }
            ColType::Array(items) => {
                let enforced =
                    enforce::enforce_array(data, items, c.is_required()).map_err(wrap)?;
                arr(&enforced, None)
            }
            ColType::Object(props) => {
                enforce::enforce_object(data, props, c.is_required()).map_err(wrap)
            }
            ColType::Map(_) => enforce::enforce_type(data, &c.ty, c.is_required()).map_err(wrap),
            ColType::Any | ColType::SparkMlVector => Ok(data.clone()),
        },
    }
}

/// Turns the marked messages of [`convert_data_type`] into MLflow's "Invalid input." text.
fn unmark(e: Exc) -> Result<String, Exc> {
    match e {
        Exc::Mlflow(m) if m.starts_with('\u{0}') => Ok(m.trim_start_matches('\u{0}').to_string()),
        other => Err(other),
    }
}

/// `parse_tf_serving_input` for `instances` and `inputs`.
fn parse_tf_serving<'a>(
    format: &str,
    value: &'a Value,
    schema: Option<&Schema>,
) -> Result<Data<'a>, Refusal> {
    let result = if format == "instances" {
        parse_instances(value, schema)
    } else {
        cast_schema_type(&Obj::Json(value), schema)
    };
    result.map_err(|e| tf_serving_refusal(format, e))
}

/// The refusal `parse_tf_serving_input`'s exception becomes.
fn tf_serving_refusal(format: &str, e: Exc) -> Refusal {
    match unmark(e) {
        Ok(message) => invalid_input(format, message),
        Err(e @ (Exc::Mlflow(_) | Exc::Shape { .. })) => invalid_input(format, e.text()),
        Err(Exc::Py(p)) => invalid_input(
            format,
            format!(
                "Ensure that the input is a valid JSON-formatted string.\nError: {}",
                p.repr()
            ),
        ),
    }
}

/// `_cast_schema_type(input_data, schema)`.
fn cast_schema_type<'a>(input: &Obj<'a>, schema: Option<&Schema>) -> Result<Data<'a>, Exc> {
    let mut input = input.clone();
    let named = schema.is_some_and(Schema::has_names);
    if let Some(schema) = schema {
        let single_name = if named && schema.specs.len() == 1 {
            schema.specs.first().and_then(|s| match s {
                Spec::Column(c) => c.name.clone(),
                Spec::Tensor(t) => t.name.clone(),
            })
        } else {
            None
        };
        // A typed tensor's list holds numbers only.
        let list_without_dicts = matches!(input, Obj::Typed(_))
            || input
                .items()
                .is_some_and(|items| input.is_list() && !items.iter().any(Obj::is_dict));
        if let Some(name) = single_name.filter(|_| list_without_dicts) {
            return cast_dict(vec![(Value::String(name), input)], Some(schema));
        }
        if !(named || input.is_list() || input.is_np_scalar()) {
            let class = match &input {
                Obj::Json(v) => py::json_type(v).to_string(),
                other => other.type_name(),
            };
            return Err(Exc::Mlflow(format!(
                "\u{0}Failed to parse input data. This model contains an un-named  model signature which expects a single n-dimensional array or a single value as input, however, an input of type <class '{class}'> was found."
            )));
        }
    }
    if let Some(Value::Object(map)) = input.json() {
        let dict = map
            .iter()
            .map(|(k, v)| (Value::String(k.clone()), Obj::Json(v)))
            .collect();
        return cast_dict(dict, schema);
    }
    if let Obj::Dict(dict) = &input {
        return cast_dict(dict.as_ref().clone(), schema);
    }
    let first_spec = schema.and_then(|s| s.specs.first());
    // A typed tensor is a list whose items are never dicts: its cast's error is numpy's, as
    // a list's is.
    if matches!(input, Obj::Typed(_)) {
        return match convert_data_type(&input, first_spec)? {
            Obj::Arr(a) => Ok(Data::Arr(a.as_ref().clone())),
            other => Ok(Data::Other(other)),
        };
    }
    if let Some(items) = input.items().filter(|_| input.is_list()) {
        if items.iter().all(Obj::is_dict) {
            let mut rows = Vec::with_capacity(items.len());
            for item in &items {
                let Some(Value::Object(map)) = item.json() else {
                    continue;
                };
                let mut row = Vec::with_capacity(map.len());
                for (k, v) in map {
                    row.push((
                        Value::String(k.clone()),
                        convert_data_type(&Obj::Json(v), spec_for(schema, k))?,
                    ));
                }
                rows.push(row);
            }
            return Ok(Data::Rows(rows));
        }
        return match convert_data_type(&input, first_spec)? {
            Obj::Arr(a) => Ok(Data::Arr(a.as_ref().clone())),
            other => Ok(Data::Other(other)),
        };
    }
    match convert_data_type(&input, first_spec) {
        Ok(Obj::Arr(a)) => Ok(Data::Arr(a.as_ref().clone())),
        Ok(other) => Ok(Data::Other(other)),
        Err(_) => {
            let spec = first_spec
                .map(enforce::spec_repr)
                .unwrap_or_else(|| "None".into());
            input = Obj::Str(Rc::from(input.py_str().as_str()));
            Err(Exc::Mlflow(format!(
                "\u{0}Failed to convert data `{}` to type `{spec}` defined in the model signature.",
                input.py_str()
            )))
        }
    }
}

fn cast_dict<'a>(dict: Vec<(Value, Obj<'a>)>, schema: Option<&Schema>) -> Result<Data<'a>, Exc> {
    let mut out = Vec::with_capacity(dict.len());
    for (k, v) in dict {
        let spec = k.as_str().and_then(|name| spec_for(schema, name));
        out.push((k, convert_data_type(&v, spec)?));
    }
    Ok(Data::Dict(out))
}

/// `parse_instances_data`.
fn parse_instances<'a>(value: &'a Value, schema: Option<&Schema>) -> Result<Data<'a>, Exc> {
    let data = match value {
        Value::Array(items) if items.first().is_some_and(Value::is_object) => {
            let mut columns: Vec<(String, Vec<Obj<'a>>)> = Vec::new();
            for item in items {
                let Value::Object(map) = item else {
                    return Err(Exc::Py(PyErr {
                        kind: "AttributeError",
                        message: format!(
                            "'{}' object has no attribute 'items'",
                            py::json_type(item)
                        ),
                    }));
                };
                for (k, v) in map {
                    let converted = convert_data_type(&Obj::Json(v), spec_for(schema, k))?;
                    match columns.iter_mut().find(|(c, _)| c == k) {
                        Some((_, col)) => col.push(converted),
                        None => columns.push((k.clone(), vec![converted])),
                    }
                }
            }
            let mut dict = Vec::with_capacity(columns.len());
            for (k, col) in columns {
                let arr = np::array(&Obj::List(Rc::new(col)), None).map_err(Exc::Py)?;
                dict.push((Value::String(k), Obj::Arr(Rc::new(arr))));
            }
            Data::Dict(dict)
        }
        other => cast_schema_type(&Obj::Json(other), schema)?,
    };
    if let Data::Dict(dict) = &data {
        let lengths: Vec<(&Value, usize)> = dict
            .iter()
            .filter_map(|(k, v)| match v {
                Obj::Arr(a) => Some((k, a.shape.first().copied().unwrap_or(0))),
                other if other.is_list() => Some((k, other.len().unwrap_or(0))),
                _ => None,
            })
            .collect();
        let checked: Vec<usize> = match schema.filter(|s| s.has_names()) {
            Some(schema) => lengths
                .iter()
                .filter(|(k, _)| {
                    schema.specs.iter().any(|s| {
                        s.is_required()
                            && match s {
                                Spec::Column(c) => {
                                    c.name_json.as_ref() == Some(*k)
                                        && !matches!(c.ty, ColType::Array(_))
                                }
                                Spec::Tensor(t) => t.name_json.as_ref() == Some(*k),
                            }
                    })
                })
                .map(|(_, n)| *n)
                .collect(),
            None => lengths.iter().map(|(_, n)| *n).collect(),
        };
        if checked.windows(2).any(|w| w[0] != w[1]) {
            return Err(Exc::Mlflow(
                "\u{0}The length of values for each input/column name are not the same".into(),
            ));
        }
    }
    Ok(data)
}

/// `dataframe_from_parsed_json(decoded_input, pandas_orient, schema)`.
fn dataframe_from_parsed_json<'a>(
    format: &str,
    value: &'a Value,
    schema: Option<&Schema>,
) -> Result<pd::Frame<'a>, Refusal> {
    let kind = |v: &Value| match v {
        Value::Object(_) => "dictionary".to_string(),
        Value::Array(_) => "list".to_string(),
        other => format!("type <class '{}'>", py::json_type(other)),
    };
    let frame = if format == "dataframe_records" {
        let Value::Array(items) = value else {
            return Err(invalid_input(
                format,
                format!(
                    "Dataframe records format must be a list of records. Got {}.",
                    kind(value)
                ),
            ));
        };
        pd::from_list(items.iter().map(Obj::Json).collect(), None).map_err(|e| {
            invalid_input(
                format,
                format!(
                    "Provided dataframe_records field is not a valid dataframe representation in 'records' format. Error: '{}'",
                    e.message
                ),
            )
        })?
    } else {
        let Value::Object(map) = value else {
            return Err(invalid_input(
                format,
                format!(
                    "Dataframe split format must be a dictionary. Got {}.",
                    kind(value)
                ),
            ));
        };
        let keys: Vec<&str> = map.keys().map(String::as_str).collect();
        if !map.contains_key("data")
            || keys
                .iter()
                .any(|k| !matches!(*k, "columns" | "data" | "index"))
        {
            return Err(invalid_input(
                format,
                format!(
                    "Dataframe split format must have 'data' field and optionally 'columns' and 'index' fields. Got {}.'",
                    py::str_set(&keys)
                ),
            ));
        }
        pd::from_split(&map["data"], map.get("columns"), map.get("index")).map_err(|e| {
            invalid_input(
                format,
                format!(
                    "Provided dataframe_split field is not a valid dataframe representation in 'split' format. Error: '{}'",
                    e.message
                ),
            )
        })?
    };
    match schema {
        Some(schema) => cast_frame(frame, schema),
        None => Ok(frame),
    }
}

/// `cast_df_types_according_to_schema(pdf, schema)`.
fn cast_frame<'a>(mut frame: pd::Frame<'a>, schema: &Schema) -> Result<pd::Frame<'a>, Refusal> {
    // (label, spec) pairs, as MLflow zips them.
    let pairs: Vec<(Value, &Spec)> = if schema.has_names() {
        schema
            .specs
            .iter()
            .filter_map(|s| {
                let name = match s {
                    Spec::Column(c) => c.name_json.clone(),
                    Spec::Tensor(t) => t.name_json.clone(),
                };
                name.map(|n| (n, s))
            })
            .collect()
    } else if schema.is_tensor() && schema.specs.len() == 1 {
        frame
            .columns
            .iter()
            .filter_map(|c| schema.specs.first().map(|s| (c.label.clone(), s)))
            .collect()
    } else {
        frame
            .columns
            .iter()
            .zip(&schema.specs)
            .map(|(c, s)| (c.label.clone(), s))
            .collect()
    };
    // Positions by label, found once: casting changes cells, never labels.
    let positions: Vec<Option<usize>> = {
        let index = frame.index();
        pairs
            .iter()
            .map(|(label, _)| index.get(&pd::label_key(label)).copied())
            .collect()
    };
    for ((_, spec), at) in pairs.into_iter().zip(positions) {
        let Some(col) = at.and_then(|i| frame.columns.get(i)).cloned() else {
            continue;
        };
        let (target, cast) = cast_column(&col, spec, schema.is_tensor());
        match cast {
            Ok(new) => {
                if let Some(slot) = at.and_then(|i| frame.columns.get_mut(i)) {
                    *slot = new;
                }
            }
            Err(e) => {
                return Err(invalid_input(
                    &col.name(),
                    format!(
                        "Data is not compatible with model signature. Failed to convert column {} to type '{target}'. Error: '{}'",
                        col.name(),
                        e.repr()
                    ),
                ));
            }
        }
    }
    Ok(frame)
}

/// One column's cast in `cast_df_types_according_to_schema`: the type as MLflow names it,
/// and the new column or the exception.
fn cast_column<'a>(
    col: &pd::Column<'a>,
    spec: &Spec,
    tensor_schema: bool,
) -> (String, Result<pd::Column<'a>, Exc>) {
    let map_cells = |f: &dyn Fn(&Obj<'a>) -> Result<Obj<'a>, Exc>| -> Result<pd::Column<'a>, Exc> {
        let mut out = col.clone();
        out.cells = col.cells.iter().map(f).collect::<Result<_, _>>()?;
        out.dtype = Dt::Object;
        Ok(out)
    };
    match spec {
        Spec::Column(c) => {
            let required = c.is_required();
            match &c.ty {
                ColType::Scalar(DataType::Binary) => (
                    "<class 'object'>".into(),
                    map_cells(&|x| pd::base64_decode(x).map(Obj::Bytes).map_err(Exc::Py)),
                ),
                ColType::Scalar(DataType::Datetime) => (
                    "datetime64[ns]".into(),
                    pd::to_datetime(col).map_err(Exc::Py).map(|()| {
                        let mut out = col.clone();
                        out.dtype = Dt::DateTime;
                        out
                    }),
                ),
                ColType::Scalar(dt) => {
                    let to = enforce::pandas_of(*dt);
                    let name = if to == Dt::Object {
                        "<class 'object'>".to_string()
                    } else {
                        to.name()
                    };
                    if to == Dt::Object && col.dtype == Dt::PdStr {
                        return (name, Ok(col.clone()));
                    }
                    (name, pd::astype(col, to).map_err(Exc::Py))
                }
                ColType::Array(items) => (
                    crate::model::params::py_type_repr(&c.ty),
                    map_cells(&|x| enforce::enforce_array(x, items, required)),
                ),
                ColType::Object(props) => (
                    crate::model::params::py_type_repr(&c.ty),
                    map_cells(&|x| enforce::enforce_object(x, props, required)),
                ),
                ColType::Map(_) => (
                    crate::model::params::py_type_repr(&c.ty),
                    map_cells(&|x| enforce::enforce_type(x, &c.ty, required)),
                ),
                ColType::Any | ColType::SparkMlVector => ("any".into(), Ok(col.clone())),
            }
        }
        Spec::Tensor(t) => {
            let to = Dt::from_spec(&t.dtype);
            let name = to.name();
            if tensor_schema && col.cells.first().is_some_and(Obj::is_list) {
                return (name, Ok(col.clone()));
            }
            if matches!(to, Dt::Unicode(_)) && col.dtype == Dt::PdStr {
                return (name, Ok(col.clone()));
            }
            (name, pd::astype(col, to).map_err(Exc::Py))
        }
    }
}

/// `parse_csv_input(csv, schema)`: pandas' `read_csv` with the schema's dtypes.
fn check_csv(model: Model<'_>, text: &str) -> Result<Accepted, Refusal> {
    let fail = |e: String| {
        refusal(
            ErrorCode::BadRequest,
            "body",
            format!(
                "Failed to parse input as a Pandas DataFrame. Ensure that the input is a valid CSV-formatted Pandas DataFrame produced using the `pandas.DataFrame.to_csv()` method. Error: '{e}'"
            ),
        )
    };
    let schema = model.signature.and_then(|s| s.inputs.as_ref());
    let mut dtypes: Vec<(Value, Dt)> = Vec::new();
    if let Some(schema) = schema {
        if schema.is_tensor() {
            return Err(fail(
                "TensorSpec only supports numpy types, use numpy_types() instead".into(),
            ));
        }
        for (i, c) in schema.columns().iter().enumerate() {
            let ColType::Scalar(dt) = c.ty else {
                return Err(fail(
                    "Failed to get pandas types as some of the inputs types are not DataType."
                        .into(),
                ));
            };
            let name = c.name_json.clone().unwrap_or(Value::from(i));
            dtypes.push((name, enforce::pandas_of(dt)));
        }
    }
    let cells = read_csv(text).map_err(fail)?;
    let Some((header, rows)) = cells.split_first() else {
        return Err(fail("No columns to parse from file".into()));
    };
    let mut frame = pd::Frame {
        columns: Vec::new(),
        rows: rows.len(),
    };
    // read_csv's dtype keys are column names, or positions when they are integers: the first
    // key that is either, found by lookups (one pass, whatever the number of columns).
    let by_name = pd::label_index(dtypes.iter().map(|(n, _)| n));
    let mut by_position: std::collections::HashMap<u64, usize> = std::collections::HashMap::new();
    for (k, (n, _)) in dtypes.iter().enumerate() {
        if let Some(p) = n.as_u64() {
            by_position.entry(p).or_insert(k);
        }
    }
    for (i, name) in header.iter().enumerate() {
        let label = Value::String(name.clone());
        let texts: Vec<&str> = rows
            .iter()
            .map(|r| r.get(i).map(String::as_str).unwrap_or(""))
            .collect();
        let first = [
            by_name.get(&pd::label_key(&label)).copied(),
            by_position.get(&(i as u64)).copied(),
        ]
        .into_iter()
        .flatten()
        .min();
        let want = first.and_then(|k| dtypes.get(k)).map(|(_, d)| *d);
        let column = csv_column(label, &texts, want).map_err(|e| fail(e.message))?;
        frame.columns.push(column);
    }
    let mut accepted = Accepted::default();
    if model.from_type_hint {
        // The model's type hints take the frame as it is.
        return Ok(accepted);
    }
    predict(schema, Data::Frame(frame), &mut accepted)?;
    Ok(accepted)
}

/// The cells of a CSV text (header first); blank lines are skipped as pandas skips them.
fn read_csv(text: &str) -> Result<Vec<Vec<String>>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut out: Vec<Vec<String>> = Vec::new();
    for (line, record) in reader.records().enumerate() {
        let record = record.map_err(|e| e.to_string())?;
        if record.len() == 1 && record.get(0).is_some_and(str::is_empty) {
            continue;
        }
        if let Some(header) = out.first()
            && record.len() > header.len()
            && out.len() > 1
        {
            return Err(format!(
                "Error tokenizing data. C error: Expected {} fields in line {}, saw {}\n",
                header.len(),
                line + 1,
                record.len()
            ));
        }
        out.push(record.iter().map(str::to_string).collect());
    }
    Ok(out)
}

/// The values pandas reads as missing in a CSV.
fn csv_missing(text: &str) -> bool {
    matches!(
        text,
        "" | "#N/A"
            | "#N/A N/A"
            | "#NA"
            | "-1.#IND"
            | "-1.#QNAN"
            | "-NaN"
            | "-nan"
            | "1.#IND"
            | "1.#QNAN"
            | "<NA>"
            | "N/A"
            | "NA"
            | "NULL"
            | "NaN"
            | "None"
            | "n/a"
            | "nan"
            | "null"
    )
}

/// One CSV column as `read_csv` types it (`want`: the dtype the schema asks for).
fn csv_column<'a>(label: Value, texts: &[&str], want: Option<Dt>) -> Result<pd::Column<'a>, PyErr> {
    let cells = |texts: &[&str]| -> Vec<Obj<'a>> {
        texts
            .iter()
            .map(|t| {
                if csv_missing(t) {
                    Obj::Float(f64::NAN)
                } else {
                    Obj::Str(Rc::from(*t))
                }
            })
            .collect()
    };
    let floats = |texts: &[&str]| -> Option<Vec<Obj<'a>>> {
        texts
            .iter()
            .map(|t| {
                if csv_missing(t) {
                    Some(Obj::Float(f64::NAN))
                } else {
                    np::py_float(t).map(Obj::Float)
                }
            })
            .collect()
    };
    let column_index = 0;
    match want {
        Some(Dt::Float(b)) => {
            for t in texts {
                if !csv_missing(t) && np::py_float(t).is_none() {
                    return Err(PyErr::value(format!(
                        "could not convert string to float: {}",
                        str_repr(t)
                    )));
                }
            }
            Ok(pd::Column {
                label,
                dtype: Dt::Float(b),
                cells: floats(texts).unwrap_or_default(),
            })
        }
        Some(dt @ (Dt::Int(_) | Dt::UInt(_))) => {
            if texts.iter().any(|t| csv_missing(t)) {
                return Err(PyErr::value(format!(
                    "Integer column has NA values in column {column_index}"
                )));
            }
            for t in texts {
                if np::py_int(t).is_none() {
                    if np::py_float(t).is_some() {
                        return Err(PyErr::value(format!(
                            "cannot safely convert passed user dtype of {} for float64 dtyped data in column {column_index}",
                            dt.name()
                        )));
                    }
                    return Err(PyErr::value(format!(
                        "invalid literal for int() with base 10: {}",
                        str_repr(t)
                    )));
                }
            }
            Ok(pd::Column {
                label,
                dtype: dt,
                cells: floats(texts).unwrap_or_default(),
            })
        }
        Some(Dt::Bool) => {
            let ok = |t: &str| {
                matches!(
                    t,
                    "True" | "TRUE" | "true" | "False" | "FALSE" | "false" | "1" | "0"
                )
            };
            if texts.iter().any(|t| !ok(t)) {
                let numeric = texts.iter().all(|t| np::py_float(t).is_some());
                return Err(PyErr::value(format!(
                    "cannot safely convert passed user dtype of bool for {} dtyped data in column {column_index}",
                    if numeric { "float64" } else { "object" }
                )));
            }
            Ok(pd::Column {
                label,
                dtype: Dt::Bool,
                cells: cells(texts),
            })
        }
        Some(Dt::DateTime) => Err(PyErr::type_error(
            "the dtype datetime64[ns] is not supported for parsing, pass this column using parse_dates instead",
        )),
        Some(_) => Ok(pd::Column {
            label,
            dtype: Dt::Object,
            cells: cells(texts),
        }),
        None => {
            let present: Vec<&&str> = texts.iter().filter(|t| !csv_missing(t)).collect();
            let dtype = if !present.is_empty() && present.iter().all(|t| np::py_int(t).is_some()) {
                if present.len() == texts.len() {
                    Dt::Int(8)
                } else {
                    Dt::Float(8)
                }
            } else if present.iter().all(|t| np::py_float(t).is_some()) {
                Dt::Float(8)
            } else if present
                .iter()
                .all(|t| matches!(**t, "True" | "TRUE" | "true" | "False" | "FALSE" | "false"))
                && present.len() == texts.len()
            {
                Dt::Bool
            } else {
                Dt::PdStr
            };
            let cells = match dtype {
                Dt::Int(_) | Dt::Float(_) => floats(texts).unwrap_or_default(),
                _ => cells(texts),
            };
            Ok(pd::Column {
                label,
                dtype,
                cells,
            })
        }
    }
}

/// The type hint a signature inferred from type hints stands for, as MLflow prints it.
fn hint_of(ty: &ColType) -> Option<String> {
    Some(match ty {
        ColType::Scalar(dt) => match dt {
            DataType::String => "str",
            DataType::Long | DataType::Integer => "int",
            DataType::Double | DataType::Float => "float",
            DataType::Boolean => "bool",
            DataType::Binary => "bytes",
            DataType::Datetime => "datetime",
        }
        .to_string(),
        ColType::Array(items) => format!("list[{}]", hint_of(items)?),
        _ => return None,
    })
}

/// `_validate_data_against_type_hint` for the type hints a signature can stand for: a
/// `list[T]` of scalars or lists (an unnamed column signature). Other hints (pydantic models,
/// dicts) are checked by the model when it runs.
fn type_hint_check(schema: &Schema, data: &Value) -> Result<(), Refusal> {
    let [Spec::Column(c)] = schema.specs.as_slice() else {
        return Ok(());
    };
    if c.name.is_some() {
        return Ok(());
    }
    let Some(element) = hint_of(&c.ty) else {
        return Ok(());
    };
    let fail = |m: String| refusal(ErrorCode::InvalidParameterValue, "inputs", m);
    let Value::Array(items) = data else {
        return Err(fail(format!(
            "Expected list, but got {}",
            py::json_type(data)
        )));
    };
    fn matches_hint(v: &Value, ty: &ColType) -> Result<(), String> {
        match ty {
            ColType::Scalar(dt) => {
                let ok = match (dt, v) {
                    (
                        DataType::String | DataType::Binary | DataType::Datetime,
                        Value::String(_),
                    ) => true,
                    (DataType::Long | DataType::Integer, Value::Number(n)) => !n.is_f64(),
                    (DataType::Long | DataType::Integer, Value::Bool(_)) => true,
                    (DataType::Double | DataType::Float, Value::Number(n)) => n.is_f64(),
                    (DataType::Boolean, Value::Bool(_)) => true,
                    _ => false,
                };
                if ok {
                    Ok(())
                } else {
                    Err(format!(
                        "Expected type {}, but got {}",
                        hint_of(ty).unwrap_or_default(),
                        py::json_type(v)
                    ))
                }
            }
            ColType::Array(inner) => {
                let Value::Array(items) = v else {
                    return Err(format!("Expected list, but got {}", py::json_type(v)));
                };
                let bad: Vec<String> = items
                    .iter()
                    .filter_map(|i| {
                        matches_hint(i, inner)
                            .err()
                            .map(|e| format!("({}, {})", str_repr(&py::json_str(i)), str_repr(&e)))
                    })
                    .collect();
                if bad.is_empty() {
                    Ok(())
                } else {
                    Err(invalid_elements(&hint_of(inner).unwrap_or_default(), &bad))
                }
            }
            _ => Ok(()),
        }
    }
    let bad: Vec<String> = items
        .iter()
        .filter_map(|i| {
            matches_hint(i, &c.ty)
                .err()
                .map(|e| format!("({}, {})", str_repr(&py::json_str(i)), str_repr(&e)))
        })
        .collect();
    if bad.is_empty() {
        Ok(())
    } else {
        Err(fail(invalid_elements(&element, &bad)))
    }
}

fn invalid_elements(element: &str, bad: &[String]) -> String {
    let shown = if bad.len() > 5 {
        format!("[{}] ... (truncated)", bad[..5].join(", "))
    } else {
        format!("[{}]", bad.join(", "))
    };
    format!(
        "Failed to validate data against type hint `list[{element}]`, invalid elements: {shown}"
    )
}

/// numpy's cast of one JSON value to a number of the numpy dtype `dtype` (`np.array([value],
/// dtype=dtype)`), as MLflow's parsing of `inputs` and `instances` makes it before a tensor
/// reaches the model: a float's fraction dropped for an integer dtype, a string read as
/// Python's `int()` or `float()` reads it. The value as a float (whole for an integer dtype, in
/// its range), or numpy's error in its words (`Python integer 300 out of bounds for uint8`).
pub fn numpy_number(value: &Value, dtype: &str) -> Result<f64, String> {
    match np::cast(&py::Obj::Json(value), np::Dt::from_spec(dtype)) {
        Ok(py::Obj::Float(f)) => Ok(f),
        Ok(py::Obj::Int(i)) => Ok(i as f64),
        Ok(other) => Err(format!("{} is not a number for {dtype}", other.type_name())),
        Err(e) => Err(format!("{}: {}", e.kind, e.message)),
    }
}

/// The meaningful part of one of MLflow's messages, as the pre-flight shows it: the detail
/// after the Python reprs of the data and the schema, without the scoring-protocol notice or
/// the echoed body.
pub fn detail(message: &str) -> String {
    let mut text = message.trim();
    if text.starts_with("Failed to predict data")
        && let Some(i) = text.find("\nError: ")
    {
        text = text[i + "\nError: ".len()..].trim();
    }
    if text.starts_with("Failed to enforce schema of data")
        && let Some(schema) = text.find(" with schema '")
        && let Some(i) = text[schema..].find("'. Error: ")
    {
        text = text[schema + i + "'. Error: ".len()..].trim();
    }
    if let Some(i) = text.find("IMPORTANT: The MLflow Model scoring protocol has changed") {
        text = text[..i].trim();
    }
    if let Some(i) = text.find("\nInput: \n") {
        text = text[..i].trim();
    }
    text.to_string()
}

/// Names a JSON label the way MLflow prints it in lists (`'x'`, `0`).
pub fn label_repr(v: &Value) -> String {
    json_repr(v)
}
