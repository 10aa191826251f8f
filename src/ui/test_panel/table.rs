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

/// The widest a table column grows to fit its values, in points.
const CELL_WIDTH_CAP: f32 = 150.0;

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
    // ... and as its values, up to a cap (a longer value is cut with "…", whole on hover).
    let widths: Vec<f32> = columns
        .iter()
        .enumerate()
        .map(|(c, (name, ty, required))| {
            let values = state
                .grid
                .iter()
                .filter_map(|row| row.get(c))
                .map(|v| v.chars().count())
                .max()
                .unwrap_or(0);
            let chars = (name.chars().count() + if *required { 0 } else { 11 })
                .max(ty.chars().count())
                .max(values);
            (chars as f32 * 7.5 + 16.0).clamp(64.0, CELL_WIDTH_CAP)
        })
        .collect();
    // MLflow's verdict on each cell as typed, found again only for a cell whose text changed.
    let card_columns = columns.len();
    state
        .cell_checks
        .retain(|&(r, c), _| r < state.grid.len() && c < card_columns);
    for (r, row) in state.grid.iter().enumerate() {
        for (c, text) in row.iter().enumerate().take(card_columns) {
            let fresh = state
                .cell_checks
                .get(&(r, c))
                .is_some_and(|(seen, _)| seen == text);
            if !fresh {
                let problem = crate::input::build::check_cell(card, c, text);
                state.cell_checks.insert((r, c), (text.clone(), problem));
            }
        }
    }
    let checks = std::mem::take(&mut state.cell_checks);
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
                                let problem = checks.get(&(r, c)).and_then(|(_, p)| p.as_deref());
                                let edit = |ui: &mut Ui, cell: &mut String| {
                                    let height = ui.spacing().interact_size.y;
                                    let id = ui.make_persistent_id(("grid_cell", r, c));
                                    let focused = ui.memory(|m| m.has_focus(id));
                                    // Unfocused, a value too long for the column ends in "…".
                                    let mut layouter =
                                        |ui: &Ui, text: &dyn egui::TextBuffer, wrap: f32| {
                                            let mut job = egui::text::LayoutJob::simple_singleline(
                                                text.as_str().to_owned(),
                                                egui::TextStyle::Body.resolve(ui.style()),
                                                ui.visuals().text_color(),
                                            );
                                            if !focused {
                                                job.wrap =
                                                    egui::text::TextWrapping::truncate_at_width(
                                                        wrap,
                                                    );
                                            }
                                            ui.fonts_mut(|f| f.layout_job(job))
                                        };
                                    let response = ui.add_sized(
                                        [width, height],
                                        egui::TextEdit::singleline(cell)
                                            .id(id)
                                            .hint_text(hint.clone())
                                            .layouter(&mut layouter),
                                    );
                                    response.widget_info(|| {
                                        egui::WidgetInfo::labeled(
                                            egui::Role::TextInput,
                                            true,
                                            label.clone(),
                                        )
                                    });
                                    if let Some(problem) = problem {
                                        ui.painter().rect_stroke(
                                            response.rect.expand(1.0),
                                            2.0,
                                            egui::Stroke::new(1.5, ui.visuals().error_fg_color),
                                            egui::StrokeKind::Outside,
                                        );
                                        response.on_hover_text(format!(
                                            "{label}: MLflow would refuse this value: {problem}"
                                        ));
                                    } else if !focused
                                        && cell.chars().count() as f32 * 7.5 + 16.0 > width
                                    {
                                        response.on_hover_text(cell.as_str());
                                    }
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
    state.cell_checks = checks;
    // The marked cells, said under the table: where, and MLflow's words for the first.
    let mut marked: Vec<(usize, usize, &str)> = state
        .cell_checks
        .iter()
        .filter_map(|(&(r, c), (_, p))| p.as_deref().map(|p| (r, c, p)))
        .collect();
    marked.sort_by_key(|&(r, c, _)| (r, c));
    if let Some(&(r, c, problem)) = marked.first() {
        let name = columns.get(c).map_or("", |(n, _, _)| n.as_str());
        ui.add(
            egui::Label::new(
                RichText::new(format!(
                    "✖ {} MLflow would refuse, marked in red (hover one for MLflow's words). {name} row {}: {problem}",
                    crate::text::count(marked.len(), "cell", "cells"),
                    r + 1
                ))
                .color(ui.visuals().error_fg_color),
            )
            .wrap(),
        );
    }
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
