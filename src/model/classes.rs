//! The class names a model records for itself, so an answer of class indices (iris answers
//! `[0, 0, 2]`) can be read as names. Read from what the folder states, never from code or
//! pickles: a list or an index map under a conventional key of `MLmodel`'s `metadata`
//! (`class_names`, `classes`, `labels`, `id2label`, `target_names`, `class_labels`), or the
//! `id2label` of a transformers model's `config.json`.

use std::path::PathBuf;

use serde_json::Value;

use super::flavors::Flavor;
use super::fsutil;

/// The most class names taken from one source (ImageNet-21k has 21,843).
pub const MAX_CLASSES: usize = 100_000;

/// The longest class name kept, in characters; longer ones are cut with "…".
const MAX_NAME_CHARS: usize = 200;

/// The largest `config.json` read for its `id2label`.
const CONFIG_CAP: u64 = 8 * 1024 * 1024;

/// The `metadata` keys read for class names, in the order they are tried.
pub const METADATA_KEYS: [&str; 6] = [
    "class_names",
    "classes",
    "labels",
    "id2label",
    "target_names",
    "class_labels",
];

/// Class names and where they came from.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassNames {
    /// Where they were read, for people: `MLmodel metadata.class_names`,
    /// `model/config.json id2label`, or a labels file's path.
    pub origin: String,
    /// The file they came from when a person chose it (remembered per model); `None` for
    /// names the model records itself.
    pub file: Option<PathBuf>,
    /// Index `i` is class `i`'s name (empty where an index map skips one).
    pub names: Vec<String>,
}

impl ClassNames {
    /// The name of class `index`, when there is a non-empty one.
    pub fn name(&self, index: usize) -> Option<&str> {
        self.names
            .get(index)
            .map(String::as_str)
            .filter(|n| !n.is_empty())
    }
}

/// The class names the model records: `MLmodel`'s `metadata` first, then a transformers
/// model's `config.json`. `None` when it records none.
pub fn recorded(
    root: &std::path::Path,
    metadata: Option<&Value>,
    flavors: &[Flavor],
) -> Option<ClassNames> {
    if let Some(map) = metadata.and_then(Value::as_object) {
        for key in METADATA_KEYS {
            if let Some(names) = map.get(key).and_then(names_of) {
                return Some(ClassNames {
                    origin: format!("MLmodel metadata.{key}"),
                    file: None,
                    names,
                });
            }
        }
    }
    let transformers = flavors.iter().find(|f| f.name == "transformers")?;
    let folder = transformers
        .config
        .get("model_binary")
        .and_then(Value::as_str)
        .unwrap_or("model");
    let rel = format!("{}/config.json", folder.trim_end_matches('/'));
    let text = fsutil::read_text_inside(root, &rel, CONFIG_CAP).ok()?;
    let config: Value = serde_json::from_str(&text).ok()?;
    let names = config.get("id2label").and_then(names_of)?;
    Some(ClassNames {
        origin: format!("{rel} id2label"),
        file: None,
        names,
    })
}

/// Names from a list of strings (or numbers), or from a map of indices to names
/// (`{"0": "cat", "1": "dog"}`). `None` for anything else, an empty list, or more than
/// [`MAX_CLASSES`].
pub fn names_of(value: &Value) -> Option<Vec<String>> {
    let name = |v: &Value| match v {
        Value::String(s) => Some(cut(s)),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    let names: Vec<String> = match value {
        Value::Array(items) if !items.is_empty() && items.len() <= MAX_CLASSES => {
            items.iter().map(name).collect::<Option<_>>()?
        }
        Value::Object(map) if !map.is_empty() && map.len() <= MAX_CLASSES => {
            let mut pairs = Vec::with_capacity(map.len());
            for (k, v) in map {
                let index: usize = k.trim().parse().ok()?;
                if index >= MAX_CLASSES {
                    return None;
                }
                pairs.push((index, name(v)?));
            }
            let len = pairs.iter().map(|(i, _)| i + 1).max().unwrap_or(0);
            let mut names = vec![String::new(); len];
            for (i, n) in pairs {
                if let Some(slot) = names.get_mut(i) {
                    *slot = n;
                }
            }
            names
        }
        _ => return None,
    };
    Some(names)
}

fn cut(s: &str) -> String {
    let s = s.trim();
    if s.chars().count() <= MAX_NAME_CHARS {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(MAX_NAME_CHARS - 1).collect();
        out.push('…');
        out
    }
}

/// Whether an answer column holds class indices: every value a whole number from 0 up to
/// [`MAX_CLASSES`] (an integer, or a float with no fraction, as pandas writes them). The
/// number of classes it implies (largest index + 1) when it does.
pub fn index_answer<'a>(values: impl IntoIterator<Item = &'a Value>) -> Option<usize> {
    let mut largest = None;
    for v in values {
        let index = match v {
            Value::Number(n) => match (n.as_u64(), n.as_f64()) {
                (Some(i), _) => i,
                (None, Some(f)) if f >= 0.0 && f.fract() == 0.0 && f < MAX_CLASSES as f64 => {
                    f as u64
                }
                _ => return None,
            },
            _ => return None,
        };
        if index >= MAX_CLASSES as u64 {
            return None;
        }
        largest = Some(largest.map_or(index, |l: u64| l.max(index)));
    }
    largest.map(|l| l as usize + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_and_index_maps_become_names() {
        assert_eq!(
            names_of(&json!(["setosa", "versicolor"])),
            Some(vec!["setosa".to_string(), "versicolor".to_string()])
        );
        assert_eq!(
            names_of(&json!({"1": "dog", "0": "cat", "3": "bird"})),
            Some(vec![
                "cat".into(),
                "dog".into(),
                String::new(),
                "bird".into()
            ])
        );
        assert_eq!(names_of(&json!({"x": "cat"})), None, "keys must be indices");
        assert_eq!(
            names_of(&json!({"100000000000": "cat"})),
            None,
            "no index sizes the list"
        );
        assert_eq!(names_of(&json!([])), None);
        assert_eq!(names_of(&json!([["nested"]])), None);
        assert_eq!(names_of(&json!(10)), None, "a count is not a list");
    }

    #[test]
    fn index_answers_are_whole_numbers() {
        assert_eq!(index_answer(&[json!(0), json!(2), json!(1)]), Some(3));
        assert_eq!(index_answer(&[json!(1.0), json!(0.0)]), Some(2));
        assert_eq!(index_answer(&[json!(0.5)]), None);
        assert_eq!(index_answer(&[json!(-1)]), None);
        assert_eq!(index_answer(&[json!("setosa")]), None);
        assert_eq!(index_answer(&[json!(1e12)]), None);
        assert_eq!(index_answer(&[]), None);
    }
}
