//! pandas as MLflow's request handling meets it (pandas 3): DataFrames built from a request's
//! split, records or columns, the dtype pandas infers for each column, and `astype`,
//! `to_numeric`, `to_datetime` and base64 decoding of a column, with pandas' error texts.

use serde_json::Value;

use super::np::{self, Arr, Dt, PyErr};
use super::py::{Obj, json_repr, str_repr};

/// One column: its label (as JSON gives it: `"x"`, or `0` for default labels), dtype and cells.
#[derive(Debug, Clone)]
pub struct Column<'a> {
    /// The label.
    pub label: Value,
    /// pandas' dtype for it.
    pub dtype: Dt,
    /// Its cells, top to bottom.
    pub cells: Vec<Obj<'a>>,
}

impl Column<'_> {
    /// The label as `str()` prints it (MLflow's messages name columns this way).
    pub fn name(&self) -> String {
        match &self.label {
            Value::String(s) => s.clone(),
            other => json_repr(other),
        }
    }
}

/// A DataFrame.
#[derive(Debug, Clone, Default)]
pub struct Frame<'a> {
    /// Its columns, in order.
    pub columns: Vec<Column<'a>>,
    /// Its number of rows.
    pub rows: usize,
}

impl<'a> Frame<'a> {
    /// `df.empty`.
    pub fn is_empty(&self) -> bool {
        self.columns.is_empty() || self.rows == 0
    }
}

/// A column label as a hash key with pandas' equality of labels: numbers by their value as
/// a float (`1` and `1.0` alike, `0.0` and `-0.0` alike; `1` and `"1"` not), anything else as
/// written. Lookups by label in a frame of many columns then take one pass, not one per
/// column.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LabelKey<'v> {
    /// A number, by the bits of its value as a float.
    Number(u64),
    /// A string.
    Str(&'v str),
    /// Anything else, as JSON text.
    Other(String),
}

/// The key of a label (see [`LabelKey`]).
pub fn label_key(label: &Value) -> LabelKey<'_> {
    match label {
        Value::String(s) => LabelKey::Str(s),
        Value::Number(n) => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            LabelKey::Number(if f == 0.0 { 0 } else { f.to_bits() })
        }
        other => LabelKey::Other(other.to_string()),
    }
}

/// Each label's first position, by its key.
pub fn label_index<'v>(
    labels: impl IntoIterator<Item = &'v Value>,
) -> std::collections::HashMap<LabelKey<'v>, usize> {
    let mut index = std::collections::HashMap::new();
    for (i, l) in labels.into_iter().enumerate() {
        index.entry(label_key(l)).or_insert(i);
    }
    index
}

impl<'a> Frame<'a> {
    /// The position of each column by its label's key (the first of equal labels).
    pub fn index(&self) -> std::collections::HashMap<LabelKey<'_>, usize> {
        label_index(self.columns.iter().map(|c| &c.label))
    }
}

/// The dtype pandas infers for a column of Python objects.
pub fn infer_cells(cells: &[Obj<'_>]) -> Dt {
    if cells.is_empty() {
        return Dt::Object;
    }
    // A column of numpy scalars of one dtype keeps it.
    if let Some(Obj::NpScalar(first, _)) = cells.first()
        && cells
            .iter()
            .all(|c| matches!(c, Obj::NpScalar(d, _) if d == first))
    {
        return match first {
            Dt::Unicode(_) => Dt::PdStr,
            Dt::Bytes(_) => Dt::Object,
            d => *d,
        };
    }
    let (mut bools, mut ints, mut floats, mut strs, mut nones, mut nans, mut others) =
        (0, 0, 0, 0, 0, 0, 0);
    for c in cells {
        match c {
            Obj::Json(Value::Bool(_)) => bools += 1,
            Obj::Json(Value::Number(n)) if n.is_f64() => floats += 1,
            Obj::Json(Value::Number(_)) => ints += 1,
            Obj::Float(f) if f.is_nan() => nans += 1,
            Obj::Float(_) => floats += 1,
            Obj::Int(_) => ints += 1,
            Obj::Json(Value::String(_)) | Obj::Str(_) => strs += 1,
            Obj::None | Obj::Json(Value::Null) => nones += 1,
            Obj::NpScalar(dt, _) => match dt.kind() {
                'b' => bools += 1,
                'i' | 'u' => ints += 1,
                'f' => floats += 1,
                'U' => strs += 1,
                _ => others += 1,
            },
            _ => others += 1,
        }
    }
    let n = cells.len();
    let missing = nones + nans;
    if others > 0 {
        return Dt::Object;
    }
    if missing == n {
        return if nans == n { Dt::Float(8) } else { Dt::Object };
    }
    if strs > 0 {
        return if strs + missing == n {
            Dt::PdStr
        } else {
            Dt::Object
        };
    }
    if bools > 0 {
        return if bools == n { Dt::Bool } else { Dt::Object };
    }
    if floats > 0 || missing > 0 {
        return Dt::Float(8);
    }
    let _ = ints;
    Dt::Int(8)
}

/// A column made from a 1-d array (pandas 3 keeps numpy strings as its `str` dtype).
fn column_from_array<'a>(label: Value, a: &Arr<'a>) -> Column<'a> {
    let dtype = match a.dtype {
        Dt::Unicode(_) => Dt::PdStr,
        other => other,
    };
    Column {
        label,
        dtype,
        cells: a.rows(),
    }
}

