//! Model URIs as MLflow reads them: `models:/<name>/<version|stage|latest>`, `models:/<name>@<alias>`,
//! `models:/<model_id>`, `runs:/<run_id>/<path>`, `mlflow-artifacts:/<path>`; anything else is a
//! local path.

use std::path::PathBuf;

/// Where a model comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelUri {
    /// A folder or file on this machine (`file://` included).
    Local(PathBuf),
    /// `models:/<name>/<version>`.
    Version {
        /// Registered model name.
        name: String,
        /// Version number.
        version: String,
    },
    /// `models:/<name>@<alias>`.
    Alias {
        /// Registered model name.
        name: String,
        /// The alias.
        alias: String,
    },
    /// `models:/<name>/latest`.
    Latest {
        /// Registered model name.
        name: String,
    },
    /// `models:/<name>/<stage>` (stages are deprecated in MLflow but still resolved).
    Stage {
        /// Registered model name.
        name: String,
        /// The stage, as written.
        stage: String,
    },
    /// `models:/<model_id>` (an MLflow 3 logged model).
    LoggedModel {
        /// `m-…`.
        model_id: String,
    },
    /// `runs:/<run_id>/<path>`.
    Run {
        /// The run.
        run_id: String,
        /// The path inside the run's artifacts (may be empty).
        path: String,
    },
    /// `mlflow-artifacts:/<path>` through the tracking server's artifact proxy.
    Proxy {
        /// The path after `mlflow-artifacts:/`.
        path: String,
    },
}

/// A URI MLflow would refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UriError(pub String);

fn models_error(uri: &str) -> UriError {
    UriError(format!(
        "Not a proper models:/ URI: {uri}. Models URIs must be of the form 'models:/model_name/suffix' or 'models:/model_name@alias' where suffix is a model version, stage, or the string 'latest' and where alias is a registered model alias. Only one of suffix or alias can be defined at a time."
    ))
}

impl ModelUri {
    /// Whether the model is on a tracking server.
    pub fn is_remote(&self) -> bool {
        !matches!(self, Self::Local(_))
    }

    /// Reads a URI (or a path).
    pub fn parse(text: &str) -> Result<Self, UriError> {
        let text = text.trim();
        if let Some(rest) = text.strip_prefix("models:") {
            let rest = rest.strip_prefix('/').unwrap_or(rest);
            let rest = rest.trim_start_matches('/');
            let parts: Vec<&str> = rest.split('/').collect();
            return match parts.as_slice() {
                [one] if one.contains('@') => {
                    let (name, alias) = one.split_once('@').unwrap_or((one, ""));
                    if name.is_empty() || alias.is_empty() {
                        return Err(models_error(text));
                    }
                    Ok(Self::Alias {
                        name: name.into(),
                        alias: alias.into(),
                    })
                }
                [id] if !id.is_empty() => Ok(Self::LoggedModel {
                    model_id: (*id).into(),
                }),
                [name, suffix] if !name.is_empty() && !suffix.is_empty() => {
                    if name.contains('@') {
                        return Err(models_error(text));
                    }
                    let name = (*name).to_string();
                    if suffix.chars().all(|c| c.is_ascii_digit()) {
                        Ok(Self::Version {
                            name,
                            version: (*suffix).into(),
                        })
                    } else if suffix.eq_ignore_ascii_case("latest") {
                        Ok(Self::Latest { name })
                    } else {
                        Ok(Self::Stage {
                            name,
                            stage: (*suffix).into(),
                        })
                    }
                }
                _ => Err(models_error(text)),
            };
        }
        if let Some(rest) = text.strip_prefix("runs:") {
            let rest = rest.trim_start_matches('/');
            let (run_id, path) = rest.split_once('/').unwrap_or((rest, ""));
            if run_id.is_empty() {
                return Err(UriError(format!(
                    "Not a proper runs:/ URI: {text}. Runs URIs must be of the form 'runs:/<run_id>/run-relative/path/to/artifact'"
                )));
            }
            return Ok(Self::Run {
                run_id: run_id.into(),
                path: path.trim_matches('/').into(),
            });
        }
        if let Some(rest) = text.strip_prefix("mlflow-artifacts:") {
            // `mlflow-artifacts:/path` or `mlflow-artifacts://host:port/path`: the path is what
            // the proxy routes take.
            let path = match rest.strip_prefix("//") {
                Some(with_host) => with_host.split_once('/').map_or("", |(_, p)| p),
                None => rest.trim_start_matches('/'),
            };
            return Ok(Self::Proxy {
                path: path.trim_matches('/').into(),
            });
        }
        if let Some(rest) = text.strip_prefix("file://") {
            return Ok(Self::Local(PathBuf::from(rest)));
        }
        for scheme in [
            "s3://", "gs://", "wasbs://", "abfss://", "dbfs:/", "hdfs://", "http://", "https://",
        ] {
            if text.starts_with(scheme) {
                return Err(UriError(format!(
                    "{text}: {scheme} locations are read through a tracking server here; open the model by its models:/ or runs:/ URI with --tracking-uri"
                )));
            }
        }
        Ok(Self::Local(PathBuf::from(text)))
    }
}

