//! Two models' answers to the same request, side by side: per output, how far apart they are.
//! Class scores by top-1 agreement and rank changes, tables by their changed cells, other
//! numbers by the largest absolute and relative difference. UI-free; the window's comparison
//! shows it.

use serde_json::Value;

use crate::predict::answer::{Kind, Section, sections};

/// The most changed cells of a table kept (all are counted).
pub const CELLS_KEPT: usize = 200;

/// How two answers differ.
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerDiff {
    /// Each output both answers have, in A's order.
    pub outputs: Vec<OutputDiff>,
    /// Outputs only A's answer has.
    pub only_a: Vec<String>,
    /// Outputs only B's answer has.
    pub only_b: Vec<String>,
}

impl AnswerDiff {
    /// Whether the two answers are the same, value for value.
    pub fn identical(&self) -> bool {
        self.only_a.is_empty()
            && self.only_b.is_empty()
            && self.outputs.iter().all(|o| o.identical())
    }

    /// One line: identical, or each output's difference.
    pub fn summary(&self) -> String {
        if self.identical() {
            return "identical answers".into();
        }
        let mut parts: Vec<String> = self
            .outputs
            .iter()
            .map(|o| match &o.name {
                Some(n) => format!("{n}: {}", o.kind),
                None => o.kind.to_string(),
            })
            .collect();
        if !self.only_a.is_empty() {
            parts.push(format!("only A answers {}", self.only_a.join(", ")));
        }
        if !self.only_b.is_empty() {
            parts.push(format!("only B answers {}", self.only_b.join(", ")));
        }
        parts.join("; ")
    }
}

/// How one output differs.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputDiff {
    /// The output's name (`None` for an unnamed answer).
    pub name: Option<String>,
    /// What differs.
    pub kind: DiffKind,
}

impl OutputDiff {
    /// Whether both sides are the same.
    pub fn identical(&self) -> bool {
        match &self.kind {
            DiffKind::Scores { numbers, .. } | DiffKind::Numbers(numbers) => numbers.differing == 0,
            DiffKind::Table { changed, rows, .. } => *changed == 0 && rows.0 == rows.1,
            DiffKind::Shape { .. } => false,
        }
    }
}

/// The numbers of two outputs compared one to one.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NumberDiff {
    /// Pairs of numbers compared.
    pub compared: usize,
    /// Pairs that are not equal.
    pub differing: usize,
    /// The largest |a − b|.
    pub max_abs: f64,
    /// The largest |a − b| / max(|a|, |b|).
    pub max_rel: f64,
    /// Where the largest absolute difference is (`[0][2]`).
    pub at: String,
}

/// A changed cell of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct CellChange {
    /// The row (0-based).
    pub row: usize,
    /// The column.
    pub column: String,
    /// A's value, as JSON text.
    pub a: String,
    /// B's value, as JSON text.
    pub b: String,
}

/// What differs in one output.
#[derive(Debug, Clone, PartialEq)]
pub enum DiffKind {
    /// Rows of class scores on both sides, the same number of classes.
    Scores {
        /// Rows compared.
        rows: usize,
        /// Rows whose highest-scoring class is the same.
        top1_agree: usize,
        /// Rows whose classes are ranked in another order.
        rank_changes: usize,
        /// The scores themselves.
        numbers: NumberDiff,
        /// The classes' names, when the model records one for each class (for saying where
        /// the largest gap is).
        classes: Option<Vec<String>>,
    },
    /// Tables on both sides.
    Table {
        /// Rows of A and of B.
        rows: (usize, usize),
        /// How many cells differ (over the rows and columns both have).
        changed: usize,
        /// The first [`CELLS_KEPT`] changed cells.
        cells: Vec<CellChange>,
        /// The cells that are numbers on both sides.
        numbers: NumberDiff,
    },
    /// Numbers of the same structure.
    Numbers(NumberDiff),
    /// Not the same structure: where they part and what each has there.
    Shape {
        /// Where they part.
        at: String,
        /// What A has there.
        a: String,
        /// What B has there.
        b: String,
    },
}

