//! Where a request comes from: a request file, image files for an image-shaped tensor, or the
//! model's own input example. The same steps serve the command line and the Test tab.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use super::image::{self, ImageOptions, ImageTarget};
use super::request::{self, BodyFormat, Inputs, Request, Tensors};
use super::tensor::Tensor;
use crate::model::ModelCard;
use crate::model::example::ExampleData;
use crate::model::fsutil;
use crate::model::signature::Spec;

/// The largest request file read.
pub const REQUEST_FILE_CAP: u64 = 512_000_000;

/// What the request is made from.
#[derive(Debug, Clone, PartialEq)]
pub enum InputSource {
    /// A JSON request body written by hand or saved earlier.
    RequestFile(PathBuf),
    /// Image files for the model's image-shaped tensor, one per batch item.
    Images(Vec<PathBuf>),
    /// The model's saved input example.
    Example,
    /// A request body typed or pasted as JSON text.
    JsonText(String),
    /// `.npy` files, each for the named tensor (or the one unnamed tensor).
    Npy(Vec<(Option<String>, PathBuf)>),
    /// A CSV file with a header row, for a column-based model.
    Csv(PathBuf),
    /// The Test tab's grid: text cells, one column per column of the signature.
    Grid {
        /// Column names, in signature order.
        columns: Vec<String>,
        /// Rows of text cells; empty cells are missing values.
        rows: Vec<Vec<String>>,
    },
    /// Every tensor input filled with one pattern.
    Fill {
        /// Zeros, ones or random values.
        kind: FillKind,
        /// The size of the batch axis.
        batch: usize,
        /// The size given to every other free (-1) dimension.
        free: usize,
    },
}

/// How [`InputSource::Fill`] fills a tensor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FillKind {
    /// All zeros (false for bool).
    Zeros,
    /// All ones (true for bool).
    Ones,
    /// Uniform random values in `low..high` (rounded for integer dtypes), from a fixed seed.
    Random {
        /// Lowest value.
        low: f64,
        /// Highest value.
        high: f64,
    },
}

/// The most values a filled request holds, all its tensors together (about 160 MB of
/// numbers, and a JSON body of a few hundred MB).
pub const MAX_FILL_VALUES: u64 = 20_000_000;

/// The shape a fill gives `spec` (the first -1 is `batch`, later ones `free`) and how many
/// values that is, the product checked: a shape such as `[-1, 2^32, 2^32]` is refused naming
/// the input and its dimensions, not wrapped.
pub fn fill_shape(
    spec: &crate::model::signature::TensorSpec,
    batch: usize,
    free: usize,
) -> Result<(Vec<usize>, u64), BuildError> {
    let mut shape = Vec::with_capacity(spec.shape.len().min(64));
    let mut count: u64 = 1;
    let mut overflowed = false;
    for (i, d) in spec.shape.iter().enumerate() {
        let size = match (*d, i) {
            (-1, 0) => batch as u64,
            (-1, _) => free as u64,
            (d, _) => u64::try_from(d).unwrap_or(0),
        };
        match count.checked_mul(size) {
            Some(c) => count = c,
            None => overflowed = true,
        }
        shape.push(usize::try_from(size).unwrap_or(usize::MAX));
    }
    if overflowed || count > MAX_FILL_VALUES {
        let dims: Vec<String> = shape.iter().map(ToString::to_string).collect();
        let name = spec
            .name
            .as_deref()
            .map_or_else(|| "the input".to_string(), |n| format!("input `{n}`"));
        let many = if overflowed {
            "more values than a number can count".to_string()
        } else {
            format!("{} values", crate::text::thousands(count))
        };
        return Err(BuildError::Unnamed(format!(
            "{name}: shape {:?} filled as [{}] (batch {batch}, other free dimensions {free}) is {many}, more than the {} a filled request may hold; make the batch or the free dimensions smaller",
            spec.shape,
            dims.join(", "),
            crate::text::thousands(MAX_FILL_VALUES),
        )));
    }
    Ok((shape, count))
}

