//! What an answer is, for showing it: `{"predictions": ...}` split into sections (one per named
//! output), each read as class scores, a table, images or a plain value. UI-free.

use serde_json::Value;

/// The most rows of an answer a table keeps (see [`Kind::Table`]).
pub const TABLE_ROWS_KEPT: usize = 10_000;

/// Rows of class scores (`None` for NaN or a missing value).
pub type ScoreRows = Vec<Vec<Option<f64>>>;

/// How a section of the answer is best shown.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// Rows of class scores (`[N, C]` numbers): sorted bars.
    Scores(Vec<Vec<Option<f64>>>),
    /// Records or one value per row: a table.
    Table {
        /// Column names.
        columns: Vec<String>,
        /// Cells of the first rows, at most [`TABLE_ROWS_KEPT`] (the rest are in the answer's
        /// JSON): a view shows a few hundred, and a copy of every cell of a long answer would
        /// take many times its size.
        rows: Vec<Vec<Value>>,
        /// How many rows the answer has.
        total: usize,
    },
    /// Image-shaped numbers: one picture per batch item.
    Images(Vec<Picture>),
    /// Anything else: the JSON.
    Value(Value),
}

/// An image made from an output tensor.
#[derive(Debug, Clone, PartialEq)]
pub struct Picture {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// RGBA bytes, row by row.
    pub rgba: Vec<u8>,
}

/// One part of the answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// The output's name (`None` for an unnamed answer).
    pub name: Option<String>,
    /// The shape, when the value is a rectangular array (`[1, 2]`).
    pub shape: Option<Vec<usize>>,
    /// How to show it.
    pub kind: Kind,
    /// Class names the answer itself gives (the keys of `{label: probability}` maps).
    pub classes: Option<Vec<String>>,
    /// For an answer of class indices (one `prediction` column of whole numbers, as
    /// scikit-learn classifiers answer): how many classes it implies (largest index + 1).
    /// Found once when the answer is read, not at every frame.
    pub indices: Option<usize>,
}

impl Section {
    /// How many classes the section scores or names by index: `(count, exact)`, where
    /// `exact` means names must match the count (scores) rather than cover it (indices).
    pub fn class_count(&self) -> Option<(usize, bool)> {
        match &self.kind {
            Kind::Scores(rows) => rows.first().map(|r| (r.len(), true)),
            _ => self.indices.map(|n| (n, false)),
        }
    }
}

/// Splits predictions into sections: an object that is not a record becomes one section per
/// key.
pub fn sections(predictions: &Value) -> Vec<Section> {
    match predictions {
        Value::Object(map) if !map.is_empty() => map
            .iter()
            .map(|(k, v)| section(Some(k.clone()), v))
            .collect(),
        other => vec![section(None, other)],
    }
}

fn section(name: Option<String>, value: &Value) -> Section {
    let (dims, ragged) = crate::model::example::shape_of(value);
    let shape = (!ragged && value.is_array()).then_some(dims);
    if let Some((classes, rows)) = label_maps(value) {
        return Section {
            name,
            shape,
            kind: Kind::Scores(rows),
            classes: Some(classes),
            indices: None,
        };
    }
    let kind = classify(value, shape.as_deref());
    // Class indices are judged on every row, not only the rows the table keeps.
    let indices = match (&kind, value) {
        (Kind::Table { columns, .. }, Value::Array(items))
            if columns.len() == 1 && columns[0] == "prediction" =>
        {
            crate::model::classes::index_answer(items.iter().map(|v| {
                match v {
                    Value::Array(one) => one.first(),
                    Value::Object(record) => record.get("prediction"),
                    other => Some(other),
                }
                .unwrap_or(&Value::Null)
            }))
        }
        _ => None,
    };
    Section {
        name,
        shape,
        kind,
        classes: None,
        indices,
    }
}

/// A list of `{label: probability}` maps with the same labels (skl2onnx's ZipMap, many
/// classifiers' pyfunc answers): the labels and the rows of scores.
fn label_maps(value: &Value) -> Option<(Vec<String>, ScoreRows)> {
    let items = value.as_array().filter(|a| !a.is_empty())?;
    let first = items.first()?.as_object().filter(|m| m.len() >= 2)?;
    let classes: Vec<String> = first.keys().cloned().collect();
    let mut rows = Vec::with_capacity(items.len());
    for item in items {
        let map = item.as_object()?;
        if map.len() != classes.len() {
            return None;
        }
        let mut row = Vec::with_capacity(classes.len());
        for c in &classes {
            let v = map.get(c)?;
            if !is_number_or_null(v) {
                return None;
            }
            row.push(v.as_f64());
        }
        rows.push(row);
    }
    Some((classes, rows))
}

