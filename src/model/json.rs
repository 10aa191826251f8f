//! The model card as one JSON document (what `show --json` prints).

use serde_json::{Value, json};

use super::environment::{Dependency, EnvFile, Requirement};
use super::example::{ExampleData, InputExample};
use super::fsutil::PathStatus;
use super::signature::SignatureState;
use super::{Location, ModelCard};

fn status_json(status: &PathStatus) -> Value {
    match status {
        PathStatus::Present { is_dir, size } => {
            json!({"status": "present", "is_dir": is_dir, "size": size})
        }
        PathStatus::Missing => json!({"status": "missing"}),
        PathStatus::Outside { reason } => json!({"status": "outside", "reason": reason}),
    }
}

fn dependency_json(dep: &Dependency) -> Value {
    let mut out = json!({
        "line": dep.line,
        "source": dep.source.label(),
        "file": dep.file,
    });
    if let Requirement::Package {
        name,
        spec,
        marker,
        extras,
    } = &dep.requirement
    {
        out["name"] = json!(name);
        out["spec"] = json!(spec);
        out["pin"] = json!(dep.requirement.pinned_version());
        if let Some(m) = marker {
            out["marker"] = json!(m);
        }
        if let Some(e) = extras {
            out["extras"] = json!(e);
        }
    }
    out
}

fn file_json<T>(file: &Option<EnvFile<T>>, body: impl Fn(&T) -> Value) -> Value {
    match file {
        None => Value::Null,
        Some(f) => {
            let mut out = match &f.parsed {
                Ok(parsed) => body(parsed),
                Err(e) => json!({"error": e}),
            };
            out["file"] = json!(f.file);
            out
        }
    }
}

fn example_json(example: &InputExample) -> Value {
    let info = &example.info;
    let data = match &example.data {
        Err(e) => json!({"error": e}),
        Ok(data) => {
            let mut out = json!({"summary": data.summary()});
            match data {
                ExampleData::Dataframe {
                    columns,
                    rows,
                    orient,
                } => {
                    out["layout"] = json!("dataframe");
                    out["orient"] = json!(orient);
                    out["columns"] = json!(columns);
                    out["rows"] = json!(rows.len());
                }
                ExampleData::Tensor(t) => {
                    out["layout"] = json!("ndarray");
                    out["shape"] = json!(t.shape);
                    out["dtype"] = json!(t.element.numpy_dtype());
                    out["ragged"] = json!(t.ragged);
                }
                ExampleData::NamedTensors(ts) => {
                    out["layout"] = json!("ndarray_dict");
                    out["tensors"] = ts
                        .iter()
                        .map(|(n, t)| {
                            (
                                n.clone(),
                                json!({"shape": t.shape, "dtype": t.element.numpy_dtype(), "ragged": t.ragged}),
                            )
                        })
                        .collect::<serde_json::Map<_, _>>()
                        .into();
                }
                ExampleData::Json(_) => out["layout"] = json!("json_object"),
                ExampleData::Sparse { format, shape, nnz } => {
                    out["layout"] = json!(format!("sparse_{format}"));
                    out["shape"] = json!(shape);
                    out["nnz"] = json!(nnz);
                }
            }
            out
        }
    };
    json!({
        "artifact_path": info.artifact_path,
        "type": info.kind,
        "pandas_orient": info.pandas_orient,
        "serving_input_path": info.serving_input_path,
        "format": info.format,
        "has_params": info.has_params,
        "data": data,
        "params": example.params,
        "serving_input": match &example.serving_input {
            None => Value::Null,
            Some(Ok(v)) => v.clone(),
            Some(Err(e)) => json!({"error": e}),
        },
    })
}

