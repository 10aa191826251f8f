//! Predict through the real backends: tract in-process, MLflow's own scoring server started
//! from the pinned pip mlflow (scripts/test.sh makes `.venv`), and endpoints at URLs. Answers
//! are compared with MLflow's Python API on the same body (tests/fixtures/mlflow_predict.py).

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use mlmodel_inspector::input::build::{InputSource, build_request};
use mlmodel_inspector::input::request::{BodyFormat, Request};
use mlmodel_inspector::input::validate::{Model, validate};
use mlmodel_inspector::model::{self, ModelCard};
use mlmodel_inspector::predict::answer::{self, Kind};
use mlmodel_inspector::predict::{
    BackendChoice, BackendSettings, Outcome, PredictError, Reply, Runner, response,
};
use serde_json::{Value, json};

fn settings() -> BackendSettings {
    BackendSettings {
        python: Some(crate::common::venv_python()),
        ..BackendSettings::default()
    }
}

fn card(path: &Path) -> Arc<ModelCard> {
    Arc::new(model::open(path).unwrap())
}

fn example_body(card: &ModelCard) -> Request {
    build_request(card, &InputSource::Example, None, None).unwrap()
}

/// A JSON body as the app reads a request file: numbers become typed tensors.
fn req(body: Value) -> Request {
    Request::parse(&body.to_string()).unwrap()
}

/// MLflow's own answer to `body`, in-process through `scoring_server.invocations`.
fn mlflow_answer(model: &Path, body: &Request) -> (u16, Value) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("body.json");
    std::fs::write(&file, body.to_json_bytes(BodyFormat::Mlflow)).unwrap();
    let out = Command::new(crate::common::venv_python())
        .arg(crate::common::repo("tests/fixtures/mlflow_predict.py"))
        .arg(model)
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let status = v["status"].as_u64().unwrap() as u16;
    let (body, _) =
        mlmodel_inspector::model::lenient_json::parse(v["body"].as_str().unwrap()).unwrap();
    (status, body)
}

fn predictions(outcome: &Outcome) -> &Value {
    match &outcome.reply {
        Reply::Predictions { value, .. } => value,
        Reply::Rejected(r) => panic!("rejected: {r}"),
    }
}

/// Every number in `a` within `tol` of the one in `b`, everything else equal.
fn assert_close(a: &Value, b: &Value, tol: f64) {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!((x - y).abs() <= tol, "{x} vs {y}");
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{a} vs {b}");
            x.iter().zip(y).for_each(|(x, y)| assert_close(x, y, tol));
        }
        (Value::Object(x), Value::Object(y)) => {
            assert_eq!(x.keys().collect::<Vec<_>>(), y.keys().collect::<Vec<_>>());
            x.iter().for_each(|(k, v)| assert_close(v, &y[k], tol));
        }
        _ => assert_eq!(a, b),
    }
}

fn sample_photo_body(card: &ModelCard) -> Request {
    build_request(
        card,
        &InputSource::Images(vec![crate::common::repo("assets/sample-china.jpg")]),
        None,
        None,
    )
    .unwrap()
}

/// Whether any process of this process group is alive.
fn group_alive(pgid: u32) -> bool {
    // SAFETY: signal 0 only checks for existence.
    unsafe { libc::kill(-(pgid as i32), 0) == 0 }
}

fn wait_gone(pgid: u32) {
    let until = Instant::now() + Duration::from_secs(15);
    while group_alive(pgid) && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        !group_alive(pgid),
        "server process group {pgid} outlived its runner"
    );
}

#[test]
fn bundled_example_natively_matches_mlflow_and_reads_as_probabilities() {
    let path = crate::common::repo("assets/example-model");
    let card = card(&path);
    let body = sample_photo_body(&card);
    assert!(validate(Model::of(&card), &body).is_ok());
    let mut runner = Runner::new(card.clone());
    let cancel = AtomicBool::new(false);
    let first = runner
        .predict(&BackendChoice::Onnx, &settings(), &body, &cancel)
        .unwrap();
    assert!(first.cold());
    let ours = predictions(&first).clone();
    // MLflow's onnx pyfunc (onnxruntime) on the same body.
    let (status, theirs) = mlflow_answer(&path, &body);
    assert_eq!(status, 200);
    assert_close(&json!({ "predictions": ours }), &theirs, 1e-5);
    // What the user sees: one section, two class probabilities as bars.
    let sections = answer::sections(&ours);
    assert_eq!(sections.len(), 1);
    assert_eq!(sections[0].name.as_deref(), Some("probabilities"));
    match &sections[0].kind {
        Kind::Scores(rows) => {
            assert_eq!(rows.len(), 1);
            assert!(answer::is_distribution(&rows[0]));
            let top = answer::top_k(&rows[0], 2);
            assert_eq!(top[0].0, 0, "building first: {top:?}");
        }
        other => panic!("{other:?}"),
    }
    // Warm: the plan is kept.
    let second = runner
        .predict(&BackendChoice::Onnx, &settings(), &body, &cancel)
        .unwrap();
    assert!(!second.cold());
    assert_eq!(predictions(&second), &ours);
}

