//! `explain`: which parts of one input moved the model's answer, through the chosen backend:
//! a table's row as Shapley values (text, or one JSON document with `--json`), with a progress
//! bar on stderr; Ctrl+C stops the run and says how far it got.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;

use anyhow::Context as _;
use serde_json::json;

use super::eval::{INTERRUPTED, catch_interrupt};
use super::print_out;
use crate::explain::occlusion::{ImageExplanation, ImageSpecOcclusion};
use crate::explain::shapley::Method;
use crate::explain::table::{Progress, TableExplanation, TableSpec};
use crate::explain::{ExplainError, Explanation};
use crate::predict::{BackendSettings, Runner};

/// What is explained: a table's row, or an image (with the image options of `predict`).
pub enum What {
    Row(TableSpec),
    Image(ImageSpecOcclusion),
}

/// What `explain` was asked.
pub struct ExplainArgs {
    pub model: PathBuf,
    pub tracking_uri: Option<String>,
    pub spec: What,
    pub backend: String,
    pub settings: BackendSettings,
    /// `--trust-model`: serve a model whose scan finds something dangerous.
    pub trust_model: bool,
    pub json: bool,
}

pub fn explain(args: ExplainArgs) -> anyhow::Result<ExitCode> {
    let (card, remote, choice) = super::open_to_run(
        &args.model,
        args.tracking_uri.as_deref(),
        &args.backend,
        args.trust_model,
    )?;
    let card = std::sync::Arc::new(card);
    let mut runner = Runner::new(card.clone());
    if let Some(r) = remote {
        runner.set_remote(r);
    }
    let bar =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:32} {pos}/{len} rows · {per_sec} · ETA {eta}",
        )
        .context("the progress bar's template")?,
    );
    catch_interrupt();
    let progress = Progress::default();
    let result = std::thread::scope(|scope| {
        let work = scope.spawn(|| match &args.spec {
            What::Row(spec) => crate::explain::table::run(
                &card,
                &mut runner,
                &choice,
                &args.settings,
                spec,
                &progress,
                &INTERRUPTED,
            )
            .map(Explanation::Row),
            What::Image(spec) => crate::explain::occlusion::run(
                &card,
                &mut runner,
                &choice,
                &args.settings,
                spec,
                &progress,
                &INTERRUPTED,
            )
            .map(Explanation::Image),
        });
        while !work.is_finished() {
            bar.set_length(progress.total.load(Ordering::Relaxed) as u64);
            bar.set_position(progress.done.load(Ordering::Relaxed) as u64);
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        work.join().unwrap_or_else(|_| {
            Err(ExplainError::Usage(
                "the explanation stopped unexpectedly".into(),
            ))
        })
    });
    bar.finish_and_clear();
    for mismatch in &runner.mismatches {
        eprintln!("note: environment differs: {mismatch}");
    }
    runner.stop_server();
    let explanation = match result {
        Ok(e) => e,
        Err(e) if e.is_usage() => return Err(e.into()),
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    let (doc, text) = match &explanation {
        Explanation::Row(e) => (explanation_json(e), explanation_text(e, &choice.label())),
        Explanation::Image(e) => (image_json(e), image_text(e, &choice.label())),
    };
    if args.json {
        print_out(
            serde_json::to_string_pretty(&doc).context("cannot write the explanation as JSON")?,
        )?;
    } else {
        super::print_text(&text)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// An image's explanation as `{"class", "score", "grid": [[...]], "rows_predicted",
/// "runtime", ...}`.
pub fn image_json(e: &ImageExplanation) -> serde_json::Value {
    let (class, class_name) = match &e.target {
        crate::explain::Target::Score { class, name }
        | crate::explain::Target::IsClass { class, name } => (Some(*class), name.clone()),
        _ => (None, None),
    };
    json!({
        "explained": e.target.words(),
        "class": class,
        "class_name": class_name,
        "score": e.score,
        "grid": e.grid,
        "window": e.window.0,
        "stride": e.window.1,
        "baseline": e.baseline.name(),
        "width": e.size.0,
        "height": e.size.1,
        "rows_predicted": e.rows_predicted,
        "runtime": e.runtime.as_secs_f64(),
    })
}

/// An image's explanation in words: what was explained, the grid as shades, the strongest
/// cell.
pub fn image_text(e: &ImageExplanation, backend: &str) -> String {
    let mut out = format!(
        "{}: {} on the image as the model sees it ({}x{})
",
        crate::text::capitalised(&e.target.words()),
        crate::text::short_number(e.score),
        e.size.0,
        e.size.1
    );
    let largest = e.largest();
    // Each cell as a shade of its drop (what occluding it takes away); a minus where
    // occluding it raises the score.
    let shades = [' ', '.', ':', '-', '=', '+', '*', '#', '%', '@'];
    for row in &e.grid {
        out.push_str("  ");
        for v in row {
            let c = if largest <= 0.0 {
                ' '
            } else if *v < 0.0 {
                '~'
            } else {
                let i = ((v / largest) * (shades.len() - 1) as f64).round() as usize;
                shades.get(i).copied().unwrap_or('@')
            };
            out.push(c);
            out.push(c);
        }
        out.push('\n');
    }
    let (rows, cols) = e.cells();
    if let Some((r, c, best)) = e.strongest() {
        out.push_str(&format!(
            "largest drop {} at row {r}, column {c} of the {rows}x{cols} grid, {} ('~': occluding raises the score)\n",
            crate::text::short_number(best),
            e.place(r, c)
        ));
    }
    out.push_str(&format!(
        "a {}-pixel window every {} pixels; {} images predicted through {backend} in {}\n",
        e.window.0,
        e.window.1,
        e.rows_predicted,
        crate::text::duration(e.runtime)
    ));
    out
}

/// The explanation as `{"features": [{"name", "contribution", "importance"}], "base_value",
/// "prediction", "rows_predicted", "runtime", ...}`.
pub fn explanation_json(e: &TableExplanation) -> serde_json::Value {
    let (method, permutations, seed, bound) = match &e.method {
        Method::Exact => ("exact", None, None, None),
        Method::Sampled {
            permutations,
            seed,
            bound,
        } => (
            "sampled permutations",
            Some(*permutations),
            Some(*seed),
            Some(*bound),
        ),
    };
    let (class, class_name, label) = match &e.target {
        crate::explain::Target::Score { class, name } => (Some(*class), name.clone(), None),
        crate::explain::Target::Value => (None, None, None),
        crate::explain::Target::IsLabel(l) => (None, None, Some(l.clone())),
        crate::explain::Target::IsClass { class, name } => (Some(*class), name.clone(), None),
    };
    json!({
        "row": e.row_id,
        "explained": e.target.words(),
        "class": class,
        "class_name": class_name,
        "label": label,
        "features": e.features.iter().map(|f| json!({
            "name": f.name,
            "value": f.value,
            "contribution": f.contribution,
            "importance": f.importance,
        })).collect::<Vec<_>>(),
        "base_value": e.base_value,
        "prediction": e.prediction,
        "additivity_error": e.additivity_error,
        "method": method,
        "permutations": permutations,
        "seed": seed,
        "error_bound": bound,
        "background_rows": e.background_rows,
        "rows_predicted": e.rows_predicted,
        "runtime": e.runtime.as_secs_f64(),
    })
}

/// The explanation in words: what was explained, one line a feature with a bar, and the sum
/// checked against the prediction.
pub fn explanation_text(e: &TableExplanation, backend: &str) -> String {
    let mut out = format!(
        "{} of {}: {} (base value {}, the background's mean)\n",
        crate::text::capitalised(&e.target.words()),
        e.row_id,
        crate::text::short_number(e.prediction),
        crate::text::short_number(e.base_value)
    );
    let widest = e
        .features
        .iter()
        .map(|f| f.name.chars().count())
        .max()
        .unwrap_or(0);
    let largest = e.features.first().map_or(0.0, |f| f.importance);
    for f in &e.features {
        let cells = if largest > 0.0 {
            ((f.importance / largest) * 24.0).round() as usize
        } else {
            0
        };
        out.push_str(&format!(
            "  {:<widest$}  {:>+12.6}  {}\n",
            crate::text::printable(&f.name),
            f.contribution,
            if f.contribution < 0.0 {
                "-".repeat(cells)
            } else {
                "+".repeat(cells)
            }
        ));
    }
    let sum: f64 = e.features.iter().map(|f| f.contribution).sum();
    out.push_str(&format!(
        "sum of contributions {} = prediction {} − base value {} (off by {:.1e})\n",
        crate::text::short_number(sum),
        crate::text::short_number(e.prediction),
        crate::text::short_number(e.base_value),
        e.additivity_error.abs()
    ));
    let how = match &e.method {
        Method::Exact => "exact, from every coalition".to_string(),
        Method::Sampled {
            permutations,
            seed,
            bound,
        } => format!(
            "{permutations} sampled permutations (seed {seed}), each value within ±{} at 95%",
            crate::text::short_number(*bound)
        ),
    };
    out.push_str(&format!(
        "{how}; {} background rows; {} rows predicted through {backend} in {}\n",
        e.background_rows,
        e.rows_predicted,
        crate::text::duration(e.runtime)
    ));
    out
}
