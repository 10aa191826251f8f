//! The predictions file (`eval --out PREDS.csv`, the window's export): one row per item with
//! the columns `input`, `label`, `prediction`, `score` and `error`, written as results arrive
//! so a long run's file grows while it goes and survives a stop.

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

/// A predictions file being written.
pub struct PredictionsWriter<W: Write> {
    path: PathBuf,
    writer: csv::Writer<W>,
}

impl PredictionsWriter<std::fs::File> {
    /// Creates (or replaces) the file and writes its header.
    pub fn create(path: &Path) -> Result<Self, OutError> {
        let err = |source| OutError {
            path: path.to_path_buf(),
            source,
        };
        let writer = csv::Writer::from_path(path).map_err(err)?;
        Self::new(path, writer)
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
