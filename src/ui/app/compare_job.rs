//! The Compare tab's jobs: model B opened and compared with A on a worker; the Test tab's
//! request sent to both at once, each through its own backend kept warm; the Evaluate tab's
//! dataset run through both.

use super::*;
use crate::ui::artifacts_panel::ScanStatus;
use crate::ui::compare_panel::{
    BothAnswers, CompareAction, CompareView, DatasetCompared, DatasetRunning, SideAnswer,
};
use crate::ui::predict_panel::BackendKind;

/// Lines of each answer's JSON shown side by side.
const ANSWER_LINES: usize = 60;

impl InspectorApp {
    /// Opens `path` (a folder or a model URI) as B beside the open model, on a worker.
    pub(super) fn compare_open(&mut self, ctx: &egui::Context, path: PathBuf) {
        let Some(loaded) = &mut self.loaded else {
            return;
        };
        if self.tasks.is_running(TaskName::CompareOpen) {
            return;
        }
        loaded.panels.compare = CompareView {
            opening: Some(path.clone()),
            source: path.display().to_string(),
            ..CompareView::default()
        };
        self.settings.tab = Tab::Compare;
        self.tracking.open = false;
        let a = loaded.card.clone();
        let unfetched_a = crate::session::unfetched(loaded.remote.as_ref());
        let generation = self.generation;
        let tracking_uri = self.settings.tracking_uri.clone();
        self.tasks.spawn(TaskName::CompareOpen, ctx, move || {
            let result = crate::session::open(&path, Some(&tracking_uri))
                .map_err(|e| e.to_string())
                .map(|opened| {
                    // Bytes of weights not fetched (either side) are never called equal.
                    let unfetched_b = crate::session::unfetched(opened.remote.as_ref());
                    let comparison = crate::diff::diff_with(
                        &a,
                        &opened.card,
                        &crate::diff::Unfetched {
                            a: &unfetched_a,
                            b: &unfetched_b,
                        },
                    );
                    // B's scan, as A's at its opening: what its trust question is asked by.
                    let scan = if opened.remote.as_ref().is_some_and(|r| r.lacks(None)) {
                        ScanStatus::Skipped(
                            "Not scanned: some of B's files are still on the tracking server"
                                .into(),
                        )
                    } else {
                        match crate::scan::trust::findings(&opened.card, &AtomicBool::new(false)) {
                            Some(f) => ScanStatus::Done(Arc::new(f)),
                            None => ScanStatus::Skipped("The scan was stopped".into()),
                        }
                    };
                    Box::new((opened, comparison, scan))
                });
            TaskResult::CompareOpened {
                generation,
                path,
                result,
            }
        });
    }

    /// B opened (or not).
    pub(super) fn compare_opened(
        &mut self,
        generation: u64,
        result: Result<Box<crate::ui::tasks::CompareOpened>, String>,
    ) {
        let Some(loaded) = &mut self.loaded else {
            return;
        };
        if generation != self.generation {
            return;
        }
        let view = &mut loaded.panels.compare;
        view.opening = None;
        match result {
            Ok(done) => {
                let (opened, comparison, scan) = *done;
                let mut b = Loaded::new(opened.card, opened.remote);
                b.panels.files.scan = scan;
                view.backend_b = BackendKind::initial(&b.card);
                view.b = Some(Box::new(b));
                view.b_check = None;
                view.answers = None;
                view.comparison = Some(comparison);
                view.error = None;
            }
            Err(e) => view.error = Some(e),
        }
    }

