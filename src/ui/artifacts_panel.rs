//! The Artifacts tab: the folder's files as a tree with sizes and kinds, and a text preview of
//! the selected file (read on a worker, small text files only).

use std::collections::HashSet;

use egui::{RichText, Ui};

use super::command::Command;
use super::widgets::{code_block_ui, error_color};
use crate::model::ModelCard;
use crate::model::artifacts::{Artifact, ArtifactKind};
use crate::preview::Preview;
use crate::text::human_size;

/// The Files tab's view state.
#[derive(Default)]
pub struct FilesState {
    /// Expanded folders.
    pub expanded: HashSet<String>,
    /// Whether the default expansion was set.
    pub tree_initialized: bool,
    /// The selected file.
    pub selected: Option<String>,
    /// The last file preview that arrived: its path and text, or why not.
    pub preview: Option<(String, Result<crate::preview::Preview, String>)>,
    /// The previewed image, uploaded for drawing (its path and texture).
    pub preview_texture: Option<(String, egui::TextureHandle)>,
    /// The preview's share of the width (0 until the divider is moved), the width it was laid
    /// out for, and a count that lays it out anew when the width changes.
    pub split: (f32, f32, u64),
    /// What loading each file would import: the scan made on a worker when the model opened.
    pub scan: ScanStatus,
    /// Whether a tracking server's files were fetched for the scan already (once: a fetch
    /// that failed is not tried again by each question).
    pub fetch_tried: bool,
    /// Whether the scan is fresh for the next start of MLflow's scoring server: each cold
    /// start reads the files again (one that changed since is asked about again), and uses
    /// this up.
    pub fresh: bool,
}

/// Where the scan of the model's files stands.
#[derive(Default, Debug)]
pub enum ScanStatus {
    /// Not started (no model, or a model on a tracking server whose files are not all here).
    #[default]
    NotStarted,
    /// Under way on a worker.
    Running,
    /// Done: the scan and the files' digests (what trust is remembered by).
    Done(std::sync::Arc<crate::scan::trust::Findings>),
    /// Not made, and why.
    Skipped(String),
}

impl ScanStatus {
    /// The report, once made.
    pub fn report(&self) -> Option<&crate::scan::ScanReport> {
        match self {
            ScanStatus::Done(f) => Some(&f.report),
            _ => None,
        }
    }

    /// The scan and the digests, once made.
    pub fn findings(&self) -> Option<&std::sync::Arc<crate::scan::trust::Findings>> {
        match self {
            ScanStatus::Done(f) => Some(f),
            _ => None,
        }
    }

    /// Whether the scan is under way (a trust question waits for it).
    pub fn running(&self) -> bool {
        matches!(self, ScanStatus::Running)
    }
}

/// A verdict as a badge: its words and colour.
fn badge(ui: &Ui, file: &crate::scan::ScannedFile) -> (String, egui::Color32) {
    use crate::scan::Verdict;
    match (file.verdict, file.complete) {
        (Verdict::Dangerous, _) => ("⚠ dangerous".into(), ui.visuals().error_fg_color),
        (_, false) => ("… not read to its end".into(), ui.visuals().warn_fg_color),
        (Verdict::Unknown, _) => ("? unknown".into(), ui.visuals().warn_fg_color),
        (Verdict::Safe, _) => ("✔ safe".into(), super::widgets::ok_color(ui)),
    }
}

/// What the scan says of `path`: its own entry, and its members' for an archive.
fn scanned<'a>(
    report: &'a crate::scan::ScanReport,
    path: &str,
) -> Vec<&'a crate::scan::ScannedFile> {
    report
        .files
        .iter()
        .filter(|f| {
            f.path == path
                || f.path
                    .strip_prefix(path)
                    .is_some_and(|r| r.starts_with(':'))
        })
        .collect()
}

