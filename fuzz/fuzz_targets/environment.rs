//! Any bytes as conda.yaml, python_env.yaml and requirements.txt.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mlmodel_inspector::fuzz::environment(data));
