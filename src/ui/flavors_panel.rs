//! The Flavors tab: one section per flavor, python_function first, with every file it names.

use egui::{RichText, Ui};

use super::widgets::{mono_value_ui, status_ui};
use crate::model::ModelCard;
use crate::model::flavors::{FlavorView, NamedPath, PyFuncEnv};

fn value_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "null".into(),
        other => other.to_string(),
    }
}

/// Draws the Flavors tab.
pub fn flavors_ui(ui: &mut Ui, card: &ModelCard) {
    egui::ScrollArea::vertical()
        .auto_shrink(false)
        .show(ui, |ui| {
            if card.flavors.is_empty() {
                ui.label("This model declares no flavors: MLflow cannot load it.");
            }
            for flavor in &card.flavors {
                let title = match flavor.view.framework_version() {
                    Some((name, version)) => format!("{}   ({name} {version})", flavor.name),
                    None => flavor.name.clone(),
                };
                egui::CollapsingHeader::new(RichText::new(title).heading())
                    .id_salt(("flavor", &flavor.name))
                    .default_open(true)
                    .show(ui, |ui| {
                        egui::Grid::new(("flavor_grid", &flavor.name))
                            .num_columns(3)
                            .spacing([16.0, 4.0])
                            .striped(true)
                            .show(ui, |ui| {
                                if let FlavorView::PythonFunction(p) = &flavor.view {
                                    let env = match &p.env {
                                        None => "none".to_string(),
                                        Some(PyFuncEnv::Legacy(f)) => {
                                            format!("{f} (legacy single-file form)")
                                        }
                                        Some(PyFuncEnv::Files { conda, virtualenv }) => format!(
                                            "conda: {}   virtualenv: {}",
                                            conda.as_deref().unwrap_or("-"),
                                            virtualenv.as_deref().unwrap_or("-")
                                        ),
                                    };
                                    let rows = [
                                        (
                                            "loader_module",
                                            p.loader_module
                                                .clone()
                                                .unwrap_or_else(|| "missing".into()),
                                        ),
                                        ("predict_fn", p.predict_fn.clone()),
                                        (
                                            "python_version",
                                            p.python_version.clone().unwrap_or_else(|| "-".into()),
                                        ),
                                        ("environment", env),
                                    ];
                                    for (key, value) in rows {
                                        ui.label(RichText::new(key).strong());
                                        mono_value_ui(ui, &value);
                                        ui.label("");
                                        ui.end_row();
                                    }
                                }
                                for (key, value) in &flavor.config {
                                    if matches!(flavor.view, FlavorView::PythonFunction(_))
                                        && matches!(
                                            key.as_str(),
                                            "loader_module"
                                                | "predict_fn"
                                                | "python_version"
                                                | "env"
                                        )
                                    {
                                        continue;
                                    }
                                    ui.label(RichText::new(key).strong());
                                    match flavor.files.iter().find(|f| &f.key == key) {
                                        Some(file) => {
                                            named_file_ui(ui, file);
                                            status_ui(ui, &file.status);
                                        }
                                        None => {
                                            mono_value_ui(ui, &value_text(value));
                                            ui.label("");
                                        }
                                    }
                                    ui.end_row();
                                }
                                for file in flavor.files.iter().filter(|f| {
                                    !flavor.config.contains_key(&f.key) || f.key == "env"
                                }) {
                                    ui.label(RichText::new(&file.key).strong());
                                    mono_value_ui(ui, &file.path);
                                    status_ui(ui, &file.status);
                                    ui.end_row();
                                }
                            });
                    });
                ui.add_space(6.0);
            }
        });
}

/// A file a flavor names: the path MLflow reads, and where it was logged from when that differs
/// (models-from-code), as information.
fn named_file_ui(ui: &mut Ui, file: &NamedPath) {
    match &file.logged_from {
        Some(from) => {
            ui.vertical(|ui| {
                mono_value_ui(ui, &file.path);
                ui.label(RichText::new(format!("logged from {from}")).weak().small())
                    .on_hover_text("MLflow loads the copy of the script in the model folder");
            });
        }
        None => mono_value_ui(ui, &file.path),
    }
}
