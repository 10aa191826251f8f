//! The validator's verdicts against MLflow's scoring server on the recorded case table
//! (tests/fixtures/validation_reference.py: real `invocations` answers from the pinned mlflow).

mod common;

use mlmodel_inspector::input::validate::validate_body;
use mlmodel_inspector::model::signature::{self, Signature};
use serde_json::Value;

#[test]
fn verdicts_agree_with_the_scoring_server() {
    let text = std::fs::read_to_string(common::repo(
        "tests/fixtures/mlflow_reference/validation_cases.json",
    ))
    .unwrap();
    let reference: Value = serde_json::from_str(&text).unwrap();
    let cases = reference["cases"].as_array().unwrap();
    assert!(cases.len() >= 40);
    let mut disagreements = Vec::new();
    for case in cases {
        let inputs: Value = serde_json::from_str(case["inputs"].as_str().unwrap()).unwrap();
        let params = case["params"]
            .as_str()
            .map(|p| signature::parse_param_schema(&serde_json::from_str(p).unwrap()).unwrap());
        let sig = Signature {
            inputs: Some(signature::parse_schema(&inputs).unwrap()),
            outputs: None,
            params,
        };
        let verdict = validate_body(Some(&sig), &case["body"]);
        let accepted = case["status"] == 200;
        if verdict.is_ok() != accepted {
            disagreements.push(format!(
                "{}: MLflow {} ({}), we say {:?}",
                case["name"],
                case["status"],
                case["message"]
                    .as_str()
                    .unwrap_or("")
                    .chars()
                    .take(160)
                    .collect::<String>(),
                verdict
                    .problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
            ));
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} disagreements:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}

#[test]
fn problems_name_the_input_and_say_how_to_fix_it() {
    let schema = signature::parse_schema(&serde_json::json!([
        {"type": "tensor", "tensor-spec": {"dtype": "uint8", "shape": [-1, 300, 300, 3]}}
    ]))
    .unwrap();
    let sig = Signature {
        inputs: Some(schema),
        outputs: None,
        params: None,
    };
    // A CHW float image where HWC uint8 is expected: one plane of zeros per channel.
    let plane: Vec<Vec<f64>> = vec![vec![0.5; 300]; 300];
    let body = serde_json::json!({"inputs": [[plane.clone(), plane.clone(), plane]]});
    let verdict = validate_body(Some(&sig), &body);
    assert_eq!(verdict.problems.len(), 1);
    assert_eq!(
        verdict.problems[0].to_string(),
        "inputs: expected uint8 [-1, 300, 300, 3], got shape [1, 3, 300, 300]: the channels come first (CHW) but the model wants them last: transpose to HWC"
    );
    assert_eq!(
        verdict.notes,
        ["inputs: the server casts to uint8 and drops the fractions of non-whole numbers"]
    );
    let verdict = validate_body(Some(&sig), &serde_json::json!([1]));
    assert!(
        verdict.problems[0]
            .to_string()
            .starts_with("body: must be a JSON object")
    );
}
