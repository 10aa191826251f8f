//! Evaluation: how a model does on a whole dataset (a folder of images with a subfolder per
//! class, or a CSV or JSON-lines table with a label column), with scikit-learn's metrics.
//! UI-free; the command line's `eval` and the window call the same two steps:
//!
//! 1. [`prepare`] lists the dataset and matches it to the model (columns to the signature, class
//!    folders to the model's class names); what does not match is said before anything runs.
//! 2. [`run`] streams it through the typed pipeline in batches: items are read, decoded,
//!    checked with MLflow's rules, predicted by the chosen backend and dropped; only the
//!    metrics' counts and the worst mistakes are kept. A failed item (a corrupt image, a bad
//!    row, a failed request) is recorded with its error and the run goes on; cancelling keeps
//!    what is done.

mod batches;
pub mod dataset;
pub mod elsewhere;
pub mod metrics;
pub mod out;
mod run;
pub mod spark;

pub use run::{AnsweredItem, RETRIES, run};

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use serde_json::Value;

use crate::input::image::{ImageOptions, ImageTarget};
use crate::model::ModelCard;
use crate::model::classes::ClassNames;
use crate::model::signature::ColType;
use crate::predict::{BackendChoice, PredictError};
use dataset::{ImageFolder, TableKind, TableReader};
use metrics::{ClassificationReport, RegressionReport};

/// The largest batch sent at once.
pub const MAX_BATCH: usize = 4096;

/// How many mistakes a report keeps (the most confident first).
pub const MISTAKES_KEPT: usize = 5;

/// The most requests an endpoint is sent at once.
pub const MAX_CONCURRENCY: usize = 64;

/// How many failed items a report lists (all are counted).
pub const FAILURES_KEPT: usize = 1000;

/// What the model is asked to do with the dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    /// Labels are classes: accuracy, macro F1, the confusion matrix.
    Classification,
    /// Labels are numbers: MAE, RMSE, R².
    Regression,
}

/// The dataset to evaluate on.
#[derive(Debug, Clone, PartialEq)]
pub enum DatasetSpec {
    /// A folder of images: one subfolder per class (its name is the class; integer names are
    /// class indices), or a flat folder without labels.
    Images(PathBuf),
    /// A table: CSV, or JSON lines (`.jsonl`, `.ndjson`, `.json`).
    Table {
        /// The file.
        file: PathBuf,
        /// The column holding the labels (`None`: predictions only, no metrics).
        label: Option<String>,
        /// CSV or JSON lines, as the user said (`--csv`, `--jsonl`); `None`: the file's name
        /// says ([`TableKind::of`]).
        kind: Option<TableKind>,
    },
    /// A Parquet table (a file, or a folder of part files as Spark writes them), evaluated on
    /// Spark: its columns and row count as [`spark::describe_parquet`] read them from its
    /// footers (nothing here reads its rows).
    Parquet {
        /// The file or folder.
        path: PathBuf,
        /// The column holding the labels (`None`: predictions only, no metrics).
        label: Option<String>,
        /// Its columns (partition columns of a `key=value` folder included).
        columns: Vec<String>,
        /// Its rows.
        rows: usize,
    },
}

/// How an evaluation runs.
#[derive(Debug, Clone, Default)]
pub struct EvalOptions {
    /// Items per request (`None`: sized to the signature and the backend).
    pub batch: Option<usize>,
    /// Classification or regression (`None`: read from the model's answer).
    pub task: Option<Task>,
    /// A labels file, one class name a line, naming the model's output indices.
    pub labels: Option<PathBuf>,
    /// How image files become tensors (as on the Test tab and `predict`).
    pub image: crate::session::ImageSpec,
    /// Requests in flight at once for an endpoint URL (`None`: one).
    pub concurrency: Option<usize>,
}

/// Why an evaluation cannot run (the run itself records item failures and goes on).
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The dataset cannot be read.
    #[error(transparent)]
    Dataset(#[from] dataset::DatasetError),
    /// The dataset does not fit the model (the message lists what does not match).
    #[error("{0}")]
    Mismatch(String),
    /// The labels file cannot be read.
    #[error("{0}")]
    Labels(String),
    /// The backend cannot run the model at all (it would fail every item the same way).
    #[error("{0}")]
    Backend(PredictError),
    /// What an engine needs is missing here (Java, pyspark), or its files cannot be written:
    /// said with how to get it.
    #[error("{0}")]
    Setup(String),
    /// The engine ran and failed (a Spark stage, in Spark's words), or its output does not
    /// add up.
    #[error("{0}")]
    Engine(String),
}

