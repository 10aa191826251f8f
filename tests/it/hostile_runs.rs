//! Runs that must never lose the user's data or take hours: `--out` is never one of the
//! inputs and replaces a file only when it is written whole, a failed write is a failed run,
//! an endpoint that stops answering stops the run in seconds, and Ctrl+C does not wait for
//! the request in flight. Each input is made at test time; the times asserted are hang
//! guards far from the seconds measured (stated at each test), not benchmarks.

use std::ffi::OsStr;
use std::io::{BufReader, Write};
use std::net::TcpListener;
use std::time::Duration;

use serde_json::Value;

use crate::common::{Limited, run_limited, run_limited_with};

const AS_LIMIT: u64 = 6 << 30;

fn os<S: AsRef<OsStr> + ?Sized>(s: &S) -> &OsStr {
    s.as_ref()
}

fn run(args: &[&OsStr]) -> Limited {
    let r = run_limited(args, AS_LIMIT);
    println!(
        "{:?}: exit {}, {:.1} s",
        args.iter().take(2).collect::<Vec<_>>(),
        r.code,
        r.elapsed.as_secs_f64()
    );
    r
}

fn iris() -> std::path::PathBuf {
    crate::common::repo("tests/fixtures/eval/iris.csv")
}

fn onnx_model() -> std::path::PathBuf {
    crate::common::model("onnx_sklearn_zipmap")
}

/// `eval` of iris through tract, its predictions to `out`.
fn eval_iris_to(out: &OsStr) -> Limited {
    run(&[
        os("eval"),
        onnx_model().as_os_str(),
        os("--csv"),
        iris().as_os_str(),
        os("--label"),
        os("species"),
        os("--backend"),
        os("onnx"),
        os("--out"),
        out,
    ])
}

/// `--out` equal to the input table truncated it before it was read; `--out` inside the image
/// folder wrote CSV text over an image. Both are refused before anything is opened for
/// writing, exit 2, and the input is unchanged.
#[test]
fn out_is_never_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("iris.csv");
    std::fs::copy(iris(), &table).unwrap();
    let before = std::fs::read(&table).unwrap();
    let model = onnx_model();
    // The same file, and the same file by another path.
    let other_path = dir.path().join(".").join("iris.csv");
    for out in [&table, &other_path] {
        let r = run(&[
            os("eval"),
            model.as_os_str(),
            os("--csv"),
            table.as_os_str(),
            os("--label"),
            os("species"),
            os("--backend"),
            os("onnx"),
            os("--out"),
            out.as_os_str(),
        ]);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains("is the input"), "{}", r.stderr);
        assert_eq!(
            std::fs::read(&table).unwrap(),
            before,
            "the input is intact"
        );
    }
    // Inside the image folder (and inside the model folder).
    let images = dir.path().join("images");
    let fixture = crate::common::repo("tests/fixtures/eval/images");
    for class in std::fs::read_dir(&fixture).unwrap() {
        let class = class.unwrap();
        if class.path().is_dir() {
            std::fs::create_dir_all(images.join(class.file_name())).unwrap();
            for f in std::fs::read_dir(class.path()).unwrap() {
                let f = f.unwrap();
                std::fs::copy(f.path(), images.join(class.file_name()).join(f.file_name()))
                    .unwrap();
            }
        }
    }
    let first_class = std::fs::read_dir(&images)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let victim = std::fs::read_dir(&first_class)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let image_before = std::fs::read(&victim).unwrap();
    // A copy of the model: a failure here must not write into the repository's fixture.
    let colour = dir.path().join("model");
    std::fs::create_dir(&colour).unwrap();
    for f in std::fs::read_dir(crate::common::model("onnx_colour_classifier")).unwrap() {
        let f = f.unwrap();
        if f.path().is_file() {
            std::fs::copy(f.path(), colour.join(f.file_name())).unwrap();
        }
    }
    for out in [victim.clone(), colour.join("preds.csv")] {
        let r = run(&[
            os("eval"),
            colour.as_os_str(),
            os("--images"),
            images.as_os_str(),
            os("--backend"),
            os("onnx"),
            os("--out"),
            out.as_os_str(),
        ]);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(
            r.stderr.contains("is the input") || r.stderr.contains("lies inside the input"),
            "{}",
            r.stderr
        );
    }
    assert_eq!(std::fs::read(&victim).unwrap(), image_before);
    assert!(!colour.join("preds.csv").exists());
}

