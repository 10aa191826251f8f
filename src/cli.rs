//! The command line: no subcommand opens the window; `show` prints a model card, `predict`
//! builds, checks and sends a request, `openapi` describes the endpoint, using the same
//! library calls as the GUI.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use crate::input::build::InputSource;
use crate::input::image::ColorMode;
use crate::model::environment::{Dependency, Requirement};
use crate::model::example::ExampleData;
use crate::model::flavors::{FlavorView, PyFuncEnv};
use crate::model::fsutil::{PathStatus, human_size};
use crate::model::signature::{ColType, Schema, SignatureState, Spec};
use crate::model::{self, Location, ModelCard};
use crate::predict::BackendSettings;
use crate::predict::local::EnvManager;
use crate::session::{ResizeKind, ScalingKind};

/// Open an MLflow model folder and show what the model is.
///
/// With no subcommand the window opens, on MODEL if given.
#[derive(Debug, Parser)]
#[command(
    name = "mlmodel-inspector",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// What to do; none opens the window.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The model folder (or its MLmodel file) to open in the window.
    pub model: Option<PathBuf>,
    /// Image files to put on the model's Test tab, ready for Predict; repeatable.
    #[arg(long, value_name = "FILE", requires = "model")]
    pub image: Vec<PathBuf>,
    /// The window's size in points, e.g. 900x600 (default: the size it had when last closed,
    /// or 1200x800).
    #[arg(long, value_name = "WxH", value_parser = parse_window_size)]
    pub window_size: Option<[f32; 2]>,
}

/// Reads `WIDTHxHEIGHT` for `--window-size`: whole points, from the window's smallest size
/// (640x420) to 16384 each way.
pub fn parse_window_size(text: &str) -> Result<[f32; 2], String> {
    let (w, h) = text
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("{text:?} is not WIDTHxHEIGHT, e.g. 900x600"))?;
    let side = |s: &str, least: u32| -> Result<f32, String> {
        let n: u32 = s
            .trim()
            .parse()
            .map_err(|_| format!("{s:?} in {text:?} is not a whole number of points"))?;
        if !(least..=16384).contains(&n) {
            return Err(format!("{n} is outside {least}..=16384 (in {text:?})"));
        }
        Ok(n as f32)
    };
    Ok([side(w, 640)?, side(h, 420)?])
}

