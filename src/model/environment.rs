//! The model's Python environment: conda.yaml, python_env.yaml, requirements.txt and
//! constraints.txt, each kept as written and parsed into packages and pins, with mismatches
//! between them noted.

use std::path::Path;

use serde_json::Value;

use super::error::Warning;
use super::fsutil::{ENV_FILE_CAP, ReadError, read_text_inside};
use super::mlmodel::{describe, parse_yaml, scalar_text};

/// Where a dependency was declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A conda package in conda.yaml.
    Conda,
    /// A pip package in conda.yaml's `pip:` list.
    CondaPip,
    /// python_env.yaml's `dependencies`.
    PythonEnv,
    /// python_env.yaml's `build_dependencies`.
    Build,
    /// requirements.txt (or a file it includes).
    Requirements,
    /// constraints.txt.
    Constraints,
}

impl Source {
    /// Where it came from, in words.
    pub fn label(self) -> &'static str {
        match self {
            Source::Conda => "conda",
            Source::CondaPip => "conda pip",
            Source::PythonEnv => "python_env",
            Source::Build => "build",
            Source::Requirements => "requirements",
            Source::Constraints => "constraints",
        }
    }

    /// The file it is read from, as the window's columns and `show` name it.
    pub fn file(self) -> &'static str {
        match self {
            Source::Conda | Source::CondaPip => "conda.yaml",
            Source::PythonEnv => "python_env.yaml",
            Source::Requirements => "requirements.txt",
            Source::Constraints => "constraints.txt",
            Source::Build => "build",
        }
    }
}