/// The scan of the selected file: each entry's format and verdict, then each import that is not
/// safe with the rule that decided it (the safe ones counted).
fn scan_details_ui(ui: &mut Ui, files: &FilesState, selected: &str) {
    match &files.scan {
        ScanStatus::Running => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(RichText::new("Scanning what loading it imports…").weak());
            });
        }
        ScanStatus::Skipped(why) => {
            ui.add(egui::Label::new(RichText::new(why).weak()).wrap());
        }
        ScanStatus::NotStarted => {}
        ScanStatus::Done(findings) => {
            let entries = scanned(&findings.report, selected);
            if entries.is_empty() {
                return;
            }
            egui::CollapsingHeader::new(RichText::new("What loading it imports").strong())
                .id_salt(("scan_details", selected))
                .default_open(entries.iter().any(|f| !f.imports.is_empty() || !f.complete))
                .show(ui, |ui| {
                    for f in entries {
                        let (text, color) = badge(ui, f);
                        ui.horizontal_wrapped(|ui| {
                            ui.label(RichText::new(&f.path).monospace());
                            ui.label(RichText::new(&f.format).weak());
                            ui.colored_label(color, text);
                        });
                        if let Some(problem) = &f.problem {
                            ui.add(
                                egui::Label::new(
                                    RichText::new(format!("not read to its end: {problem}"))
                                        .color(ui.visuals().warn_fg_color),
                                )
                                .wrap(),
                            );
                        }
                        let (safe, _, _) = crate::scan::count(f.imports.iter());
                        for i in f
                            .imports
                            .iter()
                            .filter(|i| i.verdict != crate::scan::Verdict::Safe)
                        {
                            let color = if i.verdict == crate::scan::Verdict::Dangerous {
                                ui.visuals().error_fg_color
                            } else {
                                ui.visuals().warn_fg_color
                            };
                            ui.add(
                                egui::Label::new(
                                    RichText::new(format!(
                                        "{} {}.{} — {}",
                                        i.verdict.word(),
                                        crate::text::printable(&i.module),
                                        crate::text::printable(&i.name),
                                        i.rule
                                    ))
                                    .color(color),
                                )
                                .wrap(),
                            );
                        }
                        if safe > 0 {
                            ui.label(
                                RichText::new(format!(
                                    "and {} on the safe list",
                                    crate::text::count(safe, "import", "imports")
                                ))
                                .weak(),
                            );
                        }
                    }
                });
        }
    }
}

/// The rows shown: entries whose folders are all expanded.
pub fn visible_rows<'a>(entries: &'a [Artifact], files: &FilesState) -> Vec<&'a Artifact> {
    let mut out = Vec::new();
    let mut collapsed: Option<String> = None;
    for entry in entries {
        if let Some(prefix) = &collapsed {
            if entry.path.starts_with(prefix.as_str()) {
                continue;
            }
            collapsed = None;
        }
        out.push(entry);
        if entry.is_dir && !files.expanded.contains(&entry.path) {
            collapsed = Some(format!("{}/", entry.path));
        }
    }
    out
}

