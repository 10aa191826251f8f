//! numpy as MLflow's request handling meets it: `np.array(value, dtype)` on what `json.loads`
//! made (shape discovery, the cast of each element, dtype inference) with numpy's own error
//! texts, without copying the request: an array made from JSON keeps borrowing it.

use std::rc::Rc;

use serde_json::Value;

use super::py::{Obj, json_str, str_repr};
use crate::input::tensor::Flat;

/// A typed tensor (or a block of one) standing for the nested JSON lists it is written as:
/// integers for integer dtypes, floats for float dtypes (`null` for NaN and infinities),
/// booleans. numpy's steps on such a list are taken on the values in place.
#[derive(Debug, Clone)]
pub struct Typed<'a> {
    /// The values in C order.
    pub flat: Flat<'a>,
    /// The nesting: the list's shape.
    pub shape: Vec<usize>,
}

static TRUE: Value = Value::Bool(true);
static FALSE: Value = Value::Bool(false);

impl<'a> Typed<'a> {
    /// Element `i` as the Python object `json.loads` would make of it.
    pub fn leaf(&self, i: usize) -> Obj<'a> {
        let float = |x: f64| {
            if x.is_finite() {
                Obj::Float(x)
            } else {
                Obj::None
            }
        };
        match self.flat {
            Flat::U8(v) => v.get(i).map_or(Obj::None, |x| Obj::Int(i64::from(*x))),
            Flat::I64(v) => v.get(i).map_or(Obj::None, |x| Obj::Int(*x)),
            Flat::F32(v) => v.get(i).map_or(Obj::None, |x| float(f64::from(*x))),
            Flat::F64(v) => v.get(i).map_or(Obj::None, |x| float(*x)),
            Flat::Bool(v) => v
                .get(i)
                .map_or(Obj::None, |x| Obj::Json(if *x { &TRUE } else { &FALSE })),
        }
    }

    /// The block at index `i` of the first axis.
    fn sub(&self, i: usize) -> Typed<'a> {
        let rest = self.shape.get(1..).unwrap_or(&[]);
        let stride: usize = rest.iter().product();
        Typed {
            flat: self.flat.slice(i * stride, (i + 1) * stride),
            shape: rest.to_vec(),
        }
    }

    /// The list's items: sub-lists, or the elements of a 1-d list.
    pub fn items(&self) -> Vec<Obj<'a>> {
        let n = self.shape.first().copied().unwrap_or(0);
        if self.shape.len() <= 1 {
            (0..n).map(|i| self.leaf(i)).collect()
        } else {
            (0..n).map(|i| Obj::Typed(Rc::new(self.sub(i)))).collect()
        }
    }

    /// The object for a whole tensor: a list, or for a 0-d tensor its one element.
    pub fn obj(self) -> Obj<'a> {
        if self.shape.is_empty() {
            self.leaf(0)
        } else {
            Obj::Typed(Rc::new(self))
        }
    }
}

/// A numpy dtype (and pandas' string dtype, which MLflow's checks meet beside them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dt {
    /// `bool`.
    Bool,
    /// `int8` .. `int64`, by byte size.
    Int(u8),
    /// `uint8` .. `uint64`, by byte size.
    UInt(u8),
    /// `float16` .. `float64`, by byte size.
    Float(u8),
    /// `complex64`, `complex128`, by byte size.
    Complex(u8),
    /// `<U{n}`: fixed-width unicode strings of `n` characters (`str` in a signature is `<U0`).
    Unicode(usize),
    /// `|S{n}`: fixed-width bytes (`bytes` in a signature is `|S0`).
    Bytes(usize),
    /// `object`.
    Object,
    /// `datetime64[ns]`.
    DateTime,
    /// pandas' `str` dtype (`StringDtype`), which pandas 3 infers for columns of strings.
    PdStr,
    /// Any other dtype (timedelta, void, float128): values are not checked.
    Other,
}

/// A Python exception raised inside numpy or pandas: its class and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PyErr {
    /// The exception class, e.g. `ValueError`.
    pub kind: &'static str,
    /// Its text.
    pub message: String,
}

impl PyErr {
    /// A `ValueError`.
    pub fn value(message: impl Into<String>) -> Self {
        Self {
            kind: "ValueError",
            message: message.into(),
        }
    }