/// A column of Python objects, its dtype inferred.
pub fn column_of<'a>(label: Value, cells: Vec<Obj<'a>>) -> Column<'a> {
    let dtype = infer_cells(&cells);
    let cells = if dtype == Dt::Float(8) {
        // Missing values of a float column are NaN.
        cells
            .into_iter()
            .map(|c| if c.is_none() { Obj::Float(f64::NAN) } else { c })
            .collect()
    } else {
        cells
    };
    Column {
        label,
        dtype,
        cells,
    }
}

/// `pd.DataFrame(index=index, columns=columns, data=data)` (the `split` orient).
pub fn from_split<'a>(
    data: &'a Value,
    columns: Option<&'a Value>,
    index: Option<&'a Value>,
) -> Result<Frame<'a>, PyErr> {
    let labels: Option<Vec<Value>> = match columns {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => Some(items.clone()),
        Some(other) => Some(vec![other.clone()]),
    };
    let rows: Vec<Obj<'a>> = match data {
        Value::Array(items) => items.iter().map(Obj::Json).collect(),
        Value::Null => Vec::new(),
        Value::Object(_) => {
            // A dict of columns, with `columns` selecting among them.
            let frame = from_dict_of_columns(data)?;
            return Ok(select(frame, labels));
        }
        _ => return Err(PyErr::value("DataFrame constructor not properly called!")),
    };
    let mut frame = from_list(rows, labels)?;
    if let Some(Value::Array(idx)) = index
        && idx.len() != frame.rows
    {
        return Err(PyErr::value(format!(
            "Length of values ({}) does not match length of index ({})",
            frame.rows,
            idx.len()
        )));
    }
    if frame.columns.is_empty()
        && let Some(Value::Array(idx)) = index
    {
        frame.rows = idx.len();
    }
    Ok(frame)
}

fn select<'a>(frame: Frame<'a>, labels: Option<Vec<Value>>) -> Frame<'a> {
    let Some(labels) = labels else { return frame };
    let rows = frame.rows;
    let index = frame.index();
    let columns = labels
        .into_iter()
        .map(|l| {
            match index
                .get(&label_key(&l))
                .and_then(|&i| frame.columns.get(i))
            {
                Some(c) => c.clone(),
                None => Column {
                    label: l,
                    dtype: Dt::Object,
                    cells: vec![Obj::Float(f64::NAN); rows],
                },
            }
        })
        .collect();
    Frame { columns, rows }
}

fn from_dict_of_columns(data: &Value) -> Result<Frame<'_>, PyErr> {
    let Value::Object(map) = data else {
        return Ok(Frame::default());
    };
    let dict: Vec<(Value, Obj<'_>)> = map
        .iter()
        .map(|(k, v)| (Value::String(k.clone()), Obj::Json(v)))
        .collect();
    from_dict(dict)
}