impl PackageRow {
    /// Each distinct spec with the files that ask for it, side by side:
    /// `==3.17.2 (conda.yaml, python_env.yaml, requirements.txt)`, or
    /// `==1.2 (conda.yaml); ==1.3 (requirements.txt)` where they differ.
    pub fn specs_text(&self) -> String {
        let mut groups: Vec<(&str, Vec<&'static str>)> = Vec::new();
        for (source, spec) in &self.specs {
            let file = source.file();
            match groups.iter_mut().find(|(s, _)| *s == spec.as_str()) {
                Some((_, files)) => {
                    if !files.contains(&file) {
                        files.push(file);
                    }
                }
                None => groups.push((spec.as_str(), vec![file])),
            }
        }
        groups
            .iter()
            .map(|(spec, files)| format!("{spec} ({})", files.join(", ")))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// One line of a requirements list, parsed.
#[derive(Debug, Clone, PartialEq)]
pub enum Requirement {
    /// A package: `name[extras]<spec> ; marker`, or `name @ url`.
    Package {
        /// The package name as written.
        name: String,
        /// Extras, as written inside `[...]`.
        extras: Option<String>,
        /// The version specifier (`==3.17.2`, `>=1,<2`, `=3.8.12` for conda), or `@ url`.
        spec: String,
        /// An environment marker after `;`.
        marker: Option<String>,
    },
    /// `-r file` or `-c file`.
    Include {
        /// True for `-c` (constraints), false for `-r`.
        constraint: bool,
        /// The file named.
        path: String,
    },
    /// A URL, a path or a pip option that names no package.
    Other(String),
}

impl Requirement {
    /// The package name, normalised (`Scikit_Learn` gives `scikit-learn`).
    pub fn normalized_name(&self) -> Option<String> {
        match self {
            Requirement::Package { name, .. } => Some(normalize(name)),
            _ => None,
        }
    }

    /// The name as written with its extras (`uvicorn[standard]`); `None` for includes and
    /// other lines.
    pub fn display_name(&self) -> Option<String> {
        match self {
            Requirement::Package {
                name,
                extras: Some(e),
                ..
            } => Some(format!("{name}[{e}]")),
            Requirement::Package { name, .. } => Some(name.clone()),
            _ => None,
        }
    }

    /// What version it asks for: the spec (`any` when unpinned) and its marker after ` ; `;
    /// `None` for includes and other lines.
    pub fn version_text(&self) -> Option<String> {
        let Requirement::Package { spec, marker, .. } = self else {
            return None;
        };
        let spec = if spec.is_empty() { "any" } else { spec };
        Some(match marker {
            Some(m) => format!("{spec} ; {m}"),
            None => spec.to_string(),
        })
    }

    /// The exact version when pinned with `==` (or conda's `=`/`==`).
    pub fn pinned_version(&self) -> Option<&str> {
        match self {
            Requirement::Package { spec, .. } => {
                let v = spec.strip_prefix("==").or_else(|| spec.strip_prefix('='))?;
                (!v.contains([',', '<', '>', '!', '~', '*', '=']))
                    .then_some(v.split('=').next().unwrap_or(v))
            }
            _ => None,
        }
    }
}

/// A package name normalised as pip compares them.
pub fn normalize(name: &str) -> String {
    name.to_ascii_lowercase().replace(['_', '.'], "-")
}

/// A dependency line with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Dependency {
    /// The line as written (trimmed).
    pub line: String,
    /// Its parse.
    pub requirement: Requirement,
    /// The file or list it came from.
    pub source: Source,
    /// The file it came from, relative to the model folder.
    pub file: String,
}

/// Parses a pip requirement line (without the trailing comment). `None` for blank lines.
pub fn parse_pip_line(line: &str) -> Option<Requirement> {
    let line = strip_comment(line).trim();
    if line.is_empty() {
        return None;
    }
    for (flag, constraint) in [
        ("--requirement", false),
        ("--constraint", true),
        ("-r", false),
        ("-c", true),
    ] {
        if let Some(rest) = line.strip_prefix(flag) {
            let path = rest.trim_start_matches(['=', ' ', '\t']);
            if !path.is_empty() {
                return Some(Requirement::Include {
                    constraint,
                    path: path.to_string(),
                });
            }
        }
    }
    if line.starts_with('-')
        || line.contains("://")
        || line.starts_with('.')
        || line.starts_with('/')
    {
        return Some(Requirement::Other(line.to_string()));
    }
    let (body, marker) = match line.split_once(';') {
        Some((b, m)) => (b.trim(), Some(m.trim().to_string())),
        None => (line, None),
    };
    let name_end = body
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(body.len());
    let name = &body[..name_end];
    if name.is_empty() {
        return Some(Requirement::Other(line.to_string()));
    }
    let mut rest = body[name_end..].trim();
    let mut extras = None;
    if let Some(after) = rest.strip_prefix('[')
        && let Some(close) = after.find(']')
    {
        extras = Some(after[..close].to_string());
        rest = after[close + 1..].trim();
    }
    Some(Requirement::Package {
        name: name.to_string(),
        extras,
        spec: rest.replace(' ', ""),
        marker,
    })
}

/// Parses a conda package spec (`python=3.8.12`, `pip<=23.2.1`, `conda-forge::numpy=1.2`).
pub fn parse_conda_spec(spec: &str) -> Requirement {
    let spec = spec.trim();
    let body = spec.rsplit("::").next().unwrap_or(spec);
    let name_end = body
        .find(['=', '<', '>', '!', '~', ' '])
        .unwrap_or(body.len());
    Requirement::Package {
        name: body[..name_end].to_string(),
        extras: None,
        spec: body[name_end..].replace(' ', ""),
        marker: None,
    }
}

fn strip_comment(line: &str) -> &str {
    if line.trim_start().starts_with('#') {
        return "";
    }
    match line.find(" #").or_else(|| line.find("\t#")) {
        Some(pos) => &line[..pos],
        None => line,
    }
}

/// An environment file as read: its text (for viewing) and its parse, or why not.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvFile<T> {
    /// The file, relative to the model folder.
    pub file: String,
    /// Its text, when it could be read.
    pub text: Option<String>,
    /// The parse, or the problem (unreadable, bad YAML, wrong types).
    pub parsed: Result<T, String>,
}

/// conda.yaml.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CondaEnv {
    /// `name`.
    pub name: Option<String>,
    /// `channels`.
    pub channels: Vec<String>,
    /// Conda packages (`dependencies` strings).
    pub conda: Vec<Dependency>,
    /// Pip packages (`dependencies` → `pip:` list).
    pub pip: Vec<Dependency>,
    /// The python pin, e.g. `3.8.12` from `python=3.8.12`.
    pub python: Option<String>,
}