    /// A `TypeError`.
    pub fn type_error(message: impl Into<String>) -> Self {
        Self {
            kind: "TypeError",
            message: message.into(),
        }
    }

    /// `repr(e)`, as f-strings with `!r` print it.
    pub fn repr(&self) -> String {
        super::py::exception_repr(self.kind, &self.message)
    }
}

impl Dt {
    /// The dtype of a TensorSpec's numpy name (as the signature reader normalises it).
    pub fn from_spec(name: &str) -> Dt {
        let sized = |prefix: &str| {
            name.strip_prefix(prefix)
                .and_then(|bits| bits.parse::<u8>().ok())
                .map(|bits| bits / 8)
        };
        match name {
            "bool" => Dt::Bool,
            "str" => Dt::Unicode(0),
            "bytes" => Dt::Bytes(0),
            "object" => Dt::Object,
            "datetime64[ns]" => Dt::DateTime,
            "float128" => Dt::Other,
            _ => {
                if let Some(b) = sized("uint") {
                    Dt::UInt(b)
                } else if let Some(b) = sized("int") {
                    Dt::Int(b)
                } else if let Some(b) = sized("float") {
                    Dt::Float(b)
                } else if let Some(b) = sized("complex") {
                    Dt::Complex(b)
                } else {
                    Dt::Other
                }
            }
        }
    }

    /// `str(dtype)`.
    pub fn name(self) -> String {
        match self {
            Dt::Bool => "bool".into(),
            Dt::Int(b) => format!("int{}", u32::from(b) * 8),
            Dt::UInt(b) => format!("uint{}", u32::from(b) * 8),
            Dt::Float(b) => format!("float{}", u32::from(b) * 8),
            Dt::Complex(b) => format!("complex{}", u32::from(b) * 8),
            Dt::Unicode(n) => format!("<U{n}"),
            Dt::Bytes(n) => format!("|S{n}"),
            Dt::Object => "object".into(),
            Dt::DateTime => "datetime64[ns]".into(),
            Dt::PdStr => "str".into(),
            Dt::Other => "other".into(),
        }
    }

    /// `type(np_scalar).__name__` for a scalar of this dtype.
    pub fn scalar_type_name(self) -> String {
        match self {
            Dt::Unicode(_) | Dt::PdStr => "str_".into(),
            Dt::Bytes(_) => "bytes_".into(),
            Dt::DateTime => "datetime64".into(),
            Dt::Object => "object".into(),
            other => other.name(),
        }
    }

    /// numpy's `dtype.kind`.
    pub fn kind(self) -> char {
        match self {
            Dt::Bool => 'b',
            Dt::Int(_) => 'i',
            Dt::UInt(_) => 'u',
            Dt::Float(_) => 'f',
            Dt::Complex(_) => 'c',
            Dt::Unicode(_) => 'U',
            Dt::Bytes(_) => 'S',
            Dt::Object | Dt::PdStr | Dt::Other => 'O',
            Dt::DateTime => 'M',
        }
    }

    /// numpy's `dtype.itemsize`.
    pub fn itemsize(self) -> usize {
        match self {
            Dt::Bool => 1,
            Dt::Int(b) | Dt::UInt(b) | Dt::Float(b) | Dt::Complex(b) => usize::from(b),
            Dt::Unicode(n) => 4 * n,
            Dt::Bytes(n) => n,
            Dt::Object | Dt::DateTime | Dt::PdStr | Dt::Other => 8,
        }
    }

    /// Whether two dtypes are the same once string sizes are dropped (`clean_tensor_type`).
    pub fn same_kind_of_text(self, other: Dt) -> bool {
        match (self, other) {
            (Dt::Unicode(_), Dt::Unicode(_)) | (Dt::Bytes(_), Dt::Bytes(_)) => true,
            (a, b) => a == b,
        }
    }

    fn int_range(self) -> Option<(i128, i128)> {
        match self {
            Dt::Int(b) => {
                let bits = u32::from(b) * 8;
                Some((-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1))
            }
            Dt::UInt(b) => Some((0, (1i128 << (u32::from(b) * 8)) - 1)),
            _ => None,
        }
    }
}

