//! Our way around two slow paths of tract 0.23 (issue 7, measured in BENCHMARKS.md).
//!
//! 1. `Reduce<Sum>` over axes that end before the last one (global average pooling of an NHWC
//!    tensor: `[N, H, W, C] -> [N, 1, 1, C]`) falls back to ndarray's `sum_axis`, which adds one
//!    `[N, C]` view per row: 0.55 ms for the 43,808 numbers of the bundled example, more than the
//!    convolution before it. [`SumMiddleAxes`] replaces it in the optimised plan with a plain
//!    column sum (0.02 ms), adding in the same order.
//! 2. A convolution over a batch of more than one item takes tract's eager im2col path ("lazy
//!    im2col's offset tables are built for a single batch", tract-core's `conv.rs`), 4-5x slower
//!    per item than at batch 1. [`batch_separable`] tells when the items of a batch never meet
//!    in the graph, so that the caller can run the batch-1 plan once per item instead.

use tract_onnx::prelude::*;
use tract_onnx::tract_core::axes::full_axis_tracking;
use tract_onnx::tract_core::internal::*;
use tract_onnx::tract_core::ops::cnn::Conv;
use tract_onnx::tract_core::ops::nn::{Reduce, Reducer};

/// A float32 sum over a run of consecutive axes that ends before the last axis.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SumMiddleAxes {
    /// The summed axes: consecutive, increasing, not including the last one.
    pub axes: TVec<usize>,
}

impl SumMiddleAxes {
    /// `(outer, rows, inner)`: the input seen as `[outer, rows, inner]`, `rows` summed.
    fn split(&self, shape: &[usize]) -> TractResult<(usize, usize, usize)> {
        let (Some(&first), Some(&last)) = (self.axes.first(), self.axes.last()) else {
            bail!("SumMiddleAxes with no axes");
        };
        ensure!(
            last + 1 < shape.len(),
            "SumMiddleAxes must keep the last axis"
        );
        Ok((
            shape[..first].iter().product(),
            shape[first..=last].iter().product(),
            shape[last + 1..].iter().product(),
        ))
    }
}

impl Op for SumMiddleAxes {
    fn name(&self) -> StaticName {
        "SumMiddleAxes".into()
    }

    fn info(&self) -> TractResult<Vec<String>> {
        Ok(vec![format!("axes: {:?}", self.axes)])
    }

    fn as_typed(&self) -> Option<&dyn TypedOp> {
        Some(self)
    }
}

impl EvalOp for SumMiddleAxes {
    fn eval_out_of_plan(&self, inputs: TVec<TValue>) -> TractResult<Option<TVec<TValue>>> {
        Ok(Some(EvalOp::eval(
            self,
            &EvalContext::out_of_plan(),
            inputs,
        )?))
    }

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let input = inputs.first().context("SumMiddleAxes needs one input")?;
        let shape = input.shape();
        let (outer, rows, inner) = self.split(shape)?;
        let view = input.to_plain_array_view::<f32>()?;
        let data = view
            .as_slice()
            .context("SumMiddleAxes needs a contiguous input")?;
        let mut out = vec![0f32; outer * inner];
        if inner > 0 && rows > 0 {
            for (acc, block) in out
                .chunks_exact_mut(inner)
                .zip(data.chunks_exact(rows * inner))
            {
                for row in block.chunks_exact(inner) {
                    for (a, v) in acc.iter_mut().zip(row) {
                        *a += *v;
                    }
                }
            }
        }
        let mut out_shape: TVec<usize> = shape.into();
        for &axis in &self.axes {
            out_shape[axis] = 1;
        }
        Ok(tvec!(Tensor::from_shape(&out_shape, &out)?.into_tvalue()))
    }
}

impl TypedOp for SumMiddleAxes {
    fn as_op(&self) -> &dyn Op {
        self
    }

    fn as_op_mut(&mut self) -> &mut dyn Op {
        self
    }

    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let input = inputs.first().context("SumMiddleAxes needs one input")?;
        let mut shape: TVec<TDim> = input.shape.to_tvec();
        for &axis in &self.axes {
            shape[axis] = 1.to_dim();
        }
        Ok(tvec!(f32::fact(shape)))
    }
}

/// Replaces each float32 `Reduce<Sum>` over consecutive axes before the last one in an
/// optimised model with [`SumMiddleAxes`]; returns how many it replaced.
pub fn replace_middle_sums(model: &mut TypedModel) -> TractResult<usize> {
    let mut replaced = 0;
    for id in model.eval_order()? {
        let node = model.node(id);
        let Some(op) = node.op_as::<Reduce>() else {
            continue;
        };
        let Some(&input) = node.inputs.first() else {
            continue;
        };
        let fact = model.outlet_fact(input)?;
        let axes = op.axes.clone();
        let consecutive = axes.windows(2).all(|w| w[1] == w[0] + 1);
        let before_last = axes.last().is_some_and(|&a| a + 1 < fact.rank());
        if op.reducer != Reducer::Sum
            || fact.datum_type != f32::datum_type()
            || !consecutive
            || !before_last
        {
            continue;
        }
        let patch =
            TypedModelPatch::replace_single_op(model, node, &node.inputs, SumMiddleAxes { axes })?;
        patch.apply(model)?;
        replaced += 1;
    }
    Ok(replaced)
}

