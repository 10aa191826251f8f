//! MLmodel Inspector: open an MLflow model folder, show what the model is, and test it.
//!
//! The crate's map, one line per module:
//! - [`model`]: the MLflow contract, UI-free: MLmodel, flavors, signature, environment,
//!   input example, artifacts.
//! - [`input`]: building model inputs: image files to tensors, request bodies, MLflow's checks.
//! - [`predict`]: running a model: native ONNX (tract), MLflow's local scoring server, endpoints.
//! - [`source`]: models on a tracking server: URIs, the REST client, the cache.
//! - [`diff`]: is model B a drop-in replacement for model A: the verdict and every change.
//! - [`eval`]: how a model does on a labelled folder or table, with scikit-learn's metrics.
//! - [`preview`]: what a file of the model is, for the Files tab (text, ONNX, .npy, image, hex).
//! - [`perf`]: spreading a batch over the cores, percentiles of timings.
//! - [`fuzz`]: what each fuzz target does with one input (also replayed by `cargo test`).
//! - [`ui`]: the egui desktop app: app state, one file per panel.
//! - [`cli`]: the command line (`show`, `predict`, `openapi`), calling the same library
//!   functions as the GUI.

pub mod cli;
pub mod diff;
pub mod eval;
pub mod explain;
pub mod fuzz;
pub mod input;
pub mod model;
pub mod perf;
pub mod predict;
pub mod preview;
pub mod scan;
pub mod session;
pub mod source;
pub mod text;
#[cfg(feature = "gui")]
pub mod ui;
