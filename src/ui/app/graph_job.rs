//! The Graph tab's job: an ONNX file read, checked against the signature and laid out on a
//! worker (one at a time: a new file cancels the running read), and laid out again when chain
//! folding is switched.

use super::*;
use crate::predict::graph::{ReadProgress, layout};
use crate::ui::graph_panel::GraphStatus;

impl InspectorApp {
    /// Starts reading `file` (the onnx flavor's when `None`) of the open model.
    pub(super) fn read_graph(&mut self, ctx: &egui::Context, file: Option<String>) {
        let Some(loaded) = &mut self.loaded else {
            return;
        };
        if self.tasks.is_running(TaskName::Graph) {
            if let GraphStatus::Reading { cancel, .. } = &loaded.panels.graph.status {
                cancel.store(true, Ordering::Relaxed);
            }
            self.pending_graph = Some(file);
            return;
        }
        let Some(rel) = file.or_else(|| loaded.onnx_files.first().cloned()) else {
            return;
        };
        let progress = Arc::new(ReadProgress::default());
        let cancel = Arc::new(AtomicBool::new(false));
        loaded.panels.graph.status = GraphStatus::Reading {
            file: rel.clone(),
            progress: progress.clone(),
            cancel: cancel.clone(),
        };
        loaded.panels.graph.selected = None;
        loaded.panels.graph.fit = true;
        let card = loaded.card.clone();
        let mut remote = loaded.remote.clone();
        let fold = loaded.panels.graph.fold_chains;
        let generation = self.generation;
        self.tasks.spawn(TaskName::Graph, ctx, move || {
            let result =
                crate::session::read_graph(&card, remote.as_mut(), Some(&rel), &progress, &cancel)
                    .map(|report| {
                        let drawing = layout::layout(&report.facts, fold);
                        (Arc::new(report), Arc::new(drawing))
                    })
                    .map_err(Arc::new);
            TaskResult::Graph {
                generation,
                file: rel,
                result,
            }
        });
    }

    /// Lays the read graph out again with chains folded or not.
    pub(super) fn fold_graph_chains(&mut self, ctx: &egui::Context, fold: bool) {
        let Some(loaded) = &mut self.loaded else {
            return;
        };
        loaded.panels.graph.fold_chains = fold;
        let GraphStatus::Ready { report, .. } = &loaded.panels.graph.status else {
            return;
        };
        let report = report.clone();
        let generation = self.generation;
        self.tasks.spawn(TaskName::GraphLayout, ctx, move || {
            TaskResult::GraphLaidOut {
                generation,
                fold,
                layout: Arc::new(layout::layout(&report.facts, fold)),
            }
        });
    }

    /// A graph read finished: shown, or its error; a read asked for meanwhile starts now.
    pub(super) fn graph_read(
        &mut self,
        ctx: &egui::Context,
        generation: u64,
        file: String,
        result: Result<
            (Arc<crate::session::GraphReport>, Arc<layout::Layout>),
            Arc<crate::session::SessionError>,
        >,
    ) {
        if let Some(next) = self.pending_graph.take() {
            self.read_graph(ctx, next);
            return;
        }
        if generation != self.generation {
            return;
        }
        let Some(loaded) = &mut self.loaded else {
            return;
        };
        loaded.panels.graph.status = match result {
            Ok((report, layout)) => GraphStatus::Ready { report, layout },
            Err(e) => match &*e {
                crate::session::SessionError::Graph(crate::predict::PredictError::Cancelled) => {
                    GraphStatus::Idle
                }
                _ => GraphStatus::Failed {
                    file,
                    message: e.to_string(),
                },
            },
        };
    }

    /// A new layout arrived (for the same model and the folding now chosen).
    pub(super) fn graph_laid_out(&mut self, generation: u64, fold: bool, new: Arc<layout::Layout>) {
        let Some(loaded) = &mut self.loaded else {
            return;
        };
        if generation != self.generation || fold != loaded.panels.graph.fold_chains {
            return;
        }
        if let GraphStatus::Ready { layout, .. } = &mut loaded.panels.graph.status {
            *layout = new;
            loaded.panels.graph.fit = true;
        }
    }
}
