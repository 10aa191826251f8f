//! `predict`: build the request from the session's spec, check it with MLflow's rules, send
//! it through the chosen backend and print the answer (or, with `--dry-run`, the request).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

use super::args::FormatArg;
use super::print_out;
use crate::input::build::InputSource;
use crate::model::ModelCard;
use crate::predict::BackendSettings;

#[allow(clippy::too_many_arguments)]
pub fn predict(
    model: PathBuf,
    tracking_uri: Option<String>,
    source: InputSource,
    params: Option<String>,
    image: crate::session::ImageSpec,
    format: FormatArg,
    send: Option<(String, BackendSettings, u32, Option<PathBuf>, bool)>,
) -> anyhow::Result<ExitCode> {
    use crate::input::build::build_request;
    use crate::input::request::BodyFormat;

    if send.is_some() && format == FormatArg::Azure {
        anyhow::bail!(
            "--format azure is for --dry-run: when sending, the body's form follows the backend (a URL ending in /score gets Azure ML's)"
        );
    }
    let crate::session::Opened { card, remote } =
        crate::session::open(&model, tracking_uri.as_deref())?;
    let source = match source {
        InputSource::Npy(files) => InputSource::Npy(crate::session::name_npy_files(&card, files)),
        other => other,
    };
    let params = match params {
        None => None,
        Some(text) => match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(serde_json::Value::Object(map)) => Some(map),
            Ok(other) => anyhow::bail!("--params must be a JSON object, got {other}"),
            Err(e) => anyhow::bail!("--params is not valid JSON: {e}"),
        },
    };
    let options = image.options_for(&card);
    let body_format = match format {
        FormatArg::Mlflow => BodyFormat::Mlflow,
        FormatArg::Azure => BodyFormat::AzureMl,
    };
    let request = build_request(&card, &source, params.as_ref(), options)?;
    if format == FormatArg::Mlflow {
        let verdict =
            crate::input::validate::validate(crate::input::validate::Model::of(&card), &request);
        for note in &verdict.notes {
            eprintln!("note: {note}");
        }
        if !verdict.is_ok() {
            for problem in &verdict.problems {
                eprintln!("error: {problem}");
            }
            return Ok(ExitCode::from(1));
        }
    }
    if let Some((backend, settings, repeat, labels, trust)) = send {
        let labels = labels.as_deref();
        return send_request(
            card, remote, &request, &backend, &settings, repeat, labels, trust,
        );
    }
    // Pretty for bodies a person reads; one line for large tensors (a 300x300 image is 270,000
    // numbers), streamed to stdout from the tensors rather than made into a string first.
    write_request_out(&request, body_format)?;
    Ok(ExitCode::SUCCESS)
}

/// Writes a request's body to stdout as it is serialised (a closed pipe is not an error).
fn write_request_out(
    request: &crate::input::request::Request,
    format: crate::input::request::BodyFormat,
) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let written = request
        .write_readable(format, &mut out)
        .and_then(|()| writeln!(out))
        .and_then(|()| out.flush());
    match written {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write the request to stdout"),
    }
}