/// A failed write of the predictions (`/dev/full`) printed an error and exited 0; it exits 1.
#[test]
fn a_failed_write_of_the_predictions_fails_the_run() {
    let r = eval_iris_to(os("/dev/full"));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("/dev/full") && r.stderr.contains("predictions file"),
        "{}",
        r.stderr
    );
}

/// An endpoint that takes connections and never answers (or answers `status` forever, when
/// given). Returns its URL.
fn dead_endpoint(status: Option<u16>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/invocations", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                while crate::common::read_http_request(&mut reader).is_some() {
                    match status {
                        None => std::thread::sleep(Duration::from_secs(600)),
                        Some(code) => {
                            let answer = r#"{"error_code": "TEMPORARILY_UNAVAILABLE", "message": "overloaded"}"#;
                            let _ = write!(
                                stream,
                                "HTTP/1.1 {code} Unavailable\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{answer}",
                                answer.len()
                            );
                        }
                    }
                }
            });
        }
    });
    url
}

fn eval_against(url: &str, extra: &[&OsStr]) -> Vec<std::ffi::OsString> {
    let mut args: Vec<std::ffi::OsString> = [
        os("eval"),
        crate::common::model("sklearn_iris_class_names").as_os_str(),
        os("--csv"),
        iris().as_os_str(),
        os("--label"),
        os("species"),
        os("--backend"),
        os(url),
        os("--batch"),
        os("10"),
    ]
    .iter()
    .map(|s| s.to_os_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_os_string()));
    args
}

/// A server that never answers: every batch waited the whole timeout, then was sent again
/// item by item, each waiting as long (10 rows took 22 s at `--timeout 2`; iris's 150 would
/// take over 2.5 minutes at `--timeout 1`). Now a timed-out batch is not split, and the run
/// stops after 3 in a row with one message naming `--timeout` (about 3 s here).
#[test]
fn a_dead_endpoint_stops_the_run_in_seconds() {
    let url = dead_endpoint(None);
    let args = eval_against(&url, &[os("--timeout"), os("1")]);
    let args: Vec<&OsStr> = args.iter().map(|s| s.as_os_str()).collect();
    let r = run(&args);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("3 requests in a row got no answer in time"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("--timeout") && !r.stderr.contains("backend settings"),
        "the command line's option is named: {}",
        r.stderr
    );
    assert!(r.elapsed < Duration::from_secs(30), "{:?}", r.elapsed);

    // Answered 503 forever: 86 s for 10 rows before; now the first request's retries end it.
    let url = dead_endpoint(Some(503));
    let args = eval_against(&url, &[]);
    let args: Vec<&OsStr> = args.iter().map(|s| s.as_os_str()).collect();
    let r = run(&args);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("answered 'busy' (429 or 503) 6 times in a row"),
        "{}",
        r.stderr
    );
    assert!(r.elapsed < Duration::from_secs(30), "{:?}", r.elapsed);
}

/// The first Ctrl+C waited for the request in flight (up to its 60 s timeout, then a split
/// batch's items each as long); now the run ends at once with what is done.
#[test]
fn ctrl_c_does_not_wait_for_the_request_in_flight() {
    let url = dead_endpoint(None);
    let args = eval_against(&url, &[os("--json")]);
    let args: Vec<&OsStr> = args.iter().map(|s| s.as_os_str()).collect();
    let signalled = std::sync::Arc::new(std::sync::Mutex::new(None));
    let at = signalled.clone();
    let r = run_limited_with(&args, AS_LIMIT, move |group| {
        std::thread::sleep(Duration::from_millis(1500));
        *at.lock().unwrap() = Some(std::time::Instant::now());
        // SAFETY: signalling our own child's process group.
        unsafe { libc::kill(group, libc::SIGINT) };
    });
    let after = signalled.lock().unwrap().unwrap().elapsed();
    println!("ended {:.2} s after Ctrl+C", after.as_secs_f64());
    assert!(after < Duration::from_secs(10), "{after:?} after Ctrl+C");
    let doc: Value = serde_json::from_slice(&r.stdout).unwrap_or(Value::Null);
    assert_eq!(doc["cancelled"], true, "{}", r.stderr);
}