/// The whole card as JSON: `flavors`, `signature`, `environment`, `input_example`,
/// `artifacts`, `warnings`, and the identity of the model.
pub fn card_to_json(card: &ModelCard) -> Value {
    let m = &card.mlmodel;
    let flavors: serde_json::Map<String, Value> = m
        .flavors
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let flavor_files: serde_json::Map<String, Value> = card
        .flavors
        .iter()
        .map(|f| {
            let files: Vec<Value> = f
                .files
                .iter()
                .map(|nf| {
                    let mut v = status_json(&nf.status);
                    v["key"] = json!(nf.key);
                    v["path"] = json!(nf.path);
                    v
                })
                .collect();
            (f.name.clone(), Value::Array(files))
        })
        .collect();
    let signature = match &card.signature {
        SignatureState::Absent => Value::Null,
        SignatureState::Valid(sig) => sig.to_mlflow_json(),
        SignatureState::Invalid { .. } => Value::Null,
    };
    let signature_error = match &card.signature {
        SignatureState::Invalid { part, error } => json!({"part": part, "error": error}),
        _ => Value::Null,
    };
    let env = &card.environment;
    let environment = json!({
        "python_version": env.python_version,
        "conda": file_json(&env.conda, |c| json!({
            "name": c.name,
            "channels": c.channels,
            "python": c.python,
            "dependencies": c.conda.iter().map(dependency_json).collect::<Vec<_>>(),
            "pip": c.pip.iter().map(dependency_json).collect::<Vec<_>>(),
        })),
        "python_env": file_json(&env.python_env, |p| json!({
            "python": p.python,
            "build_dependencies": p.build.iter().map(dependency_json).collect::<Vec<_>>(),
            "dependencies": p.dependencies.iter().map(dependency_json).collect::<Vec<_>>(),
        })),
        "requirements": file_json(&env.requirements, |r| json!({
            "lines": r.lines.iter().map(dependency_json).collect::<Vec<_>>(),
        })),
        "constraints": file_json(&env.constraints, |r| json!({
            "lines": r.lines.iter().map(dependency_json).collect::<Vec<_>>(),
        })),
        "mismatches": env.mismatches,
    });
    let artifacts = json!({
        "total_size": card.artifacts.total_size,
        "truncated": card.artifacts.truncated,
        "entries": card.artifacts.entries.iter().map(|a| {
            let mut v = json!({
                "path": a.path,
                "is_dir": a.is_dir,
                "size": a.size,
                "kind": a.kind.label(),
            });
            if let Some(t) = &a.link_target {
                v["link_target"] = json!(t);
            }
            v
        }).collect::<Vec<_>>(),
    });
    let location = match &card.location {
        Location::Folder => json!({"kind": "folder"}),
        Location::File => json!({"kind": "mlmodel_file"}),
        Location::OneDown { subfolder } => json!({"kind": "one_down", "subfolder": subfolder}),
    };
    let unknown: serde_json::Map<String, Value> = m
        .unknown
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    json!({
        "path": card.chosen.display().to_string(),
        "model_dir": card.root.display().to_string(),
        "location": location,
        "name": card.display_name(),
        "mlflow_version": m.mlflow_version,
        "utc_time_created": m.utc_time_created,
        "model_uuid": m.model_uuid,
        "model_id": m.model_id,
        "run_id": m.run_id,
        "artifact_path": m.artifact_path,
        "model_size_bytes": m.model_size_bytes,
        "databricks_runtime": m.databricks_runtime,
        "prompts": m.prompts,
        "metadata": m.metadata,
        "resources": m.resources,
        "auth_policy": m.auth_policy,
        "env_vars": m.env_vars,
        "wheels": m.wheels,
        "is_signature_from_type_hint": m.is_signature_from_type_hint,
        "type_hint_from_example": m.type_hint_from_example,
        "unknown_keys": unknown,
        "flavors": flavors,
        "flavor_files": flavor_files,
        "signature": signature,
        "signature_error": signature_error,
        "environment": environment,
        "input_example": card.input_example.as_ref().map(example_json),
        "artifacts": artifacts,
        "class_names": card.classes.as_ref().map(|c| json!({"origin": c.origin, "names": c.names})),
        "warnings": card.warnings.iter().map(ToString::to_string).collect::<Vec<_>>(),
    })
}
