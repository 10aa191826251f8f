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

#[cfg(test)]
mod tests {
    //! Each branch of the check on a signature and graph built here (the fixtures cover the
    //! common ones through `mlmodel-inspector graph`).

    use super::*;
    use crate::model::signature::parse_schema;

    fn tensor(name: Option<&str>, dtype: &str, shape: &str) -> String {
        let name = name
            .map(|n| format!(r#""name": "{n}", "#))
            .unwrap_or_default();
        format!(
            r#"{{{name}"type": "tensor", "tensor-spec": {{"dtype": "{dtype}", "shape": {shape}}}}}"#
        )
    }

    fn schema(specs: &[String]) -> Schema {
        let text = format!("[{}]", specs.join(", "));
        parse_schema(&serde_json::from_str(&text).unwrap()).unwrap()
    }

    fn value(name: &str, dtype: &str, dims: &[Dim]) -> ValueFacts {
        ValueFacts {
            name: name.into(),
            dtype: dtype.into(),
            shape: Some(dims.to_vec()),
        }
    }

    fn facts(inputs: Vec<ValueFacts>, outputs: Vec<ValueFacts>) -> GraphFacts {
        GraphFacts {
            inputs,
            outputs,
            ..Default::default()
        }
    }

    fn check(inputs: Option<Schema>, outputs: Option<Schema>, graph: &GraphFacts) -> Vec<String> {
        let signature = Signature {
            inputs,
            outputs,
            params: None,
        };
        signature_mismatches(Some(&signature), graph)
    }

    const BATCH: Dim = Dim::Unknown;

    fn sym(s: &str) -> Dim {
        Dim::Symbol(s.into())
    }

    #[test]
    fn float64_is_cast_to_a_float32_input_but_not_promised_by_a_float32_output() {
        let graph = facts(
            vec![value("x", "float32", &[sym("N"), Dim::Fixed(4)])],
            vec![value("y", "float32", &[sym("N"), Dim::Fixed(3)])],
        );
        let got = check(
            Some(schema(&[tensor(Some("x"), "float64", "[-1, 4]")])),
            Some(schema(&[tensor(Some("y"), "float64", "[-1, 3]")])),
            &graph,
        );
        assert_eq!(
            got,
            ["output 'y': the signature says float64, the graph gives float32"]
        );
        // The other way round is no cast MLflow makes.
        let graph = facts(vec![value("x", "float64", &[BATCH, Dim::Fixed(4)])], vec![]);
        let got = check(
            Some(schema(&[tensor(Some("x"), "float32", "[-1, 4]")])),
            None,
            &graph,
        );
        assert_eq!(
            got,
            ["input 'x': the signature says float32, the graph takes float64"]
        );
    }

    #[test]
    fn any_size_in_the_signature_against_a_fixed_graph_axis() {
        let graph = facts(
            vec![value(
                "x",
                "uint8",
                &[
                    Dim::Fixed(1),
                    Dim::Fixed(300),
                    Dim::Fixed(300),
                    Dim::Fixed(3),
                ],
            )],
            vec![value("y", "float32", &[Dim::Fixed(1), Dim::Fixed(2)])],
        );
        let got = check(
            Some(schema(&[tensor(None, "uint8", "[-1, 300, 300, 3]")])),
            // An output may be smaller than the signature allows: not a mismatch.
            Some(schema(&[tensor(None, "float32", "[-1, 2]")])),
            &graph,
        );
        assert_eq!(
            got,
            ["input 'x': the signature takes any size on axis 0, the graph only 1"]
        );
        // A symbolic or unknown graph axis takes any size; a fixed one that differs is named.
        let graph = facts(
            vec![value(
                "x",
                "uint8",
                &[sym("batch"), Dim::Unknown, Dim::Fixed(224), Dim::Fixed(3)],
            )],
            vec![],
        );
        let got = check(
            Some(schema(&[tensor(None, "uint8", "[-1, 300, 300, 3]")])),
            None,
            &graph,
        );
        assert_eq!(
            got,
            ["input 'x': axis 2 is 300 in the signature, 224 in the graph"]
        );
        // A rank that differs is one sentence, not one per axis.
        let got = check(
            Some(schema(&[tensor(None, "uint8", "[-1, 3, 300, 300, 1]")])),
            None,
            &graph,
        );
        assert_eq!(
            got,
            [
                "input 'x': the signature has rank 5 ([-1, 3, 300, 300, 1]), the graph rank 4 ([batch, ?, 224, 3])"
            ]
        );
    }

    #[test]
    fn columns_against_several_graph_inputs_are_matched_by_name() {
        let columns = || {
            parse_schema(&serde_json::json!([
                {"type": "double", "name": "a"},
                {"type": "double", "name": "b"}
            ]))
            .unwrap()
        };
        let two = facts(
            vec![
                value("a", "float64", &[BATCH, Dim::Fixed(1)]),
                value("c", "float64", &[BATCH, Dim::Fixed(1)]),
            ],
            vec![],
        );
        assert_eq!(
            check(Some(columns()), None, &two),
            [
                "graph input 'c' has no column of its name in the signature, and MLflow feeds a frame to a graph of several inputs by column name"
            ]
        );
        let named = facts(
            vec![
                value("a", "float64", &[BATCH, Dim::Fixed(1)]),
                value("b", "float64", &[BATCH, Dim::Fixed(1)]),
            ],
            vec![],
        );
        assert!(check(Some(columns()), None, &named).is_empty());
        // One graph input takes the whole frame, whatever the columns are called.
        let one = facts(vec![value("X", "float64", &[BATCH, Dim::Fixed(2)])], vec![]);
        assert!(check(Some(columns()), None, &one).is_empty());
    }

    #[test]
    fn an_unnamed_tensor_feeds_only_a_graph_of_one_input() {
        let graph = facts(
            vec![
                value("x", "float32", &[BATCH, Dim::Fixed(2)]),
                value("ids", "int64", &[BATCH]),
            ],
            vec![
                value("probs", "float32", &[BATCH, Dim::Fixed(2)]),
                value("label", "int64", &[BATCH]),
            ],
        );
        let got = check(
            Some(schema(&[tensor(None, "float32", "[-1, 2]")])),
            // An unnamed output is the graph's first.
            Some(schema(&[tensor(None, "float32", "[-1, 2]")])),
            &graph,
        );
        assert_eq!(
            got,
            [
                "the signature's input is one unnamed tensor, the graph has 2 inputs ('x', 'ids'): MLflow can feed it only to a graph of one input"
            ]
        );
        let empty = facts(vec![], vec![]);
        let got = check(
            Some(schema(&[tensor(None, "float32", "[-1, 2]")])),
            None,
            &empty,
        );
        assert_eq!(got, ["the graph has no inputs"]);
    }

    #[test]
    fn named_tensors_missing_on_either_side() {
        let graph = facts(
            vec![
                value("x", "float32", &[BATCH, Dim::Fixed(2)]),
                value("mask", "bool", &[BATCH]),
            ],
            vec![value("y", "float32", &[BATCH])],
        );
        let got = check(
            Some(schema(&[
                tensor(Some("x"), "float32", "[-1, 2]"),
                tensor(Some("z"), "int64", "[-1]"),
            ])),
            Some(schema(&[tensor(Some("scores"), "float32", "[-1]")])),
            &graph,
        );
        assert_eq!(
            got,
            [
                "signature input 'z' is not an input of the graph (its inputs: 'x', 'mask')",
                "graph input 'mask' (bool [?]) is not in the signature: a request MLflow accepts cannot feed it",
                "signature output 'scores' is not an output of the graph (its outputs: 'y')",
            ]
        );
        // No signature: nothing to compare.
        assert!(signature_mismatches(None, &graph).is_empty());
    }
}
