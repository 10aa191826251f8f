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

/// Runs the command line and gives its exit status, peak resident memory in bytes (its own,
/// not this test process's: see [`run_limited_with`]) and stderr.
pub fn run_measured(args: &[&std::ffi::OsStr]) -> (i32, u64, String) {
    let r = run_limited(args, 16 << 30);
    (r.code, r.peak, r.stderr)
}

/// What a run of the command line under a memory limit did.
#[derive(Debug)]
pub struct Limited {
    /// The exit code (-1 when a signal ended it, as an abort on allocation failure does).
    pub code: i32,
    /// Its peak resident memory, in bytes.
    pub peak: u64,
    /// Its standard output.
    pub stdout: Vec<u8>,
    /// Its standard error, as text.
    pub stderr: String,
    /// How long it ran.
    pub elapsed: std::time::Duration,
}

/// Runs the command line with its address space limited to `limit` bytes (`setrlimit`), so
/// that a regression that takes all the memory fails the test instead of the machine, and
/// gives its exit code, peak resident memory, output and run time. glibc keeps two malloc
/// arenas (its default of eight a core reserves address space the limit would count).
pub fn run_limited(args: &[&std::ffi::OsStr], limit: u64) -> Limited {
    run_limited_with(args, limit, |_| {})
}

/// As [`run_limited`], with `meanwhile` called once it runs with the negated id of its
/// process group, for `kill` (to signal it, or to look at what it writes meanwhile).
///
/// The peak is GNU time's (`%M`, the `wait4` of its own child): a process forked from this
/// test process and then exec'd keeps this process's resident size as its own peak (the
/// kernel carries the old address space's high-water mark across exec), which would hide the
/// command's own when tests run side by side; GNU time is small when it forks the command.
pub fn run_limited_with(
    args: &[&std::ffi::OsStr],
    limit: u64,
    meanwhile: impl FnOnce(i32) + Send + 'static,
) -> Limited {
    use std::io::Read as _;
    use std::os::unix::process::CommandExt as _;
    let started = std::time::Instant::now();
    // Another build may be measured in its place (the figures of a fix's before and after).
    let bin = std::env::var_os("MLMODEL_INSPECTOR_BIN")
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_mlmodel-inspector").into());
    let measured = tempfile::NamedTempFile::new().unwrap();
    let mut command = std::process::Command::new("/usr/bin/time");
    command
        .args(["-f", "%M", "-o"])
        .arg(measured.path())
        .arg(bin)
        .args(args)
        .env("MALLOC_ARENA_MAX", "2")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .process_group(0);
    // SAFETY: setrlimit and alarm are async-signal-safe; they run in the child between fork
    // and exec, and pass to the command through GNU time.
    unsafe {
        command.pre_exec(move || {
            let rlimit = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &rlimit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // A hang guard: SIGALRM ends it after ten minutes.
            libc::alarm(600);
            Ok(())
        });
    }
    let mut child = command
        .spawn()
        .expect("/usr/bin/time (Debian's `time`, which scripts/test.sh installs)");
    let group = -(child.id() as i32);
    let watcher = std::thread::spawn(move || meanwhile(group));
    let mut stderr_pipe = child.stderr.take().unwrap();
    let err_thread = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr_pipe.read_to_string(&mut s);
        s
    });
    let mut stdout = Vec::new();
    let _ = child.stdout.take().unwrap().read_to_end(&mut stdout);
    let stderr = err_thread.join().unwrap();
    let status = child.wait().unwrap();
    let _ = watcher.join();
    // GNU time exits with the command's code, or 128 + the signal that ended it.
    let code = match status.code() {
        Some(c) if c < 128 => c,
        _ => -1,
    };
    let peak_kb: u64 = std::fs::read_to_string(measured.path())
        .unwrap_or_default()
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(0);
    Limited {
        code,
        peak: peak_kb * 1024,
        stdout,
        stderr,
        elapsed: started.elapsed(),
    }
}

/// `1 << 20`, for memory bounds in tests.
pub const MIB: u64 = 1 << 20;

/// Reads one HTTP request from a (keep-alive) connection: its request line, headers and the
/// body its Content-Length gives; `None` when the peer closed the connection. For the small
/// servers the tests stand in front of the app.
pub fn read_http_request(reader: &mut impl std::io::BufRead) -> Option<Vec<u8>> {
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return None;
    }
    let mut length = 0usize;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
            break;
        }
        if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).ok()?;
    Some(body)
}

/// How many rows a request body's `dataframe_split` has (1 when it has none).
pub fn rows_of(body: &[u8]) -> usize {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["dataframe_split"]["data"].as_array().map(Vec::len))
        .unwrap_or(1)
}

/// Writes an `MLmodel` of a pyfunc model whose input signature is `specs` (each one JSON
/// object of MLflow's signature form) into `dir`.
pub fn model_with_inputs(dir: &std::path::Path, specs: &[String]) {
    std::fs::write(
        dir.join("MLmodel"),
        format!(
            "flavors:\n  python_function:\n    loader_module: mlflow.pyfunc.model\nsignature:\n  inputs: '[{}]'\n",
            specs.join(", ")
        ),
    )
    .unwrap();
}