#[test]
fn a_batch_of_photos_natively_matches_mlflow_item_by_item() {
    // Three different pictures (the photo, the flower PNG, the photo again): tract runs a conv
    // batch item by item (tract_fixes), so the batch answer must equal MLflow's for the batch
    // and each row the answer for its picture alone.
    let path = crate::common::repo("assets/example-model");
    let card = card(&path);
    let photos = vec![
        crate::common::repo("assets/sample-china.jpg"),
        crate::common::repo("tests/fixtures/images/china_300_pil.png"),
        crate::common::repo("assets/icon.png"),
    ];
    let body = build_request(&card, &InputSource::Images(photos.clone()), None, None).unwrap();
    let mut runner = Runner::new(card.clone());
    let cancel = AtomicBool::new(false);
    let batch = runner
        .predict(&BackendChoice::Onnx, &settings(), &body, &cancel)
        .unwrap();
    let ours = predictions(&batch).clone();
    let rows = ours["probabilities"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "{ours}");
    let (status, theirs) = mlflow_answer(&path, &body);
    assert_eq!(status, 200);
    assert_close(&json!({ "predictions": ours.clone() }), &theirs, 1e-5);
    for (i, photo) in photos.iter().enumerate() {
        let one =
            build_request(&card, &InputSource::Images(vec![photo.clone()]), None, None).unwrap();
        let alone = runner
            .predict(&BackendChoice::Onnx, &settings(), &one, &cancel)
            .unwrap();
        assert_eq!(
            predictions(&alone)["probabilities"][0],
            rows[i],
            "item {i} ({}) differs alone",
            photo.display()
        );
    }
}

#[test]
fn named_onnx_tensors_natively_match_mlflow() {
    let path = crate::common::model("onnx_named_inputs");
    let card = card(&path);
    let mut runner = Runner::new(card.clone());
    let cancel = AtomicBool::new(false);
    let body = req(json!({"inputs": {
        "a": [[0.5, 1.5, -2.0], [3.0, 0.25, 1.0]],
        "b": [[1, 2, 3], [-4, 5, 6]]
    }}));
    let ours = runner
        .predict(&BackendChoice::Onnx, &settings(), &body, &cancel)
        .unwrap();
    let (status, theirs) = mlflow_answer(&path, &body);
    assert_eq!(status, 200);
    assert_close(&json!({ "predictions": predictions(&ours) }), &theirs, 1e-6);
    assert_eq!(
        predictions(&ours),
        &json!({"sum": [[1.5, 3.5, 1.0], [-1.0, 5.25, 7.0]], "row_max": [3.5, 7.0]})
    );
    // A missing tensor is refused with its name, and the backend stays usable.
    let bad = req(json!({"inputs": {"a": [[1.0, 2.0, 3.0]]}}));
    match runner
        .predict(&BackendChoice::Onnx, &settings(), &bad, &cancel)
        .unwrap()
        .reply
    {
        Reply::Rejected(r) => assert!(r.summary.contains("\"b\""), "{}", r.summary),
        other => panic!("{other:?}"),
    }
    let again = runner
        .predict(&BackendChoice::Onnx, &settings(), &body, &cancel)
        .unwrap();
    assert_eq!(predictions(&again), predictions(&ours));
}

#[test]
fn onnx_saved_with_mlflows_defaults_runs_natively_with_its_external_weights() {
    // mlflow.onnx.save_model's defaults: the weights in a `*.data` file beside model.onnx, no
    // signature (the body comes from the input example).
    let path = crate::common::model("onnx_external_data");
    let data_files: Vec<_> = std::fs::read_dir(&path)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "data"))
        .collect();
    assert_eq!(
        data_files.len(),
        1,
        "the fixture keeps its weights outside model.onnx"
    );
    let model_card = card(&path);
    let body = example_body(&model_card);
    let mut runner = Runner::new(model_card);
    let cancel = AtomicBool::new(false);
    let ours = runner
        .predict(&BackendChoice::Onnx, &settings(), &body, &cancel)
        .unwrap();
    let (status, theirs) = mlflow_answer(&path, &body);
    assert_eq!(status, 200);
    assert_close(&json!({ "predictions": predictions(&ours) }), &theirs, 1e-6);
    let rows = predictions(&ours)["probabilities"].as_array().unwrap();
    assert_eq!(rows.len(), 2);

    // Without its weights file the model says which file it misses.
    let copy = tempfile::tempdir().unwrap();
    copy_dir(&path, copy.path());
    std::fs::remove_file(copy.path().join(data_files[0].file_name())).unwrap();
    let broken = card(copy.path());
    let err = Runner::new(broken)
        .predict(&BackendChoice::Onnx, &settings(), &body, &cancel)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&data_files[0].file_name().to_string_lossy().to_string())
            && err.contains("ONNX external data")
            && err.contains("missing"),
        "{err}"
    );
}

