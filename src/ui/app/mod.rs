//! The app: saved settings, the open model, background tasks, and the command queue applied
//! after each frame. Drawing is in the panel files; this file wires them together.

use std::path::{Path, PathBuf};

use egui::{Key, KeyboardShortcut, Modifiers, RichText};

use super::command::Command;
use super::file_picker::{self, BrowserAnswer, NativeAnswer, Purpose};
use super::settings::{Settings, Tab};
use super::tasks::{TaskName, TaskResult, Tasks};
use super::{
    artifacts_panel, environment_panel, example_panel, flavors_panel, header, signature_panel,
    test_panel, welcome,
};
use crate::model::ModelCard;
use crate::predict::Runner;
use crate::predict::local::Log;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

mod commands;
mod compare_job;
mod eval_job;
mod explain_job;
mod frame;
mod graph_job;
mod pick;
mod predict_job;
mod results;
mod scan_job;
mod trust_job;

/// The largest file shown in a text preview.
pub const PREVIEW_CAP: u64 = 256 * 1024;

/// Per-model view state that is not saved, each panel's own: toggles, selections, previews.
#[derive(Default)]
pub struct PanelState {
    /// The Signature tab.
    pub signature: super::signature_panel::SignatureView,
    /// The Environment tab.
    pub environment: super::environment_panel::EnvironmentView,
    /// The Files tab (its preview is also the Input example tab's).
    pub files: super::artifacts_panel::FilesState,
    /// The Test tab.
    pub test: super::test_panel::TestState,
    /// The Test tab's predict half.
    pub predict: super::predict_panel::PredictState,
    /// The Graph tab.
    pub graph: super::graph_panel::GraphView,
    /// The Evaluate tab.
    pub eval: super::eval_panel::EvalView,
    /// The Compare tab: model B beside this one.
    pub compare: super::compare_panel::CompareView,
    /// The trust question open over the window (any tab's), or waiting for the scan.
    pub trust: Option<super::trust_prompt::TrustQuestion>,
}

/// An open model with its view state.
pub struct Loaded {
    /// The model card (shared with the runner).
    pub card: Arc<ModelCard>,
    /// View state of the panels.
    pub panels: PanelState,
    /// The backends, kept warm (the local server stops when the last handle goes).
    pub runner: Arc<Mutex<Runner>>,
    /// The local server's output (read while a predict holds the runner).
    pub log: Arc<Log>,
    /// The local server's process group, 0 when none (Cancel stops a hung one).
    pub server_pid: Arc<AtomicU32>,
    /// The model folder as an absolute path: the key for trust and labels.
    pub folder: PathBuf,
    /// For a model from a tracking server: its mirror in the cache.
    pub remote: Option<crate::source::RemoteModel>,
    /// Progress of fetching the remote model's files for a predict.
    pub fetch: Arc<crate::source::Progress>,
    /// The model's ONNX files (the onnx flavor's first): the Graph tab shows when there is one.
    pub onnx_files: Vec<String>,
}

impl Loaded {
    /// A model just opened: nothing runs yet.
    pub fn new(card: ModelCard, remote: Option<crate::source::RemoteModel>) -> Self {
        let card = Arc::new(card);
        let mut runner = Runner::new(card.clone());
        if let Some(r) = &remote {
            runner.set_remote(r.clone());
        }
        let fetch = runner.fetch_progress();
        let log = runner.log();
        let server_pid = runner.server_pid();
        let folder = std::path::absolute(&card.root).unwrap_or_else(|_| card.root.clone());
        let onnx_files = crate::predict::graph::onnx_files(&card);
        Self {
            onnx_files,
            folder,
            remote,
            fetch,
            card,
            panels: PanelState::default(),
            runner: Arc::new(Mutex::new(runner)),
            log,
            server_pid,
        }
    }
}

impl Drop for Loaded {
    /// A model closed (or replaced) stops the work still running for it: its predict, its
    /// evaluation and its explanation end at their next request instead of holding the
    /// runner (and their task's name) for minutes.
    fn drop(&mut self) {
        let flags = [
            self.panels.predict.running.as_ref().map(|r| &r.cancel),
            self.panels
                .predict
                .explain
                .running
                .as_ref()
                .map(|r| &r.cancel),
            self.panels.eval.running.as_ref().map(|r| &r.cancel),
        ];
        for flag in flags.into_iter().flatten() {
            flag.store(true, Ordering::Relaxed);
        }
    }
}

/// The MLmodel Inspector app.
pub struct InspectorApp {
    /// What is saved between runs.
    pub settings: Settings,
    /// The open model, if any.
    pub loaded: Option<Box<Loaded>>,
    /// The folder being opened, if any.
    pub opening: Option<PathBuf>,
    /// The last error, shown in a banner until dismissed or another model opens.
    pub error: Option<String>,
    tasks: Tasks,
    commands: Vec<Command>,
    generation: u64,
    pending_open: Option<PathBuf>,
    pending_preview: Option<String>,
    /// A graph read asked for while another ran (that one is cancelled first).
    pending_graph: Option<Option<String>>,
    prepare_generation: u64,
    predict_generation: u64,
    title: String,
    images_on_open: Vec<PathBuf>,
    /// The "Open from tracking server" window.
    pub tracking: super::tracking_panel::TrackingState,
    /// Frame times for the benchmarks, when `MLMODEL_INSPECTOR_FRAME_STATS` is set.
    frame_stats: Option<super::frame_stats::FrameStats>,
    /// The Test tab's split: the width it was laid out for, and a count that renews the
    /// divider (so that a resized window keeps the user's proportion).
    split: (f32, u64),
    /// Whether the desktop's file dialog works (`None`: not tried yet; `Some(false)`: it did
    /// not come up, and the in-app browser is used).
    pub native_dialogs: Option<bool>,
    /// The in-app file browser, when open.
    pub browser: Option<file_picker::Browser>,
    /// The bundled example model, when it shipped (found on a worker at start).
    pub example: Option<crate::source::BundledExample>,
}

