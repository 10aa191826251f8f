//! The frame's own parts: keyboard and drops, the title, the top bar, the error banner, the model's tabs, the opening screen and the drop overlay.

use super::*;

impl InspectorApp {
    pub(super) fn handle_input(&mut self, ctx: &egui::Context) {
        let mut commands = Vec::new();
        let testing = self.loaded.is_some() && self.settings.tab == Tab::Test;
        let evaluating = self.loaded.is_some() && self.settings.tab == Tab::Evaluate;
        let open = self.loaded.is_some();
        ctx.input_mut(|i| {
            // A folder dropped with Shift held is B, beside the open model.
            let shift = i.modifiers.shift;
            if i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::O)) {
                commands.push(Command::PickFolder);
            }
            if i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::W)) {
                commands.push(Command::CloseModel);
            }
            if testing && i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::Enter))
            {
                commands.push(Command::Predict);
            }
            let digits = [
                Key::Num1,
                Key::Num2,
                Key::Num3,
                Key::Num4,
                Key::Num5,
                Key::Num6,
                Key::Num7,
                Key::Num8,
                Key::Num9,
            ];
            for (index, key) in digits.into_iter().enumerate() {
                if i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, key))
                    && let Some(path) = self.settings.recent.get(index)
                {
                    commands.push(Command::Open(path.clone()));
                }
            }
            // An image pasted (Ctrl+V with a picture on the clipboard) on the Test tab.
            if testing {
                for event in &i.events {
                    if let egui::Event::PasteImage(image) = event {
                        commands.push(Command::PasteImage(image.clone()));
                    }
                }
            }
            let mut images = Vec::new();
            let mut data_files = Vec::new();
            for file in &i.raw.dropped_files {
                let path = file.path();
                if path.as_os_str().is_empty() {
                    continue;
                }
                // Image files dropped on the Test tab are inputs, not models.
                let is_image = path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                    crate::input::image::IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str())
                });
                let is_data = path
                    .extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "npy" | "csv"));
                if open && shift {
                    commands.push(Command::CompareOpen(path.to_path_buf()));
                } else if evaluating {
                    // A folder or a table dropped on the Evaluate tab is its dataset.
                    commands.push(Command::EvalDataset(path.to_path_buf()));
                } else if testing && is_image {
                    images.push(path.to_path_buf());
                } else if testing && is_data {
                    data_files.push(path.to_path_buf());
                } else {
                    commands.push(Command::Open(path.to_path_buf()));
                }
            }
            if !images.is_empty() {
                commands.push(Command::AddImages(images));
            }
            if !data_files.is_empty() {
                commands.push(Command::AddDataFiles(data_files));
            }
        });
        self.commands.extend(commands);
    }

    pub(super) fn update_title(&mut self, ctx: &egui::Context) {
        let title = match &self.loaded {
            Some(l) => format!("{} — MLmodel Inspector", l.card.display_name()),
            None => "MLmodel Inspector".to_string(),
        };
        if title != self.title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title = title;
        }
    }

    pub(super) fn top_bar_ui(&mut self, ui: &mut egui::Ui) {
        egui::Panel::top("top_bar").show(ui, |ui| {
            ui.horizontal(|ui| {
                if ui
                    .button("Open model folder…")
                    .on_hover_text("Ctrl+O")
                    .clicked()
                {
                    self.commands.push(Command::PickFolder);
                }
                if ui
                    .button("Open from tracking server…")
                    .on_hover_text(
                        "models:/, runs:/ or mlflow-artifacts:/ URIs, or browse the registry",
                    )
                    .clicked()
                {
                    self.commands.push(Command::ShowTracking(true));
                }
                ui.menu_button("Recent", |ui| {
                    if self.settings.recent.is_empty() {
                        ui.label("No recent models");
                    }
                    for (i, path) in self.settings.recent.iter().enumerate() {
                        if ui
                            .button(format!("{}  {}", i + 1, path.display()))
                            .on_hover_text(format!("Ctrl+{}", i + 1))
                            .clicked()
                        {
                            self.commands.push(Command::Open(path.clone()));
                            ui.close();
                        }
                    }
                });
                if let Some(loaded) = &self.loaded {
                    let a = loaded.folder.clone();
                    ui.menu_button("Compare…", |ui| {
                        ui.label(
                            RichText::new(
                                "Open B beside this model (or drop a folder with Shift held)",
                            )
                            .weak(),
                        );
                        if ui.button("Model folder…").clicked() {
                            self.commands.push(Command::PickCompareFolder);
                            ui.close();
                        }
                        if ui
                            .button("Registry version…")
                            .on_hover_text(
                                "Browse the tracking server; each version offers Compare",
                            )
                            .clicked()
                        {
                            self.commands.push(Command::ShowTracking(true));
                            ui.close();
                        }
                        let recent: Vec<&PathBuf> = self
                            .settings
                            .recent
                            .iter()
                            .filter(|p| std::path::absolute(p).ok().as_ref() != Some(&a))
                            .collect();
                        if !recent.is_empty() {
                            ui.separator();
                            ui.label(RichText::new("Recent").weak());
                        }
                        for path in recent {
                            if ui.button(path.display().to_string()).clicked() {
                                self.commands.push(Command::CompareOpen(path.clone()));
                                ui.close();
                            }
                        }
                    });
                }
                if self.loaded.is_some() && ui.button("Close").on_hover_text("Ctrl+W").clicked() {
                    self.commands.push(Command::CloseModel);
                }
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    let mut theme = self.settings.theme;
                    egui::ComboBox::from_label("Theme")
                        .selected_text(format!("{theme:?}"))
                        .show_ui(ui, |ui| {
                            for choice in [
                                crate::ui::settings::ThemeChoice::System,
                                crate::ui::settings::ThemeChoice::Light,
                                crate::ui::settings::ThemeChoice::Dark,
                            ] {
                                ui.selectable_value(&mut theme, choice, format!("{choice:?}"));
                            }
                        });
                    if theme != self.settings.theme {
                        self.commands.push(Command::SetTheme(theme));
                    }
                });
            });
        });
    }

    pub(super) fn error_banner_ui(&mut self, ui: &mut egui::Ui) {
        let Some(error) = self.error.clone() else {
            return;
        };
        egui::Panel::top("error_banner").show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.colored_label(
                    crate::ui::widgets::error_color(ui),
                    RichText::new("✖").strong(),
                );
                // Dismiss is placed first, at the right edge, so a long message wraps in the
                // width left beside it instead of pushing the button out of the window.
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Min), |ui| {
                    if ui.small_button("Dismiss").clicked() {
                        self.commands.push(Command::DismissError);
                    }
                    ui.with_layout(egui::Layout::top_down(egui::Align::Min), |ui| {
                        ui.add(
                            egui::Label::new(
                                RichText::new(&error).color(crate::ui::widgets::error_color(ui)),
                            )
                            .selectable(true)
                            .wrap(),
                        );
                    });
                });
            });
        });
    }

    pub(super) fn model_ui(&mut self, ui: &mut egui::Ui) {
        let Some(loaded) = &mut self.loaded else {
            return;
        };
        egui::Panel::top("model_header").show(ui, |ui| {
            let graph_warnings: Vec<String> = loaded
                .panels
                .graph
                .mismatches()
                .iter()
                .map(|m| format!("The signature does not match the ONNX graph: {m}"))
                .collect();
            header::header_ui(
                ui,
                &loaded.card,
                loaded.remote.as_ref(),
                &graph_warnings,
                loaded.panels.files.scan.report(),
            );
            ui.add_space(4.0);
            ui.horizontal(|ui| {
                for tab in Tab::ALL {
                    if tab == Tab::Graph && loaded.onnx_files.is_empty() {
                        continue;
                    }
                    if tab == Tab::Compare && !loaded.panels.compare.active() {
                        continue;
                    }
                    let label = match tab {
                        Tab::Graph if !loaded.panels.graph.mismatches().is_empty() => {
                            format!("{} ⚠", tab.title())
                        }
                        Tab::Signature
                            if matches!(
                                loaded.card.signature,
                                crate::model::signature::SignatureState::Invalid { .. }
                            ) =>
                        {
                            format!("{} ⚠", tab.title())
                        }
                        _ => tab.title().to_string(),
                    };
                    if ui
                        .selectable_label(self.settings.tab == tab, label)
                        .clicked()
                    {
                        self.commands.push(Command::SetTab(tab));
                    }
                }
            });
        });
        let preparing = self.tasks.is_running(TaskName::Prepare);
        if self.settings.tab == Tab::Test {
            // Predict and the answer beside the input, so both stay in sight.
            let request_ok = loaded
                .panels
                .test
                .prepared
                .as_ref()
                .is_none_or(|p| p.verdict.is_ok());
            let missing_input = loaded.panels.test.missing_input();
            // Each half keeps its own space at every window size: the divider is the user's
            // (remembered), neither half goes below a usable width, and what does not fit
            // wraps or scrolls inside its half.
            let total = ui.available_width();
            let (min_half, min_input) = (280.0, 300.0);
            let max_width = (total - min_input).max(min_half);
            let share = if self.settings.predict_share > 0.0 {
                self.settings.predict_share
            } else {
                0.5
            };
            let width = (share * total).clamp(min_half, max_width);
            // A new window width lays the divider out anew at the user's proportion.
            if (self.split.0 - total).abs() > 0.5 {
                self.split = (total, self.split.1 + 1);
            }
            let shown = egui::Panel::right(("predict_panel", self.split.1))
                .resizable(true)
                .default_size(width)
                .size_range(min_half..=max_width)
                .show(ui, |ui| {
                    ui.set_clip_rect(ui.max_rect().intersect(ui.clip_rect()));
                    egui::ScrollArea::both()
                        .id_salt("predict_scroll")
                        .auto_shrink(false)
                        .show(ui, |ui| {
                            ui.set_max_width(ui.available_width());
                            crate::ui::predict_panel::predict_ui(
                                ui,
                                &loaded.card,
                                &mut loaded.panels.predict,
                                &mut self.settings,
                                &loaded.log,
                                loaded.server_pid.load(Ordering::Relaxed) > 0,
                                preparing,
                                request_ok,
                                missing_input,
                                &mut self.commands,
                            );
                        });
                });
            // A divider the user moved: its proportion is remembered.
            let dragged = shown.response.rect.width();
            if (dragged - width).abs() > 1.0 && ui.ctx().input(|i| i.pointer.any_down()) {
                self.settings.predict_share = dragged / total;
            }
        }
        egui::CentralPanel::default().show(ui, |ui| {
            ui.set_clip_rect(ui.max_rect().intersect(ui.clip_rect()));
            let card = &loaded.card;
            let panels = &mut loaded.panels;
            let commands = &mut self.commands;
            match self.settings.tab {
                Tab::Flavors => flavors_panel::flavors_ui(ui, card),
                Tab::Signature => signature_panel::signature_ui(ui, card, &mut panels.signature),
                Tab::Environment => {
                    environment_panel::environment_ui(ui, card, &mut panels.environment)
                }
                Tab::Example => example_panel::example_ui(ui, card, &panels.files, commands),
                Tab::Artifacts => {
                    artifacts_panel::artifacts_ui(ui, card, &mut panels.files, commands)
                }
                Tab::Test => test_panel::test_ui(ui, card, &mut panels.test, preparing, commands),
                Tab::Graph if loaded.onnx_files.is_empty() => flavors_panel::flavors_ui(ui, card),
                Tab::Graph => crate::ui::graph_panel::graph_ui(
                    ui,
                    &loaded.onnx_files,
                    &mut panels.graph,
                    commands,
                ),
                Tab::Compare if !panels.compare.active() => flavors_panel::flavors_ui(ui, card),
                Tab::Compare => {
                    panels.predict.ensure_initialized(card);
                    panels.test.ensure_initialized(card);
                    let a = crate::ui::compare_panel::SideA {
                        card,
                        backend: panels
                            .predict
                            .backend
                            .choice(&self.settings.endpoint_url)
                            .label(),
                        missing_input: panels.test.missing_input(),
                        dataset: match &panels.eval.planned {
                            Some(Ok(p)) if !panels.eval.preparing => Some(p.plan.summary.clone()),
                            _ => None,
                        },
                        request: panels.test.prepared.as_ref().map(|p| &p.request),
                    };
                    crate::ui::compare_panel::compare_ui(ui, &a, &mut panels.compare, commands)
                }
                Tab::Evaluate => {
                    panels.predict.ensure_initialized(card);
                    let backend = panels
                        .predict
                        .backend
                        .choice(&self.settings.endpoint_url)
                        .label();
                    crate::ui::eval_panel::eval_ui(
                        ui,
                        &mut panels.eval,
                        &mut self.settings.eval,
                        &backend,
                        commands,
                    )
                }
            }
        });
        // The trust question, whichever tab asked it, over the window.
        if let Some(question) = &mut loaded.panels.trust {
            crate::ui::trust_prompt::trust_prompt_ui(ui.ctx(), question, &mut self.commands);
        }
    }

    pub(super) fn opening_ui(&mut self, ui: &mut egui::Ui) {
        let Some(path) = self.opening.clone() else {
            return;
        };
        egui::Panel::bottom("opening").show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(format!("Opening {}…", path.display()));
                if ui.button("Cancel").clicked() {
                    self.commands.push(Command::CancelOpen);
                }
            });
        });
    }

    pub(super) fn drop_overlay_ui(&self, ui: &mut egui::Ui) {
        let hovering = ui.ctx().input(|i| !i.raw.hovered_files.is_empty());
        if !hovering {
            return;
        }
        let rect = ui.ctx().content_rect();
        let painter = ui.ctx().layer_painter(egui::LayerId::new(
            egui::Order::Foreground,
            egui::Id::unique("drop_overlay"),
        ));
        painter.rect_filled(rect, 0.0, egui::Color32::from_black_alpha(160));
        painter.text(
            rect.center(),
            egui::Align2::CENTER_CENTER,
            "Drop a model folder or its MLmodel file to open it",
            egui::FontId::proportional(22.0),
            egui::Color32::WHITE,
        );
    }
}
