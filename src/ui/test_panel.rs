//! The Test tab: build the request from images, the input example or JSON; see what the model
//! will get (tensor shape, dtype, value range, the image as the model sees it); check it with
//! MLflow's rules; copy it as curl, Python or an `mlflow models predict` command, or save it.
//! Sending it and reading the answer is the predict half beside it (`predict_panel`).

use std::path::PathBuf;

use egui::{RichText, Ui};

use super::command::Command;
use super::widgets::{code_block_ui, error_color, ok_color, section_ui, warn_color};
use crate::input::build::{InputSource, Prepared, image_inputs};
use crate::input::image::ImageOptions;
use crate::input::request;
use crate::model::ModelCard;
use crate::model::signature::ParamType;
use crate::session::{ResizeKind, ScalingKind};

/// A thumbnail on the GPU and the full picture's size in pixels.
pub type ThumbnailTexture = (egui::TextureHandle, (u32, u32));

/// ImageNet's per-channel mean and std, the preset.
pub use crate::session::IMAGENET_MEAN_STD;

/// Where the request comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SourceKind {
    /// Image files for an image-shaped tensor.
    #[default]
    Images,
    /// The saved input example.
    Example,
    /// JSON typed or pasted.
    Json,
    /// `.npy` files for tensors, or a CSV file for columns.
    DataFiles,
    /// Every tensor filled with zeros, ones or random values.
    Fill,
    /// A grid with one column per column of the signature.
    Grid,
}

/// The Test tab's state for one model.
#[derive(Default)]
pub struct TestState {
    /// Whether defaults were set from the model.
    pub initialized: bool,
    /// Where the request comes from.
    pub source: SourceKind,
    /// Image files, one per batch item.
    pub images: Vec<PathBuf>,
    /// Thumbnails of the first images (shown the moment they are chosen): the picture and its
    /// size in pixels, or why the file is not an image.
    pub thumbnails: Vec<(PathBuf, Result<ThumbnailTexture, String>)>,
    /// Why the last pasted image could not be used.
    pub paste_error: Option<String>,
    /// `.npy` files (with the tensor name each fills, if named) or one CSV file.
    pub data_files: Vec<(Option<String>, PathBuf)>,
    /// How image files become the tensor (resize, padding, scaling, colour, free size): the
    /// command line's options, one to one.
    pub image: crate::session::ImageSpec,
    /// The grid's rows of text cells, one per column of the signature.
    pub grid: Vec<Vec<String>>,
    /// Fill: 0 zeros, 1 ones, 2 random.
    pub fill_kind: u8,
    /// Fill: the random range.
    pub fill_range: (f64, f64),
    /// Fill: the batch size and the size of other free dimensions.
    pub fill_sizes: (usize, usize),
    /// The JSON editor's text.
    pub json_text: String,
    /// One JSON text per param, by name.
    pub params: Vec<(String, String)>,
    /// The last prepared request.
    pub prepared: Option<Prepared>,
    /// Why the last request could not be built.
    pub error: Option<String>,
    /// The image as the model sees it, uploaded.
    pub preview_texture: Option<egui::TextureHandle>,
    /// A message about the last save.
    pub saved: Option<Result<PathBuf, String>>,
    /// Progress of the build under way.
    pub progress: Option<std::sync::Arc<crate::input::build::Progress>>,
}

impl TestState {
    /// The source, params and image options to build the request from.
    pub fn request_inputs(
        &self,
        card: &ModelCard,
    ) -> (
        InputSource,
        Option<serde_json::Map<String, serde_json::Value>>,
        Option<ImageOptions>,
    ) {
        let source = match self.source {
            SourceKind::Images => InputSource::Images(self.images.clone()),
            SourceKind::Example => InputSource::Example,
            SourceKind::Json => InputSource::JsonText(self.json_text.clone()),
            SourceKind::Grid => InputSource::Grid {
                columns: grid_columns(card)
                    .into_iter()
                    .map(|(name, _, _)| name)
                    .collect(),
                rows: self.grid.clone(),
            },
            SourceKind::Fill => InputSource::Fill {
                kind: match self.fill_kind {
                    0 => crate::input::build::FillKind::Zeros,
                    1 => crate::input::build::FillKind::Ones,
                    _ => crate::input::build::FillKind::Random {
                        low: self.fill_range.0,
                        high: self.fill_range.1,
                    },
                },
                batch: self.fill_sizes.0,
                free: self.fill_sizes.1,
            },
            SourceKind::DataFiles => match self.data_files.as_slice() {
                [(_, path)]
                    if path
                        .extension()
                        .is_some_and(|e| e.eq_ignore_ascii_case("csv")) =>
                {
                    InputSource::Csv(path.clone())
                }
                files => InputSource::Npy(files.to_vec()),
            },
        };
        let params: serde_json::Map<String, serde_json::Value> = self
            .params
            .iter()
            .map(|(name, text)| {
                let value = serde_json::from_str(text)
                    .unwrap_or_else(|_| serde_json::Value::String(text.clone()));
                (name.clone(), value)
            })
            .collect();
        let options = self.image.options_for(card);
        let params = (self.source != SourceKind::Json && !params.is_empty()).then_some(params);
        (source, params, options)
    }

