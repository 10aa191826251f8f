//! Per-node times of tract's optimised plan for a uint8 [N, 300, 300, 3] -> Cast -> Mul ->
//! Transpose -> Conv 5x5/4 -> Relu -> GlobalAveragePool -> Gemm -> Softmax graph, at batch 1
//! and 32. Shows (1) `Reduce<Sum>` over axes [1, 2] of a [N, 74, 74, 8] tensor costing more
//! than the convolution (ndarray's `sum_axis` fallback for non-leading axes), and (2) batch 32
//! taking eager `Im2col` (lazy im2col is batch-1 only), about 5x slower per item than batch 1.
use std::time::Instant;
use tract_onnx::prelude::*;

fn main() -> TractResult<()> {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: tract-repro MODEL.onnx [SIDE]");
        std::process::exit(2);
    };
    // The images' side: 300 for the bundled example, 64 for make_conv_classifier.py's model.
    let side: usize = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    for batch in [1usize, 32] {
        let fact = InferenceFact::dt_shape(u8::datum_type(), tvec!(batch, side, side, 3));
        let plan = tract_onnx::onnx()
            .model_for_path(&path)?
            .with_input_fact(0, fact)?
            .into_optimized()?
            .into_runnable()?;
        let data: Vec<u8> = (0..batch * side * side * 3).map(|i| (i % 251) as u8).collect();
        let input = Tensor::from_shape(&[batch, side, side, 3], &data)?;
        let mut state = plan.spawn()?;
        let reps = if batch == 1 { 200 } else { 20 };
        let mut per_node: std::collections::BTreeMap<usize, (String, f64)> = Default::default();
        let started = Instant::now();
        for _ in 0..reps {
            state.run_plan_with_eval(
                tvec!(input.clone().into_tvalue()),
                |s, st, node, inputs| {
                    let t = Instant::now();
                    let r = tract_onnx::tract_core::plan::eval(s, st, node, inputs);
                    let e = per_node
                        .entry(node.id)
                        .or_insert((format!("{} ({})", node.name, node.op.name()), 0.0));
                    e.1 += t.elapsed().as_secs_f64() * 1e3;
                    r
                },
            )?;
        }
        println!(
            "batch {batch}: {:.3} ms per run",
            started.elapsed().as_secs_f64() * 1e3 / reps as f64
        );
        for (name, ms) in per_node.values() {
            if ms / reps as f64 > 0.005 {
                println!("  {:8.3} ms  {name}", ms / reps as f64);
            }
        }
    }
    Ok(())
}