/// Where an array's elements are.
#[derive(Debug, Clone)]
enum Src<'a> {
    /// Nested JSON lists, read through the array's dtype.
    Json(&'a Value),
    /// Its rows along the first axis (each an array or a scalar).
    Rows(Rc<Vec<Obj<'a>>>),
    /// A 0-d array's one element.
    Scalar(Rc<Obj<'a>>),
    /// A typed tensor's values, read through the array's dtype.
    Typed(Typed<'a>),
}

/// A numpy array: its shape, dtype and elements.
#[derive(Debug, Clone)]
pub struct Arr<'a> {
    /// `arr.shape`.
    pub shape: Vec<usize>,
    /// `arr.dtype`.
    pub dtype: Dt,
    src: Src<'a>,
}

impl<'a> Arr<'a> {
    /// An array of the given rows (`np.array(list_of_values)` once stacked).
    pub fn from_rows(shape: Vec<usize>, dtype: Dt, rows: Vec<Obj<'a>>) -> Self {
        Self {
            shape,
            dtype,
            src: Src::Rows(Rc::new(rows)),
        }
    }

    /// The rows along the first axis: sub-arrays, or scalars for a 1-d array.
    pub fn rows(&self) -> Vec<Obj<'a>> {
        match &self.src {
            Src::Rows(rows) => rows.as_ref().clone(),
            Src::Scalar(one) => vec![one.as_ref().clone()],
            Src::Typed(t) => {
                let n = t.shape.first().copied().unwrap_or(0);
                if t.shape.len() <= 1 {
                    (0..n).map(|i| self.element_of(t.leaf(i))).collect()
                } else {
                    (0..n)
                        .map(|i| {
                            let sub = t.sub(i);
                            Obj::Arr(Rc::new(Arr {
                                shape: sub.shape.clone(),
                                dtype: self.dtype,
                                src: Src::Typed(sub),
                            }))
                        })
                        .collect()
                }
            }
            Src::Json(v) => {
                let Value::Array(items) = v else {
                    return Vec::new();
                };
                if self.shape.len() <= 1 {
                    items.iter().map(|leaf| self.element(leaf)).collect()
                } else {
                    items
                        .iter()
                        .map(|item| {
                            Obj::Arr(Rc::new(Arr {
                                shape: self.shape[1..].to_vec(),
                                dtype: self.dtype,
                                src: Src::Json(item),
                            }))
                        })
                        .collect()
                }
            }
        }
    }

    /// One element read through the dtype, as a numpy scalar (or the object itself).
    fn element(&self, leaf: &'a Value) -> Obj<'a> {
        self.element_of(Obj::Json(leaf))
    }

    fn element_of(&self, leaf: Obj<'a>) -> Obj<'a> {
        if self.dtype == Dt::Object {
            return leaf;
        }
        let value = cast(&leaf, self.dtype).unwrap_or(leaf);
        Obj::NpScalar(self.dtype, Rc::new(value))
    }

    /// Every element in order, read through the dtype.
    pub fn elements(&self) -> Vec<Obj<'a>> {
        let mut out = Vec::new();
        self.walk(&mut |o| out.push(o));
        out
    }

    fn walk(&self, f: &mut dyn FnMut(Obj<'a>)) {
        if self.shape.is_empty() {
            match &self.src {
                Src::Scalar(one) => f(one.as_ref().clone()),
                Src::Json(v) => f(self.element(v)),
                Src::Rows(rows) => rows.iter().for_each(|r| f(r.clone())),
                Src::Typed(t) => f(self.element_of(t.leaf(0))),
            }
            return;
        }
        for row in self.rows() {
            match row {
                Obj::Arr(sub) if self.shape.len() > 1 => sub.walk(f),
                other => f(other),
            }
        }
    }

    /// `arr.ndim`.
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    /// The shape as Python prints it.
    pub fn shape_text(&self) -> String {
        let dims: Vec<i64> = self.shape.iter().map(|&d| d as i64).collect();
        super::py::tuple(&dims)
    }
}

/// The children of an object numpy treats as a sequence (lists and arrays; strings and dicts
/// are scalars to numpy).
fn children<'a>(o: &Obj<'a>) -> Option<Vec<Obj<'a>>> {
    match o {
        Obj::Json(Value::Array(_)) | Obj::List(_) | Obj::Typed(_) => o.items(),
        Obj::Arr(a) if !a.shape.is_empty() => Some(a.rows()),
        _ => None,
    }
}

/// Shape discovery: the dims where every element is a sequence of one length, and whether the
/// nesting went on unevenly below them. The first path down gives the candidate shape; one walk
/// (no copy) finds the shallowest depth where any element disagrees, which is where numpy's
/// level-by-level discovery stops.
fn discover_json(value: &Value) -> (Vec<usize>, bool) {
    let mut shape = Vec::new();
    let mut node = value;
    while let Value::Array(items) = node {
        shape.push(items.len());
        match items.first() {
            Some(first) => node = first,
            None => break,
        }
    }
    fn check(v: &Value, depth: usize, shape: &[usize], ragged_at: &mut usize) {
        if depth >= *ragged_at {
            return;
        }
        match (v, shape.get(depth)) {
            (Value::Array(items), Some(&n)) if items.len() == n => {
                for item in items {
                    check(item, depth + 1, shape, ragged_at);
                }
            }
            (Value::Array(_), _) | (_, Some(_)) => *ragged_at = depth,
            _ => {}
        }
    }
    let mut ragged_at = usize::MAX;
    check(value, 0, &shape, &mut ragged_at);
    if ragged_at == usize::MAX {
        (shape, false)
    } else {
        shape.truncate(ragged_at);
        (shape, true)
    }
}

fn discover_objs<'a>(value: &Obj<'a>) -> (Vec<usize>, bool, Vec<Obj<'a>>) {
    let mut shape = Vec::new();
    let mut level: Vec<Obj<'a>> = vec![value.clone()];
    loop {
        let kids: Vec<Option<Vec<Obj<'a>>>> = level.iter().map(children).collect();
        let lists = kids.iter().filter(|k| k.is_some()).count();
        if lists == 0 {
            return (shape, false, level);
        }
        if lists != level.len() {
            return (shape, true, level);
        }
        let n = kids.first().and_then(|k| k.as_ref()).map_or(0, Vec::len);
        if kids.iter().any(|k| k.as_ref().map_or(0, Vec::len) != n) {
            return (shape, true, level);
        }
        shape.push(n);
        level = kids.into_iter().flatten().flatten().collect();
        if n == 0 {
            return (shape, false, level);
        }
    }
}

