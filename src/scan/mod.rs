//! What loading a model would import or run, read without running it: every file of the model
//! folder is recognised by its content (not its name); pickles are walked opcode by opcode
//! ([`pickle`]) and each import judged ([`rules`]). UI-free; `scan` on the command line and the
//! window (issue 42) call [`scan_model`].
//!
//! A file that was not read to its end is never called safe. Containers are opened
//! ([`content`]): zip archives as PyTorch reads them (no CRC, flag or name checks), gzip, bz2
//! and xz streams decompressed on the fly; each member is an entry of its own (`outer:inner`).
//! A skops archive's schema.json is read: every type it names is judged, and the entries of
//! `MLmodel`'s `skops_trusted_types` marked. Keras archives are named, and left incomplete
//! until their config is judged.

pub mod content;
pub mod pickle;
pub mod rules;
pub mod trust;

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
    /// Whether `MLmodel`'s `skops_trusted_types` trusts it (a skops type only).
    pub trusted: bool,
}

impl Import {
    /// `module.name`, or the module alone when a file names only a module to import.
    pub fn full_name(&self) -> String {
        if self.name.is_empty() {
            self.module.clone()
        } else {
            format!("{}.{}", self.module, self.name)
        }
    }
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

/// A package name as pip compares them.
pub(crate) fn normalise(name: &str) -> String {
    let base = name.split('[').next().unwrap_or(name);
    base.to_ascii_lowercase().replace(['_', '.'], "-")
}

/// An ONNX file's entry: its custom-domain operators (unknown: a library the user registers
/// runs them) and its external data outside the folder (dangerous: a read outside it).
fn onnx_entry(rel: &str, facts: &crate::predict::graph::GraphFacts) -> ScannedFile {
    let mut imports = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for n in facts
        .nodes
        .iter()
        .filter(|n| facts.custom_domains.contains(&n.domain))
    {
        if !seen.insert((n.domain.as_str(), n.op_type.as_str())) {
            continue;
        }
        imports.push(Import {
            module: n.domain.clone(),
            name: n.op_type.clone(),
            opcode: "ONNX custom operator",
            offset: 0,
            called: true,
            modified: false,
            verdict: Verdict::Unknown,
            rule: "a custom-domain operator: ONNX Runtime runs it only from a library the user registers (native code)".into(),
            package: Some(n.domain.clone()),
            pinned: None,
            trusted: false,
        });
    }
    for ext in &facts.external_data {
        if let Some(problem) = ext
            .problem
            .as_deref()
            .filter(|p| p.contains("model folder"))
        {
            imports.push(Import {
                module: "(external data)".into(),
                name: ext.file.clone(),
                opcode: "ONNX external data",
                offset: 0,
                called: false,
                modified: false,
                verdict: Verdict::Dangerous,
                rule: format!("external data outside the model folder (CVE-2024-27318): ONNX Runtime would read it; {problem}"),
                package: None,
                pinned: None,
                trusted: false,
            });
        }
    }
    let verdict = imports
        .iter()
        .map(|i| i.verdict)
        .max()
        .unwrap_or(Verdict::Safe);
    ScannedFile {
        path: rel.to_string(),
        format: format!(
            "ONNX model (IR {}, {} nodes)",
            facts.ir_version,
            facts.nodes.len()
        ),
        complete: true,
        problem: None,
        imports,
        verdict,
    }
}

/// A file naming a module MLflow's loader imports (`pickle_module_info.txt`,
/// `keras_module.txt`), read up to 4 KiB and judged as that import.
fn read_module_name_file(rel: &str, path: &std::path::Path) -> ScannedFile {
    let loader = trust::MODULE_NAME_FILES
        .iter()
        .find(|(name, ..)| rel.rsplit('/').next() == Some(*name))
        .map_or("MLflow's loader imports this module", |(_, _, l)| l);
    use std::io::Read;
    let mut text = Vec::new();
    let read = std::fs::File::open(path).and_then(|f| f.take(4097).read_to_end(&mut text));
    match read {
        Ok(_) => {
            let complete = text.len() <= 4096;
            text.truncate(4096);
            trust::module_name_entry(rel, &String::from_utf8_lossy(&text), complete, loader)
        }
        Err(e) => ScannedFile {
            path: rel.to_string(),
            format: "unreadable".into(),
            complete: false,
            problem: Some(format!("{rel}: {e}")),
            imports: Vec::new(),
            verdict: Verdict::Unknown,
        },
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
    let skops_trusted: Vec<String> = card
        .flavors
        .iter()
        .filter_map(|f| f.config.get("skops_trusted_types"))
        .filter_map(|v| v.as_array())
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    let ctx = content::Context {
        own: &own,
        pinned: &pinned,
        skops_trusted: &skops_trusted,
    };
    for entry in card.artifacts.entries.iter().filter(|e| !e.is_dir) {
        if cancel.load(Ordering::Relaxed) {
            cancelled = true;
            break;
        }
        match crate::model::fsutil::file_inside(&card.root, &entry.path) {
            // MLflow's loaders import the module these files name before loading the model.
            Ok(path)
                if trust::MODULE_NAME_FILES.iter().any(|(name, flavor, _)| {
                    entry.path.rsplit('/').next() == Some(*name) && card.flavor(flavor).is_some()
                }) =>
            {
                let mut file = read_module_name_file(&entry.path, &path);
                for i in &mut file.imports {
                    i.pinned = i.package.as_deref().map(|p| pinned.contains(&normalise(p)));
                }
                files.push(file)
            }
            Ok(path) => files.extend(content::scan_file(&ctx, &entry.path, &path)),
            Err(e) => files.push(ScannedFile {
                path: entry.path.clone(),
                format: "unreadable".into(),
                complete: false,
                problem: Some(format!("{}: {e}", entry.path)),
                imports: Vec::new(),
                verdict: Verdict::Unknown,
            }),
        }
    }
    // ONNX graphs the model loads: custom-domain operators (they need a library the user
    // registers, native code) and external data that leads out of the folder (CVE-2024-27318).
    for rel in crate::predict::graph::onnx_files(card) {
        if cancel.load(Ordering::Relaxed) {
            break;
        }
        let Some(file) = files
            .iter_mut()
            .find(|f| f.path == rel && f.format == "data")
        else {
            continue;
        };
        if let Ok(facts) =
            crate::predict::graph::read_graph(&card.root, &rel, &Default::default(), cancel)
        {
            *file = onnx_entry(&rel, &facts);
        }
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
