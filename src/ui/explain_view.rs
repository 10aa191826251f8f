//! How an explanation is drawn, wherever it is shown (the Test tab's answer, its history's
//! side-by-side comparison): an image's occlusion map as a colour overlay over the image as the
//! model saw it, with its legend and each cell's drop on hover; a table row's Shapley values as
//! a waterfall from the base value to the prediction, with the check that they add up.

use egui::{Color32, Pos2, Rect, RichText, Sense, Stroke, Ui, Vec2};

use crate::explain::occlusion::ImageExplanation;
use crate::explain::shapley::Method;
use crate::explain::table::TableExplanation;
use crate::text::{capitalised, short_number};

/// The colour of a cell whose occlusion lowers the score (it supports the answer).
const SUPPORTS: [u8; 3] = [226, 52, 32];
/// The colour of a cell whose occlusion raises the score (it speaks against the answer).
const OPPOSES: [u8; 3] = [38, 120, 235];

/// A cell's colour for drop `v` of the map's largest magnitude `largest`, at `opacity`.
fn cell_color(v: f64, largest: f64, opacity: f32) -> Color32 {
    if largest <= 0.0 || !v.is_finite() || v == 0.0 {
        return Color32::TRANSPARENT;
    }
    let strength = (v.abs() / largest).clamp(0.0, 1.0) as f32;
    let [r, g, b] = if v > 0.0 { SUPPORTS } else { OPPOSES };
    let alpha = (strength * opacity.clamp(0.0, 1.0) * 255.0).round() as u8;
    Color32::from_rgba_unmultiplied(r, g, b, alpha)
}

/// What cell (`row`, `column`) did, in words, for its hover text.
pub fn cell_words(e: &ImageExplanation, row: usize, column: usize) -> String {
    let Some(v) = e.drop_at(row, column) else {
        return String::new();
    };
    let effect = if v > 0.0 {
        format!("hiding it lowers the score by {}", short_number(v))
    } else if v < 0.0 {
        format!("hiding it raises the score by {}", short_number(-v))
    } else {
        "hiding it does not change the score".into()
    };
    format!(
        "Cell row {row}, column {column} ({}): {effect} (score {} unhidden)",
        e.place(row, column),
        short_number(e.score)
    )
}

/// The map's headline: where its strongest cell is.
pub fn strongest_words(e: &ImageExplanation) -> String {
    let (rows, cols) = e.cells();
    match e.strongest() {
        Some((r, c, v)) if v > 0.0 => format!(
            "Strongest cell: row {r}, column {c} of the {rows}x{cols} grid, {} (hiding it lowers the score by {})",
            e.place(r, c),
            short_number(v)
        ),
        _ => format!("No cell of the {rows}x{cols} grid lowers the score when hidden."),
    }
}

/// Draws `e`'s map over the image as the model saw it (`texture`), at most `max_side` points
/// a side, with the opacity slider, the legend and each cell's drop on hover. `id` keeps two
/// maps drawn side by side apart.
pub fn image_explanation_ui(
    ui: &mut Ui,
    id: impl std::hash::Hash + std::fmt::Debug,
    e: &ImageExplanation,
    texture: &egui::TextureHandle,
    opacity: &mut f32,
    max_side: f32,
) {
    ui.push_id(id, |ui| {
        ui.add(
            egui::Label::new(
                RichText::new(format!(
                    "{} — {} unhidden",
                    capitalised(&e.target.words()),
                    short_number(e.score)
                ))
                .strong(),
            )
            .wrap(),
        );
        let (w, h) = (e.size.0.max(1) as f32, e.size.1.max(1) as f32);
        let side = ui.available_width().min(max_side).max(96.0);
        let scale = side / w.max(h);
        let (rect, response) = ui.allocate_exact_size(Vec2::new(w * scale, h * scale), Sense::hover());
        let painter = ui.painter_at(rect);
        painter.image(
            texture.id(),
            rect,
            Rect::from_min_max(Pos2::ZERO, Pos2::new(1.0, 1.0)),
            Color32::WHITE,
        );
        let largest = e.largest();
        let cell = e.window.1.max(1) as f32;
        let cell_rect = |r: usize, c: usize| {
            let x0 = c as f32 * cell;
            let y0 = r as f32 * cell;
            Rect::from_min_max(
                rect.min + Vec2::new(x0, y0) * scale,
                rect.min + Vec2::new((x0 + cell).min(w), (y0 + cell).min(h)) * scale,
            )
        };
        for (r, row) in e.grid.iter().enumerate() {
            for (c, &v) in row.iter().enumerate() {
                let color = cell_color(v, largest, *opacity);
                if color != Color32::TRANSPARENT {
                    painter.rect_filled(cell_rect(r, c), 0.0, color);
                }
            }
        }
        let headline = strongest_words(e);
        response.widget_info(|| {
            egui::WidgetInfo::labeled(egui::Role::Image, true, format!("Occlusion map. {headline}"))
        });
        let (rows, cols) = e.cells();
        let hovered = response.hover_pos().and_then(|p| {
            let local = (p - rect.min) / scale;
            let (r, c) = ((local.y / cell) as usize, (local.x / cell) as usize);
            (local.x >= 0.0 && local.y >= 0.0 && r < rows && c < cols).then_some((r, c))
        });
        if let Some((r, c)) = hovered {
            painter.rect_stroke(
                cell_rect(r, c),
                0.0,
                Stroke::new(2.0, ui.visuals().strong_text_color()),
                egui::StrokeKind::Inside,
            );
            response.on_hover_text_at_pointer(cell_words(e, r, c));
        }
        ui.add(egui::Label::new(headline).wrap());
        legend_ui(ui, largest, *opacity);
        ui.horizontal_wrapped(|ui| {
            ui.add(egui::Slider::new(opacity, 0.0..=1.0).text("overlay opacity"));
        });
        ui.add(
            egui::Label::new(
                RichText::new(format!(
                    "Window {} px, every {} px, over the {}x{} image the model saw, hidden by the {} baseline; {} images predicted in {}. Hover a cell for its drop.",
                    e.window.0,
                    e.window.1,
                    e.size.0,
                    e.size.1,
                    e.baseline.name(),
                    e.rows_predicted,
                    crate::text::duration(e.runtime)
                ))
                .weak(),
            )
            .wrap(),
        );
    });
}