/// A tensor of `spec`'s dtype filled by `kind`; the first -1 is `batch`, later ones `free`.
/// At most [`MAX_FILL_VALUES`] values; the values are made in the tensor's own type.
pub fn fill_tensor(
    spec: &crate::model::signature::TensorSpec,
    kind: FillKind,
    batch: usize,
    free: usize,
) -> Result<Tensor, BuildError> {
    use ndarray::{ArrayD, IxDyn};
    let (shape, count) = fill_shape(spec, batch, free)?;
    let count = count as usize;
    // A small fixed-seed generator: the same request every time.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut values = move || match kind {
        FillKind::Zeros => 0.0,
        FillKind::Ones => 1.0,
        FillKind::Random { low, high } => low + (high - low) * next(),
    };
    let dims = IxDyn(&shape);
    let bad = |e: ndarray::ShapeError| BuildError::Unnamed(format!("cannot shape the tensor: {e}"));
    let is_int = spec.dtype.starts_with("int") || spec.dtype.starts_with("uint");
    Ok(match spec.dtype.as_str() {
        "uint8" => Tensor::U8(
            ArrayD::from_shape_vec(
                dims,
                (0..count)
                    .map(|_| values().round().clamp(0.0, 255.0) as u8)
                    .collect(),
            )
            .map_err(bad)?,
        ),
        "float32" | "float16" => Tensor::F32(
            ArrayD::from_shape_vec(dims, (0..count).map(|_| values() as f32).collect())
                .map_err(bad)?,
        ),
        "float64" => Tensor::F64(
            ArrayD::from_shape_vec(dims, (0..count).map(|_| values()).collect()).map_err(bad)?,
        ),
        "bool" => Tensor::Bool(
            ArrayD::from_shape_vec(dims, (0..count).map(|_| values() >= 0.5).collect())
                .map_err(bad)?,
        ),
        _ if is_int => Tensor::I64(
            ArrayD::from_shape_vec(dims, (0..count).map(|_| values().round() as i64).collect())
                .map_err(bad)?,
            spec.dtype.clone(),
        ),
        other => {
            return Err(BuildError::Unnamed(format!(
                "a {other} tensor cannot be filled with numbers: write it as JSON"
            )));
        }
    })
}

/// Progress of a long build (a batch of images), shared with the UI, and its cancel switch.
#[derive(Debug, Default)]
pub struct Progress {
    /// Items done.
    pub done: std::sync::atomic::AtomicUsize,
    /// Items in all (0 until known).
    pub total: std::sync::atomic::AtomicUsize,
    /// Set to stop the build at the next item.
    pub cancel: std::sync::atomic::AtomicBool,
}

impl Progress {
    /// Done and total, for a progress bar.
    pub fn fraction(&self) -> (usize, usize) {
        use std::sync::atomic::Ordering::Relaxed;
        (self.done.load(Relaxed), self.total.load(Relaxed))
    }

