//! ONNX Runtime in-process: models with the `onnx` flavor run on the ONNX Runtime library the
//! user already has (the one inside the chosen Python's `onnxruntime` package,
//! `ORT_DYLIB_PATH`, or the system's), loaded at run time through the `ort` crate. It is the
//! runtime MLflow's onnx flavor itself uses, so the numbers are MLflow's, with no Python and
//! no server.
//!
//! The library is found by [`discover`], loaded once per process by [`load`] (ONNX Runtime
//! cannot be unloaded: a second library is never loaded beside the first), and each model gets
//! an [`OrtBackend`] with MLflow's own session options and providers from the flavor.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ort::session::Session;
use ort::session::builder::{GraphOptimizationLevel, SessionBuilder};
use ort::value::{DynValue, TensorElementType, TensorRef, ValueType};
use serde_json::{Map, Value};
use tract_onnx::prelude::{Datum, IntoTValue, TValue, TVec, Tensor, f16, tvec};

use super::onnx::{GraphInput, answer};
use super::onnx_io::{float_json, has_non_finite, tensor_to_json};
use super::{Outcome, PredictError};
use crate::input::request::Request;
use crate::model::ModelCard;

/// The environment variable that names the ONNX Runtime library to load (as `ort` reads it).
pub const DYLIB_ENV_VAR: &str = "ORT_DYLIB_PATH";

/// The oldest ONNX Runtime the `ort` crate can drive (1.17: its API version).
pub const MIN_MINOR: u32 = ort::MINOR_VERSION;

/// Where a library was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// Named by the user (`--ort-lib`, the backend settings).
    Given,
    /// `ORT_DYLIB_PATH`.
    EnvVar,
    /// Inside this Python's `onnxruntime` package.
    Python(PathBuf),
    /// The system's (`libonnxruntime.so` on the loader's path).
    System,
}

impl Found {
    /// Words for the UI: "from ORT_DYLIB_PATH", "in /venv/bin/python's onnxruntime".
    pub fn label(&self) -> String {
        match self {
            Self::Given => "as given".into(),
            Self::EnvVar => format!("from {DYLIB_ENV_VAR}"),
            Self::Python(p) => format!("in {}'s onnxruntime package", p.display()),
            Self::System => "the system's".into(),
        }
    }
}

/// An ONNX Runtime library on disk, not yet loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The shared library (absolute, or a bare name for the loader to search).
    pub path: PathBuf,
    /// Where it was found.
    pub found: Found,
}

/// The loaded library: its path and version (the process keeps it until it exits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    /// The shared library.
    pub path: PathBuf,
    /// Its version (`1.32.0`).
    pub version: String,
    /// Where it was found.
    pub found: Found,
}

/// Why no ONNX Runtime could be used, in one sentence naming the path (and version) concerned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unavailable(pub String);

struct Runtime {
    loaded: Loaded,
    env: ort::environment::Environment,
}

/// The one library this process loaded (`None` until a load succeeds).
static RUNTIME: Mutex<Option<Runtime>> = Mutex::new(None);

/// The file names ONNX Runtime's main library has here (`libonnxruntime.so.1.32.0`,
/// `libonnxruntime.1.32.0.dylib`, `onnxruntime.dll`), not its provider libraries.
fn is_library_name(name: &str) -> bool {
    let prefix = format!("{}onnxruntime", std::env::consts::DLL_PREFIX);
    name.starts_with(&prefix)
        && name.contains(std::env::consts::DLL_SUFFIX)
        && !name.contains("providers")
        && name[prefix.len()..]
            .chars()
            .next()
            .is_some_and(|c| c == '.')
}

/// The main library inside an `onnxruntime` package folder (`.../onnxruntime`), the one with
/// the longest name (the versioned file, not a link to it) first.
fn library_in_package(package: &Path) -> Option<PathBuf> {
    let capi = package.join("capi");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&capi)
        .ok()?
        .filter_map(Result::ok)
        .filter(|e| is_library_name(&e.file_name().to_string_lossy()))
        .map(|e| e.path())
        .take(64)
        .collect();
    found.sort_by_key(|p| std::cmp::Reverse(p.as_os_str().len()));
    found.into_iter().next()
}

