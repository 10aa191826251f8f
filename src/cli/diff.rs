//! `diff A B`: the verdict (drop-in or breaking, with each reason) and the changes by section,
//! as text or one JSON document; the exit code is the verdict.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;

use super::print_out;
use crate::diff::{Comparison, SECTIONS};

pub fn diff(
    a: &Path,
    b: &Path,
    tracking_uri: Option<&str>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let open = |which: &str, path: &Path| {
        crate::session::open(path, tracking_uri)
            .with_context(|| format!("model {which} ({}) cannot be read", path.display()))
    };
    let (opened_a, opened_b) = (open("A", a)?, open("B", b)?);
    let (card_a, card_b) = (&opened_a.card, &opened_b.card);
    // A remote model's weights not fetched into its cache: their bytes are not compared.
    let ua = crate::session::unfetched(opened_a.remote.as_ref());
    let ub = crate::session::unfetched(opened_b.remote.as_ref());
    let comparison =
        crate::diff::diff_with(card_a, card_b, &crate::diff::Unfetched { a: &ua, b: &ub });
    if json {
        print_out(
            serde_json::to_string_pretty(&comparison.to_json())
                .context("cannot write the comparison")?,
        )?;
    } else {
        super::print_text(&text(
            &comparison,
            &card_a.display_name(),
            &card_b.display_name(),
        ))?;
    }
    Ok(if comparison.compatible() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The verdict, then each section's changes (breaking ones marked), equal sections in one line.
pub fn text(c: &Comparison, a: &str, b: &str) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    if c.compatible() {
        let _ = writeln!(s, "Drop-in: B ({b}) accepts every request A ({a}) accepts.");
        if !c.warnings_b.is_empty() {
            let _ = writeln!(
                s,
                "  but B's folder has {}: see below before replacing A with it.",
                crate::text::count(c.warnings_b.len(), "warning", "warnings")
            );
        }
    } else {
        let _ = writeln!(
            s,
            "Breaking: B ({b}) is not a drop-in replacement for A ({a})."
        );
        for reason in c.reasons() {
            let _ = writeln!(s, "  - {reason}");
        }
    }
    let _ = writeln!(
        s,
        "({} of A's requests checked against B's signature)",
        c.requests_checked
    );
    for (side, name, warnings) in [("A", a, &c.warnings_a), ("B", b, &c.warnings_b)] {
        if warnings.is_empty() {
            continue;
        }
        let _ = writeln!(s, "\nWarnings about {side} ({name}), as `show` gives them:");
        for w in warnings {
            let _ = writeln!(s, "  - {w}");
        }
    }
    for section in SECTIONS {
        let changes: Vec<_> = c.changes.iter().filter(|x| x.section == section).collect();
        if changes.is_empty() {
            continue;
        }
        let _ = writeln!(s, "\n{section}");
        for x in changes {
            let mark = if x.breaking { "BREAKING " } else { "" };
            let side = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".into());
            let _ = writeln!(s, "  {mark}{}: {} -> {}", x.item, side(&x.a), side(&x.b));
        }
    }
    let equal = c.equal_sections();
    if !equal.is_empty() {
        let _ = writeln!(s, "\nequal: {}", equal.join(", "));
    }
    s.trim_end().to_string()
}
