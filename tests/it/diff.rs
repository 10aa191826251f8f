//! `diff A B` on pairs of models written by real MLflow with one known difference each
//! (tests/fixtures/diff/, by tests/fixtures/diff_reference.py), and on registry versions of a
//! real tracking server. "Drop-in" must mean what MLflow's scoring server does: the reference
//! holds its answers to A-valid requests sent to A and to B, which the test command re-checks.

use std::process::Command;

use mlmodel_inspector::input::request::Request;
use mlmodel_inspector::input::validate::{Model, validate};
use serde_json::Value;

fn reference() -> Value {
    let text =
        std::fs::read_to_string(crate::common::repo("tests/fixtures/diff/reference.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Runs `diff ARGS --json`: exit code, the document, stderr.
fn diff_cli(args: &[&str]) -> (i32, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mlmodel-inspector"))
        .arg("diff")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn pair(name: &str) -> (String, String) {
    let dir = crate::common::repo(&format!("tests/fixtures/diff/{name}"));
    (
        dir.join("a").display().to_string(),
        dir.join("b").display().to_string(),
    )
}

/// The change of `section` named `item`.
fn change<'a>(doc: &'a Value, section: &str, item: &str) -> &'a Value {
    doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["section"] == section && c["item"] == item)
        .unwrap_or_else(|| panic!("no {section} change {item:?} in {doc:#}"))
}

/// For every pair, the verdict is MLflow's: drop-in exactly when MLflow's server took every
/// request A took and answered it in the same shape (the same columns or output names).
#[test]
fn the_verdict_on_every_fixture_pair_is_mlflows() {
    let reference = reference();
    for (name, recorded) in reference.as_object().unwrap() {
        let (a, b) = pair(name);
        let (code, doc, stderr) = diff_cli(&[&a, &b]);
        let cases = recorded["cases"].as_array().unwrap();
        let same_shape = cases
            .iter()
            .filter(|c| c["a"]["status"] == 200 && c["b"]["status"] == 200)
            .all(|c| c["a"]["keys"] == c["b"]["keys"]);
        let mlflow_says = recorded["b_takes_what_a_takes"].as_bool().unwrap() && same_shape;
        assert_eq!(
            doc["compatible"].as_bool(),
            Some(mlflow_says),
            "{name}: {doc:#} {stderr}"
        );
        assert_eq!(code, if mlflow_says { 0 } else { 1 }, "{name}: exit code");
        assert_eq!(
            doc["reasons"].as_array().unwrap().is_empty(),
            mlflow_says,
            "{name}: a reason for each break"
        );
    }
}

/// Our validator, which decides the concrete check, gives B's verdict on each recorded
/// request as MLflow's scoring server gave it (where A's server took the request).
#[test]
fn bs_validator_agrees_with_mlflows_server_on_as_requests() {
    let reference = reference();
    let mut checked = 0;
    for (name, recorded) in reference.as_object().unwrap() {
        let (_, b) = pair(name);
        let card = mlmodel_inspector::model::open(std::path::Path::new(&b)).unwrap();
        for case in recorded["cases"].as_array().unwrap() {
            if case["a"]["status"] != 200 {
                continue;
            }
            let request = Request::parse(&case["body"].to_string()).unwrap();
            let ours = validate(Model::of(&card), &request);
            assert_eq!(
                ours.is_ok(),
                case["b"]["status"] == 200,
                "{name} / {}: ours {:?}, MLflow's {}",
                case["name"],
                ours.problems,
                case["b"]
            );
            checked += 1;
        }
    }
    assert!(checked >= 20, "{checked} requests");
}

/// Each pair's known difference is listed in its section and marked as it should be.
#[test]
fn every_change_is_listed_and_marked() {
    let (a, b) = pair("extra_column");
    let doc = diff_cli(&[&a, &b]).1;
    let c = change(&doc, "signature", "sepal_ratio");
    assert_eq!(
        (c["a"].clone(), c["b"].as_str(), c["breaking"].as_bool()),
        (Value::Null, Some("double"), Some(true))
    );
    assert!(
        change(&doc, "signature", "A's requests")["reason"]
            .as_str()
            .unwrap()
            .contains("Model is missing inputs ['sepal_ratio']")
    );

    let (a, b) = pair("double_to_long");
    let doc = diff_cli(&[&a, &b]).1;
    let c = change(&doc, "signature", "sepal_length");
    assert_eq!(
        (c["a"].as_str(), c["b"].as_str(), c["breaking"].as_bool()),
        (Some("double"), Some("long"), Some(true))
    );
    let concrete = change(&doc, "signature", "A's requests");
    assert!(
        concrete["b"]
            .as_str()
            .unwrap()
            .contains("a row of missing values"),
        "{concrete}"
    );

    let (a, b) = pair("tensor_changed");
    let doc = diff_cli(&[&a, &b]).1;
    let c = change(&doc, "signature", "the tensor");
    assert_eq!(
        (c["a"].as_str(), c["b"].as_str()),
        (Some("float32 [-1, 4]"), Some("float64 [-1, 8]"))
    );

    let (a, b) = pair("param_default");
    let doc = diff_cli(&[&a, &b]).1;
    let c = change(&doc, "params", "k");
    assert_eq!(
        (c["a"].as_str(), c["b"].as_str(), c["breaking"].as_bool()),
        (
            Some("long, default 1"),
            Some("long, default 2"),
            Some(false)
        )
    );
    assert_eq!(doc["changes"].as_array().unwrap().len(), 1, "{doc:#}");

    let (a, b) = pair("changed_pin");
    let doc = diff_cli(&[&a, &b]).1;
    let c = change(&doc, "environment", "scikit-learn");
    assert!(c["a"].as_str().unwrap().contains("==1.9.1"), "{c}");
    assert!(c["b"].as_str().unwrap().contains("<2,>=1.5"), "{c}");
    assert_eq!(c["breaking"], false);

    let (a, b) = pair("output_renamed");
    let doc = diff_cli(&[&a, &b]).1;
    let c = change(&doc, "outputs", "score");
    assert_eq!(
        (c["b"].as_str(), c["breaking"].as_bool()),
        (Some("probability: double"), Some(true))
    );

    let (a, b) = pair("retrained");
    let doc = diff_cli(&[&a, &b]).1;
    assert_eq!(doc["compatible"], true);
    assert!(doc["requests_checked"].as_u64().unwrap() >= 3);
}

/// The same model against itself is drop-in with every section equal; text says so in words.
/// Retrained weights of the same size are a change of the file, found by its bytes (a copy of
/// the folder is not).
#[test]
fn retrained_weights_of_the_same_size_are_listed_by_their_bytes() {
    let (a, b) = pair("retrained");
    let (code, doc, stderr) = diff_cli(&[&a, &b]);
    assert_eq!(code, 0, "{stderr}");
    let c = change(&doc, "files", "model.skops");
    let size = c["a"].as_str().unwrap();
    assert_eq!(
        c["b"].as_str(),
        Some(format!("{size}, other bytes").as_str())
    );
    assert_eq!(c["breaking"], false);
    let copy = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&a).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), copy.path().join(entry.file_name())).unwrap();
    }
    let (code, doc, stderr) = diff_cli(&[&a, &copy.path().display().to_string()]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(doc["changes"], serde_json::json!([]), "{doc:#}");
}

