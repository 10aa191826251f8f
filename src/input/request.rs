//! A request on its way from its source to a backend ([`Request`]): typed tensors with their
//! params, or a JSON body. JSON is written from it only at the edge, streamed, in the form the
//! server takes: MLflow's scoring server (`/invocations`) or Azure ML's (`/score` with
//! `input_data`); the view gets a pretty excerpt with long arrays elided.

use std::io::Write;

use serde_json::{Map, Value, json};

use super::tensor::Tensor;

/// The tensors a typed request carries.
#[derive(Debug, Clone, PartialEq)]
pub enum Tensors {
    /// One unnamed tensor: `{"inputs": [...]}`.
    One(Tensor),
    /// Named tensors, in signature order: `{"inputs": {"name": [...], ...}}`.
    Named(Vec<(String, Tensor)>),
}

impl Tensors {
    /// The tensors with their names (`None` for the unnamed one).
    pub fn iter(&self) -> Vec<(Option<&str>, &Tensor)> {
        match self {
            Tensors::One(t) => vec![(None, t)],
            Tensors::Named(ts) => ts.iter().map(|(n, t)| (Some(n.as_str()), t)).collect(),
        }
    }
}

/// A request: what the model is sent, from where it was made to the backend.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// Typed tensors (from images, `.npy` files, a fill, or a JSON request of numbers) and
    /// params; written as `{"inputs": ..., "params": ...}`.
    Tensors {
        /// The tensors, each in standard layout.
        tensors: Tensors,
        /// Inference params (not written when empty).
        params: Option<Map<String, Value>>,
    },
    /// Any other body, as JSON: frames, the input example, a request of another form.
    Json(Value),
}