/// `pd.DataFrame(items)` for a list: rows of lists, records (dicts), or a single column of
/// scalars; `labels` as `columns=`.
pub fn from_list<'a>(items: Vec<Obj<'a>>, labels: Option<Vec<Value>>) -> Result<Frame<'a>, PyErr> {
    if items.is_empty() {
        let columns = labels
            .unwrap_or_default()
            .into_iter()
            .map(|label| Column {
                label,
                dtype: Dt::Object,
                cells: Vec::new(),
            })
            .collect();
        return Ok(Frame { columns, rows: 0 });
    }
    let n = items.len();
    let dicts = items.iter().filter(|i| i.is_dict()).count();
    if dicts == n {
        // Records: columns in order of first appearance; missing cells are NaN.
        let mut names: Vec<String> = Vec::new();
        for item in &items {
            if let Some(Value::Object(map)) = item.json() {
                for k in map.keys() {
                    if !names.contains(k) {
                        names.push(k.clone());
                    }
                }
            }
        }
        let columns: Vec<Column<'a>> = names
            .iter()
            .map(|name| {
                let cells = items
                    .iter()
                    .map(|item| match item.json().and_then(|v| v.get(name)) {
                        Some(v) => Obj::Json(v),
                        None => Obj::Float(f64::NAN),
                    })
                    .collect();
                column_of(Value::String(name.clone()), cells)
            })
            .collect();
        let frame = Frame { columns, rows: n };
        return Ok(select(frame, labels));
    }
    if dicts > 0 {
        let first_dict = items.first().is_some_and(Obj::is_dict);
        return Err(if first_dict {
            PyErr::type_error("cannot convert dictionary update sequence element #0 to a sequence")
        } else {
            PyErr::value("Mixing dicts with non-Series may lead to ambiguous ordering.")
        });
    }
    let row_items: Vec<Option<Vec<Obj<'a>>>> = items
        .iter()
        .map(|i| match i {
            Obj::Arr(a) if a.ndim() == 1 => Some(a.rows()),
            other if other.is_list() => other.items(),
            _ => None,
        })
        .collect();
    if row_items.iter().all(Option::is_none) {
        // A single column of scalars.
        let label = labels
            .as_ref()
            .and_then(|l| l.first().cloned())
            .unwrap_or(Value::from(0));
        if let Some(l) = &labels
            && l.len() != 1
        {
            return Err(PyErr::value(format!(
                "Shape of passed values is ({n}, 1), indices imply ({n}, {})",
                l.len()
            )));
        }
        return Ok(Frame {
            columns: vec![column_of(label, items)],
            rows: n,
        });
    }
    // Rows: a scalar among lists is a row of one; short rows are padded with NaN.
    let rows: Vec<Vec<Obj<'a>>> = row_items
        .into_iter()
        .zip(&items)
        .map(|(r, item)| r.unwrap_or_else(|| vec![item.clone()]))
        .collect();
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    let labels = match labels {
        Some(l) => {
            if l.len() != width {
                return Err(PyErr::value(format!(
                    "{} columns passed, passed data had {width} columns",
                    l.len()
                )));
            }
            l
        }
        None => (0..width).map(Value::from).collect(),
    };
    let columns = labels
        .into_iter()
        .enumerate()
        .map(|(i, label)| {
            let cells = rows
                .iter()
                .map(|r| r.get(i).cloned().unwrap_or(Obj::None))
                .collect();
            column_of(label, cells)
        })
        .collect();
    Ok(Frame { columns, rows: n })
}

/// `pd.DataFrame(dict)`: each value a column (arrays and lists) or a scalar repeated.
pub fn from_dict<'a>(dict: Vec<(Value, Obj<'a>)>) -> Result<Frame<'a>, PyErr> {
    let mut length: Option<usize> = None;
    let mut any_sequence = false;
    for (_, v) in &dict {
        let len = match v {
            Obj::Arr(a) if a.ndim() == 0 => None,
            Obj::Arr(a) if a.ndim() > 1 => {
                return Err(PyErr::value("Per-column arrays must each be 1-dimensional"));
            }
            Obj::Arr(a) => a.shape.first().copied(),
            Obj::Json(Value::Object(_)) => {
                return Err(PyErr::value(
                    "Mixing dicts with non-Series may lead to ambiguous ordering.",
                ));
            }
            other => other.len(),
        };
        if let Some(len) = len {
            any_sequence = true;
            if length.is_some_and(|l| l != len) {
                return Err(PyErr::value("All arrays must be of the same length"));
            }
            length = Some(len);
        }
    }
    if !any_sequence {
        return Err(PyErr::value(
            "If using all scalar values, you must pass an index",
        ));
    }
    let n = length.unwrap_or(0);
    let columns = dict
        .into_iter()
        .map(|(label, v)| match &v {
            Obj::Arr(a) if a.ndim() == 1 => column_from_array(label, a),
            Obj::Arr(a) => {
                let one = a.elements().into_iter().next().unwrap_or(Obj::None);
                Column {
                    label,
                    dtype: match a.dtype {
                        Dt::Unicode(_) => Dt::PdStr,
                        d => d,
                    },
                    cells: vec![one; n],
                }
            }
            other => match other.items() {
                Some(items) => column_of(label, items),
                None => {
                    let mut c = column_of(label, vec![other.clone()]);
                    c.cells = vec![other.clone(); n];
                    c
                }
            },
        })
        .collect();
    Ok(Frame { columns, rows: n })
}

