//! The pre-flight's verdicts and messages against MLflow's scoring server on the recorded case
//! table (tests/fixtures/validation_reference.py: real `invocations` answers from the pinned
//! mlflow, hand-written cases and generated ones for every request form on every fixture).

mod common;

use mlmodel_inspector::input::scoring::detail;
use mlmodel_inspector::input::validate::{Model, validate_body, validate_request};
use mlmodel_inspector::model::signature::{self, Signature};
use serde_json::Value;

/// Sorts the items of what Python prints from a set (`{'b', 'a'}`) and of the "extra inputs"
/// list (built from a set): their order depends on the interpreter's hash seed.
fn normalize(text: &str) -> String {
    fn sort_between(text: &str, open: &str, close: char) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(i) = rest.find(open) {
            let start = i + open.len();
            out.push_str(&rest[..start]);
            let Some(len) = rest[start..].find(close) else {
                rest = &rest[start..];
                continue;
            };
            let mut items: Vec<&str> = rest[start..start + len].split(", ").collect();
            items.sort_unstable();
            out.push_str(&items.join(", "));
            rest = &rest[start + len..];
        }
        out.push_str(rest);
        out
    }
    let text = sort_between(text, "{'", '}');
    let text = sort_between(&text, "extra inputs: [", ']');
    sort_between(&text, "found: {", '}')
}

#[test]
fn verdicts_and_messages_agree_with_the_scoring_server() {
    let text = std::fs::read_to_string(common::repo(
        "tests/fixtures/mlflow_reference/validation_cases.json",
    ))
    .unwrap();
    let reference: Value = serde_json::from_str(&text).unwrap();
    let cases = reference["cases"].as_array().unwrap();
    assert!(cases.len() >= 1000, "{} cases", cases.len());
    let mut cards = std::collections::HashMap::new();
    let mut disagreements = Vec::new();
    let mut refused = 0;
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let inline;
        let model = match case["model"].as_str() {
            Some(folder) => {
                let card = cards.entry(folder.to_string()).or_insert_with(|| {
                    mlmodel_inspector::model::open(&common::repo(folder)).unwrap()
                });
                Model::of(card)
            }
            None => {
                let inputs: Value = serde_json::from_str(case["inputs"].as_str().unwrap()).unwrap();
                let params = case["params"].as_str().map(|p| {
                    signature::parse_param_schema(&serde_json::from_str(p).unwrap()).unwrap()
                });
                inline = Signature {
                    inputs: Some(signature::parse_schema(&inputs).unwrap()),
                    outputs: None,
                    params,
                };
                Model {
                    signature: Some(&inline),
                    from_type_hint: false,
                }
            }
        };
        let content_type = case["content_type"].as_str().unwrap_or("application/json");
        let verdict = match (&case["body"], content_type) {
            (Value::String(raw), _) => validate_request(model, content_type, raw.as_bytes()),
            (body, "application/json") => validate_body(model, body),
            (body, ct) => validate_request(model, ct, &serde_json::to_vec(body).unwrap()),
        };
        let status = case["status"].as_u64().unwrap();
        if status == 200 {
            if !verdict.is_ok() {
                disagreements.push(format!(
                    "{name}: MLflow accepts, we say {}",
                    verdict.problems[0]
                ));
            }
            continue;
        }
        refused += 1;
        let Some(problem) = verdict.problems.first() else {
            disagreements.push(format!(
                "{name}: MLflow refuses ({status} {}: {}), we accept",
                case["error_code"],
                detail(case["message"].as_str().unwrap_or(""))
            ));
            continue;
        };
        let want_code = case["error_code"].as_str();
        let want = normalize(&detail(case["message"].as_str().unwrap_or("")));
        let got = normalize(&problem.message);
        if u64::from(problem.status) != status
            || problem.code.map(|c| c.as_str()) != want_code
            || got != want
        {
            disagreements.push(format!(
                "{name}:\n    MLflow: {status} {want_code:?}: {want}\n    we:     {} {:?}: {got}",
                problem.status,
                problem.code.map(|c| c.as_str())
            ));
        }
    }
    assert!(refused >= 500, "{refused} refused cases");
    assert!(
        disagreements.is_empty(),
        "{} of {} cases disagree:\n{}",
        disagreements.len(),
        cases.len(),
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
    let model = Model {
        signature: Some(&sig),
        from_type_hint: false,
    };
    // A CHW float image where HWC uint8 is expected: one plane per channel.
    let plane: Vec<Vec<f64>> = vec![vec![0.5; 300]; 300];
    let body = serde_json::json!({"inputs": [[plane.clone(), plane.clone(), plane]]});
    let verdict = validate_body(model, &body);
    assert_eq!(verdict.problems.len(), 1);
    assert_eq!(
        verdict.problems[0].to_string(),
        "inputs: Shape of input (1, 3, 300, 300) does not match expected shape (-1, 300, 300, 3). [INVALID_PARAMETER_VALUE] Hint: the channels come first (CHW) but the model wants them last: transpose to HWC (the model takes uint8 [-1, 300, 300, 3])"
    );
    // Accepted, with what MLflow does silently said.
    let pixel = serde_json::json!([[[[0.5, 1.0, 2.0]]]]);
    let small = Signature {
        inputs: Some(
            signature::parse_schema(&serde_json::json!([
                {"type": "tensor", "tensor-spec": {"dtype": "uint8", "shape": [-1, 1, 1, 3]}}
            ]))
            .unwrap(),
        ),
        outputs: None,
        params: None,
    };
    let verdict = validate_body(
        Model {
            signature: Some(&small),
            from_type_hint: false,
        },
        &serde_json::json!({ "inputs": pixel }),
    );
    assert!(verdict.is_ok(), "{verdict:?}");
    assert_eq!(
        verdict.notes,
        ["inputs: the server casts to uint8 and drops the fractions of non-whole numbers"]
    );
    let verdict = validate_body(model, &serde_json::json!([1]));
    assert_eq!(
        verdict.problems[0].message,
        "Invalid input. The input must be a JSON dictionary with exactly one of the input fields {'dataframe_records', 'dataframe_split', 'instances', 'inputs'}. Received a list."
    );
    assert_eq!(
        verdict.problems[0].code.map(|c| c.as_str()),
        Some("BAD_REQUEST")
    );
}
