//! The command queue: each command the frame collected, applied after the frame (most arms start a named background task or change state).

use super::*;

impl InspectorApp {
    pub(super) fn apply(&mut self, ctx: &egui::Context, command: Command) {
        match command {
            Command::PickFolder => self.pick(ctx, Purpose::ModelFolder),
            Command::TryExample(example) => {
                self.images_on_open = example.image.into_iter().collect();
                if self.images_on_open.is_empty() {
                    self.settings.tab = Tab::Test;
                }
                self.apply(ctx, Command::Open(example.model));
            }
            Command::Open(path) => {
                self.generation += 1;
                self.opening = Some(path.clone());
                self.error = None;
                if self.tasks.is_running(TaskName::Open) {
                    // One open at a time: the running one's answer is dropped, this one
                    // starts when it is done.
                    self.pending_open = Some(path);
                    return;
                }
                let generation = self.generation;
                let tracking_uri = self.settings.tracking_uri.clone();
                self.tasks.spawn(TaskName::Open, ctx, move || {
                    let result = crate::session::open(&path, Some(&tracking_uri))
                        .map(Box::new)
                        .map_err(Arc::new);
                    // The recent list keeps folders resolved (done here: it is a file system call).
                    let path = match &result {
                        Ok(opened) if opened.remote.is_none() => {
                            path.canonicalize().unwrap_or(path)
                        }
                        _ => path,
                    };
                    TaskResult::Opened {
                        generation,
                        path,
                        result,
                    }
                });
            }
            Command::CancelOpen => {
                self.generation += 1;
                self.opening = None;
            }
            Command::CloseModel => {
                self.loaded = None;
            }
            Command::SetTab(tab) => self.settings.tab = tab,
            Command::PickEvalFolder => self.pick(ctx, Purpose::EvalFolder),
            Command::PickEvalTable => self.pick(ctx, Purpose::EvalTable),
            Command::PickEvalParquet => self.pick(ctx, Purpose::EvalParquet),
            Command::EvalDataset(path) => self.eval_dataset(ctx, path),
            Command::EvalLabel(label) => self.eval_label(ctx, label),
            Command::EvalRun => self.eval_run(ctx),
            Command::EvalEngine(engine) => {
                if self.settings.eval.engine != engine {
                    self.settings.eval.engine = engine;
                    // The dataset read again for it (a Parquet table is read only on Spark).
                    let guess = match &mut self.loaded {
                        Some(loaded) if !loaded.panels.eval.path.trim().is_empty() => {
                            loaded.panels.eval.confirm_unmatched = false;
                            if matches!(loaded.panels.eval.result, Some(Err(_))) {
                                loaded.panels.eval.result = None;
                            }
                            Some(loaded.panels.eval.label.is_none())
                        }
                        _ => None,
                    };
                    if let Some(guess) = guess {
                        self.prepare_eval(ctx, guess);
                    }
                }
            }
            Command::PickEvalPredictions => self.pick(ctx, Purpose::EvalPredictions),
            Command::EvalExport => self.pick(ctx, Purpose::EvalExport),
            Command::EvalOpenImage(path) => {
                self.settings.tab = Tab::Test;
                if let Some(loaded) = &mut self.loaded {
                    // That image alone is the input; the answer shown before was to another.
                    loaded.panels.test.images.clear();
                    loaded.panels.predict.shown = None;
                }
                self.commands.push(Command::AddImages(vec![path]));
            }
            Command::EvalOpenRow(id) => self.eval_open_row(ctx, id),
            Command::EvalExplain { id, label } => self.eval_explain(ctx, id, label),
            Command::CompareOpen(path) => self.compare_open(ctx, path),
            Command::PickCompareFolder => self.pick(ctx, Purpose::CompareFolder),
            Command::CompareClose => {
                if let Some(loaded) = &mut self.loaded {
                    // B's backends stop as its runner goes.
                    loaded.panels.compare = Default::default();
                    if self.settings.tab == Tab::Compare {
                        self.settings.tab = Tab::Flavors;
                    }
                }
            }
            Command::CompareBackendB(kind) => {
                if let Some(loaded) = &mut self.loaded {
                    loaded.panels.compare.backend_b = kind;
                }
            }
            Command::CompareSend => self.compare_send(ctx),
            Command::CompareDataset => self.compare_dataset(ctx),
            Command::CompareCheck => {
                if let Some(request) = self.built_request() {
                    self.compare_check(ctx, request, false);
                }
            }
            Command::CompareSendAnyway => {
                if let Some(loaded) = &mut self.loaded {
                    loaded.panels.compare.send_b_anyway = true;
                }
                self.compare_send(ctx);
            }
            Command::CompareCancel => {
                let Some(loaded) = &mut self.loaded else {
                    return;
                };
                let compare = &mut loaded.panels.compare;
                if let Some(running) = &compare.dataset_running {
                    running.cancel.store(true, Ordering::Relaxed);
                }
                if let Some(answering) = &compare.answering {
                    answering.cancel.store(true, Ordering::Relaxed);
                    // A scoring server still starting (or hung) is stopped, as the Test tab's
                    // Cancel does; it starts again on the next send.
                    let pids = [
                        Some(&loaded.server_pid),
                        compare.b.as_ref().map(|b| &b.server_pid),
                    ];
                    for (k, pid) in pids.into_iter().enumerate() {
                        let pid = pid.map_or(0, |p| p.load(Ordering::Relaxed));
                        let waiting = answering.logs[k].is_some()
                            && !answering.answered[k].load(Ordering::Relaxed);
                        if waiting && pid > 0 {
                            crate::predict::kill_server_group(pid);
                        }
                    }
                }
            }
            Command::EvalCancel => {
                if let Some(running) = self
                    .loaded
                    .as_ref()
                    .and_then(|l| l.panels.eval.running.as_ref())
                {
                    running.cancel.store(true, Ordering::Relaxed);
                }
            }
            Command::ReadGraph(file) => self.read_graph(ctx, file),
            Command::ShowGraph(file) => {
                self.settings.tab = Tab::Graph;
                self.read_graph(ctx, Some(file));
            }
            Command::FoldGraphChains(fold) => self.fold_graph_chains(ctx, fold),
            Command::SetTheme(theme) => {
                self.settings.theme = theme;
                ctx.set_theme(theme.preference());
            }
            Command::Preview(rel) => {
                let Some(loaded) = &mut self.loaded else {
                    return;
                };
                loaded.panels.files.selected = Some(rel.clone());
                let root = loaded.card.root.clone();
                if self.tasks.is_running(TaskName::Preview) {
                    // One preview at a time: this one starts when the running one is done.
                    self.pending_preview = Some(rel);
                    return;
                }
                self.tasks
                    .spawn(TaskName::Preview, ctx, move || TaskResult::Preview {
                        result: read_preview(&root, &rel),
                        rel,
                    });
            }
            Command::DismissError => self.error = None,
            Command::PickImages => self.pick(ctx, Purpose::Images),
            Command::PickDataFiles => self.pick(ctx, Purpose::DataFiles),
            Command::AddDataFiles(paths) => {
                if let Some(loaded) = &mut self.loaded {
                    let test = &mut loaded.panels.test;
                    test.source = crate::ui::test_panel::SourceKind::DataFiles;
                    // One unnamed tensor or one CSV: the new files replace the old.
                    let names = loaded.card.input_names();
                    if names.len() <= 1 {
                        test.data_files.clear();
                    }
                    // A file named after a tensor (img.npy) fills it: the command line's rule.
                    test.data_files.extend(crate::session::name_npy_files(
                        &loaded.card,
                        paths.into_iter().map(|p| (None, p)),
                    ));
                }
            }
            Command::AddImages(paths) => {
                if let Some(loaded) = &mut self.loaded {
                    let test = &mut loaded.panels.test;
                    test.source = crate::ui::test_panel::SourceKind::Images;
                    test.paste_error = None;
                    test.images.extend(paths);
                }
            }
            Command::PasteImage(image) => {
                // Kept as a PNG file on a worker (the encode is not the UI thread's work).
                self.tasks.spawn(TaskName::Paste, ctx, move || {
                    let [w, h] = image.size;
                    let rgba: Vec<u8> = image
                        .pixels
                        .iter()
                        .flat_map(|c| c.to_srgba_unmultiplied())
                        .collect();
                    let result = match ::image::RgbaImage::from_raw(w as u32, h as u32, rgba) {
                        Some(picture) => crate::input::image::save_pasted(
                            &picture,
                            &crate::input::image::pasted_dir(),
                        )
                        .map_err(|e| e.to_string()),
                        None => {
                            Err("the clipboard's image has fewer pixels than its size says".into())
                        }
                    };
                    TaskResult::Pasted(result)
                });
            }
            Command::Prepare | Command::LoadExample => {
                let Some(loaded) = &mut self.loaded else {
                    return;
                };
                let fill_editor = command == Command::LoadExample;
                let (source, params, options) = if fill_editor {
                    (crate::input::build::InputSource::Example, None, None)
                } else {
                    loaded.panels.test.request_inputs(&loaded.card)
                };
                self.prepare_generation += 1;
                let generation = self.prepare_generation;
                let card = loaded.card.clone();
                let progress = std::sync::Arc::new(crate::input::build::Progress::default());
                loaded.panels.test.error = None;
                loaded.panels.test.saved = None;
                loaded.panels.test.progress = Some(progress.clone());
                self.tasks
                    .spawn(TaskName::Prepare, ctx, move || TaskResult::Prepared {
                        generation,
                        result: crate::input::build::prepare(
                            &card,
                            &source,
                            params.as_ref(),
                            options,
                            &progress,
                        )
                        .map(Box::new)
                        .map_err(|e| e.to_string()),
                        fill_editor,
                    });
            }
            Command::SaveRequest => self.pick(ctx, Purpose::SaveRequest),
            Command::PickBinaryCell(row, col) => self.pick(ctx, Purpose::BinaryCell(row, col)),
            Command::Copy(text) => ctx.copy_text(text),
            Command::CopyRequest(format) => {
                let Some(request) = self.built_request() else {
                    return;
                };
                self.tasks.spawn(TaskName::Copy, ctx, move || {
                    TaskResult::Copied(request.to_json_string(format))
                });
            }
            Command::Predict => {
                let Some(loaded) = &mut self.loaded else {
                    return;
                };
                // Nothing to send yet (the reason stands beside the Predict button).
                if loaded.panels.predict.running.is_some()
                    || loaded.panels.test.missing_input().is_some()
                {
                    return;
                }
                loaded.panels.predict.predict_after_prepare = true;
                loaded.panels.predict.error = None;
                self.apply(ctx, Command::Prepare);
            }
            Command::Send(body) => self.send(ctx, body, None),
            Command::Rerun(index) => {
                let Some(run) = self
                    .loaded
                    .as_ref()
                    .and_then(|l| l.panels.predict.history.get(index))
                else {
                    return;
                };
                let (body, input) = (
                    run.request.clone(),
                    format!("{} (run {} again)", run.input, run.number),
                );
                self.send(ctx, body, Some(input));
            }
            Command::Explain(index) => self.explain(ctx, index),
            Command::CancelExplain => self.cancel_explain(),
            Command::PickExplainBackground => self.pick(ctx, Purpose::ExplainBackground),
            Command::TrustAnswer(yes) => self.trust_answer(ctx, yes),
            Command::FetchAndScan => self.fetch_and_scan(ctx),
            Command::CancelPredict => {
                let Some(loaded) = &mut self.loaded else {
                    return;
                };
                if let Some(running) = &loaded.panels.predict.running {
                    running.cancel.store(true, Ordering::Relaxed);
                    if loaded.panels.predict.backend == crate::ui::predict_panel::BackendKind::Local
                    {
                        let pid = loaded.server_pid.load(Ordering::Relaxed);
                        if pid > 0 {
                            crate::predict::kill_server_group(pid);
                            loaded.panels.predict.server = None;
                        }
                    }
                }
            }
            Command::StopServer => {
                let Some(loaded) = &self.loaded else {
                    return;
                };
                let runner = loaded.runner.clone();
                self.tasks.spawn(TaskName::StopServer, ctx, move || {
                    if let Ok(mut r) = runner.lock() {
                        r.stop_server();
                    }
                    TaskResult::ServerStopped
                });
            }
            Command::CheckPython => {
                let Some(loaded) = &mut self.loaded else {
                    return;
                };
                loaded.panels.predict.python =
                    Some(crate::ui::predict_panel::PythonStatus::Checking);
                let card = loaded.card.clone();
                let setting = self.settings.backend.python.clone();
                self.tasks.spawn(TaskName::CheckPython, ctx, move || {
                    let choice = crate::predict::python::find(setting.as_deref());
                    let origin = choice.as_ref().map_or("", |c| c.origin.label());
                    TaskResult::PythonChecked(
                        crate::predict::python::check_for_serving(choice.as_ref(), &card)
                            .map(|(info, mismatches)| crate::ui::predict_panel::PythonCheck {
                                info,
                                origin,
                                mismatches,
                            })
                            .map_err(Arc::new),
                    )
                });
            }
            Command::PickLabels => self.pick(ctx, Purpose::Labels),
            Command::UseLabels(None) => {
                if let Some(loaded) = &mut self.loaded {
                    loaded.panels.predict.labels = None;
                    self.settings.set_labels(&loaded.folder, None);
                }
            }
            Command::UseLabels(Some(path)) => {
                self.tasks.spawn(TaskName::Labels, ctx, move || {
                    TaskResult::Labels(Some(crate::session::read_labels(&path)))
                });
            }
            Command::SetBackend(kind) => {
                if let Some(loaded) = &mut self.loaded {
                    loaded.panels.predict.backend = kind;
                    loaded.panels.predict.error = None;
                }
            }
            Command::ShowTracking(open) => {
                self.tracking.open = open;
                let server_known = !self.settings.tracking_uri.trim().is_empty()
                    || std::env::var_os(crate::source::tracking::TRACKING_URI_VAR).is_some();
                if open && self.tracking.models.is_none() && server_known {
                    self.apply(ctx, Command::BrowseModels);
                }
            }
            Command::BrowseModels => {
                let uri = self.settings.tracking_uri.clone();
                self.tracking.versions.clear();
                self.tasks.spawn(TaskName::Browse, ctx, move || {
                    TaskResult::Models(
                        crate::source::Tracking::from_env(Some(&uri))
                            .and_then(|t| crate::source::registered_models(&t))
                            .map_err(|e| e.to_string()),
                    )
                });
            }
            Command::BrowseVersions(name) => {
                let uri = self.settings.tracking_uri.clone();
                self.tasks.spawn(TaskName::Browse, ctx, move || {
                    let result = crate::source::Tracking::from_env(Some(&uri))
                        .and_then(|t| crate::source::model_versions(&t, &name))
                        .map_err(|e| e.to_string());
                    TaskResult::Versions(name, result)
                });
            }
            Command::ShowRun(index) => {
                if let Some(loaded) = &mut self.loaded {
                    loaded.panels.predict.shown = Some(index);
                }
            }
        }
    }
}
