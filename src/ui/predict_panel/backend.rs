//! Where the model runs: the backend choice and its settings, the local Python and its check, the trust question, and the local server's status and log.

use super::*;

pub(super) fn backend_choice_ui(
    ui: &mut Ui,
    card: &ModelCard,
    state: &mut PredictState,
    settings: &mut Settings,
    commands: &mut Vec<Command>,
) {
    let has_onnx = crate::predict::onnx::onnx_data(card).is_some();
    ui.horizontal_wrapped(|ui| {
        ui.label("Run with:");
        let mut choice = state.backend;
        // One widget, not a nested Ui, so a narrow row moves it whole to the next line.
        if ui
            .add_enabled(
                has_onnx,
                egui::RadioButton::new(choice == BackendKind::Onnx, "ONNX in-process (tract)"),
            )
            .on_hover_text("Runs model.onnx in this app: no Python, nothing of the model's code")
            .on_disabled_hover_text("The model has no onnx flavor.")
            .clicked()
        {
            choice = BackendKind::Onnx;
        }
        if ui
            .add_enabled(
                has_onnx,
                egui::RadioButton::new(
                    choice == BackendKind::OnnxRuntime,
                    "ONNX Runtime in-process",
                ),
            )
            .on_hover_text("Runs model.onnx on the ONNX Runtime library you have (the onnxruntime package of the Python in Settings, ORT_DYLIB_PATH or the system's): MLflow's own runtime, no Python runs; tract answers where none loads")
            .on_disabled_hover_text("The model has no onnx flavor.")
            .clicked()
        {
            choice = BackendKind::OnnxRuntime;
        }
        ui.radio_value(&mut choice, BackendKind::Local, "MLflow scoring server (local Python)")
            .on_hover_text("Starts `python -m mlflow models serve` for this folder and keeps it warm: runs the model's code");
        ui.radio_value(&mut choice, BackendKind::Url, "Endpoint URL");
        if choice != state.backend {
            commands.push(Command::SetBackend(choice));
        }
        if ui
            .selectable_label(state.show_settings, "⚙ Settings")
            .on_hover_text("Python, environment, port, timeout, headers")
            .clicked()
        {
            state.show_settings = !state.show_settings;
        }
    });
    // What answered last, beside what was chosen, when they differ (ONNX Runtime chosen, tract
    // answered because no ONNX Runtime loaded).
    if state.backend == BackendKind::OnnxRuntime
        && let Some(Ok(outcome)) = state.history.last().map(|r| &r.result)
        && let (Some(runtime), Some(note)) = (&outcome.runtime, &outcome.note)
    {
        ui.add(
            egui::Label::new(
                RichText::new(format!(
                    "⚠ Chosen: ONNX Runtime; answered last by {runtime}, which took over (hover for why)"
                ))
                .color(ui.visuals().warn_fg_color),
            )
            .wrap(),
        )
        .on_hover_text(note);
    }
    if state.backend == BackendKind::Url {
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("URL:");
            ui.add(
                egui::TextEdit::singleline(&mut settings.endpoint_url)
                    .hint_text("http://127.0.0.1:5000/invocations, https://…/score, https://…/serving-endpoints/NAME/invocations")
                    .desired_width(520.0),
            )
            .labelled_by(label.id);
        });
        let url = settings.endpoint_url.trim();
        if !url.is_empty() {
            let endpoint = crate::predict::http::Endpoint::new(url);
            let form = match endpoint.dialect() {
                crate::predict::http::Dialect::Azure => "Azure ML's body ({\"input_data\": …})",
                crate::predict::http::Dialect::Mlflow => "MLflow's body",
            };
            ui.label(RichText::new(format!("Sends {form} to {}", endpoint.url)).weak());
        }
    }
}

pub(super) fn backend_settings_ui(ui: &mut Ui, state: &mut PredictState, settings: &mut Settings) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        egui::Grid::new("backend_settings").num_columns(2).spacing([12.0, 6.0]).show(ui, |ui| {
            let label = ui.label("Python with mlflow:");
            let mut text = settings
                .backend
                .python
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            let response = ui
                .add(
                    egui::TextEdit::singleline(&mut text)
                        .hint_text("empty: MLMODEL_INSPECTOR_PYTHON, the active venv or conda env, python3 on PATH")
                        .desired_width(460.0),
                )
                .labelled_by(label.id);
            if response.changed() {
                settings.backend.python = (!text.trim().is_empty()).then(|| PathBuf::from(text.trim()));
            }
            if response.lost_focus() {
                // Checked once the path is typed, not at every key.
                state.python = None;
            }
            ui.end_row();
            ui.label("Environment:");
            ui.horizontal_wrapped(|ui| {
                for (value, text, hover) in [
                    (EnvManager::Local, "this Python as it is", "--env-manager local"),
                    (EnvManager::Uv, "the model's own (uv)", "--env-manager uv: builds the model's python_env.yaml (slow the first time)"),
                    (EnvManager::Virtualenv, "the model's own (virtualenv)", "--env-manager virtualenv: pyenv + virtualenv"),
                ] {
                    ui.radio_value(&mut settings.backend.env_manager, value, text).on_hover_text(hover);
                }
            });
            ui.end_row();
            let label = ui.label("Port:");
            ui.horizontal_wrapped(|ui| {
                let mut fixed = settings.backend.port.is_some();
                ui.checkbox(&mut fixed, "fixed").labelled_by(label.id);
                if fixed {
                    let mut port = settings.backend.port.unwrap_or(5000);
                    ui.add(egui::DragValue::new(&mut port).range(1024..=65535)).labelled_by(label.id);
                    settings.backend.port = Some(port);
                } else {
                    settings.backend.port = None;
                    ui.label(RichText::new("a free port is chosen").weak());
                }
            });
            ui.end_row();
            let label = ui.label("Timeout (s):");
            ui.add(egui::DragValue::new(&mut settings.backend.timeout_s).range(1..=3600)).labelled_by(label.id);
            ui.end_row();
            let label = ui.label("Headers (URL):");
            ui.vertical(|ui| {
                let text = state.headers_text.get_or_insert_with(|| {
                    settings
                        .backend
                        .headers
                        .iter()
                        .map(|(k, v)| format!("{k}: {v}"))
                        .collect::<Vec<_>>()
                        .join("\n")
                });
                let response = ui
                    .add(
                        egui::TextEdit::multiline(text)
                            .hint_text("Authorization: Bearer <token>")
                            .desired_rows(2)
                            .desired_width(460.0),
                    )
                    .labelled_by(label.id);
                if response.changed() {
                    settings.backend.headers = text
                        .lines()
                        .filter_map(|l| crate::predict::parse_header(l).ok())
                        .collect();
                }
                let bad: Vec<String> = text
                    .lines()
                    .filter(|l| !l.trim().is_empty())
                    .filter_map(|l| crate::predict::parse_header(l).err())
                    .collect();
                for b in bad {
                    ui.colored_label(error_color(ui), b);
                }
                ui.checkbox(
                    &mut settings.remember_header_values,
                    "Remember header values on disk (plain text)",
                )
                .on_hover_text("Off: only the header names are saved; tokens are asked for again next time");
            });
            ui.end_row();
        });
    });
}