/// python_env.yaml.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PythonEnv {
    /// `python`: the interpreter version.
    pub python: Option<String>,
    /// `build_dependencies`.
    pub build: Vec<Dependency>,
    /// `dependencies`, with `-r` files followed inside the model folder.
    pub dependencies: Vec<Dependency>,
}

/// A requirements-style file: every line kept.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RequirementsFile {
    /// Parsed lines (blank lines and comments dropped).
    pub lines: Vec<Dependency>,
}

/// The whole environment of the model.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Environment {
    /// `python_function.python_version` from MLmodel.
    pub python_version: Option<String>,
    /// conda.yaml, if the model has one.
    pub conda: Option<EnvFile<CondaEnv>>,
    /// python_env.yaml, if the model has one.
    pub python_env: Option<EnvFile<PythonEnv>>,
    /// requirements.txt, if the model has one.
    pub requirements: Option<EnvFile<RequirementsFile>>,
    /// constraints.txt, if the model has one.
    pub constraints: Option<EnvFile<RequirementsFile>>,
    /// Disagreements between the files (python version, pins).
    pub mismatches: Vec<String>,
}

/// One package across the environment files: what each file asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct PackageRow {
    /// The name as first written (extras kept).
    pub name: String,
    /// What each file asks for (`any` when unpinned; the marker after `;`), in file order.
    pub specs: Vec<(Source, String)>,
    /// Whether two files pin different exact versions.
    pub conflict: bool,
}

impl Environment {
    /// One row per package (pip names compared as pip compares them), with the spec from each
    /// file side by side; build dependencies are left out (they are not the model's).
    pub fn package_rows(&self) -> Vec<PackageRow> {
        let mut rows: Vec<(String, PackageRow)> = Vec::new();
        for dep in self.dependencies() {
            if dep.source == Source::Build {
                continue;
            }
            let (Some(key), Some(display), Some(text)) = (
                dep.requirement.normalized_name(),
                dep.requirement.display_name(),
                dep.requirement.version_text(),
            ) else {
                continue;
            };
            match rows.iter_mut().find(|(k, _)| *k == key) {
                Some((_, row)) => {
                    if !row
                        .specs
                        .iter()
                        .any(|(s, t)| *s == dep.source && *t == text)
                    {
                        row.specs.push((dep.source, text));
                    }
                }
                None => rows.push((
                    key,
                    PackageRow {
                        name: display,
                        specs: vec![(dep.source, text)],
                        conflict: false,
                    },
                )),
            }
        }
        let pinned = |spec: &str| {
            Requirement::Package {
                name: String::new(),
                spec: spec.split(" ;").next().unwrap_or(spec).to_string(),
                marker: None,
                extras: None,
            }
            .pinned_version()
            .map(str::to_string)
        };
        rows.into_iter()
            .map(|(_, mut row)| {
                let pins: Vec<String> = row.specs.iter().filter_map(|(_, s)| pinned(s)).collect();
                row.conflict = pins.windows(2).any(|w| w[0] != w[1]);
                row
            })
            .collect()
    }

    /// Every dependency of every file, in file order.
    pub fn dependencies(&self) -> Vec<&Dependency> {
        let mut out = Vec::new();
        if let Some(Ok(c)) = self.conda.as_ref().map(|f| f.parsed.as_ref()) {
            out.extend(c.conda.iter());
            out.extend(c.pip.iter());
        }
        if let Some(Ok(p)) = self.python_env.as_ref().map(|f| f.parsed.as_ref()) {
            out.extend(p.build.iter());
            out.extend(p.dependencies.iter());
        }
        for file in [&self.requirements, &self.constraints]
            .into_iter()
            .flatten()
        {
            if let Ok(r) = &file.parsed {
                out.extend(r.lines.iter());
            }
        }
        out
    }
}

fn read_env_text(root: &Path, file: &str) -> Result<String, String> {
    read_text_inside(root, file, ENV_FILE_CAP).map_err(|e| match e {
        ReadError::Missing => "file not found".to_string(),
        other => other.to_string(),
    })
}