    /// Why no request can be built yet (nothing chosen for the source), for Predict's tooltip.
    pub fn missing_input(&self) -> Option<&'static str> {
        match self.source {
            SourceKind::Images if self.images.is_empty() => {
                Some("Choose an image first: Choose images…, paste one, or drop it on the window")
            }
            SourceKind::DataFiles if self.data_files.is_empty() => {
                Some("Choose a .npy or CSV file first")
            }
            SourceKind::Json if self.json_text.trim().is_empty() => {
                Some("Type or paste a request body first")
            }
            _ => None,
        }
    }

    fn init(&mut self, card: &ModelCard) {
        self.initialized = true;
        self.image = crate::session::ImageSpec::default();
        self.fill_range = (0.0, 1.0);
        self.fill_sizes = (1, 1);
        let columns = grid_columns(card);
        self.grid = vec![vec![String::new(); columns.len()]];
        // The table starts from the example: frame rows, or JSON objects keyed by column.
        use crate::model::example::ExampleData;
        let by_name = |obj: &serde_json::Map<String, serde_json::Value>| -> Vec<String> {
            columns
                .iter()
                .map(|(name, _, _)| {
                    obj.get(name)
                        .map(crate::input::build::cell_text)
                        .unwrap_or_default()
                })
                .collect()
        };
        match card.input_example.as_ref().map(|e| e.data.as_ref()) {
            Some(Ok(ExampleData::Dataframe { rows, .. })) => {
                self.grid = rows
                    .iter()
                    .map(|r| {
                        (0..columns.len())
                            .map(|c| {
                                r.get(c)
                                    .map(crate::input::build::cell_text)
                                    .unwrap_or_default()
                            })
                            .collect()
                    })
                    .collect();
            }
            Some(Ok(ExampleData::Json(serde_json::Value::Object(obj)))) => {
                self.grid = vec![by_name(obj)];
            }
            Some(Ok(ExampleData::Json(serde_json::Value::Array(items))))
                if !items.is_empty() && items.iter().all(serde_json::Value::is_object) =>
            {
                self.grid = items
                    .iter()
                    .filter_map(|v| v.as_object())
                    .map(by_name)
                    .collect();
            }
            // A list of values for a one-column signature (a `list[str]` type hint's example).
            Some(Ok(ExampleData::Json(serde_json::Value::Array(items))))
                if columns.len() == 1
                    && !items.is_empty()
                    && items.iter().all(|v| !v.is_object() && !v.is_array()) =>
            {
                self.grid = items
                    .iter()
                    .map(|v| vec![crate::input::build::cell_text(v)])
                    .collect();
            }
            _ => {}
        }
        self.source = if !image_inputs(card).is_empty() {
            SourceKind::Images
        } else if !columns.is_empty() {
            SourceKind::Grid
        } else if card.input_example.is_some() {
            SourceKind::Example
        } else {
            SourceKind::Json
        };
        if let Some(params) = card.signature.valid().and_then(|s| s.params.as_ref()) {
            self.params = params
                .iter()
                .map(|p| (p.name.clone(), p.default.to_string()))
                .collect();
        }
        if self.json_text.is_empty() {
            self.json_text = "{\n  \"inputs\": []\n}".into();
        }
    }
}

