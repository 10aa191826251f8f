//! `eval`: run a model over a labelled folder or table through the chosen backend and print
//! scikit-learn's metrics (text, or one JSON document with `--json`), with a progress bar on
//! stderr and the predictions file written as results arrive. Ctrl+C stops the run and prints
//! what is done.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context as _;

use super::print_out;
use crate::eval::{DatasetSpec, EvalError, EvalOptions, EvalProgress, Report, Task};
use crate::predict::{BackendSettings, Runner};

/// What `eval` was asked.
pub struct EvalArgs {
    pub model: PathBuf,
    pub tracking_uri: Option<String>,
    pub dataset: DatasetSpec,
    pub options: EvalOptions,
    pub backend: String,
    pub settings: BackendSettings,
    /// `--trust-model`: serve a model whose scan finds something dangerous.
    pub trust_model: bool,
    pub out: Option<PathBuf>,
    pub json: bool,
    /// Where the rows are predicted.
    pub engine: Engine,
    /// The Spark master (`--engine spark`).
    pub master: String,
    /// `spark_udf`'s env_manager (`--engine spark`): local, or virtualenv.
    pub env_manager: super::args::EnvManagerArg,
    /// Predictions made elsewhere, scored against the dataset instead of predicting.
    pub predictions: Option<PathBuf>,
}

/// `--engine`: where the rows are predicted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Engine {
    /// Here, through the chosen backend.
    Local,
    /// On a Spark master, with MLflow's spark_udf.
    Spark,
}

/// Set by the first Ctrl+C: the run stops after the batch in flight and reports.
pub(super) static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_interrupt(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
    // A second Ctrl+C ends the process at once.
    // SAFETY: signal() is async-signal-safe; SIG_DFL is a valid disposition.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_DFL);
    }
}

pub(super) fn catch_interrupt() {
    let handler = on_interrupt as extern "C" fn(libc::c_int);
    // SAFETY: the handler only stores to an atomic and resets the disposition.
    unsafe {
        libc::signal(libc::SIGINT, handler as libc::sighandler_t);
    }
}

pub fn eval(args: EvalArgs) -> anyhow::Result<ExitCode> {
    if let Some(file) = args.predictions.clone() {
        return eval_predictions(args, &file);
    }
    if args.engine == Engine::Spark {
        return eval_spark(args);
    }
    if let DatasetSpec::Parquet { path, .. } = &args.dataset {
        anyhow::bail!(
            "{}: Parquet is read by Spark: add --engine spark (--master local[*] runs it on this machine), or give the table as --csv or --jsonl",
            path.display()
        );
    }
    let (card, remote, choice) = super::open_to_run(
        &args.model,
        args.tracking_uri.as_deref(),
        &args.backend,
        args.trust_model,
    )?;
    let plan = crate::eval::prepare(&card, &args.dataset, &args.options, &choice)?;
    eprintln!(
        "eval: {} through {}",
        crate::text::printable(&plan.summary),
        choice.label()
    );
    for note in &plan.notes {
        eprintln!("note: {}", crate::text::printable(note));
    }
    let mut writer = match &args.out {
        Some(path) => {
            // Before anything is opened for writing: the file is none of the run's inputs.
            let dataset = plan.dataset_path();
            crate::eval::out::check_not_an_input(path, &[dataset, card.root.as_path()])?;
            Some(crate::eval::out::PredictionsWriter::create(path)?)
        }
        None => None,
    };
    let card = std::sync::Arc::new(card);
    let mut runner = Runner::new(card.clone());
    if let Some(r) = remote {
        runner.set_remote(r);
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(plan.total as u64),
        indicatif::ProgressDrawTarget::stderr(),
    );
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:32} {pos}/{len} items · {per_sec} · ETA {eta} {msg}",
        )
        .context("the progress bar's template")?,
    );
    catch_interrupt();
    let progress = EvalProgress::default();
    let mut write_error = None;
    let result = crate::eval::run(
        &plan,
        &card,
        &mut runner,
        &choice,
        &args.settings,
        &progress,
        &INTERRUPTED,
        &mut |item| {
            bar.set_position(progress.done.load(Ordering::Relaxed) as u64);
            if item.error.is_some() {
                bar.set_message(format!(
                    "{} failed",
                    progress.failed.load(Ordering::Relaxed)
                ));
            }
            if let Some(w) = writer.as_mut()
                && write_error.is_none()
                && let Err(e) = w.write(item)
            {
                write_error = Some(e);
            }
        },
    );
    bar.finish_and_clear();
    for mismatch in &runner.mismatches {
        eprintln!("note: environment differs: {mismatch}");
    }
    runner.stop_server();
    let write_failed = close_predictions(&args, writer, write_error);
    let report = match result {
        Ok(r) => r,
        Err(e @ EvalError::Backend(_)) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(1));
        }
        Err(e) => return Err(e.into()),
    };
    finish(
        &args,
        plan.total,
        &report,
        write_failed,
        &choice.label(),
        Vec::new(),
    )
}