/// A writer that counts bytes (and hashes them), for sizes and fingerprints without the text.
struct Counter {
    bytes: usize,
    hash: u64,
}

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.bytes += buf.len();
        for b in buf {
            self.hash = (self.hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Bodies under this many bytes of compact JSON are written pretty for a person to read.
pub const PRETTY_LIMIT: usize = 64_000;

impl Request {
    /// A typed request, its tensors brought to standard layout.
    pub fn tensors(tensors: Tensors, params: Option<Map<String, Value>>) -> Self {
        let tensors = match tensors {
            Tensors::One(t) => Tensors::One(t.standard()),
            Tensors::Named(ts) => {
                Tensors::Named(ts.into_iter().map(|(n, t)| (n, t.standard())).collect())
            }
        };
        Request::Tensors { tensors, params }
    }

    /// Reads a JSON request text: `{"inputs": ...}` whose inputs are nested lists of one kind
    /// of number (or a dict of them), with optional `params`, becomes typed tensors in one pass;
    /// any other body is read as JSON values (bare `NaN`/`Infinity` read as `null`, as MLflow
    /// writes them).
    pub fn parse(text: &str) -> Result<Self, serde_json::Error> {
        if let Some(typed) = parse_typed(text) {
            return Ok(typed);
        }
        crate::model::lenient_json::parse(text).map(|(v, _)| Request::Json(v))
    }

    /// The request with `params` added (they replace its own where both give one).
    pub fn with_params(self, extra: Option<&Map<String, Value>>) -> Self {
        let Some(extra) = extra else { return self };
        match self {
            Request::Tensors { tensors, params } => {
                let mut merged = params.unwrap_or_default();
                merged.extend(extra.clone());
                Request::Tensors {
                    tensors,
                    params: Some(merged),
                }
            }
            Request::Json(mut body) => {
                if let Value::Object(map) = &mut body {
                    let merged = match map.get("params") {
                        Some(Value::Object(existing)) => {
                            let mut m = existing.clone();
                            m.extend(extra.clone());
                            m
                        }
                        _ => extra.clone(),
                    };
                    map.insert("params".into(), Value::Object(merged));
                }
                Request::Json(body)
            }
        }
    }

    /// The request with each typed tensor cast to its signature's dtype, as MLflow's parsing
    /// casts it before the model gets it (`Tensor::cast_to`): for a backend in this process,
    /// which then lends the tensors as they are on every run instead of converting them each
    /// time. `None` when nothing changes (a JSON body, tensors already of their dtypes, no
    /// tensor signature). Only for a request MLflow's checks accepted; a body sent to a server
    /// is the request itself.
    pub fn cast_to_signature(&self, schema: &crate::model::signature::Schema) -> Option<Request> {
        let Request::Tensors { tensors, params } = self else {
            return None;
        };
        if !schema.is_tensor() {
            return None;
        }
        let specs = schema.tensors();
        let dtype_of = |name: Option<&str>| {
            specs
                .iter()
                .find(|s| s.name.as_deref() == name || (name.is_none() && specs.len() == 1))
                .map(|s| s.dtype.as_str())
        };
        let mut changed = false;
        let mut cast =
            |name: Option<&str>, t: &Tensor| match dtype_of(name).and_then(|d| t.cast_to(d)) {
                Some(c) => {
                    changed = true;
                    c
                }
                None => t.clone(),
            };
        let tensors = match tensors {
            Tensors::One(t) => Tensors::One(cast(None, t)),
            Tensors::Named(ts) => Tensors::Named(
                ts.iter()
                    .map(|(n, t)| (n.clone(), cast(Some(n), t)))
                    .collect(),
            ),
        };
        changed.then(|| Request::Tensors {
            tensors,
            params: params.clone(),
        })
    }

    /// The params the request carries.
    pub fn params(&self) -> Option<&Map<String, Value>> {
        match self {
            Request::Tensors { params, .. } => params.as_ref(),
            Request::Json(body) => body.get("params").and_then(Value::as_object),
        }
    }

    /// Writes the body as compact JSON in `format`, streamed from the tensors.
    pub fn write_json(&self, format: BodyFormat, out: &mut impl Write) -> std::io::Result<()> {
        match self {
            Request::Json(body) => match format {
                BodyFormat::Mlflow => serde_json::to_writer(out, body),
                BodyFormat::AzureMl => serde_json::to_writer(out, &mlflow_to_azure(body)),
            }
            .map_err(std::io::Error::from),
            Request::Tensors { tensors, params } => {
                out.write_all(match format {
                    BodyFormat::Mlflow => b"{\"inputs\":",
                    BodyFormat::AzureMl => b"{\"input_data\":",
                })?;
                match tensors {
                    Tensors::One(t) => t.write_json(out)?,
                    Tensors::Named(ts) => {
                        out.write_all(b"{")?;
                        for (i, (name, t)) in ts.iter().enumerate() {
                            if i > 0 {
                                out.write_all(b",")?;
                            }
                            serde_json::to_writer(&mut *out, name)?;
                            out.write_all(b":")?;
                            t.write_json(out)?;
                        }
                        out.write_all(b"}")?;
                    }
                }
                if let Some(p) = params.as_ref().filter(|p| !p.is_empty()) {
                    out.write_all(b",\"params\":")?;
                    serde_json::to_writer(&mut *out, p)?;
                }
                out.write_all(b"}")
            }
        }
    }

    /// The body as compact JSON bytes.
    pub fn to_json_bytes(&self, format: BodyFormat) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.json_len(format));
        // Writing to a Vec cannot fail.
        let _ = self.write_json(format, &mut out);
        out
    }

    /// The body as compact JSON text.
    pub fn to_json_string(&self, format: BodyFormat) -> String {
        String::from_utf8(self.to_json_bytes(format)).unwrap_or_default()
    }

    /// The body as a JSON value (for small requests and tests; large ones are written).
    pub fn to_value(&self, format: BodyFormat) -> Value {
        match (self, format) {
            (Request::Json(body), BodyFormat::Mlflow) => body.clone(),
            (Request::Json(body), BodyFormat::AzureMl) => mlflow_to_azure(body),
            (Request::Tensors { tensors, params }, _) => {
                let inputs = match tensors {
                    Tensors::One(t) => t.to_value(),
                    Tensors::Named(ts) => {
                        Value::Object(ts.iter().map(|(n, t)| (n.clone(), t.to_value())).collect())
                    }
                };
                tensor_body(inputs, params.as_ref(), format)
            }
        }
    }

    /// The size of the compact JSON body, counted without writing it.
    pub fn json_len(&self, format: BodyFormat) -> usize {
        self.count(format).bytes
    }

    fn count(&self, format: BodyFormat) -> Counter {
        let mut counter = Counter {
            bytes: 0,
            hash: 0xcbf2_9ce4_8422_2325,
        };
        let _ = self.write_json(format, &mut counter);
        counter
    }

    /// A short fingerprint of the body (six hex digits of FNV-1a over its compact MLflow
    /// JSON, the same as [`crate::predict::answer::fingerprint`] of its value), streamed.
    pub fn fingerprint(&self) -> String {
        format!("{:06x}", self.count(BodyFormat::Mlflow).hash >> 40)
    }

    /// Writes the body for a person: pretty when it is small, compact (one line) when it is
    /// large (a 300x300 image is 270,000 numbers), streamed.
    pub fn write_readable(&self, format: BodyFormat, out: &mut impl Write) -> std::io::Result<()> {
        if self.json_len(format) < PRETTY_LIMIT {
            serde_json::to_writer_pretty(out, &self.to_value(format)).map_err(std::io::Error::from)
        } else {
            self.write_json(format, out)
        }
    }

    /// Pretty JSON for the view: lists longer than `max_items` show their first items and a
    /// count of the rest, made from the tensors without writing them whole.
    pub fn view(&self, max_items: usize) -> String {
        match self {
            Request::Json(body) => pretty_elided(body, max_items),
            Request::Tensors { tensors, params } => {
                let inputs = match tensors {
                    Tensors::One(t) => t.excerpt(max_items),
                    Tensors::Named(ts) => Value::Object(
                        ts.iter()
                            .map(|(n, t)| (n.clone(), t.excerpt(max_items)))
                            .collect(),
                    ),
                };
                let body = tensor_body(inputs, params.as_ref(), BodyFormat::Mlflow);
                pretty_elided(&body, max_items)
            }
        }
    }

    /// The first `n` scalars of the inputs as they read in JSON: `5.1, 3.5, 1.4, …`.
    pub fn first_values(&self, n: usize) -> String {
        match self {
            Request::Json(body) => crate::predict::answer::first_values(body, n),
            Request::Tensors { tensors, params } => {
                // Each tensor's first n + 1 values stand for it: enough to know whether more
                // follow.
                let firsts = |t: &Tensor| match t.flat() {
                    Some(flat) => {
                        Value::Array((0..flat.len().min(n + 1)).map(|i| flat.json(i)).collect())
                    }
                    None => Value::Null,
                };
                let inputs = match tensors {
                    Tensors::One(t) => firsts(t),
                    Tensors::Named(ts) => {
                        Value::Object(ts.iter().map(|(k, t)| (k.clone(), firsts(t))).collect())
                    }
                };
                let body = tensor_body(inputs, params.as_ref(), BodyFormat::Mlflow);
                crate::predict::answer::first_values(&body, n)
            }
        }
    }
}

