//! The Evaluate tab's confusion matrix, drawn three ways by its size: a grid of numbered
//! buttons, a painted heat map, or (too large to draw) a list of its cells that are not zero.
//! Each returns the cell clicked.

use egui::{Color32, RichText, Ui};

/// Draws the matrix (`listed`: the cells to list when it is too large to draw, with how many
/// are not zero in all); returns the cell clicked (true row, predicted column).
pub fn matrix_ui(
    ui: &mut Ui,
    labels: &[String],
    matrix: &[Vec<u64>],
    listed: (&[(usize, usize, u64)], usize),
    selected: Option<(usize, usize)>,
) -> Option<(usize, usize)> {
    if matrix.is_empty() && !labels.is_empty() {
        cells_ui(ui, labels, listed.0, listed.1, selected)
    } else if labels.len() <= GRID_CLASSES {
        grid_ui(ui, labels, matrix, selected)
    } else {
        map_ui(ui, labels, matrix, selected)
    }
}

/// The cells a matrix too large to draw lists, in order: mistakes first, the largest first,
/// at most [`CELLS_LISTED`]. Found once when the run ends.
pub fn listed_cells(cells: &[(usize, usize, u64)]) -> Vec<(usize, usize, u64)> {
    let mut order: Vec<(usize, usize, u64)> = cells.to_vec();
    order.sort_by_key(|&(t, p, n)| (t == p, std::cmp::Reverse(n)));
    order.truncate(CELLS_LISTED);
    order
}

/// A heat colour for `n` of `max`, on the theme's background.
fn heat(ui: &Ui, n: u64, max: u64) -> Color32 {
    let t = if max == 0 { 0.0 } else { n as f32 / max as f32 };
    let base = ui.visuals().extreme_bg_color;
    let hot = ui.visuals().selection.bg_fill;
    base.lerp_to_gamma(hot, t.clamp(0.0, 1.0))
}

/// Up to this many classes the confusion matrix is a grid of numbered buttons; above it, a
/// painted heat map whose numbers show on hover.
const GRID_CLASSES: usize = 12;

/// The confusion matrix as a grid of buttons, each with its count; returns the cell clicked.
fn grid_ui(
    ui: &mut Ui,
    labels: &[String],
    matrix: &[Vec<u64>],
    selected: Option<(usize, usize)>,
) -> Option<(usize, usize)> {
    let max = matrix.iter().flatten().copied().max().unwrap_or(0);
    let mut clicked = None;
    // At most GRID_CLASSES rows: it scrolls sideways only, the page scrolls it up and down.
    egui::ScrollArea::horizontal()
        .id_salt("eval_matrix")
        .show(ui, |ui| {
            egui::Grid::new("eval_matrix_grid")
                .spacing([2.0, 2.0])
                .show(ui, |ui| {
                    ui.label("");
                    for l in labels {
                        ui.label(RichText::new(crate::text::elide_middle(l, 12)).small())
                            .on_hover_text(l);
                    }
                    ui.end_row();
                    for (t, row) in matrix.iter().enumerate() {
                        let label = labels.get(t).map(String::as_str).unwrap_or("");
                        ui.label(crate::text::elide_middle(label, 16))
                            .on_hover_text(label);
                        for (p, n) in row.iter().enumerate() {
                            let cell = egui::Button::new(RichText::new(n.to_string()).monospace())
                                .fill(heat(ui, *n, max))
                                .selected(selected == Some((t, p)))
                                .min_size(egui::vec2(44.0, 24.0));
                            let predicted = labels.get(p).map(String::as_str).unwrap_or("");
                            if ui
                                .add(cell)
                                .on_hover_text(format!(
                                    "{n} items of {label} predicted as {predicted}"
                                ))
                                .clicked()
                            {
                                clicked = Some((t, p));
                            }
                        }
                        ui.end_row();
                    }
                });
        });
    clicked
}

/// The side of a heat map cell, in points: the labels beside them stay readable.
const MAP_CELL: f32 = 14.0;

/// Room for the row labels (left) and the column labels (top, turned), in points.
const MAP_MARGIN: f32 = 150.0;