#[test]
fn local_mlflow_server_matches_mlflow_for_each_kind_of_model() {
    // sklearn (frame in, labels out), a custom pyfunc with params, named tensors, and the ONNX
    // example through MLflow rather than tract.
    let params_body = json!({
        "dataframe_split": {"columns": ["x", "y"], "data": [[1.0, 2.0], [0.5, -3.0]]},
        "params": {"scale": 3.0}
    });
    let cases: Vec<(PathBuf, Option<Request>)> = vec![
        (crate::common::model("sklearn_iris"), None),
        (
            crate::common::model("pyfunc_scaler"),
            Some(req(params_body)),
        ),
        (crate::common::model("pyfunc_tensors_named"), None),
        (crate::common::repo("assets/example-model"), None),
    ];
    for (path, body) in cases {
        let card = card(&path);
        let body = match body {
            Some(b) => b,
            None if path.ends_with("example-model") => sample_photo_body(&card),
            None => example_body(&card),
        };
        let mut runner = Runner::new(card.clone());
        let cancel = AtomicBool::new(false);
        let outcome = runner
            .predict(&BackendChoice::Local, &settings(), &body, &cancel)
            .unwrap_or_else(|e| panic!("{}: {e}\n{}", path.display(), runner.log().tail(30)));
        assert!(
            outcome.cold(),
            "{}: the first call starts the server",
            path.display()
        );
        let (status, theirs) = mlflow_answer(&path, &body);
        assert_eq!(status, 200, "{}: {theirs}", path.display());
        assert_close(
            &json!({ "predictions": predictions(&outcome) }),
            &theirs,
            1e-9,
        );
        // Warm for the next call.
        let warm = runner
            .predict(&BackendChoice::Local, &settings(), &body, &cancel)
            .unwrap();
        assert!(!warm.cold());
        assert!(
            runner
                .log()
                .lines()
                .iter()
                .any(|l| l.contains("mlflow models serve"))
        );
        let pgid = runner
            .server_pid()
            .load(std::sync::atomic::Ordering::Relaxed);
        assert!(pgid > 0 && group_alive(pgid));
        if path.ends_with("pyfunc_scaler") {
            assert_eq!(
                predictions(&outcome),
                &json!([{"total": 9.0, "label": "row 0"}, {"total": -7.5, "label": "row 1"}])
            );
        }
        if path.ends_with("example-model") {
            // Through MLflow and natively: the same answer.
            let native = runner
                .predict(&BackendChoice::Onnx, &settings(), &body, &cancel)
                .unwrap();
            assert_close(predictions(&native), predictions(&outcome), 1e-5);
        }
        drop(runner);
        wait_gone(pgid);
    }
}