impl EvalError {
    /// Whether the fault is the arguments' or the dataset's (exit 2) rather than the backend's.
    pub fn is_usage(&self) -> bool {
        !matches!(self, EvalError::Backend(_) | EvalError::Engine(_))
    }
}

/// A dataset matched to a model, ready to run.
#[derive(Debug)]
pub struct Plan {
    data: Data,
    /// How many items there are.
    pub total: usize,
    /// Items per request.
    pub batch: usize,
    /// Requests in flight at once (an endpoint URL; other backends take one at a time).
    pub concurrency: usize,
    /// Whether items have labels (metrics are computed only then).
    pub labelled: bool,
    /// The task, when known before the first answer (images: classification).
    pub task: Option<Task>,
    /// Class names for the model's output indices (`--labels`, or the model's own list);
    /// otherwise a labels file beside the model that fits the first answer.
    pub names: Option<ClassNames>,
    /// What the user should know before it runs: skipped files, ignored columns, class
    /// folders the model has no class for.
    pub notes: Vec<String>,
    /// What is evaluated, in words (`32 images in 2 classes`).
    pub summary: String,
    /// Class folders that are none of the model's classes (by its class names, or as indices
    /// when it has none): their items can only count as mistakes.
    pub unmatched: Vec<String>,
    /// Whether no class folder is a class of the model: a run would score 0 without meaning
    /// it, so the window asks first.
    pub nothing_matches: bool,
}

#[derive(Debug)]
enum Data {
    Images {
        folder: ImageFolder,
        input: Option<String>,
        target: Box<ImageTarget>,
        options: ImageOptions,
    },
    Table {
        path: PathBuf,
        kind: TableKind,
        label: Option<usize>,
        /// The file's columns, in its order.
        columns: Vec<String>,
        /// Sent columns.
        send: Vec<SentColumn>,
        /// How the rows are sent.
        form: TableForm,
    },
}

/// A column of a table that is sent: its name, its index in the file, its type in the
/// signature (`Any` without one).
type SentColumn = (String, usize, ColType);

impl Plan {
    /// The dataset read: the image folder or the table file.
    pub fn dataset_path(&self) -> &Path {
        match &self.data {
            Data::Images { folder, .. } => &folder.root,
            Data::Table { path, .. } => path,
        }
    }

    /// The request a run sends for the table row `id` (`line N`) alone, as JSON, with the
    /// row's sent cells as written: what the Test tab opens when an item of the table is
    /// clicked (as a row of its table form when the model has one). `None` for an image folder.
    pub fn row_request(&self, id: &str) -> Option<Result<RowRequest, EvalError>> {
        let Data::Table {
            path,
            kind,
            send,
            form,
            ..
        } = &self.data
        else {
            return None;
        };
        Some((|| {
            if *kind == TableKind::Parquet {
                return Err(EvalError::Mismatch(format!(
                    "{id} of {}: a Parquet row opens only where Parquet is read (Spark); to open or explain it here, evaluate the table as CSV or JSON lines",
                    path.display()
                )));
            }
            let mut table = TableReader::open(path, *kind)?;
            while let Some(row) = table.next_row() {
                match row {
                    Ok(row) if row.id == id => {
                        let shape = batches::Shape::Rows {
                            columns: send.iter().map(|(n, _, _)| n.clone()).collect(),
                            form,
                        };
                        let cells = send
                            .iter()
                            .map(|(name, i, _)| {
                                let text = match row.cells.get(*i) {
                                    Some(dataset::Cell::Text(t)) => t.clone(),
                                    Some(dataset::Cell::Json(Value::String(t))) => t.clone(),
                                    Some(dataset::Cell::Json(Value::Null)) | None => String::new(),
                                    Some(dataset::Cell::Json(v)) => v.to_string(),
                                };
                                (name.clone(), text)
                            })
                            .collect();
                        let data = batches::BatchData::Rows(vec![batches::row_values(&row, send)]);
                        let body = match shape.request(&data, 0..1) {
                            Ok(crate::input::request::Request::Json(v)) => v,
                            Ok(other) => other.to_value(crate::input::request::BodyFormat::Mlflow),
                            Err(e) => return Err(EvalError::Mismatch(format!("{id}: {e}"))),
                        };
                        return Ok(RowRequest { body, cells });
                    }
                    Err((rid, problem)) if rid == id => {
                        return Err(EvalError::Mismatch(format!(
                            "{} {id}: {problem}",
                            path.display()
                        )));
                    }
                    _ => {}
                }
            }
            Err(EvalError::Mismatch(format!(
                "{} has no {id} any more",
                path.display()
            )))
        })())
    }

    /// Whether the dataset is a Parquet table (read only by Spark).
    pub fn is_parquet(&self) -> bool {
        matches!(
            self.data,
            Data::Table {
                kind: TableKind::Parquet,
                ..
            }
        )
    }