/// The `onnxruntime` package under a Python prefix (`<prefix>/lib/python3.X/site-packages`,
/// `dist-packages`, or Windows' `<prefix>/Lib/site-packages`).
fn package_under_prefix(prefix: &Path) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = vec![prefix.join("Lib").join("site-packages")];
    for lib in ["lib", "lib64"] {
        if let Ok(entries) = std::fs::read_dir(prefix.join(lib)) {
            for e in entries.filter_map(Result::ok).take(256) {
                if e.file_name().to_string_lossy().starts_with("python3") {
                    dirs.push(e.path().join("site-packages"));
                    dirs.push(e.path().join("dist-packages"));
                }
            }
        }
    }
    dirs.into_iter()
        .map(|d| d.join("onnxruntime"))
        .find(|p| p.join("capi").is_dir())
}

/// The `onnxruntime` package folder as the Python itself locates it (`find_spec`, which
/// imports nothing), within 20 s.
fn package_from_python(python: &Path) -> Option<PathBuf> {
    const ASK: &str = "import importlib.util as u\ns = u.find_spec('onnxruntime')\nprint(list(s.submodule_search_locations)[0] if s and s.submodule_search_locations else '')";
    let child = Command::new(python)
        .arg("-c")
        .arg(ASK)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let output = super::python::wait_at_most(child, Duration::from_secs(20))
        .ok()
        .flatten()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text.lines().next()?.trim();
    (!line.is_empty()).then(|| PathBuf::from(line))
}

/// The library inside a Python's `onnxruntime` package: looked up under the interpreter's
/// prefix (the venv's, then the real one's), else asked of the interpreter.
fn library_for_python(python: &Path) -> Option<PathBuf> {
    let mut prefixes = Vec::new();
    if let Some(prefix) = python.parent().and_then(Path::parent) {
        prefixes.push(prefix.to_path_buf());
    }
    if let Ok(real) = python.canonicalize()
        && let Some(prefix) = real.parent().and_then(Path::parent)
    {
        prefixes.push(prefix.to_path_buf());
    }
    prefixes
        .iter()
        .find_map(|p| package_under_prefix(p).and_then(|pkg| library_in_package(&pkg)))
        .or_else(|| package_from_python(python).and_then(|pkg| library_in_package(&pkg)))
}

