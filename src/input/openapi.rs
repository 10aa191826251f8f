//! An OpenAPI 3.1 document for the model's scoring endpoint (`mlflow models serve`), built from
//! the signature: the request forms `/invocations` takes for these inputs, the params, the
//! response, and MLflow's error shape.

use serde_json::{Map, Value, json};

use crate::model::ModelCard;
use crate::model::signature::{ColType, DataType, ParamSpec, ParamType, Schema, Spec, TensorSpec};

fn scalar_schema(dt: DataType) -> Value {
    match dt {
        DataType::Boolean => json!({"type": "boolean"}),
        DataType::Integer => json!({"type": "integer", "format": "int32"}),
        DataType::Long => json!({"type": "integer", "format": "int64"}),
        DataType::Float => json!({"type": "number", "format": "float"}),
        DataType::Double => json!({"type": "number", "format": "double"}),
        DataType::String => json!({"type": "string"}),
        DataType::Binary => json!({"type": "string", "contentEncoding": "base64"}),
        DataType::Datetime => json!({"type": "string", "format": "date-time"}),
    }
}

/// JSON Schema of a column type.
pub fn col_type_schema(ty: &ColType) -> Value {
    match ty {
        ColType::Scalar(dt) => scalar_schema(*dt),
        ColType::Array(items) => json!({"type": "array", "items": col_type_schema(items)}),
        ColType::Map(values) => {
            json!({"type": "object", "additionalProperties": col_type_schema(values)})
        }
        ColType::Object(props) => {
            let properties: Map<String, Value> = props
                .iter()
                .map(|p| (p.name.clone(), col_type_schema(&p.ty)))
                .collect();
            let required: Vec<&str> = props
                .iter()
                .filter(|p| p.required.unwrap_or(false))
                .map(|p| p.name.as_str())
                .collect();
            json!({"type": "object", "properties": properties, "required": required, "additionalProperties": false})
        }
        ColType::Any => json!({}),
        ColType::SparkMlVector => {
            json!({"type": "array", "items": {"type": "number", "format": "double"}})
        }
    }
}

fn dtype_schema(dtype: &str) -> Value {
    let int = |min: i128, max: i128| json!({"type": "integer", "minimum": min, "maximum": max});
    match dtype {
        "bool" => json!({"type": "boolean"}),
        "uint8" => int(0, 255),
        "int8" => int(-128, 127),
        "uint16" => int(0, 65_535),
        "int16" => int(-32_768, 32_767),
        "uint32" => int(0, u32::MAX as i128),
        "int32" => json!({"type": "integer", "format": "int32"}),
        "int64" | "uint64" => json!({"type": "integer", "format": "int64"}),
        "float16" | "float32" => json!({"type": "number", "format": "float"}),
        "float64" | "float128" => json!({"type": "number", "format": "double"}),
        "str" | "bytes" => json!({"type": "string"}),
        _ => json!({}),
    }
}

/// JSON Schema of a tensor as nested lists, with fixed dimensions as exact lengths.
pub fn tensor_schema(spec: &TensorSpec) -> Value {
    let mut schema = dtype_schema(&spec.dtype);
    for dim in spec.shape.iter().rev() {
        let mut array = json!({"type": "array", "items": schema});
        if *dim >= 0
            && let Some(obj) = array.as_object_mut()
        {
            obj.insert("minItems".into(), json!(dim));
            obj.insert("maxItems".into(), json!(dim));
        }
        schema = array;
    }
    schema
}