/// Parses YAML text that must hold a mapping (an environment file).
fn parse_yaml_mapping(text: &str) -> Result<serde_json::Map<String, Value>, String> {
    match parse_yaml(text)? {
        Value::Object(map) => Ok(map),
        Value::Null => Err("the file is empty".into()),
        other => Err(format!(
            "expected a YAML mapping, found {}",
            describe(&other)
        )),
    }
}

/// Reads conda.yaml text.
pub fn parse_conda(text: &str, file: &str) -> Result<CondaEnv, String> {
    let map = parse_yaml_mapping(text)?;
    let mut env = CondaEnv {
        name: map.get("name").and_then(scalar_text),
        ..Default::default()
    };
    match map.get("channels") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => env.channels = items.iter().filter_map(scalar_text).collect(),
        Some(other) => {
            return Err(format!(
                "`channels` must be a list, found {}",
                describe(other)
            ));
        }
    }
    match map.get("dependencies") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for item in items {
                match item {
                    Value::Object(sub) => {
                        for (key, list) in sub {
                            if key != "pip" {
                                continue;
                            }
                            let Value::Array(lines) = list else {
                                return Err(format!(
                                    "`pip` must be a list, found {}",
                                    describe(list)
                                ));
                            };
                            for line in lines.iter().filter_map(scalar_text) {
                                if let Some(req) = parse_pip_line(&line) {
                                    env.pip.push(Dependency {
                                        line: line.trim().to_string(),
                                        requirement: req,
                                        source: Source::CondaPip,
                                        file: file.to_string(),
                                    });
                                }
                            }
                        }
                    }
                    other => {
                        let Some(spec) = scalar_text(other) else {
                            return Err(format!(
                                "each of `dependencies` must be a package spec or a `pip:` list, found {}",
                                describe(other)
                            ));
                        };
                        let req = parse_conda_spec(&spec);
                        if req.normalized_name().as_deref() == Some("python")
                            && let Requirement::Package { spec: s, .. } = &req
                        {
                            env.python = Some(s.trim_start_matches(['=', '<', '>']).to_string());
                        }
                        env.conda.push(Dependency {
                            line: spec.trim().to_string(),
                            requirement: req,
                            source: Source::Conda,
                            file: file.to_string(),
                        });
                    }
                }
            }
        }
        Some(other) => {
            return Err(format!(
                "`dependencies` must be a list, found {}",
                describe(other)
            ));
        }
    }
    Ok(env)
}

/// Parses requirements text; `-r` includes are followed by `follow`.
pub fn parse_requirements(text: &str, file: &str, source: Source) -> RequirementsFile {
    let lines = text
        .lines()
        .filter_map(|line| {
            parse_pip_line(line).map(|req| Dependency {
                line: strip_comment(line).trim().to_string(),
                requirement: req,
                source,
                file: file.to_string(),
            })
        })
        .collect();
    RequirementsFile { lines }
}

/// Reads python_env.yaml text, following `-r` files inside the model folder.
pub fn parse_python_env(
    text: &str,
    file: &str,
    root: Option<&Path>,
    warnings: &mut Vec<Warning>,
) -> Result<PythonEnv, String> {
    let map = parse_yaml_mapping(text)?;
    let mut env = PythonEnv {
        python: map.get("python").and_then(scalar_text),
        ..Default::default()
    };
    let list = |key: &str| -> Result<Vec<String>, String> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => Ok(items.iter().filter_map(scalar_text).collect()),
            Some(other) => Err(format!("`{key}` must be a list, found {}", describe(other))),
        }
    };
    for line in list("build_dependencies")? {
        if let Some(req) = parse_pip_line(&line) {
            env.build.push(Dependency {
                line,
                requirement: req,
                source: Source::Build,
                file: file.to_string(),
            });
        }
    }
    // One set of files already read for the whole tree: a file named twice is read once.
    let mut seen = vec![file.to_string()];
    for line in list("dependencies")? {
        let Some(req) = parse_pip_line(&line) else {
            continue;
        };
        if let (
            Requirement::Include {
                path,
                constraint: false,
            },
            Some(root),
        ) = (&req, root)
        {
            follow(root, path, &mut seen, &mut env.dependencies, warnings, 0);
        }
        env.dependencies.push(Dependency {
            line,
            requirement: req,
            source: Source::PythonEnv,
            file: file.to_string(),
        });
    }
    Ok(env)
}

