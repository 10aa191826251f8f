//! Where a model comes from: a folder here, or a tracking server (`models:/`, `runs:/`,
//! `mlflow-artifacts:/`). UI-free; the GUI and the command line both call it.
//!
//! A remote model is resolved to its artifact location, listed, and mirrored into a cache
//! folder keyed by that location: `MLmodel` first, then every small file (environment files,
//! input examples); larger files (weights) are written as sparse placeholders of their real
//! size, so the card is exactly the card of the same folder on disk, and are downloaded only when
//! needed (predict, a preview), with progress and cancel. The next open reuses what is there.

pub mod tracking;
pub mod uri;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use tracking::Tracking;
pub use uri::{ModelUri, UriError};

/// Files up to this size are fetched when the model opens.
pub const SMALL_FILE: u64 = 1 << 20;

/// Why a remote model could not be opened or fetched.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The URI is not one MLflow takes.
    #[error(transparent)]
    Uri(#[from] UriError),
    /// No tracking server was named.
    #[error(
        "no tracking server: pass --tracking-uri http://host:5000, set MLFLOW_TRACKING_URI, or fill in the tracking server in the app"
    )]
    NoTrackingUri,
    /// The tracking URI is not an HTTP URL.
    #[error(
        "{0}: the tracking URI must be an http:// or https:// URL of an MLflow tracking server"
    )]
    BadTrackingUri(String),
    /// The server refused the credentials.
    #[error(
        "{url}: HTTP {status}, not allowed ({message}); set MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD"
    )]
    Auth {
        /// The URL called.
        url: String,
        /// 401 or 403.
        status: u16,
        /// The server's message.
        message: String,
    },
    /// The model, version, run or file does not exist.
    #[error("{url}: not found: {message}")]
    NotFound {
        /// The URL called.
        url: String,
        /// The server's message.
        message: String,
    },
    /// Another error status.
    #[error("{url}: HTTP {status}{}: {message}", .code.as_deref().map(|c| format!(" {c}")).unwrap_or_default())]
    Http {
        /// The URL called.
        url: String,
        /// The status.
        status: u16,
        /// MLflow's error code.
        code: Option<String>,
        /// The server's message.
        message: String,
    },
    /// The server could not be reached.
    #[error("{url}: {message}")]
    Connection {
        /// The URL called.
        url: String,
        /// What happened.
        message: String,
    },
    /// The server answered something unexpected.
    #[error("{url}: {message}")]
    Invalid {
        /// The URL called.
        url: String,
        /// What was wrong.
        message: String,
    },
    /// The cache could not be written.
    #[error("{}: {message}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What happened.
        message: String,
    },
    /// The location holds no MLmodel.
    #[error("{0}: there is no MLmodel file there, so it is not an MLflow model")]
    NotAModel(String),
    /// The user pressed Cancel.
    #[error("cancelled")]
    Cancelled,
    /// A remote model went past a limit this app keeps (listing size, depth, a file larger
    /// than its listing said, a stalled download).
    #[error("{0}")]
    Limit(String),
}

/// Where a remote model's files are read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Location {
    /// Through the artifact proxy (`mlflow-artifacts:/<path>`).
    Proxy(String),
    /// A run's artifacts (`runs/<id>` + path), when the store is not proxied.
    Run {
        /// The run.
        run_id: String,
        /// The folder inside its artifacts.
        path: String,
    },
    /// An MLflow 3 logged model's artifacts, when the store is not proxied.
    LoggedModel(String),
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Proxy(p) => write!(f, "mlflow-artifacts:/{p}"),
            Self::Run { run_id, path } => write!(f, "runs:/{run_id}/{path}"),
            Self::LoggedModel(id) => write!(f, "models:/{id}"),
        }
    }
}

/// One file of a remote model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteFile {
    /// Its path inside the model folder (`/`-separated).
    pub path: String,
    /// Its size in bytes.
    pub size: u64,
    /// Whether the cache holds its bytes (otherwise a placeholder of its size).
    pub fetched: bool,
}

/// What the cache remembers of a remote model (written beside the model folder).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct CacheState {
    uri: String,
    location: Location,
    files: Vec<RemoteFile>,
}