impl std::fmt::Display for DiffKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let numbers = |f: &mut std::fmt::Formatter<'_>, n: &NumberDiff, at: &str| {
            if n.differing == 0 {
                write!(f, "all {} values equal", n.compared)
            } else {
                write!(
                    f,
                    "{} of {} values differ, max abs difference {}, max rel difference {} (at {at})",
                    n.differing,
                    n.compared,
                    crate::text::short_number(n.max_abs),
                    crate::text::short_number(n.max_rel),
                )
            }
        };
        match self {
            DiffKind::Scores {
                rows,
                top1_agree,
                rank_changes,
                numbers: n,
                classes,
            } => {
                write!(
                    f,
                    "top-1 agrees on {top1_agree} of {}, ranks change in {rank_changes}; ",
                    crate::text::count(*rows, "row", "rows")
                )?;
                numbers(f, n, &score_place(&n.at, classes.as_deref()))
            }
            DiffKind::Table {
                rows: (ra, rb),
                changed,
                numbers: n,
                ..
            } => {
                if ra != rb {
                    write!(f, "{ra} rows against {rb}; ")?;
                }
                write!(
                    f,
                    "{}",
                    crate::text::count(*changed, "changed cell", "changed cells")
                )?;
                if n.differing > 0 {
                    write!(
                        f,
                        ", max abs difference {}, max rel difference {}",
                        crate::text::short_number(n.max_abs),
                        crate::text::short_number(n.max_rel)
                    )?;
                }
                Ok(())
            }
            DiffKind::Numbers(n) => numbers(f, n, &n.at),
            DiffKind::Shape { at, a, b } => {
                write!(f, "different shapes at {at}: {a} against {b}")
            }
        }
    }
}

/// Where in a score matrix a gap is (`[3][1]`), in words: `row 3, class 1`, or with the class's
/// name when the model records them (`row 3, flower (class 1)`).
fn score_place(at: &str, classes: Option<&[String]>) -> String {
    let parts: Vec<usize> = at
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split("][")
        .filter_map(|p| p.parse().ok())
        .collect();
    match parts.as_slice() {
        [row, class] => match classes
            .and_then(|c| c.get(*class))
            .filter(|n| !n.is_empty())
        {
            Some(name) => format!("row {row}, {name} (class {class})"),
            None => format!("row {row}, class {class}"),
        },
        _ => at.to_string(),
    }
}

/// Compares A's predictions with B's (each the value of `predictions`), output by output:
/// outputs are matched by name (an unnamed answer with an unnamed one). `classes` names the
/// score columns where the model records its class names.
pub fn compare_answers(a: &Value, b: &Value, classes: Option<&[String]>) -> AnswerDiff {
    let (sa, sb) = (sections(a), sections(b));
    let mut outputs = Vec::new();
    let mut only_a = Vec::new();
    for x in &sa {
        match sb.iter().find(|y| y.name == x.name) {
            Some(y) => {
                let (va, vb) = (value_of(a, x), value_of(b, y));
                outputs.push(OutputDiff {
                    name: x.name.clone(),
                    kind: output_diff(x, y, va, vb, classes),
                });
            }
            None => only_a.push(x.name.clone().unwrap_or_else(|| "the answer".into())),
        }
    }
    let only_b = sb
        .iter()
        .filter(|y| !sa.iter().any(|x| x.name == y.name))
        .map(|y| y.name.clone().unwrap_or_else(|| "the answer".into()))
        .collect();
    AnswerDiff {
        outputs,
        only_a,
        only_b,
    }
}

/// The part of the predictions a section was read from.
fn value_of<'a>(predictions: &'a Value, section: &Section) -> &'a Value {
    match (&section.name, predictions) {
        (Some(n), Value::Object(map)) => map.get(n).unwrap_or(predictions),
        _ => predictions,
    }
}

fn output_diff(
    x: &Section,
    y: &Section,
    va: &Value,
    vb: &Value,
    classes: Option<&[String]>,
) -> DiffKind {
    match (&x.kind, &y.kind) {
        (Kind::Scores(ra), Kind::Scores(rb))
            if ra.len() == rb.len()
                && ra.iter().zip(rb).all(|(p, q)| p.len() == q.len())
                && x.classes == y.classes =>
        {
            let mut numbers = NumberDiff::default();
            let mut top1_agree = 0;
            let mut rank_changes = 0;
            for (i, (p, q)) in ra.iter().zip(rb).enumerate() {
                if argmax(p) == argmax(q) {
                    top1_agree += 1;
                }
                if ranking(p) != ranking(q) {
                    rank_changes += 1;
                }
                for (j, (u, v)) in p.iter().zip(q).enumerate() {
                    let at = || format!("[{i}][{j}]");
                    match (u, v) {
                        (Some(u), Some(v)) => numbers.add(*u, *v, at),
                        (None, None) => numbers.compared += 1,
                        _ => numbers.add(f64::NAN, 0.0, at),
                    }
                }
            }
            let width = ra.first().map_or(0, Vec::len);
            DiffKind::Scores {
                rows: ra.len(),
                top1_agree,
                rank_changes,
                numbers,
                classes: classes.filter(|c| c.len() == width).map(<[String]>::to_vec),
            }
        }
        (Kind::Table { .. }, Kind::Table { .. }) => table_diff(va, vb),
        _ => match crate::predict::answer::compare(va, vb) {
            crate::predict::answer::Difference::Shape { at, a, b } => DiffKind::Shape { at, a, b },
            _ => {
                let mut numbers = NumberDiff::default();
                walk(va, vb, &mut String::new(), &mut numbers);
                DiffKind::Numbers(numbers)
            }
        },
    }
}

