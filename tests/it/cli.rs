//! The command line as a user runs it (`show`, `predict --dry-run`, `openapi`): output on
//! stdout, errors on stderr, exit codes.

use std::process::Command;

use crate::common::{bad, handmade, model, repo};
use serde_json::{Value, json};

/// Runs the binary: exit code, stdout, stderr.
fn run(subcommand: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mlmodel-inspector"))
        .arg(subcommand)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn show(args: &[&str]) -> (i32, String, String) {
    run("show", args)
}

fn show_json(path: &std::path::Path) -> Value {
    let (code, stdout, stderr) = show(&[path.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str(&stdout).unwrap()
}

#[test]
fn json_has_mlflows_own_spec_forms() {
    let doc = show_json(&handmade("fastai_docs"));
    assert_eq!(
        doc["signature"]["inputs"],
        json!([{"type": "tensor", "tensor-spec": {"dtype": "uint8", "shape": [-1, 300, 300, 3]}}])
    );
    assert_eq!(doc["signature"]["params"], Value::Null);
    assert_eq!(
        doc["flavors"]["fastai"],
        json!({"data": "model.fastai", "fastai_version": "2.4.1"})
    );
    assert_eq!(doc["flavors"]["python_function"]["env"], "conda.yaml");
    assert_eq!(doc["environment"]["conda"]["python"], "3.8.5");
    assert_eq!(doc["warnings"].as_array().unwrap().len(), 1);

    let doc = show_json(&model("pyfunc_columns_all_types"));
    let inputs = doc["signature"]["inputs"].as_array().unwrap();
    assert_eq!(
        inputs[0],
        json!({"type": "boolean", "name": "flag", "required": true})
    );
    assert_eq!(
        inputs[10],
        json!({"type": "object", "properties": {"a": {"type": "long", "required": true}, "b": {"type": "string", "required": false}}, "name": "obj", "required": true})
    );
    assert_eq!(
        inputs[11],
        json!({"type": "map", "values": {"type": "double"}, "name": "weights", "required": true})
    );
    let params = doc["signature"]["params"].as_array().unwrap();
    assert_eq!(
        params[6],
        json!({"name": "stop", "default": ["a", "b"], "shape": [-1], "type": "string"})
    );
    assert_eq!(doc["input_example"]["type"], "dataframe");
    assert_eq!(
        doc["input_example"]["params"],
        json!({"temperature": 0.2, "stop": ["x"]})
    );
    assert!(doc["input_example"]["serving_input"]["dataframe_split"].is_object());
    assert_eq!(doc["warnings"], json!([]));
    let entries = doc["artifacts"]["entries"].as_array().unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e["path"] == "python_model.pkl" && e["kind"] == "flavor payload")
    );

    let doc = show_json(&model("no_signature"));
    assert_eq!(doc["signature"], Value::Null);
    assert_eq!(doc["input_example"], Value::Null);
}

#[test]
fn text_output_reads_as_a_card() {
    let (code, out, _) = show(&[repo("assets/example-model").to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(out.starts_with("Model example-model\n"), "{out}");
    assert!(
        out.contains("  flavors                python_function, onnx\n"),
        "{out}"
    );
    assert!(
        out.contains("    [0]                  uint8 [-1, 300, 300, 3]\n"),
        "{out}"
    );
    assert!(
        out.contains("    data                   model.onnx  [present ("),
        "{out}"
    );
    assert!(out.contains("\nWarnings\n  none\n"), "{out}");
    // One tensor, counted in words; the size says what each figure counts.
    assert!(out.contains("  Inputs (1 tensor):\n"), "{out}");
    assert!(
        out.contains(
            "  size                   3.2 KB (MLflow's model_size_bytes), 4.3 KB on disk\n"
        ),
        "{out}"
    );
    // A package once, its pins from each file side by side (three files pin mlflow alike).
    assert_eq!(out.matches("    mlflow ").count(), 1, "{out}");
    assert!(
        out.contains(
            "    mlflow                       ==3.17.2 (conda.yaml, python_env.yaml, requirements.txt)\n"
        ),
        "{out}"
    );

    let (_, out, _) = show(&[model("logged_run").to_str().unwrap()]);
    assert!(out.contains("MLmodel found in model/ inside"), "{out}");
}

#[test]
fn warnings_exit_zero_and_errors_exit_nonzero_on_stderr() {
    let (code, out, _) = show(&[bad("path_escape").to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(
        out.contains("  - MLmodel: flavors.python_function.code: `/etc` is an absolute path"),
        "{out}"
    );

    let (code, out, err) = show(&[bad("flavors_42").to_str().unwrap(), "--json"]);
    assert_ne!(code, 0);
    assert!(out.is_empty());
    assert!(err.starts_with("error: "), "{err}");
    assert!(
        err.contains("flavors_42/MLmodel: `flavors` must be a mapping"),
        "{err}"
    );
}

fn predict(args: &[&str]) -> (i32, String, String) {
    run("predict", args)
}

#[test]
fn predict_dry_run_turns_an_image_into_the_signatures_tensor() {
    let example = repo("assets/example-model");
    let photo = repo("assets/sample-china.jpg");
    let (code, out, err) = predict(&[
        example.to_str().unwrap(),
        "--image",
        photo.to_str().unwrap(),
        "--image",
        photo.to_str().unwrap(),
        "--dry-run",
    ]);
    assert_eq!(code, 0, "{err}");
    let body: Value = serde_json::from_str(&out).unwrap();
    let batch = body["inputs"].as_array().unwrap();
    assert_eq!(
        batch.len(),
        2,
        "the -1 batch axis is filled by the number of images"
    );
    assert_eq!(batch[0].as_array().unwrap().len(), 300);
    assert_eq!(batch[0][0].as_array().unwrap().len(), 300);
    assert_eq!(batch[0][0][0].as_array().unwrap().len(), 3);
    assert!(batch[0][0][0][0].is_u64(), "uint8 values");
}

#[test]
fn predict_dry_run_uses_the_input_example_and_checks_request_files() {
    let (code, out, _) = predict(&[model("sklearn_iris").to_str().unwrap(), "--dry-run"]);
    assert_eq!(code, 0);
    let body: Value = serde_json::from_str(&out).unwrap();
    let saved: Value = serde_json::from_str(
        &std::fs::read_to_string(model("sklearn_iris").join("serving_input_example.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(body, saved, "MLflow's own serving example, verbatim");

    let dir = tempfile::tempdir().unwrap();
    let request = dir.path().join("request.json");
    std::fs::write(
        &request,
        r#"{"inputs": {"img": [[0.5, 1.0]]}, "params": {"x": 1}}"#,
    )
    .unwrap();
    let (code, out, err) = predict(&[
        model("pyfunc_tensors_named").to_str().unwrap(),
        "--input",
        request.to_str().unwrap(),
        "--dry-run",
    ]);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    // MLflow's own words and error code.
    assert!(
        err.contains("error: inputs: Model is missing inputs ['ids']. [INVALID_PARAMETER_VALUE]"),
        "{err}"
    );

    let (code, _, err) = predict(&[repo("assets/example-model").to_str().unwrap(), "--dry-run"]);
    assert_eq!(code, 2);
    assert!(
        err.contains(
            "the model has no input example: give a request file (--input FILE), images (--image FILE), a .npy file per tensor (--npy [NAME=]FILE) or a fill (--fill zeros|ones|random)"
        ),
        "{err}"
    );
    // A model of columns without one: its rows from a CSV file.
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m");
    std::fs::create_dir(&model).unwrap();
    std::fs::write(
        model.join("MLmodel"),
        "flavors:\n  python_function:\n    loader_module: mlflow.sklearn\nsignature:\n  inputs: '[{\"type\": \"double\", \"name\": \"x\"}]'\n",
    )
    .unwrap();
    let (code, _, err) = predict(&[model.to_str().unwrap(), "--dry-run"]);
    assert_eq!(code, 2);
    assert!(
        err.contains(
            "the model has no input example: give a request file (--input FILE) or a CSV file of rows (--csv FILE)"
        ),
        "{err}"
    );
}

#[test]
fn openapi_describes_the_scoring_endpoint_from_the_signature() {
    let (code, out, _) = run("openapi", &[repo("assets/example-model").to_str().unwrap()]);
    assert_eq!(code, 0);
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let post = &doc["paths"]["/invocations"]["post"];
    let inputs =
        &post["requestBody"]["content"]["application/json"]["schema"]["properties"]["inputs"];
    // uint8 [-1, 300, 300, 3]: a free batch, then exact lengths, then bytes.
    assert!(inputs.get("minItems").is_none());
    assert_eq!(inputs["items"]["minItems"], 300);
    assert_eq!(inputs["items"]["items"]["maxItems"], 300);
    assert_eq!(inputs["items"]["items"]["items"]["maxItems"], 3);
    assert_eq!(
        inputs["items"]["items"]["items"]["items"],
        json!({"type": "integer", "minimum": 0, "maximum": 255})
    );
    let predictions = &post["responses"]["200"]["content"]["application/json"]["schema"]["properties"]
        ["predictions"];
    assert_eq!(predictions["items"]["maxItems"], 2);
    assert_eq!(
        predictions["items"]["items"],
        json!({"type": "number", "format": "float"})
    );
}

#[test]
fn predict_dry_run_takes_npy_and_csv_files() {
    let npy = |name: &str| {
        repo("tests/fixtures/npy")
            .join(name)
            .to_str()
            .unwrap()
            .to_string()
    };
    let (code, out, err) = predict(&[
        model("pyfunc_tensors_named").to_str().unwrap(),
        "--npy",
        &format!("img={}", npy("img_f32.npy")),
        "--npy",
        &format!("ids={}", npy("ids_i64.npy")),
        "--dry-run",
    ]);
    assert_eq!(code, 0, "{err}");
    let body: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(body["inputs"]["ids"], json!([7, 8]));
    assert_eq!(body["inputs"]["img"][1][1], json!([0.75, 0.875]));

    // The same floats numpy's tolist() gives, as in MLflow's own example of this model.
    let (code, out, _) = predict(&[
        model("pyfunc_tensor_unnamed").to_str().unwrap(),
        "--npy",
        &npy("iris_f32.npy"),
        "--dry-run",
    ]);
    assert_eq!(code, 0);
    let body: Value = serde_json::from_str(&out).unwrap();
    let example: Value = serde_json::from_str(
        &std::fs::read_to_string(model("pyfunc_tensor_unnamed").join("input_example.json"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(body["inputs"], example);

    let (code, _, err) = predict(&[
        model("pyfunc_tensors_named").to_str().unwrap(),
        "--npy",
        &npy("img_f32.npy"),
        "--dry-run",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("the model takes named tensors (img, ids): give each file as NAME=FILE"),
        "{err}"
    );

    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("iris.csv");
    std::fs::write(
        &csv,
        "sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n",
    )
    .unwrap();
    let (code, out, _) = predict(&[
        model("sklearn_iris").to_str().unwrap(),
        "--csv",
        csv.to_str().unwrap(),
        "--dry-run",
    ]);
    assert_eq!(code, 0);
    let body: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        body["dataframe_split"]["data"],
        json!([[5.1, 3.5, 1.4, 0.2]])
    );
    std::fs::write(&csv, "sepal_length,petal_width\nabc,0.2\n").unwrap();
    let (code, _, err) = predict(&[
        model("sklearn_iris").to_str().unwrap(),
        "--csv",
        csv.to_str().unwrap(),
        "--dry-run",
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains("error: sepal_length: Invalid input. Data is not compatible with model signature. Failed to convert column sepal_length to type 'float64'. Error: 'ValueError(\"could not convert string to float: 'abc'\")' [BAD_REQUEST]"),
        "{err}"
    );
}

#[test]
fn predict_sends_the_image_to_the_onnx_model_and_prints_the_answer() {
    // auto: the bundled example has the onnx flavor, so it runs in-process, on ONNX Runtime
    // from the venv's Python, which has it (the fallback to tract is tested apart).
    let python = crate::common::venv_python();
    let (code, out, err) = predict(&[
        repo("assets/example-model").to_str().unwrap(),
        "--image",
        repo("assets/sample-china.jpg").to_str().unwrap(),
        "--python",
        python.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let answer: Value = serde_json::from_str(&out).unwrap();
    let p = answer["predictions"]["probabilities"][0]
        .as_array()
        .unwrap();
    assert_eq!(p.len(), 2);
    let (a, b) = (p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
    assert!((a + b - 1.0).abs() < 1e-6 && a > b, "{out}");
    assert!(
        err.contains("note: in-process on onnxruntime 1.32.0 (CPUExecutionProvider)"),
        "ONNX Runtime answered: {err}"
    );
    assert!(!err.contains("unavailable"), "{err}");
    // The answer in words on stderr, named through the labels file beside the model, as the
    // window names it.
    assert!(
        err.contains(&format!("answer: probabilities: building (class 0) {a:.4}")),
        "{err}"
    );
    assert!(err.contains("example-labels.txt"), "{err}");
    // A labels file given on the command line wins.
    let dir = tempfile::tempdir().unwrap();
    let labels = dir.path().join("names.txt");
    std::fs::write(&labels, "pagoda\nhills\n").unwrap();
    let (code, _, err) = predict(&[
        repo("assets/example-model").to_str().unwrap(),
        "--image",
        repo("assets/sample-china.jpg").to_str().unwrap(),
        "--labels",
        labels.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("answer: probabilities: pagoda (class 0)"),
        "{err}"
    );
}

#[test]
fn predict_reports_rejections_and_unreachable_backends() {
    // A request MLflow would refuse never leaves: the validator's message, exit 1.
    let dir = tempfile::tempdir().unwrap();
    let request = dir.path().join("request.json");
    std::fs::write(&request, r#"{"inputs": [[1, 2, 3]]}"#).unwrap();
    let (code, out, err) = predict(&[
        repo("assets/example-model").to_str().unwrap(),
        "--input",
        request.to_str().unwrap(),
        "--backend",
        "onnx",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("error: inputs: "), "{err}");
    // Nothing listening at the URL: exit 2 with the URL and what happened.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/invocations", closed.local_addr().unwrap());
    drop(closed);
    let (code, _, err) = predict(&[model("sklearn_iris").to_str().unwrap(), "--backend", &url]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with(&format!("error: {url}: connection refused")),
        "{err}"
    );
    // A model with no onnx flavor cannot run natively.
    let (code, _, err) = predict(&[model("sklearn_iris").to_str().unwrap(), "--backend", "onnx"]);
    assert_eq!(code, 2);
    assert!(err.contains("the model has no onnx flavor"), "{err}");
    let (code, _, err) = predict(&[model("sklearn_iris").to_str().unwrap(), "--backend", "gpu"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("expected auto, onnxruntime, onnx (tract), local or an http(s):// URL"),
        "{err}"
    );
}

#[test]
fn predict_through_the_local_mlflow_server_prints_mlflows_answer() {
    let python = repo(".venv/bin/python");
    assert!(
        python.is_file(),
        "run scripts/test.sh: it makes .venv with the pinned mlflow"
    );
    // On the port asked for, as the window's backend settings can ask.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    // A PythonModel pickled by value is dangerous to `scan` (cloudpickle's function
    // builders): the server is not started without --trust-model, and the refusal says why.
    let (code, _, err) = predict(&[
        model("pyfunc_scaler").to_str().unwrap(),
        "--backend",
        "local",
        "--python",
        python.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("error: refused: cloudpickle.cloudpickle.")
            && err.contains(" in python_model.pkl: danger list: cloudpickle")
            && err.contains("MLflow's scoring server would load it, running it. Pass --trust-model to run it anyway"),
        "{err}"
    );
    let (code, out, err) = predict(&[
        model("pyfunc_scaler").to_str().unwrap(),
        "--trust-model",
        "--backend",
        "local",
        "--python",
        python.to_str().unwrap(),
        "--port",
        &port,
        "--params",
        r#"{"scale": 10.0}"#,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(&format!(
            "(MLflow 3.17.2 scoring server on 127.0.0.1:{port}) ready in"
        )),
        "{err}"
    );
    let answer: Value = serde_json::from_str(&out).unwrap();
    // The input example: x [1.0, 2.5], y [0.5, -1.0].
    assert_eq!(
        answer,
        json!({"predictions": [{"total": 15.0, "label": "row 0"}, {"total": 15.0, "label": "row 1"}]})
    );
    let (code, out, err) = predict(&[
        model("pyfunc_scaler").to_str().unwrap(),
        "--trust-model",
        "--backend",
        "local",
        "--python",
        python.to_str().unwrap(),
        "--params",
        r#"{"mode": "raise"}"#,
    ]);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(
        err.contains("error: the request was rejected: HTTP 400 BAD_REQUEST: Encountered an unexpected error while evaluating the model.")
            && err.contains("The model raised: ValueError: the model refused this input (mode=raise)"),
        "{err}"
    );
}

#[test]
fn predict_repeat_prints_warm_latency_percentiles() {
    let (code, out, err) = predict(&[
        repo("assets/example-model").to_str().unwrap(),
        "--image",
        repo("assets/sample-china.jpg").to_str().unwrap(),
        "--repeat",
        "7",
    ]);
    assert_eq!(code, 0, "{err}");
    // One answer on stdout, the percentiles on stderr.
    let answer: Value = serde_json::from_str(&out).unwrap();
    assert!(answer["predictions"]["probabilities"].is_array());
    let line = err
        .lines()
        .find(|l| l.starts_with("latency_ms "))
        .unwrap_or_else(|| panic!("{err}"));
    let fields: Vec<&str> = line.split(' ').collect();
    assert_eq!(fields.len(), 5, "{line}");
    let p50: f64 = fields[1].strip_prefix("p50=").unwrap().parse().unwrap();
    let p90: f64 = fields[2].strip_prefix("p90=").unwrap().parse().unwrap();
    let p95: f64 = fields[3].strip_prefix("p95=").unwrap().parse().unwrap();
    assert!(p50 > 0.0 && p90 >= p50 && p95 >= p90, "{line}");
    assert_eq!(fields[4], "n=7");
    let (code, _, err) = predict(&[
        repo("assets/example-model").to_str().unwrap(),
        "--repeat",
        "0",
    ]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn endpoint_requests_carry_the_headers_format_and_path_asked_for() {
    let server = crate::common::RecordingServer::start(200, r#"{"predictions": [0]}"#);
    let iris = model("sklearn_iris");
    // A bare server root gets MLflow's /invocations; --header values go with the request.
    let (code, out, err) = predict(&[
        iris.to_str().unwrap(),
        "--backend",
        &server.url,
        "--header",
        "Authorization: Bearer s3cret",
        "--header",
        "X-Team: vision",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"predictions\""), "{out}");
    let first = server.requests().pop().unwrap();
    assert_eq!(
        (first.method.as_str(), first.path.as_str()),
        ("POST", "/invocations")
    );
    assert_eq!(first.header("authorization"), Some("Bearer s3cret"));
    assert_eq!(first.header("x-team"), Some("vision"));
    assert_eq!(first.header("content-type"), Some("application/json"));
    let body: Value = serde_json::from_slice(&first.body).unwrap();
    assert!(body.get("dataframe_split").is_some(), "{body}");
    // Azure ML's /score gets its input_data form; --format azure writes it for --dry-run.
    let score = format!("{}/score", server.url);
    let (code, _, err) = predict(&[iris.to_str().unwrap(), "--backend", &score]);
    assert_eq!(code, 0, "{err}");
    let azure = server.requests().pop().unwrap();
    assert_eq!(azure.path, "/score");
    let sent: Value = serde_json::from_slice(&azure.body).unwrap();
    let input = &sent["input_data"];
    assert_eq!(input["columns"][0], "sepal_length", "{sent}");
    assert!(
        input["data"].is_array() && input["index"].is_array(),
        "{sent}"
    );
    let (code, out, err) = predict(&[iris.to_str().unwrap(), "--format", "azure", "--dry-run"]);
    assert_eq!(code, 0, "{err}");
    let dry: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(dry["input_data"], sent["input_data"]);
}

#[test]
fn tracking_credentials_reach_the_server() {
    let server = crate::common::RecordingServer::start(
        401,
        r#"{"error_code": "UNAUTHENTICATED", "message": "You are not authenticated."}"#,
    );
    let show_remote = |envs: &[(&str, &str)]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_mlmodel-inspector"));
        cmd.args(["show", "models:/iris/1", "--tracking-uri", &server.url])
            .env_remove("MLFLOW_TRACKING_TOKEN")
            .env_remove("MLFLOW_TRACKING_USERNAME")
            .env_remove("MLFLOW_TRACKING_PASSWORD")
            .env("XDG_CACHE_HOME", tempfile::tempdir().unwrap().keep());
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = show_remote(&[("MLFLOW_TRACKING_TOKEN", "tok-123")]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("You are not authenticated."), "{err}");
    let sent = server.requests().pop().unwrap();
    assert_eq!(sent.header("authorization"), Some("Bearer tok-123"));
    let (code, _) = show_remote(&[
        ("MLFLOW_TRACKING_USERNAME", "ada"),
        ("MLFLOW_TRACKING_PASSWORD", "lovelace"),
    ]);
    assert_eq!(code, 2);
    let sent = server.requests().pop().unwrap();
    // base64("ada:lovelace")
    assert_eq!(sent.header("authorization"), Some("Basic YWRhOmxvdmVsYWNl"));
    let (_, _) = show_remote(&[]);
    assert_eq!(
        server.requests().pop().unwrap().header("authorization"),
        None
    );
}

#[test]
fn a_folder_that_is_not_a_model_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a model").unwrap();
    for sub in ["show", "predict", "openapi"] {
        let (code, out, err) = run(sub, &[dir.path().to_str().unwrap()]);
        assert_eq!(code, 2, "{sub}: {err}");
        assert!(out.is_empty(), "{sub}: {out}");
        assert!(err.starts_with("error: "), "{sub}: {err}");
        assert!(err.contains("MLmodel"), "{sub}: {err}");
    }
}

#[test]
fn resize_modes_change_the_tensor_as_documented() {
    // The sample photo is 640x427 (wider than tall) and the model takes 300x300.
    let tensor = |mode: &str| -> Vec<Vec<Vec<u64>>> {
        let (code, out, err) = predict(&[
            repo("assets/example-model").to_str().unwrap(),
            "--image",
            repo("assets/sample-china.jpg").to_str().unwrap(),
            "--resize",
            mode,
            "--dry-run",
        ]);
        assert_eq!(code, 0, "{mode}: {err}");
        let body: Value = serde_json::from_str(&out).unwrap();
        serde_json::from_value(body["inputs"][0].clone()).unwrap()
    };
    let (stretch, crop, letterbox) = (tensor("stretch"), tensor("crop"), tensor("letterbox"));
    for t in [&stretch, &crop, &letterbox] {
        assert_eq!((t.len(), t[0].len(), t[0][0].len()), (300, 300, 3));
    }
    assert_ne!(stretch, crop);
    assert_ne!(stretch, letterbox);
    // Letterbox keeps the whole photo and pads above and below with black.
    let black_row = |t: &Vec<Vec<Vec<u64>>>, y: usize| t[y].iter().all(|px| px == &[0, 0, 0]);
    assert!(black_row(&letterbox, 0) && black_row(&letterbox, 299));
    assert!(!black_row(&letterbox, 150));
    // Stretch and crop fill every row with the photo.
    for t in [&stretch, &crop] {
        assert!(!black_row(t, 0) && !black_row(t, 299));
    }
    // Crop takes the middle: its middle pixel is the photo's middle, as stretch's is, while
    // its left edge is further in (not the photo's left edge, which stretch keeps).
    let diff = |a: &[u64], b: &[u64]| a.iter().zip(b).map(|(x, y)| x.abs_diff(*y)).sum::<u64>();
    assert!(diff(&stretch[150][150], &crop[150][150]) < 30);
}

#[test]
fn auto_never_runs_a_models_code_without_consent() {
    // A models-from-code folder whose script leaves a marker when Python loads it.
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("model");
    std::fs::create_dir(&folder).unwrap();
    for entry in std::fs::read_dir(model("pyfunc_from_code"))
        .unwrap()
        .flatten()
    {
        std::fs::copy(entry.path(), folder.join(entry.file_name())).unwrap();
    }
    let marker = dir.path().join("the-model-ran");
    let script = std::fs::read_to_string(folder.join("doubler_model.py")).unwrap();
    std::fs::write(
        folder.join("doubler_model.py"),
        format!(
            "open({:?}, 'w').close()\n{script}",
            marker.display().to_string()
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_mlmodel-inspector"))
        .args(["predict", folder.to_str().unwrap()])
        .env("MLMODEL_INSPECTOR_PYTHON", crate::common::venv_python())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--backend local"), "{err}");
    assert!(err.contains("never starts a model's code"), "{err}");
    assert!(!marker.exists(), "the model's code ran without consent");
    // --dry-run runs nothing either, and says so by succeeding with the body.
    let (code, body, _) = predict(&[folder.to_str().unwrap(), "--dry-run"]);
    assert_eq!(code, 0);
    assert!(body.contains("dataframe_split"));
    assert!(!marker.exists());
}

#[test]
fn show_names_the_classes_a_model_records() {
    let path = model("sklearn_iris_class_names");
    let (code, out, err) = show(&[path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("class names")
            && out.contains(
                "3 names from MLmodel metadata.class_names: setosa, versicolor, virginica"
            ),
        "{out}"
    );
    let doc = show_json(&path);
    assert_eq!(
        doc["class_names"],
        json!({"origin": "MLmodel metadata.class_names", "names": ["setosa", "versicolor", "virginica"]})
    );
    assert_eq!(
        show_json(&model("sklearn_iris"))["class_names"],
        Value::Null
    );
}

/// Without a display the window says what to do instead, not where winit's source was built.
#[test]
fn the_window_without_a_display_says_what_to_do() {
    for display in [None, Some(":99999")] {
        let mut command = Command::new(env!("CARGO_BIN_EXE_mlmodel-inspector"));
        command
            .arg(repo("assets/example-model"))
            .env_remove("WAYLAND_DISPLAY");
        match display {
            Some(d) => command.env("DISPLAY", d),
            None => command.env_remove("DISPLAY"),
        };
        let out = command.output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains(
                "no display: set DISPLAY or WAYLAND_DISPLAY, or use the show, predict, eval and diff commands"
            ),
            "{display:?}: {err}"
        );
        assert!(!err.contains(".cargo/registry"), "{err}");
    }
}
