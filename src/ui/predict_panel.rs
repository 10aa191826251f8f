//! The Test tab's second half: where the model runs (ONNX in-process, MLflow's scoring server,
//! an endpoint URL), the Predict button with its trust prompt, the answer (bars, tables, images,
//! raw JSON), the server log, and this session's history of runs.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use egui::{RichText, Ui};

use super::command::Command;
use super::settings::Settings;
use super::widgets::{
    code_block_ui, error_color, ok_color, section_ui, table_scroll_ui, warn_color,
};
use crate::model::ModelCard;
use crate::model::mlmodel::elide as elided;
use crate::predict::answer::{self, Kind, ScoreMode, Section};
use crate::predict::local::{EnvManager, Log};
use crate::predict::python::{Mismatch, PythonInfo};
use crate::predict::{Outcome, Reply};

/// Which backend the Predict button uses (the command line's `--backend`, one to one).
pub use crate::session::BackendKind;

/// A predict under way.
#[derive(Debug, Clone)]
pub struct Running {
    /// Ties the result to this run.
    pub generation: u64,
    /// Set by Cancel.
    pub cancel: Arc<AtomicBool>,
    /// When it started.
    pub started: Instant,
    /// The backend's name.
    pub backend: String,
    /// For a model from a tracking server: the download of its files.
    pub fetch: Option<Arc<crate::source::Progress>>,
}

/// One run of this session.
#[derive(Debug, Clone)]
pub struct Run {
    /// Its number in the session (1, 2, ...).
    pub number: usize,
    /// The backend's name.
    pub backend: String,
    /// What was sent, in a few words.
    pub input: String,
    /// The body sent (for Re-run).
    pub body: Arc<serde_json::Value>,
    /// The body's fingerprint (six hex digits): equal for the same input.
    pub input_digest: String,
    /// The body's first values, for telling inputs apart.
    pub input_glimpse: String,
    /// What came back, or why nothing did (the library's error, so the view can choose what
    /// to offer by its kind).
    pub result: Result<Outcome, Arc<crate::predict::PredictError>>,
    /// The answer split for showing (computed on the worker).
    pub sections: Vec<Section>,
    /// The answer in a few words.
    pub summary: String,
    /// The answer pretty-printed with long arrays elided, for the Raw JSON view.
    pub raw_view: String,
    /// For each section shown as JSON, its text (the others `None`).
    pub value_views: Vec<Option<String>>,
}

impl Run {
    /// The texts the answer view shows, made once on the worker rather than at every frame.
    pub fn views(
        result: &Result<Outcome, Arc<crate::predict::PredictError>>,
        sections: &[Section],
    ) -> (String, Vec<Option<String>>) {
        let raw_view = match result {
            Ok(Outcome {
                reply: Reply::Predictions { raw, .. },
                ..
            }) => match crate::model::lenient_json::parse(raw) {
                Ok((v, _)) => crate::input::request::pretty_elided(&v, 24),
                Err(_) => raw.clone(),
            },
            _ => String::new(),
        };
        let value_views = sections
            .iter()
            .map(|s| match &s.kind {
                Kind::Value(v) => Some(crate::input::request::pretty_elided(v, 24)),
                _ => None,
            })
            .collect();
        (raw_view, value_views)
    }
}

impl Run {
    /// The latency in milliseconds, when there was an answer.
    pub fn latency_ms(&self) -> Option<f64> {
        self.result
            .as_ref()
            .ok()
            .map(|o| o.latency.as_secs_f64() * 1e3)
    }
}

/// Where the check of the local Python stands.
#[derive(Debug, Clone)]
pub enum PythonStatus {
    /// Under way.
    Checking,
    /// Done: the Python found, or why none can serve (the library's error).
    Checked(Result<PythonCheck, Arc<crate::predict::PredictError>>),
}

/// What the check of the local Python found.
#[derive(Debug, Clone)]
pub struct PythonCheck {
    /// The interpreter and its packages.
    pub info: PythonInfo,
    /// Why it was chosen.
    pub origin: &'static str,
    /// Differences from the model's environment.
    pub mismatches: Vec<Mismatch>,
}

/// Runtime state of the predict half of the Test tab (not saved).
#[derive(Default)]
pub struct PredictState {
    /// Whether the backend was chosen from the model.
    pub initialized: bool,
    /// The backend chosen.
    pub backend: BackendKind,
    /// The predict under way.
    pub running: Option<Running>,
    /// Build the request, then send it.
    pub predict_after_prepare: bool,
    /// Why the last predict could not be sent (before any backend ran).
    pub error: Option<String>,
    /// This session's runs, oldest first.
    pub history: Vec<Run>,
    /// The run shown (index into history).
    pub shown: Option<usize>,
    /// Show the raw answer instead of the views.
    pub raw: bool,
    /// Show the whole rejection text.
    pub full_message: bool,
    /// The trust question is open.
    pub trust_prompt: bool,
    /// The body (and its input summary) waiting for the trust answer.
    pub pending: Option<(Arc<serde_json::Value>, Option<String>)>,
    /// The class names in use: a labels file's lines or the model's own list.
    pub labels: Option<crate::model::classes::ClassNames>,
    /// Labels files found beside the model.
    pub label_candidates: Vec<PathBuf>,
    /// The check of the local Python, once made.
    pub python: Option<PythonStatus>,
    /// The local server's status line.
    pub server: Option<String>,
    /// The server log is open.
    pub show_log: bool,
    /// The backend settings are open.
    pub show_settings: bool,
    /// Header lines being edited (`K: V` a line).
    pub headers_text: Option<String>,
    /// Uploaded output images, by (run number, section, image).
    pub textures: Vec<((usize, usize, usize), egui::TextureHandle)>,
    /// Which row of a multi-row score output is shown, by section.
    pub score_row: Vec<usize>,
    /// The runs ticked for comparison (indexes into history, at most two).
    pub compare: Vec<usize>,
}

