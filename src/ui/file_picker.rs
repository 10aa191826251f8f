//! Choosing files and folders: the desktop's own dialog (rfd, on a worker: it blocks until the
//! person answers), and where the desktop has none (no XDG portal and no zenity: minimal
//! window managers, remote X, containers) the in-app browser of the `egui_file` crate, with
//! the recent folders a click away and a path that can be typed.

use std::path::{Path, PathBuf};

use egui::RichText;

/// What a choice is for; it decides the dialog's title, filter and what happens after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A model folder to open.
    ModelFolder,
    /// Images for the Test tab.
    Images,
    /// `.npy` or CSV files for the Test tab.
    DataFiles,
    /// A labels file.
    Labels,
    /// A file whose bytes fill a binary cell (row, column).
    BinaryCell(usize, usize),
    /// Where to save the request.
    SaveRequest,
    /// A folder of images to evaluate on.
    EvalFolder,
    /// A CSV or JSON-lines table to evaluate on.
    EvalTable,
    /// A Parquet folder to evaluate on (on Spark).
    EvalParquet,
    /// Where to export an evaluation's predictions (CSV).
    EvalExport,
    /// A file of predictions made elsewhere, to score.
    EvalPredictions,
    /// Model B's folder, to compare with the open model.
    CompareFolder,
    /// A background table for explaining a row.
    ExplainBackground,
}

impl Purpose {
    fn title(self) -> &'static str {
        match self {
            Purpose::ModelFolder => "Open MLflow model folder",
            Purpose::Images => "Choose images",
            Purpose::DataFiles => "Choose .npy or CSV files",
            Purpose::Labels => "Choose a labels file (one label a line)",
            Purpose::BinaryCell(..) => "Choose a file for this binary cell",
            Purpose::SaveRequest => "Save request",
            Purpose::EvalFolder => "Choose a folder of images (a subfolder per class)",
            Purpose::EvalTable => "Choose a CSV or JSON-lines table (Parquet on Spark)",
            Purpose::EvalParquet => "Choose a Parquet folder (part files; key=value folders)",
            Purpose::EvalPredictions => {
                "Choose predictions made elsewhere (predictions.csv, a CSV of id and prediction)"
            }
            Purpose::EvalExport => "Export the predictions as CSV",
            Purpose::CompareFolder => "Choose model B's folder, to compare with the open model",
            Purpose::ExplainBackground => {
                "Choose a background table (typical rows, the same columns)"
            }
        }
    }

    fn extensions(self) -> &'static [&'static str] {
        match self {
            Purpose::Images => &crate::input::image::IMAGE_EXTENSIONS,
            Purpose::DataFiles => &["npy", "csv"],
            Purpose::Labels => &["txt", "csv", "labels"],
            Purpose::EvalTable => &["csv", "jsonl", "ndjson", "json", "parquet", "pq"],
            Purpose::ExplainBackground => &["csv", "jsonl", "ndjson", "json"],
            Purpose::EvalPredictions => &["csv", "txt"],
            _ => &[],
        }
    }

    fn multiple(self) -> bool {
        matches!(self, Purpose::Images | Purpose::DataFiles)
    }
}

/// How the desktop's dialog answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NativeAnswer {
    /// The paths chosen.
    Picked(Vec<PathBuf>),
    /// The person closed it without choosing.
    Cancelled,
    /// No dialog came up (it answered faster than a person can).
    Unavailable,
}

/// Whether the desktop may have a dialog service: a D-Bus session (for the XDG portal) or
/// zenity on PATH (rfd's fallback). Without either, rfd returns at once with nothing.
pub fn native_may_work() -> bool {
    let on_path = |name: &str| {
        std::env::var_os("PATH")
            .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(name).is_file()))
    };
    std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|v| !v.is_empty()) || on_path("zenity")
}

/// The desktop's dialog for `purpose` (blocks until it closes: call it on a worker).
pub fn native(purpose: Purpose) -> NativeAnswer {
    let started = std::time::Instant::now();
    let mut dialog = rfd::FileDialog::new().set_title(purpose.title());
    let exts = purpose.extensions();
    if !exts.is_empty() {
        dialog = dialog.add_filter("Files", exts);
    }
    let picked: Vec<PathBuf> = match purpose {
        Purpose::ModelFolder
        | Purpose::EvalFolder
        | Purpose::EvalParquet
        | Purpose::CompareFolder => dialog.pick_folder().into_iter().collect(),
        Purpose::SaveRequest => dialog
            .set_file_name("request.json")
            .save_file()
            .into_iter()
            .collect(),
        Purpose::EvalExport => dialog
            .set_file_name("predictions.csv")
            .save_file()
            .into_iter()
            .collect(),
        p if p.multiple() => dialog.pick_files().unwrap_or_default(),
        _ => dialog.pick_file().into_iter().collect(),
    };
    if !picked.is_empty() {
        NativeAnswer::Picked(picked)
    } else if started.elapsed() < std::time::Duration::from_millis(400) {
        NativeAnswer::Unavailable
    } else {
        NativeAnswer::Cancelled
    }
}

