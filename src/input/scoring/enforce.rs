//! MLflow's schema enforcement (`mlflow/models/utils.py`): `_enforce_schema` and the
//! functions under it, on the values the request parsing made, with MLflow's messages.

use std::rc::Rc;

use serde_json::Value;

use super::np::{self, Arr, Dt, PyErr};
use super::pd::{self, Column, Frame};
use super::py::{Obj, json_repr, str_repr, tuple};
use crate::model::params::py_type_repr;
use crate::model::signature::{ColSpec, ColType, DataType, Schema, Spec, TensorSpec};

/// An exception raised in MLflow's code: an `MlflowException` with its message, or another
/// Python exception that went through.
#[derive(Debug, Clone, PartialEq)]
pub enum Exc {
    /// `MlflowException(message)`.
    Mlflow(String),
    /// `MlflowException` for a tensor of the wrong shape, with the shapes (for hints).
    Shape {
        /// MLflow's message.
        message: String,
        /// The shape given.
        got: Vec<usize>,
        /// The shape the spec asks for.
        expected: Vec<i64>,
    },
    /// Any other exception.
    Py(PyErr),
}

impl Exc {
    /// `str(e)`.
    pub fn text(&self) -> String {
        match self {
            Exc::Mlflow(m) | Exc::Shape { message: m, .. } => m.clone(),
            Exc::Py(e) => e.message.clone(),
        }
    }

    /// `repr(e)`.
    pub fn repr(&self) -> String {
        match self {
            Exc::Mlflow(m) | Exc::Shape { message: m, .. } => {
                super::py::exception_repr("MlflowException", m)
            }
            Exc::Py(e) => e.repr(),
        }
    }
}

impl From<PyErr> for Exc {
    fn from(e: PyErr) -> Self {
        Exc::Py(e)
    }
}