/// `eval --engine spark`: the table predicted by a PySpark job on `--master` (written beside
/// `--out`, or in a temporary folder removed afterwards), the metrics computed here from its
/// output as `eval` computes them.
fn eval_spark(args: EvalArgs) -> anyhow::Result<ExitCode> {
    use crate::eval::spark::SparkOptions;
    // Spark's workers load the model and run its code, as MLflow's scoring server does.
    let (card, remote, _) = super::open_to_run(
        &args.model,
        args.tracking_uri.as_deref(),
        "local",
        args.trust_model,
    )?;
    // A model on a tracking server: every file fetched into the cache, whose folder Spark
    // loads (spark_udf ships it to a cluster's executors itself).
    if let Some(mut remote) = remote {
        super::fetch_all(&mut remote, "eval on Spark")?;
    }
    let python = crate::eval::spark::python(args.settings.python.as_deref())?;
    let env_manager = match args.env_manager {
        super::args::EnvManagerArg::Virtualenv => "virtualenv",
        super::args::EnvManagerArg::Uv => "uv",
        super::args::EnvManagerArg::Local => "local",
    };
    let (plan, versions) =
        crate::eval::spark::prepare(&card, &args.dataset, &args.options, &python)?;
    eprintln!(
        "eval: {} on Spark ({}, pyspark and mlflow {versions})",
        crate::text::printable(&plan.summary),
        args.master
    );
    for note in &plan.notes {
        eprintln!("note: {}", crate::text::printable(note));
    }
    // The job and Spark's output beside the predictions file, or in a folder of their own.
    let (work, temporary) = match &args.out {
        Some(out) => (out.with_extension("spark"), None),
        None => {
            let dir = crate::eval::spark::temporary_work();
            (dir.clone(), Some(dir))
        }
    };
    let mut writer = match &args.out {
        Some(path) => {
            let dataset = plan.dataset_path().to_path_buf();
            crate::eval::out::check_not_an_input(path, &[dataset.as_path(), card.root.as_path()])?;
            Some(crate::eval::out::PredictionsWriter::create(path)?)
        }
        None => None,
    };
    let options = SparkOptions {
        master: args.master.clone(),
        python,
        env_manager: env_manager.into(),
        work: work.clone(),
    };
    let bar =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg} {elapsed}")
            .context("the progress bar's template")?,
    );
    bar.set_message(format!("the Spark job on {}", args.master));
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    catch_interrupt();
    let progress = EvalProgress::default();
    let mut write_error = None;
    let master = args.master.clone();
    let result = crate::eval::spark::run(
        &plan,
        &card,
        &options,
        &progress,
        &INTERRUPTED,
        &mut |status| bar.set_message(format!("Spark on {master}: {status}")),
        &mut |item| {
            if let Some(w) = writer.as_mut()
                && write_error.is_none()
                && let Err(e) = w.write(item)
            {
                write_error = Some(e);
            }
        },
    );
    bar.finish_and_clear();
    // A failed job's folder stays: the message points at its log.
    if let Some(dir) = &temporary
        && !matches!(result, Err(EvalError::Engine(_)))
    {
        let _ = std::fs::remove_dir_all(dir);
    }
    let write_failed = close_predictions(&args, writer, write_error);
    let (report, spark) = match result {
        Ok(r) => r,
        Err(EvalError::Backend(crate::predict::PredictError::Cancelled)) => {
            eprintln!(
                "error: stopped: the Spark job was cancelled before it finished (it and its JVM are stopped); Spark's predictions come only at its end, so there is nothing to report"
            );
            return Ok(ExitCode::from(1));
        }
        Err(e @ (EvalError::Backend(_) | EvalError::Engine(_))) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(1));
        }
        Err(e) => return Err(e.into()),
    };
    if temporary.is_none() {
        eprintln!("note: the Spark job and its output: {}", work.display());
    }
    let extra = vec![
        ("engine", serde_json::Value::from("spark")),
        ("master", spark.master.clone().into()),
        ("application_id", spark.application_id.clone().into()),
        ("spark_version", spark.spark_version.clone().into()),
        ("spark_rows", spark.rows.into()),
    ];
    finish(
        &args,
        plan.total,
        &report,
        write_failed,
        &format!("Spark {} on {}", spark.spark_version, spark.master),
        extra,
    )
}