/// The colours' meaning: a bar from "raises the score" through nothing to "lowers it", with
/// the map's largest magnitude at its ends.
fn legend_ui(ui: &mut Ui, largest: f64, opacity: f32) {
    ui.horizontal_wrapped(|ui| {
        let (rect, _) = ui.allocate_exact_size(Vec2::new(120.0, 12.0), Sense::hover());
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 2.0, ui.visuals().extreme_bg_color);
        const STEPS: usize = 24;
        let step = rect.width() / STEPS as f32;
        for i in 0..STEPS {
            let v = (i as f64 + 0.5) / STEPS as f64 * 2.0 - 1.0;
            let x = rect.min.x + i as f32 * step;
            painter.rect_filled(
                Rect::from_min_size(
                    Pos2::new(x, rect.min.y),
                    Vec2::new(step + 0.5, rect.height()),
                ),
                0.0,
                cell_color(v, 1.0, opacity.max(0.3)),
            );
        }
        painter.rect_stroke(
            rect,
            2.0,
            Stroke::new(1.0, ui.visuals().weak_text_color()),
            egui::StrokeKind::Inside,
        );
        ui.add(
            egui::Label::new(
                RichText::new(format!(
                    "blue: hiding raises the score · red: hiding lowers it (up to {})",
                    short_number(largest)
                ))
                .small(),
            )
            .wrap(),
        );
    });
}

/// A feature's value in the row, short: numbers to 4 significant digits, text as it is.
fn value_words(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Number(n) => n.as_f64().map_or_else(|| n.to_string(), short_number),
        serde_json::Value::String(s) => crate::text::elide(s, 24),
        serde_json::Value::Null => "null".into(),
        other => crate::text::elide(&other.to_string(), 24),
    }
}

/// A signed number with its sign: "+3.308", "−0.1234".
pub fn signed(x: f64) -> String {
    if x < 0.0 {
        format!("−{}", short_number(-x))
    } else {
        format!("+{}", short_number(x))
    }
}

/// The additivity check in words: the contributions add up to f(x) − E[f], within what.
pub fn additivity_words(e: &TableExplanation) -> String {
    let sum: f64 = e.features.iter().map(|f| f.contribution).sum();
    format!(
        "Contributions add up to f(x) − E[f]: {} = {} − {}, within {:.1e}",
        short_number(sum),
        short_number(e.prediction),
        short_number(e.base_value),
        e.additivity_error.abs()
    )
}