fn is_number_or_null(v: &Value) -> bool {
    v.is_number() || v.is_null()
}

fn classify(value: &Value, shape: Option<&[usize]>) -> Kind {
    let Value::Array(items) = value else {
        return Kind::Value(value.clone());
    };
    let total = items.len();
    let kept = items.get(..TABLE_ROWS_KEPT).unwrap_or(items);
    if !items.is_empty() && items.iter().all(Value::is_object) {
        let (columns, rows) = crate::model::example::records_to_rows(kept);
        return Kind::Table {
            columns,
            rows,
            total,
        };
    }
    let numeric = || {
        let mut all = true;
        let mut any = false;
        crate::model::example::visit_leaves(value, &mut |leaf| {
            any |= leaf.is_number();
            all &= is_number_or_null(leaf);
        });
        all && any
    };
    match shape {
        Some([_]) => Kind::Table {
            columns: vec!["prediction".into()],
            rows: kept.iter().map(|v| vec![v.clone()]).collect(),
            total,
        },
        Some([_, c]) if *c >= 2 && numeric() => Kind::Scores(
            items
                .iter()
                .map(|row| {
                    row.as_array()
                        .map(|r| r.iter().map(Value::as_f64).collect())
                        .unwrap_or_default()
                })
                .collect(),
        ),
        Some([_, 1]) => Kind::Table {
            columns: vec!["prediction".into()],
            rows: kept
                .iter()
                .map(|v| vec![v.get(0).cloned().unwrap_or(Value::Null)])
                .collect(),
            total,
        },
        Some(dims) if numeric() => match images(value, dims) {
            Some(pictures) => Kind::Images(pictures),
            None => Kind::Value(value.clone()),
        },
        _ => Kind::Value(value.clone()),
    }
}

/// The layout of an image-shaped tensor.
fn image_layout(dims: &[usize]) -> Option<(usize, usize, usize, bool)> {
    // (height, width, channels, channels_first) of each batch item.
    let big = |d: usize| d >= 8;
    let chan = |d: usize| matches!(d, 1 | 3 | 4);
    match dims {
        [_, h, w] if big(*h) && big(*w) => Some((*h, *w, 1, false)),
        [_, h, w, c] if big(*h) && big(*w) && chan(*c) => Some((*h, *w, *c, false)),
        [_, c, h, w] if chan(*c) && big(*h) && big(*w) => Some((*h, *w, *c, true)),
        _ => None,
    }
}

/// Image-shaped numbers as pictures (values in 0–1 scaled to 0–255; others clamped).
fn images(value: &Value, dims: &[usize]) -> Option<Vec<Picture>> {
    let (h, w, c, chw) = image_layout(dims)?;
    let mut flat = Vec::with_capacity(dims.iter().product());
    crate::model::example::visit_leaves(value, &mut |leaf| {
        flat.push(leaf.as_f64().unwrap_or(0.0));
    });
    let (lo, hi) = flat
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        });
    let scale = if lo >= 0.0 && hi <= 1.0 { 255.0 } else { 1.0 };
    let per = h * w * c;
    let pictures = flat
        .chunks(per)
        .filter(|chunk| chunk.len() == per)
        .take(16)
        .map(|item| {
            let mut rgba = Vec::with_capacity(h * w * 4);
            for y in 0..h {
                for x in 0..w {
                    let at = |ch: usize| {
                        let i = if chw {
                            ch * h * w + y * w + x
                        } else {
                            (y * w + x) * c + ch
                        };
                        let v = item.get(i).copied().unwrap_or(0.0) * scale;
                        v.clamp(0.0, 255.0).round() as u8
                    };
                    let (r, g, b, a) = match c {
                        1 => (at(0), at(0), at(0), 255),
                        3 => (at(0), at(1), at(2), 255),
                        _ => (at(0), at(1), at(2), at(3)),
                    };
                    rgba.extend([r, g, b, a]);
                }
            }
            Picture {
                width: w,
                height: h,
                rgba,
            }
        })
        .collect();
    Some(pictures)
}

/// How class scores are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum ScoreMode {
    /// As the model gave them.
    #[default]
    Raw,
    /// Softmax over each row (for logits).
    Softmax,
    /// Sigmoid of each value (for independent logits).
    Sigmoid,
}

impl ScoreMode {
    /// A label for the UI.
    pub fn label(self) -> &'static str {
        match self {
            Self::Raw => "raw",
            Self::Softmax => "softmax",
            Self::Sigmoid => "sigmoid",
        }
    }
}

