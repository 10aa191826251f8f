//! Reads an .onnx file as a stream for its facts, leaving out the weights' values: a model of
//! 1 GB is read through once (with progress and cancel) and what is kept is its structure,
//! about the size of its graph, never the size of its weights.
//!
//! It works on protobuf's wire format: each message is copied field by field, except the
//! fields of a tensor that hold its values (`raw_data`, `float_data`, …), which are skipped
//! (seeked over). The copy is a valid `ModelProto` with the same graph, nodes, attributes,
//! tensor names, types, dims and external-data entries, decoded afterwards as usual. String
//! tensors keep their strings (their size is counted from them).

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use super::{PredictError, ReadProgress, graph_error};

/// The messages whose fields lead to tensors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Msg {
    Model,
    Function,
    Graph,
    Node,
    Attribute,
    Tensor,
    Sparse,
}

/// What becomes of one field.
enum Rule {
    Keep,
    Skip,
    Nested(Msg),
}

/// ONNX's field numbers (onnx.proto3).
fn rule(msg: Msg, field: u64) -> Rule {
    use Msg::*;
    match (msg, field) {
        (Model, 7) => Rule::Nested(Graph),
        (Model, 25) => Rule::Nested(Function),
        (Function, 7) => Rule::Nested(Node),
        (Graph, 1) => Rule::Nested(Node),
        (Graph, 5) => Rule::Nested(Tensor),
        (Graph, 15) => Rule::Nested(Sparse),
        (Node, 5) => Rule::Nested(Attribute),
        (Attribute, 5 | 10) => Rule::Nested(Tensor),
        (Attribute, 6 | 11) => Rule::Nested(Graph),
        (Attribute, 22 | 23) => Rule::Nested(Sparse),
        (Sparse, 1 | 2) => Rule::Nested(Tensor),
        // float_data, int32_data, int64_data, raw_data, double_data, uint64_data.
        (Tensor, 4 | 5 | 7 | 9 | 10 | 11) => Rule::Skip,
        _ => Rule::Keep,
    }
}

/// Subgraphs may nest (an If inside a Loop inside …); deeper than this is refused.
const MAX_DEPTH: u32 = 64;

/// What the structure kept may take once decoded, reckoned as it is copied: a message
/// (node, attribute, tensor, value info) costs [`MESSAGE_COST`], any other field kept its
/// bytes and [`FIELD_COST`]. A file of millions of empty nodes (2 bytes each on disk, some
/// hundreds once decoded) is refused when it passes this, before it takes the memory.
pub const STRUCTURE_BUDGET: u64 = 512 << 20;

/// A decoded message (a `NodeProto` and the facts made of it), reckoned.
const MESSAGE_COST: u64 = 256;

/// A decoded field besides its bytes (a `String` in a list), reckoned.
const FIELD_COST: u64 = 32;

struct Stream<'a> {
    reader: BufReader<std::fs::File>,
    pos: u64,
    len: u64,
    progress: &'a ReadProgress,
    cancel: &'a AtomicBool,
    /// What is left of [`STRUCTURE_BUDGET`].
    budget: u64,
    /// Messages kept so far (for the message past the budget).
    messages: u64,
}

/// Why the wire data could not be read (said with the byte offset).
type WireResult<T> = Result<T, String>;

impl Stream<'_> {
    fn io(&self, e: std::io::Error) -> String {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            format!("the file ends inside a message (at byte {})", self.pos)
        } else {
            e.to_string()
        }
    }

    /// Counts what a kept field will take once decoded against the budget.
    fn spend(&mut self, cost: u64, message: bool) -> Result<(), ReadStop> {
        self.messages += u64::from(message);
        match self.budget.checked_sub(cost) {
            Some(left) => {
                self.budget = left;
                Ok(())
            }
            None => Err(ReadStop::Bad(format!(
                "its structure (more than {} nodes, attributes and tensors by byte {}) would take more than {} once read, more than this app reads; the weights' values are not counted, only the graph's parts",
                crate::text::thousands(self.messages),
                self.pos,
                crate::text::human_size(STRUCTURE_BUDGET)
            ))),
        }
    }

    fn byte(&mut self) -> WireResult<u8> {
        let mut b = [0u8; 1];
        self.reader.read_exact(&mut b).map_err(|e| self.io(e))?;
        self.pos += 1;
        Ok(b[0])
    }

    fn varint(&mut self) -> WireResult<u64> {
        let mut value = 0u64;
        for i in 0..10 {
            let b = self.byte()?;
            value |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(format!(
            "a varint longer than 10 bytes at byte {}",
            self.pos
        ))
    }

    /// Appends the next `n` bytes to `out` (`n` checked against what the file still holds).
    fn copy(&mut self, n: u64, out: &mut Vec<u8>) -> WireResult<()> {
        if n > self.len.saturating_sub(self.pos) {
            return Err(format!(
                "a field of {n} bytes at byte {} runs past the end of the file",
                self.pos
            ));
        }
        let start = out.len();
        out.resize(start + n as usize, 0);
        let target = out.get_mut(start..).unwrap_or_default();
        self.reader.read_exact(target).map_err(|e| self.io(e))?;
        self.pos += n;
        Ok(())
    }

    /// Moves past the next `n` bytes without reading them into memory.
    fn skip(&mut self, n: u64) -> WireResult<()> {
        if n > self.len.saturating_sub(self.pos) {
            return Err(format!(
                "a field of {n} bytes at byte {} runs past the end of the file",
                self.pos
            ));
        }
        let buffered = self.reader.buffer().len() as u64;
        if n <= buffered {
            self.reader.consume(n as usize);
        } else {
            let step = i64::try_from(n).map_err(|e| e.to_string())?;
            self.reader.seek_relative(step).map_err(|e| self.io(e))?;
        }
        self.pos += n;
        self.progress.read.store(self.pos, Ordering::Relaxed);
        Ok(())
    }
}

