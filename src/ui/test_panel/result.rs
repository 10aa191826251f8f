//! Data files (.npy, CSV), the inference params, and the built request: what the model gets, MLflow's verdict, and the body with its copy and save actions.

use super::*;

pub(super) fn data_files_ui(
    ui: &mut Ui,
    card: &ModelCard,
    state: &mut TestState,
    commands: &mut Vec<Command>,
) {
    let names = card.input_names();
    let tensor = card
        .signature
        .valid()
        .and_then(|s| s.inputs.as_ref())
        .is_some_and(|s| s.is_tensor());
    ui.label(if tensor {
        "A .npy file per tensor (numpy's np.save): dtype and shape are checked against the signature."
    } else {
        "A CSV file with a header row naming the columns."
    });
    ui.horizontal_wrapped(|ui| {
        if ui.button("Choose files…").clicked() {
            commands.push(Command::PickDataFiles);
        }
        if !state.data_files.is_empty() && ui.button("Clear").clicked() {
            state.data_files.clear();
        }
        ui.label(RichText::new("or drop .npy or .csv files on the window").weak());
    });
    let named = tensor && !names.is_empty();
    for (i, (name, path)) in state.data_files.iter_mut().enumerate() {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(path.display().to_string()).monospace());
            if named {
                let selected = name.clone().unwrap_or_else(|| "choose a tensor".into());
                egui::ComboBox::from_id_salt(("npy_name", i))
                    .selected_text(selected)
                    .show_ui(ui, |ui| {
                        for n in &names {
                            ui.selectable_value(name, Some(n.clone()), n);
                        }
                    });
            }
        });
    }
}

pub(super) fn params_ui(ui: &mut Ui, card: &ModelCard, state: &mut TestState) {
    section_ui(ui, "Params");
    let specs = card
        .signature
        .valid()
        .and_then(|s| s.params.clone())
        .unwrap_or_default();
    // A line per param (wrapping whole widgets when the half is narrow): its field as wide as
    // its value or its default needs, so a value is never cut.
    for (name, text) in &mut state.params {
        let Some(spec) = specs.iter().find(|p| &p.name == name) else {
            continue;
        };
        let ty = match (&spec.ty, &spec.shape) {
            (ParamType::Scalar(dt), Some(_)) => format!("list of {}", dt.name()),
            (ty, _) => ty.label(),
        };
        let default = spec.default.to_string();
        let chars = text.chars().count().max(default.chars().count()).max(8);
        let width = (chars as f32 * 8.0 + 16.0)
            .clamp(80.0, 420.0)
            .min(ui.available_width());
        ui.horizontal_wrapped(|ui| {
            let label = ui.label(RichText::new(name.as_str()).strong());
            ui.add(
                egui::TextEdit::singleline(text)
                    .desired_width(width)
                    .min_size(egui::vec2(width, 0.0))
                    .code_editor(),
            )
            .labelled_by(label.id);
            ui.label(RichText::new(ty).weak());
            if ui
                .small_button("Reset")
                .on_hover_text(format!("default {default}"))
                .clicked()
            {
                *text = default.clone();
            }
        });
    }
}

pub(super) fn result_ui(
    ui: &mut Ui,
    card: &ModelCard,
    texture: Option<&egui::TextureHandle>,
    prepared: &Prepared,
    commands: &mut Vec<Command>,
) {
    if let Some(summary) = &prepared.tensor_summary {
        section_ui(ui, "What the model gets");
        ui.label(RichText::new(summary).monospace());
        if let Some(texture) = texture {
            let size = texture.size_vec2();
            let scale = (256.0 / size.x.max(size.y)).min(1.0);
            ui.image((texture.id(), size * scale));
        }
    }
    section_ui(ui, "Check with MLflow's rules");
    if prepared.verdict.is_ok() {
        ui.colored_label(
            ok_color(ui),
            "✔ MLflow's scoring server accepts this request.",
        );
    }
    for problem in &prepared.verdict.problems {
        // MLflow's answer in its own words, then our hint.
        let code = problem
            .code
            .map(|c| c.as_str().to_string())
            .unwrap_or_else(|| format!("HTTP {}", problem.status));
        ui.add(
            egui::Label::new(
                RichText::new(format!("✖ {}: {} ({code})", problem.input, problem.message))
                    .color(error_color(ui)),
            )
            .wrap(),
        );
        if let Some(hint) = &problem.hint {
            ui.add(egui::Label::new(format!("Hint: {hint}")).wrap());
        }
    }
    for note in &prepared.verdict.notes {
        ui.colored_label(warn_color(ui), format!("⚠ {note}"));
    }
    section_ui(ui, "Request body");
    ui.horizontal_wrapped(|ui| {
        let url = "http://127.0.0.1:5000/invocations";
        let model = card.root.display().to_string();
        if ui.button("Copy body").clicked() {
            commands.push(Command::CopyRequest(request::BodyFormat::Mlflow));
        }
        if ui
            .button("Copy as curl")
            .on_hover_text("Reads the body from request.json")
            .clicked()
        {
            commands.push(Command::Copy(request::curl_command(url, "request.json")));
        }
        if ui.button("Copy as Python (requests)").clicked() {
            commands.push(Command::Copy(request::python_requests(url, "request.json")));
        }
        if ui.button("Copy as Python (mlflow)").clicked() {
            commands.push(Command::Copy(request::python_mlflow_predict(
                &model,
                "request.json",
            )));
        }
        if ui.button("Copy as mlflow models predict").clicked() {
            commands.push(Command::Copy(request::mlflow_cli_predict(
                &model,
                "request.json",
            )));
        }
        if ui.button("Save as…").clicked() {
            commands.push(Command::SaveRequest);
        }
        if ui
            .button("Copy Azure ML body")
            .on_hover_text("The same request for Azure ML's /score: {\"input_data\": ...}")
            .clicked()
        {
            commands.push(Command::CopyRequest(request::BodyFormat::AzureMl));
        }
    });
    ui.label(
        RichText::new(format!(
            "{}; long arrays are shortened here, never in what is copied or saved.",
            crate::text::count(prepared.bytes, "byte", "bytes")
        ))
        .weak(),
    );
    code_block_ui(ui, "request_view", &prepared.view, 360.0);
}
