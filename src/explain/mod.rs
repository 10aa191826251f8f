//! Which parts of an input moved an answer, from predict calls alone, so that it runs through
//! every backend (tract, ONNX Runtime, MLflow's scoring server, an endpoint URL): Shapley
//! values for one row of a table against a background ([`shapley`], [`table`]). UI-free; the
//! command line's `explain` calls it through the session layer.

pub mod occlusion;
pub mod shapley;
pub mod table;

use serde_json::Value;

/// The most rows read from a table for the explained row and its background.
pub const MAX_ROWS: usize = 100_000;

/// The most background rows (each coalition is valued over all of them).
pub const MAX_BACKGROUND: usize = 1_000;

/// One explanation, of a table's row or of an image: what the command line prints and the
/// window draws.
#[derive(Debug, Clone, PartialEq)]
pub enum Explanation {
    /// A row's Shapley values.
    Row(table::TableExplanation),
    /// An image's occlusion map.
    Image(occlusion::ImageExplanation),
}

impl Explanation {
    /// What was explained.
    pub fn target(&self) -> &Target {
        match self {
            Explanation::Row(e) => &e.target,
            Explanation::Image(e) => &e.target,
        }
    }

    /// Model rows predicted for it.
    pub fn rows_predicted(&self) -> usize {
        match self {
            Explanation::Row(e) => e.rows_predicted,
            Explanation::Image(e) => e.rows_predicted,
        }
    }
}

/// Why an explanation cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum ExplainError {
    /// The arguments or the data do not fit the model (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The dataset cannot be read or does not fit.
    #[error(transparent)]
    Eval(#[from] crate::eval::EvalError),
    /// The backend failed; `done` rows had been predicted.
    #[error("{message} (after {done} rows were predicted)")]
    Backend {
        /// What failed.
        message: String,
        /// Rows predicted before.
        done: usize,
    },
    /// Stopped by the user.
    #[error("stopped after {0} rows were predicted")]
    Cancelled(usize),
}

impl ExplainError {
    /// Whether the fault is the arguments' or the data's (exit 2) rather than the backend's.
    pub fn is_usage(&self) -> bool {
        match self {
            ExplainError::Usage(_) => true,
            ExplainError::Eval(e) => e.is_usage(),
            _ => false,
        }
    }
}

/// Where the model's answers come from: the runner (one batch at a time), or for an endpoint
/// URL up to `concurrency` batches at once, each worker on its own connection.
pub(crate) struct Backend<'a> {
    /// The runner (tract, ONNX Runtime, MLflow's scoring server, a URL one at a time).
    pub runner: &'a mut crate::predict::Runner,
    /// The backend.
    pub choice: &'a crate::predict::BackendChoice,
    /// Its settings.
    pub settings: &'a crate::predict::BackendSettings,
    /// Set to stop.
    pub cancel: &'a std::sync::atomic::AtomicBool,
    /// Requests in flight at once for an endpoint URL.
    pub concurrency: usize,
    /// Items predicted so far (read by the progress bar).
    pub done: &'a std::sync::atomic::AtomicUsize,
    /// What an item is, for messages (`rows`, `image`).
    pub what: &'static str,
}