/// `eval --predictions FILE --labels-from DATASET`: predictions made elsewhere scored against
/// the dataset's labels, as `eval` scores its own (nothing is predicted; the model gives the
/// class names and the columns).
fn eval_predictions(args: EvalArgs, file: &std::path::Path) -> anyhow::Result<ExitCode> {
    let crate::session::Opened { card, .. } =
        crate::session::open(&args.model, args.tracking_uri.as_deref())?;
    let plan = crate::eval::prepare(
        &card,
        &args.dataset,
        &args.options,
        &crate::predict::BackendChoice::Local,
    )?;
    let predictions = crate::eval::elsewhere::read(file)?;
    eprintln!(
        "eval: {} predictions from {} ({}), against {}",
        predictions.count,
        file.display(),
        predictions.format,
        crate::text::printable(&plan.summary)
    );
    let mut writer = match &args.out {
        Some(path) => {
            let dataset = plan.dataset_path().to_path_buf();
            crate::eval::out::check_not_an_input(path, &[dataset.as_path(), file])?;
            Some(crate::eval::out::PredictionsWriter::create(path)?)
        }
        None => None,
    };
    let progress = EvalProgress::default();
    let mut write_error = None;
    let (report, (unmatched, left)) = crate::eval::elsewhere::score(
        &plan,
        &card,
        predictions,
        &progress,
        &AtomicBool::new(false),
        &mut |item| {
            if let Some(w) = writer.as_mut()
                && write_error.is_none()
                && let Err(e) = w.write(item)
            {
                write_error = Some(e);
            }
        },
    )?;
    let write_failed = close_predictions(&args, writer, write_error);
    if report.failed > 0 {
        eprintln!(
            "note: {} of the dataset's items have no prediction or cannot be scored (listed under failures)",
            report.failed
        );
    }
    if left > 0 {
        eprintln!(
            "note: {left} predictions match no item of the dataset: {}{}",
            unmatched.join(", "),
            if left > unmatched.len() { ", …" } else { "" }
        );
    }
    let extra = vec![
        ("predictions", file.display().to_string().into()),
        ("unmatched_predictions", left.into()),
        ("unmatched_examples", unmatched.clone().into()),
    ];
    finish(
        &args,
        plan.total,
        &report,
        write_failed,
        "predictions made elsewhere",
        extra,
    )
}

/// Finishes the predictions file: it takes its place only when it was written whole (a
/// partial one is removed). True when it failed.
fn close_predictions(
    args: &EvalArgs,
    writer: Option<crate::eval::out::PredictionsWriter<std::fs::File>>,
    write_error: Option<crate::eval::out::OutError>,
) -> bool {
    let failed = match (writer, write_error) {
        (_, Some(e)) => {
            eprintln!("error: the predictions file stopped being written: {e}");
            true
        }
        (Some(w), None) => match w.finish() {
            Ok(_) => false,
            Err(e) => {
                eprintln!("error: the predictions file could not be written: {e}");
                true
            }
        },
        (None, None) => false,
    };
    if failed && let Some(path) = &args.out {
        crate::eval::out::discard_partial(path);
    }
    failed
}

/// Prints the report (text, or JSON with `extra` fields) and says how the run ended.
fn finish(
    args: &EvalArgs,
    total: usize,
    report: &Report,
    write_failed: bool,
    backend: &str,
    extra: Vec<(&str, serde_json::Value)>,
) -> anyhow::Result<ExitCode> {
    for note in &report.runtime_notes {
        eprintln!("note: {}", crate::text::printable(note));
    }
    if let Some(why) = &report.stopped {
        eprintln!(
            "error: {why}\nnote: the run stopped after {} of {} items; the metrics are of those",
            report.n + report.failed,
            total
        );
    }
    if report.cancelled {
        eprintln!(
            "note: stopped after {} of {} items; the metrics are of those",
            report.n + report.failed,
            total
        );
    }
    if let Some(names) = &report.names {
        eprintln!("note: class names from {}", names.origin);
    }
    if args.json {
        let mut doc = report.to_json();
        if let Some(obj) = doc.as_object_mut() {
            obj.insert("backend".into(), backend.into());
            obj.insert("elapsed_s".into(), report.elapsed.as_secs_f64().into());
            for (key, value) in extra {
                obj.insert(key.into(), value);
            }
        }
        print_out(serde_json::to_string_pretty(&doc).context("cannot write the report")?)?;
    } else {
        super::print_text(&report_text(report))?;
    }
    Ok(
        if report.n == 0 || write_failed || report.stopped.is_some() {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        },
    )
}

