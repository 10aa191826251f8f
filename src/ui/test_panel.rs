//! The Test tab: where predictions will be made. Until the form and the backends exist it says
//! what the model will need, from its signature and flavors.

use egui::{RichText, Ui};

use super::widgets::section_ui;
use crate::model::ModelCard;
use crate::model::signature::SignatureState;

/// Draws the Test tab.
pub fn test_ui(ui: &mut Ui, card: &ModelCard) {
    section_ui(ui, "Test this model");
    ui.label(
        "Predictions are made here: a form built from the signature turns your inputs (an image \
         file for image-shaped tensors, a grid for columns, fields for params) into the exact \
         request MLflow's scoring server takes, checks it with MLflow's own rules, and sends it.",
    );
    ui.add_space(8.0);
    let backend = if card.flavor("onnx").is_some() {
        "ONNX model: it will run in-process (no Python needed)."
    } else if card.pyfunc().is_some() {
        "pyfunc model: it will run in MLflow's own scoring server, started for this folder (this runs the model's code, so you will be asked first)."
    } else {
        "This model has no python_function flavor: MLflow's scoring server cannot load it."
    };
    ui.label(backend);
    ui.add_space(8.0);
    let request = match &card.signature {
        SignatureState::Valid(sig) => match &sig.inputs {
            Some(s) if s.is_tensor() => {
                "The request will be {\"inputs\": ...} with the tensors of the signature."
            }
            Some(_) => {
                "The request will be {\"dataframe_split\": ...} with the columns of the signature."
            }
            None => "The signature has no inputs: the request will come from the input example.",
        },
        _ => {
            "Without a valid signature the request will come from the input example or be written as JSON."
        }
    };
    ui.label(request);
    ui.add_space(12.0);
    ui.label(RichText::new("The form and Predict are not in this version yet.").weak());
}
