//! Named background tasks: work that may be slow (opening a folder, reading a file, the native
//! dialog) runs on a worker thread and reports back through one channel; the UI thread only
//! polls. A task is refused while another of the same name runs.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};

/// A decoded thumbnail and the full picture's size in pixels.
pub type Thumbnail = (image::RgbaImage, (u32, u32));

/// A finished evaluation: its report, every item's result, and a regression's (true,
/// predicted) pairs for the plots.
pub type EvalDone = Box<(
    crate::eval::Report,
    Vec<crate::eval::ItemResult>,
    Vec<(f64, f64)>,
)>;

/// Model B opened beside A: B, the comparison, and B's scan (its trust question's basis).
pub type CompareOpened = (
    crate::session::Opened,
    crate::diff::Comparison,
    crate::ui::artifacts_panel::ScanStatus,
);

/// What a finished task brings back.
#[derive(Debug)]
pub enum TaskResult {
    /// A model folder was opened (or failed to open). `generation` ties it to its request.
    Opened {
        /// The request this answers; older ones are dropped.
        generation: u64,
        /// The path that was opened.
        path: PathBuf,
        /// The card (with the model's mirror when it came from a tracking server), or why not.
        result: Result<Box<crate::session::Opened>, std::sync::Arc<crate::session::SessionError>>,
    },
    /// The desktop's file dialog answered (what for, and how).
    Chosen(
        super::file_picker::Purpose,
        super::file_picker::NativeAnswer,
    ),
    /// An evaluation dataset was read and matched to the model (or not).
    EvalPrepared {
        /// The model it was read for.
        generation: u64,
        /// The dataset's path, as asked.
        path: PathBuf,
        /// The plan and the table's columns, or why not.
        result: Result<(std::sync::Arc<crate::eval::Plan>, Vec<String>), String>,
    },
    /// An evaluation finished (or stopped).
    Evaluated {
        /// The model it ran for.
        generation: u64,
        /// The report and every item's result, or why it could not run.
        result: Result<EvalDone, String>,
    },
    /// A small file of the model was read for preview.
    Preview {
        /// The file, relative to the model folder.
        rel: String,
        /// What it is (its text for text files), or why it cannot be read.
        result: Result<crate::preview::Preview, String>,
    },
    /// Recent models that still exist.
    RecentChecked(Vec<PathBuf>),
    /// Where the bundled example model is, if it shipped.
    ExampleFound(Option<crate::source::BundledExample>),

    /// A file was read for a binary cell (row, column): its base64 text, or why not.
    BinaryCell(usize, usize, Option<Result<String, String>>),
    /// A request was built and checked. `generation` ties it to its request.
    Prepared {
        /// The request this answers; older ones are dropped.
        generation: u64,
        /// The prepared request, or why not.
        result: Result<Box<crate::input::build::Prepared>, String>,
        /// Whether the JSON editor should be filled with the body (Load input example).
        fill_editor: bool,
    },
    /// A row of the evaluated table was read: the request the run sent for it, as pretty
    /// JSON text, and its cells by column name, or why not.
    EvalRow {
        /// The model it was read for.
        generation: u64,
        /// The request's text and the row's cells, or why not.
        result: Result<(String, Vec<(String, String)>), String>,
    },
    /// Thumbnails of a confusion-matrix cell's images (or why each is not an image).
    EvalThumbnails(Vec<(PathBuf, Result<Thumbnail, String>)>),
    /// Model B was opened and compared with A (or not).
    CompareOpened {
        /// The model A it was opened beside.
        generation: u64,
        /// B as asked for.
        path: PathBuf,
        /// B, the comparison and B's scan, or why not.
        result: Result<Box<CompareOpened>, String>,
    },
    /// The model's files were scanned: what loading each would import.
    Scanned {
        /// The model it was made for.
        generation: u64,
        /// The scan and the files' digests, or why there is none (stopped; a tracking
        /// server's files that could not be fetched).
        findings: Result<Arc<crate::scan::trust::Findings>, String>,
        /// A tracking server's model as it stands after its files were fetched for the scan.
        remote: Option<Box<crate::source::RemoteModel>>,
    },
    /// The Test tab's request was checked against B's signature with MLflow's rules.
    CompareChecked {
        /// The model A it was checked beside.
        generation: u64,
        /// The model B it was checked against.
        b: Arc<crate::model::ModelCard>,
        /// The request checked.
        request: Arc<crate::input::request::Request>,
        /// B's refusal in MLflow's words, or `None` when B would accept it.
        refusal: Option<String>,
    },
    /// A and B answered the same request (or could not be asked).
    CompareAnswered {
        /// The model A it was asked beside.
        generation: u64,
        /// Both answers and their difference, or why not.
        result: Result<Box<super::compare_panel::BothAnswers>, String>,
    },
    /// A and B ran over the same dataset (or could not).
    CompareDatasetDone {
        /// The model A it ran beside.
        generation: u64,
        /// Their agreement, or why not.
        result: Result<Box<super::compare_panel::DatasetCompared>, String>,
    },
    /// An evaluation's predictions were exported (or not).
    EvalExported(Result<PathBuf, String>),
    /// The request was saved to a file (or not).
    Saved(Result<PathBuf, String>),
    /// A request's body was written as text for the clipboard.
    Copied(String),
    /// A pasted image was kept as a file (or not).
    Pasted(Result<PathBuf, String>),
    /// An ONNX file's graph was read and laid out (or not). `generation` ties it to its model.
    Graph {
        /// The model it was read for.
        generation: u64,
        /// The file.
        file: String,
        /// The graph with its signature check and drawing, or why not.
        result: Result<
            (
                std::sync::Arc<crate::session::GraphReport>,
                std::sync::Arc<crate::predict::graph::layout::Layout>,
            ),
            std::sync::Arc<crate::session::SessionError>,
        >,
    },
    /// The graph was laid out again (chains folded or not).
    GraphLaidOut {
        /// The model it was laid out for.
        generation: u64,
        /// Whether chains are folded.
        fold: bool,
        /// The drawing.
        layout: std::sync::Arc<crate::predict::graph::layout::Layout>,
    },
    /// Thumbnails of chosen images: each picture with its size in pixels, or why not.
    Thumbnails(Vec<(PathBuf, Result<Thumbnail, String>)>),
    /// A predict finished (or failed, or was cancelled).
    Predicted {
        /// Ties it to its request.
        generation: u64,
        /// The run for the history.
        run: Box<super::predict_panel::Run>,
        /// The local server's status afterwards.
        server: Option<String>,
        /// Labels files found beside the model.
        candidates: Vec<PathBuf>,
        /// Labels to use: the remembered file, or the one candidate that fits the answer.
        labels: Option<crate::model::classes::ClassNames>,
    },
    /// An answer was explained (or could not be, or was stopped).
    Explained {
        /// The model it was made for.
        generation: u64,
        /// The run explained (its number in the session).
        run: usize,
        /// The explanation, or why there is none.
        result: Result<Arc<crate::explain::Explanation>, String>,
    },
    /// The local Python was checked.
    PythonChecked(
        Result<super::predict_panel::PythonCheck, std::sync::Arc<crate::predict::PredictError>>,
    ),
    /// A labels file was read (`None`: the dialog was closed).
    Labels(Option<Result<crate::model::classes::ClassNames, String>>),
    /// The local server was stopped.
    ServerStopped,
    /// The registered models of the tracking server.
    Models(Result<Vec<crate::source::RegisteredModel>, String>),
    /// The versions of a registered model.
    Versions(String, Result<Vec<crate::source::ModelVersion>, String>),
}

