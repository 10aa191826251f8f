//! `show`'s text: the model card for a terminal, one function per section, and where a
//! remote model came from.

use std::fmt::Write as _;

use crate::model::example::ExampleData;
use crate::model::flavors::{FlavorView, PyFuncEnv};
use crate::model::fsutil::PathStatus;
use crate::model::signature::{ColType, Schema, SignatureState, Spec};
use crate::model::{Location, ModelCard};
use crate::text::human_size;

/// The model card as text for a terminal: one function per section, in the window's order.
pub fn render_card(card: &ModelCard) -> String {
    let mut out = String::new();
    for section in [
        header_text,
        flavors_text,
        signature_text,
        environment_text,
        example_text,
        artifacts_text,
        warnings_text,
    ] {
        section(&mut out, card);
    }
    out
}

/// The model's identity: folder, flavors, MLflow version, dates, ids, size, metadata and class names.
fn header_text(out: &mut String, card: &ModelCard) {
    let m = &card.mlmodel;
    let _ = writeln!(out, "Model {}", card.display_name());
    row(out, 2, "folder", card.root.display());
    match &card.location {
        Location::OneDown { subfolder } => row(
            out,
            2,
            "note",
            format!(
                "MLmodel found in {subfolder}/ inside {}",
                card.chosen.display()
            ),
        ),
        Location::File => row(out, 2, "note", "opened from its MLmodel file"),
        Location::Folder => {}
    }
    let flavor_names: Vec<&str> = card.flavors.iter().map(|f| f.name.as_str()).collect();
    row(out, 2, "flavors", flavor_names.join(", "));
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    row(out, 2, "mlflow_version", opt(&m.mlflow_version));
    let created_key = if m.time_created_is_legacy {
        "time_created"
    } else {
        "utc_time_created"
    };
    row(out, 2, created_key, opt(&m.utc_time_created));
    row(out, 2, "model_uuid", opt(&m.model_uuid));
    if m.model_id.is_some() {
        row(out, 2, "model_id", opt(&m.model_id));
    }
    if m.run_id.is_some() {
        row(out, 2, "run_id", opt(&m.run_id));
    }
    if m.artifact_path.is_some() {
        row(out, 2, "artifact_path", opt(&m.artifact_path));
    }
    row(out, 2, "size", card.size_text());
    for (key, value) in [
        (
            "databricks_runtime",
            m.databricks_runtime
                .as_ref()
                .map(|s| serde_json::Value::String(s.clone())),
        ),
        ("metadata", m.metadata.clone()),
        ("resources", m.resources.clone()),
        ("auth_policy", m.auth_policy.clone()),
        ("wheels", m.wheels.clone()),
        ("prompts", m.prompts.as_ref().map(|p| serde_json::json!(p))),
        (
            "env_vars",
            m.env_vars.as_ref().map(|p| serde_json::json!(p)),
        ),
    ] {
        if let Some(v) = value {
            row(out, 2, key, compact(&v));
        }
    }
    for (key, value) in &m.unknown {
        row(out, 2, &format!("{key} (unknown key)"), compact(value));
    }
    if let Some(classes) = &card.classes {
        let shown: Vec<&str> = classes.names.iter().take(8).map(String::as_str).collect();
        let more = classes.names.len().saturating_sub(shown.len());
        let mut text = format!(
            "{} from {}: {}",
            crate::text::count(classes.names.len(), "name", "names"),
            classes.origin,
            shown.join(", ")
        );
        if more > 0 {
            text.push_str(&format!(", … {more} more"));
        }
        row(out, 2, "class names", text);
    }
}

/// Each flavor's settings, the files it names and whether they are there.
fn flavors_text(out: &mut String, card: &ModelCard) {
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    let _ = writeln!(out, "\nFlavors");
    for flavor in &card.flavors {
        let version = flavor
            .view
            .framework_version()
            .map(|(n, v)| format!("  ({n} {v})"))
            .unwrap_or_default();
        let _ = writeln!(out, "  {}{version}", flavor.name);
        if let FlavorView::PythonFunction(p) = &flavor.view {
            row(out, 4, "loader_module", opt(&p.loader_module));
            row(out, 4, "predict_fn", &p.predict_fn);
            row(out, 4, "python_version", opt(&p.python_version));
            let env = match &p.env {
                None => "-".to_string(),
                Some(PyFuncEnv::Legacy(f)) => format!("{f} (legacy single-file form)"),
                Some(PyFuncEnv::Files { conda, virtualenv }) => format!(
                    "conda: {}, virtualenv: {}",
                    conda.as_deref().unwrap_or("-"),
                    virtualenv.as_deref().unwrap_or("-")
                ),
            };
            row(out, 4, "env", env);
            if p.streamable {
                row(
                    out,
                    4,
                    "streamable",
                    format!("yes ({})", p.predict_stream_fn),
                );
            }
        }
        for (key, value) in &flavor.config {
            if matches!(flavor.view, FlavorView::PythonFunction(_))
                && matches!(
                    key.as_str(),
                    "loader_module" | "predict_fn" | "python_version" | "env"
                )
            {
                continue;
            }
            match flavor.files.iter().find(|f| &f.key == key) {
                Some(file) => {
                    row(
                        out,
                        4,
                        key,
                        format!("{}  [{}]", file.path, status_text(&file.status)),
                    );
                    if let Some(from) = &file.logged_from {
                        row(out, 6, "logged from", from.clone());
                    }
                }
                None => row(out, 4, key, compact(value)),
            }
        }
        for file in flavor
            .files
            .iter()
            .filter(|f| !flavor.config.contains_key(&f.key) || f.key == "env")
        {
            row(
                out,
                4,
                &file.key,
                format!("{}  [{}]", file.path, status_text(&file.status)),
            );
        }
    }
}

