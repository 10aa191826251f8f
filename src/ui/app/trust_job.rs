//! The trust question's job: before MLflow's scoring server loads a model's code (the Test
//! tab's Predict, the Evaluate tab's Run, the Compare tab's sends), each model's scan and file
//! digests decide whether to ask. A model the user said yes to, with the same files, runs; a
//! new one, or one whose files changed, is asked about (the change named); a scan still under
//! way is waited for.

use super::*;
use crate::scan::trust::Digests;
use crate::ui::artifacts_panel::ScanStatus;
use crate::ui::settings::TrustCheck;
use crate::ui::trust_prompt::{AskedModel, TrustAction, TrustQuestion};

/// What the question needs of one model that would run its code.
pub(super) struct Candidate<'a> {
    /// `A` or `B` in the Compare tab.
    pub name: Option<&'static str>,
    /// Its folder.
    pub folder: &'a std::path::Path,
    /// Its card.
    pub card: &'a ModelCard,
    /// Its scan.
    pub scan: &'a ScanStatus,
    /// Whether its files are on a tracking server, not yet fetched, and may be fetched for
    /// the scan (the open model's, once).
    pub fetchable: bool,
}

/// Whether the open model's files are on a tracking server, not all here, and not fetched for
/// the scan yet.
pub(super) fn fetchable(loaded: &Loaded) -> bool {
    loaded.remote.as_ref().is_some_and(|r| r.lacks(None)) && !loaded.panels.files.fetch_tried
}

/// The outcome of looking at the candidates.
pub(super) enum Cleared {
    /// Every model may run.
    Yes,
    /// The scan of one is under way: wait, then look again.
    Wait,
    /// The open model's files are on a tracking server: fetch and scan them, then look again.
    Fetch,
    /// Ask the user about these.
    Ask(Vec<AskedModel>),
}

