//! Predictions made elsewhere, scored here: an Azure ML batch endpoint's `predictions.csv` (a
//! line per input row or image, each a Python literal `['file.csv', prediction]`: "may not be
//! a regular CSV"), the output folder of `eval --engine spark` (`line,label,prediction` part
//! files), or any CSV of id and prediction (this tool's `--out` file too). They are matched to
//! the labelled dataset's items by row id (`line N`), by path, or by file name (the k-th line
//! naming a table's file is its k-th row), and tallied by `eval`'s own code; items without a
//! prediction fail, and predictions that match no item are listed.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use serde_json::Value;

use super::dataset::{Cell, TableKind, TableReader};
use super::{AnsweredItem, Data, EvalError, EvalProgress, ItemResult, Plan, Report};
use crate::model::ModelCard;

/// The most text of ids and predictions held while they wait for their items: a file past it
/// is refused (score it in parts) rather than held whole.
pub const MAX_HELD: u64 = 1 << 30;

/// The predictions read from a file, by what names their item.
#[derive(Debug, Default)]
pub struct Predictions {
    /// By item id (`line N`, `cat/001.jpg`).
    by_id: HashMap<String, Value>,
    /// By file name, in the file's order (an Azure batch endpoint's lines: the k-th names the
    /// file's k-th row).
    by_file: HashMap<String, Vec<Value>>,
    /// How the file was read, in words.
    pub format: &'static str,
    /// Predictions read.
    pub count: usize,
    /// The text held so far (ids and predictions), against [`MAX_HELD`].
    held: u64,
}

/// The value a prediction's text stands for: a number, a list (JSON or a Python literal), or
/// the text itself.
fn value_of(text: &str) -> Value {
    let t = text.trim();
    if let Ok(v) = serde_json::from_str::<Value>(t)
        && !v.is_object()
    {
        return v;
    }
    if (t.starts_with('[') || t.starts_with('('))
        && let Some((v, rest)) = literal(t, 0)
        && rest.trim().is_empty()
    {
        return v;
    }
    Value::String(t.to_string())
}

/// Reads one Python literal (`'text'`, `"text"`, a number, `True`, `False`, `None`, a list or
/// a tuple of them) at the start of `s`: the value and what follows. Depth-limited.
fn literal(s: &str, depth: usize) -> Option<(Value, &str)> {
    if depth > 16 {
        return None;
    }
    let s = s.trim_start();
    let first = s.chars().next()?;
    match first {
        '[' | '(' => {
            let close = if first == '[' { ']' } else { ')' };
            let mut rest = &s[1..];
            let mut items = Vec::new();
            loop {
                rest = rest.trim_start();
                if let Some(after) = rest.strip_prefix(close) {
                    return Some((Value::Array(items), after));
                }
                let (v, after) = literal(rest, depth + 1)?;
                items.push(v);
                rest = after.trim_start();
                if let Some(after) = rest.strip_prefix(',') {
                    rest = after;
                } else if !rest.starts_with(close) {
                    return None;
                }
            }
        }
        '\'' | '"' => {
            let mut out = String::new();
            let mut chars = s[1..].char_indices();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => match chars.next()?.1 {
                        'n' => out.push('\n'),
                        't' => out.push('\t'),
                        other => out.push(other),
                    },
                    c if c == first => return Some((Value::String(out), &s[1 + i + 1..])),
                    c => out.push(c),
                }
            }
            None
        }
        _ => {
            let end = s
                .find(|c: char| c == ',' || c == ']' || c == ')' || c.is_whitespace())
                .unwrap_or(s.len());
            let (word, rest) = s.split_at(end);
            let v = match word {
                "True" => Value::Bool(true),
                "False" => Value::Bool(false),
                "None" => Value::Null,
                w => match serde_json::from_str::<Value>(w) {
                    Ok(v @ Value::Number(_)) => v,
                    _ => return None,
                },
            };
            Some((v, rest))
        }
    }
}

/// The file-name part of a path or name (`/data/a.csv` and `a.csv` both `a.csv`).
fn file_name(s: &str) -> String {
    s.rsplit(['/', '\\']).next().unwrap_or(s).to_string()
}