impl InspectorApp {
    /// The request the Test tab last built, if any (shared, for a worker to write out).
    fn built_request(&self) -> Option<Arc<crate::input::request::Request>> {
        self.loaded
            .as_ref()
            .and_then(|l| l.panels.test.prepared.as_ref())
            .map(|p| p.request.clone())
    }

    /// Creates the app, restoring saved settings, and opens `path` if given.
    pub fn new(cc: &eframe::CreationContext<'_>, path: Option<PathBuf>) -> Self {
        let settings: Settings = cc
            .storage
            .and_then(|s| eframe::get_value(s, eframe::APP_KEY))
            .unwrap_or_default();
        Self::with_settings(&cc.egui_ctx, settings, path)
    }

    /// Creates the app with these settings (tests use this to start from a known state).
    pub fn with_settings(ctx: &egui::Context, settings: Settings, path: Option<PathBuf>) -> Self {
        ctx.set_theme(settings.theme.preference());
        // Light theme: text fields (white) on the off-white rows of a table need an edge to be
        // seen when empty; the dark theme's fields already stand out.
        ctx.style_mut_of(egui::Theme::Light, |style| {
            style.visuals.widgets.inactive.bg_stroke =
                egui::Stroke::new(1.0, egui::Color32::from_gray(170));
        });
        let mut app = Self {
            settings,
            loaded: None,
            opening: None,
            error: None,
            tasks: Tasks::default(),
            commands: Vec::new(),
            generation: 0,
            pending_open: None,
            pending_preview: None,
            pending_graph: None,
            prepare_generation: 0,
            predict_generation: 0,
            title: String::new(),
            images_on_open: Vec::new(),
            tracking: Default::default(),
            frame_stats: super::frame_stats::FrameStats::from_env(),
            split: (0.0, 0),
            native_dialogs: None,
            browser: None,
            example: None,
        };
        app.tasks.spawn(TaskName::FindExample, ctx, || {
            TaskResult::ExampleFound(crate::source::bundled_example())
        });
        let recent = app.settings.recent.clone();
        if !recent.is_empty() {
            // A stat of each recent path can hang on a dead network mount: not on the UI thread.
            app.tasks.spawn(TaskName::CheckRecent, ctx, move || {
                TaskResult::RecentChecked(
                    recent
                        .into_iter()
                        .filter(|p| is_remote_uri(p) || p.exists())
                        .collect(),
                )
            });
        }
        if let Some(path) = path {
            app.apply(ctx, Command::Open(path));
        }
        app
    }

    /// Puts these images on the Test tab of the model being opened (`mlmodel-inspector MODEL
    /// --image FILE`).
    pub fn images_on_open(&mut self, images: Vec<PathBuf>) {
        self.images_on_open = images;
    }

    /// Whether background work is under way (tests wait for this to end).
    pub fn is_busy(&self) -> bool {
        self.tasks.any_running()
    }

    /// Whether the named background task is running.
    pub fn is_running(&self, name: TaskName) -> bool {
        self.tasks.is_running(name)
    }

    /// The open model's card.
    pub fn card(&self) -> Option<&ModelCard> {
        self.loaded.as_ref().map(|l| l.card.as_ref())
    }
}

/// Whether a recent entry is a tracking-server URI rather than a path.
fn is_remote_uri(p: &Path) -> bool {
    crate::source::ModelUri::parse(&p.to_string_lossy()).is_ok_and(|u| u.is_remote())
}

/// Describes a file of the model for the Files tab (on a worker).
pub fn read_preview(root: &Path, rel: &str) -> Result<crate::preview::Preview, String> {
    crate::preview::describe(root, rel)
}

impl eframe::App for InspectorApp {
    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        let started = std::time::Instant::now();
        let cpu_started = self
            .frame_stats
            .as_ref()
            .and_then(|_| super::frame_stats::thread_cpu_time());
        let ctx = ui.ctx().clone();
        self.handle_results(&ctx);
        self.handle_input(&ctx);
        self.top_bar_ui(ui);
        self.error_banner_ui(ui);
        self.opening_ui(ui);
        if self.loaded.is_some() {
            self.model_ui(ui);
        } else {
            egui::CentralPanel::default().show(ui, |ui| {
                welcome::welcome_ui(
                    ui,
                    &self.settings.recent,
                    self.example.as_ref(),
                    &mut self.commands,
                );
            });
        }
        if self.tracking.open {
            let browsing = self.tasks.is_running(TaskName::Browse);
            let opening = self.opening.is_some();
            super::tracking_panel::tracking_ui(
                &ctx,
                &mut self.tracking,
                &mut self.settings.tracking_uri,
                browsing,
                opening,
                self.loaded.is_some(),
                &mut self.commands,
            );
        }
        self.browser_ui(&ctx);
        self.drop_overlay_ui(ui);
        self.update_title(&ctx);
        for command in std::mem::take(&mut self.commands) {
            self.apply(&ctx, command);
        }
        if let Some(stats) = &mut self.frame_stats {
            let cpu = super::frame_stats::thread_cpu_time()
                .zip(cpu_started)
                .map(|(now, then)| now.saturating_sub(then));
            stats.record(started.elapsed(), cpu, frame.info().cpu_usage);
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.settings.for_disk());
    }
}