/// What `_enforce_schema` receives.
#[derive(Debug, Clone)]
pub enum Data<'a> {
    /// A DataFrame.
    Frame(Frame<'a>),
    /// A numpy array.
    Arr(Arr<'a>),
    /// A dict of name to value.
    Dict(Vec<(Value, Obj<'a>)>),
    /// A list of dicts (rows).
    Rows(Vec<Vec<(Value, Obj<'a>)>>),
    /// Anything else (a scalar, a list).
    Other(Obj<'a>),
}

impl Data<'_> {
    /// `type(x)` as Python prints it in MLflow's messages (`<class 'list'>`).
    pub fn class(&self) -> String {
        let name = match self {
            Data::Frame(_) => "pandas.DataFrame".to_string(),
            Data::Arr(_) => "numpy.ndarray".to_string(),
            Data::Dict(_) => "dict".to_string(),
            Data::Rows(_) => "list".to_string(),
            Data::Other(o) => match o {
                Obj::NpScalar(dt, _) => format!("numpy.{}", dt.scalar_type_name()),
                other => other.type_name(),
            },
        };
        format!("<class '{name}'>")
    }
}

/// `repr(ColSpec)` / `repr(TensorSpec)`, as MLflow prints a spec.
pub fn spec_repr(spec: &Spec) -> String {
    match spec {
        Spec::Column(c) => col_spec_repr(c),
        Spec::Tensor(t) => tensor_spec_repr(t),
    }
}

fn name_repr(name: Option<&Value>) -> Option<String> {
    name.map(json_repr)
}

fn col_spec_repr(c: &ColSpec) -> String {
    let required = if c.is_required() {
        "required"
    } else {
        "optional"
    };
    match name_repr(c.name_json.as_ref()) {
        Some(n) => format!("{n}: {} ({required})", py_type_repr(&c.ty)),
        None => format!("{} ({required})", py_type_repr(&c.ty)),
    }
}

fn tensor_spec_repr(t: &TensorSpec) -> String {
    let inner = format!(
        "Tensor({}, {})",
        str_repr(&Dt::from_spec(&t.dtype).name()),
        tuple(&t.shape)
    );
    match name_repr(t.name_json.as_ref()) {
        Some(n) => format!("{n}: {inner}"),
        None => inner,
    }
}

/// The numpy dtype MLflow maps a column type to (`DataType.to_numpy()`).
pub fn numpy_of(t: DataType) -> Dt {
    match t {
        DataType::Boolean => Dt::Bool,
        DataType::Integer => Dt::Int(4),
        DataType::Long => Dt::Int(8),
        DataType::Float => Dt::Float(4),
        DataType::Double => Dt::Float(8),
        DataType::String => Dt::Unicode(0),
        DataType::Binary => Dt::Bytes(0),
        DataType::Datetime => Dt::DateTime,
    }
}

/// The pandas dtype MLflow maps a column type to (`DataType.to_pandas()`): `object` for
/// strings and bytes.
pub fn pandas_of(t: DataType) -> Dt {
    match t {
        DataType::String | DataType::Binary => Dt::Object,
        other => numpy_of(other),
    }
}

/// `_enforce_mlflow_datatype(name, values, t)`.
pub fn enforce_mlflow_datatype<'a>(
    name: &str,
    col: &Column<'a>,
    t: DataType,
) -> Result<Column<'a>, Exc> {
    let mut col = col.clone();
    if col.dtype == Dt::Object && !matches!(t, DataType::Binary | DataType::String) {
        // values.infer_objects()
        col.dtype = pd::infer_cells(&col.cells);
    }
    let dtype = col.dtype;
    if t == DataType::String && matches!(dtype, Dt::Object | Dt::PdStr) {
        return Ok(col);
    }
    if t == DataType::Binary && dtype == Dt::PdStr {
        return Ok(col);
    }
    if pandas_of(t) == dtype || numpy_of(t) == dtype {
        return Ok(col);
    }
    if t == DataType::Binary && dtype.kind() == 'S' {
        return Ok(col);
    }
    if t == DataType::Datetime && dtype.kind() == 'M' {
        return Ok(col);
    }
    if t == DataType::Datetime && dtype == Dt::Object {
        for c in &col.cells {
            match c {
                Obj::Json(Value::String(s)) if !pd::parses_as_numpy_datetime(s) => {
                    return Err(Exc::Mlflow(format!(
                        "Failed to convert column {name} from type {} to DataType.datetime.",
                        dtype.name()
                    )));
                }
                _ => {}
            }
        }
        col.dtype = Dt::DateTime;
        return Ok(col);
    }
    if t == DataType::Boolean && dtype == Dt::Object {
        return Ok(col);
    }
    if t == DataType::Double && dtype == Dt::Object {
        // `values.dtype == decimal.Decimal` holds for every object column.
        return match pd::to_numeric(&col) {
            Ok(()) => Ok(col),
            Err(e) if e.kind == "ValueError" => Err(Exc::Mlflow(format!(
                "Failed to convert column {name} from type {} to DataType.double.",
                dtype.name()
            ))),
            Err(e) => Err(Exc::Py(e)),
        };
    }
    let target = numpy_of(t);
    let (from, to) = (dtype.kind(), target.kind());
    let upcast = if from == to {
        dtype.itemsize() <= target.itemsize()
    } else if from == 'u' && to == 'i' {
        dtype.itemsize() < target.itemsize()
    } else if matches!(from, 'i' | 'u') && target == Dt::Float(8) {
        dtype.itemsize() <= 6
    } else {
        false
    };
    if upcast {
        col.dtype = target;
        return Ok(col);
    }
    if dtype == Dt::Int(8)
        && matches!(target, Dt::Float(_))
        && col
            .cells
            .iter()
            .all(|c| c.is_null() || c.as_f64().is_some_and(|f| f == 0.0 || f == 1.0))
    {
        col.dtype = target;
        return Ok(col);
    }
    let mut hint = "";
    if dtype == Dt::Float(8)
        && matches!(to, 'i' | 'u')
        && col.cells.iter().any(Obj::is_null)
        && col
            .cells
            .iter()
            .all(|c| c.is_null() || c.as_f64().is_some_and(|f| f.fract() == 0.0))
    {
        hint = " Hint: the type mismatch is likely caused by missing values. Integer columns in python can not represent missing values and are therefore encoded as floats. The best way to avoid this problem is to infer the model schema based on a realistic data sample (training dataset) that includes missing values. Alternatively, you can declare integer columns as doubles (float64) whenever these columns may have missing values. See `Handling Integers With Missing Values <https://www.mlflow.org/docs/latest/models.html#handling-integers-with-missing-values>`_ for more details.";
    }
    Err(Exc::Mlflow(format!(
        "Incompatible input types for column {name}. Can not safely convert {} to {}.{hint}",
        dtype.name(),
        target.name()
    )))
}

/// The dtype `pd.Series(x)` gives one scalar.
fn scalar_series<'a>(data: &Obj<'a>) -> Column<'a> {
    let dtype = match data {
        Obj::NpScalar(dt, _) => match dt {
            Dt::Unicode(_) => Dt::PdStr,
            d => *d,
        },
        other => pd::infer_cells(std::slice::from_ref(other)),
    };
    Column {
        label: Value::from(0),
        dtype,
        cells: vec![data.clone()],
    }
}

/// `_enforce_datatype(data, dtype, required)`: one scalar value.
fn enforce_datatype<'a>(data: &Obj<'a>, dt: DataType, required: bool) -> Result<Obj<'a>, Exc> {
    if !required && data.is_null() {
        return Ok(Obj::None);
    }
    if !data.is_np_scalar() {
        return Err(Exc::Mlflow(format!(
            "Expected data to be scalar, got {}",
            data.type_name()
        )));
    }
    match enforce_mlflow_datatype("", &scalar_series(data), dt) {
        Ok(_) => Ok(data.clone()),
        Err(Exc::Mlflow(_)) => Err(Exc::Mlflow(format!(
            "Failed to enforce schema of data `{}` with dtype `{}`",
            data.py_str(),
            dt.name()
        ))),
        Err(other) => Err(other),
    }
}

