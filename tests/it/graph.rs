//! The Graph facts and the signature check, as `mlmodel-inspector graph --json` prints them,
//! against what the pinned python `onnx` package reports of every fixture ONNX model
//! (tests/fixtures/onnx_reference.py recorded it), and the layout of a large graph.

use std::process::Command;

use mlmodel_inspector::predict::graph::layout::{BoxKind, layout};
use mlmodel_inspector::predict::graph::{Dim, GraphFacts, NodeFacts, ValueFacts};
use serde_json::{Value, json};

fn graph_json(folder: &std::path::Path) -> Value {
    crate::common::cli_json(&[
        std::ffi::OsStr::new("graph"),
        folder.as_os_str(),
        std::ffi::OsStr::new("--json"),
    ])
}

#[test]
fn graph_facts_equal_what_the_onnx_package_reports() {
    let text = std::fs::read_to_string(crate::common::repo(
        "tests/fixtures/mlflow_reference/onnx_graphs.json",
    ))
    .unwrap();
    let reference: Value = serde_json::from_str(&text).unwrap();
    let models = reference["models"].as_object().unwrap();
    assert!(models.len() >= 5, "{} models", models.len());
    for (file, want) in models {
        let folder = crate::common::repo(file).parent().unwrap().to_path_buf();
        let got = graph_json(&folder);
        for key in [
            "ir_version",
            "opset",
            "producer",
            "doc_string",
            "metadata",
            "inputs",
            "outputs",
            "nodes",
            "ops",
            "initializers",
            "parameters",
            "initializer_bytes",
            "external_data",
        ] {
            assert_eq!(got[key], want[key], "{file}: {key}");
        }
        // Every external file is there in the fixtures.
        for e in got["external_data_files"].as_array().unwrap() {
            assert_eq!(e["present"], json!(true), "{file}: {e}");
        }
    }
}

#[test]
fn a_signature_that_disagrees_with_its_graph_gets_each_mismatch_named() {
    let got = graph_json(&crate::common::model("onnx_signature_mismatch"));
    assert_eq!(
        got["signature_mismatches"],
        json!([
            "input 'pixels': the signature says float32, the graph takes uint8",
            "input 'pixels': axis 1 is 16 in the signature, 8 in the graph",
            "signature input 'mask' is not an input of the graph (its inputs: 'pixels', 'scale')",
            "graph input 'scale' (float32 [1]) is not in the signature: a request MLflow accepts cannot feed it",
            "output 'score': the signature says int64, the graph gives float32",
            "output 'score': the signature has rank 2 ([-1, 1]), the graph rank 1 ([batch])"
        ])
    );
    assert_eq!(got["custom_domains"], json!(["com.example.custom"]));
    // tract looks ops up by type alone: a custom domain's op is named with its domain.
    assert_eq!(got["unsupported_ops"], json!(["com.example.custom:Tag"]));
    // The models whose signature MLflow inferred from the graph agree with it, and tract runs
    // each (the ZipMap at the end is rebuilt by the app).
    for name in [
        "onnx_named_inputs",
        "onnx_sklearn_zipmap",
        "onnx_external_data",
    ] {
        let got = graph_json(&crate::common::model(name));
        assert_eq!(got["signature_mismatches"], json!([]), "{name}");
        assert_eq!(got["unsupported_ops"], json!([]), "{name}");
    }
    let example = graph_json(&crate::common::repo("assets/example-model"));
    assert_eq!(example["signature_mismatches"], json!([]));
}

#[test]
fn the_text_form_reads_as_a_summary() {
    let out = Command::new(env!("CARGO_BIN_EXE_mlmodel-inspector"))
        .arg("graph")
        .arg(crate::common::model("onnx_sklearn_zipmap"))
        .arg("--nodes")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("ONNX IR version 8, opset ai.onnx 17, ai.onnx.ml 1"),
        "{text}"
    );
    assert!(
        text.contains("output_probability  seq(map(int64,float32))\n"),
        "{text}"
    );
    assert!(text.contains("LinearClassifier 1"), "{text}");
    assert!(
        text.contains("Signature check: the signature matches the graph."),
        "{text}"
    );
    assert!(
        text.contains("ZipMap (") && text.contains("classlabels_int64s=[0, 1, 2]"),
        "{text}"
    );
    // An element type code by its type's name, as the Graph tab's details show it.
    let out = Command::new(env!("CARGO_BIN_EXE_mlmodel-inspector"))
        .arg("graph")
        .arg(crate::common::repo("assets/example-model"))
        .arg("--nodes")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("#0: Cast (images) -> (as_float) to=float32\n"),
        "{text}"
    );
}

