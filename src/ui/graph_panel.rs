//! The Graph tab: what is inside the model's ONNX file (header, inputs and outputs, operators,
//! weights, the signature check), a searchable node list, and the drawn graph (pan and zoom,
//! click a box for its details). The file is read and laid out on a worker; this file only
//! draws what arrived.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use egui::{Pos2, Rect, RichText, Sense, Stroke, Ui, Vec2};

use super::command::Command;
use super::widgets::error_color;
use crate::predict::graph::layout::{BoxKind, Layout};
use crate::predict::graph::{GraphFacts, NodeFacts, ReadProgress};
use crate::session::GraphReport;
use crate::text::human_size;

/// Which part of the tab is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GraphPart {
    /// Header, inputs and outputs, operators, weights, signature check.
    #[default]
    Summary,
    /// Every node, searchable.
    Nodes,
    /// The drawn graph.
    Drawing,
}

/// Where reading the graph stands.
#[derive(Default)]
pub enum GraphStatus {
    /// Not read yet: it is read when the tab is first shown (opening a model never reads it).
    #[default]
    NotRead,
    /// A read was cancelled: read again only when asked.
    Idle,
    /// Being read on a worker.
    Reading {
        /// The file.
        file: String,
        /// Bytes read of the file's size.
        progress: Arc<ReadProgress>,
        /// Set to stop.
        cancel: Arc<AtomicBool>,
    },
    /// Could not be read.
    Failed {
        /// The file.
        file: String,
        /// Why.
        message: String,
    },
    /// Read and laid out.
    Ready {
        /// What is inside, with the signature check.
        report: Arc<GraphReport>,
        /// The drawing.
        layout: Arc<Layout>,
    },
}

/// The Graph tab's view state.
pub struct GraphView {
    /// Where reading stands.
    pub status: GraphStatus,
    /// The part shown.
    pub part: GraphPart,
    /// The node list's filter.
    pub search: String,
    /// The nodes the filter found, for the query they answer (searched again only when the
    /// query or the graph changes, not every frame).
    hits: Option<(String, usize, Vec<usize>)>,
    /// The node whose details are shown.
    pub selected: Option<usize>,
    /// Whether long linear chains are folded in the drawing.
    pub fold_chains: bool,
    /// The drawing's visible region (pan and zoom).
    pub scene_rect: Rect,
    /// Whether the drawing should be fitted to the view on the next frame.
    pub fit: bool,
}

impl Default for GraphView {
    fn default() -> Self {
        Self {
            status: GraphStatus::NotRead,
            part: GraphPart::Summary,
            search: String::new(),
            hits: None,
            selected: None,
            fold_chains: true,
            scene_rect: Rect::NOTHING,
            fit: true,
        }
    }
}

impl GraphView {
    /// The signature mismatches once the graph is read (none before).
    pub fn mismatches(&self) -> &[String] {
        match &self.status {
            GraphStatus::Ready { report, .. } => &report.mismatches,
            _ => &[],
        }
    }
}