/// Draws the Artifacts tab.
pub fn artifacts_ui(
    ui: &mut Ui,
    card: &ModelCard,
    files: &mut FilesState,
    commands: &mut Vec<Command>,
) {
    let artifacts = &card.artifacts;
    if !files.tree_initialized {
        files.tree_initialized = true;
        if artifacts.entries.len() <= 300 {
            files.expanded = artifacts
                .entries
                .iter()
                .filter(|e| e.is_dir)
                .map(|e| e.path.clone())
                .collect();
        }
    }
    ui.label(format!(
        "{}, {} on disk in all (the folder's files){}",
        crate::text::count(artifacts.entries.len(), "entry", "entries"),
        human_size(artifacts.total_size),
        if artifacts.truncated {
            " (listing stopped: too many files)"
        } else {
            ""
        }
    ));
    // MLmodel is shown at first.
    if files.selected.is_none() {
        commands.push(Command::Preview(
            crate::model::MLMODEL_FILE_NAME.to_string(),
        ));
        files.selected = Some(crate::model::MLMODEL_FILE_NAME.to_string());
    }
    let rows = visible_rows(&artifacts.entries, files);
    let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
    // The preview gets the room; the list keeps what a file name and its size need.
    let total = ui.available_width();
    let (share, laid_for, generation) = files.split;
    let share = if share > 0.0 { share } else { 0.6 };
    let max_width = (total - 200.0).max(240.0);
    let preview_width = (total * share).clamp(240.0, max_width);
    // A new window width lays the divider out anew at the same proportion.
    if (laid_for - total).abs() > 0.5 {
        files.split = (files.split.0, total, generation + 1);
    }
    let shown = egui::Panel::right(("artifact_preview", files.split.2))
        .resizable(true)
        .default_size(preview_width)
        .size_range(240.0..=max_width)
        .show(ui, |ui| {
            ui.set_clip_rect(ui.max_rect().intersect(ui.clip_rect()));
            // A text fits the half's height so its own scroll bars (long lines of a
            // signature's JSON scroll sideways) stay in sight.
            let text_height = (ui.available_height() - 90.0).max(120.0);
            egui::ScrollArea::vertical()
                .id_salt("artifact_preview_scroll")
                .auto_shrink(false)
                .show(ui, |ui| preview_ui(ui, card, files, text_height, commands));
        });
    let dragged = shown.response.rect.width();
    if (dragged - preview_width).abs() > 1.0 && ui.ctx().input(|i| i.pointer.any_down()) {
        files.split.0 = dragged / total;
    }
    egui::ScrollArea::vertical()
        .id_salt("artifact_rows")
        .auto_shrink(false)
        .show_rows(ui, row_height, rows.len(), |ui, range| {
            for entry in rows.get(range).unwrap_or_default() {
                let depth = entry.path.matches('/').count();
                let name = entry.path.rsplit('/').next().unwrap_or(&entry.path);
                ui.horizontal(|ui| {
                    ui.add_space(depth as f32 * 16.0);
                    // The name takes what the badge, the size and the kind leave; a long one
                    // is cut with … (the whole name on hover).
                    // A narrow list drops the kind (the preview says it) before the name.
                    let with_kind = ui.available_width() >= 480.0;
                    let name_width =
                        (ui.available_width() - if with_kind { 250.0 } else { 170.0 }).max(60.0);
                    if entry.is_dir {
                        let open = files.expanded.contains(&entry.path);
                        let icon = if open { "▾" } else { "▸" };
                        if name_cell(
                            ui,
                            name_width,
                            egui::Button::new(format!("{icon} {name}/"))
                                .frame(false)
                                .truncate(),
                        )
                        .clicked()
                        {
                            if open {
                                files.expanded.remove(&entry.path);
                            } else {
                                files.expanded.insert(entry.path.clone());
                            }
                        }
                    } else {
                        let mut text = RichText::new(name);
                        if entry.kind == ArtifactKind::MlModel {
                            text = RichText::new(format!("★ {name}")).strong();
                        }
                        if let Some(target) = &entry.link_target {
                            text =
                                RichText::new(format!("{name}, a link to {target} (not followed)"));
                        }
                        let selected = files.selected.as_deref() == Some(entry.path.as_str());
                        if name_cell(
                            ui,
                            name_width,
                            egui::Button::selectable(selected, text).truncate(),
                        )
                        .on_hover_text(&entry.path)
                        .clicked()
                        {
                            commands.push(Command::Preview(entry.path.clone()));
                        }
                    }
                    // What loading it imports, in a word (the details in the preview).
                    ui.allocate_ui_with_layout(
                        egui::vec2(90.0, row_height),
                        egui::Layout::left_to_right(egui::Align::Center),
                        |ui| {
                            ui.set_min_width(90.0);
                            if let Some(f) = files
                                .scan
                                .report()
                                .and_then(|r| r.files.iter().find(|f| f.path == entry.path))
                            {
                                let (text, color) = badge(ui, f);
                                let response = ui
                                    .add(
                                        egui::Button::new(
                                            RichText::new(&text).color(color).small(),
                                        )
                                        .frame(false)
                                        .truncate(),
                                    )
                                    .on_hover_text(format!(
                                        "{}: {}; click for what loading it imports",
                                        entry.path, f.format
                                    ));
                                let label = format!("{} {text}", entry.path);
                                response.widget_info(|| {
                                    egui::WidgetInfo::labeled(egui::Role::Button, true, &label)
                                });
                                if response.clicked() {
                                    commands.push(Command::Preview(entry.path.clone()));
                                }
                            }
                        },
                    );
                    // The size right-aligned in its own cell, then the kind, cut with … where
                    // the list is narrow (whole on hover).
                    ui.allocate_ui_with_layout(
                        egui::vec2(70.0, row_height),
                        egui::Layout::right_to_left(egui::Align::Center),
                        |ui| {
                            ui.set_min_width(70.0);
                            ui.label(RichText::new(human_size(entry.size)).monospace());
                        },
                    );
                    if with_kind {
                        ui.add(
                            egui::Label::new(RichText::new(entry.kind.label()).weak()).truncate(),
                        )
                        .on_hover_text(entry.kind.label());
                    }
                });
            }
        });
}

