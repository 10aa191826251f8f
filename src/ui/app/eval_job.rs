//! The Evaluate tab's jobs: the dataset read and matched to the model on a worker (again when
//! the label column changes), and the run through the Test tab's backend on a worker that
//! holds the model's runner, with progress the tab reads and Cancel.

use super::*;
use crate::eval::{DatasetSpec, EvalOptions, EvalProgress};
use crate::ui::eval_panel::{EvalRunning, Evaluated, Planned};
use crate::ui::settings::EvalEngine;

/// Column names taken for the label when a table is first chosen.
const LABEL_GUESSES: [&str; 8] = [
    "label", "labels", "target", "class", "y", "species", "category", "truth",
];

impl InspectorApp {
    /// Uses `path` as the Evaluate tab's dataset.
    pub(super) fn eval_dataset(&mut self, ctx: &egui::Context, path: PathBuf) {
        let Some(loaded) = &mut self.loaded else {
            return;
        };
        let view = &mut loaded.panels.eval;
        view.path = path.display().to_string();
        view.label = None;
        view.confirm_unmatched = false;
        // Why the last run failed was of another dataset.
        if matches!(view.result, Some(Err(_))) {
            view.result = None;
        }
        view.selected = None;
        view.cell_items.clear();
        self.prepare_eval(ctx, true);
    }

    /// Reads the labels from `label` (a column of the chosen table).
    pub(super) fn eval_label(&mut self, ctx: &egui::Context, label: Option<String>) {
        let Some(loaded) = &mut self.loaded else {
            return;
        };
        loaded.panels.eval.label = label;
        self.prepare_eval(ctx, false);
    }

    /// Reads the dataset and matches it to the model on a worker; `guess` picks a label
    /// column by its name when the table has a usual one.
    pub(super) fn prepare_eval(&mut self, ctx: &egui::Context, guess: bool) {
        let Some(loaded) = &mut self.loaded else {
            return;
        };
        let view = &mut loaded.panels.eval;
        let path = PathBuf::from(view.path.trim());
        let label = view.label.clone();
        let card = loaded.card.clone();
        let choice = loaded
            .panels
            .predict
            .backend
            .choice(&self.settings.endpoint_url);
        let labels = self.settings.labels_for(&loaded.folder).cloned();
        // Images become tensors as on the Test tab.
        let image = loaded.panels.test.image.clone();
        let generation = self.generation;
        let engine = self.settings.eval.engine;
        let python = self.settings.backend.python.clone();
        view.preparing = true;
        let spawned = self.tasks.spawn(TaskName::EvalPrepare, ctx, move || {
            let result = (|| {
                let options = EvalOptions {
                    labels,
                    image,
                    ..EvalOptions::default()
                };
                if crate::eval::dataset::is_parquet(&path) {
                    if engine != EvalEngine::Spark {
                        return Err(format!(
                            "{}: a Parquet table, read by Spark: choose “on Spark” below, or save it as CSV or JSON lines",
                            path.display()
                        ));
                    }
                    // Its columns from its footers, by the Spark job's Python (which must
                    // have pyspark and mlflow, checked first).
                    let python = crate::eval::spark::python(python.as_deref())
                        .map_err(|e| e.to_string())?;
                    crate::eval::spark::check_setup(&python).map_err(|e| e.to_string())?;
                    let mut spec = crate::eval::spark::describe_parquet(&python, &path, None)
                        .map_err(|e| e.to_string())?;
                    let columns = match &mut spec {
                        DatasetSpec::Parquet {
                            columns,
                            label: chosen,
                            ..
                        } => {
                            *chosen = label.or_else(|| guess.then(|| guess_label(columns)).flatten());
                            columns.clone()
                        }
                        _ => Vec::new(),
                    };
                    let plan = crate::eval::prepare(
                        &card,
                        &spec,
                        &options,
                        &crate::predict::BackendChoice::Local,
                    )
                    .map_err(|e| e.to_string())?;
                    return Ok((Arc::new(plan), columns));
                }
                let (spec, columns) = if path.is_dir() {
                    (DatasetSpec::Images(path.clone()), Vec::new())
                } else {
                    let table = crate::eval::dataset::TableReader::open(
                        &path,
                        crate::eval::dataset::TableKind::of(&path),
                    )
                    .map_err(|e| e.to_string())?;
                    let columns = table.columns.clone();
                    let label = label.or_else(|| guess.then(|| guess_label(&columns)).flatten());
                    (
                        DatasetSpec::Table {
                            file: path.clone(),
                            label,
                            kind: None,
                        },
                        columns,
                    )
                };
                let plan = match engine {
                    // Java, pyspark and mlflow checked now, not when Evaluate is pressed.
                    EvalEngine::Spark => {
                        let python = crate::eval::spark::python(python.as_deref())
                            .map_err(|e| e.to_string())?;
                        crate::eval::spark::prepare(&card, &spec, &options, &python)
                            .map_err(|e| e.to_string())?
                            .0
                    }
                    EvalEngine::Here => crate::eval::prepare(&card, &spec, &options, &choice)
                        .map_err(|e| e.to_string())?,
                    EvalEngine::Elsewhere => crate::eval::prepare(
                        &card,
                        &spec,
                        &options,
                        &crate::predict::BackendChoice::Local,
                    )
                    .map_err(|e| e.to_string())?,
                };
                Ok((Arc::new(plan), columns))
            })();
            TaskResult::EvalPrepared {
                generation,
                path,
                result,
            }
        });
        if !spawned {
            // One read at a time: the newest choice is read when this one ends.
            view.reprepare = Some(guess);
        }
    }