/// Whether the models may run their code as their files are now.
pub(super) fn clear(
    settings: &crate::ui::settings::Settings,
    candidates: &[Candidate<'_>],
) -> Cleared {
    let mut asked = Vec::new();
    for c in candidates {
        let (report, digests, not_read) = match c.scan {
            ScanStatus::Running => return Cleared::Wait,
            ScanStatus::Skipped(_) if c.fetchable => return Cleared::Fetch,
            ScanStatus::Done(f) => (Some(&f.report), f.digests.clone(), String::new()),
            ScanStatus::Skipped(why) => (None, Digests::new(), why.clone()),
            ScanStatus::NotStarted => (None, Digests::new(), "Its files were not read".to_string()),
        };
        let changed = match settings.trust_check(c.folder, &digests) {
            TrustCheck::Trusted => continue,
            TrustCheck::Never => Vec::new(),
            TrustCheck::Changed(list) => list,
        };
        asked.push(AskedModel {
            name: c.name,
            folder: c.folder.to_path_buf(),
            root: c.card.root.display().to_string(),
            brief: crate::scan::trust::brief(c.card, report, not_read.trim_end_matches('.')),
            changed,
            digests,
        });
    }
    if asked.is_empty() {
        Cleared::Yes
    } else {
        Cleared::Ask(asked)
    }
}

impl InspectorApp {
    /// Puts the question (or waits for the scan) for `action`, unless every candidate may run:
    /// true when the action may go ahead now.
    pub(super) fn cleared(&mut self, action: TrustAction, outcome: Cleared) -> bool {
        let Some(loaded) = &mut self.loaded else {
            return false;
        };
        let (models, waiting) = match outcome {
            Cleared::Yes => return true,
            Cleared::Fetch => {
                self.commands.push(Command::FetchAndScan);
                (Vec::new(), true)
            }
            Cleared::Wait => (Vec::new(), true),
            Cleared::Ask(models) => (models, false),
        };
        loaded.panels.trust = Some(TrustQuestion {
            action,
            models,
            waiting,
            focused: false,
        });
        false
    }

    /// Whether the open model may run its own code in MLflow's scoring server for `action`
    /// (asking, or waiting for its scan, when not yet): true when the action may go ahead.
    pub(super) fn open_model_cleared(&mut self, ctx: &egui::Context, action: TrustAction) -> bool {
        let Some(loaded) = &mut self.loaded else {
            return false;
        };
        // A model with no flavor MLflow serves runs no code: not asked about.
        if crate::predict::local::serving_flavor(&loaded.card).is_none() {
            return true;
        }
        // A server to start loads the files as they are now: they are read again unless the
        // scan has just been made (a file changed since the last yes is asked about again).
        let cold = loaded.server_pid.load(std::sync::atomic::Ordering::Relaxed) == 0;
        if cold
            && matches!(loaded.panels.files.scan, ScanStatus::Done(_))
            && !loaded.panels.files.fresh
        {
            self.start_scan(ctx);
            return self.cleared(action, Cleared::Wait);
        }
        let outcome = clear(
            &self.settings,
            &[Candidate {
                name: None,
                folder: &loaded.folder,
                card: &loaded.card,
                scan: &loaded.panels.files.scan,
                fetchable: fetchable(loaded),
            }],
        );
        if cold && matches!(outcome, Cleared::Yes) {
            // This scan is used up by the start.
            loaded.panels.files.fresh = false;
        }
        self.cleared(action, outcome)
    }

    /// A scan arrived: a question waiting for it is looked at again.
    pub(super) fn scan_arrived(&mut self, ctx: &egui::Context) {
        let Some(loaded) = &mut self.loaded else {
            return;
        };
        if !loaded.panels.trust.as_ref().is_some_and(|q| q.waiting) {
            return;
        }
        let Some(question) = loaded.panels.trust.take() else {
            return;
        };
        self.resume(ctx, question.action);
    }

    /// Runs an action again (it checks trust again).
    fn resume(&mut self, ctx: &egui::Context, action: TrustAction) {
        match action {
            TrustAction::Predict(body, input) => self.send(ctx, body, input),
            TrustAction::Eval | TrustAction::EvalOnSpark => self.eval_run(ctx),
            TrustAction::Explain(index) => self.explain(ctx, index),
            TrustAction::Compare(crate::ui::compare_panel::CompareAction::Send) => {
                self.commands.push(Command::CompareSend)
            }
            TrustAction::Compare(crate::ui::compare_panel::CompareAction::Dataset) => {
                self.commands.push(Command::CompareDataset)
            }
        }
    }

    /// The user's answer: on a yes each folder is trusted as its files are now (remembered)
    /// and the action runs; on a no, the tab says why nothing ran.
    pub(super) fn trust_answer(&mut self, ctx: &egui::Context, yes: bool) {
        let Some(loaded) = &mut self.loaded else {
            return;
        };
        let Some(question) = loaded.panels.trust.take() else {
            return;
        };
        if question.waiting {
            // A fetch for the scan stops; a local scan ends on its own (its result is kept).
            loaded
                .fetch
                .cancel
                .store(true, std::sync::atomic::Ordering::Relaxed);
        }
        if yes && !question.waiting {
            for model in question.models {
                self.settings.trust(&model.folder, model.digests);
            }
            self.resume(ctx, question.action);
            return;
        }
        let not_run =
            "Not run: the model's code was not trusted. ONNX models can run in-process instead.";
        match question.action {
            TrustAction::Predict(..) => {
                loaded.panels.predict.error = Some(not_run.into());
                loaded.panels.predict.explain_next = None;
            }
            TrustAction::Eval | TrustAction::EvalOnSpark => {
                loaded.panels.eval.result = Some(Err(not_run.into()))
            }
            TrustAction::Explain(index) => {
                let predict = &mut loaded.panels.predict;
                if let Some(run) = predict.history.get(index) {
                    predict.explain.error = Some((run.number, not_run.into()));
                }
            }
            TrustAction::Compare(crate::ui::compare_panel::CompareAction::Send) => {
                loaded.panels.compare.answers =
                    Some(Err("Not sent: the models' code was not trusted.".into()))
            }
            TrustAction::Compare(crate::ui::compare_panel::CompareAction::Dataset) => {
                loaded.panels.compare.dataset =
                    Some(Err("Not run: the models' code was not trusted.".into()))
            }
        }
    }
}
