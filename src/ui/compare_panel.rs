//! The Compare tab: model B beside the open model A. On top the verdict (drop-in or breaking,
//! with each reason), under it the changes by section (breaking ones marked, equal sections
//! folded); then the Test tab's request answered by both, side by side with their
//! difference; then the Evaluate tab's dataset run through both, with their agreement.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use egui::{RichText, Ui};

use super::command::Command;
use super::predict_panel::BackendKind;
use super::widgets::{error_color, ok_color, warn_color};
use crate::diff::agreement::Agreement;
use crate::diff::answers::{AnswerDiff, DiffKind};
use crate::diff::{Comparison, SECTIONS};
use crate::eval::EvalProgress;
use crate::model::ModelCard;

/// One side's answer to the shared request.
#[derive(Debug)]
pub struct SideAnswer {
    /// The backend that answered, in words.
    pub backend: String,
    /// The predictions, or why there are none.
    pub result: Result<serde_json::Value, String>,
    /// What the predictions are, in a few words (read once, on the worker).
    pub summary: String,
    /// How long the call took (the backend's start excluded), in milliseconds.
    pub millis: Option<f64>,
}

/// The Test tab's request being sent to both: how long, each side's stage, and Cancel.
pub struct Answering {
    /// When it was sent.
    pub started: std::time::Instant,
    /// Set by Cancel.
    pub cancel: Arc<AtomicBool>,
    /// Whether A, and B, have answered.
    pub answered: [Arc<AtomicBool>; 2],
    /// A's and B's server log, for a side that runs MLflow's scoring server (its start's stage
    /// is read from it); `None` for one that runs in-process or is not asked.
    pub logs: [Option<Arc<crate::predict::local::Log>>; 2],
    /// Whether B is asked (not when it would refuse the request).
    pub asks_b: bool,
}

/// MLflow's verdict on the Test tab's request under B's signature, found before B is asked.
pub struct BCheck {
    /// The request checked.
    pub request: Arc<crate::input::request::Request>,
    /// B's refusal in MLflow's words, or `None` when B's scoring server would accept it.
    pub refusal: Option<String>,
}

/// Both answers to the Test tab's request, and how they differ.
#[derive(Debug)]
pub struct BothAnswers {
    /// What was sent, in words.
    pub input: String,
    /// A's answer.
    pub a: SideAnswer,
    /// B's answer.
    pub b: SideAnswer,
    /// Their difference, when both answered.
    pub diff: Option<AnswerDiff>,
    /// B was not asked: MLflow's rules say it refuses this request (B's result says why).
    pub b_refused: bool,
    /// Each answer as pretty JSON (the first lines), made on the worker.
    pub texts: (String, String),
}

/// The dataset run through both, under way.
pub struct DatasetRunning {
    /// A's progress and B's.
    pub progress: (Arc<EvalProgress>, Arc<EvalProgress>),
    /// Set by Cancel.
    pub cancel: Arc<AtomicBool>,
}

/// The dataset run through both, done.
#[derive(Debug)]
pub struct DatasetCompared {
    /// What the dataset was, in words.
    pub summary: String,
    /// How A's and B's predictions agree.
    pub agreement: Agreement,
    /// A's and B's metric in one line each (accuracy or MAE), when labelled.
    pub metrics: (String, String),
}

/// What the Compare tab runs on both models.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareAction {
    /// The Test tab's request, to both.
    Send,
    /// The Evaluate tab's dataset, through both.
    Dataset,
}

/// Model B and what has been compared (not saved).
#[derive(Default)]
pub struct CompareView {
    /// B being opened (its path or URI).
    pub opening: Option<std::path::PathBuf>,
    /// Why B could not be opened.
    pub error: Option<String>,
    /// B, opened: its card, its own backends kept warm.
    pub b: Option<Box<super::app::Loaded>>,
    /// Where B came from, as given.
    pub source: String,
    /// The signatures' and files' comparison, made when B opened.
    pub comparison: Option<Comparison>,
    /// B's backend.
    pub backend_b: BackendKind,
    /// The request being sent to both.
    pub answering: Option<Answering>,
    /// B's verdict on the Test tab's request, when checked.
    pub b_check: Option<BCheck>,
    /// The next send goes to B even when B would refuse it.
    pub send_b_anyway: bool,
    /// Send once B's verdict on the request is in.
    pub send_after_check: bool,
    /// B's verdict on the request is being found.
    pub checking: bool,
    /// Send to both once the Test tab's request is built.
    pub send_after_prepare: bool,
    /// Both answers, or why they could not be asked.
    pub answers: Option<Result<BothAnswers, String>>,
    /// The dataset run through both, under way.
    pub dataset_running: Option<DatasetRunning>,
    /// The dataset run through both, or why not.
    pub dataset: Option<Result<DatasetCompared, String>>,
}

