//! Native ONNX: models with the `onnx` flavor run in-process with tract, no Python.
//!
//! The answer has the shape MLflow's onnx pyfunc gives: for a tensor request (`inputs`,
//! `instances`) an object of output name to array; for a frame request (`dataframe_split`,
//! `dataframe_records`) records with one column per output. skl2onnx's `ZipMap` (which tract
//! lacks) is handled by running the graph up to the tensor it reads and building its list of
//! `{label: probability}` maps here, as onnxruntime does.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use tract_onnx::pb;
use tract_onnx::prelude::*;

use super::onnx_io::{
    frame, has_non_finite, records, tensor_to_json, to_tensor, typed_to_tract, zipmap_json,
};
use super::{Outcome, PredictError, Rejection, Reply};
use crate::input::request::{Request, Tensors};
use crate::model::ModelCard;
use crate::model::flavors::FlavorView;
use crate::model::fsutil::{ReadError, file_inside};

/// Whether the model's signature takes tensors (answers then keep MLflow's tensor form).
pub fn tensor_signature(card: &ModelCard) -> bool {
    card.signature
        .valid()
        .and_then(|s| s.inputs.as_ref())
        .is_some_and(|s| s.is_tensor())
}

/// An ONNX element type as numpy names it, with tract's type when tract can feed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Elem {
    /// float32
    F32,
    /// float64
    F64,
    /// float16 (fed as float32 converted)
    F16,
    /// int8
    I8,
    /// int16
    I16,
    /// int32
    I32,
    /// int64
    I64,
    /// uint8
    U8,
    /// uint16
    U16,
    /// uint32
    U32,
    /// uint64
    U64,
    /// bool
    Bool,
    /// string
    Str,
}

impl Elem {
    /// The element type for an ONNX `TensorProto.DataType` code, when tract and numpy share it.
    pub fn from_onnx(code: i32) -> Option<Self> {
        Some(match code {
            1 => Self::F32,
            2 => Self::U8,
            3 => Self::I8,
            4 => Self::U16,
            5 => Self::I16,
            6 => Self::I32,
            7 => Self::I64,
            8 => Self::Str,
            9 => Self::Bool,
            10 => Self::F16,
            11 => Self::F64,
            12 => Self::U32,
            13 => Self::U64,
            _ => return None,
        })
    }

    /// numpy's name.
    pub fn numpy(self) -> &'static str {
        match self {
            Self::F32 => "float32",
            Self::F64 => "float64",
            Self::F16 => "float16",
            Self::I8 => "int8",
            Self::I16 => "int16",
            Self::I32 => "int32",
            Self::I64 => "int64",
            Self::U8 => "uint8",
            Self::U16 => "uint16",
            Self::U32 => "uint32",
            Self::U64 => "uint64",
            Self::Bool => "bool",
            Self::Str => "string",
        }
    }

    fn datum(self) -> DatumType {
        match self {
            Self::F32 => DatumType::F32,
            Self::F64 => DatumType::F64,
            Self::F16 => DatumType::F16,
            Self::I8 => DatumType::I8,
            Self::I16 => DatumType::I16,
            Self::I32 => DatumType::I32,
            Self::I64 => DatumType::I64,
            Self::U8 => DatumType::U8,
            Self::U16 => DatumType::U16,
            Self::U32 => DatumType::U32,
            Self::U64 => DatumType::U64,
            Self::Bool => DatumType::Bool,
            Self::Str => DatumType::String,
        }
    }
}

/// One graph input as the ONNX file declares it.
#[derive(Debug, Clone)]
pub struct GraphInput {
    /// The input's name.
    pub name: String,
    /// Its element type (`None` when the file names one tract does not know).
    pub elem: Option<Elem>,
    /// Its dimensions (`None` for a free one).
    pub dims: Vec<Option<usize>>,
}

