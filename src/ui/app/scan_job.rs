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
            // The files' digests too: trust is remembered by them.
            let findings = crate::scan::trust::findings(&card, &AtomicBool::new(false));
            TaskResult::Scanned {
                generation,
                findings: findings
                    .map(Arc::new)
                    .ok_or_else(|| "The scan was stopped".to_string()),
                remote: None,
            }
        });
    }

    /// Fetches the files a tracking server's model still lacks, then scans them: a trust
    /// question waits for it, so that what loading imports is known before anything runs.
    /// Cancel is the fetch's own (the shared progress flag).
    pub(super) fn fetch_and_scan(&mut self, ctx: &egui::Context) {
        let Some(loaded) = &mut self.loaded else {
            return;
        };
        if self.tasks.is_running(TaskName::Scan) {
            return;
        }
        let card = loaded.card.clone();
        let runner = loaded.runner.clone();
        let generation = self.generation;
        loaded.panels.files.scan = ScanStatus::Running;
        loaded.panels.files.fetch_tried = true;
        self.tasks.spawn(TaskName::Scan, ctx, move || {
            let cancel = AtomicBool::new(false);
            let fetched = match runner.lock() {
                Ok(mut r) => r.fetch_all(&cancel).map_err(|e| e.to_string()),
                Err(_) => Err("an earlier predict failed badly; open the model again".into()),
            };
            match fetched {
                Ok(remote) => TaskResult::Scanned {
                    generation,
                    findings: crate::scan::trust::findings(&card, &cancel)
                        .map(Arc::new)
                        .ok_or_else(|| "The scan was stopped".to_string()),
                    remote: remote.map(Box::new),
                },
                Err(e) => TaskResult::Scanned {
                    generation,
                    findings: Err(format!("Not scanned: {e}")),
                    remote: None,
                },
            }
        });
    }
}
