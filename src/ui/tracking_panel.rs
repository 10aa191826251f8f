//! The "Open from tracking server" window: the server's URL, a model URI to open, and the
//! registry to browse (registered models, their versions with aliases, stage and source run).

use egui::RichText;

use super::command::Command;
use super::widgets::error_color;
use crate::source::{ModelVersion, RegisteredModel};

/// Runtime state of the window (the server URL itself is saved in the settings).
#[derive(Debug, Default)]
pub struct TrackingState {
    /// Whether the window is open.
    pub open: bool,
    /// The URI being typed.
    pub uri_text: String,
    /// The registered models, once listed.
    pub models: Option<Result<Vec<RegisteredModel>, String>>,
    /// Versions listed so far, by model name.
    pub versions: Vec<(String, Result<Vec<ModelVersion>, String>)>,
}

/// Draws the window.
pub fn tracking_ui(
    ctx: &egui::Context,
    state: &mut TrackingState,
    tracking_uri: &mut String,
    browsing: bool,
    opening: bool,
    comparing: bool,
    commands: &mut Vec<Command>,
) {
    let mut open = state.open;
    egui::Window::new("Open from tracking server")
        .open(&mut open)
        .default_width(620.0)
        .default_height(520.0)
        .collapsible(false)
        .show(ctx, |ui| {
            ui.horizontal(|ui| {
                let label = ui.label("Tracking server:");
                let from_env = std::env::var(crate::source::tracking::TRACKING_URI_VAR).ok();
                // The hint reads as a hint, not as a value already there.
                let hint = from_env
                    .as_ref()
                    .map(|v| format!("from MLFLOW_TRACKING_URI: {v}"))
                    .unwrap_or_else(|| "its URL, e.g. http://127.0.0.1:5000".into());
                ui.add(
                    egui::TextEdit::singleline(tracking_uri)
                        .hint_text(RichText::new(hint).italics())
                        .desired_width(360.0),
                )
                .labelled_by(label.id);
                let missing = server_missing(tracking_uri, from_env.as_deref());
                if ui
                    .add_enabled(!browsing && missing.is_none(), egui::Button::new("Browse"))
                    .on_disabled_hover_text(missing.unwrap_or("Listing the registry…"))
                    .clicked()
                {
                    commands.push(Command::BrowseModels);
                }
            });
            let from_env = std::env::var(crate::source::tracking::TRACKING_URI_VAR).ok();
            let missing = server_missing(tracking_uri, from_env.as_deref());
            if let Some(reason) = missing {
                ui.label(RichText::new(reason).weak());
            }
            ui.label(
                RichText::new("Credentials come from MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD.")
                    .weak(),
            );
            ui.add_space(6.0);
            ui.horizontal(|ui| {
                let label = ui.label("Model URI:");
                let response = ui
                    .add(
                        egui::TextEdit::singleline(&mut state.uri_text)
                            .hint_text("models:/NAME/VERSION, models:/NAME@ALIAS, models:/NAME/latest, models:/m-…, runs:/RUN/PATH")
                            .desired_width(420.0),
                    )
                    .labelled_by(label.id);
                let enter = response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                let valid = crate::source::ModelUri::parse(&state.uri_text).is_ok_and(|u| u.is_remote());
                let valid = valid && missing.is_none();
                if (ui.add_enabled(valid && !opening, egui::Button::new("Open")).clicked() || (enter && valid))
                    && !opening
                {
                    commands.push(Command::Open(state.uri_text.trim().into()));
                }
                if !state.uri_text.trim().is_empty() {
                    match crate::source::ModelUri::parse(&state.uri_text) {
                        Err(e) => {
                            ui.colored_label(error_color(ui), "✖").on_hover_text(e.to_string());
                        }
                        Ok(u) if !u.is_remote() => {
                            ui.label("✖").on_hover_text("Not a models:/, runs:/ or mlflow-artifacts:/ URI");
                        }
                        Ok(_) => {}
                    }
                }
            });
            if opening {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Fetching MLmodel and the small files…");
                });
            }
            ui.separator();
            ui.horizontal(|ui| {
                ui.heading("Registered models");
                if browsing {
                    ui.spinner();
                }
            });
            egui::ScrollArea::vertical().auto_shrink(false).show(ui, |ui| match &state.models {
                None => {
                    ui.label(RichText::new("Press Browse to list the registry.").weak());
                }
                Some(Err(e)) => {
                    ui.colored_label(error_color(ui), e);
                }
                Some(Ok(models)) if models.is_empty() => {
                    ui.label("The registry is empty.");
                }
                Some(Ok(models)) => {
                    for m in models {
                        let aliases: Vec<String> = m.aliases.iter().map(|(a, v)| format!("@{a} = v{v}")).collect();
                        let title = if aliases.is_empty() {
                            m.name.clone()
                        } else {
                            format!("{}   {}", m.name, aliases.join("  "))
                        };
                        let header = egui::CollapsingHeader::new(title).id_salt(("registered", &m.name)).show(ui, |ui| {
                            if !m.description.is_empty() {
                                ui.label(RichText::new(&m.description).weak());
                            }
                            match state.versions.iter().find(|(n, _)| *n == m.name).map(|(_, v)| v) {
                                None => {
                                    ui.spinner();
                                }
                                Some(Err(e)) => {
                                    ui.colored_label(error_color(ui), e);
                                }
                                Some(Ok(versions)) => versions_ui(ui, &m.name, versions, opening, comparing, commands),
                            }
                        });
                        if header.fully_open()
                            && !state.versions.iter().any(|(n, _)| *n == m.name)
                            && !browsing
                        {
                            // First opened: list its versions (once).
                            commands.push(Command::BrowseVersions(m.name.clone()));
                        }
                    }
                }
            });
        });
    if !open {
        commands.push(Command::ShowTracking(false));
    }
}

