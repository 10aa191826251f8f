//! Paths shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// A path under the crate root.
pub fn repo(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A fixture written by real MLflow.
pub fn model(name: &str) -> PathBuf {
    repo("tests/fixtures/models").join(name)
}

/// A hand-made fixture (documentation text, legacy forms).
pub fn handmade(name: &str) -> PathBuf {
    repo("tests/fixtures/handmade").join(name)
}

/// A bad folder.
pub fn bad(name: &str) -> PathBuf {
    repo("tests/fixtures/bad").join(name)
}
