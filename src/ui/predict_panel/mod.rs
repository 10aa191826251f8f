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
use crate::predict::answer::{self, Kind, ScoreMode, Section};
use crate::predict::local::{EnvManager, Log};
use crate::predict::python::{Mismatch, PythonInfo};
use crate::predict::{Outcome, Reply};
use crate::text::elide as elided;

/// Which backend the Predict button uses (the command line's `--backend`, one to one).
pub use crate::session::BackendKind;

mod answer_view;
mod backend;
mod explain;
mod history;

use answer_view::*;
use backend::*;
use history::*;

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
    /// Explain the answer when it comes, with this class (`None`: the model's choice).
    pub explain_after: Option<Option<usize>>,
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
    /// The request sent (for Re-run).
    pub request: Arc<crate::input::request::Request>,
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
    /// The backend that answered (an explanation goes through it too).
    pub choice: crate::predict::BackendChoice,
    /// What the request was made from, when it can be explained (an image file, a table
    /// row).
    pub origin: Option<ExplainInput>,
    /// Its explanations, oldest first (kept with the run in the history).
    pub explanations: Vec<Arc<crate::explain::Explanation>>,
}

/// What a run's request was made from, kept so that its answer can be explained.
#[derive(Debug, Clone, PartialEq)]
pub enum ExplainInput {
    /// An image file (the first of the request's `of`), with the options that made it the
    /// tensor.
    Image {
        /// The file.
        path: PathBuf,
        /// How it became the tensor.
        options: crate::session::ImageSpec,
        /// Images in the request.
        of: usize,
    },
    /// Rows of a table: a CSV file chosen as the input, or the Test tab's table form.
    Table {
        /// The CSV file (`None`: the form's rows below).
        file: Option<PathBuf>,
        /// The form's columns, in the signature's order.
        columns: Vec<String>,
        /// The form's rows of cells as typed.
        rows: Vec<Vec<String>>,
    },
}

/// An explanation under way.
#[derive(Debug, Clone)]
pub struct ExplainRunning {
    /// The run explained (its number in the session).
    pub run: usize,
    /// Rows (or images) predicted of the total.
    pub progress: Arc<crate::explain::table::Progress>,
    /// Set by Cancel.
    pub cancel: Arc<AtomicBool>,
    /// When it started.
    pub started: Instant,
    /// The backend's name.
    pub backend: String,
    /// What the model is asked about ("images", "rows").
    pub unit: &'static str,
}

/// Runtime state of the Explain part of an answer (its settings are saved in
/// [`Settings::explain`]).
#[derive(Default)]
pub struct ExplainState {
    /// The class to explain, chosen from the answer's bars (`None`: the top class).
    pub class: Option<usize>,
    /// The explanation under way.
    pub running: Option<ExplainRunning>,
    /// Why the last explanation could not be made, and of which run (its number).
    pub error: Option<(usize, String)>,
    /// Which explanation of each run is drawn, by run number (the newest when not chosen),
    /// and the one chosen before it.
    pub shown: Vec<(usize, usize, Option<usize>)>,
    /// Draw the chosen explanation beside the one chosen before it.
    pub side_by_side: bool,
    /// The images as the model saw them, uploaded, by (run number, explanation).
    pub textures: Vec<((usize, usize), egui::TextureHandle)>,
    /// A table's row to explain (0-based).
    pub row: usize,
    /// The background table's path as typed or chosen (empty: the explained table's own
    /// first rows).
    pub background: String,
    /// How many of the explained table's own rows make the background when no table is
    /// given (0: 50, the command line's `--background-rows`).
    pub background_rows: usize,
}

impl ExplainState {
    /// The explanation of run `number` drawn, out of `count`.
    pub fn shown_of(&self, number: usize, count: usize) -> Option<usize> {
        let chosen = self
            .shown
            .iter()
            .find(|(n, _, _)| *n == number)
            .map(|(_, i, _)| *i);
        chosen.filter(|i| *i < count).or(count.checked_sub(1))
    }

    /// The explanation of run `number` drawn beside `chosen`: the one chosen before it, else
    /// the newest other one.
    pub fn beside_of(&self, number: usize, count: usize, chosen: usize) -> Option<usize> {
        let before = self
            .shown
            .iter()
            .find(|(n, _, _)| *n == number)
            .and_then(|(_, _, b)| *b);
        before
            .filter(|b| *b < count && *b != chosen)
            .or_else(|| (0..count).rev().find(|i| *i != chosen))
    }

    /// Shows explanation `i` of run `number`, `before` having been shown until now.
    pub fn show(&mut self, number: usize, i: usize, before: usize) {
        self.shown.retain(|(n, _, _)| *n != number);
        self.shown.push((number, i, Some(before)));
    }
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
    /// Explaining an answer.
    pub explain: ExplainState,
    /// Explain the next answer as soon as it comes, with this class (`None`: the model's
    /// choice): set when an Evaluate item is opened to be explained.
    pub explain_next: Option<Option<usize>>,
}

impl PredictState {
    /// The run shown.
    pub fn shown_run(&self) -> Option<&Run> {
        self.shown.and_then(|i| self.history.get(i))
    }

    /// Sets the backend the model starts with, once (the Test tab and the Evaluate tab, which
    /// uses the Test tab's choice, both call it before reading the choice).
    pub fn ensure_initialized(&mut self, card: &ModelCard) {
        if !self.initialized {
            self.initialized = true;
            self.backend = BackendKind::initial(card);
        }
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
    state.ensure_initialized(card);
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
        let busy = state.running.is_some() || state.explain.running.is_some() || preparing;
        let no_url = state.backend == BackendKind::Url && settings.endpoint_url.trim().is_empty();
        // Why Predict cannot run now, said beside it.
        let blocked = missing_input.or(no_url.then_some("Type the endpoint's URL first"));
        let ready = !busy && blocked.is_none();
        let button = egui::Button::new(RichText::new("▶ Predict").strong());
        if ui
            .add_enabled(ready, button)
            .on_hover_text("Build the request from the input, check it, and send it (Ctrl+Enter)")
            .on_disabled_hover_text(blocked.unwrap_or("Busy: wait for the running build, predict or explanation"))
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
                    crate::text::human_size(done),
                    crate::text::human_size(total)
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
            ui.label(RichText::new("The request has problems MLflow would refuse (listed on the left); Predict checks it again.").weak());
        }
    });
    if let Some(error) = &state.error {
        ui.add(egui::Label::new(RichText::new(error).color(error_color(ui))).wrap());
    }
    if state.backend == BackendKind::Local {
        server_ui(ui, state, log, commands);
    }
    if let Some(index) = state.shown {
        answer_ui(ui, state, settings, index, commands);
        explain::explain_ui(ui, state, settings, index, server_up, commands);
    } else if !state.history.is_empty() && state.running.is_none() {
        ui.label(
            RichText::new(
                "A new input: Predict sends it (earlier answers are in the history below).",
            )
            .weak(),
        );
    }
    if let [a, b] = state.compare[..]
        && let (Some(ra), Some(rb)) = (state.history.get(a), state.history.get(b))
    {
        compare_ui(ui, ra, rb);
        explain::compare_explanations_ui(ui, state, settings, (a, b));
    }
    if !state.history.is_empty() {
        history_ui(ui, state, commands);
    }
}