/// The signature's inputs, outputs and params.
fn signature_text(out: &mut String, card: &ModelCard) {
    let m = &card.mlmodel;
    let _ = writeln!(out, "\nSignature");
    match &card.signature {
        SignatureState::Absent => {
            let _ = writeln!(
                out,
                "  none: MLflow passes any input to the model unchecked, and the request format must be guessed from the input example"
            );
        }
        SignatureState::Invalid { part, error } => {
            let _ = writeln!(out, "  INVALID ({part}): {error}");
        }
        SignatureState::Valid(sig) => {
            schema_text(out, "Inputs", sig.inputs.as_ref());
            schema_text(out, "Outputs", sig.outputs.as_ref());
            match &sig.params {
                None => {
                    let _ = writeln!(out, "  Params: none");
                }
                Some(params) => {
                    let _ = writeln!(out, "  Params ({}):", params.len());
                    for p in params {
                        let shape = if p.shape.is_some() { " list" } else { "" };
                        let _ = writeln!(
                            out,
                            "    {:<20} {}{shape}  default {}",
                            p.name,
                            p.ty.label(),
                            compact(&p.default)
                        );
                    }
                }
            }
            if m.is_signature_from_type_hint == Some(true) {
                let _ = writeln!(
                    out,
                    "  (from type hints: the scoring server needs {{\"inputs\": ...}})"
                );
            }
        }
    }
}

/// The Python, the environment files and their packages, and mismatches between them.
fn environment_text(out: &mut String, card: &ModelCard) {
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    let env = &card.environment;
    let _ = writeln!(out, "\nEnvironment");
    row(out, 2, "python", opt(&env.python_version));
    if let Some(conda) = &env.conda {
        match &conda.parsed {
            Ok(c) => {
                row(
                    out,
                    2,
                    &conda.file,
                    format!(
                        "channels: {}; python {}",
                        c.channels.join(", "),
                        opt(&c.python)
                    ),
                );
            }
            Err(e) => row(out, 2, &conda.file, format!("unreadable: {e}")),
        }
    }
    if let Some(venv) = &env.python_env {
        match &venv.parsed {
            Ok(p) => {
                let build: Vec<&str> = p.build.iter().map(|d| d.line.as_str()).collect();
                row(
                    out,
                    2,
                    &venv.file,
                    format!("python {}; build: {}", opt(&p.python), build.join(", ")),
                );
            }
            Err(e) => row(out, 2, &venv.file, format!("unreadable: {e}")),
        }
    }
    // One line a package, its pins from each file side by side (as the window's table).
    let rows = env.package_rows();
    if !rows.is_empty() {
        let _ = writeln!(out, "  Packages:");
        for row in &rows {
            let mark = if row.conflict {
                "  ⚠ pins differ"
            } else {
                ""
            };
            let _ = writeln!(out, "    {:<28} {}{mark}", row.name, row.specs_text());
        }
    }
    for mismatch in &env.mismatches {
        let _ = writeln!(out, "  MISMATCH: {mismatch}");
    }
}

/// The input example: its type, data and the serving example MLflow wrote.
fn example_text(out: &mut String, card: &ModelCard) {
    let _ = writeln!(out, "\nInput example");
    match &card.input_example {
        None => {
            let _ = writeln!(out, "  none");
        }
        Some(ex) => {
            row(
                out,
                2,
                "file",
                ex.info
                    .artifact_path
                    .as_deref()
                    .unwrap_or("input_example.json"),
            );
            row(out, 2, "type", ex.info.kind.as_deref().unwrap_or("-"));
            match &ex.data {
                Ok(data) => {
                    row(out, 2, "data", data.summary());
                    if let ExampleData::Dataframe {
                        columns: Some(cols),
                        ..
                    } = data
                    {
                        row(out, 2, "columns", cols.join(", "));
                    }
                }
                Err(e) => row(out, 2, "data", format!("unreadable: {e}")),
            }
            if let Some(p) = &ex.params {
                row(
                    out,
                    2,
                    "params",
                    compact(&serde_json::Value::Object(p.clone())),
                );
            }
            if let Some(path) = &ex.info.serving_input_path {
                let state = match &ex.serving_input {
                    Some(Ok(_)) => "ready request body for /invocations",
                    _ => "unreadable",
                };
                row(out, 2, "serving input", format!("{path} ({state})"));
            }
        }
    }
}