pub(super) fn python_ui(
    ui: &mut Ui,
    card: &ModelCard,
    state: &mut PredictState,
    commands: &mut Vec<Command>,
) {
    match &state.python {
        None => {
            commands.push(Command::CheckPython);
            state.python = Some(PythonStatus::Checking);
        }
        Some(PythonStatus::Checking) => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(RichText::new("Checking the Python…").weak());
            });
        }
        Some(PythonStatus::Checked(Ok(check))) => {
            ui.horizontal_wrapped(|ui| {
                ui.label("Python:");
                ui.label(RichText::new(check.info.path.display().to_string()).monospace());
                ui.label(
                    RichText::new(format!(
                        "({}) · Python {} · mlflow {}",
                        check.origin,
                        check.info.version,
                        check.info.mlflow().unwrap_or("?")
                    ))
                    .weak(),
                );
                if ui.small_button("Check again").clicked() {
                    commands.push(Command::CheckPython);
                }
            });
            if check.mismatches.is_empty() {
                if crate::predict::python::model_python(card).is_some() {
                    ui.colored_label(ok_color(ui), "✔ The Python and the model's pinned packages match the model's environment.");
                }
            } else {
                ui.colored_label(
                    warn_color(ui),
                    format!(
                        "⚠ This Python differs from the environment the model was saved with ({}):",
                        check.mismatches.len()
                    ),
                );
                for m in check.mismatches.iter().take(12) {
                    ui.label(RichText::new(format!("    {m}")).color(warn_color(ui)));
                }
                if check.mismatches.len() > 12 {
                    ui.label(format!("    … and {} more", check.mismatches.len() - 12));
                }
                ui.add(
                    egui::Label::new(
                        RichText::new(format!(
                            "The model may still load. To match it, {}.",
                            crate::predict::python::environment_fix(
                                &check.info.path,
                                &check.mismatches
                            )
                        ))
                        .weak(),
                    )
                    .selectable(true)
                    .wrap(),
                );
            }
        }
        Some(PythonStatus::Checked(Err(error))) => {
            ui.add(
                egui::Label::new(RichText::new(error.to_string()).color(error_color(ui))).wrap(),
            );
            if ui.small_button("Check again").clicked() {
                commands.push(Command::CheckPython);
            }
        }
    }
}

pub(super) fn server_ui(
    ui: &mut Ui,
    state: &mut PredictState,
    log: &Log,
    commands: &mut Vec<Command>,
) {
    ui.horizontal_wrapped(|ui| {
        match &state.server {
            Some(status) => {
                ui.colored_label(ok_color(ui), format!("Running: {status}"));
                if ui.small_button("Stop server").clicked() {
                    commands.push(Command::StopServer);
                }
            }
            // Starting: the line beside Predict says what it is doing, with the time and
            // Cancel; here only the log.
            None if state.running.is_some() => {}
            None => {
                ui.label(
                    RichText::new(
                        "○ No server running: the first Predict starts one (a few seconds).",
                    )
                    .weak(),
                );
            }
        }
        let lines = log.len();
        if lines > 0
            && ui
                .selectable_label(
                    state.show_log,
                    format!(
                        "Server log ({})",
                        crate::text::count(lines, "line", "lines")
                    ),
                )
                .clicked()
        {
            state.show_log = !state.show_log;
        }
    });
    if state.show_log {
        // The last 400 lines only: the whole log is copied on request, not every frame.
        let total = log.len();
        let text = log.tail(400);
        ui.horizontal_wrapped(|ui| {
            if ui.small_button("Copy log").clicked() {
                commands.push(Command::Copy(log.lines().join("\n")));
            }
            if total > 400 {
                ui.label(RichText::new(format!("last 400 of {total} lines")).weak());
            }
        });
        egui::ScrollArea::vertical()
            .id_salt("server_log")
            .max_height(220.0)
            .stick_to_bottom(true)
            .show(ui, |ui| {
                ui.add(
                    egui::Label::new(RichText::new(text).monospace().size(11.0)).selectable(true),
                );
            });
    }
}
