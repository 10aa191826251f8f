//! The Artifacts tab: the folder's files as a tree with sizes and kinds, and a text preview of
//! the selected file (read on a worker, small text files only).

use egui::{RichText, Ui};

use super::app::{PREVIEW_CAP, PanelState};
use super::command::Command;
use super::widgets::{code_block_ui, error_color};
use crate::model::ModelCard;
use crate::model::artifacts::{Artifact, ArtifactKind};
use crate::model::fsutil::human_size;

/// The rows shown: entries whose folders are all expanded.
pub fn visible_rows<'a>(entries: &'a [Artifact], panels: &PanelState) -> Vec<&'a Artifact> {
    let mut out = Vec::new();
    let mut collapsed: Option<String> = None;
    for entry in entries {
        if let Some(prefix) = &collapsed {
            if entry.path.starts_with(prefix.as_str()) {
                continue;
            }
            collapsed = None;
        }
        out.push(entry);
        if entry.is_dir && !panels.expanded.contains(&entry.path) {
            collapsed = Some(format!("{}/", entry.path));
        }
    }
    out
}

/// Draws the Artifacts tab.
pub fn artifacts_ui(
    ui: &mut Ui,
    card: &ModelCard,
    panels: &mut PanelState,
    commands: &mut Vec<Command>,
) {
    let artifacts = &card.artifacts;
    if !panels.tree_initialized {
        panels.tree_initialized = true;
        if artifacts.entries.len() <= 300 {
            panels.expanded = artifacts
                .entries
                .iter()
                .filter(|e| e.is_dir)
                .map(|e| e.path.clone())
                .collect();
        }
    }
    ui.label(format!(
        "{} entries, {} in all{}",
        artifacts.entries.len(),
        human_size(artifacts.total_size),
        if artifacts.truncated {
            " (listing stopped: too many files)"
        } else {
            ""
        }
    ));
    let rows = visible_rows(&artifacts.entries, panels);
    let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
    let preview_width = (ui.available_width() * 0.45).max(240.0);
    egui::Panel::right("artifact_preview")
        .resizable(true)
        .default_size(preview_width)
        .show(ui, |ui| preview_ui(ui, card, panels));
    egui::ScrollArea::vertical()
        .id_salt("artifact_rows")
        .auto_shrink(false)
        .show_rows(ui, row_height, rows.len(), |ui, range| {
            for entry in rows.get(range).unwrap_or_default() {
                let depth = entry.path.matches('/').count();
                let name = entry.path.rsplit('/').next().unwrap_or(&entry.path);
                ui.horizontal(|ui| {
                    ui.add_space(depth as f32 * 16.0);
                    if entry.is_dir {
                        let open = panels.expanded.contains(&entry.path);
                        let icon = if open { "▾" } else { "▸" };
                        if ui
                            .add(egui::Button::new(format!("{icon} {name}/")).frame(false))
                            .clicked()
                        {
                            if open {
                                panels.expanded.remove(&entry.path);
                            } else {
                                panels.expanded.insert(entry.path.clone());
                            }
                        }
                    } else {
                        let mut text = RichText::new(name);
                        if entry.kind == ArtifactKind::MlModel {
                            text = RichText::new(format!("★ {name}")).strong();
                        }
                        if let Some(target) = &entry.link_target {
                            text =
                                RichText::new(format!("{name}, a link to {target} (not followed)"));
                        }
                        let selected = panels.selected.as_deref() == Some(entry.path.as_str());
                        if ui.selectable_label(selected, text).clicked() {
                            commands.push(Command::Preview(entry.path.clone()));
                        }
                    }
                    ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                        ui.label(RichText::new(entry.kind.label()).weak());
                        ui.label(RichText::new(human_size(entry.size)).monospace());
                    });
                });
            }
        });
}

fn preview_ui(ui: &mut Ui, card: &ModelCard, panels: &PanelState) {
    let Some(selected) = &panels.selected else {
        ui.label(RichText::new("Select a file to preview it (text files up to 256 KB).").weak());
        return;
    };
    ui.label(RichText::new(selected).strong().monospace());
    let entry = card.artifacts.entries.iter().find(|e| &e.path == selected);
    if let Some(entry) = entry
        && entry.size > PREVIEW_CAP
    {
        ui.label(format!(
            "{} is {}: too large to preview here; it is not read.",
            selected,
            human_size(entry.size)
        ));
        return;
    }
    match &panels.preview {
        Some((rel, Ok(text))) if rel == selected => {
            code_block_ui(ui, ("preview", rel), text, f32::INFINITY)
        }
        Some((rel, Err(e))) if rel == selected => {
            ui.colored_label(error_color(ui), e);
        }
        _ => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Reading…");
            });
        }
    }
}