/// Whether the model's items along axis 0 never meet: axis 0 of every input is one axis that
/// every operator carries through unchanged to axis 0 of every output (nothing reduces,
/// contracts or reshapes it on the way, and only size-1 constants broadcast along it). Then running each item alone and joining the
/// answers along axis 0 gives the batch's answer.
pub fn batch_separable(model: &TypedModel) -> TractResult<bool> {
    let inputs = model.input_outlets()?;
    let outputs = model.output_outlets()?;
    let Some(&first) = inputs.first() else {
        return Ok(false);
    };
    if model.outlet_fact(first)?.rank() == 0 {
        return Ok(false);
    }
    let trackings = full_axis_tracking(model)?;
    let Some(tracking) = trackings.iter().find(|t| t.outlets.get(&first) == Some(&0)) else {
        return Ok(false);
    };
    // Besides the inputs, only broadcast values (size 1 along the axis: constants such as a
    // scale or a bias) may bring the axis in; they are the same for every item.
    let mut creators_are_inputs = true;
    for creator in &tracking.creators {
        let axis = tracking.outlets.get(creator).copied().unwrap_or(0);
        let broadcast = model.outlet_fact(*creator)?.shape.get(axis) == Some(&1.to_dim());
        creators_are_inputs &= inputs.contains(creator) || broadcast;
    }
    let all_inputs = inputs.iter().all(|i| tracking.outlets.get(i) == Some(&0));
    let all_outputs = outputs.iter().all(|o| tracking.outlets.get(o) == Some(&0));
    Ok(tracking.destructors.is_empty() && creators_are_inputs && all_inputs && all_outputs)
}

/// Folds a multiplication by a constant scalar straight before a float convolution into the
/// convolution's kernel: `conv(s * x, W) = conv(x, s * W)` (zero padding stays zero), so the
/// pass over the input disappears. The bundled example scales its uint8 pixels by 1/255 this
/// way; the fold takes about 0.04 ms of its 0.34 ms. Run on the decluttered model, before
/// optimising; returns how many it folded.
pub fn fold_input_scale_into_conv(model: &mut TypedModel) -> TractResult<usize> {
    use tract_onnx::tract_core::ops::binary::TypedBinOp;
    use tract_onnx::tract_core::ops::math::Mul;
    let mut folded = 0;
    for id in model.eval_order()? {
        let node = model.node(id);
        let Some(conv) = node.op_as::<Conv>() else {
            continue;
        };
        let (Some(&data), Some(&kernel)) = (node.inputs.first(), node.inputs.get(1)) else {
            continue;
        };
        let mul = model.node(data.node);
        let single_use = mul
            .outputs
            .get(data.slot)
            .is_some_and(|o| o.successors.len() == 1);
        let is_mul = mul
            .op_as::<TypedBinOp>()
            .is_some_and(|b| b.0.is::<Mul>() && b.1.is_none());
        if conv.q_params.is_some() || !single_use || !is_mul || mul.inputs.len() != 2 {
            continue;
        }
        // Which side of the multiplication is the scalar, and its value.
        let mut scalar = None;
        for (i, input) in mul.inputs.iter().enumerate() {
            let fact = model.outlet_fact(*input)?;
            if let Some(k) = &fact.konst
                && fact.datum_type == f32::datum_type()
                && k.len() == 1
            {
                let value = k.cast_to_scalar::<f32>()?;
                scalar = Some((i, value));
            }
        }
        let Some((which, s)) = scalar else { continue };
        let x = mul.inputs[1 - which];
        let Some(weights) = model.outlet_fact(kernel)?.konst.clone() else {
            continue;
        };
        if weights.datum_type() != f32::datum_type()
            || model.outlet_fact(x)?.datum_type != f32::datum_type()
        {
            continue;
        }
        let mut scaled = weights.into_tensor();
        scaled
            .to_plain_array_view_mut::<f32>()?
            .mapv_inplace(|w| w * s);
        let mut patch = TypedModelPatch::new("fold input scale into conv");
        let mut inputs = patch.taps(model, &node.inputs)?;
        inputs[0] = patch.tap_model(model, x)?;
        inputs[1] = patch.add_const(format!("{}.scaled_kernel", node.name), scaled)?;
        let wire = patch.wire_node(&node.name, conv.clone(), &inputs)?;
        let out = *wire.first().context("a convolution has one output")?;
        patch.shunt_outside(model, OutletId::new(id, 0), out)?;
        patch.apply(model)?;
        folded += 1;
    }
    Ok(folded)
}