/// Progress of a download: bytes done of bytes wanted.
#[derive(Debug, Default)]
pub struct Progress {
    /// Bytes written so far.
    pub done: AtomicU64,
    /// Bytes to write.
    pub total: AtomicU64,
    /// Set to stop.
    pub cancel: AtomicBool,
}

/// A model on a tracking server, mirrored in the cache.
#[derive(Debug, Clone)]
pub struct RemoteModel {
    /// The URI as the user gave it.
    pub uri: ModelUri,
    /// Where its files are.
    pub location: Location,
    /// The server.
    pub tracking: Tracking,
    /// The cache folder that stands for the model folder.
    pub dir: PathBuf,
    /// Its files.
    pub files: Vec<RemoteFile>,
    /// For a registered version: `name` version `N` (aliases, stage), for the header.
    pub registry: Option<String>,
}

/// The example model that ships with the app and a photo to try it on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundledExample {
    /// The model folder (`assets/example-model`).
    pub model: PathBuf,
    /// A photo beside it (`assets/sample-china.jpg`), when present.
    pub image: Option<PathBuf>,
}

/// Finds the bundled example: `assets/example-model` beside the executable or up to three
/// folders above it (a build's `target/debug/`), `share/mlmodel-inspector/example-model`
/// for an install, or the source tree the app was built from. `None` when none is there.
pub fn bundled_example() -> Option<BundledExample> {
    let mut candidates = Vec::new();
    if let Ok(exe) = std::env::current_exe() {
        for dir in exe.ancestors().skip(1).take(4) {
            candidates.push(dir.join("assets").join("example-model"));
            candidates.push(
                dir.join("share")
                    .join("mlmodel-inspector")
                    .join("example-model"),
            );
        }
    }
    candidates.push(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("assets")
            .join("example-model"),
    );
    let model = candidates.into_iter().find(|c| {
        std::fs::symlink_metadata(c.join(crate::model::MLMODEL_FILE_NAME))
            .is_ok_and(|m| m.is_file())
    })?;
    let image = model
        .parent()
        .map(|p| p.join("sample-china.jpg"))
        .filter(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file()));
    Some(BundledExample { model, image })
}

/// The cache root: `$XDG_CACHE_HOME/mlmodel-inspector/remote` (or `~/.cache/...`).
pub fn cache_root() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("mlmodel-inspector").join("remote")
}

/// A folder name for a cache key: readable part plus a 64-bit FNV-1a hash.
fn cache_name(key: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    let readable: String = key
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let tail: String = readable
        .chars()
        .rev()
        .take(48)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("{tail}-{hash:016x}")
}

fn str_field<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str()
}

fn invalid(what: &str, tracking: &Tracking, v: &Value) -> SourceError {
    SourceError::Invalid {
        url: tracking.base.clone(),
        message: format!(
            "{what} is missing from the answer: {}",
            crate::text::snippet(&v.to_string())
        ),
    }
}

/// A location from an artifact URI the server gave.
fn location_from_artifact_uri(uri: &str) -> Option<Location> {
    let rest = uri.strip_prefix("mlflow-artifacts:")?;
    let path = match rest.strip_prefix("//") {
        Some(with_host) => with_host.split_once('/').map_or("", |(_, p)| p),
        None => rest.trim_start_matches('/'),
    };
    Some(Location::Proxy(path.trim_matches('/').to_string()))
}

/// A registered version's location: its download URI, else its source.
fn version_location(tracking: &Tracking, mv: &Value) -> Result<Location, SourceError> {
    let name = str_field(mv, &["name"]).unwrap_or_default();
    let version = str_field(mv, &["version"]).unwrap_or_default();
    if let Ok(d) = tracking.get(
        "api/2.0/mlflow/model-versions/get-download-uri",
        &[("name", name), ("version", version)],
    ) && let Some(loc) = str_field(&d, &["artifact_uri"]).and_then(location_from_artifact_uri)
    {
        return Ok(loc);
    }
    let source =
        str_field(mv, &["source"]).ok_or_else(|| invalid("model_version.source", tracking, mv))?;
    if let Some(loc) = location_from_artifact_uri(source) {
        return Ok(loc);
    }
    match ModelUri::parse(source)? {
        ModelUri::Local(_) => Err(SourceError::Invalid {
            url: tracking.base.clone(),
            message: format!(
                "version {version} of {name} lives at {source}, which this server does not serve (no artifact proxy)"
            ),
        }),
        other => resolve(tracking, &other).map(|(l, _)| l),
    }
}