/// The folder's files as a tree, with sizes and kinds (the first 200).
fn artifacts_text(out: &mut String, card: &ModelCard) {
    let _ = writeln!(
        out,
        "\nArtifacts ({}, {})",
        crate::text::count(card.artifacts.entries.len(), "entry", "entries"),
        human_size(card.artifacts.total_size)
    );
    for a in card.artifacts.entries.iter().take(200) {
        let depth = a.path.matches('/').count();
        let name = a.path.rsplit('/').next().unwrap_or(&a.path);
        let name = if a.is_dir {
            format!("{name}/")
        } else {
            name.to_string()
        };
        let link = a
            .link_target
            .as_ref()
            .map(|t| format!(" -> {t}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {:indent$}{:<width$} {:>9}  {}{link}",
            "",
            name,
            human_size(a.size),
            a.kind.label(),
            indent = depth * 2,
            width = 36usize.saturating_sub(depth * 2)
        );
    }
    if card.artifacts.entries.len() > 200 {
        let _ = writeln!(
            out,
            "  … {} more (see --json)",
            card.artifacts.entries.len() - 200
        );
    }
}

/// Problems that did not stop the folder from opening.
fn warnings_text(out: &mut String, card: &ModelCard) {
    let _ = writeln!(out, "\nWarnings");
    if card.warnings.is_empty() {
        let _ = writeln!(out, "  none");
    }
    for w in &card.warnings {
        let _ = writeln!(out, "  - {w}");
    }
}

/// Where a remote model came from, for `show --json`.
pub fn remote_json(r: &crate::source::RemoteModel) -> serde_json::Value {
    serde_json::json!({
        "uri": r.uri.to_string(),
        "tracking_uri": r.tracking.base,
        "registered": r.registry,
        "location": r.location.to_string(),
        "cache": r.dir.display().to_string(),
        "files": r.files.len(),
        "bytes_not_fetched": r.missing_bytes(),
    })
}

/// Where a remote model came from, for `show`.
pub fn remote_text(r: &crate::source::RemoteModel) -> String {
    let mut out = String::new();
    row(
        &mut out,
        0,
        "source",
        format!("{} on {}", r.uri, r.tracking.base),
    );
    if let Some(reg) = &r.registry {
        row(&mut out, 0, "registered", reg);
    }
    row(&mut out, 0, "artifacts", &r.location);
    row(
        &mut out,
        0,
        "cache",
        format!(
            "{} ({} not fetched yet)",
            r.dir.display(),
            human_size(r.missing_bytes())
        ),
    );
    out
}

fn status_text(status: &PathStatus) -> String {
    match status {
        PathStatus::Present { is_dir: true, .. } => "present (folder)".into(),
        PathStatus::Present { size, .. } => format!("present ({})", human_size(*size)),
        PathStatus::Missing => "MISSING".into(),
        PathStatus::Outside { reason } => format!("OUTSIDE the model folder: {reason}"),
    }
}

fn row(out: &mut String, indent: usize, label: &str, value: impl std::fmt::Display) {
    let _ = writeln!(out, "{:indent$}{label:<22} {value}", "");
}

/// Lines of a nested column type, as a tree.
fn type_tree(out: &mut String, ty: &ColType, indent: usize) {
    match ty {
        ColType::Array(items) => {
            let _ = writeln!(out, "{:indent$}items: {}", "", items.label());
            if items.is_nested() {
                type_tree(out, items, indent + 2);
            }
        }
        ColType::Map(values) => {
            let _ = writeln!(out, "{:indent$}values: {}", "", values.label());
            if values.is_nested() {
                type_tree(out, values, indent + 2);
            }
        }
        ColType::Object(props) => {
            for p in props {
                let req = if p.required.unwrap_or(false) {
                    "required"
                } else {
                    "optional"
                };
                let _ = writeln!(out, "{:indent$}{}: {} ({req})", "", p.name, p.ty.label());
                if p.ty.is_nested() {
                    type_tree(out, &p.ty, indent + 2);
                }
            }
        }
        _ => {}
    }
}

fn schema_text(out: &mut String, title: &str, schema: Option<&Schema>) {
    let Some(schema) = schema else {
        let _ = writeln!(out, "  {title}: none");
        return;
    };
    let n = schema.specs.len();
    let counted = if schema.is_tensor() {
        crate::text::count(n, "tensor", "tensors")
    } else {
        crate::text::count(n, "column", "columns")
    };
    let _ = writeln!(out, "  {title} ({counted}):");
    for (i, spec) in schema.specs.iter().enumerate() {
        let name = spec
            .name()
            .map(str::to_string)
            .unwrap_or_else(|| format!("[{i}]"));
        let req = match spec {
            Spec::Tensor(_) => "",
            Spec::Column(c) if c.is_required() => "  required",
            Spec::Column(_) => "  optional",
        };
        let _ = writeln!(out, "    {name:<20} {}{req}", spec.type_label());
        if let Spec::Column(c) = spec
            && c.ty.is_nested()
        {
            type_tree(out, &c.ty, 26);
        }
    }
}

fn compact(value: &serde_json::Value) -> String {
    let text = match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    crate::text::elide(&text, 160)
}
