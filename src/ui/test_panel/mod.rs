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

mod images;
mod result;
mod table;

pub use images::MAX_THUMBNAILS;
use images::*;
use result::*;
pub use table::pasted_rows;
use table::*;

/// The table form's columns, by name in the signature's order (empty when the model's inputs
/// are not columns): what a row opened from the Evaluate tab is laid out by.
pub fn form_columns(card: &ModelCard) -> Vec<String> {
    grid_columns(card).into_iter().map(|(n, _, _)| n).collect()
}

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
    /// MLflow's verdict on each table cell as last typed: (row, column) to the text judged
    /// and the problem, if any (found again when the text changes).
    pub cell_checks: std::collections::HashMap<(usize, usize), (String, Option<String>)>,
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

    /// Sets the defaults from the model once (the tab does it when first drawn; the Compare
    /// tab, which sends its request, may come first).
    pub fn ensure_initialized(&mut self, card: &ModelCard) {
        if !self.initialized {
            self.init(card);
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
            // An image that cannot be decoded already says so under its thumbnail: said once.
            let shown_there = state.source == SourceKind::Images
                && state
                    .thumbnails
                    .iter()
                    .any(|(_, t)| t.as_ref().err().is_some_and(|e| error.contains(e.as_str())));
            let text = if shown_there {
                "The request cannot be built from these images: see the one marked above."
            } else {
                error.as_str()
            };
            ui.add(egui::Label::new(RichText::new(text).color(error_color(ui))).wrap());
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

/// What the Test tab's request is made from, when its answer can be explained: the first
/// chosen image with the options that make it the tensor, a CSV file chosen as the input, or
/// the table form's rows.
pub fn explain_input(
    state: &TestState,
    card: &ModelCard,
) -> Option<crate::ui::predict_panel::ExplainInput> {
    use crate::ui::predict_panel::ExplainInput;
    match state.source {
        SourceKind::DataFiles => match state.data_files.as_slice() {
            [(_, path)]
                if path
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("csv")) =>
            {
                Some(ExplainInput::Table {
                    file: Some(path.clone()),
                    columns: Vec::new(),
                    rows: Vec::new(),
                })
            }
            _ => None,
        },
        SourceKind::Grid => Some(ExplainInput::Table {
            file: None,
            columns: form_columns(card),
            rows: state.grid.clone(),
        }),
        SourceKind::Images => {
            state
                .images
                .first()
                .map(|path| crate::ui::predict_panel::ExplainInput::Image {
                    path: path.clone(),
                    options: state.image.clone(),
                    of: state.images.len(),
                })
        }
        _ => None,
    }
}

/// What a request holds, in a few words, for the history.
pub fn input_summary(state: &TestState, request: &crate::input::request::Request) -> String {
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
    let params = request
        .params()
        .filter(|p| !p.is_empty())
        .map(|p| format!(" + {}", crate::text::count(p.len(), "param", "params")))
        .unwrap_or_default();
    format!("{what}{params}")
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
