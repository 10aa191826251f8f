//! Input written by someone else, built at test time (nothing big is committed): each ends
//! within seconds with a message that names the file or input and the limit, reads nothing
//! outside the model folder, and allocates nothing the input's size does not justify. The
//! time bounds here are hang guards far above the expected milliseconds, not benchmarks.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use mlmodel_inspector::input::build::{InputSource, build_request};
use mlmodel_inspector::input::files::read_npy;
use mlmodel_inspector::input::request::Request;
use mlmodel_inspector::model;
use mlmodel_inspector::predict::{BackendChoice, BackendSettings, Runner};
use mlmodel_inspector::source::{ModelUri, Progress, RemoteModel, SourceError, Tracking};
use serde_json::json;

fn onnx_folder(data: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("MLmodel"),
        format!("flavors:\n  onnx:\n    data: {data}\n  python_function:\n    loader_module: mlflow.onnx\n    data: {data}\n"),
    )
    .unwrap();
    dir
}

fn native_predict_error(folder: &Path) -> String {
    let card = Arc::new(model::open(folder).unwrap());
    let cancel = AtomicBool::new(false);
    let started = Instant::now();
    let err = Runner::new(card)
        .predict(
            &BackendChoice::Onnx,
            &BackendSettings::default(),
            &Request::Json(json!({"inputs": [[1.0]]})),
            &cancel,
        )
        .unwrap_err()
        .to_string();
    assert!(started.elapsed() < Duration::from_secs(10), "hang guard");
    err
}

#[test]
fn predict_reads_nothing_outside_the_folder_and_no_special_files() {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.onnx");
    std::fs::write(&secret, b"not for the model").unwrap();
    // A relative path that climbs out, an absolute path, and a link out of the folder.
    let climbs = onnx_folder("../../../../../../etc/passwd");
    let err = native_predict_error(climbs.path());
    assert!(err.contains("climbs out of the model folder"), "{err}");
    let absolute = onnx_folder(secret.to_str().unwrap());
    let err = native_predict_error(absolute.path());
    assert!(
        err.contains("is an absolute path, outside the model folder"),
        "{err}"
    );
    let linked = onnx_folder("model.onnx");
    std::os::unix::fs::symlink(&secret, linked.path().join("model.onnx")).unwrap();
    let err = native_predict_error(linked.path());
    assert!(err.contains("symbolic link"), "{err}");
    assert!(err.contains("outside the model folder"), "{err}");
    // A FIFO as model.onnx would block a reader forever.
    let fifo = onnx_folder("model.onnx");
    let path = std::ffi::CString::new(fifo.path().join("model.onnx").to_str().unwrap()).unwrap();
    // SAFETY: mkfifo on a path in a fresh temporary folder.
    assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0);
    let err = native_predict_error(fifo.path());
    assert!(
        err.contains("model.onnx") && err.contains("not a regular file"),
        "{err}"
    );
}

/// A `.npy` file of 128 bytes whose header claims `shape`.
fn npy_claiming(dir: &Path, descr: &str, shape: &str) -> std::path::PathBuf {
    let header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    let padded = format!("{header:<117}\n");
    bytes.extend((padded.len() as u16).to_le_bytes());
    bytes.extend(padded.as_bytes());
    let path = dir.join(format!("{}.npy", descr.trim_start_matches(['<', '|'])));
    std::fs::write(&path, &bytes).unwrap();
    path
}

#[test]
fn npy_headers_cannot_claim_more_than_the_file_holds() {
    let dir = tempfile::tempdir().unwrap();
    for descr in ["<f4", "|u1", "<i8", "|b1"] {
        let path = npy_claiming(dir.path(), descr, "(100000000000,)");
        let started = Instant::now();
        let err = read_npy(&path).unwrap_err().to_string();
        assert!(started.elapsed() < Duration::from_secs(5), "hang guard");
        assert!(err.starts_with(&path.display().to_string()), "{err}");
        assert!(
            err.contains("the header says shape (100000000000,)")
                && err.contains("but the file holds 0"),
            "{err}"
        );
    }
    // A real one still reads.
    let ok = npy_claiming(dir.path(), "<f8", "(0,)");
    assert!(read_npy(&ok).is_ok());
}

fn image_model(shape: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("MLmodel"),
        format!("flavors:\n  python_function:\n    loader_module: mlflow.pyfunc.model\nsignature:\n  inputs: '[{{\"type\": \"tensor\", \"tensor-spec\": {{\"dtype\": \"uint8\", \"shape\": {shape}}}}}]'\n"),
    )
    .unwrap();
    dir
}