impl Backend<'_> {
    /// Items predicted so far.
    fn done(&self) -> usize {
        self.done.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Reads one answer to `count` items.
    fn read(
        &self,
        answered: Result<crate::predict::Outcome, crate::predict::PredictError>,
        count: usize,
    ) -> Result<Outputs, ExplainError> {
        let outcome = answered.map_err(|e| match e {
            crate::predict::PredictError::Cancelled => ExplainError::Cancelled(self.done()),
            other => ExplainError::Backend {
                message: other.to_string(),
                done: self.done(),
            },
        })?;
        let value = match outcome.reply {
            crate::predict::Reply::Predictions { value, .. } => value,
            crate::predict::Reply::Rejected(r) => {
                return Err(ExplainError::Backend {
                    message: format!("the model refused the {}: {r}", self.what),
                    done: self.done(),
                });
            }
        };
        let outputs = read_outputs(&value, count).map_err(|message| ExplainError::Backend {
            message,
            done: self.done(),
        })?;
        self.done
            .fetch_add(count, std::sync::atomic::Ordering::Relaxed);
        Ok(outputs)
    }

    /// Sends these requests (each with its item count) and reads each answer, in order.
    pub(crate) fn ask(
        &mut self,
        requests: Vec<(crate::input::request::Request, usize)>,
    ) -> Result<Vec<Outputs>, ExplainError> {
        use std::sync::atomic::Ordering;
        if self.cancel.load(Ordering::Relaxed) {
            return Err(ExplainError::Cancelled(self.done()));
        }
        let url = match self.choice {
            crate::predict::BackendChoice::Url(url)
                if self.concurrency > 1 && requests.len() > 1 =>
            {
                url.clone()
            }
            _ => {
                let mut out = Vec::with_capacity(requests.len());
                for (request, count) in requests {
                    let answered =
                        self.runner
                            .predict(self.choice, self.settings, &request, self.cancel);
                    out.push(self.read(answered, count)?);
                }
                return Ok(out);
            }
        };
        let n = requests.len();
        let queue = std::sync::Mutex::new(requests.into_iter().enumerate());
        let results: std::sync::Mutex<Vec<Option<Result<Outputs, ExplainError>>>> =
            std::sync::Mutex::new((0..n).map(|_| None).collect());
        let failed = std::sync::atomic::AtomicBool::new(false);
        let this = &*self;
        std::thread::scope(|scope| {
            for _ in 0..self.concurrency.min(n) {
                scope.spawn(|| {
                    let mut endpoint = crate::predict::http::Endpoint::new(&url);
                    endpoint.headers = this.settings.headers.clone();
                    endpoint.timeout = this.settings.timeout();
                    loop {
                        if failed.load(Ordering::Relaxed) {
                            return;
                        }
                        let next = match queue.lock() {
                            Ok(mut q) => q.next(),
                            Err(_) => return,
                        };
                        let Some((i, (request, count))) = next else {
                            return;
                        };
                        // The answer's room is given back once it is read into numbers.
                        let answered = endpoint
                            .cancellable(&request, this.cancel)
                            .map(|(outcome, _room)| outcome);
                        let read = this.read(answered, count);
                        if read.is_err() {
                            failed.store(true, Ordering::Relaxed);
                        }
                        if let Ok(mut r) = results.lock()
                            && let Some(slot) = r.get_mut(i)
                        {
                            *slot = Some(read);
                        }
                    }
                });
            }
        });
        let mut results = results.into_inner().unwrap_or_default();
        // The first failure is the answer, wherever it came in the order.
        if let Some(i) = results.iter().position(|r| matches!(r, Some(Err(_))))
            && let Some(Err(e)) = results.swap_remove(i)
        {
            return Err(e);
        }
        let mut out = Vec::with_capacity(n);
        for r in results {
            match r {
                Some(Ok(o)) => out.push(o),
                Some(Err(e)) => return Err(e),
                None => {
                    return Err(ExplainError::Backend {
                        message: "a request was not answered (another failed first)".into(),
                        done: self.done(),
                    });
                }
            }
        }
        Ok(out)
    }
}

/// An answer read as one output per row.
#[derive(Debug, Clone, PartialEq)]
pub enum Outputs {
    /// Class scores, a row each.
    Scores(Vec<Vec<f64>>),
    /// One number a row (a regression, or class indices).
    Values(Vec<f64>),
    /// One label a row.
    Labels(Vec<String>),
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::Array(a) if a.len() == 1 => a.first().and_then(number),
        _ => None,
    }
}

/// Reads the answer to `rows` rows: class scores (`[[p0, p1, …], …]`, also under a key such as
/// `probabilities`), one number a row, or one label a row; records take their first field.
pub fn read_outputs(value: &Value, rows: usize) -> Result<Outputs, String> {
    let list = match value {
        Value::Array(a) => a,
        Value::Object(map) => {
            // Scores first (a classifier answering several outputs), else the first output.
            let arrays: Vec<&Vec<Value>> = map.values().filter_map(Value::as_array).collect();
            let scores = arrays.iter().find(|a| {
                a.first()
                    .and_then(Value::as_array)
                    .is_some_and(|r| r.len() > 1 && r.iter().all(|v| v.is_number()))
            });
            match scores.or(arrays.first()) {
                Some(a) => *a,
                None => return Err("the answer has no list of outputs".into()),
            }
        }
        _ => return Err(format!("the answer is not a list of outputs: {value}")),
    };
    if list.len() != rows {
        return Err(format!(
            "the answer has {} outputs for {rows} rows",
            list.len()
        ));
    }
    let first = list.first();
    if let Some(Value::Array(r)) = first
        && r.len() > 1
    {
        return list
            .iter()
            .map(|row| {
                row.as_array()
                    .and_then(|r| r.iter().map(Value::as_f64).collect::<Option<Vec<f64>>>())
                    .ok_or_else(|| format!("a row of scores that is not all numbers: {row}"))
            })
            .collect::<Result<_, _>>()
            .map(Outputs::Scores);
    }
    let cell = |v: &Value| -> Value {
        match v {
            Value::Object(o) => o.values().next().cloned().unwrap_or(Value::Null),
            other => other.clone(),
        }
    };
    if list.iter().all(|v| number(&cell(v)).is_some()) {
        return Ok(Outputs::Values(
            list.iter().filter_map(|v| number(&cell(v))).collect(),
        ));
    }
    Ok(Outputs::Labels(
        list.iter()
            .map(|v| match cell(v) {
                Value::String(s) => s,
                Value::Array(a) if a.len() == 1 => a[0]
                    .as_str()
                    .map_or_else(|| a[0].to_string(), str::to_string),
                other => other.to_string(),
            })
            .collect(),
    ))
}

