//! Any bytes as an `MLmodel` file: parse, then read its signature, as opening a folder does.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mlmodel_inspector::model::{mlmodel::MlModel, signature};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut warnings = Vec::new();
    if let Ok(model) = MlModel::parse(text, &mut warnings)
        && let Some(sig) = &model.signature
    {
        let _ = signature::parse_signature(sig, &mut warnings);
    }
});
