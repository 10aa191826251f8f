//! `scan`: what loading the model would import or run, as text (a line per file, then the
//! imports that are not safe) or one JSON document; exit 1 when anything is dangerous.

use std::process::ExitCode;

use anyhow::Context as _;
use serde_json::json;

use crate::scan::{ScanReport, ScannedFile, Verdict};

/// Runs `scan` on a folder or a URI (a remote model's files are fetched first).
pub fn scan(
    model: &std::path::Path,
    tracking_uri: Option<&str>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let crate::session::Opened { card, mut remote } = crate::session::open(model, tracking_uri)?;
    if let Some(r) = remote.as_mut() {
        // Every file is read, so every file is fetched.
        super::fetch_all(r, "scan")?;
    }
    let report = crate::scan::scan_model(&card, &std::sync::atomic::AtomicBool::new(false));
    if json {
        super::print_out(
            serde_json::to_string_pretty(&report_json(&report))
                .context("cannot write the report as JSON")?,
        )?;
    } else {
        super::print_text(&report_text(&report))?;
    }
    Ok(if report.verdict == Verdict::Dangerous {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The report as `{"verdict", "files": [{"path", "format", "complete", "verdict", "imports"}]}`.
pub fn report_json(report: &ScanReport) -> serde_json::Value {
    json!({
        "verdict": report.verdict.word(),
        "files": report.files.iter().map(|f| json!({
            "path": f.path,
            "format": f.format,
            "complete": f.complete,
            "problem": f.problem,
            "verdict": f.verdict.word(),
            "imports": f.imports.iter().map(|i| json!({
                "module": i.module,
                "name": i.name,
                "opcode": i.opcode,
                "offset": i.offset,
                "called": i.called,
                "modified": i.modified,
                "verdict": i.verdict.word(),
                "rule": i.rule,
                "package": i.package,
                "pinned": i.pinned,
                "trusted_by_mlmodel": i.trusted,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

/// One line a file (`model.pkl · pickle (protocol 4) · 7 imports: 4 safe, 3 unknown
/// (scikit-learn), 0 dangerous`), then each import that is not safe with its rule.
pub fn report_text(report: &ScanReport) -> String {
    let mut out = String::new();
    for f in &report.files {
        out.push_str(&file_line(f));
        out.push('\n');
        if let Some(problem) = &f.problem {
            out.push_str(&format!("    not read to its end: {problem}\n"));
        }
        for i in f.imports.iter().filter(|i| i.verdict != Verdict::Safe) {
            let how = match (i.called, i.modified) {
                (true, true) => ", called and modified",
                (true, false) => ", called",
                (false, true) => ", modified",
                _ => "",
            };
            let pin = match i.pinned {
                Some(true) => "; requirements.txt pins it",
                Some(false) => "; requirements.txt does not pin it",
                None => "",
            };
            let place = if i.opcode == "skops schema" {
                "named in schema.json".to_string()
            } else if i.opcode.starts_with("ONNX") {
                i.opcode.to_lowercase()
            } else if i.opcode == "Keras config" {
                "named in config.json".to_string()
            } else if i.opcode == crate::scan::trust::PICKLE_MODULE_OPCODE {
                "the file's content".to_string()
            } else if i.opcode == "skops_trusted_types" {
                "trusted in MLmodel, not named in schema.json".to_string()
            } else {
                format!("{} at byte {}{how}", i.opcode, i.offset)
            };
            out.push_str(&format!(
                "    {:<9} {}  ({place}) — {}{pin}\n",
                i.verdict.word(),
                crate::text::printable(&i.full_name()),
                i.rule
            ));
        }
    }
    let (s, u, d) = report.counts();
    out.push_str(&format!(
        "\nverdict: {} ({} imports: {s} safe, {u} unknown, {d} dangerous{})\n",
        report.verdict.word(),
        s + u + d,
        if report.cancelled { "; cancelled" } else { "" }
    ));
    out
}

fn file_line(f: &ScannedFile) -> String {
    let what = if f.imports.is_empty() {
        if f.complete {
            "no imports".to_string()
        } else {
            "not read".to_string()
        }
    } else {
        let (s, u, d) = crate::scan::count(f.imports.iter());
        let mut packages: Vec<&str> = f
            .imports
            .iter()
            .filter(|i| i.verdict == Verdict::Unknown)
            .filter_map(|i| i.package.as_deref())
            .collect();
        packages.sort_unstable();
        packages.dedup();
        let named = if packages.is_empty() {
            String::new()
        } else {
            format!(" ({})", packages.join(", "))
        };
        format!(
            "{}: {s} safe, {u} unknown{named}, {d} dangerous",
            crate::text::count(f.imports.len(), "import", "imports")
        )
    };
    format!(
        "{} · {} · {what} · {}",
        crate::text::printable(&f.path),
        f.format,
        f.verdict.word()
    )
}
