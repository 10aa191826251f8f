//! The Environment tab: Python version, channels, every dependency with its pin and origin,
//! mismatches between the files, and each file's text.

use egui::{RichText, Ui};

use super::widgets::{code_block_ui, key_values_ui, mono_value_ui, section_ui, warn_color};
use crate::model::ModelCard;
use crate::model::environment::{Dependency, EnvFile, PackageRow, Requirement, Source};

fn deps_table_ui(ui: &mut Ui, id: &str, deps: &[&Dependency]) {
    egui::Grid::new(id)
        .num_columns(4)
        .spacing([24.0, 4.0])
        .striped(true)
        .show(ui, |ui| {
            for h in ["Package", "Version", "From", "File"] {
                ui.label(RichText::new(h).strong());
            }
            ui.end_row();
            for dep in deps {
                match &dep.requirement {
                    r @ Requirement::Package { .. } => {
                        mono_value_ui(ui, &r.display_name().unwrap_or_default());
                        mono_value_ui(ui, &r.version_text().unwrap_or_default());
                    }
                    Requirement::Include { constraint, path } => {
                        mono_value_ui(
                            ui,
                            &format!("{} {path}", if *constraint { "-c" } else { "-r" }),
                        );
                        ui.label(RichText::new("includes a file").weak());
                    }
                    Requirement::Other(line) => {
                        mono_value_ui(ui, line);
                        ui.label("");
                    }
                }
                ui.label(dep.source.label());
                ui.label(&dep.file);
                ui.end_row();
            }
        });
}

/// One row per package, the spec from each file side by side, conflicts marked.
fn packages_ui(ui: &mut Ui, rows: &[PackageRow]) {
    let mut columns: Vec<&'static str> = Vec::new();
    for row in rows {
        for (source, _) in &row.specs {
            let c = source.file();
            if !columns.contains(&c) {
                columns.push(c);
            }
        }
    }
    egui::ScrollArea::horizontal()
        .id_salt("packages_scroll")
        .show(ui, |ui| {
            egui::Grid::new("packages")
                .num_columns(columns.len() + 2)
                .spacing([20.0, 4.0])
                .striped(true)
                .show(ui, |ui| {
                    ui.label(RichText::new("Package").strong());
                    for c in &columns {
                        ui.label(RichText::new(*c).strong());
                    }
                    ui.label("");
                    ui.end_row();
                    for row in rows {
                        mono_value_ui(ui, &row.name);
                        for c in &columns {
                            let specs: Vec<&str> = row
                                .specs
                                .iter()
                                .filter(|(s, _)| s.file() == *c)
                                .map(|(_, t)| t.as_str())
                                .collect();
                            if specs.is_empty() {
                                ui.label(RichText::new("—").weak());
                            } else {
                                mono_value_ui(ui, &specs.join(", "));
                            }
                        }
                        if row.conflict {
                            ui.colored_label(warn_color(ui), "⚠ pins differ")
                                .on_hover_text("The files pin different versions of this package");
                        } else {
                            ui.label("");
                        }
                        ui.end_row();
                    }
                });
        });
}

/// A file's name, text and parse problem, for the file list.
fn file_view<T>(f: &EnvFile<T>) -> (&str, Option<&str>, Option<&str>) {
    (
        f.file.as_str(),
        f.text.as_deref(),
        f.parsed.as_ref().err().map(String::as_str),
    )
}

/// The Environment tab's view state.
#[derive(Default)]
pub struct EnvironmentView {
    /// The environment file shown as text.
    pub file: Option<String>,
}

/// Draws the environment: the Python, one row per package with each file's pin, the files.
pub fn environment_ui(ui: &mut Ui, card: &ModelCard, view: &mut EnvironmentView) {
    let env = &card.environment;
    egui::ScrollArea::vertical()
        .auto_shrink(false)
        .show(ui, |ui| {
            for mismatch in &env.mismatches {
                ui.colored_label(warn_color(ui), format!("⚠ {mismatch}"));
            }
            let mut rows = vec![(
                "Python (MLmodel)",
                env.python_version
                    .clone()
                    .unwrap_or_else(|| "not stated".into()),
            )];
            if let Some(Ok(c)) = env.conda.as_ref().map(|f| f.parsed.as_ref()) {
                rows.push((
                    "Python (conda.yaml)",
                    c.python.clone().unwrap_or_else(|| "not pinned".into()),
                ));
                rows.push((
                    "Conda channels",
                    if c.channels.is_empty() {
                        "none".into()
                    } else {
                        c.channels.join(", ")
                    },
                ));
                if let Some(name) = &c.name {
                    rows.push(("Conda env name", name.clone()));
                }
            }
            if let Some(Ok(p)) = env.python_env.as_ref().map(|f| f.parsed.as_ref()) {
                rows.push((
                    "Python (python_env.yaml)",
                    p.python.clone().unwrap_or_else(|| "not stated".into()),
                ));
            }
            key_values_ui(ui, "env_facts", &rows);

            let all = env.dependencies();
            let (build, deps): (Vec<&Dependency>, Vec<&Dependency>) =
                all.into_iter().partition(|d| d.source == Source::Build);
            let packages = env.package_rows();
            section_ui(
                ui,
                &match packages.len() {
                    1 => "Dependencies (1 package)".to_string(),
                    n => format!("Dependencies ({n} packages)"),
                },
            );
            if deps.is_empty() {
                ui.label(RichText::new("No dependency files.").weak());
            } else {
                packages_ui(ui, &packages);
                // Lines that are not packages: includes, URLs, options.
                let other: Vec<&Dependency> = deps
                    .into_iter()
                    .filter(|d| !matches!(d.requirement, Requirement::Package { .. }))
                    .collect();
                if !other.is_empty() {
                    ui.label(RichText::new("Other lines").strong());
                    deps_table_ui(ui, "deps_other", &other);
                }
            }
            if !build.is_empty() {
                section_ui(ui, "Build dependencies");
                deps_table_ui(ui, "build_deps", &build);
            }

            section_ui(ui, "Files");
            let files: Vec<(&str, Option<&str>, Option<&str>)> = [
                env.conda.as_ref().map(file_view),
                env.python_env.as_ref().map(file_view),
                env.requirements.as_ref().map(file_view),
                env.constraints.as_ref().map(file_view),
            ]
            .into_iter()
            .flatten()
            .collect();
            if files.is_empty() {
                ui.label(RichText::new("The model has no environment files.").weak());
                return;
            }
            ui.label(RichText::new("Click a file to show its text.").weak());
            ui.horizontal(|ui| {
                for (file, _, error) in &files {
                    let label = if error.is_some() {
                        format!("{file} ⚠")
                    } else {
                        file.to_string()
                    };
                    let selected = view.file.as_deref() == Some(*file);
                    if ui.selectable_label(selected, label).clicked() {
                        view.file = if selected {
                            None
                        } else {
                            Some(file.to_string())
                        };
                    }
                }
            });
            if let Some(shown) = &view.file
                && let Some((file, text, error)) = files.iter().find(|(f, _, _)| f == shown)
            {
                if let Some(error) = error {
                    ui.colored_label(warn_color(ui), format!("{file}: {error}"));
                }
                match text {
                    Some(text) => code_block_ui(ui, ("env_text", file), text, 400.0),
                    None => {
                        ui.label(RichText::new("The file could not be read.").weak());
                    }
                }
            }
        });
}
