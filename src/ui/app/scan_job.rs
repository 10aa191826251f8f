//! The scan's job: what loading each of the open model's files would import, read on a worker
//! as soon as the model opens (nothing waits for it), shown as the Files tab's badges and the
//! header's chip. A model on a tracking server is scanned once its files are all here.

use super::*;
use crate::ui::artifacts_panel::ScanStatus;

impl InspectorApp {
    /// Starts the scan of the open model's files.
    pub(super) fn start_scan(&mut self, ctx: &egui::Context) {
        let Some(loaded) = &mut self.loaded else {
            return;
        };
        if loaded.remote.as_ref().is_some_and(|r| r.lacks(None)) {
            loaded.panels.files.scan = ScanStatus::Skipped(
                "Not scanned: some of the model's files are still on the tracking server (a predict fetches them)".into(),
            );
            return;
        }
        let card = loaded.card.clone();
        let generation = self.generation;
        loaded.panels.files.scan = ScanStatus::Running;
        // One scan at a time: one still running for a model opened before hands over when it
        // ends (see the Scanned result).
        self.tasks.spawn(TaskName::Scan, ctx, move || {
            let report = crate::scan::scan_model(&card, &AtomicBool::new(false));
            TaskResult::Scanned {
                generation,
                report: Arc::new(report),
            }
        });
    }
}
