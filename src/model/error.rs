//! Errors and warnings of the model card: each names the file or key it concerns.

use std::path::PathBuf;

/// Why a folder could not be opened as a model at all.
///
/// Every variant carries the path it concerns, so a message can say which file is at fault.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The chosen path does not exist.
    #[error("{path}: no such file or folder")]
    NotFound {
        /// The path the user chose.
        path: PathBuf,
    },
    /// The chosen path is a file other than `MLmodel`.
    #[error(
        "{path}: this is a file, not a model folder (choose the folder that holds `MLmodel`, or the `MLmodel` file itself)"
    )]
    NotAFolder {
        /// The path the user chose.
        path: PathBuf,
    },
    /// Neither the folder nor any folder one level down holds an `MLmodel` file.
    #[error("{path}: not an MLflow model folder: it has no `MLmodel` file{hint}")]
    NoMlmodel {
        /// The folder the user chose.
        path: PathBuf,
        /// Extra words on what was looked at.
        hint: String,
    },
    /// Several folders one level down hold an `MLmodel` file: the user must choose.
    #[error("{path}: has no `MLmodel` file itself, but {} of its folders do: {}; open one of them", candidates.len(), candidates.join(", "))]
    SeveralModels {
        /// The folder the user chose.
        path: PathBuf,
        /// The subfolder names that hold an `MLmodel`.
        candidates: Vec<String>,
    },
    /// A file could not be read (permissions, I/O error).
    #[error("{path}: cannot read: {source}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The `MLmodel` file exists but its content is unusable.
    #[error("{path}: {problem}")]
    BadMlmodel {
        /// The `MLmodel` file.
        path: PathBuf,
        /// What is wrong, with line and column where known.
        problem: String,
    },
}

/// A problem that does not stop the folder from opening, with the file it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The file (relative to the model folder) or MLmodel key the warning is about.
    pub subject: String,
    /// What is wrong, in a sentence.
    pub message: String,
}

impl Warning {
    /// A warning about `subject` (a file name or an `MLmodel` key path).
    pub fn new(subject: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            subject: subject.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.subject, self.message)
    }
}
