//! The explain job: a run's answer explained through the backend that gave it, on a worker that
//! holds the model's runner, with progress the answer reads and Cancel.

use super::*;
use crate::explain::{ExplainError, Explanation};
use crate::ui::predict_panel::{ExplainInput, ExplainRunning};

impl InspectorApp {
    /// Explains the answer of history run `index` (asking first before running the model's
    /// code in MLflow's scoring server).
    pub(super) fn explain(&mut self, ctx: &egui::Context, index: usize) {
        let Some(loaded) = &mut self.loaded else {
            return;
        };
        let predict = &loaded.panels.predict;
        if predict.explain.running.is_some()
            || predict.running.is_some()
            || self.tasks.is_running(TaskName::Explain)
        {
            return;
        }
        let Some(run) = predict.history.get(index) else {
            return;
        };
        if run.choice == crate::predict::BackendChoice::Local
            && !self.open_model_cleared(ctx, crate::ui::trust_prompt::TrustAction::Explain(index))
        {
            return;
        }
        let Some(loaded) = &mut self.loaded else {
            return;
        };
        let predict = &mut loaded.panels.predict;
        let Some(run) = predict.history.get(index) else {
            return;
        };
        let Some(origin) = run.origin.clone() else {
            return;
        };
        let choice = run.choice.clone();
        let number = run.number;
        let backend = run.backend.clone();
        let explain = &self.settings.explain;
        // An endpoint takes a few requests at once; other backends one at a time.
        let concurrency = if matches!(choice, crate::predict::BackendChoice::Url(_)) {
            4
        } else {
            1
        };
        let (spec, unit) = match origin {
            ExplainInput::Image { path, options, .. } => (
                Spec::Image(crate::explain::occlusion::ImageSpecOcclusion {
                    image: path,
                    class: predict.explain.class,
                    window: (explain.window > 0).then_some(explain.window),
                    stride: (explain.stride > 0).then_some(explain.stride),
                    grid: None,
                    baseline: explain.baseline,
                    batch: None,
                    options,
                    concurrency,
                }),
                "images",
            ),
            ExplainInput::Table {
                file,
                columns,
                rows,
            } => {
                let own = match predict.explain.background_rows {
                    0 => 50,
                    n => n,
                };
                let typed = predict.explain.background.trim();
                let background = if typed.is_empty() {
                    // The form's one row as its own background: every contribution is 0.
                    if file.is_none() && rows.len() < 2 {
                        predict.explain.error = Some((
                            number,
                            "The table has one row, and the background is the table's own rows: choose a background table (a CSV of typical rows) first.".into(),
                        ));
                        return;
                    }
                    crate::explain::table::Background::Rows(own)
                } else {
                    crate::explain::table::Background::Head(PathBuf::from(typed), own)
                };
                let spec = crate::explain::table::TableSpec {
                    data: file.clone().unwrap_or_default(),
                    row: predict.explain.row,
                    background,
                    class: predict.explain.class,
                    pairs: 16,
                    seed: 0,
                    batch: None,
                    concurrency,
                };
                let form = file.is_none().then_some((columns, rows));
                (Spec::Table(spec, form), "rows")
            }
        };
        // The classes named as the answer's bars name them (a labels file beside the model).
        let labels = predict.labels.clone();
        let settings = self.settings.backend.clone();
        let runner = loaded.runner.clone();
        let card = loaded.card.clone();
        let progress = Arc::new(crate::explain::table::Progress::default());
        let cancel = Arc::new(AtomicBool::new(false));
        predict.explain.running = Some(ExplainRunning {
            run: number,
            progress: progress.clone(),
            cancel: cancel.clone(),
            started: std::time::Instant::now(),
            backend,
            unit,
        });
        predict.explain.error = None;
        let generation = self.generation;
        let spawned = self.tasks.spawn(TaskName::Explain, ctx, move || {
            let result = match runner.lock() {
                Ok(mut runner) => spec
                    .run(&card, &mut runner, &choice, &settings, &progress, &cancel)
                    .map(|mut e| {
                        match &mut e {
                            Explanation::Image(i) => named(&mut i.target, labels.as_ref()),
                            Explanation::Row(r) => named(&mut r.target, labels.as_ref()),
                        }
                        Arc::new(e)
                    }),
                Err(_) => Err("an earlier run failed badly; close and open the model again".into()),
            };
            TaskResult::Explained {
                generation,
                run: number,
                result,
            }
        });
        if !spawned {
            predict.explain.running = None;
        }
    }

