//! Finding the Python that serves pyfunc models, checking it has MLflow, and comparing it with
//! the model's own environment. Nothing here imports the model: only package metadata is read.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::PredictError;
use crate::model::ModelCard;

/// The environment variable that names the Python to use.
pub const PYTHON_ENV_VAR: &str = "MLMODEL_INSPECTOR_PYTHON";

/// Where the chosen Python came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `--python` or the app's setting.
    Setting,
    /// `MLMODEL_INSPECTOR_PYTHON`.
    EnvVar,
    /// The active virtualenv (`VIRTUAL_ENV`).
    VirtualEnv,
    /// The active conda env (`CONDA_PREFIX`).
    Conda,
    /// `python3` (or `python`) on PATH.
    Path,
}

impl Origin {
    /// Words for the UI.
    pub fn label(self) -> &'static str {
        match self {
            Self::Setting => "chosen in the settings",
            Self::EnvVar => "from MLMODEL_INSPECTOR_PYTHON",
            Self::VirtualEnv => "the active virtualenv",
            Self::Conda => "the active conda env",
            Self::Path => "python3 on PATH",
        }
    }
}

/// A Python interpreter and why it was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// The interpreter.
    pub path: PathBuf,
    /// Why this one.
    pub origin: Origin,
}

/// Finds the Python a user expects: the setting, `MLMODEL_INSPECTOR_PYTHON`, the active
/// virtualenv or conda env, then `python3` on PATH.
pub fn find(setting: Option<&Path>) -> Option<Choice> {
    find_in(setting, |k| std::env::var_os(k))
}

/// [`find`] with the environment variables read through `var`.
fn find_in(
    setting: Option<&Path>,
    var: impl Fn(&str) -> Option<std::ffi::OsString>,
) -> Option<Choice> {
    if let Some(p) = setting.filter(|p| !p.as_os_str().is_empty()) {
        return Some(Choice {
            path: p.to_path_buf(),
            origin: Origin::Setting,
        });
    }
    let env = |k: &str| var(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(p) = env(PYTHON_ENV_VAR) {
        return Some(Choice {
            path: p,
            origin: Origin::EnvVar,
        });
    }
    for (name, origin) in [
        ("VIRTUAL_ENV", Origin::VirtualEnv),
        ("CONDA_PREFIX", Origin::Conda),
    ] {
        if let Some(prefix) = env(name) {
            let p = prefix.join("bin").join("python");
            if p.is_file() {
                return Some(Choice { path: p, origin });
            }
        }
    }
    let path = var("PATH")?;
    for name in ["python3", "python"] {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(name);
            if p.is_file() {
                return Some(Choice {
                    path: p,
                    origin: Origin::Path,
                });
            }
        }
    }
    None
}

/// What an interpreter is: its version and the versions of the packages asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PythonInfo {
    /// The interpreter.
    pub path: PathBuf,
    /// `3.11.2`.
    pub version: String,
    /// Installed versions by normalised name (`None`: not installed).
    pub packages: BTreeMap<String, Option<String>>,
}

impl PythonInfo {
    /// The installed mlflow version.
    pub fn mlflow(&self) -> Option<&str> {
        self.packages.get("mlflow").and_then(|v| v.as_deref())
    }
}

const PROBE: &str = r#"
import json, sys
from importlib import metadata
out = {"python": "%d.%d.%d" % sys.version_info[:3], "packages": {}}
for name in sys.argv[1:]:
    try:
        out["packages"][name] = metadata.version(name)
    except Exception:
        out["packages"][name] = None
print(json.dumps(out))
"#;