    /// The table's label column (its index in the file), when the dataset is a labelled
    /// table.
    pub fn label_column(&self) -> Option<usize> {
        match &self.data {
            Data::Table { label, .. } => *label,
            Data::Images { .. } => None,
        }
    }

    /// The sent columns' names, for a table (empty for an image folder).
    pub fn sent_columns(&self) -> Vec<String> {
        match &self.data {
            Data::Table { send, .. } => send.iter().map(|(n, _, _)| n.clone()).collect(),
            Data::Images { .. } => Vec::new(),
        }
    }

    /// The table's first `max` rows as a run sends them (cells converted to the signature's
    /// types), each with its id (`line N`); a row that cannot be read fails with its reason.
    /// What `explain` takes its row and its background from.
    pub fn sent_rows(&self, max: usize) -> Result<Vec<(String, Vec<Value>)>, EvalError> {
        let Data::Table {
            path, kind, send, ..
        } = &self.data
        else {
            return Err(EvalError::Mismatch(
                "an image folder has no rows: give a table (CSV or JSON lines)".into(),
            ));
        };
        let mut table = TableReader::open(path, *kind)?;
        let mut out = Vec::new();
        while out.len() < max {
            match table.next_row() {
                None => break,
                Some(Ok(row)) => out.push((row.id.clone(), batches::row_values(&row, send))),
                Some(Err((id, problem))) => {
                    return Err(EvalError::Mismatch(format!(
                        "{} {id}: {problem}",
                        path.display()
                    )));
                }
            }
        }
        Ok(out)
    }

    /// The request a run sends for these rows (cells as [`Plan::sent_rows`] gives them), in
    /// the table's form (a frame, a matrix or named tensors).
    pub fn rows_request(
        &self,
        rows: Vec<Vec<Value>>,
    ) -> Result<crate::input::request::Request, EvalError> {
        let Data::Table { send, form, .. } = &self.data else {
            return Err(EvalError::Mismatch("not a table".into()));
        };
        let shape = batches::Shape::Rows {
            columns: send.iter().map(|(n, _, _)| n.clone()).collect(),
            form,
        };
        let n = rows.len();
        shape
            .request(&batches::BatchData::Rows(rows), 0..n)
            .map_err(EvalError::Mismatch)
    }
}

/// One row of an evaluated table, as the run sent it.
#[derive(Debug, Clone, PartialEq)]
pub struct RowRequest {
    /// The request for that row alone.
    pub body: Value,
    /// The sent columns' names and cells, as the file writes them (empty for a missing value).
    pub cells: Vec<(String, String)>,
}

/// How a table's rows are sent.
#[derive(Debug, Clone, PartialEq)]
enum TableForm {
    /// `dataframe_split` with the sent columns (a column signature, or none).
    Frame,
    /// `{"inputs": [[...], ...]}`: each row one item of the single tensor ([-1, k], the k sent
    /// columns), named when the tensor is.
    Matrix(Option<String>),
    /// `{"inputs": {"name": [...], ...}}`: each sent column a named 1-D tensor.
    Tensors,
    /// `dataframe_split` without column names, the sent columns in the signature's order: a
    /// signature whose columns are named by integers (a frame with pandas' default columns,
    /// as MLflow records a numpy input example), which only a frame without names gives.
    Positional,
}