/// `{"inputs": inputs, "params": ...}` in `format`.
fn tensor_body(inputs: Value, params: Option<&Map<String, Value>>, format: BodyFormat) -> Value {
    let mut out = Map::new();
    let key = match format {
        BodyFormat::Mlflow => "inputs",
        BodyFormat::AzureMl => "input_data",
    };
    out.insert(key.into(), inputs);
    if let Some(p) = params.filter(|p| !p.is_empty()) {
        out.insert("params".into(), Value::Object(p.clone()));
    }
    Value::Object(out)
}

/// The typed reading of a request text, when it is one (see [`Request::parse`]).
fn parse_typed(text: &str) -> Option<Request> {
    use serde::de::{DeserializeSeed, Error, MapAccess, Visitor};
    use std::fmt;

    struct Inputs;
    impl<'de> DeserializeSeed<'de> for Inputs {
        type Value = Tensors;
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Tensors, D::Error> {
            d.deserialize_any(self)
        }
    }
    impl<'de> Visitor<'de> for Inputs {
        type Value = Tensors;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("tensors")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Tensors, A::Error> {
            super::tensor::tensor_from_seq(seq).map(Tensors::One)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tensors, A::Error> {
            let mut named: Vec<(String, Tensor)> = Vec::new();
            while let Some(name) = map.next_key::<String>()? {
                if named.iter().any(|(n, _)| *n == name) {
                    return Err(A::Error::custom("a name twice"));
                }
                let t = map.next_value_seed(super::tensor::TensorSeed)?;
                named.push((name, t));
            }
            if named.is_empty() {
                return Err(A::Error::custom("no tensors"));
            }
            Ok(Tensors::Named(named))
        }
    }

    struct Body;
    impl<'de> Visitor<'de> for Body {
        type Value = Request;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a request of tensors")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Request, A::Error> {
            let (mut tensors, mut params) = (None, None);
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                match key.as_ref() {
                    "inputs" if tensors.is_none() => tensors = Some(map.next_value_seed(Inputs)?),
                    "params" if params.is_none() => match map.next_value::<Value>()? {
                        Value::Object(p) => params = Some(p),
                        _ => return Err(A::Error::custom("params not an object")),
                    },
                    _ => return Err(A::Error::custom("another key")),
                }
            }
            let tensors = tensors.ok_or_else(|| A::Error::custom("no inputs"))?;
            Ok(Request::Tensors { tensors, params })
        }
    }
    impl<'de> DeserializeSeed<'de> for Body {
        type Value = Request;
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Request, D::Error> {
            d.deserialize_map(self)
        }
    }

    let mut de = serde_json::Deserializer::from_str(text);
    let request = Body.deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(request)
}