/// Finds where a URI's files are, and for registered versions a line saying which version.
pub fn resolve(
    tracking: &Tracking,
    uri: &ModelUri,
) -> Result<(Location, Option<String>), SourceError> {
    let describe = |mv: &Value| {
        let name = str_field(mv, &["name"]).unwrap_or("?");
        let version = str_field(mv, &["version"]).unwrap_or("?");
        let mut line = format!("{name} version {version}");
        let aliases: Vec<&str> = mv
            .get("aliases")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if !aliases.is_empty() {
            line.push_str(&format!(" (@{})", aliases.join(", @")));
        }
        if let Some(stage) = str_field(mv, &["current_stage"]).filter(|s| *s != "None") {
            line.push_str(&format!(", stage {stage}"));
        }
        if let Some(run) = str_field(mv, &["run_id"]).filter(|r| !r.is_empty()) {
            line.push_str(&format!(", run {run}"));
        }
        line
    };
    // A route answering `{"model_version": ...}`: the version's files and its line.
    let registered = |route: &str, query: &[(&str, &str)]| {
        let v = tracking.get(route, query)?;
        let mv = v
            .get("model_version")
            .ok_or_else(|| invalid("model_version", tracking, &v))?;
        Ok((version_location(tracking, mv)?, Some(describe(mv))))
    };
    match uri {
        ModelUri::Local(p) => Err(SourceError::Invalid {
            url: p.display().to_string(),
            message: "a local path, not a tracking-server URI".into(),
        }),
        ModelUri::Proxy { path } => Ok((Location::Proxy(path.clone()), None)),
        ModelUri::Version { name, version } => registered(
            "api/2.0/mlflow/model-versions/get",
            &[("name", name), ("version", version)],
        ),
        ModelUri::Alias { name, alias } => registered(
            "api/2.0/mlflow/registered-models/alias",
            &[("name", name), ("alias", alias)],
        ),
        ModelUri::Latest { name } | ModelUri::Stage { name, .. } => {
            let stage = match uri {
                ModelUri::Stage { stage, .. } => Some(stage.clone()),
                _ => None,
            };
            let versions = match &stage {
                Some(stage) => tracking.post(
                    "api/2.0/mlflow/registered-models/get-latest-versions",
                    &serde_json::json!({"name": name, "stages": [stage]}),
                )?,
                None => tracking.get(
                    "api/2.0/mlflow/model-versions/search",
                    &[("filter", &format!("name='{}'", name.replace('\'', "\\'")))],
                )?,
            };
            let list = versions
                .get("model_versions")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let mv = list
                .iter()
                .max_by_key(|mv| {
                    str_field(mv, &["version"])
                        .and_then(|v| v.parse::<u64>().ok())
                        .unwrap_or(0)
                })
                .ok_or_else(|| SourceError::NotFound {
                    url: tracking.base.clone(),
                    message: match &stage {
                        Some(s) => {
                            format!("registered model {name:?} has no version in stage {s:?}")
                        }
                        None => format!("registered model {name:?} has no versions"),
                    },
                })?;
            Ok((version_location(tracking, mv)?, Some(describe(mv))))
        }
        ModelUri::LoggedModel { model_id } => {
            let v = tracking.get(&format!("api/2.0/mlflow/logged-models/{model_id}"), &[])?;
            let artifact_uri =
                str_field(&v, &["model", "info", "artifact_uri"]).unwrap_or_default();
            Ok((
                location_from_artifact_uri(artifact_uri)
                    .unwrap_or_else(|| Location::LoggedModel(model_id.clone())),
                None,
            ))
        }
        ModelUri::Run { run_id, path } => {
            let v = tracking.get("api/2.0/mlflow/runs/get", &[("run_id", run_id)])?;
            let info = v
                .get("run")
                .and_then(|r| r.get("info"))
                .ok_or_else(|| invalid("run.info", tracking, &v))?;
            let listed = tracking.get(
                "api/2.0/mlflow/artifacts/list",
                &[("run_id", run_id), ("path", path)],
            )?;
            let has_files = listed
                .get("files")
                .and_then(Value::as_array)
                .is_some_and(|f| !f.is_empty());
            if has_files || path.is_empty() {
                let artifact_uri = str_field(info, &["artifact_uri"]).unwrap_or_default();
                let loc = match location_from_artifact_uri(artifact_uri) {
                    Some(Location::Proxy(root)) => {
                        Location::Proxy(format!("{root}/{path}").trim_matches('/').to_string())
                    }
                    _ => Location::Run {
                        run_id: run_id.clone(),
                        path: path.clone(),
                    },
                };
                return Ok((loc, None));
            }
            // MLflow 3: `runs:/<run>/<name>` names a logged model of the run.
            let (name, rest) = path.split_once('/').unwrap_or((path, ""));
            let experiment = str_field(info, &["experiment_id"]).unwrap_or_default();
            let found = tracking.post(
                "api/2.0/mlflow/logged-models/search",
                &serde_json::json!({
                    "experiment_ids": [experiment],
                    "filter": format!("name = '{}'", name.replace('\'', "\\'")),
                    "max_results": 50,
                }),
            )?;
            let model_id = found
                .get("models")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .find(|m| str_field(m, &["info", "source_run_id"]) == Some(run_id.as_str()))
                .and_then(|m| str_field(m, &["info", "model_id"]))
                .ok_or_else(|| SourceError::NotFound {
                    url: tracking.base.clone(),
                    message: format!("run {run_id} has no artifacts at {path:?} and no logged model named {name:?}"),
                })?
                .to_string();
            let (loc, _) = resolve(tracking, &ModelUri::LoggedModel { model_id })?;
            Ok((
                match (loc, rest) {
                    (l, "") => l,
                    (Location::Proxy(root), rest) => Location::Proxy(format!("{root}/{rest}")),
                    (l, _) => l,
                },
                None,
            ))
        }
    }
}