/// Draws the Test tab.
pub fn test_ui(
    ui: &mut Ui,
    card: &ModelCard,
    state: &mut TestState,
    busy: bool,
    commands: &mut Vec<Command>,
) {
    if !state.initialized {
        state.init(card);
    }
    // Vertical only: rows wrap to the half's width, and the few wide things (the table, the
    // request body) scroll sideways in their own areas (a scroll area nested in one that also
    // scrolls sideways would not take clicks).
    egui::ScrollArea::vertical().auto_shrink(false).show(ui, |ui| {
        ui.set_max_width(ui.available_width());
        section_ui(ui, "Input");
        let images = image_inputs(card);
        ui.horizontal_wrapped(|ui| {
            ui.label("From:");
            // Each choice is one widget (not a nested Ui), so a row that runs out of room
            // moves whole choices to the next line instead of squeezing one letter a line.
            let mut choice = |ui: &mut Ui, enabled: bool, kind: SourceKind, text: &str, why: &str| {
                let response = ui.add_enabled(enabled, egui::Button::selectable(state.source == kind, text));
                if response.clicked() {
                    state.source = kind;
                }
                if !why.is_empty() {
                    response.on_disabled_hover_text(why);
                }
            };
            choice(ui, !images.is_empty(), SourceKind::Images, "Image files", "The signature has no image-shaped tensor input.");
            choice(ui, card.input_example.is_some(), SourceKind::Example, "Input example", "The model has no input example.");
            if !grid_columns(card).is_empty() {
                choice(ui, true, SourceKind::Grid, "Table", "");
            }
            choice(ui, true, SourceKind::DataFiles, ".npy / CSV", "");
            let tensors = card.signature.valid().and_then(|s| s.inputs.as_ref()).is_some_and(|s| s.is_tensor());
            choice(ui, tensors, SourceKind::Fill, "Fill", "Only tensor inputs can be filled.");
            choice(ui, true, SourceKind::Json, "JSON", "");
        });
        match state.source {
            SourceKind::Images => images_ui(ui, card, state, commands),
            SourceKind::Example => {
                ui.label("The model's saved input example (MLflow's serving_input_example.json when it wrote one).");
            }
            SourceKind::DataFiles => data_files_ui(ui, card, state, commands),
            SourceKind::Grid => grid_ui(ui, card, state, commands),
            SourceKind::Fill => {
                ui.horizontal_wrapped(|ui| {
                    ui.label("Every tensor input filled with");
                    ui.selectable_value(&mut state.fill_kind, 0, "zeros");
                    ui.selectable_value(&mut state.fill_kind, 1, "ones");
                    ui.selectable_value(&mut state.fill_kind, 2, "random values");
                    if state.fill_kind == 2 {
                        let low = ui.label("from");
                        ui.add(egui::DragValue::new(&mut state.fill_range.0).speed(0.1)).labelled_by(low.id);
                        let high = ui.label("to");
                        ui.add(egui::DragValue::new(&mut state.fill_range.1).speed(0.1)).labelled_by(high.id);
                    }
                });
                ui.horizontal_wrapped(|ui| {
                    let batch = ui.label("Batch size");
                    ui.add(egui::DragValue::new(&mut state.fill_sizes.0).range(1..=4096)).labelled_by(batch.id);
                    let free = ui.label("other free (-1) dimensions");
                    ui.add(egui::DragValue::new(&mut state.fill_sizes.1).range(1..=4096)).labelled_by(free.id);
                });
            }
            SourceKind::Json => {
                ui.horizontal_wrapped(|ui| {
                    ui.label("A request body for /invocations: {\"inputs\": ...}, {\"dataframe_split\": ...}, and \"params\".");
                    if card.input_example.is_some() && ui.button("Load input example").clicked() {
                        commands.push(Command::LoadExample);
                    }
                });
                let label = ui.label("Request JSON:");
                egui::ScrollArea::vertical()
                    .id_salt("json_editor")
                    .max_height(320.0)
                    .show(ui, |ui| {
                        ui.add(
                            egui::TextEdit::multiline(&mut state.json_text)
                                .code_editor()
                                .desired_rows(10)
                                .desired_width(f32::INFINITY),
                        )
                        .labelled_by(label.id);
                    });
            }
        }
        if !state.params.is_empty() && state.source != SourceKind::Json {
            params_ui(ui, card, state);
        }
        ui.add_space(8.0);
        ui.horizontal_wrapped(|ui| {
            let ready = match state.source {
                SourceKind::Images => !state.images.is_empty(),
                SourceKind::DataFiles => !state.data_files.is_empty(),
                _ => true,
            };
            if ui.add_enabled(ready && !busy, egui::Button::new("Build and check request")).clicked() {
                commands.push(Command::Prepare);
            }
            if busy {
                ui.spinner();
                // Cancel first: its place does not move when the progress bar appears.
                if let Some(p) = &state.progress
                    && ui.button("Cancel").clicked()
                {
                    p.cancel.store(true, std::sync::atomic::Ordering::Relaxed);
                }
                match &state.progress {
                    Some(p) if p.fraction().1 > 1 => {
                        let (done, total) = p.fraction();
                        ui.add(
                            egui::ProgressBar::new(done as f32 / total as f32)
                                .desired_width(240.0)
                                .text(format!("{done} of {total} images")),
                        );
                    }
                    _ => {
                        ui.label("Working…");
                    }
                }
                ui.ctx().request_repaint_after(std::time::Duration::from_millis(100));
            }
        });
        if let Some(error) = &state.error {
            ui.colored_label(error_color(ui), error);
        }
        if let Some(prepared) = &state.prepared {
            result_ui(ui, card, state.preview_texture.as_ref(), prepared, commands);
        }
        if let Some(saved) = &state.saved {
            match saved {
                Ok(path) => ui.colored_label(ok_color(ui), format!("Saved {}", path.display())),
                Err(e) => ui.colored_label(error_color(ui), e),
            };
        }
        ui.add_space(12.0);
        ui.horizontal_wrapped(|ui| {
            if ui
                .button("Copy OpenAPI document")
                .on_hover_text("OpenAPI 3.1 for this model's /invocations endpoint, from its signature")
                .clicked()
            {
                let doc = crate::input::openapi::openapi_document(card);
                commands.push(Command::Copy(serde_json::to_string_pretty(&doc).unwrap_or_default()));
            }
        });
    });
}

