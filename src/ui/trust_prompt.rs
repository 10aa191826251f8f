//! The trust question asked before MLflow's scoring server loads a model (the Test tab's
//! Predict, the Evaluate tab's Run, the Compare tab's sends): per model, what the scan read
//! (each file's imports outside the safe list with their rules, the `skops_trusted_types`
//! MLmodel hands to skops, the module `pickle_module_info.txt` names), what else runs, and what
//! changed since the user last said yes. A dangerous finding makes Cancel the default and
//! "Run anyway" a secondary button. One question for every tab, drawn over the window.

use std::path::PathBuf;
use std::sync::Arc;

use egui::{RichText, Ui};

use super::command::Command;
use super::compare_panel::CompareAction;
use super::widgets::{error_color, ok_color, warn_color};
use crate::scan::Verdict;
use crate::scan::trust::{Brief, Digests, ImportLine, Level};

/// What runs once the user says yes.
#[derive(Clone)]
pub enum TrustAction {
    /// The Test tab's request (with its input summary) to this model.
    Predict(Arc<crate::input::request::Request>, Option<String>),
    /// The Evaluate tab's run.
    Eval,
    /// The Evaluate tab's run on Spark (its workers load the model).
    EvalOnSpark,
    /// Explaining this run of the history (an index into it).
    Explain(usize),
    /// A Compare tab action, to A and B.
    Compare(CompareAction),
}

/// One model the question is about.
pub struct AskedModel {
    /// `A` or `B` in the Compare tab; none for the open model alone.
    pub name: Option<&'static str>,
    /// Its folder (the key trust is remembered by).
    pub folder: PathBuf,
    /// Where it is, as the user knows it (its folder, or its models:/ URI's mirror).
    pub root: String,
    /// What the scan found, in the question's words.
    pub brief: Brief,
    /// What changed since the user last said yes (empty: never asked).
    pub changed: Vec<String>,
    /// Its files' digests now: remembered on a yes.
    pub digests: Digests,
}

/// The question open over the window.
pub struct TrustQuestion {
    /// What runs on a yes.
    pub action: TrustAction,
    /// The models asked about (empty while `waiting`).
    pub models: Vec<AskedModel>,
    /// Waiting for the scan of the model's files: the question is put once it is in.
    pub waiting: bool,
    /// Whether the default button has been given the keyboard focus.
    pub focused: bool,
}

impl TrustQuestion {
    /// The worst level of the models asked about.
    pub fn level(&self) -> Level {
        self.models
            .iter()
            .map(|m| m.brief.level)
            .max()
            .unwrap_or(Level::Unknown)
    }
}

fn verdict_color(ui: &Ui, verdict: Verdict) -> egui::Color32 {
    match verdict {
        Verdict::Safe => ok_color(ui),
        Verdict::Unknown => warn_color(ui),
        Verdict::Dangerous => error_color(ui),
    }
}

fn import_ui(ui: &mut Ui, line: &ImportLine) {
    ui.horizontal_wrapped(|ui| {
        ui.add_space(16.0);
        ui.label(
            RichText::new(line.verdict.word())
                .color(verdict_color(ui, line.verdict))
                .strong(),
        );
        ui.label(RichText::new(&line.name).monospace());
        ui.add(egui::Label::new(RichText::new(&line.why).weak()).wrap());
    });
}