impl std::fmt::Display for ModelUri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Local(p) => write!(f, "{}", p.display()),
            Self::Version { name, version } => write!(f, "models:/{name}/{version}"),
            Self::Alias { name, alias } => write!(f, "models:/{name}@{alias}"),
            Self::Latest { name } => write!(f, "models:/{name}/latest"),
            Self::Stage { name, stage } => write!(f, "models:/{name}/{stage}"),
            Self::LoggedModel { model_id } => write!(f, "models:/{model_id}"),
            Self::Run { run_id, path } => write!(f, "runs:/{run_id}/{path}"),
            Self::Proxy { path } => write!(f, "mlflow-artifacts:/{path}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_reads_as_mlflow_reads_it() {
        let p = |s: &str| ModelUri::parse(s).unwrap();
        assert_eq!(
            p("models:/iris/3"),
            ModelUri::Version {
                name: "iris".into(),
                version: "3".into()
            }
        );
        assert_eq!(
            p("models:/iris@champion"),
            ModelUri::Alias {
                name: "iris".into(),
                alias: "champion".into()
            }
        );
        assert_eq!(
            p("models:/iris/latest"),
            ModelUri::Latest {
                name: "iris".into()
            }
        );
        assert_eq!(
            p("models:/iris/Production"),
            ModelUri::Stage {
                name: "iris".into(),
                stage: "Production".into()
            }
        );
        assert_eq!(
            p("models:/m-0123abc"),
            ModelUri::LoggedModel {
                model_id: "m-0123abc".into()
            }
        );
        assert_eq!(
            p("runs:/abc123/model"),
            ModelUri::Run {
                run_id: "abc123".into(),
                path: "model".into()
            }
        );
        assert_eq!(
            p("mlflow-artifacts:/1/models/m-1/artifacts"),
            ModelUri::Proxy {
                path: "1/models/m-1/artifacts".into()
            }
        );
        assert_eq!(
            p("mlflow-artifacts://host:5000/1/x"),
            ModelUri::Proxy { path: "1/x".into() }
        );
        assert_eq!(
            p("assets/example-model"),
            ModelUri::Local("assets/example-model".into())
        );
        assert_eq!(p("file:///tmp/m"), ModelUri::Local("/tmp/m".into()));
        for bad in ["models:/", "models:/a/b/c", "models:/@x", "models:/a@"] {
            let e = ModelUri::parse(bad).unwrap_err().0;
            assert!(e.starts_with("Not a proper models:/ URI"), "{bad}: {e}");
        }
        assert!(ModelUri::parse("s3://bucket/model").is_err());
        assert_eq!(p("models:/iris/3").to_string(), "models:/iris/3");
    }
}
