//! The model card: a typed, UI-free description of an MLflow model folder, read the way MLflow
//! reads it. Opening a folder reads `MLmodel`, the environment files and the input example;
//! it never reads model weights and never runs model code.

pub mod artifacts;
pub mod classes;
pub mod environment;
pub mod error;
pub mod example;
pub mod flavors;
pub mod fsutil;
pub mod json;
pub mod lenient_json;
pub mod mlmodel;
pub mod numpy;
pub mod params;
pub mod signature;
pub mod yaml_budget;

use std::path::{Path, PathBuf};

pub use error::{OpenError, Warning};

use artifacts::Artifacts;
use environment::Environment;
use example::InputExample;
use flavors::{Flavor, FlavorView};
use fsutil::{MLMODEL_CAP, ReadError};
use mlmodel::MlModel;
use signature::SignatureState;

/// The file name MLflow gives the model description.
pub const MLMODEL_FILE_NAME: &str = "MLmodel";

/// How the `MLmodel` file was found from the path the user chose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// The chosen folder holds `MLmodel`.
    Folder,
    /// The user chose the `MLmodel` file itself.
    File,
    /// The chosen folder does not, but its subfolder `subfolder` does (a run's `model/`).
    OneDown {
        /// The subfolder's name.
        subfolder: String,
    },
}

/// Everything the inspector knows about a model folder.
#[derive(Debug, Clone)]
pub struct ModelCard {
    /// The path the user chose.
    pub chosen: PathBuf,
    /// The folder that holds `MLmodel`.
    pub root: PathBuf,
    /// How `MLmodel` was found.
    pub location: Location,
    /// The parsed `MLmodel`.
    pub mlmodel: MlModel,
    /// The raw text of `MLmodel`.
    pub mlmodel_text: String,
    /// Flavors, `python_function` first.
    pub flavors: Vec<Flavor>,
    /// The signature.
    pub signature: SignatureState,
    /// The environment files.
    pub environment: Environment,
    /// The input example, when the model has one.
    pub input_example: Option<InputExample>,
    /// The folder's files.
    pub artifacts: Artifacts,
    /// The class names the model records for itself (`metadata`, a transformers config).
    pub classes: Option<classes::ClassNames>,
    /// Problems that did not stop the folder from opening.
    pub warnings: Vec<Warning>,
    /// The URI it was opened from, when it came from a tracking server (`root` is then its
    /// mirror in the cache).
    pub source: Option<String>,
    /// The folder's name as the user knows it (resolved through links when the card was read).
    pub folder_name: String,
}

/// The folder's name for display, resolved once when the card is read.
fn folder_name(chosen: &Path, root: &Path, location: &Location) -> String {
    let name_of = |p: &Path| folder_label(&p.canonicalize().unwrap_or_else(|_| p.to_path_buf()));
    match location {
        // A run's folder with the model in `model/`: the run folder says more.
        Location::OneDown { subfolder } => format!("{}/{subfolder}", name_of(chosen)),
        _ => name_of(root),
    }
}

impl ModelCard {
    /// The model's size in words, saying what each figure counts: MLflow's own
    /// `model_size_bytes` when `MLmodel` records it, and the folder's files on disk
    /// (`3.2 KB (MLflow's model_size_bytes), 4.3 KB on disk`). The header and `show` both say it.
    pub fn size_text(&self) -> String {
        let disk = crate::text::human_size(self.artifacts.total_size);
        match self.mlmodel.model_size_bytes {
            Some(n) => format!(
                "{} (MLflow's model_size_bytes), {disk} on disk",
                crate::text::human_size(n)
            ),
            None => format!("{disk} on disk"),
        }
    }

    /// The model's display name: the URI it came from, else the folder's name (`run/model`
    /// when found one level down). Read from the card: no file system call (the window title
    /// and the header ask every frame).
    pub fn display_name(&self) -> String {
        self.source
            .clone()
            .unwrap_or_else(|| self.folder_name.clone())
    }

    /// The `python_function` flavor's view, when the model has one.
    pub fn pyfunc(&self) -> Option<&flavors::PyFuncView> {
        self.flavors.iter().find_map(|f| match &f.view {
            FlavorView::PythonFunction(v) => Some(v.as_ref()),
            _ => None,
        })
    }