fn put_varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Copies one message's fields, from the stream's position to `end`, into `out`.
fn message(
    s: &mut Stream<'_>,
    msg: Msg,
    end: u64,
    out: &mut Vec<u8>,
    depth: u32,
) -> Result<(), ReadStop> {
    if depth > MAX_DEPTH {
        return Err(ReadStop::Bad(format!(
            "messages nested more than {MAX_DEPTH} deep (at byte {})",
            s.pos
        )));
    }
    while s.pos < end {
        if s.cancel.load(Ordering::Relaxed) {
            return Err(ReadStop::Cancelled);
        }
        let key = s.varint()?;
        let (field, wire) = (key >> 3, key & 7);
        let rule = rule(msg, field);
        match (wire, rule) {
            (0, Rule::Skip) => {
                s.varint()?;
            }
            (0, _) => {
                let v = s.varint()?;
                s.spend(8, false)?;
                put_varint(key, out);
                put_varint(v, out);
            }
            (1 | 5, rule) => {
                let n = if wire == 1 { 8 } else { 4 };
                if matches!(rule, Rule::Skip) {
                    s.skip(n)?;
                } else {
                    s.spend(8, false)?;
                    put_varint(key, out);
                    s.copy(n, out)?;
                }
            }
            (2, rule) => {
                let n = s.varint()?;
                if n > s.len.saturating_sub(s.pos) {
                    return Err(ReadStop::Bad(format!(
                        "a field of {n} bytes at byte {} runs past the end of the file ({} bytes): the file is cut short or not ONNX",
                        s.pos, s.len
                    )));
                }
                if n > end.saturating_sub(s.pos) {
                    return Err(ReadStop::Bad(format!(
                        "a field of {n} bytes at byte {} runs past the message that holds it",
                        s.pos
                    )));
                }
                match rule {
                    Rule::Skip => s.skip(n)?,
                    Rule::Keep => {
                        s.spend(FIELD_COST + n, false)?;
                        put_varint(key, out);
                        put_varint(n, out);
                        s.copy(n, out)?;
                    }
                    Rule::Nested(inner) => {
                        s.spend(MESSAGE_COST, true)?;
                        let mut kept = Vec::new();
                        message(s, inner, s.pos + n, &mut kept, depth + 1)?;
                        put_varint(key, out);
                        put_varint(kept.len() as u64, out);
                        out.extend_from_slice(&kept);
                    }
                }
            }
            _ => {
                return Err(ReadStop::Bad(format!(
                    "wire type {wire} at byte {} is not one ONNX files use",
                    s.pos
                )));
            }
        }
    }
    if s.pos != end {
        return Err(ReadStop::Bad(format!(
            "a message overruns its length (at byte {})",
            s.pos
        )));
    }
    s.progress.read.store(s.pos, Ordering::Relaxed);
    Ok(())
}

/// Why a read stopped.
enum ReadStop {
    Cancelled,
    Bad(String),
}

impl From<String> for ReadStop {
    fn from(message: String) -> Self {
        ReadStop::Bad(message)
    }
}