impl CompareView {
    /// Whether there is a comparison to show (B open, opening, or failed to open).
    pub fn active(&self) -> bool {
        self.b.is_some() || self.opening.is_some() || self.error.is_some()
    }
}

/// What the tab needs of model A.
pub struct SideA<'a> {
    /// A's card.
    pub card: &'a ModelCard,
    /// A's backend (the Test tab's), in words.
    pub backend: String,
    /// Why the Test tab has no request to send yet, if so.
    pub missing_input: Option<&'a str>,
    /// The Evaluate tab's dataset, in words, when one is ready.
    pub dataset: Option<String>,
    /// The Test tab's request as built, when it is.
    pub request: Option<&'a Arc<crate::input::request::Request>>,
}

/// Draws the tab.
pub fn compare_ui(ui: &mut Ui, a: &SideA<'_>, view: &mut CompareView, commands: &mut Vec<Command>) {
    egui::ScrollArea::vertical()
        .id_salt("compare_scroll")
        .auto_shrink(false)
        .show(ui, |ui| {
            ui.set_max_width(ui.available_width());
            header_ui(ui, a.card, view, commands);
            let (Some(b), Some(comparison)) = (&view.b, &view.comparison) else {
                return;
            };
            let b_card = b.card.clone();
            verdict_ui(
                ui,
                comparison,
                &a.card.display_name(),
                &b_card.display_name(),
            );
            ui.add_space(6.0);
            changes_ui(ui, comparison);
            ui.add_space(10.0);
            answers_ui(ui, a, &b_card, view, commands);
            ui.add_space(10.0);
            dataset_ui(ui, a, view, commands);
        });
}

fn header_ui(ui: &mut Ui, a: &ModelCard, view: &CompareView, commands: &mut Vec<Command>) {
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new("A").strong());
        ui.label(RichText::new(a.root.display().to_string()).monospace());
        ui.label("  against  ");
        ui.label(RichText::new("B").strong());
        // As the user gave it (a folder or a model URI); the folder read on hover.
        let root = view
            .b
            .as_ref()
            .map(|b| b.card.root.display().to_string())
            .unwrap_or_default();
        ui.label(RichText::new(&view.source).monospace())
            .on_hover_text(root);
        if ui
            .button("Close comparison")
            .on_hover_text("Forget B and stop its backend")
            .clicked()
        {
            commands.push(Command::CompareClose);
        }
    });
    if let Some(path) = &view.opening {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(format!("Opening B: {}…", path.display()));
        });
    }
    if let Some(e) = &view.error {
        ui.add(
            egui::Label::new(
                RichText::new(format!("B cannot be opened: {e}")).color(error_color(ui)),
            )
            .wrap(),
        );
    }
    ui.separator();
}

fn verdict_ui(ui: &mut Ui, c: &Comparison, a: &str, b: &str) {
    if c.compatible() {
        ui.label(
            RichText::new(format!(
                "✔ Drop-in: B ({b}) accepts every request A ({a}) accepts."
            ))
            .size(18.0)
            .color(ok_color(ui)),
        );
    } else {
        ui.label(
            RichText::new(format!(
                "✖ Breaking: B ({b}) is not a drop-in replacement for A ({a})."
            ))
            .size(18.0)
            .color(error_color(ui)),
        );
        for reason in c.reasons() {
            ui.add(egui::Label::new(format!("• {reason}")).wrap());
        }
    }
    ui.label(
        RichText::new(format!(
            "{} of A's requests checked against B's signature",
            c.requests_checked
        ))
        .weak(),
    );
    for (side, warnings) in [("A", &c.warnings_a), ("B", &c.warnings_b)] {
        if warnings.is_empty() {
            continue;
        }
        ui.label(
            RichText::new(format!(
                "⚠ {side}'s folder: {}",
                crate::text::count(warnings.len(), "warning", "warnings")
            ))
            .color(ui.visuals().warn_fg_color),
        );
        for w in warnings {
            ui.add(egui::Label::new(format!("• {w}")).wrap());
        }
    }
}

