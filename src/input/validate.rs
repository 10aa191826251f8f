//! Checks a request body against the model's signature the way MLflow's scoring server does:
//! first its lenient pre-cast (`np.array(value, dtype=spec.dtype)`), then `_enforce_schema`
//! (rank and fixed dimensions, missing inputs) and the params rules. Each problem names the
//! input and says how to fix it. Verdicts are tested against the scoring server's own answers
//! (tests/fixtures/validation_reference.py).

use serde_json::Value;

use crate::model::params::{enforce_type, looks_like_datetime, py_repr, py_type, validate_value};
use crate::model::signature::{
    ColSpec, ColType, DataType, ParamSpec, Schema, Signature, TensorSpec, shape_label,
};

/// The keys that carry inputs in a scoring request.
pub const FORMAT_KEYS: [&str; 4] = [
    "dataframe_split",
    "dataframe_records",
    "instances",
    "inputs",
];

/// One problem with a request, naming the input it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The input: `body`, `inputs`, a tensor name, or `params.<name>`.
    pub input: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.input, self.message)
    }
}

/// The validator's answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    /// What MLflow would refuse. Empty when the request would be accepted.
    pub problems: Vec<Problem>,
    /// What MLflow accepts with a warning (ignored params, extra inputs).
    pub notes: Vec<String>,
}

impl Verdict {
    /// Whether MLflow would accept the request.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }

    fn problem(&mut self, input: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            input: input.into(),
            message: message.into(),
        });
    }
}

/// Validates a JSON request body for `/invocations` against the signature (if any).
pub fn validate_body(signature: Option<&Signature>, body: &Value) -> Verdict {
    let mut verdict = Verdict::default();
    let Value::Object(map) = body else {
        verdict.problem(
            "body",
            format!(
                "must be a JSON object with exactly one of {}, found {}",
                FORMAT_KEYS.join(", "),
                py_type(body)
                    .replace("list", "a list")
                    .replace("dict", "an object")
            ),
        );
        return verdict;
    };
    // The unified LLM format is passed to the model unparsed.
    if ["messages", "prompt", "input"]
        .iter()
        .any(|k| map.contains_key(*k))
    {
        verdict
            .notes
            .push("chat-style body (messages/prompt/input): passed to the model as it is".into());
        return verdict;
    }
    let present: Vec<&str> = FORMAT_KEYS
        .iter()
        .copied()
        .filter(|k| map.contains_key(*k))
        .collect();
    let [format] = present.as_slice() else {
        let found = if present.is_empty() {
            let keys: Vec<&str> = map.keys().map(String::as_str).collect();
            format!(
                "found {}",
                if keys.is_empty() {
                    "no keys".to_string()
                } else {
                    keys.join(", ")
                }
            )
        } else {
            format!("found {}", present.join(" and "))
        };
        verdict.problem(
            "body",
            format!("needs exactly one of {} ({found})", FORMAT_KEYS.join(", ")),
        );
        return verdict;
    };
    let value = &map[*format];
    match signature.and_then(|s| s.inputs.as_ref()) {
        None => {}
        Some(schema) if schema.is_tensor() => check_tensors(schema, format, value, &mut verdict),
        Some(schema) => check_columns(schema, format, value, &mut verdict),
    }
    check_params(
        signature.and_then(|s| s.params.as_deref()),
        map.get("params"),
        &mut verdict,
    );
    verdict
}

/// The shape of nested lists and their leaves in order, or where they are ragged.
fn shape_and_leaves(value: &Value) -> Result<(Vec<usize>, Vec<&Value>), String> {
    let mut shape = Vec::new();
    let mut level: Vec<&Value> = vec![value];
    loop {
        let arrays: Vec<&Vec<Value>> = level.iter().filter_map(|v| v.as_array()).collect();
        if arrays.is_empty() {
            return Ok((shape, level));
        }
        if arrays.len() != level.len() {
            return Err(format!(
                "ragged nested lists: some items at depth {} are lists and some are not",
                shape.len() + 1
            ));
        }
        let n = arrays[0].len();
        if arrays.iter().any(|a| a.len() != n) {
            return Err(format!(
                "ragged nested lists: lengths differ at depth {}",
                shape.len() + 1
            ));
        }
        shape.push(n);
        level = arrays.into_iter().flatten().collect();
        if level.is_empty() {
            return Ok((shape, level));
        }
    }
}

