//! The Evaluate tab's plots for a regression: predicted against true, and the residuals.

use egui::Ui;

/// The side of a plot, in points.
pub(super) const PLOT_SIDE: f32 = 260.0;

/// Most points drawn in the scatter (the first ones).
pub(super) const SCATTER_POINTS: usize = 20_000;

/// A plot's frame: the rect and the painter, with the axis values at its corners.
pub(super) fn plot_frame(ui: &mut Ui, x: (f64, f64), y: (f64, f64)) -> (egui::Rect, egui::Painter) {
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

pub(super) fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
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
pub(super) fn scatter_ui(ui: &mut Ui, pairs: &[(f64, f64)]) {
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
pub(super) fn histogram_ui(ui: &mut Ui, pairs: &[(f64, f64)]) {
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