/// Each section: changed ones open with A's and B's sides in two columns that wrap, equal ones
/// folded.
fn changes_ui(ui: &mut Ui, c: &Comparison) {
    for section in SECTIONS {
        let changes: Vec<_> = c.changes.iter().filter(|x| x.section == section).collect();
        if changes.is_empty() {
            egui::CollapsingHeader::new(RichText::new(format!("{section}: equal")).weak())
                .id_salt(("compare_section", section))
                .default_open(false)
                .show(ui, |ui| {
                    ui.label(format!("A and B are the same in {section}."));
                });
            continue;
        }
        let breaking = changes.iter().filter(|x| x.breaking).count();
        let mut title = format!(
            "{section}: {}",
            crate::text::count(changes.len(), "change", "changes")
        );
        if breaking > 0 {
            title.push_str(&format!(", {breaking} breaking"));
        }
        egui::CollapsingHeader::new(RichText::new(title).strong())
            .id_salt(("compare_section", section))
            .default_open(true)
            .show(ui, |ui| {
                ui.columns(2, |cols| {
                    cols[0].label(RichText::new("A").weak());
                    cols[1].label(RichText::new("B").weak());
                });
                for x in changes {
                    ui.horizontal_wrapped(|ui| {
                        if x.breaking {
                            ui.label(RichText::new("BREAKING").strong().color(error_color(ui)));
                        }
                        ui.label(RichText::new(&x.item).strong());
                    });
                    let side = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".into());
                    ui.columns(2, |cols| {
                        for (col, v) in cols.iter_mut().zip([&x.a, &x.b]) {
                            // Not justified: a wrapped line keeps its spaces.
                            col.vertical(|ui| {
                                ui.add(egui::Label::new(RichText::new(side(v)).monospace()).wrap());
                            });
                        }
                    });
                    if let Some(reason) = &x.reason {
                        ui.add(
                            egui::Label::new(RichText::new(reason).color(warn_color(ui))).wrap(),
                        );
                    }
                    ui.add_space(4.0);
                }
            });
    }
}

fn answers_ui(
    ui: &mut Ui,
    a: &SideA<'_>,
    b_card: &ModelCard,
    view: &mut CompareView,
    commands: &mut Vec<Command>,
) {
    ui.heading("Same input, both answers");
    let has_onnx = crate::predict::onnx::onnx_data(b_card).is_some();
    ui.horizontal_wrapped(|ui| {
        ui.label(format!(
            "A runs on {} (the Test tab's choice); B runs on",
            a.backend
        ));
        let mut choice = view.backend_b;
        for (kind, label, enabled) in [
            (
                BackendKind::OnnxRuntime,
                "ONNX Runtime in-process",
                has_onnx,
            ),
            (BackendKind::Onnx, "ONNX in-process (tract)", has_onnx),
            (
                BackendKind::Local,
                "MLflow scoring server (local Python)",
                true,
            ),
        ] {
            if ui
                .add_enabled(enabled, egui::RadioButton::new(choice == kind, label))
                .on_disabled_hover_text("B has no onnx flavor")
                .clicked()
            {
                choice = kind;
            }
        }
        if choice != view.backend_b {
            commands.push(Command::CompareBackendB(choice));
        }
    });
    ui.horizontal_wrapped(|ui| {
        let ready = a.missing_input.is_none() && view.answering.is_none();
        if ui
            .add_enabled(
                ready,
                egui::Button::new("▶ Send the Test tab's request to both"),
            )
            .on_disabled_hover_text(a.missing_input.unwrap_or("Sending…"))
            .clicked()
        {
            commands.push(Command::CompareSend);
        }
    });
    // B's verdict on the request as it stands, found as soon as it is built.
    if let Some(request) = a.request
        && !view.checking
        && view
            .b_check
            .as_ref()
            .is_none_or(|c| !Arc::ptr_eq(&c.request, request))
    {
        view.checking = true;
        commands.push(Command::CompareCheck);
    }
    // B's refusal of the request as it stands, said before anything is sent.
    if let (Some(check), Some(request)) = (&view.b_check, a.request)
        && Arc::ptr_eq(&check.request, request)
        && let Some(refusal) = &check.refusal
        && view.answering.is_none()
        && view.answers.is_none()
    {
        ui.add(
            egui::Label::new(
                RichText::new(format!(
                    "✖ B would refuse this request, as MLflow's scoring server would: {refusal}. Send asks A only."
                ))
                .color(error_color(ui)),
            )
            .wrap(),
        );
    }
    if let Some(answering) = &view.answering {
        answering_ui(ui, answering, commands);
    }
    match &view.answers {
        None => {}
        Some(Err(e)) => {
            ui.add(egui::Label::new(RichText::new(e).color(error_color(ui))).wrap());
        }
        Some(Ok(both)) => both_ui(ui, both, view.answering.is_none(), commands),
    }
}