/// A `ZipMap` node at the end of the graph: its output is rebuilt from its input.
#[derive(Debug, Clone)]
pub(crate) struct ZipMap {
    /// The tensor it reads ([N, C] probabilities).
    input: String,
    /// The labels it zips with, as JSON keys.
    labels: Vec<String>,
}

/// A loaded ONNX model, with one optimised plan per set of input shapes, kept warm.
pub struct OnnxBackend {
    path: PathBuf,
    inputs: Vec<GraphInput>,
    /// Output names as the file declares them (the answer's keys).
    outputs: Vec<String>,
    zipmaps: HashMap<String, ZipMap>,
    model: InferenceModel,
    plans: Mutex<HashMap<Vec<Vec<usize>>, Plan>>,
    tensor_signature: bool,
}

/// How a set of input shapes runs.
#[derive(Clone)]
enum Plan {
    /// One run of this plan.
    Whole(Arc<TypedRunnableModel>),
    /// This batch-1 plan once per item along axis 0, the answers joined along axis 0
    /// (see [`super::tract_fixes`]).
    PerItem(Arc<TypedRunnableModel>),
}

type TypedRunnableModel = tract_onnx::prelude::TypedSimplePlan;

impl std::fmt::Debug for OnnxBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnnxBackend")
            .field("path", &self.path)
            .field("inputs", &self.inputs)
            .field("outputs", &self.outputs)
            .finish_non_exhaustive()
    }
}

/// The .onnx file a model's onnx flavor names (`data`, `model.onnx` when absent), relative to
/// the model folder; `None` when the model has no onnx flavor.
pub fn onnx_data(card: &ModelCard) -> Option<String> {
    card.flavors.iter().find_map(|f| match &f.view {
        FlavorView::Onnx { data, .. } => {
            Some(data.clone().unwrap_or_else(|| "model.onnx".to_string()))
        }
        _ => None,
    })
}

/// The checked path of a file the model names: inside the folder and a regular file.
pub(super) fn model_file(root: &Path, rel: &str, what: &str) -> Result<PathBuf, PredictError> {
    file_inside(root, rel).map_err(|e| {
        let shown = root.join(rel);
        onnx_error(
            &shown,
            match e {
                ReadError::Missing => format!("{what} is missing"),
                other => format!("{what}: {other}"),
            },
        )
    })
}

/// The external data files an ONNX model's tensors name (their `location`s), relative to the
/// model folder (ONNX resolves them beside the .onnx file), each once, in order.
pub fn external_data(proto: &pb::ModelProto, onnx_rel: &str) -> Vec<String> {
    fn tensors<'a>(graph: &'a pb::GraphProto, out: &mut Vec<&'a pb::TensorProto>) {
        out.extend(graph.initializer.iter());
        for node in &graph.node {
            for attr in &node.attribute {
                out.extend(attr.t.iter());
                out.extend(attr.tensors.iter());
                if let Some(g) = &attr.g {
                    tensors(g, out);
                }
                for g in &attr.graphs {
                    tensors(g, out);
                }
            }
        }
    }
    let mut all = Vec::new();
    if let Some(graph) = &proto.graph {
        tensors(graph, &mut all);
    }
    let dir = Path::new(onnx_rel)
        .parent()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut out: Vec<String> = Vec::new();
    for t in all {
        if t.data_location != Some(pb::tensor_proto::DataLocation::External as i32) {
            continue;
        }
        let Some(location) = t.external_data.iter().find(|e| e.key == "location") else {
            continue;
        };
        let rel = if dir.is_empty() {
            location.value.clone()
        } else {
            format!("{dir}/{}", location.value)
        };
        if !out.contains(&rel) {
            out.push(rel);
        }
    }
    out
}