/// Sends a checked request to the chosen backend and prints the answer (`trust`:
/// `--trust-model`, serving a model whose scan finds something dangerous).
#[allow(clippy::too_many_arguments)]
fn send_request(
    card: ModelCard,
    remote: Option<crate::source::RemoteModel>,
    request: &crate::input::request::Request,
    backend: &str,
    settings: &BackendSettings,
    repeat: u32,
    labels: Option<&std::path::Path>,
    trust: bool,
) -> anyhow::Result<ExitCode> {
    use crate::predict::{BackendChoice, Reply, Runner};
    let has_onnx = crate::session::BackendKind::auto(&card).is_some();
    let choice = BackendChoice::parse(backend, has_onnx).map_err(anyhow::Error::msg)?;
    let mut remote = remote;
    if !trust
        && let Some(why) = crate::session::dangerous_to_serve(&card, remote.as_mut(), &choice)
            .map_err(anyhow::Error::msg)?
    {
        anyhow::bail!("refused: {why}. Pass --trust-model to run it anyway");
    }
    // In this process, the checked request is cast to its signature's dtypes once, as MLflow
    // casts it, and every run lends it (a server gets the body as it is).
    let cast = crate::session::cast_for(&choice, &card, request);
    let request = cast.as_ref().unwrap_or(request);
    let mut runner = Runner::new(std::sync::Arc::new(card));
    if let Some(r) = remote {
        runner.set_remote(r);
    }
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let outcome = runner.predict(&choice, settings, request, &cancel);
    for mismatch in &runner.mismatches {
        eprintln!("note: environment differs: {mismatch}");
    }
    let fail = |e: crate::predict::PredictError, runner: &Runner| {
        let log = runner.log();
        if matches!(choice, BackendChoice::Local) && !log.is_empty() {
            eprintln!("server log (last lines):\n{}", log.tail(15));
        }
        anyhow::Error::from(e)
    };
    let mut outcome = outcome.map_err(|e| fail(e, &runner))?;
    // --repeat: the same body again; the latencies exclude any startup.
    let mut latencies = vec![outcome.latency];
    while latencies.len() < repeat as usize && matches!(outcome.reply, Reply::Predictions { .. }) {
        outcome = runner
            .predict(&choice, settings, request, &cancel)
            .map_err(|e| fail(e, &runner))?;
        latencies.push(outcome.latency);
    }
    if repeat > 1 {
        eprintln!("{}", latency_line(&latencies));
    }
    if let Some(note) = &outcome.note {
        eprintln!("note: {note}");
    }
    match &outcome.reply {
        Reply::Predictions {
            raw,
            wrapped,
            non_finite,
            ..
        } => {
            // Written from the body as received (no copy of an answer that may be 100 MB).
            if *wrapped {
                print_out(raw.trim())?;
            } else {
                print_out(format_args!("{{\"predictions\": {}}}", raw.trim()))?;
            }
            if *non_finite {
                eprintln!(
                    "note: the answer holds NaN or Infinity tokens (as Python's json writes them)"
                );
            }
            // The answer in words, with the class names the window would use.
            if let Some(file) = labels
                && let Err(e) = crate::session::read_labels(file)
            {
                eprintln!("note: {e}");
            }
            let view = crate::session::read_outcome(&outcome, runner.card(), labels, true);
            for line in crate::session::answer_lines(&view) {
                eprintln!("answer: {}", crate::text::printable(&line));
            }
            if let Some(names) = &view.labels {
                eprintln!("note: class names from {}", names.origin);
            }
            if outcome.cold() {
                let server = runner
                    .server_info()
                    .map(|(port, version)| {
                        format!(
                            " (MLflow {} scoring server on 127.0.0.1:{port})",
                            version.as_deref().unwrap_or("?")
                        )
                    })
                    .unwrap_or_default();
                // The in-process runtimes say which ran, with its version.
                let what = match &outcome.runtime {
                    Some(runtime) => format!("in-process on {runtime},"),
                    None => choice.label(),
                };
                eprintln!(
                    "note: {what}{server} ready in {:.0} ms; prediction took {:.1} ms",
                    outcome.startup.as_secs_f64() * 1e3,
                    outcome.latency.as_secs_f64() * 1e3
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Reply::Rejected(rejection) => {
            eprintln!("error: the request was rejected: {rejection}");
            Ok(ExitCode::from(1))
        }
    }
}

/// `latency_ms p50=<ms> p90=<ms> p95=<ms> n=<N>` (nearest-rank percentiles).
pub fn latency_line(latencies: &[std::time::Duration]) -> String {
    use crate::perf::nearest_rank;
    let mut ms: Vec<f64> = latencies.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    ms.sort_by(f64::total_cmp);
    format!(
        "latency_ms p50={:.3} p90={:.3} p95={:.3} n={}",
        nearest_rank(&ms, 0.50),
        nearest_rank(&ms, 0.90),
        nearest_rank(&ms, 0.95),
        ms.len()
    )
}

#[cfg(test)]
mod tests {
    use super::latency_line;
    use std::time::Duration;

    #[test]
    fn percentiles_are_nearest_rank() {
        let l: Vec<Duration> = (1..=20).map(Duration::from_millis).collect();
        assert_eq!(
            latency_line(&l),
            "latency_ms p50=10.000 p90=18.000 p95=19.000 n=20"
        );
        assert_eq!(
            latency_line(&l[..1]),
            "latency_ms p50=1.000 p90=1.000 p95=1.000 n=1"
        );
    }
}