/// What a JSON body is made from.
#[derive(Debug, Clone, PartialEq)]
pub enum Inputs {
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

/// Builds the request body.
pub fn body(inputs: &Inputs, params: Option<&Map<String, Value>>, format: BodyFormat) -> Value {
    let mut out = Map::new();
    match inputs {
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
    fn a_json_request_is_cast_to_its_signatures_dtypes_once() {
        let schema = crate::model::signature::parse_schema(&json!([
            {"name": "img", "type": "tensor", "tensor-spec": {"dtype": "uint8", "shape": [-1, 2]}},
            {"name": "x", "type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 2]}}
        ]))
        .unwrap();
        // JSON numbers are read as int64 and float64.
        let request =
            Request::parse(r#"{"inputs": {"img": [[174, 2]], "x": [[1.5, 2.25]]}}"#).unwrap();
        let cast = request.cast_to_signature(&schema).expect("both change");
        let Request::Tensors {
            tensors: Tensors::Named(ts),
            ..
        } = &cast
        else {
            panic!("{cast:?}")
        };
        assert_eq!(ts[0].1.dtype(), "uint8");
        assert_eq!(ts[1].1.dtype(), "float32");
        // The values MLflow's cast gives, and nothing to do a second time.
        assert_eq!(
            cast.to_value(BodyFormat::Mlflow),
            json!({"inputs": {"img": [[174, 2]], "x": [[1.5, 2.25]]}})
        );
        assert!(cast.cast_to_signature(&schema).is_none());
        // A fraction for uint8 is dropped, as numpy drops it.
        let request = Request::parse(r#"{"inputs": {"img": [[174.6, 2.0]], "x": [[1, 2]]}}"#)
            .unwrap()
            .cast_to_signature(&schema)
            .unwrap();
        assert_eq!(
            request.to_value(BodyFormat::Mlflow)["inputs"]["img"],
            json!([[174, 2]])
        );
    }

    #[test]
    fn tensors_frames_and_params_take_mlflows_keys() {
        let t = Tensor::U8(ArrayD::from_shape_vec(IxDyn(&[1, 2, 2]), vec![1, 2, 3, 4]).unwrap());
        let one = Request::tensors(Tensors::One(t.clone()), None);
        assert_eq!(
            one.to_value(BodyFormat::Mlflow),
            json!({"inputs": [[[1, 2], [3, 4]]]})
        );
        assert_eq!(
            one.to_value(BodyFormat::AzureMl),
            json!({"input_data": [[[1, 2], [3, 4]]]})
        );
        let f = Tensor::F32(ArrayD::from_shape_vec(IxDyn(&[2]), vec![0.5, 1.0]).unwrap());
        let mut params = Map::new();
        params.insert("temperature".into(), json!(0.2));
        let named = Request::tensors(
            Tensors::Named(vec![("img".into(), t), ("w".into(), f)]),
            Some(params.clone()),
        );
        assert_eq!(
            named.to_value(BodyFormat::Mlflow),
            json!({"inputs": {"img": [[[1, 2], [3, 4]]], "w": [0.5, 1.0]}, "params": {"temperature": 0.2}})
        );
        let frame = Inputs::Frame {
            columns: vec!["a".into(), "b".into()],
            rows: vec![vec![json!(1.0), json!("x")]],
        };
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
    fn a_json_request_of_numbers_is_read_typed_and_written_back_the_same() {
        for text in [
            r#"{"inputs":[[1,2,3],[4,5,6]]}"#,
            r#"{"inputs":[[0.5,1.25],[3.0,-2.5]]}"#,
            r#"{"inputs":{"a":[[1],[2]],"b":[true,false]},"params":{"k":3}}"#,
        ] {
            let request = Request::parse(text).unwrap();
            assert!(
                matches!(request, Request::Tensors { .. }),
                "{text} reads as typed tensors"
            );
            assert_eq!(request.to_json_string(BodyFormat::Mlflow), text);
            let value: Value = serde_json::from_str(text).unwrap();
            assert_eq!(request.to_value(BodyFormat::Mlflow), value);
            assert_eq!(
                request.fingerprint(),
                crate::predict::answer::fingerprint(&value)
            );
            assert_eq!(
                request.json_len(BodyFormat::Mlflow),
                text.len(),
                "the size is the text's"
            );
        }
        // Anything else stays JSON, as it was written.
        for text in [
            r#"{"inputs":[[1,2],[3]]}"#,
            r#"{"inputs":[1,2.5]}"#,
            r#"{"inputs":["a","b"]}"#,
            r#"{"dataframe_split":{"columns":["a"],"data":[[1]]}}"#,
            r#"{"inputs":[1,2],"extra":1}"#,
        ] {
            let request = Request::parse(text).unwrap();
            let value: Value = serde_json::from_str(text).unwrap();
            assert_eq!(request, Request::Json(value), "{text}");
        }
    }

    #[test]
    fn params_join_a_request_of_either_form() {
        let mut extra = Map::new();
        extra.insert("k".into(), json!(2));
        let typed = Request::parse(r#"{"inputs":[1,2],"params":{"k":1,"j":0}}"#)
            .unwrap()
            .with_params(Some(&extra));
        assert_eq!(
            typed.to_value(BodyFormat::Mlflow),
            json!({"inputs": [1, 2], "params": {"k": 2, "j": 0}})
        );
        let frame = Request::parse(r#"{"dataframe_records":[{"a":1}]}"#)
            .unwrap()
            .with_params(Some(&extra));
        assert_eq!(frame.params(), Some(&extra));
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
