//! "Why this answer": Explain… under an answer, its settings (the class from the bars, the
//! occlusion window, stride and baseline), its progress with Cancel, and the run's
//! explanations, drawn by [`crate::ui::explain_view`].

use super::*;
use crate::explain::Explanation;
use crate::explain::occlusion::Baseline;
use std::sync::atomic::Ordering;

/// The class `k` by its name when the labels give one: "tabby (282)", else "class 282".
pub(super) fn class_words(state: &PredictState, k: usize) -> String {
    match state.labels.as_ref().and_then(|l| l.name(k)) {
        Some(name) => format!("{name} ({k})"),
        None => format!("class {k}"),
    }
}

/// The run's top class: the largest score of its first score section's first row.
fn top_class(run: &Run) -> Option<usize> {
    run.sections.iter().find_map(|s| match &s.kind {
        Kind::Scores(rows) => rows.first().and_then(|row| {
            row.iter()
                .enumerate()
                .filter_map(|(i, v)| v.filter(|v| v.is_finite()).map(|v| (i, v)))
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(i, _)| i)
        }),
        _ => None,
    })
}

/// Draws Explain for history run `index`, when its answer can be explained.
#[allow(clippy::too_many_arguments)]
pub(super) fn explain_ui(
    ui: &mut Ui,
    state: &mut PredictState,
    settings: &mut Settings,
    index: usize,
    server_up: bool,
    commands: &mut Vec<Command>,
) {
    let Some(run) = state.history.get(index) else {
        return;
    };
    let answered = matches!(
        &run.result,
        Ok(Outcome {
            reply: Reply::Predictions { .. },
            ..
        })
    );
    let Some(origin) = run.origin.clone().filter(|_| answered) else {
        return;
    };
    let (number, local) = (
        run.number,
        run.choice == crate::predict::BackendChoice::Local,
    );
    ui.add_space(8.0);
    section_ui(ui, "Why this answer");
    let scores = top_class(run);
    let class = match (state.explain.class, scores) {
        (Some(k), _) => class_words(state, k),
        (None, Some(k)) => format!("{}, the top class,", class_words(state, k)),
        (None, None) => "the answer".into(),
    };
    let pick_hint = if scores.is_some() {
        "; click a class's name among the scores to explain another"
    } else {
        ""
    };
    let name = |p: &std::path::Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let (what, hover) = match &origin {
        ExplainInput::Image { path, of, .. } if *of > 1 => (
            format!("{} (image 1 of {of})", name(path)),
            "Hide each part of the image in turn and see how much the class's score drops, through the backend that gave this answer",
        ),
        ExplainInput::Image { path, .. } => (
            name(path),
            "Hide each part of the image in turn and see how much the class's score drops, through the backend that gave this answer",
        ),
        ExplainInput::Table { file, .. } => (
            format!(
                "row {} of {}",
                state.explain.row,
                file.as_deref().map_or("the table".into(), name)
            ),
            "Shapley values: each column's share of the answer against a background of typical rows, from predictions alone, through the backend that gave this answer",
        ),
    };
    let busy = state.explain.running.is_some() || state.running.is_some();
    ui.horizontal_wrapped(|ui| {
        if ui
            .add_enabled(!busy, egui::Button::new("🔍 Explain…"))
            .on_hover_text(hover)
            .on_disabled_hover_text("Busy: wait for the running predict or explanation")
            .clicked()
        {
            commands.push(Command::Explain(index));
        }
        ui.add(
            egui::Label::new(
                RichText::new(format!("explains {class} for {what}{pick_hint}")).weak(),
            )
            .wrap(),
        );
    });
    match &origin {
        ExplainInput::Image { .. } => settings_row_ui(ui, settings),
        ExplainInput::Table { file, rows, .. } => {
            let count = file.is_none().then_some(rows.len());
            table_settings_ui(ui, &mut state.explain, count, commands);
        }
    }
    if let Some(running) = &state.explain.running {
        ui.horizontal_wrapped(|ui| {
            ui.spinner();
            let done = running.progress.done.load(Ordering::Relaxed);
            let total = running.progress.total.load(Ordering::Relaxed);
            let secs = running.started.elapsed().as_secs_f64();
            if running.cancel.load(Ordering::Relaxed) {
                ui.label("Cancelling…");
            } else if total == 0 && local && !server_up {
                ui.label(format!("Starting MLflow's scoring server… {secs:.0} s"));
            } else if total == 0 {
                ui.label(format!(
                    "Reading the {}… {secs:.1} s",
                    if running.unit == "images" {
                        "image"
                    } else {
                        "table"
                    }
                ));
            } else {
                ui.add(
                    egui::ProgressBar::new(done as f32 / total.max(1) as f32)
                        .desired_width(200.0)
                        .text(format!("{done} of {total} {}", running.unit)),
                );
                ui.label(format!("{} · {secs:.1} s", running.backend));
            }
            if ui
                .button("Cancel")
                .on_hover_text("Stop explaining (the request in flight is waited for)")
                .clicked()
            {
                commands.push(Command::CancelExplain);
            }
            ui.ctx().request_repaint_after(Duration::from_millis(100));
        });
    }
    if let Some((n, error)) = &state.explain.error
        && *n == number
    {
        let color = if error.starts_with("Stopped") {
            ui.visuals().weak_text_color()
        } else {
            error_color(ui)
        };
        ui.add(egui::Label::new(RichText::new(error).color(color)).wrap());
    }
    explanations_ui(ui, state, settings, index);
}