/// Waits for a child process at most `limit`, then kills it: its output, or `None` when it ran
/// out of time (a Python asked something must not hang the caller).
pub fn wait_at_most(
    mut child: std::process::Child,
    limit: Duration,
) -> std::io::Result<Option<std::process::Output>> {
    let started = Instant::now();
    loop {
        match child.try_wait()? {
            Some(_) => return child.wait_with_output().map(Some),
            None if started.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                return Ok(None);
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

/// Asks an interpreter its version and package versions (reads metadata only; imports
/// nothing of the model).
pub fn probe(python: &Path, packages: &[String]) -> Result<PythonInfo, PredictError> {
    let mut names: Vec<String> = vec!["mlflow".into()];
    for p in packages {
        if !names.contains(p) {
            names.push(p.clone());
        }
    }
    let child = Command::new(python)
        .arg("-c")
        .arg(PROBE)
        .args(&names)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            PredictError::Python(format!(
                "{}: cannot run this Python ({e}); choose another in the backend settings or set {PYTHON_ENV_VAR}",
                python.display()
            ))
        })?;
    let output = match wait_at_most(child, Duration::from_secs(60)) {
        Ok(Some(output)) => output,
        Ok(None) => {
            return Err(PredictError::Python(format!(
                "{}: gave no answer within 60 s",
                python.display()
            )));
        }
        Err(e) => return Err(PredictError::Python(format!("{}: {e}", python.display()))),
    };
    let text = String::from_utf8_lossy(&output.stdout);
    let parsed: Value = serde_json::from_str(text.trim()).map_err(|_| {
        PredictError::Python(format!(
            "{}: this does not look like a working Python 3 ({})",
            python.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    })?;
    let version = parsed["python"].as_str().unwrap_or("?").to_string();
    let packages = names
        .iter()
        .map(|n| {
            (
                n.clone(),
                parsed["packages"][n].as_str().map(str::to_string),
            )
        })
        .collect();
    Ok(PythonInfo {
        path: python.to_path_buf(),
        version,
        packages,
    })
}

/// The message for a Python without mlflow: what to install, and where.
pub fn missing_mlflow(info: &PythonInfo, wanted: Option<&str>) -> String {
    let pin = wanted.map_or_else(|| "mlflow".to_string(), |v| format!("mlflow=={v}"));
    format!(
        "mlflow is not installed for {} (Python {}). Install it with:\n    {} -m pip install {pin}\nor choose a Python that has it (backend settings, --python, or {PYTHON_ENV_VAR}).",
        info.path.display(),
        info.version,
        info.path.display(),
    )
}

/// The interpreter checked and ready to serve: errors when mlflow is missing.
pub fn check_for_serving(
    choice: Option<&Choice>,
    card: &ModelCard,
) -> Result<(PythonInfo, Vec<Mismatch>), PredictError> {
    let choice = choice.ok_or_else(|| {
        PredictError::Python(format!(
            "no Python found: install Python 3 with mlflow, then choose it in the backend settings, pass --python, or set {PYTHON_ENV_VAR}"
        ))
    })?;
    let pins = key_pins(card);
    let names: Vec<String> = pins.iter().map(|(n, _)| n.clone()).collect();
    let info = probe(&choice.path, &names)?;
    if info.mlflow().is_none() {
        return Err(PredictError::Python(missing_mlflow(
            &info,
            card.mlmodel.mlflow_version.as_deref(),
        )));
    }
    let mismatches = compare(card, &info);
    Ok((info, mismatches))
}

/// A difference between the model's environment and the chosen Python.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// `python` or a package name.
    pub what: String,
    /// What the model was saved with.
    pub model: String,
    /// What the chosen Python has (`not installed`).
    pub here: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: model {}, this Python {}",
            self.what, self.model, self.here
        )
    }
}

/// The model's exact pins (`name==version`) by normalised name, from its requirements.
pub fn key_pins(card: &ModelCard) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for dep in card.environment.dependencies() {
        if let (Some(name), Some(version)) = (
            dep.requirement.normalized_name(),
            dep.requirement.pinned_version(),
        ) && name != "python"
            && !out.iter().any(|(n, _)| *n == name)
        {
            out.push((name, version.to_string()));
        }
    }
    out
}

/// The one pip command that gives `python` the model's pinned versions of the packages that
/// differ (`None` when only the Python version differs); the environment check and a failed
/// server start both offer it.
pub fn pip_fix(python: &Path, mismatches: &[Mismatch]) -> Option<String> {
    let pins: Vec<String> = mismatches
        .iter()
        .filter(|m| m.what != "python")
        .map(|m| {
            if m.model.starts_with(['<', '>', '!', '~', '=']) {
                // A range, quoted for the shell.
                format!("'{}{}'", m.what, m.model)
            } else {
                format!("{}=={}", m.what, m.model)
            }
        })
        .collect();
    (!pins.is_empty()).then(|| format!("{} -m pip install {}", python.display(), pins.join(" ")))
}