impl NumberDiff {
    /// Counts one pair; a NaN on one side only counts as differing without a size.
    fn add(&mut self, a: f64, b: f64, at: impl FnOnce() -> String) {
        self.compared += 1;
        if a == b || (a.is_nan() && b.is_nan()) {
            return;
        }
        self.differing += 1;
        let abs = (a - b).abs();
        if abs.is_finite() {
            let rel = abs / a.abs().max(b.abs());
            if abs > self.max_abs || self.at.is_empty() {
                self.max_abs = self.max_abs.max(abs);
                self.at = at();
            }
            if rel.is_finite() {
                self.max_rel = self.max_rel.max(rel);
            }
        } else if self.at.is_empty() {
            self.at = at();
        }
    }
}

/// Walks two values of the same structure (checked before), comparing their leaves: numbers
/// by size, anything else by equality.
fn walk(a: &Value, b: &Value, path: &mut String, out: &mut NumberDiff) {
    match (a, b) {
        (Value::Array(x), Value::Array(y)) => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                walk(p, q, path, out);
                path.truncate(len);
            }
        }
        (Value::Object(x), Value::Object(y)) => {
            for (k, p) in x {
                if let Some(q) = y.get(k) {
                    let len = path.len();
                    path.push_str(&format!("[{k:?}]"));
                    walk(p, q, path, out);
                    path.truncate(len);
                }
            }
        }
        (Value::Number(p), Value::Number(q)) => {
            let at = || {
                if path.is_empty() {
                    "the top".to_string()
                } else {
                    path.clone()
                }
            };
            out.add(
                p.as_f64().unwrap_or(f64::NAN),
                q.as_f64().unwrap_or(f64::NAN),
                at,
            );
        }
        (p, q) => {
            out.compared += 1;
            if p != q {
                out.differing += 1;
                if out.at.is_empty() {
                    out.at = path.clone();
                }
            }
        }
    }
}

fn argmax(row: &[Option<f64>]) -> Option<usize> {
    row.iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| (i, v)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
}

/// The classes from the highest score down.
fn ranking(row: &[Option<f64>]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..row.len()).collect();
    order.sort_by(|&i, &j| {
        let (u, v) = (
            row[i].unwrap_or(f64::NEG_INFINITY),
            row[j].unwrap_or(f64::NEG_INFINITY),
        );
        v.total_cmp(&u).then(i.cmp(&j))
    });
    order
}

/// A table's rows as cells by column: records by key, lists by position, a scalar as one
/// `prediction` cell.
fn table_rows(v: &Value) -> Vec<Vec<(String, Value)>> {
    let Value::Array(items) = v else {
        return vec![vec![("prediction".into(), v.clone())]];
    };
    items
        .iter()
        .map(|item| match item {
            Value::Object(map) => map.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            Value::Array(cells) if cells.len() == 1 => {
                vec![("prediction".into(), cells[0].clone())]
            }
            Value::Array(cells) => cells
                .iter()
                .enumerate()
                .map(|(i, c)| (i.to_string(), c.clone()))
                .collect(),
            other => vec![("prediction".into(), other.clone())],
        })
        .collect()
}