/// The subcommands.
#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per run
pub enum Command {
    /// Print the model card: flavors, signature, environment, input example, files.
    Show {
        /// The model: a folder, its `MLmodel` file, a folder one level above it, or a URI on a
        /// tracking server (`models:/NAME/VERSION`, `models:/NAME@ALIAS`, `models:/NAME/latest`,
        /// `models:/MODEL_ID`, `runs:/RUN_ID/PATH`, `mlflow-artifacts:/PATH`).
        model: PathBuf,
        /// The tracking server for a URI (default: MLFLOW_TRACKING_URI). Credentials come from
        /// MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD.
        #[arg(long, value_name = "URL")]
        tracking_uri: Option<String>,
        /// Print one JSON document instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Print an OpenAPI 3.1 document for the model's scoring endpoint (`mlflow models serve`).
    Openapi {
        /// The model: a folder, its `MLmodel` file, a folder one level above it, or a URI on a
        /// tracking server (`models:/NAME/VERSION`, `models:/NAME@ALIAS`, `models:/NAME/latest`,
        /// `models:/MODEL_ID`, `runs:/RUN_ID/PATH`, `mlflow-artifacts:/PATH`).
        model: PathBuf,
        /// The tracking server for a URI (default: MLFLOW_TRACKING_URI). Credentials come from
        /// MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD.
        #[arg(long, value_name = "URL")]
        tracking_uri: Option<String>,
    },
    /// Build the request the scoring server takes, check it with MLflow's rules, send it, and
    /// print the answer (`{"predictions": ...}`); with --dry-run, print the request instead.
    ///
    /// With no --input and no --image the model's input example is used.
    Predict {
        /// The model: a folder, its `MLmodel` file, a folder one level above it, or a URI on a
        /// tracking server (`models:/NAME/VERSION`, `models:/NAME@ALIAS`, `models:/NAME/latest`,
        /// `models:/MODEL_ID`, `runs:/RUN_ID/PATH`, `mlflow-artifacts:/PATH`).
        model: PathBuf,
        /// The tracking server for a URI (default: MLFLOW_TRACKING_URI). Credentials come from
        /// MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD.
        #[arg(long, value_name = "URL")]
        tracking_uri: Option<String>,
        /// A JSON request body to send as it is.
        #[arg(long, value_name = "REQUEST.json", conflicts_with = "image")]
        input: Option<PathBuf>,
        /// An image file for the model's image-shaped tensor; repeat for a batch.
        #[arg(long, value_name = "FILE", conflicts_with_all = ["npy", "csv"])]
        image: Vec<PathBuf>,
        /// A .npy file for a tensor input: `FILE`, or `NAME=FILE` for a named tensor; repeatable.
        #[arg(long, value_name = "[NAME=]FILE", conflicts_with_all = ["input", "csv"])]
        npy: Vec<String>,
        /// A CSV file with a header row, for a column-based model.
        #[arg(long, value_name = "FILE", conflicts_with = "input")]
        csv: Option<PathBuf>,
        /// Inference params as a JSON object, e.g. '{"temperature": 0.2}'.
        #[arg(long, value_name = "JSON")]
        params: Option<String>,
        /// How images are brought to the signature's height and width.
        #[arg(long, value_enum, default_value_t = ResizeKind::Stretch)]
        resize: ResizeKind,
        /// The letterbox padding colour, 0–255 per channel.
        #[arg(long, value_name = "R,G,B[,A]", value_parser = parse_pad, default_value = "0,0,0")]
        pad: [u8; 4],
        /// How pixels become numbers of a float tensor (integer tensors keep 0–255).
        #[arg(long, value_enum, default_value_t = ScalingKind::Raw)]
        scaling: ScalingKind,
        /// Per-channel mean for --scaling mean-std, on the 0–1 scale (default: ImageNet's).
        #[arg(long, value_name = "R,G,B", value_parser = parse_triple)]
        mean: Option<[f32; 3]>,
        /// Per-channel std for --scaling mean-std, on the 0–1 scale (default: ImageNet's).
        #[arg(long, value_name = "R,G,B", value_parser = parse_triple)]
        std: Option<[f32; 3]>,
        /// The colour mode (default: the one the tensor's channel count asks for; grayscale on a
        /// 3-channel tensor puts the grey in every channel).
        #[arg(long, value_enum)]
        color: Option<ColorMode>,
        /// Width and height for images where the signature leaves them free (-1).
        #[arg(long, value_name = "WxH", value_parser = parse_image_size, default_value = "224x224")]
        image_size: (u32, u32),
        /// The body's form: MLflow's `/invocations` or Azure ML's `input_data`.
        #[arg(long, value_enum, default_value_t = FormatArg::Mlflow)]
        format: FormatArg,
        /// Check and print the request body, sending nothing.
        #[arg(long)]
        dry_run: bool,
        /// Where the model runs: `auto` (onnx for models with the onnx flavor; other models need
        /// an explicit `local`, which runs the model's code, or a URL),
        /// `onnx` (in-process, no Python), `local` (MLflow's scoring server started for the
        /// folder; this runs the model's code), or the URL of a running scoring server.
        #[arg(long, value_name = "auto|onnx|local|URL", default_value = "auto")]
        backend: String,
        /// The Python with mlflow for the local backend (default: MLMODEL_INSPECTOR_PYTHON, the
        /// active virtualenv or conda env, then python3 on PATH).
        #[arg(long, value_name = "PATH")]
        python: Option<PathBuf>,
        /// How the local server gets the model's packages: the chosen Python as it is, or the
        /// model's own environment built by uv or virtualenv.
        #[arg(long, value_enum, default_value_t = EnvManagerArg::Local)]
        env_manager: EnvManagerArg,
        /// An HTTP header for a URL backend, e.g. 'Authorization: Bearer TOKEN'; repeatable.
        #[arg(long, value_name = "'K: V'")]
        header: Vec<String>,
        /// Seconds a prediction may take.
        #[arg(long, value_name = "SECONDS", default_value_t = 60)]
        timeout: u64,
        /// Send the request N times (built once) and print `latency_ms p50=<ms> p95=<ms> n=<N>`
        /// on stderr: warm latency from a shell.
        #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
        repeat: u32,
    },
}

/// Reads `--pad`: `R,G,B` or `R,G,B,A`, each 0–255 (alpha 255 when left out).
pub fn parse_pad(text: &str) -> Result<[u8; 4], String> {
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    if !(3..=4).contains(&parts.len()) {
        return Err(format!(
            "{text:?} is not R,G,B or R,G,B,A, e.g. 114,114,114"
        ));
    }
    let mut out = [0, 0, 0, 255];
    for (slot, part) in out.iter_mut().zip(&parts) {
        *slot = part
            .parse()
            .map_err(|_| format!("{part:?} in {text:?} is not a whole number 0–255"))?;
    }
    Ok(out)
}

/// Reads `--mean` and `--std`: three numbers, e.g. `0.485,0.456,0.406`.
pub fn parse_triple(text: &str) -> Result<[f32; 3], String> {
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    let [a, b, c] = parts.as_slice() else {
        return Err(format!("{text:?} is not three numbers R,G,B"));
    };
    let num = |s: &str| {
        s.parse::<f32>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("{s:?} in {text:?} is not a number"))
    };
    Ok([num(a)?, num(b)?, num(c)?])
}