fn inhomogeneous(shape: &[usize]) -> PyErr {
    let dims: Vec<i64> = shape.iter().map(|&d| d as i64).collect();
    PyErr::value(format!(
        "setting an array element with a sequence. The requested array has an inhomogeneous shape after {} dimensions. The detected shape was {} + inhomogeneous part.",
        shape.len(),
        super::py::tuple(&dims)
    ))
}

/// `np.array(value, dtype=dtype)` (`dtype` `None`: numpy infers it).
pub fn array<'a>(value: &Obj<'a>, dtype: Option<Dt>) -> Result<Arr<'a>, PyErr> {
    // A 0-d array or numpy scalar given whole.
    if let Obj::Arr(a) = value {
        return match dtype {
            None => Ok(a.as_ref().clone()),
            Some(dt) => astype_arr(a, dt),
        };
    }
    if let Obj::Json(v) = value {
        return array_json(v, dtype);
    }
    if let Obj::Typed(t) = value {
        return array_typed(t, dtype);
    }
    // A list of arrays of one shape stacks without looking inside them (a batch of images
    // given as `instances` rows is millions of numbers).
    if dtype.is_none()
        && let Some(items) = value.items()
        && let Some(Obj::Arr(first)) = items.first()
        && first.ndim() > 0
        && items
            .iter()
            .all(|i| matches!(i, Obj::Arr(a) if a.shape == first.shape))
    {
        let dt = items.iter().fold(first.dtype, |d, i| match i {
            Obj::Arr(a) => promote(d, a.dtype),
            _ => d,
        });
        let mut shape = vec![items.len()];
        shape.extend(&first.shape);
        return Ok(Arr::from_rows(shape, dt, items));
    }
    let (shape, ragged, leaves) = discover_objs(value);
    if ragged && dtype != Some(Dt::Object) {
        return Err(inhomogeneous(&shape));
    }
    let dt = match dtype {
        Some(dt) => {
            for leaf in &leaves {
                cast(leaf, dt)?;
            }
            dt
        }
        None => infer(leaves.iter())?,
    };
    Ok(build(value, shape, dt))
}