    fn cancelled(&self) -> bool {
        self.cancel.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Why a request could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A file could not be read or parsed.
    #[error("{path}: {problem}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        problem: String,
    },
    /// Images for a model without an image-shaped tensor input.
    #[error("{0}")]
    NoImageInput(String),
    /// The model has no input example: what else fits its signature, in the front end's words.
    #[error("the model has no input example: {0}")]
    NoExample(String),
    /// The example could not be read.
    #[error("the input example cannot be used: {0}")]
    BadExample(String),
    /// Images could not become the tensor.
    #[error(transparent)]
    Image(#[from] image::ImageError),
    /// A data file could not be read.
    #[error(transparent)]
    DataFile(#[from] super::files::FileError),
    /// `.npy` files that do not say which tensor they fill.
    #[error("{0}")]
    Unnamed(String),
    /// The user cancelled the build.
    #[error("cancelled")]
    Cancelled,
    /// A decoding worker stopped without an answer (a panic in an image decoder).
    #[error("an image could not be read: its decoder stopped unexpectedly")]
    WorkerPanicked,
}

/// Builds the request for `card` from `source`, with `params` added (they replace the
/// example's own where both give one).
pub fn build_request(
    card: &ModelCard,
    source: &InputSource,
    params: Option<&Map<String, Value>>,
    options: Option<ImageOptions>,
) -> Result<Request, BuildError> {
    build_body(
        card,
        source,
        params,
        options,
        &Progress::default(),
        &mut None,
    )
}

/// What an image build keeps for the Test tab: the tensor's summary and the first image as
/// the model sees it.
struct ImageSummary {
    tensor: String,
    first: ::image::RgbaImage,
}

/// [`build_request`], reporting progress over image batches, stopping when cancelled, and
/// keeping an image build's summary in `summary`.
fn build_body(
    card: &ModelCard,
    source: &InputSource,
    params: Option<&Map<String, Value>>,
    options: Option<ImageOptions>,
    progress: &Progress,
    summary: &mut Option<ImageSummary>,
) -> Result<Request, BuildError> {
    let request = match source {
        InputSource::RequestFile(path) => read_request(path)?,
        InputSource::Images(paths) => images_request(card, paths, options, progress, summary)?,
        InputSource::Example => example_request(card)?,
        InputSource::Npy(files) => npy_request(card, files)?,
        InputSource::Grid { columns, rows } => Request::Json(grid_request(card, columns, rows)),
        InputSource::Fill { kind, batch, free } => {
            let schema = card
                .signature
                .valid()
                .and_then(|s| s.inputs.as_ref())
                .filter(|s| s.is_tensor())
                .ok_or_else(|| BuildError::Unnamed("only tensor inputs can be filled".into()))?;
            // The whole request is held to the cap, not each tensor.
            let mut total: u64 = 0;
            for t in schema.tensors() {
                let (_, count) = fill_shape(t, *batch, *free)?;
                total = total.saturating_add(count);
            }
            if total > MAX_FILL_VALUES {
                return Err(BuildError::Unnamed(format!(
                    "the {} inputs filled (batch {batch}, other free dimensions {free}) are {} values together, more than the {} a filled request may hold; make the batch or the free dimensions smaller",
                    schema.tensors().len(),
                    crate::text::thousands(total),
                    crate::text::thousands(MAX_FILL_VALUES),
                )));
            }
            let mut named = Vec::new();
            for t in schema.tensors() {
                named.push((t.name.clone(), fill_tensor(t, *kind, *batch, *free)?));
            }
            let tensors = match named.as_slice() {
                [(None, _)] => match named.pop() {
                    Some((_, t)) => Tensors::One(t),
                    None => return Err(BuildError::Unnamed("no tensor to fill".into())),
                },
                _ => Tensors::Named(
                    named
                        .into_iter()
                        .map(|(n, t)| (n.unwrap_or_default(), t))
                        .collect(),
                ),
            };
            Request::tensors(tensors, None)
        }
        InputSource::Csv(path) => {
            let frame = super::files::read_csv(path)?;
            Request::Json(request::body(
                &Inputs::Frame {
                    columns: frame.columns,
                    rows: frame.rows,
                },
                None,
                BodyFormat::Mlflow,
            ))
        }
        InputSource::JsonText(text) => Request::parse(text).map_err(|e| BuildError::File {
            path: PathBuf::from("the JSON editor"),
            problem: format!("not valid JSON: {e}"),
        })?,
    };
    Ok(request.with_params(params))
}

fn read_request(path: &Path) -> Result<Request, BuildError> {
    let err = |problem: String| BuildError::File {
        path: path.to_path_buf(),
        problem,
    };
    let text = fsutil::read_text_capped(path, REQUEST_FILE_CAP).map_err(|e| err(e.to_string()))?;
    Request::parse(&text).map_err(|e| err(format!("not valid JSON: {e}")))
}

/// The image-shaped tensor inputs of the signature: (name, target).
pub fn image_inputs(card: &ModelCard) -> Vec<(Option<String>, ImageTarget)> {
    let Some(inputs) = card.signature.valid().and_then(|s| s.inputs.as_ref()) else {
        return Vec::new();
    };
    inputs
        .specs
        .iter()
        .filter_map(|s| match s {
            Spec::Tensor(t) => ImageTarget::from_spec(t).map(|target| (t.name.clone(), target)),
            Spec::Column(_) => None,
        })
        .collect()
}

fn images_request(
    card: &ModelCard,
    paths: &[PathBuf],
    options: Option<ImageOptions>,
    progress: &Progress,
    summary: &mut Option<ImageSummary>,
) -> Result<Request, BuildError> {
    let targets = image_inputs(card);
    let input_count = card
        .signature
        .valid()
        .and_then(|s| s.inputs.as_ref())
        .map(|s| s.specs.len())
        .unwrap_or(0);
    let Some((name, target)) = targets.first() else {
        return Err(BuildError::NoImageInput(
            "the model's signature has no image-shaped tensor input (rank 3 or 4 with 1, 3 or 4 channels)".into(),
        ));
    };
    if input_count > 1 {
        return Err(BuildError::NoImageInput(format!(
            "the model takes {input_count} inputs; images fill only `{}`: write the request as JSON (--input)",
            name.as_deref().unwrap_or("the image tensor")
        )));
    }
    use std::sync::atomic::Ordering::Relaxed;
    progress.total.store(paths.len(), Relaxed);
    let options = options.unwrap_or_else(|| ImageOptions::for_target(target));
    // Each image is decoded and brought to the tensor's size at once (a batch of 12 MP photos
    // is never held whole), on as many workers as there are cores. A size larger than a
    // request may be is refused before anything is decoded.
    let size = match target.size_for(options.free_size, paths.len()) {
        Ok(size) => Some(size),
        Err(e @ image::ImageError::TooLarge(_)) => return Err(e.into()),
        Err(_) => None,
    };
    let fit = |path: &PathBuf| -> Result<::image::DynamicImage, BuildError> {
        // The decoded pixels' room is held until they are brought to the tensor's size.
        let (decoded, _room) = image::decode_held(path)?;
        progress.done.fetch_add(1, Relaxed);
        Ok(match size {
            Some((w, h)) => image::resize(&decoded, w, h, options.resize).into(),
            None => decoded,
        })
    };
    let fitted = crate::perf::map_on_cores(
        paths,
        |part| {
            part.iter()
                .map(|p| {
                    if progress.cancelled() {
                        return Err(BuildError::Cancelled);
                    }
                    fit(p)
                })
                .collect()
        },
        || BuildError::WorkerPanicked,
    )?;
    let tensor = image::images_to_tensor(&fitted, target, &options)?;
    if let Some(first) = fitted.first() {
        let (min, max, mean) = tensor.stats();
        let dims: Vec<String> = tensor.shape().iter().map(ToString::to_string).collect();
        *summary = Some(ImageSummary {
            tensor: format!(
                "{} [{}]   min {min:.3}  max {max:.3}  mean {mean:.3}",
                tensor.dtype(),
                dims.join(", ")
            ),
            first: first.to_rgba8(),
        });
    }
    let tensors = match name {
        None => Tensors::One(tensor),
        Some(n) => Tensors::Named(vec![(n.clone(), tensor)]),
    };
    Ok(Request::tensors(tensors, None))
}

fn npy_request(
    card: &ModelCard,
    files: &[(Option<String>, PathBuf)],
) -> Result<Request, BuildError> {
    let names = card.input_names();
    let mut tensors = Vec::new();
    for (name, path) in files {
        tensors.push((name.clone(), super::files::read_npy(path)?));
    }
    let tensors = match tensors.as_slice() {
        [(None, _)] if names.is_empty() => match tensors.pop() {
            Some((_, t)) => Tensors::One(t),
            None => return Err(BuildError::Unnamed("no .npy file given".into())),
        },
        [(None, _)] if names.len() == 1 => match tensors.pop() {
            Some((_, t)) => Tensors::Named(vec![(names[0].clone(), t)]),
            None => return Err(BuildError::Unnamed("no .npy file given".into())),
        },
        _ if tensors.iter().all(|(n, _)| n.is_some()) => Tensors::Named(
            tensors
                .into_iter()
                .map(|(n, t)| (n.unwrap_or_default(), t))
                .collect(),
        ),
        _ => {
            return Err(BuildError::Unnamed(format!(
                "the model takes named tensors ({}): give each file as NAME=FILE",
                names.join(", ")
            )));
        }
    };
    Ok(Request::tensors(tensors, None))
}

/// A grid cell's text as the JSON value its column type wants (the validator judges it).
pub fn cell_value(text: &str, ty: &crate::model::signature::ColType) -> Value {
    use crate::model::signature::{ColType, DataType};
    let t = text.trim();
    if t.is_empty() {
        return Value::Null;
    }
    match ty {
        ColType::Scalar(DataType::Boolean) => match t.to_ascii_lowercase().as_str() {
            "true" | "1" => Value::Bool(true),
            "false" | "0" => Value::Bool(false),
            _ => Value::String(text.to_string()),
        },
        ColType::Scalar(DataType::Integer | DataType::Long) => t
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(text.to_string())),
        ColType::Scalar(DataType::Float | DataType::Double) => t
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(text.to_string())),
        ColType::Scalar(_) => Value::String(text.to_string()),
        _ => serde_json::from_str(t).unwrap_or_else(|_| Value::String(text.to_string())),
    }
}

