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
fn model_file(root: &Path, rel: &str, what: &str) -> Result<PathBuf, PredictError> {
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
        let rel = onnx_data(card).ok_or_else(|| {
            PredictError::NotRunnable(format!(
                "{}: the model has no onnx flavor; predict it with the MLflow (local) backend",
                card.root.join("MLmodel").display()
            ))
        })?;
        fetch(std::slice::from_ref(&rel))?;
        let path = model_file(&card.root, &rel, "the ONNX file the onnx flavor names")?;
        let proto = read_proto(&path)?;
        fetch(&external_data(&proto, &rel))?;
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
        // Weights saved as external data (MLflow's default): each file checked the way every
        // file of the model is, before tract reads it.
        for rel in external_data(&proto, onnx_rel) {
            model_file(
                root,
                &rel,
                "a file of the model's weights (ONNX external data)",
            )?;
        }
        let dir = path
            .parent()
            .map(|d| d.to_string_lossy().into_owned())
            .unwrap_or_else(|| ".".into());
        let onnx = tract_onnx::onnx();
        let graph = proto
            .graph
            .as_ref()
            .ok_or_else(|| onnx_error(&path, "the ONNX file holds no graph"))?;
        let initializers: std::collections::HashSet<&str> =
            graph.initializer.iter().map(|t| t.name.as_str()).collect();
        let inputs: Vec<GraphInput> = graph
            .input
            .iter()
            .filter(|i| !initializers.contains(i.name.as_str()))
            .map(graph_input)
            .collect();
        let outputs: Vec<String> = graph.output.iter().map(|o| o.name.clone()).collect();
        let zipmaps = find_zipmaps(graph, &outputs);
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
        let (feeds, frame_request) = match request {
            Request::Tensors { tensors, .. } => (self.typed_feeds(tensors), false),
            Request::Json(body) => (
                self.feeds(body),
                body.get("dataframe_split").is_some() || body.get("dataframe_records").is_some(),
            ),
        };
        let feeds = match feeds {
            Ok(f) => f,
            Err(message) => return Ok(refused(message)),
        };
        let (results, startup, started) = self.run_tensors(feeds)?;
        let mut outputs = Map::new();
        for (name, result) in self.outputs.iter().zip(results.iter()) {
            let value = match self.zipmaps.get(name) {
                Some(zip) => zipmap_json(result, &zip.labels),
                None => tensor_to_json(result),
            }
            .map_err(|e| onnx_error(&self.path, format!("output {name}: {e}")))?;
            outputs.insert(name.clone(), value);
        }
        let predictions = if frame_request && !self.tensor_signature {
            match records(&outputs) {
                Ok(r) => r,
                Err(message) => return Ok(refused(message)),
            }
        } else {
            Value::Object(outputs)
        };
        let latency = started.elapsed();
        let raw = serde_json::to_string(&json!({ "predictions": predictions })).unwrap_or_default();
        Ok(Outcome {
            reply: Reply::Predictions {
                value: predictions,
                wrapped: true,
                non_finite: raw.contains("null") && has_non_finite(&results),
                raw,
            },
            latency,
            startup,
        })
    }

    /// The tensors to feed, in graph input order, from typed tensors (matched by name, or the
    /// one unnamed tensor to the one graph input).
    fn typed_feeds(&self, tensors: &Tensors) -> Result<Vec<Tensor>, String> {
        match tensors {
            Tensors::One(t) => {
                let [input] = self.inputs.as_slice() else {
                    return Err(format!(
                        "Unable to map numpy array input to the expected model input. Numpy arrays can only be used as input for MLflow ONNX models that have a single input. This model requires {} inputs. Please pass in data as either a dictionary or a DataFrame with the following tensors: {}.",
                        self.inputs.len(),
                        self.input_list()
                    ));
                };
                Ok(vec![typed_to_tract(input, t)?])
            }
            Tensors::Named(ts) => self
                .inputs
                .iter()
                .map(|input| {
                    let (_, t) = ts.iter().find(|(n, _)| *n == input.name).ok_or_else(|| {
                        format!(
                            "the request has no tensor named {:?}; the ONNX graph needs {}",
                            input.name,
                            self.input_list()
                        )
                    })?;
                    typed_to_tract(input, t)
                })
                .collect(),
        }
    }

    /// The tensors to feed, in graph input order, from a request body.
    fn feeds(&self, body: &Value) -> Result<Vec<Tensor>, String> {
        if let Some(data) = body.get("inputs").or_else(|| body.get("instances")) {
            // Borrowed, not copied: an image batch is hundreds of thousands of numbers.
            let data = crate::input::request::rows_to_columns(data);
            let named: Vec<(&GraphInput, &Value)> = match &*data {
                Value::Object(map) => {
                    let mut out = Vec::new();
                    for input in &self.inputs {
                        let value = map.get(&input.name).ok_or_else(|| {
                            format!(
                                "the request has no tensor named {:?}; the ONNX graph needs {}",
                                input.name,
                                self.input_list()
                            )
                        })?;
                        out.push((input, value));
                    }
                    out
                }
                other => {
                    let [input] = self.inputs.as_slice() else {
                        return Err(format!(
                            "Unable to map numpy array input to the expected model input. Numpy arrays can only be used as input for MLflow ONNX models that have a single input. This model requires {} inputs. Please pass in data as either a dictionary or a DataFrame with the following tensors: {}.",
                            self.inputs.len(),
                            self.input_list()
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
            if let [input] = self.inputs.as_slice() {
                vec![(
                    input,
                    Value::Array(rows.into_iter().map(Value::Array).collect()),
                )]
            } else {
                let mut out = Vec::new();
                for input in &self.inputs {
                    let index = columns
                        .iter()
                        .position(|c| c == &input.name)
                        .ok_or_else(|| {
                            format!(
                                "the frame has no column named {:?}; the ONNX graph needs {}",
                                input.name,
                                self.input_list()
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
                "the body has none of inputs, instances, dataframe_split or dataframe_records"
                    .into(),
            );
        };
        named
            .iter()
            .map(|(input, value)| to_tensor(input, value))
            .collect()
    }

    fn input_list(&self) -> String {
        let names: Vec<String> = self
            .inputs
            .iter()
            .map(|i| format!("{:?}", i.name))
            .collect();
        format!("[{}]", names.join(", "))
    }
}

/// A refusal from our side, worded as the server would answer it.
fn refused(message: String) -> Outcome {
    Outcome {
        reply: Reply::Rejected(Rejection {
            status: 400,
            error_code: Some("INVALID_PARAMETER_VALUE".into()),
            summary: message.clone(),
            full: message,
        }),
        latency: Duration::ZERO,
        startup: Duration::ZERO,
    }
}

fn graph_input(info: &pb::ValueInfoProto) -> GraphInput {
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

/// A frame body as (columns, rows).
fn frame(body: &Value) -> Option<(Vec<String>, Vec<Vec<Value>>)> {
    if let Some(split) = body.get("dataframe_split") {
        let columns: Vec<String> = split
            .get("columns")
            .and_then(Value::as_array)
            .map(|c| {
                c.iter()
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let rows: Vec<Vec<Value>> = split
            .get("data")
            .and_then(Value::as_array)
            .map(|d| {
                d.iter()
                    .map(|r| r.as_array().cloned().unwrap_or_else(|| vec![r.clone()]))
                    .collect()
            })
            .unwrap_or_default();
        return Some((columns, rows));
    }
    let records = body.get("dataframe_records")?.as_array()?;
    let (columns, rows) = crate::model::example::records_to_rows(records);
    Some((columns, rows))
}

/// The shape of a nested JSON list, read down its first items.
fn shape_of(value: &Value) -> Vec<usize> {
    let mut shape = Vec::new();
    let mut at = value;
    while let Value::Array(items) = at {
        shape.push(items.len());
        match items.first() {
            Some(first) => at = first,
            None => break,
        }
    }
    shape
}

/// The leaves of a nested JSON list of this shape, converted one by one in a single walk (an
/// image batch is millions of numbers: no list of leaves is made first); ragged lists are
/// refused.
fn leaves_as<T>(
    name: &str,
    value: &Value,
    shape: &[usize],
    convert: &impl Fn(&Value) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    fn walk<T>(
        name: &str,
        value: &Value,
        shape: &[usize],
        depth: usize,
        out: &mut Vec<T>,
        convert: &impl Fn(&Value) -> Result<T, String>,
    ) -> Result<(), String> {
        match (shape.get(depth), value) {
            (None, _) => {
                out.push(convert(value)?);
                Ok(())
            }
            (Some(&len), Value::Array(items)) if items.len() == len => items
                .iter()
                .try_for_each(|item| walk(name, item, shape, depth + 1, out, convert)),
            (Some(_), _) => Err(format!(
                "{name}: the nested lists are ragged at depth {}: every list at one depth must have the same length",
                depth + 1
            )),
        }
    }
    // The shape is read down the first items only: a crafted body can claim a huge product,
    // so the reservation is bounded (the walk itself stops at the first ragged list).
    let claimed = shape
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .unwrap_or(0);
    let mut out = Vec::with_capacity(claimed.min(1 << 24));
    walk(name, value, shape, 0, &mut out, convert)?;
    Ok(out)
}

/// Whether a request's shape fits the graph input's rank and fixed dimensions.
fn check_dims(input: &GraphInput, shape: &[usize]) -> Result<(), String> {
    let name = &input.name;
    if !input.dims.is_empty() && input.dims.len() != shape.len() {
        return Err(format!(
            "{name}: the ONNX graph wants a rank-{} tensor, the request has shape {shape:?}",
            input.dims.len()
        ));
    }
    for (axis, (want, got)) in input.dims.iter().zip(shape).enumerate() {
        if let Some(want) = want
            && want != got
        {
            return Err(format!(
                "{name}: dimension {axis} must be {want} for the ONNX graph, the request has shape {shape:?}"
            ));
        }
    }
    Ok(())
}

fn to_tensor(input: &GraphInput, value: &Value) -> Result<Tensor, String> {
    let name = &input.name;
    let elem = input.elem.ok_or_else(|| {
        format!("{name}: the ONNX file gives this input an element type tract cannot feed")
    })?;
    let shape = shape_of(value);
    check_dims(input, &shape)?;
    let number = |leaf: &Value| -> Result<f64, String> {
        match leaf {
            Value::Number(n) => n
                .as_f64()
                .ok_or_else(|| format!("{name}: {n} is not a number")),
            Value::Bool(b) => Ok(f64::from(u8::from(*b))),
            Value::Null => Ok(f64::NAN),
            other => Err(format!(
                "{name}: {} is not a number; the ONNX graph wants {}",
                crate::model::mlmodel::describe(other),
                elem.numpy()
            )),
        }
    };
    macro_rules! ints {
        ($t:ty) => {{
            let data: Vec<$t> = leaves_as(name, value, &shape, &|leaf: &Value| {
                match leaf {
                    Value::Number(n) => n
                        .as_i64()
                        .and_then(|i| <$t>::try_from(i).ok())
                        .or_else(|| n.as_u64().and_then(|u| <$t>::try_from(u).ok()))
                        .or_else(|| {
                            n.as_f64()
                                .filter(|f| f.fract() == 0.0)
                                .and_then(|f| <$t>::try_from(f as i64).ok())
                        }),
                    Value::Bool(b) => Some(if *b { 1 as $t } else { 0 as $t }),
                    _ => None,
                }
                .ok_or_else(|| {
                    format!(
                        "{name}: {leaf} does not fit {} for the ONNX graph",
                        elem.numpy()
                    )
                })
            })?;
            Tensor::from_shape(&shape, &data).map_err(|e| format!("{name}: {e}"))
        }};
    }
    match elem {
        Elem::F32 => {
            let data: Vec<f32> = leaves_as(name, value, &shape, &|l: &Value| {
                number(l).map(|x| x as f32)
            })?;
            Tensor::from_shape(&shape, &data).map_err(|e| format!("{name}: {e}"))
        }
        Elem::F16 => {
            let data: Vec<f32> = leaves_as(name, value, &shape, &|l: &Value| {
                number(l).map(|x| x as f32)
            })?;
            Tensor::from_shape(&shape, &data)
                .and_then(|t| t.cast_to_dt(DatumType::F16).map(|c| c.into_owned()))
                .map_err(|e| format!("{name}: {e}"))
        }
        Elem::F64 => {
            let data: Vec<f64> = leaves_as(name, value, &shape, &number)?;
            Tensor::from_shape(&shape, &data).map_err(|e| format!("{name}: {e}"))
        }
        Elem::Bool => {
            let data: Vec<bool> = leaves_as(name, value, &shape, &|l: &Value| match l {
                Value::Bool(b) => Ok(*b),
                Value::Number(n) => Ok(n.as_f64().is_some_and(|x| x != 0.0)),
                other => Err(format!("{name}: {other} is not a boolean")),
            })?;
            Tensor::from_shape(&shape, &data).map_err(|e| format!("{name}: {e}"))
        }
        Elem::I8 => ints!(i8),
        Elem::I16 => ints!(i16),
        Elem::I32 => ints!(i32),
        Elem::I64 => ints!(i64),
        Elem::U8 => ints!(u8),
        Elem::U16 => ints!(u16),
        Elem::U32 => ints!(u32),
        Elem::U64 => ints!(u64),
        Elem::Str => {
            let data: Vec<String> = leaves_as(name, value, &shape, &|l: &Value| {
                Ok(l.as_str().map_or_else(|| l.to_string(), str::to_string))
            })?;
            let array = tract_ndarray::ArrayD::from_shape_vec(shape.clone(), data)
                .map_err(|e| format!("{name}: {e}"))?;
            Ok(Tensor::from(array))
        }
    }
}

/// A typed tensor as tract's tensor of the graph input's element type, with the same checks
/// and conversions [`to_tensor`] makes of the JSON the tensor is written as (a tensor of the
/// graph's own type is copied as it is).
fn typed_to_tract(input: &GraphInput, t: &crate::input::tensor::Tensor) -> Result<Tensor, String> {
    use crate::input::tensor::Flat;
    let name = &input.name;
    let elem = input.elem.ok_or_else(|| {
        format!("{name}: the ONNX file gives this input an element type tract cannot feed")
    })?;
    let shape = t.shape().to_vec();
    check_dims(input, &shape)?;
    let flat = t
        .flat()
        .ok_or_else(|| format!("{name}: the tensor is not in standard layout"))?;
    let make = |r: TractResult<Tensor>| r.map_err(|e| format!("{name}: {e}"));
    // Values as JSON numbers: integers exact, floats as float64, NaN written `null`.
    let as_f64 = |i: usize| -> f64 {
        match flat {
            Flat::U8(v) => f64::from(v[i]),
            Flat::I64(v) => v[i] as f64,
            Flat::F32(v) => f64::from(v[i]),
            Flat::F64(v) => v[i],
            Flat::Bool(v) => f64::from(u8::from(v[i])),
        }
    };
    macro_rules! ints {
        ($t:ty) => {{
            let data: Result<Vec<$t>, String> = match flat {
                Flat::U8(v) => v
                    .iter()
                    .map(|&x| <$t>::try_from(x).map_err(|_| x.to_string()))
                    .collect(),
                Flat::I64(v) => v
                    .iter()
                    .map(|&x| <$t>::try_from(x).map_err(|_| x.to_string()))
                    .collect(),
                Flat::Bool(v) => Ok(v
                    .iter()
                    .map(|&b| if b { 1 as $t } else { 0 as $t })
                    .collect()),
                Flat::F32(_) | Flat::F64(_) => (0..flat.len())
                    .map(|i| {
                        let f = as_f64(i);
                        (f.is_finite() && f.fract() == 0.0)
                            .then(|| <$t>::try_from(f as i64).ok())
                            .flatten()
                            .ok_or_else(|| flat.json(i).to_string())
                    })
                    .collect(),
            };
            let data = data.map_err(|leaf| {
                format!(
                    "{name}: {leaf} does not fit {} for the ONNX graph",
                    elem.numpy()
                )
            })?;
            make(Tensor::from_shape(&shape, &data))
        }};
    }
    // A tensor of the graph's own type is copied once, as it is.
    match (elem, flat) {
        (Elem::U8, Flat::U8(v)) => return make(Tensor::from_shape(&shape, v)),
        (Elem::I64, Flat::I64(v)) => return make(Tensor::from_shape(&shape, v)),
        (Elem::F32, Flat::F32(v)) => return make(Tensor::from_shape(&shape, v)),
        (Elem::F64, Flat::F64(v)) => return make(Tensor::from_shape(&shape, v)),
        (Elem::Bool, Flat::Bool(v)) => return make(Tensor::from_shape(&shape, v)),
        _ => {}
    }
    match elem {
        Elem::F32 | Elem::F16 => {
            let data: Vec<f32> = (0..flat.len()).map(|i| as_f64(i) as f32).collect();
            let t = make(Tensor::from_shape(&shape, &data))?;
            if elem == Elem::F16 {
                make(t.cast_to_dt(DatumType::F16).map(|c| c.into_owned()))
            } else {
                Ok(t)
            }
        }
        Elem::F64 => {
            let data: Vec<f64> = (0..flat.len()).map(as_f64).collect();
            make(Tensor::from_shape(&shape, &data))
        }
        Elem::Bool => {
            let data: Vec<bool> = (0..flat.len())
                .map(|i| match flat {
                    Flat::Bool(v) => v[i],
                    _ => as_f64(i) != 0.0,
                })
                .collect();
            make(Tensor::from_shape(&shape, &data))
        }
        Elem::U8 => match flat {
            Flat::U8(v) => make(Tensor::from_shape(&shape, v)),
            _ => ints!(u8),
        },
        Elem::I64 => match flat {
            Flat::I64(v) => make(Tensor::from_shape(&shape, v)),
            _ => ints!(i64),
        },
        Elem::I8 => ints!(i8),
        Elem::I16 => ints!(i16),
        Elem::I32 => ints!(i32),
        Elem::U16 => ints!(u16),
        Elem::U32 => ints!(u32),
        Elem::U64 => ints!(u64),
        Elem::Str => {
            let data: Vec<String> = (0..flat.len()).map(|i| flat.json(i).to_string()).collect();
            let array = tract_ndarray::ArrayD::from_shape_vec(shape, data)
                .map_err(|e| format!("{name}: {e}"))?;
            Ok(Tensor::from(array))
        }
    }
}

/// A float as JSON (`null` for NaN and infinities, as our JSON cannot hold them).
fn float_json(x: f64) -> Value {
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

fn has_non_finite(results: &TVec<TValue>) -> bool {
    results.iter().any(|t| {
        t.cast_to::<f64>()
            .ok()
            .and_then(|c| {
                c.to_plain_array_view::<f64>()
                    .ok()
                    .map(|v| v.iter().any(|x| !x.is_finite()))
            })
            .unwrap_or(false)
    })
}

/// A tensor as nested JSON lists, values as numpy's `tolist()` gives them.
pub fn tensor_to_json(t: &Tensor) -> Result<Value, String> {
    let leaves: Vec<Value> = match t.datum_type() {
        DatumType::Bool => view::<bool>(t)?.iter().map(|&b| Value::Bool(b)).collect(),
        DatumType::String => view::<String>(t)?
            .iter()
            .map(|s| Value::String(s.clone()))
            .collect(),
        DatumType::F16 | DatumType::F32 => {
            let c = t.cast_to::<f32>().map_err(|e| e.to_string())?;
            view::<f32>(&c)?
                .iter()
                .map(|&x| float_json(f64::from(x)))
                .collect()
        }
        DatumType::F64 => view::<f64>(t)?.iter().map(|&x| float_json(x)).collect(),
        DatumType::U64 => view::<u64>(t)?.iter().map(|&x| Value::from(x)).collect(),
        dt if dt.is_integer() || dt == DatumType::TDim => {
            let c = t.cast_to::<i64>().map_err(|e| e.to_string())?;
            view::<i64>(&c)?.iter().map(|&x| Value::from(x)).collect()
        }
        other => {
            return Err(format!(
                "tract returned a {other:?} tensor, which has no JSON form"
            ));
        }
    };
    Ok(nest(t.shape(), leaves))
}

fn view<D: Datum>(t: &Tensor) -> Result<Vec<D>, String> {
    t.to_plain_array_view::<D>()
        .map(|v| v.iter().cloned().collect())
        .map_err(|e| e.to_string())
}

/// Leaves in C order to nested lists of `shape`.
fn nest(shape: &[usize], leaves: Vec<Value>) -> Value {
    match shape {
        [] => leaves.into_iter().next().unwrap_or(Value::Null),
        [_] => Value::Array(leaves),
        [_, rest @ ..] => {
            let inner: usize = rest.iter().product();
            if inner == 0 {
                return Value::Array(Vec::new());
            }
            let mut out = Vec::new();
            let mut it = leaves.into_iter();
            loop {
                let chunk: Vec<Value> = it.by_ref().take(inner).collect();
                if chunk.is_empty() {
                    break;
                }
                out.push(nest(rest, chunk));
            }
            Value::Array(out)
        }
    }
}

/// ZipMap's output: one `{label: probability}` map per row.
fn zipmap_json(t: &Tensor, labels: &[String]) -> Result<Value, String> {
    let c = t.cast_to::<f32>().map_err(|e| e.to_string())?;
    let values = view::<f32>(&c)?;
    let classes = t.shape().last().copied().unwrap_or(0).max(1);
    Ok(Value::Array(
        values
            .chunks(classes)
            .map(|row| {
                Value::Object(
                    row.iter()
                        .enumerate()
                        .map(|(i, &p)| {
                            let label = labels.get(i).cloned().unwrap_or_else(|| i.to_string());
                            (label, float_json(f64::from(p)))
                        })
                        .collect(),
                )
            })
            .collect(),
    ))
}

/// Outputs as a frame's records (each output flattened), as MLflow answers a frame request.
fn records(outputs: &Map<String, Value>) -> Result<Value, String> {
    let mut columns: Vec<(&String, Vec<Value>)> = Vec::new();
    for (name, value) in outputs {
        let flat = match value {
            Value::Array(rows) if rows.iter().all(Value::is_object) => rows.clone(),
            other => leaves_as(name, other, &shape_of(other), &|v: &Value| Ok(v.clone()))?,
        };
        columns.push((name, flat));
    }
    let len = columns.first().map_or(0, |c| c.1.len());
    if columns.iter().any(|c| c.1.len() != len) {
        return Err(
            "All arrays must be of the same length (the outputs cannot form one frame)".into(),
        );
    }
    Ok(Value::Array(
        (0..len)
            .map(|i| {
                Value::Object(
                    columns
                        .iter()
                        .map(|(n, c)| ((*n).clone(), c.get(i).cloned().unwrap_or(Value::Null)))
                        .collect(),
                )
            })
            .collect(),
    ))
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
        let text = to_tensor(&input(Elem::F32, vec![]), &json!([1, "a"])).unwrap_err();
        assert_eq!(
            text,
            "x: a string (a) is not a number; the ONNX graph wants float32"
        );
        let big = to_tensor(&input(Elem::U8, vec![]), &json!([1, 256])).unwrap_err();
        assert_eq!(big, "x: 256 does not fit uint8 for the ONNX graph");
        let rank = to_tensor(&input(Elem::U8, vec![None, None]), &json!([1])).unwrap_err();
        assert!(rank.contains("rank-2"), "{rank}");
        let empty = to_tensor(&input(Elem::I64, vec![]), &json!([[], []])).unwrap();
        assert_eq!(empty.shape(), &[2, 0]);
    }
}
