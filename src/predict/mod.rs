//! Running a model: one interface over three backends (UI-free; the GUI and the command line
//! both call it).
//!
//! - [`onnxruntime`]: models with the `onnx` flavor run in-process on the ONNX Runtime library
//!   the user has (the one MLflow's onnx flavor uses), no Python;
//! - [`onnx`]: the same models in-process with tract, where no ONNX Runtime is found;
//! - [`local`]: any pyfunc model runs in MLflow's own scoring server, started for the folder;
//! - [`http`]: any running scoring server (MLflow, Azure ML, Databricks) at a URL.
//!
//! Each backend takes the request body the Test tab built (MLflow's `/invocations` JSON) and
//! returns a [`Reply`]: the predictions, or the rejection as the server phrased it.

pub mod answer;
pub mod graph;
pub mod http;
pub mod local;
pub mod onnx;
mod onnx_io;
pub mod onnxruntime;
pub mod python;
pub mod response;
pub mod tract_fixes;

use std::path::PathBuf;
use std::time::Duration;

pub use response::{Rejection, Reply};

/// Why a prediction could not be made at all (as opposed to a [`Rejection`], which is the
/// server's answer to a bad request).
#[derive(Debug, thiserror::Error)]
pub enum PredictError {
    /// The ONNX file could not be read or prepared by tract.
    #[error("{path}: {message}")]
    Onnx {
        /// The .onnx file.
        path: PathBuf,
        /// What went wrong, naming the operator where tract lacks one.
        message: String,
    },
    /// The graph uses an operator tract does not implement: MLflow's own server (with
    /// onnxruntime) can still run it.
    #[error(
        "{path}: tract cannot run the ONNX operator {op} ({detail}); predict with the MLflow (local) backend instead"
    )]
    UnsupportedOp {
        /// The .onnx file.
        path: PathBuf,
        /// The operator, as tract names it (`Frobnicate`).
        op: String,
        /// tract's whole error chain.
        detail: String,
    },
    /// The model has no flavor this backend can run.
    #[error("{0}")]
    NotRunnable(String),
    /// No Python interpreter was found, or the one chosen cannot serve models.
    #[error("{0}")]
    Python(String),
    /// The scoring server did not come up.
    #[error("{0}")]
    ServerStart(String),
    /// The scoring server stopped before it was ready: the cause from its output, and the fix.
    #[error("MLflow's scoring server for {} could not load the model: {cause}{}", .folder.display(), if .fix.is_empty() { String::new() } else { format!(". To fix it, {}", .fix) })]
    ServerFailed {
        /// The model folder.
        folder: PathBuf,
        /// The first meaningful error in its output.
        cause: String,
        /// What to do about it.
        fix: String,
    },
    /// The server could not be reached, or the connection broke.
    #[error("{url}: {message}")]
    Connection {
        /// The URL called.
        url: String,
        /// What happened.
        message: String,
    },
    /// The answer is more than this app reads at once (its size, or the values it holds):
    /// fewer rows at once may do.
    #[error("{url}: {message}")]
    TooLarge {
        /// The URL called.
        url: String,
        /// What is too large, and the limit.
        message: String,
    },
    /// No answer within the time allowed.
    #[error("{url}: no answer after {} s; the server may be hung or the model slow ({})", .after.as_secs(), crate::text::FrontEnd::says("raise the timeout in the backend settings", "raise it with --timeout SECONDS"))]
    Timeout {
        /// The URL called.
        url: String,
        /// The time waited.
        after: Duration,
    },
    /// The server answered something that is not JSON.
    #[error("{url} answered HTTP {status} with a body that is not JSON ({error}): {snippet}")]
    InvalidResponse {
        /// The URL called.
        url: String,
        /// HTTP status.
        status: u16,
        /// The JSON parser's message.
        error: String,
        /// The start of the body.
        snippet: String,
    },
    /// The user pressed Cancel.
    #[error("cancelled")]
    Cancelled,
}

/// Which backend runs a prediction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendChoice {
    /// In-process ONNX with tract.
    Onnx,
    /// In-process ONNX on the user's ONNX Runtime library; tract answers (with a note saying
    /// why) when no library can be loaded.
    OnnxRuntime,
    /// MLflow's scoring server started for the folder.
    Local,
    /// A running endpoint.
    Url(String),
}

