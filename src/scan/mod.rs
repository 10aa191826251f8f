//! What loading a model would import or run, read without running it: every file of the model
//! folder is recognised by its content (not its name); pickles are walked opcode by opcode
//! ([`pickle`]) and each import judged ([`rules`]). UI-free; `scan` on the command line and the
//! window (issue 42) call [`scan_model`].
//!
//! A file that was not read to its end is never called safe. Containers (zip, gzip, bz2, xz)
//! are recognised and, until they are opened, said to be unread.

pub mod pickle;
pub mod rules;

use std::io::Read as _;
use std::sync::atomic::{AtomicBool, Ordering};

pub use rules::Verdict;

use crate::model::ModelCard;

/// One import of a file, judged.
#[derive(Debug, Clone, PartialEq)]
pub struct Import {
    /// The module (`os`).
    pub module: String,
    /// The attribute (`system`).
    pub name: String,
    /// The opcode that imports it (`GLOBAL`, `STACK_GLOBAL`, `INST`, `EXT`).
    pub opcode: &'static str,
    /// The opcode's byte offset in the file.
    pub offset: u64,
    /// Whether the pickle calls it.
    pub called: bool,
    /// Whether the pickle modifies it (`BUILD`).
    pub modified: bool,
    /// The verdict.
    pub verdict: Verdict,
    /// The rule that decided it, in words.
    pub rule: String,
    /// The package it comes from (`scikit-learn`), for an unknown import.
    pub package: Option<String>,
    /// Whether the model's `requirements.txt` names that package (an unknown import only).
    pub pinned: Option<bool>,
}

/// One file of the model, scanned.
#[derive(Debug, Clone, PartialEq)]
pub struct ScannedFile {
    /// Its path relative to the model folder, `/`-separated.
    pub path: String,
    /// What it is, by its content: `pickle (protocol 4)`, `zip archive`, `text`, `data`.
    pub format: String,
    /// Whether it was read to its end (an unread container, a parse error or a limit hit
    /// leave it incomplete, and an incomplete file is never safe).
    pub complete: bool,
    /// Why it is incomplete, naming the byte or the limit.
    pub problem: Option<String>,
    /// What it imports.
    pub imports: Vec<Import>,
    /// The worst of its imports' verdicts (at least unknown when incomplete).
    pub verdict: Verdict,
}

/// A model folder scanned.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanReport {
    /// Every file, in the folder's order.
    pub files: Vec<ScannedFile>,
    /// The worst verdict of any file.
    pub verdict: Verdict,
    /// Whether the scan was cancelled before every file was read.
    pub cancelled: bool,
}

impl ScanReport {
    /// How many imports have each verdict, over every file: (safe, unknown, dangerous).
    pub fn counts(&self) -> (usize, usize, usize) {
        count(self.files.iter().flat_map(|f| &f.imports))
    }
}

/// (safe, unknown, dangerous) of these imports.
pub fn count<'a>(imports: impl Iterator<Item = &'a Import>) -> (usize, usize, usize) {
    imports.fold((0, 0, 0), |(s, u, d), i| match i.verdict {
        Verdict::Safe => (s + 1, u, d),
        Verdict::Unknown => (s, u + 1, d),
        Verdict::Dangerous => (s, u, d + 1),
    })
}

/// What the first bytes of a file say it is, before any walk.
fn container(head: &[u8]) -> Option<&'static str> {
    match head {
        [b'P', b'K', 3, 4, ..] | [b'P', b'K', 5, 6, ..] => Some("zip archive"),
        [0x1f, 0x8b, ..] => Some("gzip-compressed"),
        [b'B', b'Z', b'h', ..] => Some("bz2-compressed"),
        [0xfd, b'7', b'z', b'X', b'Z', 0, ..] => Some("xz-compressed"),
        [b'7', b'z', 0xbc, 0xaf, 0x27, 0x1c, ..] => Some("7z archive"),
        _ => None,
    }
}

/// A native library a loader could load (and so run).
fn native(head: &[u8]) -> Option<&'static str> {
    match head {
        [0x7f, b'E', b'L', b'F', ..] => Some("native library (ELF)"),
        [b'M', b'Z', ..] => Some("native program or library (PE)"),
        [0xcf, 0xfa, 0xed, 0xfe, ..] | [0xfe, 0xed, 0xfa, 0xcf, ..] => {
            Some("native library (Mach-O)")
        }
        _ => None,
    }
}

/// The model's own code modules: the files and folders under `code/` (`code/helpers.py` is
/// module `helpers`).
fn own_modules(card: &ModelCard) -> Vec<String> {
    card.artifacts
        .entries
        .iter()
        .filter_map(|e| {
            let rest = e.path.split('/').skip_while(|p| *p != "code").nth(1)?;
            Some(rest.trim_end_matches(".py").to_string())
        })
        .collect()
}

/// Packages `requirements.txt` names, normalised as pip compares them.
fn pinned_packages(card: &ModelCard) -> Vec<String> {
    use crate::model::environment::Source;
    card.environment
        .package_rows()
        .into_iter()
        .filter(|r| r.specs.iter().any(|(s, _)| *s == Source::Requirements))
        .map(|r| normalise(&r.name))
        .collect()
}

fn normalise(name: &str) -> String {
    let base = name.split('[').next().unwrap_or(name);
    base.to_ascii_lowercase().replace(['_', '.'], "-")
}

