//! The session layer both front ends call, so every option means one thing in the window and
//! on the command line: open a model (a folder or a tracking-server URI), turn a request spec
//! (source, image handling, params) into a request, choose the backend, and read an answer
//! into what is shown (sections, a summary, class names). UI-free; the window and the command
//! line differ only in how they ask and how they print.

use std::path::{Path, PathBuf};

use crate::input::build::InputSource;
use crate::input::image::{ColorMode, ImageOptions, ImageTarget, Resize, Scaling};
use crate::model::classes::ClassNames;
use crate::model::{ModelCard, OpenError, fsutil};
use crate::predict::answer::Section;
use crate::predict::{BackendChoice, Outcome, Reply};
use crate::source::{ModelUri, Progress, RemoteModel, SourceError, Tracking, UriError};

/// For a backend in this process (tract, ONNX Runtime), the checked request cast to the
/// signature's dtypes as MLflow's parsing casts it, so that each run lends its tensors as they
/// are (`Request::cast_to_signature`); `None` for a server, or when nothing changes.
pub fn cast_for(
    choice: &BackendChoice,
    card: &ModelCard,
    request: &crate::input::request::Request,
) -> Option<crate::input::request::Request> {
    if !matches!(choice, BackendChoice::Onnx | BackendChoice::OnnxRuntime) {
        return None;
    }
    let inputs = card.signature.valid()?.inputs.as_ref()?;
    request.cast_to_signature(inputs)
}