/// What MLflow's scoring server would say of one cell of the table form, alone in its column:
/// the problem in MLflow's words (`Incompatible input types for column x. Can not safely
/// convert object to float64.`), or `None` when it takes it. Empty cells are not judged here
/// (the whole request's check says what is missing); nor are models whose signature stands
/// for type hints, or unnamed columns. Cheap: one value through the same checks as a request.
pub fn check_cell(card: &ModelCard, column: usize, text: &str) -> Option<String> {
    use crate::model::signature::{Schema, Signature};
    if text.trim().is_empty() || card.mlmodel.is_signature_from_type_hint == Some(true) {
        return None;
    }
    let spec = card
        .signature
        .valid()
        .and_then(|s| s.inputs.as_ref())
        .filter(|s| !s.is_tensor())?
        .columns()
        .get(column)
        .map(|c| (*c).clone())?;
    let name = spec.name.clone()?;
    let value = cell_value(text, &spec.ty);
    let signature = Signature {
        inputs: Some(Schema {
            specs: vec![Spec::Column(spec)],
        }),
        outputs: None,
        params: None,
    };
    let body = json!({"dataframe_split": {"columns": [name], "data": [[value]]}});
    let model = super::validate::Model {
        signature: Some(&signature),
        from_type_hint: false,
    };
    super::validate::validate_body(model, &body)
        .problems
        .into_iter()
        .next()
        .map(|p| p.message)
}

