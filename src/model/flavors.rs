//! Flavors: each one as its ordered settings, a typed view of the well-known ones, and the
//! files and folders it names, each checked as present, missing or outside the model folder.

use std::path::Path;

use serde_json::Value;

use super::error::Warning;
use super::fsutil::{PathStatus, status_of};
use super::mlmodel::{Map, describe, scalar_text};

/// One flavor of the model.
#[derive(Debug, Clone)]
pub struct Flavor {
    /// The flavor name (`python_function`, `sklearn`, ...).
    pub name: String,
    /// Its settings as written, in order (empty when the flavor's value is not a mapping).
    pub config: Map,
    /// A typed view of the settings, for flavors MLflow documents.
    pub view: FlavorView,
    /// Each file or folder the flavor names, checked.
    pub files: Vec<NamedPath>,
}

/// A file or folder named by a flavor setting.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedPath {
    /// The setting that names it (`data`, `env.conda`, `artifacts.vocab.path`, `extra_files[0]`).
    pub key: String,
    /// The path as written, relative to the model folder.
    pub path: String,
    /// What is there.
    pub status: PathStatus,
    /// Where the setting says the file came from, when MLflow reads it from elsewhere: for
    /// models-from-code, `model_code_path` is the script's path when it was logged, and MLflow
    /// loads the copy in the folder (`path`).
    pub logged_from: Option<String>,
}

/// `python_function.env`: the legacy single conda file, or the map of environment files.
#[derive(Debug, Clone, PartialEq)]
pub enum PyFuncEnv {
    /// MLflow < 2.0: `env: conda.yaml`.
    Legacy(String),
    /// `env: {conda: conda.yaml, virtualenv: python_env.yaml}`.
    Files {
        /// The conda environment file.
        conda: Option<String>,
        /// The virtualenv (python_env.yaml) file.
        virtualenv: Option<String>,
    },
}

impl PyFuncEnv {
    /// The conda file, in either form.
    pub fn conda(&self) -> Option<&str> {
        match self {
            PyFuncEnv::Legacy(s) => Some(s),
            PyFuncEnv::Files { conda, .. } => conda.as_deref(),
        }
    }

    /// The python_env.yaml file, if named.
    pub fn virtualenv(&self) -> Option<&str> {
        match self {
            PyFuncEnv::Legacy(_) => None,
            PyFuncEnv::Files { virtualenv, .. } => virtualenv.as_deref(),
        }
    }
}

/// An artifact of a custom PythonModel (`python_function.artifacts`).
#[derive(Debug, Clone, PartialEq)]
pub struct PyFuncArtifact {
    /// The artifact's name in the model's context.
    pub name: String,
    /// Its path inside the model folder.
    pub path: Option<String>,
    /// The URI it was logged from.
    pub uri: Option<String>,
}

/// The typed view of `python_function`, the flavor every pyfunc model has.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PyFuncView {
    /// `loader_module`: the Python module that loads the model.
    pub loader_module: Option<String>,
    /// `python_version` the model was saved with.
    pub python_version: Option<String>,
    /// `data`: path passed to the loader.
    pub data: Option<String>,
    /// `code`: folder prepended to `sys.path`.
    pub code: Option<String>,
    /// `env`.
    pub env: Option<PyFuncEnv>,
    /// `predict_fn` (default `predict`).
    pub predict_fn: String,
    /// `streamable` (default false).
    pub streamable: bool,
    /// `predict_stream_fn` (default `predict_stream`), consulted only if streamable.
    pub predict_stream_fn: String,
    /// `config`: the model_config.
    pub config: Option<Map>,
    /// `model_code_path` for models from code.
    pub model_code_path: Option<String>,
    /// `python_model` for custom PythonModels.
    pub python_model: Option<String>,
    /// `artifacts` of a custom PythonModel.
    pub artifacts: Vec<PyFuncArtifact>,
}