/// Builds the array of `value` (already checked) with this shape and dtype.
fn build<'a>(value: &Obj<'a>, shape: Vec<usize>, dtype: Dt) -> Arr<'a> {
    if shape.is_empty() {
        let one = match value {
            Obj::NpScalar(_, inner) => inner.as_ref().clone(),
            other => cast(other, dtype).unwrap_or_else(|_| other.clone()),
        };
        return Arr {
            shape,
            dtype,
            src: Src::Scalar(Rc::new(one)),
        };
    }
    let rows = children(value).unwrap_or_default();
    let rows = rows
        .iter()
        .map(|r| {
            if shape.len() == 1 {
                if dtype == Dt::Object {
                    r.clone()
                } else {
                    let inner = match r {
                        Obj::NpScalar(_, inner) => inner.as_ref().clone(),
                        other => cast(other, dtype).unwrap_or_else(|_| other.clone()),
                    };
                    Obj::NpScalar(dtype, Rc::new(inner))
                }
            } else {
                Obj::Arr(Rc::new(build(r, shape[1..].to_vec(), dtype)))
            }
        })
        .collect();
    Arr {
        shape,
        dtype,
        src: Src::Rows(Rc::new(rows)),
    }
}

fn array_json(v: &Value, dtype: Option<Dt>) -> Result<Arr<'_>, PyErr> {
    let (shape, ragged) = discover_json(v);
    if ragged {
        if dtype != Some(Dt::Object) {
            return Err(inhomogeneous(&shape));
        }
        // An object array of whatever stands at the ragged level.
        return Ok(Arr {
            shape,
            dtype: Dt::Object,
            src: Src::Json(v),
        });
    }
    let depth = shape.len();
    let dt = match dtype {
        Some(dt) => {
            check_json_leaves(v, depth, dt)?;
            dt
        }
        None => {
            let mut leaves = Vec::new();
            collect_json(v, depth, &mut leaves);
            infer(
                leaves
                    .iter()
                    .map(|l| Obj::Json(l))
                    .collect::<Vec<_>>()
                    .iter(),
            )?
        }
    };
    let dt = string_width(dt, || {
        let mut leaves = Vec::new();
        collect_json(v, depth, &mut leaves);
        leaves
            .iter()
            .map(|leaf| json_str(leaf).chars().count())
            .max()
            .unwrap_or(0)
    });
    Ok(Arr {
        shape,
        dtype: dt,
        src: Src::Json(v),
    })
}

/// `np.array(list, dtype)` of a typed tensor's list: the shape is known, and the casts that
/// cannot fail (uint8 values into uint8, floats into floats) are not made one by one.
fn array_typed<'a>(t: &Typed<'a>, dtype: Option<Dt>) -> Result<Arr<'a>, PyErr> {
    let n = t.flat.len();
    let dt = match dtype {
        None => match t.flat {
            Flat::U8(_) | Flat::I64(_) => Dt::Int(8),
            Flat::Bool(_) => Dt::Bool,
            // NaN is written `null`: a list of floats and None is an object array.
            f if f.has_non_finite() => Dt::Object,
            _ => Dt::Float(8),
        },
        Some(dt) => {
            let (lo, hi) = match t.flat {
                Flat::U8(v) => (0, v.iter().copied().max().map_or(0, i128::from)),
                Flat::I64(v) => (
                    v.iter().copied().min().map_or(0, i128::from),
                    v.iter().copied().max().map_or(0, i128::from),
                ),
                _ => (0, 0),
            };
            let trivial = match (t.flat, dt) {
                (_, Dt::Object | Dt::Other | Dt::Bool) => true,
                (Flat::Bool(_), Dt::Int(_) | Dt::UInt(_) | Dt::Float(_) | Dt::Complex(_)) => true,
                (Flat::U8(_) | Flat::I64(_), Dt::Float(_) | Dt::Complex(_) | Dt::DateTime) => true,
                (Flat::F32(_) | Flat::F64(_), Dt::Float(_) | Dt::Complex(_)) => true,
                (Flat::U8(_) | Flat::I64(_), Dt::Int(_) | Dt::UInt(_)) => dt
                    .int_range()
                    .is_some_and(|(min, max)| min <= lo && hi <= max),
                _ => false,
            };
            if !trivial {
                for i in 0..n {
                    cast(&t.leaf(i), dt)?;
                }
            }
            dt
        }
    };
    let dt = string_width(dt, || {
        (0..n)
            .map(|i| t.leaf(i).py_str().chars().count())
            .max()
            .unwrap_or(0)
    });
    Ok(Arr {
        shape: t.shape.clone(),
        dtype: dt,
        src: Src::Typed(t.clone()),
    })
}