/// The most listing requests one remote model may take.
pub const MAX_LIST_REQUESTS: usize = 2_000;
/// The most files a remote model may list.
pub const MAX_REMOTE_FILES: usize = 20_000;
/// The deepest folder nesting of a remote model.
pub const MAX_REMOTE_DEPTH: usize = 32;
/// The most bytes a remote model's files may add up to (1 TB).
pub const MAX_REMOTE_BYTES: u64 = 1_000_000_000_000;

/// Lists every file under a location (recursively), paths relative to it, within the limits
/// above (a server can list anything).
pub fn list(tracking: &Tracking, location: &Location) -> Result<Vec<RemoteFile>, SourceError> {
    let mut out = Vec::new();
    let mut pending = vec![String::new()];
    let mut requests = 0usize;
    let mut total_bytes = 0u64;
    while let Some(dir) = pending.pop() {
        requests += 1;
        if requests > MAX_LIST_REQUESTS {
            return Err(SourceError::Limit(format!(
                "{location}: listing the model's files took more than {MAX_LIST_REQUESTS} requests; stopped (the server lists too many folders)"
            )));
        }
        if dir.split('/').filter(|s| !s.is_empty()).count() > MAX_REMOTE_DEPTH {
            return Err(SourceError::Limit(format!(
                "{location}: folders nested more than {MAX_REMOTE_DEPTH} deep (at {dir}); stopped"
            )));
        }
        let (answer, prefix_of_paths) = match location {
            Location::Proxy(root) => {
                let path = format!("{root}/{dir}").trim_matches('/').to_string();
                (
                    tracking.get("api/2.0/mlflow-artifacts/artifacts", &[("path", &path)])?,
                    dir.clone(),
                )
            }
            Location::Run { run_id, path } => {
                let full = format!("{path}/{dir}").trim_matches('/').to_string();
                let a = tracking.get(
                    "api/2.0/mlflow/artifacts/list",
                    &[("run_id", run_id), ("path", &full)],
                )?;
                (a, String::new())
            }
            Location::LoggedModel(id) => {
                let route = format!("api/2.0/mlflow/logged-models/{id}/artifacts/directories");
                let a = if dir.is_empty() {
                    tracking.get(&route, &[])?
                } else {
                    tracking.get(&route, &[("artifact_directory_path", &dir)])?
                };
                (a, String::new())
            }
        };
        for f in answer
            .get("files")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(p) = f.get("path").and_then(Value::as_str) else {
                continue;
            };
            // Proxy paths are relative to the folder listed; run paths are run-relative;
            // logged-model paths are relative to the model (or to the folder listed).
            let rel = match location {
                Location::Proxy(_) => format!("{prefix_of_paths}/{p}")
                    .trim_matches('/')
                    .to_string(),
                Location::Run { path, .. } => p
                    .strip_prefix(path.as_str())
                    .unwrap_or(p)
                    .trim_matches('/')
                    .to_string(),
                Location::LoggedModel(_)
                    if !dir.is_empty() && !p.starts_with(&format!("{dir}/")) =>
                {
                    format!("{dir}/{p}")
                }
                Location::LoggedModel(_) => p.trim_matches('/').to_string(),
            };
            if rel.is_empty() || rel.split('/').any(|s| s == ".." || s == ".") {
                continue;
            }
            if f.get("is_dir").and_then(Value::as_bool).unwrap_or(false) {
                pending.push(rel);
            } else {
                let size = f.get("file_size").and_then(Value::as_u64).unwrap_or(0);
                total_bytes = total_bytes.saturating_add(size);
                if out.len() >= MAX_REMOTE_FILES {
                    return Err(SourceError::Limit(format!(
                        "{location}: the model lists more than {MAX_REMOTE_FILES} files; not mirrored"
                    )));
                }
                if total_bytes > MAX_REMOTE_BYTES {
                    return Err(SourceError::Limit(format!(
                        "{location}: the model's files add up to more than {}; not mirrored",
                        crate::text::human_size(MAX_REMOTE_BYTES)
                    )));
                }
                out.push(RemoteFile {
                    path: rel,
                    size,
                    fetched: false,
                });
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// Files the card reads, always fetched when the model opens.
const CARD_FILES: [&str; 7] = [
    "MLmodel",
    "conda.yaml",
    "python_env.yaml",
    "requirements.txt",
    "constraints.txt",
    "input_example.json",
    "serving_input_example.json",
];

impl RemoteModel {
    /// Resolves, lists and mirrors a remote model: MLmodel, the files the card reads and every
    /// file up to [`SMALL_FILE`] are fetched; larger ones are placeholders until
    /// [`RemoteModel::fetch`].
    pub fn open(
        tracking: &Tracking,
        uri: &ModelUri,
        progress: &Progress,
    ) -> Result<Self, SourceError> {
        Self::open_with(tracking, uri, progress, SMALL_FILE, &cache_root())
    }

    /// [`RemoteModel::open`] with another size up to which files are fetched at once, and
    /// another cache folder.
    pub fn open_with(
        tracking: &Tracking,
        uri: &ModelUri,
        progress: &Progress,
        small: u64,
        cache: &Path,
    ) -> Result<Self, SourceError> {
        let (location, registry) = resolve(tracking, uri)?;
        let mut files = list(tracking, &location)?;
        if !files
            .iter()
            .any(|f| f.path == crate::model::MLMODEL_FILE_NAME)
        {
            return Err(SourceError::NotAModel(format!("{uri} ({location})")));
        }
        let key = format!("{}|{location}", tracking.base);
        let top = cache.join(cache_name(&key));
        let dir = top.join("model");
        let state_file = top.join("state.json");
        let io = |path: &Path, e: std::io::Error| SourceError::Io {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
        // What an earlier open already fetched (same path and size) is kept.
        let before: Vec<RemoteFile> = std::fs::read_to_string(&state_file)
            .ok()
            .and_then(|t| serde_json::from_str::<CacheState>(&t).ok())
            .map(|s| s.files)
            .unwrap_or_default();
        for f in &mut files {
            f.fetched = before
                .iter()
                .any(|b| b.path == f.path && b.size == f.size && b.fetched)
                && std::fs::metadata(dir.join(&f.path)).is_ok_and(|m| m.len() == f.size);
        }
        let mut model = Self {
            uri: uri.clone(),
            location,
            tracking: tracking.clone(),
            dir,
            files,
            registry,
        };
        // MLmodel first, then the small files; the rest are placeholders of their size.
        let mut first: Vec<String> = vec![crate::model::MLMODEL_FILE_NAME.to_string()];
        first.extend(
            model
                .files
                .iter()
                .filter(|f| {
                    f.path != crate::model::MLMODEL_FILE_NAME
                        && (f.size <= small || CARD_FILES.contains(&f.path.as_str()))
                })
                .map(|f| f.path.clone()),
        );
        model.fetch(Some(&first), progress)?;
        for f in model.files.iter().filter(|f| !f.fetched) {
            let path = model.dir.join(&f.path);
            if std::fs::metadata(&path).is_ok_and(|m| m.len() == f.size) {
                continue;
            }
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
            }
            let file = std::fs::File::create(&path).map_err(|e| io(&path, e))?;
            file.set_len(f.size).map_err(|e| io(&path, e))?;
        }
        model.save_state()?;
        Ok(model)
    }

    fn save_state(&self) -> Result<(), SourceError> {
        let Some(top) = self.dir.parent() else {
            return Ok(());
        };
        let state = CacheState {
            uri: self.uri.to_string(),
            location: self.location.clone(),
            files: self.files.clone(),
        };
        let path = top.join("state.json");
        std::fs::write(&path, serde_json::to_vec_pretty(&state).unwrap_or_default()).map_err(|e| {
            SourceError::Io {
                path,
                message: e.to_string(),
            }
        })
    }

    /// Bytes not yet fetched.
    pub fn missing_bytes(&self) -> u64 {
        self.files
            .iter()
            .filter(|f| !f.fetched)
            .map(|f| f.size)
            .sum()
    }

    /// Whether any of these files (all when `None`) still is a placeholder.
    pub fn lacks(&self, only: Option<&[String]>) -> bool {
        self.files
            .iter()
            .any(|f| !f.fetched && only.is_none_or(|o| o.contains(&f.path)))
    }

    /// Whether a file (relative path) still is a placeholder.
    pub fn is_placeholder(&self, rel: &str) -> bool {
        self.files.iter().any(|f| f.path == rel && !f.fetched)
    }

    /// Fetches these files (all when `None`) that the cache lacks, with progress and cancel.
    pub fn fetch(
        &mut self,
        only: Option<&[String]>,
        progress: &Progress,
    ) -> Result<(), SourceError> {
        let wanted: Vec<usize> = self
            .files
            .iter()
            .enumerate()
            .filter(|(_, f)| !f.fetched && only.is_none_or(|o| o.contains(&f.path)))
            .map(|(i, _)| i)
            .collect();
        progress.total.fetch_add(
            wanted
                .iter()
                .filter_map(|&i| self.files.get(i))
                .map(|f| f.size)
                .sum(),
            Ordering::Relaxed,
        );
        for i in wanted {
            let Some(f) = self.files.get(i).cloned() else {
                continue;
            };
            let dest = self.dir.join(&f.path);
            if let Some(parent) = dest.parent() {
                std::fs::create_dir_all(parent).map_err(|e| SourceError::Io {
                    path: parent.to_path_buf(),
                    message: e.to_string(),
                })?;
            }
            let result = match &self.location {
                Location::Proxy(root) => self.tracking.download(
                    &format!(
                        "api/2.0/mlflow-artifacts/artifacts/{}",
                        encode_path(&format!("{root}/{}", f.path))
                    ),
                    &[],
                    &dest,
                    f.size,
                    &progress.done,
                    &progress.cancel,
                ),
                Location::Run { run_id, path } => self.tracking.download(
                    "get-artifact",
                    &[
                        ("run_id", run_id),
                        ("path", format!("{path}/{}", f.path).trim_matches('/')),
                    ],
                    &dest,
                    f.size,
                    &progress.done,
                    &progress.cancel,
                ),
                Location::LoggedModel(id) => self.tracking.download(
                    &format!("ajax-api/2.0/mlflow/logged-models/{id}/artifacts/files"),
                    &[("artifact_file_path", &f.path)],
                    &dest,
                    f.size,
                    &progress.done,
                    &progress.cancel,
                ),
            };
            if let Err(e) = result {
                let _ = self.save_state();
                return Err(e);
            }
            if let Some(entry) = self.files.get_mut(i) {
                entry.fetched = true;
            }
        }
        self.save_state()
    }
}

/// Percent-encodes a `/`-separated path for a URL (each segment).
fn encode_path(path: &str) -> String {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                        (b as char).to_string()
                    }
                    other => format!("%{other:02X}"),
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_names_are_stable_and_safe() {
        let a = cache_name("http://127.0.0.1:5000|mlflow-artifacts:/1/models/m-abc/artifacts");
        assert_eq!(
            a,
            cache_name("http://127.0.0.1:5000|mlflow-artifacts:/1/models/m-abc/artifacts")
        );
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
            "{a}"
        );
        assert_ne!(
            a,
            cache_name("http://127.0.0.1:5001|mlflow-artifacts:/1/models/m-abc/artifacts")
        );
        assert_eq!(encode_path("1/a b/MLmodel"), "1/a%20b/MLmodel");
    }
}

/// A registered model, for browsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredModel {
    /// Its name.
    pub name: String,
    /// Its aliases as `alias → version`.
    pub aliases: Vec<(String, String)>,
    /// Its description.
    pub description: String,
}