/// The send under way: the time, each side's stage (a scoring server's start read from its
/// log), and Cancel.
fn answering_ui(ui: &mut Ui, answering: &Answering, commands: &mut Vec<Command>) {
    let secs = answering.started.elapsed().as_secs_f64();
    let cancelled = answering.cancel.load(Ordering::Relaxed);
    ui.horizontal_wrapped(|ui| {
        ui.spinner();
        ui.label(if cancelled {
            "Cancelling…".to_string()
        } else {
            format!("Sending to both… {secs:.0} s")
        });
        if ui
            .button("Cancel")
            .on_hover_text("Stop waiting; a scoring server still starting is stopped")
            .clicked()
        {
            commands.push(Command::CompareCancel);
        }
    });
    for (k, name) in ["A", "B"].into_iter().enumerate() {
        let stage = if k == 1 && !answering.asks_b {
            "not asked (it would refuse the request)".to_string()
        } else if answering.answered[k].load(Ordering::Relaxed) {
            "answered".to_string()
        } else {
            match &answering.logs[k] {
                Some(log) => format!(
                    "MLflow's scoring server: {}…",
                    crate::predict::local::start_phase(&log.lines())
                ),
                None => "answering…".to_string(),
            }
        };
        ui.label(RichText::new(format!("{name}: {stage}")).weak());
    }
    ui.ctx()
        .request_repaint_after(std::time::Duration::from_millis(100));
}

fn both_ui(ui: &mut Ui, both: &BothAnswers, idle: bool, commands: &mut Vec<Command>) {
    ui.label(RichText::new(format!("Sent: {}", both.input)).weak());
    if both.b_refused && idle {
        ui.horizontal_wrapped(|ui| {
            ui.label(
                RichText::new("B was not asked: MLflow's rules say it refuses this request.")
                    .color(warn_color(ui)),
            );
            if ui
                .button("Send to B anyway")
                .on_hover_text("Ask B's backend itself, and see its own answer")
                .clicked()
            {
                commands.push(Command::CompareSendAnyway);
            }
        });
    }
    match &both.diff {
        Some(d) => difference_ui(ui, d),
        None => {
            ui.label(
                RichText::new("Only one side answered: nothing to compare.").color(warn_color(ui)),
            );
        }
    }
    ui.columns(2, |cols| {
        for (col, (name, side, text)) in cols
            .iter_mut()
            .zip([("A", &both.a, &both.texts.0), ("B", &both.b, &both.texts.1)])
        {
            // Not justified: a wrapped line keeps its spaces.
            col.vertical(|ui| side_ui(ui, name, side, text));
        }
    });
}

/// One side's answer: who answered and how fast, its summary and its JSON.
fn side_ui(ui: &mut Ui, name: &str, side: &SideAnswer, text: &str) {
    let time = side
        .millis
        .map(|ms| format!(" · {ms:.1} ms"))
        .unwrap_or_default();
    ui.label(RichText::new(format!("{name} · {}{time}", side.backend)).strong());
    match &side.result {
        Ok(_) => {
            ui.add(egui::Label::new(&side.summary).wrap());
            egui::ScrollArea::vertical()
                .id_salt(("compare_answer", name))
                .max_height(220.0)
                .show(ui, |ui| {
                    ui.add(egui::Label::new(RichText::new(text).monospace()).wrap());
                });
        }
        Err(e) => {
            ui.add(egui::Label::new(RichText::new(e).color(error_color(ui))).wrap());
        }
    }
}

