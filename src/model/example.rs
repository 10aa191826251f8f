//! The input example: `saved_input_example_info` and the files it names, read in every layout
//! MLflow writes (reference section 5), and `serving_input_example.json` as a ready request body.

use std::path::Path;

use serde_json::Value;

use super::error::Warning;
use super::fsutil::{EXAMPLE_CAP, ReadError, read_text_inside};
use super::lenient_json;
use super::mlmodel::{Map, describe, scalar_text};

/// `saved_input_example_info` from MLmodel.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExampleInfo {
    /// `artifact_path` (always `input_example.json` in practice).
    pub artifact_path: Option<String>,
    /// `type`: dataframe, ndarray, json_object, sparse_matrix_csr, sparse_matrix_csc.
    pub kind: Option<String>,
    /// `pandas_orient` for dataframes: split or values.
    pub pandas_orient: Option<String>,
    /// `serving_input_path` (always `serving_input_example.json` in practice).
    pub serving_input_path: Option<String>,
    /// `params: 'true'`: the example carries inference params.
    pub has_params: bool,
    /// `format` (legacy `tf-serving`).
    pub format: Option<String>,
}

/// The kind of elements in a tensor example.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElementKind {
    /// Booleans.
    Bool,
    /// Whole numbers only.
    Int,
    /// Numbers, some with a fraction.
    Float,
    /// Strings.
    String,
    /// No elements, or only nulls.
    Empty,
    /// Different kinds mixed (an object array in numpy).
    Mixed,
}

impl ElementKind {
    /// The numpy dtype `np.array` would give such elements.
    pub fn numpy_dtype(self) -> &'static str {
        match self {
            ElementKind::Bool => "bool",
            ElementKind::Int => "int64",
            ElementKind::Float | ElementKind::Empty => "float64",
            ElementKind::String => "str",
            ElementKind::Mixed => "object",
        }
    }
}

/// The shape of a nested list (from the first element at each depth) and whether lengths
/// differ somewhere (then the shape stops where they do), read without copying the value.
pub fn shape_of(value: &Value) -> (Vec<usize>, bool) {
    let mut shape = Vec::new();
    let mut level: Vec<&Value> = vec![value];
    loop {
        let Some(Some(first)) = level.first().map(|v| v.as_array().map(Vec::len)) else {
            return (shape, false);
        };
        if level
            .iter()
            .any(|v| v.as_array().map(Vec::len) != Some(first))
        {
            return (shape, true);
        }
        shape.push(first);
        level = level
            .iter()
            .filter_map(|v| v.as_array())
            .flatten()
            .collect();
        if level.is_empty() {
            return (shape, false);
        }
    }
}

/// A nested list read as a tensor.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorExample {
    /// Its shape (for ragged lists, the shape up to where lengths differ).
    pub shape: Vec<usize>,
    /// Whether lengths differ at some depth.
    pub ragged: bool,
    /// What the elements are.
    pub element: ElementKind,
    /// The values as written.
    pub value: Value,
}

impl TensorExample {
    /// Reads a JSON value as a tensor.
    pub fn from_value(value: Value) -> Self {
        let (shape, ragged) = shape_of(&value);
        let mut element = ElementKind::Empty;
        visit_leaves(&value, &mut |leaf| {
            let kind = match leaf {
                Value::Null => return,
                Value::Bool(_) => ElementKind::Bool,
                Value::Number(n) if n.is_f64() => ElementKind::Float,
                Value::Number(_) => ElementKind::Int,
                Value::String(_) => ElementKind::String,
                _ => ElementKind::Mixed,
            };
            element = match (element, kind) {
                (ElementKind::Empty, k) => k,
                (a, b) if a == b => a,
                (ElementKind::Int, ElementKind::Float) | (ElementKind::Float, ElementKind::Int) => {
                    ElementKind::Float
                }
                _ => ElementKind::Mixed,
            };
        });
        if value
            .as_array()
            .is_some_and(|a| a.iter().any(|v| v.is_null()))
            && element == ElementKind::Int
        {
            element = ElementKind::Float;
        }
        TensorExample {
            shape,
            ragged,
            element,
            value,
        }
    }

    /// `int64 [2, 4]`, or `object [2, ?] (ragged)`.
    pub fn label(&self) -> String {
        let dims: Vec<String> = self.shape.iter().map(|d| d.to_string()).collect();
        let ragged = if self.ragged { ", … (ragged)" } else { "" };
        format!(
            "{} [{}{ragged}]",
            self.element.numpy_dtype(),
            dims.join(", ")
        )
    }
}

/// Calls `f` on every non-array value inside `value`, depth first.
pub fn visit_leaves(value: &Value, f: &mut impl FnMut(&Value)) {
    match value {
        Value::Array(items) => items.iter().for_each(|v| visit_leaves(v, f)),
        Value::Object(map) => map.values().for_each(|v| visit_leaves(v, f)),
        leaf => f(leaf),
    }
}

