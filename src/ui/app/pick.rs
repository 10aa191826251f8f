//! Choosing files: the desktop's dialog on a worker, or the in-app browser where the desktop has none, and what each choice is for.

use super::*;

impl InspectorApp {
    /// Asks for files or a folder: the desktop's dialog on a worker, or the in-app browser
    /// where the desktop has none.
    pub(super) fn pick(&mut self, ctx: &egui::Context, purpose: Purpose) {
        if self.native_dialogs != Some(false) && file_picker::native_may_work() {
            self.tasks.spawn(TaskName::Dialog, ctx, move || {
                TaskResult::Chosen(purpose, file_picker::native(purpose))
            });
        } else {
            self.open_browser(ctx, purpose);
        }
    }

    pub(super) fn open_browser(&mut self, ctx: &egui::Context, purpose: Purpose) {
        let start = self
            .loaded
            .as_ref()
            .and_then(|l| l.folder.parent().map(Path::to_path_buf))
            .or_else(|| std::env::var_os("HOME").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("/"));
        self.browser = Some(file_picker::Browser::open(
            purpose,
            &start,
            ctx.content_rect().size(),
        ));
    }

    /// What happens once files or a folder were chosen.
    pub(super) fn picked(&mut self, ctx: &egui::Context, purpose: Purpose, paths: Vec<PathBuf>) {
        let Some(first) = paths.first().cloned() else {
            return;
        };
        match purpose {
            Purpose::ModelFolder => self.commands.push(Command::Open(first)),
            Purpose::CompareFolder => self.commands.push(Command::CompareOpen(first)),
            Purpose::Images => self.commands.push(Command::AddImages(paths)),
            Purpose::DataFiles => self.commands.push(Command::AddDataFiles(paths)),
            Purpose::Labels => self.commands.push(Command::UseLabels(Some(first))),
            Purpose::EvalFolder | Purpose::EvalTable | Purpose::EvalParquet => {
                self.commands.push(Command::EvalDataset(first));
            }
            Purpose::EvalExport => self.eval_export(ctx, first),
            Purpose::EvalPredictions => {
                if let Some(loaded) = &mut self.loaded {
                    loaded.panels.eval.predictions = first.display().to_string();
                }
            }
            Purpose::ExplainBackground => {
                if let Some(loaded) = &mut self.loaded {
                    loaded.panels.predict.explain.background = first.display().to_string();
                }
            }
            Purpose::BinaryCell(row, col) => {
                self.tasks.spawn(TaskName::ImageDialog, ctx, move || {
                    TaskResult::BinaryCell(
                        row,
                        col,
                        Some(
                            crate::input::files::file_as_base64(&first).map_err(|e| e.to_string()),
                        ),
                    )
                });
            }
            Purpose::SaveRequest => {
                let Some(request) = self.built_request() else {
                    return;
                };
                self.tasks.spawn(TaskName::Save, ctx, move || {
                    // Streamed to the file: pretty when small, one line when large.
                    use std::io::Write as _;
                    let result = std::fs::File::create(&first)
                        .map(std::io::BufWriter::new)
                        .and_then(|mut out| {
                            request.write_readable(
                                crate::input::request::BodyFormat::Mlflow,
                                &mut out,
                            )?;
                            out.flush()
                        })
                        .map_err(|e| format!("{}: {e}", first.display()))
                        .map(|()| first);
                    TaskResult::Saved(result)
                });
            }
        }
    }

    /// Draws the in-app file browser when it is open.
    pub(super) fn browser_ui(&mut self, ctx: &egui::Context) {
        let Some(browser) = &mut self.browser else {
            return;
        };
        match file_picker::browser_ui(ctx, browser, &self.settings.recent) {
            BrowserAnswer::Open => {}
            BrowserAnswer::Closed => self.browser = None,
            BrowserAnswer::Picked(paths) => {
                let purpose = browser.purpose;
                self.browser = None;
                self.picked(ctx, purpose, paths);
            }
        }
    }
}