/// A cell of a frame as text for the grid.
pub fn cell_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        // Python's base64 ends lines with a newline; a one-line editor shows it as a box.
        Value::String(s) => s.trim_end_matches('\n').to_string(),
        other => other.to_string(),
    }
}

fn grid_request(card: &ModelCard, columns: &[String], rows: &[Vec<String>]) -> Value {
    let specs = card
        .signature
        .valid()
        .and_then(|s| s.inputs.as_ref())
        .map(|s| s.columns())
        .unwrap_or_default();
    // Optional columns left empty in every row are not sent.
    let keep: Vec<usize> = (0..columns.len())
        .filter(|&c| {
            let optional = specs.get(c).is_some_and(|s| !s.is_required());
            !(optional
                && rows
                    .iter()
                    .all(|r| r.get(c).is_none_or(|t| t.trim().is_empty())))
        })
        .collect();
    let any = crate::model::signature::ColType::Any;
    let frame_rows: Vec<Vec<Value>> = rows
        .iter()
        .map(|row| {
            keep.iter()
                .map(|&c| {
                    let ty = specs.get(c).map(|s| &s.ty).unwrap_or(&any);
                    cell_value(row.get(c).map(String::as_str).unwrap_or(""), ty)
                })
                .collect()
        })
        .collect();
    // A signature that stands for the model's type hints takes `{"inputs": ...}` as the hint
    // has it: a list of values for one unnamed column, a list of row objects otherwise.
    if card.mlmodel.is_signature_from_type_hint == Some(true) {
        let value = match (specs.as_slice(), keep.as_slice()) {
            ([only], [_]) if only.name.is_none() => Value::Array(
                frame_rows
                    .into_iter()
                    .filter_map(|r| r.into_iter().next())
                    .collect(),
            ),
            _ => Value::Array(
                frame_rows
                    .into_iter()
                    .map(|r| {
                        Value::Object(
                            keep.iter()
                                .zip(r)
                                .map(|(&c, v)| (columns.get(c).cloned().unwrap_or_default(), v))
                                .collect(),
                        )
                    })
                    .collect(),
            ),
        };
        return request::body(&Inputs::Json(value), None, BodyFormat::Mlflow);
    }
    // Integer names (a frame saved with default columns) are positions: send no names then.
    let named = specs
        .first()
        .is_some_and(|s| s.name_json.as_ref().is_some_and(Value::is_string));
    let names = if named {
        keep.iter()
            .filter_map(|&c| columns.get(c).cloned())
            .collect()
    } else {
        Vec::new()
    };
    request::body(
        &Inputs::Frame {
            columns: names,
            rows: frame_rows,
        },
        None,
        BodyFormat::Mlflow,
    )
}