#[test]
fn server_faults_are_reported_and_the_runner_stays_usable() {
    let path = crate::common::model("pyfunc_scaler");
    let card = card(&path);
    let mut runner = Runner::new(card.clone());
    let cancel = AtomicBool::new(false);
    let mut s = settings();
    s.timeout_s = 3;
    let body = |params: Value| {
        req(
            json!({"dataframe_split": {"columns": ["x", "y"], "data": [[1.0, 2.0], [3.0, 4.0]]}, "params": params}),
        )
    };
    // An exception in the model: MLflow's code and the exception, not a wall of repr.
    match runner
        .predict(
            &BackendChoice::Local,
            &s,
            &body(json!({"mode": "raise"})),
            &cancel,
        )
        .unwrap()
        .reply
    {
        Reply::Rejected(r) => {
            assert_eq!(r.status, 400);
            assert_eq!(r.error_code.as_deref(), Some("BAD_REQUEST"));
            assert!(
                r.summary
                    .contains("ValueError: the model refused this input"),
                "{}",
                r.summary
            );
            assert!(r.full.contains("Traceback"), "{}", r.full);
        }
        other => panic!("{other:?}"),
    }
    // NaN and Infinity tokens as Python's json writes them.
    let nan = runner
        .predict(
            &BackendChoice::Local,
            &s,
            &body(json!({"mode": "nan"})),
            &cancel,
        )
        .unwrap();
    match &nan.reply {
        Reply::Predictions {
            value,
            non_finite,
            raw,
            ..
        } => {
            assert!(*non_finite);
            assert!(raw.contains("NaN") && raw.contains("Infinity"), "{raw}");
            assert_eq!(value[0]["total"], Value::Null);
        }
        other => panic!("{other:?}"),
    }
    // A model slower than the timeout: MLflow's server answers 504 itself.
    let started = Instant::now();
    match runner.predict(
        &BackendChoice::Local,
        &s,
        &body(json!({"mode": "sleep", "seconds": 20.0})),
        &cancel,
    ) {
        Ok(Outcome {
            reply: Reply::Rejected(r),
            ..
        }) => assert_eq!(r.status, 504, "{r}"),
        Err(PredictError::Timeout { .. }) => {}
        other => panic!("{other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(15));
    // A server that dies mid-request.
    let pgid = runner
        .server_pid()
        .load(std::sync::atomic::Ordering::Relaxed);
    match runner.predict(
        &BackendChoice::Local,
        &s,
        &body(json!({"mode": "die"})),
        &cancel,
    ) {
        Err(e @ PredictError::Connection { .. }) => {
            assert!(e.to_string().contains("died during the request"), "{e}")
        }
        other => panic!("{other:?}"),
    }
    wait_gone(pgid);
    // A hung server (stopped): the call times out and the next one starts a new server.
    let ok = runner
        .predict(&BackendChoice::Local, &s, &body(json!({})), &cancel)
        .unwrap();
    assert!(ok.cold(), "a new server after the crash");
    let pgid = runner
        .server_pid()
        .load(std::sync::atomic::Ordering::Relaxed);
    unsafe {
        libc::kill(-(pgid as i32), libc::SIGSTOP);
    }
    match runner.predict(&BackendChoice::Local, &s, &body(json!({})), &cancel) {
        Err(e @ PredictError::Timeout { .. }) => {
            assert!(e.to_string().contains("no answer after"), "{e}")
        }
        other => panic!("{other:?}"),
    }
    runner.stop_server();
    wait_gone(pgid);
    let ok = runner
        .predict(
            &BackendChoice::Local,
            &s,
            &body(json!({"scale": 2.0})),
            &cancel,
        )
        .unwrap();
    assert_eq!(predictions(&ok)[1]["total"], json!(14.0));
    let pgid = runner
        .server_pid()
        .load(std::sync::atomic::Ordering::Relaxed);
    drop(runner);
    wait_gone(pgid);
}

#[test]
fn python_without_mlflow_and_a_taken_port_are_explained() {
    let card = card(&crate::common::model("sklearn_iris"));
    let body = example_body(&card);
    let cancel = AtomicBool::new(false);
    // A real Python with no mlflow: a fresh venv.
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new(crate::common::venv_python())
        .args(["-m", "venv", "--without-pip"])
        .arg(dir.path().join("bare"))
        .status()
        .unwrap();
    assert!(status.success());
    let bare = dir.path().join("bare/bin/python");
    let mut runner = Runner::new(card.clone());
    let s = BackendSettings {
        python: Some(bare.clone()),
        ..BackendSettings::default()
    };
    match runner.predict(&BackendChoice::Local, &s, &body, &cancel) {
        Err(PredictError::Python(m)) => {
            assert!(
                m.starts_with(&format!("mlflow is not installed for {}", bare.display())),
                "{m}"
            );
            assert!(m.contains("-m pip install mlflow==3.17.2"), "{m}");
        }
        other => panic!("{other:?}"),
    }
    // A Python that does not exist.
    let s = BackendSettings {
        python: Some(dir.path().join("nope/python")),
        ..BackendSettings::default()
    };
    match runner.predict(&BackendChoice::Local, &s, &body, &cancel) {
        Err(PredictError::Python(m)) => assert!(m.contains("cannot run this Python"), "{m}"),
        other => panic!("{other:?}"),
    }
    // A port another program holds.
    let holder = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port();
    let s = BackendSettings {
        port: Some(port),
        ..settings()
    };
    match runner.predict(&BackendChoice::Local, &s, &body, &cancel) {
        Err(PredictError::ServerStart(m)) => {
            assert!(
                m.contains(&format!("port {port} on 127.0.0.1 is in use")),
                "{m}"
            )
        }
        other => panic!("{other:?}"),
    }
}

/// A one-shot HTTP server that answers every request with `status` and `body`.
fn canned_server(status: u16, body: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/invocations", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = vec![0u8; 65536];
            let mut seen = Vec::new();
            // Read the head and the body (Content-Length).
            loop {
                let n = stream.read(&mut buf).unwrap_or(0);
                if n == 0 {
                    break;
                }
                seen.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&seen);
                if let Some(head_end) = text.find("\r\n\r\n") {
                    let len = text[..head_end]
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if seen.len() >= head_end + 4 + len {
                        break;
                    }
                }
            }
            let reply = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    url
}

#[test]
fn endpoints_answering_errors_bad_json_or_nothing_are_reported() {
    let card = card(&crate::common::model("sklearn_iris"));
    let body = example_body(&card);
    let cancel = AtomicBool::new(false);
    let mut runner = Runner::new(card.clone());
    let s = BackendSettings::default();
    // 500 with MLflow's error JSON.
    let url = canned_server(
        500,
        r#"{"error_code": "INTERNAL_ERROR", "message": "out of memory"}"#,
    );
    match runner
        .predict(&BackendChoice::Url(url), &s, &body, &cancel)
        .unwrap()
        .reply
    {
        Reply::Rejected(r) => {
            assert_eq!(
                (r.status, r.error_code.as_deref()),
                (500, Some("INTERNAL_ERROR"))
            );
            assert_eq!(r.to_string(), "HTTP 500 INTERNAL_ERROR: out of memory");
        }
        other => panic!("{other:?}"),
    }
    // 200 with a body that is not JSON.
    let url = canned_server(200, "<html>proxy login</html>");
    match runner.predict(&BackendChoice::Url(url.clone()), &s, &body, &cancel) {
        Err(e @ PredictError::InvalidResponse { .. }) => {
            let m = e.to_string();
            assert!(
                m.contains(&url) && m.contains("<html>proxy login</html>"),
                "{m}"
            );
        }
        other => panic!("{other:?}"),
    }
    // NaN tokens from an endpoint.
    let url = canned_server(200, r#"{"predictions": [NaN, 1.0, -Infinity]}"#);
    let o = runner
        .predict(&BackendChoice::Url(url), &s, &body, &cancel)
        .unwrap();
    match o.reply {
        Reply::Predictions {
            value, non_finite, ..
        } => {
            assert!(non_finite);
            assert_eq!(value, json!([null, 1.0, null]));
        }
        other => panic!("{other:?}"),
    }
    // Nothing listening.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/invocations", closed.local_addr().unwrap());
    drop(closed);
    match runner.predict(&BackendChoice::Url(url), &s, &body, &cancel) {
        Err(e @ PredictError::Connection { .. }) => {
            assert!(e.to_string().contains("refused"), "{e}")
        }
        other => panic!("{other:?}"),
    }
    // A bare server root gets /invocations; Azure's /score gets input_data.
    let url = canned_server(200, r#"[1, 2]"#);
    let root = url.trim_end_matches("/invocations").to_string();
    let o = runner
        .predict(&BackendChoice::Url(root), &s, &body, &cancel)
        .unwrap();
    match o.reply {
        Reply::Predictions { value, wrapped, .. } => {
            assert!(!wrapped);
            assert_eq!(value, json!([1, 2]));
        }
        other => panic!("{other:?}"),
    }
    assert!(response::summarize("x").starts_with('x'));
}

#[test]
fn a_killed_app_leaves_no_server_behind() {
    // The real binary predicts through a local server on a model in a unique folder; it is
    // killed (SIGKILL) mid-request; every process serving that folder must go.
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("killed-app-model");
    copy_dir(&crate::common::model("pyfunc_scaler"), &folder);
    let mut app = Command::new(env!("CARGO_BIN_EXE_mlmodel-inspector"))
        .arg("predict")
        .arg(&folder)
        .args(["--trust-model", "--backend", "local", "--python"])
        .arg(crate::common::venv_python())
        .args([
            "--params",
            r#"{"mode": "sleep", "seconds": 120.0}"#,
            "--timeout",
            "300",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let needle = folder.display().to_string();
    let until = Instant::now() + Duration::from_secs(300);
    // The server's process group: the one `mlflow models serve -m <folder>` runs in.
    let pgid = loop {
        if let Some(pgid) = live_processes()
            .into_iter()
            .find(|(_, _, cmd)| cmd.contains(&needle) && cmd.contains("models serve"))
            .map(|(_, pgid, _)| pgid)
        {
            break pgid;
        }
        assert!(Instant::now() < until, "the server never started");
        std::thread::sleep(Duration::from_millis(200));
    };
    let members = |pgid: i32| -> Vec<String> {
        live_processes()
            .into_iter()
            .filter(|(_, g, _)| *g == pgid)
            .map(|(_, _, cmd)| cmd)
            .collect()
    };
    while !members(pgid).iter().any(|c| c.contains("uvicorn")) {
        assert!(
            Instant::now() < until,
            "uvicorn never started: {:?}",
            members(pgid)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // Let the request reach the model.
    std::thread::sleep(Duration::from_secs(3));
    app.kill().unwrap();
    app.wait().unwrap();
    let until = Instant::now() + Duration::from_secs(15);
    while !members(pgid).is_empty() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(
        members(pgid),
        Vec::<String>::new(),
        "processes outlived the app"
    );
}

/// Live processes (zombies excluded) as (pid, process group, command line).
fn live_processes() -> Vec<(i32, i32, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let p = entry.path();
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        let Ok(cmd) = std::fs::read(p.join("cmdline")) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(p.join("stat")) else {
            continue;
        };
        // After "(comm) ": state, ppid, pgrp.
        let fields: Vec<&str> = stat
            .rsplit_once(") ")
            .map(|(_, r)| r.split(' ').collect())
            .unwrap_or_default();
        if fields.first() == Some(&"Z") || fields.len() < 3 {
            continue;
        }
        let pgid = fields[2].parse().unwrap_or(0);
        out.push((pid, pgid, String::from_utf8_lossy(&cmd).replace('\0', " ")));
    }
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn skl2onnx_zipmap_runs_natively_with_mlflows_answer() {
    // tract has no ZipMap: the graph runs up to the tensor ZipMap reads, and the list of
    // {label: probability} maps is rebuilt, as onnxruntime returns it through MLflow.
    let path = crate::common::model("onnx_sklearn_zipmap");
    let card = card(&path);
    let body =
        req(json!({"inputs": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 3.0, 4.2, 1.5]]}));
    assert!(validate(Model::of(&card), &body).is_ok());
    let mut runner = Runner::new(card.clone());
    let cancel = AtomicBool::new(false);
    let ours = runner
        .predict(&BackendChoice::Onnx, &settings(), &body, &cancel)
        .unwrap();
    let (status, theirs) = mlflow_answer(&path, &body);
    assert_eq!(status, 200);
    assert_close(&json!({ "predictions": predictions(&ours) }), &theirs, 1e-6);
    assert_eq!(predictions(&ours)["output_label"], json!([0, 2, 1]));
    // Shown as scores with the classifier's own class names.
    let sections = answer::sections(predictions(&ours));
    let probs = sections
        .iter()
        .find(|s| s.name.as_deref() == Some("output_probability"))
        .unwrap();
    assert_eq!(
        probs.classes,
        Some(vec!["0".into(), "1".into(), "2".into()])
    );
    assert!(matches!(&probs.kind, Kind::Scores(rows) if rows.len() == 3));
}

#[test]
fn an_operator_tract_lacks_is_named_and_local_is_offered() {
    // An ONNX file written by the onnx package with an operator no runtime here knows.
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("frob");
    std::fs::create_dir(&folder).unwrap();
    let script = r#"
import sys, onnx
from onnx import helper, TensorProto
n = helper.make_node("Frobnicate", ["x"], ["y"], domain="com.example")
g = helper.make_graph([n], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 2])],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 2])])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.example", 1)])
onnx.save(m, sys.argv[1])
"#;
    let status = Command::new(crate::common::venv_python())
        .args(["-c", script])
        .arg(folder.join("model.onnx"))
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::write(
        folder.join("MLmodel"),
        "flavors:\n  onnx:\n    data: model.onnx\n",
    )
    .unwrap();
    let card = card(&folder);
    let mut runner = Runner::new(card);
    let cancel = AtomicBool::new(false);
    let body = req(json!({"inputs": [[1.0, 2.0]]}));
    match runner.predict(&BackendChoice::Onnx, &settings(), &body, &cancel) {
        Err(e @ PredictError::UnsupportedOp { .. }) => {
            if let PredictError::UnsupportedOp { op, .. } = &e {
                assert_eq!(
                    op, "com.example:Frobnicate",
                    "the operator, typed, for the window's offer"
                );
            }
            let m = e.to_string();
            assert!(
                m.contains("tract cannot run the ONNX operator com.example:Frobnicate (an operator of the custom domain com.example)"),
                "{m}"
            );
            assert!(
                m.contains("predict with the MLflow (local) backend instead"),
                "{m}"
            );
            assert!(
                m.starts_with(&folder.join("model.onnx").display().to_string()),
                "{m}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_server_that_cannot_load_the_model_names_the_cause_and_the_fix() {
    // An MLflow 2 fastai model under MLflow 3: the flavor module is gone.
    let card = card(&crate::common::handmade("fastai_docs"));
    let cancel = AtomicBool::new(false);
    let started = Instant::now();
    let err = Runner::new(card)
        .predict(
            &BackendChoice::Local,
            &settings(),
            &req(json!({"inputs": [[1]]})),
            &cancel,
        )
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(240), "hang guard");
    let text = err.to_string();
    assert!(matches!(err, PredictError::ServerFailed { .. }), "{text}");
    assert!(
        text.contains(
            "could not load the model: ModuleNotFoundError: No module named 'mlflow.fastai'"
        ),
        "{text}"
    );
    // One sentence with the fix: the model's MLflow version first in the pip line, or its own
    // environment; not 25 lines of traceback.
    assert!(text.contains("-m pip install 'mlflow<3' "), "{text}");
    assert!(text.contains(" fastai==2.4.1"), "{text}");
    assert!(text.contains("--env-manager uv or virtualenv"), "{text}");
    assert!(!text.contains("Traceback"), "{text}");
    assert!(text.lines().count() == 1, "{text}");
}

/// The ONNX models MLflow saved for the tests (and the bundled example), each with a body MLflow
/// accepts: the sample photo for the image model, the saved input example for the others. The
/// model whose signature disagrees with its graph (and uses a custom op) is left out: MLflow
/// cannot run it either.
fn onnx_fixtures() -> Vec<(PathBuf, Request)> {
    let mut out = Vec::new();
    let example = crate::common::repo("assets/example-model");
    let example_card = card(&example);
    out.push((example, sample_photo_body(&example_card)));
    let mut names: Vec<String> = std::fs::read_dir(crate::common::repo("tests/fixtures/models"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("onnx_") && n != "onnx_signature_mismatch")
        .collect();
    names.sort();
    assert!(names.len() >= 3, "{names:?}");
    for name in names {
        let path = crate::common::model(&name);
        let body = example_body(&card(&path));
        out.push((path, body));
    }
    out
}

/// MLflow's onnx flavor runs on ONNX Runtime; the same library, loaded in-process from the test
/// venv's pinned pip onnxruntime (found through the chosen Python), gives MLflow's answer to
/// within 1e-6 for every ONNX fixture, MLflow's default external-data save included, warm on
/// the second call.
#[test]
fn onnx_runtime_in_process_gives_mlflows_numbers_for_every_onnx_fixture() {
    let cancel = AtomicBool::new(false);
    for (path, body) in onnx_fixtures() {
        let mut runner = Runner::new(card(&path));
        let first = runner
            .predict(&BackendChoice::OnnxRuntime, &settings(), &body, &cancel)
            .unwrap();
        assert_eq!(first.note, None, "{}: ONNX Runtime loaded", path.display());
        assert_eq!(
            first.runtime.as_deref(),
            Some("onnxruntime 1.32.0 (CPUExecutionProvider)"),
            "{}",
            path.display()
        );
        let (status, theirs) = mlflow_answer(&path, &body);
        assert_eq!(status, 200, "{}", path.display());
        let ours = json!({ "predictions": predictions(&first) });
        assert_close(&ours, &theirs, 1e-6);
        let second = runner
            .predict(&BackendChoice::OnnxRuntime, &settings(), &body, &cancel)
            .unwrap();
        assert!(!second.cold(), "{}: the session is kept", path.display());
        assert_eq!(predictions(&second), predictions(&first));
        // The same body read as the app reads a request file (numbers become typed tensors,
        // lent to ONNX Runtime without a copy when their type is the graph's): same answer.
        let bytes = body.to_json_bytes(BodyFormat::Mlflow);
        let typed = Request::parse(std::str::from_utf8(&bytes).unwrap()).unwrap();
        let third = runner
            .predict(&BackendChoice::OnnxRuntime, &settings(), &typed, &cancel)
            .unwrap();
        assert_close(
            &json!({ "predictions": predictions(&third) }),
            &theirs,
            1e-6,
        );
    }
}

/// `predict --backend onnxruntime` as a process of its own (ONNX Runtime loads once per
/// process): the library given or found, or why none could be used in one line naming it, and
/// then tract's answer.
fn cli_onnxruntime(
    extra: &[&std::ffi::OsStr],
    env: &[(&str, &std::ffi::OsStr)],
) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mlmodel-inspector"));
    cmd.arg("predict")
        .arg(crate::common::repo("assets/example-model"))
        .arg("--image")
        .arg(crate::common::repo("assets/sample-china.jpg"))
        .args(["--backend", "onnxruntime"])
        .args(extra)
        .env_remove("ORT_DYLIB_PATH")
        .env_remove("MLMODEL_INSPECTOR_PYTHON")
        .env_remove("VIRTUAL_ENV")
        .env_remove("CONDA_PREFIX");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn without_a_usable_onnx_runtime_tract_answers_with_one_line_saying_why() {
    let tract = "{\"predictions\":{\"probabilities\":[[0.5396271347999573,0.46037283539772034]]}}";
    // Found through the Python: ONNX Runtime answers.
    let venv = crate::common::venv_python();
    let (code, out, err) = cli_onnxruntime(&["--python".as_ref(), venv.as_os_str()], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("in-process on onnxruntime 1.32.0 (CPUExecutionProvider)"),
        "{err}"
    );
    assert!(!err.contains("tract"), "{err}");
    assert!(
        out.starts_with("{\"predictions\":{\"probabilities\":[[0.53962"),
        "{out}"
    );
    // A file that is not a library, given on the command line and in ORT_DYLIB_PATH.
    let not_a_library = crate::common::repo("assets/example-model/MLmodel");
    for (extra, env) in [
        (
            vec!["--ort-lib".as_ref(), not_a_library.as_os_str()],
            vec![],
        ),
        (vec![], vec![("ORT_DYLIB_PATH", not_a_library.as_os_str())]),
    ] {
        let (code, out, err) = cli_onnxruntime(&extra, &env);
        assert_eq!(code, 0, "{err}");
        let note: Vec<&str> = err
            .lines()
            .filter(|l| l.contains("ONNX Runtime unavailable"))
            .collect();
        assert_eq!(note.len(), 1, "one line: {err}");
        assert!(
            note[0].contains(&not_a_library.display().to_string()),
            "{err}"
        );
        assert!(note[0].contains("cannot load ONNX Runtime from"), "{err}");
        assert!(
            note[0].contains("invalid ELF header"),
            "the loader's words: {err}"
        );
        assert!(note[0].ends_with("tract answered"), "{err}");
        assert!(err.contains("in-process on tract"), "{err}");
        assert_eq!(out.trim(), tract);
    }
    // A real shared library that is not ONNX Runtime's: the provider library pip's wheel ships
    // beside it. (A library too old for ort's API, before 1.17, cannot be had from pip: those
    // wheels ship no libonnxruntime.so, only a Python extension that exports no C API.)
    let lib = venv
        .parent()
        .and_then(|bin| bin.parent())
        .unwrap()
        .join("lib");
    let providers = std::fs::read_dir(&lib)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("python3")
        })
        .unwrap()
        .join("site-packages/onnxruntime/capi/libonnxruntime_providers_shared.so");
    assert!(providers.is_file(), "{}", providers.display());
    let (code, out, err) = cli_onnxruntime(&["--ort-lib".as_ref(), providers.as_os_str()], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(&format!(
            "note: ONNX Runtime unavailable: {} (as given) is not an ONNX Runtime library (it has no OrtGetApiBase); tract answered",
            providers.display()
        )),
        "{err}"
    );
    assert_eq!(out.trim(), tract);
    // No library at all: a Python without the onnxruntime package, nothing in the system's
    // library folders.
    let bare = tempfile::tempdir().unwrap();
    let status = Command::new(&venv)
        .args(["-m", "venv", "--without-pip"])
        .arg(bare.path())
        .status()
        .unwrap();
    assert!(status.success());
    let python = bare.path().join("bin/python");
    let (code, out, err) = cli_onnxruntime(&["--python".as_ref(), python.as_os_str()], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("note: ONNX Runtime unavailable: no ONNX Runtime library"),
        "{err}"
    );
    assert!(
        err.contains(&format!("{} has no onnxruntime package", python.display())),
        "{err}"
    );
    assert_eq!(out.trim(), tract);
}