    /// The names of the signature's inputs (empty when unnamed or without a signature).
    pub fn input_names(&self) -> Vec<String> {
        self.signature
            .valid()
            .and_then(|s| s.inputs.as_ref())
            .map(|s| {
                s.specs
                    .iter()
                    .filter_map(|spec| spec.name().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The flavor named `name`.
    pub fn flavor(&self, name: &str) -> Option<&Flavor> {
        self.flavors.iter().find(|f| f.name == name)
    }

    /// What loading the model for predict runs, one line each, in the user's words (the trust
    /// prompt shows them): a models-from-code script, a pickle, a `code/` folder, or only a
    /// framework reading a data file. Read from the card; nothing is opened.
    pub fn code_that_runs(&self) -> CodeThatRuns {
        let mut lines = Vec::new();
        let mut model_code = false;
        let Some(py) = self.pyfunc() else {
            if let Some(crate_flavor) = self.flavor("crate") {
                // MLflow serves an R model through Rscript: R's mlflow package unserialises it.
                let file = crate_flavor
                    .config
                    .get("model")
                    .and_then(|v| v.as_str())
                    .unwrap_or("crate.bin");
                return CodeThatRuns {
                    lines: vec![
                        format!(
                            "{file}, an R function saved with crate: R unserialises it, which runs R code"
                        ),
                        "Rscript and R's mlflow package".into(),
                    ],
                    model_code: true,
                };
            }
            return CodeThatRuns {
                lines: vec!["nothing: the model has no python_function flavor".into()],
                model_code: false,
            };
        };
        let loader = py.loader_module.as_deref().unwrap_or("(no loader_module)");
        if let Some(script) = &py.model_code_path {
            let name = script.rsplit(['/', '\\']).next().unwrap_or(script);
            lines.push(format!(
                "{name}, the Python file that defines the model (models from code): MLflow runs it as a script"
            ));
            model_code = true;
        } else if let Some(pickle) = &py.python_model {
            // MLflow may compress it (python_model.pkl.xz, .bz2, .gz): still a pickle.
            let compressed = if [".xz", ".bz2", ".gz"]
                .iter()
                .any(|ext| pickle.ends_with(ext))
            {
                " (compressed)"
            } else {
                ""
            };
            lines.push(format!(
                "{pickle}, the custom PythonModel saved with cloudpickle{compressed}: unpickling it runs code"
            ));
            model_code = true;
        } else {
            let flavor = loader.strip_prefix("mlflow.").and_then(|f| self.flavor(f));
            match flavor.map(|f| &f.view) {
                Some(FlavorView::Sklearn {
                    pickled_model,
                    serialization_format,
                    ..
                }) => {
                    let file = pickled_model.as_deref().unwrap_or("model.pkl");
                    match serialization_format.as_deref().unwrap_or("cloudpickle") {
                        "skops" => {
                            // MLflow hands MLmodel's own list to skops.io.load(trusted=...):
                            // the author's choice, which can trust anything.
                            let trusted: Vec<String> = flavor
                                .and_then(|f| f.config.get("skops_trusted_types"))
                                .and_then(|v| v.as_array())
                                .map(|a| {
                                    a.iter()
                                        .filter_map(|v| v.as_str().map(str::to_string))
                                        .collect()
                                })
                                .unwrap_or_default();
                            lines.push(if trusted.is_empty() {
                                format!(
                                    "{file}, read with skops, which builds the types it trusts by default (MLmodel trusts none more)"
                                )
                            } else {
                                format!(
                                    "{file}, read with skops, which builds the types it trusts by default and those MLmodel's skops_trusted_types lists, chosen by the model's author: {}",
                                    trusted.join(", ")
                                )
                            });
                        }
                        format => {
                            lines.push(format!("{file}, a {format} file: unpickling it runs code"));
                            model_code = true;
                        }
                    }
                }
                Some(FlavorView::Pytorch { saved_file, .. })
                    if saved_file.as_deref() == Some("model.pt2") =>
                {
                    // torch.export.load unpickles weights, constants and sample inputs with
                    // weights_only=False.
                    lines.push(
                        "model.pt2, a torch.export program: torch.export.load unpickles its weights and constants (weights_only=False), which can run code".into(),
                    );
                    model_code = true;
                }
                Some(FlavorView::Pytorch { .. }) => {
                    lines
                        .push("model.pth, a pickled PyTorch model: unpickling it runs code".into());
                    model_code = true;
                }
                Some(FlavorView::Onnx { data, .. }) => lines.push(format!(
                    "{}, an ONNX graph run by onnxruntime (a graph, not Python code)",
                    data.as_deref().unwrap_or("model.onnx")
                )),
                _ => {
                    let data = py.data.as_deref().unwrap_or("the model's files");
                    lines.push(format!("{data}, loaded by {loader}"));
                    // A loader this app does not know may unpickle.
                    model_code = !loader.starts_with("mlflow.");
                    // TensorFlow's loader unpickles the custom objects saved beside the model.
                    if let Some(custom) = self
                        .artifacts
                        .entries
                        .iter()
                        .find(|e| e.path.ends_with("custom_objects.cloudpickle"))
                    {
                        lines.push(format!(
                            "{}, custom objects saved with cloudpickle: unpickling it runs code",
                            custom.path
                        ));
                        model_code = true;
                    }
                }
            }
        }
        if let Some(code) = &py.code {
            lines.push(format!(
                "the Python modules in {code}/, first on Python's path"
            ));
            model_code = true;
        }
        lines.push(if loader.starts_with("mlflow.") {
            format!("MLflow's {loader} and the packages installed in the chosen Python")
        } else {
            format!("the loader module {loader} and the packages installed in the chosen Python")
        });
        CodeThatRuns { lines, model_code }
    }
}

/// What loading a model runs ([`ModelCard::code_that_runs`]).
#[derive(Debug, Clone, PartialEq)]
pub struct CodeThatRuns {
    /// One line per thing that runs or is read, the model's own first.
    pub lines: Vec<String>,
    /// Whether the model brings code of its own (a script, a pickle, a `code/` folder, or a
    /// loader outside MLflow).
    pub model_code: bool,
}

/// Finds the folder holding `MLmodel` from what the user chose.
pub fn locate(chosen: &Path) -> Result<(PathBuf, Location), OpenError> {
    let meta = std::fs::metadata(chosen).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => OpenError::NotFound {
            path: chosen.to_path_buf(),
        },
        _ => OpenError::Unreadable {
            path: chosen.to_path_buf(),
            source: e,
        },
    })?;
    if meta.is_file() {
        if chosen.file_name().is_some_and(|n| n == MLMODEL_FILE_NAME) {
            let parent = chosen
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            return Ok((parent.to_path_buf(), Location::File));
        }
        return Err(OpenError::NotAFolder {
            path: chosen.to_path_buf(),
        });
    }
    if !meta.is_dir() {
        return Err(OpenError::NotAFolder {
            path: chosen.to_path_buf(),
        });
    }
    if std::fs::symlink_metadata(chosen.join(MLMODEL_FILE_NAME)).is_ok() {
        return Ok((chosen.to_path_buf(), Location::Folder));
    }
    let entries = std::fs::read_dir(chosen).map_err(|e| OpenError::Unreadable {
        path: chosen.to_path_buf(),
        source: e,
    })?;
    let mut candidates: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter(|e| e.path().join(MLMODEL_FILE_NAME).is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    candidates.sort();
    match candidates.as_slice() {
        [] => Err(OpenError::NoMlmodel {
            path: chosen.to_path_buf(),
            hint: ", nor does any folder one level down".into(),
        }),
        [one] => Ok((
            chosen.join(one),
            Location::OneDown {
                subfolder: one.clone(),
            },
        )),
        _ => Err(OpenError::SeveralModels {
            path: chosen.to_path_buf(),
            candidates,
        }),
    }
}

/// A model folder's name for people (no file system access): its last component, with the
/// one above when the last is MLflow's generic `artifacts` (MLflow 3 logs a model to
/// `models/<model id>/artifacts`, so that folder reads `m-db489a2caa…/artifacts`, the id cut
/// to 12 characters).
pub fn folder_label(path: &Path) -> String {
    let name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned());
    match name(path) {
        Some(last) if last == "artifacts" => match path.parent().and_then(name) {
            Some(parent) => format!("{}/{last}", crate::text::elide(&parent, 12)),
            None => last,
        },
        Some(last) => last,
        None => path.display().to_string(),
    }
}

/// Opens a model folder (or its `MLmodel` file, or a folder one level above it) and reads
/// everything the card shows.
pub fn open(chosen: &Path) -> Result<ModelCard, OpenError> {
    let (root, location) = locate(chosen)?;
    let mlmodel_path = root.join(MLMODEL_FILE_NAME);
    let bad = |problem: String| OpenError::BadMlmodel {
        path: mlmodel_path.clone(),
        problem,
    };
    let text =
        fsutil::read_text_inside(&root, MLMODEL_FILE_NAME, MLMODEL_CAP).map_err(|e| match e {
            ReadError::Io(source) => OpenError::Unreadable {
                path: mlmodel_path.clone(),
                source,
            },
            ReadError::NotAFile => bad("is not a regular file".into()),
            ReadError::Outside(reason) => bad(reason),
            other => bad(other.to_string()),
        })?;
    let mut warnings = Vec::new();
    let mlmodel = MlModel::parse(&text, &mut warnings).map_err(bad)?;
    Ok(build_card(chosen, root, location, mlmodel, text, warnings))
}

fn build_card(
    chosen: &Path,
    root: PathBuf,
    location: Location,
    mlmodel: MlModel,
    mlmodel_text: String,
    mut warnings: Vec<Warning>,
) -> ModelCard {
    let flavors = flavors::read_flavors(&root, &mlmodel.flavors, &mut warnings);
    let signature = match &mlmodel.signature {
        None => SignatureState::Absent,
        Some(value) => signature::parse_signature(value, &mut warnings),
    };
    if let SignatureState::Invalid { part, error } = &signature {
        warnings.push(Warning::new(
            format!("MLmodel: signature.{part}").replace("signature.signature", "signature"),
            format!("invalid signature, MLflow would refuse to load it: {error}"),
        ));
    }
    let pyfunc = flavors.iter().find_map(|f| match &f.view {
        FlavorView::PythonFunction(v) => Some(v.as_ref()),
        _ => None,
    });
    // Paths a flavor names that lead out of the folder were warned about once already.
    let outside: Vec<String> = flavors
        .iter()
        .flat_map(|f| f.files.iter())
        .filter(|f| matches!(f.status, fsutil::PathStatus::Outside { .. }))
        .map(|f| f.path.clone())
        .collect();
    let mut env_warnings = Vec::new();
    let environment = environment::read_environment(
        &root,
        pyfunc.and_then(|p| p.python_version.clone()),
        pyfunc.and_then(|p| p.env.as_ref()).and_then(|e| e.conda()),
        pyfunc
            .and_then(|p| p.env.as_ref())
            .and_then(|e| e.virtualenv()),
        &mut env_warnings,
    );
    warnings.extend(
        env_warnings
            .into_iter()
            .filter(|w| !outside.contains(&w.subject)),
    );
    let input_example = mlmodel
        .saved_input_example_info
        .as_ref()
        .map(|info| example::read_example(&root, info, &mut warnings));
    let payload: Vec<String> = flavors
        .iter()
        .flat_map(|f| f.files.iter())
        .filter(|f| !f.key.starts_with("env"))
        .map(|f| f.path.clone())
        .collect();
    let artifacts = artifacts::list_artifacts(&root, &payload, &mut warnings);
    for entry in &artifacts.entries {
        if let Some(target) = &entry.link_target
            && !outside.contains(&entry.path)
            && matches!(
                fsutil::status_of(&root, &entry.path),
                fsutil::PathStatus::Outside { .. }
            )
        {
            warnings.push(Warning::new(
                &entry.path,
                format!(
                    "is a symbolic link to {target}, outside the model folder; it is not followed"
                ),
            ));
        }
    }
    if mlmodel.is_external() {
        warnings.push(Warning::new(
            "MLmodel: metadata",
            "mlflow.model.isExternal is true: the artifacts are not in MLflow format and pyfunc refuses to load this model",
        ));
    }
    let folder_name = folder_name(chosen, &root, &location);
    let classes = classes::recorded(&root, mlmodel.metadata.as_ref(), &flavors);
    ModelCard {
        classes,
        folder_name,
        chosen: chosen.to_path_buf(),
        root,
        location,
        mlmodel,
        mlmodel_text,
        flavors,
        signature,
        environment,
        input_example,
        artifacts,
        warnings,
        source: None,
    }
}