/// Draws a row's Shapley values as a waterfall, from the base value E[f] (the mean answer over
/// the background) down through each feature, largest first, to the prediction f(x); each
/// feature's value beside its name, and the additivity check under it. Long tables scroll.
pub fn table_explanation_ui(
    ui: &mut Ui,
    id: impl std::hash::Hash + std::fmt::Debug,
    e: &TableExplanation,
) {
    ui.push_id(id, |ui| {
        ui.add(
            egui::Label::new(
                RichText::new(format!(
                    "{} for {}: f(x) = {} against E[f] = {}",
                    capitalised(&e.target.words()),
                    e.row_id,
                    short_number(e.prediction),
                    short_number(e.base_value)
                ))
                .strong(),
            )
            .wrap(),
        );
        // The running sum from the base value, feature by feature.
        let mut running = e.base_value;
        let mut steps = Vec::with_capacity(e.features.len());
        for f in &e.features {
            steps.push((running, running + f.contribution));
            running += f.contribution;
        }
        let (lo, hi) = steps
            .iter()
            .flat_map(|(a, b)| [*a, *b])
            .chain([e.base_value, e.prediction])
            .filter(|v| v.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
        let span = if hi > lo { hi - lo } else { 1.0 };
        let bar_width = (ui.available_width() * 0.45).clamp(100.0, 360.0);
        let x_of = |rect: Rect, v: f64| rect.min.x + ((v - lo) / span) as f32 * rect.width();
        let weak = ui.visuals().weak_text_color();
        let line = |ui: &mut Ui, at: f64, text: String| {
            ui.label(RichText::new(text).weak());
            let (rect, _) = ui.allocate_exact_size(Vec2::new(bar_width, 16.0), Sense::hover());
            let x = x_of(rect, at);
            ui.painter().line_segment(
                [Pos2::new(x, rect.min.y), Pos2::new(x, rect.max.y)],
                Stroke::new(2.0, weak),
            );
            ui.label(RichText::new(short_number(at)).weak());
            ui.end_row();
        };
        egui::ScrollArea::vertical()
            .id_salt("waterfall")
            .max_height(400.0)
            // Inside the half's own scroll area it would shrink to what is left on screen.
            .min_scrolled_height(240.0)
            .auto_shrink([false, true])
            .show(ui, |ui| {
                egui::Grid::new("waterfall_grid")
                    .num_columns(3)
                    .spacing([10.0, 4.0])
                    .striped(true)
                    .show(ui, |ui| {
                        line(ui, e.base_value, "E[f], the base value".into());
                        for (f, &(from, to)) in e.features.iter().zip(&steps) {
                            let name = format!("{} = {}", f.name, value_words(&f.value));
                            ui.label(&name).on_hover_text(format!(
                                "{}: moves the answer from {} to {}",
                                name,
                                short_number(from),
                                short_number(to)
                            ));
                            let (rect, response) =
                                ui.allocate_exact_size(Vec2::new(bar_width, 16.0), Sense::hover());
                            let (a, b) = (x_of(rect, from.min(to)), x_of(rect, from.max(to)));
                            let [r, g, bl] = if f.contribution >= 0.0 { SUPPORTS } else { OPPOSES };
                            ui.painter().rect_filled(
                                Rect::from_min_max(
                                    Pos2::new(a, rect.min.y + 2.0),
                                    Pos2::new(b.max(a + 1.0), rect.max.y - 2.0),
                                ),
                                2.0,
                                Color32::from_rgb(r, g, bl),
                            );
                            response.on_hover_text(format!(
                                "{}: {} (from {} to {})",
                                f.name,
                                signed(f.contribution),
                                short_number(from),
                                short_number(to)
                            ));
                            ui.label(RichText::new(signed(f.contribution)).monospace());
                            ui.end_row();
                        }
                        line(ui, e.prediction, "f(x), the prediction".into());
                    });
            });
        let close = e.additivity_error.abs() <= 1e-6 * e.prediction.abs().max(1.0);
        let mark = if close { "✔" } else { "⚠" };
        ui.add(egui::Label::new(format!("{mark} {}", additivity_words(e))).wrap());
        let method = match &e.method {
            Method::Exact => format!(
                "exact over all {} coalitions",
                1u64.checked_shl(e.features.len() as u32).map_or("2^M".into(), |n| n.to_string())
            ),
            Method::Sampled {
                permutations,
                seed,
                bound,
            } => format!(
                "sampled from {permutations} permutations (seed {seed}; each value within ±{} at 95%)",
                short_number(*bound)
            ),
        };
        ui.add(
            egui::Label::new(
                RichText::new(format!(
                    "Shapley values {method}, against {} background rows; {} rows predicted in {}. Red pushes the answer up, blue down.",
                    e.background_rows,
                    e.rows_predicted,
                    crate::text::duration(e.runtime)
                ))
                .weak(),
            )
            .wrap(),
        );
    });
}