/// What is explained: one number per row of the model's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// A class's score.
    Score {
        /// Its index.
        class: usize,
        /// Its name, when the model names its classes.
        name: Option<String>,
    },
    /// A regression's value (or a single number a row).
    Value,
    /// A classifier that answers only labels: 1 when the answer is this label, else 0.
    IsLabel(String),
    /// A classifier that answers only class indices (it names its classes): 1 when the
    /// answer is this class, else 0.
    IsClass {
        /// Its index.
        class: usize,
        /// Its name.
        name: Option<String>,
    },
}

impl Target {
    /// The target for the explained row's own answer: `class` when given, else the top class;
    /// a regression's value; for a labels-only answer, "is this label" (`class` naming it by
    /// index into `names` when given, else the row's own label).
    pub fn choose(
        first: &Outputs,
        class: Option<usize>,
        names: Option<&crate::model::classes::ClassNames>,
    ) -> Result<Target, String> {
        let name = |i: usize| names.and_then(|n| n.name(i)).map(str::to_string);
        match first {
            Outputs::Scores(rows) => {
                let row = rows.first().ok_or("no answer for the row")?;
                let k = match class {
                    Some(k) if k < row.len() => k,
                    Some(k) => {
                        return Err(format!(
                            "--class {k}: the model answers {} class scores (0 to {})",
                            row.len(),
                            row.len().saturating_sub(1)
                        ));
                    }
                    None => {
                        row.iter()
                            .enumerate()
                            .fold((0, f64::NEG_INFINITY), |best, (i, &p)| {
                                if p > best.1 { (i, p) } else { best }
                            })
                            .0
                    }
                };
                Ok(Target::Score {
                    class: k,
                    name: name(k),
                })
            }
            // Whole numbers from a model that names its classes: class indices.
            Outputs::Values(v)
                if names.is_some()
                    && v.iter().all(|x| x.fract() == 0.0 && *x >= 0.0 && *x < 1e9) =>
            {
                let k = match class {
                    Some(k) => k,
                    None => v
                        .first()
                        .map(|x| *x as usize)
                        .ok_or("no answer for the row")?,
                };
                Ok(Target::IsClass {
                    class: k,
                    name: name(k),
                })
            }
            Outputs::Values(_) if class.is_some() => {
                Err("--class: the model answers one number a row, not class scores".into())
            }
            Outputs::Values(_) => Ok(Target::Value),
            Outputs::Labels(labels) => Ok(Target::IsLabel(match class {
                Some(k) => name(k).unwrap_or_else(|| k.to_string()),
                None => labels.first().cloned().ok_or("no answer for the row")?,
            })),
        }
    }

    /// The target's number for each row of an answer.
    pub fn pick(&self, outputs: Outputs) -> Result<Vec<f64>, String> {
        match (self, outputs) {
            (Target::Score { class, .. }, Outputs::Scores(rows)) => rows
                .iter()
                .map(|r| {
                    r.get(*class)
                        .copied()
                        .ok_or_else(|| format!("an answer without class {class}"))
                })
                .collect(),
            (Target::Value, Outputs::Values(v)) => Ok(v),
            (Target::IsLabel(label), Outputs::Labels(l)) => Ok(l
                .iter()
                .map(|x| if x == label { 1.0 } else { 0.0 })
                .collect()),
            (Target::IsClass { class, .. }, Outputs::Values(v)) => Ok(v
                .iter()
                .map(|x| if *x == *class as f64 { 1.0 } else { 0.0 })
                .collect()),
            (Target::IsLabel(label), Outputs::Values(v)) => Ok(v
                .iter()
                .map(|x| {
                    if crate::text::short_number(*x) == *label {
                        1.0
                    } else {
                        0.0
                    }
                })
                .collect()),
            (_, other) => Err(format!(
                "the model answered differently from the first row: {other:?}"
            )),
        }
    }

    /// What is explained, in words.
    pub fn words(&self) -> String {
        match self {
            Target::Score {
                class,
                name: Some(n),
            } => format!("the score of class {n} ({class})"),
            Target::Score { class, name: None } => format!("the score of class {class}"),
            Target::Value => "the predicted value".into(),
            Target::IsLabel(l) => {
                format!("whether the answer is {l} (1 or 0: the model answers labels, not scores)")
            }
            Target::IsClass {
                class,
                name: Some(n),
            } => format!(
                "whether the answer is {n} ({class}) (1 or 0: the model answers classes, not scores)"
            ),
            Target::IsClass { class, name: None } => format!(
                "whether the answer is class {class} (1 or 0: the model answers classes, not scores)"
            ),
        }
    }
}
