//! Building model inputs, UI-free: image files to the tensor a signature asks for, the
//! request body the scoring server takes, and the pre-flight that checks it the way MLflow's
//! scoring server would ([`scoring`] follows the server step by step; [`validate`] says it).

pub mod build;
pub mod files;
pub mod image;
pub mod openapi;
pub mod request;
pub mod scoring;
pub mod validate;