/// The names of the tasks, one of each at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskName {
    /// Opening a model folder.
    Open,
    /// The native folder dialog.
    Dialog,
    /// Reading a file for preview.
    Preview,
    /// Checking which recent models still exist.
    CheckRecent,
    /// Looking for the bundled example model.
    FindExample,
    /// The image file dialog.
    ImageDialog,
    /// Building and checking a request.
    Prepare,
    /// Saving a request to a file.
    Save,
    /// Writing a request's body for the clipboard.
    Copy,
    /// A prediction.
    Predict,
    /// Checking the local Python.
    CheckPython,
    /// The labels file dialog and read.
    Labels,
    /// Stopping the local server.
    StopServer,
    /// Browsing the tracking server.
    Browse,
    /// Keeping a pasted image as a file.
    Paste,
    /// Reading an ONNX file's graph and laying it out.
    Graph,
    /// Laying the graph out again.
    GraphLayout,
    /// Decoding thumbnails of the chosen images.
    Thumbnails,
    /// Reading an evaluation dataset and matching it to the model.
    EvalPrepare,
    /// An evaluation run.
    Eval,
    /// Reading a row of the evaluated table for the Test tab.
    EvalRow,
    /// Opening model B and comparing it with A.
    CompareOpen,
    /// Checking the Test tab's request against B's signature.
    CompareCheck,
    /// Scanning the open model's files for what loading them imports.
    Scan,
    /// Sending the Test tab's request to A and B.
    CompareAnswers,
    /// Running the Evaluate tab's dataset through A and B.
    CompareDataset,
    /// Decoding thumbnails of a confusion-matrix cell's images.
    EvalThumbnails,
    /// Explaining an answer.
    Explain,
}

/// The running tasks and the channel they report on.
pub struct Tasks {
    sender: Sender<(TaskName, TaskResult)>,
    receiver: Receiver<(TaskName, TaskResult)>,
    running: HashSet<TaskName>,
}

impl Default for Tasks {
    fn default() -> Self {
        let (sender, receiver) = channel();
        Self {
            sender,
            receiver,
            running: HashSet::new(),
        }
    }
}

impl Tasks {
    /// Starts `work` on a worker thread unless a task named `name` is running; the UI is
    /// repainted when it finishes. Returns whether it started.
    pub fn spawn(
        &mut self,
        name: TaskName,
        ctx: &egui::Context,
        work: impl FnOnce() -> TaskResult + Send + 'static,
    ) -> bool {
        if self.running.contains(&name) {
            return false;
        }
        let sender = self.sender.clone();
        let ctx = ctx.clone();
        let started = std::thread::Builder::new()
            .name(format!("{name:?}"))
            .spawn(move || {
                let result = work();
                // The app may be gone; nothing to tell then.
                let _ = sender.send((name, result));
                ctx.request_repaint();
            })
            .is_ok();
        if started {
            self.running.insert(name);
        }
        started
    }

    /// Whether a task of this name runs.
    pub fn is_running(&self, name: TaskName) -> bool {
        self.running.contains(&name)
    }

    /// Whether any task runs.
    pub fn any_running(&self) -> bool {
        !self.running.is_empty()
    }

    /// The results that arrived since the last call.
    pub fn poll(&mut self) -> Vec<TaskResult> {
        let mut out = Vec::new();
        while let Ok((name, result)) = self.receiver.try_recv() {
            self.running.remove(&name);
            out.push(result);
        }
        out
    }
}