/// The file's `ModelProto` bytes without the weights' values, and the file's size. Reading
/// counts in `progress`; `cancel` stops it between fields.
pub fn read_without_weights(
    path: &Path,
    cap: u64,
    progress: &ReadProgress,
    cancel: &AtomicBool,
) -> Result<(Vec<u8>, u64), PredictError> {
    let io = |e: std::io::Error| graph_error(path, e.to_string());
    let file = std::fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    if len > cap {
        return Err(graph_error(
            path,
            format!(
                "the file is {}, more than the {} a protobuf can hold",
                crate::text::human_size(len),
                crate::text::human_size(cap)
            ),
        ));
    }
    progress.total.store(len, Ordering::Relaxed);
    let mut stream = Stream {
        reader: BufReader::with_capacity(1 << 20, file),
        pos: 0,
        len,
        progress,
        cancel,
        budget: STRUCTURE_BUDGET,
        messages: 0,
    };
    let mut out = Vec::new();
    match message(&mut stream, Msg::Model, len, &mut out, 0) {
        Ok(()) => Ok((out, len)),
        Err(ReadStop::Cancelled) => Err(PredictError::Cancelled),
        Err(ReadStop::Bad(why)) => Err(graph_error(
            path,
            format!("cannot read the ONNX file: {why}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message as _;
    use tract_onnx::pb;

    fn tensor(name: &str, values: usize) -> pb::TensorProto {
        pb::TensorProto {
            name: name.into(),
            dims: vec![values as i64],
            data_type: 1,
            raw_data: vec![7u8; values * 4],
            ..Default::default()
        }
    }

    fn stripped(model: &pb::ModelProto) -> (pb::ModelProto, u64) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.onnx");
        std::fs::write(&path, model.encode_to_vec()).unwrap();
        let progress = ReadProgress::default();
        let (bytes, len) =
            read_without_weights(&path, u64::MAX, &progress, &AtomicBool::new(false)).unwrap();
        assert_eq!(progress.read.load(Ordering::Relaxed), len);
        (pb::ModelProto::decode(bytes.as_slice()).unwrap(), len)
    }

    #[test]
    fn weights_are_left_out_and_everything_else_kept() {
        let constant = pb::NodeProto {
            op_type: "Constant".into(),
            output: vec!["c".into()],
            attribute: vec![pb::AttributeProto {
                name: "value".into(),
                r#type: 4,
                t: Some(tensor("c", 1000)),
                ..Default::default()
            }],
            ..Default::default()
        };
        let mut strings = tensor("labels", 0);
        strings.data_type = 8;
        strings.dims = vec![2];
        strings.string_data = vec![b"cat".to_vec(), b"dog".to_vec()];
        let model = pb::ModelProto {
            ir_version: 8,
            producer_name: "test".into(),
            graph: Some(pb::GraphProto {
                name: "g".into(),
                node: vec![constant],
                initializer: vec![tensor("w", 250_000), strings],
                ..Default::default()
            }),
            ..Default::default()
        };
        let (read, len) = stripped(&model);
        assert_eq!(len as usize, model.encoded_len());
        let mut want = model.clone();
        let graph = want.graph.as_mut().unwrap();
        graph.initializer[0].raw_data.clear();
        graph.node[0].attribute[0]
            .t
            .as_mut()
            .unwrap()
            .raw_data
            .clear();
        assert_eq!(read, want, "the same model, less the values");
        assert!(
            read.encoded_len() < 200,
            "{} bytes kept",
            read.encoded_len()
        );
    }

    #[test]
    fn a_cut_file_and_deep_nesting_are_refused_with_the_offset() {
        let model = pb::ModelProto {
            graph: Some(pb::GraphProto {
                initializer: vec![tensor("w", 1000)],
                ..Default::default()
            }),
            ..Default::default()
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.onnx");
        let bytes = model.encode_to_vec();
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        let read = |p: &Path| {
            read_without_weights(
                p,
                u64::MAX,
                &ReadProgress::default(),
                &AtomicBool::new(false),
            )
        };
        let err = read(&path).unwrap_err().to_string();
        assert!(err.contains("cannot read the ONNX file"), "{err}");
        assert!(err.contains("runs past the end of the file"), "{err}");
        assert!(err.contains("the file is cut short"), "{err}");
        // An If whose branch holds an If whose branch holds … 100 deep.
        let mut graph = pb::GraphProto::default();
        for _ in 0..100 {
            graph = pb::GraphProto {
                node: vec![pb::NodeProto {
                    op_type: "If".into(),
                    attribute: vec![pb::AttributeProto {
                        name: "then_branch".into(),
                        r#type: 5,
                        g: Some(graph),
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            };
        }
        let deep = pb::ModelProto {
            graph: Some(graph),
            ..Default::default()
        };
        std::fs::write(&path, deep.encode_to_vec()).unwrap();
        let err = read(&path).unwrap_err().to_string();
        assert!(err.contains("nested more than 64 deep"), "{err}");
        // Cancelled between fields.
        std::fs::write(&path, model.encode_to_vec()).unwrap();
        let err = read_without_weights(
            &path,
            u64::MAX,
            &ReadProgress::default(),
            &AtomicBool::new(true),
        )
        .unwrap_err();
        assert!(matches!(err, PredictError::Cancelled));
    }
}
