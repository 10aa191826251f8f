//! Between requests and tract for the native ONNX backend ([`super::onnx`]): a request's
//! tensors (typed, or a JSON body's nested lists) checked against the graph's inputs and
//! converted to tract's tensors with MLflow's casts, and tract's outputs written back as the
//! JSON MLflow's onnx flavor answers with (ZipMap maps and frame records included).

use serde_json::{Map, Value};
use tract_onnx::prelude::*;

use super::onnx::{Elem, GraphInput};

/// A frame body as (columns, rows).
pub(super) fn frame(body: &Value) -> Option<(Vec<String>, Vec<Vec<Value>>)> {
    if let Some(split) = body.get("dataframe_split") {
        let columns: Vec<String> = split
            .get("columns")
            .and_then(Value::as_array)
            .map(|c| {
                c.iter()
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let rows: Vec<Vec<Value>> = split
            .get("data")
            .and_then(Value::as_array)
            .map(|d| {
                d.iter()
                    .map(|r| r.as_array().cloned().unwrap_or_else(|| vec![r.clone()]))
                    .collect()
            })
            .unwrap_or_default();
        return Some((columns, rows));
    }
    let records = body.get("dataframe_records")?.as_array()?;
    let (columns, rows) = crate::model::example::records_to_rows(records);
    Some((columns, rows))
}

/// The shape of a nested JSON list, read down its first items.
pub(super) fn shape_of(value: &Value) -> Vec<usize> {
    let mut shape = Vec::new();
    let mut at = value;
    while let Value::Array(items) = at {
        shape.push(items.len());
        match items.first() {
            Some(first) => at = first,
            None => break,
        }
    }
    shape
}

/// The leaves of a nested JSON list of this shape, converted one by one in a single walk (an
/// image batch is millions of numbers: no list of leaves is made first); ragged lists are
/// refused.
pub(super) fn leaves_as<T>(
    name: &str,
    value: &Value,
    shape: &[usize],
    convert: &impl Fn(&Value) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    fn walk<T>(
        name: &str,
        value: &Value,
        shape: &[usize],
        depth: usize,
        out: &mut Vec<T>,
        convert: &impl Fn(&Value) -> Result<T, String>,
    ) -> Result<(), String> {
        match (shape.get(depth), value) {
            (None, _) => {
                out.push(convert(value)?);
                Ok(())
            }
            (Some(&len), Value::Array(items)) if items.len() == len => items
                .iter()
                .try_for_each(|item| walk(name, item, shape, depth + 1, out, convert)),
            (Some(_), _) => Err(format!(
                "{name}: the nested lists are ragged at depth {}: every list at one depth must have the same length",
                depth + 1
            )),
        }
    }
    // The shape is read down the first items only: a crafted body can claim a huge product,
    // so the reservation is bounded (the walk itself stops at the first ragged list).
    let claimed = shape
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .unwrap_or(0);
    let mut out = Vec::with_capacity(claimed.min(1 << 24));
    walk(name, value, shape, 0, &mut out, convert)?;
    Ok(out)
}

/// Whether a request's shape fits the graph input's rank and fixed dimensions.
pub(super) fn check_dims(input: &GraphInput, shape: &[usize]) -> Result<(), String> {
    let name = &input.name;
    if !input.dims.is_empty() && input.dims.len() != shape.len() {
        return Err(format!(
            "{name}: the ONNX graph wants a rank-{} tensor, the request has shape {shape:?}",
            input.dims.len()
        ));
    }
    for (axis, (want, got)) in input.dims.iter().zip(shape).enumerate() {
        if let Some(want) = want
            && want != got
        {
            return Err(format!(
                "{name}: dimension {axis} must be {want} for the ONNX graph, the request has shape {shape:?}"
            ));
        }
    }
    Ok(())
}

pub(super) fn to_tensor(input: &GraphInput, value: &Value) -> Result<Tensor, String> {
    let name = &input.name;
    let elem = input.elem.ok_or_else(|| {
        format!("{name}: the ONNX file gives this input an element type tract cannot feed")
    })?;
    let shape = shape_of(value);
    check_dims(input, &shape)?;
    let number = |leaf: &Value| -> Result<f64, String> {
        match leaf {
            Value::Number(n) => n
                .as_f64()
                .ok_or_else(|| format!("{name}: {n} is not a number")),
            Value::Bool(b) => Ok(f64::from(u8::from(*b))),
            Value::Null => Ok(f64::NAN),
            // A number written as text ("5.1"): MLflow's parsing reads it as Python's float().
            Value::String(_) => crate::input::scoring::numpy_number(leaf, elem.numpy())
                .map_err(|e| format!("{name}: {e}")),
            other => Err(format!(
                "{name}: {} is not a number; the ONNX graph wants {}",
                crate::model::mlmodel::describe(other),
                elem.numpy()
            )),
        }
    };
    macro_rules! ints {
        ($t:ty) => {{
            let data: Vec<$t> = leaves_as(name, value, &shape, &|leaf: &Value| {
                match leaf {
                    Value::Number(n) => n
                        .as_i64()
                        .and_then(|i| <$t>::try_from(i).ok())
                        .or_else(|| n.as_u64().and_then(|u| <$t>::try_from(u).ok()))
                        .or_else(|| {
                            n.as_f64()
                                .filter(|f| f.fract() == 0.0)
                                .and_then(|f| <$t>::try_from(f as i64).ok())
                        }),
                    Value::Bool(b) => Some(if *b { 1 as $t } else { 0 as $t }),
                    _ => None,
                }
                .map(Ok)
                .unwrap_or_else(|| {
                    // What MLflow's parsing makes of it: a fraction dropped (174.4 is 174), a
                    // number written as text read as Python's int(), in range or refused.
                    crate::input::scoring::numpy_number(leaf, elem.numpy())
                        .map(|whole| whole as $t)
                        .map_err(|e| {
                            format!(
                                "{name}: {leaf} does not fit {} for the ONNX graph ({e})",
                                elem.numpy()
                            )
                        })
                })
            })?;
            Tensor::from_shape(&shape, &data).map_err(|e| format!("{name}: {e}"))
        }};
    }
    match elem {
        Elem::F32 => {
            let data: Vec<f32> = leaves_as(name, value, &shape, &|l: &Value| {
                number(l).map(|x| x as f32)
            })?;
            Tensor::from_shape(&shape, &data).map_err(|e| format!("{name}: {e}"))
        }
        Elem::F16 => {
            let data: Vec<f32> = leaves_as(name, value, &shape, &|l: &Value| {
                number(l).map(|x| x as f32)
            })?;
            Tensor::from_shape(&shape, &data)
                .and_then(|t| t.cast_to_dt(DatumType::F16).map(|c| c.into_owned()))
                .map_err(|e| format!("{name}: {e}"))
        }
        Elem::F64 => {
            let data: Vec<f64> = leaves_as(name, value, &shape, &number)?;
            Tensor::from_shape(&shape, &data).map_err(|e| format!("{name}: {e}"))
        }
        Elem::Bool => {
            let data: Vec<bool> = leaves_as(name, value, &shape, &|l: &Value| match l {
                Value::Bool(b) => Ok(*b),
                Value::Number(n) => Ok(n.as_f64().is_some_and(|x| x != 0.0)),
                other => Err(format!("{name}: {other} is not a boolean")),
            })?;
            Tensor::from_shape(&shape, &data).map_err(|e| format!("{name}: {e}"))
        }
        Elem::I8 => ints!(i8),
        Elem::I16 => ints!(i16),
        Elem::I32 => ints!(i32),
        Elem::I64 => ints!(i64),
        Elem::U8 => ints!(u8),
        Elem::U16 => ints!(u16),
        Elem::U32 => ints!(u32),
        Elem::U64 => ints!(u64),
        Elem::Str => {
            let data: Vec<String> = leaves_as(name, value, &shape, &|l: &Value| {
                Ok(l.as_str().map_or_else(|| l.to_string(), str::to_string))
            })?;
            let array = tract_ndarray::ArrayD::from_shape_vec(shape.clone(), data)
                .map_err(|e| format!("{name}: {e}"))?;
            Ok(Tensor::from(array))
        }
    }
}

/// A typed tensor as tract's tensor of the graph input's element type, with the same checks
/// and conversions [`to_tensor`] makes of the JSON the tensor is written as (a tensor of the
/// graph's own type is copied as it is).
pub(super) fn typed_to_tract(
    input: &GraphInput,
    t: &crate::input::tensor::Tensor,
) -> Result<Tensor, String> {
    use crate::input::tensor::Flat;
    let name = &input.name;
    let elem = input.elem.ok_or_else(|| {
        format!("{name}: the ONNX file gives this input an element type tract cannot feed")
    })?;
    let shape = t.shape().to_vec();
    check_dims(input, &shape)?;
    let flat = t
        .flat()
        .ok_or_else(|| format!("{name}: the tensor is not in standard layout"))?;
    let make = |r: TractResult<Tensor>| r.map_err(|e| format!("{name}: {e}"));
    // Values as JSON numbers: integers exact, floats as float64, NaN written `null`.
    let as_f64 = |i: usize| -> f64 {
        match flat {
            Flat::U8(v) => f64::from(v[i]),
            Flat::I64(v) => v[i] as f64,
            Flat::F32(v) => f64::from(v[i]),
            Flat::F64(v) => v[i],
            Flat::Bool(v) => f64::from(u8::from(v[i])),
        }
    };
    macro_rules! ints {
        ($t:ty) => {{
            let data: Result<Vec<$t>, String> = match flat {
                Flat::U8(v) => v
                    .iter()
                    .map(|&x| <$t>::try_from(x).map_err(|_| x.to_string()))
                    .collect(),
                Flat::I64(v) => v
                    .iter()
                    .map(|&x| <$t>::try_from(x).map_err(|_| x.to_string()))
                    .collect(),
                Flat::Bool(v) => Ok(v
                    .iter()
                    .map(|&b| if b { 1 as $t } else { 0 as $t })
                    .collect()),
                // As MLflow's parsing casts them (numpy's int() of a Python float): the
                // fraction dropped, the whole number then in range or refused.
                Flat::F32(_) | Flat::F64(_) => (0..flat.len())
                    .map(|i| {
                        let f = as_f64(i);
                        (f.is_finite() && f.trunc().abs() < 9.223_372_036_854_776e18)
                            .then(|| <$t>::try_from(f.trunc() as i64).ok())
                            .flatten()
                            .ok_or_else(|| flat.json(i).to_string())
                    })
                    .collect(),
            };
            let data = data.map_err(|leaf| {
                format!(
                    "{name}: {leaf} does not fit {} for the ONNX graph",
                    elem.numpy()
                )
            })?;
            make(Tensor::from_shape(&shape, &data))
        }};
    }
    // A tensor of the graph's own type is copied once, as it is.
    match (elem, flat) {
        (Elem::U8, Flat::U8(v)) => return make(Tensor::from_shape(&shape, v)),
        (Elem::I64, Flat::I64(v)) => return make(Tensor::from_shape(&shape, v)),
        (Elem::F32, Flat::F32(v)) => return make(Tensor::from_shape(&shape, v)),
        (Elem::F64, Flat::F64(v)) => return make(Tensor::from_shape(&shape, v)),
        (Elem::Bool, Flat::Bool(v)) => return make(Tensor::from_shape(&shape, v)),
        _ => {}
    }
    match elem {
        Elem::F32 | Elem::F16 => {
            let data: Vec<f32> = (0..flat.len()).map(|i| as_f64(i) as f32).collect();
            let t = make(Tensor::from_shape(&shape, &data))?;
            if elem == Elem::F16 {
                make(t.cast_to_dt(DatumType::F16).map(|c| c.into_owned()))
            } else {
                Ok(t)
            }
        }
        Elem::F64 => {
            let data: Vec<f64> = (0..flat.len()).map(as_f64).collect();
            make(Tensor::from_shape(&shape, &data))
        }
        Elem::Bool => {
            let data: Vec<bool> = (0..flat.len())
                .map(|i| match flat {
                    Flat::Bool(v) => v[i],
                    _ => as_f64(i) != 0.0,
                })
                .collect();
            make(Tensor::from_shape(&shape, &data))
        }
        Elem::U8 => match flat {
            Flat::U8(v) => make(Tensor::from_shape(&shape, v)),
            _ => ints!(u8),
        },
        Elem::I64 => match flat {
            Flat::I64(v) => make(Tensor::from_shape(&shape, v)),
            _ => ints!(i64),
        },
        Elem::I8 => ints!(i8),
        Elem::I16 => ints!(i16),
        Elem::I32 => ints!(i32),
        Elem::U16 => ints!(u16),
        Elem::U32 => ints!(u32),
        Elem::U64 => ints!(u64),
        Elem::Str => {
            let data: Vec<String> = (0..flat.len()).map(|i| flat.json(i).to_string()).collect();
            let array = tract_ndarray::ArrayD::from_shape_vec(shape, data)
                .map_err(|e| format!("{name}: {e}"))?;
            Ok(Tensor::from(array))
        }
    }
}

/// A float as JSON (`null` for NaN and infinities, as our JSON cannot hold them).
pub(super) fn float_json(x: f64) -> Value {
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

pub(super) fn has_non_finite(results: &TVec<TValue>) -> bool {
    results.iter().any(|t| {
        t.cast_to::<f64>()
            .ok()
            .and_then(|c| {
                c.to_plain_array_view::<f64>()
                    .ok()
                    .map(|v| v.iter().any(|x| !x.is_finite()))
            })
            .unwrap_or(false)
    })
}

/// A tensor as nested JSON lists, values as numpy's `tolist()` gives them.
pub fn tensor_to_json(t: &Tensor) -> Result<Value, String> {
    let leaves: Vec<Value> = match t.datum_type() {
        DatumType::Bool => view::<bool>(t)?.iter().map(|&b| Value::Bool(b)).collect(),
        DatumType::String => view::<String>(t)?
            .iter()
            .map(|s| Value::String(s.clone()))
            .collect(),
        DatumType::F16 | DatumType::F32 => {
            let c = t.cast_to::<f32>().map_err(|e| e.to_string())?;
            view::<f32>(&c)?
                .iter()
                .map(|&x| float_json(f64::from(x)))
                .collect()
        }
        DatumType::F64 => view::<f64>(t)?.iter().map(|&x| float_json(x)).collect(),
        DatumType::U64 => view::<u64>(t)?.iter().map(|&x| Value::from(x)).collect(),
        dt if dt.is_integer() || dt == DatumType::TDim => {
            let c = t.cast_to::<i64>().map_err(|e| e.to_string())?;
            view::<i64>(&c)?.iter().map(|&x| Value::from(x)).collect()
        }
        other => {
            return Err(format!(
                "tract returned a {other:?} tensor, which has no JSON form"
            ));
        }
    };
    Ok(nest(t.shape(), leaves))
}

pub(super) fn view<D: Datum>(t: &Tensor) -> Result<Vec<D>, String> {
    t.to_plain_array_view::<D>()
        .map(|v| v.iter().cloned().collect())
        .map_err(|e| e.to_string())
}

/// Leaves in C order to nested lists of `shape`.
pub(super) fn nest(shape: &[usize], leaves: Vec<Value>) -> Value {
    match shape {
        [] => leaves.into_iter().next().unwrap_or(Value::Null),
        [_] => Value::Array(leaves),
        [_, rest @ ..] => {
            let inner: usize = rest.iter().product();
            if inner == 0 {
                return Value::Array(Vec::new());
            }
            let mut out = Vec::new();
            let mut it = leaves.into_iter();
            loop {
                let chunk: Vec<Value> = it.by_ref().take(inner).collect();
                if chunk.is_empty() {
                    break;
                }
                out.push(nest(rest, chunk));
            }
            Value::Array(out)
        }
    }
}

/// ZipMap's output: one `{label: probability}` map per row.
pub(super) fn zipmap_json(t: &Tensor, labels: &[String]) -> Result<Value, String> {
    let c = t.cast_to::<f32>().map_err(|e| e.to_string())?;
    let values = view::<f32>(&c)?;
    let classes = t.shape().last().copied().unwrap_or(0).max(1);
    Ok(Value::Array(
        values
            .chunks(classes)
            .map(|row| {
                Value::Object(
                    row.iter()
                        .enumerate()
                        .map(|(i, &p)| {
                            let label = labels.get(i).cloned().unwrap_or_else(|| i.to_string());
                            (label, float_json(f64::from(p)))
                        })
                        .collect(),
                )
            })
            .collect(),
    ))
}

/// Outputs as a frame's records (each output flattened), as MLflow answers a frame request.
pub(super) fn records(outputs: &Map<String, Value>) -> Result<Value, String> {
    let mut columns: Vec<(&String, Vec<Value>)> = Vec::new();
    for (name, value) in outputs {
        let flat = match value {
            Value::Array(rows) if rows.iter().all(Value::is_object) => rows.clone(),
            other => leaves_as(name, other, &shape_of(other), &|v: &Value| Ok(v.clone()))?,
        };
        columns.push((name, flat));
    }
    let len = columns.first().map_or(0, |c| c.1.len());
    if columns.iter().any(|c| c.1.len() != len) {
        return Err(
            "All arrays must be of the same length (the outputs cannot form one frame)".into(),
        );
    }
    Ok(Value::Array(
        (0..len)
            .map(|i| {
                Value::Object(
                    columns
                        .iter()
                        .map(|(n, c)| ((*n).clone(), c.get(i).cloned().unwrap_or(Value::Null)))
                        .collect(),
                )
            })
            .collect(),
    ))
}
