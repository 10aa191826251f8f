//! Building model inputs, UI-free: image, `.npy` and table sources to a typed [`request`]
//! (typed [`tensor`]s with their numpy dtype, or a JSON body for frames and other forms), its
//! JSON written only at the edge, and the pre-flight that checks it the way MLflow's scoring
//! server would, on the typed form as on JSON ([`scoring`] follows the server step by step;
//! [`validate`] says it).

pub mod build;
pub mod files;
pub mod image;
pub mod openapi;
pub mod request;
pub mod scoring;
pub mod tensor;
pub mod validate;
