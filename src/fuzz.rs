//! What each fuzz target does with one input, shared by the cargo-fuzz targets (`fuzz/`) and
//! the test that replays their saved corpus on every `cargo test` (tests/fuzz_corpus.rs): a
//! parser must never panic, whatever the bytes.

use crate::model::environment::{self, Source};
use crate::model::{lenient_json, mlmodel::MlModel, signature};

/// Any bytes as an `MLmodel` file: parse, then read its signature, as opening a folder does.
pub fn mlmodel(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut warnings = Vec::new();
    if let Ok(model) = MlModel::parse(text, &mut warnings)
        && let Some(sig) = &model.signature
    {
        let _ = signature::parse_signature(sig, &mut warnings);
    }
}

/// Any bytes as a signature part (the JSON string inside MLmodel): the schema and params
/// parsers, and the JSON-out path of what they accept, which must read back the same.
pub fn signature(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok((value, _)) = lenient_json::parse(text) else {
        return;
    };
    if let Ok(schema) = signature::parse_schema(&value) {
        let json = schema.to_mlflow_json();
        let again = signature::parse_schema(&json);
        assert_eq!(again.as_ref(), Ok(&schema), "re-read of our own JSON");
        for spec in &schema.specs {
            let _ = spec.type_label();
        }
    }
    if let Ok(params) = signature::parse_param_schema(&value) {
        for p in &params {
            let _ = p.to_mlflow_json();
        }
    }
}

/// Any bytes as conda.yaml, python_env.yaml and requirements.txt.
pub fn environment(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = environment::parse_conda(text, "conda.yaml");
    let _ = environment::parse_python_env(text, "python_env.yaml", None, &mut Vec::new());
    let reqs = environment::parse_requirements(text, "requirements.txt", Source::Requirements);
    for dep in &reqs.lines {
        let _ = dep.requirement.pinned_version();
        let _ = dep.requirement.normalized_name();
    }
}

/// Any bytes as a file of a model folder, walked as a pickle: the walk never panics, every
/// import it reports lies inside the input, and a walk that says it is complete read it all.
pub fn pickle(data: &[u8]) {
    let walk = crate::scan::pickle::walk_bytes(data);
    for found in &walk.imports {
        assert!(found.offset < data.len() as u64, "an import past the end");
        let _ = crate::scan::rules::judge(&found.module, &found.name, found.literal);
    }
    if walk.complete() {
        assert_eq!(
            walk.bytes,
            data.len() as u64,
            "complete but not read to the end"
        );
    }
}

/// Any bytes as a file of a model folder, read by content: zip archives opened (relaxed),
/// compressed streams decompressed, pickles walked. Never a panic; every entry it gives is
/// the file or one of its members, and an entry not read to its end is never safe.
pub fn container(data: &[u8]) {
    let ctx = crate::scan::content::Context {
        own: &[],
        pinned: &[],
        skops_trusted: &[],
    };
    for f in crate::scan::content::scan_bytes(&ctx, "f", data.to_vec()) {
        assert!(f.path == "f" || f.path.starts_with("f:"), "{}", f.path);
        if !f.complete {
            assert_ne!(f.verdict, crate::scan::Verdict::Safe, "{f:?}");
        }
    }
}