#[test]
fn image_tensors_larger_than_a_request_may_be_are_refused_before_decoding() {
    let photo = common::repo("assets/sample-china.jpg");
    for (shape, says) in [
        ("[-1, 100000, 100000, 3]", "images 100000 pixels in height"),
        (
            "[-1, 1000000000000, 300, 3]",
            "images 1000000000000 pixels in height",
        ),
        (
            "[-1, 300, 1000000000000, 3]",
            "images 1000000000000 pixels in width",
        ),
    ] {
        let dir = image_model(shape);
        let card = model::open(dir.path()).unwrap();
        let started = Instant::now();
        let err = build_request(&card, &InputSource::Images(vec![photo.clone()]), None, None)
            .unwrap_err()
            .to_string();
        assert!(started.elapsed() < Duration::from_secs(5), "hang guard");
        assert!(err.contains(says), "{shape}: {err}");
        assert!(err.contains("32768"), "{shape}: {err}");
        assert!(!err.contains("free (-1)"), "{shape}: {err}");
    }
}

#[test]
fn a_jpeg_cut_short_is_refused_not_half_grey() {
    let dir = tempfile::tempdir().unwrap();
    let whole = std::fs::read(common::repo("assets/sample-china.jpg")).unwrap();
    let cut = dir.path().join("cut.jpg");
    std::fs::write(&cut, &whole[..20_000]).unwrap();
    let err = mlmodel_inspector::input::image::decode(&cut)
        .unwrap_err()
        .to_string();
    assert!(err.starts_with(&cut.display().to_string()), "{err}");
    assert!(err.contains("cut short"), "{err}");
    assert!(
        mlmodel_inspector::input::image::decode(&common::repo("assets/sample-china.jpg")).is_ok()
    );
}

#[test]
fn yaml_that_would_take_minutes_or_gigabytes_ends_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // 100,000 nested flow mappings.
    std::fs::write(
        root.join("MLmodel"),
        format!("flavors: {}", "{a: ".repeat(100_000)),
    )
    .unwrap();
    let started = Instant::now();
    let err = model::open(root).unwrap_err().to_string();
    assert!(started.elapsed() < Duration::from_secs(5), "hang guard");
    assert!(
        err.contains("MLmodel") && err.contains("nested more than 100 levels"),
        "{err}"
    );
    // A pickle-running tag, which MLflow's safe loading refuses too.
    std::fs::write(
        root.join("MLmodel"),
        "flavors: {}\nmetadata: !!python/object/apply:os.system ['touch /tmp/owned']\n",
    )
    .unwrap();
    let err = model::open(root).unwrap_err().to_string();
    assert!(err.contains("!!python/object/apply:os.system"), "{err}");

    // python_env.yaml naming one 50,000-line file twenty times: read once, and capped.
    std::fs::write(
        root.join("MLmodel"),
        "flavors:\n  python_function:\n    loader_module: mlflow.pyfunc.model\n    env:\n      virtualenv: python_env.yaml\n",
    )
    .unwrap();
    let big: String = (0..50_000).map(|i| format!("package-{i}==1.0\n")).collect();
    std::fs::write(root.join("big.txt"), big).unwrap();
    let lines: String = (0..20).map(|_| "- -r big.txt\n".to_string()).collect();
    std::fs::write(
        root.join("python_env.yaml"),
        format!("python: 3.11\ndependencies:\n{lines}"),
    )
    .unwrap();
    let started = Instant::now();
    let card = model::open(root).unwrap();
    assert!(started.elapsed() < Duration::from_secs(10), "hang guard");
    let deps = card
        .environment
        .python_env
        .as_ref()
        .and_then(|p| p.parsed.as_ref().ok())
        .map(|p| p.dependencies.len())
        .unwrap();
    assert!(deps <= 10_000 + 20, "{deps} dependencies kept");
    assert!(
        card.warnings
            .iter()
            .any(|w| w.to_string().contains("more than 10000 requirements")),
        "{:?}",
        card.warnings
    );
}

/// What the fake tracking server does for a request path.
enum Act {
    Json(String),
    /// Sends the headers and a few bytes, then nothing.
    Stall,
    /// Sends this many bytes of body.
    Bytes(usize),
}

/// A fake tracking server whose behaviour is the subject: `act` decides each answer.
fn fake_tracking(act: impl Fn(&str) -> Act + Send + Sync + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let act = Arc::new(act);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let act = act.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                let _ = reader.read_line(&mut line);
                let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
                        break;
                    }
                }
                match act(&path) {
                    Act::Json(body) => {
                        let _ = write!(
                            stream,
                            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                            body.len()
                        );
                    }
                    Act::Stall => {
                        let _ = write!(
                            stream,
                            "HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\nConnection: close\r\n\r\nabc"
                        );
                        let _ = stream.flush();
                        std::thread::sleep(Duration::from_secs(60));
                    }
                    Act::Bytes(n) => {
                        let _ = write!(
                            stream,
                            "HTTP/1.1 200 OK\r\nContent-Length: {n}\r\nConnection: close\r\n\r\n"
                        );
                        let chunk = vec![b'x'; 1 << 20];
                        let mut left = n;
                        while left > 0 {
                            let k = left.min(chunk.len());
                            if stream.write_all(&chunk[..k]).is_err() {
                                break;
                            }
                            left -= k;
                        }
                    }
                }
                let _ = reader.read(&mut [0u8; 1]);
            });
        }
    });
    url
}