impl PredictState {
    /// The run shown.
    pub fn shown_run(&self) -> Option<&Run> {
        self.shown.and_then(|i| self.history.get(i))
    }

    fn init(&mut self, card: &ModelCard) {
        self.initialized = true;
        self.backend = BackendKind::initial(card);
    }
}

/// Draws the backend choice, Predict, and the answer.
#[allow(clippy::too_many_arguments)]
pub fn predict_ui(
    ui: &mut Ui,
    card: &ModelCard,
    state: &mut PredictState,
    settings: &mut Settings,
    log: &Log,
    server_up: bool,
    preparing: bool,
    request_ok: bool,
    missing_input: Option<&str>,
    commands: &mut Vec<Command>,
) {
    if !state.initialized {
        state.init(card);
    }
    section_ui(ui, "Predict");
    backend_choice_ui(ui, card, state, settings, commands);
    if state.show_settings {
        backend_settings_ui(ui, state, settings);
    }
    if state.backend == BackendKind::Local {
        python_ui(ui, card, state, commands);
    }
    ui.add_space(6.0);
    ui.horizontal_wrapped(|ui| {
        let busy = state.running.is_some() || preparing;
        let no_url = state.backend == BackendKind::Url && settings.endpoint_url.trim().is_empty();
        // Why Predict cannot run now, said beside it.
        let blocked = missing_input.or(no_url.then_some("Type the endpoint's URL first"));
        let ready = !busy && blocked.is_none();
        let button = egui::Button::new(RichText::new("▶ Predict").strong());
        if ui
            .add_enabled(ready, button)
            .on_hover_text("Build the request from the input, check it, and send it (Ctrl+Enter)")
            .on_disabled_hover_text(blocked.unwrap_or("Busy: wait for the running build or predict"))
            .clicked()
        {
            commands.push(Command::Predict);
        }
        if let (Some(why), false) = (blocked, busy) {
            ui.label(RichText::new(why).weak());
        }
        if let Some(running) = &state.running {
            ui.spinner();
            let secs = running.started.elapsed().as_secs_f64();
            let fetching = running.fetch.as_ref().map(|f| {
                (
                    f.done.load(std::sync::atomic::Ordering::Relaxed),
                    f.total.load(std::sync::atomic::Ordering::Relaxed),
                )
            });
            let what = if running.cancel.load(std::sync::atomic::Ordering::Relaxed) {
                "Cancelling…".to_string()
            } else if let Some((done, total)) = fetching.filter(|(d, t)| *t > 0 && d < t) {
                format!(
                    "Fetching the model's files from the tracking server: {} of {}",
                    crate::model::fsutil::human_size(done),
                    crate::model::fsutil::human_size(total)
                )
            } else if state.backend == BackendKind::Local && !server_up {
                let phase = crate::predict::local::start_phase(&log.lines());
                format!("Starting MLflow's scoring server: {phase}… {secs:.0} s")
            } else {
                format!("Predicting with {}… {secs:.1} s", running.backend)
            };
            ui.label(what);
            if ui
                .button("Cancel")
                .on_hover_text("Stops waiting; a hung local server is stopped and starts again on the next predict")
                .clicked()
            {
                commands.push(Command::CancelPredict);
            }
            ui.ctx().request_repaint_after(Duration::from_millis(100));
        } else if !request_ok && !preparing {
            ui.label(RichText::new("The request above has problems MLflow would refuse; Predict checks it again.").weak());
        }
    });
    if let Some(error) = &state.error {
        ui.add(egui::Label::new(RichText::new(error).color(error_color(ui))).wrap());
    }
    if state.trust_prompt {
        trust_ui(ui, card, commands);
    }
    if state.backend == BackendKind::Local {
        server_ui(ui, state, log, commands);
    }
    if let Some(index) = state.shown {
        answer_ui(ui, state, settings, index, commands);
    }
    if let [a, b] = state.compare[..]
        && let (Some(a), Some(b)) = (state.history.get(a), state.history.get(b))
    {
        compare_ui(ui, a, b);
    }
    if !state.history.is_empty() {
        history_ui(ui, state, commands);
    }
}