/// The example data, by layout.
#[derive(Debug, Clone, PartialEq)]
pub enum ExampleData {
    /// A pandas frame (`split` with optional `columns`, or `values` rows, or records).
    Dataframe {
        /// Column names; `None` when the columns are the default 0..n-1.
        columns: Option<Vec<String>>,
        /// The rows.
        rows: Vec<Vec<Value>>,
        /// The orient as written: split, values or records.
        orient: String,
    },
    /// A single ndarray (bare nested list).
    Tensor(TensorExample),
    /// A dict of ndarrays.
    NamedTensors(Vec<(String, TensorExample)>),
    /// Any JSON value (`json_object`).
    Json(Value),
    /// A scipy sparse matrix.
    Sparse {
        /// csr or csc.
        format: String,
        /// Rows and columns.
        shape: Vec<u64>,
        /// Stored values.
        nnz: usize,
    },
}

impl ExampleData {
    /// A one-line summary: `dataframe 2 rows x 4 columns`, `ndarray int64 [1, 4]`.
    pub fn summary(&self) -> String {
        match self {
            ExampleData::Dataframe {
                columns,
                rows,
                orient,
            } => {
                let ncols = columns
                    .as_ref()
                    .map(Vec::len)
                    .unwrap_or_else(|| rows.first().map(Vec::len).unwrap_or(0));
                format!(
                    "dataframe ({orient}): {} x {}",
                    crate::text::count(rows.len(), "row", "rows"),
                    crate::text::count(ncols, "column", "columns")
                )
            }
            ExampleData::Tensor(t) => format!("ndarray {}", t.label()),
            ExampleData::NamedTensors(ts) => {
                let parts: Vec<String> = ts
                    .iter()
                    .map(|(n, t)| format!("{n}: {}", t.label()))
                    .collect();
                format!("dict of ndarrays: {}", parts.join(", "))
            }
            ExampleData::Json(v) => format!("JSON value: {}", describe(v)),
            ExampleData::Sparse { format, shape, nnz } => {
                format!("sparse {format} matrix {shape:?} with {nnz} stored values")
            }
        }
    }
}

/// The input example of a model.
#[derive(Debug, Clone, PartialEq)]
pub struct InputExample {
    /// `saved_input_example_info`.
    pub info: ExampleInfo,
    /// The data, or why it could not be read.
    pub data: Result<ExampleData, String>,
    /// Inference params carried with the example.
    pub params: Option<Map>,
    /// Whether the file held bare NaN/Infinity tokens (read as null).
    pub had_non_finite: bool,
    /// `serving_input_example.json`: the exact `/invocations` body, or why not.
    pub serving_input: Option<Result<Value, String>>,
}

fn read_json(root: &Path, file: &str) -> Result<(Value, bool), String> {
    let text = read_text_inside(root, file, EXAMPLE_CAP).map_err(|e| match e {
        ReadError::Missing => "file not found".to_string(),
        other => other.to_string(),
    })?;
    lenient_json::parse(&text).map_err(|e| format!("not valid JSON: {e}"))
}

/// Reads the example named by `saved_input_example_info`.
pub fn read_example(root: &Path, info_map: &Map, warnings: &mut Vec<Warning>) -> InputExample {
    let get = |k: &str| info_map.get(k).and_then(scalar_text);
    let info = ExampleInfo {
        artifact_path: get("artifact_path"),
        kind: get("type"),
        pandas_orient: get("pandas_orient"),
        serving_input_path: get("serving_input_path"),
        has_params: matches!(info_map.get("params"), Some(Value::Bool(true)))
            || get("params").is_some_and(|s| s.eq_ignore_ascii_case("true")),
        format: get("format"),
    };
    let file = info
        .artifact_path
        .clone()
        .unwrap_or_else(|| "input_example.json".into());
    let mut params = None;
    let mut had_non_finite = false;
    let data = read_json(root, &file).and_then(|(value, nan)| {
        had_non_finite = nan;
        let (value, p) = unwrap_params(value, &info);
        params = p;
        interpret(value, &info)
    });
    if let Err(e) = &data {
        warnings.push(Warning::new(&file, format!("input example: {e}")));
    }
    let serving_input = info.serving_input_path.as_ref().map(|f| {
        let parsed = read_json(root, f).map(|(v, _)| v);
        if let Err(e) = &parsed {
            warnings.push(Warning::new(f, format!("serving input example: {e}")));
        }
        parsed
    });
    InputExample {
        info,
        data,
        params,
        had_non_finite,
        serving_input,
    }
}