fn inputs_schema(schema: &Schema) -> Value {
    if schema.is_tensor() {
        let tensors: Vec<&TensorSpec> = schema.tensors();
        let inputs = match (schema.has_names(), tensors.as_slice()) {
            (false, [one]) => tensor_schema(one),
            _ => {
                let properties: Map<String, Value> = tensors
                    .iter()
                    .filter_map(|t| t.name.clone().map(|n| (n, tensor_schema(t))))
                    .collect();
                let required: Vec<&String> = properties.keys().collect();
                json!({"type": "object", "properties": properties, "required": required})
            }
        };
        return json!({
            "type": "object",
            "required": ["inputs"],
            "properties": {"inputs": inputs},
        });
    }
    let cols: Vec<(String, &ColType, bool)> = schema
        .specs
        .iter()
        .enumerate()
        .filter_map(|(i, s)| match s {
            Spec::Column(c) => Some((
                c.name.clone().unwrap_or_else(|| i.to_string()),
                &c.ty,
                c.is_required(),
            )),
            Spec::Tensor(_) => None,
        })
        .collect();
    // MLflow takes null for a missing value in every column but a required integer one.
    let cell = |ty: &ColType, required: bool| {
        let schema = col_type_schema(ty);
        let integer = matches!(ty, ColType::Scalar(DataType::Integer | DataType::Long));
        if required && integer {
            schema
        } else {
            json!({"anyOf": [schema, {"type": "null"}]})
        }
    };
    let record_props: Map<String, Value> = cols
        .iter()
        .map(|(n, ty, r)| (n.clone(), cell(ty, *r)))
        .collect();
    let required: Vec<&String> = cols
        .iter()
        .filter(|(_, _, r)| *r)
        .map(|(n, _, _)| n)
        .collect();
    let names: Vec<&String> = cols.iter().map(|(n, _, _)| n).collect();
    let cells: Vec<Value> = cols.iter().map(|(_, ty, r)| cell(ty, *r)).collect();
    // `{"inputs": {column: value or list of values}}` (TF-serving columnar), or rows.
    let inputs_props: Map<String, Value> = cols
        .iter()
        .map(|(n, ty, r)| {
            let one = cell(ty, *r);
            (
                n.clone(),
                json!({"anyOf": [one.clone(), {"type": "array", "items": one}]}),
            )
        })
        .collect();
    json!({
        "oneOf": [
            {
                "type": "object",
                "required": ["dataframe_split"],
                "properties": {"dataframe_split": {
                    "type": "object",
                    "required": ["data"],
                    "properties": {
                        "columns": {"type": "array", "items": {"type": "string", "enum": names}},
                        "index": {"type": "array", "items": {"type": "integer"}},
                        "data": {"type": "array", "items": {"type": "array", "prefixItems": cells}}
                    },
                    "additionalProperties": false
                }}
            },
            {
                "type": "object",
                "required": ["inputs"],
                "properties": {"inputs": {"anyOf": [
                    {"type": "object", "properties": inputs_props},
                    {"type": "array"}
                ]}}
            },
            {
                "type": "object",
                "required": ["dataframe_records"],
                "properties": {"dataframe_records": {
                    "type": "array",
                    "items": {"type": "object", "properties": record_props, "required": required}
                }}
            }
        ]
    })
}

fn params_schema(params: &[ParamSpec]) -> Value {
    let properties: Map<String, Value> = params
        .iter()
        .map(|p| {
            let base = match &p.ty {
                ParamType::Scalar(dt) => scalar_schema(*dt),
                ParamType::Object(props) => col_type_schema(&ColType::Object(props.clone())),
            };
            let mut schema = match p.shape {
                Some(_) => json!({"type": "array", "items": base}),
                None => base,
            };
            if let Some(obj) = schema.as_object_mut() {
                obj.insert("default".into(), p.default.clone());
            }
            (p.name.clone(), schema)
        })
        .collect();
    json!({"type": "object", "properties": properties})
}

