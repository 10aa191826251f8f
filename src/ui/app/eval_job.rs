//! The Evaluate tab's jobs: the dataset read and matched to the model on a worker (again when
//! the label column changes), and the run through the Test tab's backend on a worker that
//! holds the model's runner, with progress the tab reads and Cancel.

use super::*;
use crate::eval::{DatasetSpec, EvalOptions, EvalProgress};
use crate::ui::eval_panel::{EvalRunning, Evaluated, Planned};

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
    fn prepare_eval(&mut self, ctx: &egui::Context, guess: bool) {
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
        view.preparing = true;
        let spawned = self.tasks.spawn(TaskName::EvalPrepare, ctx, move || {
            let result = (|| {
                let (spec, columns) = if path.is_dir() {
                    (DatasetSpec::Images(path.clone()), Vec::new())
                } else {
                    let table = crate::eval::dataset::TableReader::open(
                        &path,
                        crate::eval::dataset::TableKind::of(&path),
                    )
                    .map_err(|e| e.to_string())?;
                    let columns = table.columns.clone();
                    let label = label.or_else(|| {
                        guess
                            .then(|| {
                                columns
                                    .iter()
                                    .find(|c| {
                                        LABEL_GUESSES.contains(&c.to_ascii_lowercase().as_str())
                                    })
                                    .cloned()
                            })
                            .flatten()
                    });
                    (
                        DatasetSpec::Table {
                            file: path.clone(),
                            label,
                            kind: None,
                        },
                        columns,
                    )
                };
                let options = EvalOptions {
                    labels,
                    image,
                    ..EvalOptions::default()
                };
                let plan = crate::eval::prepare(&card, &spec, &options, &choice)
                    .map_err(|e| e.to_string())?;
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
        if backend == BackendKind::Local
            && !self.open_model_cleared(ctx, crate::ui::trust_prompt::TrustAction::Eval)
        {
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
        let label = choice.label();
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
        view.running = Some(EvalRunning {
            progress: progress.clone(),
            cancel: cancel.clone(),
            started: std::time::Instant::now(),
            backend: label,
            images,
            plan: plan.clone(),
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
            let result = match runner.lock() {
                Ok(mut runner) => crate::eval::run(
                    &plan,
                    &card,
                    &mut runner,
                    &choice,
                    &settings,
                    &progress,
                    &cancel,
                    &mut |item| {
                        if items.len() < crate::ui::eval_panel::ITEMS_KEPT {
                            items.push(item.clone());
                        }
                    },
                )
                .map_err(|e| e.to_string()),
                Err(_) => Err("an earlier run failed badly; close and open the model again".into()),
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

/// The label column the plan read (the guessed one), by elimination: the one column of the
/// table the plan does not send.
fn plan_label(plan: &crate::eval::Plan, columns: &[String]) -> Option<String> {
    plan.label_column().and_then(|i| columns.get(i).cloned())
}