/// The system's library: in the usual library folders, else the bare name for the loader.
fn system_library() -> Option<PathBuf> {
    let name = format!(
        "{}onnxruntime{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    );
    for dir in [
        "/usr/local/lib",
        "/usr/lib",
        "/usr/lib64",
        "/usr/lib/x86_64-linux-gnu",
        "/usr/lib/aarch64-linux-gnu",
        "/opt/homebrew/lib",
    ] {
        let p = Path::new(dir).join(&name);
        if p.is_file() {
            return Some(p);
        }
    }
    None
}

/// Finds the ONNX Runtime library to use: the one `given` (`--ort-lib`), else
/// `ORT_DYLIB_PATH` when set, else the one inside the chosen Python's `onnxruntime` package
/// (the same Python the local backend would use), else the system's. Reads folders (and may
/// ask the Python where its package is); loads nothing.
pub fn discover(given: Option<&Path>, python: Option<&Path>) -> Result<Candidate, Unavailable> {
    if let Some(p) = given {
        return Ok(Candidate {
            path: p.to_path_buf(),
            found: Found::Given,
        });
    }
    if let Some(p) = std::env::var_os(DYLIB_ENV_VAR).filter(|v| !v.is_empty()) {
        return Ok(Candidate {
            path: PathBuf::from(p),
            found: Found::EnvVar,
        });
    }
    let choice = super::python::find(python);
    if let Some(choice) = &choice
        && let Some(path) = library_for_python(&choice.path)
    {
        return Ok(Candidate {
            path,
            found: Found::Python(choice.path.clone()),
        });
    }
    if let Some(path) = system_library() {
        return Ok(Candidate {
            path,
            found: Found::System,
        });
    }
    let python_part = match &choice {
        Some(c) => format!(
            "{} has no onnxruntime package (pip install onnxruntime)",
            c.path.display()
        ),
        None => "no Python was found to look in".into(),
    };
    Err(Unavailable(format!(
        "no ONNX Runtime library: {DYLIB_ENV_VAR} is unset, {python_part}, and the system has no {}onnxruntime{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    )))
}

/// The version a library reports in its build info (`git-branch=rel-1.32.0`), else the one in
/// its file name (`libonnxruntime.so.1.32.0`).
fn version_of(path: &Path, info: &str) -> String {
    let from_info = info.split([',', ' ']).find_map(|part| {
        part.trim()
            .strip_prefix("git-branch=rel-")
            .map(str::to_string)
    });
    let from_name = || {
        let name = path.file_name()?.to_string_lossy().into_owned();
        let digits: Vec<&str> = name
            .split('.')
            .filter(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
            .collect();
        (digits.len() >= 2).then(|| digits.join("."))
    };
    from_info
        .or_else(from_name)
        .unwrap_or_else(|| "(version unknown)".into())
}

/// Loads the library (once per process): the library already loaded when there is one, else
/// the candidate. A library that will not load, lacks ONNX Runtime's API, or is older than
/// 1.17 gives the reason, naming its path and version.
pub fn load(candidate: &Candidate) -> Result<Loaded, Unavailable> {
    let mut runtime = RUNTIME
        .lock()
        .map_err(|_| Unavailable("ONNX Runtime's loader failed earlier in this process".into()))?;
    if let Some(r) = runtime.as_ref() {
        return Ok(r.loaded.clone());
    }
    let path = &candidate.path;
    let shown = format!("{} ({})", path.display(), candidate.found.label());
    let builder = ort::init_from(path).map_err(|e| {
        Unavailable(match e {
            ort::LoadDynamicError::Dlopen { error, .. } => {
                // libloading says "dlopen failed"; the loader's own words are its source.
                let why = std::error::Error::source(&error)
                    .map_or_else(|| error.to_string(), |s| format!("{error}: {s}"));
                format!("cannot load ONNX Runtime from {shown}: {why}")
            }
            ort::LoadDynamicError::MissingApi { .. } => format!(
                "{shown} is not an ONNX Runtime library (it has no OrtGetApiBase)"
            ),
            ort::LoadDynamicError::InvalidVersionString => {
                format!("{shown}: the library reports no readable version")
            }
            ort::LoadDynamicError::BadVersion { version_str, .. } => format!(
                "{shown} is ONNX Runtime {version_str}; this app needs 1.{MIN_MINOR} or newer (pip install -U onnxruntime)"
            ),
        })
    })?;
    // Telemetry off, as the app turns MLflow's off for the servers it starts.
    let env = builder
        .with_name("mlmodel-inspector")
        .with_telemetry(false)
        .build()
        .map_err(|e| {
            Unavailable(format!(
                "{shown}: cannot create ONNX Runtime's environment: {e}"
            ))
        })?;
    let loaded = Loaded {
        path: path.clone(),
        version: version_of(path, ort::info()),
        found: candidate.found.clone(),
    };
    *runtime = Some(Runtime {
        loaded: loaded.clone(),
        env,
    });
    Ok(loaded)
}

/// The library this process has loaded, if any (loads nothing).
pub fn loaded() -> Option<Loaded> {
    RUNTIME
        .lock()
        .ok()
        .and_then(|r| r.as_ref().map(|r| r.loaded.clone()))
}

/// Finds and loads the library for this Python ([`discover`] then [`load`]); once a library is
/// loaded it is the one used, whatever the Python.
pub fn ensure(given: Option<&Path>, python: Option<&Path>) -> Result<Loaded, Unavailable> {
    if let Some(l) = loaded() {
        return Ok(l);
    }
    load(&discover(given, python)?)
}

/// The session options MLflow's onnx flavor applies from `onnx_session_options`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionOptions {
    /// `inter_op_num_threads` (0 or absent: ONNX Runtime's default).
    pub inter_op_num_threads: usize,
    /// `intra_op_num_threads`.
    pub intra_op_num_threads: usize,
    /// `execution_mode`: `Some(true)` for PARALLEL, `Some(false)` for SEQUENTIAL.
    pub parallel: Option<bool>,
    /// `graph_optimization_level` (0, 1, 2, 3 or 99).
    pub graph_optimization_level: Option<i64>,
    /// `extra_session_config` entries.
    pub extra: Vec<(String, String)>,
}

impl SessionOptions {
    /// Reads the flavor's `onnx_session_options` as MLflow does (falsy values ignored).
    pub fn from_flavor(config: &Map<String, Value>) -> Result<Self, String> {
        let mut out = Self::default();
        let Some(options) = config.get("onnx_session_options") else {
            return Ok(out);
        };
        let Some(options) = options.as_object() else {
            return Ok(out);
        };
        let threads = |key: &str| -> Result<usize, String> {
            match options.get(key) {
                None | Some(Value::Null) => Ok(0),
                Some(v) => v
                    .as_u64()
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or_else(|| {
                        format!("onnx_session_options.{key} is {v}, not a thread count")
                    }),
            }
        };
        out.inter_op_num_threads = threads("inter_op_num_threads")?;
        out.intra_op_num_threads = threads("intra_op_num_threads")?;
        if let Some(mode) = options.get("execution_mode").and_then(Value::as_str) {
            match mode.to_uppercase().as_str() {
                "SEQUENTIAL" => out.parallel = Some(false),
                "PARALLEL" => out.parallel = Some(true),
                _ => {}
            }
        }
        match options.get("graph_optimization_level") {
            None | Some(Value::Null) => {}
            Some(v) => match v.as_i64() {
                Some(0) => {}
                Some(n @ (1 | 2 | 3 | 99)) => out.graph_optimization_level = Some(n),
                _ => {
                    return Err(format!(
                        "onnx_session_options.graph_optimization_level is {v}: {v} is not a valid GraphOptimizationLevel (0, 1, 2, 3 or 99)"
                    ));
                }
            },
        }
        if let Some(Value::Object(extra)) = options.get("extra_session_config") {
            for (k, v) in extra {
                let v = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                out.extra.push((k.clone(), v));
            }
        }
        Ok(out)
    }
}

/// The execution providers the flavor lists, by name, as MLflow reads them: absent, null or
/// empty is `[CUDAExecutionProvider, CPUExecutionProvider]`, a string is a list of one, and a
/// `[name, {options}]` entry is its name.
pub fn flavor_providers(config: &Map<String, Value>) -> Vec<String> {
    let default = || {
        vec![
            "CUDAExecutionProvider".to_string(),
            "CPUExecutionProvider".to_string(),
        ]
    };
    match config.get("providers") {
        Some(Value::String(s)) if !s.is_empty() => vec![s.clone()],
        Some(Value::Array(list)) if !list.is_empty() => list
            .iter()
            .filter_map(|p| match p {
                Value::String(s) => Some(s.clone()),
                Value::Array(pair) => pair.first().and_then(Value::as_str).map(str::to_string),
                _ => None,
            })
            .collect(),
        _ => default(),
    }
}

/// Whether this library can run a provider. Only CPU is registered: pip's onnxruntime wheel
/// (the library found first) has no GPU provider, and a CUDA build would need its provider
/// libraries beside it.
fn provider_available(name: &str) -> bool {
    name == "CPUExecutionProvider"
}

/// The providers that will run: the listed ones this library has, in order, else CPU (as
/// MLflow does); and the listed ones it lacks.
pub fn usable_providers(listed: &[String]) -> (Vec<String>, Vec<String>) {
    let (usable, missing): (Vec<String>, Vec<String>) =
        listed.iter().cloned().partition(|p| provider_available(p));
    if usable.is_empty() {
        (vec!["CPUExecutionProvider".into()], missing)
    } else {
        (usable, missing)
    }
}

/// A model loaded into an ONNX Runtime session, kept warm.
pub struct OrtBackend {
    path: PathBuf,
    inputs: Vec<GraphInput>,
    outputs: Vec<String>,
    session: Mutex<Session>,
    tensor_signature: bool,
    label: String,
    note: Option<String>,
}

impl std::fmt::Debug for OrtBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrtBackend")
            .field("path", &self.path)
            .field("runtime", &self.label)
            .finish_non_exhaustive()
    }
}

fn ort_error(path: &Path, what: &str, e: impl std::fmt::Display) -> PredictError {
    PredictError::Onnx {
        path: path.to_path_buf(),
        message: format!("ONNX Runtime {what}: {e}"),
    }
}

impl OrtBackend {
    /// Loads the model's .onnx file into a session on the loaded library (see [`ensure`]),
    /// with the flavor's session options and providers; `fetch` is called with the .onnx
    /// file, then with the external data files it names, before each is read (a model
    /// mirrored from a tracking server).
    pub fn load_with(
        card: &ModelCard,
        mut fetch: impl FnMut(&[String]) -> Result<(), PredictError>,
    ) -> Result<Self, PredictError> {
        // The file, its external weights fetched and checked inside the folder (as for tract).
        let (_, path, proto) = super::onnx::read_model(card, &mut fetch)?;
        let graph = proto.graph.as_ref().ok_or_else(|| PredictError::Onnx {
            path: path.clone(),
            message: "the ONNX file holds no graph".into(),
        })?;
        let (inputs, outputs) = super::onnx::graph_io(graph);
        drop(proto);
        let config = card
            .flavors
            .iter()
            .find(|f| f.name == "onnx")
            .map(|f| f.config.clone())
            .unwrap_or_default();
        let options = SessionOptions::from_flavor(&config).map_err(|m| PredictError::Onnx {
            path: card.root.join("MLmodel"),
            message: m,
        })?;
        let (usable, missing) = usable_providers(&flavor_providers(&config));
        // MLflow's default list starts with CUDA: its absence on a CPU machine is the usual
        // case (the label names the provider that ran); any other missing one is told.
        let note = missing
            .iter()
            .any(|m| m != "CUDAExecutionProvider")
            .then(|| {
                format!(
                    "the model lists {} which this ONNX Runtime lacks; ran with {}",
                    missing.join(", "),
                    usable.join(", ")
                )
            });
        let session = Self::session(&path, &options, &usable)?;
        let loaded = loaded().map(|l| l.version).unwrap_or_default();
        Ok(Self {
            path,
            inputs,
            outputs,
            session: Mutex::new(session),
            tensor_signature: super::onnx::tensor_signature(card),
            label: format!("onnxruntime {loaded} ({})", usable.join(", ")),
            note,
        })
    }

    fn session(
        path: &Path,
        options: &SessionOptions,
        providers: &[String],
    ) -> Result<Session, PredictError> {
        let guard = RUNTIME.lock().map_err(|_| PredictError::Onnx {
            path: path.to_path_buf(),
            message: "ONNX Runtime's loader failed earlier in this process".into(),
        })?;
        let runtime = guard.as_ref().ok_or_else(|| PredictError::Onnx {
            path: path.to_path_buf(),
            message: "ONNX Runtime is not loaded".into(),
        })?;
        let fail = |what: &str, e: ort::Error<SessionBuilder>| ort_error(path, what, e);
        let mut builder = Session::builder(&runtime.env)
            .map_err(|e| ort_error(path, "cannot make a session", e))?;
        if options.inter_op_num_threads > 0 {
            builder = builder
                .with_inter_threads(options.inter_op_num_threads)
                .map_err(|e| fail("inter_op_num_threads", e))?;
        }
        if options.intra_op_num_threads > 0 {
            builder = builder
                .with_intra_threads(options.intra_op_num_threads)
                .map_err(|e| fail("intra_op_num_threads", e))?;
        }
        if let Some(parallel) = options.parallel {
            builder = builder
                .with_parallel_execution(parallel)
                .map_err(|e| fail("execution_mode", e))?;
        }
        if let Some(level) = options.graph_optimization_level {
            let level = match level {
                1 => GraphOptimizationLevel::Level1,
                2 => GraphOptimizationLevel::Level2,
                3 => GraphOptimizationLevel::Level3,
                99 => GraphOptimizationLevel::All,
                _ => GraphOptimizationLevel::Disable,
            };
            builder = builder
                .with_optimization_level(level)
                .map_err(|e| fail("graph_optimization_level", e))?;
        }
        for (k, v) in &options.extra {
            builder = builder
                .with_config_entry(k, v)
                .map_err(|e| fail("extra_session_config", e))?;
        }
        let eps: Vec<ort::ep::ExecutionProviderDispatch> = providers
            .iter()
            .filter_map(|p| match p.as_str() {
                // ort's CPU provider turns the memory arena off; Python's (MLflow's) has it
                // on, and without it a batch of 32 images ran 3.7x slower.
                "CPUExecutionProvider" => {
                    Some(ort::ep::CPU::default().with_arena_allocator(true).build())
                }
                _ => None,
            })
            .collect();
        builder = builder
            .with_execution_providers(eps)
            .map_err(|e| fail("providers", e))?;
        builder
            .commit_from_file(path)
            .map_err(|e| ort_error(path, "cannot load the model", e))
    }

    /// The graph's inputs.
    pub fn inputs(&self) -> &[GraphInput] {
        &self.inputs
    }

    /// `onnxruntime 1.32.0 (CPUExecutionProvider)`.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Runs the model on a request, answering as MLflow's onnx flavor does.
    pub fn predict(&self, request: &Request) -> Result<Outcome, PredictError> {
        // The latency counts the request's conversion too, as mlflow.pyfunc's predict does.
        let started = Instant::now();
        let (feeds, frame_request) = feeds(&self.inputs, request);
        let feeds = match feeds {
            Ok(f) => f,
            Err(message) => return Ok(super::onnx::refused(message)),
        };
        let mut values: Vec<(String, ort::session::SessionInputValue<'_>)> = Vec::new();
        for (input, feed) in self.inputs.iter().zip(&feeds) {
            let value = match feed {
                Feed::Lent(t) => lend(input, t),
                Feed::Made(t) => to_ort(t),
            }
            .map_err(|m| ort_error(&self.path, &format!("input {}", input.name), m))?;
            values.push((input.name.clone(), value));
        }
        let mut session = self.session.lock().map_err(|_| PredictError::Onnx {
            path: self.path.clone(),
            message: "an earlier run of this session failed".into(),
        })?;
        let results = session
            .run(values)
            .map_err(|e| ort_error(&self.path, "run failed", e))?;
        let mut outputs = Map::new();
        let mut tensors: TVec<TValue> = tvec![];
        for name in &self.outputs {
            let value = results
                .get(name)
                .ok_or_else(|| ort_error(&self.path, "run", format!("no output named {name:?}")))?;
            let json = match output_json(value) {
                Ok(Output::Tensor(t)) => {
                    let json = tensor_to_json(&t);
                    tensors.push(t.into_tvalue());
                    json
                }
                Ok(Output::Json(v)) => Ok(v),
                Err(e) => Err(e),
            }
            .map_err(|e| ort_error(&self.path, &format!("output {name}"), e))?;
            outputs.insert(name.clone(), json);
        }
        drop(results);
        drop(session);
        let mut outcome = answer(
            outputs,
            frame_request && !self.tensor_signature,
            has_non_finite(&tensors),
            started,
        );
        outcome.runtime = Some(self.label.clone());
        outcome.note = self.note.clone();
        Ok(outcome)
    }
}

/// What feeds one graph input: the request's own typed tensor, lent to ONNX Runtime as it is,
/// or a tensor converted from it (or from JSON) as the tract backend converts it.
enum Feed<'r> {
    /// A typed tensor of the graph's own element type: no copy (an image batch is megabytes).
    Lent(&'r crate::input::tensor::Tensor),
    /// A converted tensor.
    Made(Tensor),
}

/// The feeds for a request, in graph input order, and whether the request is a frame; a
/// refusal's message instead of the feeds.
fn feeds<'r>(inputs: &[GraphInput], request: &'r Request) -> (Result<Vec<Feed<'r>>, String>, bool) {
    use super::onnx::Elem;
    use crate::input::tensor::Flat;
    let Request::Tensors { tensors, .. } = request else {
        let (made, frame) = super::onnx::request_feeds(inputs, request);
        return (
            made.map(|ts| ts.into_iter().map(Feed::Made).collect()),
            frame,
        );
    };
    let pairs = match super::onnx::typed_pairs(inputs, tensors) {
        Ok(p) => p,
        Err(message) => return (Err(message), false),
    };
    let fed = pairs
        .into_iter()
        .map(|(input, t)| {
            let own_type = matches!(
                (input.elem, t.flat()),
                (Some(Elem::U8), Some(Flat::U8(_)))
                    | (Some(Elem::I64), Some(Flat::I64(_)))
                    | (Some(Elem::F32), Some(Flat::F32(_)))
                    | (Some(Elem::F64), Some(Flat::F64(_)))
                    | (Some(Elem::Bool), Some(Flat::Bool(_)))
            );
            if own_type {
                super::onnx_io::check_dims(input, t.shape()).map(|()| Feed::Lent(t))
            } else {
                super::onnx_io::typed_to_tract(input, t).map(Feed::Made)
            }
        })
        .collect();
    (fed, false)
}

/// A typed tensor of the graph's own element type as an ONNX Runtime value borrowing its data.
fn lend<'t>(
    input: &GraphInput,
    t: &'t crate::input::tensor::Tensor,
) -> Result<ort::session::SessionInputValue<'t>, String> {
    use crate::input::tensor::Flat;
    let shape = ort_shape(t.shape());
    let flat = t
        .flat()
        .ok_or_else(|| format!("{}: the tensor is not in standard layout", input.name))?;
    match flat {
        Flat::U8(v) => borrowed(shape, v),
        Flat::I64(v) => borrowed(shape, v),
        Flat::F32(v) => borrowed(shape, v),
        Flat::F64(v) => borrowed(shape, v),
        Flat::Bool(v) => borrowed(shape, v),
    }
}

