//! `mlmodel-inspector graph`: what is inside a model's ONNX file, as text or one JSON document.

use serde_json::{Value, json};

use crate::predict::graph::{Dim, GraphFacts, NodeFacts, ValueFacts};
use crate::session::GraphReport;
use crate::text::human_size;

fn dim_json(d: &Dim) -> Value {
    match d {
        Dim::Fixed(n) => json!(n),
        Dim::Symbol(s) => json!(s),
        Dim::Unknown => Value::Null,
    }
}

fn value_json(v: &ValueFacts) -> Value {
    json!({
        "name": v.name,
        "dtype": v.dtype,
        "shape": v.shape.as_ref().map(|dims| dims.iter().map(dim_json).collect::<Vec<_>>()),
    })
}

fn node_json(n: &NodeFacts) -> Value {
    let attributes: serde_json::Map<String, Value> = n
        .attributes
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    json!({
        "name": n.name,
        "op_type": n.op_type,
        "domain": n.domain,
        "inputs": n.inputs,
        "outputs": n.outputs,
        "attributes": attributes,
    })
}

/// Writes the `--json` document (`node_list`: also every node) to `out` as pretty JSON, the
/// node list one node at a time (a graph of a million nodes is never one JSON tree).
pub fn write_graph_json(
    report: &GraphReport,
    node_list: bool,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let head = serde_json::to_string_pretty(&graph_json(report, false))?;
    if !node_list {
        return writeln!(out, "{head}");
    }
    // The document without its closing brace, then the list, then the brace.
    let open = head
        .trim_end()
        .strip_suffix('}')
        .unwrap_or(&head)
        .trim_end();
    write!(out, "{open},\n  \"node_list\": [")?;
    for (i, n) in report.facts.nodes.iter().enumerate() {
        let node = serde_json::to_string_pretty(&node_json(n))?;
        out.write_all(if i == 0 { b"\n    " } else { b",\n    " })?;
        out.write_all(node.replace('\n', "\n    ").as_bytes())?;
    }
    if report.facts.nodes.is_empty() {
        writeln!(out, "]\n}}")
    } else {
        writeln!(out, "\n  ]\n}}")
    }
}

/// The `--json` document (`node_list`: also every node).
pub fn graph_json(report: &GraphReport, node_list: bool) -> Value {
    let f = &report.facts;
    let mut doc = json!({
        "file": f.file,
        "file_bytes": f.file_bytes,
        "ir_version": f.ir_version,
        "opset": f.opset.iter().map(|(d, v)| json!({"domain": d, "version": v})).collect::<Vec<_>>(),
        "producer": {"name": f.producer_name, "version": f.producer_version},
        "doc_string": f.doc_string,
        "metadata": f.metadata.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<serde_json::Map<_, _>>(),
        "inputs": f.inputs.iter().map(value_json).collect::<Vec<_>>(),
        "outputs": f.outputs.iter().map(value_json).collect::<Vec<_>>(),
        "nodes": f.nodes.len(),
        "ops": f.ops,
        "custom_domains": f.custom_domains,
        "unsupported_ops": f.unsupported_ops,
        "initializers": f.initializers,
        "parameters": f.parameters,
        "initializer_bytes": f.initializer_bytes,
        "external_data": f.external_data.iter().map(|e| e.file.clone()).collect::<Vec<_>>(),
        "external_data_files": f.external_data.iter().map(|e| json!({
            "file": e.file,
            "bytes": e.bytes,
            "present": e.bytes.is_some(),
            "on_server": e.on_server,
            "problem": e.problem,
        })).collect::<Vec<_>>(),
        "signature_mismatches": report.mismatches,
    });
    if node_list && let Some(obj) = doc.as_object_mut() {
        obj.insert(
            "node_list".into(),
            Value::Array(f.nodes.iter().map(node_json).collect()),
        );
    }
    doc
}

fn values_text(out: &mut String, title: &str, values: &[ValueFacts]) {
    out.push_str(&format!("\n{title}\n"));
    if values.is_empty() {
        out.push_str("  (none)\n");
    }
    let width = values
        .iter()
        .map(|v| v.name.chars().count())
        .max()
        .unwrap_or(0);
    for v in values {
        out.push_str(&format!("  {:width$}  {}\n", v.name, v.type_label()));
    }
}

