//! The table input for column signatures: one column per signature column, sized to its header and type, rows from the example, typed or pasted from a spreadsheet.

use super::*;

/// The signature's columns: name, type label, required.
pub(super) fn grid_columns(card: &ModelCard) -> Vec<(String, String, bool)> {
    card.signature
        .valid()
        .and_then(|s| s.inputs.as_ref())
        .filter(|s| !s.is_tensor())
        .map(|s| {
            s.columns()
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    (
                        c.name.clone().unwrap_or_else(|| i.to_string()),
                        c.ty.label(),
                        c.is_required(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

pub(super) fn grid_ui(
    ui: &mut Ui,
    card: &ModelCard,
    state: &mut TestState,
    commands: &mut Vec<Command>,
) {
    let grid_commands = commands;
    let columns = grid_columns(card);
    ui.label("One row per input row. Numbers, true/false, text; JSON for arrays, objects and maps; leave optional cells empty.");
    // Each column as wide as its header and type need; the scroll bar always shown, below the
    // rows (never over them), when the table is wider than the half.
    let widths: Vec<f32> = columns
        .iter()
        .map(|(name, ty, required)| {
            let chars =
                (name.chars().count() + if *required { 0 } else { 11 }).max(ty.chars().count());
            (chars as f32 * 7.5 + 16.0).clamp(64.0, 220.0)
        })
        .collect();
    ui.scope(|ui| {
        ui.spacing_mut().scroll = egui::style::ScrollStyle::solid();
        egui::ScrollArea::horizontal()
            .id_salt("grid_scroll")
            .scroll_bar_visibility(egui::scroll_area::ScrollBarVisibility::AlwaysVisible)
            .show(ui, |ui| {
                egui::Grid::new("input_grid")
                    .striped(true)
                    .spacing([6.0, 4.0])
                    .show(ui, |ui| {
                        ui.label("");
                        for (name, ty, required) in &columns {
                            let mark = if *required { "" } else { " (optional)" };
                            ui.add(
                                egui::Label::new(RichText::new(format!("{name}{mark}")).strong())
                                    .wrap_mode(egui::TextWrapMode::Extend),
                            )
                            .on_hover_text(ty.as_str());
                        }
                        ui.end_row();
                        let mut remove = None;
                        for (r, row) in state.grid.iter_mut().enumerate() {
                            row.resize(columns.len(), String::new());
                            if ui
                                .small_button("✖")
                                .on_hover_text("Remove this row")
                                .clicked()
                            {
                                remove = Some(r);
                            }
                            for (c, cell) in row.iter_mut().enumerate() {
                                let hint = columns
                                    .get(c)
                                    .map(|(_, ty, _)| ty.clone())
                                    .unwrap_or_default();
                                let name = columns
                                    .get(c)
                                    .map(|(n, _, _)| n.clone())
                                    .unwrap_or_default();
                                let required = columns.get(c).is_some_and(|(_, _, req)| *req);
                                if hint == "boolean" && required {
                                    let mut on = matches!(
                                        cell.trim().to_ascii_lowercase().as_str(),
                                        "true" | "1"
                                    );
                                    let response = ui.add(egui::Checkbox::without_text(&mut on));
                                    response.widget_info(|| {
                                        egui::WidgetInfo::selected(
                                            egui::Role::CheckBox,
                                            true,
                                            on,
                                            format!("{name} row {}", r + 1),
                                        )
                                    });
                                    if response.changed() || cell.is_empty() {
                                        *cell = on.to_string();
                                    }
                                    continue;
                                }
                                let label = format!("{name} row {}", r + 1);
                                let width = widths.get(c).copied().unwrap_or(110.0);
                                let edit = |ui: &mut Ui, cell: &mut String| {
                                    let height = ui.spacing().interact_size.y;
                                    let response = ui.add_sized(
                                        [width, height],
                                        egui::TextEdit::singleline(cell).hint_text(hint.clone()),
                                    );
                                    response.widget_info(|| {
                                        egui::WidgetInfo::labeled(
                                            egui::Role::TextInput,
                                            true,
                                            label.clone(),
                                        )
                                    });
                                };
                                if hint == "binary" {
                                    ui.horizontal(|ui| {
                                        if ui
                                            .small_button("file…")
                                            .on_hover_text("Fill with a file's bytes (base64)")
                                            .clicked()
                                        {
                                            grid_commands.push(Command::PickBinaryCell(r, c));
                                        }
                                        edit(ui, cell);
                                    });
                                } else {
                                    edit(ui, cell);
                                }
                            }
                            ui.end_row();
                        }
                        if let Some(r) = remove {
                            state.grid.remove(r);
                        }
                    });
            });
    });
    ui.horizontal_wrapped(|ui| {
        if ui.button("Add row").clicked() {
            state.grid.push(vec![String::new(); columns.len()]);
        }
        ui.label(
            RichText::new("Ctrl+V outside a cell adds the rows on the clipboard (tab- or comma-separated; a header row matching the columns is skipped).")
                .weak(),
        );
    });
    // Rows pasted from a spreadsheet or CSV, when no cell has the keyboard.
    if !ui.ctx().egui_wants_keyboard_input() {
        let pasted: Vec<String> = ui.input(|i| {
            i.events
                .iter()
                .filter_map(|e| match e {
                    egui::Event::Paste(text) => Some(text.clone()),
                    _ => None,
                })
                .collect()
        });
        for text in pasted {
            let names: Vec<&str> = columns.iter().map(|(n, _, _)| n.as_str()).collect();
            state.grid.extend(pasted_rows(&text, &names));
        }
    }
}

/// Rows from pasted text: tab-separated if any tab, else comma-separated; a header row that
/// names the columns is skipped; short rows are padded.
pub fn pasted_rows(text: &str, columns: &[&str]) -> Vec<Vec<String>> {
    let sep = if text.contains('\t') { '\t' } else { ',' };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            l.split(sep)
                .map(|c| c.trim().to_string())
                .collect::<Vec<_>>()
        })
        .filter(|cells| {
            let header =
                cells.len() == columns.len() && cells.iter().zip(columns).all(|(a, b)| a == b);
            !header
        })
        .map(|mut cells| {
            cells.resize(columns.len(), String::new());
            cells
        })
        .collect()
}