/// Reads the predictions at `path`: a folder of Spark part files, an Azure batch endpoint's
/// literal lines, or a CSV whose header names an id column (`input`, `id`, `file`, `line`,
/// `row`) and `prediction`. Lines and records are capped as a dataset's are
/// ([`super::dataset::MAX_LINE_BYTES`]), and the whole at [`MAX_HELD`].
pub fn read(path: &Path) -> Result<Predictions, EvalError> {
    let fail = |e: String| EvalError::Mismatch(format!("{}: {e}", path.display()));
    let mut out = Predictions::default();
    if path.is_dir() {
        let parts = super::spark::part_files(path).map_err(|e| fail(e.to_string()))?;
        if parts.is_empty() {
            return Err(fail(
                "a folder of predictions holds Spark's part-*.csv files; there are none".into(),
            ));
        }
        out.format = "Spark's output (line, label, prediction)";
        for part in parts {
            read_csv(&part, &mut out)?;
        }
        return Ok(out);
    }
    let file = std::fs::File::open(path).map_err(|e| fail(e.to_string()))?;
    let mut reader = std::io::BufReader::new(file);
    let mut line = Vec::new();
    let mut line_number = 0usize;
    loop {
        line_number += 1;
        let Some(whole) =
            super::dataset::read_line(&mut reader, &mut line).map_err(|e| fail(e.to_string()))?
        else {
            break;
        };
        if !whole {
            return Err(fail(format!(
                "line {line_number} is longer than {} bytes",
                super::dataset::MAX_LINE_BYTES
            )));
        }
        let text = String::from_utf8_lossy(&line);
        let t = text.trim();
        if t.is_empty() {
            continue;
        }
        if out.format.is_empty() {
            if !matches!(t.chars().next(), Some('[' | '(')) {
                out.format = "a CSV of id and prediction";
                read_csv(path, &mut out)?;
                return Ok(out);
            }
            out.format = "an Azure ML batch endpoint's predictions.csv (file, prediction)";
        }
        let parsed = literal(t, 0).filter(|(_, rest)| rest.trim().trim_end_matches(',').is_empty());
        match parsed.map(|(v, _)| v) {
            Some(Value::Array(items)) => match <[Value; 2]>::try_from(items) {
                Ok([Value::String(file), prediction]) => {
                    out.hold(t.len() as u64).map_err(fail)?;
                    out.by_file
                        .entry(file_name(&file))
                        .or_default()
                        .push(prediction);
                    out.count += 1;
                }
                _ => {
                    return Err(fail(format!(
                        "line {line_number} is not [file, prediction]: {}",
                        crate::text::elide(t, 120)
                    )));
                }
            },
            _ => {
                return Err(fail(format!(
                    "line {line_number} is not a Python literal [file, prediction]: {}",
                    crate::text::elide(t, 120)
                )));
            }
        }
    }
    Ok(out)
}

/// Reads a CSV of id and prediction (a header naming them) into `out.by_id`, through
/// [`TableReader`]; a `line` column's numbers become `line N`.
fn read_csv(path: &Path, out: &mut Predictions) -> Result<(), EvalError> {
    let fail = |e: String| EvalError::Mismatch(format!("{}: {e}", path.display()));
    let mut table = TableReader::open(path, TableKind::Csv)?;
    let names: Vec<String> = table
        .columns
        .iter()
        .map(|c| c.trim().to_ascii_lowercase())
        .collect();
    let id_col = names
        .iter()
        .position(|n| ["input", "id", "file", "line", "row"].contains(&n.as_str()));
    let prediction_col = names.iter().position(|n| n == "prediction");
    let (Some(id_col), Some(prediction_col)) = (id_col, prediction_col) else {
        return Err(fail(format!(
            "its header ({}) names no id column (input, id, file, line or row) and prediction column",
            crate::text::elide(&table.columns.join(", "), 200)
        )));
    };
    let lines = names.get(id_col).is_some_and(|n| n == "line");
    while let Some(row) = table.next_row() {
        let row = row.map_err(|(id, problem)| fail(format!("{id}: {problem}")))?;
        let cell = |i: usize| row.cells.get(i).and_then(Cell::label_text);
        let (Some(id), Some(prediction)) = (cell(id_col), cell(prediction_col)) else {
            continue;
        };
        out.hold((id.len() + prediction.len()) as u64)
            .map_err(fail)?;
        let id = if lines { format!("line {id}") } else { id };
        out.by_id.insert(id, value_of(&prediction));
        out.count += 1;
    }
    Ok(())
}