impl BackendChoice {
    /// Reads the command line's `--backend` value: `auto`, `onnxruntime` (`ort`), `onnx`
    /// (`tract`), `local` or a URL. `auto` is onnxruntime for models with the onnx flavor
    /// (tract where no ONNX Runtime library is found); it never starts a model's own code: for
    /// any other model it asks for consent (`--backend local`) or an endpoint.
    pub fn parse(text: &str, has_onnx: bool) -> Result<Self, String> {
        match text {
            "auto" if has_onnx => Ok(Self::OnnxRuntime),
            "auto" => Err("this model runs its own Python code (it has no onnx flavor to run in-process), and `--backend auto` never starts a model's code. To run it, pass --backend local (MLflow's scoring server for this folder with your Python: this runs the model's code, so only for a model you trust) or --backend URL for an endpoint that serves it".into()),
            "onnx" | "tract" => Ok(Self::Onnx),
            "onnxruntime" | "ort" => Ok(Self::OnnxRuntime),
            "local" => Ok(Self::Local),
            url if url.starts_with("http://") || url.starts_with("https://") => {
                Ok(Self::Url(url.to_string()))
            }
            other => Err(format!(
                "--backend {other:?}: expected auto, onnxruntime, onnx (tract), local or an http(s):// URL"
            )),
        }
    }

    /// A short name for the history and the status line.
    pub fn label(&self) -> String {
        match self {
            Self::Onnx => "ONNX (tract)".into(),
            Self::OnnxRuntime => "ONNX Runtime (in-process)".into(),
            Self::Local => "MLflow (local)".into(),
            Self::Url(url) => url.clone(),
        }
    }
}

/// One finished call: what came back, how long it took, and whether a server or a plan had
/// to be made first.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The answer.
    pub reply: Reply,
    /// Time of the call itself (the request sent and the answer read; for ONNX, the run).
    pub latency: Duration,
    /// Time spent before the call making the backend ready (server start, plan optimisation);
    /// zero when it was warm.
    pub startup: Duration,
    /// The runtime that answered, with its version, for the in-process backends
    /// (`onnxruntime 1.32.0 (CPUExecutionProvider)`, `tract 0.23.9`).
    pub runtime: Option<String>,
    /// Something the user should know about this call: ONNX Runtime was asked for but could
    /// not be loaded, so tract answered (the reason, naming the library).
    pub note: Option<String>,
}

impl Outcome {
    /// Whether the backend had to start for this call.
    pub fn cold(&self) -> bool {
        !self.startup.is_zero()
    }
}

/// Settings for the backends, as the GUI's backend settings or the command line's flags give
/// them.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct BackendSettings {
    /// A Python chosen by the user (empty: find one).
    pub python: Option<PathBuf>,
    /// The ONNX Runtime library to load (empty: `ORT_DYLIB_PATH`, the Python's onnxruntime
    /// package, the system's).
    pub ort_lib: Option<PathBuf>,
    /// `--env-manager` for the local server.
    pub env_manager: local::EnvManager,
    /// A fixed port for the local server (`None`: a free one).
    pub port: Option<u16>,
    /// Seconds a prediction may take.
    pub timeout_s: u64,
    /// Extra headers for endpoint URLs (`K: V`).
    pub headers: Vec<(String, String)>,
}

impl Default for BackendSettings {
    fn default() -> Self {
        Self {
            python: None,
            ort_lib: None,
            env_manager: local::EnvManager::Local,
            port: None,
            timeout_s: 60,
            headers: Vec::new(),
        }
    }
}

impl BackendSettings {
    /// The timeout as a duration.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_s.max(1))
    }
}

/// Parses a `K: V` header line.
pub fn parse_header(line: &str) -> Result<(String, String), String> {
    let (k, v) = line
        .split_once(':')
        .ok_or_else(|| format!("header {line:?}: expected 'Name: value'"))?;
    let (k, v) = (k.trim(), v.trim());
    if k.is_empty() || k.contains(char::is_whitespace) {
        return Err(format!("header {line:?}: the name is empty or has spaces"));
    }
    Ok((k.to_string(), v.to_string()))
}