/// A painted heat map for many classes: a small square a cell, the class names along both
/// edges (the columns' turned), the count and names on hover, a click selects; it scrolls
/// sideways when it is wider than the tab. Returns the cell clicked.
fn map_ui(
    ui: &mut Ui,
    labels: &[String],
    matrix: &[Vec<u64>],
    selected: Option<(usize, usize)>,
) -> Option<(usize, usize)> {
    let n = matrix.len();
    let max = matrix.iter().flatten().copied().max().unwrap_or(0);
    let mut clicked = None;
    // Scrolls sideways only: the page scrolls it up and down, its labels with it.
    egui::ScrollArea::horizontal()
        .id_salt("eval_matrix_map")
        .show(ui, |ui| {
            let side = MAP_MARGIN + n as f32 * MAP_CELL;
            let (response, painter) =
                ui.allocate_painter(egui::vec2(side, side), egui::Sense::click());
            let origin = response.rect.min + egui::vec2(MAP_MARGIN, MAP_MARGIN);
            let visuals = ui.visuals().clone();
            let font = egui::FontId::proportional(MAP_CELL - 3.0);
            let text_color = visuals.text_color();
            let clip = painter.clip_rect();
            for (i, label) in labels.iter().enumerate().take(n) {
                let text = crate::text::elide_middle(label, 22);
                let y = origin.y + (i as f32 + 0.5) * MAP_CELL;
                // Row label, right-aligned to the map.
                painter.text(
                    egui::pos2(origin.x - 4.0, y),
                    egui::Align2::RIGHT_CENTER,
                    &text,
                    font.clone(),
                    text_color,
                );
                // Column label, turned to read upwards, ending at the map.
                let x = origin.x + (i as f32 + 0.5) * MAP_CELL;
                let galley = painter.layout_no_wrap(text, font.clone(), text_color);
                let at = egui::pos2(x - galley.size().y / 2.0, origin.y - 4.0);
                painter.add(
                    egui::epaint::TextShape::new(at, galley, text_color)
                        .with_angle(-std::f32::consts::FRAC_PI_2),
                );
            }
            for (t, row) in matrix.iter().enumerate() {
                for (p, count) in row.iter().enumerate() {
                    let rect = egui::Rect::from_min_size(
                        origin + egui::vec2(p as f32 * MAP_CELL, t as f32 * MAP_CELL),
                        egui::vec2(MAP_CELL, MAP_CELL),
                    );
                    if !clip.intersects(rect) {
                        continue;
                    }
                    painter.rect_filled(rect.shrink(0.5), 1.0, heat(ui, *count, max));
                    if selected == Some((t, p)) {
                        painter.rect_stroke(
                            rect,
                            1.0,
                            visuals.selection.stroke,
                            egui::StrokeKind::Inside,
                        );
                    }
                }
            }
            let cell_at = |pos: egui::Pos2| {
                let d = pos - origin;
                let (p, t) = ((d.x / MAP_CELL).floor(), (d.y / MAP_CELL).floor());
                (p >= 0.0 && t >= 0.0 && (p as usize) < n && (t as usize) < n)
                    .then_some((t as usize, p as usize))
            };
            if let Some((t, p)) = response.hover_pos().and_then(cell_at) {
                let count = matrix.get(t).and_then(|r| r.get(p)).copied().unwrap_or(0);
                let truth = labels.get(t).map(String::as_str).unwrap_or("");
                let predicted = labels.get(p).map(String::as_str).unwrap_or("");
                response.clone().on_hover_text_at_pointer(format!(
                    "{count} items of {truth} predicted as {predicted}"
                ));
            }
            if response.clicked() {
                clicked = response.interact_pointer_pos().and_then(cell_at);
            }
        });
    clicked
}

/// Most cells [`matrix_cells_ui`] lists.
const CELLS_LISTED: usize = 200;

/// For more classes than a matrix can show: the cells [`listed_cells`] chose, each a button
/// that selects it.
fn cells_ui(
    ui: &mut Ui,
    labels: &[String],
    listed: &[(usize, usize, u64)],
    all: usize,
    selected: Option<(usize, usize)>,
) -> Option<(usize, usize)> {
    ui.label(format!(
        "{} classes are too many to draw as a matrix: {} of its {all} cells that are not zero, mistakes first, largest first.",
        labels.len(),
        listed.len(),
    ));
    let mut clicked = None;
    egui::ScrollArea::vertical()
        .id_salt("eval_matrix_cells")
        .max_height(240.0)
        .min_scrolled_height(240.0)
        .show(ui, |ui| {
            for &(t, p, n) in listed {
                let truth = labels.get(t).map(String::as_str).unwrap_or("");
                let predicted = labels.get(p).map(String::as_str).unwrap_or("");
                let text = format!(
                    "{}  {} predicted as {}",
                    crate::text::count(n as usize, "item", "items"),
                    crate::text::elide_middle(truth, 40),
                    crate::text::elide_middle(predicted, 40)
                );
                if ui
                    .selectable_label(selected == Some((t, p)), text)
                    .clicked()
                {
                    clicked = Some((t, p));
                }
            }
        });
    clicked
}