impl Predictions {
    /// Counts `bytes` more held, refusing past [`MAX_HELD`].
    fn hold(&mut self, bytes: u64) -> Result<(), String> {
        self.held += bytes;
        if self.held > MAX_HELD {
            return Err(format!(
                "more than {} MiB of predictions to hold while matching them: score the file in parts",
                MAX_HELD >> 20
            ));
        }
        Ok(())
    }

    /// The prediction for item `id` (the `ordinal`-th item of a table in `file`), taken out,
    /// or why there is none.
    fn take(&mut self, id: &str, file: &str, ordinal: usize) -> Result<Value, String> {
        let none = || "no prediction for this item".to_string();
        if let Some(v) = self.by_id.remove(id) {
            return Ok(v);
        }
        let name = file_name(id);
        if !file.is_empty() {
            // A table's rows: the k-th line naming its file.
            return self
                .by_file
                .get_mut(file)
                .and_then(|values| values.get_mut(ordinal).map(std::mem::take))
                .ok_or_else(none);
        }
        if let Some(v) = self.by_id.remove(&name) {
            return Ok(v);
        }
        match self.by_file.get_mut(&name).map(|v| v.as_mut_slice()) {
            Some([one]) => Ok(std::mem::take(one)),
            Some([]) | None => Err(none()),
            Some(many) => Err(format!(
                "{} predictions name {name}: which is this item's cannot be told",
                many.len()
            )),
        }
    }
    /// What was not matched to any item: a few ids and how many in all.
    fn unmatched(&self) -> (Vec<String>, usize) {
        let mut ids: Vec<String> = self.by_id.keys().cloned().collect();
        for (file, values) in &self.by_file {
            let left = values.iter().filter(|v| !v.is_null()).count();
            if left > 0 {
                ids.push(format!("{file} ({left})"));
            }
        }
        ids.sort();
        let total = self.by_id.len()
            + self
                .by_file
                .values()
                .map(|v| v.iter().filter(|v| !v.is_null()).count())
                .sum::<usize>();
        ids.truncate(20);
        (ids, total)
    }
}

/// One item as the tally takes it: its id, its label, its prediction (none: it fails).
type Answer = Result<AnsweredItem, EvalError>;

/// Scores `predictions` against `plan`'s labelled items: each item's prediction found by its
/// id or file name (none: the item fails, "no prediction for this item"), tallied by `eval`'s
/// code. Returns the report and the predictions that matched no item (a few, and how many).
pub fn score(
    plan: &Plan,
    card: &ModelCard,
    mut predictions: Predictions,
    progress: &EvalProgress,
    cancel: &AtomicBool,
    on_item: &mut dyn FnMut(&ItemResult),
) -> Result<(Report, (Vec<String>, usize)), EvalError> {
    let report = {
        let mut items: Box<dyn Iterator<Item = Answer>> = match &plan.data {
            Data::Images { folder, .. } => {
                let predictions = &mut predictions;
                Box::new((0..folder.len()).filter_map(move |i| {
                    let item = folder.item(i)?;
                    let answer = predictions.take(&item.id, "", 0);
                    Some(Ok((item.id, item.label, answer)))
                }))
            }
            Data::Table {
                path, kind, label, ..
            } => {
                let mut table = TableReader::open(path, *kind)?;
                let file = file_name(&path.to_string_lossy());
                let label = *label;
                let predictions = &mut predictions;
                let mut ordinal = 0usize;
                Box::new(std::iter::from_fn(move || {
                    let row = table.next_row()?;
                    let k = ordinal;
                    ordinal += 1;
                    Some(match row {
                        Ok(row) => {
                            let label_text = label
                                .and_then(|i| row.cells.get(i))
                                .and_then(Cell::label_text);
                            let answer = predictions.take(&row.id, &file, k);
                            Ok((row.id, label_text, answer))
                        }
                        // A row that cannot be read has no label to score: it fails, saying
                        // why (its prediction is used up).
                        Err((id, problem)) => {
                            let _ = predictions.take(&id, &file, k);
                            Ok((id, None, Err(problem)))
                        }
                    })
                }))
            }
        };
        super::run::tally_answers(plan, card, &mut items, progress, cancel, on_item)?
    };
    Ok((report, predictions.unmatched()))
}