/// Whether a row already is a probability distribution (all in 0–1, summing to about 1).
pub fn is_distribution(row: &[Option<f64>]) -> bool {
    let values: Vec<f64> = row.iter().flatten().copied().collect();
    !values.is_empty()
        && values.iter().all(|v| (0.0..=1.0).contains(v))
        && (values.iter().sum::<f64>() - 1.0).abs() < 1e-3
}

/// A row of scores read the chosen way (`None` for non-finite values).
pub fn transform(row: &[Option<f64>], mode: ScoreMode) -> Vec<Option<f64>> {
    match mode {
        ScoreMode::Raw => row.to_vec(),
        ScoreMode::Sigmoid => row
            .iter()
            .map(|v| v.map(|x| 1.0 / (1.0 + (-x).exp())))
            .collect(),
        ScoreMode::Softmax => {
            let max = row
                .iter()
                .flatten()
                .copied()
                .fold(f64::NEG_INFINITY, f64::max);
            let exps: Vec<Option<f64>> = row.iter().map(|v| v.map(|x| (x - max).exp())).collect();
            let sum: f64 = exps.iter().flatten().sum();
            exps.into_iter().map(|e| e.map(|x| x / sum)).collect()
        }
    }
}

/// The `k` highest scores of a row as (class index, score), highest first; non-finite values
/// last.
pub fn top_k(row: &[Option<f64>], k: usize) -> Vec<(usize, Option<f64>)> {
    let mut indexed: Vec<(usize, Option<f64>)> = row.iter().copied().enumerate().collect();
    indexed.sort_by(|a, b| match (a.1, b.1) {
        (Some(x), Some(y)) => y.total_cmp(&x),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.0.cmp(&b.0),
    });
    indexed.truncate(k);
    indexed
}

/// Reads a labels file: one label a line (blank lines kept as empty labels, a trailing newline
/// ignored).
pub fn parse_labels(text: &str) -> Vec<String> {
    text.lines().map(|l| l.trim().to_string()).collect()
}

/// A one-line summary of an answer, for the history.
pub fn summary(predictions: &Value) -> String {
    summary_named(predictions, None)
}

/// [`summary`], with the top class named when `classes` has a name for each score column
/// (`top class flower (class 1, 0.913)`).
pub fn summary_named(predictions: &Value, classes: Option<&[String]>) -> String {
    let parts: Vec<String> = sections(predictions)
        .iter()
        .map(|s| {
            let name = s
                .name
                .as_deref()
                .map(|n| format!("{n}: "))
                .unwrap_or_default();
            let what = match &s.kind {
                Kind::Scores(rows) => {
                    let first = rows.first().map(|r| {
                        top_k(r, 1)
                            .first()
                            .map(|(i, p)| {
                                let score = p.map_or("NaN".into(), |p| format!("{p:.3}"));
                                match classes
                                    .filter(|c| c.len() == r.len())
                                    .and_then(|c| c.get(*i))
                                    .filter(|n| !n.is_empty())
                                {
                                    Some(name) => format!("top class {name} (class {i}, {score})"),
                                    None => format!("top class {i} ({score})"),
                                }
                            })
                            .unwrap_or_default()
                    });
                    format!(
                        "{} × {} scores, {}",
                        rows.len(),
                        rows.first().map_or(0, Vec::len),
                        first.unwrap_or_default()
                    )
                }
                Kind::Table { columns, total, .. } => {
                    format!(
                        "{} × {}",
                        crate::text::count(*total, "row", "rows"),
                        crate::text::count(columns.len(), "column", "columns")
                    )
                }
                Kind::Images(p) => crate::text::count(p.len(), "image", "images"),
                Kind::Value(v) => crate::model::mlmodel::describe(v),
            };
            format!("{name}{what}")
        })
        .collect();
    parts.join("; ")
}

