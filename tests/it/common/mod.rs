//! Paths shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// A path under the crate root.
pub fn repo(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Runs `mlmodel-inspector ARGS`, which must succeed, and reads its stdout as JSON.
pub fn cli_json<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> serde_json::Value {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mlmodel-inspector"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A fixture written by real MLflow.
pub fn model(name: &str) -> PathBuf {
    repo("tests/fixtures/models").join(name)
}

/// A hand-made fixture (documentation text, legacy forms).
pub fn handmade(name: &str) -> PathBuf {
    repo("tests/fixtures/handmade").join(name)
}

/// A bad folder.
pub fn bad(name: &str) -> PathBuf {
    repo("tests/fixtures/bad").join(name)
}

/// The test venv's Python (scripts/test.sh makes it with the pinned mlflow).
pub fn venv_python() -> PathBuf {
    let p = repo(".venv/bin/python");
    assert!(
        p.is_file(),
        "{} is missing: run scripts/test.sh, which makes the venv with the pinned mlflow",
        p.display()
    );
    p
}

/// A real `mlflow server` (pinned pip mlflow, sqlite store, local artifact store with the
/// proxy) on 127.0.0.1, with models logged and registered by MLflow's own client
/// (tests/fixtures/tracking_setup.py). One per test binary; it ends with the test process (a
/// shell guard holds a pipe from it and stops the server's process group when the pipe closes).
pub struct TrackingServer {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// What tracking_setup.py printed: run ids, the logged model id, MLflow's own download.
    pub ids: serde_json::Value,
    /// A folder for this binary's caches.
    pub scratch: PathBuf,
    _lifeline: std::sync::Mutex<std::process::ChildStdin>,
}

/// The shared tracking server, started on first use.
pub fn tracking_server() -> &'static TrackingServer {
    static SERVER: std::sync::OnceLock<TrackingServer> = std::sync::OnceLock::new();
    SERVER.get_or_init(start_tracking_server)
}

fn start_tracking_server() -> TrackingServer {
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};
    let python = venv_python();
    let scratch =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("tracking-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let log = std::fs::File::create(scratch.join("server.log")).unwrap();
    let guard = "exec 3<&0 </dev/null; \"$@\" & ( trap '' TERM; read -r _ <&3; kill -TERM -- -$$; sleep 3; kill -KILL -- -$$ ) & wait";
    let bin = python.parent().unwrap().to_path_buf();
    let path = std::env::join_paths(std::iter::once(bin).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .unwrap();
    let mut child = Command::new("bash")
        .args(["-c", guard, "tracking-server"])
        .arg(&python)
        .args(["-m", "mlflow", "server", "--backend-store-uri"])
        .arg(format!("sqlite:///{}", scratch.join("db.sqlite").display()))
        .arg("--artifacts-destination")
        .arg(scratch.join("artifacts"))
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "--workers", "1"])
        .env("PATH", path)
        .stdin(Stdio::piped())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .process_group(0)
        .spawn()
        .unwrap();
    let lifeline = child.stdin.take().unwrap();
    let started = std::time::Instant::now();
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "mlflow server exited ({status}): {}",
                std::fs::read_to_string(scratch.join("server.log")).unwrap_or_default()
            );
        }
        if ureq::get(format!("{url}/health"))
            .call()
            .is_ok_and(|r| r.status().as_u16() == 200)
        {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(240),
            "mlflow server did not answer /health: {}",
            std::fs::read_to_string(scratch.join("server.log")).unwrap_or_default()
        );
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    let out = Command::new(&python)
        .arg(repo("tests/fixtures/tracking_setup.py"))
        .arg(scratch.join("downloads"))
        .env("MLFLOW_TRACKING_URI", &url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "tracking_setup.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let ids = serde_json::from_str(text.lines().last().unwrap_or("")).unwrap();
    TrackingServer {
        url,
        ids,
        scratch,
        _lifeline: std::sync::Mutex::new(lifeline),
    }
}

/// One request a [`RecordingServer`] received.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// `POST`, `GET`, ...
    pub method: String,
    /// The path with the query string.
    pub path: String,
    /// Header names (lowercase) and values.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Recorded {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// An HTTP server on 127.0.0.1 that records each request and answers it with a fixed status
/// and JSON body (a stand-in for a server whose side of the conversation is the subject).
pub struct RecordingServer {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    requests: std::sync::Arc<std::sync::Mutex<Vec<Recorded>>>,
}

impl RecordingServer {
    /// Starts one answering every request with `status` and `body`.
    pub fn start(status: u16, answer: &'static str) -> Self {
        use std::io::{BufRead, BufReader, Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let store = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let Ok(clone) = stream.try_clone() else {
                    continue;
                };
                let mut reader = BufReader::new(clone);
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                let mut parts = line.split_whitespace();
                let method = parts.next().unwrap_or("").to_string();
                let path = parts.next().unwrap_or("").to_string();
                let mut headers = Vec::new();
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
                        break;
                    }
                    if let Some((k, v)) = h.split_once(':') {
                        headers.push((k.trim().to_lowercase(), v.trim().to_string()));
                    }
                }
                let length = headers
                    .iter()
                    .find(|(k, _)| k == "content-length")
                    .and_then(|(_, v)| v.parse::<usize>().ok())
                    .unwrap_or(0);
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                store.lock().unwrap().push(Recorded {
                    method,
                    path,
                    headers,
                    body,
                });
                let reason = if status == 200 { "OK" } else { "Error" };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                    answer.len()
                );
            }
        });
        Self { url, requests }
    }

    /// What it received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

/// Runs the command line, waits for it with `wait4` and gives its exit status and peak
/// resident memory in bytes (its own, not this test process's).
#[allow(clippy::zombie_processes)] // waited for with wait4, which std's handle cannot see
pub fn run_measured(args: &[&std::ffi::OsStr]) -> (i32, u64, String) {
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_mlmodel-inspector"))
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.unwrap(), &mut stderr).unwrap();
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid value to be filled; the pid is our own child, not yet
    // waited for (std's handle is dropped without a wait).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid);
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    (code, usage.ru_maxrss as u64 * 1024, stderr)
}
