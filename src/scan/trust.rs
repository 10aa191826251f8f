//! What the trust question says about a model, built from its scan rather than from `MLmodel`
//! alone: per file what loading it would import, the `skops_trusted_types` MLflow hands to
//! skops, the module `pickle_module_info.txt` names, and one level that decides the question's
//! wording and its default button. And what the answer is remembered by: the folder and the
//! SHA-256 digest of each of its files, so that a changed file asks again, named. UI-free: the
//! window's Test, Evaluate and Compare tabs word their questions from [`brief`].

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};

use sha2::{Digest, Sha256};

use super::{Import, ScanReport, ScannedFile, Verdict};
use crate::model::ModelCard;

/// Imports listed per file in the question; past it, "and N more" (the Files tab lists all).
pub const MAX_IMPORTS_SHOWN: usize = 12;

/// Each file of the model folder (relative, `/`-separated) with its SHA-256 digest in hex, or
/// `unreadable: …` for a file that could not be read (it then differs from any digest).
pub type Digests = BTreeMap<String, String>;

/// A model's scan with its files' digests: what the trust question is asked, and answered, by.
#[derive(Debug, Clone, PartialEq)]
pub struct Findings {
    /// What loading each file would import.
    pub report: ScanReport,
    /// Each file's digest.
    pub digests: Digests,
}

/// Scans the model and digests its files (on a worker: a 1 GB archive takes a second or two
/// to digest; the scan itself reads only its pickles). `None` when cancelled.
pub fn findings(card: &ModelCard, cancel: &AtomicBool) -> Option<Findings> {
    let report = super::scan_model(card, cancel);
    let digests = digests(card, cancel)?;
    (!report.cancelled).then_some(Findings { report, digests })
}

/// The SHA-256 digest of every file of the model folder, each read through the folder's
/// inside-the-folder check, streamed (memory stays flat whatever a file's size). `None` when
/// cancelled.
pub fn digests(card: &ModelCard, cancel: &AtomicBool) -> Option<Digests> {
    let mut out = Digests::new();
    for entry in card.artifacts.entries.iter().filter(|e| !e.is_dir) {
        if cancel.load(Ordering::Relaxed) {
            return None;
        }
        let digest = crate::model::fsutil::file_inside(&card.root, &entry.path)
            .map_err(|e| e.to_string())
            .and_then(|path| digest_file(&path, cancel).map_err(|e| e.to_string()));
        let digest = match digest {
            Ok(Some(d)) => d,
            Ok(None) => return None,
            Err(e) => format!("unreadable: {e}"),
        };
        out.insert(entry.path.clone(), digest);
    }
    Some(out)
}

/// One file's SHA-256 in hex, read in 1 MiB blocks (`None` when cancelled).
fn digest_file(path: &std::path::Path, cancel: &AtomicBool) -> std::io::Result<Option<String>> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
    }
    Ok(Some(
        hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
    ))
}

/// What changed between the digests the user said yes to and the files now, one phrase per
/// file (`model.pkl changed`, `extra.pkl is new`, `code/x.py is gone`), at most 20 and then
/// how many more. Empty when nothing did.
pub fn changes(trusted: &Digests, now: &Digests) -> Vec<String> {
    let mut out = Vec::new();
    for (path, digest) in now {
        match trusted.get(path) {
            Some(was) if was == digest => {}
            Some(_) => out.push(format!("{} changed", crate::text::printable(path))),
            None => out.push(format!("{} is new", crate::text::printable(path))),
        }
    }
    for path in trusted.keys().filter(|p| !now.contains_key(*p)) {
        out.push(format!("{} is gone", crate::text::printable(path)));
    }
    if out.len() > 20 {
        let more = out.len() - 20;
        out.truncate(20);
        out.push(format!("and {more} more"));
    }
    out
}

/// How the trust question is put.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Every file was read to its end and imports nothing outside the safe list, and the
    /// model has no script, `code/` folder or loader of its own: "no code of its own".
    NoCode,
    /// Something outside the safe list, a file not read to its end, or not read at all.
    Unknown,
    /// A dangerous finding: Cancel is the default, "Run anyway" secondary.
    Dangerous,
}

