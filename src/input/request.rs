//! The request body MLflow's scoring server takes (`/invocations`), or Azure ML's form
//! (`/score` with `input_data`), built from inputs; pretty-printed with long arrays elided for
//! the view while the body itself stays whole.

use serde_json::{Map, Value, json};

use super::image::Tensor;

/// What the model receives.
#[derive(Debug, Clone, PartialEq)]
pub enum Inputs {
    /// One unnamed tensor.
    Tensor(Tensor),
    /// Named tensors, in signature order.
    NamedTensors(Vec<(String, Tensor)>),
    /// A frame: column names and rows of JSON cells.
    Frame {
        /// Column names (empty for unnamed columns).
        columns: Vec<String>,
        /// Rows, each a cell per column.
        rows: Vec<Vec<Value>>,
    },
    /// Any JSON value, sent as `inputs` unchanged.
    Json(Value),
}

/// Which server the body is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    /// MLflow's scoring server: `inputs`, `dataframe_split`, plus `params`.
    Mlflow,
    /// Azure ML's MLflow deployments: `{"input_data": ..., "params": ...}`.
    AzureMl,
}

/// A tensor as nested JSON lists (floats stay floats, as numpy's `tolist()` gives them).
pub fn tensor_json(tensor: &Tensor) -> Value {
    fn nest<T: Copy>(shape: &[usize], values: &[T], to: &impl Fn(T) -> Value) -> Value {
        match shape.split_first() {
            None => values.first().map(|v| to(*v)).unwrap_or(Value::Null),
            Some((&n, rest)) => {
                let stride: usize = rest.iter().product();
                Value::Array(
                    (0..n)
                        .map(|i| {
                            nest(
                                rest,
                                values.get(i * stride..(i + 1) * stride).unwrap_or(&[]),
                                to,
                            )
                        })
                        .collect(),
                )
            }
        }
    }
    let float = |v: f64| {
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    };
    match tensor {
        Tensor::U8(a) => {
            let v: Vec<u8> = a.iter().copied().collect();
            nest(a.shape(), &v, &|x| Value::Number(x.into()))
        }
        Tensor::I64(a, _) => {
            let v: Vec<i64> = a.iter().copied().collect();
            nest(a.shape(), &v, &|x| Value::Number(x.into()))
        }
        Tensor::F32(a) => {
            let v: Vec<f32> = a.iter().copied().collect();
            nest(a.shape(), &v, &|x| float(x as f64))
        }
        Tensor::F64(a) => {
            let v: Vec<f64> = a.iter().copied().collect();
            nest(a.shape(), &v, &|x| float(x))
        }
        Tensor::Bool(a) => {
            let v: Vec<bool> = a.iter().copied().collect();
            nest(a.shape(), &v, &Value::Bool)
        }
    }
}

/// Builds the request body.
pub fn body(inputs: &Inputs, params: Option<&Map<String, Value>>, format: BodyFormat) -> Value {
    let mut out = Map::new();
    match inputs {
        Inputs::Tensor(t) => {
            out.insert("inputs".into(), tensor_json(t));
        }
        Inputs::NamedTensors(ts) => {
            let named: Map<String, Value> = ts
                .iter()
                .map(|(n, t)| (n.clone(), tensor_json(t)))
                .collect();
            out.insert("inputs".into(), Value::Object(named));
        }
        Inputs::Frame { columns, rows } => {
            let mut split = Map::new();
            if !columns.is_empty() {
                split.insert("columns".into(), json!(columns));
            }
            split.insert("data".into(), json!(rows));
            out.insert("dataframe_split".into(), Value::Object(split));
        }
        Inputs::Json(v) => {
            out.insert("inputs".into(), v.clone());
        }
    }
    if let Some(p) = params
        && !p.is_empty()
    {
        out.insert("params".into(), Value::Object(p.clone()));
    }
    let body = Value::Object(out);
    match format {
        BodyFormat::Mlflow => body,
        BodyFormat::AzureMl => mlflow_to_azure(&body),
    }
}

