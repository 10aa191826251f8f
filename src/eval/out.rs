//! The predictions file (`eval --out PREDS.csv`, the window's export): one row per item with
//! the columns `input`, `label`, `prediction`, `score` and `error`, written as results arrive
//! so a long run's file grows while it goes (beside its place, taking it at the end) and
//! survives a stop. It is never one of the run's inputs.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::ItemResult;

/// The header row.
pub const COLUMNS: [&str; 5] = ["input", "label", "prediction", "score", "error"];

/// Why the predictions file could not be written.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", path.display())]
pub struct OutError {
    /// The file.
    pub path: PathBuf,
    /// What went wrong.
    #[source]
    pub source: csv::Error,
}

impl OutError {
    fn new(path: &Path, message: String) -> Self {
        Self {
            path: path.to_path_buf(),
            source: csv::Error::from(std::io::Error::other(message)),
        }
    }
}

/// A predictions file being written.
pub struct PredictionsWriter<W: Write> {
    path: PathBuf,
    writer: csv::Writer<W>,
    /// The file written while the run goes, renamed to `path` by [`PredictionsWriter::finish`]
    /// (`None` when `path` is written directly: a device or a pipe).
    partial: Option<PathBuf>,
}

/// `path` made absolute and its links resolved, as far as it exists (a file not yet made is
/// its folder's resolved path and its name).
fn resolved(path: &Path) -> PathBuf {
    if let Ok(p) = std::fs::canonicalize(path) {
        return p;
    }
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => {
            let parent = if parent.as_os_str().is_empty() {
                Path::new(".")
            } else {
                parent
            };
            resolved(parent).join(name)
        }
        _ => std::env::current_dir().map_or_else(|_| path.to_path_buf(), |d| d.join(path)),
    }
}

/// Refuses a predictions file that is, or lies inside, one of `inputs` (the dataset, the
/// model folder): writing it would destroy what the run reads.
pub fn check_not_an_input(path: &Path, inputs: &[&Path]) -> Result<(), OutError> {
    let out = resolved(path);
    for input in inputs {
        let input = resolved(input);
        if out == input {
            return Err(OutError::new(
                path,
                format!(
                    "is the input {} itself: writing the predictions there would destroy it; choose another file",
                    input.display()
                ),
            ));
        }
        if out.starts_with(&input) {
            return Err(OutError::new(
                path,
                format!(
                    "lies inside the input {}: writing the predictions there would change what is evaluated; choose a file outside it",
                    input.display()
                ),
            ));
        }
    }
    Ok(())
}

/// The file a predictions file is written to before it takes the place of `path`.
fn partial_of(path: &Path) -> PathBuf {
    let name = path.file_name().map_or_else(
        || "predictions".into(),
        |n| n.to_string_lossy().into_owned(),
    );
    path.with_file_name(format!(".{name}.partial"))
}

/// Removes what was written of a predictions file that failed (what was at `path` before
/// stays).
pub fn discard_partial(path: &Path) {
    let partial = partial_of(path);
    if std::fs::symlink_metadata(&partial).is_ok_and(|m| m.is_file()) {
        let _ = std::fs::remove_file(partial);
    }
}

impl PredictionsWriter<std::fs::File> {
    /// Starts the file and writes its header. A regular file is written beside `path` (as
    /// `.NAME.partial`) and takes its place at [`PredictionsWriter::finish`], so that a run
    /// that stops early never leaves half a file where a whole one was; a device or a pipe is
    /// written directly.
    pub fn create(path: &Path) -> Result<Self, OutError> {
        let err = |source| OutError {
            path: path.to_path_buf(),
            source,
        };
        let special = std::fs::metadata(path).is_ok_and(|m| !m.is_file());
        let partial = (!special).then(|| partial_of(path));
        let file = std::fs::File::create(partial.as_deref().unwrap_or(path))
            .map_err(|e| err(csv::Error::from(e)))?;
        let mut made = Self::new(path, csv::Writer::from_writer(file))?;
        made.partial = partial;
        Ok(made)
    }

    /// Ends the file: flushes it and puts it in its place.
    pub fn finish(mut self) -> Result<PathBuf, OutError> {
        let err = |source| OutError {
            path: self.path.clone(),
            source,
        };
        self.writer.flush().map_err(|e| err(csv::Error::from(e)))?;
        if let Some(partial) = self.partial.take() {
            std::fs::rename(&partial, &self.path).map_err(|e| err(csv::Error::from(e)))?;
        }
        Ok(self.path.clone())
    }
}

impl<W: Write> PredictionsWriter<W> {
    /// Writes the header to `writer`.
    pub fn new(path: &Path, mut writer: csv::Writer<W>) -> Result<Self, OutError> {
        writer.write_record(COLUMNS).map_err(|source| OutError {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(Self {
            path: path.to_path_buf(),
            writer,
            partial: None,
        })
    }

    /// Writes one item's row, flushed so the file is whole up to it.
    pub fn write(&mut self, item: &ItemResult) -> Result<(), OutError> {
        let score = item.score.map(super::number_text).unwrap_or_default();
        let err = |source| OutError {
            path: self.path.clone(),
            source,
        };
        self.writer
            .write_record([
                item.id.as_str(),
                item.label.as_deref().unwrap_or(""),
                item.prediction.as_deref().unwrap_or(""),
                score.as_str(),
                item.error.as_deref().unwrap_or(""),
            ])
            .map_err(err)?;
        self.writer.flush().map_err(|e| err(csv::Error::from(e)))
    }
}
