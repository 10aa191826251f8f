//! Any bytes as a signature part (the JSON string inside MLmodel): schema and params parsers,
//! and the JSON-out path of what they accept.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mlmodel_inspector::model::{lenient_json, signature};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok((value, _)) = lenient_json::parse(text) else { return };
    if let Ok(schema) = signature::parse_schema(&value) {
        let json = schema.to_mlflow_json();
        // What we accept and write back must read back the same.
        let again = signature::parse_schema(&json).expect("re-read of our own JSON");
        assert_eq!(again, schema);
        for spec in &schema.specs {
            let _ = spec.type_label();
        }
    }
    if let Ok(params) = signature::parse_param_schema(&value) {
        for p in &params {
            let _ = p.to_mlflow_json();
        }
    }
});