/// The files of a remote model still on the tracking server (not fetched into its cache), by
/// path in the folder; none for a folder.
pub fn unfetched(remote: Option<&RemoteModel>) -> std::collections::HashSet<String> {
    remote
        .map(|r| {
            r.files
                .iter()
                .filter(|f| !f.fetched)
                .map(|f| f.path.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// Why a model could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The text is neither a path nor a model URI MLflow knows.
    #[error(transparent)]
    Uri(#[from] UriError),
    /// The tracking server could not be reached or refused.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// The folder (local, or the remote model's mirror) is not a readable MLflow model.
    #[error(transparent)]
    Model(#[from] OpenError),
    /// An ONNX file could not be read.
    #[error(transparent)]
    Graph(#[from] crate::predict::PredictError),
    /// The model has no ONNX file to show.
    #[error("{}: the model has no ONNX file (no onnx flavor and no .onnx file in its folder)", .0.display())]
    NoOnnx(std::path::PathBuf),
    /// The file asked for is not one of the model's ONNX files.
    #[error("{file}: not an ONNX file of the model (its ONNX files: {known})")]
    NotOnnx {
        /// The file asked for.
        file: String,
        /// The model's ONNX files.
        known: String,
    },
}

/// The graph of one of a model's ONNX files, and how the signature compares with it.
#[derive(Debug, Clone)]
pub struct GraphReport {
    /// What is inside the file.
    pub facts: crate::predict::graph::GraphFacts,
    /// Each disagreement between the MLflow signature and the graph (checked for the onnx
    /// flavor's own file only: the signature describes that one).
    pub mismatches: Vec<String>,
}

/// Reads `file` (default: the onnx flavor's file, else the first `.onnx` in the folder) of the
/// model, fetching it first when the model is on a tracking server, and compares its graph with
/// the signature. External data is never read: its size comes from the weights' dims.
pub fn read_graph(
    card: &ModelCard,
    remote: Option<&mut RemoteModel>,
    file: Option<&str>,
    progress: &crate::predict::graph::ReadProgress,
    cancel: &std::sync::atomic::AtomicBool,
) -> Result<GraphReport, SessionError> {
    use crate::predict::graph;
    let files = graph::onnx_files(card);
    let rel = match file {
        Some(f) => {
            let f = f.trim_start_matches("./");
            files
                .iter()
                .find(|k| k.as_str() == f)
                .cloned()
                .ok_or_else(|| SessionError::NotOnnx {
                    file: f.to_string(),
                    known: if files.is_empty() {
                        "none".to_string()
                    } else {
                        files.join(", ")
                    },
                })?
        }
        None => files
            .first()
            .cloned()
            .ok_or_else(|| SessionError::NoOnnx(card.root.clone()))?,
    };
    let mut on_server = Vec::new();
    if let Some(remote) = remote {
        if remote.is_placeholder(&rel) {
            remote.fetch(Some(std::slice::from_ref(&rel)), &Progress::default())?;
        }
        on_server = remote
            .files
            .iter()
            .filter(|f| !f.fetched)
            .map(|f| f.path.clone())
            .collect();
    }
    let mut facts = graph::read_graph(&card.root, &rel, progress, cancel)?;
    for ext in &mut facts.external_data {
        if on_server.contains(&ext.file) {
            ext.bytes = None;
            ext.on_server = true;
        }
    }
    let mismatches = if crate::predict::onnx::onnx_data(card).as_deref() == Some(rel.as_str()) {
        graph::check::signature_mismatches(card.signature.valid(), &facts)
    } else {
        Vec::new()
    };
    Ok(GraphReport { facts, mismatches })
}

/// An open model: its card, and where it came from when that was a tracking server.
#[derive(Debug)]
pub struct Opened {
    /// The card.
    pub card: ModelCard,
    /// The remote model whose files are mirrored into the cache (`None` for a folder).
    pub remote: Option<RemoteModel>,
}

/// Opens a model folder, or a model on a tracking server (mirrored into the cache: `MLmodel`
/// and the small files now, the rest when a predict needs it). `tracking_uri` overrides
/// `MLFLOW_TRACKING_URI`.
pub fn open(model: &Path, tracking_uri: Option<&str>) -> Result<Opened, SessionError> {
    match ModelUri::parse(&model.to_string_lossy())? {
        ModelUri::Local(path) => Ok(Opened {
            card: crate::model::open(&path)?,
            remote: None,
        }),
        uri => {
            let tracking = Tracking::from_env(tracking_uri.filter(|t| !t.trim().is_empty()))?;
            let remote = RemoteModel::open(&tracking, &uri, &Progress::default())?;
            let mut card = crate::model::open(&remote.dir)?;
            card.source = Some(uri.to_string());
            Ok(Opened {
                card,
                remote: Some(remote),
            })
        }
    }
}

/// Where a prediction runs, before an endpoint's URL is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BackendKind {
    /// In-process ONNX (tract): no Python, none of the model's code.
    #[default]
    Onnx,
    /// In-process ONNX on the user's ONNX Runtime library (MLflow's own runtime), tract
    /// where none loads: no Python runs, none of the model's code.
    OnnxRuntime,
    /// MLflow's scoring server started for the folder: runs the model's code.
    Local,
    /// A running endpoint.
    Url,
}

impl BackendKind {
    /// The backend that needs no consent: ONNX Runtime in-process for a model with the onnx
    /// flavor (tract answers, saying why, where no library loads), else `None` (the model's
    /// own code would run: the command line asks for `--backend local`, the window asks
    /// before the first Predict). The same as the command line's `--backend auto`.
    pub fn auto(card: &ModelCard) -> Option<Self> {
        crate::predict::onnx::onnx_data(card).map(|_| Self::OnnxRuntime)
    }

    /// The backend a model starts with in the window: [`BackendKind::auto`], else the local
    /// server (which asks before it runs anything).
    pub fn initial(card: &ModelCard) -> Self {
        Self::auto(card).unwrap_or(Self::Local)
    }

    /// The full choice, with the endpoint's URL for [`BackendKind::Url`].
    pub fn choice(self, url: &str) -> BackendChoice {
        match self {
            Self::Onnx => BackendChoice::Onnx,
            Self::OnnxRuntime => BackendChoice::OnnxRuntime,
            Self::Local => BackendChoice::Local,
            Self::Url => BackendChoice::Url(url.trim().to_string()),
        }
    }
}

/// How images are brought to the signature's height and width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ResizeKind {
    /// Scale both axes to fit exactly.
    #[default]
    Stretch,
    /// Scale to cover, then cut the centre.
    Crop,
    /// Scale to fit inside, then pad (with `--pad`, black by default).
    Letterbox,
}

/// How pixel values become numbers of a float dtype (integer dtypes keep 0..255).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ScalingKind {
    /// 0..255, as the pixels are.
    #[default]
    Raw,
    /// 0..1.
    Unit,
    /// (x/255 − mean) / std per channel (ImageNet's by default; `--mean`, `--std`).
    MeanStd,
}

/// ImageNet's per-channel mean and std (0..1 scale), the usual mean/std preset.
pub const IMAGENET_MEAN_STD: ([f32; 3], [f32; 3]) = ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);

/// How image files become the signature's tensor: the same choices in the window's Test tab
/// and on the command line.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageSpec {
    /// Resize policy.
    pub resize: ResizeKind,
    /// Letterbox padding colour (RGBA).
    pub pad: [u8; 4],
    /// Scaling for float tensors.
    pub scaling: ScalingKind,
    /// Per-channel mean and std (0..1 scale) for [`ScalingKind::MeanStd`].
    pub mean_std: ([f32; 3], [f32; 3]),
    /// Colour mode; `None` is the one the channel count asks for.
    pub color: Option<ColorMode>,
    /// Width and height where the signature leaves them free (-1).
    pub free_size: (u32, u32),
}

impl Default for ImageSpec {
    fn default() -> Self {
        ImageSpec {
            resize: ResizeKind::Stretch,
            pad: [0, 0, 0, 255],
            scaling: ScalingKind::Raw,
            mean_std: IMAGENET_MEAN_STD,
            color: None,
            free_size: (224, 224),
        }
    }
}

impl ImageSpec {
    /// The decoder's options for one image target.
    pub fn options(&self, target: &ImageTarget) -> ImageOptions {
        let mut o = ImageOptions::for_target(target);
        o.resize = match self.resize {
            ResizeKind::Stretch => Resize::Stretch,
            ResizeKind::Crop => Resize::CenterCrop,
            ResizeKind::Letterbox => Resize::Letterbox { pad: self.pad },
        };
        if let Some(color) = self.color {
            o.color = color;
        }
        if target.height.is_none() || target.width.is_none() {
            o.free_size = Some(self.free_size);
        }
        let (mean, std) = self.mean_std;
        o.scaling = match self.scaling {
            ScalingKind::Raw => Scaling::Raw,
            ScalingKind::Unit => Scaling::Unit,
            ScalingKind::MeanStd => Scaling::MeanStd {
                mean: [mean[0], mean[1], mean[2], 0.0],
                std: [std[0], std[1], std[2], 1.0],
            },
        };
        o
    }

    /// The options for the model's first image input, if it has one.
    pub fn options_for(&self, card: &ModelCard) -> Option<ImageOptions> {
        crate::input::build::image_inputs(card)
            .first()
            .map(|(_, target)| self.options(target))
    }
}

/// `.npy` files for the model's tensors: a file given a name keeps it; an unnamed file named
/// after a tensor (`pixels.npy` for `pixels`) fills that tensor; with one input, any file
/// fills it. The same rule for files dropped on the window and `--npy` on the command line.
pub fn name_npy_files(
    card: &ModelCard,
    files: impl IntoIterator<Item = (Option<String>, PathBuf)>,
) -> Vec<(Option<String>, PathBuf)> {
    let names = card.input_names();
    files
        .into_iter()
        .map(|(name, path)| {
            let name = name.or_else(|| {
                path.file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .filter(|s| names.contains(s))
                    .or_else(|| (names.len() == 1).then(|| names[0].clone()))
            });
            (name, path)
        })
        .collect()
}

/// Reads `NAME=FILE` or `FILE` (the command line's `--npy`).
pub fn parse_npy_arg(arg: &str) -> (Option<String>, PathBuf) {
    match arg.split_once('=') {
        Some((name, file)) if !name.is_empty() && !file.is_empty() => {
            (Some(name.to_string()), PathBuf::from(file))
        }
        _ => (None, PathBuf::from(arg)),
    }
}

/// Everything a request is built from.
#[derive(Debug, Clone)]
pub struct RequestSpec {
    /// Where the input comes from.
    pub source: InputSource,
    /// How image files become tensors.
    pub image: ImageSpec,
    /// Inference params.
    pub params: Option<serde_json::Map<String, serde_json::Value>>,
}

/// An answer read for showing: its sections, a summary in a few words, and the class names
/// that fit it.
#[derive(Debug, Clone)]
pub struct AnswerView {
    /// One per named output (one for an unnamed answer); empty without predictions.
    pub sections: Vec<Section>,
    /// The answer (or the rejection, or the error) in a few words.
    pub summary: String,
    /// Labels files found beside the model, when the answer has classes.
    pub candidates: Vec<PathBuf>,
    /// Class names for it: the file chosen before, else the model's own list, else the one
    /// file beside the model whose length fits.
    pub labels: Option<ClassNames>,
}

/// Reads a prediction's outcome for showing. `remembered` is the labels file chosen for this
/// model before; `want_labels` is false when names are already in use. On a worker: it may
/// read labels files.
pub fn read_answer(
    result: &Result<Outcome, impl std::fmt::Display>,
    card: &ModelCard,
    remembered: Option<&Path>,
    want_labels: bool,
) -> AnswerView {
    match result {
        Ok(outcome) => read_outcome(outcome, card, remembered, want_labels),
        Err(e) => AnswerView {
            sections: Vec::new(),
            summary: e.to_string(),
            candidates: Vec::new(),
            labels: None,
        },
    }
}

/// [`read_answer`] for a call that came back.
pub fn read_outcome(
    outcome: &Outcome,
    card: &ModelCard,
    remembered: Option<&Path>,
    want_labels: bool,
) -> AnswerView {
    let (sections, mut summary) = match &outcome.reply {
        Reply::Predictions { value, .. } => (
            crate::predict::answer::sections(value),
            crate::predict::answer::summary(value),
        ),
        Reply::Rejected(r) => (Vec::new(), r.to_string()),
    };
    let classes = sections.iter().find_map(Section::class_count);
    let candidates = if classes.is_some() {
        label_candidates(&card.root)
    } else {
        Vec::new()
    };
    // Scores need a name per class; indices, a name for each index seen.
    let fits = |names: &ClassNames, (n, exact): (usize, bool)| {
        if exact {
            names.names.len() == n
        } else {
            names.names.len() >= n
        }
    };
    let labels = match (want_labels, remembered, classes) {
        (false, _, _) | (_, _, None) => None,
        (true, Some(file), _) => read_labels(file).ok(),
        (true, None, Some(count)) => {
            card.classes.clone().filter(|o| fits(o, count)).or_else(|| {
                candidates
                    .iter()
                    .filter_map(|c| read_labels(c).ok())
                    .find(|l| fits(l, count))
            })
        }
    };
    // The summary names the top class when the names are known.
    if let (Reply::Predictions { value, .. }, Some(names)) = (&outcome.reply, &labels) {
        summary = crate::predict::answer::summary_named(value, Some(&names.names));
    }
    AnswerView {
        sections,
        summary,
        candidates,
        labels,
    }
}

/// The answer in words, a line per section that has classes: the top class of the first row
/// with its name and score (`probabilities: building (class 0) 0.5396`), or the first rows'
/// class names for an answer of indices (`predictions: setosa (class 0), versicolor (class 1)`).
/// What the window shows in large type above the bars, for the command line.
pub fn answer_lines(view: &AnswerView) -> Vec<String> {
    use crate::predict::answer::Kind;
    let name = |class: usize, given: Option<&String>| {
        let index = given.map_or(class.to_string(), Clone::clone);
        match view.labels.as_ref().and_then(|l| l.name(class)) {
            Some(n) => format!("{n} (class {index})"),
            None => format!("class {index}"),
        }
    };
    let mut lines = Vec::new();
    for section in &view.sections {
        let title = section.name.as_deref().unwrap_or("predictions");
        let rows = match &section.kind {
            Kind::Scores(rows) => rows.len(),
            Kind::Table { total, .. } => *total,
            _ => continue,
        };
        let more = if rows > 1 {
            format!(" (row 0 of {rows})")
        } else {
            String::new()
        };
        match &section.kind {
            Kind::Scores(rows) => {
                let top = rows
                    .first()
                    .and_then(|r| crate::predict::answer::top_k(r, 1).into_iter().next());
                if let Some((class, Some(score))) = top {
                    let given = section.classes.as_ref().and_then(|c| c.get(class));
                    lines.push(format!("{title}: {} {score:.4}{more}", name(class, given)));
                }
            }
            Kind::Table {
                columns,
                rows,
                total,
            } => {
                let text = |v: &serde_json::Value| match v {
                    serde_json::Value::String(s) => crate::text::elide(s, 60),
                    other => crate::text::elide(&other.to_string(), 60),
                };
                // Class indices by name, one column's first values, or a record's first row.
                let shown: Vec<String> = if section.indices.is_some() {
                    rows.iter()
                        .take(8)
                        .filter_map(|r| r.first().and_then(serde_json::Value::as_f64))
                        .map(|f| name(f as usize, None))
                        .collect()
                } else if columns.len() == 1 {
                    rows.iter()
                        .take(8)
                        .filter_map(|r| r.first().map(text))
                        .collect()
                } else {
                    rows.first()
                        .map(|r| {
                            let cells: Vec<String> = columns
                                .iter()
                                .zip(r)
                                .take(8)
                                .map(|(c, v)| format!("{c}={}", text(v)))
                                .collect();
                            vec![format!("{{{}}}", cells.join(", "))]
                        })
                        .unwrap_or_default()
                };
                let rest = total.saturating_sub(shown.len());
                let tail = if rest > 0 {
                    format!(", … {rest} more")
                } else {
                    String::new()
                };
                lines.push(format!("{title}: {}{tail}", shown.join(", ")));
            }
            _ => {}
        }
    }
    lines
}

/// The largest labels file read.
const LABELS_CAP: u64 = 16 * 1024 * 1024;

/// Reads a labels file: one class name a line.
pub fn read_labels(path: &Path) -> Result<ClassNames, String> {
    let text = fsutil::read_text_capped(path, LABELS_CAP)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let labels = crate::predict::answer::parse_labels(&text);
    if labels.is_empty() {
        return Err(format!(
            "{}: the file has no labels (one label a line)",
            path.display()
        ));
    }
    Ok(ClassNames {
        origin: path.display().to_string(),
        file: Some(path.to_path_buf()),
        names: labels,
    })
}

/// Labels files beside a model: `*label*.txt` in its folder (through the same inside-the-
/// folder check as every file of the model) and plain files in the folder above (no links).
pub fn label_candidates(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for (dir, inside) in [(Some(root), true), (root.parent(), false)] {
        let Some(dir) = dir else { continue };
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten().take(2000) {
            let name = entry.file_name().to_string_lossy().into_owned();
            let lower = name.to_ascii_lowercase();
            if !(lower.contains("label") && lower.ends_with(".txt")) {
                continue;
            }
            let readable = if inside {
                fsutil::file_inside(root, &name).is_ok()
            } else {
                std::fs::symlink_metadata(entry.path()).is_ok_and(|m| m.is_file())
            };
            if readable {
                out.push(entry.path());
            }
        }
    }
    out.sort();
    out.truncate(8);
    out
}

/// Refuses MLflow's scoring server for a model whose scan finds something dangerous: loading it
/// there would run it. `None` when the backend runs no model code (in-process ONNX, a URL's
/// server elsewhere) or nothing dangerous was found; else the refusal, naming the first
/// finding, its file and its rule (the command line adds its flag, the window asks).
pub fn dangerous_to_serve(
    card: &ModelCard,
    remote: Option<&mut crate::source::RemoteModel>,
    choice: &BackendChoice,
) -> Result<Option<String>, String> {
    if !matches!(choice, BackendChoice::Local) {
        return Ok(None);
    }
    // A tracking server's model: its files are fetched first (the server would load them
    // all), so that they are read before anything runs.
    if let Some(r) = remote {
        r.fetch(None, &crate::source::Progress::default())
            .map_err(|e| format!("cannot fetch the model's files to scan them: {e}"))?;
    }
    Ok(dangerous_in(card))
}

/// The first dangerous finding of the model's scan, in a sentence.
fn dangerous_in(card: &ModelCard) -> Option<String> {
    let report = crate::scan::scan_model(card, &std::sync::atomic::AtomicBool::new(false));
    let (file, import) = report.files.iter().find_map(|f| {
        f.imports
            .iter()
            .find(|i| i.verdict == crate::scan::Verdict::Dangerous)
            .map(|i| (f, i))
    })?;
    let (_, _, dangerous) = report.counts();
    Some(format!(
        "{} in {}: {} (scan finds {} in all); MLflow's scoring server would load it, running it",
        crate::text::printable(&format!("{}.{}", import.module, import.name)),
        crate::text::printable(&file.path),
        import.rule,
        crate::text::count(dangerous, "dangerous import", "dangerous imports")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npy_arguments_name_a_tensor_or_not() {
        assert_eq!(
            parse_npy_arg("pixels=a.npy"),
            (Some("pixels".into()), PathBuf::from("a.npy"))
        );
        assert_eq!(parse_npy_arg("a.npy"), (None, PathBuf::from("a.npy")));
        assert_eq!(parse_npy_arg("=a.npy"), (None, PathBuf::from("=a.npy")));
    }

    #[test]
    fn answers_in_words_name_their_classes() {
        let value = serde_json::json!([0, 2, 1]);
        let mut view = AnswerView {
            sections: crate::predict::answer::sections(&value),
            summary: String::new(),
            candidates: Vec::new(),
            labels: None,
        };
        assert_eq!(
            answer_lines(&view),
            ["predictions: class 0, class 2, class 1"]
        );
        view.labels = Some(ClassNames {
            origin: "test".into(),
            file: None,
            names: vec!["setosa".into(), "versicolor".into(), "virginica".into()],
        });
        assert_eq!(
            answer_lines(&view),
            ["predictions: setosa (class 0), virginica (class 2), versicolor (class 1)"]
        );
        let scores = serde_json::json!({"probabilities": [[0.1, 0.7, 0.2], [0.9, 0.05, 0.05]]});
        view.sections = crate::predict::answer::sections(&scores);
        assert_eq!(
            answer_lines(&view),
            ["probabilities: versicolor (class 1) 0.7000 (row 0 of 2)"]
        );
    }

    #[test]
    fn image_specs_become_the_decoders_options() {
        let target = ImageTarget {
            batch: Some(-1),
            layout: crate::input::image::Layout::Hwc,
            height: None,
            width: Some(32),
            channels: 3,
            dtype: "float32".into(),
            spec_size: (-1, 32),
        };
        let spec = ImageSpec {
            resize: ResizeKind::Letterbox,
            pad: [1, 2, 3, 255],
            scaling: ScalingKind::MeanStd,
            free_size: (48, 64),
            ..ImageSpec::default()
        };
        let o = spec.options(&target);
        assert_eq!(
            o.resize,
            Resize::Letterbox {
                pad: [1, 2, 3, 255]
            }
        );
        assert_eq!(o.free_size, Some((48, 64)), "a free height asks for a size");
        assert_eq!(
            o.scaling,
            Scaling::MeanStd {
                mean: [0.485, 0.456, 0.406, 0.0],
                std: [0.229, 0.224, 0.225, 1.0]
            }
        );
        assert_eq!(o.color, ColorMode::Rgb);
    }
}