/// `_enforce_array(data, arr, required)`.
pub fn enforce_array<'a>(data: &Obj<'a>, items: &ColType, required: bool) -> Result<Obj<'a>, Exc> {
    let is_seq = data.is_list() || matches!(data, Obj::Arr(_));
    if (!required || matches!(items, ColType::Any))
        && (data.is_none() || (is_seq && data.len() == Some(0)))
    {
        return Ok(data.clone());
    }
    if !is_seq {
        return Err(Exc::Mlflow(format!(
            "Expected data to be list or numpy array, got {}",
            data.type_name()
        )));
    }
    if let (Obj::Arr(a), ColType::Scalar(_)) = (data, items)
        && a.ndim() > 1
        && a.shape.first().is_some_and(|n| *n > 0)
    {
        // pd.Series(data) takes one dimension only.
        return Err(Exc::Py(if matches!(a.dtype, Dt::Unicode(_)) {
            PyErr {
                kind: "ArrowInvalid",
                message: "only handle 1-dimensional arrays".into(),
            }
        } else {
            PyErr::value(format!(
                "Data must be 1-dimensional, got ndarray of shape {} instead",
                a.shape_text()
            ))
        }));
    }
    let elements = match data {
        Obj::Arr(a) if a.ndim() == 1 => a.rows(),
        other => other.items().unwrap_or_default(),
    };
    match items {
        ColType::Scalar(dt) => {
            if elements.is_empty() {
                return Ok(data.clone());
            }
            let series = match data {
                Obj::Arr(a) if a.ndim() == 1 => Column {
                    label: Value::from(0),
                    dtype: match a.dtype {
                        Dt::Unicode(_) => Dt::PdStr,
                        d => d,
                    },
                    cells: elements.clone(),
                },
                _ => pd::column_of(Value::from(0), elements.clone()),
            };
            let enforced = enforce_mlflow_datatype("", &series, *dt)?;
            // .to_numpy(dtype=...): an object column holding sequences cannot become a flat
            // array of the type.
            let holds_sequences = matches!(enforced.dtype, Dt::Object | Dt::PdStr)
                && enforced
                    .cells
                    .iter()
                    .any(|c| c.is_list() || matches!(c, Obj::Arr(_)) || c.is_dict());
            if holds_sequences {
                return Err(Exc::Py(PyErr::value(
                    "setting an array element with a sequence",
                )));
            }
            Ok(data.clone())
        }
        other => {
            let enforced = elements
                .iter()
                .map(|e| enforce_type(e, other, required))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Obj::List(Rc::new(enforced)))
        }
    }
}

