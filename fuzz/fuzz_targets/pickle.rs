//! Any bytes walked as a pickle by `scan`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mlmodel_inspector::fuzz::pickle(data));
