//! The graph laid out for drawing, top to bottom: one box per node (long linear chains folded
//! into one box when asked), the graph's inputs on top and its outputs at the bottom, layers by
//! longest path, order within a layer by a few barycentre sweeps. Built on a worker; the view
//! only draws the boxes it can see, so a graph of thousands of nodes stays smooth.

use std::collections::HashMap;

use super::GraphFacts;

/// What a box stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoxKind {
    /// A graph input, by its index in [`GraphFacts::inputs`].
    Input(usize),
    /// A graph output, by its index in [`GraphFacts::outputs`].
    Output(usize),
    /// One node, by its index in [`GraphFacts::nodes`].
    Node(usize),
    /// A linear chain of nodes folded into one box, in order.
    Chain(Vec<usize>),
}

/// A laid-out box: its kind, its text, and where it stands (top-left corner and size).
#[derive(Debug, Clone, PartialEq)]
pub struct LaidBox {
    /// What it stands for.
    pub kind: BoxKind,
    /// Its label (`Conv`, `images`, `Conv … Softmax (12 nodes)`).
    pub label: String,
    /// Left, top, width, height.
    pub rect: [f32; 4],
}

/// The whole drawing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Layout {
    /// The boxes.
    pub boxes: Vec<LaidBox>,
    /// The edges between boxes, from producer to consumer.
    pub edges: Vec<(usize, usize)>,
    /// The drawing's width and height.
    pub size: [f32; 2],
}

/// Chains of at least this many nodes are folded.
pub const CHAIN_MIN: usize = 4;
const BOX_H: f32 = 30.0;
const ROW_GAP: f32 = 44.0;
const COL_GAP: f32 = 18.0;
const CHAR_W: f32 = 7.0;
const BOX_MAX_W: f32 = 260.0;

fn box_width(label: &str) -> f32 {
    (label.chars().count() as f32 * CHAR_W + 20.0).clamp(60.0, BOX_MAX_W)
}

impl Layout {
    /// The box that shows node `node` (a chain's box for a folded node).
    pub fn box_of_node(&self, node: usize) -> Option<usize> {
        self.boxes.iter().position(|b| match &b.kind {
            BoxKind::Node(n) => *n == node,
            BoxKind::Chain(ns) => ns.contains(&node),
            _ => false,
        })
    }
}

