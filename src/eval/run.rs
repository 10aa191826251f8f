//! The run: the dataset read batch by batch, each batch checked with MLflow's rules and sent
//! through the chosen backend, its answer read into one prediction per item and tallied.
//! In-process backends and the local server take one batch at a time; an endpoint URL takes
//! up to `concurrency` at once, each worker on its own connection, with retries on 429 and 503.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::batches::{Batch, BatchData, Producer, Shape};
use super::dataset::TableReader;
use super::metrics::{self, Classification, Regression};
use super::{
    Data, EvalError, EvalProgress, FAILURES_KEPT, ItemResult, MAX_CONCURRENCY, MISTAKES_KEPT,
    Mistake, Plan, Report, Task, number_text, truth_label,
};
use crate::input::request::Request;
use crate::model::ModelCard;
use crate::model::classes::ClassNames;
use crate::predict::answer::{Kind, Section};
use crate::predict::{BackendChoice, BackendSettings, PredictError, Reply, Runner};

/// An item waiting for its answer.
pub(super) struct Pending {
    pub(super) id: String,
    pub(super) label: Option<String>,
}

/// What one row of an answer says.
#[derive(Debug, Clone, PartialEq)]
enum Predicted {
    Class { label: String, score: Option<f64> },
    Number(f64),
}

/// The running counts.
pub(super) struct Tally<'a> {
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
    /// Requests in a row that found the endpoint down, and how.
    down_streak: (Option<Down>, usize),
    /// Why the run stopped early (the endpoint down), with what was done kept.
    stopped: Option<String>,
    /// What answered, as the backend says it (`onnxruntime 1.32.0 (CPUExecutionProvider)`,
    /// `tract 0.23.9`): the last answer's, with each change during the run.
    answered: Answered,
}

/// The runtime that answered a run, as its answers said it.
#[derive(Debug, Default)]
struct Answered {
    runtime: Option<String>,
    changes: Vec<String>,
    notes: Vec<String>,
}

impl Answered {
    /// Takes in what one answer says of its runtime and why (a fallback's reason).
    fn saw(&mut self, outcome: &crate::predict::Outcome) {
        if let Some(now) = &outcome.runtime {
            match &self.runtime {
                Some(before) if before != now => {
                    if self.changes.len() < 20 {
                        self.changes
                            .push(format!("the runtime changed from {before} to {now}"));
                    }
                    self.runtime = Some(now.clone());
                }
                Some(_) => {}
                None => self.runtime = Some(now.clone()),
            }
        }
        if let Some(note) = &outcome.note
            && !self.notes.contains(note)
            && self.notes.len() < 20
        {
            self.notes.push(note.clone());
        }
    }
}

impl<'a> Tally<'a> {
    /// Nothing tallied yet.
    fn new(plan: &'a Plan, progress: &'a EvalProgress) -> Self {
        Tally {
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
            down_streak: (None, 0),
            stopped: None,
            answered: Answered::default(),
        }
    }

    /// The report of what was tallied.
    fn report(mut self, cancelled: bool, started: Instant) -> Report {
        let tally = &mut self;
        let plan = tally.plan;
        let stopped = tally.stopped.take();
        let cancelled = cancelled && stopped.is_none();
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
        Report {
            task: tally.task,
            n: tally.n,
            labelled: tally.labelled,
            failed: tally.failed,
            retries: tally.progress.retries.load(Ordering::Relaxed),
            cancelled,
            stopped,
            runtime: tally.answered.runtime.take(),
            runtime_notes: tally
                .answered
                .notes
                .drain(..)
                .chain(tally.answered.changes.drain(..))
                .collect(),
            classification,
            regression,
            mistakes: std::mem::take(&mut tally.mistakes)
                .into_iter()
                .map(|(_, _, m)| m)
                .collect(),
            failures: std::mem::take(&mut tally.failures),
            names: tally.names.take(),
            elapsed: started.elapsed(),
        }
    }

