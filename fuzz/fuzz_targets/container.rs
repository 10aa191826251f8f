//! Any bytes read by `scan` as a file of a model folder: containers and pickles.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mlmodel_inspector::fuzz::container(data));