/// `pd.DataFrame([dict])`: one row, each value one cell.
pub fn one_row<'a>(dict: Vec<(Value, Obj<'a>)>) -> Frame<'a> {
    let columns = dict
        .into_iter()
        .map(|(label, v)| {
            let dtype = match &v {
                Obj::NpScalar(dt, _) => match dt {
                    Dt::Unicode(_) => Dt::PdStr,
                    d => *d,
                },
                other => infer_cells(std::slice::from_ref(other)),
            };
            Column {
                label,
                dtype,
                cells: vec![v],
            }
        })
        .collect();
    Frame { columns, rows: 1 }
}

/// `pd.DataFrame(array)` for a numpy array: one column (1-d) or one per column (2-d).
pub fn from_array<'a>(a: &Arr<'a>) -> Result<Frame<'a>, PyErr> {
    match a.ndim() {
        0 => Err(PyErr::value("DataFrame constructor not properly called!")),
        1 => Ok(Frame {
            rows: a.shape[0],
            columns: vec![column_from_array(Value::from(0), a)],
        }),
        2 => {
            let rows = a.rows();
            let width = a.shape[1];
            let columns = (0..width)
                .map(|i| {
                    let cells = rows
                        .iter()
                        .map(|r| match r {
                            Obj::Arr(sub) => sub.rows().get(i).cloned().unwrap_or(Obj::None),
                            other => other.clone(),
                        })
                        .collect();
                    Column {
                        label: Value::from(i),
                        dtype: match a.dtype {
                            Dt::Unicode(_) => Dt::PdStr,
                            d => d,
                        },
                        cells,
                    }
                })
                .collect();
            Ok(Frame {
                rows: a.shape[0],
                columns,
            })
        }
        _ => Err(PyErr::value(format!(
            "Must pass 2-d input. shape={}",
            a.shape_text()
        ))),
    }
}

/// `series.astype(dtype)` for the dtypes MLflow casts columns to: the new column, its cells
/// numpy scalars of the new dtype.
pub fn astype<'a>(col: &Column<'a>, to: Dt) -> Result<Column<'a>, PyErr> {
    let mut out = check_astype(col, to)?;
    if matches!(to, Dt::Int(_) | Dt::UInt(_) | Dt::Float(_)) {
        out.cells = out
            .cells
            .iter()
            .map(|c| {
                let v = np::cast(c, to).unwrap_or_else(|_| c.clone());
                Obj::NpScalar(to, std::rc::Rc::new(v))
            })
            .collect();
    }
    Ok(out)
}

fn check_astype<'a>(col: &Column<'a>, to: Dt) -> Result<Column<'a>, PyErr> {
    let mut out = col.clone();
    out.dtype = to;
    match to {
        Dt::Object | Dt::Other => return Ok(out),
        Dt::Bool => return Ok(out),
        Dt::Unicode(_) | Dt::PdStr => return Ok(out),
        _ => {}
    }
    let from_numbers = matches!(col.dtype.kind(), 'b' | 'i' | 'u' | 'f');
    if matches!(to, Dt::Int(_) | Dt::UInt(_)) {
        if col.dtype.kind() == 'f' {
            // A float column with NaN cannot become integers.
            if col
                .cells
                .iter()
                .any(|c| c.as_f64().is_some_and(|f| !f.is_finite()) || c.is_null())
            {
                return Err(PyErr {
                    kind: "IntCastingNaNError",
                    message: "Cannot convert non-finite values (NA or inf) to integer. Replace or remove non-finite values or cast to an integer type that supports these values (e.g. 'Int64')".into(),
                });
            }
            return Ok(out);
        }
        if from_numbers {
            // numpy wraps around silently between integer sizes.
            return Ok(out);
        }
        if col.dtype == Dt::PdStr {
            for c in &col.cells {
                if c.is_null() {
                    return Err(PyErr::value("cannot convert float NaN to integer"));
                }
                np::cast(c, to)?;
            }
            return Ok(out);
        }
    }
    if from_numbers {
        return Ok(out);
    }
    // Object and string columns: each cell through Python's int()/float().
    for c in &col.cells {
        if c.is_null() && matches!(to, Dt::Float(_)) {
            continue;
        }
        if c.is_list() || matches!(c, Obj::Arr(_)) {
            return Err(PyErr::value(if matches!(to, Dt::Float(_)) {
                "setting an array element with a sequence."
            } else {
                "setting an array element with a sequence"
            }));
        }
        np::cast(c, to)?;
    }
    Ok(out)
}