/// The in-app browser, open.
pub struct Browser {
    /// What the choice is for.
    pub purpose: Purpose,
    dialog: egui_file::FileDialog,
    /// A path typed by the person.
    typed: String,
}

impl std::fmt::Debug for Browser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Browser")
            .field("purpose", &self.purpose)
            .finish_non_exhaustive()
    }
}

impl Browser {
    /// Opens the browser at `start` (a folder), sized to leave room beside it for the recent
    /// folders in a window of `screen` size.
    pub fn open(purpose: Purpose, start: &Path, screen: egui::Vec2) -> Self {
        let mut dialog = match purpose {
            Purpose::ModelFolder
            | Purpose::EvalFolder
            | Purpose::EvalParquet
            | Purpose::CompareFolder => egui_file::FileDialog::select_folder(),
            Purpose::SaveRequest => {
                egui_file::FileDialog::save_file().default_filename("request.json")
            }
            Purpose::EvalExport => {
                egui_file::FileDialog::save_file().default_filename("predictions.csv")
            }
            _ => egui_file::FileDialog::open_file().multi_select(purpose.multiple()),
        }
        .initial_path(start)
        .title(purpose.title())
        .id(egui::Id::unique(("file_browser", format!("{purpose:?}"))))
        .default_pos([12.0, 40.0])
        .default_size([
            (screen.x - SIDE_WIDTH - 40.0).clamp(320.0, 640.0),
            (screen.y - 80.0).clamp(260.0, 480.0),
        ]);
        let exts = purpose.extensions();
        if !exts.is_empty() {
            dialog = dialog.show_files_filter(Box::new(move |p: &Path| {
                p.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| exts.contains(&e.to_ascii_lowercase().as_str()))
            }));
        }
        dialog.open();
        Self {
            purpose,
            dialog,
            typed: String::new(),
        }
    }
}

/// The width of the window of recent folders and typed paths beside the browser.
const SIDE_WIDTH: f32 = 240.0;

/// What the browser answered this frame.
pub enum BrowserAnswer {
    /// Still open.
    Open,
    /// Closed without a choice.
    Closed,
    /// The paths chosen.
    Picked(Vec<PathBuf>),
}

/// Draws the in-app browser with the recent folders and a path field beside it.
pub fn browser_ui(ctx: &egui::Context, browser: &mut Browser, recent: &[PathBuf]) -> BrowserAnswer {
    let mut jump: Option<PathBuf> = None;
    let mut typed_choice: Option<PathBuf> = None;
    egui::Window::new("Go to")
        .id(egui::Id::unique("file_browser_side"))
        .anchor(egui::Align2::RIGHT_TOP, [-12.0, 40.0])
        .default_width(SIDE_WIDTH)
        .max_width(SIDE_WIDTH)
        .resizable(false)
        .collapsible(false)
        .show(ctx, |ui| {
            ui.label(
                RichText::new("No desktop file dialog answered: this is the app's own browser.")
                    .weak(),
            );
            let label = ui.label("Path:");
            let response = ui
                .text_edit_singleline(&mut browser.typed)
                .labelled_by(label.id);
            let enter = response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if (ui.button("Use this path").clicked() || enter) && !browser.typed.trim().is_empty() {
                typed_choice = Some(PathBuf::from(browser.typed.trim()));
            }
            let folders: Vec<&PathBuf> = recent
                .iter()
                .filter(|p| !p.to_string_lossy().contains(":/"))
                .take(8)
                .collect();
            if !folders.is_empty() {
                ui.separator();
                ui.label(RichText::new("Recent").strong());
                for folder in folders {
                    let shown = folder.display().to_string();
                    if ui
                        .button(crate::text::elide(&shown, 60))
                        .on_hover_text(&shown)
                        .clicked()
                    {
                        jump = Some(folder.clone());
                    }
                }
            }
        });
    if let Some(path) = typed_choice {
        return BrowserAnswer::Picked(vec![path]);
    }
    if let Some(folder) = jump {
        if matches!(
            browser.purpose,
            Purpose::ModelFolder | Purpose::CompareFolder
        ) {
            return BrowserAnswer::Picked(vec![folder]);
        }
        browser.dialog.set_path(folder);
    }
    browser.dialog.show(ctx);
    match browser.dialog.state() {
        egui_file::State::Open => BrowserAnswer::Open,
        egui_file::State::Selected => {
            let picked: Vec<PathBuf> = if browser.dialog.has_multi_select() {
                browser
                    .dialog
                    .selection()
                    .into_iter()
                    .map(Path::to_path_buf)
                    .collect()
            } else {
                browser
                    .dialog
                    .path()
                    .map(Path::to_path_buf)
                    .into_iter()
                    .collect()
            };
            BrowserAnswer::Picked(picked)
        }
        egui_file::State::Closed | egui_file::State::Cancelled => BrowserAnswer::Closed,
    }
}