/// The onnx flavor's .onnx file for a backend: its path in the folder, its checked path and its
/// protobuf; `fetch` is called with the file, then with the external data files it names
/// (a model mirrored from a tracking server), and each of those is checked to be a regular
/// file inside the folder before any runtime reads it.
pub fn read_model(
    card: &ModelCard,
    fetch: &mut impl FnMut(&[String]) -> Result<(), PredictError>,
) -> Result<(String, PathBuf, pb::ModelProto), PredictError> {
    let rel = onnx_data(card).ok_or_else(|| {
        PredictError::NotRunnable(format!(
            "{}: the model has no onnx flavor; predict it with the MLflow (local) backend",
            card.root.join("MLmodel").display()
        ))
    })?;
    fetch(std::slice::from_ref(&rel))?;
    let path = model_file(&card.root, &rel, "the ONNX file the onnx flavor names")?;
    let proto = read_proto(&path)?;
    let externals = external_data(&proto, &rel);
    fetch(&externals)?;
    check_external_data(&card.root, &externals)?;
    Ok((rel, path, proto))
}

/// Each external data file (weights MLflow saved beside the .onnx file) checked the way every
/// file of the model is: a regular file inside the folder.
fn check_external_data(root: &Path, externals: &[String]) -> Result<(), PredictError> {
    for rel in externals {
        model_file(
            root,
            rel,
            "a file of the model's weights (ONNX external data)",
        )?;
    }
    Ok(())
}

/// A graph's inputs fed at run time (initializers listed as inputs left out) and its output
/// names.
pub fn graph_io(graph: &pb::GraphProto) -> (Vec<GraphInput>, Vec<String>) {
    let initializers: std::collections::HashSet<&str> =
        graph.initializer.iter().map(|t| t.name.as_str()).collect();
    let inputs = graph
        .input
        .iter()
        .filter(|i| !initializers.contains(i.name.as_str()))
        .map(graph_input)
        .collect();
    let outputs = graph.output.iter().map(|o| o.name.clone()).collect();
    (inputs, outputs)
}

/// Reads an .onnx file's protobuf (the graph and the inline weights; external data stays on
/// disk until the model is prepared).
pub fn read_proto(path: &Path) -> Result<pb::ModelProto, PredictError> {
    tract_onnx::onnx()
        .proto_model_for_path(path)
        .map_err(|e| match tract_error(path, &e) {
            PredictError::Onnx { path, message } => PredictError::Onnx {
                path,
                message: format!("cannot read the ONNX file: {message}"),
            },
            other => other,
        })
}