    /// Sends the Test tab's request to A and B at once, each on its own backend (built first
    /// when it is not yet).
    pub(super) fn compare_send(&mut self, ctx: &egui::Context) {
        let request = self.built_request();
        let Some(loaded) = &mut self.loaded else {
            return;
        };
        loaded.panels.predict.ensure_initialized(&loaded.card);
        loaded.panels.test.ensure_initialized(&loaded.card);
        let backend_a = loaded.panels.predict.backend;
        let view = &mut loaded.panels.compare;
        if view.b.is_none()
            || view.answering.is_some()
            || self.tasks.is_running(TaskName::CompareAnswers)
            || self.tasks.is_running(TaskName::CompareCheck)
        {
            return;
        }
        let Some(request) = request else {
            // Built first, then sent (the Test tab's own Prepare).
            view.send_after_prepare = true;
            self.commands.push(Command::Prepare);
            return;
        };
        // B's verdict on this request first (on a worker): a request B refuses is not sent to
        // it, and its server is not started to hear the refusal.
        let checked = view
            .b_check
            .as_ref()
            .filter(|c| Arc::ptr_eq(&c.request, &request));
        let Some(check) = checked else {
            self.compare_check(ctx, request, true);
            return;
        };
        let asks_b = check.refusal.is_none() || std::mem::take(&mut view.send_b_anyway);
        let refusal = check.refusal.clone();
        // Running a model's own code needs the user's word, for each folder asked.
        let untrusted = self.untrusted(backend_a, CompareAction::Send, asks_b);
        let Some(loaded) = &mut self.loaded else {
            return;
        };
        let view = &mut loaded.panels.compare;
        let Some(b) = &view.b else {
            return;
        };
        if untrusted {
            if !asks_b || refusal.is_none() {
                return;
            }
            // "Send to B anyway" waits for the trust answer too.
            view.send_b_anyway = true;
            return;
        }
        let input = crate::ui::test_panel::input_summary(&loaded.panels.test, &request);
        // Class names for the answers: the Test tab's in use for A, each model's own else.
        let names_a = loaded
            .panels
            .predict
            .labels
            .clone()
            .or_else(|| loaded.card.classes.clone())
            .map(|c| c.names);
        let names_b = b.card.classes.clone().map(|c| c.names);
        let local = |kind: BackendKind, log: &Arc<crate::predict::local::Log>| {
            (kind == BackendKind::Local).then(|| log.clone())
        };
        let answering = crate::ui::compare_panel::Answering {
            started: std::time::Instant::now(),
            cancel: Arc::new(AtomicBool::new(false)),
            answered: [Arc::default(), Arc::default()],
            logs: [
                local(backend_a, &loaded.log),
                local(view.backend_b, &b.log).filter(|_| asks_b),
            ],
            asks_b,
        };
        // Why a side is not asked (B, when it would refuse the request).
        let not_sent = refusal
            .filter(|_| !asks_b)
            .map(|r| format!("Not sent: B would refuse it, as MLflow's scoring server would: {r}"));
        let sides = [
            (
                loaded.runner.clone(),
                backend_a.choice(&self.settings.endpoint_url),
                names_a.clone(),
                answering.answered[0].clone(),
                None,
            ),
            (
                b.runner.clone(),
                view.backend_b.choice(&self.settings.endpoint_url),
                names_b,
                answering.answered[1].clone(),
                not_sent,
            ),
        ];
        let cancel = answering.cancel.clone();
        let settings = self.settings.backend.clone();
        view.answering = Some(answering);
        view.answers = None;
        let generation = self.generation;
        self.tasks.spawn(TaskName::CompareAnswers, ctx, move || {
            // Both at once: each side holds its own runner.
            let [a, b] = std::thread::scope(|scope| {
                let handles = sides.map(|(runner, choice, names, answered, not_sent)| {
                    let (request, settings, cancel) = (&request, &settings, &*cancel);
                    scope.spawn(move || {
                        let side = match not_sent {
                            Some(why) => SideAnswer {
                                backend: choice.label(),
                                result: Err(why),
                                summary: String::new(),
                                millis: None,
                            },
                            None => ask(&runner, &choice, settings, request, cancel, names),
                        };
                        answered.store(true, std::sync::atomic::Ordering::Relaxed);
                        side
                    })
                });
                handles.map(|h| {
                    h.join().unwrap_or_else(|_| SideAnswer {
                        backend: String::new(),
                        result: Err("the backend stopped unexpectedly".into()),
                        summary: String::new(),
                        millis: None,
                    })
                })
            });
            let diff = match (&a.result, &b.result) {
                (Ok(x), Ok(y)) => Some(crate::diff::answers::compare_answers(
                    x,
                    y,
                    names_a.as_deref(),
                )),
                _ => None,
            };
            let texts = (answer_text(&a.result), answer_text(&b.result));
            TaskResult::CompareAnswered {
                generation,
                result: Ok(Box::new(BothAnswers {
                    input,
                    a,
                    b,
                    diff,
                    b_refused: !asks_b,
                    texts,
                })),
            }
        });
    }

