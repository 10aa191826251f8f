//! Any bytes as a signature part (the JSON string inside MLmodel): schema and params parsers.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mlmodel_inspector::fuzz::signature(data));
