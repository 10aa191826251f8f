//! The history of this session's runs, and two of them side by side.

use super::*;

/// Two runs side by side: what each sent and answered, and how the answers differ.
pub(super) fn compare_ui(ui: &mut Ui, a: &Run, b: &Run) {
    let (a, b) = if a.number <= b.number { (a, b) } else { (b, a) };
    section_ui(ui, &format!("Run {} and run {}", a.number, b.number));
    let input = if a.input_digest == b.input_digest {
        format!("The same input (#{}).", a.input_digest)
    } else {
        format!(
            "Different inputs (#{} and #{}).",
            a.input_digest, b.input_digest
        )
    };
    let answers = match (&a.result, &b.result) {
        (
            Ok(Outcome {
                reply: Reply::Predictions { value: x, .. },
                ..
            }),
            Ok(Outcome {
                reply: Reply::Predictions { value: y, .. },
                ..
            }),
        ) => {
            let d = crate::predict::answer::compare(x, y);
            let mut text = d.to_string();
            if let Some(first) = text.get(..1) {
                text = format!("{}{}.", first.to_uppercase(), &text[1..]);
            }
            text
        }
        _ => "Only answers can be compared; at least one run has none.".into(),
    };
    ui.add(egui::Label::new(format!("{input} {answers}")).wrap());
    let column = |ui: &mut Ui, run: &Run| {
        ui.label(RichText::new(format!("Run {}", run.number)).strong());
        ui.add(egui::Label::new(format!("{} · {}", run.backend, run.input)).wrap());
        let latency = run
            .latency_ms()
            .map(|ms| format!("{ms:.1} ms"))
            .unwrap_or_else(|| "—".into());
        ui.add(egui::Label::new(format!("{} ({latency})", run.summary)).wrap());
        let text = if run.raw_view.is_empty() {
            run.summary.as_str()
        } else {
            run.raw_view.as_str()
        };
        code_block_ui(ui, ("compare", run.number), text, 200.0);
    };
    // Columns lay out justified, which would spread wrapped text letter by letter: each
    // column's content goes in a plain top-down Ui.
    ui.columns(2, |cols| {
        if let [left, right] = cols {
            left.vertical(|ui| column(ui, a));
            right.vertical(|ui| column(ui, b));
        }
    });
}

pub(super) fn history_ui(ui: &mut Ui, state: &mut PredictState, commands: &mut Vec<Command>) {
    section_ui(ui, "History (this session)");
    let busy = state.running.is_some();
    let mut toggled = None;
    table_scroll_ui(ui, "history", 240.0, |ui| {
        egui::Grid::new("history_grid")
            .striped(true)
            .num_columns(6)
            .show(ui, |ui| {
                // The actions first, so they stay in sight when the half is narrow.
                for h in ["", "#", "Backend", "Input", "Answer", "Latency"] {
                    ui.label(RichText::new(h).strong());
                }
                ui.end_row();
                for (i, run) in state.history.iter().enumerate().rev() {
                    ui.horizontal(|ui| {
                        if ui
                            .add_enabled(state.shown != Some(i), egui::Button::new("Show").small())
                            .clicked()
                        {
                            commands.push(Command::ShowRun(i));
                        }
                        if ui
                            .add_enabled(!busy, egui::Button::new("Re-run").small())
                            .on_hover_text("Send the same body again with the backend chosen now")
                            .clicked()
                        {
                            commands.push(Command::Rerun(i));
                        }
                        let mut ticked = state.compare.contains(&i);
                        if ui
                            .checkbox(&mut ticked, "Compare")
                            .on_hover_text("Tick two runs to see them side by side")
                            .changed()
                        {
                            toggled = Some(i);
                        }
                    });
                    ui.label(run.number.to_string());
                    ui.label(elided(&run.backend, 24))
                        .on_hover_text(&run.backend);
                    ui.label(format!(
                        "{} · #{}",
                        elided(&run.input, 24),
                        run.input_digest
                    ))
                    .on_hover_text(format!(
                        "{}\nfirst values: {}\nfingerprint #{} (the same for the same input)",
                        run.input, run.input_glimpse, run.input_digest
                    ));
                    match &run.result {
                        Ok(Outcome {
                            reply: Reply::Rejected(r),
                            ..
                        }) => {
                            ui.colored_label(
                                error_color(ui),
                                format!("rejected: HTTP {}", r.status),
                            );
                        }
                        Ok(_) => {
                            ui.label(elided(&run.summary, 44))
                                .on_hover_text(&run.summary);
                        }
                        Err(e) => {
                            let text = e.to_string();
                            let short: String = text.chars().take(60).collect();
                            ui.colored_label(error_color(ui), short).on_hover_text(text);
                        }
                    }
                    match (&run.result, run.latency_ms()) {
                        (Ok(o), Some(ms)) => {
                            ui.label(format!(
                                "{ms:.1} ms{}",
                                if o.cold() { " (cold)" } else { "" }
                            ));
                        }
                        _ => {
                            ui.label("—");
                        }
                    }
                    ui.end_row();
                }
            });
    });
    // Ticking a third run lets the oldest tick go.
    if let Some(i) = toggled {
        if let Some(pos) = state.compare.iter().position(|&c| c == i) {
            state.compare.remove(pos);
        } else {
            state.compare.push(i);
            if state.compare.len() > 2 {
                state.compare.remove(0);
            }
        }
    }
}