    /// Checks `request` against B's signature with MLflow's rules on a worker; `then_send`
    /// sends it once the verdict is in.
    pub(super) fn compare_check(
        &mut self,
        ctx: &egui::Context,
        request: Arc<crate::input::request::Request>,
        then_send: bool,
    ) {
        let Some(loaded) = &mut self.loaded else {
            return;
        };
        let view = &mut loaded.panels.compare;
        let Some(b) = &view.b else {
            return;
        };
        let card = b.card.clone();
        let generation = self.generation;
        view.send_after_check |= then_send;
        view.checking = true;
        let spawned = self.tasks.spawn(TaskName::CompareCheck, ctx, move || {
            let verdict = crate::input::validate::validate(
                crate::input::validate::Model::of(&card),
                &request,
            );
            let refusal = (!verdict.is_ok()).then(|| {
                verdict
                    .problems
                    .iter()
                    .take(3)
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            });
            TaskResult::CompareChecked {
                generation,
                b: card,
                request,
                refusal,
            }
        });
        if !spawned {
            // One check at a time: the newest request is checked when this one ends.
            view.checking = false;
        }
    }

    /// B's verdict on a request came in: kept (and shown), then the send waiting for it goes.
    pub(super) fn compare_checked(
        &mut self,
        generation: u64,
        b: Arc<crate::model::ModelCard>,
        request: Arc<crate::input::request::Request>,
        refusal: Option<String>,
    ) {
        let Some(loaded) = &mut self.loaded else {
            return;
        };
        if generation != self.generation {
            return;
        }
        let view = &mut loaded.panels.compare;
        view.checking = false;
        if !view
            .b
            .as_ref()
            .is_some_and(|open| Arc::ptr_eq(&open.card, &b))
        {
            // Checked against a B since closed or replaced.
            view.send_after_check = false;
            return;
        }
        view.b_check = Some(crate::ui::compare_panel::BCheck { request, refusal });
        if std::mem::take(&mut view.send_after_check) {
            self.commands.push(Command::CompareSend);
        }
    }