/// A short fingerprint of a JSON value (six hex digits of FNV-1a over its compact text), so
/// two runs' inputs or answers can be told apart or matched at a glance. Streams the text:
/// a batch of images is hashed without building its JSON string.
pub fn fingerprint(value: &Value) -> String {
    struct Fnv(u64);
    impl std::io::Write for Fnv {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            for b in bytes {
                self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
            }
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut hasher = Fnv(0xcbf2_9ce4_8422_2325);
    // Writing to the hasher cannot fail.
    let _ = serde_json::to_writer(&mut hasher, value);
    format!("{:06x}", hasher.0 >> 40)
}

/// The first `n` scalars of a value, depth first, as they read in JSON: `5.1, 3.5, 1.4, …`.
pub fn first_values(value: &Value, n: usize) -> String {
    fn walk(v: &Value, out: &mut Vec<String>, n: usize, more: &mut bool) {
        if out.len() >= n {
            *more = true;
            return;
        }
        match v {
            Value::Array(items) => items.iter().for_each(|i| walk(i, out, n, more)),
            Value::Object(map) => map.values().for_each(|i| walk(i, out, n, more)),
            Value::String(s) => out.push(format!("\"{}\"", crate::text::elide(s, 16))),
            other => out.push(other.to_string()),
        }
    }
    let (mut out, mut more) = (Vec::new(), false);
    walk(value, &mut out, n, &mut more);
    if more {
        out.push("…".into());
    }
    out.join(", ")
}

/// How two answers differ ([`compare`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Difference {
    /// The same values.
    Identical,
    /// The same structure; some numbers (or other scalars) differ.
    Values {
        /// Scalars compared.
        compared: usize,
        /// Scalars that differ.
        differing: usize,
        /// The largest absolute difference between two numbers (0 when only non-numbers
        /// differ).
        max_abs: f64,
        /// Where the largest difference (or the first differing scalar) is, e.g. `[0][2]`.
        at: String,
    },
    /// Not the same structure: where, and what each side has there.
    Shape {
        /// The first place the two part ways, e.g. `["probabilities"][0]`.
        at: String,
        /// What the first side has there.
        a: String,
        /// What the second side has there.
        b: String,
    },
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Difference::Identical => write!(f, "identical answers"),
            Difference::Values {
                compared,
                differing,
                max_abs,
                at,
            } => {
                write!(
                    f,
                    "{} of {} differ",
                    differing,
                    crate::text::count(*compared, "value", "values")
                )?;
                if *max_abs > 0.0 {
                    write!(f, "; largest difference {max_abs:.6} at {at}")
                } else {
                    write!(f, ", first at {at}")
                }
            }
            Difference::Shape { at, a, b } => {
                write!(f, "different shapes at {at}: {a} against {b}")
            }
        }
    }
}