/// Draws the Graph tab; `files` are the model's ONNX files.
pub fn graph_ui(ui: &mut Ui, files: &[String], view: &mut GraphView, commands: &mut Vec<Command>) {
    match &view.status {
        GraphStatus::NotRead => {
            // First shown: read the model's ONNX file now (on a worker).
            commands.push(Command::ReadGraph(None));
            ui.horizontal_wrapped(|ui| {
                ui.spinner();
                ui.label("Reading the ONNX file…");
            });
            return;
        }
        GraphStatus::Idle => {
            ui.horizontal_wrapped(|ui| {
                for f in files {
                    if ui.button(format!("Read {f}")).clicked() {
                        commands.push(Command::ReadGraph(Some(f.clone())));
                    }
                }
            });
            return;
        }
        GraphStatus::Reading {
            file,
            progress,
            cancel,
        } => {
            ui.horizontal_wrapped(|ui| {
                ui.spinner();
                let total = progress.total.load(Ordering::Relaxed);
                let read = progress.read.load(Ordering::Relaxed);
                ui.label(format!(
                    "Reading {file}: {} of {}",
                    human_size(read),
                    human_size(total)
                ));
                if ui.button("Cancel").clicked() {
                    cancel.store(true, Ordering::Relaxed);
                }
            });
            if progress.total.load(Ordering::Relaxed) > 0 {
                let total = progress.total.load(Ordering::Relaxed) as f32;
                let read = progress.read.load(Ordering::Relaxed) as f32;
                ui.add(egui::ProgressBar::new((read / total).clamp(0.0, 1.0)));
            }
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_millis(100));
            return;
        }
        GraphStatus::Failed { file, message } => {
            ui.label(RichText::new(message).color(error_color(ui)));
            if ui.button(format!("Read {file} again")).clicked() {
                commands.push(Command::ReadGraph(Some(file.clone())));
            }
            return;
        }
        GraphStatus::Ready { .. } => {}
    }
    let GraphStatus::Ready { report, layout } = &view.status else {
        return;
    };
    let (report, layout) = (report.clone(), layout.clone());
    ui.horizontal_wrapped(|ui| {
        if files.len() > 1 {
            egui::ComboBox::from_id_salt("graph_file")
                .selected_text(report.facts.file.as_str())
                .show_ui(ui, |ui| {
                    for f in files {
                        if ui
                            .selectable_label(*f == report.facts.file, f.as_str())
                            .clicked()
                        {
                            commands.push(Command::ReadGraph(Some(f.clone())));
                        }
                    }
                });
        }
        for (part, title) in [
            (GraphPart::Summary, "Summary"),
            (GraphPart::Nodes, "Nodes"),
            (GraphPart::Drawing, "Drawing"),
        ] {
            let title = match part {
                GraphPart::Nodes => format!("{title} ({})", report.facts.nodes.len()),
                GraphPart::Summary if !report.mismatches.is_empty() => format!("{title} ⚠"),
                _ => title.to_string(),
            };
            if ui.selectable_label(view.part == part, title).clicked() {
                view.part = part;
            }
        }
    });
    ui.separator();
    match view.part {
        GraphPart::Summary => {
            egui::ScrollArea::vertical()
                .id_salt("graph_summary")
                .auto_shrink(false)
                .show(ui, |ui| summary_ui(ui, &report));
        }
        GraphPart::Nodes => nodes_ui(ui, &report.facts, view),
        GraphPart::Drawing => drawing_ui(ui, &report.facts, &layout, view, commands),
    }
}

fn heading(ui: &mut Ui, text: &str) {
    ui.add_space(6.0);
    ui.label(RichText::new(text).strong());
}

