//! The Evaluate tab's result: the metrics, the per-class table and the matrix, the mistakes and
//! the failures, and the cell or list a click opens.

use egui::{RichText, Ui};

use super::items::{gallery_ui, items_ui, sorted};
use super::plots::{histogram_ui, scatter_ui};
use super::*;
use crate::ui::command::Command;

pub(super) fn result_ui(ui: &mut Ui, view: &mut EvalView, commands: &mut Vec<Command>) {
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
        let clicked = crate::ui::confusion_matrix::matrix_ui(
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
            ui.horizontal_wrapped(|ui| {
                ui.label(format!(
                    "{}: {} predicted {}{tail}",
                    m.id, m.label, m.prediction
                ));
                explain_buttons_ui(ui, &m.id, Some(&m.label), r.regression.is_none(), commands);
            });
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

/// Explain for an item: the model's choice, and (for a classifier, when the item has a true
/// label) the true class. Each opens the item on the Test tab, predicts and explains it.
pub(super) fn explain_buttons_ui(
    ui: &mut Ui,
    id: &str,
    label: Option<&str>,
    classes: bool,
    commands: &mut Vec<Command>,
) {
    if ui
        .small_button("🔍 Explain")
        .on_hover_text("Open it on the Test tab, predict it and explain the model's choice")
        .clicked()
    {
        commands.push(Command::EvalExplain {
            id: id.to_string(),
            label: None,
        });
    }
    if classes
        && let Some(label) = label
        && ui
            .small_button("the true class")
            .on_hover_text(format!(
                "Open it on the Test tab, predict it and explain the score of {label}, its true class"
            ))
            .clicked()
    {
        commands.push(Command::EvalExplain {
            id: id.to_string(),
            label: Some(label.to_string()),
        });
    }
}