/// `_enforce_object(data, obj, required)`.
pub fn enforce_object<'a>(
    data: &Obj<'a>,
    props: &[crate::model::signature::Property],
    required: bool,
) -> Result<Obj<'a>, Exc> {
    let empty = data
        .json()
        .is_some_and(|v| v.as_object().is_some_and(|m| m.is_empty()));
    if !required && (data.is_none() || empty) {
        return Ok(data.clone());
    }
    let Some(Value::Object(map)) = data.json() else {
        return Err(Exc::Mlflow(format!(
            "Failed to enforce schema of '{}' with type '{}'. Expected data to be dictionary, got {}",
            data.py_str(),
            py_type_repr(&ColType::Object(props.to_vec())),
            data.type_name()
        )));
    };
    let missing: Vec<&str> = props
        .iter()
        .filter(|p| p.required.unwrap_or(false) && !map.contains_key(&p.name))
        .map(|p| p.name.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(Exc::Mlflow(format!(
            "Missing required properties: {}",
            super::py::str_set(&missing)
        )));
    }
    let invalid: Vec<&str> = map
        .keys()
        .filter(|k| !props.iter().any(|p| &p.name == *k))
        .map(String::as_str)
        .collect();
    if !invalid.is_empty() {
        return Err(Exc::Mlflow(format!(
            "Invalid properties not defined in the schema found: {}",
            super::py::str_set(&invalid)
        )));
    }
    for (k, v) in map {
        let Some(prop) = props.iter().find(|p| &p.name == k) else {
            continue;
        };
        if let Err(Exc::Mlflow(_)) =
            enforce_type(&Obj::Json(v), &prop.ty, prop.required.unwrap_or(false))
        {
            let type_name = match &prop.ty {
                ColType::Scalar(dt) => dt.name(),
                ColType::Array(_) => "array",
                ColType::Object(_) => "object",
                ColType::Map(_) => "map",
                ColType::Any => "any",
                ColType::SparkMlVector => "sparkml_vector",
            };
            return Err(Exc::Mlflow(format!(
                "Failed to enforce schema for key `{k}`. Expected type {type_name}, received type {}",
                super::py::json_type(v)
            )));
        }
    }
    Ok(data.clone())
}

/// `_enforce_map(data, map_type, required)`.
fn enforce_map<'a>(data: &Obj<'a>, values: &ColType, required: bool) -> Result<Obj<'a>, Exc> {
    let empty = data
        .json()
        .is_some_and(|v| v.as_object().is_some_and(|m| m.is_empty()));
    if (!required || matches!(values, ColType::Any)) && (data.is_none() || empty) {
        return Ok(data.clone());
    }
    let Some(Value::Object(map)) = data.json() else {
        return Err(Exc::Mlflow(format!(
            "Expected data to be a dict, got {}",
            data.type_name()
        )));
    };
    for v in map.values() {
        enforce_type(&Obj::Json(v), values, required)?;
    }
    Ok(data.clone())
}

/// `_enforce_type(data, data_type, required)`.
pub fn enforce_type<'a>(data: &Obj<'a>, ty: &ColType, required: bool) -> Result<Obj<'a>, Exc> {
    match ty {
        ColType::Scalar(dt) => enforce_datatype(data, *dt, required),
        ColType::Array(items) => enforce_array(data, items, required),
        ColType::Object(props) => enforce_object(data, props, required),
        ColType::Map(values) => enforce_map(data, values, required),
        ColType::Any => Ok(data.clone()),
        ColType::SparkMlVector => Ok(data.clone()),
    }
}

/// `_enforce_tensor_spec(values, tensor_spec)`.
pub fn enforce_tensor_spec(values: &Arr<'_>, spec: &TensorSpec) -> Result<(), Exc> {
    let expected_type = Dt::from_spec(&spec.dtype);
    let expected = &spec.shape;
    if expected.len() == 1 && expected[0] == -1 && expected_type == Dt::Object {
        return Ok(());
    }
    if expected.len() > 1
        && expected[1..].contains(&-1)
        && values.ndim() == 1
        && values.dtype == Dt::Object
    {
        return Ok(());
    }
    let mismatch = || Exc::Shape {
        message: format!(
            "Shape of input {} does not match expected shape {}.",
            values.shape_text(),
            tuple(expected)
        ),
        got: values.shape.clone(),
        expected: expected.clone(),
    };
    if expected.len() != values.ndim() {
        return Err(mismatch());
    }
    for (e, a) in expected.iter().zip(&values.shape) {
        if *e != -1 && *e != *a as i64 {
            return Err(mismatch());
        }
    }
    if expected_type != Dt::Other && !values.dtype.same_kind_of_text(expected_type) {
        return Err(Exc::Mlflow(format!(
            "dtype of input {} does not match expected dtype {}",
            values.dtype.name(),
            expected_type.name()
        )));
    }
    Ok(())
}