/// Two runs side by side: what each sent and answered, and how the answers differ.
fn compare_ui(ui: &mut Ui, a: &Run, b: &Run) {
    let (a, b) = if a.number <= b.number { (a, b) } else { (b, a) };
    section_ui(ui, &format!("Run {} and run {}", a.number, b.number));
    let input = if a.input_digest == b.input_digest {
        format!("The same input (#{}).", a.input_digest)
    } else {
        format!(
            "Different inputs (#{} and #{}).",
            a.input_digest, b.input_digest
        )
    };
    let answers = match (&a.result, &b.result) {
        (
            Ok(Outcome {
                reply: Reply::Predictions { value: x, .. },
                ..
            }),
            Ok(Outcome {
                reply: Reply::Predictions { value: y, .. },
                ..
            }),
        ) => {
            let d = crate::predict::answer::compare(x, y);
            let mut text = d.to_string();
            if let Some(first) = text.get(..1) {
                text = format!("{}{}.", first.to_uppercase(), &text[1..]);
            }
            text
        }
        _ => "Only answers can be compared; at least one run has none.".into(),
    };
    ui.add(egui::Label::new(format!("{input} {answers}")).wrap());
    let column = |ui: &mut Ui, run: &Run| {
        ui.label(RichText::new(format!("Run {}", run.number)).strong());
        ui.add(egui::Label::new(format!("{} · {}", run.backend, run.input)).wrap());
        let latency = run
            .latency_ms()
            .map(|ms| format!("{ms:.1} ms"))
            .unwrap_or_else(|| "—".into());
        ui.add(egui::Label::new(format!("{} ({latency})", run.summary)).wrap());
        let text = if run.raw_view.is_empty() {
            run.summary.as_str()
        } else {
            run.raw_view.as_str()
        };
        code_block_ui(ui, ("compare", run.number), text, 200.0);
    };
    // Columns lay out justified, which would spread wrapped text letter by letter: each
    // column's content goes in a plain top-down Ui.
    ui.columns(2, |cols| {
        if let [left, right] = cols {
            left.vertical(|ui| column(ui, a));
            right.vertical(|ui| column(ui, b));
        }
    });
}

fn backend_choice_ui(
    ui: &mut Ui,
    card: &ModelCard,
    state: &mut PredictState,
    settings: &mut Settings,
    commands: &mut Vec<Command>,
) {
    let has_onnx = crate::predict::onnx::onnx_data(card).is_some();
    ui.horizontal_wrapped(|ui| {
        ui.label("Run with:");
        let mut choice = state.backend;
        // One widget, not a nested Ui, so a narrow row moves it whole to the next line.
        if ui
            .add_enabled(
                has_onnx,
                egui::RadioButton::new(choice == BackendKind::Onnx, "ONNX in-process (tract)"),
            )
            .on_hover_text("Runs model.onnx in this app: no Python, nothing of the model's code")
            .on_disabled_hover_text("The model has no onnx flavor.")
            .clicked()
        {
            choice = BackendKind::Onnx;
        }
        ui.radio_value(&mut choice, BackendKind::Local, "MLflow scoring server (local Python)")
            .on_hover_text("Starts `python -m mlflow models serve` for this folder and keeps it warm: runs the model's code");
        ui.radio_value(&mut choice, BackendKind::Url, "Endpoint URL");
        if choice != state.backend {
            commands.push(Command::SetBackend(choice));
        }
        if ui
            .selectable_label(state.show_settings, "⚙ Settings")
            .on_hover_text("Python, environment, port, timeout, headers")
            .clicked()
        {
            state.show_settings = !state.show_settings;
        }
    });
    if state.backend == BackendKind::Url {
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("URL:");
            ui.add(
                egui::TextEdit::singleline(&mut settings.endpoint_url)
                    .hint_text("http://127.0.0.1:5000/invocations, https://…/score, https://…/serving-endpoints/NAME/invocations")
                    .desired_width(520.0),
            )
            .labelled_by(label.id);
        });
        let url = settings.endpoint_url.trim();
        if !url.is_empty() {
            let endpoint = crate::predict::http::Endpoint::new(url);
            let form = match endpoint.dialect() {
                crate::predict::http::Dialect::Azure => "Azure ML's body ({\"input_data\": …})",
                crate::predict::http::Dialect::Mlflow => "MLflow's body",
            };
            ui.label(RichText::new(format!("Sends {form} to {}", endpoint.url)).weak());
        }
    }
}

