//! The answer: each section as scores with class names, a table, images or JSON, with timing and the raw text.

use super::*;

pub(super) fn answer_ui(
    ui: &mut Ui,
    state: &mut PredictState,
    settings: &mut Settings,
    index: usize,
    commands: &mut Vec<Command>,
) {
    // The history is lent out while the answer is drawn (no copy of the run at every frame).
    let history = std::mem::take(&mut state.history);
    if let Some(run) = history.get(index) {
        run_answer_ui(ui, state, settings, run, commands);
    }
    state.history = history;
}

pub(super) fn run_answer_ui(
    ui: &mut Ui,
    state: &mut PredictState,
    settings: &mut Settings,
    run: &Run,
    commands: &mut Vec<Command>,
) {
    section_ui(ui, &format!("Answer — run {}", run.number));
    let outcome = match &run.result {
        Ok(o) => o,
        Err(error) if matches!(**error, crate::predict::PredictError::Cancelled) => {
            ui.label(RichText::new("Cancelled: nothing came back.").weak());
            return;
        }
        Err(error) => {
            ui.add(
                egui::Label::new(RichText::new(format!("✖ {error}")).color(error_color(ui))).wrap(),
            );
            if matches!(**error, crate::predict::PredictError::UnsupportedOp { .. })
                && ui.button("Predict with MLflow (local) instead").clicked()
            {
                commands.push(Command::SetBackend(BackendKind::Local));
            }
            return;
        }
    };
    let timing = if outcome.cold() {
        let startup = outcome.startup.as_secs_f64();
        let startup = if startup < 1.0 {
            format!("{:.0} ms", startup * 1e3)
        } else {
            format!("{startup:.1} s")
        };
        format!(
            "{:.1} ms · {} · cold: ready after {startup}",
            outcome.latency.as_secs_f64() * 1e3,
            run.backend,
        )
    } else {
        format!(
            "{:.1} ms · {} · warm",
            outcome.latency.as_secs_f64() * 1e3,
            run.backend
        )
    };
    match &outcome.reply {
        Reply::Rejected(rejection) => {
            ui.colored_label(
                error_color(ui),
                format!(
                    "✖ The request was rejected (HTTP {}{}): {}",
                    rejection.status,
                    rejection
                        .error_code
                        .as_deref()
                        .map(|c| format!(" {c}"))
                        .unwrap_or_default(),
                    rejection.summary
                ),
            );
            ui.label(RichText::new(timing).weak());
            ui.horizontal_wrapped(|ui| {
                if ui
                    .selectable_label(state.full_message, "Whole message")
                    .clicked()
                {
                    state.full_message = !state.full_message;
                }
                if ui.small_button("Copy message").clicked() {
                    commands.push(Command::Copy(rejection.full.clone()));
                }
            });
            if state.full_message {
                code_block_ui(ui, "rejection_full", &rejection.full, 300.0);
            }
        }
        Reply::Predictions {
            raw, non_finite, ..
        } => {
            if let Some(note) = &outcome.note {
                ui.add(
                    egui::Label::new(RichText::new(format!("⚠ {note}")).color(warn_color(ui)))
                        .wrap(),
                );
            }
            ui.horizontal_wrapped(|ui| {
                ui.colored_label(ok_color(ui), "✔");
                ui.label(timing);
                ui.separator();
                ui.checkbox(&mut state.raw, "Raw JSON");
                if ui.small_button("Copy answer").clicked() {
                    commands.push(Command::Copy(raw.clone()));
                }
            });
            if *non_finite {
                ui.colored_label(
                    warn_color(ui),
                    "⚠ The answer holds NaN or Infinity (bare tokens, as Python's json writes them); they show as NaN here.",
                );
            }
            if state.raw {
                code_block_ui(ui, "answer_raw", &run.raw_view, 400.0);
                return;
            }
            for (i, section) in run.sections.iter().enumerate() {
                section_view_ui(ui, state, settings, run, i, section, commands);
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn section_view_ui(
    ui: &mut Ui,
    state: &mut PredictState,
    settings: &mut Settings,
    run: &Run,
    index: usize,
    section: &Section,
    commands: &mut Vec<Command>,
) {
    let shape = section
        .shape
        .as_ref()
        .map(|s| {
            format!(
                "[{}]",
                s.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .unwrap_or_default();
    if section.name.is_some() || !shape.is_empty() {
        ui.label(
            RichText::new(format!(
                "{} {shape}",
                section.name.as_deref().unwrap_or("predictions")
            ))
            .strong(),
        );
    }
    match &section.kind {
        Kind::Scores(rows) => scores_ui(
            ui,
            state,
            settings,
            (index, run.origin.is_some()),
            rows,
            section.classes.as_deref(),
            commands,
        ),
        Kind::Table {
            columns,
            rows,
            total,
        } => match section.indices {
            Some(count) => index_table_ui(ui, state, index, (rows, *total), count, commands),
            None => table_ui(ui, index, columns, (rows, *total), None),
        },
        Kind::Images(pictures) => {
            ui.horizontal_wrapped(|ui| {
                for (i, picture) in pictures.iter().enumerate() {
                    let key = (run.number, index, i);
                    let texture = match state.textures.iter().find(|(k, _)| *k == key) {
                        Some((_, t)) => t.clone(),
                        None => {
                            let image = egui::ColorImage::from_rgba_unmultiplied(
                                [picture.width, picture.height],
                                &picture.rgba,
                            );
                            let t = ui.ctx().load_texture(
                                format!("output_{}_{index}_{i}", run.number),
                                image,
                                egui::TextureOptions::NEAREST,
                            );
                            state.textures.push((key, t.clone()));
                            t
                        }
                    };
                    let size = texture.size_vec2();
                    let scale = (256.0 / size.x.max(size.y)).clamp(0.1, 8.0);
                    ui.image((texture.id(), size * scale));
                }
            });
        }
        Kind::Value(_) => {
            let text = run
                .value_views
                .get(index)
                .cloned()
                .flatten()
                .unwrap_or_default();
            code_block_ui(ui, format!("answer_value_{index}"), &text, 300.0);
        }
    }
}

/// A score section's bars; `pickable`: a class's name chooses it for Explain.
pub(super) fn scores_ui(
    ui: &mut Ui,
    state: &mut PredictState,
    settings: &mut Settings,
    (index, pickable): (usize, bool),
    rows: &[Vec<Option<f64>>],
    classes: Option<&[String]>,
    commands: &mut Vec<Command>,
) {
    if state.score_row.len() <= index {
        state.score_row.resize(index + 1, 0);
    }
    let class_count = rows.first().map_or(0, Vec::len);
    let distribution = rows.iter().all(|r| answer::is_distribution(r));
    ui.horizontal_wrapped(|ui| {
        if rows.len() > 1 {
            let label = ui.label("Row:");
            let row = &mut state.score_row[index];
            ui.add(egui::DragValue::new(row).range(0..=rows.len() - 1))
                .labelled_by(label.id);
            ui.label(RichText::new(format!("of {}", rows.len())).weak());
            ui.separator();
        }
        ui.label("Scores:");
        for mode in [ScoreMode::Raw, ScoreMode::Softmax, ScoreMode::Sigmoid] {
            ui.selectable_value(&mut settings.score_mode, mode, mode.label());
        }
        ui.separator();
        let label = ui.label("Top");
        if settings.top_k == 0 {
            settings.top_k = 5;
        }
        ui.add(egui::DragValue::new(&mut settings.top_k).range(1..=1000))
            .labelled_by(label.id);
    });
    labels_ui(ui, state, class_count, true, commands);
    if !distribution && settings.score_mode == ScoreMode::Raw {
        ui.label(RichText::new("These are not probabilities (outside 0–1 or not summing to 1): for logits choose softmax or sigmoid.").weak());
    }
    let row = state.score_row[index].min(rows.len().saturating_sub(1));
    let Some(values) = rows.get(row) else { return };
    let values = answer::transform(values, settings.score_mode);
    let top = answer::top_k(&values, settings.top_k.max(1));
    let max = top.iter().filter_map(|(_, v)| *v).fold(0.0_f64, f64::max);
    let scale = if values.iter().flatten().all(|v| (0.0..=1.0).contains(v)) {
        1.0
    } else {
        max.max(1e-12)
    };
    let name_of = |class: usize| {
        let given = classes.and_then(|c| c.get(class));
        state
            .labels
            .as_ref()
            .and_then(|l| l.name(class))
            .map(|l| format!("{l} ({})", given.map_or(class.to_string(), Clone::clone)))
            .or_else(|| given.map(|g| format!("class {g}")))
            .unwrap_or_else(|| format!("class {class}"))
    };
    // The answer first, in words; the bars below it.
    if let Some((class, Some(v))) = top.first() {
        ui.label(
            RichText::new(format!("{} — {v:.4}", name_of(*class)))
                .strong()
                .size(18.0),
        );
    }
    // The bars fit the half they are in.
    let bar_width = (ui.available_width() * 0.55).clamp(80.0, 320.0);
    let mut picked = None;
    egui::Grid::new(("scores", index))
        .num_columns(2)
        .spacing([12.0, 4.0])
        .show(ui, |ui| {
            let top_class = top.first().map(|(c, _)| *c);
            for (class, value) in top {
                if pickable {
                    let chosen = state.explain.class.or(top_class) == Some(class);
                    if ui
                        .selectable_label(chosen, name_of(class))
                        .on_hover_text("Explain this class (Why this answer, below)")
                        .clicked()
                    {
                        picked = Some(class);
                    }
                } else {
                    ui.label(name_of(class));
                }
                match value {
                    Some(v) => {
                        let fraction = (v / scale).clamp(0.0, 1.0) as f32;
                        ui.add(
                            egui::ProgressBar::new(fraction)
                                .desired_width(bar_width)
                                .text(format!("{v:.4}")),
                        );
                    }
                    None => {
                        ui.colored_label(warn_color(ui), "NaN");
                    }
                }
                ui.end_row();
            }
        });
    if let Some(class) = picked {
        state.explain.class = Some(class);
    }
}

/// Where the class names come from, and the buttons to choose a labels file or drop them.
/// `exact`: the names must number exactly `class_count` (scores); else at least (indices).
pub(super) fn labels_ui(
    ui: &mut Ui,
    state: &PredictState,
    class_count: usize,
    exact: bool,
    commands: &mut Vec<Command>,
) {
    ui.horizontal_wrapped(|ui| {
        if let Some(labels) = &state.labels {
            let mut text = format!("Class names from {}", labels.origin);
            let n = labels.names.len();
            if (exact && n != class_count) || n < class_count {
                text.push_str(&format!(
                    " — {} for {}",
                    crate::text::count(n, "name", "names"),
                    crate::text::count(class_count, "class", "classes")
                ));
            }
            ui.add(egui::Label::new(RichText::new(text).weak()).wrap());
        }
        if ui
            .button("Labels file…")
            .on_hover_text("A text file with one class name a line")
            .clicked()
        {
            commands.push(Command::PickLabels);
        }
        if state.labels.is_some() && ui.small_button("No labels").clicked() {
            commands.push(Command::UseLabels(None));
        }
        if state.labels.is_none() {
            for candidate in &state.label_candidates {
                if ui
                    .small_button(format!(
                        "Use labels from {}",
                        candidate
                            .file_name()
                            .map(|n| n.to_string_lossy().into_owned())
                            .unwrap_or_default()
                    ))
                    .clicked()
                {
                    commands.push(Command::UseLabels(Some(candidate.clone())));
                }
            }
        }
    });
}

/// An answer of class indices (`[0, 0, 2]`): each row's index with its class name, the first
/// row's name in large type above the table.
pub(super) fn index_table_ui(
    ui: &mut Ui,
    state: &PredictState,
    index: usize,
    (rows, total): (&[Vec<serde_json::Value>], usize),
    class_count: usize,
    commands: &mut Vec<Command>,
) {
    let class_of = |row: &[serde_json::Value]| {
        row.first()
            .and_then(|v| v.as_f64())
            .map(|f| f as usize)
            .unwrap_or_default()
    };
    let name = |class: usize| state.labels.as_ref().and_then(|l| l.name(class));
    if let Some(first) = rows.first() {
        let class = class_of(first);
        let text = match name(class) {
            Some(n) => format!("{n} (class {class})"),
            None => format!("class {class}"),
        };
        let text = if total > 1 {
            format!("{text} — row 0 of {total}")
        } else {
            text
        };
        ui.add(egui::Label::new(RichText::new(text).strong().size(18.0)).wrap());
    }
    labels_ui(ui, state, class_count, false, commands);
    let name_column = |row: &[serde_json::Value]| match name(class_of(row)) {
        Some(n) => n.to_string(),
        None => "—".into(),
    };
    table_ui(
        ui,
        index,
        &["prediction".to_string()],
        (rows, total),
        Some(("class name", &name_column)),
    );
}

pub(super) fn cell_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "NaN / null".into(),
        other => other.to_string(),
    }
}

/// A column computed from each row (a class name), shown after the answer's own.
pub(super) type ExtraColumn<'a> = (&'a str, &'a dyn Fn(&[serde_json::Value]) -> String);

pub(super) fn table_ui(
    ui: &mut Ui,
    index: usize,
    columns: &[String],
    (rows, total): (&[Vec<serde_json::Value>], usize),
    extra: Option<ExtraColumn<'_>>,
) {
    const MAX_ROWS: usize = 200;
    table_scroll_ui(ui, ("answer_table", index), 320.0, |ui| {
        egui::Grid::new(("answer_grid", index))
            .striped(true)
            .num_columns(columns.len() + 1 + usize::from(extra.is_some()))
            .show(ui, |ui| {
                ui.label(RichText::new("#").strong());
                for c in columns.iter().map(String::as_str).chain(extra.map(|e| e.0)) {
                    ui.label(RichText::new(c).strong());
                }
                ui.end_row();
                for (i, row) in rows.iter().take(MAX_ROWS).enumerate() {
                    ui.label(RichText::new(i.to_string()).weak());
                    for cell in row {
                        let text = cell_text(cell);
                        let shown = elided(&text, 96);
                        ui.add(egui::Label::new(shown).selectable(true))
                            .on_hover_text(text);
                    }
                    if let Some((_, column)) = extra {
                        ui.label(column(row));
                    }
                    ui.end_row();
                }
            });
    });
    let drawn = rows.len().min(MAX_ROWS);
    if total > drawn {
        ui.label(
            RichText::new(format!(
                "{} more rows: see Raw JSON or copy the answer",
                total - drawn
            ))
            .weak(),
        );
    }
}
