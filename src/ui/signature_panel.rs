//! The Signature tab: inputs, outputs and params as tables, nested types as trees, and the raw
//! JSON one click away.

use egui::{RichText, Ui};

use super::widgets::{code_block_ui, error_color, mono_value_ui, section_ui, value_ui};
use crate::model::ModelCard;
use crate::model::signature::{ColType, Schema, SignatureState, Spec};

fn type_tree_ui(ui: &mut Ui, ty: &ColType) {
    match ty {
        ColType::Array(items) => nested_ui(ui, "items", items, None),
        ColType::Map(values) => nested_ui(ui, "values (string keys)", values, None),
        ColType::Object(props) => {
            for p in props {
                nested_ui(ui, &p.name, &p.ty, Some(p.required.unwrap_or(false)));
            }
        }
        _ => {}
    }
}

fn nested_ui(ui: &mut Ui, name: &str, ty: &ColType, required: Option<bool>) {
    let req = match required {
        Some(true) => "",
        Some(false) => "  (optional)",
        None => "",
    };
    let text = format!("{name}: {}{req}", ty.label());
    if ty.is_nested() {
        egui::CollapsingHeader::new(RichText::new(text).monospace())
            .id_salt(ui.next_auto_id())
            .default_open(true)
            .show(ui, |ui| type_tree_ui(ui, ty));
    } else {
        ui.label(RichText::new(format!("  {text}")).monospace());
    }
}

fn schema_ui(ui: &mut Ui, title: &str, schema: Option<&Schema>) {
    let Some(schema) = schema else {
        section_ui(ui, title);
        ui.label(RichText::new(format!("No {} schema.", title.to_lowercase())).weak());
        return;
    };
    let kind = if schema.is_tensor() {
        "tensors"
    } else {
        "columns"
    };
    section_ui(ui, &format!("{title}  ({} {kind})", schema.specs.len()));
    egui::Grid::new(("schema", title))
        .num_columns(3)
        .spacing([24.0, 6.0])
        .striped(true)
        .show(ui, |ui| {
            ui.label(RichText::new("Name").strong());
            ui.label(RichText::new("Type").strong());
            ui.label(RichText::new("Required").strong());
            ui.end_row();
            for (i, spec) in schema.specs.iter().enumerate() {
                match spec.name() {
                    Some(name) => value_ui(ui, name),
                    None => {
                        ui.label(RichText::new(format!("[{i}] (unnamed)")).weak());
                    }
                }
                match spec {
                    // Objects and deep nesting read better as a tree; `array<double>` does not.
                    Spec::Column(c) if c.ty.has_object() || c.ty.depth() > 1 => {
                        ui.vertical(|ui| {
                            mono_value_ui(ui, &c.ty.label());
                            egui::CollapsingHeader::new("structure")
                                .id_salt(("structure", title, i))
                                .default_open(false)
                                .show(ui, |ui| type_tree_ui(ui, &c.ty));
                        });
                    }
                    _ => mono_value_ui(ui, &spec.type_label()),
                }
                let required = match spec {
                    Spec::Tensor(_) => "required".to_string(),
                    Spec::Column(c) => match c.required {
                        Some(true) => "required".into(),
                        Some(false) => "optional".into(),
                        None => "optional (no `required` key)".into(),
                    },
                };
                ui.label(required);
                ui.end_row();
            }
        });
}

/// The Signature tab's view state.
#[derive(Default)]
pub struct SignatureView {
    /// Show the raw JSON instead of tables.
    pub raw: bool,
}

/// Draws the signature: inputs, outputs and params, or the raw text.
pub fn signature_ui(ui: &mut Ui, card: &ModelCard, view: &mut SignatureView) {
    egui::ScrollArea::vertical().auto_shrink(false).show(ui, |ui| {
        let has_raw = card.mlmodel.signature.is_some();
        if has_raw {
            ui.checkbox(&mut view.raw, "Show the raw signature as written in MLmodel");
        }
        if view.raw
            && let Some(raw) = &card.mlmodel.signature
        {
            let mut text = String::new();
            if let serde_json::Value::Object(parts) = raw {
                for (part, value) in parts {
                    let pretty = match value {
                        serde_json::Value::String(s) => serde_json::from_str::<serde_json::Value>(s)
                            .ok()
                            .and_then(|v| serde_json::to_string_pretty(&v).ok())
                            .unwrap_or_else(|| s.clone()),
                        other => serde_json::to_string_pretty(other).unwrap_or_default(),
                    };
                    text.push_str(&format!("{part}:\n{pretty}\n\n"));
                }
            } else {
                text = raw.to_string();
            }
            code_block_ui(ui, "raw_signature", &text, f32::INFINITY);
            return;
        }
        match &card.signature {
            SignatureState::Absent => {
                section_ui(ui, "No signature");
                ui.label(
                    "This model was saved without a signature. MLflow passes any input to the model \
                     unchecked: nothing is validated before predict, and the request format must be \
                     taken from the input example or the model's documentation.",
                );
                if card.input_example.is_some() {
                    ui.label("The model has an input example: see the Input example tab.");
                }
            }
            SignatureState::Invalid { part, error } => {
                section_ui(ui, "Invalid signature");
                ui.colored_label(
                    error_color(ui),
                    format!("MLflow would refuse to load this signature ({part}): {error}"),
                );
                ui.label("Show the raw signature above to see what MLmodel says.");
            }
            SignatureState::Valid(sig) => {
                schema_ui(ui, "Inputs", sig.inputs.as_ref());
                schema_ui(ui, "Outputs", sig.outputs.as_ref());
                section_ui(ui, "Params");
                match &sig.params {
                    None => {
                        ui.label(RichText::new("No inference params.").weak());
                    }
                    Some(params) => {
                        egui::Grid::new("params")
                            .num_columns(4)
                            .spacing([24.0, 6.0])
                            .striped(true)
                            .show(ui, |ui| {
                                for h in ["Name", "Type", "Default", "Shape"] {
                                    ui.label(RichText::new(h).strong());
                                }
                                ui.end_row();
                                for p in params {
                                    value_ui(ui, &p.name);
                                    mono_value_ui(ui, &p.ty.label());
                                    let default = match &p.default {
                                        serde_json::Value::String(s) => format!("\"{s}\""),
                                        other => other.to_string(),
                                    };
                                    mono_value_ui(ui, &default);
                                    ui.label(match &p.shape {
                                        None => "scalar".to_string(),
                                        Some(s) => format!("list {}", crate::model::signature::shape_label(s)),
                                    });
                                    ui.end_row();
                                }
                            });
                    }
                }
                if card.mlmodel.is_signature_from_type_hint == Some(true) {
                    ui.add_space(8.0);
                    ui.label("The signature comes from the model's type hints: the scoring server takes the request as {\"inputs\": ...}.");
                }
            }
        }
    });
}