fn backend_settings_ui(ui: &mut Ui, state: &mut PredictState, settings: &mut Settings) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        egui::Grid::new("backend_settings").num_columns(2).spacing([12.0, 6.0]).show(ui, |ui| {
            let label = ui.label("Python with mlflow:");
            let mut text = settings
                .backend
                .python
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            let response = ui
                .add(
                    egui::TextEdit::singleline(&mut text)
                        .hint_text("empty: MLMODEL_INSPECTOR_PYTHON, the active venv or conda env, python3 on PATH")
                        .desired_width(460.0),
                )
                .labelled_by(label.id);
            if response.changed() {
                settings.backend.python = (!text.trim().is_empty()).then(|| PathBuf::from(text.trim()));
            }
            if response.lost_focus() {
                // Checked once the path is typed, not at every key.
                state.python = None;
            }
            ui.end_row();
            ui.label("Environment:");
            ui.horizontal_wrapped(|ui| {
                for (value, text, hover) in [
                    (EnvManager::Local, "this Python as it is", "--env-manager local"),
                    (EnvManager::Uv, "the model's own (uv)", "--env-manager uv: builds the model's python_env.yaml (slow the first time)"),
                    (EnvManager::Virtualenv, "the model's own (virtualenv)", "--env-manager virtualenv: pyenv + virtualenv"),
                ] {
                    ui.radio_value(&mut settings.backend.env_manager, value, text).on_hover_text(hover);
                }
            });
            ui.end_row();
            let label = ui.label("Port:");
            ui.horizontal_wrapped(|ui| {
                let mut fixed = settings.backend.port.is_some();
                ui.checkbox(&mut fixed, "fixed").labelled_by(label.id);
                if fixed {
                    let mut port = settings.backend.port.unwrap_or(5000);
                    ui.add(egui::DragValue::new(&mut port).range(1024..=65535)).labelled_by(label.id);
                    settings.backend.port = Some(port);
                } else {
                    settings.backend.port = None;
                    ui.label(RichText::new("a free port is chosen").weak());
                }
            });
            ui.end_row();
            let label = ui.label("Timeout (s):");
            ui.add(egui::DragValue::new(&mut settings.backend.timeout_s).range(1..=3600)).labelled_by(label.id);
            ui.end_row();
            let label = ui.label("Headers (URL):");
            ui.vertical(|ui| {
                let text = state.headers_text.get_or_insert_with(|| {
                    settings
                        .backend
                        .headers
                        .iter()
                        .map(|(k, v)| format!("{k}: {v}"))
                        .collect::<Vec<_>>()
                        .join("\n")
                });
                let response = ui
                    .add(
                        egui::TextEdit::multiline(text)
                            .hint_text("Authorization: Bearer <token>")
                            .desired_rows(2)
                            .desired_width(460.0),
                    )
                    .labelled_by(label.id);
                if response.changed() {
                    settings.backend.headers = text
                        .lines()
                        .filter_map(|l| crate::predict::parse_header(l).ok())
                        .collect();
                }
                let bad: Vec<String> = text
                    .lines()
                    .filter(|l| !l.trim().is_empty())
                    .filter_map(|l| crate::predict::parse_header(l).err())
                    .collect();
                for b in bad {
                    ui.colored_label(error_color(ui), b);
                }
                ui.checkbox(
                    &mut settings.remember_header_values,
                    "Remember header values on disk (plain text)",
                )
                .on_hover_text("Off: only the header names are saved; tokens are asked for again next time");
            });
            ui.end_row();
        });
    });
}

fn python_ui(ui: &mut Ui, card: &ModelCard, state: &mut PredictState, commands: &mut Vec<Command>) {
    match &state.python {
        None => {
            commands.push(Command::CheckPython);
            state.python = Some(PythonStatus::Checking);
        }
        Some(PythonStatus::Checking) => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(RichText::new("Checking the Python…").weak());
            });
        }
        Some(PythonStatus::Checked(Ok(check))) => {
            ui.horizontal_wrapped(|ui| {
                ui.label("Python:");
                ui.label(RichText::new(check.info.path.display().to_string()).monospace());
                ui.label(
                    RichText::new(format!(
                        "({}) · Python {} · mlflow {}",
                        check.origin,
                        check.info.version,
                        check.info.mlflow().unwrap_or("?")
                    ))
                    .weak(),
                );
                if ui.small_button("Check again").clicked() {
                    commands.push(Command::CheckPython);
                }
            });
            if check.mismatches.is_empty() {
                if crate::predict::python::model_python(card).is_some() {
                    ui.colored_label(ok_color(ui), "✔ The Python and the model's pinned packages match the model's environment.");
                }
            } else {
                ui.colored_label(
                    warn_color(ui),
                    format!(
                        "⚠ This Python differs from the environment the model was saved with ({}):",
                        check.mismatches.len()
                    ),
                );
                for m in check.mismatches.iter().take(12) {
                    ui.label(RichText::new(format!("    {m}")).color(warn_color(ui)));
                }
                if check.mismatches.len() > 12 {
                    ui.label(format!("    … and {} more", check.mismatches.len() - 12));
                }
                ui.add(
                    egui::Label::new(
                        RichText::new(format!(
                            "The model may still load. To match it, {}.",
                            crate::predict::python::environment_fix(
                                &check.info.path,
                                &check.mismatches
                            )
                        ))
                        .weak(),
                    )
                    .selectable(true)
                    .wrap(),
                );
            }
        }
        Some(PythonStatus::Checked(Err(error))) => {
            ui.add(
                egui::Label::new(RichText::new(error.to_string()).color(error_color(ui))).wrap(),
            );
            if ui.small_button("Check again").clicked() {
                commands.push(Command::CheckPython);
            }
        }
    }
}