    /// Counts a request that found the endpoint down; after [`STOP_AFTER`] in a row of the
    /// same kind, the run stops (what was done is kept and reported).
    fn endpoint_down(&mut self, how: Down, message: &str) -> Result<(), EvalError> {
        self.down_streak = match self.down_streak {
            (Some(kind), n) if kind == how => (Some(how), n + 1),
            _ => (Some(how), 1),
        };
        let limit = if how == Down::Busy { 1 } else { STOP_AFTER };
        if self.down_streak.1 < limit {
            return Ok(());
        }
        let stop = if how == Down::Busy {
            format!(
                "stopped: a request was answered 'busy' (429 or 503) {} times in a row, over {:.1} s; the last said: {}",
                RETRIES + 1,
                FIRST_BACKOFF.as_secs_f64() * f64::from((1u32 << RETRIES) - 1),
                crate::text::elide(message, 400)
            )
        } else {
            format!(
                "stopped: {STOP_AFTER} requests in a row {}; the last said: {}",
                how.words(),
                crate::text::elide(message, 400)
            )
        };
        if self.n == 0 {
            return Err(EvalError::Backend(PredictError::NotRunnable(stop)));
        }
        self.stopped = Some(stop);
        Err(EvalError::Backend(PredictError::Cancelled))
    }

