//! The command line's arguments: the subcommands and their options, each with the meaning
//! it has in the window, and the parsers for the values clap cannot read by itself.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::input::image::ColorMode;
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
    /// Print what is inside the model's ONNX graph: header, inputs and outputs, operators (and
    /// those the native runtime cannot run), weights, and how the signature compares with it.
    Graph {
        /// The model: a folder, its `MLmodel` file, a folder one level above it, or a URI on a
        /// tracking server (`models:/NAME/VERSION`, `models:/NAME@ALIAS`, `models:/NAME/latest`,
        /// `models:/MODEL_ID`, `runs:/RUN_ID/PATH`, `mlflow-artifacts:/PATH`).
        model: PathBuf,
        /// The tracking server for a URI (default: MLFLOW_TRACKING_URI). Credentials come from
        /// MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD.
        #[arg(long, value_name = "URL")]
        tracking_uri: Option<String>,
        /// Which .onnx file of the folder (default: the onnx flavor's, else the first one).
        #[arg(long, value_name = "REL_PATH")]
        file: Option<String>,
        /// Also list every node (name, op, inputs, outputs, attributes).
        #[arg(long)]
        nodes: bool,
        /// Print one JSON document instead of text.
        #[arg(long)]
        json: bool,
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
        /// Fill every tensor input with zeros, ones or random values (the Test tab's Fill).
        #[arg(long, value_enum, conflicts_with_all = ["input", "image", "npy", "csv"])]
        fill: Option<FillArg>,
        /// The range of --fill random, LOW,HIGH.
        #[arg(long, value_name = "LOW,HIGH", value_parser = parse_range, default_value = "0,1")]
        fill_range: (f64, f64),
        /// The batch size for --fill (the size of the first free axis).
        #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        batch: u32,
        /// The size --fill gives every other free (-1) axis.
        #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        free_axis: u32,
        /// Inference params as a JSON object, e.g. '{"temperature": 0.2}'.
        #[arg(long, value_name = "JSON")]
        params: Option<String>,
        #[command(flatten)]
        image_args: ImageArgs,
        /// The body's form: MLflow's `/invocations` or Azure ML's `input_data`.
        #[arg(long, value_enum, default_value_t = FormatArg::Mlflow)]
        format: FormatArg,
        /// A labels file (one class name a line) to name the classes of the answer on stderr
        /// (default: the names the model records, or a `*label*.txt` beside it that fits).
        #[arg(long, value_name = "FILE")]
        labels: Option<PathBuf>,
        /// Check and print the request body, sending nothing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        backend: BackendArgs,
        /// Send the request N times (built once) and print `latency_ms p50=<ms> p90=<ms> p95=<ms> n=<N>`
        /// on stderr: warm latency from a shell.
        #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
        repeat: u32,
    },
    /// What loading the model would import or run, read without running it: every file by
    /// its content, every pickle opcode by opcode, each import judged safe, unknown or
    /// dangerous with the rule that decided it. Exit 1 when anything is dangerous, 0
    /// otherwise, 2 when the model cannot be read.
    Scan {
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
    /// Is B a drop-in replacement for A? Compares two models (folders, or models:/ and runs:/
    /// URIs with --tracking-uri) and prints the verdict, "B accepts every request A accepts"
    /// or "Breaking:" with each reason, then every change by section. Exit 0 when B is a
    /// drop-in replacement, 1 when breaking, 2 when a model cannot be read.
    Diff {
        /// Model A, the one in use.
        a: PathBuf,
        /// Model B, the candidate.
        b: PathBuf,
        /// The tracking server for models:/ or runs:/ URIs.
        #[arg(long, value_name = "URL")]
        tracking_uri: Option<String>,
        /// Print one JSON document: {"compatible", "changes": [{"section", "item", "a", "b",
        /// "breaking"}]}.
        #[arg(long)]
        json: bool,
    },
    /// How the model does on a dataset: predict every image of a labelled folder (a subfolder
    /// per class) or every row of a CSV or JSON-lines table, and print scikit-learn's metrics,
    /// the confusion matrix and the most confident mistakes. Exit 0 when it ran (metrics are
    /// not a verdict), 1 when no item could be predicted, 2 on bad arguments or a bad dataset.
    Eval {
        /// The model folder, or a models:/ or runs:/ URI with --tracking-uri.
        model: PathBuf,
        /// The tracking server for a models:/ or runs:/ URI.
        #[arg(long, value_name = "URL")]
        tracking_uri: Option<String>,
        /// A folder of images: one subfolder per class, named after it (integer names are class
        /// indices); a folder of images without subfolders gives predictions without metrics.
        #[arg(long, value_name = "DIR", required_unless_present_any = ["csv", "jsonl", "parquet", "labels_from"], conflicts_with_all = ["csv", "jsonl", "parquet", "labels_from"])]
        images: Option<PathBuf>,
        /// A CSV file with a header row; its columns are matched to the signature by name.
        #[arg(long, value_name = "FILE", conflicts_with_all = ["jsonl", "parquet"])]
        csv: Option<PathBuf>,
        /// A JSON-lines file, one object a row; its keys are matched to the signature by name.
        #[arg(long, value_name = "FILE", conflicts_with = "parquet")]
        jsonl: Option<PathBuf>,
        /// A Parquet table, a file or a folder of part files (`key=value` subfolders are
        /// columns), read by Spark: with --engine spark. Its columns are matched to the
        /// signature by name; items are named by file and row (`part-0.parquet row 12`).
        #[arg(long, value_name = "DIR", conflicts_with = "labels_from")]
        parquet: Option<PathBuf>,
        /// The table's column holding the labels (without it: predictions only).
        #[arg(long, value_name = "COL", conflicts_with = "images")]
        label: Option<String>,
        /// A labels file, one class name a line, naming the model's output indices (default:
        /// the names the model records, or a `*label*.txt` beside it that fits).
        #[arg(long, value_name = "FILE")]
        labels: Option<PathBuf>,
        /// Classification or regression (default: read from the model's first answer).
        #[arg(long, value_enum)]
        task: Option<crate::eval::Task>,
        /// Items per request (default: the signature's fixed batch, else 32 images or 256 rows
        /// in-process, 8 images over HTTP).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=4096))]
        batch: Option<u32>,
        /// Requests in flight at once when the backend is an endpoint URL (each on its own
        /// connection; a 429 or 503 answer is retried with backoff); other backends take one
        /// batch at a time.
        #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=64))]
        concurrency: u32,
        /// Write every item's prediction to this CSV file as results arrive (columns input,
        /// label, prediction, score, error).
        #[arg(long, value_name = "PREDS.csv")]
        out: Option<PathBuf>,
        /// Print one JSON document: n, failed, metrics, confusion_matrix, per_class, mistakes.
        #[arg(long)]
        json: bool,
        /// Score predictions made elsewhere instead of predicting: an Azure ML batch
        /// endpoint's predictions.csv (a line per row or image, `['file', prediction]`), the
        /// output folder of --engine spark, or a CSV of id (or input, file, line) and
        /// prediction; matched to --labels-from's items by row id or file name.
        #[arg(long, value_name = "FILE", requires = "labels_from")]
        predictions: Option<PathBuf>,
        /// The labelled dataset the --predictions are scored against: an image folder, or a
        /// CSV or JSON-lines table with --label.
        #[arg(long, value_name = "DATASET", requires = "predictions", conflicts_with_all = ["csv", "jsonl", "parquet"])]
        labels_from: Option<PathBuf>,
        /// Where the rows are predicted: `local` (here, through --backend) or `spark` (a
        /// PySpark job with MLflow's spark_udf on --master, written beside --out, with the
        /// Python of --python; the metrics are computed here from its output).
        #[arg(long, value_enum, default_value_t = crate::cli::eval::Engine::Local)]
        engine: crate::cli::eval::Engine,
        /// The Spark master for --engine spark: `local[*]`, `local[2]`, or a cluster's URL.
        #[arg(long, value_name = "URL", default_value = "local[*]")]
        master: String,
        #[command(flatten)]
        image_args: ImageArgs,
        #[command(flatten)]
        backend: BackendArgs,
    },
    /// Which parts of this input moved this answer? Shapley values of one row of a table
    /// against a background, from predict calls alone (so through every backend): exact over
    /// every coalition up to 10 features (2^M × N rows for N background rows), sampled
    /// permutations past that, with the check that they add up to the prediction minus the
    /// background's mean prediction. Explains the chosen class's score (default: the row's top
    /// class), a regression's value, or for a model that answers only labels whether the
    /// answer is that label. Exit 0 when explained, 1 when the backend failed midway (what was
    /// done is said), 2 on bad arguments or data.
    Explain {
        /// The model folder, or a models:/ or runs:/ URI with --tracking-uri.
        model: PathBuf,
        /// The tracking server for a models:/ or runs:/ URI.
        #[arg(long, value_name = "URL")]
        tracking_uri: Option<String>,
        /// A CSV file with a header row (JSON lines by a .jsonl name); its columns are matched
        /// to the signature by name, as `eval` matches them.
        #[arg(
            long,
            value_name = "FILE",
            required_unless_present = "image",
            conflicts_with = "image"
        )]
        csv: Option<PathBuf>,
        /// An image for the model's image-shaped tensor: occlusion, a window slid over the
        /// image as the model sees it, each position replaced by --baseline; the map is the
        /// drop in the class's score, averaged where windows overlap (Captum's Occlusion).
        #[arg(long, value_name = "FILE")]
        image: Option<PathBuf>,
        /// The occluding window's side in pixels (default: from the grid, about 15 positions a
        /// side in-process, 8 through a server or an endpoint).
        #[arg(long, value_name = "PX", value_parser = clap::value_parser!(u32).range(1..=4096))]
        window: Option<u32>,
        /// The window's step in pixels (default: half the window, or from the grid).
        #[arg(long, value_name = "PX", value_parser = clap::value_parser!(u32).range(1..=4096))]
        stride: Option<u32>,
        /// What replaces an occluded window: black, the image's mean colour, or a blur.
        #[arg(long, value_enum, default_value_t = crate::explain::occlusion::Baseline::Zero)]
        baseline: crate::explain::occlusion::Baseline,
        /// The row explained, counted from 0 (the header not counted).
        #[arg(long, value_name = "N", default_value_t = 0)]
        row: usize,
        /// The background: every row of this table (at most 1,000), with the same columns.
        #[arg(long, value_name = "FILE", conflicts_with = "background_rows")]
        background: Option<PathBuf>,
        /// The background: the first N rows of the --csv table.
        #[arg(long, value_name = "N", default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=1000))]
        background_rows: u32,
        /// The class whose score is explained (default: the row's top class).
        #[arg(long, value_name = "K")]
        class: Option<usize>,
        /// Permutations sampled past 10 features (each walked with its reverse).
        #[arg(long, value_name = "N", default_value_t = 32, value_parser = clap::value_parser!(u32).range(2..=10000))]
        permutations: u32,
        /// The sampling's seed.
        #[arg(long, value_name = "N", default_value_t = 0)]
        seed: u64,
        /// Requests in flight at once when the backend is an endpoint URL (each on its own
        /// connection); other backends take one batch at a time.
        #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=64))]
        concurrency: u32,
        /// Rows (or images) per request (default: 1,024 rows, or eval's fixed batch when larger;
        /// 8 images).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
        batch: Option<u32>,
        /// Print one JSON document: for a row {"features": [{"name", "contribution",
        /// "importance"}], "base_value", "prediction", "rows_predicted", "runtime", ...}; for an
        /// image {"class", "score", "grid": [[...]], "rows_predicted", "runtime", ...}.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        image_args: ImageArgs,
        #[command(flatten)]
        backend: BackendArgs,
    },
}

