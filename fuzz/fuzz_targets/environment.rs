//! Any bytes as conda.yaml, python_env.yaml and requirements.txt.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mlmodel_inspector::model::environment::{self, Source};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = environment::parse_conda(text, "conda.yaml");
    let _ = environment::parse_python_env(text, "python_env.yaml", None, &mut Vec::new());
    let reqs = environment::parse_requirements(text, "requirements.txt", Source::Requirements);
    for dep in &reqs.lines {
        let _ = dep.requirement.pinned_version();
        let _ = dep.requirement.normalized_name();
    }
});