/// For a model without an input example: the inputs that fit its signature instead, as the
/// command line's options or the Test tab's choices.
fn other_inputs(card: &ModelCard) -> String {
    let inputs = card.signature.valid().and_then(|s| s.inputs.as_ref());
    let tensor = inputs.is_some_and(|s| s.is_tensor());
    let columns = inputs.is_some_and(|s| !s.is_tensor());
    let images = !image_inputs(card).is_empty();
    let command_line = crate::text::FrontEnd::current() == crate::text::FrontEnd::CommandLine;
    let mut ways: Vec<&str> = Vec::new();
    if command_line {
        ways.push("a request file (--input FILE)");
        if images {
            ways.push("images (--image FILE)");
        }
        if tensor {
            ways.push("a .npy file per tensor (--npy [NAME=]FILE)");
            ways.push("a fill (--fill zeros|ones|random)");
        }
        if columns || inputs.is_none() {
            ways.push("a CSV file of rows (--csv FILE)");
        }
    } else {
        if images {
            ways.push("Image files");
        }
        if columns {
            ways.push("Table");
        }
        ways.push(".npy / CSV");
        if tensor {
            ways.push("Fill");
        }
        ways.push("JSON");
    }
    let (last, rest) = ways.split_last().map_or(("", &[][..]), |(l, r)| (*l, r));
    let list = if rest.is_empty() {
        last.to_string()
    } else {
        format!("{} or {last}", rest.join(", "))
    };
    if command_line {
        format!("give {list}")
    } else {
        format!("choose another input: {list}")
    }
}

fn example_request(card: &ModelCard) -> Result<Request, BuildError> {
    let example = card
        .input_example
        .as_ref()
        .ok_or_else(|| BuildError::NoExample(other_inputs(card)))?;
    // MLflow's own ready body, verbatim, when it wrote one.
    if let Some(Ok(body)) = &example.serving_input {
        return Ok(Request::Json(body.clone()));
    }
    let data = example
        .data
        .as_ref()
        .map_err(|e| BuildError::BadExample(e.clone()))?;
    let inputs = match data {
        ExampleData::Dataframe { columns, rows, .. } => Inputs::Frame {
            columns: columns.clone().unwrap_or_default(),
            rows: rows.clone(),
        },
        ExampleData::Tensor(t) => Inputs::Json(t.value.clone()),
        ExampleData::NamedTensors(ts) => Inputs::Json(Value::Object(
            ts.iter()
                .map(|(n, t)| (n.clone(), t.value.clone()))
                .collect(),
        )),
        ExampleData::Json(v) => Inputs::Json(v.clone()),
        ExampleData::Sparse { .. } => {
            return Err(BuildError::BadExample(
                "a sparse matrix example has no serving body to send".into(),
            ));
        }
    };
    let body = request::body(&inputs, example.params.as_ref(), BodyFormat::Mlflow);
    Ok(Request::Json(if body.is_null() { json!({}) } else { body }))
}

/// A request ready to show and send: the request, MLflow's verdict on it, and for images what
/// the model will see.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The whole request (shared: it is sent, saved and copied without being copied itself).
    pub request: std::sync::Arc<Request>,
    /// Its size as compact JSON, in bytes.
    pub bytes: usize,
    /// The body pretty-printed with long arrays elided, for the view.
    pub view: String,
    /// MLflow's verdict.
    pub verdict: super::validate::Verdict,
    /// For tensors: `uint8 [2, 300, 300, 3]  min 0 max 255 mean 121.4`, or the first values.
    pub tensor_summary: Option<String>,
    /// For images: the first image as the model sees it (RGBA, resized).
    pub preview: Option<::image::RgbaImage>,
}