/// Typed views of the common flavors (reference section 3).
#[derive(Debug, Clone, PartialEq)]
pub enum FlavorView {
    /// `python_function`.
    PythonFunction(Box<PyFuncView>),
    /// `sklearn`.
    Sklearn {
        /// `sklearn_version`.
        sklearn_version: Option<String>,
        /// `pickled_model`.
        pickled_model: Option<String>,
        /// `serialization_format`: skops, cloudpickle or pickle.
        serialization_format: Option<String>,
    },
    /// `onnx`.
    Onnx {
        /// `onnx_version`.
        onnx_version: Option<String>,
        /// `data`: the .onnx file.
        data: Option<String>,
        /// `providers`, by name.
        providers: Vec<String>,
    },
    /// `pytorch`.
    Pytorch {
        /// `pytorch_version`.
        pytorch_version: Option<String>,
        /// `model_data`: the folder with `model.pth` or `model.pt2`.
        model_data: Option<String>,
        /// Which file is in `model_data`: `model.pth` (pickle) or `model.pt2` (torch.export).
        saved_file: Option<String>,
    },
    /// `tensorflow`.
    Tensorflow {
        /// `model_type`: keras or tf2-module.
        model_type: Option<String>,
        /// `keras_version`.
        keras_version: Option<String>,
        /// `save_format`: tf, h5 or keras.
        save_format: Option<String>,
    },
    /// `keras` (Keras 3).
    Keras {
        /// `keras_version`.
        keras_version: Option<String>,
        /// `keras_backend`.
        keras_backend: Option<String>,
    },
    /// `transformers`.
    Transformers {
        /// `transformers_version`.
        transformers_version: Option<String>,
        /// `task`.
        task: Option<String>,
        /// `framework`.
        framework: Option<String>,
        /// `source_model_name`.
        source_model_name: Option<String>,
        /// `components`.
        components: Vec<String>,
    },
    /// `xgboost`.
    Xgboost {
        /// `xgb_version`.
        xgb_version: Option<String>,
        /// `model_class`.
        model_class: Option<String>,
        /// `model_format`.
        model_format: Option<String>,
    },
    /// `lightgbm`.
    Lightgbm {
        /// `lgb_version`.
        lgb_version: Option<String>,
        /// `model_class`.
        model_class: Option<String>,
    },
    /// `fastai` (MLflow 2.x; removed in 3.0).
    Fastai {
        /// `fastai_version`.
        fastai_version: Option<String>,
    },
    /// Any other flavor: its settings are shown as written.
    Other,
}

impl FlavorView {
    /// The framework and version the flavor was saved with, e.g. `("fastai", "2.4.1")`.
    pub fn framework_version(&self) -> Option<(&'static str, &str)> {
        let (name, version) = match self {
            FlavorView::Sklearn {
                sklearn_version, ..
            } => ("scikit-learn", sklearn_version),
            FlavorView::Onnx { onnx_version, .. } => ("onnx", onnx_version),
            FlavorView::Pytorch {
                pytorch_version, ..
            } => ("torch", pytorch_version),
            FlavorView::Tensorflow { keras_version, .. } => ("keras", keras_version),
            FlavorView::Keras { keras_version, .. } => ("keras", keras_version),
            FlavorView::Transformers {
                transformers_version,
                ..
            } => ("transformers", transformers_version),
            FlavorView::Xgboost { xgb_version, .. } => ("xgboost", xgb_version),
            FlavorView::Lightgbm { lgb_version, .. } => ("lightgbm", lgb_version),
            FlavorView::Fastai { fastai_version, .. } => ("fastai", fastai_version),
            FlavorView::PythonFunction(_) | FlavorView::Other => return None,
        };
        version.as_deref().map(|v| (name, v))
    }
}

fn text(config: &Map, key: &str) -> Option<String> {
    config.get(key).and_then(scalar_text)
}

