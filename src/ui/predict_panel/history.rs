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
    // A run a row, its parts wrapping whole onto a second line when the half is narrow (a
    // table of six columns was cut at both window sizes): the actions and the number first,
    // then the answer, the input, the time and the backend.
    egui::ScrollArea::vertical()
        .id_salt("history")
        .max_height(240.0)
        .auto_shrink([false, true])
        .show(ui, |ui| {
            for (i, run) in state.history.iter().enumerate().rev() {
                let fill = if i % 2 == 0 {
                    ui.visuals().faint_bg_color
                } else {
                    egui::Color32::TRANSPARENT
                };
                egui::Frame::new()
                    .fill(fill)
                    .inner_margin(egui::Margin::symmetric(4, 2))
                    .show(ui, |ui| {
                        ui.set_width(ui.available_width());
                        ui.horizontal_wrapped(|ui| {
                            ui.label(RichText::new(format!("#{}", run.number)).strong());
                            if ui
                                .add_enabled(
                                    state.shown != Some(i),
                                    egui::Button::new("Show").small(),
                                )
                                .clicked()
                            {
                                commands.push(Command::ShowRun(i));
                            }
                            if ui
                                .add_enabled(!busy, egui::Button::new("Re-run").small())
                                .on_hover_text(
                                    "Send the same body again with the backend chosen now",
                                )
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
                                    ui.colored_label(error_color(ui), elided(&text, 60))
                                        .on_hover_text(text);
                                }
                            }
                        });
                        ui.horizontal_wrapped(|ui| {
                            ui.label(
                                RichText::new(format!(
                                    "{} · #{}",
                                    elided(&run.input, 32),
                                    run.input_digest
                                ))
                                .weak(),
                            )
                            .on_hover_text(format!(
                                "{}\nfirst values: {}\nfingerprint #{} (the same for the same input)",
                                run.input, run.input_glimpse, run.input_digest
                            ));
                            if let (Ok(o), Some(ms)) = (&run.result, run.latency_ms()) {
                                ui.label(
                                    RichText::new(format!(
                                        "{ms:.1} ms{}",
                                        if o.cold() { " (cold)" } else { "" }
                                    ))
                                    .weak(),
                                );
                            }
                            ui.label(RichText::new(elided(&run.backend, 48)).weak())
                                .on_hover_text(&run.backend);
                        });
                    });
            }
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