fn header_text(f: &GraphFacts) -> String {
    let mut out = format!(
        "{} ({}): ONNX IR version {}, opset {}",
        f.file,
        human_size(f.file_bytes),
        f.ir_version,
        f.opset_text()
    );
    if !f.producer_name.is_empty() {
        out.push_str(&format!(
            "\nProduced by {}{}",
            f.producer_name,
            if f.producer_version.is_empty() {
                String::new()
            } else {
                format!(" {}", f.producer_version)
            }
        ));
    }
    if !f.doc_string.trim().is_empty() {
        out.push_str(&format!("\nDoc: {}", f.doc_string.trim()));
    }
    for (k, v) in &f.metadata {
        out.push_str(&format!("\nMetadata {k}: {v}"));
    }
    out.push('\n');
    out
}

/// Writes the text `graph` prints to `out` (`node_list`: also every node, written one at a
/// time).
pub fn write_graph_text(
    report: &GraphReport,
    node_list: bool,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let head = graph_text(report, false);
    let head = crate::text::printable_lines(&head);
    if !node_list {
        return writeln!(out, "{head}");
    }
    write!(out, "{head}\n\nNodes")?;
    for (i, n) in report.facts.nodes.iter().enumerate() {
        write!(out, "\n{}", node_line(i, n))?;
    }
    writeln!(out)
}

/// A node's line in the text list.
fn node_line(i: usize, n: &NodeFacts) -> String {
    let name = if n.name.is_empty() {
        format!("#{i}")
    } else {
        crate::text::printable(&n.name).into_owned()
    };
    let mut line = format!(
        "  {name}: {} ({}) -> ({})",
        crate::text::printable(&n.op_type),
        crate::text::printable(&n.inputs.join(", ")),
        crate::text::printable(&n.outputs.join(", "))
    );
    for (k, v) in &n.attributes {
        line.push_str(&format!(
            " {}={}",
            crate::text::printable(k),
            crate::text::printable(v)
        ));
    }
    line
}

/// The text `graph` prints (`node_list`: also every node).
pub fn graph_text(report: &GraphReport, node_list: bool) -> String {
    let f = &report.facts;
    let mut out = header_text(f);
    values_text(&mut out, "Inputs", &f.inputs);
    values_text(&mut out, "Outputs", &f.outputs);
    let ops: Vec<String> = f.ops.iter().map(|(op, n)| format!("{op} {n}")).collect();
    out.push_str(&format!("\n{}\n  {}\n", f.operators_text(), ops.join(", ")));
    if !f.custom_domains.is_empty() {
        out.push_str(&format!(
            "  Custom domains: {}\n",
            f.custom_domains.join(", ")
        ));
    }
    if f.unsupported_ops.is_empty() {
        out.push_str("  The native runtime (tract) runs every op.\n");
    } else {
        out.push_str(&format!(
            "  The native runtime (tract) cannot run: {} (predict with the local MLflow backend)\n",
            f.unsupported_ops.join(", ")
        ));
    }
    out.push_str(&format!("\nWeights: {}\n", f.weights_text()));
    for e in &f.external_data {
        out.push_str(&format!("  External data {}: {}\n", e.file, e.state_text()));
    }
    if report.mismatches.is_empty() {
        out.push_str("\nSignature check: the signature matches the graph.\n");
    } else {
        out.push_str(&format!(
            "\nSignature check: {} mismatch{}\n",
            report.mismatches.len(),
            if report.mismatches.len() == 1 {
                ""
            } else {
                "es"
            }
        ));
        for m in &report.mismatches {
            out.push_str(&format!("  - {m}\n"));
        }
    }
    if node_list {
        out.push_str("\nNodes\n");
        for (i, n) in f.nodes.iter().enumerate() {
            out.push_str(&node_line(i, n));
            out.push('\n');
        }
    }
    out.trim_end().to_string()
}
