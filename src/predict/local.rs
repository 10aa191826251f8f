//! The local MLflow backend: MLflow's own scoring server (`python -m mlflow models serve`)
//! started for the model folder, kept warm between predictions, and stopped with the model,
//! with the app, and when the app is killed.
//!
//! The server runs under a small `bash` guard in its own process group. The guard holds a pipe
//! from the app on its standard input; when the app goes, however it goes, the pipe closes and
//! the guard ends the whole group (the MLflow CLI and the uvicorn it starts).

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::http::{Endpoint, get_text, ping};
use super::{Outcome, PredictError};
use crate::input::request::Request;

/// How the server gets the model's Python packages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum EnvManager {
    /// The chosen Python as it is.
    #[default]
    Local,
    /// The model's own environment built with uv.
    Uv,
    /// The model's own environment built with virtualenv (pyenv).
    Virtualenv,
}

impl EnvManager {
    /// MLflow's `--env-manager` value.
    pub fn flag(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::Uv => "uv",
            Self::Virtualenv => "virtualenv",
        }
    }

    /// How long the server may take to answer `/ping`: building an environment takes longer.
    pub fn start_timeout(self) -> Duration {
        match self {
            Self::Local => Duration::from_secs(300),
            Self::Uv | Self::Virtualenv => Duration::from_secs(1800),
        }
    }
}

/// The server's output, newest last, capped.
#[derive(Debug, Default)]
pub struct Log {
    lines: Mutex<VecDeque<String>>,
}

/// Lines kept in a server log.
const LOG_LINES: usize = 5000;

impl Log {
    /// Adds a line.
    pub fn push(&self, line: impl Into<String>) {
        if let Ok(mut lines) = self.lines.lock() {
            if lines.len() >= LOG_LINES {
                lines.pop_front();
            }
            lines.push_back(line.into());
        }
    }