/// A string dtype without a width gets its longest element's (`longest`); others stay.
fn string_width(dt: Dt, longest: impl FnOnce() -> usize) -> Dt {
    match dt {
        Dt::Unicode(0) => Dt::Unicode(longest()),
        Dt::Bytes(0) => Dt::Bytes(longest()),
        other => other,
    }
}

fn collect_json<'a>(v: &'a Value, depth: usize, out: &mut Vec<&'a Value>) {
    if depth == 0 {
        out.push(v);
        return;
    }
    if let Value::Array(items) = v {
        for item in items {
            collect_json(item, depth - 1, out);
        }
    }
}

/// Casts every leaf (an image batch is millions of numbers: the common ones take a fast path).
fn check_json_leaves(v: &Value, depth: usize, dt: Dt) -> Result<(), PyErr> {
    if depth == 0 {
        if let Value::Number(n) = v {
            match dt {
                Dt::Float(_) | Dt::Object => return Ok(()),
                Dt::Int(_) | Dt::UInt(_) => {
                    if let (Some((lo, hi)), Some(i)) = (dt.int_range(), n.as_i64())
                        && (lo..=hi).contains(&i128::from(i))
                    {
                        return Ok(());
                    }
                }
                _ => {}
            }
        }
        return cast(&Obj::Json(v), dt).map(|_| ());
    }
    if let Value::Array(items) = v {
        for item in items {
            check_json_leaves(item, depth - 1, dt)?;
        }
    }
    Ok(())
}

/// What numpy infers for these elements.
fn infer<'x, 'a: 'x>(leaves: impl Iterator<Item = &'x Obj<'a>>) -> Result<Dt, PyErr> {
    let mut numbers: Option<Dt> = None;
    let mut text: Option<usize> = None;
    let mut number_width = 0;
    for leaf in leaves {
        let dt = match leaf {
            Obj::Json(Value::Bool(_)) => Dt::Bool,
            Obj::Json(Value::Number(n)) if n.is_f64() => Dt::Float(8),
            Obj::Json(Value::Number(n)) if n.as_i64().is_some() => Dt::Int(8),
            Obj::Json(Value::Number(_)) => Dt::UInt(8),
            Obj::Float(_) => Dt::Float(8),
            Obj::Int(_) => Dt::Int(8),
            Obj::Json(Value::String(s)) => Dt::Unicode(s.chars().count()),
            Obj::Str(s) => Dt::Unicode(s.chars().count()),
            Obj::NpScalar(Dt::PdStr, inner) => Dt::Unicode(inner.py_str().chars().count()),
            Obj::NpScalar(dt, _) => *dt,
            Obj::Arr(a) => a.dtype,
            _ => Dt::Object,
        };
        match dt {
            Dt::Object | Dt::Other | Dt::Bytes(_) | Dt::DateTime | Dt::PdStr => {
                return Ok(Dt::Object);
            }
            Dt::Unicode(n) => text = Some(text.unwrap_or(0).max(n)),
            number => {
                // numpy's widths for numbers turned into strings.
                number_width = number_width.max(match number {
                    Dt::Bool => 5,
                    Dt::Float(_) | Dt::Complex(_) => 32,
                    _ => 21,
                });
                numbers = Some(numbers.map_or(number, |d| promote(d, number)));
            }
        }
    }
    Ok(match (text, numbers) {
        (Some(n), _) => Dt::Unicode(n.max(number_width)),
        (None, Some(dt)) => dt,
        (None, None) => Dt::Float(8),
    })
}

/// numpy's type promotion for the dtypes MLflow's paths mix.
pub fn promote(a: Dt, b: Dt) -> Dt {
    use Dt::*;
    match (a, b) {
        (x, y) if x == y => x,
        (Unicode(m), Unicode(n)) => Unicode(m.max(n)),
        (Bytes(m), Bytes(n)) => Bytes(m.max(n)),
        (Float(m), Float(n)) => Float(m.max(n)),
        (Int(m), Int(n)) => Int(m.max(n)),
        (UInt(m), UInt(n)) => UInt(m.max(n)),
        (Int(m), UInt(n)) | (UInt(n), Int(m)) => {
            if m > n {
                Int(m)
            } else if n < 8 {
                Int(n * 2)
            } else {
                Float(8)
            }
        }
        (Float(m), Int(n) | UInt(n)) | (Int(n) | UInt(n), Float(m)) => {
            if n <= 2 && m >= 4 || n == 1 && m >= 2 {
                Float(m)
            } else {
                Float(8)
            }
        }
        (Bool, x) | (x, Bool) if matches!(x, Int(_) | UInt(_) | Float(_)) => x,
        _ => Object,
    }
}