fn trust_ui(ui: &mut Ui, card: &ModelCard, commands: &mut Vec<Command>) {
    let modal = egui::Modal::new(egui::Id::unique("trust_prompt")).show(ui.ctx(), |ui| {
        ui.set_max_width(520.0);
        ui.heading("Run this model's code?");
        ui.add_space(6.0);
        ui.label(format!(
            "Predict starts MLflow's scoring server for {}, which loads the model. That runs:",
            card.root.display()
        ));
        let runs = card.code_that_runs();
        for line in &runs.lines {
            ui.label(format!("•  {line}"));
        }
        ui.add_space(4.0);
        if runs.model_code {
            ui.label("The model's own code can do anything your account can. Only continue if you trust where this folder came from.");
        } else {
            ui.label("The model brings no code of its own, but its files are read by Python packages. Continue if you trust where this folder came from.");
        }
        ui.label(RichText::new("The answer is remembered for this folder.").weak());
        ui.add_space(8.0);
        ui.horizontal_wrapped(|ui| {
            if ui.button(RichText::new("Run it").strong()).clicked() {
                commands.push(Command::Trust(true));
            }
            if ui.button("Cancel").clicked() {
                commands.push(Command::Trust(false));
            }
        });
    });
    if modal.should_close() {
        commands.push(Command::Trust(false));
    }
}

fn server_ui(ui: &mut Ui, state: &mut PredictState, log: &Log, commands: &mut Vec<Command>) {
    ui.horizontal_wrapped(|ui| {
        match &state.server {
            Some(status) => {
                ui.colored_label(ok_color(ui), format!("Running: {status}"));
                if ui.small_button("Stop server").clicked() {
                    commands.push(Command::StopServer);
                }
            }
            None if state.running.is_some() => {
                ui.spinner();
                ui.label(format!(
                    "Starting MLflow's scoring server: {}…",
                    crate::predict::local::start_phase(&log.lines())
                ));
            }
            None => {
                ui.label(
                    RichText::new(
                        "○ No server running: the first Predict starts one (a few seconds).",
                    )
                    .weak(),
                );
            }
        }
        let lines = log.len();
        if lines > 0
            && ui
                .selectable_label(
                    state.show_log,
                    format!(
                        "Server log ({})",
                        crate::text::count(lines, "line", "lines")
                    ),
                )
                .clicked()
        {
            state.show_log = !state.show_log;
        }
    });
    if state.show_log {
        // The last 400 lines only: the whole log is copied on request, not every frame.
        let total = log.len();
        let text = log.tail(400);
        ui.horizontal_wrapped(|ui| {
            if ui.small_button("Copy log").clicked() {
                commands.push(Command::Copy(log.lines().join("\n")));
            }
            if total > 400 {
                ui.label(RichText::new(format!("last 400 of {total} lines")).weak());
            }
        });
        egui::ScrollArea::vertical()
            .id_salt("server_log")
            .max_height(220.0)
            .stick_to_bottom(true)
            .show(ui, |ui| {
                ui.add(
                    egui::Label::new(RichText::new(text).monospace().size(11.0)).selectable(true),
                );
            });
    }
}

fn answer_ui(
    ui: &mut Ui,
    state: &mut PredictState,
    settings: &mut Settings,
    index: usize,
    commands: &mut Vec<Command>,
) {
    // The history is lent out while the answer is drawn (no copy of the run at every frame).
    let history = std::mem::take(&mut state.history);
    if let Some(run) = history.get(index) {
        run_answer_ui(ui, state, settings, run, commands);
    }
    state.history = history;
}

