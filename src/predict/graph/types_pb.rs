//! The part of ONNX's `TypeProto` that tract's protobuf types leave out (sequences, maps,
//! optionals, sparse tensors: tract keeps only tensor types), declared with prost for the graph's
//! inputs and outputs, with ONNX's own field numbers (onnx.proto3). Everything else in the file
//! is skipped by the decoder.

/// `ModelProto`, only its graph (field 7).
#[derive(Clone, PartialEq, prost::Message)]
pub struct ModelTypes {
    /// `graph`.
    #[prost(message, optional, tag = "7")]
    pub graph: Option<GraphTypes>,
}

/// `GraphProto`, only its inputs (11) and outputs (12).
#[derive(Clone, PartialEq, prost::Message)]
pub struct GraphTypes {
    /// `input`.
    #[prost(message, repeated, tag = "11")]
    pub input: Vec<ValueType>,
    /// `output`.
    #[prost(message, repeated, tag = "12")]
    pub output: Vec<ValueType>,
}

/// `ValueInfoProto`: name (1) and type (2).
#[derive(Clone, PartialEq, prost::Message)]
pub struct ValueType {
    /// `name`.
    #[prost(string, tag = "1")]
    pub name: String,
    /// `type`.
    #[prost(message, optional, tag = "2")]
    pub r#type: Option<FullType>,
}

/// `TypeProto` with every kind of value.
#[derive(Clone, PartialEq, prost::Message)]
pub struct FullType {
    /// The kind.
    #[prost(oneof = "Kind", tags = "1, 4, 5, 8, 9")]
    pub kind: Option<Kind>,
}

/// `TypeProto.value`.
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum Kind {
    /// `tensor_type`: its element type (field 1 of `TypeProto.Tensor`).
    #[prost(message, tag = "1")]
    Tensor(Elem),
    /// `sequence_type`.
    #[prost(message, tag = "4")]
    Sequence(Box<Inner>),
    /// `map_type`.
    #[prost(message, tag = "5")]
    Map(Box<MapType>),
    /// `sparse_tensor_type`.
    #[prost(message, tag = "8")]
    Sparse(Elem),
    /// `optional_type`.
    #[prost(message, tag = "9")]
    Optional(Box<Inner>),
}

/// A tensor type's element type.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Elem {
    /// `elem_type`.
    #[prost(int32, tag = "1")]
    pub elem_type: i32,
}

/// `TypeProto.Sequence` and `TypeProto.Optional`: the element's type.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Inner {
    /// `elem_type`.
    #[prost(message, optional, boxed, tag = "1")]
    pub elem_type: Option<Box<FullType>>,
}

/// `TypeProto.Map`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MapType {
    /// `key_type` (an element type code).
    #[prost(int32, tag = "1")]
    pub key_type: i32,
    /// `value_type`.
    #[prost(message, optional, boxed, tag = "2")]
    pub value_type: Option<Box<FullType>>,
}

/// The type's name: numpy's for tensors, `seq(…)`, `map(key,value)`, `optional(…)`.
pub fn type_name(t: Option<&FullType>) -> String {
    match t.and_then(|t| t.kind.as_ref()) {
        Some(Kind::Tensor(e)) => super::dtype_name(e.elem_type),
        Some(Kind::Sparse(e)) => format!("sparse({})", super::dtype_name(e.elem_type)),
        Some(Kind::Sequence(s)) => format!("seq({})", type_name(s.elem_type.as_deref())),
        Some(Kind::Optional(o)) => format!("optional({})", type_name(o.elem_type.as_deref())),
        Some(Kind::Map(m)) => format!(
            "map({},{})",
            super::dtype_name(m.key_type),
            type_name(m.value_type.as_deref())
        ),
        None => "unknown".to_string(),
    }
}
