//! Building model inputs, UI-free: image files to the tensor a signature asks for, and the
//! request body the scoring server takes.
//! (The form, validation with MLflow's rules and the request body come next.)

pub mod build;
pub mod files;
pub mod image;
pub mod openapi;
pub mod request;
pub mod validate;