/// What an ONNX Runtime library was looked up with: the library given, the Python.
type OrtLookup = (Option<PathBuf>, Option<PathBuf>);

/// The backends of one open model, kept warm between predictions: the ONNX plan and the local
/// server. Dropping it stops the server.
pub struct Runner {
    card: std::sync::Arc<crate::model::ModelCard>,
    onnx: Option<onnx::OnnxBackend>,
    ort: Option<onnxruntime::OrtBackend>,
    /// Why no ONNX Runtime could be loaded, for the library and Python settings it was looked
    /// up with (a changed setting looks again).
    ort_unavailable: Option<(OrtLookup, String)>,
    server: Option<local::LocalServer>,
    server_settings: Option<BackendSettings>,
    log: std::sync::Arc<local::Log>,
    server_pid: std::sync::Arc<std::sync::atomic::AtomicU32>,
    /// What the last check of the Python found to differ from the model's environment.
    pub mismatches: Vec<python::Mismatch>,
    /// The Python that serves the model, once checked.
    pub python: Option<python::PythonInfo>,
    /// For a model on a tracking server: its mirror, completed before a backend reads it.
    remote: Option<crate::source::RemoteModel>,
    /// Progress of that download (shared with the UI).
    fetch: std::sync::Arc<crate::source::Progress>,
    /// The endpoint of the last URL predict, kept for its open connection.
    endpoint: Option<http::Endpoint>,
}

impl std::fmt::Debug for Runner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runner")
            .field("model", &self.card.root)
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