/// `_reshape_and_cast_pandas_column_values(name, pd_series, tensor_spec)`.
fn reshape_column(name: Option<&str>, col: &Column<'_>, spec: &TensorSpec) -> Result<(), Exc> {
    let shape = &spec.shape;
    let dtype = Dt::from_spec(&spec.dtype);
    if shape.first() != Some(&-1) || shape.iter().skip(1).any(|d| *d == -1) {
        let which = match name {
            Some(n) => format!("input {n}"),
            None => "the unnamed input".into(),
        };
        return Err(Exc::Mlflow(format!(
            "For pandas dataframe input, the first dimension of shape must be a variable dimension and other dimensions must be fixed, but in model signature the shape of {which} is {}.",
            tuple(shape)
        )));
    }
    let shown = name.unwrap_or("None");
    let Some(first) = col.cells.first() else {
        return Err(Exc::Py(PyErr {
            kind: "KeyError",
            message: "0".into(),
        }));
    };
    if first.is_np_scalar() {
        if shape.as_slice() == [-1] || shape.as_slice() == [-1, 1] {
            let rows: Vec<Obj<'_>> = col.cells.clone();
            let arr = np::array(&Obj::List(Rc::new(rows)), Some(dtype))?;
            let mut reshaped = arr.clone();
            reshaped.shape = if shape.len() == 1 {
                vec![col.cells.len()]
            } else {
                vec![col.cells.len(), 1]
            };
            return enforce_tensor_spec(&reshaped, spec);
        }
        return Err(Exc::Mlflow(format!(
            "The input pandas dataframe column '{shown}' contains scalar values, which requires the shape to be (-1,) or (-1, 1), but got tensor spec shape of {}.",
            tuple(shape)
        )));
    }
    let first_items = match first {
        Obj::Arr(_) => None,
        other if other.is_list() => other.items(),
        _ => None,
    };
    if let Some(items) = first_items {
        let Some(first_item) = items.first() else {
            return Err(Exc::Py(PyErr {
                kind: "IndexError",
                message: "list index out of range".into(),
            }));
        };
        if first_item.is_np_scalar() {
            let err = || {
                Exc::Mlflow(format!(
                    "The value in the Input DataFrame column '{shown}' could not be converted to the expected shape of: '{}'. Ensure that each of the input list elements are of uniform length and that the data can be coerced to the tensor type '{}'",
                    tuple(shape),
                    dtype.name()
                ))
            };
            // np.vstack(rows): every row a flat list of one length.
            let mut width = None;
            let mut total = 0usize;
            let mut leaves = Vec::new();
            for c in &col.cells {
                let Some(row) = c.items() else {
                    // A scalar row stacks as a row of one.
                    if width.is_some_and(|w| w != 1) {
                        return Err(err());
                    }
                    width = Some(1);
                    total += 1;
                    leaves.push(c.clone());
                    continue;
                };
                if row.iter().any(|x| x.is_list()) {
                    return Err(err());
                }
                if width.is_some_and(|w| w != row.len()) {
                    return Err(err());
                }
                width = Some(row.len());
                total += row.len();
                leaves.extend(row);
            }
            let fixed: i64 = shape.iter().skip(1).product();
            if fixed <= 0 || total as i64 % fixed != 0 {
                return Err(err());
            }
            for leaf in &leaves {
                match np::cast(leaf, dtype) {
                    Ok(_) => {}
                    Err(e) if e.kind == "ValueError" => return Err(err()),
                    Err(e) => return Err(Exc::Py(e)),
                }
            }
            if total as i64 / fixed != col.cells.len() as i64 {
                return Err(err());
            }
            return Ok(());
        }
    }
    Err(Exc::Mlflow("Because the model signature requires tensor spec input, the input pandas dataframe values should be either scalar value, python list containing scalar values or numpy array containing scalar values, other types are not supported.".into()))
}

