//! What is inside an ONNX file, read without running it: the header (IR version, opsets,
//! producer, doc string, metadata), the graph's inputs and outputs with numpy dtypes and
//! symbolic dims, the operators (a histogram, custom domains, the ones tract cannot run), the
//! weights (counted from their dims, external data never loaded) and every node.
//!
//! The protobuf is tract-onnx's own (`tract_onnx::pb`); the file is read on a worker with
//! progress and cancel ([`read_graph`]), never when a model opens. [`check`] compares the graph
//! with the MLflow signature; [`layout`] lays the nodes out for drawing.

pub mod check;
pub mod layout;
mod stream;
mod types_pb;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64};

use tract_onnx::pb;

use super::PredictError;
use crate::model::ModelCard;
use crate::model::fsutil::{ReadError, file_inside};

/// The largest .onnx file read: protobuf's own limit for one message.
pub const GRAPH_FILE_CAP: u64 = 2 << 30;

/// One dimension of a shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dim {
    /// A fixed size.
    Fixed(i64),
    /// A symbolic size, by name (`batch`).
    Symbol(String),
    /// A size the file does not give.
    Unknown,
}

impl std::fmt::Display for Dim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Dim::Fixed(n) => write!(f, "{n}"),
            Dim::Symbol(s) => f.write_str(s),
            Dim::Unknown => f.write_str("?"),
        }
    }
}

/// A graph input or output.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueFacts {
    /// Its name.
    pub name: String,
    /// The element type as numpy names it (`float32`, `uint8`, `string`), or the composite
    /// type (`seq(map(int64,float32))`).
    pub dtype: String,
    /// The shape; `None` when the file gives none (any rank).
    pub shape: Option<Vec<Dim>>,
}

impl ValueFacts {
    /// `float32 [batch, 3]` (`float32 (any shape)` without a shape; a sequence or map type
    /// alone).
    pub fn type_label(&self) -> String {
        match &self.shape {
            Some(dims) => format!("{} {}", self.dtype, shape_label(dims)),
            None if self.dtype.contains('(') => self.dtype.clone(),
            None => format!("{} (any shape)", self.dtype),
        }
    }
}

/// `[batch, 300, 300, 3]`.
pub fn shape_label(dims: &[Dim]) -> String {
    let items: Vec<String> = dims.iter().map(ToString::to_string).collect();
    format!("[{}]", items.join(", "))
}

/// One node of the graph.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeFacts {
    /// Its name (often empty in files; the list shows `#index` then).
    pub name: String,
    /// The operator.
    pub op_type: String,
    /// The operator's domain (`""` for ONNX's own).
    pub domain: String,
    /// The values it reads, by name (empty names are absent optional inputs).
    pub inputs: Vec<String>,
    /// The values it writes.
    pub outputs: Vec<String>,
    /// Its attributes, each with a short text of the value.
    pub attributes: Vec<(String, String)>,
}

/// An external data file the weights name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalFile {
    /// Its path relative to the model folder.
    pub file: String,
    /// Its size when it is there, inside the folder.
    pub bytes: Option<u64>,
    /// Whether it is still on the tracking server only (not fetched into the cache).
    pub on_server: bool,
    /// Why it was not sized, when it was not: missing, or a path that leads out of the model
    /// folder (not even looked at).
    pub problem: Option<String>,
}

/// Everything the Graph view and `mlmodel-inspector graph` show of one .onnx file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GraphFacts {
    /// The file, relative to the model folder.
    pub file: String,
    /// Its size on disk.
    pub file_bytes: u64,
    /// `ir_version`.
    pub ir_version: i64,
    /// The opset imports: (domain, version); `""` is ONNX's own.
    pub opset: Vec<(String, i64)>,
    /// `producer_name`.
    pub producer_name: String,
    /// `producer_version`.
    pub producer_version: String,
    /// The model's doc string.
    pub doc_string: String,
    /// `metadata_props`, in file order.
    pub metadata: Vec<(String, String)>,
    /// The graph's own name.
    pub graph_name: String,
    /// Inputs fed at run time (initializers listed as inputs by older files are left out).
    pub inputs: Vec<ValueFacts>,
    /// Outputs.
    pub outputs: Vec<ValueFacts>,
    /// The top-level nodes, in file order.
    pub nodes: Vec<NodeFacts>,
    /// How many nodes of each op type.
    pub ops: BTreeMap<String, usize>,
    /// Domains of nodes that are neither ONNX's nor ONNX-ML's.
    pub custom_domains: Vec<String>,
    /// Operators tract (the native runtime) cannot run, sorted, named by [`op_label`].
    pub unsupported_ops: Vec<String>,
    /// The number of initializers (weights).
    pub initializers: usize,
    /// Their elements, summed (external ones included, counted from their dims).
    pub parameters: u64,
    /// Their bytes (elements times the element size; strings by their length).
    pub initializer_bytes: u64,
    /// The external data files, each once, and whether each is there.
    pub external_data: Vec<ExternalFile>,
}

