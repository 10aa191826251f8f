//! Typed n-d arrays: what image files, `.npy` files, a fill, or a JSON request of numbers
//! become, held with their numpy dtype from where they are made to the backend. JSON is
//! written from them only at the edge, streamed (never a tree of millions of values), and read
//! into them in one pass ([`read_json_array`]).

use std::io::Write;

use ndarray::{ArrayD, IxDyn};
use serde_json::Value;

/// A tensor with its numpy dtype, in standard (C) layout.
#[derive(Debug, Clone, PartialEq)]
pub enum Tensor {
    /// uint8.
    U8(ArrayD<u8>),
    /// int32 / int64 and other integer dtypes, held as i64.
    I64(ArrayD<i64>, String),
    /// float32.
    F32(ArrayD<f32>),
    /// float64.
    F64(ArrayD<f64>),
    /// bool.
    Bool(ArrayD<bool>),
}

/// A tensor's elements in C order, borrowed.
#[derive(Debug, Clone, Copy)]
pub enum Flat<'a> {
    /// uint8 values (JSON integers).
    U8(&'a [u8]),
    /// Integer values (JSON integers).
    I64(&'a [i64]),
    /// float32 values (JSON floats; NaN and infinities are written `null`).
    F32(&'a [f32]),
    /// float64 values (JSON floats; NaN and infinities are written `null`).
    F64(&'a [f64]),
    /// Booleans.
    Bool(&'a [bool]),
}

impl<'a> Flat<'a> {
    /// The number of elements.
    pub fn len(&self) -> usize {
        match self {
            Flat::U8(v) => v.len(),
            Flat::I64(v) => v.len(),
            Flat::F32(v) => v.len(),
            Flat::F64(v) => v.len(),
            Flat::Bool(v) => v.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Elements `start..end` (clamped).
    pub fn slice(&self, start: usize, end: usize) -> Flat<'a> {
        let end = end.min(self.len());
        let start = start.min(end);
        match self {
            Flat::U8(v) => Flat::U8(&v[start..end]),
            Flat::I64(v) => Flat::I64(&v[start..end]),
            Flat::F32(v) => Flat::F32(&v[start..end]),
            Flat::F64(v) => Flat::F64(&v[start..end]),
            Flat::Bool(v) => Flat::Bool(&v[start..end]),
        }
    }

    /// Element `i` as the JSON value it is written as.
    pub fn json(&self, i: usize) -> Value {
        let float = |x: f64| serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number);
        match self {
            Flat::U8(v) => v.get(i).map_or(Value::Null, |x| Value::from(*x)),
            Flat::I64(v) => v.get(i).map_or(Value::Null, |x| Value::from(*x)),
            Flat::F32(v) => v.get(i).map_or(Value::Null, |x| float(f64::from(*x))),
            Flat::F64(v) => v.get(i).map_or(Value::Null, |x| float(*x)),
            Flat::Bool(v) => v.get(i).map_or(Value::Null, |x| Value::Bool(*x)),
        }
    }

    /// Whether the values are written as JSON floats (float dtypes).
    pub fn is_float(&self) -> bool {
        matches!(self, Flat::F32(_) | Flat::F64(_))
    }

    /// Whether any float value is NaN or infinite (written `null`).
    pub fn has_non_finite(&self) -> bool {
        match self {
            Flat::F32(v) => v.iter().any(|x| !x.is_finite()),
            Flat::F64(v) => v.iter().any(|x| !x.is_finite()),
            _ => false,
        }
    }

    /// Writes elements as compact JSON separated by commas.
    fn write_run(&self, out: &mut impl Write) -> std::io::Result<()> {
        let mut ints = itoa::Buffer::new();
        let mut floats = zmij::Buffer::new();
        let mut float = |out: &mut dyn Write, x: f64| {
            if x.is_finite() {
                out.write_all(floats.format_finite(x).as_bytes())
            } else {
                out.write_all(b"null")
            }
        };
        macro_rules! run {
            ($values:expr, $one:expr) => {{
                for (i, x) in $values.iter().enumerate() {
                    if i > 0 {
                        out.write_all(b",")?;
                    }
                    $one(&mut *out, *x)?;
                }
            }};
        }
        match self {
            Flat::U8(v) => run!(v, |o: &mut dyn Write, x: u8| o
                .write_all(ints.format(x).as_bytes())),
            Flat::I64(v) => run!(v, |o: &mut dyn Write, x: i64| o
                .write_all(ints.format(x).as_bytes())),
            Flat::F32(v) => run!(v, |o: &mut dyn Write, x: f32| float(o, f64::from(x))),
            Flat::F64(v) => run!(v, |o: &mut dyn Write, x: f64| float(o, x)),
            Flat::Bool(v) => run!(v, |o: &mut dyn Write, x: bool| o.write_all(if x {
                b"true"
            } else {
                b"false"
            })),
        }
        Ok(())
    }
}

impl Tensor {
    /// The numpy dtype name.
    pub fn dtype(&self) -> &str {
        match self {
            Tensor::U8(_) => "uint8",
            Tensor::I64(_, dtype) => dtype,
            Tensor::F32(_) => "float32",
            Tensor::F64(_) => "float64",
            Tensor::Bool(_) => "bool",
        }
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        match self {
            Tensor::U8(a) => a.shape(),
            Tensor::I64(a, _) => a.shape(),
            Tensor::F32(a) => a.shape(),
            Tensor::F64(a) => a.shape(),
            Tensor::Bool(a) => a.shape(),
        }
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.shape().iter().product()
    }

    /// Whether it has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The tensor as the numpy dtype `dtype` holds it, as MLflow's parsing casts a request's
    /// values to its signature's dtype before they reach the model (`np.array(data,
    /// dtype=...)`): float64 to float32, whole numbers to uint8 or int64, a float's fraction
    /// dropped for an integer dtype. `None` when it already is, or for a dtype this tensor
    /// type does not hold (int32, float16: those are converted where they are fed). For a
    /// request MLflow's checks accepted, so every value fits.
    pub fn cast_to(&self, dtype: &str) -> Option<Tensor> {
        let whole = |x: f64| if x.is_finite() { x.trunc() } else { 0.0 };
        let as_f64 = |t: &Tensor| -> ArrayD<f64> {
            match t {
                Tensor::U8(a) => a.mapv(f64::from),
                Tensor::I64(a, _) => a.mapv(|x| x as f64),
                Tensor::F32(a) => a.mapv(f64::from),
                Tensor::F64(a) => a.clone(),
                Tensor::Bool(a) => a.mapv(|b| f64::from(u8::from(b))),
            }
        };
        if self.dtype() == dtype {
            return None;
        }
        Some(match (dtype, self) {
            ("uint8", Tensor::I64(a, _)) => Tensor::U8(a.mapv(|x| x as u8)),
            ("uint8", other) => Tensor::U8(as_f64(other).mapv(|x| whole(x) as u8)),
            ("float32", Tensor::U8(a)) => Tensor::F32(a.mapv(f32::from)),
            ("float32", other) => Tensor::F32(as_f64(other).mapv(|x| x as f32)),
            ("float64", other) => Tensor::F64(as_f64(other)),
            ("int64", Tensor::U8(a)) => Tensor::I64(a.mapv(i64::from), dtype.into()),
            ("int64", Tensor::I64(a, _)) => Tensor::I64(a.clone(), dtype.into()),
            ("int64", other) => Tensor::I64(as_f64(other).mapv(|x| whole(x) as i64), dtype.into()),
            _ => return None,
        })
    }

    /// The same tensor in standard (C) layout, copied only when it is not already.
    pub fn standard(self) -> Self {
        fn std<T: Clone>(a: ArrayD<T>) -> ArrayD<T> {
            if a.is_standard_layout() {
                a
            } else {
                a.as_standard_layout().into_owned()
            }
        }
        match self {
            Tensor::U8(a) => Tensor::U8(std(a)),
            Tensor::I64(a, d) => Tensor::I64(std(a), d),
            Tensor::F32(a) => Tensor::F32(std(a)),
            Tensor::F64(a) => Tensor::F64(std(a)),
            Tensor::Bool(a) => Tensor::Bool(std(a)),
        }
    }

    /// The elements in C order (`None` for a tensor not in standard layout: see
    /// [`Tensor::standard`]).
    pub fn flat(&self) -> Option<Flat<'_>> {
        Some(match self {
            Tensor::U8(a) => Flat::U8(a.as_slice()?),
            Tensor::I64(a, _) => Flat::I64(a.as_slice()?),
            Tensor::F32(a) => Flat::F32(a.as_slice()?),
            Tensor::F64(a) => Flat::F64(a.as_slice()?),
            Tensor::Bool(a) => Flat::Bool(a.as_slice()?),
        })
    }

    /// Minimum, maximum and mean of the values (0 for an empty tensor).
    pub fn stats(&self) -> (f64, f64, f64) {
        fn of<T: Copy + Into<f64>>(values: impl Iterator<Item = T>) -> (f64, f64, f64) {
            let (mut min, mut max, mut sum, mut n) =
                (f64::INFINITY, f64::NEG_INFINITY, 0.0, 0usize);
            for v in values {
                let v: f64 = v.into();
                min = min.min(v);
                max = max.max(v);
                sum += v;
                n += 1;
            }
            if n == 0 {
                (0.0, 0.0, 0.0)
            } else {
                (min, max, sum / n as f64)
            }
        }
        match self {
            Tensor::U8(a) => of(a.iter().copied()),
            Tensor::I64(a, _) => of(a.iter().map(|v| *v as f64)),
            Tensor::F32(a) => of(a.iter().copied()),
            Tensor::F64(a) => of(a.iter().copied()),
            Tensor::Bool(a) => of(a.iter().map(|b| *b as u8 as f64)),
        }
    }

    /// Writes the tensor as nested JSON lists, compact, as numpy's `tolist()` and
    /// `json.dumps` would (floats as their float64 value, NaN and infinities as `null`).
    pub fn write_json(&self, out: &mut impl Write) -> std::io::Result<()> {
        self.with_flat(|flat| write_nested(self.shape(), flat, out))
    }

    /// Calls `f` with the elements in C order (a copy in standard layout when the tensor is
    /// not in it).
    fn with_flat<R>(&self, f: impl FnOnce(Flat<'_>) -> R) -> R {
        match self.flat() {
            Some(flat) => f(flat),
            None => {
                let standard = self.clone().standard();
                f(standard.flat().unwrap_or(Flat::U8(&[])))
            }
        }
    }

    /// The tensor as a JSON value (for small tensors and tests: a large one is written with
    /// [`Tensor::write_json`] instead).
    pub fn to_value(&self) -> Value {
        self.excerpt(usize::MAX)
    }

    /// The tensor as JSON with at most `max` items of each list and a `"… N more"` string
    /// after them: what the request view shows.
    pub fn excerpt(&self, max: usize) -> Value {
        self.with_flat(|flat| excerpt_of(self.shape(), flat, max))
    }

    /// The first `n` values as they read in JSON.
    pub fn first_values(&self, n: usize) -> Vec<String> {
        let Some(flat) = self.flat() else {
            return Vec::new();
        };
        (0..flat.len().min(n))
            .map(|i| flat.json(i).to_string())
            .collect()
    }
}

/// Writes `flat` as nested lists of `shape`.
pub fn write_nested(shape: &[usize], flat: Flat<'_>, out: &mut impl Write) -> std::io::Result<()> {
    match shape {
        [] => {
            if flat.is_empty() {
                out.write_all(b"null")
            } else {
                flat.slice(0, 1).write_run(out)
            }
        }
        [_] => {
            out.write_all(b"[")?;
            flat.write_run(out)?;
            out.write_all(b"]")
        }
        [n, rest @ ..] => {
            let stride: usize = rest.iter().product();
            out.write_all(b"[")?;
            for i in 0..*n {
                if i > 0 {
                    out.write_all(b",")?;
                }
                write_nested(rest, flat.slice(i * stride, (i + 1) * stride), out)?;
            }
            out.write_all(b"]")
        }
    }
}

fn excerpt_of(shape: &[usize], flat: Flat<'_>, max: usize) -> Value {
    let more = |n: usize| Value::String(format!("… {n} more"));
    match shape {
        [] => flat.json(0),
        [n, rest @ ..] => {
            let stride: usize = rest.iter().product();
            let shown = (*n).min(max);
            let mut items: Vec<Value> = (0..shown)
                .map(|i| {
                    if rest.is_empty() {
                        flat.json(i)
                    } else {
                        excerpt_of(rest, flat.slice(i * stride, (i + 1) * stride), max)
                    }
                })
                .collect();
            if *n > shown {
                items.push(more(n - shown));
            }
            Value::Array(items)
        }
    }
}

/// What [`read_json_array`] found.
#[derive(Debug, Default)]
enum Leaves {
    #[default]
    None,
    Int(Vec<i64>),
    Float(Vec<f64>),
    Bool(Vec<bool>),
}

/// The state of one array being read: its dims so far, where its numbers stand, its numbers.
#[derive(Debug, Default)]
struct ArrayState {
    dims: Vec<Option<usize>>,
    leaf_depth: Option<usize>,
    leaves: Leaves,
}

impl ArrayState {
    fn leaf<E: serde::de::Error>(&mut self, depth: usize, leaf: Leaf) -> Result<(), E> {
        match self.leaf_depth {
            None => self.leaf_depth = Some(depth),
            Some(d) if d == depth => {}
            Some(_) => return Err(E::custom("not a regular array")),
        }
        match (&mut self.leaves, leaf) {
            (Leaves::Int(v), Leaf::Int(x)) => v.push(x),
            (Leaves::Float(v), Leaf::Float(x)) => v.push(x),
            (Leaves::Bool(v), Leaf::Bool(x)) => v.push(x),
            (l @ Leaves::None, leaf) => {
                *l = match leaf {
                    Leaf::Int(x) => Leaves::Int(vec![x]),
                    Leaf::Float(x) => Leaves::Float(vec![x]),
                    Leaf::Bool(x) => Leaves::Bool(vec![x]),
                }
            }
            _ => return Err(E::custom("mixed element kinds")),
        }
        Ok(())
    }

    fn into_tensor(self) -> Option<Tensor> {
        let depth = self.leaf_depth?;
        let shape: Vec<usize> = self
            .dims
            .get(..depth)?
            .iter()
            .copied()
            .collect::<Option<_>>()?;
        if depth == 0 || shape.contains(&0) {
            return None;
        }
        let dims = IxDyn(&shape);
        match self.leaves {
            Leaves::None => None,
            Leaves::Int(v) => ArrayD::from_shape_vec(dims, v)
                .ok()
                .map(|a| Tensor::I64(a, "int64".into())),
            Leaves::Float(v) => ArrayD::from_shape_vec(dims, v).ok().map(Tensor::F64),
            Leaves::Bool(v) => ArrayD::from_shape_vec(dims, v).ok().map(Tensor::Bool),
        }
    }
}

enum Leaf {
    Int(i64),
    Float(f64),
    Bool(bool),
}

/// One level of nesting being read.
struct Level<'s> {
    state: &'s mut ArrayState,
    depth: usize,
}

impl<'de> serde::de::DeserializeSeed<'de> for Level<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Level<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a regular nested list of numbers")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        use serde::de::Error;
        let depth = self.depth;
        if self.state.leaf_depth.is_some_and(|d| depth >= d) {
            return Err(A::Error::custom("a list where a number stands elsewhere"));
        }
        let mut n = 0usize;
        while seq
            .next_element_seed(Level {
                state: &mut *self.state,
                depth: depth + 1,
            })?
            .is_some()
        {
            n += 1;
        }
        let dims = &mut self.state.dims;
        if dims.len() <= depth {
            dims.resize(depth + 1, None);
        }
        match dims[depth] {
            None => dims[depth] = Some(n),
            Some(m) if m == n => {}
            Some(_) => return Err(A::Error::custom("ragged")),
        }
        Ok(())
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<(), E> {
        let v = i64::try_from(v).map_err(|_| E::custom("beyond int64"))?;
        self.state.leaf(self.depth, Leaf::Int(v))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<(), E> {
        self.state.leaf(self.depth, Leaf::Int(v))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<(), E> {
        self.state.leaf(self.depth, Leaf::Float(v))
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<(), E> {
        self.state.leaf(self.depth, Leaf::Bool(v))
    }
}

/// A serde seed that reads one JSON value as a tensor: a regular nested list (rank 1 or more,
/// no empty list) whose leaves are all integers (int64), all floats (float64) or all booleans.
/// Anything else is an error, so the caller can read the text as JSON values instead: a list
/// mixing integers and floats, strings, nulls or ragged lists keep their exact JSON form.
pub struct TensorSeed;

impl<'de> serde::de::DeserializeSeed<'de> for TensorSeed {
    type Value = Tensor;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Tensor, D::Error> {
        use serde::de::Error;
        let mut state = ArrayState::default();
        d.deserialize_any(Level {
            state: &mut state,
            depth: 0,
        })?;
        state
            .into_tensor()
            .ok_or_else(|| D::Error::custom("not a tensor"))
    }
}

/// Reads the rest of a JSON list (its `[` read) as a tensor, as [`TensorSeed`] does.
pub fn tensor_from_seq<'de, A: serde::de::SeqAccess<'de>>(seq: A) -> Result<Tensor, A::Error> {
    use serde::de::{Error, Visitor};
    let mut state = ArrayState::default();
    Level {
        state: &mut state,
        depth: 0,
    }
    .visit_seq(seq)?;
    state
        .into_tensor()
        .ok_or_else(|| A::Error::custom("not a tensor"))
}

/// Reads a JSON text that is one nested list of numbers as a tensor, in one pass.
pub fn read_json_array(text: &str) -> Option<Tensor> {
    use serde::de::DeserializeSeed;
    let mut de = serde_json::Deserializer::from_str(text);
    let tensor = TensorSeed.deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(tensor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn text(t: &Tensor) -> String {
        let mut out = Vec::new();
        t.write_json(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn tensors_are_written_as_serde_json_writes_their_values() {
        let cases = [
            Tensor::U8(ArrayD::from_shape_vec(IxDyn(&[1, 2, 2]), vec![0, 7, 200, 255]).unwrap()),
            Tensor::I64(
                ArrayD::from_shape_vec(IxDyn(&[3]), vec![-5, 0, i64::MAX]).unwrap(),
                "int32".into(),
            ),
            Tensor::F32(
                ArrayD::from_shape_vec(IxDyn(&[2, 2]), vec![0.1, 1.0, f32::NAN, -2.5e-8]).unwrap(),
            ),
            Tensor::F64(ArrayD::from_shape_vec(IxDyn(&[2]), vec![1e300, f64::INFINITY]).unwrap()),
            Tensor::Bool(ArrayD::from_shape_vec(IxDyn(&[2, 1]), vec![true, false]).unwrap()),
        ];
        for t in &cases {
            let value = t.to_value();
            assert_eq!(text(t), serde_json::to_string(&value).unwrap(), "{t:?}");
        }
        assert_eq!(
            cases[2].to_value(),
            json!([[0.10000000149011612, 1.0], [null, -2.5000000292152436e-8]])
        );
    }

    #[test]
    fn the_excerpt_keeps_the_first_items_and_counts_the_rest() {
        let t = Tensor::U8(ArrayD::from_shape_vec(IxDyn(&[2, 5]), (0..10).collect()).unwrap());
        assert_eq!(
            t.excerpt(3),
            json!([[0, 1, 2, "… 2 more"], [5, 6, 7, "… 2 more"]])
        );
        assert_eq!(t.excerpt(1), json!([[0, "… 4 more"], "… 1 more"]));
    }

    #[test]
    fn json_arrays_of_one_kind_of_number_are_read_as_tensors() {
        let t = read_json_array("[[1, 2, 3], [4, 5, -6]]").unwrap();
        assert_eq!(t.dtype(), "int64");
        assert_eq!(t.shape(), &[2, 3]);
        assert_eq!(text(&t), "[[1,2,3],[4,5,-6]]");
        let f = read_json_array("[[0.5], [1e-3]]").unwrap();
        assert_eq!(f.dtype(), "float64");
        assert_eq!(text(&f), "[[0.5],[0.001]]");
        assert_eq!(read_json_array("[true, false]").unwrap().dtype(), "bool");
        // Not tensors: their JSON form is kept.
        for other in [
            "[1, 2.5]",
            "[[1, 2], [3]]",
            "[[1], 2]",
            "[1, [2]]",
            "[]",
            "[[], []]",
            "5",
            "[1, null]",
            "[\"a\"]",
            "[18446744073709551615]",
            "[1] x",
        ] {
            assert!(read_json_array(other).is_none(), "{other}");
        }
    }
}
