//! Does the MLflow signature match the ONNX graph? MLflow does not check when it saves a model,
//! so a signature can name inputs the graph lacks, promise a dtype or a size the graph refuses,
//! or describe outputs the graph does not give. Each mismatch is one sentence.
//!
//! The rules follow what MLflow's onnx flavor does at predict time: named signature tensors
//! feed the graph input of the same name; an unnamed one feeds the graph's only input; float64
//! is cast to float32 where the graph takes float32 (`_cast_float64_to_float32`); a column
//! signature feeds one column per graph input when there are several, else the whole frame.

use super::{Dim, GraphFacts, ValueFacts};
use crate::model::signature::{Schema, Signature, Spec, TensorSpec};

/// numpy's name as an MLflow tensor spec writes it, for comparing with the graph's.
fn normal_dtype(dtype: &str) -> &str {
    match dtype {
        "str" | "object" | "bytes" => "string",
        "bool_" => "bool",
        "float" | "double" => "float64",
        other => other,
    }
}

fn names(values: &[ValueFacts]) -> String {
    let items: Vec<String> = values.iter().map(|v| format!("'{}'", v.name)).collect();
    items.join(", ")
}

/// One signature tensor against the graph value it reaches.
fn compare(side: &str, spec: &TensorSpec, graph: &ValueFacts, out: &mut Vec<String>) {
    let label = format!("{side} '{}'", graph.name);
    let want = normal_dtype(&spec.dtype);
    if want != graph.dtype {
        let cast = side == "input" && want == "float64" && graph.dtype == "float32";
        if !cast {
            out.push(format!(
                "{label}: the signature says {}, the graph {} {}",
                spec.dtype,
                if side == "input" { "takes" } else { "gives" },
                graph.dtype
            ));
        }
    }
    let Some(dims) = &graph.shape else { return };
    if dims.len() != spec.shape.len() {
        out.push(format!(
            "{label}: the signature has rank {} ({}), the graph rank {} ({})",
            spec.shape.len(),
            crate::model::signature::shape_label(&spec.shape),
            dims.len(),
            super::shape_label(dims)
        ));
        return;
    }
    for (axis, (s, g)) in spec.shape.iter().zip(dims).enumerate() {
        match (s, g) {
            (-1, Dim::Fixed(n)) if *n > 0 && side == "input" => out.push(format!(
                "{label}: the signature takes any size on axis {axis}, the graph only {n}"
            )),
            (s, Dim::Fixed(n)) if *s >= 0 && *n > 0 && s != n => out.push(format!(
                "{label}: axis {axis} is {s} in the signature, {n} in the graph"
            )),
            _ => {}
        }
    }
}

/// The tensor specs of a schema with their names.
fn tensor_specs(schema: &Schema) -> Vec<&TensorSpec> {
    schema
        .specs
        .iter()
        .filter_map(|s| match s {
            Spec::Tensor(t) => Some(t),
            Spec::Column(_) => None,
        })
        .collect()
}

/// One side (inputs or outputs) of the signature against the graph's.
fn side(kind: &str, schema: &Schema, graph: &[ValueFacts], out: &mut Vec<String>) {
    let plural = format!("{kind}s");
    if !schema.is_tensor() {
        // Columns: with several graph inputs each column feeds the input of its name.
        if kind == "input" && graph.len() > 1 {
            let columns: Vec<&str> = schema.specs.iter().filter_map(|s| s.name()).collect();
            for g in graph {
                if !columns.contains(&g.name.as_str()) {
                    out.push(format!(
                        "graph input '{}' has no column of its name in the signature, and MLflow feeds a frame to a graph of several inputs by column name",
                        g.name
                    ));
                }
            }
        }
        return;
    }
    let specs = tensor_specs(schema);
    if !schema.has_names() {
        match (specs.first(), graph) {
            (Some(spec), [only]) => compare(kind, spec, only, out),
            (Some(_), []) => out.push(format!("the graph has no {plural}")),
            (Some(spec), [first, ..]) => {
                if kind == "input" {
                    out.push(format!(
                        "the signature's input is one unnamed tensor, the graph has {} inputs ({}): MLflow can feed it only to a graph of one input",
                        graph.len(),
                        names(graph)
                    ));
                } else {
                    compare(kind, spec, first, out);
                }
            }
            (None, _) => {}
        }
        return;
    }
    for spec in &specs {
        let name = spec.name.as_deref().unwrap_or_default();
        match graph.iter().find(|g| g.name == name) {
            Some(g) => compare(kind, spec, g, out),
            None => out.push(format!(
                "signature {kind} '{name}' is not an {kind} of the graph (its {plural}: {})",
                names(graph)
            )),
        }
    }
    if kind == "input" {
        for g in graph {
            if !specs
                .iter()
                .any(|s| s.name.as_deref() == Some(g.name.as_str()))
            {
                out.push(format!(
                    "graph input '{}' ({}) is not in the signature: a request MLflow accepts cannot feed it",
                    g.name,
                    g.type_label()
                ));
            }
        }
    }
}

/// Each way the signature and the graph disagree, in one sentence; empty when they agree (or
/// the model has no signature to compare).
pub fn signature_mismatches(signature: Option<&Signature>, facts: &GraphFacts) -> Vec<String> {
    let mut out = Vec::new();
    let Some(signature) = signature else {
        return out;
    };
    if let Some(inputs) = &signature.inputs {
        side("input", inputs, &facts.inputs, &mut out);
    }
    if let Some(outputs) = &signature.outputs {
        side("output", outputs, &facts.outputs, &mut out);
    }
    out
}
