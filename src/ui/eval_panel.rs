//! The Evaluate tab: choose a labelled image folder or a table (its label column from a list),
//! see what matches the model before anything runs, press Evaluate (through the Test tab's
//! backend, on a worker, with progress and Cancel), and read the metrics: accuracy and macro
//! F1 with a per-class table and the confusion matrix (click a cell for its items), or MAE,
//! RMSE and R²; the most confident mistakes; the failed items with their errors.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use egui::{RichText, Ui};

use super::command::Command;
use super::test_panel::ThumbnailTexture;
use crate::eval::{EvalProgress, ItemResult, Plan, Report};

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

/// Draws the tab.
pub fn eval_ui(ui: &mut Ui, view: &mut EvalView, backend: &str, commands: &mut Vec<Command>) {
    egui::ScrollArea::vertical()
        .id_salt("eval_scroll")
        .auto_shrink(false)
        .show(ui, |ui| {
            ui.set_max_width(ui.available_width());
            dataset_ui(ui, view, commands);
            ui.add_space(8.0);
            run_ui(ui, view, backend, commands);
            ui.add_space(8.0);
            result_ui(ui, view, commands);
        });
}

fn dataset_ui(ui: &mut Ui, view: &mut EvalView, commands: &mut Vec<Command>) {
    ui.heading("Dataset");
    ui.label(
        RichText::new(
            "A folder of images with one subfolder per class (integer names are class indices), \
             or a CSV or JSON-lines table with a label column. Drop it on this tab, or:",
        )
        .weak(),
    );
    ui.horizontal_wrapped(|ui| {
        if ui.button("Choose image folder…").clicked() {
            commands.push(Command::PickEvalFolder);
        }
        if ui.button("Choose table…").clicked() {
            commands.push(Command::PickEvalTable);
        }
        let label = ui.label("Path:");
        let edit = ui
            .add(
                egui::TextEdit::singleline(&mut view.path)
                    .hint_text("/data/photos or /data/rows.csv")
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

fn run_ui(ui: &mut Ui, view: &mut EvalView, backend: &str, commands: &mut Vec<Command>) {
    let ready = matches!(view.planned, Some(Ok(_))) && !view.preparing;
    let nothing_matches = matches!(&view.planned, Some(Ok(p)) if p.plan.nothing_matches);
    match &view.running {
        None => {
            ui.horizontal_wrapped(|ui| {
                if ui
                    .add_enabled(ready, egui::Button::new("▶ Evaluate"))
                    .on_disabled_hover_text("Choose a dataset first")
                    .clicked()
                {
                    if nothing_matches {
                        view.confirm_unmatched = true;
                    } else {
                        commands.push(Command::EvalRun);
                    }
                }
                ui.label(
                    RichText::new(format!("through {backend} (the Test tab's choice)")).weak(),
                );
            });
            if view.confirm_unmatched && nothing_matches && ready {
                confirm_unmatched_ui(ui, view, commands);
            }
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

fn result_ui(ui: &mut Ui, view: &mut EvalView, commands: &mut Vec<Command>) {
    let Some(result) = &view.result else {
        return;
    };
    let done = match result {
        Err(e) => {
            ui.colored_label(ui.visuals().error_fg_color, e);
            return;
        }
        Ok(done) => done,
    };
    let r = &done.report;
    ui.separator();
    let mut line = format!(
        "{} predicted, {} failed in {} through {}",
        r.n,
        r.failed,
        crate::text::duration(r.elapsed),
        done.backend
    );
    // The runtime that answered, as it named itself (tract when ONNX Runtime could not load).
    if let Some(runtime) = &r.runtime {
        line.push_str(&format!(", answered by {runtime}"));
    }
    if r.cancelled {
        line.push_str(" (cancelled: the metrics are of the items done)");
    }
    if r.retries > 0 {
        line.push_str(&format!(", {} retries", r.retries));
    }
    for note in &r.runtime_notes {
        ui.add(
            egui::Label::new(RichText::new(format!("⚠ {note}")).color(ui.visuals().warn_fg_color))
                .wrap(),
        );
    }
    if let Some(why) = &r.stopped {
        ui.add(
            egui::Label::new(
                RichText::new(format!("The run {why}. The metrics are of the items done."))
                    .color(ui.visuals().error_fg_color),
            )
            .wrap(),
        );
    }
    ui.horizontal_wrapped(|ui| {
        ui.label(line);
        if ui
            .button("Export CSV…")
            .on_hover_text("Every item: input, label, prediction, score, error (as eval --out)")
            .clicked()
        {
            commands.push(Command::EvalExport);
        }
    });
    match &view.exported {
        Some(Ok(path)) => {
            ui.label(RichText::new(format!("Exported to {}", path.display())).weak());
        }
        Some(Err(e)) => {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        None => {}
    }
    match &view.opening_row {
        Some(Ok(id)) => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(format!("Reading {id} to open on the Test tab…"));
            });
        }
        Some(Err(e)) => {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        None => {}
    }
    // Image items open on the Test tab.
    let images = done.images.as_deref();
    let big = |v: Option<f64>| v.map_or_else(|| "n/a".to_string(), |x| format!("{x:.4}"));
    if let Some(c) = &r.classification {
        ui.horizontal_wrapped(|ui| {
            ui.label(
                RichText::new(format!("accuracy {}", big(c.accuracy)))
                    .size(22.0)
                    .strong(),
            );
            ui.add_space(16.0);
            ui.label(
                RichText::new(format!("macro F1 {}", big(c.macro_f1)))
                    .size(22.0)
                    .strong(),
            );
        });
        if let Some(names) = &r.names {
            ui.label(RichText::new(format!("class names from {}", names.origin)).weak());
        }
        ui.add_space(6.0);
        ui.label(RichText::new("Per class").strong());
        egui::ScrollArea::both()
            .id_salt("eval_per_class")
            .max_height(240.0)
            .show(ui, |ui| {
                egui::Grid::new("eval_per_class_grid")
                    .striped(true)
                    .num_columns(5)
                    .show(ui, |ui| {
                        for h in ["class", "precision", "recall", "F1", "support"] {
                            ui.label(RichText::new(h).strong());
                        }
                        ui.end_row();
                        for row in &c.per_class {
                            ui.label(crate::text::elide(&row.label, 40))
                                .on_hover_text(&row.label);
                            ui.label(format!("{:.4}", row.precision));
                            ui.label(format!("{:.4}", row.recall));
                            ui.label(format!("{:.4}", row.f1));
                            ui.label(row.support.to_string());
                            ui.end_row();
                        }
                    });
            });
        ui.add_space(6.0);
        ui.label(RichText::new("Confusion matrix (rows: true class, columns: predicted; click a cell for its items)").strong());
        let clicked = super::confusion_matrix::matrix_ui(
            ui,
            &c.labels,
            &c.matrix,
            (&done.listed_cells, c.cells.len()),
            view.selected,
        );
        if let Some((t, p)) = clicked {
            let selected = view.selected == Some((t, p));
            view.selected = if selected { None } else { Some((t, p)) };
            view.thumbnails.clear();
            // The cell's items, found once on the click.
            let label = c.labels.get(t).map(String::as_str).unwrap_or("");
            let predicted = c.labels.get(p).map(String::as_str).unwrap_or("");
            view.cell_items = done
                .items
                .iter()
                .enumerate()
                .filter(|(_, i)| {
                    i.label.as_deref() == Some(label) && i.prediction.as_deref() == Some(predicted)
                })
                .map(|(k, _)| k)
                .collect();
        }
        if let Some((t, p)) = view.selected
            && let (Some(truth), Some(predicted)) = (c.labels.get(t), c.labels.get(p))
        {
            let items: Vec<&ItemResult> = view
                .cell_items
                .iter()
                .filter_map(|&k| done.items.get(k))
                .collect();
            ui.label(
                RichText::new(format!(
                    "{} labelled {truth} and predicted {predicted}",
                    crate::text::count(items.len(), "item", "items")
                ))
                .strong(),
            );
            if images.is_some() {
                gallery_ui(ui, &view.thumbnails, &items, commands);
            }
            // In the tab's own scroll (not a box of its own): as tall as the tab.
            items_ui(ui, "eval_cell_items", &items, images, commands, None, None);
        }
    } else if let Some(reg) = &r.regression {
        ui.horizontal_wrapped(|ui| {
            for (name, v) in [("MAE", reg.mae), ("RMSE", reg.rmse), ("R²", reg.r2)] {
                ui.label(
                    RichText::new(format!("{name} {}", big(v)))
                        .size(22.0)
                        .strong(),
                );
                ui.add_space(16.0);
            }
        });
        let pairs = &done.pairs;
        if !pairs.is_empty() {
            ui.add_space(6.0);
            ui.horizontal_wrapped(|ui| {
                ui.vertical(|ui| {
                    ui.label(RichText::new("Predicted against true").strong());
                    scatter_ui(ui, pairs);
                });
                ui.vertical(|ui| {
                    ui.label(RichText::new("Residuals (predicted − true)").strong());
                    histogram_ui(ui, pairs);
                });
            });
        }
    } else if r.n > 0 {
        ui.label("No labels: predictions only.");
    }
    if !r.mistakes.is_empty() {
        ui.add_space(6.0);
        let title = if r.regression.is_some() {
            "Largest errors"
        } else {
            "Most confident mistakes"
        };
        ui.label(RichText::new(title).strong());
        for m in &r.mistakes {
            let tail = match (m.score, m.error) {
                (Some(s), _) => format!(" ({s:.4})"),
                (_, Some(e)) => format!(" (off by {})", crate::eval::number_text(e)),
                _ => String::new(),
            };
            ui.label(format!(
                "{}: {} predicted {}{tail}",
                m.id, m.label, m.prediction
            ));
        }
    }
    if !r.failures.is_empty() {
        ui.add_space(6.0);
        let kept = if r.failures.len() < r.failed {
            format!(", the first {} kept", r.failures.len())
        } else {
            String::new()
        };
        ui.label(RichText::new(format!("Failed items ({}{kept})", r.failed)).strong());
        // In a box of their own, so hundreds of them do not push the rest away.
        egui::ScrollArea::vertical()
            .id_salt("eval_failures")
            .max_height(160.0)
            .auto_shrink([false, true])
            .show(ui, |ui| {
                for (id, e) in &r.failures {
                    // Errors that already name the item's file are shown as they are.
                    let text = if e.contains(id.as_str()) {
                        e.clone()
                    } else {
                        format!("{id}: {e}")
                    };
                    ui.add(egui::Label::new(text).wrap());
                }
            });
    }
    // Every item, in the order of the column clicked last (sorted once, on the click).
    let mut sort = view.sort;
    ui.add_space(6.0);
    egui::CollapsingHeader::new(format!("Every item ({})", done.items.len()))
        .id_salt("eval_all_items")
        .show(ui, |ui| {
            // Listed only while open.
            let all: Vec<&ItemResult> = match &view.order {
                Some(order) => order.iter().filter_map(|&i| done.items.get(i)).collect(),
                None => done.items.iter().collect(),
            };
            // A box of its own, as tall as the window allows.
            let tall = (ui.ctx().content_rect().height() - 160.0).max(200.0);
            items_ui(
                ui,
                "eval_all_items_grid",
                &all,
                images,
                commands,
                Some(&mut sort),
                Some(tall),
            )
        });
    if sort != view.sort {
        view.sort = sort;
        view.order = sort.map(|(column, ascending)| sorted(&done.items, column, ascending));
    }
}

/// The items' indices ordered by `column` (0 input, 1 label, 2 prediction, 3 score, 4 error;
/// scores as numbers, missing ones last).
fn sorted(items: &[ItemResult], column: usize, ascending: bool) -> Vec<usize> {
    let text = |i: &ItemResult| -> String {
        match column {
            0 => i.id.clone(),
            1 => i.label.clone().unwrap_or_default(),
            2 => i.prediction.clone().unwrap_or_default(),
            _ => i.error.clone().unwrap_or_default(),
        }
    };
    let mut order: Vec<usize> = (0..items.len()).collect();
    if column == 3 {
        order.sort_by(|&a, &b| {
            let (x, y) = (items[a].score, items[b].score);
            match (x, y) {
                (Some(x), Some(y)) if ascending => x.total_cmp(&y),
                (Some(x), Some(y)) => y.total_cmp(&x),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            }
        });
    } else {
        let keys: Vec<String> = items.iter().map(text).collect();
        order.sort_by(|&a, &b| {
            let o = keys[a].cmp(&keys[b]);
            if ascending { o } else { o.reverse() }
        });
    }
    order
}

/// Items as a grid: input, label, prediction, score, error (the first 500); an image item
/// of a folder (`images`) opens on the Test tab when clicked. In a scrolling box at most
/// `max_height` tall, or (`None`) in the tab's own scroll, scrolling sideways only.
fn items_ui(
    ui: &mut Ui,
    id: &str,
    items: &[&ItemResult],
    images: Option<&std::path::Path>,
    commands: &mut Vec<Command>,
    mut sort: Option<&mut Option<(usize, bool)>>,
    max_height: Option<f32>,
) {
    let area = match max_height {
        Some(h) => egui::ScrollArea::both().max_height(h),
        None => egui::ScrollArea::horizontal(),
    };
    area.id_salt(id).auto_shrink([false, true]).show(ui, |ui| {
        egui::Grid::new(id)
            .striped(true)
            .num_columns(5)
            .show(ui, |ui| {
                for (c, h) in ["input", "label", "prediction", "score", "error"]
                    .into_iter()
                    .enumerate()
                {
                    match sort.as_deref_mut() {
                        Some(sort) => {
                            let mark = match *sort {
                                Some((s, true)) if s == c => " ⏶",
                                Some((s, false)) if s == c => " ⏷",
                                _ => "",
                            };
                            if ui
                                .button(RichText::new(format!("{h}{mark}")).strong())
                                .on_hover_text("Sort by this column")
                                .clicked()
                            {
                                let ascending = !matches!(*sort, Some((s, true)) if s == c);
                                *sort = Some((c, ascending));
                            }
                        }
                        None => {
                            ui.label(RichText::new(h).strong());
                        }
                    }
                }
                ui.end_row();
                for item in items.iter().take(500) {
                    match images {
                        Some(root) => {
                            if ui
                                .link(&item.id)
                                .on_hover_text("Open this image on the Test tab")
                                .clicked()
                            {
                                commands.push(Command::EvalOpenImage(root.join(&item.id)));
                            }
                        }
                        None => {
                            if ui
                                .link(&item.id)
                                .on_hover_text("Open this row on the Test tab, as it was sent")
                                .clicked()
                            {
                                commands.push(Command::EvalOpenRow(item.id.clone()));
                            }
                        }
                    }
                    ui.label(item.label.as_deref().unwrap_or(""));
                    ui.label(item.prediction.as_deref().unwrap_or(""));
                    ui.label(item.score.map(|s| format!("{s:.4}")).unwrap_or_default());
                    ui.label(
                        item.error
                            .as_deref()
                            .map(|e| crate::text::elide(e, 120))
                            .unwrap_or_default(),
                    );
                    ui.end_row();
                }
            });
        if items.len() > 500 {
            ui.label(RichText::new(format!("… {} more", items.len() - 500)).weak());
        }
    });
}

/// The side of a cell's thumbnail, in points.
const THUMB_SIDE: f32 = 84.0;

/// The caption under an item's thumbnail: its file's name, without a usual image extension,
/// cut in the middle to fit (`china_r0…flip` for `china/china_r0c0_flip.png`).
pub fn thumbnail_caption(id: &str) -> String {
    let path = std::path::Path::new(id);
    let name = path
        .file_name()
        .map_or_else(|| id.to_string(), |n| n.to_string_lossy().into_owned());
    let usual = path.extension().is_some_and(|e| {
        matches!(
            e.to_ascii_lowercase().to_str(),
            Some("png" | "jpg" | "jpeg" | "webp" | "bmp" | "gif" | "tif" | "tiff")
        )
    });
    let shown = match path.file_stem() {
        Some(stem) if usual => stem.to_string_lossy().into_owned(),
        _ => name,
    };
    crate::text::elide_middle(&shown, 15)
}

/// The selected cell's first images as thumbnails (decoded on a worker; a spinner until then):
/// hover for the file, click to open it on the Test tab.
fn gallery_ui(
    ui: &mut Ui,
    thumbnails: &[(std::path::PathBuf, Result<ThumbnailTexture, String>)],
    items: &[&ItemResult],
    commands: &mut Vec<Command>,
) {
    let shown = items.len().min(CELL_THUMBNAILS);
    ui.horizontal_wrapped(|ui| {
        for item in items.iter().take(shown) {
            let found = thumbnails
                .iter()
                .find(|(p, _)| p.ends_with(std::path::Path::new(&item.id)));
            let hover = format!(
                "{}\npredicted {}{}",
                item.id,
                item.prediction.as_deref().unwrap_or("?"),
                item.score.map(|s| format!(" ({s:.4})")).unwrap_or_default()
            );
            let size = egui::vec2(THUMB_SIDE, THUMB_SIDE);
            // The file's name below its thumbnail (the whole path on hover); a box of known
            // size each, so that a row that is full wraps to the next.
            let cell = egui::vec2(THUMB_SIDE + 8.0, THUMB_SIDE + 24.0);
            let response = ui
                .allocate_ui_with_layout(cell, egui::Layout::top_down(egui::Align::Min), |ui| {
                    ui.set_width(THUMB_SIDE);
                    let response = match found {
                        Some((path, Ok((texture, _)))) => {
                            let r = ui
                                .add(
                                    egui::Button::image(egui::Image::new(texture).max_size(size))
                                        .min_size(size),
                                )
                                .on_hover_text(hover);
                            let name = format!("thumbnail of {}", item.id);
                            r.widget_info(|| {
                                egui::WidgetInfo::labeled(egui::Role::Button, true, &name)
                            });
                            r.clicked().then(|| path.clone())
                        }
                        Some((_, Err(e))) => {
                            ui.add_sized(size, egui::Label::new(RichText::new("⚠").size(24.0)))
                                .on_hover_text(format!("{}: {e}", item.id));
                            None
                        }
                        None => {
                            ui.add_sized(size, egui::Spinner::new());
                            None
                        }
                    };
                    ui.add(
                        egui::Label::new(RichText::new(thumbnail_caption(&item.id)).small())
                            .truncate(),
                    )
                    .on_hover_text(&item.id);
                    response
                })
                .inner;
            if let Some(path) = response {
                commands.push(Command::EvalOpenImage(path));
            }
        }
    });
    if items.len() > shown {
        ui.label(
            RichText::new(format!(
                "the first {shown} shown; all {} are listed below",
                items.len()
            ))
            .weak(),
        );
    }
}

/// The side of a plot, in points.
const PLOT_SIDE: f32 = 260.0;

/// Most points drawn in the scatter (the first ones).
const SCATTER_POINTS: usize = 20_000;

/// A plot's frame: the rect and the painter, with the axis values at its corners.
fn plot_frame(ui: &mut Ui, x: (f64, f64), y: (f64, f64)) -> (egui::Rect, egui::Painter) {
    let (response, painter) =
        ui.allocate_painter(egui::vec2(PLOT_SIDE, PLOT_SIDE), egui::Sense::hover());
    let rect = response.rect.shrink2(egui::vec2(6.0, 14.0));
    let visuals = ui.visuals();
    painter.rect_filled(rect, 2.0, visuals.extreme_bg_color);
    painter.rect_stroke(
        rect,
        2.0,
        visuals.widgets.noninteractive.bg_stroke,
        egui::StrokeKind::Inside,
    );
    let font = egui::FontId::proportional(10.0);
    let color = visuals.weak_text_color();
    let text = |v: f64| crate::text::elide(&format!("{v:.3}"), 10);
    painter.text(
        rect.left_bottom(),
        egui::Align2::LEFT_TOP,
        text(x.0),
        font.clone(),
        color,
    );
    painter.text(
        rect.right_bottom(),
        egui::Align2::RIGHT_TOP,
        text(x.1),
        font.clone(),
        color,
    );
    painter.text(
        rect.left_top(),
        egui::Align2::LEFT_BOTTOM,
        text(y.1),
        font,
        color,
    );
    (rect, painter)
}

fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if lo < hi {
        (lo, hi)
    } else {
        (lo - 1.0, lo + 1.0)
    }
}

/// Predicted (y) against true (x), the same scale on both axes, with the line y = x.
fn scatter_ui(ui: &mut Ui, pairs: &[(f64, f64)]) {
    let span = range(pairs.iter().flat_map(|(t, p)| [*t, *p]));
    let (rect, painter) = plot_frame(ui, span, span);
    let at = |t: f64, p: f64| {
        let fx = ((t - span.0) / (span.1 - span.0)) as f32;
        let fy = ((p - span.0) / (span.1 - span.0)) as f32;
        egui::pos2(
            rect.left() + fx * rect.width(),
            rect.bottom() - fy * rect.height(),
        )
    };
    let weak = ui.visuals().weak_text_color();
    painter.line_segment(
        [at(span.0, span.0), at(span.1, span.1)],
        egui::Stroke::new(1.0, weak),
    );
    let dot = ui.visuals().selection.bg_fill;
    for (t, p) in pairs.iter().take(SCATTER_POINTS) {
        painter.circle_filled(at(*t, *p), 2.0, dot);
    }
}

/// The residuals in 20 bins.
fn histogram_ui(ui: &mut Ui, pairs: &[(f64, f64)]) {
    const BINS: usize = 20;
    let residuals: Vec<f64> = pairs.iter().map(|(t, p)| p - t).collect();
    let span = range(residuals.iter().copied());
    let mut counts = [0usize; BINS];
    for r in &residuals {
        let i = (((r - span.0) / (span.1 - span.0)) * BINS as f64) as usize;
        counts[i.min(BINS - 1)] += 1;
    }
    let top = counts.iter().copied().max().unwrap_or(1).max(1);
    let (rect, painter) = plot_frame(ui, span, (0.0, top as f64));
    let width = rect.width() / BINS as f32;
    let fill = ui.visuals().selection.bg_fill;
    for (i, n) in counts.iter().enumerate() {
        let h = rect.height() * *n as f32 / top as f32;
        let left = rect.left() + i as f32 * width;
        painter.rect_filled(
            egui::Rect::from_min_max(
                egui::pos2(left + 1.0, rect.bottom() - h),
                egui::pos2(left + width - 1.0, rect.bottom()),
            ),
            0.0,
            fill,
        );
    }
}