    /// Stops the explanation under way (the backend's answer in flight is waited for).
    pub(super) fn cancel_explain(&mut self) {
        if let Some(running) = self
            .loaded
            .as_ref()
            .and_then(|l| l.panels.predict.explain.running.as_ref())
        {
            running.cancel.store(true, Ordering::Relaxed);
        }
    }

    /// An explanation ended: kept with its run, or why not said under the answer.
    pub(super) fn explained(
        &mut self,
        generation: u64,
        number: usize,
        result: Result<Arc<crate::explain::Explanation>, String>,
    ) {
        let Some(loaded) = &mut self.loaded else {
            return;
        };
        if generation != self.generation {
            return;
        }
        let predict = &mut loaded.panels.predict;
        predict.explain.running = None;
        let Some(run) = predict.history.iter_mut().find(|r| r.number == number) else {
            return;
        };
        match result {
            Ok(explanation) => {
                run.explanations.push(explanation);
                let newest = run.explanations.len() - 1;
                let before = predict.explain.shown_of(number, newest);
                predict.explain.shown.retain(|(n, _, _)| *n != number);
                predict.explain.shown.push((number, newest, before));
            }
            Err(message) => predict.explain.error = Some((number, message)),
        }
    }
}

/// Names the target's class from the labels in use, when the model does not name it.
fn named(target: &mut crate::explain::Target, labels: Option<&crate::model::classes::ClassNames>) {
    if let crate::explain::Target::Score { class, name }
    | crate::explain::Target::IsClass { class, name } = target
        && name.is_none()
    {
        *name = labels.and_then(|l| l.name(*class)).map(str::to_string);
    }
}

/// What to explain, as the worker gets it.
enum Spec {
    /// An image.
    Image(crate::explain::occlusion::ImageSpecOcclusion),
    /// A table's row; with the form's columns and rows when they are not a file yet.
    Table(
        crate::explain::table::TableSpec,
        Option<(Vec<String>, Vec<Vec<String>>)>,
    ),
}

impl Spec {
    /// Runs it (on the worker): the explanation, or why not in words.
    fn run(
        self,
        card: &crate::model::ModelCard,
        runner: &mut Runner,
        choice: &crate::predict::BackendChoice,
        settings: &crate::predict::BackendSettings,
        progress: &crate::explain::table::Progress,
        cancel: &AtomicBool,
    ) -> Result<Explanation, String> {
        let words = |e: ExplainError, unit: &str| match e {
            ExplainError::Cancelled(done) => format!("Stopped after {done} {unit} were predicted."),
            other => other.to_string(),
        };
        match self {
            Spec::Image(spec) => crate::explain::occlusion::run(
                card, runner, choice, settings, &spec, progress, cancel,
            )
            .map(Explanation::Image)
            .map_err(|e| words(e, "images")),
            Spec::Table(mut spec, form) => {
                // The form's rows are written as a CSV in a folder of their own, so that they
                // are read exactly as `explain --csv` reads a table.
                let folder = match &form {
                    Some((columns, rows)) => {
                        let folder = form_folder();
                        let file = folder.join("table.csv");
                        write_form(&folder, &file, columns, rows).map_err(|e| {
                            format!(
                                "cannot keep the table's rows for Explain: {}: {e}",
                                file.display()
                            )
                        })?;
                        spec.data = file;
                        Some(folder)
                    }
                    None => None,
                };
                let form = folder.is_some();
                let result = crate::explain::table::run(
                    card, runner, choice, settings, &spec, progress, cancel,
                )
                .map(|mut e| {
                    // The form's row by its place in the form, not by a line of the file
                    // written for it.
                    if form {
                        e.row_id = format!("row {} of the table", spec.row);
                    }
                    Explanation::Row(e)
                })
                .map_err(|e| words(e, "rows"));
                if let Some(folder) = folder {
                    let _ = std::fs::remove_dir_all(folder);
                }
                // A message about the form's file names the form instead.
                result.map_err(|m| m.replace(&spec.data.display().to_string(), "the table"))
            }
        }
    }
}

/// A new folder under the system's temporary folder for one explanation's table.
fn form_folder() -> PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    std::env::temp_dir().join(format!(
        "mlmodel-inspector-explain-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ))
}

/// Writes the form's rows under their columns as CSV.
fn write_form(
    folder: &Path,
    file: &Path,
    columns: &[String],
    rows: &[Vec<String>],
) -> std::io::Result<()> {
    std::fs::create_dir_all(folder)?;
    let mut out = csv::Writer::from_path(file).map_err(std::io::Error::other)?;
    out.write_record(columns).map_err(std::io::Error::other)?;
    for row in rows {
        out.write_record(row).map_err(std::io::Error::other)?;
    }
    out.flush()
}