/// Progress of reading a graph: bytes read of the file's size.
#[derive(Debug, Default)]
pub struct ReadProgress {
    /// Bytes read so far.
    pub read: AtomicU64,
    /// The file's size.
    pub total: AtomicU64,
}

/// The .onnx files a model has: the onnx flavor's `data` first, then any other `*.onnx` in
/// its file listing.
pub fn onnx_files(card: &ModelCard) -> Vec<String> {
    let mut out: Vec<String> = super::onnx::onnx_data(card).into_iter().collect();
    for entry in &card.artifacts.entries {
        if !entry.is_dir
            && entry.path.to_ascii_lowercase().ends_with(".onnx")
            && !out.contains(&entry.path)
        {
            out.push(entry.path.clone());
        }
    }
    out
}

fn graph_error(path: &Path, message: impl Into<String>) -> PredictError {
    PredictError::Onnx {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Reads `rel` (an .onnx file inside the model folder `root`) and gathers its facts. The file
/// is streamed once, its weights' values skipped (memory follows the graph, not the weights),
/// counted in `progress`; `cancel` stops it between fields.
pub fn read_graph(
    root: &Path,
    rel: &str,
    progress: &ReadProgress,
    cancel: &AtomicBool,
) -> Result<GraphFacts, PredictError> {
    let shown = root.join(rel);
    let path = file_inside(root, rel).map_err(|e| match e {
        ReadError::Missing => graph_error(&shown, "the ONNX file is missing"),
        other => graph_error(&shown, other.to_string()),
    })?;
    let (bytes, file_bytes) =
        stream::read_without_weights(&path, GRAPH_FILE_CAP, progress, cancel)?;
    let proto = <pb::ModelProto as prost::Message>::decode(bytes.as_slice())
        .map_err(|e| graph_error(&path, format!("cannot read the ONNX file: {e}")))?;
    Ok(facts(root, rel, file_bytes, &bytes, &proto))
}

/// Whether a node of this domain is one of ONNX's own (`""`, `ai.onnx`, `ai.onnx.ml`).
fn onnx_domain(domain: &str) -> bool {
    matches!(domain, "" | "ai.onnx" | "ai.onnx.ml")
}

/// How an operator is named where it matters which runtime has it: its type for ONNX's own
/// domains, `domain:type` for any other (`com.microsoft:Gelu`).
pub fn op_label(domain: &str, op_type: &str) -> String {
    if onnx_domain(domain) {
        op_type.to_string()
    } else {
        format!("{domain}:{op_type}")
    }
}

/// The operators of a graph's top-level nodes that tract (the native runtime) cannot run, each
/// once, sorted, named by [`op_label`]: a type of ONNX's own domains that tract's registry
/// lacks, and every operator of another domain (tract looks operators up by type alone, so it
/// would run a custom domain's `Relu` as ONNX's). A ZipMap that gives a graph output is left
/// out: the app rebuilds it, as onnxruntime's.
pub fn unsupported_ops(graph: &pb::GraphProto) -> Vec<String> {
    let output_names: Vec<String> = graph.output.iter().map(|o| o.name.clone()).collect();
    let handled = super::onnx::find_zipmaps(graph, &output_names);
    let register = tract_onnx::onnx().op_register;
    let mut unsupported: Vec<String> = graph
        .node
        .iter()
        .filter(|n| !onnx_domain(&n.domain) || !register.0.contains_key(&n.op_type))
        .filter(|n| {
            !(n.op_type == "ZipMap" && n.output.first().is_some_and(|o| handled.contains_key(o)))
        })
        .map(|n| op_label(&n.domain, &n.op_type))
        .collect();
    unsupported.sort();
    unsupported.dedup();
    unsupported
}

impl GraphFacts {
    /// Whether the native runtime cannot run this node (see [`unsupported_ops`]).
    pub fn is_unsupported(&self, node: &NodeFacts) -> bool {
        // Compared with op_label's form without making the label (called per drawn box).
        self.unsupported_ops.iter().any(|u| {
            if onnx_domain(&node.domain) {
                *u == node.op_type
            } else {
                u.split_once(':') == Some((node.domain.as_str(), node.op_type.as_str()))
            }
        })
    }

    /// Whether the native runtime cannot run some node of this op type (any domain).
    pub fn op_type_unsupported(&self, op_type: &str) -> bool {
        self.unsupported_ops
            .iter()
            .any(|u| u.rsplit(':').next() == Some(op_type))
    }
}

/// The facts of a parsed model; `rel` is the file's path in the folder `root`.
///
/// `bytes` is the model's protobuf (its weights' values may be left out), decoded once more
/// for the composite types of inputs and outputs (`seq(map(int64,float32))`) that tract's
/// types drop; `file_bytes` is the file's size.
pub fn facts(
    root: &Path,
    rel: &str,
    file_bytes: u64,
    bytes: &[u8],
    proto: &pb::ModelProto,
) -> GraphFacts {
    let full = <types_pb::ModelTypes as prost::Message>::decode(bytes)
        .ok()
        .and_then(|m| m.graph)
        .unwrap_or_default();
    let empty = pb::GraphProto::default();
    let graph = proto.graph.as_ref().unwrap_or(&empty);
    let initializer_names: HashSet<&str> =
        graph.initializer.iter().map(|t| t.name.as_str()).collect();
    let inputs = graph
        .input
        .iter()
        .filter(|v| !initializer_names.contains(v.name.as_str()))
        .map(|v| value_facts(v, &full.input))
        .collect();
    let outputs = graph
        .output
        .iter()
        .map(|v| value_facts(v, &full.output))
        .collect();
    let nodes: Vec<NodeFacts> = graph.node.iter().map(node_facts).collect();
    let mut ops = BTreeMap::new();
    for n in &nodes {
        *ops.entry(n.op_type.clone()).or_insert(0) += 1;
    }
    let mut custom_domains: Vec<String> = nodes
        .iter()
        .map(|n| n.domain.clone())
        .filter(|d| !matches!(d.as_str(), "" | "ai.onnx" | "ai.onnx.ml"))
        .collect();
    custom_domains.sort();
    custom_domains.dedup();
    let unsupported = unsupported_ops(graph);
    let mut parameters = 0u64;
    let mut initializer_bytes = 0u64;
    for t in &graph.initializer {
        let elements = t
            .dims
            .iter()
            .try_fold(1u64, |acc, d| acc.checked_mul(u64::try_from(*d).ok()?))
            .unwrap_or(0);
        parameters = parameters.saturating_add(elements);
        let bytes = if t.data_type == 8 {
            t.string_data.iter().map(|s| s.len() as u64).sum()
        } else {
            elements.saturating_mul(element_size(t.data_type))
        };
        initializer_bytes = initializer_bytes.saturating_add(bytes);
    }
    let external_data = super::onnx::external_data(proto, rel)
        .into_iter()
        .map(|file| {
            let sized = file_inside(root, &file)
                .and_then(|p| std::fs::metadata(p).map_err(ReadError::from))
                .map(|m| m.len());
            let (bytes, problem) = match sized {
                Ok(n) => (Some(n), None),
                Err(ReadError::Missing) => (None, Some("missing".to_string())),
                Err(e) => (None, Some(e.to_string())),
            };
            ExternalFile {
                file,
                bytes,
                on_server: false,
                problem,
            }
        })
        .collect();
    GraphFacts {
        file: rel.to_string(),
        file_bytes,
        ir_version: proto.ir_version,
        opset: proto
            .opset_import
            .iter()
            .map(|o| (o.domain.clone(), o.version))
            .collect(),
        producer_name: proto.producer_name.clone(),
        producer_version: proto.producer_version.clone(),
        doc_string: proto.doc_string.clone(),
        metadata: proto
            .metadata_props
            .iter()
            .map(|p| (p.key.clone(), p.value.clone()))
            .collect(),
        graph_name: graph.name.clone(),
        inputs,
        outputs,
        nodes,
        ops,
        custom_domains,
        unsupported_ops: unsupported,
        initializers: graph.initializer.len(),
        parameters,
        initializer_bytes,
        external_data,
    }
}

/// numpy's name for an ONNX `TensorProto.DataType` code (the native runtime's names, then the
/// types it does not feed).
pub fn dtype_name(code: i32) -> String {
    if let Some(elem) = super::onnx::Elem::from_onnx(code) {
        return elem.numpy().to_string();
    }
    match code {
        14 => "complex64",
        15 => "complex128",
        16 => "bfloat16",
        17 => "float8_e4m3fn",
        18 => "float8_e4m3fnuz",
        19 => "float8_e5m2",
        20 => "float8_e5m2fnuz",
        21 => "uint4",
        22 => "int4",
        23 => "float4_e2m1",
        0 => "undefined",
        other => return format!("type {other}"),
    }
    .to_string()
}

/// Bytes per element (4-bit types count as one byte, as numpy holds them).
fn element_size(code: i32) -> u64 {
    match code {
        2 | 3 | 9 | 17..=23 => 1,
        4 | 5 | 10 | 16 => 2,
        1 | 6 | 12 => 4,
        7 | 11 | 13 | 14 => 8,
        15 => 16,
        _ => 0,
    }
}

fn value_facts(v: &pb::ValueInfoProto, types: &[types_pb::ValueType]) -> ValueFacts {
    use pb::tensor_shape_proto::dimension::Value as D;
    let shape = match v.r#type.as_ref().and_then(|t| t.value.as_ref()) {
        Some(pb::type_proto::Value::TensorType(t)) => t.shape.as_ref().map(|s| {
            s.dim
                .iter()
                .map(|d| match &d.value {
                    Some(D::DimValue(n)) => Dim::Fixed(*n),
                    Some(D::DimParam(p)) => Dim::Symbol(p.clone()),
                    None => Dim::Unknown,
                })
                .collect()
        }),
        _ => None,
    };
    // tract's types know tensors only: the name comes from the full type of the same value.
    let dtype = match v.r#type.as_ref().and_then(|t| t.value.as_ref()) {
        Some(pb::type_proto::Value::TensorType(t)) => dtype_name(t.elem_type),
        None => types_pb::type_name(
            types
                .iter()
                .find(|t| t.name == v.name)
                .and_then(|t| t.r#type.as_ref()),
        ),
    };
    ValueFacts {
        name: v.name.clone(),
        dtype,
        shape,
    }
}

/// At most this many items of a list attribute are shown.
const ATTRIBUTE_ITEMS: usize = 8;

fn list_text<T: std::fmt::Display>(items: &[T]) -> String {
    let shown: Vec<String> = items
        .iter()
        .take(ATTRIBUTE_ITEMS)
        .map(ToString::to_string)
        .collect();
    let more = items.len().saturating_sub(ATTRIBUTE_ITEMS);
    if more > 0 {
        format!("[{}, … {more} more]", shown.join(", "))
    } else {
        format!("[{}]", shown.join(", "))
    }
}

fn tensor_text(t: &pb::TensorProto) -> String {
    let dims: Vec<Dim> = t.dims.iter().map(|d| Dim::Fixed(*d)).collect();
    format!("tensor {} {}", dtype_name(t.data_type), shape_label(&dims))
}

fn attribute_text(a: &pb::AttributeProto) -> String {
    use pb::attribute_proto::AttributeType as T;
    let text = |s: &[u8]| crate::text::elide(&String::from_utf8_lossy(s), 120);
    match T::try_from(a.r#type).unwrap_or(T::Undefined) {
        T::Float => a.f.to_string(),
        T::Int => a.i.to_string(),
        T::String => format!("{:?}", text(&a.s)),
        T::Tensor => a.t.as_ref().map(tensor_text).unwrap_or_default(),
        T::Graph => {
            a.g.as_ref()
                .map(|g| format!("graph ({} nodes)", g.node.len()))
                .unwrap_or_default()
        }
        T::Floats => list_text(&a.floats),
        T::Ints => list_text(&a.ints),
        T::Strings => {
            let items: Vec<String> = a.strings.iter().map(|s| format!("{:?}", text(s))).collect();
            list_text(&items)
        }
        T::Tensors => format!("{} tensors", a.tensors.len()),
        T::Graphs => format!("{} graphs", a.graphs.len()),
        T::SparseTensor => "sparse tensor".to_string(),
        T::SparseTensors => format!("{} sparse tensors", a.sparse_tensors.len()),
        T::TypeProto | T::TypeProtos => "type".to_string(),
        T::Undefined => {
            if !a.ref_attr_name.is_empty() {
                format!("ref {}", a.ref_attr_name)
            } else {
                String::new()
            }
        }
    }
}

fn node_facts(n: &pb::NodeProto) -> NodeFacts {
    NodeFacts {
        name: n.name.clone(),
        op_type: n.op_type.clone(),
        domain: n.domain.clone(),
        inputs: n.input.clone(),
        outputs: n.output.clone(),
        attributes: n
            .attribute
            .iter()
            .map(|a| (a.name.clone(), node_attribute_text(&n.op_type, a)))
            .collect(),
    }
}

/// An attribute's value in words; an element type code (`Cast`'s `to`, a random or
/// `EyeLike` op's `dtype`) by its type's name: `float32`, not `1`.
fn node_attribute_text(op: &str, a: &pb::AttributeProto) -> String {
    use pb::attribute_proto::AttributeType as T;
    let is_type = matches!(
        (op, a.name.as_str()),
        ("Cast", "to")
            | (
                "EyeLike"
                    | "RandomNormal"
                    | "RandomUniform"
                    | "RandomNormalLike"
                    | "RandomUniformLike"
                    | "Multinomial"
                    | "Bernoulli",
                "dtype"
            )
    );
    if is_type && T::try_from(a.r#type) == Ok(T::Int) {
        return i32::try_from(a.i).map_or_else(|_| a.i.to_string(), dtype_name);
    }
    attribute_text(a)
}

impl ExternalFile {
    /// Its state in words: its size, missing, or still on the tracking server.
    pub fn state_text(&self) -> String {
        match (self.bytes, self.on_server) {
            (_, true) => "on the tracking server (fetched for a predict)".to_string(),
            (Some(b), _) => crate::text::human_size(b),
            (None, _) => self
                .problem
                .clone()
                .unwrap_or_else(|| "missing".to_string()),
        }
    }
}

impl GraphFacts {
    /// `5 initializers, 627 parameters, 2.5 KB`.
    pub fn weights_text(&self) -> String {
        use crate::text::count;
        format!(
            "{}, {}, {}",
            count(self.initializers, "initializer", "initializers"),
            count(
                usize::try_from(self.parameters).unwrap_or(usize::MAX),
                "parameter",
                "parameters"
            ),
            crate::text::human_size(self.initializer_bytes)
        )
    }

    /// `Operators: 4 nodes, 3 op types`.
    pub fn operators_text(&self) -> String {
        use crate::text::count;
        format!(
            "Operators: {}, {}",
            count(self.nodes.len(), "node", "nodes"),
            count(self.ops.len(), "op type", "op types")
        )
    }

    /// `ai.onnx 17, ai.onnx.ml 1`.
    pub fn opset_text(&self) -> String {
        let items: Vec<String> = self
            .opset
            .iter()
            .map(|(d, v)| format!("{} {v}", if d.is_empty() { "ai.onnx" } else { d }))
            .collect();
        if items.is_empty() {
            "none".to_string()
        } else {
            items.join(", ")
        }
    }

    /// The nodes whose name, op type, inputs or outputs contain `query` (any case), by index.
    pub fn search(&self, query: &str) -> Vec<usize> {
        let q = query.trim().to_lowercase();
        self.nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| {
                q.is_empty()
                    || n.name.to_lowercase().contains(&q)
                    || n.op_type.to_lowercase().contains(&q)
                    || n.inputs.iter().any(|i| i.to_lowercase().contains(&q))
                    || n.outputs.iter().any(|o| o.to_lowercase().contains(&q))
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// The path of the file on disk.
    pub fn path(&self, root: &Path) -> PathBuf {
        root.join(&self.file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(op_type: &str, domain: &str, output: &str) -> pb::NodeProto {
        pb::NodeProto {
            op_type: op_type.into(),
            domain: domain.into(),
            input: vec!["x".into()],
            output: vec![output.into()],
            ..Default::default()
        }
    }

    #[test]
    fn ops_tract_cannot_run_are_found_by_domain_and_type() {
        let graph = pb::GraphProto {
            node: vec![
                node("Relu", "", "a"),
                node("Relu", "ai.onnx", "b"),
                // Same type as ONNX's, another domain: tract would run it as ONNX's Relu.
                node("Relu", "com.custom", "c"),
                node("Frobnicate", "", "d"),
                node("LinearClassifier", "ai.onnx.ml", "e"),
                node("Gelu", "com.microsoft", "f"),
                node("Gelu", "com.microsoft", "g"),
                node("Frobnicate", "", "h"),
            ],
            ..Default::default()
        };
        let got = unsupported_ops(&graph);
        assert_eq!(got, ["Frobnicate", "com.custom:Relu", "com.microsoft:Gelu"]);
        let facts = GraphFacts {
            nodes: graph.node.iter().map(node_facts).collect(),
            unsupported_ops: got,
            ..Default::default()
        };
        let flagged: Vec<bool> = facts
            .nodes
            .iter()
            .map(|n| facts.is_unsupported(n))
            .collect();
        assert_eq!(flagged, [false, false, true, true, false, true, true, true]);
        assert!(facts.op_type_unsupported("Relu"));
        assert!(facts.op_type_unsupported("Gelu"));
        assert!(!facts.op_type_unsupported("LinearClassifier"));
    }
}