/// The Azure ML form (`{"input_data": ..., "params": ...}`) of an MLflow body.
pub fn mlflow_to_azure(body: &Value) -> Value {
    let mut out = Map::new();
    if let Value::Object(map) = body {
        if let Some(v) = map.get("inputs").or_else(|| map.get("instances")) {
            out.insert("input_data".into(), v.clone());
        } else if let Some(Value::Object(split)) = map.get("dataframe_split") {
            let rows = split
                .get("data")
                .and_then(Value::as_array)
                .map(Vec::len)
                .unwrap_or(0);
            let mut frame = Map::new();
            frame.insert(
                "columns".into(),
                split.get("columns").cloned().unwrap_or(json!([])),
            );
            frame.insert(
                "index".into(),
                split
                    .get("index")
                    .cloned()
                    .unwrap_or_else(|| json!((0..rows).collect::<Vec<_>>())),
            );
            frame.insert(
                "data".into(),
                split.get("data").cloned().unwrap_or(json!([])),
            );
            out.insert("input_data".into(), Value::Object(frame));
        } else if let Some(Value::Array(records)) = map.get("dataframe_records") {
            let (columns, data) = crate::model::example::records_to_rows(records);
            let index: Vec<usize> = (0..records.len()).collect();
            out.insert(
                "input_data".into(),
                json!({"columns": columns, "index": index, "data": data}),
            );
        }
        if let Some(p) = map.get("params") {
            out.insert("params".into(), p.clone());
        }
    }
    Value::Object(out)
}

/// `instances` / `inputs` given as a list of row objects become an object of columns, as
/// MLflow transposes them; anything else is returned as it is.
pub fn rows_to_columns(data: &Value) -> std::borrow::Cow<'_, Value> {
    match data {
        Value::Array(rows) if !rows.is_empty() && rows.iter().all(Value::is_object) => {
            let mut columns: Map<String, Value> = Map::new();
            for row in rows {
                if let Value::Object(row) = row {
                    for (k, v) in row {
                        if let Value::Array(col) = columns
                            .entry(k.clone())
                            .or_insert_with(|| Value::Array(Vec::new()))
                        {
                            col.push(v.clone());
                        }
                    }
                }
            }
            std::borrow::Cow::Owned(Value::Object(columns))
        }
        other => std::borrow::Cow::Borrowed(other),
    }
}