/// The range of an integer dtype.
fn int_range(dtype: &str) -> Option<(i128, i128)> {
    Some(match dtype {
        "int8" => (i8::MIN as i128, i8::MAX as i128),
        "int16" => (i16::MIN as i128, i16::MAX as i128),
        "int32" => (i32::MIN as i128, i32::MAX as i128),
        "int64" => (i64::MIN as i128, i64::MAX as i128),
        "uint8" => (0, u8::MAX as i128),
        "uint16" => (0, u16::MAX as i128),
        "uint32" => (0, u32::MAX as i128),
        "uint64" => (0, u64::MAX as i128),
        _ => return None,
    })
}

/// `np.array(value, dtype)` on one JSON scalar: whether numpy converts it, and why not.
fn cast_problem(leaf: &Value, dtype: &str) -> Option<String> {
    if let Some((lo, hi)) = int_range(dtype) {
        let as_int: Option<i128> = match leaf {
            Value::Bool(b) => Some(*b as i128),
            Value::Number(n) => n
                .as_i64()
                .map(i128::from)
                .or_else(|| n.as_u64().map(i128::from))
                .or_else(|| n.as_f64().map(|f| f.trunc() as i128)),
            Value::String(s) => match s.trim().parse::<i128>() {
                Ok(v) => Some(v),
                Err(_) => return Some(format!("'{s}' is not a whole number")),
            },
            Value::Null => return Some("null is not a number".into()),
            _ => return Some("an object is not a number".into()),
        };
        return match as_int {
            Some(v) if v < lo || v > hi => {
                Some(format!("{v} is out of range for {dtype} ({lo}..{hi})"))
            }
            _ => None,
        };
    }
    if dtype.starts_with("float") {
        return match leaf {
            Value::Bool(_) | Value::Number(_) | Value::Null => None,
            Value::String(s) if s.trim().parse::<f64>().is_ok() => None,
            Value::String(s) => Some(format!("'{s}' is not a number")),
            _ => Some("an object is not a number".into()),
        };
    }
    None
}

/// A hint for a shape that is the expected one with the channels moved.
fn layout_hint(got: &[usize], spec: &TensorSpec) -> Option<&'static str> {
    if got.len() != spec.shape.len() || got.len() < 3 {
        return None;
    }
    let fits = |a: &[usize], b: &[i64]| a.iter().zip(b).all(|(x, y)| *y == -1 || *x as i64 == *y);
    let n = got.len();
    // got is CHW (channels after batch), expected HWC, or the reverse.
    let mut chw_to_hwc = got.to_vec();
    let c = chw_to_hwc.remove(n - 3);
    chw_to_hwc.push(c);
    if fits(&chw_to_hwc, &spec.shape) {
        return Some(
            "the channels come first (CHW) but the model wants them last: transpose to HWC",
        );
    }
    let mut hwc_to_chw = got.to_vec();
    if let Some(c) = hwc_to_chw.pop() {
        hwc_to_chw.insert(n - 3, c);
        if fits(&hwc_to_chw, &spec.shape) {
            return Some(
                "the channels come last (HWC) but the model wants them first: transpose to CHW",
            );
        }
    }
    None
}

/// Pre-cast and enforcement of one tensor's value.
fn check_tensor(name: &str, spec: &TensorSpec, value: &Value, verdict: &mut Verdict) {
    let expected = spec.type_label();
    let (shape, all) = match shape_and_leaves(value) {
        Ok(s) => s,
        Err(e) => {
            verdict.problem(name, format!("{e}; expected {expected}"));
            return;
        }
    };
    // One pass over the leaves (an image batch is millions): whole numbers in range and
    // numbers for a float dtype need no further look.
    let ints = int_range(&spec.dtype);
    let floats = spec.dtype.starts_with("float");
    let mut fractions = false;
    for leaf in &all {
        if let Value::Number(n) = leaf {
            if floats {
                continue;
            }
            if let (Some((lo, hi)), Some(i)) = (ints, n.as_i64())
                && (lo..=hi).contains(&i128::from(i))
            {
                continue;
            }
        }
        if let Some(problem) = cast_problem(leaf, &spec.dtype) {
            verdict.problem(
                name,
                format!("cannot be converted to {}: {problem}", spec.dtype),
            );
            return;
        }
        fractions |= ints.is_some() && leaf.as_f64().is_some_and(|f| f.fract() != 0.0);
    }
    if fractions {
        verdict.notes.push(format!(
            "{name}: the server casts to {} and drops the fractions of non-whole numbers",
            spec.dtype
        ));
    }
    let rank_ok = shape.len() == spec.shape.len();
    let dims_ok = rank_ok
        && shape
            .iter()
            .zip(&spec.shape)
            .all(|(g, e)| *e == -1 || *g as i64 == *e);
    if !dims_ok {
        let got: Vec<i64> = shape.iter().map(|d| *d as i64).collect();
        let mut message = format!("expected {expected}, got shape {}", shape_label(&got));
        if let Some(hint) = layout_hint(&shape, spec) {
            message.push_str(&format!(": {hint}"));
        } else if shape.len() + 1 == spec.shape.len() && spec.shape.first() == Some(&-1) {
            message.push_str(": add the batch axis (wrap the value in one more list)");
        }
        verdict.problem(name, message);
    }
}