fn summary_ui(ui: &mut Ui, report: &GraphReport) {
    let f = &report.facts;
    heading(ui, "Signature check");
    if report.mismatches.is_empty() {
        ui.label("✔ The MLflow signature matches the graph's inputs and outputs.");
    } else {
        ui.label(
            RichText::new(format!(
                "⚠ {}",
                crate::text::count(
                    report.mismatches.len(),
                    "way the signature and the graph disagree:",
                    "ways the signature and the graph disagree:"
                )
            ))
            .color(error_color(ui)),
        );
        for m in &report.mismatches {
            ui.add(egui::Label::new(format!("• {m}")).wrap());
        }
    }
    heading(ui, "File");
    egui::Grid::new("graph_header")
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            let row = |ui: &mut Ui, k: &str, v: String| {
                ui.label(k);
                ui.add(egui::Label::new(v).wrap());
                ui.end_row();
            };
            row(
                ui,
                "File",
                format!("{} ({})", f.file, human_size(f.file_bytes)),
            );
            row(ui, "IR version", f.ir_version.to_string());
            row(ui, "Opsets", f.opset_text());
            let producer = format!("{} {}", f.producer_name, f.producer_version);
            row(ui, "Producer", producer.trim().to_string());
            if !f.graph_name.is_empty() {
                row(ui, "Graph", f.graph_name.clone());
            }
            if !f.doc_string.trim().is_empty() {
                row(ui, "Doc", f.doc_string.trim().to_string());
            }
            for (k, v) in &f.metadata {
                row(ui, &format!("Metadata {k}"), v.clone());
            }
        });
    for (title, values) in [("Inputs", &f.inputs), ("Outputs", &f.outputs)] {
        heading(ui, title);
        egui::Grid::new(("graph_values", title))
            .num_columns(2)
            .striped(true)
            .show(ui, |ui| {
                for v in values {
                    ui.label(RichText::new(&v.name).monospace());
                    ui.add(egui::Label::new(v.type_label()).wrap());
                    ui.end_row();
                }
            });
    }
    heading(ui, &f.operators_text());
    let mut ops: Vec<(&String, &usize)> = f.ops.iter().collect();
    ops.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let most = ops.first().map_or(1, |(_, n)| **n).max(1);
    egui::Grid::new("graph_ops").num_columns(3).show(ui, |ui| {
        for (op, n) in ops.iter().take(40) {
            let unsupported = f.op_type_unsupported(op);
            let text = RichText::new(op.as_str()).monospace();
            ui.label(if unsupported {
                text.color(error_color(ui))
            } else {
                text
            });
            ui.label(n.to_string());
            let width = 160.0 * (**n as f32 / most as f32);
            let (rect, _) = ui.allocate_exact_size(Vec2::new(160.0, 10.0), Sense::hover());
            ui.painter().rect_filled(
                Rect::from_min_size(rect.min, Vec2::new(width.max(2.0), rect.height())),
                2.0,
                ui.visuals().selection.bg_fill,
            );
            ui.end_row();
        }
    });
    if ops.len() > 40 {
        ui.label(format!("… and {} more op types", ops.len() - 40));
    }
    if !f.custom_domains.is_empty() {
        ui.label(format!("Custom domains: {}", f.custom_domains.join(", ")));
    }
    if f.unsupported_ops.is_empty() {
        ui.label("✔ The native runtime (tract) runs every op of this graph.");
    } else {
        ui.add(
            egui::Label::new(
                RichText::new(format!(
                    "The native runtime (tract) cannot run {}: predict with the local MLflow backend.",
                    f.unsupported_ops.join(", ")
                ))
                .color(error_color(ui)),
            )
            .wrap(),
        );
    }
    heading(ui, "Weights");
    ui.label(f.weights_text());
    for e in &f.external_data {
        let text = format!("External data {}: {}", e.file, e.state_text());
        ui.add(
            egui::Label::new(if e.bytes.is_none() && !e.on_server {
                RichText::new(text).color(error_color(ui))
            } else {
                RichText::new(text)
            })
            .wrap(),
        );
    }
}

fn node_name(i: usize, n: &NodeFacts) -> String {
    if n.name.is_empty() {
        format!("#{i}")
    } else {
        n.name.clone()
    }
}

fn node_details_ui(ui: &mut Ui, i: usize, n: &NodeFacts) {
    ui.label(
        RichText::new(format!(
            "{} ({}{})",
            node_name(i, n),
            if n.domain.is_empty() {
                String::new()
            } else {
                format!("{}.", n.domain)
            },
            n.op_type
        ))
        .strong(),
    );
    let list = |v: &[String]| {
        let shown: Vec<&str> = v
            .iter()
            .map(|s| if s.is_empty() { "—" } else { s })
            .collect();
        shown.join(", ")
    };
    egui::Grid::new(("node_details", i))
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            ui.label("Inputs");
            ui.add(egui::Label::new(list(&n.inputs)).wrap());
            ui.end_row();
            ui.label("Outputs");
            ui.add(egui::Label::new(list(&n.outputs)).wrap());
            ui.end_row();
            for (k, v) in &n.attributes {
                ui.label(k);
                ui.add(egui::Label::new(RichText::new(v).monospace()).wrap());
                ui.end_row();
            }
        });
}