/// What the scan says of one model.
fn model_ui(ui: &mut Ui, model: &AskedModel, action: &TrustAction) {
    let root = &model.root;
    let who = model.name.map(|n| format!("{n}: ")).unwrap_or_default();
    let loads = match action {
        TrustAction::EvalOnSpark => {
            format!("{who}Spark's workers (MLflow's spark_udf) load the model of {root}.")
        }
        _ => format!("{who}MLflow's scoring server for {root} loads the model."),
    };
    ui.add(egui::Label::new(RichText::new(loads).strong()).wrap());
    if !model.changed.is_empty() {
        ui.add(
            egui::Label::new(
                RichText::new(format!(
                    "Asked again: you said yes before, and since then {}.",
                    model.changed.join(", ")
                ))
                .color(warn_color(ui)),
            )
            .wrap(),
        );
    }
    let brief = &model.brief;
    let color = match brief.level {
        Level::NoCode => ok_color(ui),
        Level::Unknown => warn_color(ui),
        Level::Dangerous => error_color(ui),
    };
    ui.add(egui::Label::new(RichText::new(&brief.headline).color(color)).wrap());
    for file in &brief.files {
        if file.format == crate::scan::trust::MODULE_NAME_FORMAT {
            continue;
        }
        ui.horizontal_wrapped(|ui| {
            ui.label(
                RichText::new(file.verdict.word())
                    .color(verdict_color(ui, file.verdict))
                    .strong(),
            );
            ui.label(RichText::new(&file.path).monospace().strong());
            let mut what = format!("· {}", file.format);
            if file.safe > 0 {
                what.push_str(&format!(
                    " · {} on the safe list",
                    crate::text::count(file.safe, "import", "imports")
                ));
            }
            ui.add(egui::Label::new(RichText::new(what).weak()).wrap());
        });
        if let Some(why) = &file.incomplete {
            ui.horizontal_wrapped(|ui| {
                ui.add_space(16.0);
                ui.add(
                    egui::Label::new(
                        RichText::new(format!("not read to its end: {why}")).color(warn_color(ui)),
                    )
                    .wrap(),
                );
            });
        }
        for line in file
            .imports
            .iter()
            .filter(|l| !brief.skops_trusted.contains(l))
        {
            import_ui(ui, line);
        }
        if file.more > 0 {
            ui.horizontal_wrapped(|ui| {
                ui.add_space(16.0);
                ui.label(
                    RichText::new(format!(
                        "and {} more outside the safe list (the Files tab lists every one)",
                        file.more
                    ))
                    .weak(),
                );
            });
        }
    }
    if brief.quiet > 0 && !brief.files.is_empty() {
        ui.label(
            RichText::new(format!(
                "{} read to the end, importing nothing outside the safe list.",
                crate::text::count(brief.quiet, "other file", "other files")
            ))
            .weak(),
        );
    }
    if !brief.skops_trusted.is_empty() {
        ui.add(
            egui::Label::new(
                "MLmodel's skops_trusted_types, which MLflow hands to skops.io.load (skops then builds these types, whatever they are):",
            )
            .wrap(),
        );
        for line in &brief.skops_trusted {
            import_ui(ui, line);
        }
    }
    if let Some(module) = &brief.pickle_module {
        ui.add(
            egui::Label::new("A file names a module MLflow's loader imports before the model:")
                .wrap(),
        );
        import_ui(ui, module);
    }
    if !brief.also.is_empty() {
        ui.label("It also runs:");
        for line in &brief.also {
            ui.horizontal_wrapped(|ui| {
                ui.add_space(16.0);
                ui.add(egui::Label::new(format!("•  {line}")).wrap());
            });
        }
    }
}

/// The question's closing words, by the worst level of the models asked about.
pub fn trust_words(question: &TrustQuestion) -> String {
    let several = question.models.len() > 1;
    let folders = if several {
        "these folders"
    } else {
        "this folder"
    };
    let named = |level: Level| {
        let names: Vec<&str> = question
            .models
            .iter()
            .filter(|m| m.brief.level == level)
            .map(|m| m.name.unwrap_or("The model"))
            .collect();
        names.join(" and ")
    };
    match question.level() {
        Level::Dangerous => format!(
            "{} would run code the scan calls dangerous, which can do anything your account can. Cancel unless you made {} yourself.",
            named(Level::Dangerous),
            if several {
                "these models"
            } else {
                "this model"
            }
        ),
        Level::Unknown => format!(
            "Loading runs code outside the safe list, which can do anything your account can. Only continue if you trust where {folders} came from."
        ),
        Level::NoCode if several => format!(
            "Neither model brings code of its own, but their files are read by Python packages. Continue if you trust where {folders} came from."
        ),
        Level::NoCode => format!(
            "{} brings no code of its own, but its files are read by Python packages. Continue if you trust where {folders} came from.",
            named(Level::NoCode)
        ),
    }
}