/// The most requirements read from the files one python_env.yaml includes.
pub const MAX_REQUIREMENTS: usize = 10_000;

fn follow(
    root: &Path,
    path: &str,
    seen: &mut Vec<String>,
    out: &mut Vec<Dependency>,
    warnings: &mut Vec<Warning>,
    depth: usize,
) {
    if depth > 8 || seen.iter().any(|s| s == path) {
        return;
    }
    seen.push(path.to_string());
    match read_env_text(root, path) {
        Ok(text) => {
            for dep in parse_requirements(&text, path, Source::PythonEnv).lines {
                if let Requirement::Include {
                    path: inner,
                    constraint: false,
                } = &dep.requirement
                {
                    follow(root, inner, seen, out, warnings, depth + 1);
                } else if out.len() >= MAX_REQUIREMENTS {
                    warnings.push(Warning::new(
                        path,
                        format!(
                            "more than {MAX_REQUIREMENTS} requirements in the files python_env.yaml includes; the rest are not read"
                        ),
                    ));
                    return;
                } else {
                    out.push(dep);
                }
            }
        }
        Err(e) => warnings.push(Warning::new(
            path,
            format!("named by `-r` in python_env.yaml: {e}"),
        )),
    }
}

/// Reads the environment files of the model in `root`.
pub fn read_environment(
    root: &Path,
    python_version: Option<String>,
    conda_file: Option<&str>,
    virtualenv_file: Option<&str>,
    warnings: &mut Vec<Warning>,
) -> Environment {
    let mut env = Environment {
        python_version,
        ..Default::default()
    };
    let exists = |f: &str| {
        matches!(
            super::fsutil::status_of(root, f),
            super::fsutil::PathStatus::Present { is_dir: false, .. }
        )
    };
    let conda_file = conda_file
        .map(str::to_string)
        .or_else(|| exists("conda.yaml").then(|| "conda.yaml".into()));
    if let Some(file) = conda_file {
        let text = read_env_text(root, &file);
        let parsed = text.clone().and_then(|t| parse_conda(&t, &file));
        if let Err(e) = &parsed {
            warnings.push(Warning::new(&file, e.clone()));
        }
        env.conda = Some(EnvFile {
            file,
            text: text.ok(),
            parsed,
        });
    }
    let venv_file = virtualenv_file
        .map(str::to_string)
        .or_else(|| exists("python_env.yaml").then(|| "python_env.yaml".into()));
    if let Some(file) = venv_file {
        let text = read_env_text(root, &file);
        let parsed = text
            .clone()
            .and_then(|t| parse_python_env(&t, &file, Some(root), warnings));
        if let Err(e) = &parsed {
            warnings.push(Warning::new(&file, e.clone()));
        }
        env.python_env = Some(EnvFile {
            file,
            text: text.ok(),
            parsed,
        });
    }
    for (file, source) in [
        ("requirements.txt", Source::Requirements),
        ("constraints.txt", Source::Constraints),
    ] {
        if !exists(file)
            && !matches!(
                super::fsutil::status_of(root, file),
                super::fsutil::PathStatus::Outside { .. }
            )
        {
            continue;
        }
        let text = read_env_text(root, file);
        if let Err(e) = &text {
            warnings.push(Warning::new(file, e.clone()));
        }
        let parsed = text.clone().map(|t| parse_requirements(&t, file, source));
        let entry = Some(EnvFile {
            file: file.to_string(),
            text: text.ok(),
            parsed,
        });
        if source == Source::Requirements {
            env.requirements = entry;
        } else {
            env.constraints = entry;
        }
    }
    env.mismatches = find_mismatches(&env);
    env
}

