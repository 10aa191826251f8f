//! The Evaluate tab: choose a labelled image folder or a table (its label column from a list),
//! see what matches the model before anything runs, press Evaluate (through the Test tab's
//! backend, on a worker, with progress and Cancel), and read the metrics: accuracy and macro
//! F1 with a per-class table and the confusion matrix (click a cell for its items), or MAE,
//! RMSE and R²; the most confident mistakes; the failed items with their errors.
//!
//! Split by role: this file holds the tab's state, the dataset picker and the run; `result`
//! the metrics, the matrix and what a click on them opens; `items` the sortable list and the
//! gallery; `plots` a regression's two plots.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use egui::{RichText, Ui};

use super::command::Command;
use super::test_panel::ThumbnailTexture;

mod items;
mod plots;
mod result;

use crate::eval::{EvalProgress, ItemResult, Plan, Report};
use crate::ui::settings::{EvalEngine, EvalSettings};
pub use items::thumbnail_caption;
use result::result_ui;

/// The most item results kept for the view (the predictions file has them all).
pub const ITEMS_KEPT: usize = 200_000;

/// A dataset matched to the model, ready to run.
pub struct Planned {
    /// The plan the run takes.
    pub plan: Arc<Plan>,
    /// The table's columns (empty for a folder), for the label choice.
    pub columns: Vec<String>,
}

/// A run under way.
pub struct EvalRunning {
    /// Items done and failed, written by the worker.
    pub progress: Arc<EvalProgress>,
    /// Set by Cancel.
    pub cancel: Arc<AtomicBool>,
    /// When it started.
    pub started: Instant,
    /// The backend's name.
    pub backend: String,
    /// The image folder evaluated (`None` for a table).
    pub images: Option<std::path::PathBuf>,
    /// The plan it runs (a table's rows are read again from it when one is opened).
    pub plan: Arc<Plan>,
    /// Where the predictions are made.
    pub engine: EvalEngine,
    /// Spark's progress in a line ("stage 3 (csv at job.py:97): 1 of 2 tasks"), written by
    /// the worker while the job runs.
    pub status: Arc<std::sync::Mutex<String>>,
}

/// A finished run.
pub struct Evaluated {
    /// What it found.
    pub report: Report,
    /// Every item's result (the first [`ITEMS_KEPT`]).
    pub items: Vec<ItemResult>,
    /// The backend's name.
    pub backend: String,
    /// The image folder evaluated (`None` for a table): its items open on the Test tab.
    pub images: Option<std::path::PathBuf>,
    /// (true, predicted) of each item of a regression, for the plots (read once).
    pub pairs: Vec<(f64, f64)>,
    /// The plan it ran (a table's rows are read again from it when one is opened).
    pub plan: Option<Arc<Plan>>,
    /// For a matrix too large to draw: the cells listed instead, in their order (found once,
    /// not every frame; see [`super::confusion_matrix::listed_cells`]).
    pub listed_cells: Vec<(usize, usize, u64)>,
}

/// Most thumbnails shown for a confusion-matrix cell (the first items; the list below has
/// them all).
pub const CELL_THUMBNAILS: usize = 48;

/// (true, predicted) of each item whose label and prediction are finite numbers.
pub fn number_pairs(items: &[ItemResult]) -> Vec<(f64, f64)> {
    items
        .iter()
        .filter_map(|i| {
            let t = i.label.as_deref()?.trim().parse::<f64>().ok()?;
            let p = i.prediction.as_deref()?.trim().parse::<f64>().ok()?;
            (t.is_finite() && p.is_finite()).then_some((t, p))
        })
        .collect()
}

