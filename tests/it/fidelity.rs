//! Our reading of signatures and folders against MLflow's own, recorded from the pinned pip
//! mlflow by tests/fixtures/mlflow_reference.py.

use std::path::Path;

use mlmodel_inspector::model::{self, signature};
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/mlflow_reference")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn signature_verdicts_and_messages_agree_with_mlflow() {
    let reference = load("signature_cases.json");
    let cases = reference["cases"].as_array().unwrap();
    assert!(cases.len() >= 70);
    let mut failures = Vec::new();
    for case in cases {
        let text = case["json"].as_str().unwrap();
        let parsed: Value = serde_json::from_str(text).unwrap();
        let ours = match case["kind"].as_str().unwrap() {
            "schema" => signature::parse_schema(&parsed).map(|s| s.to_mlflow_json()),
            _ => signature::parse_param_schema(&parsed)
                .map(|p| Value::Array(p.iter().map(|s| s.to_mlflow_json()).collect())),
        };
        let mlflow_ok = case["ok"].as_bool().unwrap();
        match (&ours, mlflow_ok) {
            (Ok(json), true) => {
                if json != &case["mlflow_json"] {
                    failures.push(format!(
                        "{text}\n  ours:   {json}\n  mlflow: {}",
                        case["mlflow_json"]
                    ));
                }
            }
            (Err(e), false) => {
                // MLflow's own exceptions carry texts users see; KeyError/TypeError do not, and
                // there our message says what is missing instead.
                if case["error_type"] == "MlflowException" && case["error"].as_str() != Some(e) {
                    failures.push(format!(
                        "{text}\n  ours:   {e}\n  mlflow: {}",
                        case["error"]
                    ));
                }
            }
            (Ok(_), false) => failures.push(format!(
                "{text}\n  we accept, MLflow refuses: {}",
                case["error"]
            )),
            (Err(e), true) => failures.push(format!("{text}\n  MLflow accepts, we refuse: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_fixture_folder_reads_as_mlflow_reads_it() {
    let reference = load("cards.json");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cards = reference["cards"].as_object().unwrap();
    assert!(cards.len() >= 12);
    let mut public = 0;
    for (rel, expected) in cards {
        public += usize::from(rel.starts_with("tests/fixtures/public/models/"));
        let opened = model::open(&root.join(rel));
        if rel.starts_with("tests/fixtures/public/bad/") {
            // Files named MLmodel in public repositories that are none (Python code, a pickle):
            // MLflow refuses them, and so do we, naming the file and what is wrong with it.
            let mlflow = expected["error"]
                .as_str()
                .unwrap_or_else(|| panic!("{rel}"));
            let ours = opened
                .err()
                .unwrap_or_else(|| panic!("{rel}: we read it, MLflow: {mlflow}"));
            let ours = ours.to_string();
            assert!(ours.contains(&format!("{rel}/MLmodel: ")), "{rel}: {ours}");
            assert!(
                ours.contains("this is not an MLmodel file: it starts `import")
                    || ours.contains("is not a text file (binary data"),
                "{rel}: {ours}"
            );
            continue;
        }
        let card = opened.unwrap_or_else(|e| panic!("{rel}: {e}"));
        let ours = model::json::card_to_json(&card);
        if let Some(err) = expected.get("error") {
            // MLflow fails on signatures stored as YAML lists; we read them and say so.
            assert!(
                err.as_str().unwrap().contains("JSON object must be str"),
                "{rel}: {err}"
            );
            assert!(
                card.warnings
                    .iter()
                    .any(|w| w.message.contains("YAML list")),
                "{rel}"
            );
            continue;
        }
        assert_eq!(ours["flavors"], expected["flavors"], "{rel}: flavors");
        assert_eq!(ours["signature"], expected["signature"], "{rel}: signature");
        assert_eq!(ours["mlflow_version"], expected["mlflow_version"], "{rel}");
        assert_eq!(ours["model_uuid"], expected["model_uuid"], "{rel}");
        assert_eq!(ours["run_id"], expected["run_id"], "{rel}");
        let info = &expected["saved_input_example_info"];
        assert_eq!(
            ours["input_example"].is_null(),
            info.is_null(),
            "{rel}: example"
        );
        if !info.is_null() {
            assert_eq!(ours["input_example"]["type"], info["type"], "{rel}");
        }
    }
    assert!(
        public >= 30,
        "the MLmodel files from public repositories are covered"
    );
}

/// The command line over every public MLmodel file (tests/fixtures/public/): `show --json`
/// reads it (exit 0, its flavors as written), `openapi` describes its endpoint (exit 0, an
/// OpenAPI 3.1 document), `graph` says it has no ONNX file (exit 2, naming the folder), and
/// `diff` of each file with the next gives a verdict whose first line matches its exit code
/// (0 drop-in, 1 breaking). The three files named MLmodel that are none exit 2 naming the
/// file and what is wrong.
#[test]
fn the_command_line_reads_every_public_mlmodel_file() {
    let root = crate::common::repo("tests/fixtures/public");
    let mut models: Vec<std::path::PathBuf> = std::fs::read_dir(root.join("models"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    models.sort();
    assert!(models.len() >= 30);
    let run = |args: &[&std::ffi::OsStr]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_mlmodel-inspector"))
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    for (i, model) in models.iter().enumerate() {
        let name = model.file_name().unwrap().to_string_lossy().to_string();
        let (code, out, err) = run(&["show".as_ref(), model.as_os_str(), "--json".as_ref()]);
        assert_eq!(code, 0, "{name}: {err}");
        let card: Value = serde_json::from_str(&out).unwrap();
        assert!(card["flavors"].is_object(), "{name}: {out}");
        let (code, out, err) = run(&["openapi".as_ref(), model.as_os_str()]);
        assert_eq!(code, 0, "{name}: {err}");
        let doc: Value = serde_json::from_str(&out).unwrap();
        assert!(
            doc["openapi"]
                .as_str()
                .is_some_and(|v| v.starts_with("3.1")),
            "{name}: {out}"
        );
        let (code, _, err) = run(&["graph".as_ref(), model.as_os_str()]);
        assert_eq!(code, 2, "{name}: {err}");
        assert!(
            err.contains("the model has no ONNX file") && err.contains(&name),
            "{name}: {err}"
        );
        if let Some(next) = models.get(i + 1) {
            let (code, out, err) = run(&["diff".as_ref(), model.as_os_str(), next.as_os_str()]);
            let first = out.lines().next().unwrap_or("");
            match code {
                0 => assert!(first.starts_with("Drop-in:"), "{name}: {first} {err}"),
                1 => assert!(first.starts_with("Breaking:"), "{name}: {first} {err}"),
                other => panic!("{name} against the next: exit {other}: {err}"),
            }
        }
    }
    for bad in std::fs::read_dir(root.join("bad")).unwrap() {
        let folder = bad.unwrap().path();
        let (code, _, err) = run(&["show".as_ref(), folder.as_os_str()]);
        assert_eq!(code, 2, "{}: {err}", folder.display());
        let file = folder.join("MLmodel").display().to_string();
        assert!(err.contains(&file), "{err}");
        assert!(
            err.contains("not an MLmodel file") || err.contains("is not a text file"),
            "{err}"
        );
    }
}