fn nodes_ui(ui: &mut Ui, facts: &GraphFacts, view: &mut GraphView) {
    ui.horizontal(|ui| {
        let label = ui.label("Search nodes");
        ui.add(
            egui::TextEdit::singleline(&mut view.search)
                .hint_text("name, op, input or output")
                .desired_width(240.0),
        )
        .labelled_by(label.id);
    });
    // The graph's identity: its address, which changes with each read.
    let graph_id = std::ptr::from_ref(facts) as usize;
    let fresh = view
        .hits
        .as_ref()
        .is_some_and(|(q, id, _)| *q == view.search && *id == graph_id);
    if !fresh {
        view.hits = Some((view.search.clone(), graph_id, facts.search(&view.search)));
    }
    let hits: &[usize] = view.hits.as_ref().map_or(&[], |(_, _, h)| h.as_slice());
    ui.label(format!("{} of {} nodes", hits.len(), facts.nodes.len()));
    if let Some(i) = view.selected
        && let Some(n) = facts.nodes.get(i)
    {
        egui::Frame::group(ui.style()).show(ui, |ui| node_details_ui(ui, i, n));
    }
    let row_h = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
    egui::ScrollArea::both()
        .id_salt("graph_nodes")
        .auto_shrink(false)
        .show_rows(ui, row_h, hits.len(), |ui, range| {
            for &i in hits.get(range).unwrap_or_default() {
                let Some(n) = facts.nodes.get(i) else {
                    continue;
                };
                let text = format!(
                    "{}  {}  ({}) -> ({})",
                    node_name(i, n),
                    n.op_type,
                    n.inputs.join(", "),
                    n.outputs.join(", ")
                );
                if ui
                    .selectable_label(view.selected == Some(i), crate::text::elide(&text, 200))
                    .clicked()
                {
                    view.selected = Some(i);
                }
            }
        });
}

/// The height kept for a clicked box's details above the drawing.
const DETAILS_HEIGHT: f32 = 110.0;