    /// The dataset was read: its plan (and the label column it settled on) or why not.
    pub(super) fn eval_prepared(
        &mut self,
        ctx: &egui::Context,
        generation: u64,
        path: PathBuf,
        result: Result<(Arc<crate::eval::Plan>, Vec<String>), String>,
    ) {
        let Some(loaded) = &mut self.loaded else {
            return;
        };
        if generation != self.generation {
            return;
        }
        let view = &mut loaded.panels.eval;
        view.preparing = false;
        if let Some(guess) = view.reprepare.take() {
            // The dataset or its label changed while this read ran: read it again.
            self.prepare_eval(ctx, guess);
            return;
        }
        if path != std::path::Path::new(view.path.trim()) {
            return;
        }
        view.planned = Some(result.map(|(plan, columns)| {
            if view.label.is_none() && plan.labelled && !columns.is_empty() {
                view.label = plan_label(&plan, &columns);
            }
            Planned { plan, columns }
        }));
    }

    /// Runs the evaluation through the Test tab's backend on a worker.
    pub(super) fn eval_run(&mut self, ctx: &egui::Context) {
        use crate::ui::predict_panel::BackendKind;
        let Some(loaded) = &mut self.loaded else {
            return;
        };
        loaded.panels.predict.ensure_initialized(&loaded.card);
        let backend = loaded.panels.predict.backend;
        let view = &mut loaded.panels.eval;
        if !matches!(view.planned, Some(Ok(_))) {
            return;
        }
        if view.running.is_some() || self.tasks.is_running(TaskName::Eval) {
            return;
        }
        let engine = self.settings.eval.engine;
        // The local server and Spark's workers run the model's code: asked first.
        let runs_code = match engine {
            EvalEngine::Here => backend == BackendKind::Local,
            EvalEngine::Spark => true,
            EvalEngine::Elsewhere => false,
        };
        let action = if engine == EvalEngine::Spark {
            crate::ui::trust_prompt::TrustAction::EvalOnSpark
        } else {
            crate::ui::trust_prompt::TrustAction::Eval
        };
        if runs_code && !self.open_model_cleared(ctx, action) {
            return;
        }
        let Some(loaded) = &mut self.loaded else {
            return;
        };
        let view = &mut loaded.panels.eval;
        let Some(Ok(planned)) = &view.planned else {
            return;
        };
        let choice = backend.choice(&self.settings.endpoint_url);
        let master = match self.settings.eval.spark_master.trim() {
            "" => "local[*]".to_string(),
            m => m.to_string(),
        };
        let predictions = PathBuf::from(view.predictions.trim());
        let label = match engine {
            EvalEngine::Here => choice.label(),
            EvalEngine::Spark => format!("Spark on {master}"),
            EvalEngine::Elsewhere => format!(
                "predictions made elsewhere ({})",
                predictions.file_name().map_or_else(
                    || predictions.display().to_string(),
                    |n| n.to_string_lossy().into_owned()
                )
            ),
        };
        let plan = planned.plan.clone();
        let images = planned
            .columns
            .is_empty()
            .then(|| PathBuf::from(view.path.trim()));
        let card = loaded.card.clone();
        let runner = loaded.runner.clone();
        let settings = self.settings.backend.clone();
        let progress = Arc::new(EvalProgress::default());
        progress.total.store(plan.total, Ordering::Relaxed);
        let cancel = Arc::new(AtomicBool::new(false));
        let status = Arc::new(std::sync::Mutex::new(String::new()));
        view.running = Some(EvalRunning {
            progress: progress.clone(),
            cancel: cancel.clone(),
            started: std::time::Instant::now(),
            backend: label,
            images,
            plan: plan.clone(),
            engine,
            status: status.clone(),
        });
        view.result = None;
        view.selected = None;
        view.cell_items.clear();
        view.exported = None;
        view.sort = None;
        view.order = None;
        view.thumbnails.clear();
        view.opening_row = None;
        let generation = self.generation;
        self.tasks.spawn(TaskName::Eval, ctx, move || {
            let mut items = Vec::new();
            let mut keep = |item: &crate::eval::ItemResult| {
                if items.len() < crate::ui::eval_panel::ITEMS_KEPT {
                    items.push(item.clone());
                }
            };
            let result = match engine {
                EvalEngine::Here => match runner.lock() {
                    Ok(mut runner) => crate::eval::run(
                        &plan,
                        &card,
                        &mut runner,
                        &choice,
                        &settings,
                        &progress,
                        &cancel,
                        &mut keep,
                    )
                    .map_err(|e| e.to_string()),
                    Err(_) => {
                        Err("an earlier run failed badly; close and open the model again".into())
                    }
                },
                EvalEngine::Spark => {
                    let options = SparkJob {
                        master,
                        python: settings.python.clone(),
                        env_manager: settings.env_manager.flag(),
                    };
                    spark_run(
                        &plan, &card, &runner, &options, &progress, &cancel, &status, &mut keep,
                    )
                }
                EvalEngine::Elsewhere => {
                    score_elsewhere(&plan, &card, &predictions, &progress, &cancel, &mut keep)
                }
            };
            TaskResult::Evaluated {
                generation,
                result: result.map(|report| {
                    // The plots' numbers, read here rather than on the UI thread.
                    let pairs = if report.regression.is_some() {
                        crate::ui::eval_panel::number_pairs(&items)
                    } else {
                        Vec::new()
                    };
                    Box::new((report, items, pairs))
                }),
            }
        });
    }