    /// Whether A or B would run its own code in MLflow's scoring server without the user's
    /// word for their files as they are now: then the tab asks (or waits for a scan), and
    /// `action` runs on a yes.
    fn untrusted(&mut self, backend_a: BackendKind, action: CompareAction, asks_b: bool) -> bool {
        let Some(loaded) = &self.loaded else {
            return true;
        };
        // A's files may be fetched for its scan; B's are asked about as they are.
        let a_fetchable = super::trust_job::fetchable(loaded);
        let view = &loaded.panels.compare;
        let Some(b) = &view.b else {
            return true;
        };
        let candidates: Vec<super::trust_job::Candidate<'_>> = [
            (
                "A",
                backend_a,
                &loaded.folder,
                &loaded.card,
                &loaded.panels.files.scan,
                a_fetchable,
            ),
            (
                "B",
                view.backend_b,
                &b.folder,
                &b.card,
                &b.panels.files.scan,
                false,
            ),
        ]
        .into_iter()
        .filter(|(name, ..)| asks_b || *name == "A")
        .filter(|(_, kind, _, card, _, _)| {
            *kind == BackendKind::Local && crate::predict::local::serving_flavor(card).is_some()
        })
        .map(
            |(name, _, folder, card, scan, fetchable)| super::trust_job::Candidate {
                name: Some(name),
                folder,
                card,
                scan,
                fetchable,
            },
        )
        .collect();
        let outcome = super::trust_job::clear(&self.settings, &candidates);
        !self.cleared(
            crate::ui::trust_prompt::TrustAction::Compare(action),
            outcome,
        )
    }

    /// Both answered.
    pub(super) fn compare_answered(
        &mut self,
        generation: u64,
        result: Result<Box<BothAnswers>, String>,
    ) {
        let Some(loaded) = &mut self.loaded else {
            return;
        };
        if generation != self.generation {
            return;
        }
        let view = &mut loaded.panels.compare;
        view.answering = None;
        view.answers = Some(result.map(|b| *b));
    }

    /// Runs the Evaluate tab's dataset through A and B at once, each matched to its own model.
    pub(super) fn compare_dataset(&mut self, ctx: &egui::Context) {
        let Some(loaded) = &mut self.loaded else {
            return;
        };
        loaded.panels.predict.ensure_initialized(&loaded.card);
        let backend_a = loaded.panels.predict.backend;
        let view = &loaded.panels.compare;
        if !matches!(loaded.panels.eval.planned, Some(Ok(_)))
            || view.b.is_none()
            || view.dataset_running.is_some()
            || self.tasks.is_running(TaskName::CompareDataset)
        {
            return;
        }
        // A Parquet table is read only by Spark, which runs one model: said before any
        // question.
        if let Some(Ok(planned)) = &loaded.panels.eval.planned
            && planned.plan.is_parquet()
        {
            let path = loaded.panels.eval.path.trim().to_string();
            loaded.panels.compare.dataset = Some(Err(format!(
                "{path}: a Parquet table, which only Spark reads here (one model at a time, on the Evaluate tab): compare A and B on it as CSV or JSON lines"
            )));
            return;
        }
        if self.untrusted(backend_a, CompareAction::Dataset, true) {
            return;
        }
        let Some(loaded) = &mut self.loaded else {
            return;
        };
        let Some(Ok(planned)) = &loaded.panels.eval.planned else {
            return;
        };
        let view = &mut loaded.panels.compare;
        let Some(b) = &view.b else {
            return;
        };
        let path = PathBuf::from(loaded.panels.eval.path.trim());
        let spec = if planned.columns.is_empty() {
            crate::eval::DatasetSpec::Images(path)
        } else {
            crate::eval::DatasetSpec::Table {
                file: path,
                label: loaded.panels.eval.label.clone(),
                kind: None,
            }
        };
        let plan_a = planned.plan.clone();
        let summary = plan_a.summary.clone();
        let options_b = crate::eval::EvalOptions {
            labels: self.settings.labels_for(&b.folder).cloned(),
            image: loaded.panels.test.image.clone(),
            ..crate::eval::EvalOptions::default()
        };
        let choice_a = backend_a.choice(&self.settings.endpoint_url);
        let choice_b = view.backend_b.choice(&self.settings.endpoint_url);
        let (card_a, card_b) = (loaded.card.clone(), b.card.clone());
        let (runner_a, runner_b) = (loaded.runner.clone(), b.runner.clone());
        let settings = self.settings.backend.clone();
        let progress = (
            Arc::new(crate::eval::EvalProgress::default()),
            Arc::new(crate::eval::EvalProgress::default()),
        );
        let cancel = Arc::new(AtomicBool::new(false));
        view.dataset_running = Some(DatasetRunning {
            progress: progress.clone(),
            cancel: cancel.clone(),
        });
        view.dataset = None;
        let generation = self.generation;
        self.tasks.spawn(TaskName::CompareDataset, ctx, move || {
            let result = (|| {
                let plan_b = crate::eval::prepare(&card_b, &spec, &options_b, &choice_b)
                    .map_err(|e| format!("B: {e}"))?;
                progress.0.total.store(plan_a.total, Ordering::Relaxed);
                progress.1.total.store(plan_b.total, Ordering::Relaxed);
                let run = |plan: &crate::eval::Plan,
                           card: &crate::model::ModelCard,
                           runner: &Mutex<crate::predict::Runner>,
                           choice: &crate::predict::BackendChoice,
                           progress: &crate::eval::EvalProgress| {
                    let mut items = Vec::new();
                    let mut runner = runner
                        .lock()
                        .map_err(|_| "an earlier run failed badly".to_string())?;
                    let report = crate::eval::run(
                        plan,
                        card,
                        &mut runner,
                        choice,
                        &settings,
                        progress,
                        &cancel,
                        &mut |item| {
                            if items.len() < crate::ui::eval_panel::ITEMS_KEPT {
                                items.push(item.clone());
                            }
                        },
                    )
                    .map_err(|e| e.to_string())?;
                    Ok::<_, String>((report, items))
                };
                let (a, b) = std::thread::scope(|scope| {
                    let a =
                        scope.spawn(|| run(&plan_a, &card_a, &runner_a, &choice_a, &progress.0));
                    let b =
                        scope.spawn(|| run(&plan_b, &card_b, &runner_b, &choice_b, &progress.1));
                    (a.join(), b.join())
                });
                let stopped = || "the run stopped unexpectedly".to_string();
                let (report_a, items_a) =
                    a.map_err(|_| stopped())?.map_err(|e| format!("A: {e}"))?;
                let (report_b, items_b) =
                    b.map_err(|_| stopped())?.map_err(|e| format!("B: {e}"))?;
                Ok(Box::new(DatasetCompared {
                    summary,
                    agreement: crate::diff::agreement::agreement(&items_a, &items_b),
                    metrics: (headline(&report_a), headline(&report_b)),
                }))
            })();
            TaskResult::CompareDatasetDone { generation, result }
        });
    }

    /// The dataset ran through both (or could not).
    pub(super) fn compare_dataset_done(
        &mut self,
        generation: u64,
        result: Result<Box<DatasetCompared>, String>,
    ) {
        let Some(loaded) = &mut self.loaded else {
            return;
        };
        if generation != self.generation {
            return;
        }
        let view = &mut loaded.panels.compare;
        view.dataset_running = None;
        view.dataset = Some(result.map(|d| *d));
    }
}