/// The tab's state for the open model (not saved).
#[derive(Default)]
pub struct EvalView {
    /// The dataset's path as typed or chosen.
    pub path: String,
    /// The file of predictions made elsewhere, as typed or chosen (scored when the engine is
    /// [`EvalEngine::Elsewhere`]).
    pub predictions: String,
    /// The table's label column.
    pub label: Option<String>,
    /// The dataset matched to the model, or why it cannot be evaluated.
    pub planned: Option<Result<Planned, String>>,
    /// Whether the dataset is being read.
    pub preparing: bool,
    /// A read asked for while another ran (with whether to guess the label column): it starts
    /// when that one ends.
    pub reprepare: Option<bool>,
    /// The run under way.
    pub running: Option<EvalRunning>,
    /// The last run, or why it stopped.
    pub result: Option<Result<Evaluated, String>>,
    /// The confusion matrix cell whose items are listed (true row, predicted column).
    pub selected: Option<(usize, usize)>,
    /// That cell's items (indices into the run's items), found when it was clicked.
    pub cell_items: Vec<usize>,
    /// Where the predictions were last exported, or why not.
    pub exported: Option<Result<std::path::PathBuf, String>>,
    /// The column the list of every item is sorted by, and whether ascending.
    pub sort: Option<(usize, bool)>,
    /// That list's order (indices into the items), made when a column is clicked.
    pub order: Option<Vec<usize>>,
    /// Thumbnails of the selected cell's first images, decoded on a worker.
    pub thumbnails: Vec<(std::path::PathBuf, Result<ThumbnailTexture, String>)>,
    /// The table row being read to open on the Test tab, or why it could not be.
    pub opening_row: Option<Result<String, String>>,
    /// Evaluate was pressed on a dataset where no class folder is a class of the model: the
    /// question whether to run anyway is open.
    pub confirm_unmatched: bool,
}

impl EvalView {
    /// The image files of the selected cell's first items (those a thumbnail is shown for).
    pub fn cell_images(&self) -> Vec<std::path::PathBuf> {
        let Some(Ok(done)) = &self.result else {
            return Vec::new();
        };
        let Some(root) = &done.images else {
            return Vec::new();
        };
        if self.selected.is_none() {
            return Vec::new();
        }
        self.cell_items
            .iter()
            .take(CELL_THUMBNAILS)
            .filter_map(|&k| done.items.get(k))
            .map(|i| root.join(&i.id))
            .collect()
    }
}

/// Draws the tab; `settings` are its saved choices (where predictions are made).
pub fn eval_ui(
    ui: &mut Ui,
    view: &mut EvalView,
    settings: &mut EvalSettings,
    backend: &str,
    commands: &mut Vec<Command>,
) {
    egui::ScrollArea::vertical()
        .id_salt("eval_scroll")
        .auto_shrink(false)
        .show(ui, |ui| {
            ui.set_max_width(ui.available_width());
            dataset_ui(ui, view, settings.engine, commands);
            ui.add_space(8.0);
            engine_ui(ui, view, settings, backend, commands);
            ui.add_space(4.0);
            run_ui(ui, view, settings.engine, commands);
            ui.add_space(8.0);
            result_ui(ui, view, commands);
        });
}

