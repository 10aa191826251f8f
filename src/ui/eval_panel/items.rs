//! The Evaluate tab's items: the sortable list and the gallery of thumbnails.

use egui::{RichText, Ui};

use super::*;
use crate::ui::command::Command;

/// The items' indices ordered by `column` (0 input, 1 label, 2 prediction, 3 score, 4 error;
/// scores as numbers, missing ones last).
pub(super) fn sorted(items: &[ItemResult], column: usize, ascending: bool) -> Vec<usize> {
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
pub(super) fn items_ui(
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
                    ui.horizontal(|ui| {
                        let (hover, open) = match images {
                            Some(root) => (
                                "Open this image on the Test tab",
                                Command::EvalOpenImage(root.join(&item.id)),
                            ),
                            None => (
                                "Open this row on the Test tab, as it was sent",
                                Command::EvalOpenRow(item.id.clone()),
                            ),
                        };
                        if ui.link(&item.id).on_hover_text(hover).clicked() {
                            commands.push(open);
                        }
                        if item.error.is_none()
                            && ui
                                .small_button("🔍")
                                .on_hover_text(
                                    "Explain: open it on the Test tab, predict it and explain the model's choice",
                                )
                                .clicked()
                        {
                            commands.push(Command::EvalExplain {
                                id: item.id.clone(),
                                label: None,
                            });
                        }
                    });
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
pub(super) const THUMB_SIDE: f32 = 84.0;

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
pub(super) fn gallery_ui(
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