    /// Writes the last run's items to `path` as the command line's `--out` does, on a worker.
    pub(super) fn eval_export(&mut self, ctx: &egui::Context, path: PathBuf) {
        let Some(loaded) = &mut self.loaded else {
            return;
        };
        let Some(Ok(done)) = &loaded.panels.eval.result else {
            return;
        };
        let items = done.items.clone();
        // Never over what the run read: the dataset or the model folder.
        let mut inputs = vec![loaded.card.root.clone()];
        if let Some(plan) = &done.plan {
            inputs.push(plan.dataset_path().to_path_buf());
        }
        self.tasks.spawn(TaskName::Save, ctx, move || {
            let inputs: Vec<&std::path::Path> = inputs.iter().map(PathBuf::as_path).collect();
            let result = crate::eval::out::check_not_an_input(&path, &inputs)
                .and_then(|()| crate::eval::out::PredictionsWriter::create(&path))
                .and_then(|mut w| {
                    items.iter().try_for_each(|i| w.write(i))?;
                    w.finish()
                })
                .map_err(|e| {
                    crate::eval::out::discard_partial(&path);
                    e.to_string()
                });
            TaskResult::EvalExported(result)
        });
    }

    /// Reads the evaluated table's row `id` on a worker, to open it on the Test tab as the run
    /// sent it.
    pub(super) fn eval_open_row(&mut self, ctx: &egui::Context, id: String) {
        let Some(loaded) = &mut self.loaded else {
            return;
        };
        let view = &mut loaded.panels.eval;
        let Some(Ok(done)) = &view.result else {
            return;
        };
        let Some(plan) = done.plan.clone() else {
            return;
        };
        let generation = self.generation;
        let shown = id.clone();
        let spawned = self.tasks.spawn(TaskName::EvalRow, ctx, move || {
            let result = match plan.row_request(&id) {
                Some(Ok(row)) => serde_json::to_string_pretty(&row.body)
                    .map(|text| (text, row.cells))
                    .map_err(|e| e.to_string()),
                Some(Err(e)) => Err(e.to_string()),
                None => Err(format!("{id} is not a row of a table")),
            };
            TaskResult::EvalRow { generation, result }
        });
        if spawned {
            view.opening_row = Some(Ok(shown));
        }
    }