impl Runner {
    /// A runner for a model; nothing starts until the first predict.
    pub fn new(card: std::sync::Arc<crate::model::ModelCard>) -> Self {
        Self {
            card,
            onnx: None,
            ort: None,
            ort_unavailable: None,
            server: None,
            server_settings: None,
            log: std::sync::Arc::new(local::Log::default()),
            server_pid: std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0)),
            mismatches: Vec::new(),
            python: None,
            remote: None,
            fetch: std::sync::Arc::new(crate::source::Progress::default()),
            endpoint: None,
        }
    }

    /// Marks the model as mirrored from a tracking server: its files are fetched before the
    /// ONNX or local backend first reads them.
    pub fn set_remote(&mut self, remote: crate::source::RemoteModel) {
        self.remote = Some(remote);
    }

    /// Progress of fetching a remote model's files (shared; Cancel sets its flag).
    pub fn fetch_progress(&self) -> std::sync::Arc<crate::source::Progress> {
        self.fetch.clone()
    }

    /// Fetches every file a remote model still lacks (for the scan, before a trust question),
    /// with the shared progress and `cancel`; the remote model as it stands after.
    pub fn fetch_all(
        &mut self,
        cancel: &std::sync::atomic::AtomicBool,
    ) -> Result<Option<crate::source::RemoteModel>, PredictError> {
        self.complete_remote(cancel, None)?;
        Ok(self.remote.clone())
    }

    /// Fetches what a remote model still lacks (`only` these files, relative to the model
    /// folder, when given); returns the time it took (zero when nothing was missing, so a warm
    /// call stays warm).
    fn complete_remote(
        &mut self,
        cancel: &std::sync::atomic::AtomicBool,
        only: Option<&[String]>,
    ) -> Result<Duration, PredictError> {
        use std::sync::atomic::Ordering;
        let shared = self.fetch.clone();
        let Some(remote) = self.remote.as_mut() else {
            return Ok(Duration::ZERO);
        };
        if !remote.lacks(only) {
            return Ok(Duration::ZERO);
        }
        let started = std::time::Instant::now();
        shared.cancel.store(false, Ordering::Relaxed);
        shared.done.store(0, Ordering::Relaxed);
        shared.total.store(0, Ordering::Relaxed);
        let finished = std::sync::atomic::AtomicBool::new(false);
        let result = std::thread::scope(|scope| {
            // The caller's cancel flag (the predict's Cancel) stops the download too.
            scope.spawn(|| {
                while !finished.load(Ordering::Relaxed) {
                    if cancel.load(Ordering::Relaxed) {
                        shared.cancel.store(true, Ordering::Relaxed);
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            });
            let r = remote.fetch(only, &shared);
            finished.store(true, Ordering::Relaxed);
            r
        });
        result.map(|()| started.elapsed()).map_err(|e| match e {
            crate::source::SourceError::Cancelled => PredictError::Cancelled,
            other => PredictError::NotRunnable(format!(
                "cannot fetch the model's files from the tracking server: {other}"
            )),
        })
    }

    /// The local server's output (shared; read it while a predict runs).
    pub fn log(&self) -> std::sync::Arc<local::Log> {
        self.log.clone()
    }

    /// The running server's process group id, 0 when none (shared; lets the UI stop a hung
    /// server without waiting for the predict to return).
    pub fn server_pid(&self) -> std::sync::Arc<std::sync::atomic::AtomicU32> {
        self.server_pid.clone()
    }

    /// Whether the local server is up.
    pub fn server_running(&mut self) -> bool {
        self.server.as_mut().is_some_and(local::LocalServer::alive)
    }

    /// The local server's port and MLflow version, while it runs.
    pub fn server_info(&self) -> Option<(u16, Option<String>)> {
        self.server.as_ref().map(|s| (s.port(), s.version.clone()))
    }

    /// The model this runner serves.
    pub fn card(&self) -> &crate::model::ModelCard {
        &self.card
    }

    /// Stops the local server, if any (without waiting for it to go).
    pub fn stop_server(&mut self) {
        if let Some(mut server) = self.server.take() {
            server.stop();
        }
        self.server_pid
            .store(0, std::sync::atomic::Ordering::Relaxed);
    }

    /// Sends a request to the chosen backend. It should have passed
    /// [`crate::input::validate::validate`] first (MLflow's own checks).
    pub fn predict(
        &mut self,
        choice: &BackendChoice,
        settings: &BackendSettings,
        request: &crate::input::request::Request,
        cancel: &std::sync::atomic::AtomicBool,
    ) -> Result<Outcome, PredictError> {
        match choice {
            BackendChoice::OnnxRuntime => {
                let mut startup = Duration::ZERO;
                let asked = (settings.ort_lib.clone(), settings.python.clone());
                let looked = self
                    .ort_unavailable
                    .as_ref()
                    .is_some_and(|(key, _)| *key == asked);
                if self.ort.is_none() && !looked {
                    let started = std::time::Instant::now();
                    match onnxruntime::ensure(
                        settings.ort_lib.as_deref(),
                        settings.python.as_deref(),
                    ) {
                        Ok(_) => {
                            let card = self.card.clone();
                            let backend = onnxruntime::OrtBackend::load_with(&card, |files| {
                                self.complete_remote(cancel, Some(files)).map(|_| ())
                            })?;
                            self.ort = Some(backend);
                            self.ort_unavailable = None;
                        }
                        Err(why) => self.ort_unavailable = Some((asked, why.0)),
                    }
                    startup += started.elapsed();
                }
                if let Some(backend) = &self.ort {
                    let mut outcome = backend.predict(request)?;
                    outcome.startup += startup;
                    return Ok(outcome);
                }
                let why = self
                    .ort_unavailable
                    .as_ref()
                    .map(|(_, why)| why.clone())
                    .unwrap_or_default();
                let mut outcome = self.predict(&BackendChoice::Onnx, settings, request, cancel)?;
                outcome.startup += startup;
                outcome.note = Some(format!("ONNX Runtime unavailable: {why}; tract answered"));
                Ok(outcome)
            }
            BackendChoice::Onnx => {
                let mut startup = Duration::ZERO;
                if self.onnx.is_none() {
                    let started = std::time::Instant::now();
                    // A remote model's .onnx file is fetched first, then the external data
                    // files it names (MLmodel does not list them).
                    let card = self.card.clone();
                    let backend = onnx::OnnxBackend::load_with(&card, |files| {
                        self.complete_remote(cancel, Some(files)).map(|_| ())
                    })?;
                    self.onnx = Some(backend);
                    startup += started.elapsed();
                }
                let backend = self.onnx.as_ref().ok_or_else(|| {
                    PredictError::NotRunnable("the ONNX model is not loaded".into())
                })?;
                let mut outcome = backend.predict(request)?;
                outcome.startup += startup;
                Ok(outcome)
            }
            BackendChoice::Url(url) => {
                let url = http::normalize_url(url);
                let kept = self.endpoint.as_ref().is_some_and(|e| {
                    e.url == url && e.headers == settings.headers && e.timeout == settings.timeout()
                });
                if !kept {
                    let mut endpoint = http::Endpoint::new(&url);
                    endpoint.headers = settings.headers.clone();
                    endpoint.timeout = settings.timeout();
                    self.endpoint = Some(endpoint);
                }
                match &self.endpoint {
                    Some(endpoint) => endpoint.predict_cancellable(request, cancel),
                    None => Err(PredictError::NotRunnable(format!("{url}: no endpoint"))),
                }
            }
            BackendChoice::Local => {
                let mut startup = Duration::ZERO;
                let stale = self.server_settings.as_ref().is_some_and(|s| {
                    s.python != settings.python
                        || s.env_manager != settings.env_manager
                        || s.port != settings.port
                        || s.timeout_s != settings.timeout_s
                });
                local::servable(&self.card).map_err(PredictError::NotRunnable)?;
                let fetched = self.complete_remote(cancel, None)?;
                if stale || !self.server_running() {
                    if self.server.is_some() {
                        self.log.push(if stale {
                            "[inspector] settings changed: restarting the server"
                        } else {
                            "[inspector] the server is gone: starting it again"
                        });
                    }
                    self.stop_server();
                    let started = std::time::Instant::now();
                    let choice = python::find(settings.python.as_deref());
                    let (info, mismatches) =
                        python::check_for_serving(choice.as_ref(), &self.card)?;
                    self.mismatches = mismatches;
                    let options = local::ServeOptions {
                        python: info.path.clone(),
                        env_manager: settings.env_manager,
                        port: settings.port,
                        request_timeout: settings.timeout(),
                    };
                    let mlflow_here = info.mlflow().unwrap_or("?").to_string();
                    self.python = Some(info);
                    let server = local::LocalServer::start(
                        &self.card.root,
                        &options,
                        self.log.clone(),
                        cancel,
                    )
                    .map_err(|e| match e {
                        PredictError::ServerFailed { folder, cause, .. } => {
                            // A flavor module MLflow no longer has: the model's own MLflow
                            // version is part of the fix.
                            let mut mismatches = self.mismatches.clone();
                            if cause.contains("No module named 'mlflow.")
                                && !mismatches.iter().any(|m| m.what == "mlflow")
                            {
                                // The version it was saved with; unknown, an MLflow before
                                // this one's major version.
                                let saved =
                                    self.card.mlmodel.mlflow_version.clone().unwrap_or_else(|| {
                                        let major = mlflow_here.split('.').next().unwrap_or("3");
                                        format!("<{major}")
                                    });
                                mismatches.insert(
                                    0,
                                    python::Mismatch {
                                        what: "mlflow".into(),
                                        model: saved,
                                        here: mlflow_here.clone(),
                                    },
                                );
                            }
                            PredictError::ServerFailed {
                                fix: python::environment_fix(&options.python, &mismatches),
                                folder,
                                cause,
                            }
                        }
                        other => other,
                    })?;
                    self.server_pid
                        .store(server.pid(), std::sync::atomic::Ordering::Relaxed);
                    self.server = Some(server);
                    self.server_settings = Some(settings.clone());
                    startup = started.elapsed();
                }
                let server = self
                    .server
                    .as_mut()
                    .ok_or_else(|| PredictError::ServerStart("the server is not running".into()))?;
                let result = server.predict(request, cancel);
                if result.is_err() && !server.alive() {
                    self.stop_server();
                }
                let mut outcome = result?;
                outcome.startup = startup + fetched;
                Ok(outcome)
            }
        }
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        self.stop_server();
    }
}

/// Stops a server by its process group id without holding the runner (for Cancel on a hung
/// request: the predict then fails at once and the next one starts a new server).
pub fn kill_server_group(pid: u32) {
    #[cfg(unix)]
    if let Ok(pgid) = i32::try_from(pid)
        && pgid > 0
    {
        // SAFETY: kill(2) on the process group of a server this app started.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
    }
}