/// What a request holds, in a few words, for the history.
pub fn input_summary(state: &TestState, body: &serde_json::Value) -> String {
    let name = |p: &PathBuf| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let what = match state.source {
        SourceKind::Images => match state.images.as_slice() {
            [one] => format!("image {}", name(one)),
            many => format!("{} images", many.len()),
        },
        SourceKind::Example => "input example".into(),
        SourceKind::Grid => format!(
            "table, {}",
            crate::text::count(state.grid.len(), "row", "rows")
        ),
        SourceKind::DataFiles => state
            .data_files
            .iter()
            .map(|(_, p)| name(p))
            .collect::<Vec<_>>()
            .join(", "),
        SourceKind::Fill => "filled tensor".into(),
        SourceKind::Json => "JSON".into(),
    };
    let params = body
        .get("params")
        .and_then(|p| p.as_object())
        .filter(|p| !p.is_empty())
        .map(|p| format!(" + {}", crate::text::count(p.len(), "param", "params")))
        .unwrap_or_default();
    format!("{what}{params}")
}

/// How many chosen images get a thumbnail (the rest are listed by name).
pub const MAX_THUMBNAILS: usize = 32;

fn images_ui(ui: &mut Ui, card: &ModelCard, state: &mut TestState, commands: &mut Vec<Command>) {
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

/// The signature's columns: name, type label, required.
fn grid_columns(card: &ModelCard) -> Vec<(String, String, bool)> {
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

fn grid_ui(ui: &mut Ui, card: &ModelCard, state: &mut TestState, commands: &mut Vec<Command>) {
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

fn data_files_ui(
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

fn params_ui(ui: &mut Ui, card: &ModelCard, state: &mut TestState) {
    section_ui(ui, "Params");
    let specs = card
        .signature
        .valid()
        .and_then(|s| s.params.clone())
        .unwrap_or_default();
    egui::Grid::new("test_params")
        .num_columns(3)
        .spacing([12.0, 4.0])
        .show(ui, |ui| {
            for (name, text) in &mut state.params {
                let Some(spec) = specs.iter().find(|p| &p.name == name) else {
                    continue;
                };
                let label = ui.label(RichText::new(name.as_str()).strong());
                let ty = match (&spec.ty, &spec.shape) {
                    (ParamType::Scalar(dt), Some(_)) => format!("list of {}", dt.name()),
                    (ty, _) => ty.label(),
                };
                ui.horizontal_wrapped(|ui| {
                    ui.add(
                        egui::TextEdit::singleline(text)
                            .desired_width(220.0)
                            .code_editor(),
                    )
                    .labelled_by(label.id);
                    ui.label(RichText::new(ty).weak());
                });
                if ui
                    .small_button("Reset")
                    .on_hover_text(format!("default {}", spec.default))
                    .clicked()
                {
                    *text = spec.default.to_string();
                }
                ui.end_row();
            }
        });
}

fn result_ui(
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
            commands.push(Command::Copy(
                serde_json::to_string(prepared.body.as_ref()).unwrap_or_default(),
            ));
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
            let azure = request::mlflow_to_azure(&prepared.body);
            commands.push(Command::Copy(
                serde_json::to_string(&azure).unwrap_or_default(),
            ));
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

#[cfg(test)]
mod tests {
    use super::pasted_rows;

    #[test]
    fn pasted_spreadsheet_rows_become_grid_rows() {
        let rows = pasted_rows("a\tb\n1\t2\n3\n", &["a", "b"]);
        assert_eq!(
            rows,
            vec![
                vec!["1".to_string(), "2".to_string()],
                vec!["3".to_string(), String::new()]
            ]
        );
        let rows = pasted_rows("5.1,3.5\n", &["x", "y"]);
        assert_eq!(rows, vec![vec!["5.1".to_string(), "3.5".to_string()]]);
    }
}