    pub(super) fn fail(
        &mut self,
        item: &Pending,
        error: String,
        on_item: &mut dyn FnMut(&ItemResult),
    ) {
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
                    _ => {
                        error = Some(
                            metrics::MetricError::NotANumber(crate::text::elide_middle(text, 80))
                                .to_string(),
                        )
                    }
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

/// How many requests in a row may find the endpoint down the same way (no answer in time,
/// nobody there) before the run stops. A request answered "busy" after every retry stops it
/// at once: its retries were already that many refusals in a row.
pub const STOP_AFTER: usize = 3;

/// How a request found the endpoint down: likely the same for the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Down {
    /// Nobody answered (connection refused, reset, closed).
    Unreachable,
    /// No answer within the timeout.
    Timeout,
    /// 429 or 503 after every retry.
    Busy,
}

impl Down {
    fn words(self) -> &'static str {
        match self {
            Down::Unreachable => "found nobody answering",
            Down::Timeout => "got no answer in time",
            Down::Busy => "were answered 'busy' (429 or 503) after every retry",
        }
    }
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

/// How many times a request an endpoint answered 429 or 503 is sent again.
pub const RETRIES: u32 = 5;

/// The wait before the first retry; each next one waits twice as long.
const FIRST_BACKOFF: Duration = Duration::from_millis(250);

/// Whether an answer says "later": 429 (too many requests) or 503 (unavailable).
fn busy(result: &Result<crate::predict::Outcome, PredictError>) -> bool {
    match result {
        Ok(o) => matches!(&o.reply, Reply::Rejected(r) if matches!(r.status, 429 | 503)),
        Err(PredictError::InvalidResponse { status, .. }) => matches!(status, 429 | 503),
        Err(_) => false,
    }
}

/// Calls `send` again while the answer is 429 or 503, waiting 250 ms, 500 ms, 1 s, ... between
/// (at most [`RETRIES`] times, or until cancelled).
fn with_retries(
    progress: &EvalProgress,
    cancel: &AtomicBool,
    mut send: impl FnMut() -> Result<crate::predict::Outcome, PredictError>,
) -> Result<crate::predict::Outcome, PredictError> {
    let mut result = send();
    let mut wait = FIRST_BACKOFF;
    for _ in 0..RETRIES {
        if !busy(&result) {
            break;
        }
        let until = Instant::now() + wait;
        while Instant::now() < until {
            if cancel.load(Ordering::Relaxed) {
                return result;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        progress.retries.fetch_add(1, Ordering::Relaxed);
        wait *= 2;
        result = send();
    }
    result
}

/// A request as a backend's failure or answer: the run stops on a fatal error; an endpoint
/// found down (no answer in time, nobody there, "later" after every retry) is said so.
fn outcome_failure(e: PredictError) -> Failure {
    match e {
        e if fatal(&e) => Failure::Fatal(e),
        e @ PredictError::Connection { .. } => Failure::Down(Down::Unreachable, e.to_string()),
        e @ PredictError::Timeout { .. } => Failure::Down(Down::Timeout, e.to_string()),
        e @ PredictError::InvalidResponse {
            status: 429 | 503, ..
        } => Failure::Down(Down::Busy, e.to_string()),
        e => Failure::Item(e.to_string()),
    }
}

/// What came back from a request, after its retries: an answer "busy" (429, 503) after every
/// retry is the endpoint down, not the items' fault.
fn after_retries(
    result: Result<crate::predict::Outcome, PredictError>,
) -> Result<crate::predict::Outcome, Failure> {
    match result {
        Ok(o) => match &o.reply {
            Reply::Rejected(r) if matches!(r.status, 429 | 503) => {
                Err(Failure::Down(Down::Busy, r.to_string()))
            }
            _ => Ok(o),
        },
        Err(e) => Err(outcome_failure(e)),
    }
}

/// Builds and checks the request for items `range` of a batch: MLflow's own rules, so a bad
/// item fails as the server would refuse it, without being sent.
fn checked_request(
    card: &ModelCard,
    shape: &Shape<'_>,
    data: &BatchData,
    range: Range<usize>,
) -> Result<Request, Failure> {
    let request = shape.request(data, range).map_err(Failure::Item)?;
    let verdict =
        crate::input::validate::validate(crate::input::validate::Model::of(card), &request);
    match verdict.problems.first() {
        Some(problem) => Err(Failure::Item(problem.message.clone())),
        None => Ok(request),
    }
}

/// Everything a batch is sent with.
struct Sender<'a> {
    card: &'a ModelCard,
    runner: &'a mut Runner,
    choice: &'a BackendChoice,
    settings: &'a BackendSettings,
    cancel: &'a AtomicBool,
    progress: &'a EvalProgress,
}

impl Sender<'_> {
    /// Predicts a batch through the runner. A refused or failed batch is sent again item by
    /// item, so only the items at fault fail.
    fn send(
        &mut self,
        tally: &mut Tally<'_>,
        batch: &Batch,
        shape: &Shape<'_>,
        on_item: &mut dyn FnMut(&ItemResult),
    ) -> Result<(), EvalError> {
        let answered = self.try_send(batch, shape, 0..batch.items.len());
        self.settle(tally, batch, shape, answered, on_item)
    }

    /// Tallies a batch's answer, or sends its items one by one when it failed.
    fn settle(
        &mut self,
        tally: &mut Tally<'_>,
        batch: &Batch,
        shape: &Shape<'_>,
        answered: Result<crate::predict::Outcome, Failure>,
        on_item: &mut dyn FnMut(&ItemResult),
    ) -> Result<(), EvalError> {
        let items = &batch.items;
        let failure = match answered.and_then(|o| self.read(tally, &o, items.len())) {
            Ok(rows) => {
                tally.down_streak = (None, 0);
                for (item, row) in items.iter().zip(rows) {
                    tally.predicted(item, row, on_item);
                }
                return Ok(());
            }
            Err(f) => f,
        };
        if let Failure::Down(how, _) = &failure {
            // Not split: every item would wait as long. The batch's items fail, and the run
            // stops after STOP_AFTER such requests in a row.
            let how = *how;
            let message = judge(failure, tally)?;
            for item in items {
                tally.fail(item, message.clone(), on_item);
            }
            return tally.endpoint_down(how, &message);
        }
        let message = judge(failure, tally)?;
        if let [item] = items.as_slice() {
            tally.fail(item, message, on_item);
            return Ok(());
        }
        for (i, item) in items.iter().enumerate() {
            if self.cancel.load(Ordering::Relaxed) {
                return Err(EvalError::Backend(PredictError::Cancelled));
            }
            let answered = self.try_send(batch, shape, i..i + 1);
            match answered.and_then(|o| self.read(tally, &o, 1)) {
                Ok(mut rows) => {
                    tally.down_streak = (None, 0);
                    match rows.pop() {
                        Some(row) => tally.predicted(item, row, on_item),
                        None => tally.fail(item, "no answer for the item".into(), on_item),
                    }
                }
                Err(Failure::Down(how, e)) => {
                    // The endpoint went down meanwhile: the batch's other items are not sent.
                    let message = judge(Failure::Down(how, e), tally)?;
                    for rest in &items[i..] {
                        tally.fail(rest, message.clone(), on_item);
                    }
                    return tally.endpoint_down(how, &message);
                }
                Err(f) => {
                    let message = judge(f, tally)?;
                    tally.fail(item, message, on_item);
                }
            }
        }
        Ok(())
    }

    fn try_send(
        &mut self,
        batch: &Batch,
        shape: &Shape<'_>,
        range: Range<usize>,
    ) -> Result<crate::predict::Outcome, Failure> {
        let request = checked_request(self.card, shape, &batch.data, range)?;
        let (runner, choice, settings, cancel) =
            (&mut *self.runner, self.choice, self.settings, self.cancel);
        after_retries(with_retries(self.progress, cancel, || {
            runner.predict(choice, settings, &request, cancel)
        }))
    }

    /// An answer as one prediction per item (the class names looked up at the first one).
    fn read(
        &self,
        tally: &mut Tally<'_>,
        outcome: &crate::predict::Outcome,
        count: usize,
    ) -> Result<Vec<Predicted>, Failure> {
        read_answer(self.card, tally, outcome, count).map_err(Failure::Item)
    }
}

/// An answer as one prediction per item (the class names looked up at the first one: a
/// labels file beside the model that fits the answer, as the Test tab finds it).
fn read_answer(
    card: &ModelCard,
    tally: &mut Tally<'_>,
    outcome: &crate::predict::Outcome,
    count: usize,
) -> Result<Vec<Predicted>, String> {
    tally.answered.saw(outcome);
    let value = match &outcome.reply {
        Reply::Predictions { value, .. } => value,
        Reply::Rejected(r) => return Err(r.to_string()),
    };
    let sections = crate::predict::answer::sections(value);
    if tally.names.is_none() && !tally.names_looked {
        tally.names_looked = true;
        tally.names = crate::session::read_outcome(outcome, card, None, true).labels;
    }
    read_rows(&sections, count, &mut tally.task, tally.names.as_ref())
}

/// One item answered elsewhere: its id, its label, and its answer as MLflow's scoring server
/// would give that row's prediction (a number, a string, a list of scores), or why it has none.
pub type AnsweredItem = (String, Option<String>, Result<Value, String>);

/// Answers made elsewhere (a Spark job's output, a batch endpoint's file), tallied as [`run`] tallies
/// a backend's answers, a chunk at a time read as `{"predictions": [...]}`: the same
/// classes, names, metrics and mistakes.
pub fn tally_answers(
    plan: &Plan,
    card: &ModelCard,
    answers: &mut dyn Iterator<Item = Result<AnsweredItem, EvalError>>,
    progress: &EvalProgress,
    cancel: &AtomicBool,
    on_item: &mut dyn FnMut(&ItemResult),
) -> Result<Report, EvalError> {
    /// Items read as one answer.
    const CHUNK: usize = 1024;
    let started = Instant::now();
    let mut tally = Tally::new(plan, progress);
    let mut cancelled = false;
    loop {
        if cancel.load(Ordering::Relaxed) {
            cancelled = true;
            break;
        }
        let mut chunk = Vec::with_capacity(CHUNK);
        for answer in answers.take(CHUNK) {
            chunk.push(answer?);
        }
        if chunk.is_empty() {
            break;
        }
        let mut items = Vec::with_capacity(chunk.len());
        let mut values = Vec::with_capacity(chunk.len());
        for (id, label, answer) in chunk {
            match answer {
                Ok(value) => {
                    items.push(Pending { id, label });
                    values.push(value);
                }
                Err(why) => tally.fail(&Pending { id, label }, why, on_item),
            }
        }
        if items.is_empty() {
            continue;
        }
        let outcome = crate::predict::Outcome {
            reply: Reply::Predictions {
                value: Value::Array(values),
                wrapped: true,
                raw: String::new(),
                non_finite: false,
            },
            latency: Duration::ZERO,
            startup: Duration::ZERO,
            runtime: None,
            note: None,
        };
        match read_answer(card, &mut tally, &outcome, items.len()) {
            Ok(rows) => {
                for (item, row) in items.iter().zip(rows) {
                    tally.predicted(item, row, on_item);
                }
            }
            Err(message) => {
                for item in &items {
                    tally.fail(item, message.clone(), on_item);
                }
            }
        }
    }
    Ok(tally.report(cancelled, started))
}

enum Failure {
    /// The same for every item: the run stops.
    Fatal(PredictError),
    /// The endpoint is down: nobody there (the run stops at once when nothing was predicted
    /// yet: a wrong URL, a server that is not running), no answer in time, or "busy" after
    /// every retry. The batch is not sent again item by item (each would wait as long); its
    /// items fail, and the run stops after [`STOP_AFTER`] such requests in a row.
    Down(Down, String),
    /// The item's (or the batch's, sent again item by item).
    Item(String),
}

/// A failure as an item's error, or the run's end.
fn judge(failure: Failure, tally: &Tally<'_>) -> Result<String, EvalError> {
    match failure {
        Failure::Fatal(e) => Err(EvalError::Backend(e)),
        // Nothing was predicted yet: a wrong URL or a server that is not running.
        Failure::Down(Down::Unreachable, message) if tally.n == 0 => {
            Err(EvalError::Backend(PredictError::NotRunnable(message)))
        }
        Failure::Down(_, message) => Ok(message),
        Failure::Item(message) => Ok(message),
    }
}

/// Runs the plan: batches through the chosen backend (an endpoint URL gets up to
/// `concurrency` requests at once), each item's result to `on_item` as it comes (for a
/// predictions file or a table), the metrics at the end. Stops early, keeping what is done,
/// when `cancel` is set.
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
    let mut tally = Tally::new(plan, progress);
    let (shape, mut producer) = match &plan.data {
        Data::Images {
            folder,
            input,
            target,
            options,
        } => (
            Shape::Images {
                input,
                target,
                options,
            },
            Producer::Images {
                folder,
                next: 0,
                size: target
                    .size_for(options.free_size, 1)
                    .map_err(|e| EvalError::Mismatch(e.to_string()))?,
                resize: options.resize,
            },
        ),
        Data::Table {
            path,
            kind,
            label,
            send,
            form,
            ..
        } => (
            Shape::Rows {
                columns: send.iter().map(|(n, _, _)| n.clone()).collect(),
                form,
            },
            Producer::Table {
                table: Box::new(TableReader::open(path, *kind)?),
                label: *label,
                send,
                done: false,
            },
        ),
    };
    let mut sender = Sender {
        card,
        runner,
        choice,
        settings,
        cancel,
        progress,
    };
    let stopped = match choice {
        BackendChoice::Url(url) => run_pool(
            &mut sender,
            &mut tally,
            &mut producer,
            &shape,
            url,
            plan.concurrency,
            on_item,
        ),
        _ => loop {
            if cancel.load(Ordering::Relaxed) {
                break Ok(());
            }
            let Some(batch) = producer.next(plan.batch, &mut tally, on_item) else {
                break Ok(());
            };
            if let Err(e) = sender.send(&mut tally, &batch, &shape, on_item) {
                break Err(e);
            }
        },
    };
    let cancelled = match stopped {
        Ok(()) => cancel.load(Ordering::Relaxed),
        Err(EvalError::Backend(PredictError::Cancelled)) => true,
        Err(e) => return Err(e),
    };
    Ok(tally.report(cancelled, started))
}