/// Reads `--image-size`: `WIDTHxHEIGHT`, each 1–16384, as (width, height).
pub fn parse_image_size(text: &str) -> Result<(u32, u32), String> {
    let (w, h) = text
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("{text:?} is not WIDTHxHEIGHT, e.g. 224x224"))?;
    let side = |s: &str| {
        s.trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=16384).contains(n))
            .ok_or_else(|| format!("{s:?} in {text:?} is not a whole number 1–16384"))
    };
    Ok((side(w)?, side(h)?))
}

/// `--env-manager`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EnvManagerArg {
    /// The chosen Python as it is.
    Local,
    /// The model's own environment, built with uv.
    Uv,
    /// The model's own environment, built with virtualenv.
    Virtualenv,
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    /// `{"inputs"|"dataframe_split": ..., "params": ...}` for MLflow's scoring server.
    Mlflow,
    /// `{"input_data": ..., "params": ...}` for Azure ML.
    Azure,
}

/// Runs the command; `Err` is printed as `error: ...` with exit code 2.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let Some(command) = cli.command else {
        #[cfg(feature = "gui")]
        {
            crate::ui::run(cli.model, cli.image, cli.window_size)?;
            return Ok(ExitCode::SUCCESS);
        }
        #[cfg(not(feature = "gui"))]
        anyhow::bail!("this build has no window (built without the `gui` feature): use `show`");
    };
    match command {
        Command::Show {
            model,
            tracking_uri,
            json,
        } => {
            let crate::session::Opened { card, remote } =
                crate::session::open(&model, tracking_uri.as_deref())?;
            let out = if json {
                let mut doc = model::json::card_to_json(&card);
                if let (Some(r), Some(obj)) = (&remote, doc.as_object_mut()) {
                    obj.insert("source".into(), remote_json(r));
                }
                serde_json::to_string_pretty(&doc).context("cannot write the card as JSON")?
            } else {
                let mut text = String::new();
                if let Some(r) = &remote {
                    text.push_str(&remote_text(r));
                }
                text.push_str(&render_card(&card));
                text
            };
            print_out(&out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Openapi {
            model,
            tracking_uri,
        } => {
            let card = crate::session::open(&model, tracking_uri.as_deref())?.card;
            let doc = crate::input::openapi::openapi_document(&card);
            print_out(&serde_json::to_string_pretty(&doc).context("cannot write the document")?)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Predict {
            model,
            tracking_uri,
            input,
            image,
            npy,
            csv,
            params,
            resize,
            pad,
            scaling,
            mean,
            std,
            color,
            image_size,
            format,
            dry_run,
            backend,
            python,
            env_manager,
            header,
            timeout,
            repeat,
        } => {
            let source = if let Some(path) = input {
                InputSource::RequestFile(path)
            } else if !image.is_empty() {
                InputSource::Images(image)
            } else if !npy.is_empty() {
                // Named by NAME=FILE, else by the file's stem, as files dropped on the window.
                InputSource::Npy(
                    npy.iter()
                        .map(|a| crate::session::parse_npy_arg(a))
                        .collect(),
                )
            } else if let Some(path) = csv {
                InputSource::Csv(path)
            } else {
                InputSource::Example
            };
            let mut settings = BackendSettings {
                python,
                env_manager: match env_manager {
                    EnvManagerArg::Local => EnvManager::Local,
                    EnvManagerArg::Uv => EnvManager::Uv,
                    EnvManagerArg::Virtualenv => EnvManager::Virtualenv,
                },
                timeout_s: timeout,
                ..BackendSettings::default()
            };
            for line in &header {
                settings
                    .headers
                    .push(crate::predict::parse_header(line).map_err(anyhow::Error::msg)?);
            }
            let image = crate::session::ImageSpec {
                resize,
                pad,
                scaling,
                mean_std: (
                    mean.unwrap_or(crate::session::IMAGENET_MEAN_STD.0),
                    std.unwrap_or(crate::session::IMAGENET_MEAN_STD.1),
                ),
                color,
                free_size: image_size,
            };
            let send = (!dry_run).then_some((backend, settings, repeat));
            predict(model, tracking_uri, source, params, image, format, send)
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn predict(
    model: PathBuf,
    tracking_uri: Option<String>,
    source: InputSource,
    params: Option<String>,
    image: crate::session::ImageSpec,
    format: FormatArg,
    send: Option<(String, BackendSettings, u32)>,
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
    let body = build_request(&card, &source, params.as_ref(), options, body_format)?;
    if format == FormatArg::Mlflow {
        let verdict =
            crate::input::validate::validate_body(crate::input::validate::Model::of(&card), &body);
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
    if let Some((backend, settings, repeat)) = send {
        return send_request(card, remote, &body, &backend, &settings, repeat);
    }
    // Pretty for bodies a person reads; one line for large tensors (a 300x300 image is 270,000
    // numbers).
    let compact = serde_json::to_string(&body).context("cannot write the request as JSON")?;
    if compact.len() < 64_000 {
        print_out(
            &serde_json::to_string_pretty(&body).context("cannot write the request as JSON")?,
        )?;
    } else {
        print_out(&compact)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Where a remote model came from, for `show --json`.
fn remote_json(r: &crate::source::RemoteModel) -> serde_json::Value {
    serde_json::json!({
        "uri": r.uri.to_string(),
        "tracking_uri": r.tracking.base,
        "registered": r.registry,
        "location": r.location.to_string(),
        "cache": r.dir.display().to_string(),
        "files": r.files.len(),
        "bytes_not_fetched": r.missing_bytes(),
    })
}

/// Where a remote model came from, for `show`.
fn remote_text(r: &crate::source::RemoteModel) -> String {
    let mut out = String::new();
    row(
        &mut out,
        0,
        "source",
        format!("{} on {}", r.uri, r.tracking.base),
    );
    if let Some(reg) = &r.registry {
        row(&mut out, 0, "registered", reg);
    }
    row(&mut out, 0, "artifacts", &r.location);
    row(
        &mut out,
        0,
        "cache",
        format!(
            "{} ({} not fetched yet)",
            r.dir.display(),
            human_size(r.missing_bytes())
        ),
    );
    out
}

/// Sends a checked body to the chosen backend and prints the answer.
fn send_request(
    card: model::ModelCard,
    remote: Option<crate::source::RemoteModel>,
    body: &serde_json::Value,
    backend: &str,
    settings: &BackendSettings,
    repeat: u32,
) -> anyhow::Result<ExitCode> {
    use crate::predict::{BackendChoice, Reply, Runner};
    let has_onnx = crate::session::BackendKind::auto(&card).is_some();
    let choice = BackendChoice::parse(backend, has_onnx).map_err(anyhow::Error::msg)?;
    let mut runner = Runner::new(std::sync::Arc::new(card));
    if let Some(r) = remote {
        runner.set_remote(r);
    }
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let outcome = runner.predict(&choice, settings, body, &cancel);
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
            .predict(&choice, settings, body, &cancel)
            .map_err(|e| fail(e, &runner))?;
        latencies.push(outcome.latency);
    }
    if repeat > 1 {
        eprintln!("{}", latency_line(&latencies));
    }
    match &outcome.reply {
        Reply::Predictions {
            raw,
            wrapped,
            non_finite,
            ..
        } => {
            let text = if *wrapped {
                raw.trim().to_string()
            } else {
                format!("{{\"predictions\": {}}}", raw.trim())
            };
            print_out(&text)?;
            if *non_finite {
                eprintln!(
                    "note: the answer holds NaN or Infinity tokens (as Python's json writes them)"
                );
            }
            if outcome.cold() {
                eprintln!(
                    "note: {} ready in {:.0} ms; prediction took {:.1} ms",
                    choice.label(),
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

/// `latency_ms p50=<ms> p95=<ms> n=<N>` (nearest-rank percentiles).
pub fn latency_line(latencies: &[std::time::Duration]) -> String {
    use crate::perf::nearest_rank;
    let mut ms: Vec<f64> = latencies.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    ms.sort_by(f64::total_cmp);
    format!(
        "latency_ms p50={:.3} p95={:.3} n={}",
        nearest_rank(&ms, 0.50),
        nearest_rank(&ms, 0.95),
        ms.len()
    )
}

/// Writes `text` and a newline to stdout; a closed pipe (`| head`) is not an error.
fn print_out(text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write to stdout"),
    }
}

fn status_text(status: &PathStatus) -> String {
    match status {
        PathStatus::Present { is_dir: true, .. } => "present (folder)".into(),
        PathStatus::Present { size, .. } => format!("present ({})", human_size(*size)),
        PathStatus::Missing => "MISSING".into(),
        PathStatus::Outside { reason } => format!("OUTSIDE the model folder: {reason}"),
    }
}

fn row(out: &mut String, indent: usize, label: &str, value: impl std::fmt::Display) {
    let _ = writeln!(out, "{:indent$}{label:<22} {value}", "");
}

/// Lines of a nested column type, as a tree.
fn type_tree(out: &mut String, ty: &ColType, indent: usize) {
    match ty {
        ColType::Array(items) => {
            let _ = writeln!(out, "{:indent$}items: {}", "", items.label());
            if items.is_nested() {
                type_tree(out, items, indent + 2);
            }
        }
        ColType::Map(values) => {
            let _ = writeln!(out, "{:indent$}values: {}", "", values.label());
            if values.is_nested() {
                type_tree(out, values, indent + 2);
            }
        }
        ColType::Object(props) => {
            for p in props {
                let req = if p.required.unwrap_or(false) {
                    "required"
                } else {
                    "optional"
                };
                let _ = writeln!(out, "{:indent$}{}: {} ({req})", "", p.name, p.ty.label());
                if p.ty.is_nested() {
                    type_tree(out, &p.ty, indent + 2);
                }
            }
        }
        _ => {}
    }
}

fn schema_text(out: &mut String, title: &str, schema: Option<&Schema>) {
    let Some(schema) = schema else {
        let _ = writeln!(out, "  {title}: none");
        return;
    };
    let kind = if schema.is_tensor() {
        "tensors"
    } else {
        "columns"
    };
    let _ = writeln!(out, "  {title} ({} {kind}):", schema.specs.len());
    for (i, spec) in schema.specs.iter().enumerate() {
        let name = spec
            .name()
            .map(str::to_string)
            .unwrap_or_else(|| format!("[{i}]"));
        let req = match spec {
            Spec::Tensor(_) => "",
            Spec::Column(c) if c.is_required() => "  required",
            Spec::Column(_) => "  optional",
        };
        let _ = writeln!(out, "    {name:<20} {}{req}", spec.type_label());
        if let Spec::Column(c) = spec
            && c.ty.is_nested()
        {
            type_tree(out, &c.ty, 26);
        }
    }
}

fn dep_text(dep: &Dependency) -> String {
    match &dep.requirement {
        Requirement::Package {
            name, spec, marker, ..
        } => {
            let spec = if spec.is_empty() {
                "(any version)"
            } else {
                spec.as_str()
            };
            let marker = marker
                .as_ref()
                .map(|m| format!("  ; {m}"))
                .unwrap_or_default();
            format!("{name:<28} {spec}{marker}")
        }
        Requirement::Include { constraint, path } => {
            format!("{} {path}", if *constraint { "-c" } else { "-r" })
        }
        Requirement::Other(line) => line.clone(),
    }
}

/// The card as text for a terminal.
pub fn render_card(card: &ModelCard) -> String {
    let mut out = String::new();
    let m = &card.mlmodel;
    let _ = writeln!(out, "Model {}", card.display_name());
    row(&mut out, 2, "folder", card.root.display());
    match &card.location {
        Location::OneDown { subfolder } => row(
            &mut out,
            2,
            "note",
            format!(
                "MLmodel found in {subfolder}/ inside {}",
                card.chosen.display()
            ),
        ),
        Location::File => row(&mut out, 2, "note", "opened from its MLmodel file"),
        Location::Folder => {}
    }
    let flavor_names: Vec<&str> = card.flavors.iter().map(|f| f.name.as_str()).collect();
    row(&mut out, 2, "flavors", flavor_names.join(", "));
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    row(&mut out, 2, "mlflow_version", opt(&m.mlflow_version));
    let created_key = if m.time_created_is_legacy {
        "time_created"
    } else {
        "utc_time_created"
    };
    row(&mut out, 2, created_key, opt(&m.utc_time_created));
    row(&mut out, 2, "model_uuid", opt(&m.model_uuid));
    if m.model_id.is_some() {
        row(&mut out, 2, "model_id", opt(&m.model_id));
    }
    if m.run_id.is_some() {
        row(&mut out, 2, "run_id", opt(&m.run_id));
    }
    if m.artifact_path.is_some() {
        row(&mut out, 2, "artifact_path", opt(&m.artifact_path));
    }
    let size = match m.model_size_bytes {
        Some(n) => format!(
            "{} (model_size_bytes), {} on disk",
            human_size(n),
            human_size(card.artifacts.total_size)
        ),
        None => format!("{} on disk", human_size(card.artifacts.total_size)),
    };
    row(&mut out, 2, "size", size);
    for (key, value) in [
        (
            "databricks_runtime",
            m.databricks_runtime
                .as_ref()
                .map(|s| serde_json::Value::String(s.clone())),
        ),
        ("metadata", m.metadata.clone()),
        ("resources", m.resources.clone()),
        ("auth_policy", m.auth_policy.clone()),
        ("wheels", m.wheels.clone()),
        ("prompts", m.prompts.as_ref().map(|p| serde_json::json!(p))),
        (
            "env_vars",
            m.env_vars.as_ref().map(|p| serde_json::json!(p)),
        ),
    ] {
        if let Some(v) = value {
            row(&mut out, 2, key, compact(&v));
        }
    }
    for (key, value) in &m.unknown {
        row(&mut out, 2, &format!("{key} (unknown key)"), compact(value));
    }
    if let Some(classes) = &card.classes {
        let shown: Vec<&str> = classes.names.iter().take(8).map(String::as_str).collect();
        let more = classes.names.len().saturating_sub(shown.len());
        let mut text = format!(
            "{} from {}: {}",
            crate::text::count(classes.names.len(), "name", "names"),
            classes.origin,
            shown.join(", ")
        );
        if more > 0 {
            text.push_str(&format!(", … {more} more"));
        }
        row(&mut out, 2, "class names", text);
    }

    let _ = writeln!(out, "\nFlavors");
    for flavor in &card.flavors {
        let version = flavor
            .view
            .framework_version()
            .map(|(n, v)| format!("  ({n} {v})"))
            .unwrap_or_default();
        let _ = writeln!(out, "  {}{version}", flavor.name);
        if let FlavorView::PythonFunction(p) = &flavor.view {
            row(&mut out, 4, "loader_module", opt(&p.loader_module));
            row(&mut out, 4, "predict_fn", &p.predict_fn);
            row(&mut out, 4, "python_version", opt(&p.python_version));
            let env = match &p.env {
                None => "-".to_string(),
                Some(PyFuncEnv::Legacy(f)) => format!("{f} (legacy single-file form)"),
                Some(PyFuncEnv::Files { conda, virtualenv }) => format!(
                    "conda: {}, virtualenv: {}",
                    conda.as_deref().unwrap_or("-"),
                    virtualenv.as_deref().unwrap_or("-")
                ),
            };
            row(&mut out, 4, "env", env);
            if p.streamable {
                row(
                    &mut out,
                    4,
                    "streamable",
                    format!("yes ({})", p.predict_stream_fn),
                );
            }
        }
        for (key, value) in &flavor.config {
            if matches!(flavor.view, FlavorView::PythonFunction(_))
                && matches!(
                    key.as_str(),
                    "loader_module" | "predict_fn" | "python_version" | "env"
                )
            {
                continue;
            }
            match flavor.files.iter().find(|f| &f.key == key) {
                Some(file) => {
                    row(
                        &mut out,
                        4,
                        key,
                        format!("{}  [{}]", file.path, status_text(&file.status)),
                    );
                    if let Some(from) = &file.logged_from {
                        row(&mut out, 6, "logged from", from.clone());
                    }
                }
                None => row(&mut out, 4, key, compact(value)),
            }
        }
        for file in flavor
            .files
            .iter()
            .filter(|f| !flavor.config.contains_key(&f.key) || f.key == "env")
        {
            row(
                &mut out,
                4,
                &file.key,
                format!("{}  [{}]", file.path, status_text(&file.status)),
            );
        }
    }

    let _ = writeln!(out, "\nSignature");
    match &card.signature {
        SignatureState::Absent => {
            let _ = writeln!(
                out,
                "  none: MLflow passes any input to the model unchecked, and the request format must be guessed from the input example"
            );
        }
        SignatureState::Invalid { part, error } => {
            let _ = writeln!(out, "  INVALID ({part}): {error}");
        }
        SignatureState::Valid(sig) => {
            schema_text(&mut out, "Inputs", sig.inputs.as_ref());
            schema_text(&mut out, "Outputs", sig.outputs.as_ref());
            match &sig.params {
                None => {
                    let _ = writeln!(out, "  Params: none");
                }
                Some(params) => {
                    let _ = writeln!(out, "  Params ({}):", params.len());
                    for p in params {
                        let shape = if p.shape.is_some() { " list" } else { "" };
                        let _ = writeln!(
                            out,
                            "    {:<20} {}{shape}  default {}",
                            p.name,
                            p.ty.label(),
                            compact(&p.default)
                        );
                    }
                }
            }
            if m.is_signature_from_type_hint == Some(true) {
                let _ = writeln!(
                    out,
                    "  (from type hints: the scoring server needs {{\"inputs\": ...}})"
                );
            }
        }
    }

    let env = &card.environment;
    let _ = writeln!(out, "\nEnvironment");
    row(&mut out, 2, "python", opt(&env.python_version));
    if let Some(conda) = &env.conda {
        match &conda.parsed {
            Ok(c) => {
                row(
                    &mut out,
                    2,
                    &conda.file,
                    format!(
                        "channels: {}; python {}",
                        c.channels.join(", "),
                        opt(&c.python)
                    ),
                );
            }
            Err(e) => row(&mut out, 2, &conda.file, format!("unreadable: {e}")),
        }
    }
    if let Some(venv) = &env.python_env {
        match &venv.parsed {
            Ok(p) => {
                let build: Vec<&str> = p.build.iter().map(|d| d.line.as_str()).collect();
                row(
                    &mut out,
                    2,
                    &venv.file,
                    format!("python {}; build: {}", opt(&p.python), build.join(", ")),
                );
            }
            Err(e) => row(&mut out, 2, &venv.file, format!("unreadable: {e}")),
        }
    }
    let deps = env.dependencies();
    if !deps.is_empty() {
        let _ = writeln!(out, "  Dependencies:");
        for dep in deps {
            let _ = writeln!(out, "    {:<40} from {}", dep_text(dep), dep.source.label());
        }
    }
    for mismatch in &env.mismatches {
        let _ = writeln!(out, "  MISMATCH: {mismatch}");
    }

    let _ = writeln!(out, "\nInput example");
    match &card.input_example {
        None => {
            let _ = writeln!(out, "  none");
        }
        Some(ex) => {
            row(
                &mut out,
                2,
                "file",
                ex.info
                    .artifact_path
                    .as_deref()
                    .unwrap_or("input_example.json"),
            );
            row(&mut out, 2, "type", ex.info.kind.as_deref().unwrap_or("-"));
            match &ex.data {
                Ok(data) => {
                    row(&mut out, 2, "data", data.summary());
                    if let ExampleData::Dataframe {
                        columns: Some(cols),
                        ..
                    } = data
                    {
                        row(&mut out, 2, "columns", cols.join(", "));
                    }
                }
                Err(e) => row(&mut out, 2, "data", format!("unreadable: {e}")),
            }
            if let Some(p) = &ex.params {
                row(
                    &mut out,
                    2,
                    "params",
                    compact(&serde_json::Value::Object(p.clone())),
                );
            }
            if let Some(path) = &ex.info.serving_input_path {
                let state = match &ex.serving_input {
                    Some(Ok(_)) => "ready request body for /invocations",
                    _ => "unreadable",
                };
                row(&mut out, 2, "serving input", format!("{path} ({state})"));
            }
        }
    }

    let _ = writeln!(
        out,
        "\nArtifacts ({}, {})",
        crate::text::count(card.artifacts.entries.len(), "entry", "entries"),
        human_size(card.artifacts.total_size)
    );
    for a in card.artifacts.entries.iter().take(200) {
        let depth = a.path.matches('/').count();
        let name = a.path.rsplit('/').next().unwrap_or(&a.path);
        let name = if a.is_dir {
            format!("{name}/")
        } else {
            name.to_string()
        };
        let link = a
            .link_target
            .as_ref()
            .map(|t| format!(" -> {t}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {:indent$}{:<width$} {:>9}  {}{link}",
            "",
            name,
            human_size(a.size),
            a.kind.label(),
            indent = depth * 2,
            width = 36usize.saturating_sub(depth * 2)
        );
    }
    if card.artifacts.entries.len() > 200 {
        let _ = writeln!(
            out,
            "  … {} more (see --json)",
            card.artifacts.entries.len() - 200
        );
    }

    let _ = writeln!(out, "\nWarnings");
    if card.warnings.is_empty() {
        let _ = writeln!(out, "  none");
    }
    for w in &card.warnings {
        let _ = writeln!(out, "  - {w}");
    }
    out
}

fn compact(value: &serde_json::Value) -> String {
    let text = match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    crate::model::mlmodel::elide(&text, 160)
}

#[cfg(test)]
mod tests {
    use super::{latency_line, parse_image_size, parse_pad, parse_triple, parse_window_size};

    #[test]
    fn image_flags_read_what_the_window_offers() {
        assert_eq!(parse_pad("114,114,114"), Ok([114, 114, 114, 255]));
        assert_eq!(parse_pad("1, 2, 3, 4"), Ok([1, 2, 3, 4]));
        assert!(parse_pad("256,0,0").is_err());
        assert!(parse_pad("1,2").is_err());
        assert_eq!(parse_triple("0.5,0.25,1"), Ok([0.5, 0.25, 1.0]));
        assert!(parse_triple("0.5,nan,1").is_err());
        assert!(parse_triple("0.5,1").is_err());
        assert_eq!(parse_image_size("12x20"), Ok((12, 20)), "width, height");
        assert!(parse_image_size("0x20").is_err());
        assert!(parse_image_size("20").is_err());
    }
    use std::time::Duration;

    #[test]
    fn window_sizes_are_width_by_height_within_bounds() {
        assert_eq!(parse_window_size("900x600"), Ok([900.0, 600.0]));
        assert_eq!(parse_window_size("1200X800"), Ok([1200.0, 800.0]));
        assert!(
            parse_window_size("900")
                .unwrap_err()
                .contains("WIDTHxHEIGHT")
        );
        assert!(
            parse_window_size("100x600")
                .unwrap_err()
                .contains("outside 640..=16384")
        );
        assert!(parse_window_size("9e9x600").is_err());
        assert!(parse_window_size("900x-1").is_err());
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let l: Vec<Duration> = (1..=20).map(Duration::from_millis).collect();
        assert_eq!(latency_line(&l), "latency_ms p50=10.000 p95=19.000 n=20");
        assert_eq!(latency_line(&l[..1]), "latency_ms p50=1.000 p95=1.000 n=1");
    }
}