/// Compares two answers value by value: identical, the same shape with some values apart
/// (how many, the largest gap and where), or a different shape (where it starts).
pub fn compare(a: &Value, b: &Value) -> Difference {
    fn what(v: &Value) -> String {
        match v {
            Value::Array(items) => crate::text::count(items.len(), "item", "items"),
            Value::Object(map) => format!(
                "keys {}",
                map.keys()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            other => crate::text::elide(&other.to_string(), 24),
        }
    }
    struct Walk {
        compared: usize,
        differing: usize,
        max_abs: f64,
        at: Option<String>,
    }
    fn walk(a: &Value, b: &Value, path: &mut String, w: &mut Walk) -> Result<(), Difference> {
        let shape = |path: &str| Difference::Shape {
            at: if path.is_empty() {
                "the top".into()
            } else {
                path.to_string()
            },
            a: what(a),
            b: what(b),
        };
        match (a, b) {
            (Value::Array(x), Value::Array(y)) => {
                if x.len() != y.len() {
                    return Err(shape(path));
                }
                for (i, (p, q)) in x.iter().zip(y).enumerate() {
                    let len = path.len();
                    path.push_str(&format!("[{i}]"));
                    walk(p, q, path, w)?;
                    path.truncate(len);
                }
            }
            (Value::Object(x), Value::Object(y)) => {
                if x.len() != y.len() || x.keys().any(|k| !y.contains_key(k)) {
                    return Err(shape(path));
                }
                for (k, p) in x {
                    let Some(q) = y.get(k) else {
                        return Err(shape(path));
                    };
                    let len = path.len();
                    path.push_str(&format!("[{k:?}]"));
                    walk(p, q, path, w)?;
                    path.truncate(len);
                }
            }
            (Value::Number(p), Value::Number(q)) => {
                w.compared += 1;
                let (p, q) = (
                    p.as_f64().unwrap_or(f64::NAN),
                    q.as_f64().unwrap_or(f64::NAN),
                );
                if p != q {
                    w.differing += 1;
                    let gap = (p - q).abs();
                    if gap > w.max_abs || w.at.is_none() {
                        w.max_abs = w.max_abs.max(gap);
                        w.at = Some(path.clone());
                    }
                }
            }
            (Value::Array(_) | Value::Object(_), _) | (_, Value::Array(_) | Value::Object(_)) => {
                return Err(shape(path));
            }
            (p, q) => {
                w.compared += 1;
                if p != q {
                    w.differing += 1;
                    if w.at.is_none() {
                        w.at = Some(path.clone());
                    }
                }
            }
        }
        Ok(())
    }
    let mut w = Walk {
        compared: 0,
        differing: 0,
        max_abs: 0.0,
        at: None,
    };
    if let Err(shape) = walk(a, b, &mut String::new(), &mut w) {
        return shape;
    }
    if w.differing == 0 {
        return Difference::Identical;
    }
    Difference::Values {
        compared: w.compared,
        differing: w.differing,
        max_abs: w.max_abs,
        at: w
            .at
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "the top".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn named_probabilities_are_scores() {
        let s = sections(&json!({"probabilities": [[0.54, 0.46]]}));
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].name.as_deref(), Some("probabilities"));
        assert_eq!(s[0].kind, Kind::Scores(vec![vec![Some(0.54), Some(0.46)]]));
        assert!(is_distribution(&[Some(0.54), Some(0.46)]));
    }

    #[test]
    fn records_are_tables_and_labels_rows() {
        let s = sections(&json!([{"a": 1, "b": "x"}, {"a": 2}]));
        assert_eq!(
            s[0].kind,
            Kind::Table {
                columns: vec!["a".into(), "b".into()],
                rows: vec![vec![json!(1), json!("x")], vec![json!(2), Value::Null]],
                total: 2,
            }
        );
        let s = sections(&json!([0, 1, 2]));
        assert!(matches!(&s[0].kind, Kind::Table { columns, .. } if columns == &["prediction"]));
    }

    #[test]
    fn label_maps_are_scores_with_their_labels() {
        let s =
            sections(&json!({"output_probability": [{"0": 0.9, "1": 0.1}, {"0": 0.2, "1": 0.8}]}));
        assert_eq!(s[0].classes, Some(vec!["0".to_string(), "1".to_string()]));
        assert_eq!(
            s[0].kind,
            Kind::Scores(vec![vec![Some(0.9), Some(0.1)], vec![Some(0.2), Some(0.8)]])
        );
    }

    #[test]
    fn image_shaped_outputs_are_pictures() {
        let img = json!([vec![vec![vec![0.5, 0.5, 0.5]; 8]; 8]]);
        match &sections(&img)[0].kind {
            Kind::Images(p) => {
                assert_eq!((p[0].width, p[0].height), (8, 8));
                assert_eq!(&p[0].rgba[..4], &[128, 128, 128, 255]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn softmax_and_top_k() {
        let p = transform(
            &[Some(0.0), Some(0.0), Some(f64::ln(2.0))],
            ScoreMode::Softmax,
        );
        assert!((p[2].unwrap_or(0.0) - 0.5).abs() < 1e-12);
        let top = top_k(&[Some(0.1), None, Some(0.7), Some(0.2)], 3);
        assert_eq!(top, vec![(2, Some(0.7)), (3, Some(0.2)), (0, Some(0.1))]);
    }

    #[test]
    fn answers_are_compared_value_by_value() {
        let a = json!([[0.1, 0.9], [0.5, 0.5]]);
        assert_eq!(compare(&a, &a), Difference::Identical);
        let b = json!([[0.1, 0.8], [0.5, 0.5]]);
        let d = compare(&a, &b);
        assert_eq!(
            d.to_string(),
            "1 of 4 values differ; largest difference 0.100000 at [0][1]"
        );
        let c = json!([[0.1, 0.9, 0.0], [0.5, 0.5]]);
        assert_eq!(
            compare(&a, &c).to_string(),
            "different shapes at [0]: 2 items against 3 items"
        );
        let x = json!({"label": ["a", "b"]});
        let y = json!({"label": ["a", "c"]});
        assert_eq!(
            compare(&x, &y).to_string(),
            "1 of 2 values differ, first at [\"label\"][1]"
        );
        assert_eq!(
            compare(&x, &json!({"other": 1})).to_string(),
            "different shapes at the top: keys label against keys other"
        );
    }

    #[test]
    fn inputs_have_a_fingerprint_and_a_glimpse() {
        let a = json!({"dataframe_split": {"columns": ["x"], "data": [[5.1], [4.9]]}});
        let b = json!({"dataframe_split": {"columns": ["x"], "data": [[5.1], [4.8]]}});
        assert_eq!(fingerprint(&a), fingerprint(&a.clone()));
        assert_ne!(fingerprint(&a), fingerprint(&b));
        assert_eq!(fingerprint(&a).len(), 6);
        assert_eq!(first_values(&a, 2), "\"x\", 5.1, …");
        assert_eq!(first_values(&json!([1, 2]), 4), "1, 2");
    }
}
