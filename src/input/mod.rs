//! Building model inputs, UI-free: image files to the tensor a signature asks for.
//! (The form, validation with MLflow's rules and the request body come next.)

pub mod image;