/// A label, value or name from the data as the text report shows it: at most `max`
/// characters (cut in the middle) and its control characters escaped, so that neither a
/// label of 300 MB nor one holding a terminal's escape sequences reaches the terminal.
fn shown(s: &str, max: usize) -> String {
    crate::text::printable(&crate::text::elide_middle(s, max)).into_owned()
}

fn f(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_string(), |x| format!("{x:.4}"))
}

/// The report as text: counts, metrics, the per-class table, the confusion matrix, the most
/// confident mistakes and the failures.
pub fn report_text(report: &Report) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let total = report.n + report.failed;
    let secs = report.elapsed.as_secs_f64();
    let rate = if secs > 0.0 { total as f64 / secs } else { 0.0 };
    let _ = writeln!(
        s,
        "{} predicted, {} failed ({total} items) in {secs:.1} s, {rate:.0} items/s",
        report.n, report.failed
    );
    if let Some(runtime) = &report.runtime {
        let _ = writeln!(s, "answered by {runtime}");
    }
    if let Some(c) = &report.classification {
        let _ = writeln!(s, "accuracy  {}", f(c.accuracy));
        let _ = writeln!(s, "macro F1  {}", f(c.macro_f1));
        let width = c
            .labels
            .iter()
            .map(|l| l.chars().count())
            .max()
            .unwrap_or(0)
            .clamp(5, 40);
        let _ = writeln!(
            s,
            "\n{:width$}  precision  recall  f1      support",
            "class"
        );
        for row in &c.per_class {
            let _ = writeln!(
                s,
                "{:width$}  {:<9}  {:<6}  {:<6}  {}",
                shown(&row.label, width),
                format!("{:.4}", row.precision),
                format!("{:.4}", row.recall),
                format!("{:.4}", row.f1),
                row.support
            );
        }
        if c.labels.len() <= 20 {
            let cell = c
                .matrix
                .iter()
                .flatten()
                .map(|n| n.to_string().len())
                .chain(c.labels.iter().map(|l| l.chars().count().min(12)))
                .max()
                .unwrap_or(1)
                .max(5);
            let _ = writeln!(
                s,
                "\nconfusion matrix (rows: true class, columns: predicted)"
            );
            let _ = write!(s, "{:width$}", "");
            for l in &c.labels {
                let _ = write!(s, "  {:>cell$}", shown(l, cell));
            }
            let _ = writeln!(s);
            for (label, row) in c.labels.iter().zip(&c.matrix) {
                let _ = write!(s, "{:width$}", shown(label, width));
                for n in row {
                    let _ = write!(s, "  {n:>cell$}");
                }
                let _ = writeln!(s);
            }
        } else if c.matrix.is_empty() {
            let _ = writeln!(
                s,
                "\nconfusion matrix: {} classes, too many for the whole matrix; its {} cells that are not zero are in the --json document (\"cells\": [true, predicted, count])",
                c.labels.len(),
                c.cells.len()
            );
        } else {
            let _ = writeln!(
                s,
                "\nconfusion matrix: {} classes, in the --json document",
                c.labels.len()
            );
        }
    } else if let Some(r) = &report.regression {
        let _ = writeln!(s, "MAE   {}", f(r.mae));
        let _ = writeln!(s, "RMSE  {}", f(r.rmse));
        let _ = writeln!(s, "R²    {}", f(r.r2));
    } else if report.labelled == 0 && report.n > 0 {
        let _ = writeln!(s, "no labels: predictions only (--out writes them)");
    }
    if !report.mistakes.is_empty() {
        let title = match report.task {
            Some(Task::Regression) => "largest errors",
            _ => "most confident mistakes",
        };
        let _ = writeln!(s, "\n{title}");
        for m in &report.mistakes {
            let tail = match (m.score, m.error) {
                (Some(score), _) => format!(" ({score:.4})"),
                (_, Some(e)) => format!(" (off by {})", crate::eval::number_text(e)),
                _ => String::new(),
            };
            let _ = writeln!(
                s,
                "  {}: {} predicted {}{tail}",
                shown(&m.id, 120),
                shown(&m.label, 80),
                shown(&m.prediction, 80)
            );
        }
    }
    if !report.failures.is_empty() {
        let _ = writeln!(s, "\nfailed");
        for (id, e) in report.failures.iter().take(20) {
            let _ = writeln!(s, "  {}: {}", shown(id, 120), shown(e, 300));
        }
        if report.failed > 20 {
            let _ = writeln!(s, "  … {} more (--out lists every one)", report.failed - 20);
        }
    }
    s.trim_end().to_string()
}
