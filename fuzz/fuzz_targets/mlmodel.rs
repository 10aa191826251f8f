//! Any bytes as an `MLmodel` file: parse, then read its signature, as opening a folder does.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mlmodel_inspector::fuzz::mlmodel(data));