fn names_text(names: &[String]) -> String {
    let shown: Vec<&str> = names.iter().take(12).map(String::as_str).collect();
    let more = names.len().saturating_sub(shown.len());
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// Lists the dataset and matches it to the model. Errors are the user's to fix (exit 2).
pub fn prepare(
    card: &ModelCard,
    spec: &DatasetSpec,
    options: &EvalOptions,
    backend: &BackendChoice,
) -> Result<Plan, EvalError> {
    let mut names = match &options.labels {
        Some(file) => Some(crate::session::read_labels(file).map_err(EvalError::Labels)?),
        None => card.classes.clone(),
    };
    let in_process = matches!(backend, BackendChoice::Onnx | BackendChoice::OnnxRuntime);
    let mut notes = Vec::new();
    let mut unmatched = Vec::new();
    let (data, total, labelled, task, summary, default_batch, fixed) = match spec {
        DatasetSpec::Images(dir) => {
            let folder = ImageFolder::list(dir)?;
            let targets = crate::input::build::image_inputs(card);
            let Some((input, target)) = targets.into_iter().next() else {
                return Err(EvalError::Mismatch(format!(
                    "{}: the model's signature has no image-shaped tensor input (rank 3 or 4 with 1, 3 or 4 channels), so images cannot be evaluated; evaluate a table of its inputs (CSV or JSON lines) instead",
                    dir.display()
                )));
            };
            let inputs = card
                .signature
                .valid()
                .and_then(|s| s.inputs.as_ref())
                .map_or(0, |s| s.specs.len());
            if inputs > 1 {
                return Err(EvalError::Mismatch(format!(
                    "the model takes {inputs} inputs; images fill only `{}`",
                    input.as_deref().unwrap_or("the image tensor")
                )));
            }
            let image_options = options.image.options(&target);
            target
                .size_for(image_options.free_size, 1)
                .map_err(|e| EvalError::Mismatch(e.to_string()))?;
            if !folder.skipped.is_empty() {
                notes.push(format!(
                    "skipped {} files that are not images in a class folder: {}",
                    folder.skipped.len(),
                    names_text(&folder.skipped)
                ));
            }
            // Names for the output's classes: a labels file beside the model that fits the
            // signature's class count, as the first answer would find it.
            let outputs = output_classes(card);
            if names.is_none()
                && let Some(k) = outputs
            {
                names = crate::session::label_candidates(&card.root)
                    .iter()
                    .filter_map(|c| crate::session::read_labels(c).ok())
                    .find(|l| l.names.len() == k);
            }
            unmatched = match &names {
                Some(names) => folder
                    .classes
                    .iter()
                    .filter(|c| {
                        truth_label(c, Some(names)).is_none_or(|t| !names.names.contains(&t))
                    })
                    .cloned()
                    .collect(),
                // Without names, a folder is a class index, below the output's count.
                None => folder
                    .classes
                    .iter()
                    .filter(|c| {
                        integer(c.trim()).is_none_or(|i| {
                            i < 0
                                || outputs.is_some_and(|k| usize::try_from(i).is_ok_and(|i| i >= k))
                        })
                    })
                    .cloned()
                    .collect(),
            };
            if !unmatched.is_empty() {
                let all = unmatched.len() == folder.classes.len();
                let which = if all {
                    format!(
                        "none of the {} class folders is one of",
                        folder.classes.len()
                    )
                } else {
                    format!(
                        "{} of the {} class folders {} not among",
                        unmatched.len(),
                        folder.classes.len(),
                        if unmatched.len() == 1 { "is" } else { "are" }
                    )
                };
                let why = match &names {
                    Some(names) => format!(
                        "{which} the model's classes ({}, from {}): {}",
                        names_text(&names.names),
                        names.origin,
                        names_text(&unmatched)
                    ),
                    None => format!(
                        "{which} the model's classes: it records no class names and no labels file beside it fits, so folders must be class indices{}; not: {}",
                        outputs.map_or_else(String::new, |k| format!(
                            " (0 to {})",
                            k.saturating_sub(1)
                        )),
                        names_text(&unmatched)
                    ),
                };
                notes.push(format!("{why}; their items count as mistakes"));
            }
            // A fixed batch axis (or none) decides the batch.
            let fixed = match target.batch {
                None => Some(1),
                Some(n) if n > 0 => usize::try_from(n).ok(),
                Some(_) => None,
            };
            let summary = if folder.labelled() {
                format!(
                    "{} images in {} classes ({})",
                    folder.len(),
                    folder.classes.len(),
                    names_text(&folder.classes)
                )
            } else {
                format!("{} images without labels", folder.len())
            };
            let total = folder.len();
            let labelled = folder.labelled();
            (
                Data::Images {
                    folder,
                    input,
                    target: Box::new(target),
                    options: image_options,
                },
                total,
                labelled,
                Some(Task::Classification),
                summary,
                if in_process { 32 } else { 8 },
                fixed,
            )
        }
        DatasetSpec::Table { .. } | DatasetSpec::Parquet { .. } => {
            let (file, label, kind, columns, total) = match spec {
                DatasetSpec::Parquet {
                    path,
                    label,
                    columns,
                    rows,
                } => (path, label, TableKind::Parquet, columns.clone(), *rows),
                DatasetSpec::Table { file, label, kind } => {
                    let kind = kind.unwrap_or_else(|| TableKind::of(file));
                    let columns = TableReader::open(file, kind)?.columns;
                    // Counted once the columns match (a table that does not fit is refused
                    // without reading it through).
                    (file, label, kind, columns, 0)
                }
                DatasetSpec::Images(dir) => {
                    return Err(EvalError::Mismatch(format!(
                        "{}: an image folder is not a table",
                        dir.display()
                    )));
                }
            };

            let label_index = match label {
                None => None,
                Some(l) => Some(columns.iter().position(|c| c == l).ok_or_else(|| {
                    dataset::DatasetError::NoLabelColumn {
                        path: file.clone(),
                        label: l.clone(),
                        columns: names_text(&columns),
                    }
                })?),
            };
            let (send, form) = match_columns(card, file, &columns, label_index, &mut notes)?;
            repeated_columns(&columns, label_index, &send, &mut notes);
            let total = match kind {
                TableKind::Parquet => total,
                _ => dataset::count_rows(file, kind)?,
            };
            if total == 0 {
                return Err(EvalError::Dataset(dataset::DatasetError::Empty {
                    path: file.clone(),
                    problem: "no rows under the header".into(),
                }));
            }
            let summary = format!(
                "{total} rows of {}{}",
                file.file_name().map_or_else(
                    || file.display().to_string(),
                    |n| n.to_string_lossy().into_owned()
                ),
                label.as_ref().map_or_else(
                    || " without labels".to_string(),
                    |l| format!(", labels in {l:?}")
                )
            );
            (
                Data::Table {
                    path: file.clone(),
                    kind,
                    label: label_index,
                    columns,
                    send,
                    form,
                },
                total,
                label_index.is_some(),
                options.task,
                summary,
                256,
                None,
            )
        }
    };
    let batch = fixed
        .or(options.batch)
        .unwrap_or(default_batch)
        .clamp(1, MAX_BATCH);
    if let (Some(fixed), Some(asked)) = (fixed, options.batch)
        && fixed != asked
    {
        notes.push(format!(
            "batches of {fixed}: the signature fixes the batch axis (--batch {asked} ignored)"
        ));
    }
    let concurrency = match backend {
        BackendChoice::Url(_) => options.concurrency.unwrap_or(1).clamp(1, MAX_CONCURRENCY),
        _ => {
            if options.concurrency.is_some_and(|c| c > 1) {
                notes.push(
                    "--concurrency is for an endpoint URL; this backend takes one batch at a time"
                        .into(),
                );
            }
            1
        }
    };
    let nothing_matches = labelled
        && total > 0
        && !unmatched.is_empty()
        && match &data {
            Data::Images { folder, .. } => unmatched.len() == folder.classes.len(),
            Data::Table { .. } => false,
        };
    Ok(Plan {
        data,
        total,
        batch,
        concurrency,
        labelled,
        task: options.task.or(task),
        nothing_matches,
        unmatched,
        names,
        notes,
        summary,
    })
}

/// How many classes the model's single tensor output scores (`[-1, k]` or `[k]`, k > 1), when
/// the signature says.
fn output_classes(card: &ModelCard) -> Option<usize> {
    let outputs = card.signature.valid()?.outputs.as_ref()?;
    let [crate::model::signature::Spec::Tensor(t)] = outputs.specs.as_slice() else {
        return None;
    };
    let k = match t.shape.as_slice() {
        [_, k] | [k] => *k,
        _ => return None,
    };
    usize::try_from(k).ok().filter(|k| *k > 1)
}

/// Says, before anything runs, where a name is given to several columns and only one of them
/// is read: the first is the label, or the first is the one a signature's column is matched
/// to (columns sent by position, to a tensor, are each sent and not noted).
fn repeated_columns(
    columns: &[String],
    label: Option<usize>,
    send: &[SentColumn],
    notes: &mut Vec<String>,
) {
    let mut places: std::collections::HashMap<&str, Vec<usize>> = std::collections::HashMap::new();
    for (i, c) in columns.iter().enumerate() {
        places.entry(c.as_str()).or_default().push(i);
    }
    let mut repeated: Vec<(&str, Vec<usize>)> =
        places.into_iter().filter(|(_, at)| at.len() > 1).collect();
    repeated.sort_by_key(|(_, at)| at[0]);
    let sent: std::collections::HashSet<usize> = send.iter().map(|(_, i, _)| *i).collect();
    for (name, at) in repeated.iter().take(20) {
        let numbers: Vec<String> = at.iter().map(|i| (i + 1).to_string()).collect();
        let read = if label.is_some_and(|l| at.contains(&l)) {
            "the first is read as the label"
        } else if at.iter().filter(|i| sent.contains(i)).count() == 1 {
            "only the first is read"
        } else {
            continue;
        };
        notes.push(format!(
            "the column name {:?} is given to {} columns (numbers {}): {read}",
            crate::text::elide_middle(name, 80),
            at.len(),
            numbers.join(", ")
        ));
    }
}

/// The columns to send, matched to the signature by name: a required one the table lacks
/// stops the run (all of them listed); columns the signature does not name are noted and not
/// sent. Without a column signature, every column but the label is sent.
fn match_columns(
    card: &ModelCard,
    file: &Path,
    columns: &[String],
    label: Option<usize>,
    notes: &mut Vec<String>,
) -> Result<(Vec<SentColumn>, TableForm), EvalError> {
    let inputs = card.signature.valid().and_then(|s| s.inputs.as_ref());
    let all_but_label = || -> Vec<SentColumn> {
        columns
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != label)
            .map(|(i, c)| (c.clone(), i, ColType::Any))
            .collect()
    };
    if let Some(schema) = inputs.filter(|s| s.is_tensor()) {
        // MLflow's onnx flavor flattens the outputs of a frame: tensors are sent as tensors.
        let tensors = schema.tensors();
        return match tensors.as_slice() {
            [one] if one.shape.len() == 2 => {
                let send = all_but_label();
                if let Some(&k) = one.shape.get(1)
                    && k > 0
                    && usize::try_from(k).ok() != Some(send.len())
                {
                    return Err(EvalError::Mismatch(format!(
                        "{}: the model's tensor is {} ({k} values an item); the table has {} columns besides the label: {}",
                        file.display(),
                        one.type_label(),
                        send.len(),
                        names_text(&send.iter().map(|(n, _, _)| n.clone()).collect::<Vec<_>>())
                    )));
                }
                Ok((send, TableForm::Matrix(one.name.clone())))
            }
            many if !many.is_empty()
                && many.iter().all(|t| t.name.is_some() && t.shape.len() == 1) =>
            {
                let names: Vec<String> = many.iter().filter_map(|t| t.name.clone()).collect();
                let send = by_name(file, columns, label, &names, &names, notes)?;
                Ok((
                    send.into_iter()
                        .map(|(n, i)| (n, i, ColType::Any))
                        .collect(),
                    TableForm::Tensors,
                ))
            }
            _ => Err(EvalError::Mismatch(format!(
                "{}: the model takes {}; a table feeds one tensor of shape [-1, columns] or one column for each 1-D named tensor",
                file.display(),
                tensors
                    .iter()
                    .map(|t| match &t.name {
                        Some(n) => format!("{n}: {}", t.type_label()),
                        None => t.type_label(),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        };
    }
    if inputs.is_none() && crate::predict::onnx::onnx_data(card).is_some() {
        // No signature on an ONNX model: its one input takes the rows as a matrix.
        return Ok((all_but_label(), TableForm::Matrix(None)));
    }
    let specs = inputs.map(|s| s.columns()).unwrap_or_default();
    let named = !specs.is_empty() && specs.iter().all(|s| s.name.is_some());
    if !named {
        return Ok((all_but_label(), TableForm::Frame));
    }
    let all: Vec<String> = specs.iter().filter_map(|s| s.name.clone()).collect();
    // Columns named 0, 1, ... (integers in the signature): the table's columns of those names,
    // else its columns besides the label in order, sent as a frame without names.
    if specs
        .iter()
        .all(|s| s.name_json.as_ref().is_some_and(Value::is_number))
    {
        let typed = |send: Vec<(String, usize)>| -> Vec<SentColumn> {
            send.into_iter()
                .zip(specs.iter())
                .map(|((n, i), s)| (n, i, s.ty.clone()))
                .collect()
        };
        if all.iter().all(|n| columns.contains(n)) {
            let send = by_name(file, columns, label, &all, &all, notes)?;
            return Ok((typed(send), TableForm::Positional));
        }
        let rest: Vec<(String, usize)> = all_but_label()
            .into_iter()
            .map(|(n, i, _)| (n, i))
            .collect();
        if rest.len() != specs.len() {
            return Err(EvalError::Mismatch(format!(
                "{}: the model's {} columns are named by position ({}); the table has {} columns besides the label: {}",
                file.display(),
                specs.len(),
                names_text(&all),
                rest.len(),
                names_text(&rest.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>())
            )));
        }
        notes.push(format!(
            "the model's columns are named by position ({}): the table's {} are sent in their order, as a frame without column names",
            names_text(&all),
            names_text(&rest.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>())
        ));
        return Ok((typed(rest), TableForm::Positional));
    }
    let required: Vec<String> = specs
        .iter()
        .filter(|s| s.is_required())
        .filter_map(|s| s.name.clone())
        .collect();
    let send = by_name(file, columns, label, &all, &required, notes)?;
    Ok((
        send.into_iter()
            .map(|(n, i)| {
                let ty = specs
                    .iter()
                    .find(|s| s.name.as_ref() == Some(&n))
                    .map_or(ColType::Any, |s| s.ty.clone());
                (n, i, ty)
            })
            .collect(),
        TableForm::Frame,
    ))
}

/// The file's columns for the model's inputs `names`, by name: a `required` one missing stops
/// the run (all of them listed); the file's columns the model does not name are noted.
fn by_name(
    file: &Path,
    columns: &[String],
    label: Option<usize>,
    names: &[String],
    required: &[String],
    notes: &mut Vec<String>,
) -> Result<Vec<(String, usize)>, EvalError> {
    let mut send = Vec::new();
    let mut missing = Vec::new();
    for name in names {
        match columns.iter().position(|c| c == name) {
            Some(i) if Some(i) == label => {
                return Err(EvalError::Mismatch(format!(
                    "{}: the label column {name:?} is also an input of the model",
                    file.display()
                )));
            }
            Some(i) => send.push((name.clone(), i)),
            None if required.contains(name) => missing.push(name.clone()),
            None => {}
        }
    }
    if !missing.is_empty() {
        return Err(EvalError::Mismatch(format!(
            "{}: no column for {} that the model requires (the file's columns: {})",
            file.display(),
            names_text(&missing),
            names_text(columns)
        )));
    }
    let extra: Vec<String> = columns
        .iter()
        .enumerate()
        .filter(|(i, c)| Some(*i) != label && !names.contains(c))
        .map(|(_, c)| c.clone())
        .collect();
    if !extra.is_empty() {
        notes.push(format!(
            "columns the signature does not name, not sent: {}",
            names_text(&extra)
        ));
    }
    Ok(send)
}

/// A true label as the report names it: a model class name as it is; an integer (a folder
/// `0`, a cell `2.0`) as the name of that class index when names are known, else as the
/// integer. `None` for an empty label.
fn truth_label(text: &str, names: Option<&ClassNames>) -> Option<String> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    if names.is_some_and(|n| n.names.iter().any(|c| c == t)) {
        return Some(t.to_string());
    }
    if let Some(i) = integer(t) {
        if let Some(name) = usize::try_from(i)
            .ok()
            .and_then(|i| names.and_then(|n| n.name(i)))
        {
            return Some(name.to_string());
        }
        return Some(i.to_string());
    }
    Some(t.to_string())
}

/// The class index a true label names: its place among the class names (the model's own, or
/// a labels file's), or the integer it is; `None` when it names no class.
pub fn class_index(label: &str, card: &ModelCard, labels: Option<&ClassNames>) -> Option<usize> {
    let t = label.trim();
    [card.classes.as_ref(), labels]
        .into_iter()
        .flatten()
        .find_map(|names| names.names.iter().position(|n| n == t))
        .or_else(|| integer(t).and_then(|i| usize::try_from(i).ok()))
}

/// An integer written as such or as a whole float (`2`, `2.0`).
fn integer(text: &str) -> Option<i64> {
    text.parse::<i64>().ok().or_else(|| {
        text.parse::<f64>()
            .ok()
            .filter(|f| f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15)
            .map(|f| f as i64)
    })
}

/// Progress of a run, shared with whoever shows it.
#[derive(Debug, Default)]
pub struct EvalProgress {
    /// Items in the dataset.
    pub total: AtomicUsize,
    /// Items finished (predicted or failed).
    pub done: AtomicUsize,
    /// Items failed.
    pub failed: AtomicUsize,
    /// Requests sent again after a 429 or 503.
    pub retries: AtomicUsize,
}

/// One item's outcome, as the predictions file and the window's table show it.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemResult {
    /// The item: a path under the folder, or `line N` of the table.
    pub id: String,
    /// Its label (`None` without one).
    pub label: Option<String>,
    /// The prediction: a class name or index, or a number.
    pub prediction: Option<String>,
    /// The predicted class's score, when the model gives scores.
    pub score: Option<f64>,
    /// Why it failed (`None` when predicted).
    pub error: Option<String>,
}

/// A wrong prediction, kept when it is among the most confident (classification) or the
/// largest errors (regression).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Mistake {
    /// The item.
    pub id: String,
    /// Its label.
    pub label: String,
    /// What the model said.
    pub prediction: String,
    /// The score of the predicted class (classification with scores).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// |label - prediction| (regression).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<f64>,
}

/// What a run found.
#[derive(Debug, Clone)]
pub struct Report {
    /// Classification or regression (`None` when nothing was predicted).
    pub task: Option<Task>,
    /// Items predicted.
    pub n: usize,
    /// Items predicted that had a label (counted in the metrics).
    pub labelled: usize,
    /// Items failed.
    pub failed: usize,
    /// Requests sent again after an endpoint answered 429 or 503.
    pub retries: usize,
    /// Whether the run was stopped before the end by the user.
    pub cancelled: bool,
    /// Why the run stopped before the end by itself (an endpoint that stopped answering),
    /// with the metrics of what was done.
    pub stopped: Option<String>,
    /// The runtime that answered, as the in-process backends name it (`onnxruntime 1.32.0
    /// (CPUExecutionProvider)`, `tract 0.23.9`); `None` for a server, which does not say.
    pub runtime: Option<String>,
    /// What to know about it: why another runtime answered than the one asked for (ONNX
    /// Runtime could not be loaded), and each change of runtime during the run.
    pub runtime_notes: Vec<String>,
    /// The classification metrics.
    pub classification: Option<ClassificationReport>,
    /// The regression metrics.
    pub regression: Option<RegressionReport>,
    /// The most confident mistakes (or largest errors), worst first.
    pub mistakes: Vec<Mistake>,
    /// The first [`FAILURES_KEPT`] failed items with their errors.
    pub failures: Vec<(String, String)>,
    /// The class names used, and where they came from.
    pub names: Option<ClassNames>,
    /// Wall time of the run.
    pub elapsed: Duration,
}

impl Report {
    /// The report as the command line's `--json` document: `n`, `failed`, `metrics`,
    /// `confusion_matrix`, `per_class`, `mistakes` (and `task`, `labelled`, `cancelled`,
    /// `failures`).
    pub fn to_json(&self) -> Value {
        let mut doc = serde_json::Map::new();
        doc.insert(
            "task".into(),
            serde_json::to_value(self.task).unwrap_or(Value::Null),
        );
        doc.insert("n".into(), self.n.into());
        doc.insert("labelled".into(), self.labelled.into());
        doc.insert("failed".into(), self.failed.into());
        doc.insert("retries".into(), self.retries.into());
        doc.insert("cancelled".into(), self.cancelled.into());
        if let Some(why) = &self.stopped {
            doc.insert("stopped".into(), why.clone().into());
        }
        if let Some(runtime) = &self.runtime {
            doc.insert("runtime".into(), runtime.clone().into());
        }
        if !self.runtime_notes.is_empty() {
            doc.insert("runtime_notes".into(), self.runtime_notes.clone().into());
        }
        let number = |v: Option<f64>| {
            v.and_then(serde_json::Number::from_f64)
                .map_or(Value::Null, Value::Number)
        };
        if let Some(c) = &self.classification {
            doc.insert(
                "metrics".into(),
                serde_json::json!({"accuracy": number(c.accuracy), "macro_f1": number(c.macro_f1)}),
            );
            let matrix = if c.labels.len() <= metrics::DENSE_LABELS {
                serde_json::json!({"labels": c.labels, "matrix": c.matrix})
            } else {
                // Too many labels for the whole matrix: the cells that are not zero.
                serde_json::json!({
                    "labels": c.labels,
                    "sparse": true,
                    "cells": c.cells.iter().map(|(t, p, n)| [*t as u64, *p as u64, *n]).collect::<Vec<_>>(),
                })
            };
            doc.insert("confusion_matrix".into(), matrix);
            doc.insert(
                "per_class".into(),
                serde_json::to_value(&c.per_class).unwrap_or(Value::Null),
            );
        } else if let Some(r) = &self.regression {
            doc.insert(
                "metrics".into(),
                serde_json::json!({"mae": number(r.mae), "rmse": number(r.rmse), "r2": number(r.r2)}),
            );
        }
        doc.insert(
            "mistakes".into(),
            serde_json::to_value(&self.mistakes).unwrap_or(Value::Null),
        );
        doc.insert(
            "failures".into(),
            Value::Array(
                self.failures
                    .iter()
                    .map(|(id, e)| serde_json::json!({"input": id, "error": e}))
                    .collect(),
            ),
        );
        Value::Object(doc)
    }
}

/// A number as text, as Python's `repr` writes it (the shortest that reads back the same).
pub fn number_text(x: f64) -> String {
    serde_json::Number::from_f64(x).map_or_else(|| x.to_string(), |n| n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Class names for a test.
    pub(super) fn names(v: &[&str]) -> ClassNames {
        ClassNames {
            origin: "test".into(),
            file: None,
            names: v.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn true_labels_are_class_names_or_indices() {
        let n = names(&["cat", "dog"]);
        assert_eq!(truth_label("dog", Some(&n)).as_deref(), Some("dog"));
        assert_eq!(
            truth_label("1", Some(&n)).as_deref(),
            Some("dog"),
            "integer folder names are indices"
        );
        assert_eq!(truth_label("1.0", Some(&n)).as_deref(), Some("dog"));
        assert_eq!(truth_label("7", Some(&n)).as_deref(), Some("7"));
        assert_eq!(truth_label("2.0", None).as_deref(), Some("2"));
        assert_eq!(truth_label("bird", Some(&n)).as_deref(), Some("bird"));
        assert_eq!(truth_label("  ", None), None);
    }
}
