//! The files of the model folder with sizes and kinds, listed from directory metadata only:
//! nothing is read, symbolic links are reported and never followed.

use std::path::Path;

use super::error::Warning;

/// What a file is to the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArtifactKind {
    /// The `MLmodel` file.
    MlModel,
    /// conda.yaml, python_env.yaml, requirements.txt, constraints.txt.
    Environment,
    /// input_example.json, serving_input_example.json.
    Example,
    /// A file or folder a flavor names (weights, pickles, code).
    FlavorPayload,
    /// ONNX weights saved beside model.onnx (external data, MLflow's default).
    OnnxWeights,
    /// `registered_model_meta`: the registry name and version MLflow's download adds.
    RegistryInfo,
    /// Databricks' `metadata/` copies of MLmodel and the environment files.
    MetadataCopy,
    /// Wheels added by `mlflow.models.add_libraries_to_model`.
    Wheels,
    /// Anything else.
    Other,
}

impl ArtifactKind {
    /// The kind in a word.
    pub fn label(self) -> &'static str {
        match self {
            ArtifactKind::MlModel => "MLmodel",
            ArtifactKind::Environment => "environment",
            ArtifactKind::Example => "example",
            ArtifactKind::FlavorPayload => "flavor payload",
            ArtifactKind::OnnxWeights => "ONNX weights",
            ArtifactKind::RegistryInfo => "registry info",
            ArtifactKind::MetadataCopy => "metadata copy",
            ArtifactKind::Wheels => "wheels",
            ArtifactKind::Other => "other",
        }
    }
}

/// One entry of the folder.
#[derive(Debug, Clone, PartialEq)]
pub struct Artifact {
    /// Path relative to the model folder, `/`-separated.
    pub path: String,
    /// Whether it is a folder.
    pub is_dir: bool,
    /// Size in bytes (files only; a folder's is the sum of what is listed under it).
    pub size: u64,
    /// What it is to the model.
    pub kind: ArtifactKind,
    /// For a symbolic link: where it points (not followed).
    pub link_target: Option<String>,
}

/// The listing of the folder.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Artifacts {
    /// Entries in depth-first order, each folder before its content, names sorted.
    pub entries: Vec<Artifact>,
    /// Sum of file sizes.
    pub total_size: u64,
    /// Whether the listing stopped at [`MAX_ENTRIES`].
    pub truncated: bool,
}

/// The most entries listed.
pub const MAX_ENTRIES: usize = 200_000;
const MAX_DEPTH: usize = 64;

/// Lists `root`; `payload` are the paths the flavors name (files or folders).
pub fn list_artifacts(root: &Path, payload: &[String], warnings: &mut Vec<Warning>) -> Artifacts {
    let mut out = Artifacts::default();
    let payload: Vec<String> = payload
        .iter()
        .map(|p| p.trim_start_matches("./").trim_end_matches('/').to_string())
        .filter(|p| !p.is_empty() && p != ".")
        .collect();
    walk(root, "", 0, &payload, &mut out, warnings);
    out
}

fn kind_of(path: &str, payload: &[String]) -> ArtifactKind {
    let dir = |p: &str| p.rsplit_once('/').map_or("", |(d, _)| d).to_string();
    let beside_onnx = payload
        .iter()
        .any(|p| p.ends_with(".onnx") && dir(p) == dir(path));
    match path {
        "MLmodel" => ArtifactKind::MlModel,
        "conda.yaml"
        | "python_env.yaml"
        | "requirements.txt"
        | "constraints.txt"
        | "environment_variables.txt"
        | "uv.lock"
        | "pyproject.toml"
        | ".python-version" => ArtifactKind::Environment,
        "input_example.json" | "serving_input_example.json" => ArtifactKind::Example,
        "registered_model_meta" => ArtifactKind::RegistryInfo,
        _ if path == "metadata" || path.starts_with("metadata/") => ArtifactKind::MetadataCopy,
        _ if path == "wheels" || path.starts_with("wheels/") => ArtifactKind::Wheels,
        // External data beside the .onnx file (not named in MLmodel; the .onnx names it).
        _ if beside_onnx && path.ends_with(".data") => ArtifactKind::OnnxWeights,
        _ if payload
            .iter()
            .any(|p| path == p || path.starts_with(&format!("{p}/"))) =>
        {
            ArtifactKind::FlavorPayload
        }
        _ => ArtifactKind::Other,
    }
}

fn walk(
    dir: &Path,
    rel: &str,
    depth: usize,
    payload: &[String],
    out: &mut Artifacts,
    warnings: &mut Vec<Warning>,
) -> u64 {
    if depth > MAX_DEPTH {
        warnings.push(Warning::new(
            rel,
            "folders nested too deep; not listed further",
        ));
        return 0;
    }
    let mut sum = 0;
    let mut entries: Vec<std::fs::DirEntry> = match std::fs::read_dir(dir) {
        Ok(iter) => iter.filter_map(Result::ok).collect(),
        Err(e) => {
            let subject = if rel.is_empty() { "." } else { rel };
            warnings.push(Warning::new(subject, format!("cannot list folder: {e}")));
            return 0;
        }
    };
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        if out.entries.len() >= MAX_ENTRIES {
            if !out.truncated {
                warnings.push(Warning::new(
                    ".",
                    format!(
                        "the folder has more than {MAX_ENTRIES} entries; the listing stops there"
                    ),
                ));
            }
            out.truncated = true;
            return sum;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        let Ok(meta) = std::fs::symlink_metadata(entry.path()) else {
            continue;
        };
        let kind = kind_of(&path, payload);
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(entry.path())
                .map(|t| t.display().to_string())
                .unwrap_or_default();
            out.entries.push(Artifact {
                path,
                is_dir: false,
                size: 0,
                kind,
                link_target: Some(target),
            });
        } else if meta.is_dir() {
            let index = out.entries.len();
            out.entries.push(Artifact {
                path: path.clone(),
                is_dir: true,
                size: 0,
                kind,
                link_target: None,
            });
            let inner = walk(&entry.path(), &path, depth + 1, payload, out, warnings);
            if let Some(dir_entry) = out.entries.get_mut(index) {
                dir_entry.size = inner;
            }
            sum += inner;
        } else {
            out.total_size += meta.len();
            sum += meta.len();
            out.entries.push(Artifact {
                path,
                is_dir: false,
                size: meta.len(),
                kind,
                link_target: None,
            });
        }
    }
    sum
}
