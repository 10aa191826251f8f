//! Background task results, applied at the start of each frame; new work they lead to (previews, thumbnails) is started here.

use super::*;

impl InspectorApp {
    pub(super) fn handle_results(&mut self, ctx: &egui::Context) {
        for result in self.tasks.poll() {
            match result {
                TaskResult::Chosen(purpose, answer) => match answer {
                    NativeAnswer::Picked(paths) => {
                        self.native_dialogs = Some(true);
                        self.picked(ctx, purpose, paths);
                    }
                    NativeAnswer::Cancelled => self.native_dialogs = Some(true),
                    NativeAnswer::Unavailable => {
                        self.native_dialogs = Some(false);
                        self.open_browser(ctx, purpose);
                    }
                },
                TaskResult::BinaryCell(row, col, result) => {
                    if let Some(loaded) = &mut self.loaded {
                        let test = &mut loaded.panels.test;
                        match result {
                            Some(Ok(text)) => {
                                if let Some(cell) =
                                    test.grid.get_mut(row).and_then(|r| r.get_mut(col))
                                {
                                    *cell = text;
                                }
                            }
                            Some(Err(e)) => test.error = Some(e),
                            None => {}
                        }
                    }
                }

                TaskResult::Prepared {
                    generation,
                    result,
                    fill_editor,
                } => {
                    let Some(loaded) = &mut self.loaded else {
                        continue;
                    };
                    if generation != self.prepare_generation {
                        continue;
                    }
                    let test = &mut loaded.panels.test;
                    test.progress = None;
                    match result {
                        Ok(prepared) => {
                            if fill_editor {
                                test.source = crate::ui::test_panel::SourceKind::Json;
                                // On the worker's result, once: an example is small.
                                let mut text = Vec::new();
                                let _ = prepared.request.write_readable(
                                    crate::input::request::BodyFormat::Mlflow,
                                    &mut text,
                                );
                                test.json_text = String::from_utf8(text).unwrap_or_default();
                            }
                            test.preview_texture = prepared.preview.as_ref().map(|img| {
                                let size = [img.width() as usize, img.height() as usize];
                                let color =
                                    egui::ColorImage::from_rgba_unmultiplied(size, img.as_raw());
                                ctx.load_texture(
                                    "model_input_preview",
                                    color,
                                    egui::TextureOptions::LINEAR,
                                )
                            });
                            let send =
                                std::mem::take(&mut loaded.panels.predict.predict_after_prepare);
                            if send {
                                if prepared.verdict.is_ok() {
                                    self.commands.push(Command::Send(prepared.request.clone()));
                                } else {
                                    loaded.panels.predict.explain_next = None;
                                    loaded.panels.predict.error =
                                        Some(refused_text(&prepared.verdict, "this request"));
                                }
                            }
                            let compare = &mut loaded.panels.compare;
                            if std::mem::take(&mut compare.send_after_prepare) {
                                if prepared.verdict.is_ok() {
                                    self.commands.push(Command::CompareSend);
                                } else {
                                    compare.answers = Some(Err(refused_text(
                                        &prepared.verdict,
                                        "the Test tab's request for A",
                                    )));
                                }
                            }
                            test.prepared = Some(*prepared);
                        }
                        Err(e) => {
                            test.prepared = None;
                            // Predict was pressed: its pane says why nothing was sent.
                            if std::mem::take(&mut loaded.panels.predict.predict_after_prepare) {
                                loaded.panels.predict.explain_next = None;
                                loaded.panels.predict.error = Some(format!(
                                    "Not sent: the request cannot be built: {e} (the input half, on the left, shows where)."
                                ));
                            }
                            let compare = &mut loaded.panels.compare;
                            if std::mem::take(&mut compare.send_after_prepare) {
                                compare.answers = Some(Err(format!(
                                    "The Test tab's request cannot be built: {e}"
                                )));
                            }
                            test.error = Some(e);
                        }
                    }
                }
                TaskResult::Copied(text) => ctx.copy_text(text),
                TaskResult::CompareOpened {
                    generation,
                    path: _,
                    result,
                } => self.compare_opened(generation, result),
                TaskResult::CompareChecked {
                    generation,
                    b,
                    request,
                    refusal,
                } => self.compare_checked(generation, b, request, refusal),
                TaskResult::CompareAnswered { generation, result } => {
                    self.compare_answered(generation, result);
                }
                TaskResult::CompareDatasetDone { generation, result } => {
                    self.compare_dataset_done(generation, result);
                }
                TaskResult::EvalRow { generation, result } => {
                    self.eval_row_read(generation, result);
                }
                TaskResult::EvalThumbnails(done) => {
                    let Some(loaded) = &mut self.loaded else {
                        continue;
                    };
                    let view = &mut loaded.panels.eval;
                    let wanted = view.cell_images();
                    for (path, result) in done {
                        // Only for the cell still selected.
                        if !wanted.contains(&path) {
                            continue;
                        }
                        let entry = result.map(|t| upload(ctx, "eval thumbnail", &path, t));
                        view.thumbnails.push((path, entry));
                    }
                }
                TaskResult::EvalExported(result) => {
                    if let Some(loaded) = &mut self.loaded {
                        loaded.panels.eval.exported = Some(result);
                    }
                }
                TaskResult::Saved(result) => {
                    if let Some(loaded) = &mut self.loaded {
                        loaded.panels.test.saved = Some(result);
                    }
                }
                TaskResult::Pasted(result) => match result {
                    Ok(path) => self.commands.push(Command::AddImages(vec![path])),
                    Err(e) => {
                        if let Some(loaded) = &mut self.loaded {
                            loaded.panels.test.paste_error = Some(e);
                        }
                    }
                },
                TaskResult::Thumbnails(done) => {
                    let Some(loaded) = &mut self.loaded else {
                        continue;
                    };
                    let test = &mut loaded.panels.test;
                    for (path, result) in done {
                        // Only for images still chosen (a Clear may have come first).
                        if !test.images.contains(&path) {
                            continue;
                        }
                        let entry = result.map(|t| upload(ctx, "thumbnail", &path, t));
                        test.thumbnails.push((path, entry));
                    }
                }
                TaskResult::Predicted {
                    generation,
                    run,
                    server,
                    candidates,
                    labels,
                } => {
                    let Some(loaded) = &mut self.loaded else {
                        continue;
                    };
                    let predict = &mut loaded.panels.predict;
                    if predict.running.as_ref().map(|r| r.generation) != Some(generation) {
                        continue;
                    }
                    let explain_after = predict.running.take().and_then(|r| r.explain_after);
                    predict.server = server;
                    predict.label_candidates = candidates;
                    if predict.labels.is_none()
                        && let Some(labels) = labels
                    {
                        predict.labels = Some(labels);
                    }
                    predict.full_message = false;
                    // A new answer: Explain starts from its top class.
                    predict.explain.class = None;
                    let answered = run.result.is_ok();
                    predict.history.push(*run);
                    predict.shown = Some(predict.history.len() - 1);
                    // Opened from an Evaluate item to be explained: explained now.
                    if let (Some(class), true) = (explain_after, answered) {
                        predict.explain.class = class;
                        self.commands
                            .push(Command::Explain(predict.history.len() - 1));
                    }
                }
                TaskResult::Explained {
                    generation,
                    run,
                    result,
                } => self.explained(generation, run, result),
                TaskResult::PythonChecked(result) => {
                    if let Some(loaded) = &mut self.loaded {
                        loaded.panels.predict.python =
                            Some(crate::ui::predict_panel::PythonStatus::Checked(result));
                    }
                }
                TaskResult::Labels(Some(Ok(labels))) => {
                    if let Some(loaded) = &mut self.loaded {
                        self.settings
                            .set_labels(&loaded.folder, labels.file.clone());
                        loaded.panels.predict.labels = Some(labels);
                    }
                }
                TaskResult::Labels(Some(Err(e))) => {
                    if let Some(loaded) = &mut self.loaded {
                        loaded.panels.predict.error = Some(e);
                    }
                }
                TaskResult::Labels(None) => {}
                TaskResult::ServerStopped => {
                    if let Some(loaded) = &mut self.loaded {
                        loaded.panels.predict.server = None;
                    }
                }
                TaskResult::Opened {
                    generation,
                    path,
                    result,
                } => {
                    if generation != self.generation {
                        continue; // cancelled or superseded
                    }
                    self.opening = None;
                    match result {
                        Ok(opened) => {
                            let crate::session::Opened { card, remote } = *opened;
                            self.settings.remember(&path);
                            self.tracking.open = false;
                            // The ONNX graph is read when the Graph tab is first shown,
                            // so a model of any size opens at once.
                            self.loaded = Some(Box::new(Loaded::new(card, remote)));
                            // What loading it would import, read on a worker: nothing waits.
                            self.start_scan(ctx);
                            let images = std::mem::take(&mut self.images_on_open);
                            if !images.is_empty() {
                                self.settings.tab = Tab::Test;
                                self.commands.push(Command::AddImages(images));
                            }
                        }
                        Err(e) => {
                            self.error = Some(e.to_string());
                        }
                    }
                }
                TaskResult::Scanned {
                    generation,
                    findings,
                    remote,
                } => {
                    use crate::ui::artifacts_panel::ScanStatus;
                    let Some(loaded) = &mut self.loaded else {
                        continue;
                    };
                    if generation == self.generation {
                        loaded.panels.files.scan = match findings {
                            Ok(f) => ScanStatus::Done(f),
                            Err(why) => ScanStatus::Skipped(why),
                        };
                        if let Some(remote) = remote {
                            loaded.remote = Some(*remote);
                        }
                        loaded.panels.files.fresh = true;
                        // A trust question waiting for the scan is asked (or not) now.
                        self.scan_arrived(ctx);
                    } else if matches!(loaded.panels.files.scan, ScanStatus::Running) {
                        // The model opened while another's scan ran: its own starts now.
                        self.start_scan(ctx);
                    }
                }
                TaskResult::Graph {
                    generation,
                    file,
                    result,
                } => self.graph_read(ctx, generation, file, result),
                TaskResult::EvalPrepared {
                    generation,
                    path,
                    result,
                } => self.eval_prepared(ctx, generation, path, result),
                TaskResult::Evaluated { generation, result } => self.evaluated(generation, result),
                TaskResult::GraphLaidOut {
                    generation,
                    fold,
                    layout,
                } => self.graph_laid_out(generation, fold, layout),
                TaskResult::Models(result) => self.tracking.models = Some(result),
                TaskResult::Versions(name, result) => {
                    self.tracking.versions.retain(|(n, _)| *n != name);
                    self.tracking.versions.push((name, result));
                }

                TaskResult::Preview { rel, result } => {
                    if let Some(loaded) = &mut self.loaded {
                        loaded.panels.files.preview = Some((rel, result));
                    }
                }
                TaskResult::RecentChecked(existing) => {
                    self.settings.recent.retain(|p| existing.contains(p));
                }
                TaskResult::ExampleFound(example) => self.example = example,
            }
        }
        if !self.tasks.is_running(TaskName::Open)
            && let Some(path) = self.pending_open.take()
        {
            self.commands.push(Command::Open(path));
        }
        if !self.tasks.is_running(TaskName::Preview)
            && let Some(rel) = self.pending_preview.take()
        {
            self.commands.push(Command::Preview(rel));
        }
        // Thumbnails for the first chosen images that have none yet.
        if let Some(loaded) = &mut self.loaded
            && !self.tasks.is_running(TaskName::Thumbnails)
        {
            let test = &mut loaded.panels.test;
            test.thumbnails.retain(|(p, _)| test.images.contains(p));
            let wanted: Vec<PathBuf> = test
                .images
                .iter()
                .take(crate::ui::test_panel::MAX_THUMBNAILS)
                .filter(|p| !test.thumbnails.iter().any(|(q, _)| q == *p))
                .cloned()
                .collect();
            if !wanted.is_empty() {
                self.tasks.spawn(TaskName::Thumbnails, ctx, move || {
                    TaskResult::Thumbnails(thumbnails(wanted))
                });
            }
        }
        // Thumbnails for the selected confusion-matrix cell's first images.
        if let Some(loaded) = &mut self.loaded
            && !self.tasks.is_running(TaskName::EvalThumbnails)
        {
            let view = &mut loaded.panels.eval;
            let wanted: Vec<PathBuf> = view
                .cell_images()
                .into_iter()
                .filter(|p| !view.thumbnails.iter().any(|(q, _)| q == p))
                .collect();
            if !wanted.is_empty() {
                self.tasks.spawn(TaskName::EvalThumbnails, ctx, move || {
                    TaskResult::EvalThumbnails(thumbnails(wanted))
                });
            }
        }
    }
}