fn drawing_ui(
    ui: &mut Ui,
    facts: &GraphFacts,
    layout: &Layout,
    view: &mut GraphView,
    commands: &mut Vec<Command>,
) {
    ui.horizontal_wrapped(|ui| {
        let mut fold = view.fold_chains;
        if ui
            .checkbox(&mut fold, "Fold linear chains")
            .on_hover_text("Runs of nodes that each feed only the next are drawn as one box")
            .changed()
        {
            commands.push(Command::FoldGraphChains(fold));
        }
        if ui.button("Fit").clicked() {
            view.fit = true;
        }
        ui.label(format!(
            "{} boxes; drag to pan, scroll or pinch to zoom, click a box for its details",
            layout.boxes.len()
        ));
    });
    let selected_box = view.selected.and_then(|n| layout.box_of_node(n));
    // The details' place is kept whether a box is chosen or not, so a click never moves the
    // drawing (nor changes its zoom with the height left to it).
    egui::Frame::group(ui.style()).show(ui, |ui| {
        egui::ScrollArea::vertical()
            .id_salt("graph_box_details")
            .max_height(DETAILS_HEIGHT)
            .auto_shrink([false, false])
            .show(ui, |ui| {
                match selected_box
                    .and_then(|b| layout.boxes.get(b))
                    .map(|b| &b.kind)
                {
                    Some(BoxKind::Node(i)) => {
                        if let Some(n) = facts.nodes.get(*i) {
                            node_details_ui(ui, *i, n);
                        }
                    }
                    Some(BoxKind::Chain(members)) => {
                        ui.label(
                            RichText::new(format!("{} nodes in a chain", members.len())).strong(),
                        );
                        for &i in members {
                            if let Some(n) = facts.nodes.get(i) {
                                ui.label(format!("{}  {}", node_name(i, n), n.op_type));
                            }
                        }
                    }
                    _ => {
                        ui.label(RichText::new("Click a box for its details.").weak());
                    }
                }
            });
    });
    let size = Vec2::new(layout.size[0].max(1.0), layout.size[1].max(1.0));
    let whole = Rect::from_min_size(Pos2::ZERO, size).expand(20.0);
    if view.fit || view.scene_rect == Rect::NOTHING {
        // Fit the width, never above 1:1, starting at the top (a tall graph is scrolled down).
        let avail = ui.available_size();
        let aspect = avail.y.max(1.0) / avail.x.max(1.0);
        let width = whole.width().max(avail.x);
        view.scene_rect = Rect::from_min_size(whole.min, Vec2::new(width, width * aspect));
        view.fit = false;
    }
    let visuals = ui.visuals().clone();
    let mut clicked: Option<usize> = None;
    // The boxes drawn, where they are on screen: named for assistive technology (and the
    // tests) after the drawing, hover only, so the clicks stay the drawing's.
    let mut named: Vec<(usize, String, Rect)> = Vec::new();
    egui::Frame::canvas(ui.style()).show(ui, |ui| {
        ui.set_min_size(ui.available_size());
        egui::Scene::new()
            .zoom_range(0.02..=4.0)
            .show(ui, &mut view.scene_rect, |ui| {
                let painter = ui.painter();
                let visible = ui.clip_rect().expand(40.0);
                let rect_of = |b: &crate::predict::graph::layout::LaidBox| {
                    Rect::from_min_size(
                        Pos2::new(b.rect[0], b.rect[1]),
                        Vec2::new(b.rect[2], b.rect[3]),
                    )
                };
                let edge_stroke = Stroke::new(1.0, visuals.weak_text_color());
                for &(a, b) in &layout.edges {
                    let (Some(a), Some(b)) = (layout.boxes.get(a), layout.boxes.get(b)) else {
                        continue;
                    };
                    let (ra, rb) = (rect_of(a), rect_of(b));
                    let from = ra.center_bottom();
                    let to = rb.center_top();
                    if !visible.intersects(Rect::from_two_pos(from, to)) {
                        continue;
                    }
                    painter.line_segment([from, to], edge_stroke);
                    // An arrow head.
                    let dir = (to - from).normalized();
                    let side = Vec2::new(-dir.y, dir.x) * 3.5;
                    painter.line_segment([to, to - dir * 7.0 + side], edge_stroke);
                    painter.line_segment([to, to - dir * 7.0 - side], edge_stroke);
                }
                let to_screen = ui
                    .ctx()
                    .layer_transform_to_global(ui.layer_id())
                    .unwrap_or_default();
                let response =
                    ui.interact(visible, ui.scope_id().with("graph_clicks"), Sense::click());
                let pointer = response.interact_pointer_pos();
                for (i, b) in layout.boxes.iter().enumerate() {
                    let r = rect_of(b);
                    if !visible.intersects(r) {
                        continue;
                    }
                    let (fill, text) = match &b.kind {
                        BoxKind::Input(_) | BoxKind::Output(_) => {
                            (visuals.selection.bg_fill, visuals.selection.stroke.color)
                        }
                        BoxKind::Node(n)
                            if facts.nodes.get(*n).is_some_and(|n| facts.is_unsupported(n)) =>
                        {
                            (
                                visuals.error_fg_color.gamma_multiply(0.35),
                                visuals.strong_text_color(),
                            )
                        }
                        BoxKind::Chain(_) => (visuals.faint_bg_color, visuals.strong_text_color()),
                        BoxKind::Node(_) => (visuals.extreme_bg_color, visuals.strong_text_color()),
                    };
                    named.push((i, b.label.clone(), to_screen * r));
                    let selected = Some(i) == selected_box;
                    painter.rect_filled(r, 4.0, fill);
                    painter.rect_stroke(
                        r,
                        4.0,
                        if selected {
                            Stroke::new(2.5, visuals.selection.stroke.color)
                        } else {
                            Stroke::new(1.0, visuals.widgets.noninteractive.bg_stroke.color)
                        },
                        egui::StrokeKind::Inside,
                    );
                    painter.text(
                        r.center(),
                        egui::Align2::CENTER_CENTER,
                        crate::text::elide(&b.label, 40),
                        egui::FontId::proportional(12.0),
                        text,
                    );
                    if response.clicked() && pointer.is_some_and(|p| r.contains(p)) {
                        clicked = Some(i);
                    }
                }
            });
    });
    for (i, label, rect) in named {
        let rect = rect.intersect(ui.clip_rect());
        if rect.is_positive() {
            ui.interact(rect, ui.scope_id().with(("graph_box", i)), Sense::hover())
                .widget_info(|| {
                    egui::WidgetInfo::labeled(egui::Role::GraphicsObject, true, &label)
                });
        }
    }
    if let Some(b) = clicked.and_then(|b| layout.boxes.get(b)) {
        view.selected = match &b.kind {
            BoxKind::Node(n) => Some(*n),
            BoxKind::Chain(ns) => ns.first().copied(),
            _ => view.selected,
        };
    }
}