/// `--fill`.
/// How image files become tensors: the options of the Test tab's image settings.
#[derive(Debug, Clone, clap::Args)]
pub struct ImageArgs {
    /// How images are brought to the signature's height and width.
    #[arg(long, value_enum, default_value_t = ResizeKind::Stretch)]
    pub resize: ResizeKind,
    /// The letterbox padding colour, 0–255 per channel.
    #[arg(long, value_name = "R,G,B[,A]", value_parser = parse_pad, default_value = "0,0,0")]
    pub pad: [u8; 4],
    /// How pixels become numbers of a float tensor (integer tensors keep 0–255).
    #[arg(long, value_enum, default_value_t = ScalingKind::Raw)]
    pub scaling: ScalingKind,
    /// Per-channel mean for --scaling mean-std, on the 0–1 scale (default: ImageNet's).
    #[arg(long, value_name = "R,G,B", value_parser = parse_triple)]
    pub mean: Option<[f32; 3]>,
    /// Per-channel std for --scaling mean-std, on the 0–1 scale (default: ImageNet's).
    #[arg(long, value_name = "R,G,B", value_parser = parse_triple)]
    pub std: Option<[f32; 3]>,
    /// The colour mode (default: the one the tensor's channel count asks for; grayscale on a
    /// 3-channel tensor puts the grey in every channel).
    #[arg(long, value_enum)]
    pub color: Option<ColorMode>,
    /// Width and height for images where the signature leaves them free (-1).
    #[arg(long, value_name = "WxH", value_parser = parse_image_size, default_value = "224x224")]
    pub image_size: (u32, u32),
}