/// `df.to_numpy()`: one array of the columns' common dtype.
fn frame_to_numpy<'a>(frame: &Frame<'a>) -> Arr<'a> {
    let mut dtype: Option<Dt> = None;
    for c in &frame.columns {
        let d = match c.dtype {
            Dt::PdStr => Dt::Object,
            d => d,
        };
        dtype = Some(dtype.map_or(d, |x| np::promote(x, d)));
    }
    let dtype = dtype.unwrap_or(Dt::Object);
    let rows = (0..frame.rows)
        .map(|r| {
            let cells: Vec<Obj<'a>> = frame
                .columns
                .iter()
                .map(|c| c.cells.get(r).cloned().unwrap_or(Obj::None))
                .collect();
            Obj::Arr(Rc::new(Arr::from_rows(vec![cells.len()], dtype, cells)))
        })
        .collect();
    Arr::from_rows(vec![frame.rows, frame.columns.len()], dtype, rows)
}

/// `_enforce_tensor_schema(pf_input, input_schema)`.
fn enforce_tensor_schema(data: &Data<'_>, schema: &Schema) -> Result<(), Exc> {
    let tensors = schema.tensors();
    if schema.has_names() {
        match data {
            Data::Dict(dict) => {
                let index = pd::label_index(dict.iter().map(|(k, _)| k));
                for t in &tensors {
                    let Some(name) = &t.name_json else { continue };
                    let Some((_, value)) =
                        index.get(&pd::label_key(name)).and_then(|&i| dict.get(i))
                    else {
                        return Err(Exc::Py(PyErr {
                            kind: "KeyError",
                            message: json_repr(name),
                        }));
                    };
                    let Obj::Arr(arr) = value else {
                        return Err(Exc::Mlflow(format!(
                            "This model contains a tensor-based model signature with input names, which suggests a dictionary input mapping input name to a numpy array, but a dict with value type <class '{}'> was found.",
                            value.type_name()
                        )));
                    };
                    enforce_tensor_spec(arr, t)?;
                }
                Ok(())
            }
            Data::Frame(frame) => {
                let index = frame.index();
                for t in &tensors {
                    let Some(name) = &t.name_json else { continue };
                    let Some(col) = index
                        .get(&pd::label_key(name))
                        .and_then(|&i| frame.columns.get(i))
                    else {
                        return Err(Exc::Py(PyErr {
                            kind: "KeyError",
                            message: json_repr(name),
                        }));
                    };
                    reshape_column(t.name.as_deref(), col, t)?;
                }
                Ok(())
            }
            other => Err(Exc::Mlflow(format!(
                "This model contains a tensor-based model signature with input names, which suggests a dictionary input mapping input name to tensor, or a pandas DataFrame input containing columns mapping input name to flattened list value from tensor, but an input of type {} was found.",
                other.class()
            ))),
        }
    } else {
        let Some(spec) = tensors.first() else {
            return Ok(());
        };
        match data {
            Data::Frame(frame) => {
                if frame.is_empty() {
                    return Err(Exc::Mlflow("Input DataFrame is empty.".into()));
                }
                if frame.columns.len() == 1 {
                    return reshape_column(None, &frame.columns[0], spec);
                }
                let n = frame.columns.len() as i64;
                if spec.shape.as_slice() != [-1, n] {
                    return Err(Exc::Mlflow(format!(
                        "This model contains a model signature with an unnamed input. Since the input data is a pandas DataFrame containing multiple columns, the input shape must be of the structure (-1, number_of_dataframe_columns). Instead, the input DataFrame passed had {n} columns and an input shape of {} with all values within the DataFrame of scalar type. Please adjust the passed in DataFrame to match the expected structure",
                        tuple(&spec.shape)
                    )));
                }
                enforce_tensor_spec(&frame_to_numpy(frame), spec)
            }
            Data::Arr(arr) => enforce_tensor_spec(arr, spec),
            other => Err(Exc::Mlflow(format!(
                "This model contains a tensor-based model signature with no input names, which suggests a numpy array input or a pandas dataframe input with proper column values, but an input of type {} was found.",
                other.class()
            ))),
        }
    }
}