    /// A row was read: it becomes the Test tab's input, checked at once: a row of the table
    /// form when the model has column inputs (each cell under its column), else its request
    /// as JSON. The answer shown before (to another request) is put away; the history keeps it.
    pub(super) fn eval_row_read(
        &mut self,
        generation: u64,
        result: Result<(String, Vec<(String, String)>), String>,
    ) {
        let Some(loaded) = &mut self.loaded else {
            return;
        };
        if generation != self.generation {
            return;
        }
        match result {
            Ok((text, cells)) => {
                loaded.panels.eval.opening_row = None;
                let columns = crate::ui::test_panel::form_columns(&loaded.card);
                let test = &mut loaded.panels.test;
                test.ensure_initialized(&loaded.card);
                if columns.is_empty() {
                    test.source = crate::ui::test_panel::SourceKind::Json;
                    test.json_text = text;
                } else {
                    test.source = crate::ui::test_panel::SourceKind::Grid;
                    let row = columns
                        .iter()
                        .map(|c| {
                            cells
                                .iter()
                                .find(|(n, _)| n == c)
                                .map(|(_, v)| v.clone())
                                .unwrap_or_default()
                        })
                        .collect();
                    test.grid = vec![row];
                }
                loaded.panels.predict.shown = None;
                self.settings.tab = Tab::Test;
                // Opened to be explained: predicted at once (explained when it answers).
                if loaded.panels.predict.explain_next.is_some() {
                    self.commands.push(Command::Predict);
                } else {
                    self.commands.push(Command::Prepare);
                }
            }
            Err(e) => loaded.panels.eval.opening_row = Some(Err(e)),
        }
    }

    /// Opens an evaluated item on the Test tab to explain it: predicted through the Test tab's
    /// backend and explained as soon as it answers, for the model's choice or (`label`) the
    /// item's true class. A row is explained against the evaluated table's first rows unless
    /// a background table was chosen.
    pub(super) fn eval_explain(&mut self, ctx: &egui::Context, id: String, label: Option<String>) {
        let Some(loaded) = &mut self.loaded else {
            return;
        };
        let Some(Ok(done)) = &loaded.panels.eval.result else {
            return;
        };
        let images = done.images.clone();
        let dataset = done.plan.as_ref().map(|p| p.dataset_path().to_path_buf());
        let class = label.as_deref().and_then(|l| {
            crate::eval::class_index(l, &loaded.card, loaded.panels.predict.labels.as_ref())
        });
        let predict = &mut loaded.panels.predict;
        predict.explain_next = Some(class);
        match images {
            Some(root) => {
                // That image alone is the input, then Predict (in this order: the open's own
                // command would come after Predict).
                self.settings.tab = Tab::Test;
                loaded.panels.test.images.clear();
                loaded.panels.predict.shown = None;
                self.commands.push(Command::AddImages(vec![root.join(&id)]));
                self.commands.push(Command::Predict);
            }
            None => {
                if predict.explain.background.trim().is_empty()
                    && let Some(dataset) = dataset
                {
                    predict.explain.background = dataset.display().to_string();
                }
                self.eval_open_row(ctx, id);
            }
        }
    }

    /// The run ended: its report, or why it could not run.
    pub(super) fn evaluated(
        &mut self,
        generation: u64,
        result: Result<crate::ui::tasks::EvalDone, String>,
    ) {
        let Some(loaded) = &mut self.loaded else {
            return;
        };
        if generation != self.generation {
            return;
        }
        let view = &mut loaded.panels.eval;
        let (backend, images, plan) = view
            .running
            .take()
            .map(|r| (r.backend, r.images, Some(r.plan)))
            .unwrap_or_default();
        view.result = Some(result.map(|done| {
            let (report, items, pairs) = *done;
            let listed_cells = report
                .classification
                .as_ref()
                .filter(|c| c.matrix.is_empty())
                .map(|c| crate::ui::confusion_matrix::listed_cells(&c.cells))
                .unwrap_or_default();
            Evaluated {
                listed_cells,
                pairs,
                report,
                items,
                backend,
                images,
                plan,
            }
        }));
    }
}

