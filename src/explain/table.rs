//! One row of a table explained through the chosen backend: the row and its background read
//! as `eval` reads a table (columns matched to the signature, cells converted to its types),
//! every coalition's rows sent in `eval`'s batches, the answers read for the target, and the
//! Shapley values checked to add up to the prediction minus the base value.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::shapley::{self, Method};
use super::{ExplainError, Target};
use crate::eval::{DatasetSpec, EvalOptions};
use crate::model::ModelCard;
use crate::predict::{BackendChoice, BackendSettings, Runner};

/// Where the background rows come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Background {
    /// The first N rows of the explained table.
    Rows(usize),
    /// Every row of this table (at most [`super::MAX_BACKGROUND`]).
    File(PathBuf),
    /// The first N rows of this table (at most [`super::MAX_BACKGROUND`]).
    Head(PathBuf, usize),
}

/// What to explain.
#[derive(Debug, Clone, PartialEq)]
pub struct TableSpec {
    /// The table (CSV or JSON lines).
    pub data: PathBuf,
    /// The row explained (0-based, header not counted).
    pub row: usize,
    /// The background.
    pub background: Background,
    /// The class explained (`None`: the row's top class).
    pub class: Option<usize>,
    /// Permutation pairs when there are more than [`shapley::MAX_EXACT`] features.
    pub pairs: usize,
    /// Their seed.
    pub seed: u64,
    /// Rows per request (`None`: `eval`'s batch for the backend).
    pub batch: Option<usize>,
    /// Requests in flight at once for an endpoint URL (other backends take one at a time).
    pub concurrency: usize,
}

/// One feature's attribution.
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    /// The column.
    pub name: String,
    /// Its value in the explained row, as sent.
    pub value: Value,
    /// The signed Shapley value.
    pub contribution: f64,
    /// Its magnitude.
    pub importance: f64,
}

/// One row explained.
#[derive(Debug, Clone, PartialEq)]
pub struct TableExplanation {
    /// The row (`line N` of the file).
    pub row_id: String,
    /// What was explained.
    pub target: Target,
    /// The features, by importance, largest first.
    pub features: Vec<Feature>,
    /// The mean answer over the background.
    pub base_value: f64,
    /// The answer for the row.
    pub prediction: f64,
    /// Σ contributions − (prediction − base value): zero but for rounding.
    pub additivity_error: f64,
    /// How the values were found.
    pub method: Method,
    /// Background rows.
    pub background_rows: usize,
    /// Rows the model was asked about (the row itself included).
    pub rows_predicted: usize,
    /// The whole run.
    pub runtime: Duration,
}

/// Rows predicted so far, of how many.
#[derive(Debug, Default)]
pub struct Progress {
    /// Rows predicted.
    pub done: AtomicUsize,
    /// Rows to predict.
    pub total: AtomicUsize,
}

/// A table's rows matched to the model, as `eval` sends them.
fn plan(
    card: &ModelCard,
    file: &std::path::Path,
    choice: &BackendChoice,
) -> Result<crate::eval::Plan, ExplainError> {
    let spec = DatasetSpec::Table {
        file: file.to_path_buf(),
        label: None,
        kind: None,
    };
    Ok(crate::eval::prepare(
        card,
        &spec,
        &EvalOptions::default(),
        choice,
    )?)
}