/// Whether a conda-style python pin (`3.8`, `3.8.12`, `3.8.*`) admits `version`.
fn python_pin_admits(pin: &str, version: &str) -> bool {
    let pin = pin.trim_end_matches(".*").trim_end_matches('*');
    version == pin || version.starts_with(&format!("{pin}."))
}

fn find_mismatches(env: &Environment) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(version) = &env.python_version {
        if let Some(Ok(conda)) = env.conda.as_ref().map(|f| f.parsed.as_ref())
            && let Some(pin) = &conda.python
            && !python_pin_admits(pin, version)
        {
            out.push(format!(
                "python_version in MLmodel is {version}, but conda.yaml pins python {pin}"
            ));
        }
        if let Some(Ok(venv)) = env.python_env.as_ref().map(|f| f.parsed.as_ref())
            && let Some(py) = &venv.python
            && !python_pin_admits(py, version)
        {
            out.push(format!(
                "python_version in MLmodel is {version}, but python_env.yaml says python {py}"
            ));
        }
    }
    // The same package pinned differently in different files (mlflow most of all).
    let mut by_name: indexmap::IndexMap<String, Vec<&Dependency>> = indexmap::IndexMap::new();
    for dep in env.dependencies() {
        if matches!(dep.source, Source::Conda | Source::Build) {
            continue;
        }
        if let Some(name) = dep.requirement.normalized_name() {
            by_name.entry(name).or_default().push(dep);
        }
    }
    for (name, deps) in by_name {
        let specs: Vec<&str> = deps
            .iter()
            .filter_map(|d| match &d.requirement {
                Requirement::Package { spec, .. } if !spec.is_empty() => Some(spec.as_str()),
                _ => None,
            })
            .collect();
        let first = specs.first();
        if let Some(first) = first
            && specs.iter().any(|s| s != first)
        {
            let listed: Vec<String> = deps
                .iter()
                .filter_map(|d| match &d.requirement {
                    Requirement::Package { spec, .. } if !spec.is_empty() => {
                        Some(format!("{spec} in {}", d.file))
                    }
                    _ => None,
                })
                .collect();
            out.push(format!(
                "{name} is pinned differently: {}",
                listed.join(", ")
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pip_lines_parse_into_name_and_pin() {
        let r = parse_pip_line("mlflow==3.17.2").unwrap();
        assert_eq!(r.normalized_name().as_deref(), Some("mlflow"));
        assert_eq!(r.pinned_version(), Some("3.17.2"));
        let r = parse_pip_line("Scikit_Learn[alldeps] >= 1.0, <2 ; python_version > '3.8'  # x")
            .unwrap();
        match r {
            Requirement::Package {
                name,
                extras,
                spec,
                marker,
            } => {
                assert_eq!(name, "Scikit_Learn");
                assert_eq!(extras.as_deref(), Some("alldeps"));
                assert_eq!(spec, ">=1.0,<2");
                assert_eq!(marker.as_deref(), Some("python_version > '3.8'"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            parse_pip_line("-r requirements.txt"),
            Some(Requirement::Include {
                constraint: false,
                path: "requirements.txt".into()
            })
        );
        assert_eq!(
            parse_pip_line("-c constraints.txt"),
            Some(Requirement::Include {
                constraint: true,
                path: "constraints.txt".into()
            })
        );
        assert_eq!(parse_pip_line("# comment"), None);
        assert!(matches!(
            parse_pip_line("--extra-index-url https://x"),
            Some(Requirement::Other(_))
        ));
    }

    #[test]
    fn conda_specs_parse() {
        let r = parse_conda_spec("python=3.8.12");
        assert_eq!(r.pinned_version(), Some("3.8.12"));
        let r = parse_conda_spec("conda-forge::numpy>=1.2");
        assert_eq!(r.normalized_name().as_deref(), Some("numpy"));
    }

    #[test]
    fn python_pins_admit_versions_as_conda_does() {
        assert!(python_pin_admits("3.8", "3.8.12"));
        assert!(python_pin_admits("3.8.12", "3.8.12"));
        assert!(!python_pin_admits("3.8", "3.9.1"));
        assert!(!python_pin_admits("3.8.1", "3.8.12"));
    }
}
