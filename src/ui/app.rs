//! The app: saved settings, the open model, background tasks, and the command queue applied
//! after each frame. Drawing is in the panel files; this file wires them together.

use std::collections::HashSet;
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

/// Extensions of the image files the Test tab takes.
pub const IMAGE_EXTENSIONS: [&str; 8] = ["jpg", "jpeg", "png", "webp", "bmp", "tif", "tiff", "gif"];

/// The largest file shown in a text preview.
pub const PREVIEW_CAP: u64 = 256 * 1024;

/// Per-model view state that is not saved: toggles, selections, previews.
#[derive(Default)]
pub struct PanelState {
    /// Signature tab: show the raw JSON instead of tables.
    pub raw_signature: bool,
    /// Environment tab: the environment file shown as text.
    pub env_file: Option<String>,
    /// Artifacts tab: expanded folders.
    pub expanded: HashSet<String>,
    /// Artifacts tab: whether the default expansion was set.
    pub tree_initialized: bool,
    /// Artifacts tab: the selected file.
    pub selected: Option<String>,
    /// The last file preview that arrived: its path and text, or why not.
    pub preview: Option<(String, Result<crate::preview::Preview, String>)>,
    /// The previewed image, uploaded for drawing (its path and texture).
    pub preview_texture: Option<(String, egui::TextureHandle)>,
    /// Files tab: the preview's share of the width (0 until the divider is moved), the
    /// width it was laid out for, and a count that lays it out anew when the width changes.
    pub files_split: (f32, f32, u64),
    /// The Test tab.
    pub test: super::test_panel::TestState,
    /// The Test tab's predict half.
    pub predict: super::predict_panel::PredictState,
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
        Self {
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

    fn apply(&mut self, ctx: &egui::Context, command: Command) {
        match command {
            Command::PickFolder => self.pick(ctx, Purpose::ModelFolder),
            Command::TryExample(example) => {
                self.images_on_open = example.image.into_iter().collect();
                if self.images_on_open.is_empty() {
                    self.settings.tab = Tab::Test;
                }
                self.apply(ctx, Command::Open(example.model));
            }
            Command::Open(path) => {
                self.generation += 1;
                self.opening = Some(path.clone());
                self.error = None;
                if self.tasks.is_running(TaskName::Open) {
                    // One open at a time: the running one's answer is dropped, this one
                    // starts when it is done.
                    self.pending_open = Some(path);
                    return;
                }
                let generation = self.generation;
                let tracking_uri = self.settings.tracking_uri.clone();
                self.tasks.spawn(TaskName::Open, ctx, move || {
                    let result = crate::session::open(&path, Some(&tracking_uri))
                        .map(Box::new)
                        .map_err(Arc::new);
                    // The recent list keeps folders resolved (done here: it is a file system call).
                    let path = match &result {
                        Ok(opened) if opened.remote.is_none() => {
                            path.canonicalize().unwrap_or(path)
                        }
                        _ => path,
                    };
                    TaskResult::Opened {
                        generation,
                        path,
                        result,
                    }
                });
            }
            Command::CancelOpen => {
                self.generation += 1;
                self.opening = None;
            }
            Command::CloseModel => {
                self.loaded = None;
            }
            Command::SetTab(tab) => self.settings.tab = tab,
            Command::SetTheme(theme) => {
                self.settings.theme = theme;
                ctx.set_theme(theme.preference());
            }
            Command::Preview(rel) => {
                let Some(loaded) = &mut self.loaded else {
                    return;
                };
                loaded.panels.selected = Some(rel.clone());
                let root = loaded.card.root.clone();
                if self.tasks.is_running(TaskName::Preview) {
                    // One preview at a time: this one starts when the running one is done.
                    self.pending_preview = Some(rel);
                    return;
                }
                self.tasks
                    .spawn(TaskName::Preview, ctx, move || TaskResult::Preview {
                        result: read_preview(&root, &rel),
                        rel,
                    });
            }
            Command::DismissError => self.error = None,
            Command::PickImages => self.pick(ctx, Purpose::Images),
            Command::PickDataFiles => self.pick(ctx, Purpose::DataFiles),
            Command::AddDataFiles(paths) => {
                if let Some(loaded) = &mut self.loaded {
                    let test = &mut loaded.panels.test;
                    test.source = super::test_panel::SourceKind::DataFiles;
                    // One unnamed tensor or one CSV: the new files replace the old.
                    let names = loaded.card.input_names();
                    if names.len() <= 1 {
                        test.data_files.clear();
                    }
                    // A file named after a tensor (img.npy) fills it: the command line's rule.
                    test.data_files.extend(crate::session::name_npy_files(
                        &loaded.card,
                        paths.into_iter().map(|p| (None, p)),
                    ));
                }
            }
            Command::AddImages(paths) => {
                if let Some(loaded) = &mut self.loaded {
                    let test = &mut loaded.panels.test;
                    test.source = super::test_panel::SourceKind::Images;
                    test.paste_error = None;
                    test.images.extend(paths);
                }
            }
            Command::PasteImage(image) => {
                // Kept as a PNG file on a worker (the encode is not the UI thread's work).
                self.tasks.spawn(TaskName::Paste, ctx, move || {
                    let [w, h] = image.size;
                    let rgba: Vec<u8> = image
                        .pixels
                        .iter()
                        .flat_map(|c| c.to_srgba_unmultiplied())
                        .collect();
                    let result = match ::image::RgbaImage::from_raw(w as u32, h as u32, rgba) {
                        Some(picture) => crate::input::image::save_pasted(
                            &picture,
                            &crate::input::image::pasted_dir(),
                        )
                        .map_err(|e| e.to_string()),
                        None => {
                            Err("the clipboard's image has fewer pixels than its size says".into())
                        }
                    };
                    TaskResult::Pasted(result)
                });
            }
            Command::Prepare | Command::LoadExample => {
                let Some(loaded) = &mut self.loaded else {
                    return;
                };
                let fill_editor = command == Command::LoadExample;
                let (source, params, options) = if fill_editor {
                    (crate::input::build::InputSource::Example, None, None)
                } else {
                    loaded.panels.test.request_inputs(&loaded.card)
                };
                self.prepare_generation += 1;
                let generation = self.prepare_generation;
                let card = loaded.card.clone();
                let progress = std::sync::Arc::new(crate::input::build::Progress::default());
                loaded.panels.test.error = None;
                loaded.panels.test.saved = None;
                loaded.panels.test.progress = Some(progress.clone());
                self.tasks
                    .spawn(TaskName::Prepare, ctx, move || TaskResult::Prepared {
                        generation,
                        result: crate::input::build::prepare(
                            &card,
                            &source,
                            params.as_ref(),
                            options,
                            &progress,
                        )
                        .map(Box::new)
                        .map_err(|e| e.to_string()),
                        fill_editor,
                    });
            }
            Command::SaveRequest => self.pick(ctx, Purpose::SaveRequest),
            Command::PickBinaryCell(row, col) => self.pick(ctx, Purpose::BinaryCell(row, col)),
            Command::Copy(text) => ctx.copy_text(text),
            Command::Predict => {
                let Some(loaded) = &mut self.loaded else {
                    return;
                };
                // Nothing to send yet (the reason stands beside the Predict button).
                if loaded.panels.predict.running.is_some()
                    || loaded.panels.test.missing_input().is_some()
                {
                    return;
                }
                loaded.panels.predict.predict_after_prepare = true;
                loaded.panels.predict.error = None;
                self.apply(ctx, Command::Prepare);
            }
            Command::Send(body) => self.send(ctx, body, None),
            Command::Rerun(index) => {
                let Some(run) = self
                    .loaded
                    .as_ref()
                    .and_then(|l| l.panels.predict.history.get(index))
                else {
                    return;
                };
                let (body, input) = (
                    run.body.clone(),
                    format!("{} (run {} again)", run.input, run.number),
                );
                self.send(ctx, body, Some(input));
            }
            Command::Trust(yes) => {
                let Some(loaded) = &mut self.loaded else {
                    return;
                };
                let predict = &mut loaded.panels.predict;
                predict.trust_prompt = false;
                let pending = predict.pending.take();
                if yes {
                    let root = loaded.folder.clone();
                    if !self.settings.is_trusted(&root) {
                        self.settings.trusted.push(root);
                    }
                    if let Some((body, input)) = pending {
                        self.send(ctx, body, input);
                    }
                } else {
                    predict.error = Some("Not run: the model's code was not trusted. ONNX models can run in-process instead.".into());
                }
            }
            Command::CancelPredict => {
                let Some(loaded) = &mut self.loaded else {
                    return;
                };
                if let Some(running) = &loaded.panels.predict.running {
                    running.cancel.store(true, Ordering::Relaxed);
                    if loaded.panels.predict.backend == super::predict_panel::BackendKind::Local {
                        let pid = loaded.server_pid.load(Ordering::Relaxed);
                        if pid > 0 {
                            crate::predict::kill_server_group(pid);
                            loaded.panels.predict.server = None;
                        }
                    }
                }
            }
            Command::StopServer => {
                let Some(loaded) = &self.loaded else {
                    return;
                };
                let runner = loaded.runner.clone();
                self.tasks.spawn(TaskName::StopServer, ctx, move || {
                    if let Ok(mut r) = runner.lock() {
                        r.stop_server();
                    }
                    TaskResult::ServerStopped
                });
            }
            Command::CheckPython => {
                let Some(loaded) = &mut self.loaded else {
                    return;
                };
                loaded.panels.predict.python = Some(super::predict_panel::PythonStatus::Checking);
                let card = loaded.card.clone();
                let setting = self.settings.backend.python.clone();
                self.tasks.spawn(TaskName::CheckPython, ctx, move || {
                    let choice = crate::predict::python::find(setting.as_deref());
                    let origin = choice.as_ref().map_or("", |c| c.origin.label());
                    TaskResult::PythonChecked(
                        crate::predict::python::check_for_serving(choice.as_ref(), &card)
                            .map(|(info, mismatches)| super::predict_panel::PythonCheck {
                                info,
                                origin,
                                mismatches,
                            })
                            .map_err(Arc::new),
                    )
                });
            }
            Command::PickLabels => self.pick(ctx, Purpose::Labels),
            Command::UseLabels(None) => {
                if let Some(loaded) = &mut self.loaded {
                    loaded.panels.predict.labels = None;
                    self.settings.set_labels(&loaded.folder, None);
                }
            }
            Command::UseLabels(Some(path)) => {
                self.tasks.spawn(TaskName::Labels, ctx, move || {
                    TaskResult::Labels(Some(crate::session::read_labels(&path)))
                });
            }
            Command::SetBackend(kind) => {
                if let Some(loaded) = &mut self.loaded {
                    loaded.panels.predict.backend = kind;
                    loaded.panels.predict.error = None;
                }
            }
            Command::ShowTracking(open) => {
                self.tracking.open = open;
                let server_known = !self.settings.tracking_uri.trim().is_empty()
                    || std::env::var_os(crate::source::tracking::TRACKING_URI_VAR).is_some();
                if open && self.tracking.models.is_none() && server_known {
                    self.apply(ctx, Command::BrowseModels);
                }
            }
            Command::BrowseModels => {
                let uri = self.settings.tracking_uri.clone();
                self.tracking.versions.clear();
                self.tasks.spawn(TaskName::Browse, ctx, move || {
                    TaskResult::Models(
                        crate::source::Tracking::from_env(Some(&uri))
                            .and_then(|t| crate::source::registered_models(&t))
                            .map_err(|e| e.to_string()),
                    )
                });
            }
            Command::BrowseVersions(name) => {
                let uri = self.settings.tracking_uri.clone();
                self.tasks.spawn(TaskName::Browse, ctx, move || {
                    let result = crate::source::Tracking::from_env(Some(&uri))
                        .and_then(|t| crate::source::model_versions(&t, &name))
                        .map_err(|e| e.to_string());
                    TaskResult::Versions(name, result)
                });
            }
            Command::ShowRun(index) => {
                if let Some(loaded) = &mut self.loaded {
                    loaded.panels.predict.shown = Some(index);
                }
            }
        }
    }

    /// Sends a body to the chosen backend on a worker (asking first before running the
    /// model's code locally).
    fn send(&mut self, ctx: &egui::Context, body: Arc<serde_json::Value>, input: Option<String>) {
        use super::predict_panel::{BackendKind, Run, Running};
        let Some(loaded) = &mut self.loaded else {
            return;
        };
        let predict = &mut loaded.panels.predict;
        if predict.running.is_some() || self.tasks.is_running(TaskName::Predict) {
            return;
        }
        if predict.backend == BackendKind::Local && !self.settings.is_trusted(&loaded.folder) {
            predict.trust_prompt = true;
            predict.pending = Some((body, input));
            return;
        }
        let choice = predict.backend.choice(&self.settings.endpoint_url);
        let label = choice.label();
        let input =
            input.unwrap_or_else(|| super::test_panel::input_summary(&loaded.panels.test, &body));
        let settings = self.settings.backend.clone();
        let runner = loaded.runner.clone();
        let cancel = Arc::new(AtomicBool::new(false));
        self.predict_generation += 1;
        let generation = self.predict_generation;
        let number = predict.history.len() + 1;
        let remembered = self.settings.labels_for(&loaded.folder).cloned();
        let want_labels = predict.labels.is_none();
        let card = loaded.card.clone();
        predict.running = Some(Running {
            generation,
            cancel: cancel.clone(),
            started: std::time::Instant::now(),
            backend: label.clone(),
            fetch: loaded.remote.as_ref().map(|_| loaded.fetch.clone()),
        });
        predict.error = None;
        self.tasks.spawn(TaskName::Predict, ctx, move || {
            let result = match runner.lock() {
                Ok(mut r) => r.predict(&choice, &settings, &body, &cancel),
                Err(_) => Err(crate::predict::PredictError::NotRunnable(
                    "an earlier predict failed badly; close and open the model again".into(),
                )),
            };
            let server = runner
                .lock()
                .ok()
                .and_then(|r| r.server_info())
                .map(|(port, version)| {
                    format!(
                        "MLflow {} scoring server on 127.0.0.1:{port}",
                        version.unwrap_or_else(|| "?".into())
                    )
                });
            let cancelled = cancel.load(Ordering::Relaxed);
            let result = match result {
                _ if cancelled => Err(Arc::new(crate::predict::PredictError::Cancelled)),
                Ok(o) => Ok(o),
                Err(e) => Err(Arc::new(e)),
            };
            let crate::session::AnswerView {
                sections,
                summary,
                candidates,
                labels,
            } = crate::session::read_answer(&result, &card, remembered.as_deref(), want_labels);
            let (raw_view, value_views) = Run::views(&result, &sections);
            TaskResult::Predicted {
                generation,
                run: Box::new(Run {
                    number,
                    backend: label,
                    input,
                    input_digest: crate::predict::answer::fingerprint(&body),
                    input_glimpse: crate::predict::answer::first_values(&body, 6),
                    body,
                    result,
                    sections,
                    summary,
                    raw_view,
                    value_views,
                }),
                server,
                candidates,
                labels,
            }
        });
    }

    /// Asks for files or a folder: the desktop's dialog on a worker, or the in-app browser
    /// where the desktop has none.
    fn pick(&mut self, ctx: &egui::Context, purpose: Purpose) {
        if self.native_dialogs != Some(false) && file_picker::native_may_work() {
            self.tasks.spawn(TaskName::Dialog, ctx, move || {
                TaskResult::Chosen(purpose, file_picker::native(purpose))
            });
        } else {
            self.open_browser(ctx, purpose);
        }
    }

    fn open_browser(&mut self, ctx: &egui::Context, purpose: Purpose) {
        let start = self
            .loaded
            .as_ref()
            .and_then(|l| l.folder.parent().map(Path::to_path_buf))
            .or_else(|| std::env::var_os("HOME").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("/"));
        self.browser = Some(file_picker::Browser::open(
            purpose,
            &start,
            ctx.content_rect().size(),
        ));
    }

    /// What happens once files or a folder were chosen.
    fn picked(&mut self, ctx: &egui::Context, purpose: Purpose, paths: Vec<PathBuf>) {
        let Some(first) = paths.first().cloned() else {
            return;
        };
        match purpose {
            Purpose::ModelFolder => self.commands.push(Command::Open(first)),
            Purpose::Images => self.commands.push(Command::AddImages(paths)),
            Purpose::DataFiles => self.commands.push(Command::AddDataFiles(paths)),
            Purpose::Labels => self.commands.push(Command::UseLabels(Some(first))),
            Purpose::BinaryCell(row, col) => {
                self.tasks.spawn(TaskName::ImageDialog, ctx, move || {
                    TaskResult::BinaryCell(
                        row,
                        col,
                        Some(
                            crate::input::files::file_as_base64(&first).map_err(|e| e.to_string()),
                        ),
                    )
                });
            }
            Purpose::SaveRequest => {
                let Some(body) = self
                    .loaded
                    .as_ref()
                    .and_then(|l| l.panels.test.prepared.as_ref())
                    .map(|p| p.body.clone())
                else {
                    return;
                };
                self.tasks.spawn(TaskName::Save, ctx, move || {
                    let result = serde_json::to_vec_pretty(body.as_ref())
                        .map_err(|e| e.to_string())
                        .and_then(|bytes| {
                            std::fs::write(&first, bytes)
                                .map_err(|e| format!("{}: {e}", first.display()))
                        })
                        .map(|()| first);
                    TaskResult::Saved(result)
                });
            }
        }
    }

    /// Draws the in-app file browser when it is open.
    fn browser_ui(&mut self, ctx: &egui::Context) {
        let Some(browser) = &mut self.browser else {
            return;
        };
        match file_picker::browser_ui(ctx, browser, &self.settings.recent) {
            BrowserAnswer::Open => {}
            BrowserAnswer::Closed => self.browser = None,
            BrowserAnswer::Picked(paths) => {
                let purpose = browser.purpose;
                self.browser = None;
                self.picked(ctx, purpose, paths);
            }
        }
    }

    fn handle_results(&mut self, ctx: &egui::Context) {
        for result in self.tasks.poll() {
            match result {
                TaskResult::Chosen(purpose, answer) => match answer {
                    NativeAnswer::Picked(paths) => {
                        self.native_dialogs = Some(true);
                        self.picked(ctx, purpose, paths);
                    }
                    NativeAnswer::Cancelled => self.native_dialogs = Some(true),
                    NativeAnswer::Unavailable => {
                        self.native_dialogs = Some(false);
                        self.open_browser(ctx, purpose);
                    }
                },
                TaskResult::BinaryCell(row, col, result) => {
                    if let Some(loaded) = &mut self.loaded {
                        let test = &mut loaded.panels.test;
                        match result {
                            Some(Ok(text)) => {
                                if let Some(cell) =
                                    test.grid.get_mut(row).and_then(|r| r.get_mut(col))
                                {
                                    *cell = text;
                                }
                            }
                            Some(Err(e)) => test.error = Some(e),
                            None => {}
                        }
                    }
                }

                TaskResult::Prepared {
                    generation,
                    result,
                    fill_editor,
                } => {
                    let Some(loaded) = &mut self.loaded else {
                        continue;
                    };
                    if generation != self.prepare_generation {
                        continue;
                    }
                    let test = &mut loaded.panels.test;
                    test.progress = None;
                    match result {
                        Ok(prepared) => {
                            if fill_editor {
                                test.source = super::test_panel::SourceKind::Json;
                                test.json_text =
                                    serde_json::to_string_pretty(prepared.body.as_ref())
                                        .unwrap_or_default();
                            }
                            test.preview_texture = prepared.preview.as_ref().map(|img| {
                                let size = [img.width() as usize, img.height() as usize];
                                let color =
                                    egui::ColorImage::from_rgba_unmultiplied(size, img.as_raw());
                                ctx.load_texture(
                                    "model_input_preview",
                                    color,
                                    egui::TextureOptions::LINEAR,
                                )
                            });
                            let send =
                                std::mem::take(&mut loaded.panels.predict.predict_after_prepare);
                            if send {
                                if prepared.verdict.is_ok() {
                                    self.commands.push(Command::Send(prepared.body.clone()));
                                } else {
                                    loaded.panels.predict.error = Some(
                                        "Not sent: MLflow would refuse this request (see the problems above).".into(),
                                    );
                                }
                            }
                            test.prepared = Some(*prepared);
                        }
                        Err(e) => {
                            test.prepared = None;
                            test.error = Some(e);
                            loaded.panels.predict.predict_after_prepare = false;
                        }
                    }
                }
                TaskResult::Saved(result) => {
                    if let Some(loaded) = &mut self.loaded {
                        loaded.panels.test.saved = Some(result);
                    }
                }
                TaskResult::Pasted(result) => match result {
                    Ok(path) => self.commands.push(Command::AddImages(vec![path])),
                    Err(e) => {
                        if let Some(loaded) = &mut self.loaded {
                            loaded.panels.test.paste_error = Some(e);
                        }
                    }
                },
                TaskResult::Thumbnails(done) => {
                    let Some(loaded) = &mut self.loaded else {
                        continue;
                    };
                    let test = &mut loaded.panels.test;
                    for (path, result) in done {
                        // Only for images still chosen (a Clear may have come first).
                        if !test.images.contains(&path) {
                            continue;
                        }
                        let entry = result.map(|(picture, size)| {
                            let image = egui::ColorImage::from_rgba_unmultiplied(
                                [picture.width() as usize, picture.height() as usize],
                                picture.as_raw(),
                            );
                            let texture = ctx.load_texture(
                                format!("thumbnail {}", path.display()),
                                image,
                                egui::TextureOptions::LINEAR,
                            );
                            (texture, size)
                        });
                        test.thumbnails.push((path, entry));
                    }
                }
                TaskResult::Predicted {
                    generation,
                    run,
                    server,
                    candidates,
                    labels,
                } => {
                    let Some(loaded) = &mut self.loaded else {
                        continue;
                    };
                    let predict = &mut loaded.panels.predict;
                    if predict.running.as_ref().map(|r| r.generation) != Some(generation) {
                        continue;
                    }
                    predict.running = None;
                    predict.server = server;
                    predict.label_candidates = candidates;
                    if predict.labels.is_none()
                        && let Some(labels) = labels
                    {
                        predict.labels = Some(labels);
                    }
                    predict.full_message = false;
                    predict.history.push(*run);
                    predict.shown = Some(predict.history.len() - 1);
                }
                TaskResult::PythonChecked(result) => {
                    if let Some(loaded) = &mut self.loaded {
                        loaded.panels.predict.python =
                            Some(super::predict_panel::PythonStatus::Checked(result));
                    }
                }
                TaskResult::Labels(Some(Ok(labels))) => {
                    if let Some(loaded) = &mut self.loaded {
                        self.settings
                            .set_labels(&loaded.folder, labels.file.clone());
                        loaded.panels.predict.labels = Some(labels);
                    }
                }
                TaskResult::Labels(Some(Err(e))) => {
                    if let Some(loaded) = &mut self.loaded {
                        loaded.panels.predict.error = Some(e);
                    }
                }
                TaskResult::Labels(None) => {}
                TaskResult::ServerStopped => {
                    if let Some(loaded) = &mut self.loaded {
                        loaded.panels.predict.server = None;
                    }
                }
                TaskResult::Opened {
                    generation,
                    path,
                    result,
                } => {
                    if generation != self.generation {
                        continue; // cancelled or superseded
                    }
                    self.opening = None;
                    match result {
                        Ok(opened) => {
                            let crate::session::Opened { card, remote } = *opened;
                            self.settings.remember(&path);
                            self.tracking.open = false;
                            self.loaded = Some(Box::new(Loaded::new(card, remote)));
                            let images = std::mem::take(&mut self.images_on_open);
                            if !images.is_empty() {
                                self.settings.tab = Tab::Test;
                                self.commands.push(Command::AddImages(images));
                            }
                        }
                        Err(e) => {
                            self.error = Some(e.to_string());
                        }
                    }
                }
                TaskResult::Models(result) => self.tracking.models = Some(result),
                TaskResult::Versions(name, result) => {
                    self.tracking.versions.retain(|(n, _)| *n != name);
                    self.tracking.versions.push((name, result));
                }

                TaskResult::Preview { rel, result } => {
                    if let Some(loaded) = &mut self.loaded {
                        loaded.panels.preview = Some((rel, result));
                    }
                }
                TaskResult::RecentChecked(existing) => {
                    self.settings.recent.retain(|p| existing.contains(p));
                }
                TaskResult::ExampleFound(example) => self.example = example,
            }
        }
        if !self.tasks.is_running(TaskName::Open)
            && let Some(path) = self.pending_open.take()
        {
            self.commands.push(Command::Open(path));
        }
        if !self.tasks.is_running(TaskName::Preview)
            && let Some(rel) = self.pending_preview.take()
        {
            self.commands.push(Command::Preview(rel));
        }
        // Thumbnails for the first chosen images that have none yet.
        if let Some(loaded) = &mut self.loaded
            && !self.tasks.is_running(TaskName::Thumbnails)
        {
            let test = &mut loaded.panels.test;
            test.thumbnails.retain(|(p, _)| test.images.contains(p));
            let wanted: Vec<PathBuf> = test
                .images
                .iter()
                .take(super::test_panel::MAX_THUMBNAILS)
                .filter(|p| !test.thumbnails.iter().any(|(q, _)| q == *p))
                .cloned()
                .collect();
            if !wanted.is_empty() {
                self.tasks.spawn(TaskName::Thumbnails, ctx, move || {
                    TaskResult::Thumbnails(
                        wanted
                            .into_iter()
                            .map(|p| {
                                let r = crate::input::image::thumbnail(&p, 96)
                                    .map_err(|e| e.to_string());
                                (p, r)
                            })
                            .collect(),
                    )
                });
            }
        }
    }

    fn handle_input(&mut self, ctx: &egui::Context) {
        let mut commands = Vec::new();
        let testing = self.loaded.is_some() && self.settings.tab == Tab::Test;
        ctx.input_mut(|i| {
            if i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::O)) {
                commands.push(Command::PickFolder);
            }
            if i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::W)) {
                commands.push(Command::CloseModel);
            }
            if testing && i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::Enter))
            {
                commands.push(Command::Predict);
            }
            let digits = [
                Key::Num1,
                Key::Num2,
                Key::Num3,
                Key::Num4,
                Key::Num5,
                Key::Num6,
                Key::Num7,
                Key::Num8,
                Key::Num9,
            ];
            for (index, key) in digits.into_iter().enumerate() {
                if i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, key))
                    && let Some(path) = self.settings.recent.get(index)
                {
                    commands.push(Command::Open(path.clone()));
                }
            }
            // An image pasted (Ctrl+V with a picture on the clipboard) on the Test tab.
            if testing {
                for event in &i.events {
                    if let egui::Event::PasteImage(image) = event {
                        commands.push(Command::PasteImage(image.clone()));
                    }
                }
            }
            let mut images = Vec::new();
            let mut data_files = Vec::new();
            for file in &i.raw.dropped_files {
                let path = file.path();
                if path.as_os_str().is_empty() {
                    continue;
                }
                // Image files dropped on the Test tab are inputs, not models.
                let is_image = path
                    .extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()));
                let is_data = path
                    .extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "npy" | "csv"));
                if testing && is_image {
                    images.push(path.to_path_buf());
                } else if testing && is_data {
                    data_files.push(path.to_path_buf());
                } else {
                    commands.push(Command::Open(path.to_path_buf()));
                }
            }
            if !images.is_empty() {
                commands.push(Command::AddImages(images));
            }
            if !data_files.is_empty() {
                commands.push(Command::AddDataFiles(data_files));
            }
        });
        self.commands.extend(commands);
    }

    fn update_title(&mut self, ctx: &egui::Context) {
        let title = match &self.loaded {
            Some(l) => format!("{} — MLmodel Inspector", l.card.display_name()),
            None => "MLmodel Inspector".to_string(),
        };
        if title != self.title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title = title;
        }
    }

    fn top_bar_ui(&mut self, ui: &mut egui::Ui) {
        egui::Panel::top("top_bar").show(ui, |ui| {
            ui.horizontal(|ui| {
                if ui
                    .button("Open model folder…")
                    .on_hover_text("Ctrl+O")
                    .clicked()
                {
                    self.commands.push(Command::PickFolder);
                }
                if ui
                    .button("Open from tracking server…")
                    .on_hover_text(
                        "models:/, runs:/ or mlflow-artifacts:/ URIs, or browse the registry",
                    )
                    .clicked()
                {
                    self.commands.push(Command::ShowTracking(true));
                }
                ui.menu_button("Recent", |ui| {
                    if self.settings.recent.is_empty() {
                        ui.label("No recent models");
                    }
                    for (i, path) in self.settings.recent.iter().enumerate() {
                        if ui
                            .button(format!("{}  {}", i + 1, path.display()))
                            .on_hover_text(format!("Ctrl+{}", i + 1))
                            .clicked()
                        {
                            self.commands.push(Command::Open(path.clone()));
                            ui.close();
                        }
                    }
                });
                if self.loaded.is_some() && ui.button("Close").on_hover_text("Ctrl+W").clicked() {
                    self.commands.push(Command::CloseModel);
                }
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    let mut theme = self.settings.theme;
                    egui::ComboBox::from_label("Theme")
                        .selected_text(format!("{theme:?}"))
                        .show_ui(ui, |ui| {
                            for choice in [
                                super::settings::ThemeChoice::System,
                                super::settings::ThemeChoice::Light,
                                super::settings::ThemeChoice::Dark,
                            ] {
                                ui.selectable_value(&mut theme, choice, format!("{choice:?}"));
                            }
                        });
                    if theme != self.settings.theme {
                        self.commands.push(Command::SetTheme(theme));
                    }
                });
            });
        });
    }

    fn error_banner_ui(&mut self, ui: &mut egui::Ui) {
        let Some(error) = self.error.clone() else {
            return;
        };
        egui::Panel::top("error_banner").show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.colored_label(super::widgets::error_color(ui), RichText::new("✖").strong());
                ui.add(
                    egui::Label::new(RichText::new(&error).color(super::widgets::error_color(ui)))
                        .selectable(true)
                        .wrap(),
                );
                if ui.small_button("Dismiss").clicked() {
                    self.commands.push(Command::DismissError);
                }
            });
        });
    }

    fn model_ui(&mut self, ui: &mut egui::Ui) {
        let Some(loaded) = &mut self.loaded else {
            return;
        };
        egui::Panel::top("model_header").show(ui, |ui| {
            header::header_ui(ui, &loaded.card, loaded.remote.as_ref());
            ui.add_space(4.0);
            ui.horizontal(|ui| {
                for tab in Tab::ALL {
                    let label = match tab {
                        Tab::Signature
                            if matches!(
                                loaded.card.signature,
                                crate::model::signature::SignatureState::Invalid { .. }
                            ) =>
                        {
                            format!("{} ⚠", tab.title())
                        }
                        _ => tab.title().to_string(),
                    };
                    if ui
                        .selectable_label(self.settings.tab == tab, label)
                        .clicked()
                    {
                        self.commands.push(Command::SetTab(tab));
                    }
                }
            });
        });
        let preparing = self.tasks.is_running(TaskName::Prepare);
        if self.settings.tab == Tab::Test {
            // Predict and the answer beside the input, so both stay in sight.
            let request_ok = loaded
                .panels
                .test
                .prepared
                .as_ref()
                .is_none_or(|p| p.verdict.is_ok());
            let missing_input = loaded.panels.test.missing_input();
            // Each half keeps its own space at every window size: the divider is the user's
            // (remembered), neither half goes below a usable width, and what does not fit
            // wraps or scrolls inside its half.
            let total = ui.available_width();
            let (min_half, min_input) = (280.0, 300.0);
            let max_width = (total - min_input).max(min_half);
            let share = if self.settings.predict_share > 0.0 {
                self.settings.predict_share
            } else {
                0.5
            };
            let width = (share * total).clamp(min_half, max_width);
            // A new window width lays the divider out anew at the user's proportion.
            if (self.split.0 - total).abs() > 0.5 {
                self.split = (total, self.split.1 + 1);
            }
            let shown = egui::Panel::right(("predict_panel", self.split.1))
                .resizable(true)
                .default_size(width)
                .size_range(min_half..=max_width)
                .show(ui, |ui| {
                    ui.set_clip_rect(ui.max_rect().intersect(ui.clip_rect()));
                    egui::ScrollArea::both()
                        .id_salt("predict_scroll")
                        .auto_shrink(false)
                        .show(ui, |ui| {
                            ui.set_max_width(ui.available_width());
                            super::predict_panel::predict_ui(
                                ui,
                                &loaded.card,
                                &mut loaded.panels.predict,
                                &mut self.settings,
                                &loaded.log,
                                loaded.server_pid.load(Ordering::Relaxed) > 0,
                                preparing,
                                request_ok,
                                missing_input,
                                &mut self.commands,
                            );
                        });
                });
            // A divider the user moved: its proportion is remembered.
            let dragged = shown.response.rect.width();
            if (dragged - width).abs() > 1.0 && ui.ctx().input(|i| i.pointer.any_down()) {
                self.settings.predict_share = dragged / total;
            }
        }
        egui::CentralPanel::default().show(ui, |ui| {
            ui.set_clip_rect(ui.max_rect().intersect(ui.clip_rect()));
            let card = &loaded.card;
            let panels = &mut loaded.panels;
            let commands = &mut self.commands;
            match self.settings.tab {
                Tab::Flavors => flavors_panel::flavors_ui(ui, card),
                Tab::Signature => signature_panel::signature_ui(ui, card, panels),
                Tab::Environment => environment_panel::environment_ui(ui, card, panels),
                Tab::Example => example_panel::example_ui(ui, card, panels, commands),
                Tab::Artifacts => artifacts_panel::artifacts_ui(ui, card, panels, commands),
                Tab::Test => test_panel::test_ui(ui, card, &mut panels.test, preparing, commands),
            }
        });
    }

    fn opening_ui(&mut self, ui: &mut egui::Ui) {
        let Some(path) = self.opening.clone() else {
            return;
        };
        egui::Panel::bottom("opening").show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(format!("Opening {}…", path.display()));
                if ui.button("Cancel").clicked() {
                    self.commands.push(Command::CancelOpen);
                }
            });
        });
    }

    fn drop_overlay_ui(&self, ui: &mut egui::Ui) {
        let hovering = ui.ctx().input(|i| !i.raw.hovered_files.is_empty());
        if !hovering {
            return;
        }
        let rect = ui.ctx().content_rect();
        let painter = ui.ctx().layer_painter(egui::LayerId::new(
            egui::Order::Foreground,
            egui::Id::unique("drop_overlay"),
        ));
        painter.rect_filled(rect, 0.0, egui::Color32::from_black_alpha(160));
        painter.text(
            rect.center(),
            egui::Align2::CENTER_CENTER,
            "Drop a model folder or its MLmodel file to open it",
            egui::FontId::proportional(22.0),
            egui::Color32::WHITE,
        );
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
