//! How each import is judged: dangerous, safe or unknown, with the rule that decided it. The
//! lists are data (`danger.txt`, `safe.txt`, each entry with its source); the rules that are
//! not lists (builtins, dunder names, names that are not literal strings) are here.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// An import's verdict (ordered: the worst is the largest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    /// On the exact safe list.
    Safe,
    /// Neither safe nor dangerous: named by its package.
    Unknown,
    /// On the danger list, or caught by a rule.
    Dangerous,
}

impl Verdict {
    /// The verdict in a word, as the JSON writes it.
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Safe => "safe",
            Verdict::Unknown => "unknown",
            Verdict::Dangerous => "dangerous",
        }
    }
}

/// Builtins a pickle may construct: containers and scalars (and `object`, which protocol 2's
/// `copyreg._reconstructor` names as a base). `getattr`, `eval`, `exec`, `__import__`, `open`,
/// `type` and the rest are dangerous.
pub const SAFE_BUILTINS: &[&str] = &[
    "dict",
    "list",
    "tuple",
    "set",
    "frozenset",
    "str",
    "int",
    "float",
    "complex",
    "bytes",
    "bytearray",
    "slice",
    "bool",
    "range",
    "object",
];

struct Lists {
    /// Whole modules (and their children), with their source.
    modules: HashMap<&'static str, &'static str>,
    /// `(module, name)` pairs, with their source.
    names: HashMap<(&'static str, &'static str), &'static str>,
    /// The exact safe list.
    safe: HashSet<(&'static str, &'static str)>,
}

fn entries(text: &'static str) -> impl Iterator<Item = (&'static str, &'static str)> {
    text.lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split_once('\t').unwrap_or((l, "")))
}

fn lists() -> &'static Lists {
    static LISTS: OnceLock<Lists> = OnceLock::new();
    LISTS.get_or_init(|| {
        let mut modules = HashMap::new();
        let mut names = HashMap::new();
        for (entry, source) in entries(include_str!("danger.txt")) {
            match entry.split_once(':') {
                Some((m, n)) => {
                    names.insert((m, n), source);
                }
                None => {
                    modules.insert(entry, source);
                }
            }
        }
        let safe = entries(include_str!("safe.txt"))
            .filter_map(|(entry, _)| entry.split_once(':'))
            .collect();
        Lists {
            modules,
            names,
            safe,
        }
    })
}

/// `module` and each package above it (`a.b.c`, `a.b`, `a`).
fn parents(module: &str) -> impl Iterator<Item = &str> {
    std::iter::successors(Some(module), |m| m.rsplit_once('.').map(|(p, _)| p))
}

fn is_dunder(part: &str) -> bool {
    part.len() > 4 && part.starts_with("__") && part.ends_with("__")
}

/// Judges an import of `module.name` (`literal`: both were literal strings of the pickle):
/// the verdict and the rule that decided it, in words.
pub fn judge(module: &str, name: &str, literal: bool) -> (Verdict, String) {
    if !literal {
        return (
            Verdict::Dangerous,
            "its module or name is not a literal string of the file (computed, taken from a missing memo entry, or an extension code): what it imports cannot be known without running it".into(),
        );
    }
    if matches!(module, "builtins" | "__builtin__") {
        return if SAFE_BUILTINS.contains(&name) {
            (Verdict::Safe, "a builtin container or scalar".into())
        } else {
            (
                Verdict::Dangerous,
                format!(
                    "a builtin outside the safe set ({})",
                    SAFE_BUILTINS.join(", ")
                ),
            )
        };
    }
    if module.split('.').chain(name.split('.')).any(is_dunder) {
        return (
            Verdict::Dangerous,
            "a dunder name (reaches an object's internals or a module's builtins)".into(),
        );
    }
    let lists = lists();
    for parent in parents(module) {
        if let Some(source) = lists.modules.get(parent) {
            return (
                Verdict::Dangerous,
                format!("danger list: {parent} ({source})"),
            );
        }
    }
    // A listed attribute, or a child of one (`pydoc.locate`'s module re-exported).
    for parent in parents(module) {
        for n in parents(name) {
            if let Some(source) = lists.names.get(&(parent, n)) {
                return (
                    Verdict::Dangerous,
                    format!("danger list: {parent}.{n} ({source})"),
                );
            }
        }
    }
    if lists.safe.contains(&(module, name)) {
        return (Verdict::Safe, "safe list".into());
    }
    (Verdict::Unknown, "on neither list".into())
}

/// The pip package a module comes from, for the modules models name most; the standard
/// library as `the standard library`; else the top-level module's own name.
pub fn package_of(module: &str) -> String {
    let top = module.split('.').next().unwrap_or(module);
    let known = match top {
        "sklearn" => "scikit-learn",
        "skimage" => "scikit-image",
        "PIL" => "pillow",
        "cv2" => "opencv-python",
        "yaml" => "pyyaml",
        "google" => "protobuf",
        "dateutil" => "python-dateutil",
        "attr" => "attrs",
        "_codecs" | "collections" | "copyreg" | "copy_reg" | "datetime" | "decimal" | "enum"
        | "fractions" | "re" | "pathlib" | "array" | "codecs" | "numbers" | "math" | "random"
        | "string" | "struct" | "typing" | "abc" | "weakref" | "itertools" | "heapq" | "bisect"
        | "statistics" | "zoneinfo" | "ipaddress" | "dataclasses" | "json" | "textwrap"
        | "locale" | "calendar" | "time" | "hashlib" | "hmac" | "base64" | "binascii" | "zlib"
        | "lzma" | "bz2" | "gzip" | "csv" | "io" | "_io" | "warnings" | "contextlib" | "queue"
        | "_collections_abc" | "collections.abc" => "the standard library",
        other => other,
    };
    known.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rules_decide_in_order() {
        assert_eq!(judge("os", "system", true).0, Verdict::Dangerous);
        assert_eq!(judge("os.path", "join", true).0, Verdict::Dangerous);
        assert_eq!(judge("builtins", "getattr", true).0, Verdict::Dangerous);
        assert_eq!(judge("__builtin__", "set", true).0, Verdict::Safe);
        assert_eq!(judge("builtins", "dict", true).0, Verdict::Safe);
        assert_eq!(judge("numpy", "__builtins__", true).0, Verdict::Dangerous);
        assert_eq!(judge("pydoc", "locate", true).0, Verdict::Dangerous);
        assert_eq!(judge("functools", "partial", true).0, Verdict::Dangerous);
        assert_eq!(judge("torch", "load", true).0, Verdict::Dangerous);
        assert_eq!(
            judge("torch._utils", "_rebuild_tensor_v2", true).0,
            Verdict::Safe
        );
        assert_eq!(judge("numpy", "ndarray", true).0, Verdict::Safe);
        assert_eq!(
            judge("sklearn.linear_model._logistic", "LogisticRegression", true).0,
            Verdict::Unknown
        );
        assert_eq!(
            judge("collections", "OrderedDict", false).0,
            Verdict::Dangerous
        );
        assert!(judge("subprocess", "Popen", true).1.contains("picklescan"));
        assert_eq!(package_of("sklearn.tree._tree"), "scikit-learn");
        assert_eq!(package_of("copyreg"), "the standard library");
    }
}