/// One version of a registered model, for browsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelVersion {
    /// The version number.
    pub version: String,
    /// The aliases pointing at it.
    pub aliases: Vec<String>,
    /// Its stage (`None` when unset).
    pub stage: Option<String>,
    /// The run that made it.
    pub run_id: Option<String>,
    /// Where MLflow says it comes from.
    pub source: String,
    /// `READY`, `PENDING_REGISTRATION`, `FAILED_REGISTRATION`.
    pub status: String,
}

impl ModelVersion {
    /// The URI that opens it.
    pub fn uri(&self, name: &str) -> String {
        format!("models:/{name}/{}", self.version)
    }
}

/// The registered models on a server (first 1,000, by name).
pub fn registered_models(tracking: &Tracking) -> Result<Vec<RegisteredModel>, SourceError> {
    let mut out = Vec::new();
    let mut token = String::new();
    loop {
        let mut query = vec![("max_results", "200")];
        if !token.is_empty() {
            query.push(("page_token", token.as_str()));
        }
        let v = tracking.get("api/2.0/mlflow/registered-models/search", &query)?;
        for m in v
            .get("registered_models")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(name) = str_field(m, &["name"]) else {
                continue;
            };
            let aliases = m
                .get("aliases")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|a| {
                    Some((
                        str_field(a, &["alias"])?.to_string(),
                        str_field(a, &["version"])?.to_string(),
                    ))
                })
                .collect();
            out.push(RegisteredModel {
                name: name.to_string(),
                aliases,
                description: str_field(m, &["description"])
                    .unwrap_or_default()
                    .to_string(),
            });
        }
        token = str_field(&v, &["next_page_token"])
            .unwrap_or_default()
            .to_string();
        if token.is_empty() || out.len() >= 1000 {
            break;
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// The versions of a registered model, newest first.
pub fn model_versions(tracking: &Tracking, name: &str) -> Result<Vec<ModelVersion>, SourceError> {
    let filter = format!("name='{}'", name.replace('\'', "\\'"));
    let v = tracking.get(
        "api/2.0/mlflow/model-versions/search",
        &[("filter", &filter), ("max_results", "200")],
    )?;
    let mut out: Vec<ModelVersion> = v
        .get("model_versions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|mv| {
            Some(ModelVersion {
                version: str_field(mv, &["version"])?.to_string(),
                aliases: mv
                    .get("aliases")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default(),
                stage: str_field(mv, &["current_stage"])
                    .filter(|s| *s != "None")
                    .map(str::to_string),
                run_id: str_field(mv, &["run_id"])
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
                source: str_field(mv, &["source"]).unwrap_or_default().to_string(),
                status: str_field(mv, &["status"]).unwrap_or_default().to_string(),
            })
        })
        .collect();
    out.sort_by_key(|v| std::cmp::Reverse(v.version.parse::<u64>().unwrap_or(0)));
    Ok(out)
}
