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
    /// Open the bundled example with its photo on the Test tab.
    TryExample(crate::source::BundledExample),
    /// Stop waiting for the folder being opened.
    CancelOpen,
    /// Close the model and go back to the welcome screen.
    CloseModel,
    /// Show this tab.
    SetTab(Tab),
    /// Read this ONNX file of the model (the onnx flavor's when `None`) for the Graph tab, on a
    /// worker.
    ReadGraph(Option<String>),
    /// Show this ONNX file on the Graph tab (from the Artifacts tab).
    ShowGraph(String),
    /// Lay the graph out again with long linear chains folded or not.
    FoldGraphChains(bool),
    /// Evaluate tab: choose an image folder (native dialog, on a worker).
    PickEvalFolder,
    /// Evaluate tab: choose a CSV or JSON-lines table (native dialog, on a worker).
    PickEvalTable,
    /// Evaluate tab, on Spark: choose a Parquet folder (native dialog, on a worker).
    PickEvalParquet,
    /// Evaluate tab: use this dataset (read and matched to the model on a worker).
    EvalDataset(PathBuf),
    /// Evaluate tab: read the labels from this column of the table (`None`: none).
    EvalLabel(Option<String>),
    /// Evaluate tab: predict here, on Spark, or score a file of predictions made elsewhere
    /// (saved; the dataset is read again for it).
    EvalEngine(crate::ui::settings::EvalEngine),
    /// Evaluate tab: choose a file of predictions made elsewhere (native dialog, on a worker).
    PickEvalPredictions,
    /// Evaluate tab: run the evaluation where the tab says (the Test tab's backend, Spark, or
    /// a file of predictions), on a worker.
    EvalRun,
    /// Evaluate tab: stop the run (the items done are kept).
    EvalCancel,
    /// Evaluate tab: export every item's prediction as CSV (dialog and write on a worker).
    EvalExport,
    /// Evaluate tab: make this image the Test tab's input and show it there.
    EvalOpenImage(PathBuf),
    /// Evaluate tab: open this item (an image's path under the folder, or `line N` of the
    /// table) on the Test tab, predict it and explain the answer: the model's choice, or
    /// (`Some`) the item's true label.
    EvalExplain {
        /// The item.
        id: String,
        /// Its true label, to explain that class instead of the model's choice.
        label: Option<String>,
    },
    /// Evaluate tab: make a row of the evaluated table (`line N`) the Test tab's input, as the
    /// run sent it (read on a worker).
    EvalOpenRow(String),
    /// Compare: open this folder or model URI as B beside the open model A.
    CompareOpen(PathBuf),
    /// Compare: choose B's folder (dialog on a worker).
    PickCompareFolder,
    /// Compare: forget B (its backend stops).
    CompareClose,
    /// Compare: run B on this backend.
    CompareBackendB(super::predict_panel::BackendKind),
    /// Compare: send the Test tab's request to A and B (B only when MLflow's rules say it
    /// accepts it).
    CompareSend,
    /// Compare: send the Test tab's request to both, B even though it would refuse it.
    CompareSendAnyway,
    /// Compare: find B's verdict on the Test tab's request as built (MLflow's rules).
    CompareCheck,
    /// Compare: run the Evaluate tab's dataset through A and B.
    CompareDataset,
    /// Compare: stop the send to both, or the dataset run.
    CompareCancel,
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
    /// Test tab: an image pasted from the clipboard (kept as a PNG file on a worker, then
    /// added like a chosen file).
    PasteImage(std::sync::Arc<egui::ColorImage>),
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
    /// Test tab: build and check the request, then send it to the chosen backend.
    Predict,
    /// Test tab: send this request to the chosen backend (after the trust question for local).
    Send(std::sync::Arc<crate::input::request::Request>),
    /// Test tab: put the current request's body on the clipboard in this form (written on a
    /// worker: a batch of images is megabytes of text).
    CopyRequest(crate::input::request::BodyFormat),
    /// The answer to the trust question ("Run this model's code?", in any tab): run it
    /// (remembered with the files' digests) or not.
    TrustAnswer(bool),
    /// Stop waiting for the predict under way (a hung local server is stopped).
    CancelPredict,
    /// Fetch a tracking server model's files and scan them (a trust question waits for it).
    FetchAndScan,
    /// Stop the local scoring server.
    StopServer,
    /// Check the local Python: version, mlflow, the model's pins (on a worker).
    CheckPython,
    /// Choose a labels file (native dialog, on a worker).
    PickLabels,
    /// Use this labels file for the model (read on a worker), or none.
    UseLabels(Option<PathBuf>),
    /// Use this backend for Predict.
    SetBackend(super::predict_panel::BackendKind),
    /// Show this run of the history.
    ShowRun(usize),
    /// Send this run's request again.
    Rerun(usize),
    /// Explain this run's answer (index into the history) through its own backend, on a
    /// worker.
    Explain(usize),
    /// Stop the explanation under way.
    CancelExplain,
    /// Choose a background table for explaining a row (native dialog, on a worker).
    PickExplainBackground,
    /// Show or hide the "Open from tracking server" window.
    ShowTracking(bool),
    /// List the tracking server's registered models (on a worker).
    BrowseModels,
    /// List a registered model's versions (on a worker).
    BrowseVersions(String),
}