/// How the window runs a Spark job: the tab's master, the backend settings' Python and
/// environment manager.
struct SparkJob {
    master: String,
    python: Option<PathBuf>,
    env_manager: &'static str,
}

/// Runs `plan` on Spark (on the Evaluate worker): a remote model's files fetched first (Spark
/// loads the folder), the job in a folder of its own (removed after, kept when the job failed:
/// the message names its log), Spark's progress in `status`. The report names Spark's version
/// and application as what answered.
#[allow(clippy::too_many_arguments)]
fn spark_run(
    plan: &crate::eval::Plan,
    card: &crate::model::ModelCard,
    runner: &std::sync::Mutex<crate::predict::Runner>,
    job: &SparkJob,
    progress: &EvalProgress,
    cancel: &AtomicBool,
    status: &std::sync::Mutex<String>,
    on_item: &mut dyn FnMut(&crate::eval::ItemResult),
) -> Result<crate::eval::Report, String> {
    use crate::eval::EvalError;
    let set_status = |s: &str| {
        if let Ok(mut line) = status.lock() {
            *line = s.to_string();
        }
    };
    if let Ok(mut runner) = runner.lock() {
        set_status("fetching the model's files from the tracking server");
        runner.fetch_all(cancel).map_err(|e| e.to_string())?;
    }
    set_status("starting");
    let python = crate::eval::spark::python(job.python.as_deref()).map_err(|e| e.to_string())?;
    let work = crate::eval::spark::temporary_work();
    let options = crate::eval::spark::SparkOptions {
        master: job.master.clone(),
        python,
        env_manager: job.env_manager.into(),
        work: work.clone(),
    };
    let result = crate::eval::spark::run(
        plan,
        card,
        &options,
        progress,
        cancel,
        &mut |line| set_status(line),
        on_item,
    );
    if !matches!(result, Err(EvalError::Engine(_))) {
        let _ = std::fs::remove_dir_all(&work);
    }
    match result {
        Ok((mut report, spark)) => {
            report.runtime = Some(format!(
                "Spark {} ({} rows, application {})",
                spark.spark_version, spark.rows, spark.application_id
            ));
            Ok(report)
        }
        Err(EvalError::Backend(crate::predict::PredictError::Cancelled)) => Err(
            "Cancelled: the Spark job and its JVM were stopped. Spark's predictions come only at the job's end, so there is nothing to report.".into(),
        ),
        Err(e) => Err(e.to_string()),
    }
}

/// Scores a file of predictions made elsewhere against `plan`'s labels (on the Evaluate
/// worker), as `eval --predictions` does; predictions that match no item are said in the
/// report's notes.
fn score_elsewhere(
    plan: &crate::eval::Plan,
    card: &crate::model::ModelCard,
    file: &std::path::Path,
    progress: &EvalProgress,
    cancel: &AtomicBool,
    on_item: &mut dyn FnMut(&crate::eval::ItemResult),
) -> Result<crate::eval::Report, String> {
    let predictions = crate::eval::elsewhere::read(file).map_err(|e| e.to_string())?;
    let format = predictions.format;
    let (mut report, (unmatched, left)) =
        crate::eval::elsewhere::score(plan, card, predictions, progress, cancel, on_item)
            .map_err(|e| e.to_string())?;
    report.runtime = Some(format.to_string());
    if left > 0 {
        report.runtime_notes.push(format!(
            "{left} predictions match no item of the dataset: {}{}",
            unmatched.join(", "),
            if left > unmatched.len() { ", …" } else { "" }
        ));
    }
    Ok(report)
}

/// The column taken for the label when a table is first chosen: one of a usual name.
fn guess_label(columns: &[String]) -> Option<String> {
    columns
        .iter()
        .find(|c| LABEL_GUESSES.contains(&c.to_ascii_lowercase().as_str()))
        .cloned()
}

/// The label column the plan read (the guessed one), by elimination: the one column of the
/// table the plan does not send.
fn plan_label(plan: &crate::eval::Plan, columns: &[String]) -> Option<String> {
    plan.label_column().and_then(|i| columns.get(i).cloned())
}