    /// A copy of every line.
    pub fn lines(&self) -> Vec<String> {
        self.lines
            .lock()
            .map(|l| l.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// The last `n` lines, joined.
    pub fn tail(&self, n: usize) -> String {
        self.lines
            .lock()
            .map(|l| {
                let skip = l.len().saturating_sub(n);
                l.iter().skip(skip).cloned().collect::<Vec<_>>().join("\n")
            })
            .unwrap_or_default()
    }

    /// The number of lines.
    pub fn len(&self) -> usize {
        self.lines.lock().map(|l| l.len()).unwrap_or(0)
    }

    /// Whether nothing was logged.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How to start a server.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The Python with mlflow.
    pub python: PathBuf,
    /// `--env-manager`.
    pub env_manager: EnvManager,
    /// A fixed port; `None` picks a free one.
    pub port: Option<u16>,
    /// How long a prediction may take.
    pub request_timeout: Duration,
}

/// A running scoring server for one model folder.
pub struct LocalServer {
    folder: PathBuf,
    /// The guard process (taken when stopped).
    child: Option<Child>,
    pid: u32,
    /// Closing this ends the server (the guard watches it).
    lifeline: Option<ChildStdin>,
    port: u16,
    log: Arc<Log>,
    endpoint: Endpoint,
    /// The MLflow version the server reports.
    pub version: Option<String>,
    /// How long it took to answer `/ping`.
    pub startup: Duration,
}

impl std::fmt::Debug for LocalServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalServer")
            .field("folder", &self.folder)
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

/// The guard: starts the command in the background; when its standard input closes (the app
/// went away) it asks the whole process group to stop (SIGTERM) and ends it 3 s later
/// (SIGKILL: uvicorn waits for a running request otherwise); when the server exits by itself it
/// exits with the server's status.
const GUARD: &str = r#"exec 3<&0 </dev/null
"$@" &
server=$!
( trap '' TERM; read -r _ <&3; kill -TERM -- -$$; sleep 3; kill -KILL -- -$$ ) &
watcher=$!
wait "$server"
code=$?
kill -KILL "$watcher" 2>/dev/null
exit "$code""#;

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> Option<u16> {
    TcpListener::bind(("127.0.0.1", 0))
        .ok()?
        .local_addr()
        .ok()
        .map(|a| a.port())
}

/// Whether a port on 127.0.0.1 is taken.
pub fn port_taken(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_err()
}

fn reader(log: Arc<Log>, stream: impl Read + Send + 'static) {
    std::thread::Builder::new()
        .name("server-log".into())
        .spawn(move || {
            for line in BufReader::new(stream).lines() {
                match line {
                    Ok(l) => log.push(l),
                    Err(_) => break,
                }
            }
        })
        .ok();
}

impl LocalServer {
    /// Starts MLflow's scoring server for `folder` and waits for `/ping` (or the server's exit,
    /// the timeout, or `cancel`).
    pub fn start(
        folder: &Path,
        options: &ServeOptions,
        log: Arc<Log>,
        cancel: &AtomicBool,
    ) -> Result<Self, PredictError> {
        let attempts = if options.port.is_some() { 1 } else { 3 };
        let mut last = None;
        for _ in 0..attempts {
            let port = match options.port {
                Some(p) if port_taken(p) => {
                    return Err(PredictError::ServerStart(format!(
                        "port {p} on 127.0.0.1 is in use by another program: {}",
                        crate::text::FrontEnd::says(
                            "choose another port in the backend settings, or leave it empty to pick a free one",
                            "choose another with --port, or leave it out to pick a free one"
                        )
                    )));
                }
                Some(p) => p,
                None => free_port()
                    .ok_or_else(|| PredictError::ServerStart("no free port on 127.0.0.1".into()))?,
            };
            match Self::start_on(folder, options, port, log.clone(), cancel) {
                Err(PredictError::ServerStart(m)) if m.contains("address already in use") => {
                    last = Some(PredictError::ServerStart(m));
                }
                other => return other,
            }
        }
        Err(last.unwrap_or_else(|| PredictError::ServerStart("the server did not start".into())))
    }

    fn start_on(
        folder: &Path,
        options: &ServeOptions,
        port: u16,
        log: Arc<Log>,
        cancel: &AtomicBool,
    ) -> Result<Self, PredictError> {
        let started = Instant::now();
        let mut command = Command::new("bash");
        command
            .arg("-c")
            .arg(GUARD)
            .arg("mlmodel-inspector-server")
            .arg(&options.python)
            .args(["-m", "mlflow", "models", "serve", "-m"])
            .arg(folder)
            .args(["--env-manager", options.env_manager.flag()])
            .args(["-h", "127.0.0.1", "-p", &port.to_string()])
            .args(["-t", &options.request_timeout.as_secs().max(1).to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env("PYTHONUNBUFFERED", "1");
        // A server started to test a model reports no usage to MLflow's telemetry unless the
        // user asked for it (MLflow's telemetry client also costs about 0.6 s of the start here:
        // BENCHMARKS.md, item 5). An explicit MLFLOW_DISABLE_TELEMETRY or DO_NOT_TRACK is kept.
        if std::env::var_os("MLFLOW_DISABLE_TELEMETRY").is_none()
            && std::env::var_os("DO_NOT_TRACK").is_none()
        {
            command.env("MLFLOW_DISABLE_TELEMETRY", "true");
        }
        // `mlflow models serve` runs `uvicorn` from PATH: the interpreter's folder goes first.
        if let Some(bin) = options.python.parent() {
            let mut paths = vec![bin.to_path_buf()];
            if let Some(old) = std::env::var_os("PATH") {
                paths.extend(std::env::split_paths(&old));
            }
            if let Ok(joined) = std::env::join_paths(paths) {
                command.env("PATH", joined);
            }
        }
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            command.process_group(0);
        }
        log.push(format!(
            "$ {} -m mlflow models serve -m {} --env-manager {} -h 127.0.0.1 -p {port}",
            options.python.display(),
            folder.display(),
            options.env_manager.flag()
        ));
        let mut child = command.spawn().map_err(|e| {
            PredictError::ServerStart(format!("cannot start bash to run the server: {e}"))
        })?;
        if let Some(out) = child.stdout.take() {
            reader(log.clone(), out);
        }
        if let Some(err) = child.stderr.take() {
            reader(log.clone(), err);
        }
        let lifeline = child.stdin.take();
        let pid = child.id();
        let mut endpoint = Endpoint::new(&format!("http://127.0.0.1:{port}/invocations"));
        endpoint.timeout = options.request_timeout + Duration::from_secs(5);
        let mut server = Self {
            folder: folder.to_path_buf(),
            child: Some(child),
            pid,
            lifeline,
            port,
            log: log.clone(),
            endpoint,
            version: None,
            startup: Duration::ZERO,
        };
        let ping_url = format!("http://127.0.0.1:{port}/ping");
        let limit = options.env_manager.start_timeout();
        loop {
            if cancel.load(Ordering::Relaxed) {
                server.stop();
                return Err(PredictError::Cancelled);
            }
            if let Some(status) = server.exit_status() {
                // Give the log readers a moment to drain.
                std::thread::sleep(Duration::from_millis(200));
                let tail = log.tail(25);
                if tail.contains("Address already in use")
                    || tail.contains("address already in use")
                {
                    return Err(PredictError::ServerStart(format!(
                        "the MLflow scoring server for {} exited ({status}) before it was ready (address already in use)",
                        folder.display()
                    )));
                }
                return Err(PredictError::ServerFailed {
                    folder: folder.to_path_buf(),
                    cause: start_failure_cause(&log.lines())
                        .unwrap_or_else(|| format!("it exited ({status})")),
                    fix: String::new(),
                });
            }
            if ping(&ping_url, Duration::from_secs(2)) {
                break;
            }
            if started.elapsed() > limit {
                server.stop();
                return Err(PredictError::ServerStart(format!(
                    "the MLflow scoring server for {} did not answer /ping within {} s. Its last output:\n{}",
                    folder.display(),
                    limit.as_secs(),
                    log.tail(25)
                )));
            }
            // A refused connection costs microseconds: poll often, so that the first answer
            // is not held back by the wait.
            std::thread::sleep(Duration::from_millis(50));
        }
        server.startup = started.elapsed();
        server.version = get_text(
            &format!("http://127.0.0.1:{port}/version"),
            Duration::from_secs(5),
        )
        .map(|v| v.trim().trim_matches('"').to_string());
        log.push(format!(
            "[inspector] server ready on port {port} after {:.1} s",
            server.startup.as_secs_f64()
        ));
        Ok(server)
    }

    /// The folder served.
    pub fn folder(&self) -> &Path {
        &self.folder
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The process id of the guard (the process group's id).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The guard's exit status, once it has exited.
    fn exit_status(&mut self) -> Option<std::process::ExitStatus> {
        match self.child.as_mut().map(Child::try_wait) {
            Some(Ok(Some(status))) => Some(status),
            _ => None,
        }
    }

    /// The server's output.
    pub fn log(&self) -> &Arc<Log> {
        &self.log
    }

    /// Whether the server is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.as_mut().map(Child::try_wait), Some(Ok(None)))
    }

    /// Sends a request to `/invocations`.
    pub fn predict(
        &mut self,
        request: &Request,
        cancel: &std::sync::atomic::AtomicBool,
    ) -> Result<Outcome, PredictError> {
        let result = self.endpoint.predict_cancellable(request, cancel);
        if matches!(result, Err(PredictError::Cancelled)) {
            return result;
        }
        if let Err(PredictError::Connection { .. }) = &result {
            // A broken connection: see whether the server went with it (its exit takes a
            // moment to reach the guard).
            let until = Instant::now() + Duration::from_secs(5);
            while self.alive() && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        if result.is_err() && !self.alive() {
            std::thread::sleep(Duration::from_millis(200));
            return Err(PredictError::Connection {
                url: self.endpoint.url.clone(),
                message: format!(
                    "the MLflow scoring server died during the request. Its last output:\n{}",
                    self.log.tail(25)
                ),
            });
        }
        result
    }

    /// Stops the server and every process it started, without waiting: the group is asked to
    /// stop (SIGTERM) and a reaper thread ends it (SIGKILL) if it is still there 5 s later.
    pub fn stop(&mut self) {
        self.lifeline.take();
        let Some(mut child) = self.child.take() else {
            return;
        };
        let pgid = i32::try_from(self.pid).unwrap_or(0);
        #[cfg(unix)]
        if pgid > 0 {
            // SAFETY: kill(2) on our own child's process group; no memory is touched.
            unsafe {
                libc::kill(-pgid, libc::SIGTERM);
            }
        }
        self.log.push("[inspector] server stopped");
        let reap = move || {
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline && matches!(child.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(50));
            }
            #[cfg(unix)]
            if pgid > 0 {
                // SAFETY: as above; whatever still runs in the group is ended.
                unsafe {
                    libc::kill(-pgid, libc::SIGKILL);
                }
            }
            let _ = child.kill();
            let _ = child.wait();
        };
        if std::thread::Builder::new()
            .name("server-reaper".into())
            .spawn(reap)
            .is_err()
        {
            // No thread to be had: the guard still ends the group when the lifeline closes.
        }
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// What a starting server is doing, read from its output so far (for the status line).
pub fn start_phase(lines: &[String]) -> &'static str {
    let has = |needle: &str| lines.iter().any(|l| l.contains(needle));
    if has("Uvicorn running on") || has("Application startup complete") {
        "ready; sending the request"
    } else if has("Started server process") || has("Waiting for application startup") {
        "starting the web server"
    } else if has("Running command") && has("uvicorn") {
        "loading the model"
    } else if has("Installing") || has("Creating virtual") || has("Collecting") || has("uv pip") {
        "building the model's own environment (installing its packages)"
    } else if has("Selected backend") {
        "preparing the model's environment"
    } else {
        "importing mlflow"
    }
}

/// The first meaningful error in a failed server start's output: the exception line of the
/// Python traceback that stopped it (`ModuleNotFoundError: No module named 'mlflow.fastai'`),
/// not MLflow's wrapper that says uvicorn returned non-zero.
pub fn start_failure_cause(lines: &[String]) -> Option<String> {
    let is_exception = |line: &str| {
        let Some((name, rest)) = line.split_once(": ") else {
            return false;
        };
        !line.starts_with(char::is_whitespace)
            && !rest.is_empty()
            && name
                .rsplit('.')
                .next()
                .is_some_and(|n| n.ends_with("Error") || n.ends_with("Exception"))
            && name
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
    };
    let wrapper = |line: &str| line.contains("returned non zero return code");
    lines
        .iter()
        .map(|l| l.trim_end())
        .find(|l| is_exception(l) && !wrapper(l))
        .or_else(|| lines.iter().map(|l| l.trim_end()).find(|l| is_exception(l)))
        .map(|l| crate::text::elide(l, 300))
}

#[cfg(test)]
mod tests {
    use super::start_failure_cause;

    #[test]
    fn the_cause_of_a_failed_start_is_the_exception_not_the_wrapper() {
        // What `mlflow models serve` printed for an MLflow 2 fastai model under MLflow 3.
        let log: Vec<String> = r#"Traceback (most recent call last):
  File "/venv/lib/python3.11/site-packages/mlflow/pyfunc/__init__.py", line 1206, in load_model
    model_impl = importlib.import_module(conf[MAIN])._load_pyfunc(data_path)
  File "<frozen importlib._bootstrap>", line 1140, in _find_and_load_unlocked
ModuleNotFoundError: No module named 'mlflow.fastai'
Traceback (most recent call last):
  File "/venv/lib/python3.11/site-packages/mlflow/pyfunc/backend.py", line 326, in serve
    raise Exception(
Exception: Command '['bash', '-c', 'exec uvicorn --host 127.0.0.1 --port 5999 --workers 1 mlflow.pyfunc.scoring_server.app:app']' returned non zero return code. Return code = 1"#
            .lines()
            .map(str::to_string)
            .collect();
        assert_eq!(
            start_failure_cause(&log).as_deref(),
            Some("ModuleNotFoundError: No module named 'mlflow.fastai'")
        );
        let only_wrapper = vec![
            "Exception: Command 'x' returned non zero return code. Return code = 1".to_string(),
        ];
        assert!(start_failure_cause(&only_wrapper).is_some());
        assert_eq!(start_failure_cause(&["INFO: started".to_string()]), None);
    }
}

#[cfg(test)]
mod phase_tests {
    use super::start_phase;

    #[test]
    fn the_start_phase_follows_the_servers_output() {
        let mut lines: Vec<String> = Vec::new();
        assert_eq!(start_phase(&lines), "importing mlflow");
        for (line, phase) in [
            (
                "2026/11/30 03:45:38 INFO mlflow.models.flavor_backend_registry: Selected backend for flavor 'python_function'",
                "preparing the model's environment",
            ),
            (
                "2026/11/30 03:45:38 INFO mlflow.pyfunc.backend: === Running command 'exec uvicorn --host 127.0.0.1 --port 5998 --workers 1 mlflow.pyfunc.scoring_server.app:app'",
                "loading the model",
            ),
            (
                "INFO:     Started server process [13369]",
                "starting the web server",
            ),
            (
                "INFO:     Uvicorn running on http://127.0.0.1:5998 (Press CTRL+C to quit)",
                "ready; sending the request",
            ),
        ] {
            lines.push(line.to_string());
            assert_eq!(start_phase(&lines), phase, "after {line}");
        }
    }
}

/// Whether `mlflow models serve` can serve the model, decided as MLflow's flavor backend
/// registry decides (`_get_flavor_backend_for_local_model`): the `python_function` flavor
/// first, then R's `crate` flavor when `Rscript` is on the PATH; anything else stops MLflow
/// with "No suitable flavor backend was found for the model." Said before a server starts, in
/// words that name the folder and what to do.
pub fn servable(card: &crate::model::ModelCard) -> Result<(), String> {
    if serving_flavor(card) == Some("python_function") {
        return Ok(());
    }
    let folder = card.root.display();
    let names: Vec<&str> = card.flavors.iter().map(|f| f.name.as_str()).collect();
    let names = if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    };
    if serving_flavor(card) == Some("crate") {
        if on_path("Rscript") {
            return Ok(());
        }
        return Err(format!(
            "{folder}: this is an R model (its flavor is crate, with no python_function): \
             `mlflow models serve` runs it with Rscript and R's mlflow package, and Rscript is \
             not on the PATH here. Install R with the mlflow package, or predict through an \
             endpoint URL that serves it"
        ));
    }
    Err(format!(
        "{folder}: MLflow cannot serve this model: it has no python_function flavor (its \
         flavors: {names}), and `mlflow models serve` stops with \"No suitable flavor backend \
         was found for the model.\" Predict through an endpoint URL that serves it"
    ))
}

/// The flavor `mlflow models serve` would load the model through, read from the card alone
/// (no file or PATH is looked at, so the window asks it while drawing): `python_function`,
/// else R's `crate`, else none, in MLflow's order. Whether the model's code may run at all
/// (the trust prompt) follows from it; [`servable`] adds whether it can run here.
pub fn serving_flavor(card: &crate::model::ModelCard) -> Option<&'static str> {
    ["python_function", "crate"]
        .into_iter()
        .find(|name| card.flavor(name).is_some())
}

/// Whether an executable file called `name` is in one of the PATH's folders.
fn on_path(name: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| {
            let file = dir.join(name);
            std::fs::metadata(&file).is_ok_and(|m| {
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    m.is_file() && m.permissions().mode() & 0o111 != 0
                }
                #[cfg(not(unix))]
                {
                    m.is_file()
                }
            })
        })
    })
}