/// Shape, element kind and first values of each tensor in an `{"inputs": ...}` body.
fn summarize_tensors(body: &Value, schema: &crate::model::signature::Schema) -> Option<String> {
    let dtype_of = |name: &str| {
        schema
            .tensors()
            .iter()
            .find(|t| t.name.as_deref().unwrap_or("") == name.trim_end_matches(": "))
            .map(|t| t.dtype.clone())
            .unwrap_or_default()
    };
    let one = |name: &str, value: &Value| {
        let (shape, _) = crate::model::example::shape_of(value);
        let dims: Vec<String> = shape.iter().map(ToString::to_string).collect();
        let label = format!("{} [{}]", dtype_of(name), dims.join(", "));
        let mut firsts = Vec::new();
        let mut stack = vec![value];
        while let Some(v) = stack.pop() {
            match v {
                Value::Array(items) => stack.extend(items.iter().rev()),
                leaf => firsts.push(leaf.to_string()),
            }
            if firsts.len() >= 6 {
                break;
            }
        }
        tensor_line(name, &label, &firsts)
    };
    match body.get("inputs")? {
        Value::Object(map) if !map.is_empty() => Some(
            map.iter()
                .map(|(n, v)| one(&format!("{n}: "), v))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        v @ Value::Array(_) => Some(one("", v)),
        _ => None,
    }
}

/// `name: dtype [dims]   first values [a, b, …]`.
fn tensor_line(name: &str, label: &str, firsts: &[String]) -> String {
    format!(
        "{name}{label}   first values [{}{}]",
        firsts.join(", "),
        if firsts.len() >= 6 { ", …" } else { "" }
    )
}

/// The same summary for typed tensors, read from the tensors themselves; the dtype is the
/// signature's (what the server casts them to) where it names one.
fn summarize_typed(tensors: &Tensors, card: &ModelCard) -> String {
    let specs = card
        .signature
        .valid()
        .and_then(|s| s.inputs.as_ref())
        .filter(|s| s.is_tensor())
        .map(|s| s.tensors())
        .unwrap_or_default();
    tensors
        .iter()
        .into_iter()
        .map(|(name, t)| {
            let dims: Vec<String> = t.shape().iter().map(ToString::to_string).collect();
            let dtype = specs
                .iter()
                .find(|s| s.name.as_deref() == name || specs.len() == 1 && name.is_none())
                .map_or(t.dtype(), |s| s.dtype.as_str());
            let label = format!("{dtype} [{}]", dims.join(", "));
            let name = name.map(|n| format!("{n}: ")).unwrap_or_default();
            tensor_line(&name, &label, &t.first_values(6))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Builds, checks and summarises a request (the Test tab's worker calls this).
pub fn prepare(
    card: &ModelCard,
    source: &InputSource,
    params: Option<&Map<String, Value>>,
    options: Option<ImageOptions>,
    progress: &Progress,
) -> Result<Prepared, BuildError> {
    let mut images = None;
    let request = build_body(card, source, params, options, progress, &mut images)?;
    if progress.cancelled() {
        return Err(BuildError::Cancelled);
    }
    let verdict = super::validate::validate(super::validate::Model::of(card), &request);
    let (mut tensor_summary, preview) = match images {
        Some(s) => (Some(s.tensor), Some(s.first)),
        None => (None, None),
    };
    if tensor_summary.is_none() {
        tensor_summary = match &request {
            Request::Tensors { tensors, .. } => Some(summarize_typed(tensors, card)),
            Request::Json(body) => card
                .signature
                .valid()
                .and_then(|s| s.inputs.as_ref())
                .filter(|s| s.is_tensor())
                .and_then(|schema| summarize_tensors(body, schema)),
        };
    }
    Ok(Prepared {
        view: request.view(8),
        bytes: request.json_len(BodyFormat::Mlflow),
        request: std::sync::Arc::new(request),
        verdict,
        tensor_summary,
        preview,
    })
}