/// Draws the question over the window (Escape or a click outside is Cancel).
pub fn trust_prompt_ui(
    ctx: &egui::Context,
    question: &mut TrustQuestion,
    commands: &mut Vec<Command>,
) {
    let screen = ctx.content_rect();
    let modal = egui::Modal::new(egui::Id::unique("trust_question")).show(ctx, |ui| {
        let width = (screen.width() - 80.0).clamp(260.0, 620.0);
        ui.set_width(width);
        if question.waiting {
            ui.heading("Reading the model's files…");
            ui.horizontal_wrapped(|ui| {
                ui.spinner();
                ui.add(
                    egui::Label::new(
                        "Before its code runs, the scan reads what loading each file would import (a model on a tracking server has its files fetched first). The question follows.",
                    )
                    .wrap(),
                );
            });
            ui.add_space(8.0);
            if ui.button("Cancel").clicked() {
                commands.push(Command::TrustAnswer(false));
            }
            return;
        }
        let level = question.level();
        let several = question.models.len() > 1;
        let heading = match (level, several) {
            (Level::Dangerous, true) => "⚠ Dangerous: run these models' code?",
            (Level::Dangerous, false) => "⚠ Dangerous: run this model's code?",
            (_, true) => "Run these models' code?",
            (_, false) => "Run this model's code?",
        };
        ui.label(
            RichText::new(heading)
                .heading()
                .color(if level == Level::Dangerous {
                    error_color(ui)
                } else {
                    ui.visuals().strong_text_color()
                }),
        );
        ui.add_space(4.0);
        // The findings scroll; the words and the buttons below them stay in sight.
        let list_height = (screen.height() - 260.0).max(80.0);
        egui::ScrollArea::vertical()
            .id_salt("trust_question_scroll")
            .max_height(list_height)
            .auto_shrink([false, true])
            .show(ui, |ui| {
                for model in &question.models {
                    model_ui(ui, model, &question.action);
                    ui.add_space(6.0);
                }
            });
        ui.separator();
        ui.add(egui::Label::new(trust_words(question)).wrap());
        ui.label(
            RichText::new(if several {
                "The answer is remembered for each folder as its files are now: a changed file asks again."
            } else {
                "The answer is remembered for this folder as its files are now: a changed file asks again."
            })
            .weak(),
        );
        ui.add_space(8.0);
        ui.horizontal_wrapped(|ui| {
            let run_words = match (level, several) {
                (Level::Dangerous, _) => "Run anyway",
                (_, true) => "Run them",
                (_, false) => "Run it",
            };
            // The default button is filled and has the focus: Enter presses it.
            let primary = |ui: &Ui, words: &str| {
                egui::Button::new(
                    RichText::new(words)
                        .strong()
                        .color(ui.visuals().selection.stroke.color),
                )
                .fill(ui.visuals().selection.bg_fill)
            };
            if level == Level::Dangerous {
                let cancel = ui.add(primary(ui, "Cancel"));
                if !question.focused {
                    cancel.request_focus();
                    question.focused = true;
                }
                if cancel.clicked() {
                    commands.push(Command::TrustAnswer(false));
                }
                if ui
                    .button(RichText::new(run_words).color(error_color(ui)))
                    .clicked()
                {
                    commands.push(Command::TrustAnswer(true));
                }
            } else {
                let run = ui.add(primary(ui, run_words));
                if !question.focused {
                    run.request_focus();
                    question.focused = true;
                }
                if run.clicked() {
                    commands.push(Command::TrustAnswer(true));
                }
                if ui.button("Cancel").clicked() {
                    commands.push(Command::TrustAnswer(false));
                }
            }
        });
    });
    if modal.should_close() {
        commands.push(Command::TrustAnswer(false));
    }
}