/// Explains row `spec.row` of `spec.data` through `choice`.
pub fn run(
    card: &ModelCard,
    runner: &mut Runner,
    choice: &BackendChoice,
    settings: &BackendSettings,
    spec: &TableSpec,
    progress: &Progress,
    cancel: &AtomicBool,
) -> Result<TableExplanation, ExplainError> {
    let started = Instant::now();
    let plan = plan(card, &spec.data, choice)?;
    let columns = plan.sent_columns();
    if columns.is_empty() {
        return Err(ExplainError::Usage(format!(
            "{}: no column of it is an input of the model",
            spec.data.display()
        )));
    }
    let wanted = match &spec.background {
        Background::Rows(n) => (spec.row + 1).max(*n),
        Background::File(_) | Background::Head(..) => spec.row + 1,
    };
    let rows = plan.sent_rows(wanted.min(super::MAX_ROWS))?;
    let Some((row_id, x)) = rows.get(spec.row).cloned() else {
        return Err(ExplainError::Usage(format!(
            "--row {}: {} has {} (rows are counted from 0, the header not counted)",
            spec.row,
            spec.data.display(),
            crate::text::count(rows.len(), "row", "rows")
        )));
    };
    let (background_file, background): (&std::path::Path, Vec<(String, Vec<Value>)>) =
        match &spec.background {
            Background::Rows(n) => (&spec.data, rows.iter().take(*n).cloned().collect()),
            Background::File(file) => {
                let bg = plan_columns(card, file, choice, &columns)?;
                (file, bg.sent_rows(super::MAX_BACKGROUND)?)
            }
            Background::Head(file, n) => {
                let bg = plan_columns(card, file, choice, &columns)?;
                (file, bg.sent_rows((*n).min(super::MAX_BACKGROUND))?)
            }
        };
    // Every row as MLflow checks it: one it would refuse is named before anything is sent
    // (each coalition mixes it with the explained row).
    for (file, (id, row)) in std::iter::once((spec.data.as_path(), (&row_id, &x)))
        .chain(background.iter().map(|(id, r)| (background_file, (id, r))))
    {
        let request = plan.rows_request(vec![row.clone()])?;
        let verdict =
            crate::input::validate::validate(crate::input::validate::Model::of(card), &request);
        if let Some(problem) = verdict.problems.first() {
            return Err(ExplainError::Usage(format!(
                "{} {id}: MLflow would refuse it: {}",
                file.display(),
                problem.message
            )));
        }
    }
    let background: Vec<Vec<Value>> = background.into_iter().map(|(_, r)| r).collect();
    if background.is_empty() {
        return Err(ExplainError::Usage(
            "the background has no rows: give --background-rows 1 or more, or a --background table with rows".into(),
        ));
    }
    // Coalition rows are small (a row of the table): 1,024 a request by default, whatever
    // eval's batch, as JSON through a server costs per request more than per row (measured:
    // the diabetes row through MLflow's scoring server, 17 s at 256 rows a request, 13 s at
    // 1,024, with its 11 s start).
    let batch = spec.batch.unwrap_or(plan.batch.max(1024)).max(1);
    let m = columns.len();
    let total = if m <= shapley::MAX_EXACT {
        (1usize << m) * background.len()
    } else {
        spec.pairs.max(1) * 2 * (m + 1) * background.len()
    };
    progress.total.store(total + 1, Ordering::Relaxed);
    let mut backend = super::Backend {
        runner,
        choice,
        settings,
        cancel,
        concurrency: spec.concurrency.max(1),
        done: &progress.done,
        what: "rows",
    };
    // The row itself first: its answer picks the target.
    let first = backend
        .ask(vec![(plan.rows_request(vec![x.clone()])?, 1)])?
        .pop()
        .ok_or_else(|| ExplainError::Usage("no answer for the row".into()))?;
    let target =
        Target::choose(&first, spec.class, card.classes.as_ref()).map_err(ExplainError::Usage)?;
    let mut model = |batches: Vec<Vec<Vec<Value>>>| -> Result<Vec<Vec<f64>>, ExplainError> {
        let requests = batches
            .into_iter()
            .map(|rows| {
                let n = rows.len();
                Ok((plan.rows_request(rows)?, n))
            })
            .collect::<Result<Vec<_>, ExplainError>>()?;
        backend
            .ask(requests)?
            .into_iter()
            .map(|outputs| {
                target
                    .pick(outputs)
                    .map_err(|message| ExplainError::Backend {
                        message,
                        done: progress.done.load(Ordering::Relaxed),
                    })
            })
            .collect()
    };
    let mut tick = |_: usize| {};
    // Batches a call: as many as an endpoint takes at once.
    let wave = (batch, spec.concurrency.max(1));
    let values = if m <= shapley::MAX_EXACT {
        shapley::exact(&x, &background, wave, &mut model, &mut tick)?
    } else {
        shapley::sampled(
            &x,
            &background,
            spec.pairs,
            spec.seed,
            wave,
            &mut model,
            &mut tick,
        )?
    };
    let sum: f64 = values.values.iter().sum();
    let mut features: Vec<super::table::Feature> = columns
        .iter()
        .zip(&values.values)
        .zip(&x)
        .map(|((name, &c), value)| Feature {
            name: name.clone(),
            value: value.clone(),
            contribution: c,
            importance: c.abs(),
        })
        .collect();
    features.sort_by(|a, b| b.importance.total_cmp(&a.importance));
    Ok(TableExplanation {
        row_id,
        target,
        features,
        base_value: values.base_value,
        prediction: values.prediction,
        additivity_error: sum - (values.prediction - values.base_value),
        method: values.method,
        background_rows: background.len(),
        rows_predicted: values.rows_predicted + 1,
        runtime: started.elapsed(),
    })
}

/// A background table matched to the model, with the explained table's columns.
fn plan_columns(
    card: &ModelCard,
    file: &std::path::Path,
    choice: &BackendChoice,
    columns: &[String],
) -> Result<crate::eval::Plan, ExplainError> {
    let bg = plan(card, file, choice)?;
    if bg.sent_columns() != columns {
        return Err(ExplainError::Usage(format!(
            "--background {}: its columns ({}) are not the explained table's ({})",
            file.display(),
            bg.sent_columns().join(", "),
            columns.join(", ")
        )));
    }
    Ok(bg)
}