/// Pretty JSON for the view: arrays longer than `max_items` show their first items and a
/// count of the rest. The body sent or copied is never elided.
pub fn pretty_elided(value: &Value, max_items: usize) -> String {
    fn elide(value: &Value, max: usize) -> Value {
        match value {
            Value::Array(items) if items.len() > max => {
                let mut out: Vec<Value> = items.iter().take(max).map(|v| elide(v, max)).collect();
                out.push(Value::String(format!("… {} more", items.len() - max)));
                Value::Array(out)
            }
            Value::Array(items) => Value::Array(items.iter().map(|v| elide(v, max)).collect()),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), elide(v, max)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    serde_json::to_string_pretty(&elide(value, max_items)).unwrap_or_default()
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// `curl` sending the body saved as `body_file` to `url`.
pub fn curl_command(url: &str, body_file: &str) -> String {
    format!(
        "curl -X POST {} -H 'Content-Type: application/json' --data @{}",
        shell_quote(url),
        shell_quote(body_file)
    )
}

/// Python with `requests`, reading the body from `body_file`.
pub fn python_requests(url: &str, body_file: &str) -> String {
    format!(
        "import json\nimport requests\n\nwith open({body_file:?}) as f:\n    body = json.load(f)\nresponse = requests.post({url:?}, json=body, timeout=60)\nresponse.raise_for_status()\nprint(response.json())\n"
    )
}

/// Python with `mlflow.models.predict` on the model folder.
pub fn python_mlflow_predict(model: &str, body_file: &str) -> String {
    format!(
        "import mlflow\n\nmlflow.models.predict(\n    model_uri={model:?},\n    input_path={body_file:?},\n    content_type=\"json\",\n    env_manager=\"local\",\n)\n"
    )
}

/// The `mlflow models predict` command for the body saved as `body_file`.
pub fn mlflow_cli_predict(model: &str, body_file: &str) -> String {
    format!(
        "mlflow models predict -m {} -i {} -t json --env-manager local",
        shell_quote(model),
        shell_quote(body_file)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{ArrayD, IxDyn};

    #[test]
    fn tensors_frames_and_params_take_mlflows_keys() {
        let t = Tensor::U8(ArrayD::from_shape_vec(IxDyn(&[1, 2, 2]), vec![1, 2, 3, 4]).unwrap());
        assert_eq!(
            body(&Inputs::Tensor(t.clone()), None, BodyFormat::Mlflow),
            json!({"inputs": [[[1, 2], [3, 4]]]})
        );
        let f = Tensor::F32(ArrayD::from_shape_vec(IxDyn(&[2]), vec![0.5, 1.0]).unwrap());
        let named = Inputs::NamedTensors(vec![("img".into(), t), ("w".into(), f)]);
        assert_eq!(
            body(&named, None, BodyFormat::Mlflow),
            json!({"inputs": {"img": [[[1, 2], [3, 4]]], "w": [0.5, 1.0]}})
        );
        let frame = Inputs::Frame {
            columns: vec!["a".into(), "b".into()],
            rows: vec![vec![json!(1.0), json!("x")]],
        };
        let mut params = Map::new();
        params.insert("temperature".into(), json!(0.2));
        assert_eq!(
            body(&frame, Some(&params), BodyFormat::Mlflow),
            json!({"dataframe_split": {"columns": ["a", "b"], "data": [[1.0, "x"]]}, "params": {"temperature": 0.2}})
        );
        assert_eq!(
            body(&frame, None, BodyFormat::AzureMl),
            json!({"input_data": {"columns": ["a", "b"], "index": [0], "data": [[1.0, "x"]]}})
        );
    }

    #[test]
    fn azure_form_of_mlflow_bodies() {
        assert_eq!(
            mlflow_to_azure(
                &json!({"dataframe_split": {"columns": ["a"], "data": [[1], [2]]}, "params": {"k": 1}})
            ),
            json!({"input_data": {"columns": ["a"], "index": [0, 1], "data": [[1], [2]]}, "params": {"k": 1}})
        );
        assert_eq!(
            mlflow_to_azure(&json!({"inputs": [[1]]})),
            json!({"input_data": [[1]]})
        );
        assert_eq!(
            mlflow_to_azure(&json!({"dataframe_records": [{"a": 1}, {"b": 2}]})),
            json!({"input_data": {"columns": ["a", "b"], "index": [0, 1], "data": [[1, null], [null, 2]]}})
        );
    }

    #[test]
    fn the_view_elides_long_arrays_but_the_body_is_whole() {
        let v = json!({"inputs": (0..100).collect::<Vec<_>>()});
        let text = pretty_elided(&v, 3);
        assert!(text.contains("\"… 97 more\""));
        assert_eq!(v["inputs"].as_array().unwrap().len(), 100);
    }

    #[test]
    fn snippets_quote_for_the_shell() {
        assert_eq!(
            curl_command("http://127.0.0.1:5000/invocations", "it's.json"),
            "curl -X POST 'http://127.0.0.1:5000/invocations' -H 'Content-Type: application/json' --data @'it'\\''s.json'"
        );
        assert!(
            mlflow_cli_predict("m", "b.json")
                .starts_with("mlflow models predict -m 'm' -i 'b.json' -t json")
        );
    }
}
