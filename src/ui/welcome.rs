//! The welcome screen: open a folder, drop one, or pick a recent model.

use std::path::PathBuf;

use egui::{RichText, Ui};

use super::command::Command;

/// Draws the welcome screen.
pub fn welcome_ui(
    ui: &mut Ui,
    recent: &[PathBuf],
    example: Option<&crate::source::BundledExample>,
    commands: &mut Vec<Command>,
) {
    ui.vertical_centered(|ui| {
        ui.add_space(40.0);
        ui.label(RichText::new("MLmodel Inspector").size(30.0).strong());
        ui.add_space(4.0);
        ui.label("Open an MLflow model folder to see its flavors, signature, environment, input example and files.");
        ui.add_space(20.0);
        if ui
            .add(egui::Button::new(RichText::new("Open model folder…").size(18.0)).min_size([260.0, 40.0].into()))
            .on_hover_text("Ctrl+O")
            .clicked()
        {
            commands.push(Command::PickFolder);
        }
        ui.add_space(6.0);
        if ui
            .add(egui::Button::new("Open from tracking server…").min_size([260.0, 28.0].into()))
            .on_hover_text("models:/NAME/VERSION, models:/NAME@ALIAS, runs:/RUN/PATH, or browse the registry")
            .clicked()
        {
            commands.push(Command::ShowTracking(true));
        }
        if let Some(example) = example {
            ui.add_space(6.0);
            let what = if example.image.is_some() {
                "An image classifier (ONNX) with a photo to predict on, no Python needed"
            } else {
                "An image classifier (ONNX), no Python needed"
            };
            if ui
                .add(egui::Button::new("Try the bundled example").min_size([260.0, 28.0].into()))
                .on_hover_text(format!("{what}: {}", example.model.display()))
                .clicked()
            {
                commands.push(Command::TryExample(example.clone()));
            }
        }
        ui.add_space(16.0);
        let width = ui.available_width().min(520.0);
        egui::Frame::new()
            .stroke(egui::Stroke::new(1.5, ui.visuals().weak_text_color()))
            .corner_radius(10.0)
            .inner_margin(24.0)
            .show(ui, |ui| {
                ui.set_width(width);
                ui.vertical_centered(|ui| {
                    ui.label(RichText::new("Drop a model folder or its MLmodel file here").size(16.0));
                    ui.label(RichText::new("A run's folder works too: the model one level down is found.").weak());
                });
            });
        ui.add_space(24.0);
        if !recent.is_empty() {
            ui.label(RichText::new("Recent models").heading());
            ui.add_space(4.0);
            for (i, path) in recent.iter().enumerate() {
                let name = crate::model::folder_label(path);
                let response = ui
                    .add(egui::Button::new(format!("{name}  —  {}", path.display())).frame(false))
                    .on_hover_text(format!("Ctrl+{}", i + 1));
                if response.clicked() {
                    commands.push(Command::Open(path.clone()));
                }
            }
        }
    });
}