fn run_answer_ui(
    ui: &mut Ui,
    state: &mut PredictState,
    settings: &mut Settings,
    run: &Run,
    commands: &mut Vec<Command>,
) {
    section_ui(ui, &format!("Answer — run {}", run.number));
    let outcome = match &run.result {
        Ok(o) => o,
        Err(error) if matches!(**error, crate::predict::PredictError::Cancelled) => {
            ui.label(RichText::new("Cancelled: nothing came back.").weak());
            return;
        }
        Err(error) => {
            ui.add(
                egui::Label::new(RichText::new(format!("✖ {error}")).color(error_color(ui))).wrap(),
            );
            if matches!(**error, crate::predict::PredictError::UnsupportedOp { .. })
                && ui.button("Predict with MLflow (local) instead").clicked()
            {
                commands.push(Command::SetBackend(BackendKind::Local));
            }
            return;
        }
    };
    let timing = if outcome.cold() {
        let startup = outcome.startup.as_secs_f64();
        let startup = if startup < 1.0 {
            format!("{:.0} ms", startup * 1e3)
        } else {
            format!("{startup:.1} s")
        };
        format!(
            "{:.1} ms · {} · cold: ready after {startup}",
            outcome.latency.as_secs_f64() * 1e3,
            run.backend,
        )
    } else {
        format!(
            "{:.1} ms · {} · warm",
            outcome.latency.as_secs_f64() * 1e3,
            run.backend
        )
    };
    match &outcome.reply {
        Reply::Rejected(rejection) => {
            ui.colored_label(
                error_color(ui),
                format!(
                    "✖ The request was rejected (HTTP {}{}): {}",
                    rejection.status,
                    rejection
                        .error_code
                        .as_deref()
                        .map(|c| format!(" {c}"))
                        .unwrap_or_default(),
                    rejection.summary
                ),
            );
            ui.label(RichText::new(timing).weak());
            ui.horizontal_wrapped(|ui| {
                if ui
                    .selectable_label(state.full_message, "Whole message")
                    .clicked()
                {
                    state.full_message = !state.full_message;
                }
                if ui.small_button("Copy message").clicked() {
                    commands.push(Command::Copy(rejection.full.clone()));
                }
            });
            if state.full_message {
                code_block_ui(ui, "rejection_full", &rejection.full, 300.0);
            }
        }
        Reply::Predictions {
            raw, non_finite, ..
        } => {
            ui.horizontal_wrapped(|ui| {
                ui.colored_label(ok_color(ui), "✔");
                ui.label(timing);
                ui.separator();
                ui.checkbox(&mut state.raw, "Raw JSON");
                if ui.small_button("Copy answer").clicked() {
                    commands.push(Command::Copy(raw.clone()));
                }
            });
            if *non_finite {
                ui.colored_label(
                    warn_color(ui),
                    "⚠ The answer holds NaN or Infinity (bare tokens, as Python's json writes them); they show as NaN here.",
                );
            }
            if state.raw {
                code_block_ui(ui, "answer_raw", &run.raw_view, 400.0);
                return;
            }
            for (i, section) in run.sections.iter().enumerate() {
                section_view_ui(ui, state, settings, run, i, section, commands);
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn section_view_ui(
    ui: &mut Ui,
    state: &mut PredictState,
    settings: &mut Settings,
    run: &Run,
    index: usize,
    section: &Section,
    commands: &mut Vec<Command>,
) {
    let shape = section
        .shape
        .as_ref()
        .map(|s| {
            format!(
                "[{}]",
                s.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .unwrap_or_default();
    if section.name.is_some() || !shape.is_empty() {
        ui.label(
            RichText::new(format!(
                "{} {shape}",
                section.name.as_deref().unwrap_or("predictions")
            ))
            .strong(),
        );
    }
    match &section.kind {
        Kind::Scores(rows) => scores_ui(
            ui,
            state,
            settings,
            index,
            rows,
            section.classes.as_deref(),
            commands,
        ),
        Kind::Table { columns, rows } => match section.index_classes() {
            Some(count) => index_table_ui(ui, state, index, rows, count, commands),
            None => table_ui(ui, index, columns, rows, None),
        },
        Kind::Images(pictures) => {
            ui.horizontal_wrapped(|ui| {
                for (i, picture) in pictures.iter().enumerate() {
                    let key = (run.number, index, i);
                    let texture = match state.textures.iter().find(|(k, _)| *k == key) {
                        Some((_, t)) => t.clone(),
                        None => {
                            let image = egui::ColorImage::from_rgba_unmultiplied(
                                [picture.width, picture.height],
                                &picture.rgba,
                            );
                            let t = ui.ctx().load_texture(
                                format!("output_{}_{index}_{i}", run.number),
                                image,
                                egui::TextureOptions::NEAREST,
                            );
                            state.textures.push((key, t.clone()));
                            t
                        }
                    };
                    let size = texture.size_vec2();
                    let scale = (256.0 / size.x.max(size.y)).clamp(0.1, 8.0);
                    ui.image((texture.id(), size * scale));
                }
            });
        }
        Kind::Value(_) => {
            let text = run
                .value_views
                .get(index)
                .cloned()
                .flatten()
                .unwrap_or_default();
            code_block_ui(ui, format!("answer_value_{index}"), &text, 300.0);
        }
    }
}

fn scores_ui(
    ui: &mut Ui,
    state: &mut PredictState,
    settings: &mut Settings,
    index: usize,
    rows: &[Vec<Option<f64>>],
    classes: Option<&[String]>,
    commands: &mut Vec<Command>,
) {
    if state.score_row.len() <= index {
        state.score_row.resize(index + 1, 0);
    }
    let class_count = rows.first().map_or(0, Vec::len);
    let distribution = rows.iter().all(|r| answer::is_distribution(r));
    ui.horizontal_wrapped(|ui| {
        if rows.len() > 1 {
            let label = ui.label("Row:");
            let row = &mut state.score_row[index];
            ui.add(egui::DragValue::new(row).range(0..=rows.len() - 1))
                .labelled_by(label.id);
            ui.label(RichText::new(format!("of {}", rows.len())).weak());
            ui.separator();
        }
        ui.label("Scores:");
        for mode in [ScoreMode::Raw, ScoreMode::Softmax, ScoreMode::Sigmoid] {
            ui.selectable_value(&mut settings.score_mode, mode, mode.label());
        }
        ui.separator();
        let label = ui.label("Top");
        if settings.top_k == 0 {
            settings.top_k = 5;
        }
        ui.add(egui::DragValue::new(&mut settings.top_k).range(1..=1000))
            .labelled_by(label.id);
    });
    labels_ui(ui, state, class_count, true, commands);
    if !distribution && settings.score_mode == ScoreMode::Raw {
        ui.label(RichText::new("These are not probabilities (outside 0–1 or not summing to 1): for logits choose softmax or sigmoid.").weak());
    }
    let row = state.score_row[index].min(rows.len().saturating_sub(1));
    let Some(values) = rows.get(row) else { return };
    let values = answer::transform(values, settings.score_mode);
    let top = answer::top_k(&values, settings.top_k.max(1));
    let max = top.iter().filter_map(|(_, v)| *v).fold(0.0_f64, f64::max);
    let scale = if values.iter().flatten().all(|v| (0.0..=1.0).contains(v)) {
        1.0
    } else {
        max.max(1e-12)
    };
    let name_of = |class: usize| {
        let given = classes.and_then(|c| c.get(class));
        state
            .labels
            .as_ref()
            .and_then(|l| l.name(class))
            .map(|l| format!("{l} ({})", given.map_or(class.to_string(), Clone::clone)))
            .or_else(|| given.map(|g| format!("class {g}")))
            .unwrap_or_else(|| format!("class {class}"))
    };
    // The answer first, in words; the bars below it.
    if let Some((class, Some(v))) = top.first() {
        ui.label(
            RichText::new(format!("{} — {v:.4}", name_of(*class)))
                .strong()
                .size(18.0),
        );
    }
    // The bars fit the half they are in.
    let bar_width = (ui.available_width() * 0.55).clamp(80.0, 320.0);
    egui::Grid::new(("scores", index))
        .num_columns(2)
        .spacing([12.0, 4.0])
        .show(ui, |ui| {
            for (class, value) in top {
                ui.label(name_of(class));
                match value {
                    Some(v) => {
                        let fraction = (v / scale).clamp(0.0, 1.0) as f32;
                        ui.add(
                            egui::ProgressBar::new(fraction)
                                .desired_width(bar_width)
                                .text(format!("{v:.4}")),
                        );
                    }
                    None => {
                        ui.colored_label(warn_color(ui), "NaN");
                    }
                }
                ui.end_row();
            }
        });
}

/// Where the class names come from, and the buttons to choose a labels file or drop them.
/// `exact`: the names must number exactly `class_count` (scores); else at least (indices).
fn labels_ui(
    ui: &mut Ui,
    state: &PredictState,
    class_count: usize,
    exact: bool,
    commands: &mut Vec<Command>,
) {
    ui.horizontal_wrapped(|ui| {
        if let Some(labels) = &state.labels {
            let mut text = format!("Class names from {}", labels.origin);
            let n = labels.names.len();
            if (exact && n != class_count) || n < class_count {
                text.push_str(&format!(
                    " — {} for {}",
                    crate::text::count(n, "name", "names"),
                    crate::text::count(class_count, "class", "classes")
                ));
            }
            ui.add(egui::Label::new(RichText::new(text).weak()).wrap());
        }
        if ui
            .button("Labels file…")
            .on_hover_text("A text file with one class name a line")
            .clicked()
        {
            commands.push(Command::PickLabels);
        }
        if state.labels.is_some() && ui.small_button("No labels").clicked() {
            commands.push(Command::UseLabels(None));
        }
        if state.labels.is_none() {
            for candidate in &state.label_candidates {
                if ui
                    .small_button(format!(
                        "Use labels from {}",
                        candidate
                            .file_name()
                            .map(|n| n.to_string_lossy().into_owned())
                            .unwrap_or_default()
                    ))
                    .clicked()
                {
                    commands.push(Command::UseLabels(Some(candidate.clone())));
                }
            }
        }
    });
}

/// An answer of class indices (`[0, 0, 2]`): each row's index with its class name, the first
/// row's name in large type above the table.
fn index_table_ui(
    ui: &mut Ui,
    state: &PredictState,
    index: usize,
    rows: &[Vec<serde_json::Value>],
    class_count: usize,
    commands: &mut Vec<Command>,
) {
    let class_of = |row: &[serde_json::Value]| {
        row.first()
            .and_then(|v| v.as_f64())
            .map(|f| f as usize)
            .unwrap_or_default()
    };
    let name = |class: usize| state.labels.as_ref().and_then(|l| l.name(class));
    if let Some(first) = rows.first() {
        let class = class_of(first);
        let text = match name(class) {
            Some(n) => format!("{n} (class {class})"),
            None => format!("class {class}"),
        };
        let text = if rows.len() > 1 {
            format!("{text} — row 0 of {}", rows.len())
        } else {
            text
        };
        ui.add(egui::Label::new(RichText::new(text).strong().size(18.0)).wrap());
    }
    labels_ui(ui, state, class_count, false, commands);
    let name_column = |row: &[serde_json::Value]| match name(class_of(row)) {
        Some(n) => n.to_string(),
        None => "—".into(),
    };
    table_ui(
        ui,
        index,
        &["prediction".to_string()],
        rows,
        Some(("class name", &name_column)),
    );
}

fn cell_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "NaN / null".into(),
        other => other.to_string(),
    }
}

/// A column computed from each row (a class name), shown after the answer's own.
type ExtraColumn<'a> = (&'a str, &'a dyn Fn(&[serde_json::Value]) -> String);

fn table_ui(
    ui: &mut Ui,
    index: usize,
    columns: &[String],
    rows: &[Vec<serde_json::Value>],
    extra: Option<ExtraColumn<'_>>,
) {
    const MAX_ROWS: usize = 200;
    table_scroll_ui(ui, ("answer_table", index), 320.0, |ui| {
        egui::Grid::new(("answer_grid", index))
            .striped(true)
            .num_columns(columns.len() + 1 + usize::from(extra.is_some()))
            .show(ui, |ui| {
                ui.label(RichText::new("#").strong());
                for c in columns.iter().map(String::as_str).chain(extra.map(|e| e.0)) {
                    ui.label(RichText::new(c).strong());
                }
                ui.end_row();
                for (i, row) in rows.iter().take(MAX_ROWS).enumerate() {
                    ui.label(RichText::new(i.to_string()).weak());
                    for cell in row {
                        let text = cell_text(cell);
                        let shown = elided(&text, 96);
                        ui.add(egui::Label::new(shown).selectable(true))
                            .on_hover_text(text);
                    }
                    if let Some((_, column)) = extra {
                        ui.label(column(row));
                    }
                    ui.end_row();
                }
            });
    });
    if rows.len() > MAX_ROWS {
        ui.label(
            RichText::new(format!(
                "{} more rows: see Raw JSON or copy the answer",
                rows.len() - MAX_ROWS
            ))
            .weak(),
        );
    }
}

fn history_ui(ui: &mut Ui, state: &mut PredictState, commands: &mut Vec<Command>) {
    section_ui(ui, "History (this session)");
    let busy = state.running.is_some();
    let mut toggled = None;
    table_scroll_ui(ui, "history", 240.0, |ui| {
        egui::Grid::new("history_grid")
            .striped(true)
            .num_columns(6)
            .show(ui, |ui| {
                // The actions first, so they stay in sight when the half is narrow.
                for h in ["", "#", "Backend", "Input", "Answer", "Latency"] {
                    ui.label(RichText::new(h).strong());
                }
                ui.end_row();
                for (i, run) in state.history.iter().enumerate().rev() {
                    ui.horizontal(|ui| {
                        if ui
                            .add_enabled(state.shown != Some(i), egui::Button::new("Show").small())
                            .clicked()
                        {
                            commands.push(Command::ShowRun(i));
                        }
                        if ui
                            .add_enabled(!busy, egui::Button::new("Re-run").small())
                            .on_hover_text("Send the same body again with the backend chosen now")
                            .clicked()
                        {
                            commands.push(Command::Rerun(i));
                        }
                        let mut ticked = state.compare.contains(&i);
                        if ui
                            .checkbox(&mut ticked, "Compare")
                            .on_hover_text("Tick two runs to see them side by side")
                            .changed()
                        {
                            toggled = Some(i);
                        }
                    });
                    ui.label(run.number.to_string());
                    ui.label(elided(&run.backend, 24))
                        .on_hover_text(&run.backend);
                    ui.label(format!(
                        "{} · #{}",
                        elided(&run.input, 24),
                        run.input_digest
                    ))
                    .on_hover_text(format!(
                        "{}\nfirst values: {}\nfingerprint #{} (the same for the same input)",
                        run.input, run.input_glimpse, run.input_digest
                    ));
                    match &run.result {
                        Ok(Outcome {
                            reply: Reply::Rejected(r),
                            ..
                        }) => {
                            ui.colored_label(
                                error_color(ui),
                                format!("rejected: HTTP {}", r.status),
                            );
                        }
                        Ok(_) => {
                            ui.label(elided(&run.summary, 44))
                                .on_hover_text(&run.summary);
                        }
                        Err(e) => {
                            let text = e.to_string();
                            let short: String = text.chars().take(60).collect();
                            ui.colored_label(error_color(ui), short).on_hover_text(text);
                        }
                    }
                    match (&run.result, run.latency_ms()) {
                        (Ok(o), Some(ms)) => {
                            ui.label(format!(
                                "{ms:.1} ms{}",
                                if o.cold() { " (cold)" } else { "" }
                            ));
                        }
                        _ => {
                            ui.label("—");
                        }
                    }
                    ui.end_row();
                }
            });
    });
    // Ticking a third run lets the oldest tick go.
    if let Some(i) = toggled {
        if let Some(pos) = state.compare.iter().position(|&c| c == i) {
            state.compare.remove(pos);
        } else {
            state.compare.push(i);
            if state.compare.len() > 2 {
                state.compare.remove(0);
            }
        }
    }
}