/// A shape as ONNX Runtime takes it.
fn ort_shape(shape: &[usize]) -> Vec<i64> {
    shape
        .iter()
        .map(|&d| i64::try_from(d).unwrap_or(i64::MAX))
        .collect()
}

/// An ONNX Runtime value borrowing `data`, of `shape`.
fn borrowed<T: ort::value::PrimitiveTensorElementType + std::fmt::Debug + Clone + 'static>(
    shape: Vec<i64>,
    data: &[T],
) -> Result<ort::session::SessionInputValue<'_>, String> {
    TensorRef::from_array_view((shape, data))
        .map(Into::into)
        .map_err(|e| e.to_string())
}

/// A tract tensor (the feeds the request became) as an ONNX Runtime value borrowing its data.
fn to_ort(t: &Tensor) -> Result<ort::session::SessionInputValue<'_>, String> {
    use tract_onnx::prelude::DatumType as D;
    let shape = ort_shape(t.shape());
    fn view<
        'a,
        T: Datum + ort::value::PrimitiveTensorElementType + std::fmt::Debug + Clone + 'static,
    >(
        t: &'a Tensor,
        shape: Vec<i64>,
    ) -> Result<ort::session::SessionInputValue<'a>, String> {
        let data = t
            .to_plain_array_view::<T>()
            .map_err(|e| e.to_string())?
            .to_slice()
            .ok_or("the tensor is not contiguous")?;
        borrowed(shape, data)
    }
    match t.datum_type() {
        D::F32 => view::<f32>(t, shape),
        D::F64 => view::<f64>(t, shape),
        D::F16 => view::<f16>(t, shape),
        D::I8 => view::<i8>(t, shape),
        D::I16 => view::<i16>(t, shape),
        D::I32 => view::<i32>(t, shape),
        D::I64 => view::<i64>(t, shape),
        D::U8 => view::<u8>(t, shape),
        D::U16 => view::<u16>(t, shape),
        D::U32 => view::<u32>(t, shape),
        D::U64 => view::<u64>(t, shape),
        D::Bool => view::<bool>(t, shape),
        D::String => {
            let data = t
                .to_plain_array_view::<String>()
                .map_err(|e| e.to_string())?
                .to_slice()
                .ok_or("the tensor is not contiguous")?;
            ort::value::Tensor::from_string_array((shape, data))
                .map(|v| v.into_dyn().into())
                .map_err(|e| e.to_string())
        }
        other => Err(format!(
            "element type {other:?} cannot be fed to ONNX Runtime"
        )),
    }
}