fn text_list(config: &Map, key: &str) -> Vec<String> {
    match config.get(key) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| match item {
                // ONNX providers may be `[name, {options}]`.
                Value::Array(pair) => pair.first().and_then(scalar_text),
                other => scalar_text(other),
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The settings of each flavor that name a file or folder of the model.
fn path_keys(flavor: &str) -> &'static [&'static str] {
    match flavor {
        "python_function" => &[
            "data",
            "code",
            "model_path",
            "model_code_path",
            "python_model",
        ],
        "sklearn" => &["pickled_model", "code"],
        "onnx" => &["data", "code"],
        "pytorch" => &["model_data", "code"],
        "tensorflow" => &["data", "saved_model_dir", "code"],
        "keras" => &["data", "code"],
        "transformers" => &[
            "model_binary",
            "code",
            "peft_adaptor",
            "local_base_model_path",
        ],
        _ => &["data", "code"],
    }
}

/// Reads every flavor of `flavors`, checking the paths each names against `root`.
pub fn read_flavors(
    root: &Path,
    flavors: &indexmap::IndexMap<String, Value>,
    warnings: &mut Vec<Warning>,
) -> Vec<Flavor> {
    let mut out = Vec::with_capacity(flavors.len());
    for (name, value) in flavors {
        let config = match value {
            Value::Object(map) => map.clone(),
            Value::Null => Map::new(),
            other => {
                warnings.push(Warning::new(
                    format!("MLmodel: flavors.{name}"),
                    format!("expected a mapping of settings, found {}", describe(other)),
                ));
                Map::new()
            }
        };
        let mut files = Vec::new();
        let mut check = |key: String, path: &Value| {
            let Some(mut path) = scalar_text(path) else {
                return;
            };
            // Models-from-code: MLflow loads `basename(model_code_path)` from the model folder
            // (`_load_context_model_and_signature`); the path itself is where it was logged.
            let mut logged_from = None;
            if name == "python_function" && key == "model_code_path" {
                let base = python_basename(&path).to_string();
                logged_from = Some(std::mem::replace(&mut path, base));
            }
            let status = status_of(root, &path);
            if let PathStatus::Outside { reason } = &status {
                warnings.push(Warning::new(
                    format!("MLmodel: flavors.{name}.{key}"),
                    format!("{reason}; it is not followed"),
                ));
            }
            files.push(NamedPath {
                key,
                path,
                status,
                logged_from,
            });
        };
        for key in path_keys(name) {
            if let Some(v) = config.get(*key).filter(|v| !v.is_null()) {
                check((*key).to_string(), v);
            }
        }
        if let Some(Value::Array(extra)) = config.get("extra_files") {
            for (i, item) in extra.iter().enumerate() {
                let path = item.get("path").unwrap_or(item);
                check(format!("extra_files[{i}]"), path);
            }
        }
        let view = match name.as_str() {
            "python_function" => {
                let view = pyfunc_view(&config);
                match &view.env {
                    Some(PyFuncEnv::Legacy(p)) => check("env".into(), &Value::String(p.clone())),
                    Some(PyFuncEnv::Files { conda, virtualenv }) => {
                        if let Some(p) = conda {
                            check("env.conda".into(), &Value::String(p.clone()));
                        }
                        if let Some(p) = virtualenv {
                            check("env.virtualenv".into(), &Value::String(p.clone()));
                        }
                    }
                    None => {}
                }
                for artifact in &view.artifacts {
                    if let Some(p) = &artifact.path {
                        check(
                            format!("artifacts.{}.path", artifact.name),
                            &Value::String(p.clone()),
                        );
                    }
                }
                if view.loader_module.is_none() {
                    warnings.push(Warning::new(
                        "MLmodel: flavors.python_function.loader_module",
                        "missing: MLflow cannot load this model as a pyfunc",
                    ));
                }
                FlavorView::PythonFunction(Box::new(view))
            }
            "sklearn" => FlavorView::Sklearn {
                sklearn_version: text(&config, "sklearn_version"),
                pickled_model: text(&config, "pickled_model"),
                serialization_format: text(&config, "serialization_format"),
            },
            "onnx" => FlavorView::Onnx {
                onnx_version: text(&config, "onnx_version"),
                data: text(&config, "data"),
                providers: text_list(&config, "providers"),
            },
            "pytorch" => {
                let model_data = text(&config, "model_data");
                let saved_file = model_data.as_ref().and_then(|dir| {
                    ["model.pt2", "model.pth"].into_iter().find_map(|f| {
                        matches!(
                            status_of(root, &format!("{dir}/{f}")),
                            PathStatus::Present { .. }
                        )
                        .then(|| f.to_string())
                    })
                });
                FlavorView::Pytorch {
                    pytorch_version: text(&config, "pytorch_version"),
                    model_data,
                    saved_file,
                }
            }
            "tensorflow" => FlavorView::Tensorflow {
                model_type: text(&config, "model_type"),
                keras_version: text(&config, "keras_version"),
                save_format: text(&config, "save_format"),
            },
            "keras" => FlavorView::Keras {
                keras_version: text(&config, "keras_version"),
                keras_backend: text(&config, "keras_backend"),
            },
            "transformers" => FlavorView::Transformers {
                transformers_version: text(&config, "transformers_version"),
                task: text(&config, "task"),
                framework: text(&config, "framework"),
                source_model_name: text(&config, "source_model_name"),
                components: text_list(&config, "components"),
            },
            "xgboost" => FlavorView::Xgboost {
                xgb_version: text(&config, "xgb_version"),
                model_class: text(&config, "model_class"),
                model_format: text(&config, "model_format"),
            },
            "lightgbm" => FlavorView::Lightgbm {
                lgb_version: text(&config, "lgb_version"),
                model_class: text(&config, "model_class"),
            },
            "fastai" => {
                warnings.push(Warning::new(
                    "MLmodel: flavors.fastai",
                    "the fastai flavor was removed in MLflow 3.0: loading this model needs mlflow<3",
                ));
                FlavorView::Fastai {
                    fastai_version: text(&config, "fastai_version"),
                }
            }
            _ => FlavorView::Other,
        };
        out.push(Flavor {
            name: name.clone(),
            config,
            view,
            files,
        });
    }
    // python_function first: it is the flavor predict uses.
    out.sort_by_key(|f| f.name != "python_function");
    out
}

/// Python's `os.path.basename` on POSIX: the part after the last `/` (empty for a trailing
/// slash, which MLflow would then fail to load).
fn python_basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn pyfunc_view(config: &Map) -> PyFuncView {
    let env = match config.get("env") {
        Some(Value::Object(map)) => Some(PyFuncEnv::Files {
            conda: text(map, "conda"),
            virtualenv: text(map, "virtualenv"),
        }),
        Some(v) => scalar_text(v).map(PyFuncEnv::Legacy),
        None => None,
    };
    let artifacts = match config.get("artifacts") {
        Some(Value::Object(map)) => map
            .iter()
            .map(|(name, v)| PyFuncArtifact {
                name: name.clone(),
                path: v.get("path").and_then(scalar_text),
                uri: v.get("uri").and_then(scalar_text),
            })
            .collect(),
        _ => Vec::new(),
    };
    PyFuncView {
        loader_module: text(config, "loader_module"),
        python_version: text(config, "python_version"),
        data: text(config, "data"),
        code: text(config, "code"),
        env,
        predict_fn: text(config, "predict_fn").unwrap_or_else(|| "predict".into()),
        streamable: config
            .get("streamable")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        predict_stream_fn: text(config, "predict_stream_fn")
            .unwrap_or_else(|| "predict_stream".into()),
        config: config.get("config").and_then(Value::as_object).cloned(),
        model_code_path: text(config, "model_code_path"),
        python_model: text(config, "python_model"),
        artifacts,
    }
}