/// `pd.to_numeric(series, errors="raise")` on an object column.
pub fn to_numeric(col: &Column<'_>) -> Result<(), PyErr> {
    for (i, c) in col.cells.iter().enumerate() {
        // Empty strings and empty sequences read as NaN.
        if c.len() == Some(0)
            || matches!(c, Obj::Json(Value::String(s)) if s.is_empty())
            || matches!(c, Obj::Json(Value::Object(m)) if m.is_empty())
        {
            continue;
        }
        match c {
            Obj::Json(Value::String(s)) if np::py_float(s).is_none() => {
                return Err(PyErr::value(format!(
                    "Unable to parse string {} at position {i}",
                    str_repr(s)
                )));
            }
            Obj::Str(s) if np::py_float(s).is_none() => {
                return Err(PyErr::value(format!(
                    "Unable to parse string {} at position {i}",
                    str_repr(s)
                )));
            }
            Obj::Json(Value::Array(_) | Value::Object(_))
            | Obj::List(_)
            | Obj::Arr(_)
            | Obj::Typed(_)
            | Obj::Dict(_) => {
                return Err(PyErr::type_error(format!(
                    "Invalid object type at position {i}"
                )));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Whether numpy's datetime64 reads the text (ISO 8601 dates and date-times).
pub fn parses_as_numpy_datetime(text: &str) -> bool {
    crate::model::params::looks_like_datetime(text) || text.trim().eq_ignore_ascii_case("nat")
}

/// `pd.to_datetime(series)`.
pub fn to_datetime(col: &Column<'_>) -> Result<(), PyErr> {
    for c in &col.cells {
        match c {
            Obj::None
            | Obj::Json(Value::Null)
            | Obj::Json(Value::Number(_))
            | Obj::Float(_)
            | Obj::Int(_) => {}
            Obj::Json(Value::String(_)) | Obj::Str(_) => {
                let text = c.py_str();
                let text = text.as_str();
                if np::py_float(text).is_some() {
                    return Err(PyErr::value(format!(
                        "Given date string \"{text}\" not likely a datetime"
                    )));
                }
                if !crate::model::params::looks_like_datetime(text) {
                    return Err(PyErr {
                        kind: "DateParseError",
                        message: format!("Unknown datetime string format, unable to parse: {text}"),
                    });
                }
            }
            other => {
                return Err(PyErr::type_error(format!(
                    "<class '{}'> is not convertible to datetime",
                    other.type_name()
                )));
            }
        }
    }
    Ok(())
}

/// `base64.decodebytes(bytes(x, "utf8"))` on one cell: the decoded length or Python's error.
pub fn base64_decode(cell: &Obj<'_>) -> Result<usize, PyErr> {
    let text = match cell {
        Obj::Json(Value::String(s)) => s.as_str(),
        Obj::Str(s) => s,
        _ => {
            return Err(PyErr::type_error("encoding without a string argument"));
        }
    };
    // Python's lenient decoder: characters outside the alphabet are skipped.
    let mut data = 0usize;
    let mut pad = 0usize;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '+' || c == '/' {
            if pad > 0 {
                // Data after padding: the padding ended a quantum early.
                break;
            }
            data += 1;
        } else if c == '=' {
            pad += 1;
        }
    }
    match data % 4 {
        0 => Ok(data / 4 * 3),
        1 => Err(PyErr {
            kind: "Error",
            message: format!(
                "Invalid base64-encoded string: number of data characters ({data}) cannot be 1 more than a multiple of 4"
            ),
        }),
        rest if pad >= 4 - rest => Ok(data / 4 * 3 + rest - 1),
        _ => Err(PyErr {
            kind: "Error",
            message: "Incorrect padding".into(),
        }),
    }
}