/// A run killed half-way (SIGKILL: no chance to tidy up) leaves the predictions file that was
/// there before as it was: the new one is written beside it and takes its place at the end.
#[test]
fn an_interrupted_run_never_leaves_half_a_file_where_a_whole_one_was() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("preds.csv");
    std::fs::write(&out, "a good file from yesterday\n").unwrap();
    let url = dead_endpoint(None);
    let args = eval_against(&url, &[os("--out"), out.as_os_str()]);
    let args: Vec<&OsStr> = args.iter().map(|s| s.as_os_str()).collect();
    let partial = dir.path().join(".preds.csv.partial");
    let seen = partial.clone();
    let r = run_limited_with(&args, AS_LIMIT, move |group| {
        let started = std::time::Instant::now();
        while !seen.exists() && started.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(20));
        }
        // SAFETY: signalling our own child's process group.
        unsafe { libc::kill(group, libc::SIGKILL) };
    });
    assert_eq!(r.code, -1, "killed");
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "a good file from yesterday\n"
    );
    // A run that ends puts its file in place.
    let r = eval_iris_to(out.as_os_str());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let written = std::fs::read_to_string(&out).unwrap();
    assert!(written.starts_with("input,label,prediction,score,error\n"));
    assert_eq!(written.lines().count(), 151);
    assert!(!partial.exists());
}

/// A model folder whose signature is `columns` double columns `c0`, `c1`, …, and a one-row
/// request for it (`request.json` in the folder).
fn wide_model(dir: &std::path::Path, columns: usize) {
    let specs: Vec<String> = (0..columns)
        .map(|i| format!("{{\"name\": \"c{i}\", \"type\": \"double\", \"required\": true}}"))
        .collect();
    crate::common::model_with_inputs(dir, &specs);
    let names: Vec<String> = (0..columns).map(|i| format!("\"c{i}\"")).collect();
    let values = vec!["1.5"; columns].join(", ");
    std::fs::write(
        dir.join("request.json"),
        format!(
            "{{\"dataframe_split\": {{\"columns\": [{}], \"data\": [[{values}]]}}}}",
            names.join(", ")
        ),
    )
    .unwrap();
}

/// Validation and diff were quadratic in the columns (a one-row `predict --dry-run` took
/// 12.9 s at 20,000 columns and would take minutes at 50,000; `diff` of 20,000 took 54 s):
/// names are looked up now. These are hang guards far above the fixed times (0.6 s and 1.6 s
/// here in a debug build); the speed itself is in BENCHMARKS.md (scripts/bench_scale.sh).
#[test]
fn many_columns_are_checked_and_compared_in_one_pass() {
    let dir = tempfile::tempdir().unwrap();
    wide_model(dir.path(), 50_000);
    let request = dir.path().join("request.json");
    let r = run(&[
        os("predict"),
        dir.path().as_os_str(),
        os("--input"),
        request.as_os_str(),
        os("--dry-run"),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.elapsed < Duration::from_secs(30), "{:?}", r.elapsed);
    let r = run(&[os("diff"), dir.path().as_os_str(), dir.path().as_os_str()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.elapsed < Duration::from_secs(30), "{:?}", r.elapsed);
}

/// `diff` of two folders of 100,000 files each took 105 s (each file looked for in the other
/// list); paths are looked up now. A hang guard far above the fixed time (4.5 s here in a
/// debug build, half of the files compared byte for byte).
#[test]
fn folders_of_many_files_are_compared_in_one_pass() {
    let dir = tempfile::tempdir().unwrap();
    for (side, other) in [("a", false), ("b", true)] {
        let root = dir.path().join(side);
        std::fs::create_dir_all(root.join("data")).unwrap();
        std::fs::write(
            root.join("MLmodel"),
            "flavors:\n  python_function:\n    loader_module: mlflow.pyfunc.model\n",
        )
        .unwrap();
        for i in 0..100_000 {
            let bytes = if other && i % 2 == 1 { "y" } else { "x" };
            std::fs::write(root.join("data").join(format!("f{i}.txt")), bytes).unwrap();
        }
    }
    let r = run(&[
        os("diff"),
        dir.path().join("a").as_os_str(),
        dir.path().join("b").as_os_str(),
        os("--json"),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.elapsed < Duration::from_secs(60), "{:?}", r.elapsed);
    let doc: Value = serde_json::from_slice(&r.stdout).unwrap();
    let files = doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["section"] == "files")
        .count();
    assert_eq!(files, 50_000, "every file with other bytes, once");
}