fn onnx_error(path: &Path, message: impl Into<String>) -> PredictError {
    PredictError::Onnx {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// tract's error as ours: [`PredictError::UnsupportedOp`] naming the operator tract lacks
/// (tract says so only in its error chain's text, `Unimplemented(Op)`), else
/// [`PredictError::Onnx`] with the whole chain.
fn tract_error(path: &Path, error: &TractError) -> PredictError {
    let chain: Vec<String> = error.chain().map(|e| e.to_string()).collect();
    let detail = chain.join(": ");
    match chain.iter().find_map(|m| {
        m.split("Unimplemented(")
            .nth(1)
            .and_then(|rest| rest.split(')').next())
            .map(str::to_string)
    }) {
        Some(op) => PredictError::UnsupportedOp {
            path: path.to_path_buf(),
            op,
            detail,
        },
        None => onnx_error(path, detail),
    }
}

impl OnnxBackend {
    /// Reads the model's .onnx file and its external data (no plan is made until the first
    /// predict).
    pub fn load(card: &ModelCard) -> Result<Self, PredictError> {
        Self::load_with(card, |_| Ok(()))
    }

    /// [`OnnxBackend::load`] for a model whose files may still be elsewhere (mirrored from a
    /// tracking server): `fetch` is called with the .onnx file, then with the external data
    /// files it names, before each is read.
    pub fn load_with(
        card: &ModelCard,
        mut fetch: impl FnMut(&[String]) -> Result<(), PredictError>,
    ) -> Result<Self, PredictError> {
        let (rel, _, proto) = read_model(card, &mut fetch)?;
        Self::from_proto(&card.root, &rel, proto, tensor_signature(card))
    }

    /// Reads an .onnx file on its own (its external data beside it).
    pub fn load_file(path: &Path, tensor_signature: bool) -> Result<Self, PredictError> {
        let root = path.parent().unwrap_or(Path::new("."));
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let path = model_file(root, &name, "the ONNX file")?;
        let proto = read_proto(&path)?;
        Self::from_proto(root, &name, proto, tensor_signature)
    }

    /// Prepares a model from its protobuf: `onnx_rel` is the .onnx file inside `root`, the
    /// folder its external data files must stay in.
    pub fn from_proto(
        root: &Path,
        onnx_rel: &str,
        proto: pb::ModelProto,
        tensor_signature: bool,
    ) -> Result<Self, PredictError> {
        let path = root.join(onnx_rel);
        // Weights saved as external data (MLflow's default), checked before tract reads them.
        check_external_data(root, &external_data(&proto, onnx_rel))?;
        let dir = path
            .parent()
            .map(|d| d.to_string_lossy().into_owned())
            .unwrap_or_else(|| ".".into());
        let onnx = tract_onnx::onnx();
        let graph = proto
            .graph
            .as_ref()
            .ok_or_else(|| onnx_error(&path, "the ONNX file holds no graph"))?;
        let (inputs, outputs) = graph_io(graph);
        let zipmaps = find_zipmaps(graph, &outputs);
        // tract looks operators up by type alone: a custom domain's op must not run as ONNX's
        // op of the same name, and one tract lacks is named before it fails deep in a plan.
        if let Some(op) = super::graph::unsupported_ops(graph).into_iter().next() {
            let detail = match op.split_once(':') {
                Some((domain, _)) => format!("an operator of the custom domain {domain}"),
                None => "not among tract-onnx's operators".to_string(),
            };
            return Err(PredictError::UnsupportedOp { path, op, detail });
        }
        let parsed = onnx
            .parse(&proto, Some(&dir))
            .map_err(|e| tract_error(&path, &e))?;
        if !parsed.unresolved_inputs.is_empty() {
            return Err(onnx_error(
                &path,
                format!(
                    "the graph reads values nothing defines: {}",
                    parsed.unresolved_inputs.join(", ")
                ),
            ));
        }
        let mut model = parsed.model;
        if !zipmaps.is_empty() {
            let selected: Vec<String> = outputs
                .iter()
                .map(|o| zipmaps.get(o).map_or(o.clone(), |z| z.input.clone()))
                .collect();
            model
                .select_outputs_by_name(&selected)
                .map_err(|e| tract_error(&path, &e))?;
        }
        Ok(Self {
            path,
            inputs,
            outputs,
            zipmaps,
            model,
            plans: Mutex::new(HashMap::new()),
            tensor_signature,
        })
    }

    /// The graph's inputs.
    pub fn inputs(&self) -> &[GraphInput] {
        &self.inputs
    }

    /// The graph's output names.
    pub fn outputs(&self) -> &[String] {
        &self.outputs
    }

    /// The plan for these input shapes, made (and kept) on first use; the second value is the
    /// time spent making it.
    fn plan(&self, shapes: Vec<Vec<usize>>) -> Result<(Plan, Duration), PredictError> {
        if let Ok(plans) = self.plans.lock()
            && let Some(plan) = plans.get(&shapes)
        {
            return Ok((plan.clone(), Duration::ZERO));
        }
        let started = Instant::now();
        let fail = |e: TractError| tract_error(&self.path, &e);
        let mut model = self.model.clone();
        for (i, (input, shape)) in self.inputs.iter().zip(&shapes).enumerate() {
            let Some(elem) = input.elem else { continue };
            let dims: TVec<TDim> = shape.iter().map(|&d| d.to_dim()).collect();
            model = model
                .with_input_fact(i, InferenceFact::dt_shape(elem.datum(), dims))
                .map_err(fail)?;
        }
        let mut typed = model
            .into_typed()
            .and_then(|m| m.into_decluttered())
            .map_err(fail)?;
        super::tract_fixes::fold_input_scale_into_conv(&mut typed).map_err(fail)?;
        let batch = shapes.first().and_then(|s| s.first()).copied().unwrap_or(1);
        let same_batch = shapes.iter().all(|s| s.first() == Some(&batch));
        let per_item = batch > 1
            && same_batch
            && super::tract_fixes::has_conv(&typed)
            && super::tract_fixes::batch_separable(&typed).unwrap_or(false);
        let plan = if per_item {
            let single: Vec<Vec<usize>> = shapes
                .iter()
                .map(|s| {
                    std::iter::once(1)
                        .chain(s.iter().skip(1).copied())
                        .collect()
                })
                .collect();
            match self.plan(single)? {
                (Plan::Whole(one), _) => Plan::PerItem(one),
                (other, _) => other,
            }
        } else {
            let mut optimized = typed.into_optimized().map_err(fail)?;
            super::tract_fixes::replace_middle_sums(&mut optimized).map_err(fail)?;
            Plan::Whole(optimized.into_runnable().map_err(fail)?)
        };
        if let Ok(mut plans) = self.plans.lock() {
            plans.insert(shapes, plan.clone());
        }
        Ok((plan, started.elapsed()))
    }

    /// Runs a plan on the feeds.
    fn run(&self, plan: &Plan, feeds: Vec<Tensor>) -> TractResult<TVec<TValue>> {
        let one = match plan {
            Plan::Whole(one) => {
                return one.run(feeds.into_iter().map(|t| t.into_tvalue()).collect());
            }
            Plan::PerItem(one) => one,
        };
        let items = feeds
            .first()
            .and_then(|t| t.shape().first())
            .copied()
            .unwrap_or(0);
        let indices: Vec<usize> = (0..items).collect();
        let per_item: Vec<TVec<TValue>> = crate::perf::map_on_cores(
            &indices,
            |part| {
                let mut state = one.spawn()?;
                part.iter()
                    .map(|&i| {
                        let inputs = feeds
                            .iter()
                            .map(|t| t.slice(0, i, i + 1).map(|s| s.into_tvalue()))
                            .collect::<TractResult<TVec<TValue>>>()?;
                        state.run(inputs)
                    })
                    .collect()
            },
            || anyhow::anyhow!("a tract worker panicked"),
        )?;
        let outputs = per_item.first().map_or(0, |o| o.len());
        (0..outputs)
            .map(|k| {
                let parts: Vec<&Tensor> = per_item
                    .iter()
                    .filter_map(|o| o.get(k))
                    .map(|v| &**v)
                    .collect();
                Tensor::stack_tensors(0, &parts).map(|t| t.into_tvalue())
            })
            .collect()
    }

    /// Runs the model on tensors in graph input order (the plan for their shapes made on first
    /// use): the outputs, the time spent making the plan, and when the run itself started.
    pub fn run_tensors(
        &self,
        feeds: Vec<Tensor>,
    ) -> Result<(TVec<TValue>, Duration, Instant), PredictError> {
        let shapes: Vec<Vec<usize>> = feeds.iter().map(|t| t.shape().to_vec()).collect();
        let (plan, startup) = self.plan(shapes)?;
        let started = Instant::now();
        let results = self
            .run(&plan, feeds)
            .map_err(|e| tract_error(&self.path, &e))?;
        Ok((results, startup, started))
    }

    /// Runs the model on a request: typed tensors are fed as they are (converted to the graph's
    /// element types), a JSON body is read into tensors first.
    pub fn predict(&self, request: &Request) -> Result<Outcome, PredictError> {
        // The latency counts the request's conversion too (not a plan made on first use).
        let converting = Instant::now();
        let (feeds, frame_request) = request_feeds(&self.inputs, request);
        let feeds = match feeds {
            Ok(f) => f,
            Err(message) => return Ok(refused(message)),
        };
        let conversion = converting.elapsed();
        let (results, startup, started) = self.run_tensors(feeds)?;
        let started = started.checked_sub(conversion).unwrap_or(started);
        let mut outputs = Map::new();
        for (name, result) in self.outputs.iter().zip(results.iter()) {
            let value = match self.zipmaps.get(name) {
                Some(zip) => zipmap_json(result, &zip.labels),
                None => tensor_to_json(result),
            }
            .map_err(|e| onnx_error(&self.path, format!("output {name}: {e}")))?;
            outputs.insert(name.clone(), value);
        }
        let mut outcome = answer(
            outputs,
            frame_request && !self.tensor_signature,
            has_non_finite(&results),
            started,
        );
        outcome.startup += startup;
        outcome.runtime = Some(tract_label());
        Ok(outcome)
    }
}

/// tract's version, as Cargo.lock pins it (a test keeps the two equal).
pub const TRACT_VERSION: &str = "0.23.9";

/// The runtime label of the tract backend: `tract 0.23.9`.
pub fn tract_label() -> String {
    format!("tract {TRACT_VERSION}")
}

/// The answer from the outputs (output name to JSON, in the graph's order) as MLflow's onnx
/// flavor gives it: records for a frame request to a column-based model, else the object;
/// `started` is when the run began (the latency ends now).
pub(super) fn answer(
    outputs: Map<String, Value>,
    as_records: bool,
    non_finite: bool,
    started: Instant,
) -> Outcome {
    let predictions = if as_records {
        match records(&outputs) {
            Ok(r) => r,
            Err(message) => return refused(message),
        }
    } else {
        Value::Object(outputs)
    };
    let latency = started.elapsed();
    let raw = serde_json::to_string(&json!({ "predictions": predictions })).unwrap_or_default();
    Outcome {
        reply: Reply::Predictions {
            value: predictions,
            wrapped: true,
            non_finite: non_finite && raw.contains("null"),
            raw,
        },
        latency,
        startup: Duration::ZERO,
        runtime: None,
        note: None,
    }
}

/// The tensors to feed, in graph input order, and whether the request is a frame
/// (`dataframe_split`, `dataframe_records`); a refusal's message instead of the tensors.
pub(super) fn request_feeds(
    inputs: &[GraphInput],
    request: &Request,
) -> (Result<Vec<Tensor>, String>, bool) {
    match request {
        Request::Tensors { tensors, .. } => (typed_feeds(inputs, tensors), false),
        Request::Json(body) => (
            json_feeds(inputs, body),
            body.get("dataframe_split").is_some() || body.get("dataframe_records").is_some(),
        ),
    }
}

/// The tensors to feed, in graph input order, from typed tensors (matched by name, or the
/// one unnamed tensor to the one graph input).
fn typed_feeds(inputs: &[GraphInput], tensors: &Tensors) -> Result<Vec<Tensor>, String> {
    typed_pairs(inputs, tensors)?
        .into_iter()
        .map(|(input, t)| typed_to_tract(input, t))
        .collect()
}

/// Each graph input with the typed tensor that feeds it (matched by name, or the one unnamed
/// tensor to the one graph input), in graph input order; MLflow's refusal when they do not
/// match.
pub(super) fn typed_pairs<'a, 't>(
    inputs: &'a [GraphInput],
    tensors: &'t Tensors,
) -> Result<Vec<(&'a GraphInput, &'t crate::input::tensor::Tensor)>, String> {
    match tensors {
        Tensors::One(t) => {
            let [input] = inputs else {
                return Err(format!(
                    "Unable to map numpy array input to the expected model input. Numpy arrays can only be used as input for MLflow ONNX models that have a single input. This model requires {} inputs. Please pass in data as either a dictionary or a DataFrame with the following tensors: {}.",
                    inputs.len(),
                    input_list(inputs)
                ));
            };
            Ok(vec![(input, t)])
        }
        Tensors::Named(ts) => inputs
            .iter()
            .map(|input| {
                let (_, t) = ts.iter().find(|(n, _)| *n == input.name).ok_or_else(|| {
                    format!(
                        "the request has no tensor named {:?}; the ONNX graph needs {}",
                        input.name,
                        input_list(inputs)
                    )
                })?;
                Ok((input, t))
            })
            .collect(),
    }
}

/// The tensors to feed, in graph input order, from a request body.
fn json_feeds(inputs: &[GraphInput], body: &Value) -> Result<Vec<Tensor>, String> {
    if let Some(data) = body.get("inputs").or_else(|| body.get("instances")) {
        // Borrowed, not copied: an image batch is hundreds of thousands of numbers.
        let data = crate::input::request::rows_to_columns(data);
        let named: Vec<(&GraphInput, &Value)> = match &*data {
            Value::Object(map) => {
                let mut out = Vec::new();
                for input in inputs {
                    let value = map.get(&input.name).ok_or_else(|| {
                        format!(
                            "the request has no tensor named {:?}; the ONNX graph needs {}",
                            input.name,
                            input_list(inputs)
                        )
                    })?;
                    out.push((input, value));
                }
                out
            }
            other => {
                let [input] = inputs else {
                    return Err(format!(
                        "Unable to map numpy array input to the expected model input. Numpy arrays can only be used as input for MLflow ONNX models that have a single input. This model requires {} inputs. Please pass in data as either a dictionary or a DataFrame with the following tensors: {}.",
                        inputs.len(),
                        input_list(inputs)
                    ));
                };
                vec![(input, other)]
            }
        };
        return named
            .into_iter()
            .map(|(input, value)| to_tensor(input, value))
            .collect();
    }
    let named: Vec<(&GraphInput, Value)> = if let Some((columns, rows)) = frame(body) {
        if let [input] = inputs {
            vec![(
                input,
                Value::Array(rows.into_iter().map(Value::Array).collect()),
            )]
        } else {
            let mut out = Vec::new();
            for input in inputs {
                let index = columns
                    .iter()
                    .position(|c| c == &input.name)
                    .ok_or_else(|| {
                        format!(
                            "the frame has no column named {:?}; the ONNX graph needs {}",
                            input.name,
                            input_list(inputs)
                        )
                    })?;
                let column: Vec<Value> = rows
                    .iter()
                    .map(|r| r.get(index).cloned().unwrap_or(Value::Null))
                    .collect();
                out.push((input, Value::Array(column)));
            }
            out
        }
    } else {
        return Err(
            "the body has none of inputs, instances, dataframe_split or dataframe_records".into(),
        );
    };
    named
        .iter()
        .map(|(input, value)| to_tensor(input, value))
        .collect()
}

fn input_list(inputs: &[GraphInput]) -> String {
    let names: Vec<String> = inputs.iter().map(|i| format!("{:?}", i.name)).collect();
    format!("[{}]", names.join(", "))
}

/// A refusal from our side, worded as the server would answer it.
pub(super) fn refused(message: String) -> Outcome {
    Outcome {
        reply: Reply::Rejected(Rejection {
            status: 400,
            error_code: Some("INVALID_PARAMETER_VALUE".into()),
            summary: message.clone(),
            full: message,
        }),
        latency: Duration::ZERO,
        startup: Duration::ZERO,
        runtime: None,
        note: None,
    }
}

pub(super) fn graph_input(info: &pb::ValueInfoProto) -> GraphInput {
    let tensor = info.r#type.as_ref().and_then(|t| match &t.value {
        Some(pb::type_proto::Value::TensorType(t)) => Some(t),
        _ => None,
    });
    let elem = tensor.and_then(|t| Elem::from_onnx(t.elem_type));
    let dims = tensor
        .and_then(|t| t.shape.as_ref())
        .map(|s| {
            s.dim
                .iter()
                .map(|d| match d.value {
                    Some(pb::tensor_shape_proto::dimension::Value::DimValue(v)) if v > 0 => {
                        usize::try_from(v).ok()
                    }
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    GraphInput {
        name: info.name.clone(),
        elem,
        dims,
    }
}

pub(crate) fn find_zipmaps(graph: &pb::GraphProto, outputs: &[String]) -> HashMap<String, ZipMap> {
    let mut found = HashMap::new();
    for node in &graph.node {
        if node.op_type != "ZipMap" {
            continue;
        }
        let (Some(input), Some(output)) = (node.input.first(), node.output.first()) else {
            continue;
        };
        if !outputs.contains(output) {
            continue;
        }
        let mut labels = Vec::new();
        for attr in &node.attribute {
            match attr.name.as_str() {
                "classlabels_int64s" => {
                    labels = attr.ints.iter().map(ToString::to_string).collect()
                }
                "classlabels_strings" => {
                    labels = attr
                        .strings
                        .iter()
                        .map(|s| String::from_utf8_lossy(s).into_owned())
                        .collect()
                }
                _ => {}
            }
        }
        found.insert(
            output.clone(),
            ZipMap {
                input: input.clone(),
                labels,
            },
        );
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(elem: Elem, dims: Vec<Option<usize>>) -> GraphInput {
        GraphInput {
            name: "x".into(),
            elem: Some(elem),
            dims,
        }
    }

    #[test]
    fn json_becomes_a_tensor_in_one_walk_and_bad_lists_are_named() {
        let t = to_tensor(
            &input(Elem::U8, vec![None, Some(2)]),
            &json!([[1, 2], [3, 4.0]]),
        )
        .unwrap();
        assert_eq!(t.shape(), &[2, 2]);
        assert_eq!(
            t.to_plain_array_view::<u8>()
                .unwrap()
                .iter()
                .copied()
                .collect::<Vec<_>>(),
            vec![1, 2, 3, 4]
        );
        let f = to_tensor(&input(Elem::F32, vec![]), &json!([[0.5], [null]])).unwrap();
        assert!(f.to_plain_array_view::<f32>().unwrap()[[1, 0]].is_nan());
        let ragged = to_tensor(&input(Elem::F32, vec![]), &json!([[1, 2], [3]])).unwrap_err();
        assert!(
            ragged.contains("x: the nested lists are ragged at depth 2"),
            "{ragged}"
        );
        let deep = to_tensor(&input(Elem::F32, vec![]), &json!([1, [2]])).unwrap_err();
        assert_eq!(
            deep,
            "x: a list is not a number; the ONNX graph wants float32"
        );
        // Text is read as MLflow's parsing reads it (Python's float()), and refused in its words.
        let text = to_tensor(&input(Elem::F32, vec![]), &json!([1, "a"])).unwrap_err();
        assert_eq!(
            text,
            "x: ValueError: could not convert string to float: 'a'"
        );
        let read = to_tensor(&input(Elem::F32, vec![]), &json!([1, " 2.5 "])).unwrap();
        assert_eq!(
            read.to_plain_array_view::<f32>()
                .unwrap()
                .iter()
                .copied()
                .collect::<Vec<_>>(),
            vec![1.0, 2.5]
        );
        let big = to_tensor(&input(Elem::U8, vec![]), &json!([1, 256])).unwrap_err();
        assert_eq!(
            big,
            "x: 256 does not fit uint8 for the ONNX graph (OverflowError: Python integer 256 out of bounds for uint8)"
        );
        let rank = to_tensor(&input(Elem::U8, vec![None, None]), &json!([1])).unwrap_err();
        assert!(rank.contains("rank-2"), "{rank}");
        let empty = to_tensor(&input(Elem::I64, vec![]), &json!([[], []])).unwrap();
        assert_eq!(empty.shape(), &[2, 0]);
    }
}
