//! The Input example tab: the saved example rendered (a table for frames, shape and values for
//! tensors, params) and the ready request body from `serving_input_example.json`.

use egui::{RichText, Ui};

use super::artifacts_panel::FilesState;
use super::command::Command;
use super::widgets::{code_block_ui, error_color, key_values_ui, mono_value_ui, section_ui};
use crate::model::ModelCard;
use crate::model::example::{ExampleData, TensorExample};

/// The most rows of a frame drawn.
const MAX_ROWS: usize = 200;
/// The most tensor values listed.
const MAX_VALUES: usize = 64;

fn cell_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn tensor_ui(ui: &mut Ui, name: &str, t: &TensorExample) {
    let mut values = Vec::new();
    collect_values(&t.value, &mut values, MAX_VALUES + 1);
    let shown: Vec<String> = values.iter().take(MAX_VALUES).cloned().collect();
    let more = if values.len() > MAX_VALUES {
        ", …"
    } else {
        ""
    };
    key_values_ui(
        ui,
        ("tensor", name),
        &[
            ("Tensor", name.to_string()),
            (
                "Shape",
                format!("{:?}{}", t.shape, if t.ragged { " (ragged)" } else { "" }),
            ),
            (
                "dtype (as JSON gives it)",
                t.element.numpy_dtype().to_string(),
            ),
            ("Values", format!("[{}{more}]", shown.join(", "))),
        ],
    );
}

fn collect_values(value: &serde_json::Value, out: &mut Vec<String>, max: usize) {
    if out.len() >= max {
        return;
    }
    match value {
        serde_json::Value::Array(items) => {
            for item in items {
                collect_values(item, out, max);
                if out.len() >= max {
                    return;
                }
            }
        }
        other => out.push(cell_text(other)),
    }
}

/// Draws the Input example tab.
pub fn example_ui(ui: &mut Ui, card: &ModelCard, files: &FilesState, commands: &mut Vec<Command>) {
    egui::ScrollArea::both().auto_shrink(false).show(ui, |ui| {
        let Some(example) = &card.input_example else {
            section_ui(ui, "No input example");
            ui.label("The model was saved without an input example. The Test tab builds inputs from the signature.");
            return;
        };
        let info = &example.info;
        let mut rows = vec![
            ("File", info.artifact_path.clone().unwrap_or_else(|| "input_example.json".into())),
            ("Type", info.kind.clone().unwrap_or_else(|| "not stated".into())),
        ];
        if let Some(o) = &info.pandas_orient {
            rows.push(("pandas orient", o.clone()));
        }
        if let Some(f) = &info.format {
            rows.push(("Format", format!("{f} (legacy)")));
        }
        key_values_ui(ui, "example_info", &rows);
        if example.had_non_finite {
            ui.label(RichText::new("The file holds bare NaN/Infinity tokens (Python's json): shown as null.").weak());
        }
        match &example.data {
            Err(e) => {
                ui.colored_label(error_color(ui), format!("The example could not be read: {e}"));
            }
            Ok(data) => {
                section_ui(ui, &data.summary());
                match data {
                    ExampleData::Dataframe { columns, rows, .. } => {
                        let ncols = columns.as_ref().map(Vec::len).unwrap_or_else(|| rows.first().map(Vec::len).unwrap_or(0));
                        egui::Grid::new("example_frame").striped(true).spacing([16.0, 4.0]).show(ui, |ui| {
                            for c in 0..ncols {
                                let name = columns.as_ref().and_then(|cols| cols.get(c)).cloned().unwrap_or_else(|| c.to_string());
                                ui.label(RichText::new(name).strong());
                            }
                            ui.end_row();
                            for row in rows.iter().take(MAX_ROWS) {
                                for c in 0..ncols {
                                    let text = row.get(c).map(cell_text).unwrap_or_default();
                                    ui.scope(|ui| {
                                        ui.set_max_width(240.0);
                                        mono_value_ui(ui, &text);
                                    });
                                }
                                ui.end_row();
                            }
                        });
                        if rows.len() > MAX_ROWS {
                            ui.label(format!("… {} more rows", rows.len() - MAX_ROWS));
                        }
                    }
                    ExampleData::Tensor(t) => tensor_ui(ui, "(unnamed)", t),
                    ExampleData::NamedTensors(ts) => {
                        for (name, t) in ts {
                            tensor_ui(ui, name, t);
                            ui.add_space(6.0);
                        }
                    }
                    ExampleData::Json(v) => {
                        let text = serde_json::to_string_pretty(v).unwrap_or_default();
                        code_block_ui(ui, "example_json", &text, 300.0);
                    }
                    ExampleData::Sparse { .. } => {}
                }
            }
        }
        if let Some(params) = &example.params {
            section_ui(ui, "Params");
            let rows: Vec<(&str, String)> = params.iter().map(|(k, v)| (k.as_str(), v.to_string())).collect();
            key_values_ui(ui, "example_params", &rows);
        }
        if let Some(Ok(body)) = &example.serving_input {
            section_ui(ui, "Request body (serving_input_example.json)");
            let text = serde_json::to_string_pretty(body).unwrap_or_default();
            code_block_ui(ui, "serving_input", &text, 300.0);
        }
        let file = info.artifact_path.clone().unwrap_or_else(|| "input_example.json".into());
        section_ui(ui, &format!("Raw file ({file})"));
        match &files.preview {
            Some((rel, Ok(crate::preview::Preview::Text(text)))) if *rel == file => {
                code_block_ui(ui, "raw_example", text, 300.0)
            }
            Some((rel, Ok(_))) if *rel == file => {
                ui.label("The file is not text; the Files tab shows what it is.");
            }
            Some((rel, Err(e))) if *rel == file => {
                ui.colored_label(error_color(ui), e);
            }
            _ => {
                if ui.button(format!("Show {file} as written")).clicked() {
                    commands.push(Command::Preview(file));
                }
            }
        }
    });
}
