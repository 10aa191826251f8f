//! The predict job: the trust question, the backend choice, the run on a worker, and the answer read for the view.

use super::*;

impl InspectorApp {
    /// Sends a request to the chosen backend on a worker (asking first before running the
    /// model's code locally).
    pub(super) fn send(
        &mut self,
        ctx: &egui::Context,
        request: Arc<crate::input::request::Request>,
        input: Option<String>,
    ) {
        use crate::ui::predict_panel::{BackendKind, Run, Running};
        let Some(loaded) = &mut self.loaded else {
            return;
        };
        let predict = &mut loaded.panels.predict;
        if predict.running.is_some() || self.tasks.is_running(TaskName::Predict) {
            return;
        }
        // MLflow's scoring server runs the model's code: the user's word first (a model with
        // no flavor it serves is not asked about; predict says why).
        let action = crate::ui::trust_prompt::TrustAction::Predict(request.clone(), input.clone());
        if predict.backend == BackendKind::Local && !self.open_model_cleared(ctx, action) {
            return;
        }
        let Some(loaded) = &mut self.loaded else {
            return;
        };
        let predict = &mut loaded.panels.predict;
        let choice = predict.backend.choice(&self.settings.endpoint_url);
        let label = choice.label();
        // What the request was made from, for Explain: the Test tab's input as it stands, or
        // for a Re-run (which names its input) the first run of this very request.
        let origin = match &input {
            None => crate::ui::test_panel::explain_input(&loaded.panels.test, &loaded.card),
            Some(_) => predict
                .history
                .iter()
                .find(|r| Arc::ptr_eq(&r.request, &request))
                .and_then(|r| r.origin.clone()),
        };
        let input = input
            .unwrap_or_else(|| crate::ui::test_panel::input_summary(&loaded.panels.test, &request));
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
            explain_after: predict.explain_next.take(),
        });
        predict.error = None;
        let answered_by = choice.clone();
        self.tasks.spawn(TaskName::Predict, ctx, move || {
            // In this process, cast to the signature's dtypes once, as MLflow casts it.
            let cast = crate::session::cast_for(&choice, &card, &request);
            let sent = cast.as_ref().unwrap_or(&request);
            let result = match runner.lock() {
                Ok(mut r) => r.predict(&choice, &settings, sent, &cancel),
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
            // ONNX Runtime's runs name the runtime that answered (tract where none loaded).
            let label = match (&choice, &result) {
                (crate::predict::BackendChoice::OnnxRuntime, Ok(o)) => o
                    .runtime
                    .as_ref()
                    .map_or(label, |r| format!("in-process on {r}")),
                _ => label,
            };
            TaskResult::Predicted {
                generation,
                run: Box::new(Run {
                    number,
                    backend: label,
                    input,
                    input_digest: request.fingerprint(),
                    input_glimpse: request.first_values(6),
                    request,
                    result,
                    sections,
                    summary,
                    raw_view,
                    value_views,
                    choice: answered_by,
                    origin,
                    explanations: Vec::new(),
                }),
                server,
                candidates,
                labels,
            }
        });
    }
}