fn versions_ui(
    ui: &mut egui::Ui,
    name: &str,
    versions: &[ModelVersion],
    opening: bool,
    comparing: bool,
    commands: &mut Vec<Command>,
) {
    egui::Grid::new(("versions", name))
        .striped(true)
        .num_columns(6)
        .show(ui, |ui| {
            for h in ["Version", "Aliases", "Stage", "Source run", "", ""] {
                ui.label(RichText::new(h).strong());
            }
            ui.end_row();
            for v in versions {
                ui.label(&v.version);
                ui.label(
                    v.aliases
                        .iter()
                        .map(|a| format!("@{a}"))
                        .collect::<Vec<_>>()
                        .join(" "),
                );
                ui.label(v.stage.as_deref().unwrap_or("—"));
                ui.label(v.run_id.as_deref().unwrap_or("—"))
                    .on_hover_text(&v.source);
                let ready = v.status.is_empty() || v.status == "READY";
                if ui
                    .add_enabled(ready && !opening, egui::Button::new("Open").small())
                    .on_hover_text(v.uri(name))
                    .on_disabled_hover_text(format!("status {}", v.status))
                    .clicked()
                {
                    commands.push(Command::Open(v.uri(name).into()));
                }
                if comparing
                    && ui
                        .add_enabled(ready && !opening, egui::Button::new("Compare").small())
                        .on_hover_text(format!("Compare {} with the open model", v.uri(name)))
                        .clicked()
                {
                    commands.push(Command::CompareOpen(v.uri(name).into()));
                }
                ui.end_row();
            }
        });
}

/// Why the registry cannot be asked yet: no tracking server typed and none in the
/// environment.
fn server_missing(typed: &str, from_env: Option<&str>) -> Option<&'static str> {
    (typed.trim().is_empty() && from_env.is_none_or(|v| v.trim().is_empty()))
        .then_some("Type the tracking server's URL first (e.g. http://127.0.0.1:5000).")
}