/// What the model gets after `_enforce_schema`: the names it ignored.
#[derive(Debug, Default)]
pub struct Enforced {
    /// Inputs not in the signature (dropped, with a warning).
    pub extra: Vec<String>,
}

/// `_enforce_schema(pf_input, input_schema)`.
pub fn enforce_schema(data: Data<'_>, schema: &Schema) -> Result<Enforced, Exc> {
    let mut data = data;
    if !schema.is_tensor() {
        data = match data {
            Data::Other(o) if o.is_np_scalar() => {
                Data::Frame(pd::from_list(vec![o], None).map_err(Exc::Py)?)
            }
            Data::Dict(dict) => Data::Frame(dict_to_frame(dict, schema)?),
            Data::Rows(rows) => Data::Frame(rows_to_frame(rows)?),
            Data::Other(o) if o.is_list() => {
                Data::Frame(pd::from_list(o.items().unwrap_or_default(), None)?)
            }
            Data::Arr(a) => Data::Frame(pd::from_array(&a)?),
            Data::Frame(f) => Data::Frame(f),
            Data::Other(o) => {
                return Err(Exc::Mlflow(format!(
                    "Expected input to be DataFrame. Found: {}",
                    o.type_name()
                )));
            }
        };
    }
    let specs = &schema.specs;
    let mut enforced = Enforced::default();
    if schema.has_names() {
        let required: Vec<&Value> = specs
            .iter()
            .filter(|s| s.is_required())
            .filter_map(spec_name)
            .collect();
        let optional: Vec<&Value> = specs
            .iter()
            .filter(|s| !s.is_required())
            .filter_map(spec_name)
            .collect();
        let actual: Vec<Value> = match &mut data {
            Data::Arr(a) if required.len() == 1 => {
                let name = required[0].clone();
                let arr = a.clone();
                data = Data::Dict(vec![(name.clone(), Obj::Arr(Rc::new(arr)))]);
                vec![name]
            }
            Data::Frame(f) => f.columns.iter().map(|c| c.label.clone()).collect(),
            Data::Dict(d) => d.iter().map(|(k, _)| k.clone()).collect(),
            _ => Vec::new(),
        };
        // By label key: one pass a side, whatever the number of columns.
        let actual_keys: std::collections::HashSet<pd::LabelKey<'_>> =
            actual.iter().map(pd::label_key).collect();
        let named: std::collections::HashSet<pd::LabelKey<'_>> = required
            .iter()
            .chain(&optional)
            .map(|n| pd::label_key(n))
            .collect();
        let missing: Vec<String> = required
            .iter()
            .filter(|n| !actual_keys.contains(&pd::label_key(n)))
            .map(|n| json_repr(n))
            .collect();
        let mut seen: std::collections::HashSet<pd::LabelKey<'_>> =
            std::collections::HashSet::new();
        let extra: Vec<String> = actual
            .iter()
            .filter(|a| {
                let key = pd::label_key(a);
                let first = seen.insert(key.clone());
                first && !named.contains(&key)
            })
            .map(json_repr)
            .collect();
        if !missing.is_empty() {
            let mut message = format!("Model is missing inputs [{}].", missing.join(", "));
            if !extra.is_empty() {
                message.push_str(&format!(
                    " Note that there were extra inputs: [{}].",
                    extra.join(", ")
                ));
            }
            return Err(Exc::Mlflow(message));
        }
        enforced.extra = extra;
    } else if !schema.is_tensor()
        && let Data::Frame(f) = &data
        && f.columns.len() < specs.len()
    {
        return Err(Exc::Mlflow(format!(
            "Model inference is missing inputs. The model signature declares {} inputs  but the provided value only has {} inputs. Note: the inputs were not named in the signature so we can only verify their count.",
            specs.len(),
            f.columns.len()
        )));
    }
    if schema.is_tensor() {
        enforce_tensor_schema(&data, schema)?;
        return Ok(enforced);
    }
    let Data::Frame(frame) = data else {
        return Ok(enforced);
    };
    let cols = schema.columns();
    if schema.has_names() {
        let index = frame.index();
        for c in cols {
            let Some(name) = &c.name_json else { continue };
            let Some(col) = index
                .get(&pd::label_key(name))
                .and_then(|&i| frame.columns.get(i))
            else {
                continue;
            };
            enforce_column(&col.name(), col, c)?;
        }
    } else {
        for (c, col) in cols.iter().zip(&frame.columns) {
            enforce_column(&col.name(), col, c)?;
        }
    }
    Ok(enforced)
}