/// One import as the question lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportLine {
    /// `module.name`, printable.
    pub name: String,
    /// Its verdict.
    pub verdict: Verdict,
    /// In words: the rule, and for an unknown import its package and whether
    /// `requirements.txt` pins it.
    pub why: String,
}

/// One file as the question lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct FileLine {
    /// Its path (`outer:inner` for a container's member), printable.
    pub path: String,
    /// What it is, by its content.
    pub format: String,
    /// Its verdict.
    pub verdict: Verdict,
    /// Why it was not read to its end, when it was not.
    pub incomplete: Option<String>,
    /// Its imports outside the safe list, dangerous first, at most [`MAX_IMPORTS_SHOWN`].
    pub imports: Vec<ImportLine>,
    /// How many of its imports are on the safe list.
    pub safe: usize,
    /// How many imports outside the safe list are not listed.
    pub more: usize,
}

/// What the trust question says about one model.
#[derive(Debug, Clone, PartialEq)]
pub struct Brief {
    /// How the question is put.
    pub level: Level,
    /// One sentence: what was found (the first dangerous finding with its rule and file; what
    /// is outside the safe list; or that nothing is).
    pub headline: String,
    /// The files that import anything outside the safe list or were not read to their end
    /// (the rest are counted in `quiet`).
    pub files: Vec<FileLine>,
    /// Files read to their end that import nothing, or only safe names.
    pub quiet: usize,
    /// The types `MLmodel`'s `skops_trusted_types` hands to skops, each with its verdict.
    pub skops_trusted: Vec<ImportLine>,
    /// The module `pickle_module_info.txt` names (MLflow imports it before `torch.load`).
    pub pickle_module: Option<ImportLine>,
    /// What else runs, from `MLmodel`: a models-from-code script, a `code/` folder, the loader
    /// and the packages of the chosen Python.
    pub also: Vec<String>,
}

fn import_line(i: &Import) -> ImportLine {
    let mut why = i.rule.clone();
    if i.verdict == Verdict::Unknown
        && let Some(package) = &i.package
    {
        why.push_str(&format!("; package {package}"));
        match i.pinned {
            Some(true) => why.push_str(", pinned in requirements.txt"),
            Some(false) => why.push_str(", not in requirements.txt"),
            None => {}
        }
    }
    if i.called {
        why.push_str("; called");
    }
    ImportLine {
        name: crate::text::printable(&i.full_name()).into_owned(),
        verdict: i.verdict,
        why,
    }
}

fn file_line(f: &ScannedFile) -> FileLine {
    let mut outside: Vec<&Import> = f
        .imports
        .iter()
        .filter(|i| i.verdict != Verdict::Safe)
        .collect();
    outside.sort_by_key(|i| std::cmp::Reverse(i.verdict));
    let more = outside.len().saturating_sub(MAX_IMPORTS_SHOWN);
    FileLine {
        path: crate::text::printable(&f.path).into_owned(),
        format: f.format.clone(),
        verdict: f.verdict,
        incomplete: (!f.complete).then(|| {
            f.problem
                .clone()
                .unwrap_or_else(|| "not read to its end".into())
        }),
        imports: outside
            .into_iter()
            .take(MAX_IMPORTS_SHOWN)
            .map(import_line)
            .collect(),
        safe: f
            .imports
            .iter()
            .filter(|i| i.verdict == Verdict::Safe)
            .count(),
        more,
    }
}