/// Whether the model has a convolution (whose batched path in tract is the slow one).
pub fn has_conv(model: &TypedModel) -> bool {
    model.nodes().iter().any(|n| n.op_is::<Conv>())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed_example(batch: usize) -> TypedModel {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("assets/example-model/model.onnx");
        tract_onnx::onnx()
            .model_for_path(path)
            .unwrap()
            .with_input_fact(
                0,
                InferenceFact::dt_shape(u8::datum_type(), tvec!(batch, 300, 300, 3)),
            )
            .unwrap()
            .into_typed()
            .unwrap()
            .into_decluttered()
            .unwrap()
    }

    #[test]
    fn the_examples_pixel_scale_is_folded_into_its_kernel_with_the_same_answer() {
        let mut typed = typed_example(1);
        let data: Vec<u8> = (0..270_000).map(|i| (i * 7 % 256) as u8).collect();
        let input = Tensor::from_shape(&[1, 300, 300, 3], &data).unwrap();
        let before = typed
            .clone()
            .into_optimized()
            .unwrap()
            .into_runnable()
            .unwrap()
            .run(tvec!(input.clone().into_tvalue()))
            .unwrap();
        assert_eq!(fold_input_scale_into_conv(&mut typed).unwrap(), 1);
        let optimized = typed.into_optimized().unwrap();
        assert!(
            !optimized
                .nodes()
                .iter()
                .any(|n| n.op.name().contains("Mul") && n.name == "scaled"),
            "{optimized}"
        );
        let after = optimized
            .into_runnable()
            .unwrap()
            .run(tvec!(input.into_tvalue()))
            .unwrap();
        let (a, b) = (
            before[0].to_plain_array_view::<f32>().unwrap(),
            after[0].to_plain_array_view::<f32>().unwrap(),
        );
        assert_eq!(a.shape(), b.shape());
        for (x, y) in a.iter().zip(b.iter()) {
            assert!((x - y).abs() < 1e-6, "{a} vs {b}");
        }
    }

    #[test]
    fn middle_sum_equals_tracts_reduce() {
        let data: Vec<f32> = (0..2 * 5 * 7 * 3).map(|i| (i % 13) as f32 * 0.25).collect();
        let input = Tensor::from_shape(&[2, 5, 7, 3], &data).unwrap();
        let theirs = Reducer::Sum.reduce(&[1, 2], &input).unwrap();
        let op = SumMiddleAxes { axes: tvec!(1, 2) };
        let ours = op
            .eval(&EvalContext::out_of_plan(), tvec!(input.into_tvalue()))
            .unwrap();
        assert_eq!(ours[0].shape(), &[2, 1, 1, 3]);
        assert_eq!(*ours[0], theirs);
    }

    #[test]
    fn the_examples_pooling_is_replaced_and_its_batch_is_separable() {
        let typed = typed_example(4);
        assert!(has_conv(&typed));
        assert!(batch_separable(&typed).unwrap());
        let mut optimized = typed.into_optimized().unwrap();
        assert_eq!(replace_middle_sums(&mut optimized).unwrap(), 1);
        assert!(optimized.nodes().iter().any(|n| n.op_is::<SumMiddleAxes>()));
    }

    #[test]
    fn a_graph_that_sums_over_the_batch_is_not_separable() {
        let mut model = TypedModel::default();
        let x = model.add_source("x", f32::fact([4, 3])).unwrap();
        let sum = model
            .wire_node("sum", Reduce::new(tvec!(0), Reducer::Sum), &[x])
            .unwrap();
        model.select_output_outlets(&sum).unwrap();
        assert!(!batch_separable(&model).unwrap());
        // The same graph summing the other axis keeps its rows apart.
        let mut model = TypedModel::default();
        let x = model.add_source("x", f32::fact([4, 3])).unwrap();
        let sum = model
            .wire_node("sum", Reduce::new(tvec!(1), Reducer::Sum), &[x])
            .unwrap();
        model.select_output_outlets(&sum).unwrap();
        assert!(batch_separable(&model).unwrap());
        // A constant with one row per batch item ties each item to its position.
        let mut model = TypedModel::default();
        let x = model.add_source("x", f32::fact([4, 3])).unwrap();
        let rows = model
            .add_const("rows", Tensor::from_shape(&[4, 3], &[1f32; 12]).unwrap())
            .unwrap();
        let sum = model
            .wire_node("add", tract_onnx::tract_core::ops::math::add(), &[x, rows])
            .unwrap();
        model.select_output_outlets(&sum).unwrap();
        assert!(!batch_separable(&model).unwrap());
    }
}
