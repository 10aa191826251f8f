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

pub mod dataset;
pub mod metrics;
pub mod out;

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::input::build::cell_value;
use crate::input::image::{ImageOptions, ImageTarget};
use crate::input::request::{BodyFormat, Inputs, Request, Tensors};
use crate::model::ModelCard;
use crate::model::classes::ClassNames;
use crate::model::signature::ColType;
use crate::predict::answer::{Kind, Section};
use crate::predict::{BackendChoice, BackendSettings, PredictError, Reply, Runner};
use dataset::{Cell, ImageFolder, TableKind, TableReader};
use metrics::{Classification, ClassificationReport, Regression, RegressionReport};

/// The largest batch sent at once.
pub const MAX_BATCH: usize = 4096;

/// How many mistakes a report keeps (the most confident first).
pub const MISTAKES_KEPT: usize = 5;

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
    #[error("the backend cannot run the model: {0}")]
    Backend(PredictError),
}

impl EvalError {
    /// Whether the fault is the arguments' or the dataset's (exit 2) rather than the backend's.
    pub fn is_usage(&self) -> bool {
        !matches!(self, EvalError::Backend(_))
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
        /// Sent columns: name, index in the file, type from the signature.
        send: Vec<(String, usize, ColType)>,
    },
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
    let names = match &options.labels {
        Some(file) => Some(crate::session::read_labels(file).map_err(EvalError::Labels)?),
        None => card.classes.clone(),
    };
    let in_process = matches!(backend, BackendChoice::Onnx | BackendChoice::OnnxRuntime);
    let mut notes = Vec::new();
    let (data, total, labelled, task, summary, default_batch, fixed) = match spec {
        DatasetSpec::Images(dir) => {
            let folder = ImageFolder::list(dir)?;
            let targets = crate::input::build::image_inputs(card);
            let Some((input, target)) = targets.into_iter().next() else {
                return Err(EvalError::Mismatch(format!(
                    "{}: the model's signature has no image-shaped tensor input (rank 3 or 4 with 1, 3 or 4 channels), so images cannot be evaluated; evaluate a table with --csv",
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
            if let Some(names) = &names {
                let unknown: Vec<String> = folder
                    .classes
                    .iter()
                    .filter(|c| {
                        truth_label(c, Some(names)).is_none_or(|t| !names.names.contains(&t))
                    })
                    .cloned()
                    .collect();
                if !unknown.is_empty() {
                    notes.push(format!(
                        "class folders the model has no class for ({} names {} classes): {}; their items count as mistakes",
                        names.origin,
                        names.names.len(),
                        names_text(&unknown)
                    ));
                }
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
        DatasetSpec::Table { file, label } => {
            let kind = TableKind::of(file);
            let table = TableReader::open(file, kind)?;
            let columns = table.columns.clone();
            drop(table);
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
            let send = match_columns(card, file, &columns, label_index, &mut notes)?;
            let total = dataset::count_rows(file, kind)?;
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
                    send,
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
    Ok(Plan {
        data,
        total,
        batch,
        labelled,
        task: options.task.or(task),
        names,
        notes,
        summary,
    })
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
) -> Result<Vec<(String, usize, ColType)>, EvalError> {
    let specs = card
        .signature
        .valid()
        .and_then(|s| s.inputs.as_ref())
        .filter(|s| !s.is_tensor())
        .map(|s| s.columns())
        .unwrap_or_default();
    let named = !specs.is_empty() && specs.iter().all(|s| s.name.is_some());
    if !named {
        return Ok(columns
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != label)
            .map(|(i, c)| (c.clone(), i, ColType::Any))
            .collect());
    }
    let mut send = Vec::new();
    let mut missing = Vec::new();
    for spec in &specs {
        let Some(name) = &spec.name else { continue };
        match columns.iter().position(|c| c == name) {
            Some(i) if Some(i) == label => {
                return Err(EvalError::Mismatch(format!(
                    "{}: the label column {name:?} is also an input of the model",
                    file.display()
                )));
            }
            Some(i) => send.push((name.clone(), i, spec.ty.clone())),
            None if spec.is_required() => missing.push(name.clone()),
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
        .filter(|(i, c)| Some(*i) != label && !specs.iter().any(|s| s.name.as_ref() == Some(*c)))
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
    /// Whether the run was stopped before the end.
    pub cancelled: bool,
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
        doc.insert("cancelled".into(), self.cancelled.into());
        let number = |v: Option<f64>| {
            v.and_then(serde_json::Number::from_f64)
                .map_or(Value::Null, Value::Number)
        };
        if let Some(c) = &self.classification {
            doc.insert(
                "metrics".into(),
                serde_json::json!({"accuracy": number(c.accuracy), "macro_f1": number(c.macro_f1)}),
            );
            doc.insert(
                "confusion_matrix".into(),
                serde_json::json!({"labels": c.labels, "matrix": c.matrix}),
            );
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

/// An item waiting for its answer.
struct Pending {
    id: String,
    label: Option<String>,
}

/// What one row of an answer says.
#[derive(Debug, Clone, PartialEq)]
enum Predicted {
    Class { label: String, score: Option<f64> },
    Number(f64),
}

/// The running counts.
struct Tally<'a> {
    plan: &'a Plan,
    task: Option<Task>,
    names: Option<ClassNames>,
    names_looked: bool,
    classification: Classification,
    regression: Regression,
    mistakes: Vec<(f64, usize, Mistake)>,
    failures: Vec<(String, String)>,
    n: usize,
    labelled: usize,
    failed: usize,
    seen: usize,
    progress: &'a EvalProgress,
}

impl Tally<'_> {
    fn fail(&mut self, item: &Pending, error: String, on_item: &mut dyn FnMut(&ItemResult)) {
        self.failed += 1;
        self.progress.failed.fetch_add(1, Ordering::Relaxed);
        self.progress.done.fetch_add(1, Ordering::Relaxed);
        if self.failures.len() < FAILURES_KEPT {
            self.failures.push((item.id.clone(), error.clone()));
        }
        on_item(&ItemResult {
            id: item.id.clone(),
            label: item.label.clone(),
            prediction: None,
            score: None,
            error: Some(error),
        });
    }

    fn keep_mistake(&mut self, key: f64, mistake: Mistake) {
        self.seen += 1;
        self.mistakes.push((key, self.seen, mistake));
        // Worst first; among equals, the first seen.
        self.mistakes
            .sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        self.mistakes.truncate(MISTAKES_KEPT);
    }

    fn predicted(
        &mut self,
        item: &Pending,
        predicted: Predicted,
        on_item: &mut dyn FnMut(&ItemResult),
    ) {
        let (prediction, score) = match &predicted {
            Predicted::Class { label, score } => (label.clone(), *score),
            Predicted::Number(x) => (number_text(*x), None),
        };
        let mut error = None;
        let mut label = item.label.clone();
        match (self.task, &predicted, &item.label) {
            (_, _, None) => {}
            (Some(Task::Regression), Predicted::Number(x), Some(text)) => {
                match text.trim().parse::<f64>() {
                    Ok(truth) if truth.is_finite() => {
                        self.regression.add(truth, *x);
                        self.labelled += 1;
                        let e = (truth - x).abs();
                        if e > 0.0 {
                            self.keep_mistake(
                                e,
                                Mistake {
                                    id: item.id.clone(),
                                    label: text.clone(),
                                    prediction: prediction.clone(),
                                    score: None,
                                    error: Some(e),
                                },
                            );
                        }
                    }
                    _ => error = Some(metrics::MetricError::NotANumber(text.clone()).to_string()),
                }
            }
            (Some(Task::Regression), Predicted::Class { .. }, Some(_)) => {
                error = Some(
                    "the model answered a class where a number was expected (--task regression)"
                        .into(),
                );
            }
            (_, _, Some(text)) => {
                let truth = truth_label(text, self.names.as_ref());
                label = truth.clone().or(label);
                if let Some(truth) = truth {
                    match self.classification.add(&truth, &prediction) {
                        Ok(()) => {
                            self.labelled += 1;
                            if truth != prediction {
                                self.keep_mistake(
                                    score.unwrap_or(f64::NEG_INFINITY),
                                    Mistake {
                                        id: item.id.clone(),
                                        label: truth,
                                        prediction: prediction.clone(),
                                        score,
                                        error: None,
                                    },
                                );
                            }
                        }
                        Err(e) => error = Some(e.to_string()),
                    }
                }
            }
        }
        if let Some(error) = error {
            return self.fail(item, error, on_item);
        }
        self.n += 1;
        self.progress.done.fetch_add(1, Ordering::Relaxed);
        on_item(&ItemResult {
            id: item.id.clone(),
            label,
            prediction: Some(prediction),
            score,
            error: None,
        });
    }
}

/// A number as text, as Python's `repr` writes it (the shortest that reads back the same).
pub fn number_text(x: f64) -> String {
    serde_json::Number::from_f64(x).map_or_else(|| x.to_string(), |n| n.to_string())
}

/// A float as the answer's rows give it.
fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::Array(a) if a.len() == 1 => a.first().and_then(as_f64),
        _ => None,
    }
}

/// Reads an answer into one prediction per item.
fn read_rows(
    sections: &[Section],
    count: usize,
    task: &mut Option<Task>,
    names: Option<&ClassNames>,
) -> Result<Vec<Predicted>, String> {
    let class_name = |section: &Section, i: usize| -> String {
        section
            .classes
            .as_ref()
            .and_then(|c| c.get(i).cloned())
            .or_else(|| names.and_then(|n| n.name(i)).map(str::to_string))
            .unwrap_or_else(|| i.to_string())
    };
    if let Some(section) = sections
        .iter()
        .find(|s| matches!(s.kind, Kind::Scores(_)))
        .filter(|_| *task != Some(Task::Regression))
    {
        let Kind::Scores(rows) = &section.kind else {
            return Err("no scores".into());
        };
        if rows.len() != count {
            return Err(format!(
                "the answer has {} rows for {count} items",
                rows.len()
            ));
        }
        *task = Some(Task::Classification);
        return rows
            .iter()
            .map(|row| {
                let (i, score) = crate::predict::answer::top_k(row, 1)
                    .into_iter()
                    .next()
                    .ok_or("an empty row of scores")?;
                Ok(Predicted::Class {
                    label: class_name(section, i),
                    score,
                })
            })
            .collect();
    }
    let section = sections
        .iter()
        .find(|s| matches!(&s.kind, Kind::Table { columns, .. } if !columns.is_empty()))
        .ok_or("the answer has neither class scores nor one value per item")?;
    let Kind::Table { rows, total, .. } = &section.kind else {
        return Err("no table".into());
    };
    if *total != count || rows.len() != count {
        return Err(format!("the answer has {total} rows for {count} items"));
    }
    let cells: Vec<&Value> = rows.iter().filter_map(|r| r.first()).collect();
    if cells.len() != count {
        return Err("the answer has a row without a value".into());
    }
    if task.is_none() {
        let integral = cells.iter().all(|v| match as_f64(v) {
            Some(f) => f.fract() == 0.0,
            None => true,
        });
        *task = Some(if integral {
            Task::Classification
        } else {
            Task::Regression
        });
    }
    cells
        .into_iter()
        .map(|v| match (*task, v) {
            (Some(Task::Regression), v) => as_f64(v)
                .map(Predicted::Number)
                .ok_or_else(|| format!("the model answered {v} where a number was expected")),
            (_, Value::String(s)) => Ok(Predicted::Class {
                label: s.clone(),
                score: None,
            }),
            (_, v) => Ok(Predicted::Class {
                label: match as_f64(v).filter(|f| f.fract() == 0.0 && *f >= 0.0) {
                    Some(f) => class_name(section, f as usize),
                    None => match v {
                        Value::Array(a) if a.len() == 1 => a[0].to_string(),
                        other => other.to_string(),
                    },
                },
                score: None,
            }),
        })
        .collect()
}

/// Whether a backend error would be the same for every item (the run stops).
fn fatal(e: &PredictError) -> bool {
    matches!(
        e,
        PredictError::NotRunnable(_)
            | PredictError::Python(_)
            | PredictError::ServerStart(_)
            | PredictError::ServerFailed { .. }
            | PredictError::UnsupportedOp { .. }
            | PredictError::Cancelled
    )
}

/// Everything a batch is sent with.
struct Sender<'a> {
    card: &'a ModelCard,
    runner: &'a mut Runner,
    choice: &'a BackendChoice,
    settings: &'a BackendSettings,
    cancel: &'a AtomicBool,
}

impl Sender<'_> {
    /// Predicts `items` with the requests `make` builds for a range of them. A refused or
    /// failed batch is sent again item by item, so only the items at fault fail.
    fn send(
        &mut self,
        tally: &mut Tally<'_>,
        items: &[Pending],
        make: &dyn Fn(Range<usize>) -> Result<Request, String>,
        on_item: &mut dyn FnMut(&ItemResult),
    ) -> Result<(), EvalError> {
        let whole = 0..items.len();
        match self.try_send(tally, whole.clone(), make) {
            Ok(rows) => {
                for (item, row) in items.iter().zip(rows) {
                    tally.predicted(item, row, on_item);
                }
                Ok(())
            }
            Err(Failure::Fatal(e)) => Err(EvalError::Backend(e)),
            Err(Failure::Item(message)) if items.len() == 1 => {
                tally.fail(&items[0], message, on_item);
                Ok(())
            }
            Err(Failure::Item(_)) => {
                for (i, item) in items.iter().enumerate() {
                    if self.cancel.load(Ordering::Relaxed) {
                        return Err(EvalError::Backend(PredictError::Cancelled));
                    }
                    match self.try_send(tally, i..i + 1, make) {
                        Ok(mut rows) => match rows.pop() {
                            Some(row) => tally.predicted(item, row, on_item),
                            None => tally.fail(item, "no answer for the item".into(), on_item),
                        },
                        Err(Failure::Fatal(e)) => return Err(EvalError::Backend(e)),
                        Err(Failure::Item(message)) => tally.fail(item, message, on_item),
                    }
                }
                Ok(())
            }
        }
    }

    fn try_send(
        &mut self,
        tally: &mut Tally<'_>,
        range: Range<usize>,
        make: &dyn Fn(Range<usize>) -> Result<Request, String>,
    ) -> Result<Vec<Predicted>, Failure> {
        let count = range.len();
        let request = make(range).map_err(Failure::Item)?;
        let verdict = crate::input::validate::validate(
            crate::input::validate::Model::of(self.card),
            &request,
        );
        if let Some(problem) = verdict.problems.first() {
            return Err(Failure::Item(problem.message.clone()));
        }
        let outcome = self
            .runner
            .predict(self.choice, self.settings, &request, self.cancel)
            .map_err(|e| {
                if fatal(&e) {
                    Failure::Fatal(e)
                } else {
                    Failure::Item(e.to_string())
                }
            })?;
        let value = match &outcome.reply {
            Reply::Predictions { value, .. } => value,
            Reply::Rejected(r) => return Err(Failure::Item(r.to_string())),
        };
        let sections = crate::predict::answer::sections(value);
        if tally.names.is_none() && !tally.names_looked {
            // A labels file beside the model that fits the answer, as the Test tab finds it.
            tally.names_looked = true;
            tally.names = crate::session::read_outcome(&outcome, self.card, None, true).labels;
        }
        read_rows(&sections, count, &mut tally.task, tally.names.as_ref()).map_err(Failure::Item)
    }
}

enum Failure {
    Fatal(PredictError),
    Item(String),
}

/// Runs the plan: batches through the chosen backend, each item's result to `on_item` as it
/// comes (for a predictions file or a table), the metrics at the end. Stops early, keeping
/// what is done, when `cancel` is set.
#[allow(clippy::too_many_arguments)]
pub fn run(
    plan: &Plan,
    card: &ModelCard,
    runner: &mut Runner,
    choice: &BackendChoice,
    settings: &BackendSettings,
    progress: &EvalProgress,
    cancel: &AtomicBool,
    on_item: &mut dyn FnMut(&ItemResult),
) -> Result<Report, EvalError> {
    let started = Instant::now();
    progress.total.store(plan.total, Ordering::Relaxed);
    let mut tally = Tally {
        plan,
        task: plan.task,
        names: plan.names.clone(),
        names_looked: plan.names.is_some(),
        classification: Classification::default(),
        regression: Regression::default(),
        mistakes: Vec::new(),
        failures: Vec::new(),
        n: 0,
        labelled: 0,
        failed: 0,
        seen: 0,
        progress,
    };
    let mut sender = Sender {
        card,
        runner,
        choice,
        settings,
        cancel,
    };
    let stopped = match &plan.data {
        Data::Images {
            folder,
            input,
            target,
            options,
        } => run_images(
            &mut sender,
            &mut tally,
            folder,
            input,
            target,
            options,
            on_item,
        ),
        Data::Table {
            path,
            kind,
            label,
            send,
        } => run_table(&mut sender, &mut tally, path, *kind, *label, send, on_item),
    };
    let cancelled = match stopped {
        Ok(()) => cancel.load(Ordering::Relaxed),
        Err(EvalError::Backend(PredictError::Cancelled)) => true,
        Err(e) => return Err(e),
    };
    let order: Vec<String> = tally
        .names
        .as_ref()
        .map(|n| n.names.clone())
        .unwrap_or_default();
    let (classification, regression) = match (plan.labelled, tally.task) {
        (false, _) | (_, None) => (None, None),
        (true, Some(Task::Classification)) => (Some(tally.classification.report(&order)), None),
        (true, Some(Task::Regression)) => (None, Some(tally.regression.report())),
    };
    Ok(Report {
        task: tally.task,
        n: tally.n,
        labelled: tally.labelled,
        failed: tally.failed,
        cancelled,
        classification,
        regression,
        mistakes: tally.mistakes.into_iter().map(|(_, _, m)| m).collect(),
        failures: tally.failures,
        names: tally.names,
        elapsed: started.elapsed(),
    })
}

fn run_images(
    sender: &mut Sender<'_>,
    tally: &mut Tally<'_>,
    folder: &ImageFolder,
    input: &Option<String>,
    target: &ImageTarget,
    options: &ImageOptions,
    on_item: &mut dyn FnMut(&ItemResult),
) -> Result<(), EvalError> {
    use crate::input::image;
    let batch = tally.plan.batch;
    let mut start = 0;
    while start < folder.len() {
        if sender.cancel.load(Ordering::Relaxed) {
            return Ok(());
        }
        let end = (start + batch).min(folder.len());
        let items: Vec<dataset::ImageItem> = (start..end).filter_map(|i| folder.item(i)).collect();
        start = end;
        // Decoded and brought to the tensor's size on every core; a file that cannot be read
        // is that item's failure.
        let (w, h) = target
            .size_for(options.free_size, 1)
            .map_err(|e| EvalError::Mismatch(e.to_string()))?;
        let decoded: Vec<Result<::image::DynamicImage, String>> = crate::perf::map_on_cores(
            &items,
            |part| {
                Ok::<_, ()>(
                    part.iter()
                        .map(|item| {
                            image::decode(&item.path)
                                .map(|d| image::resize(&d, w, h, options.resize).into())
                                .map_err(|e| e.to_string())
                        })
                        .collect(),
                )
            },
            || (),
        )
        .unwrap_or_else(|()| {
            items
                .iter()
                .map(|_| Err("the image decoder stopped unexpectedly".to_string()))
                .collect()
        });
        let mut pending = Vec::new();
        let mut images = Vec::new();
        for (item, result) in items.into_iter().zip(decoded) {
            let p = Pending {
                id: item.id,
                label: item.label,
            };
            match result {
                Ok(img) => {
                    pending.push(p);
                    images.push(img);
                }
                Err(e) => tally.fail(&p, e, on_item),
            }
        }
        if pending.is_empty() {
            continue;
        }
        let make = |range: Range<usize>| -> Result<Request, String> {
            let part = images.get(range).ok_or("no such items")?;
            let tensor =
                image::images_to_tensor(part, target, options).map_err(|e| e.to_string())?;
            let tensors = match input {
                None => Tensors::One(tensor),
                Some(n) => Tensors::Named(vec![(n.clone(), tensor)]),
            };
            Ok(Request::tensors(tensors, None))
        };
        sender.send(tally, &pending, &make, on_item)?;
    }
    Ok(())
}

fn run_table(
    sender: &mut Sender<'_>,
    tally: &mut Tally<'_>,
    path: &Path,
    kind: TableKind,
    label: Option<usize>,
    send: &[(String, usize, ColType)],
    on_item: &mut dyn FnMut(&ItemResult),
) -> Result<(), EvalError> {
    let mut table = TableReader::open(path, kind)?;
    let columns: Vec<String> = send.iter().map(|(n, _, _)| n.clone()).collect();
    let batch = tally.plan.batch;
    loop {
        if sender.cancel.load(Ordering::Relaxed) {
            return Ok(());
        }
        let mut pending = Vec::new();
        let mut rows: Vec<Vec<Value>> = Vec::new();
        let mut end = false;
        while pending.len() < batch {
            let Some(row) = table.next_row() else {
                end = true;
                break;
            };
            match row {
                Err((id, problem)) => tally.fail(&Pending { id, label: None }, problem, on_item),
                Ok(row) => {
                    let label = label
                        .and_then(|i| row.cells.get(i))
                        .and_then(Cell::label_text);
                    rows.push(
                        send.iter()
                            .map(|(_, i, ty)| match row.cells.get(*i) {
                                Some(Cell::Text(t)) => cell_value(t, ty),
                                Some(Cell::Json(v)) => v.clone(),
                                None => Value::Null,
                            })
                            .collect(),
                    );
                    pending.push(Pending { id: row.id, label });
                }
            }
        }
        if !pending.is_empty() {
            let make = |range: Range<usize>| -> Result<Request, String> {
                let part = rows.get(range).ok_or("no such rows")?;
                Ok(Request::Json(crate::input::request::body(
                    &Inputs::Frame {
                        columns: columns.clone(),
                        rows: part.to_vec(),
                    },
                    None,
                    BodyFormat::Mlflow,
                )))
            };
            sender.send(tally, &pending, &make, on_item)?;
        }
        if end {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> ClassNames {
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

    fn table(values: Vec<Value>) -> Vec<Section> {
        crate::predict::answer::sections(&Value::Array(values))
    }

    #[test]
    fn answers_read_as_classes_or_numbers() {
        let n = names(&["setosa", "versicolor", "virginica"]);
        let mut task = None;
        let rows = read_rows(&table(vec![0.into(), 2.into()]), 2, &mut task, Some(&n)).unwrap();
        assert_eq!(task, Some(Task::Classification));
        assert_eq!(
            rows[1],
            Predicted::Class {
                label: "virginica".into(),
                score: None
            }
        );
        let mut task = None;
        let rows = read_rows(&table(vec![1.5.into(), 2.into()]), 2, &mut task, None).unwrap();
        assert_eq!(task, Some(Task::Regression));
        assert_eq!(rows[0], Predicted::Number(1.5));
        let mut task = None;
        let scores = crate::predict::answer::sections(&serde_json::json!([[0.2, 0.8], [0.9, 0.1]]));
        let rows = read_rows(&scores, 2, &mut task, Some(&names(&["a", "b"]))).unwrap();
        assert_eq!(
            rows,
            vec![
                Predicted::Class {
                    label: "b".into(),
                    score: Some(0.8)
                },
                Predicted::Class {
                    label: "a".into(),
                    score: Some(0.9)
                }
            ]
        );
        let e = read_rows(&scores, 3, &mut task, None).unwrap_err();
        assert_eq!(e, "the answer has 2 rows for 3 items");
        let mut task = None;
        let rows = read_rows(&table(vec!["x".into()]), 1, &mut task, None).unwrap();
        assert_eq!(
            rows[0],
            Predicted::Class {
                label: "x".into(),
                score: None
            }
        );
    }
}