/// An endpoint's run: `concurrency` workers, each with its own connection, send the batches
/// this thread reads (at most `concurrency` in flight); this thread tallies the answers as
/// they come and sends a failed batch's items one by one.
#[allow(clippy::too_many_arguments)]
fn run_pool(
    sender: &mut Sender<'_>,
    tally: &mut Tally<'_>,
    producer: &mut Producer<'_>,
    shape: &Shape<'_>,
    url: &str,
    concurrency: usize,
    on_item: &mut dyn FnMut(&ItemResult),
) -> Result<(), EvalError> {
    use std::sync::mpsc;
    // The answer's share of the memory answers may take: held until it is tallied, so that
    // answers waiting for their turn are bounded too.
    type Answered = (
        Batch,
        Result<crate::predict::Outcome, Failure>,
        Option<crate::predict::http::Reserved>,
    );
    let concurrency = concurrency.clamp(1, MAX_CONCURRENCY);
    let batch_size = tally.plan.batch;
    let (card, settings, cancel, progress) =
        (sender.card, sender.settings, sender.cancel, sender.progress);
    // This thread holds the answers the workers read until it tallies them.
    let _tallying = crate::predict::http::Tallying::start();
    let (job_tx, job_rx) = mpsc::sync_channel::<Batch>(0);
    let job_rx = std::sync::Mutex::new(job_rx);
    let (done_tx, done_rx) = mpsc::channel::<Answered>();
    std::thread::scope(|scope| {
        for _ in 0..concurrency {
            let done_tx = done_tx.clone();
            let job_rx = &job_rx;
            let mut endpoint = crate::predict::http::Endpoint::new(url);
            endpoint.headers = settings.headers.clone();
            endpoint.timeout = settings.timeout();
            scope.spawn(move || {
                loop {
                    let next = match job_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok(batch) = next else { return };
                    let mut held = None;
                    let answered = checked_request(card, shape, &batch.data, 0..batch.items.len())
                        .and_then(|request| {
                            after_retries(with_retries(progress, cancel, || {
                                endpoint
                                    .cancellable(&request, cancel)
                                    .map(|(outcome, room)| {
                                        held = Some(room);
                                        outcome
                                    })
                            }))
                        });
                    if done_tx.send((batch, answered, held)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done_tx);
        let mut in_flight = 0usize;
        let mut result = Ok(());
        let settle = |sender: &mut Sender<'_>,
                      tally: &mut Tally<'_>,
                      (batch, answered, _held): Answered,
                      on_item: &mut dyn FnMut(&ItemResult)| {
            sender.settle(tally, &batch, shape, answered, on_item)
        };
        loop {
            // Answers that came meanwhile first; then, with a free worker, the next batch.
            while let Ok(answered) = done_rx.try_recv() {
                in_flight -= 1;
                if result.is_ok() {
                    result = settle(sender, tally, answered, on_item);
                }
            }
            if result.is_err() || cancel.load(Ordering::Relaxed) {
                break;
            }
            if in_flight >= concurrency {
                match done_rx.recv_timeout(Duration::from_millis(50)) {
                    Ok(answered) => {
                        in_flight -= 1;
                        result = settle(sender, tally, answered, on_item);
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                }
                continue;
            }
            let Some(batch) = producer.next(batch_size, tally, on_item) else {
                break;
            };
            if job_tx.send(batch).is_err() {
                break;
            }
            in_flight += 1;
        }
        drop(job_tx);
        // The requests in flight finish (and are counted) before the run ends.
        while in_flight > 0 {
            let Ok(answered) = done_rx.recv() else { break };
            in_flight -= 1;
            if result.is_ok() && !cancel.load(Ordering::Relaxed) {
                result = settle(sender, tally, answered, on_item);
            } else if result.is_ok() {
                // Cancelled: the batch's answer still counts when it came whole.
                let (batch, answered, _held) = answered;
                if let Ok(outcome) = answered
                    && let Ok(rows) = sender.read(tally, &outcome, batch.items.len())
                {
                    for (item, row) in batch.items.iter().zip(rows) {
                        tally.predicted(item, row, on_item);
                    }
                }
            }
        }
        result
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::names;
    use super::*;

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