/// Lays out `facts`' graph; `fold_chains` folds runs of at least [`CHAIN_MIN`] nodes that
/// each feed only the next.
pub fn layout(facts: &GraphFacts, fold_chains: bool) -> Layout {
    let n_nodes = facts.nodes.len();
    // Units: graph inputs, nodes, graph outputs.
    let input_base = 0;
    let node_base = facts.inputs.len();
    let output_base = node_base + n_nodes;
    let units = output_base + facts.outputs.len();
    let mut producer: HashMap<&str, usize> = HashMap::new();
    for (i, v) in facts.inputs.iter().enumerate() {
        producer.insert(v.name.as_str(), input_base + i);
    }
    for (i, n) in facts.nodes.iter().enumerate() {
        for o in n.outputs.iter().filter(|o| !o.is_empty()) {
            producer.insert(o.as_str(), node_base + i);
        }
    }
    let mut preds: Vec<Vec<usize>> = vec![Vec::new(); units];
    let mut succs: Vec<Vec<usize>> = vec![Vec::new(); units];
    let mut link = |from: usize, to: usize, preds: &mut Vec<Vec<usize>>| {
        if from != to && !succs[from].contains(&to) {
            succs[from].push(to);
            preds[to].push(from);
        }
    };
    for (i, n) in facts.nodes.iter().enumerate() {
        for input in n.inputs.iter().filter(|x| !x.is_empty()) {
            if let Some(&p) = producer.get(input.as_str()) {
                link(p, node_base + i, &mut preds);
            }
        }
    }
    for (i, v) in facts.outputs.iter().enumerate() {
        if let Some(&p) = producer.get(v.name.as_str()) {
            link(p, output_base + i, &mut preds);
        }
    }

    // Fold chains: a node whose only consumer has it as its only producer joins it.
    let is_node = |u: usize| (node_base..output_base).contains(&u);
    let mut group_of: Vec<usize> = (0..units).collect();
    let mut groups: Vec<Vec<usize>> = (0..units).map(|u| vec![u]).collect();
    if fold_chains {
        let mut assigned = vec![false; units];
        for u in node_base..output_base {
            if assigned[u] {
                continue;
            }
            // Start only at a chain's head.
            let joins_prev = |x: usize| {
                preds[x].len() == 1 && is_node(preds[x][0]) && succs[preds[x][0]].len() == 1
            };
            if joins_prev(u) {
                continue;
            }
            let mut chain = vec![u];
            let mut cur = u;
            while succs[cur].len() == 1 {
                let next = succs[cur][0];
                if !is_node(next) || !joins_prev(next) || assigned[next] {
                    break;
                }
                chain.push(next);
                cur = next;
            }
            if chain.len() >= CHAIN_MIN {
                for &c in &chain {
                    assigned[c] = true;
                    group_of[c] = u;
                }
                groups[u] = chain.clone();
                for &c in chain.iter().skip(1) {
                    groups[c].clear();
                }
            }
        }
    }
    // Boxes: one per non-empty group, in unit order.
    let mut box_of_unit = vec![usize::MAX; units];
    let mut members: Vec<Vec<usize>> = Vec::new();
    for g in groups.iter().filter(|g| !g.is_empty()) {
        let b = members.len();
        for &m in g {
            box_of_unit[m] = b;
        }
        members.push(g.clone());
    }
    for u in 0..units {
        if box_of_unit[u] == usize::MAX {
            box_of_unit[u] = box_of_unit[group_of[u]];
        }
    }
    let n_boxes = members.len();
    let mut bsuccs: Vec<Vec<usize>> = vec![Vec::new(); n_boxes];
    let mut bpreds: Vec<Vec<usize>> = vec![Vec::new(); n_boxes];
    let mut edges = Vec::new();
    for (u, ss) in succs.iter().enumerate() {
        for &s in ss {
            let (a, b) = (box_of_unit[u], box_of_unit[s]);
            if a != b && !bsuccs[a].contains(&b) {
                bsuccs[a].push(b);
                bpreds[b].push(a);
                edges.push((a, b));
            }
        }
    }

    // Layers by longest path (Kahn's order; anything left in a cycle goes below).
    let mut indegree: Vec<usize> = bpreds.iter().map(Vec::len).collect();
    let mut layer = vec![0usize; n_boxes];
    let mut queue: std::collections::VecDeque<usize> =
        (0..n_boxes).filter(|&b| indegree[b] == 0).collect();
    let mut seen = 0;
    while let Some(b) = queue.pop_front() {
        seen += 1;
        for &s in &bsuccs[b] {
            layer[s] = layer[s].max(layer[b] + 1);
            indegree[s] -= 1;
            if indegree[s] == 0 {
                queue.push_back(s);
            }
        }
    }
    if seen < n_boxes {
        let deepest = layer.iter().copied().max().unwrap_or(0);
        for b in 0..n_boxes {
            if indegree[b] > 0 {
                layer[b] = deepest + 1;
            }
        }
    }
    // Outputs at the bottom.
    let bottom = layer.iter().copied().max().unwrap_or(0);
    for (b, m) in members.iter().enumerate() {
        if m.first().is_some_and(|&u| u >= output_base) {
            layer[b] = bottom.max(1);
        }
    }
    let n_layers = layer.iter().copied().max().map_or(0, |m| m + 1);
    let mut rows: Vec<Vec<usize>> = vec![Vec::new(); n_layers];
    for b in 0..n_boxes {
        rows[layer[b]].push(b);
    }
    // Barycentre sweeps, down then up.
    let mut pos = vec![0.0f32; n_boxes];
    let renumber = |rows: &Vec<Vec<usize>>, pos: &mut Vec<f32>| {
        for row in rows {
            for (i, &b) in row.iter().enumerate() {
                pos[b] = i as f32;
            }
        }
    };
    renumber(&rows, &mut pos);
    for sweep in 0..4 {
        let down = sweep % 2 == 0;
        let order: Vec<usize> = if down {
            (1..n_layers).collect()
        } else {
            (0..n_layers.saturating_sub(1)).rev().collect()
        };
        for l in order {
            let key = |b: usize| -> f32 {
                let near = if down { &bpreds[b] } else { &bsuccs[b] };
                if near.is_empty() {
                    pos[b]
                } else {
                    near.iter().map(|&x| pos[x]).sum::<f32>() / near.len() as f32
                }
            };
            let mut keyed: Vec<(f32, usize)> = rows[l].iter().map(|&b| (key(b), b)).collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
            rows[l] = keyed.into_iter().map(|(_, b)| b).collect();
            for (i, &b) in rows[l].iter().enumerate() {
                pos[b] = i as f32;
            }
        }
    }

    // Labels and positions: each row centred on the widest.
    let labels: Vec<String> = members
        .iter()
        .map(|m| label_of(facts, m, node_base, output_base))
        .collect();
    let widths: Vec<f32> = labels.iter().map(|l| box_width(l)).collect();
    let row_width = |row: &Vec<usize>| -> f32 {
        row.iter().map(|&b| widths[b]).sum::<f32>() + COL_GAP * row.len().saturating_sub(1) as f32
    };
    let widest = rows.iter().map(row_width).fold(0.0f32, f32::max);
    let mut rects = vec![[0.0f32; 4]; n_boxes];
    for (l, row) in rows.iter().enumerate() {
        let mut x = (widest - row_width(row)) / 2.0;
        let y = l as f32 * (BOX_H + ROW_GAP);
        for &b in row {
            rects[b] = [x, y, widths[b], BOX_H];
            x += widths[b] + COL_GAP;
        }
    }
    let boxes = members
        .iter()
        .zip(labels)
        .zip(&rects)
        .map(|((m, label), rect)| LaidBox {
            kind: kind_of(m, node_base, output_base),
            label,
            rect: *rect,
        })
        .collect();
    Layout {
        boxes,
        edges,
        size: [
            widest,
            n_layers as f32 * (BOX_H + ROW_GAP) - ROW_GAP.min(n_layers as f32 * ROW_GAP),
        ],
    }
}

fn kind_of(members: &[usize], node_base: usize, output_base: usize) -> BoxKind {
    match members {
        [u] if *u < node_base => BoxKind::Input(*u),
        [u] if *u >= output_base => BoxKind::Output(*u - output_base),
        [u] => BoxKind::Node(*u - node_base),
        chain => BoxKind::Chain(chain.iter().map(|u| u - node_base).collect()),
    }
}

fn label_of(facts: &GraphFacts, members: &[usize], node_base: usize, output_base: usize) -> String {
    let op = |u: usize| {
        facts
            .nodes
            .get(u - node_base)
            .map_or("?", |n| n.op_type.as_str())
    };
    match members {
        [u] if *u < node_base => facts
            .inputs
            .get(*u)
            .map_or_else(String::new, |v| v.name.clone()),
        [u] if *u >= output_base => facts
            .outputs
            .get(*u - output_base)
            .map_or_else(String::new, |v| v.name.clone()),
        [u] => op(*u).to_string(),
        chain => {
            let first = chain.first().map_or("?", |&u| op(u));
            let last = chain.last().map_or("?", |&u| op(u));
            format!("{first} … {last} ({} nodes)", chain.len())
        }
    }
}