/// Splits `{"inputs": X, "params": P}` (examples saved with params) into X and P; unwraps a
/// legacy tf-serving `{"inputs": X}`.
fn unwrap_params(value: Value, info: &ExampleInfo) -> (Value, Option<Map>) {
    let tf_serving = info.format.as_deref() == Some("tf-serving");
    match value {
        Value::Object(mut map) if (info.has_params || tf_serving) && map.contains_key("inputs") => {
            let params = match map.shift_remove("params") {
                Some(Value::Object(p)) => Some(p),
                _ => None,
            };
            (map.shift_remove("inputs").unwrap_or(Value::Null), params)
        }
        other => (other, None),
    }
}

fn interpret(value: Value, info: &ExampleInfo) -> Result<ExampleData, String> {
    match info.kind.as_deref() {
        Some("dataframe") => dataframe(value, info.pandas_orient.as_deref()),
        Some("ndarray") => ndarray(value),
        Some(kind) if kind.starts_with("sparse_matrix") => sparse(value, kind),
        Some("json_object") => Ok(ExampleData::Json(value)),
        Some(other) => Err(format!(
            "unknown example type '{other}' (expected dataframe, ndarray, json_object, sparse_matrix_csr or sparse_matrix_csc)"
        )),
        None => Ok(ExampleData::Json(value)),
    }
}

fn dataframe(value: Value, orient: Option<&str>) -> Result<ExampleData, String> {
    let rows_of = |data: &Value| -> Result<Vec<Vec<Value>>, String> {
        let Value::Array(rows) = data else {
            return Err(format!(
                "`data` must be a list of rows, found {}",
                describe(data)
            ));
        };
        rows.iter()
            .map(|r| match r {
                Value::Array(cells) => Ok(cells.clone()),
                other => Ok(vec![other.clone()]),
            })
            .collect()
    };
    match value {
        Value::Object(map) => {
            let Some(data) = map.get("data") else {
                return Err("a dataframe example needs a `data` list".into());
            };
            let columns = match map.get("columns") {
                Some(Value::Array(cols)) => Some(
                    cols.iter()
                        .map(|c| scalar_text(c).unwrap_or_else(|| c.to_string()))
                        .collect(),
                ),
                _ => None,
            };
            Ok(ExampleData::Dataframe {
                columns,
                rows: rows_of(data)?,
                orient: orient.unwrap_or("split").to_string(),
            })
        }
        Value::Array(items) if items.iter().all(Value::is_object) && !items.is_empty() => {
            // records: [{"a": 1, "b": 2}, ...]
            let (columns, rows) = records_to_rows(&items);
            Ok(ExampleData::Dataframe {
                columns: Some(columns),
                rows,
                orient: "records".into(),
            })
        }
        array @ Value::Array(_) => Ok(ExampleData::Dataframe {
            columns: None,
            rows: rows_of(&array)?,
            orient: orient.unwrap_or("values").to_string(),
        }),
        other => Err(format!(
            "a dataframe example must be an object or a list, found {}",
            describe(&other)
        )),
    }
}

fn ndarray(value: Value) -> Result<ExampleData, String> {
    match value {
        Value::Object(map) => Ok(ExampleData::NamedTensors(
            map.into_iter()
                .map(|(k, v)| (k, TensorExample::from_value(v)))
                .collect(),
        )),
        other => Ok(ExampleData::Tensor(TensorExample::from_value(other))),
    }
}

fn sparse(value: Value, kind: &str) -> Result<ExampleData, String> {
    let format = kind.trim_start_matches("sparse_matrix_").to_string();
    let shape = value
        .get("shape")
        .and_then(Value::as_array)
        .map(|s| s.iter().filter_map(Value::as_u64).collect())
        .ok_or("a sparse example needs `shape`")?;
    let nnz = value
        .get("data")
        .and_then(Value::as_array)
        .map(Vec::len)
        .ok_or("a sparse example needs `data`")?;
    Ok(ExampleData::Sparse { format, shape, nnz })
}

/// Records (a list of objects) as a table: the union of their keys in first-seen order, and
/// one row per record (`null` where a record lacks a key).
pub fn records_to_rows(records: &[Value]) -> (Vec<String>, Vec<Vec<Value>>) {
    let mut columns: Vec<String> = Vec::new();
    for r in records {
        if let Value::Object(m) = r {
            for k in m.keys() {
                if !columns.contains(k) {
                    columns.push(k.clone());
                }
            }
        }
    }
    let rows = records
        .iter()
        .map(|r| {
            columns
                .iter()
                .map(|c| r.get(c).cloned().unwrap_or(Value::Null))
                .collect()
        })
        .collect();
    (columns, rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tensor_shapes_and_kinds() {
        let t = TensorExample::from_value(json!([[1, 2, 3], [4, 5, 6]]));
        assert_eq!(t.shape, vec![2, 3]);
        assert_eq!(t.element, ElementKind::Int);
        assert!(!t.ragged);
        let t = TensorExample::from_value(json!([[1.5], [2, 3]]));
        assert!(t.ragged);
        assert_eq!(t.element, ElementKind::Float);
        assert_eq!(t.label(), "float64 [2, … (ragged)]");
    }
}