/// Python's `int(text)`: optional sign, digits with single underscores between them.
pub fn py_int(text: &str) -> Option<i128> {
    let t = text.trim();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
        || !digits.chars().all(|c| c.is_ascii_digit() || c == '_')
    {
        return None;
    }
    let v: i128 = digits.replace('_', "").parse().ok()?;
    Some(if neg { -v } else { v })
}

/// Python's `float(text)`.
pub fn py_float(text: &str) -> Option<f64> {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    let body = lower.trim_start_matches(['+', '-']);
    if matches!(body, "nan" | "inf" | "infinity") {
        let v = if body == "nan" {
            f64::NAN
        } else {
            f64::INFINITY
        };
        return Some(if lower.starts_with('-') { -v } else { v });
    }
    if t.contains("__") || t.starts_with('_') || t.ends_with('_') {
        return None;
    }
    // Underscores only between digits.
    let chars: Vec<char> = t.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if *c == '_'
            && !(i > 0
                && chars[i - 1].is_ascii_digit()
                && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            return None;
        }
        if !(c.is_ascii_digit() || matches!(c, '_' | '.' | 'e' | 'E' | '+' | '-')) {
            return None;
        }
    }
    t.replace('_', "").parse::<f64>().ok()
}

/// The cast numpy makes of one element to `dt`, or its error.
pub fn cast<'a>(leaf: &Obj<'a>, dt: Dt) -> Result<Obj<'a>, PyErr> {
    let leaf = match leaf {
        Obj::NpScalar(_, inner) => inner.as_ref(),
        other => other,
    };
    match dt {
        Dt::Object | Dt::Other => Ok(leaf.clone()),
        Dt::Bool => Ok(leaf.clone()),
        Dt::Int(_) | Dt::UInt(_) => {
            let range = dt.int_range().unwrap_or((i128::MIN, i128::MAX));
            let value: i128 = match leaf {
                Obj::Json(Value::Bool(b)) => i128::from(*b),
                Obj::Json(Value::Number(n)) => match (n.as_i64(), n.as_u64()) {
                    (Some(i), _) => i128::from(i),
                    (_, Some(u)) => i128::from(u),
                    _ => float_to_int(n.as_f64().unwrap_or(f64::NAN))?,
                },
                Obj::Float(f) => float_to_int(*f)?,
                Obj::Int(i) => i128::from(*i),
                Obj::Json(Value::String(s)) => py_int(s).ok_or_else(|| {
                    PyErr::value(format!(
                        "invalid literal for int() with base 10: {}",
                        str_repr(s)
                    ))
                })?,
                Obj::Str(s) => py_int(s).ok_or_else(|| {
                    PyErr::value(format!(
                        "invalid literal for int() with base 10: {}",
                        str_repr(s)
                    ))
                })?,
                other => {
                    return Err(PyErr::type_error(format!(
                        "int() argument must be a string, a bytes-like object or a real number, not '{}'",
                        other.type_name()
                    )));
                }
            };
            // numpy converts through a C long first: past it only uint64 takes a value
            // (up to its own limit); anything else is too large before any bounds check.
            let long = i128::from(i64::MIN)..=i128::from(i64::MAX);
            let through_ulong = dt.name() == "uint64" && value <= range.1;
            if !(long.contains(&value) || through_ulong) {
                return Err(PyErr {
                    kind: "OverflowError",
                    message: "Python int too large to convert to C long".into(),
                });
            }
            if value < range.0 || value > range.1 {
                return Err(PyErr {
                    kind: "OverflowError",
                    message: format!("Python integer {value} out of bounds for {}", dt.name()),
                });
            }
            // Whole numbers are kept as floats of the same value (enough for the checks
            // that follow).
            Ok(Obj::Float(value as f64))
        }
        Dt::Float(_) | Dt::Complex(_) => match leaf {
            Obj::Json(Value::Bool(b)) => Ok(Obj::Float(f64::from(u8::from(*b)))),
            Obj::Json(Value::Number(n)) => Ok(Obj::Float(n.as_f64().unwrap_or(f64::NAN))),
            Obj::Float(f) => Ok(Obj::Float(*f)),
            Obj::Int(i) => Ok(Obj::Float(*i as f64)),
            Obj::None | Obj::Json(Value::Null) => Ok(Obj::Float(f64::NAN)),
            Obj::Json(Value::String(s)) => py_float(s).map(Obj::Float).ok_or_else(|| {
                PyErr::value(format!(
                    "could not convert string to float: {}",
                    str_repr(s)
                ))
            }),
            Obj::Str(s) => py_float(s).map(Obj::Float).ok_or_else(|| {
                PyErr::value(format!(
                    "could not convert string to float: {}",
                    str_repr(s)
                ))
            }),
            other => Err(PyErr::type_error(format!(
                "float() argument must be a string or a real number, not '{}'",
                other.type_name()
            ))),
        },
        Dt::Unicode(_) | Dt::PdStr => Ok(Obj::Str(Rc::from(leaf.py_str().as_str()))),
        Dt::Bytes(_) => {
            let text = leaf.py_str();
            if let Some((pos, c)) = text.char_indices().find(|(_, c)| !c.is_ascii()) {
                return Err(PyErr {
                    kind: "UnicodeEncodeError",
                    message: format!(
                        "'ascii' codec can't encode character '\\x{:02x}' in position {pos}: ordinal not in range(128)",
                        c as u32
                    ),
                });
            }
            Ok(Obj::Bytes(text.len()))
        }
        Dt::DateTime => match leaf {
            Obj::None | Obj::Json(Value::Null) => Ok(Obj::None),
            Obj::Json(Value::Bool(_)) => Ok(leaf.clone()),
            Obj::Json(Value::Number(n)) if !n.is_f64() => Ok(leaf.clone()),
            Obj::Int(_) => Ok(leaf.clone()),
            Obj::Json(Value::String(s)) if super::pd::parses_as_numpy_datetime(s) => {
                Ok(leaf.clone())
            }
            Obj::Json(Value::String(s)) => Err(PyErr::value(format!(
                "Error parsing datetime string \"{s}\" at position 0"
            ))),
            _ => Err(PyErr::value("Could not convert object to NumPy datetime")),
        },
    }
}