#[test]
fn a_folder_without_onnx_and_a_wrong_file_are_refused_with_the_reason() {
    let out = Command::new(env!("CARGO_BIN_EXE_mlmodel-inspector"))
        .arg("graph")
        .arg(crate::common::model("sklearn_iris"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the model has no ONNX file"), "{err}");
    let out = Command::new(env!("CARGO_BIN_EXE_mlmodel-inspector"))
        .args(["graph", "--file", "MLmodel"])
        .arg(crate::common::repo("assets/example-model"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("MLmodel: not an ONNX file of the model (its ONNX files: model.onnx)"),
        "{err}"
    );
    // A truncated .onnx file: the file is named and the app goes on.
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(crate::common::repo("assets/example-model")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    let whole = std::fs::read(dir.path().join("model.onnx")).unwrap();
    std::fs::write(dir.path().join("model.onnx"), &whole[..whole.len() / 3]).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_mlmodel-inspector"))
        .arg("graph")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("model.onnx: cannot read the ONNX file"),
        "{err}"
    );
}

/// A graph of `n` nodes: a long chain with a side branch every 50 nodes joined back by an Add.
fn big_graph(n: usize) -> GraphFacts {
    let mut nodes = Vec::new();
    let mut last = "x".to_string();
    let mut i = 0;
    while nodes.len() < n {
        let out = format!("v{i}");
        if i % 50 == 49 {
            let side = format!("s{i}");
            nodes.push(NodeFacts {
                name: format!("side{i}"),
                op_type: "Relu".into(),
                domain: String::new(),
                inputs: vec![last.clone()],
                outputs: vec![side.clone()],
                attributes: vec![],
            });
            nodes.push(NodeFacts {
                name: format!("join{i}"),
                op_type: "Add".into(),
                domain: String::new(),
                inputs: vec![last.clone(), side],
                outputs: vec![out.clone()],
                attributes: vec![],
            });
        } else {
            nodes.push(NodeFacts {
                name: format!("n{i}"),
                op_type: if i % 2 == 0 { "Conv" } else { "Relu" }.into(),
                domain: String::new(),
                inputs: vec![last.clone(), format!("w{i}")],
                outputs: vec![out.clone()],
                attributes: vec![],
            });
        }
        last = out;
        i += 1;
    }
    let value = |name: &str| ValueFacts {
        name: name.into(),
        dtype: "float32".into(),
        shape: Some(vec![Dim::Symbol("batch".into()), Dim::Fixed(3)]),
    };
    GraphFacts {
        file: "model.onnx".into(),
        file_bytes: 0,
        ir_version: 8,
        opset: vec![(String::new(), 17)],
        producer_name: String::new(),
        producer_version: String::new(),
        doc_string: String::new(),
        metadata: vec![],
        graph_name: String::new(),
        inputs: vec![value("x")],
        outputs: vec![value(&last)],
        nodes,
        ops: Default::default(),
        custom_domains: vec![],
        unsupported_ops: vec![],
        initializers: 0,
        parameters: 0,
        initializer_bytes: 0,
        external_data: vec![],
    }
}

#[test]
fn a_5000_node_graph_is_laid_out_top_to_bottom_with_its_chains_folded() {
    let facts = big_graph(5000);
    let whole = layout(&facts, false);
    // One box per node, the input and the output.
    assert_eq!(whole.boxes.len(), 5002);
    // Every edge goes down the page.
    for &(a, b) in &whole.edges {
        assert!(
            whole.boxes[a].rect[1] < whole.boxes[b].rect[1],
            "edge {a} -> {b} goes up"
        );
    }
    assert!(matches!(whole.boxes[0].kind, BoxKind::Input(0)));
    let folded = layout(&facts, true);
    assert!(
        folded.boxes.len() < whole.boxes.len() / 10,
        "{} boxes folded",
        folded.boxes.len()
    );
    // Every node is in exactly one box.
    let mut seen = vec![0; facts.nodes.len()];
    for b in &folded.boxes {
        match &b.kind {
            BoxKind::Node(n) => seen[*n] += 1,
            BoxKind::Chain(ns) => {
                assert!(ns.len() >= 4);
                for n in ns {
                    seen[*n] += 1;
                }
            }
            _ => {}
        }
    }
    assert!(seen.iter().all(|&c| c == 1));
    let chain = folded
        .boxes
        .iter()
        .find(|b| matches!(b.kind, BoxKind::Chain(_)))
        .unwrap();
    assert!(chain.label.contains("nodes)"), "{}", chain.label);
    // The node of a folded chain is found in its box.
    assert!(folded.box_of_node(10).is_some());
}