fn table_diff(va: &Value, vb: &Value) -> DiffKind {
    let (ra, rb) = (table_rows(va), table_rows(vb));
    let mut changed = 0;
    let mut cells = Vec::new();
    let mut numbers = NumberDiff::default();
    for (row, (p, q)) in ra.iter().zip(&rb).enumerate() {
        for (column, a) in p {
            let b = q.iter().find(|(c, _)| c == column).map(|(_, v)| v);
            let same = match (a, b) {
                (Value::Number(x), Some(Value::Number(y))) => {
                    let nan = f64::NAN;
                    let (x, y) = (x.as_f64().unwrap_or(nan), y.as_f64().unwrap_or(nan));
                    numbers.add(x, y, || format!("row {row} {column}"));
                    x == y
                }
                (x, Some(y)) => x == y,
                (_, None) => false,
            };
            if !same {
                changed += 1;
                if cells.len() < CELLS_KEPT {
                    cells.push(CellChange {
                        row,
                        column: column.clone(),
                        a: a.to_string(),
                        b: b.map_or_else(|| "(none)".into(), Value::to_string),
                    });
                }
            }
        }
    }
    DiffKind::Table {
        rows: (ra.len(), rb.len()),
        changed,
        cells,
        numbers,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scores_give_top1_agreement_rank_changes_and_the_largest_gaps() {
        let a = json!([[0.7, 0.2, 0.1], [0.1, 0.5, 0.4], [0.3, 0.3, 0.4]]);
        let b = json!([[0.6, 0.3, 0.1], [0.1, 0.4, 0.5], [0.3, 0.3, 0.4]]);
        let d = compare_answers(&a, &b, None);
        let DiffKind::Scores {
            rows,
            top1_agree,
            rank_changes,
            numbers,
            ..
        } = &d.outputs[0].kind
        else {
            panic!("{d:?}");
        };
        assert_eq!((*rows, *top1_agree, *rank_changes), (3, 2, 1));
        assert_eq!(numbers.differing, 4);
        assert!((numbers.max_abs - 0.1).abs() < 1e-12);
        // The largest relative gap: 0.2 against 0.3.
        assert!((numbers.max_rel - 0.1 / 0.3).abs() < 1e-12, "{numbers:?}");
        assert!(!d.identical());
        // Said once, rounded, the place by class name when the model records them.
        assert_eq!(
            d.summary(),
            "top-1 agrees on 2 of 3 rows, ranks change in 1; 4 of 9 values differ, max abs difference 0.1, max rel difference 0.3333 (at row 0, class 0)"
        );
        let names = ["cat".to_string(), "dog".into(), "fox".into()];
        let named = compare_answers(&a, &b, Some(&names));
        assert!(
            named.summary().ends_with("(at row 0, cat (class 0))"),
            "{}",
            named.summary()
        );
        // Names that do not fit the scores are not used.
        let named = compare_answers(&a, &b, Some(&names[..2]));
        assert!(named.summary().ends_with("(at row 0, class 0)"));
    }

    #[test]
    fn tables_list_their_changed_cells() {
        let a = json!([{"label": "setosa", "p": 0.9}, {"label": "virginica", "p": 0.6}]);
        let b = json!([{"label": "setosa", "p": 0.9}, {"label": "versicolor", "p": 0.6}]);
        let d = compare_answers(&a, &b, None);
        let DiffKind::Table {
            rows,
            changed,
            cells,
            numbers,
        } = &d.outputs[0].kind
        else {
            panic!("{d:?}");
        };
        assert_eq!((*rows, *changed), ((2, 2), 1));
        assert_eq!(cells[0].row, 1);
        assert_eq!(cells[0].column, "label");
        assert_eq!(
            (cells[0].a.as_str(), cells[0].b.as_str()),
            ("\"virginica\"", "\"versicolor\"")
        );
        assert_eq!(d.summary(), "1 changed cell");
        assert_eq!((numbers.compared, numbers.differing), (2, 0));
        let d = compare_answers(&json!([10.2, 9.5]), &json!([20.4, 19.0]), None);
        assert_eq!(
            d.summary(),
            "2 changed cells, max abs difference 10.2, max rel difference 0.5"
        );
    }

    #[test]
    fn named_outputs_are_matched_by_name_and_numbers_by_place() {
        let a = json!({"y": [[1.0, 2.0]], "z": [3.0]});
        let b = json!({"y": [[1.0, 2.5]], "w": [3.0]});
        let d = compare_answers(&a, &b, None);
        assert_eq!(d.only_a, ["z"]);
        assert_eq!(d.only_b, ["w"]);
        assert_eq!(d.outputs.len(), 1);
        assert!(d.summary().contains("only A answers z"), "{}", d.summary());
        assert!(!d.identical());
        let same = compare_answers(&a, &a, None);
        assert!(same.identical());
        assert_eq!(same.summary(), "identical answers");
    }

    #[test]
    fn a_different_structure_says_where() {
        let d = compare_answers(&json!([[1.0, 2.0]]), &json!([[1.0, 2.0, 3.0]]), None);
        assert!(matches!(d.outputs[0].kind, DiffKind::Shape { .. }), "{d:?}");
    }
}