/// A table's settings: the row explained and the background.
fn table_settings_ui(
    ui: &mut Ui,
    explain: &mut ExplainState,
    rows: Option<usize>,
    commands: &mut Vec<Command>,
) {
    ui.horizontal_wrapped(|ui| {
        let last = rows.map_or(crate::explain::MAX_ROWS - 1, |n| n.saturating_sub(1));
        if rows != Some(1) {
            let label = ui.label("Row");
            ui.add(egui::DragValue::new(&mut explain.row).range(0..=last))
                .labelled_by(label.id)
                .on_hover_text("The row explained, counted from 0 (the header not counted)");
        }
        explain.row = explain.row.min(last);
        let label = ui.label("Background table");
        ui.add(
            egui::TextEdit::singleline(&mut explain.background)
                .hint_text("this table's own rows")
                .desired_width(180.0),
        )
        .labelled_by(label.id)
        .on_hover_text("A CSV of typical rows with the same columns: the answer is explained against their mean");
        if ui.button("Choose…").clicked() {
            commands.push(Command::PickExplainBackground);
        }
        if explain.background_rows == 0 {
            explain.background_rows = 50;
        }
        let label = ui.label("first");
        ui.add(
            egui::DragValue::new(&mut explain.background_rows)
                .range(1..=crate::explain::MAX_BACKGROUND),
        )
        .labelled_by(label.id)
        .on_hover_text("Background rows: each coalition is valued over all of them (more is steadier and slower)");
        ui.label("rows");
    });
}

/// The occlusion settings: window, stride (0: chosen from the grid) and baseline.
fn settings_row_ui(ui: &mut Ui, settings: &mut Settings) {
    let explain = &mut settings.explain;
    ui.horizontal_wrapped(|ui| {
        let auto = |v: f64, _: std::ops::RangeInclusive<usize>| {
            if v == 0.0 {
                "auto".to_string()
            } else {
                format!("{v:.0} px")
            }
        };
        let label = ui.label("Window");
        ui.add(
            egui::DragValue::new(&mut explain.window)
                .range(0..=4096)
                .custom_formatter(auto),
        )
        .labelled_by(label.id)
        .on_hover_text("The occluded square's side in pixels (auto: from an 8 or 15 position grid)");
        let label = ui.label("Stride");
        ui.add(
            egui::DragValue::new(&mut explain.stride)
                .range(0..=4096)
                .custom_formatter(auto),
        )
        .labelled_by(label.id)
        .on_hover_text("How far the window moves each step, in pixels (auto: half the window, or from the grid)");
        let label = ui.label("Baseline");
        egui::ComboBox::from_id_salt("explain_baseline")
            .selected_text(explain.baseline.name())
            .show_ui(ui, |ui| {
                for b in Baseline::ALL {
                    ui.selectable_value(&mut explain.baseline, b, b.name());
                }
            })
            .response
            .labelled_by(label.id)
            .on_hover_text("What replaces the hidden window: black, the image's mean colour, or a blur of it");
    });
}

