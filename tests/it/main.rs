//! The integration tests, in one binary: one build and one link after a change to the library,
//! instead of one per area. Each module is an area; `common` holds the paths, the tracking
//! server and the small servers they share. `cargo test --test it MODULE::` runs one area.

mod common;

mod bad_folders;
mod card;
mod cli;
mod desktop;
mod diff;
mod eval;
mod explain;
mod fidelity;
mod fuzz_corpus;
mod graph;
#[cfg(feature = "gui")]
mod gui;
#[cfg(feature = "gui")]
mod gui_explain;
#[cfg(feature = "gui")]
mod gui_new_user;
#[cfg(feature = "gui")]
mod gui_scan;
#[cfg(feature = "gui")]
mod gui_spark;
#[cfg(feature = "gui")]
mod gui_trust;
mod hostile;
mod hostile_memory;
mod hostile_misc;
mod hostile_runs;
mod image_input;
mod predict;
mod scan;
mod spark;
mod tracking;
mod validation;
#[cfg(feature = "gui")]
mod window;