/// What the question says about `card`, from its scan (`None`: its files were not read, e.g.
/// still on the tracking server; `not_read` says why). Reads nothing.
pub fn brief(card: &ModelCard, report: Option<&ScanReport>, not_read: &str) -> Brief {
    let runs = card.code_that_runs();
    // The lines MLmodel alone gives that the scan does not: a script run, a code/ folder on
    // Python's path, the loader. The file lines (pickles) come from the scan instead.
    let also: Vec<String> = runs
        .lines
        .iter()
        .filter(|l| {
            l.contains("models from code")
                || l.contains("first on Python's path")
                || l.contains("installed in the chosen Python")
                || l.contains("R's mlflow package")
                || l.contains("unserialises")
        })
        .cloned()
        .collect();
    let own_code = also.iter().any(|l| {
        l.contains("models from code")
            || l.contains("first on Python's path")
            || l.contains("unserialises")
    }) || (runs.model_code
        && card
            .pyfunc()
            .and_then(|p| p.loader_module.as_deref())
            .is_some_and(|l| !l.starts_with("mlflow.")));
    let Some(report) = report else {
        return Brief {
            level: Level::Unknown,
            headline: format!(
                "{not_read}: what loading them would import is not known. From MLmodel, loading runs: {}.",
                runs.lines.join("; ")
            ),
            files: Vec::new(),
            quiet: 0,
            skops_trusted: Vec::new(),
            pickle_module: None,
            also,
        };
    };
    let mut files = Vec::new();
    let mut quiet = 0;
    let mut skops_trusted = Vec::new();
    let mut pickle_module = None;
    for f in &report.files {
        // A container whose members are listed says nothing of its own.
        let prefix = format!("{}:", f.path);
        let members_listed = f.imports.is_empty()
            && f.complete
            && report.files.iter().any(|m| m.path.starts_with(&prefix));
        if members_listed {
            continue;
        }
        for i in &f.imports {
            if i.trusted {
                skops_trusted.push(import_line(i));
            } else if i.opcode == PICKLE_MODULE_OPCODE {
                pickle_module = Some(import_line(i));
            }
        }
        if f.complete && f.verdict == Verdict::Safe {
            quiet += 1;
        } else {
            files.push(file_line(f));
        }
    }
    files.sort_by_key(|f| std::cmp::Reverse(f.verdict));
    let (_, unknown, dangerous) = report.counts();
    let first_danger = report.files.iter().find_map(|f| {
        f.imports
            .iter()
            .find(|i| i.verdict == Verdict::Dangerous)
            .map(|i| (f, i))
    });
    let incomplete: Vec<&str> = report
        .files
        .iter()
        .filter(|f| !f.complete)
        .map(|f| f.path.as_str())
        .collect();
    let (level, headline) = if let Some((file, import)) = first_danger {
        (
            Level::Dangerous,
            format!(
                "Dangerous: {} in {}: {}. Loading it would run it{}.",
                import_line(import).name,
                crate::text::printable(&file.path),
                import.rule,
                if dangerous > 1 {
                    format!(
                        " ({} in all)",
                        crate::text::count(dangerous, "dangerous import", "dangerous imports")
                    )
                } else {
                    String::new()
                }
            ),
        )
    } else if unknown > 0 || !incomplete.is_empty() || report.cancelled || own_code {
        let mut parts = Vec::new();
        if unknown > 0 {
            let mut packages: Vec<String> = report
                .files
                .iter()
                .flat_map(|f| &f.imports)
                .filter(|i| i.verdict == Verdict::Unknown)
                .filter_map(|i| i.package.clone())
                .collect();
            packages.sort();
            packages.dedup();
            parts.push(format!(
                "loading imports {} outside the safe list{}, which can run any code",
                crate::text::count(unknown, "name", "names"),
                if packages.is_empty() {
                    String::new()
                } else {
                    format!(" (from {})", crate::text::printable(&packages.join(", ")))
                }
            ));
        }
        if !incomplete.is_empty() {
            parts.push(format!(
                "{} not read to {} end ({})",
                crate::text::count(incomplete.len(), "file was", "files were"),
                if incomplete.len() == 1 {
                    "its"
                } else {
                    "their"
                },
                crate::text::printable(
                    &incomplete
                        .iter()
                        .take(3)
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            ));
        }
        if report.cancelled {
            parts.push("the scan was stopped before every file was read".into());
        }
        if own_code {
            parts.push("the model brings code of its own (see below)".into());
        }
        let mut headline = parts.join("; ");
        if let Some(first) = headline.get(..1) {
            headline = format!("{}{}.", first.to_uppercase(), &headline[1..]);
        }
        (Level::Unknown, headline)
    } else {
        (
            Level::NoCode,
            format!(
                "No code of its own: all {} read to {} end, importing nothing outside the safe list.",
                crate::text::count(report.files.len(), "file was", "files were"),
                if report.files.len() == 1 {
                    "its"
                } else {
                    "their"
                }
            ),
        )
    };
    Brief {
        level,
        headline,
        files,
        quiet,
        skops_trusted,
        pickle_module,
        also,
    }
}

/// The opcode an import from a module-name file is listed with.
pub const PICKLE_MODULE_OPCODE: &str = "module named for MLflow's loader";

/// The format of a module-name file's entry.
pub const MODULE_NAME_FORMAT: &str = "module name MLflow's loader imports";

/// The files whose content names a module MLflow's loader imports (`importlib.import_module`)
/// before it loads the model: the file name, the flavor whose loader reads it, and what the
/// loader does with it. (Keras 3's own flavor, `keras`, does not read `keras_module.txt`.)
pub const MODULE_NAME_FILES: [(&str, &str, &str); 2] = [
    (
        "pickle_module_info.txt",
        "pytorch",
        "MLflow's PyTorch loader imports this module before torch.load",
    ),
    (
        "keras_module.txt",
        "tensorflow",
        "MLflow's TensorFlow loader imports this module to load the Keras model",
    ),
];

/// The entry of a file that names a module MLflow imports ([`MODULE_NAME_FILES`]): the module
/// is an import of its own, judged by the same rules. `text` is the file's content (read up to
/// 4 KiB); `loader` says what imports it.
pub fn module_name_entry(path: &str, text: &str, complete: bool, loader: &str) -> ScannedFile {
    let module = text.trim();
    let literal = !module.is_empty()
        && module
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    let (verdict, rule) = if literal {
        super::rules::judge(module, "", true)
    } else {
        (
            Verdict::Dangerous,
            "not a module name: MLflow would pass it to importlib.import_module as it is".into(),
        )
    };
    let import = Import {
        module: module.to_string(),
        name: String::new(),
        opcode: PICKLE_MODULE_OPCODE,
        offset: 0,
        called: false,
        modified: false,
        verdict,
        rule: format!("{loader}: {rule}"),
        package: (verdict == Verdict::Unknown).then(|| super::rules::package_of(module)),
        pinned: None,
        trusted: false,
    };
    let verdict = if complete {
        verdict
    } else {
        verdict.max(Verdict::Unknown)
    };
    ScannedFile {
        path: path.to_string(),
        format: MODULE_NAME_FORMAT.into(),
        complete,
        problem: (!complete).then(|| format!("{path}: longer than 4 KiB")),
        imports: vec![import],
        verdict,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_name_each_file() {
        let a: Digests = [("MLmodel", "1"), ("model.pkl", "2"), ("old.txt", "3")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let b: Digests = [("MLmodel", "1"), ("model.pkl", "9"), ("new.pkl", "4")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(
            changes(&a, &b),
            vec!["model.pkl changed", "new.pkl is new", "old.txt is gone"]
        );
        assert!(changes(&a, &a).is_empty());
    }

    #[test]
    fn pickle_module_info_is_judged_as_an_import() {
        let loader = MODULE_NAME_FILES[0].2;
        let ok = module_name_entry(
            "data/pickle_module_info.txt",
            "mlflow.pytorch.pickle_module\n",
            true,
            loader,
        );
        assert_eq!(ok.imports[0].module, "mlflow.pytorch.pickle_module");
        assert_eq!(ok.verdict, Verdict::Unknown);
        let bad = module_name_entry("data/pickle_module_info.txt", "os", true, loader);
        assert_eq!(bad.verdict, Verdict::Dangerous, "{:?}", bad.imports[0].rule);
        let odd = module_name_entry("data/pickle_module_info.txt", "a b;c", true, loader);
        assert_eq!(odd.verdict, Verdict::Dangerous);
    }
}