/// The run's explanations: a choice among them when there are several, and the chosen one
/// drawn.
fn explanations_ui(ui: &mut Ui, state: &mut PredictState, settings: &mut Settings, index: usize) {
    let PredictState {
        history, explain, ..
    } = state;
    let Some(run) = history.get(index) else {
        return;
    };
    let count = run.explanations.len();
    let Some(chosen) = explain.shown_of(run.number, count) else {
        return;
    };
    let beside = explain.beside_of(run.number, count, chosen);
    if count > 1 {
        ui.horizontal_wrapped(|ui| {
            ui.label("Explanations:");
            for (i, e) in run.explanations.iter().enumerate() {
                let text = format!("{}: {}", i + 1, short_target(e));
                if ui.selectable_label(i == chosen, text).clicked() && i != chosen {
                    explain.show(run.number, i, chosen);
                }
            }
            ui.checkbox(&mut explain.side_by_side, "side by side")
                .on_hover_text("The one chosen beside the one chosen before it");
        });
    }
    match beside.filter(|_| explain.side_by_side) {
        Some(other) => {
            let opacity = &mut settings.explain.opacity;
            ui.columns(2, |columns| {
                for (column, i) in columns.iter_mut().zip([other, chosen]) {
                    one_ui(column, explain, opacity, run, i);
                }
            });
        }
        None => one_ui(ui, explain, &mut settings.explain.opacity, run, chosen),
    }
}

/// Explanation `i` of `run`, drawn to the width it is given.
pub(super) fn one_ui(
    ui: &mut Ui,
    explain: &mut ExplainState,
    opacity: &mut f32,
    run: &Run,
    i: usize,
) {
    let Some(e) = run.explanations.get(i) else {
        return;
    };
    let key = (run.number, i);
    ui.label(RichText::new(format!("Run {}, explanation {}", run.number, i + 1)).weak());
    match &**e {
        Explanation::Image(image) => {
            let texture = texture_for(ui, &mut explain.textures, key, image);
            crate::ui::explain_view::image_explanation_ui(ui, key, image, &texture, opacity, 360.0);
        }
        Explanation::Row(row) => crate::ui::explain_view::table_explanation_ui(ui, key, row),
    }
}

/// Two ticked runs' explanations side by side (each run's chosen one), under their
/// comparison.
pub(super) fn compare_explanations_ui(
    ui: &mut Ui,
    state: &mut PredictState,
    settings: &mut Settings,
    (a, b): (usize, usize),
) {
    let PredictState {
        history, explain, ..
    } = state;
    let (Some(a), Some(b)) = (history.get(a), history.get(b)) else {
        return;
    };
    let chosen = |run: &Run| explain.shown_of(run.number, run.explanations.len());
    let (Some(ia), Some(ib)) = (chosen(a), chosen(b)) else {
        return;
    };
    ui.label(RichText::new("Their explanations").strong());
    let opacity = &mut settings.explain.opacity;
    ui.columns(2, |columns| {
        for (column, (run, i)) in columns.iter_mut().zip([(a, ia), (b, ib)]) {
            one_ui(column, explain, opacity, run, i);
        }
    });
}

/// What an explanation explained, in a word or two ("class 3", "the value").
pub(super) fn short_target(e: &Explanation) -> String {
    match e.target() {
        crate::explain::Target::Score { class, name }
        | crate::explain::Target::IsClass { class, name } => match name {
            Some(n) => format!("{n} ({class})"),
            None => format!("class {class}"),
        },
        crate::explain::Target::Value => "the value".into(),
        crate::explain::Target::IsLabel(l) => l.clone(),
    }
}

/// The image the model saw, uploaded once per explanation.
pub(super) fn texture_for(
    ui: &Ui,
    textures: &mut Vec<((usize, usize), egui::TextureHandle)>,
    key: (usize, usize),
    e: &crate::explain::occlusion::ImageExplanation,
) -> egui::TextureHandle {
    if let Some((_, t)) = textures.iter().find(|(k, _)| *k == key) {
        return t.clone();
    }
    let image = egui::ColorImage::from_rgba_unmultiplied(
        [e.seen.width() as usize, e.seen.height() as usize],
        e.seen.as_raw(),
    );
    let t = ui.ctx().load_texture(
        format!("explained_{}_{}", key.0, key.1),
        image,
        egui::TextureOptions::LINEAR,
    );
    textures.push((key, t.clone()));
    t
}
