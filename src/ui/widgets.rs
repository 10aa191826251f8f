//! Small widgets shared by the panels: values that can be selected and copied, elided with the
//! whole text on hover; chips; key/value grids; file status marks.

use egui::{Color32, RichText, Ui};

use crate::model::fsutil::PathStatus;
use crate::text::human_size;

/// Colours that read on both light and dark themes.
pub fn ok_color(ui: &Ui) -> Color32 {
    if ui.visuals().dark_mode {
        Color32::from_rgb(110, 200, 120)
    } else {
        Color32::from_rgb(20, 120, 40)
    }
}

/// The colour of warnings.
pub fn warn_color(ui: &Ui) -> Color32 {
    ui.visuals().warn_fg_color
}

/// The colour of errors.
pub fn error_color(ui: &Ui) -> Color32 {
    ui.visuals().error_fg_color
}

/// The most characters of a value drawn in one line; the whole value is on hover and copied.
pub const MAX_VALUE_CHARS: usize = 96;

fn elided_value_ui(ui: &mut Ui, text: &str, monospace: bool) {
    let shown = crate::text::elide(text, MAX_VALUE_CHARS);
    let mut rich = RichText::new(&shown);
    if monospace {
        rich = rich.monospace();
    }
    let mut response = ui.add(
        egui::Label::new(rich)
            .selectable(true)
            .wrap_mode(egui::TextWrapMode::Extend),
    );
    if shown.len() != text.len() {
        response = response.on_hover_text(text);
    }
    response.context_menu(|ui| {
        if ui.button("Copy").clicked() {
            ui.ctx().copy_text(text.to_string());
            ui.close();
        }
    });
}

/// A value: selectable, elided when long with the whole value on hover, and "Copy" on right click.
pub fn value_ui(ui: &mut Ui, text: &str) {
    elided_value_ui(ui, text, false);
}

/// A value in a monospace font (types, versions, paths).
pub fn mono_value_ui(ui: &mut Ui, text: &str) {
    elided_value_ui(ui, text, true);
}

/// A rounded chip, e.g. a flavor name in the header.
pub fn chip_ui(ui: &mut Ui, text: &str, strong: bool) {
    let fill = if strong {
        ui.visuals().selection.bg_fill
    } else {
        ui.visuals().extreme_bg_color
    };
    // One widget (not a framed child Ui), so a row that runs out of room moves the whole
    // chip to the next line instead of wrapping its text inside the frame.
    ui.add(
        egui::Button::new(RichText::new(text).monospace())
            .fill(fill)
            .stroke(ui.visuals().widgets.noninteractive.bg_stroke)
            .corner_radius(8.0)
            .wrap_mode(egui::TextWrapMode::Extend)
            .sense(egui::Sense::hover()),
    );
}

/// A two-column grid of labelled values.
pub fn key_values_ui(ui: &mut Ui, id: impl egui::AsIdSalt, rows: &[(&str, String)]) {
    egui::Grid::new(id)
        .num_columns(2)
        .spacing([16.0, 4.0])
        .striped(true)
        .show(ui, |ui| {
            for (key, value) in rows {
                ui.label(RichText::new(*key).strong());
                mono_value_ui(ui, value);
                ui.end_row();
            }
        });
}

/// A file status: present (with size), missing, or outside the folder.
pub fn status_ui(ui: &mut Ui, status: &PathStatus) {
    match status {
        PathStatus::Present { is_dir: true, .. } => {
            ui.colored_label(ok_color(ui), "✔ present (folder)");
        }
        PathStatus::Present { size, .. } => {
            ui.colored_label(ok_color(ui), format!("✔ present, {}", human_size(*size)));
        }
        PathStatus::Missing => {
            ui.colored_label(error_color(ui), "✖ missing");
        }
        PathStatus::Outside { reason } => {
            ui.colored_label(warn_color(ui), "⚠ outside the folder, not followed")
                .on_hover_text(reason);
        }
    }
}

/// A monospace block of text that can be selected and copied, in a scroll area.
pub fn code_block_ui(ui: &mut Ui, id: impl egui::AsIdSalt, text: &str, max_height: f32) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        egui::ScrollArea::both()
            .id_salt(id)
            .max_height(max_height)
            .auto_shrink([false, true])
            .show(ui, |ui| {
                ui.add(
                    egui::Label::new(RichText::new(text).monospace())
                        .selectable(true)
                        .wrap_mode(egui::TextWrapMode::Extend),
                );
            });
    });
    if ui.small_button("Copy").clicked() {
        ui.ctx().copy_text(text.to_string());
    }
}

/// A table that may be wider or taller than its place: scrolls both ways, with solid
/// scroll bars always shown (a floating bar would cover the last row), so every column is
/// reachable and a person can see that more is there.
pub fn table_scroll_ui(
    ui: &mut Ui,
    id: impl egui::AsIdSalt,
    max_height: f32,
    add_contents: impl FnOnce(&mut Ui),
) {
    ui.scope(|ui| {
        ui.spacing_mut().scroll = egui::style::ScrollStyle::solid();
        egui::ScrollArea::both()
            .id_salt(id)
            .max_height(max_height)
            .auto_shrink([false, true])
            .scroll_bar_visibility(egui::scroll_area::ScrollBarVisibility::VisibleWhenNeeded)
            .show(ui, add_contents);
    });
}

/// A section title.
pub fn section_ui(ui: &mut Ui, title: &str) {
    ui.add_space(8.0);
    ui.label(RichText::new(title).heading());
    ui.add_space(2.0);
}