/// One side's answer: its predictions, or why none.
fn ask(
    runner: &Mutex<crate::predict::Runner>,
    choice: &crate::predict::BackendChoice,
    settings: &crate::predict::BackendSettings,
    request: &crate::input::request::Request,
    cancel: &AtomicBool,
    names: Option<Vec<String>>,
) -> SideAnswer {
    let mut backend = choice.label();
    let result = match runner.lock() {
        Ok(mut r) => r.predict(choice, settings, request, cancel),
        Err(_) => {
            return SideAnswer {
                backend,
                result: Err(
                    "an earlier predict failed badly; close and open the model again".into(),
                ),
                summary: String::new(),
                millis: None,
            };
        }
    };
    match result {
        Ok(outcome) => {
            if let Some(runtime) = &outcome.runtime {
                backend = format!("in-process on {runtime}");
            }
            // Why another runtime answered than the one asked for (ONNX Runtime not loaded).
            if let Some(note) = &outcome.note {
                backend.push_str(&format!(" ({note})"));
            }
            let millis = Some(outcome.latency.as_secs_f64() * 1000.0);
            let result = match outcome.reply {
                crate::predict::response::Reply::Predictions { value, .. } => Ok(value),
                crate::predict::response::Reply::Rejected(r) => Err(r.to_string()),
            };
            let summary = result
                .as_ref()
                .map(|v| crate::predict::answer::summary_named(v, names.as_deref()))
                .unwrap_or_default();
            SideAnswer {
                backend,
                result,
                summary,
                millis,
            }
        }
        Err(e) => SideAnswer {
            backend,
            result: Err(e.to_string()),
            summary: String::new(),
            millis: None,
        },
    }
}

/// Bytes of an answer written as pretty JSON for the view (the rest is cut).
const ANSWER_BYTES: usize = 64 * 1024;

/// The first lines of an answer as pretty JSON: written into a buffer that stops at
/// [`ANSWER_BYTES`], so a huge answer is not written out whole.
fn answer_text(result: &Result<serde_json::Value, String>) -> String {
    /// A writer that takes bytes until it is full, then refuses.
    struct Capped(Vec<u8>);
    impl std::io::Write for Capped {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let room = ANSWER_BYTES.saturating_sub(self.0.len());
            if room == 0 {
                return Err(std::io::Error::other("full"));
            }
            let n = room.min(buf.len());
            self.0.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let Ok(value) = result else {
        return String::new();
    };
    let mut out = Capped(Vec::new());
    let whole = serde_json::to_writer_pretty(&mut out, value).is_ok();
    let text = String::from_utf8_lossy(&out.0);
    let lines: Vec<&str> = text.lines().collect();
    if whole && lines.len() <= ANSWER_LINES {
        return text.into_owned();
    }
    let shown = lines.len().min(ANSWER_LINES);
    format!("{}\n… (the rest cut)", lines[..shown].join("\n"))
}

/// A report's main metric in one line: accuracy, or MAE; empty without labels.
fn headline(r: &crate::eval::Report) -> String {
    let n = |v: Option<f64>| v.map_or_else(|| "n/a".into(), |x| format!("{x:.4}"));
    if let Some(c) = &r.classification {
        format!("accuracy {}, macro F1 {}", n(c.accuracy), n(c.macro_f1))
    } else if let Some(g) = &r.regression {
        format!("MAE {}, RMSE {}, R² {}", n(g.mae), n(g.rmse), n(g.r2))
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_long_answer_is_cut_to_its_first_lines() {
        let long = serde_json::json!((0..10_000).collect::<Vec<_>>());
        let text = super::answer_text(&Ok(long));
        assert_eq!(text.lines().count(), super::ANSWER_LINES + 1);
        assert!(text.ends_with("… (the rest cut)"));
        let short = serde_json::json!([1, 2]);
        assert_eq!(super::answer_text(&Ok(short)), "[\n  1,\n  2\n]");
    }
}