/// Scans one file of the folder.
fn scan_file(card: &ModelCard, rel: &str, own: &[String], pinned: &[String]) -> ScannedFile {
    let unread = |format: &str, problem: String| ScannedFile {
        path: rel.to_string(),
        format: format.to_string(),
        complete: false,
        problem: Some(problem),
        imports: Vec::new(),
        verdict: Verdict::Unknown,
    };
    let path = match crate::model::fsutil::file_inside(&card.root, rel) {
        Ok(p) => p,
        Err(e) => return unread("unreadable", format!("{rel}: {e}")),
    };
    let open = || std::fs::File::open(&path);
    let (file, len) = match open().and_then(|f| f.metadata().map(|m| (f, m.len()))) {
        Ok(x) => x,
        Err(e) => return unread("unreadable", format!("{rel}: {e}")),
    };
    let mut head = Vec::with_capacity(8);
    if let Err(e) = file.take(8).read_to_end(&mut head) {
        return unread("unreadable", format!("{rel}: {e}"));
    }
    if let Some(kind) = container(&head) {
        return unread(
            kind,
            format!(
                "{rel}: a {kind} file; its content is not read yet, so what loading it imports is not known"
            ),
        );
    }
    if let Some(kind) = native(&head) {
        return unread(
            kind,
            format!("{rel}: a {kind}: machine code that a loader may load and run"),
        );
    }
    let walk = match open() {
        Ok(f) => pickle::walk(std::io::BufReader::with_capacity(64 * 1024, f), len),
        Err(e) => return unread("unreadable", format!("{rel}: {e}")),
    };
    if !walk.is_pickle() {
        // Not a pickle: text or data, which no loader runs.
        let text = std::fs::File::open(&path)
            .and_then(|f| {
                let mut buf = Vec::new();
                f.take(4096).read_to_end(&mut buf).map(|_| buf)
            })
            .map(|b| std::str::from_utf8(&b).is_ok() || b.len() == 4096 && is_mostly_text(&b))
            .unwrap_or(false);
        return ScannedFile {
            path: rel.to_string(),
            format: if text { "text" } else { "data" }.to_string(),
            complete: true,
            problem: None,
            imports: Vec::new(),
            verdict: Verdict::Safe,
        };
    }
    let imports: Vec<Import> = walk
        .imports
        .iter()
        .map(|f| {
            let (mut verdict, mut rule) = rules::judge(&f.module, &f.name, f.literal);
            let top = f.module.split('.').next().unwrap_or("");
            let mut package = None;
            let mut is_pinned = None;
            if verdict == Verdict::Unknown {
                if own.iter().any(|m| m == top) {
                    package = Some("the model's own code".to_string());
                    rule = format!("the model's own code (code/{top})");
                } else {
                    let p = rules::package_of(&f.module);
                    if p != "the standard library" {
                        is_pinned = Some(pinned.contains(&normalise(&p)));
                    }
                    package = Some(p);
                }
            }
            if verdict == Verdict::Safe && !f.literal {
                verdict = Verdict::Dangerous;
                rule = "not a literal string".into();
            }
            Import {
                module: f.module.clone(),
                name: f.name.clone(),
                opcode: f.op.name(),
                offset: f.offset,
                called: f.called,
                modified: f.modified,
                verdict,
                rule,
                package,
                pinned: is_pinned,
            }
        })
        .collect();
    let complete = walk.complete();
    let worst = imports
        .iter()
        .map(|i| i.verdict)
        .max()
        .unwrap_or(Verdict::Safe);
    let verdict = if complete {
        worst
    } else {
        worst.max(Verdict::Unknown)
    };
    let pickles = if walk.pickles > 1 {
        format!(", {} pickles", walk.pickles)
    } else {
        String::new()
    };
    ScannedFile {
        path: rel.to_string(),
        format: format!("pickle (protocol {}{pickles})", walk.protocol),
        complete,
        problem: walk.problem.map(|p| format!("{rel}: {p}")),
        imports,
        verdict,
    }
}

/// Whether a cut-off head of bytes reads as text (a UTF-8 character split at the cut).
fn is_mostly_text(bytes: &[u8]) -> bool {
    match std::str::from_utf8(bytes) {
        Ok(_) => true,
        Err(e) => e.valid_up_to() + 4 >= bytes.len(),
    }
}

/// Scans every file of the model folder (links are not followed out of it; each file is
/// read through the same inside-the-folder check as every other read), stopping early when
/// `cancel` is set.
pub fn scan_model(card: &ModelCard, cancel: &AtomicBool) -> ScanReport {
    let own = own_modules(card);
    let pinned = pinned_packages(card);
    let mut files = Vec::new();
    let mut cancelled = false;
    for entry in card.artifacts.entries.iter().filter(|e| !e.is_dir) {
        if cancel.load(Ordering::Relaxed) {
            cancelled = true;
            break;
        }
        files.push(scan_file(card, &entry.path, &own, &pinned));
    }
    if card.artifacts.truncated {
        files.push(ScannedFile {
            path: String::new(),
            format: "listing".into(),
            complete: false,
            problem: Some(format!(
                "the folder has more than {} entries; the rest is not scanned",
                crate::model::artifacts::MAX_ENTRIES
            )),
            imports: Vec::new(),
            verdict: Verdict::Unknown,
        });
    }
    let mut verdict = files
        .iter()
        .map(|f| f.verdict)
        .max()
        .unwrap_or(Verdict::Safe);
    if cancelled {
        verdict = verdict.max(Verdict::Unknown);
    }
    ScanReport {
        files,
        verdict,
        cancelled,
    }
}
