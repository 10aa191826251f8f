//! Predictions made elsewhere, scored here: an Azure ML batch endpoint's `predictions.csv` (a
//! line per input row or image, each a Python literal `['file.csv', prediction]`: "may not be
//! a regular CSV"), the output folder of `eval --engine spark` (`line,label,prediction` part
//! files), or any CSV of id and prediction (this tool's `--out` file too). They are matched to
//! the labelled dataset's items by row id (`line N`), by path, or by file name (the k-th line
//! naming a table's file is its k-th row), and tallied by `eval`'s own code; items without a
//! prediction fail, and predictions that match no item are listed.

use std::collections::HashMap;
use std::io::{BufRead as _, Read as _};
use std::path::Path;
use std::sync::atomic::AtomicBool;

use serde_json::Value;

use super::dataset::TableReader;
use super::{Data, EvalError, EvalProgress, ItemResult, Plan, Report};
use crate::model::ModelCard;

/// The longest line read from a predictions file.
const MAX_LINE: usize = 16 << 20;

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
/// `row`) and `prediction` (without a header: id, then prediction).
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
    let mut first = String::new();
    (&mut reader)
        .take(MAX_LINE as u64)
        .read_line(&mut first)
        .map_err(|e| fail(e.to_string()))?;
    let literal_lines = matches!(first.trim_start().chars().next(), Some('[' | '('));
    if !literal_lines {
        out.format = "a CSV of id and prediction";
        return read_csv(path, &mut out).map(|()| out);
    }
    out.format = "an Azure ML batch endpoint's predictions.csv (file, prediction)";
    let mut line_number = 1usize;
    let mut line = first;
    loop {
        let t = line.trim();
        if !t.is_empty() {
            match literal(t, 0) {
                Some((Value::Array(items), rest))
                    if rest.trim().trim_end_matches(',').is_empty() =>
                {
                    match items.as_slice() {
                        [Value::String(file), prediction] => {
                            out.by_file
                                .entry(file_name(file))
                                .or_default()
                                .push(prediction.clone());
                            out.count += 1;
                        }
                        _ => {
                            return Err(fail(format!(
                                "line {line_number} is not [file, prediction]: {}",
                                crate::text::elide(t, 120)
                            )));
                        }
                    }
                }
                _ => {
                    return Err(fail(format!(
                        "line {line_number} is not a Python literal [file, prediction]: {}",
                        crate::text::elide(t, 120)
                    )));
                }
            }
        }
        line.clear();
        line_number += 1;
        let n = (&mut reader)
            .take(MAX_LINE as u64)
            .read_line(&mut line)
            .map_err(|e| fail(e.to_string()))?;
        if n == 0 {
            break;
        }
    }
    Ok(out)
}

/// Reads a CSV of id and prediction into `out.by_id` (a `line` column's numbers become
/// `line N`).
fn read_csv(path: &Path, out: &mut Predictions) -> Result<(), EvalError> {
    let fail = |e: String| EvalError::Mismatch(format!("{}: {e}", path.display()));
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(path)
        .map_err(|e| fail(e.to_string()))?;
    let mut records = reader.records();
    let Some(first) = records.next() else {
        return Ok(());
    };
    let first = first.map_err(|e| fail(e.to_string()))?;
    let names: Vec<String> = first
        .iter()
        .map(|c| c.trim().to_ascii_lowercase())
        .collect();
    let id_col = names
        .iter()
        .position(|n| ["input", "id", "file", "line", "row"].contains(&n.as_str()));
    let prediction_col = names.iter().position(|n| n == "prediction");
    let (id_col, prediction_col, lines, header) = match (id_col, prediction_col) {
        (Some(i), Some(p)) => (i, p, names.get(i).is_some_and(|n| n == "line"), true),
        _ => (0, 1, false, false),
    };
    let mut take = |record: &csv::StringRecord| {
        let (Some(id), Some(prediction)) = (record.get(id_col), record.get(prediction_col)) else {
            return;
        };
        if prediction.trim().is_empty() {
            return;
        }
        let id = if lines {
            format!("line {}", id.trim())
        } else {
            id.trim().to_string()
        };
        out.by_id.insert(id, value_of(prediction));
        out.count += 1;
    };
    if !header {
        take(&first);
    }
    for record in records {
        let record = record.map_err(|e| fail(e.to_string()))?;
        take(&record);
    }
    Ok(())
}

impl Predictions {
    /// The prediction for item `id` (the `ordinal`-th item of a table in `file`), taken out.
    fn take(&mut self, id: &str, file: &str, ordinal: usize) -> Result<Option<Value>, String> {
        if let Some(v) = self.by_id.remove(id) {
            return Ok(Some(v));
        }
        let name = file_name(id);
        if !file.is_empty() {
            // A table's rows: the k-th line naming its file.
            return Ok(self
                .by_file
                .get_mut(file)
                .and_then(|values| values.get_mut(ordinal).map(std::mem::take)));
        }
        if let Some(v) = self.by_id.remove(&name) {
            return Ok(Some(v));
        }
        match self.by_file.get_mut(&name).map(|v| v.as_mut_slice()) {
            Some([one]) => Ok(Some(std::mem::take(one))),
            Some([]) | None => Ok(None),
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
type Answer = Result<(String, Option<String>, Option<Value>), EvalError>;

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
                    Some(Ok(match predictions.take(&item.id, "", 0) {
                        Ok(v) => (item.id, item.label, v),
                        Err(_) => (item.id, item.label, None),
                    }))
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
                                .and_then(super::dataset::Cell::label_text);
                            let v = predictions.take(&row.id, &file, k).ok().flatten();
                            Ok((row.id, label_text, v))
                        }
                        // A row that cannot be read has no label to score: it fails.
                        Err((id, _)) => Ok((id, None, None)),
                    })
                }))
            }
        };
        super::run::tally_answers(plan, card, &mut items, progress, cancel, on_item)?
    };
    Ok((report, predictions.unmatched()))
}