/// What to do when the model cannot load in this Python: the pip line for its pins, or its
/// own environment.
pub fn environment_fix(python: &Path, mismatches: &[Mismatch]) -> String {
    let own = "or let MLflow build the model's own environment (--env-manager uv or virtualenv; in the window: ⚙ Settings, environment)";
    match pip_fix(python, mismatches) {
        Some(line) => format!("install the model's versions into this Python ({line}) {own}"),
        None if mismatches.iter().any(|m| m.what == "python") => {
            format!("choose a Python of the model's version {own}")
        }
        None => format!("choose another Python {own}"),
    }
}

/// The model's Python version (python_env.yaml, else the pyfunc flavor's `python_version`).
pub fn model_python(card: &ModelCard) -> Option<String> {
    card.environment
        .python_env
        .as_ref()
        .and_then(|f| f.parsed.as_ref().ok())
        .and_then(|p| p.python.clone())
        .or_else(|| card.environment.python_version.clone())
}

/// Compares the model's environment with an interpreter: python major.minor, then each exact
/// pin.
pub fn compare(card: &ModelCard, info: &PythonInfo) -> Vec<Mismatch> {
    let mut out = Vec::new();
    if let Some(wanted) = model_python(card) {
        let minor = |v: &str| v.split('.').take(2).collect::<Vec<_>>().join(".");
        if minor(&wanted) != minor(&info.version) {
            out.push(Mismatch {
                what: "python".into(),
                model: wanted,
                here: info.version.clone(),
            });
        }
    }
    for (name, version) in key_pins(card) {
        let here = info.packages.get(&name).cloned().flatten();
        if here.as_deref() != Some(version.as_str()) {
            out.push(Mismatch {
                what: name,
                model: version,
                here: here.unwrap_or_else(|| "not installed".into()),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::ffi::OsString;

    fn python_in(dir: &Path) -> PathBuf {
        std::fs::create_dir_all(dir.join("bin")).unwrap();
        let p = dir.join("bin/python");
        std::fs::write(&p, "").unwrap();
        p
    }

    #[test]
    fn the_python_comes_from_the_setting_then_the_variable_the_venv_conda_and_path() {
        let dir = tempfile::tempdir().unwrap();
        let venv = dir.path().join("venv");
        let conda = dir.path().join("conda");
        let on_path = dir.path().join("path");
        let venv_python = python_in(&venv);
        let conda_python = python_in(&conda);
        std::fs::create_dir_all(&on_path).unwrap();
        std::fs::write(on_path.join("python3"), "").unwrap();
        let mut env: HashMap<&str, OsString> = HashMap::from([
            (PYTHON_ENV_VAR, OsString::from("/opt/chosen/python")),
            ("VIRTUAL_ENV", venv.clone().into_os_string()),
            ("CONDA_PREFIX", conda.clone().into_os_string()),
            ("PATH", on_path.clone().into_os_string()),
        ]);
        let found = |env: &HashMap<&str, OsString>, setting: Option<&Path>| {
            find_in(setting, |k| env.get(k).cloned()).map(|c| (c.path, c.origin))
        };
        let setting = Path::new("/from/settings/python");
        assert_eq!(
            found(&env, Some(setting)),
            Some((setting.to_path_buf(), Origin::Setting))
        );
        assert_eq!(
            found(&env, None),
            Some((PathBuf::from("/opt/chosen/python"), Origin::EnvVar))
        );
        env.insert(PYTHON_ENV_VAR, OsString::new());
        assert_eq!(found(&env, None), Some((venv_python, Origin::VirtualEnv)));
        env.remove("VIRTUAL_ENV");
        assert_eq!(found(&env, None), Some((conda_python, Origin::Conda)));
        // A conda prefix without bin/python is passed over.
        env.insert("CONDA_PREFIX", dir.path().join("empty").into_os_string());
        assert_eq!(
            found(&env, None),
            Some((on_path.join("python3"), Origin::Path))
        );
        env.remove("PATH");
        assert_eq!(found(&env, None), None);
    }
}