fn spec_name(spec: &Spec) -> Option<&Value> {
    match spec {
        Spec::Column(c) => c.name_json.as_ref(),
        Spec::Tensor(t) => t.name_json.as_ref(),
    }
}

fn enforce_column(name: &str, col: &Column<'_>, spec: &ColSpec) -> Result<(), Exc> {
    match &spec.ty {
        ColType::Scalar(dt) => enforce_mlflow_datatype(name, col, *dt).map(|_| ()),
        other => {
            for cell in &col.cells {
                enforce_type(cell, other, spec.is_required())?;
            }
            Ok(())
        }
    }
}

/// `pd.DataFrame(dict)` the way `_enforce_schema` builds it for a column-based signature.
fn dict_to_frame<'a>(dict: Vec<(Value, Obj<'a>)>, schema: &Schema) -> Result<Frame<'a>, Exc> {
    let nested = schema
        .columns()
        .iter()
        .any(|c| matches!(c.ty, ColType::Array(_) | ColType::Object(_)));
    let is_scalar = |v: &Obj<'_>| v.is_np_scalar() || v.is_none();
    let scalars_or_text_lists = dict.iter().all(|(_, v)| {
        is_scalar(v)
            || (v.is_list()
                && v.items()
                    .unwrap_or_default()
                    .iter()
                    .all(|i| matches!(i, Obj::Json(Value::String(_)) | Obj::Str(_))))
    });
    if nested || scalars_or_text_lists {
        return Ok(pd::one_row(dict));
    }
    let all_0d_text = dict.iter().all(
        |(_, v)| matches!(v, Obj::Arr(a) if a.ndim() == 0 && matches!(a.dtype, Dt::Unicode(_))),
    );
    let result = if all_0d_text {
        Ok(pd::one_row(dict))
    } else {
        // Arrays of more than one dimension become lists of lists first.
        let dict = dict
            .into_iter()
            .map(|(k, v)| match &v {
                Obj::Arr(a) if a.ndim() > 1 => (k, Obj::List(Rc::new(a.rows()))),
                _ => (k, v),
            })
            .collect();
        pd::from_dict(dict)
    };
    result.map_err(|e| {
        Exc::Mlflow(format!(
            "This model contains a column-based signature, which suggests a DataFrame input. There was an error casting the input data to a DataFrame: {}",
            e.message
        ))
    })
}

/// `pd.DataFrame(list_of_dicts)` for rows whose values were already converted.
fn rows_to_frame<'a>(rows: Vec<Vec<(Value, Obj<'a>)>>) -> Result<Frame<'a>, Exc> {
    let n = rows.len();
    let mut labels: Vec<Value> = Vec::new();
    {
        let mut seen = std::collections::HashSet::new();
        for row in &rows {
            for (k, _) in row {
                if seen.insert(pd::label_key(k)) {
                    labels.push(k.clone());
                }
            }
        }
    }
    // Each row's values by label key, so a row of many keys is looked through once.
    let row_index: Vec<std::collections::HashMap<pd::LabelKey<'_>, usize>> = rows
        .iter()
        .map(|row| pd::label_index(row.iter().map(|(k, _)| k)))
        .collect();
    let columns = labels
        .into_iter()
        .map(|label| {
            let key = pd::label_key(&label);
            let cells: Vec<Obj<'a>> = rows
                .iter()
                .zip(&row_index)
                .map(|(row, index)| {
                    index
                        .get(&key)
                        .and_then(|&i| row.get(i))
                        .map(|(_, v)| match v {
                            // A 0-d array in a cell is its element.
                            Obj::Arr(a) if a.ndim() == 0 => {
                                a.elements().into_iter().next().unwrap_or(Obj::None)
                            }
                            other => other.clone(),
                        })
                        .unwrap_or(Obj::Float(f64::NAN))
                })
                .collect();
            pd::column_of(label, cells)
        })
        .collect();
    Ok(Frame { columns, rows: n })
}