enum Output {
    Tensor(Tensor),
    Json(Value),
}

/// An output value as a tract tensor (then JSON as the tract backend writes it), or a
/// sequence of maps (skl2onnx's ZipMap) as a list of `{label: probability}` objects.
fn output_json(value: &DynValue) -> Result<Output, String> {
    fn tensor<T: Datum + Copy + ort::value::PrimitiveTensorElementType>(
        value: &DynValue,
    ) -> Result<Tensor, String> {
        let (shape, data) = value.try_extract_tensor::<T>().map_err(|e| e.to_string())?;
        let dims: Vec<usize> = shape
            .iter()
            .map(|&d| usize::try_from(d).unwrap_or(0))
            .collect();
        Tensor::from_shape(&dims, data).map_err(|e| e.to_string())
    }
    match value.dtype() {
        ValueType::Tensor { ty, .. } => {
            use TensorElementType as E;
            let t = match ty {
                E::Float32 => tensor::<f32>(value)?,
                E::Float64 => tensor::<f64>(value)?,
                E::Float16 => tensor::<f16>(value)?,
                E::Int8 => tensor::<i8>(value)?,
                E::Int16 => tensor::<i16>(value)?,
                E::Int32 => tensor::<i32>(value)?,
                E::Int64 => tensor::<i64>(value)?,
                E::Uint8 => tensor::<u8>(value)?,
                E::Uint16 => tensor::<u16>(value)?,
                E::Uint32 => tensor::<u32>(value)?,
                E::Uint64 => tensor::<u64>(value)?,
                E::Bool => tensor::<bool>(value)?,
                E::String => {
                    let (shape, data) = value.try_extract_strings().map_err(|e| e.to_string())?;
                    let dims: Vec<usize> = shape
                        .iter()
                        .map(|&d| usize::try_from(d).unwrap_or(0))
                        .collect();
                    let arr =
                        tract_onnx::prelude::tract_ndarray::ArrayD::from_shape_vec(dims, data)
                            .map_err(|e| e.to_string())?;
                    Tensor::from(arr)
                }
                other => return Err(format!("element type {other} is not supported")),
            };
            Ok(Output::Tensor(t))
        }
        ValueType::Sequence(inner) if matches!(**inner, ValueType::Map { .. }) => {
            let maps = value
                .try_extract_sequence::<ort::value::DynMapValueType>()
                .map_err(|e| e.to_string())?;
            let mut rows = Vec::with_capacity(maps.len());
            for map in &maps {
                let object: Map<String, Value> = match map.dtype() {
                    ValueType::Map {
                        key: TensorElementType::String,
                        ..
                    } => map
                        .try_extract_key_values::<String, f32>()
                        .map_err(|e| e.to_string())?
                        .into_iter()
                        .map(|(k, v)| (k, float_json(f64::from(v))))
                        .collect(),
                    _ => map
                        .try_extract_key_values::<i64, f32>()
                        .map_err(|e| e.to_string())?
                        .into_iter()
                        .map(|(k, v)| (k.to_string(), float_json(f64::from(v))))
                        .collect(),
                };
                rows.push(Value::Object(object));
            }
            Ok(Output::Json(Value::Array(rows)))
        }
        other => Err(format!("an output of type {other} is not supported")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_names_exclude_provider_libraries() {
        let so = |s: &str| {
            s.replace(".so", std::env::consts::DLL_SUFFIX)
                .replace("lib", std::env::consts::DLL_PREFIX)
        };
        assert!(is_library_name(&so("libonnxruntime.so.1.32.0")));
        assert!(is_library_name(&so("libonnxruntime.so")));
        assert!(!is_library_name(&so("libonnxruntime_providers_shared.so")));
        assert!(!is_library_name(&so("libonnxruntime4j_jni.so")));
    }

    #[test]
    fn version_from_build_info_then_file_name() {
        let p = Path::new("/x/libonnxruntime.so.1.32.0");
        assert_eq!(
            version_of(
                p,
                "ORT Build Info: git-branch=rel-1.20.1, git-commit-id=abc"
            ),
            "1.20.1"
        );
        assert_eq!(
            version_of(p, "ORT Build Info: build type=Release"),
            "1.32.0"
        );
        assert_eq!(
            version_of(Path::new("libonnxruntime.so"), ""),
            "(version unknown)"
        );
    }

    #[test]
    fn session_options_as_mlflow_reads_them() {
        let config: Map<String, Value> = serde_json::from_str(
            r#"{"onnx_session_options": {"intra_op_num_threads": 2, "execution_mode": "parallel",
                "graph_optimization_level": 99, "extra_session_config": {"session.use_env_allocators": "1"}}}"#,
        )
        .unwrap();
        let o = SessionOptions::from_flavor(&config).unwrap();
        assert_eq!(o.intra_op_num_threads, 2);
        assert_eq!(o.inter_op_num_threads, 0);
        assert_eq!(o.parallel, Some(true));
        assert_eq!(o.graph_optimization_level, Some(99));
        assert_eq!(
            o.extra,
            vec![("session.use_env_allocators".into(), "1".into())]
        );
        let bad: Map<String, Value> =
            serde_json::from_str(r#"{"onnx_session_options": {"graph_optimization_level": 5}}"#)
                .unwrap();
        let message = SessionOptions::from_flavor(&bad).unwrap_err();
        assert!(
            message.contains("graph_optimization_level is 5"),
            "{message}"
        );
    }

    #[test]
    fn providers_normalised_as_mlflow_does() {
        let read = |text: &str| {
            let config: Map<String, Value> = serde_json::from_str(text).unwrap();
            flavor_providers(&config)
        };
        let default = vec![
            "CUDAExecutionProvider".to_string(),
            "CPUExecutionProvider".to_string(),
        ];
        assert_eq!(read("{}"), default);
        assert_eq!(read(r#"{"providers": null}"#), default);
        assert_eq!(read(r#"{"providers": []}"#), default);
        assert_eq!(
            read(r#"{"providers": "CPUExecutionProvider"}"#),
            vec!["CPUExecutionProvider".to_string()]
        );
        assert_eq!(
            read(
                r#"{"providers": [["CUDAExecutionProvider", {"device_id": 0}], "CPUExecutionProvider"]}"#
            ),
            default
        );
    }
}