impl ImageArgs {
    /// The session's image spec these options mean.
    pub fn spec(&self) -> crate::session::ImageSpec {
        crate::session::ImageSpec {
            resize: self.resize,
            pad: self.pad,
            scaling: self.scaling,
            mean_std: (
                self.mean.unwrap_or(crate::session::IMAGENET_MEAN_STD.0),
                self.std.unwrap_or(crate::session::IMAGENET_MEAN_STD.1),
            ),
            color: self.color,
            free_size: self.image_size,
        }
    }
}

/// Where the model runs and the backend's settings: the Test tab's backend choice and settings.
#[derive(Debug, Clone, clap::Args)]
pub struct BackendArgs {
    /// Where the model runs: `auto` (onnxruntime for models with the onnx flavor; other
    /// models need an explicit `local`, which runs the model's code, or a URL),
    /// `onnxruntime` (in-process on the ONNX Runtime library of the chosen Python's
    /// onnxruntime package, ORT_DYLIB_PATH or the system's; tract where none loads),
    /// `onnx` or `tract` (in-process with tract, no Python), `local` (MLflow's scoring
    /// server started for the folder; this runs the model's code), or the URL of a running
    /// scoring server.
    #[arg(
        long,
        value_name = "auto|onnxruntime|onnx|local|URL",
        default_value = "auto"
    )]
    pub backend: String,
    /// The Python with mlflow for the local backend (default: MLMODEL_INSPECTOR_PYTHON, the
    /// active virtualenv or conda env, then python3 on PATH).
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,
    /// The ONNX Runtime library for `--backend onnxruntime` (default: ORT_DYLIB_PATH, the
    /// onnxruntime package of the Python above, then the system's).
    #[arg(long, value_name = "PATH")]
    pub ort_lib: Option<PathBuf>,
    /// The port of the local server (default: a free one), as in the window's backend
    /// settings.
    #[arg(long, value_name = "PORT", value_parser = clap::value_parser!(u16).range(1..))]
    pub port: Option<u16>,
    /// How the local server gets the model's packages: the chosen Python as it is, or the
    /// model's own environment built by uv or virtualenv.
    #[arg(long, value_enum, default_value_t = EnvManagerArg::Local)]
    pub env_manager: EnvManagerArg,
    /// An HTTP header for a URL backend, e.g. 'Authorization: Bearer TOKEN'; repeatable.
    #[arg(long, value_name = "'K: V'")]
    pub header: Vec<String>,
    /// Seconds a prediction may take.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub timeout: u64,
    /// Start MLflow's scoring server (`--backend local`) even for a model whose `scan` finds
    /// something dangerous (without it, such a model is refused, naming the finding).
    #[arg(long)]
    pub trust_model: bool,
}