/// A model MLflow saved with `onnx_session_options` (3 intra-op threads pinned to two cores by
/// an extra session config entry, sequential, basic optimisation): ONNX Runtime in-process
/// answers as MLflow does. The options reach the session: the same folder with affinities that
/// do not fit 3 threads is refused by ONNX Runtime's own check, which names the thread count,
/// as MLflow's loader is.
#[test]
fn onnx_session_options_from_the_flavor_reach_onnx_runtime() {
    let path = crate::common::model("onnx_session_options");
    let cancel = AtomicBool::new(false);
    let body = example_body(&card(&path));
    let mut runner = Runner::new(card(&path));
    let outcome = runner
        .predict(&BackendChoice::OnnxRuntime, &settings(), &body, &cancel)
        .unwrap();
    assert_eq!(outcome.note, None);
    let (status, theirs) = mlflow_answer(&path, &body);
    assert_eq!(status, 200);
    assert_close(
        &json!({ "predictions": predictions(&outcome) }),
        &theirs,
        1e-6,
    );

    let dir = tempfile::tempdir().unwrap();
    copy_dir(&path, dir.path());
    let mlmodel = std::fs::read_to_string(dir.path().join("MLmodel")).unwrap();
    let unfit = mlmodel.replace(
        "session.intra_op_thread_affinities: 1;2",
        "session.intra_op_thread_affinities: '1'",
    );
    assert_ne!(unfit, mlmodel);
    std::fs::write(dir.path().join("MLmodel"), unfit).unwrap();
    let mut runner = Runner::new(card(dir.path()));
    let err = runner
        .predict(&BackendChoice::OnnxRuntime, &settings(), &body, &cancel)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("affinities: 1, thread_pool_size: 3"),
        "ONNX Runtime's own words, with the flavor's thread count: {err}"
    );
    // MLflow's own loader refuses it with the same words.
    let out = Command::new(crate::common::venv_python())
        .args([
            "-c",
            "import sys, mlflow; mlflow.pyfunc.load_model(sys.argv[1])",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let theirs = String::from_utf8_lossy(&out.stderr);
    assert!(
        theirs.contains("affinities: 1, thread_pool_size: 3"),
        "{theirs}"
    );
}

#[test]
fn a_model_mlflow_cannot_serve_is_said_so_before_any_server_starts() {
    // An R model from a public repository (crate flavor only): MLflow serves it with Rscript.
    let r_model = crate::common::repo("tests/fixtures/public/models/kirenz__mlflow");
    // The iris model with its python_function flavor taken out: MLflow stops with "No
    // suitable flavor backend was found for the model." (checked with the pinned mlflow).
    let stripped = tempfile::tempdir().unwrap();
    copy_dir(&crate::common::model("sklearn_iris"), stripped.path());
    let mlmodel = stripped.path().join("MLmodel");
    let mut doc: serde_yaml::Mapping =
        serde_yaml::from_str(&std::fs::read_to_string(&mlmodel).unwrap()).unwrap();
    doc.get_mut("flavors")
        .and_then(|f| f.as_mapping_mut())
        .unwrap()
        .remove("python_function");
    std::fs::write(&mlmodel, serde_yaml::to_string(&doc).unwrap()).unwrap();
    let rscript = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .any(|d| d.join("Rscript").is_file());
    let cancel = AtomicBool::new(false);
    let body = req(json!({"inputs": [[1.0, 2.0, 3.0, 4.0]]}));
    for (folder, want) in [
        (
            stripped.path().to_path_buf(),
            "MLflow cannot serve this model: it has no python_function flavor (its flavors: sklearn)",
        ),
        (r_model, "this is an R model (its flavor is crate"),
    ] {
        if want.contains("R model") && rscript {
            continue;
        }
        let card = card(&folder);
        let err = Runner::new(card.clone())
            .predict(&BackendChoice::Local, &settings(), &body, &cancel)
            .unwrap_err()
            .to_string();
        assert!(err.contains(want), "{err}");
        assert!(err.starts_with(&folder.display().to_string()), "{err}");
        // Said from the card: no server was started (its failure would say "could not load").
        assert!(!err.contains("could not load"), "{err}");
        // The trust prompt says what loading runs: R code for the R model, nothing otherwise.
        let runs = card.code_that_runs();
        if want.contains("R model") {
            assert!(runs.model_code && runs.lines[0].starts_with("crate.bin, an R function"));
        } else {
            assert!(!runs.model_code);
        }
    }
}

/// The rule tests/fixtures/casts_reference.py builds its images by: the i-th value (row-major
/// over 64 x 64 x 3) of image `item`, a whole number below 250 and a fraction of .6.
fn cast_pixel(item: usize, i: usize) -> f64 {
    ((i * 37 + item * 101) % 250) as f64 + 0.6
}

/// A 64 x 64 x 3 image of `value(pixel)`, as nested JSON lists.
fn cast_image(item: usize, value: impl Fn(f64) -> Value) -> Value {
    let rows: Vec<Value> = (0..64)
        .map(|r| {
            Value::Array(
                (0..64)
                    .map(|c| {
                        Value::Array(
                            (0..3)
                                .map(|k| value(cast_pixel(item, (r * 64 + c) * 3 + k)))
                                .collect(),
                        )
                    })
                    .collect(),
            )
        })
        .collect();
    Value::Array(rows)
}

/// MLflow casts values on the way to an ONNX model, and the app does the same on every path:
/// floats with fractions for a uint8 input lose the fraction (the native paths refused
/// 174.4), numbers written as text are read for a float32 and a uint8 input (refused as "not a
/// number"), and a value out of uint8's range is refused in MLflow's words. The verdicts and
/// numbers are the scoring server's (tests/fixtures/mlflow_reference/casts.json), for the
/// pre-flight check, tract, and ONNX Runtime in-process, from the JSON as a request file gives
/// it and as typed tensors.
#[test]
fn onnx_inputs_are_cast_as_mlflow_casts_them() {
    let recorded: Value = serde_json::from_str(
        &std::fs::read_to_string(crate::common::repo(
            "tests/fixtures/mlflow_reference/casts.json",
        ))
        .unwrap(),
    )
    .unwrap();
    let cases = [
        (
            "uint8_floats_with_fractions",
            json!({"inputs": [cast_image(0, |v| json!(v)), cast_image(1, |v| json!(v))]}),
        ),
        (
            "uint8_whole_numbers_as_text",
            json!({"inputs": [
                cast_image(0, |v| json!((v as u64).to_string())),
                cast_image(1, |v| json!(format!(" {} ", v as u64)))
            ]}),
        ),
        (
            "uint8_out_of_range",
            json!({"inputs": [cast_image(0, |v| json!(v + 100.0))]}),
        ),
        (
            "float32_numbers_as_text",
            json!({"inputs": [["5.1", "3.5", "1.4", "0.2"], ["6.7", " 3.0 ", "5.2", "2.3"], ["5_0", "2e0", "1E1", "1"]]}),
        ),
    ];
    let cancel = AtomicBool::new(false);
    for (name, body) in cases {
        let want = &recorded["cases"][name];
        let model_dir = crate::common::model(want["model"].as_str().unwrap());
        let card = card(&model_dir);
        for request in [Request::Json(body.clone()), req(body.clone())] {
            let verdict = validate(Model::of(&card), &request);
            if want["status"] != 200 {
                let problem = verdict
                    .problems
                    .first()
                    .expect("refused, as MLflow refuses");
                assert!(
                    problem.message.contains(want["message"].as_str().unwrap()),
                    "{name}: {} vs {}",
                    problem.message,
                    want["message"]
                );
                continue;
            }
            assert!(verdict.is_ok(), "{name}: {:?}", verdict.problems);
            for choice in [BackendChoice::Onnx, BackendChoice::OnnxRuntime] {
                let mut runner = Runner::new(card.clone());
                let outcome = runner
                    .predict(&choice, &settings(), &request, &cancel)
                    .unwrap_or_else(|e| panic!("{name} on {choice:?}: {e}"));
                assert_close(predictions(&outcome), &want["predictions"], 1e-6);
            }
        }
        if want["status"] != 200 {
            continue;
        }
        // From a request file on the command line, where the checked request is cast to the
        // signature's dtypes once and lent to the runtime on every run (--repeat).
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("request.json");
        std::fs::write(&file, body.to_string()).unwrap();
        for backend in ["onnx", "onnxruntime"] {
            let out = Command::new(env!("CARGO_BIN_EXE_mlmodel-inspector"))
                .arg("predict")
                .arg(&model_dir)
                .arg("--input")
                .arg(&file)
                .args(["--backend", backend, "--repeat", "3", "--python"])
                .arg(crate::common::venv_python())
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "{name} on {backend}: {stderr}");
            let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_close(&answer["predictions"], &want["predictions"], 1e-6);
        }
    }
}