fn outputs_schema(schema: Option<&Schema>) -> Value {
    match schema {
        None => json!({}),
        Some(s) if s.is_tensor() && !s.has_names() => match s.specs.first() {
            Some(Spec::Tensor(t)) => tensor_schema(t),
            _ => json!({}),
        },
        Some(s) if s.is_tensor() => {
            let properties: Map<String, Value> = s
                .specs
                .iter()
                .filter_map(|spec| match spec {
                    Spec::Tensor(t) => t.name.clone().map(|n| (n, tensor_schema(t))),
                    Spec::Column(_) => None,
                })
                .collect();
            json!({"type": "object", "properties": properties})
        }
        Some(s) => {
            let properties: Map<String, Value> = s
                .specs
                .iter()
                .enumerate()
                .filter_map(|(i, spec)| match spec {
                    Spec::Column(c) => Some((
                        c.name.clone().unwrap_or_else(|| i.to_string()),
                        col_type_schema(&c.ty),
                    )),
                    Spec::Tensor(_) => None,
                })
                .collect();
            json!({"type": "array", "items": {"anyOf": [{"type": "object", "properties": properties}, {}]}})
        }
    }
}

/// The OpenAPI 3.1 document of the scoring endpoint `mlflow models serve` gives this model.
pub fn openapi_document(card: &ModelCard) -> Value {
    let sig = card.signature.valid();
    let mut request = match sig.and_then(|s| s.inputs.as_ref()) {
        Some(schema) => inputs_schema(schema),
        None => {
            json!({"type": "object", "description": "The model has no signature: MLflow accepts any of inputs, instances, dataframe_split or dataframe_records unchecked."})
        }
    };
    if let Some(params) = sig.and_then(|s| s.params.as_deref())
        && let Some(obj) = request.as_object_mut()
    {
        let p = params_schema(params);
        match obj.get_mut("oneOf").and_then(Value::as_array_mut) {
            Some(variants) => {
                for v in variants {
                    if let Some(props) = v.get_mut("properties").and_then(Value::as_object_mut) {
                        props.insert("params".into(), p.clone());
                    }
                }
            }
            None => {
                if let Some(props) = obj.get_mut("properties").and_then(Value::as_object_mut) {
                    props.insert("params".into(), p);
                }
            }
        }
    }
    let mut media = json!({"schema": request});
    if let Some(Some(Ok(example))) = card
        .input_example
        .as_ref()
        .map(|e| e.serving_input.as_ref())
        && let Some(obj) = media.as_object_mut()
    {
        obj.insert("example".into(), example.clone());
    }
    let error = json!({
        "type": "object",
        "properties": {"error_code": {"type": "string"}, "message": {"type": "string"}, "stack_trace": {"type": "string"}},
        "required": ["error_code", "message"]
    });
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": format!("{} scoring endpoint", card.display_name()),
            "version": card.mlmodel.model_uuid.clone().or(card.mlmodel.model_id.clone()).unwrap_or_else(|| "1".into()),
            "description": format!("MLflow scoring server (`mlflow models serve`) for the model in {}, from its signature.", card.root.display()),
        },
        "paths": {
            "/invocations": {"post": {
                "summary": "Predict",
                "operationId": "invocations",
                "requestBody": {"required": true, "content": {"application/json": media}},
                "responses": {
                    "200": {"description": "Predictions", "content": {"application/json": {"schema": {
                        "type": "object", "required": ["predictions"],
                        "properties": {"predictions": outputs_schema(sig.and_then(|s| s.outputs.as_ref()))}
                    }}}},
                    "400": {"description": "The request does not match the model (MLflow's error)", "content": {"application/json": {"schema": error.clone()}}},
                    "415": {"description": "Unsupported content type", "content": {"text/plain": {"schema": {"type": "string"}}}},
                    "500": {"description": "The model failed", "content": {"application/json": {"schema": error}}}
                }
            }},
            "/ping": {"get": {"summary": "Health", "operationId": "ping", "responses": {"200": {"description": "The server is up"}}}},
            "/health": {"get": {"summary": "Health", "operationId": "health", "responses": {"200": {"description": "The server is up"}}}},
            "/version": {"get": {"summary": "MLflow version", "operationId": "version", "responses": {"200": {"description": "The MLflow version, as text", "content": {"text/plain": {"schema": {"type": "string"}}}}}}}
        }
    })
}