/// Thumbnails of `paths` (96 pixels on the long side), or why each is not an image.
fn thumbnails(paths: Vec<PathBuf>) -> Vec<(PathBuf, Result<crate::ui::tasks::Thumbnail, String>)> {
    paths
        .into_iter()
        .map(|p| {
            let r = crate::input::image::thumbnail(&p, 96).map_err(|e| e.to_string());
            (p, r)
        })
        .collect()
}

/// A decoded thumbnail uploaded as a texture named after its file.
fn upload(
    ctx: &egui::Context,
    what: &str,
    path: &std::path::Path,
    (picture, size): crate::ui::tasks::Thumbnail,
) -> crate::ui::test_panel::ThumbnailTexture {
    let image = egui::ColorImage::from_rgba_unmultiplied(
        [picture.width() as usize, picture.height() as usize],
        picture.as_raw(),
    );
    let texture = ctx.load_texture(
        format!("{what} {}", path.display()),
        image,
        egui::TextureOptions::LINEAR,
    );
    (texture, size)
}

/// Why a request was not sent, and where its problems are shown: MLflow's words for the first,
/// and the place of all of them (the Test tab's input half, on the left; a table's cells are
/// marked there too).
fn refused_text(verdict: &crate::input::validate::Verdict, what: &str) -> String {
    let first = verdict
        .problems
        .first()
        .map(|p| format!(": {}: {}", p.input, p.message))
        .unwrap_or_default();
    let more = verdict.problems.len().saturating_sub(1);
    let more = if more > 0 {
        format!(" ({} more)", more)
    } else {
        String::new()
    };
    format!(
        "Not sent: MLflow would refuse {what}{first}{more}. Every problem is listed under \"Check with MLflow's rules\" in the Test tab's input half (on the left)."
    )
}