fn float_to_int(f: f64) -> Result<i128, PyErr> {
    if f.is_nan() {
        return Err(PyErr::value("cannot convert float NaN to integer"));
    }
    if f.is_infinite() {
        return Err(PyErr {
            kind: "OverflowError",
            message: "cannot convert float infinity to integer".into(),
        });
    }
    let t = f.trunc();
    if t.abs() >= 9.223_372_036_854_776e18 {
        return Err(PyErr {
            kind: "OverflowError",
            message: "Python int too large to convert to C long".into(),
        });
    }
    Ok(t as i128)
}

/// `arr.astype(dt)`: every element cast; an object array holding sequences cannot become
/// numbers.
pub fn astype_arr<'a>(a: &Arr<'a>, dt: Dt) -> Result<Arr<'a>, PyErr> {
    let elements = a.elements();
    if a.dtype == Dt::Object && dt != Dt::Object {
        for e in &elements {
            if children(e).is_some() || matches!(e, Obj::Arr(_)) {
                return Err(PyErr::value("setting an array element with a sequence"));
            }
        }
    }
    for e in &elements {
        cast(e, dt)?;
    }
    let mut out = a.clone();
    out.dtype = match dt {
        Dt::Unicode(0) => Dt::Unicode(
            elements
                .iter()
                .map(|e| e.py_str().chars().count())
                .max()
                .unwrap_or(0),
        ),
        other => other,
    };
    if let Src::Json(_) = out.src {
        return Ok(out);
    }
    Ok(Arr::from_rows(
        out.shape.clone(),
        out.dtype,
        a.rows()
            .into_iter()
            .map(|r| match r {
                Obj::Arr(sub) => astype_arr(&sub, dt)
                    .map(|s| Obj::Arr(Rc::new(s)))
                    .unwrap_or(Obj::None),
                other => Obj::NpScalar(out.dtype, Rc::new(cast(&other, dt).unwrap_or(other))),
            })
            .collect(),
    ))
}
