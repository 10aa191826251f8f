//! The model's identity at the top of the window: name, flavors as chips, versions, ids.

use egui::{RichText, Ui};

use super::widgets::{chip_ui, mono_value_ui, warn_color};
use crate::model::{Location, ModelCard};
use crate::text::human_size;

/// Draws the header of an open model, with its warnings (the card's, then `extra` ones found
/// later, such as the ONNX graph's disagreements with the signature).
pub fn header_ui(
    ui: &mut Ui,
    card: &ModelCard,
    remote: Option<&crate::source::RemoteModel>,
    extra: &[String],
    scan: Option<&crate::scan::ScanReport>,
) {
    let m = &card.mlmodel;
    ui.add_space(4.0);
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(card.display_name()).size(22.0).strong());
        for flavor in &card.flavors {
            let text = match flavor.view.framework_version() {
                Some((name, version)) => format!("{} · {name} {version}", flavor.name),
                None => flavor.name.clone(),
            };
            chip_ui(ui, &text, flavor.name == "python_function");
        }
        if let Some(text) = scan.and_then(scan_chip) {
            let color = if scan.is_some_and(|r| r.verdict == crate::scan::Verdict::Dangerous) {
                ui.visuals().error_fg_color
            } else {
                warn_color(ui)
            };
            ui.colored_label(color, text)
                .on_hover_text("What loading it imports: the Files tab names each file's imports and the rule that judged them");
        }
    });
    if let Some(r) = remote {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new("Tracking server").weak());
            mono_value_ui(ui, &r.tracking.base);
            if let Some(reg) = &r.registry {
                ui.label(RichText::new("Registered").weak());
                mono_value_ui(ui, reg);
            }
            ui.label(RichText::new("Artifacts").weak());
            mono_value_ui(ui, &r.location.to_string());
            let missing = r.missing_bytes();
            if missing > 0 {
                ui.label(
                    RichText::new(format!("{} fetched when needed", human_size(missing))).weak(),
                );
            }
        });
    }
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(if remote.is_some() { "Cache" } else { "Folder" }).weak());
        mono_value_ui(ui, &card.root.display().to_string());
        if let Location::OneDown { subfolder } = &card.location {
            ui.label(
                RichText::new(format!(
                    "(MLmodel found in {subfolder}/ of the folder you chose)"
                ))
                .italics(),
            );
        }
    });
    let mut facts: Vec<(&str, String)> = Vec::new();
    if let Some(v) = &m.mlflow_version {
        facts.push(("MLflow", v.clone()));
    }
    if let Some(t) = &m.utc_time_created {
        facts.push(("Created (UTC)", t.clone()));
    }
    facts.push(("Size", card.size_text()));
    if let Some(v) = &m.model_id {
        facts.push(("model_id", v.clone()));
    } else if let Some(v) = &m.model_uuid {
        facts.push(("model_uuid", v.clone()));
    }
    if let Some(v) = &m.run_id {
        facts.push(("run_id", v.clone()));
    }
    if let Some(v) = &m.artifact_path {
        facts.push(("artifact_path", v.clone()));
    }
    ui.horizontal_wrapped(|ui| {
        // Each value one widget, so that a row that does not fit moves to the next line.
        for (key, value) in facts {
            // A key and its value stay on one line: the row ends first when both do not fit.
            let width = |text: &str, style: egui::TextStyle| {
                let font = style.resolve(ui.style());
                ui.fonts_mut(|f| f.layout_no_wrap(text.to_string(), font, egui::Color32::WHITE))
                    .size()
                    .x
            };
            let shown = crate::text::elide(&value, super::widgets::MAX_VALUE_CHARS);
            let needed = width(key, egui::TextStyle::Body)
                + width(&shown, egui::TextStyle::Monospace)
                + ui.spacing().item_spacing.x;
            if needed > ui.available_size_before_wrap().x && needed < ui.max_rect().width() {
                ui.end_row();
            }
            ui.label(RichText::new(key).weak());
            mono_value_ui(ui, &value);
            ui.add_space(12.0);
        }
    });
    let count = card.warnings.len() + extra.len();
    if count > 0 {
        let color = warn_color(ui);
        egui::CollapsingHeader::new(
            RichText::new(format!(
                "⚠ {}",
                crate::text::count(count, "warning", "warnings")
            ))
            .color(color),
        )
        .id_salt("warnings")
        .default_open(count <= 3)
        .show(ui, |ui| {
            for w in card
                .warnings
                .iter()
                .map(|w| w.to_string())
                .chain(extra.iter().cloned())
            {
                ui.add(
                    egui::Label::new(RichText::new(format!("• {w}")).color(color))
                        .selectable(true)
                        .wrap(),
                );
            }
        });
    }
}

/// The scan in a few words, when it found anything but safe imports: the first dangerous one
/// and its file (`⚠ dangerous: os.system in model.pkl`), else how many imports are outside the
/// safe list, else the files not read to their end.
pub fn scan_chip(report: &crate::scan::ScanReport) -> Option<String> {
    use crate::scan::Verdict;
    for f in &report.files {
        if let Some(i) = f.imports.iter().find(|i| i.verdict == Verdict::Dangerous) {
            let file = f.path.split(':').next().unwrap_or(&f.path);
            return Some(format!(
                "⚠ dangerous: {}.{} in {file}",
                crate::text::printable(&i.module),
                crate::text::printable(&i.name)
            ));
        }
    }
    let (_, unknown, _) = report.counts();
    if unknown > 0 {
        return Some(format!(
            "{} outside the safe list",
            crate::text::count(unknown, "import", "imports")
        ));
    }
    let unread = report.files.iter().filter(|f| !f.complete).count();
    (unread > 0).then(|| {
        format!(
            "{} not read to its end",
            crate::text::count(unread, "file", "files")
        )
    })
}
