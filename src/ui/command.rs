//! What the panels ask for. Panels push commands while drawing; the app applies them after the
//! frame, so nothing changes while it is being drawn.

use std::path::PathBuf;

use super::settings::{Tab, ThemeChoice};

/// A request from the UI.
#[must_use]
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Show the native folder dialog (on a worker).
    PickFolder,
    /// Open this model folder (on a worker).
    Open(PathBuf),
    /// Stop waiting for the folder being opened.
    CancelOpen,
    /// Close the model and go back to the welcome screen.
    CloseModel,
    /// Show this tab.
    SetTab(Tab),
    /// Use this theme.
    SetTheme(ThemeChoice),
    /// Read this file of the model (relative path) for preview, on a worker.
    Preview(String),
    /// Hide the error banner.
    DismissError,
    /// Test tab: choose image files (native dialog, on a worker).
    PickImages,
    /// Test tab: add these image files.
    AddImages(Vec<PathBuf>),
    /// Test tab: choose `.npy` or CSV files (native dialog, on a worker).
    PickDataFiles,
    /// Test tab: add these `.npy` or CSV files.
    AddDataFiles(Vec<PathBuf>),
    /// Test tab: build and check the request from the tab's current choices (on a worker).
    Prepare,
    /// Test tab: fill the JSON editor and the request from the input example.
    LoadExample,
    /// Test tab: save the current request body as a JSON file (dialog and write on a worker).
    SaveRequest,
    /// Test tab: fill a binary cell (row, column) with a file's bytes, base64 (on a worker).
    PickBinaryCell(usize, usize),
    /// Put this text on the clipboard.
    Copy(String),
}