fn check_tensors(schema: &Schema, format: &str, value: &Value, verdict: &mut Verdict) {
    let tensors: Vec<&TensorSpec> = schema.tensors();
    if matches!(format, "dataframe_split" | "dataframe_records") {
        verdict.problem(
            format,
            "this model takes tensors: send them as {\"inputs\": ...} (a frame fits a tensor only as one column per feature of a [-1, n] tensor)",
        );
        return;
    }
    let named = schema.has_names();
    // `instances` with rows of objects is transposed into one array per name.
    let value = match (format, value) {
        ("instances", Value::Array(rows))
            if rows.iter().all(Value::is_object) && !rows.is_empty() =>
        {
            let Value::Object(columns) = super::request::rows_to_columns(value).into_owned() else {
                return;
            };
            if columns
                .values()
                .any(|c| c.as_array().map(Vec::len) != Some(rows.len()))
            {
                verdict.problem(
                    "instances",
                    "every row must have the same names: the lengths of the values differ",
                );
                return;
            }
            std::borrow::Cow::Owned(Value::Object(columns))
        }
        // Borrowed, not copied: an image batch is millions of numbers.
        (_, v) => std::borrow::Cow::Borrowed(v),
    };
    if !named {
        let Some(spec) = tensors.first() else { return };
        if value.is_object() {
            verdict.problem(
                format,
                format!("this model takes one unnamed tensor ({}): send a nested list, not an object of names", spec.type_label()),
            );
            return;
        }
        check_tensor(format, spec, &value, verdict);
        return;
    }
    match &*value {
        Value::Object(map) => {
            let missing: Vec<String> = tensors
                .iter()
                .filter_map(|t| t.name.clone())
                .filter(|n| !map.contains_key(n))
                .collect();
            if !missing.is_empty() {
                let list: Vec<String> = missing.iter().map(|m| format!("'{m}'")).collect();
                verdict.problem(
                    format,
                    format!("Model is missing inputs [{}].", list.join(", ")),
                );
            }
            let extra: Vec<&String> = map
                .keys()
                .filter(|k| {
                    !tensors
                        .iter()
                        .any(|t| t.name.as_deref() == Some(k.as_str()))
                })
                .collect();
            if !extra.is_empty() {
                verdict.notes.push(format!(
                    "inputs not in the signature are ignored: {}",
                    extra
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            for t in &tensors {
                if let (Some(name), Some(v)) = (&t.name, t.name.as_ref().and_then(|n| map.get(n))) {
                    check_tensor(name, t, v, verdict);
                }
            }
        }
        other => {
            if tensors.len() == 1
                && let Some(spec) = tensors.first()
            {
                check_tensor(spec.name.as_deref().unwrap_or(format), spec, other, verdict);
            } else {
                let list: Vec<String> = tensors
                    .iter()
                    .filter_map(|t| t.name.as_ref())
                    .map(|n| format!("'{n}'"))
                    .collect();
                verdict.problem(
                    format,
                    format!("Model is missing inputs [{}]: this model takes named tensors, send an object of name to nested list", list.join(", ")),
                );
            }
        }
    }
}

/// A request's data as columns of cells (`None` names for unnamed columns).
struct Frame {
    /// Column names as JSON gives them; default columns are their positions (0, 1, ...), as
    /// pandas numbers them, so `"0"` and `0` differ as they do in MLflow.
    columns: Vec<Value>,
    cells: Vec<Vec<Value>>,
}

/// Reads the body's value as a frame, as pandas would build it; `Err` says why it cannot.
fn to_frame(format: &str, value: &Value, dict_is_one_row: bool) -> Result<Frame, String> {
    let from_rows = |names: Vec<Value>, rows: &[Value]| -> Result<Frame, String> {
        let mut cells = vec![Vec::new(); names.len()];
        for row in rows {
            let Value::Array(row) = row else {
                return Err("each row of `data` must be a list".into());
            };
            if row.len() != names.len() {
                return Err(format!(
                    "{} columns passed, passed data had {} columns",
                    names.len(),
                    row.len()
                ));
            }
            for (i, cell) in row.iter().enumerate() {
                if let Some(col) = cells.get_mut(i) {
                    col.push(cell.clone());
                }
            }
        }
        Ok(Frame {
            columns: names,
            cells,
        })
    };
    let from_records = |records: &[Value]| -> Result<Frame, String> {
        if !records.iter().all(Value::is_object) {
            return Err("each record must be an object of column to value".into());
        }
        let (names, rows) = crate::model::example::records_to_rows(records);
        // One list of cells per column.
        let cells = (0..names.len())
            .map(|i| {
                rows.iter()
                    .map(|r| r.get(i).cloned().unwrap_or(Value::Null))
                    .collect()
            })
            .collect();
        Ok(Frame {
            columns: names.into_iter().map(Value::String).collect(),
            cells,
        })
    };
    match (format, value) {
        ("dataframe_split", Value::Object(m)) => {
            if !m.contains_key("data")
                || m.keys()
                    .any(|k| !matches!(k.as_str(), "data" | "columns" | "index"))
            {
                return Err("Dataframe split format must have 'data' field and optionally 'columns' and 'index' fields.".into());
            }
            let rows = m
                .get("data")
                .and_then(Value::as_array)
                .ok_or("`data` must be a list of rows")?;
            let width = rows
                .first()
                .and_then(Value::as_array)
                .map(Vec::len)
                .unwrap_or(0);
            let names = match m.get("columns") {
                Some(Value::Array(cols)) => cols.clone(),
                _ => (0..width).map(Value::from).collect(),
            };
            from_rows(names, rows)
        }
        ("dataframe_split", _) => Err("must be an object with `columns` and `data`".into()),
        ("dataframe_records", Value::Array(rows)) => from_records(rows),
        ("dataframe_records", _) => {
            Err("Dataframe records format must be a list of records.".into())
        }
        (_, Value::Array(rows)) if !rows.is_empty() && rows.iter().all(Value::is_object) => {
            from_records(rows)
        }
        // MLflow makes a dict one row when a column is an array or object (or every value is a
        // scalar or a list of strings): each value is then one cell.
        (_, Value::Object(m))
            if dict_is_one_row
                || m.values().all(|v| match v {
                    Value::Array(items) => items.iter().all(Value::is_string),
                    Value::Object(_) => false,
                    _ => true,
                }) =>
        {
            Ok(Frame {
                columns: m.keys().cloned().map(Value::String).collect(),
                cells: m.values().map(|v| vec![v.clone()]).collect(),
            })
        }
        (_, Value::Object(m)) => {
            let n = m
                .values()
                .map(|v| v.as_array().map(Vec::len).unwrap_or(1))
                .max()
                .unwrap_or(0);
            let mut cells = Vec::new();
            for v in m.values() {
                let col = match v {
                    Value::Array(items) => items.clone(),
                    other => vec![other.clone(); n.max(1)],
                };
                if col.len() != n {
                    return Err(
                        "The length of values for each input/column name are not the same".into(),
                    );
                }
                cells.push(col);
            }
            Ok(Frame {
                columns: m.keys().cloned().map(Value::String).collect(),
                cells,
            })
        }
        (_, Value::Array(items)) => Ok(Frame {
            columns: vec![Value::from(0)],
            cells: vec![items.clone()],
        }),
        (_, other) => Ok(Frame {
            columns: vec![Value::from(0)],
            cells: vec![vec![other.clone()]],
        }),
    }
}

/// Whether Python's lenient `base64.b64decode` reads `text`.
fn is_base64(text: &str) -> bool {
    let data = text
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/'))
        .count();
    let pad = text.chars().filter(|c| *c == '=').count();
    match data % 4 {
        0 => true,
        1 => false,
        rest => pad >= 4 - rest,
    }
}

/// The pre-cast of one cell to a scalar column type (pandas `astype`, `to_datetime`, base64).
fn cell_cast_problem(cell: &Value, dt: DataType) -> Option<String> {
    match dt {
        DataType::Boolean | DataType::String => None,
        DataType::Double | DataType::Float => match cell {
            Value::Null | Value::Bool(_) | Value::Number(_) => None,
            Value::String(s) if s.trim().parse::<f64>().is_ok() => None,
            other => Some(format!("could not convert {} to float", py_repr(other))),
        },
        DataType::Integer | DataType::Long => match cell {
            Value::Bool(_) | Value::Number(_) => None,
            Value::String(s) if s.trim().parse::<i64>().is_ok() => None,
            Value::Null => Some("null (a missing value) cannot be an integer; send a number or make the column double".into()),
            other => Some(format!("invalid literal for int(): {}", py_repr(other))),
        },
        DataType::Binary => match cell {
            Value::String(s) if is_base64(s) => None,
            Value::Null => None,
            other => Some(format!("{} is not base64 text", py_repr(other))),
        },
        DataType::Datetime => match cell {
            Value::Null | Value::Number(_) => None,
            Value::String(s) if looks_like_datetime(s) => None,
            other => Some(format!("{} is not a date or date-time (use ISO 8601, e.g. 2024-01-31T10:00:00)", py_repr(other))),
        },
    }
}

fn check_columns(schema: &Schema, format: &str, value: &Value, verdict: &mut Verdict) {
    let nested = schema
        .columns()
        .iter()
        .any(|c| matches!(c.ty, ColType::Array(_) | ColType::Object(_)));
    let frame = match to_frame(format, value, nested) {
        Ok(f) => f,
        Err(e) => {
            verdict.problem(format, e);
            return;
        }
    };
    let cols: Vec<&ColSpec> = schema.columns();
    let named = schema.has_names();
    // Which frame column feeds each spec.
    let feeds: Vec<(String, &ColSpec, Option<&Vec<Value>>)> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let label = c.name.clone().unwrap_or_else(|| i.to_string());
            let cells = if named {
                frame
                    .columns
                    .iter()
                    .position(|n| Some(n) == c.name_json.as_ref())
                    .and_then(|p| frame.cells.get(p))
            } else {
                frame.cells.get(i)
            };
            (label, *c, cells)
        })
        .collect();
    // Stage 1: the server's pre-cast, column by column.
    for (label, spec, cells) in &feeds {
        let Some(cells) = cells else { continue };
        let problem = match &spec.ty {
            ColType::Scalar(dt) => cells.iter().find_map(|cell| cell_cast_problem(cell, *dt)),
            ColType::Any => None,
            nested => cells
                .iter()
                .find_map(|cell| enforce_type(cell, nested, spec.is_required()).err()),
        };
        if let Some(problem) = problem {
            verdict.problem(
                label.as_str(),
                format!(
                    "not compatible with the column type {}: {problem}",
                    spec.ty.label()
                ),
            );
        }
    }
    if !verdict.is_ok() {
        return;
    }
    // Stage 2: `_enforce_schema`.
    if named {
        let missing: Vec<String> = feeds
            .iter()
            .filter(|(_, spec, cells)| cells.is_none() && spec.is_required())
            .map(|(label, _, _)| format!("'{label}'"))
            .collect();
        if !missing.is_empty() {
            verdict.problem(
                format,
                format!("Model is missing inputs [{}].", missing.join(", ")),
            );
        }
        let extra: Vec<String> = frame
            .columns
            .iter()
            .filter(|n| !cols.iter().any(|c| c.name_json.as_ref() == Some(*n)))
            .map(|n| {
                n.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| n.to_string())
            })
            .collect();
        if !extra.is_empty() {
            verdict.notes.push(format!(
                "columns not in the signature are dropped: {}",
                extra.join(", ")
            ));
        }
    } else if frame.cells.len() < cols.len() {
        verdict.problem(
            format,
            format!(
                "the signature declares {} unnamed inputs but the request has {}",
                cols.len(),
                frame.cells.len()
            ),
        );
    }
}

fn check_params(schema: Option<&[ParamSpec]>, params: Option<&Value>, verdict: &mut Verdict) {
    let Some(params) = params else { return };
    let Some(schema) = schema else {
        verdict
            .notes
            .push("the model has no params schema: the params are ignored".into());
        return;
    };
    let Value::Object(map) = params else {
        verdict.problem(
            "params",
            format!(
                "Parameters must be a dictionary. Got type '{}'.",
                py_type(params)
            ),
        );
        return;
    };
    let unknown: Vec<&String> = map
        .keys()
        .filter(|k| !schema.iter().any(|p| &p.name == *k))
        .collect();
    if !unknown.is_empty() {
        let list: Vec<String> = unknown.iter().map(|k| format!("'{k}'")).collect();
        verdict.notes.push(format!(
            "Unrecognized params [{}] are ignored for inference.",
            list.join(", ")
        ));
    }
    for spec in schema {
        let Some(value) = map.get(&spec.name) else {
            continue;
        };
        let shape = spec.shape.as_deref();
        let label = format!("'{}': {}", spec.name, spec.ty.label());
        if let Err(e) = validate_value(&label, value, &spec.ty, shape) {
            verdict.problem(format!("params.{}", spec.name), e);
        }
    }
}
