//! `eval` on the fixture datasets (tests/fixtures/eval/, written with real photos and real
//! MLflow models by tests/fixtures/eval_reference.py) through the real backends: ONNX Runtime
//! and tract in-process, MLflow's scoring server for the scikit-learn models. The metrics must
//! be scikit-learn's on MLflow's own predictions, as that script recorded them (and the test
//! command re-checks): the same numbers, every item predicted alike, every fault recorded and
//! the counts adding up.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;

fn reference() -> Value {
    let text =
        std::fs::read_to_string(crate::common::repo("tests/fixtures/eval/reference.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Runs `eval --json --out FILE` and returns (exit code, the document, the predictions file's
/// rows as (input, label, prediction, score, error), stderr).
pub(crate) fn eval_cli(args: &[&std::ffi::OsStr]) -> (i32, Value, Vec<Vec<String>>, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("preds.csv");
    let output = Command::new(env!("CARGO_BIN_EXE_mlmodel-inspector"))
        .arg("eval")
        .args(args)
        .arg("--json")
        .arg("--out")
        .arg(&out)
        .arg("--python")
        .arg(crate::common::venv_python())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let doc = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    let rows = match csv::Reader::from_path(&out) {
        Ok(mut r) => {
            assert_eq!(
                r.headers().unwrap().iter().collect::<Vec<_>>(),
                ["input", "label", "prediction", "score", "error"]
            );
            r.records()
                .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
                .collect()
        }
        Err(_) => Vec::new(),
    };
    (output.status.code().unwrap_or(-1), doc, rows, stderr)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-12)
}

/// The document agrees with the recorded reference: counts, metrics, matrix, per-class rows,
/// each item's prediction (from the predictions file) and which items failed.
fn assert_matches(name: &str, doc: &Value, rows: &[Vec<String>], want: &Value) {
    let failed: Vec<&String> = want["failed"].as_object().unwrap().keys().collect();
    assert_eq!(doc["n"], want["n"], "{name}: items predicted");
    assert_eq!(doc["failed"], failed.len(), "{name}: items failed");
    assert_eq!(
        rows.len() as u64,
        want["n"].as_u64().unwrap() + failed.len() as u64,
        "{name}: the predictions file has a row per item"
    );
    for (key, value) in want["metrics"].as_object().unwrap() {
        let ours = doc["metrics"][key].as_f64().unwrap_or(f64::NAN);
        assert!(
            close(ours, value.as_f64().unwrap()),
            "{name}: {key} {ours} != scikit-learn's {value}"
        );
    }
    if let Some(cm) = want.get("confusion_matrix") {
        assert_eq!(doc["confusion_matrix"], *cm, "{name}: confusion matrix");
        let ours = doc["per_class"].as_array().unwrap();
        let theirs = want["per_class"].as_array().unwrap();
        assert_eq!(ours.len(), theirs.len());
        for (o, t) in ours.iter().zip(theirs) {
            assert_eq!(o["label"], t["label"]);
            assert_eq!(o["support"], t["support"]);
            for k in ["precision", "recall", "f1"] {
                assert!(
                    close(o[k].as_f64().unwrap(), t[k].as_f64().unwrap()),
                    "{name}: {} {k}",
                    t["label"]
                );
            }
        }
    }
    let predictions = want["predictions"].as_object().unwrap();
    for row in rows {
        let [input, _label, prediction, _score, error] = row.as_slice() else {
            panic!("{name}: a row of {} cells", row.len());
        };
        if failed.contains(&input) {
            assert!(!error.is_empty(), "{name}: {input} failed with its error");
            if let Some(message) = want["failed"][input].as_str()
                && !message.contains("Truncated")
            {
                // MLflow's own words for the bad row (PIL's for the corrupt image differ).
                assert_eq!(error, message, "{name}: {input}");
            }
            continue;
        }
        assert!(error.is_empty(), "{name}: {input}: {error}");
        match &predictions[input] {
            Value::String(s) => assert_eq!(prediction, s, "{name}: {input}"),
            Value::Number(n) => assert!(
                close(prediction.parse().unwrap(), n.as_f64().unwrap()),
                "{name}: {input}: {prediction} != {n}"
            ),
            other => panic!("{name}: {input}: no reference prediction ({other})"),
        }
    }
}

/// The labelled photos through the colour classifier, in-process on ONNX Runtime and on
/// tract: scikit-learn's accuracy, macro F1, per-class table and confusion matrix on MLflow's
/// predictions; the corrupt image is recorded and the run completes.
#[test]
fn a_labelled_image_folder_gives_scikit_learns_numbers_on_both_in_process_runtimes() {
    let want = &reference()["images"];
    let model = crate::common::model("onnx_colour_classifier");
    let images = crate::common::repo("tests/fixtures/eval/images");
    for backend in ["onnxruntime", "onnx"] {
        let (code, doc, rows, stderr) = eval_cli(&[
            model.as_os_str(),
            "--images".as_ref(),
            images.as_os_str(),
            "--backend".as_ref(),
            backend.as_ref(),
        ]);
        assert_eq!(code, 0, "{backend}: {stderr}");
        assert!(
            stderr.contains("33 images in 2 classes (china, flower)"),
            "{stderr}"
        );
        assert!(
            stderr.contains("class names from MLmodel metadata.class_names"),
            "{stderr}"
        );
        assert_matches(backend, &doc, &rows, want);
        // The runtime that answered is named, as the runtime names itself.
        let runtime = doc["runtime"].as_str().unwrap_or("");
        let expected = match backend {
            "onnxruntime" => "onnxruntime 1.32.0 (CPUExecutionProvider)",
            _ => "tract 0.23",
        };
        assert!(runtime.starts_with(expected), "{backend}: {runtime}");
        let broken = rows.iter().find(|r| r[0] == "flower/broken.png").unwrap();
        assert!(broken[4].contains("broken.png"), "{broken:?}");
        // The most confident mistakes first, with their scores.
        let mistakes = doc["mistakes"].as_array().unwrap();
        assert_eq!(mistakes.len(), 4, "the four china crops read as flower");
        let scores: Vec<f64> = mistakes
            .iter()
            .map(|m| m["score"].as_f64().unwrap())
            .collect();
        assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
        // float32 scores, written as the answer gives them: MLflow's within 1e-6.
        let top = &mistakes[0];
        let theirs = want["scores"][top["id"].as_str().unwrap()]
            .as_f64()
            .unwrap();
        assert!(
            (top["score"].as_f64().unwrap() - theirs).abs() < 1e-6,
            "{top}"
        );
    }
}

/// What answered is what is said: ONNX Runtime asked for but not loadable (a file that is no
/// library) makes tract answer, and `eval` names tract in `runtime`, with the reason on
/// stderr (it said "ONNX Runtime (in-process)"); `--backend auto` with the venv's Python picks
/// ONNX Runtime and says so.
#[test]
fn eval_names_the_runtime_that_answered() {
    let model = crate::common::model("onnx_colour_classifier");
    let images = crate::common::repo("tests/fixtures/eval/images");
    let not_a_library = crate::common::repo("assets/example-model/MLmodel");
    let (code, doc, _, stderr) = eval_cli(&[
        model.as_os_str(),
        "--images".as_ref(),
        images.as_os_str(),
        "--backend".as_ref(),
        "onnxruntime".as_ref(),
        "--ort-lib".as_ref(),
        not_a_library.as_os_str(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let runtime = doc["runtime"].as_str().unwrap_or("");
    assert!(runtime.starts_with("tract 0.23"), "{runtime}");
    let notes = doc["runtime_notes"].as_array().cloned().unwrap_or_default();
    assert!(
        notes.iter().any(|n| n.as_str().is_some_and(
            |n| n.contains("ONNX Runtime unavailable") && n.contains("tract answered")
        )),
        "{notes:?}"
    );
    assert!(
        stderr.contains("note: ONNX Runtime unavailable") && stderr.contains("MLmodel"),
        "the reason, naming the file: {stderr}"
    );
    let (code, doc, _, stderr) = eval_cli(&[
        model.as_os_str(),
        "--images".as_ref(),
        images.as_os_str(),
        "--backend".as_ref(),
        "auto".as_ref(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        doc["runtime"], "onnxruntime 1.32.0 (CPUExecutionProvider)",
        "auto picks the venv's ONNX Runtime: {stderr}"
    );
    assert!(doc.get("runtime_notes").is_none(), "{doc}");
}

/// Iris as a CSV through MLflow's scoring server started for the folder: the class indices the
/// model answers are named by its recorded class names; the row with a text sepal_width fails
/// with MLflow's message and the other 149 are counted.
#[test]
fn iris_as_a_csv_through_the_local_server_gives_scikit_learns_numbers() {
    let want = &reference()["iris"];
    let (code, doc, rows, stderr) = eval_cli(&[
        crate::common::model("sklearn_iris_class_names").as_os_str(),
        "--csv".as_ref(),
        crate::common::repo("tests/fixtures/eval/iris.csv").as_os_str(),
        "--label".as_ref(),
        "species".as_ref(),
        "--backend".as_ref(),
        "local".as_ref(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(doc["task"], "classification");
    assert_matches("iris", &doc, &rows, want);
}

/// The diabetes regression as CSV and as JSON lines through the local server: MAE, RMSE and R²
/// as scikit-learn gives them, and the largest errors first.
#[test]
fn a_regression_table_gives_scikit_learns_errors_as_csv_and_json_lines() {
    for (name, flag, file) in [
        ("diabetes_csv", "--csv", "diabetes.csv"),
        ("diabetes_jsonl", "--jsonl", "diabetes.jsonl"),
    ] {
        let want = &reference()[name];
        let (code, doc, rows, stderr) = eval_cli(&[
            crate::common::model("sklearn_diabetes").as_os_str(),
            flag.as_ref(),
            crate::common::repo(&format!("tests/fixtures/eval/{file}")).as_os_str(),
            "--label".as_ref(),
            "target".as_ref(),
            "--backend".as_ref(),
            "local".as_ref(),
            "--batch".as_ref(),
            "50".as_ref(),
        ]);
        assert_eq!(code, 0, "{name}: {stderr}");
        assert_eq!(doc["task"], "regression");
        assert_matches(name, &doc, &rows, want);
        let errors: Vec<f64> = doc["mistakes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["error"].as_f64().unwrap())
            .collect();
        assert_eq!(errors.len(), 5);
        assert!(errors.windows(2).all(|w| w[0] >= w[1]), "{errors:?}");
    }
}

fn copy_images(from: &Path, to: &Path) -> usize {
    std::fs::create_dir_all(to).unwrap();
    let mut n = 0;
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        if p.file_name().unwrap() != "broken.png" {
            std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
            n += 1;
        }
    }
    n
}

/// Class folders named by index (`0`, `1`) are the model's classes by position; a flat folder
/// gives predictions without metrics.
#[test]
fn integer_class_folders_are_indices_and_a_flat_folder_gives_predictions_only() {
    let want = &reference()["images"];
    let model = crate::common::model("onnx_colour_classifier");
    let src = crate::common::repo("tests/fixtures/eval/images");
    let dir = tempfile::tempdir().unwrap();
    copy_images(&src.join("china"), &dir.path().join("0"));
    copy_images(&src.join("flower"), &dir.path().join("1"));
    let (code, doc, _, stderr) = eval_cli(&[
        model.as_os_str(),
        "--images".as_ref(),
        dir.path().as_os_str(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(doc["confusion_matrix"], want["confusion_matrix"]);
    assert_eq!(doc["metrics"]["accuracy"], want["metrics"]["accuracy"]);

    let flat = tempfile::tempdir().unwrap();
    let n = copy_images(&src.join("flower"), flat.path());
    let (code, doc, rows, stderr) = eval_cli(&[
        model.as_os_str(),
        "--images".as_ref(),
        flat.path().as_os_str(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(doc["n"], n);
    assert_eq!(doc["labelled"], 0);
    assert!(doc.get("metrics").is_none(), "{doc}");
    assert!(
        rows.iter().all(|r| r[1].is_empty() && r[2] == "flower"),
        "{rows:?}"
    );
}

/// Class folders that are none of the model's classes are named before anything runs: by the
/// model's class names when it has them, and as indices below its output's class count when
/// it has none (with no labels file beside it).
#[test]
fn class_folders_the_model_has_no_class_for_are_named_before_the_run() {
    let src = crate::common::repo("tests/fixtures/eval/images");
    let dir = tempfile::tempdir().unwrap();
    for class in ["0", "1", "7", "cat"] {
        copy_images(&src.join("flower"), &dir.path().join(class));
    }
    // Class names of its own (china, flower): 0 and 1 are those classes by position.
    let (code, _, _, stderr) = eval_cli(&[
        crate::common::model("onnx_colour_classifier").as_os_str(),
        "--images".as_ref(),
        dir.path().as_os_str(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains(
            "2 of the 4 class folders are not among the model's classes (china, flower, from"
        ) && stderr.contains("): 7, cat; their items count as mistakes"),
        "{stderr}"
    );
    // No class names and no labels file beside it: indices 0 and 1 only.
    let bare = tempfile::tempdir().unwrap();
    let model = bare.path().join("model");
    std::fs::create_dir(&model).unwrap();
    for e in std::fs::read_dir(crate::common::repo("assets/example-model")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, model.join(p.file_name().unwrap())).unwrap();
    }
    let (code, _, _, stderr) = eval_cli(&[
        model.as_os_str(),
        "--images".as_ref(),
        dir.path().as_os_str(),
        "--backend".as_ref(),
        "onnx".as_ref(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains(
            "2 of the 4 class folders are not among the model's classes: it records no class names and no labels file beside it fits, so folders must be class indices (0 to 1); not: 7, cat"
        ),
        "{stderr}"
    );
    // With its labels file beside it (as the bundled example has), the names come from there.
    std::fs::write(bare.path().join("labels.txt"), "building\nlandscape\n").unwrap();
    let (_, _, _, stderr) = eval_cli(&[
        model.as_os_str(),
        "--images".as_ref(),
        dir.path().as_os_str(),
        "--backend".as_ref(),
        "onnx".as_ref(),
    ]);
    assert!(
        stderr.contains(
            "2 of the 4 class folders are not among the model's classes (building, landscape, from"
        ),
        "{stderr}"
    );
}

/// Exit 2 with the problem named before anything runs: a missing label column, columns the
/// model requires, a folder that is not there; exit 1 when no item could be predicted.
#[test]
fn bad_datasets_are_refused_before_anything_runs_and_nothing_predicted_exits_1() {
    let iris = crate::common::model("sklearn_iris_class_names");
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("t.csv");
    std::fs::write(&csv, "sepal_length,petal_width,species\n5.1,0.2,setosa\n").unwrap();
    let (code, _, _, stderr) = eval_cli(&[
        iris.as_os_str(),
        "--csv".as_ref(),
        csv.as_os_str(),
        "--label".as_ref(),
        "kind".as_ref(),
        "--backend".as_ref(),
        "local".as_ref(),
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("no column \"kind\" to read labels from (its columns: sepal_length, petal_width, species)"),
        "{stderr}"
    );
    let (code, _, _, stderr) = eval_cli(&[
        iris.as_os_str(),
        "--csv".as_ref(),
        csv.as_os_str(),
        "--label".as_ref(),
        "species".as_ref(),
        "--backend".as_ref(),
        "local".as_ref(),
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("no column for sepal_width, petal_length that the model requires"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("scoring server"),
        "nothing started: {stderr}"
    );
    // An endpoint nobody answers at: one line, not an error per item.
    let (code, _, rows, stderr) = eval_cli(&[
        iris.as_os_str(),
        "--csv".as_ref(),
        crate::common::repo("tests/fixtures/eval/iris.csv").as_os_str(),
        "--label".as_ref(),
        "species".as_ref(),
        "--backend".as_ref(),
        "http://127.0.0.1:9/invocations".as_ref(),
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("error: http://127.0.0.1:9/invocations: connection refused"),
        "{stderr}"
    );
    assert!(rows.is_empty(), "{rows:?}");
    // A table for an image model: the tensor it takes is named.
    let (code, _, _, stderr) = eval_cli(&[
        crate::common::repo("assets/example-model").as_os_str(),
        "--csv".as_ref(),
        csv.as_os_str(),
        "--label".as_ref(),
        "species".as_ref(),
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("the model takes uint8 [-1, 300, 300, 3]; a table feeds one tensor of shape [-1, columns]"),
        "{stderr}"
    );
    let model = crate::common::model("onnx_colour_classifier");
    let missing = dir.path().join("nowhere");
    let (code, _, _, stderr) =
        eval_cli(&[model.as_os_str(), "--images".as_ref(), missing.as_os_str()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("nowhere"), "{stderr}");
    // Only a corrupt image: the run completes, nothing predicted.
    let broken = dir.path().join("broken/flower");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::copy(
        crate::common::repo("tests/fixtures/eval/images/flower/broken.png"),
        broken.join("broken.png"),
    )
    .unwrap();
    let (code, doc, rows, stderr) = eval_cli(&[
        model.as_os_str(),
        "--images".as_ref(),
        dir.path().join("broken").as_os_str(),
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        (doc["n"].as_u64(), doc["failed"].as_u64()),
        (Some(0), Some(1))
    );
    assert_eq!(rows.len(), 1);
}

/// Cancelling keeps what is done: the report covers the items finished before the stop, and
/// its counts add up.
#[test]
fn a_cancelled_run_reports_the_items_done() {
    use mlmodel_inspector::eval::{self, DatasetSpec, EvalOptions, EvalProgress};
    use mlmodel_inspector::predict::{BackendChoice, BackendSettings, Runner};
    let card = std::sync::Arc::new(
        mlmodel_inspector::model::open(&crate::common::model("onnx_colour_classifier")).unwrap(),
    );
    let options = EvalOptions {
        batch: Some(4),
        ..EvalOptions::default()
    };
    let spec = DatasetSpec::Images(crate::common::repo("tests/fixtures/eval/images"));
    let plan = eval::prepare(&card, &spec, &options, &BackendChoice::Onnx).unwrap();
    assert_eq!((plan.total, plan.batch), (33, 4));
    let mut runner = Runner::new(card.clone());
    let progress = EvalProgress::default();
    let cancel = AtomicBool::new(false);
    let mut seen = Vec::new();
    let report = eval::run(
        &plan,
        &card,
        &mut runner,
        &BackendChoice::Onnx,
        &BackendSettings::default(),
        &progress,
        &cancel,
        &mut |item| {
            seen.push(item.id.clone());
            if seen.len() == 6 {
                cancel.store(true, Ordering::Relaxed);
            }
        },
    )
    .unwrap();
    assert!(report.cancelled);
    assert_eq!(seen.len(), 8, "the batch in flight finishes: {seen:?}");
    assert_eq!(report.n + report.failed, 8);
    assert_eq!(progress.done.load(Ordering::Relaxed), 8);
    let c = report.classification.unwrap();
    assert_eq!(c.matrix.iter().flatten().sum::<u64>(), 8);
}

/// Ctrl+C stops a run through the local server: the metrics of what is done are printed, the
/// predictions file holds exactly those items, and the counts add up.
#[test]
fn ctrl_c_stops_the_run_and_prints_the_metrics_of_what_is_done() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("preds.csv");
    let child = Command::new(env!("CARGO_BIN_EXE_mlmodel-inspector"))
        .arg("eval")
        .arg(crate::common::model("sklearn_iris_class_names"))
        .arg("--csv")
        .arg(crate::common::repo("tests/fixtures/eval/iris.csv"))
        .args([
            "--label",
            "species",
            "--backend",
            "local",
            "--batch",
            "1",
            "--json",
        ])
        .arg("--out")
        .arg(&out)
        .arg("--python")
        .arg(crate::common::venv_python())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until a few items are done (the server starts first), then press Ctrl+C. The file
    // grows beside its place until the run ends.
    let partial = dir.path().join(".preds.csv.partial");
    let started = std::time::Instant::now();
    loop {
        // The header and at least four items (the count asserted below).
        let rows = std::fs::read_to_string(&partial).map_or(0, |t| t.lines().count());
        if rows > 4 {
            break;
        }
        assert!(started.elapsed().as_secs() < 120, "no items after 120 s");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let doc: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(doc["cancelled"], true);
    let done = doc["n"].as_u64().unwrap() + doc["failed"].as_u64().unwrap();
    assert!((4..150).contains(&done), "{done} items done");
    let rows = std::fs::read_to_string(&out).unwrap().lines().count() as u64 - 1;
    assert_eq!(rows, done, "the file holds the items done");
    assert!(!partial.exists(), "the file took its place");
    assert!(doc["metrics"]["accuracy"].as_f64().is_some());
    assert!(
        stderr.contains(&format!("stopped after {done} of 150 items")),
        "{stderr}"
    );
}

/// A proxy in front of a real MLflow scoring server: it answers every `every`-th request
/// itself with `status` (MLflow's error form) and forwards the others, each after `delay`
/// (an endpoint's latency); it counts the requests and the most it had in flight at once.
struct FaultyProxy {
    url: String,
    requests: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    peak: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    /// How many rows each refused request carried.
    refused: std::sync::Arc<std::sync::Mutex<Vec<usize>>>,
}

fn faulty_proxy(upstream: String, every: usize, status: u16, delay: u64) -> FaultyProxy {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/invocations", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let refused = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (count, top, refusals) = (requests.clone(), peak.clone(), refused.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let (count, top, in_flight, upstream, refusals) = (
                count.clone(),
                top.clone(),
                in_flight.clone(),
                upstream.clone(),
                refusals.clone(),
            );
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut length = 0;
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
                        break;
                    }
                    if let Some((k, v)) = h.split_once(':')
                        && k.trim().eq_ignore_ascii_case("content-length")
                    {
                        length = v.trim().parse().unwrap();
                    }
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                let n = count.fetch_add(1, Ordering::SeqCst) + 1;
                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                top.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(delay));
                let (code, answer) = if n % every == 0 {
                    let rows =
                        serde_json::from_slice::<Value>(&body).unwrap()["dataframe_split"]["data"]
                            .as_array()
                            .map_or(0, Vec::len);
                    refusals.lock().unwrap().push(rows);
                    (
                        status,
                        format!(
                            "{{\"error_code\": \"TEMPORARILY_UNAVAILABLE\", \"message\": \"request {n} refused by the test proxy\"}}"
                        ),
                    )
                } else {
                    let agent: ureq::Agent = ureq::Agent::config_builder()
                        .http_status_as_error(false)
                        .build()
                        .into();
                    let mut response = agent
                        .post(&upstream)
                        .header("Content-Type", "application/json")
                        .send(&body[..])
                        .unwrap();
                    (
                        response.status().as_u16(),
                        response.body_mut().read_to_string().unwrap(),
                    )
                };
                in_flight.fetch_sub(1, Ordering::SeqCst);
                let _ = write!(
                    stream,
                    "HTTP/1.1 {code} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                    answer.len()
                );
            });
        }
    });
    FaultyProxy {
        url,
        requests,
        peak,
        refused,
    }
}

/// MLflow's scoring server for the iris model, started as the local backend starts it, and
/// its /invocations URL.
fn iris_server() -> (mlmodel_inspector::predict::Runner, String) {
    use mlmodel_inspector::predict::{BackendChoice, BackendSettings, Runner};
    let card = std::sync::Arc::new(
        mlmodel_inspector::model::open(&crate::common::model("sklearn_iris_class_names")).unwrap(),
    );
    let request = mlmodel_inspector::input::build::build_request(
        &card,
        &mlmodel_inspector::input::build::InputSource::Example,
        None,
        None,
    )
    .unwrap();
    let mut runner = Runner::new(card);
    let settings = BackendSettings {
        python: Some(crate::common::venv_python()),
        ..BackendSettings::default()
    };
    runner
        .predict(
            &BackendChoice::Local,
            &settings,
            &request,
            &AtomicBool::new(false),
        )
        .unwrap();
    let (port, _) = runner.server_info().unwrap();
    (runner, format!("http://127.0.0.1:{port}/invocations"))
}

/// `eval` of iris.csv through an endpoint URL, in batches of 5, `concurrency` at once.
fn iris_through(url: &str, concurrency: u32) -> (i32, Value, Vec<Vec<String>>, String) {
    let concurrency = concurrency.to_string();
    eval_cli(&[
        crate::common::model("sklearn_iris_class_names").as_os_str(),
        "--csv".as_ref(),
        crate::common::repo("tests/fixtures/eval/iris.csv").as_os_str(),
        "--label".as_ref(),
        "species".as_ref(),
        "--backend".as_ref(),
        url.as_ref(),
        "--batch".as_ref(),
        "5".as_ref(),
        "--concurrency".as_ref(),
        concurrency.as_ref(),
    ])
}

/// An endpoint that fails every tenth request (HTTP 500): at most `--concurrency` requests in
/// flight, each failed batch sent again item by item, the items that still fail recorded with
/// the endpoint's error, and the counts adding up; every item predicted has MLflow's answer.
#[test]
fn an_endpoint_failing_every_tenth_request_loses_only_those_items() {
    let (_server, upstream) = iris_server();
    let proxy = faulty_proxy(upstream, 10, 500, 20);
    let want = &reference()["iris"];
    let (code, doc, rows, stderr) = iris_through(&proxy.url, 4);
    assert_eq!(code, 0, "{stderr}");
    let (n, failed) = (doc["n"].as_u64().unwrap(), doc["failed"].as_u64().unwrap());
    assert_eq!(n + failed, 150, "the counts add up");
    assert_eq!(rows.len(), 150);
    // A refused batch is sent again item by item; an item fails when its own request is the
    // one refused. The counts say which happened, whatever the interleaving.
    let refused = proxy.refused.lock().unwrap().clone();
    assert!(refused.len() >= 3, "{refused:?}");
    let lost = refused.iter().filter(|&&rows| rows == 1).count() as u64;
    assert_eq!(
        failed,
        1 + lost,
        "the bad row and each refused single item: {refused:?}"
    );
    let predictions = want["predictions"].as_object().unwrap();
    for row in &rows {
        if row[4].is_empty() {
            assert_eq!(
                predictions[&row[0]].as_str(),
                Some(row[2].as_str()),
                "{row:?}"
            );
        } else if row[0] != "line 76" {
            assert!(
                row[4].contains("HTTP 500") && row[4].contains("refused by the test proxy"),
                "{row:?}"
            );
        }
    }
    let sent = proxy.requests.load(Ordering::SeqCst);
    assert!(sent >= 30, "{sent} requests");
    let peak = proxy.peak.load(Ordering::SeqCst);
    assert!(
        (2..=4).contains(&peak),
        "at most 4 in flight, and more than one: {peak}"
    );
    assert_eq!(doc["retries"], 0, "500 is not retried");
}

/// 429 and 503 mean "later": the request is sent again after a backoff, and every item gets
/// MLflow's answer, so the metrics are scikit-learn's.
#[test]
fn an_endpoint_answering_503_is_retried_and_nothing_is_lost() {
    let (_server, upstream) = iris_server();
    let proxy = faulty_proxy(upstream, 10, 503, 0);
    let want = &reference()["iris"];
    let (code, doc, rows, stderr) = iris_through(&proxy.url, 2);
    assert_eq!(code, 0, "{stderr}");
    assert_matches("iris through a 503-ing endpoint", &doc, &rows, want);
    assert!(doc["retries"].as_u64().unwrap() >= 2, "{}", doc["retries"]);
}

/// Items are read, predicted and dropped: a hundred times the rows or ten times the images
/// costs no more memory than the small run, within a margin (peak RSS of the whole command
/// line, measured with wait4; `--nocapture` prints the figures).
#[test]
fn memory_stays_flat_as_the_dataset_grows() {
    let dir = tempfile::tempdir().unwrap();
    let model = crate::common::model("onnx_external_data");
    let table = |rows: usize| {
        let path = dir.path().join(format!("rows{rows}.csv"));
        let mut text = String::from("a,b,c,d,label\n");
        for i in 0..rows {
            let x = (i % 97) as f64 / 10.0;
            text.push_str(&format!(
                "{x},{},{},{},{}\n",
                x * 0.5,
                7.0 - x,
                x * x / 20.0,
                i % 3
            ));
        }
        std::fs::write(&path, text).unwrap();
        path
    };
    let measure = |args: &[&std::ffi::OsStr]| {
        let mut all: Vec<&std::ffi::OsStr> = vec!["eval".as_ref()];
        all.extend_from_slice(args);
        let (code, peak, stderr) = crate::common::run_measured(&all);
        assert_eq!(code, 0, "{stderr}");
        peak
    };
    let (small, large) = (table(1_000), table(100_000));
    let peaks: Vec<u64> = [&small, &large]
        .iter()
        .map(|t| {
            measure(&[
                model.as_os_str(),
                "--csv".as_ref(),
                t.as_os_str(),
                "--label".as_ref(),
                "label".as_ref(),
                "--backend".as_ref(),
                "onnx".as_ref(),
            ])
        })
        .collect();
    println!(
        "table: 1,000 rows {} KiB, 100,000 rows {} KiB",
        peaks[0] / 1024,
        peaks[1] / 1024
    );
    assert!(
        peaks[1] < peaks[0] + peaks[0] / 4 + (16 << 20),
        "100,000 rows took {} KiB against {} KiB for 1,000",
        peaks[1] / 1024,
        peaks[0] / 1024
    );
    // Images: 32 photos, then the same photos ten times over (hard links).
    let src = crate::common::repo("tests/fixtures/eval/images");
    let folder = |copies: usize| {
        let root = dir.path().join(format!("images{copies}"));
        for class in ["china", "flower"] {
            std::fs::create_dir_all(root.join(class)).unwrap();
            for e in std::fs::read_dir(src.join(class)).unwrap() {
                let p = e.unwrap().path();
                if p.file_name().unwrap() == "broken.png" {
                    continue;
                }
                for k in 0..copies {
                    let name = format!("{k}_{}", p.file_name().unwrap().to_string_lossy());
                    std::fs::hard_link(&p, root.join(class).join(name)).unwrap();
                }
            }
        }
        root
    };
    let (few, many) = (folder(1), folder(10));
    let model = crate::common::model("onnx_colour_classifier");
    let peaks: Vec<u64> = [&few, &many]
        .iter()
        .map(|d| {
            measure(&[
                model.as_os_str(),
                "--images".as_ref(),
                d.as_os_str(),
                "--backend".as_ref(),
                "onnx".as_ref(),
            ])
        })
        .collect();
    println!(
        "images: 32 {} KiB, 320 {} KiB",
        peaks[0] / 1024,
        peaks[1] / 1024
    );
    assert!(
        peaks[1] < peaks[0] + peaks[0] / 4 + (16 << 20),
        "320 images took {} KiB against {} KiB for 32",
        peaks[1] / 1024,
        peaks[0] / 1024
    );
}

/// `azure` (a batch endpoint's predictions.csv) with its first ten lines missing and three
/// lines of another file added, written into `dir`.
pub(crate) fn partial_predictions(
    azure: &std::path::Path,
    dir: &std::path::Path,
) -> std::path::PathBuf {
    let text = std::fs::read_to_string(azure).unwrap();
    let mut lines: Vec<&str> = text.lines().skip(10).collect();
    let extra = "['other.csv', 1.0]";
    lines.extend([extra, extra, extra]);
    let partial = dir.join("predictions.csv");
    std::fs::write(&partial, lines.join("\n")).unwrap();
    partial
}

/// Predictions made elsewhere (issue 45), scored against the labelled table: an Azure ML batch
/// endpoint's predictions.csv for the diabetes table (tests/fixtures/eval/azure/
/// make_predictions.py writes it in the documented form, a Python literal `['diabetes.csv',
/// prediction]` a line, from mlflow.pyfunc's predictions) gives scikit-learn's numbers and
/// each item's prediction as the recorded reference; with lines missing and another file's
/// lines added, the items without a prediction fail and the strays are listed; a CSV of id and
/// prediction scores the same.
#[test]
fn predictions_made_elsewhere_are_scored_as_eval_scores_its_own() {
    let want = &reference()["diabetes_csv"];
    let model = crate::common::model("sklearn_diabetes");
    let table = crate::common::repo("tests/fixtures/eval/diabetes.csv");
    let azure = crate::common::repo("tests/fixtures/eval/azure/predictions.csv");
    let scored = |file: &std::path::Path| {
        eval_cli(&[
            model.as_os_str(),
            "--predictions".as_ref(),
            file.as_os_str(),
            "--labels-from".as_ref(),
            table.as_os_str(),
            "--label".as_ref(),
            "target".as_ref(),
        ])
    };
    let (code, doc, rows, stderr) = scored(&azure);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("142 predictions from") && stderr.contains("Azure ML batch endpoint"),
        "{stderr}"
    );
    assert_matches("diabetes_csv", &doc, &rows, want);
    assert_eq!(doc["unmatched_predictions"], 0);
    let dir = tempfile::tempdir().unwrap();
    let partial = partial_predictions(&azure, dir.path());
    let text = std::fs::read_to_string(&azure).unwrap();
    let (code, doc, _, stderr) = scored(&partial);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(doc["failed"], 10, "{doc}");
    assert_eq!(doc["n"], 132);
    assert_eq!(doc["unmatched_predictions"], 3);
    assert!(
        stderr.contains("3 predictions match no item of the dataset: other.csv (3)"),
        "{stderr}"
    );
    // The shift by ten lines: the last ten rows have no line naming them.
    assert_eq!(doc["failures"][0]["input"], "line 134", "{doc}");
    assert_eq!(doc["failures"][0]["error"], "no prediction for this item");
    // A CSV of id and prediction.
    let csv: String = std::iter::once("id,prediction".to_string())
        .chain(text.lines().enumerate().map(|(k, l)| {
            let value = l.trim_end_matches(']').rsplit(", ").next().unwrap();
            format!("line {},{value}", k + 2)
        }))
        .collect::<Vec<_>>()
        .join("\n");
    let ids = dir.path().join("ids.csv");
    std::fs::write(&ids, csv).unwrap();
    let (code, doc, rows, stderr) = scored(&ids);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("a CSV of id and prediction"), "{stderr}");
    assert_matches("diabetes_csv", &doc, &rows, want);
}