fn open_remote(url: &str, idle: Duration) -> Result<RemoteModel, SourceError> {
    let tracking = Tracking::new(url, None, None)
        .unwrap()
        .with_idle_timeout(idle);
    let cache = tempfile::tempdir().unwrap();
    RemoteModel::open_with(
        &tracking,
        &ModelUri::parse("mlflow-artifacts:/1/m/artifacts").unwrap(),
        &Progress::default(),
        1 << 20,
        cache.path(),
    )
}

fn listing(files: &str) -> Act {
    Act::Json(format!("{{\"files\": [{files}]}}"))
}

#[test]
fn remote_models_are_held_to_the_same_limits_as_folders() {
    let timed = |f: &dyn Fn() -> Result<RemoteModel, SourceError>| {
        let started = Instant::now();
        let r = f();
        assert!(started.elapsed() < Duration::from_secs(30), "hang guard");
        r.map(|_| ()).unwrap_err().to_string()
    };
    // A download that stalls ends at the idle limit.
    let url = fake_tracking(|path| {
        if path.contains("/artifacts?") {
            listing(r#"{"path": "MLmodel", "is_dir": false, "file_size": 1000000}"#)
        } else {
            Act::Stall
        }
    });
    let err = timed(&|| open_remote(&url, Duration::from_secs(2)));
    assert!(
        err.contains("stalled") && err.contains("no data for 2 s"),
        "{err}"
    );
    // A listing without end: every folder holds another.
    let url = fake_tracking(|path| {
        if path.contains("/artifacts?") {
            listing(
                r#"{"path": "MLmodel", "is_dir": false, "file_size": 10}, {"path": "d", "is_dir": true}"#,
            )
        } else {
            Act::Json("flavors: {}\n".into())
        }
    });
    let err = timed(&|| open_remote(&url, Duration::from_secs(5)));
    assert!(
        err.contains("nested more than 32 deep") || err.contains("more than 2000 requests"),
        "{err}"
    );
    // A listing of a million files.
    let url = fake_tracking(|path| {
        if path.contains("/artifacts?") {
            let files: Vec<String> = (0..1_000_000)
                .map(|i| format!(r#"{{"path": "f{i}", "is_dir": false, "file_size": 2000000}}"#))
                .collect();
            Act::Json(format!(
                "{{\"files\": [{{\"path\": \"MLmodel\", \"is_dir\": false, \"file_size\": 10}}, {}]}}",
                files.join(", ")
            ))
        } else {
            Act::Json("flavors: {}\n".into())
        }
    });
    let err = timed(&|| open_remote(&url, Duration::from_secs(5)));
    assert!(err.contains("more than 20000 files"), "{err}");
    // A file listed as 100 bytes that streams 300 MB.
    let url = fake_tracking(|path| {
        if path.contains("/artifacts?") {
            listing(r#"{"path": "MLmodel", "is_dir": false, "file_size": 100}"#)
        } else {
            Act::Bytes(300 << 20)
        }
    });
    let err = timed(&|| open_remote(&url, Duration::from_secs(5)));
    assert!(
        err.contains("more than the 100 bytes its listing gives"),
        "{err}"
    );
}

#[test]
fn a_huge_answer_is_refused_with_its_limit() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/invocations", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 65536];
            let _ = stream.read(&mut buf);
            let n: usize = 200 << 20;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {n}\r\n\r\n{{\"predictions\": ["
            );
            let chunk = "0.123456789, ".repeat(80_000);
            let mut sent = 0;
            while sent < n && stream.write_all(chunk.as_bytes()).is_ok() {
                sent += chunk.len();
            }
        }
    });
    let card = Arc::new(model::open(&common::model("sklearn_iris")).unwrap());
    let cancel = AtomicBool::new(false);
    let started = Instant::now();
    let err = Runner::new(card)
        .predict(
            &BackendChoice::Url(url),
            &BackendSettings::default(),
            &Request::Json(json!({"dataframe_split": {"columns": ["a"], "data": [[1.0]]}})),
            &cancel,
        )
        .unwrap_err()
        .to_string();
    assert!(started.elapsed() < Duration::from_secs(60), "hang guard");
    assert!(
        err.contains("larger than the 134.2 MB this app reads"),
        "{err}"
    );
}