#[test]
fn a_model_against_itself_is_drop_in_and_the_text_says_so() {
    let a = crate::common::model("sklearn_iris").display().to_string();
    let (code, doc, _) = diff_cli(&[&a, &a]);
    assert_eq!(code, 0);
    assert_eq!(doc["changes"], serde_json::json!([]));
    assert_eq!(doc["equal_sections"].as_array().unwrap().len(), 8);
    let (a, b) = pair("extra_column");
    let out = Command::new(env!("CARGO_BIN_EXE_mlmodel-inspector"))
        .args(["diff", &a, &b])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text.starts_with("Breaking: B (b) is not a drop-in replacement for A (a)."),
        "{text}"
    );
    assert!(
        text.contains("  - B requires the column \"sepal_ratio\", which A did not have"),
        "{text}"
    );
    assert!(
        text.contains("  BREAKING sepal_ratio: (none) -> double"),
        "{text}"
    );
    assert!(
        text.contains("\nequal: outputs, params, flavors, environment, metadata"),
        "{text}"
    );
}

/// A folder that is not a model: exit 2, naming which side and the folder.
#[test]
fn an_unreadable_model_exits_2_naming_it() {
    let a = crate::common::model("sklearn_iris").display().to_string();
    let dir = tempfile::tempdir().unwrap();
    let b = dir.path().display().to_string();
    let (code, _, stderr) = diff_cli(&[&a, &b]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!("model B ({b}) cannot be read")),
        "{stderr}"
    );
}

/// Registry versions on a real tracking server: two versions of the same folder are drop-in,
/// a folder against a version too; a version of another model is breaking.
#[test]
fn registry_versions_compare_like_folders() {
    let server = crate::common::tracking_server();
    let url = server.url.as_str();
    let (code, doc, stderr) = diff_cli(&[
        "models:/iris-folder/2",
        "models:/iris-folder@champion",
        "--tracking-uri",
        url,
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(doc["compatible"], true);
    let folder = crate::common::model("sklearn_iris").display().to_string();
    let (code, doc, stderr) = diff_cli(&[&folder, "models:/iris-folder/1", "--tracking-uri", url]);
    assert_eq!(code, 0, "{stderr}");
    assert!(doc["requests_checked"].as_u64().unwrap() >= 2);
    let (code, doc, stderr) = diff_cli(&[
        "models:/iris-folder/1",
        "models:/example-onnx/1",
        "--tracking-uri",
        url,
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        doc["reasons"][0]
            .as_str()
            .unwrap()
            .contains("A takes columns and B takes tensors"),
        "{doc:#}"
    );
}