impl BackendArgs {
    /// The backend settings these options mean.
    pub fn settings(&self) -> anyhow::Result<crate::predict::BackendSettings> {
        use crate::predict::local::EnvManager;
        let mut settings = crate::predict::BackendSettings {
            python: self.python.clone(),
            ort_lib: self.ort_lib.clone(),
            env_manager: match self.env_manager {
                EnvManagerArg::Local => EnvManager::Local,
                EnvManagerArg::Uv => EnvManager::Uv,
                EnvManagerArg::Virtualenv => EnvManager::Virtualenv,
            },
            timeout_s: self.timeout,
            port: self.port,
            ..crate::predict::BackendSettings::default()
        };
        for line in &self.header {
            settings
                .headers
                .push(crate::predict::parse_header(line).map_err(anyhow::Error::msg)?);
        }
        Ok(settings)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FillArg {
    /// All zeros (false for bool).
    Zeros,
    /// All ones (true for bool).
    Ones,
    /// Uniform random values in --fill-range (rounded for integer dtypes), from a fixed seed.
    Random,
}

/// Reads `--fill-range`: `LOW,HIGH` with LOW < HIGH.
pub fn parse_range(text: &str) -> Result<(f64, f64), String> {
    let (lo, hi) = text
        .split_once(',')
        .ok_or_else(|| format!("{text:?} is not LOW,HIGH, e.g. -1,1"))?;
    let num = |s: &str| {
        s.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("{s:?} in {text:?} is not a number"))
    };
    let (lo, hi) = (num(lo)?, num(hi)?);
    if lo >= hi {
        return Err(format!("{text:?}: LOW must be below HIGH"));
    }
    Ok((lo, hi))
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

#[cfg(test)]
mod tests {
    use super::{parse_image_size, parse_pad, parse_range, parse_triple, parse_window_size};

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
        assert_eq!(parse_range("-1, 1"), Ok((-1.0, 1.0)));
        assert!(parse_range("1,1").is_err(), "LOW below HIGH");
        assert!(parse_range("1").is_err());
    }

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
}
