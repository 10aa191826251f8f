//! Image files as input: the choice of files (chosen, dropped or pasted) with thumbnails, and how they become the tensor (colour, free size, resize, scaling).

use super::*;

/// How many chosen images get a thumbnail (the rest are listed by name).
pub const MAX_THUMBNAILS: usize = 32;

pub(super) fn images_ui(
    ui: &mut Ui,
    card: &ModelCard,
    state: &mut TestState,
    commands: &mut Vec<Command>,
) {
    let images = image_inputs(card);
    let Some((name, target)) = images.first() else {
        return;
    };
    ui.label(format!(
        "Tensor {}: {} {} — {}, {}; the -1 batch axis is filled by the number of images.",
        name.as_deref().unwrap_or("(unnamed)"),
        target.dtype,
        card.signature
            .valid()
            .and_then(|s| s.inputs.as_ref())
            .and_then(|s| s.specs.first())
            .map(|s| s
                .type_label()
                .split(' ')
                .skip(1)
                .collect::<Vec<_>>()
                .join(" "))
            .unwrap_or_default(),
        crate::text::count(target.channels as usize, "channel", "channels"),
        match target.layout {
            crate::input::image::Layout::Hwc => "HWC",
            crate::input::image::Layout::Chw => "CHW",
        }
    ));
    ui.horizontal_wrapped(|ui| {
        if ui.button("Choose images…").clicked() {
            commands.push(Command::PickImages);
        }
        if !state.images.is_empty() && ui.button("Clear").clicked() {
            state.images.clear();
            state.thumbnails.clear();
        }
        ui.label(
            RichText::new("or drop image files on the window, or paste a picture (Ctrl+V)").weak(),
        );
    });
    if let Some(e) = &state.paste_error {
        ui.add(egui::Label::new(RichText::new(e).color(error_color(ui))).wrap());
    }
    if state.images.len() > 1 {
        ui.label(format!(
            "{} images, one per batch item:",
            state.images.len()
        ));
    }
    // A long batch scrolls in its own box, so the controls below stay in sight.
    // Each image with its thumbnail and size the moment it is chosen (decoded on a worker);
    // a file that is not an image says so here, before any request is built.
    egui::ScrollArea::vertical()
        .id_salt("image_list")
        .max_height(180.0)
        .show(ui, |ui| {
            for (index, path) in state.images.iter().enumerate() {
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| path.display().to_string());
                let thumb = state
                    .thumbnails
                    .iter()
                    .find(|(p, _)| p == path)
                    .map(|(_, t)| t);
                ui.horizontal(|ui| {
                    match thumb {
                        Some(Ok((texture, _))) => {
                            let size = texture.size_vec2();
                            let scale = (48.0 / size.y.max(1.0)).min(1.0);
                            ui.image((texture.id(), size * scale));
                        }
                        None if index < MAX_THUMBNAILS => {
                            ui.spinner();
                        }
                        _ => {}
                    }
                    ui.vertical(|ui| {
                        ui.label(RichText::new(name).monospace())
                            .on_hover_text(path.display().to_string());
                        match thumb {
                            Some(Ok((_, (w, h)))) => {
                                ui.label(RichText::new(format!("{w} × {h} pixels")).weak());
                            }
                            Some(Err(e)) => {
                                ui.add(
                                    egui::Label::new(RichText::new(e).color(error_color(ui)))
                                        .wrap(),
                                );
                            }
                            None => {}
                        }
                    });
                });
            }
        });
    if target.channels >= 3 {
        use crate::input::image::ColorMode;
        let default = ColorMode::for_channels(target.channels);
        ui.horizontal_wrapped(|ui| {
            ui.label("Colour:");
            let mut choice = state.image.color.unwrap_or(default);
            ui.selectable_value(&mut choice, default, format!("{default:?} (as the tensor)"));
            ui.selectable_value(
                &mut choice,
                ColorMode::Grayscale,
                "Grayscale in every channel",
            );
            state.image.color = (choice != default).then_some(choice);
        });
    }
    if target.height.is_none() || target.width.is_none() {
        ui.horizontal_wrapped(|ui| {
            ui.label("The signature leaves the image size free (-1): resize to");
            let (w, h) = &mut state.image.free_size;
            let width = ui.label("width");
            ui.add(egui::DragValue::new(w).range(1..=8192))
                .labelled_by(width.id);
            let height = ui.label("height");
            ui.add(egui::DragValue::new(h).range(1..=8192))
                .labelled_by(height.id);
        });
    }
    ui.horizontal_wrapped(|ui| {
        ui.label("Resize:");
        ui.selectable_value(&mut state.image.resize, ResizeKind::Stretch, "Stretch");
        ui.selectable_value(&mut state.image.resize, ResizeKind::Crop, "Centre-crop");
        ui.selectable_value(&mut state.image.resize, ResizeKind::Letterbox, "Letterbox");
        if state.image.resize == ResizeKind::Letterbox {
            let label = ui.label("padding");
            ui.color_edit_button_srgba_unmultiplied(&mut state.image.pad)
                .labelled_by(label.id);
        }
    });
    if target.dtype.starts_with("float") {
        ui.horizontal_wrapped(|ui| {
            ui.label("Values:");
            ui.selectable_value(&mut state.image.scaling, ScalingKind::Raw, "0–255");
            ui.selectable_value(&mut state.image.scaling, ScalingKind::Unit, "0–1");
            ui.selectable_value(&mut state.image.scaling, ScalingKind::MeanStd, "mean/std");
        });
        if state.image.scaling == ScalingKind::MeanStd {
            ui.horizontal_wrapped(|ui| {
                ui.label("(x/255 − mean) / std per channel:");
                for (c, channel) in ["R", "G", "B"].iter().enumerate() {
                    let mean = ui.label(format!("{channel} mean"));
                    ui.add(
                        egui::DragValue::new(&mut state.image.mean_std.0[c])
                            .speed(0.001)
                            .range(0.0..=1.0),
                    )
                    .labelled_by(mean.id);
                    let std = ui.label("std");
                    ui.add(
                        egui::DragValue::new(&mut state.image.mean_std.1[c])
                            .speed(0.001)
                            .range(0.001..=10.0),
                    )
                    .labelled_by(std.id);
                }
                if ui.button("ImageNet").clicked() {
                    state.image.mean_std = IMAGENET_MEAN_STD;
                }
            });
        }
    } else {
        ui.label(RichText::new(format!("{} keeps pixel values 0–255.", target.dtype)).weak());
    }
}