/// The difference of two answers: one line, then each output's figures; a table's changed
/// cells in a grid.
fn difference_ui(ui: &mut Ui, d: &AnswerDiff) {
    let color = if d.identical() {
        ok_color(ui)
    } else {
        warn_color(ui)
    };
    ui.add(
        egui::Label::new(
            RichText::new(format!("Difference: {}", d.summary()))
                .color(color)
                .strong(),
        )
        .wrap(),
    );
    // The line above says each output's figures once; a table's changed cells follow.
    for o in &d.outputs {
        let name = o.name.clone().unwrap_or_else(|| "answer".into());
        match &o.kind {
            DiffKind::Table { cells, changed, .. } if *changed > 0 => {
                egui::ScrollArea::both()
                    .id_salt(("compare_cells", &name))
                    .max_height(200.0)
                    .show(ui, |ui| {
                        egui::Grid::new(("compare_cells_grid", &name))
                            .striped(true)
                            .num_columns(4)
                            .show(ui, |ui| {
                                for h in ["row", "column", "A", "B"] {
                                    ui.label(RichText::new(h).strong());
                                }
                                ui.end_row();
                                for c in cells {
                                    ui.label(c.row.to_string());
                                    ui.label(&c.column);
                                    ui.label(crate::text::elide(&c.a, 60));
                                    ui.label(crate::text::elide(&c.b, 60));
                                    ui.end_row();
                                }
                            });
                        if *changed > cells.len() {
                            ui.label(
                                RichText::new(format!("… {} more", changed - cells.len())).weak(),
                            );
                        }
                    });
            }
            _ => {}
        }
    }
}

fn dataset_ui(ui: &mut Ui, a: &SideA<'_>, view: &mut CompareView, commands: &mut Vec<Command>) {
    ui.heading("Over a dataset");
    let Some(dataset) = &a.dataset else {
        ui.label(
            RichText::new("Choose a dataset on the Evaluate tab to run it through both.").weak(),
        );
        return;
    };
    match &view.dataset_running {
        None => {
            ui.horizontal_wrapped(|ui| {
                if ui
                    .button("▶ Run both over the Evaluate tab's dataset")
                    .clicked()
                {
                    commands.push(Command::CompareDataset);
                }
                ui.label(RichText::new(dataset).weak());
            });
        }
        Some(running) => {
            for (name, p) in [("A", &running.progress.0), ("B", &running.progress.1)] {
                let total = p.total.load(Ordering::Relaxed).max(1);
                let done = p.done.load(Ordering::Relaxed);
                ui.add(
                    egui::ProgressBar::new(done as f32 / total as f32)
                        .text(format!("{name}: {done} of {total} items")),
                );
            }
            if ui.button("Cancel").clicked() {
                commands.push(Command::CompareCancel);
            }
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_millis(100));
        }
    }
    match &view.dataset {
        None => {}
        Some(Err(e)) => {
            ui.add(egui::Label::new(RichText::new(e).color(error_color(ui))).wrap());
        }
        Some(Ok(done)) => {
            let g = &done.agreement;
            let rate = g
                .rate()
                .map_or_else(|| "n/a".into(), |r| format!("{:.2}%", 100.0 * r));
            ui.label(
                RichText::new(format!(
                    "Agreement {rate}: the same prediction on {} of {} items",
                    g.agree, g.compared
                ))
                .size(18.0)
                .strong(),
            );
            ui.label(RichText::new(&done.summary).weak());
            if g.one_failed > 0 {
                ui.label(
                    RichText::new(format!("{} items failed on one side only", g.one_failed))
                        .color(warn_color(ui)),
                );
            }
            if !done.metrics.0.is_empty() {
                ui.label(format!("A: {}   B: {}", done.metrics.0, done.metrics.1));
            }
            if !g.differing.is_empty() {
                ui.label(
                    RichText::new(format!("Where they differ ({})", g.differing.len())).strong(),
                );
                egui::ScrollArea::both()
                    .id_salt("compare_differing")
                    .max_height(260.0)
                    .show(ui, |ui| {
                        egui::Grid::new("compare_differing_grid")
                            .striped(true)
                            .num_columns(4)
                            .show(ui, |ui| {
                                for h in ["item", "label", "A", "B"] {
                                    ui.label(RichText::new(h).strong());
                                }
                                ui.end_row();
                                for d in g.differing.iter().take(500) {
                                    ui.label(&d.id);
                                    ui.label(d.label.as_deref().unwrap_or(""));
                                    ui.label(crate::text::elide(&d.a, 80));
                                    ui.label(crate::text::elide(&d.b, 80));
                                    ui.end_row();
                                }
                            });
                        if g.differing.len() > 500 {
                            ui.label(
                                RichText::new(format!("… {} more", g.differing.len() - 500)).weak(),
                            );
                        }
                    });
            }
        }
    }
}