fn dataset_ui(ui: &mut Ui, view: &mut EvalView, engine: EvalEngine, commands: &mut Vec<Command>) {
    ui.heading("Dataset");
    ui.label(
        RichText::new(if engine == EvalEngine::Spark {
            "A CSV or JSON-lines table, or a Parquet file or folder, with a label column. Drop \
             it on this tab, or:"
        } else {
            "A folder of images with one subfolder per class (integer names are class indices), \
             or a CSV or JSON-lines table with a label column. Drop it on this tab, or:"
        })
        .weak(),
    );
    ui.horizontal_wrapped(|ui| {
        // On Spark a folder is a Parquet table's; here, a folder of images.
        if engine == EvalEngine::Spark {
            if ui.button("Choose Parquet folder…").clicked() {
                commands.push(Command::PickEvalParquet);
            }
        } else if ui.button("Choose image folder…").clicked() {
            commands.push(Command::PickEvalFolder);
        }
        if ui.button("Choose table…").clicked() {
            commands.push(Command::PickEvalTable);
        }
        let label = ui.label("Path:");
        let edit = ui
            .add(
                egui::TextEdit::singleline(&mut view.path)
                    .hint_text(if engine == EvalEngine::Spark {
                        "/data/rows.csv or /data/lake (Parquet)"
                    } else {
                        "/data/photos or /data/rows.csv"
                    })
                    .desired_width(ui.available_width().clamp(120.0, 520.0)),
            )
            .labelled_by(label.id);
        if edit.lost_focus() && !view.path.trim().is_empty() {
            commands.push(Command::EvalDataset(view.path.trim().into()));
        }
    });
    if view.preparing {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Reading the dataset…");
        });
    }
    match &view.planned {
        None => {}
        Some(Err(e)) => {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        Some(Ok(planned)) => {
            ui.label(RichText::new(&planned.plan.summary).strong());
            if !planned.columns.is_empty() {
                ui.horizontal_wrapped(|ui| {
                    ui.label("Label column:");
                    let shown = view
                        .label
                        .clone()
                        .unwrap_or_else(|| "none (predictions only)".into());
                    egui::ComboBox::from_id_salt("eval_label")
                        .selected_text(shown)
                        .show_ui(ui, |ui| {
                            if ui
                                .selectable_label(view.label.is_none(), "none (predictions only)")
                                .clicked()
                            {
                                commands.push(Command::EvalLabel(None));
                            }
                            for c in &planned.columns {
                                if ui
                                    .selectable_label(view.label.as_ref() == Some(c), c)
                                    .clicked()
                                {
                                    commands.push(Command::EvalLabel(Some(c.clone())));
                                }
                            }
                        });
                });
            }
            for note in &planned.plan.notes {
                // The command line's notes, begun with a capital here.
                let mut chars = note.chars();
                let first: String = chars
                    .next()
                    .into_iter()
                    .flat_map(char::to_uppercase)
                    .collect();
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    format!("⚠ {first}{}", chars.as_str()),
                );
            }
        }
    }
}

/// Where the predictions come from: here through the Test tab's backend, a Spark master,
/// or a file of predictions made elsewhere (the command line's `--engine` and
/// `--predictions`).
fn engine_ui(
    ui: &mut Ui,
    view: &mut EvalView,
    settings: &mut EvalSettings,
    backend: &str,
    commands: &mut Vec<Command>,
) {
    let idle = view.running.is_none();
    ui.add_enabled_ui(idle, |ui| {
        ui.label(RichText::new("Predictions").strong());
        let mut engine = settings.engine;
        ui.radio_value(
            &mut engine,
            EvalEngine::Here,
            format!("Here, through {backend}, the Test tab's choice"),
        );
        ui.horizontal_wrapped(|ui| {
            ui.radio_value(&mut engine, EvalEngine::Spark, "On Spark, master")
                .on_hover_text(
                    "MLflow's spark_udf on a Spark master, with the Python of the Test tab's \
                     settings (it needs pyspark, mlflow and Java 17): local[*] runs it on this \
                     machine",
                );
            let master = ui.add_enabled(
                engine == EvalEngine::Spark,
                egui::TextEdit::singleline(&mut settings.spark_master)
                    .hint_text("local[*]")
                    .desired_width(ui.available_width().clamp(120.0, 260.0)),
            );
            master.on_hover_text("local[*], local[2], spark://host:7077, yarn, …");
        });
        ui.horizontal_wrapped(|ui| {
            ui.radio_value(
                &mut engine,
                EvalEngine::Elsewhere,
                "Made elsewhere, scored here:",
            )
            .on_hover_text(
                "A batch endpoint's predictions.csv, a Spark job's output folder, or any CSV of \
                 id and prediction, matched to the dataset's items by row, path or file name",
            );
            let enabled = engine == EvalEngine::Elsewhere;
            if ui
                .add_enabled(enabled, egui::Button::new("Choose file…"))
                .clicked()
            {
                commands.push(Command::PickEvalPredictions);
            }
            ui.add_enabled(
                enabled,
                egui::TextEdit::singleline(&mut view.predictions)
                    .hint_text("/data/predictions.csv")
                    .desired_width(ui.available_width().clamp(120.0, 420.0)),
            );
        });
        if engine != settings.engine {
            commands.push(Command::EvalEngine(engine));
        }
    });
}