/// A name in the list: left-aligned, cut to `width`, the row going on after `width`.
fn name_cell(ui: &mut Ui, width: f32, button: egui::Button<'_>) -> egui::Response {
    let start = ui.cursor().min.x;
    let response = ui
        .scope(|ui| {
            ui.set_max_width(width);
            ui.add(button)
        })
        .inner;
    let used = ui.cursor().min.x - start;
    ui.add_space((width - used).max(0.0));
    response
}

fn preview_ui(
    ui: &mut Ui,
    card: &ModelCard,
    files: &mut FilesState,
    text_height: f32,
    commands: &mut Vec<Command>,
) {
    let Some(selected) = files.selected.clone() else {
        ui.label(RichText::new("Select a file to see what it is.").weak());
        return;
    };
    ui.add(egui::Label::new(RichText::new(&selected).strong().monospace()).wrap());
    if let Some(entry) = card.artifacts.entries.iter().find(|e| e.path == selected) {
        ui.label(
            RichText::new(format!(
                "{}, {}",
                human_size(entry.size),
                entry.kind.label()
            ))
            .weak(),
        );
    }
    scan_details_ui(ui, files, &selected);
    if selected.to_ascii_lowercase().ends_with(".onnx")
        && ui
            .button("Show graph")
            .on_hover_text("Everything inside this ONNX file, on the Graph tab")
            .clicked()
    {
        commands.push(Command::ShowGraph(selected.clone()));
    }
    match &files.preview {
        Some((rel, Ok(preview))) if *rel == selected => match preview {
            Preview::Text(text) => code_block_ui(ui, ("preview", rel), text, text_height),
            Preview::Onnx {
                summary,
                inputs,
                outputs,
            } => {
                ui.label(format!("ONNX model: {summary}"));
                for (title, values) in [("Inputs", inputs), ("Outputs", outputs)] {
                    ui.label(RichText::new(title).strong());
                    for v in values {
                        ui.add(egui::Label::new(RichText::new(v).monospace()).wrap());
                    }
                }
            }
            Preview::Npy { descr, shape } => {
                ui.label(format!("numpy array: dtype {descr}, shape ({shape})"));
            }
            Preview::Image { size, thumbnail } => {
                ui.label(format!("Image, {} × {} pixels", size.0, size.1));
                let key = rel.clone();
                if files
                    .preview_texture
                    .as_ref()
                    .is_none_or(|(p, _)| *p != key)
                {
                    let image = egui::ColorImage::from_rgba_unmultiplied(
                        [thumbnail.width() as usize, thumbnail.height() as usize],
                        thumbnail.as_raw(),
                    );
                    let texture =
                        ui.ctx()
                            .load_texture("file_preview", image, egui::TextureOptions::LINEAR);
                    files.preview_texture = Some((key, texture));
                }
                if let Some((_, texture)) = &files.preview_texture {
                    let size = texture.size_vec2();
                    let scale = (ui.available_width() / size.x).min(1.0);
                    ui.image((texture.id(), size * scale));
                }
            }
            Preview::Binary { hex, narrow } => {
                ui.label("Binary data; its first bytes:");
                // 16 bytes a line where they fit, else 8: the text column stays in sight.
                let char_width = ui.fonts_mut(|f| {
                    f.glyph_width(&egui::TextStyle::Monospace.resolve(ui.style()), '0')
                });
                let wide = hex.lines().next().map_or(0, |l| l.chars().count()) as f32;
                let dump = if wide * char_width + 24.0 > ui.available_width() {
                    narrow
                } else {
                    hex
                };
                code_block_ui(ui, ("preview_hex", rel), dump, text_height);
            }
            Preview::TooLarge(size) => {
                ui.label(format!(
                    "{}: too large to show here; it is not read.",
                    human_size(*size)
                ));
            }
        },
        Some((rel, Err(e))) if *rel == selected => {
            ui.add(egui::Label::new(RichText::new(e).color(error_color(ui))).wrap());
        }
        _ => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Reading…");
            });
        }
    }
}