fn run_ui(ui: &mut Ui, view: &mut EvalView, engine: EvalEngine, commands: &mut Vec<Command>) {
    let scoring = engine == EvalEngine::Elsewhere;
    let ready = matches!(view.planned, Some(Ok(_)))
        && !view.preparing
        && !(scoring && view.predictions.trim().is_empty());
    let nothing_matches = matches!(&view.planned, Some(Ok(p)) if p.plan.nothing_matches);
    match &view.running {
        None => {
            ui.horizontal_wrapped(|ui| {
                let why = if matches!(view.planned, Some(Ok(_))) {
                    "Choose the predictions file first"
                } else {
                    "Choose a dataset first"
                };
                if ui
                    .add_enabled(
                        ready,
                        egui::Button::new(if scoring { "▶ Score" } else { "▶ Evaluate" }),
                    )
                    .on_disabled_hover_text(why)
                    .clicked()
                {
                    if nothing_matches {
                        view.confirm_unmatched = true;
                    } else {
                        commands.push(Command::EvalRun);
                    }
                }
            });
            if view.confirm_unmatched && nothing_matches && ready {
                confirm_unmatched_ui(ui, view, commands);
            }
        }
        Some(running)
            if running.engine == EvalEngine::Spark
                && running.progress.done.load(Ordering::Relaxed) == 0 =>
        {
            // The job runs; its predictions are read back only at its end.
            let status = running.status.lock().map(|s| s.clone()).unwrap_or_default();
            ui.horizontal_wrapped(|ui| {
                ui.spinner();
                ui.add(
                    egui::Label::new(format!(
                        "{}: {} · {}",
                        running.backend,
                        if status.is_empty() {
                            "starting"
                        } else {
                            &status
                        },
                        crate::text::duration(running.started.elapsed())
                    ))
                    .wrap(),
                );
                if ui
                    .button("Cancel")
                    .on_hover_text("Stop the Spark job and its JVM (nothing is reported)")
                    .clicked()
                {
                    commands.push(Command::EvalCancel);
                }
            });
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_millis(200));
        }
        Some(running) => {
            let total = running.progress.total.load(Ordering::Relaxed).max(1);
            let done = running.progress.done.load(Ordering::Relaxed);
            let failed = running.progress.failed.load(Ordering::Relaxed);
            let secs = running.started.elapsed().as_secs_f64();
            let rate = if secs > 0.0 { done as f64 / secs } else { 0.0 };
            let eta = if rate > 0.0 {
                format!("{:.0} s left", (total.saturating_sub(done)) as f64 / rate)
            } else {
                "starting".into()
            };
            ui.add(
                egui::ProgressBar::new(done as f32 / total as f32).text(format!(
                    "{done} of {total} items · {rate:.0} items/s · {eta}"
                )),
            );
            ui.horizontal_wrapped(|ui| {
                if failed > 0 {
                    ui.colored_label(ui.visuals().warn_fg_color, format!("{failed} failed"));
                }
                ui.label(RichText::new(format!("through {}", running.backend)).weak());
                if ui
                    .button("Cancel")
                    .on_hover_text("Stop; the items done are kept")
                    .clicked()
                {
                    commands.push(Command::EvalCancel);
                }
            });
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_millis(100));
        }
    }
}

/// The question asked before a run where no class folder is a class of the model.
fn confirm_unmatched_ui(ui: &mut Ui, view: &mut EvalView, commands: &mut Vec<Command>) {
    egui::Frame::group(ui.style())
        .stroke(egui::Stroke::new(1.0, ui.visuals().warn_fg_color))
        .show(ui, |ui| {
            ui.add(
                egui::Label::new(
                    RichText::new(
                        "None of this folder's class folders is a class of the model (see above), \
                         so every item would count as a mistake and the accuracy would be 0. \
                         Check the folder, or choose the model's labels file on the Test tab.",
                    )
                    .color(ui.visuals().warn_fg_color),
                )
                .wrap(),
            );
            ui.horizontal_wrapped(|ui| {
                if ui.button("Cancel").clicked() {
                    view.confirm_unmatched = false;
                }
                if ui
                    .button("Evaluate anyway")
                    .on_hover_text("Run it: the predictions are still listed and exported")
                    .clicked()
                {
                    view.confirm_unmatched = false;
                    commands.push(Command::EvalRun);
                }
            });
        });
}
