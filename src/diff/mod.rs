//! Compare two models: is B a drop-in replacement for A? UI-free; the command line's `diff` and
//! the window's comparison call [`diff`].
//!
//! The verdict is "B accepts every request A accepts", decided two ways that must agree with
//! MLflow: by the signatures (a column or tensor B requires that A did not, a narrower type, a
//! changed dtype, rank or fixed dimension, a removed or narrowed param, an input optional in A
//! and required in B, an output renamed or retyped), and concretely: A's input example and
//! requests made from A's signature (the Test tab's own generator) go through B's validator,
//! the same code as the pre-flight check. Every other difference (flavors, environment, input
//! example, files, metadata) is listed and marked as not breaking.

pub mod agreement;
pub mod answers;

use std::collections::HashSet;

use serde_json::Value;

use crate::input::build::{FillKind, InputSource, build_request};
use crate::input::validate::{Model, validate};
use crate::model::ModelCard;
use crate::model::signature::{ColSpec, ColType, DataType, ParamSpec, Schema, Spec, TensorSpec};

/// The sections of a comparison, in the order they are shown.
pub const SECTIONS: [&str; 8] = [
    "signature",
    "outputs",
    "params",
    "flavors",
    "environment",
    "input_example",
    "files",
    "metadata",
];

/// One difference between A and B.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Change {
    /// One of [`SECTIONS`].
    pub section: &'static str,
    /// What changed: a column, tensor, param, flavor key, package, file, request.
    pub item: String,
    /// A's side (`None` where A has none).
    pub a: Option<String>,
    /// B's side (`None` where B has none).
    pub b: Option<String>,
    /// Whether a caller of A can break on B.
    pub breaking: bool,
    /// For a breaking change, why, in one sentence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What a comparison found.
#[derive(Debug, Clone, Default)]
pub struct Comparison {
    /// Every change, by section.
    pub changes: Vec<Change>,
    /// How many of A's requests (its example and generated ones) went through B's validator.
    pub requests_checked: usize,
    /// What `show` warns about A's folder (a file linking out of it, an unreadable
    /// environment file, ...), and about B's: a drop-in signature does not make up for them.
    pub warnings_a: Vec<String>,
    /// The same for B.
    pub warnings_b: Vec<String>,
}

impl Comparison {
    /// Whether B accepts every request A accepts and answers in the same shape.
    pub fn compatible(&self) -> bool {
        !self.changes.iter().any(|c| c.breaking)
    }

    /// The breaking changes' reasons, one sentence each.
    pub fn reasons(&self) -> Vec<String> {
        self.changes
            .iter()
            .filter(|c| c.breaking)
            .filter_map(|c| c.reason.clone())
            .collect()
    }

    /// The sections without a change.
    pub fn equal_sections(&self) -> Vec<&'static str> {
        SECTIONS
            .iter()
            .copied()
            .filter(|s| !self.changes.iter().any(|c| c.section == *s))
            .collect()
    }

    /// `{"compatible", "changes": [{"section", "item", "a", "b", "breaking"}], ...}`.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "compatible": self.compatible(),
            "reasons": self.reasons(),
            "changes": self.changes,
            "equal_sections": self.equal_sections(),
            "requests_checked": self.requests_checked,
            "warnings": {"a": self.warnings_a, "b": self.warnings_b},
        })
    }
}

struct Changes(Vec<Change>);

impl Changes {
    fn add(
        &mut self,
        section: &'static str,
        item: impl Into<String>,
        a: Option<String>,
        b: Option<String>,
    ) {
        self.0.push(Change {
            section,
            item: item.into(),
            a,
            b,
            breaking: false,
            reason: None,
        });
    }

    fn breaking(
        &mut self,
        section: &'static str,
        item: impl Into<String>,
        a: Option<String>,
        b: Option<String>,
        reason: String,
    ) {
        self.0.push(Change {
            section,
            item: item.into(),
            a,
            b,
            breaking: true,
            reason: Some(reason),
        });
    }
}

/// The files of each side still on a tracking server (a remote model's weights not fetched
/// into its cache): their bytes are not there to compare.
#[derive(Debug, Clone, Copy)]
pub struct Unfetched<'a> {
    /// A's, by path in the folder.
    pub a: &'a HashSet<String>,
    /// B's.
    pub b: &'a HashSet<String>,
}

/// Compares A with B, two folders whose files are all there.
pub fn diff(a: &ModelCard, b: &ModelCard) -> Comparison {
    let none = HashSet::new();
    diff_with(a, b, &Unfetched { a: &none, b: &none })
}

/// Compares A with B, either of which may be a remote model with files not fetched.
pub fn diff_with(a: &ModelCard, b: &ModelCard, unfetched: &Unfetched<'_>) -> Comparison {
    let mut changes = Changes(Vec::new());
    let (sa, sb) = (a.signature.valid(), b.signature.valid());
    inputs(
        sa.and_then(|s| s.inputs.as_ref()),
        sb.and_then(|s| s.inputs.as_ref()),
        &mut changes,
    );
    let requests_checked = concrete(a, b, &mut changes);
    outputs(
        sa.and_then(|s| s.outputs.as_ref()),
        sb.and_then(|s| s.outputs.as_ref()),
        &mut changes,
    );
    params(
        sa.and_then(|s| s.params.as_deref()).unwrap_or_default(),
        sb.and_then(|s| s.params.as_deref()).unwrap_or_default(),
        &mut changes,
    );
    flavors(a, b, &mut changes);
    environment(a, b, &mut changes);
    input_example(a, b, &mut changes);
    files(a, b, unfetched, &mut changes);
    metadata(a, b, &mut changes);
    let mut changes = changes.0;
    // Stable by section, in the order of SECTIONS.
    changes.sort_by_key(|c| SECTIONS.iter().position(|s| *s == c.section));
    let warnings = |c: &ModelCard| c.warnings.iter().map(ToString::to_string).collect();
    Comparison {
        changes,
        requests_checked,
        warnings_a: warnings(a),
        warnings_b: warnings(b),
    }
}

fn col_label(c: &ColSpec) -> String {
    format!(
        "{}{}",
        c.ty.label(),
        if c.is_required() { "" } else { " (optional)" }
    )
}

/// Whether every value MLflow accepts for type `a` it accepts for type `b` (ints widen to
/// larger ints and floats, float to double; `any` takes all).
fn widens(a: &ColType, b: &ColType) -> bool {
    use DataType as D;
    match (a, b) {
        (_, ColType::Any) => true,
        (ColType::Scalar(x), ColType::Scalar(y)) => {
            x == y
                || matches!(
                    (x, y),
                    (D::Integer, D::Long | D::Float | D::Double) | (D::Long | D::Float, D::Double)
                )
        }
        (x, y) => x == y,
    }
}

/// A schema in one line: `sepal_length: double, sepal_width: double`.
fn schema_label(s: &Schema) -> String {
    s.specs
        .iter()
        .enumerate()
        .map(|(i, x)| format!("{}: {}", spec_name(x, i), spec_label(x)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn spec_name(s: &Spec, index: usize) -> String {
    s.name()
        .map_or_else(|| format!("column {index}"), str::to_string)
}

fn inputs(a: Option<&Schema>, b: Option<&Schema>, changes: &mut Changes) {
    const S: &str = "signature";
    match (a, b) {
        (None, None) => {}
        (Some(_), None) => changes.add(S, "inputs", Some("checked".into()), Some("no signature: anything is passed to the model".into())),
        (None, Some(b)) => changes.breaking(
            S,
            "inputs",
            Some("no signature".into()),
            Some(schema_label(b)),
            "B checks its inputs against a signature and A checked nothing: requests A passes to its model can be refused".into(),
        ),
        (Some(a), Some(b)) if a.is_tensor() != b.is_tensor() => changes.breaking(
            S,
            "inputs",
            Some(schema_label(a)),
            Some(schema_label(b)),
            format!(
                "A takes {} and B takes {}",
                if a.is_tensor() { "tensors" } else { "columns" },
                if b.is_tensor() { "tensors" } else { "columns" }
            ),
        ),
        (Some(a), Some(b)) if a.is_tensor() => tensors(&a.tensors(), &b.tensors(), changes),
        (Some(a), Some(b)) => columns(&a.columns(), &b.columns(), changes),
    }
}

fn columns(a: &[&ColSpec], b: &[&ColSpec], changes: &mut Changes) {
    const S: &str = "signature";
    let key = |c: &ColSpec, i: usize| c.name.clone().unwrap_or_else(|| format!("column {i}"));
    let a_keys: Vec<String> = a.iter().enumerate().map(|(i, c)| key(c, i)).collect();
    let b_keys: Vec<String> = b.iter().enumerate().map(|(i, c)| key(c, i)).collect();
    // Looked up by name, so that 100,000 columns take one pass a side.
    let b_at = first_at(&b_keys, String::as_str);
    let a_at = first_at(&a_keys, String::as_str);
    for (i, ca) in a.iter().enumerate() {
        let name = &a_keys[i];
        match b_at.get(name.as_str()).and_then(|&j| b.get(j)) {
            None => changes.add(S, name.clone(), Some(col_label(ca)), None),
            Some(&cb) => {
                if ca.ty != cb.ty {
                    if widens(&ca.ty, &cb.ty) {
                        changes.add(S, name.clone(), Some(col_label(ca)), Some(col_label(cb)));
                    } else {
                        changes.breaking(
                            S,
                            name.clone(),
                            Some(col_label(ca)),
                            Some(col_label(cb)),
                            format!(
                                "column {name:?} is {} in B where A takes {}: values A accepts can be refused or converted",
                                cb.ty.label(),
                                ca.ty.label()
                            ),
                        );
                    }
                } else if ca.is_required() != cb.is_required() {
                    if cb.is_required() {
                        changes.breaking(
                            S,
                            name.clone(),
                            Some(col_label(ca)),
                            Some(col_label(cb)),
                            format!("column {name:?} is optional in A and required in B"),
                        );
                    } else {
                        changes.add(S, name.clone(), Some(col_label(ca)), Some(col_label(cb)));
                    }
                }
            }
        }
    }
    for (j, cb) in b.iter().enumerate() {
        let name = &b_keys[j];
        if a_at.contains_key(name.as_str()) {
            continue;
        }
        if cb.is_required() {
            changes.breaking(
                S,
                name.clone(),
                None,
                Some(col_label(cb)),
                format!("B requires the column {name:?}, which A did not have"),
            );
        } else {
            changes.add(S, name.clone(), None, Some(col_label(cb)));
        }
    }
}

fn tensors(a: &[&TensorSpec], b: &[&TensorSpec], changes: &mut Changes) {
    const S: &str = "signature";
    let key = |t: &TensorSpec| t.name.clone().unwrap_or_else(|| "the tensor".to_string());
    let (a_at, b_at) = (
        first_at(a, |t| t.name.as_deref()),
        first_at(b, |t| t.name.as_deref()),
    );
    for ta in a {
        let name = key(ta);
        let Some(&tb) = b_at.get(&ta.name.as_deref()).and_then(|&j| b.get(j)) else {
            changes.add(S, name, Some(ta.type_label()), None);
            continue;
        };
        if ta.dtype == tb.dtype && ta.shape == tb.shape {
            continue;
        }
        let reason = if ta.dtype != tb.dtype {
            Some(format!(
                "{name} is {} in B and {} in A",
                tb.type_label(),
                ta.type_label()
            ))
        } else if ta.shape.len() != tb.shape.len() {
            Some(format!(
                "{name} has rank {} in B and {} in A",
                tb.shape.len(),
                ta.shape.len()
            ))
        } else {
            ta.shape
                .iter()
                .zip(&tb.shape)
                .enumerate()
                .find(|(_, (x, y))| x != y && **y != -1)
                .map(|(axis, (x, y))| {
                    format!(
                        "{name}'s axis {axis} is {y} in B where A takes {}",
                        if *x == -1 {
                            "any size".to_string()
                        } else {
                            x.to_string()
                        }
                    )
                })
        };
        match reason {
            Some(reason) => changes.breaking(
                S,
                name,
                Some(ta.type_label()),
                Some(tb.type_label()),
                reason,
            ),
            None => changes.add(S, name, Some(ta.type_label()), Some(tb.type_label())),
        }
    }
    for tb in b {
        if !a_at.contains_key(&tb.name.as_deref()) {
            let name = key(tb);
            changes.breaking(
                S,
                name.clone(),
                None,
                Some(tb.type_label()),
                format!("B requires the tensor {name}, which A did not have"),
            );
        }
    }
}

fn spec_label(s: &Spec) -> String {
    match s {
        Spec::Column(c) => c.ty.label(),
        Spec::Tensor(t) => t.type_label(),
    }
}

fn outputs(a: Option<&Schema>, b: Option<&Schema>, changes: &mut Changes) {
    const S: &str = "outputs";
    let (Some(a), Some(b)) = (a, b) else {
        if a.is_some() != b.is_some() {
            changes.add(S, "outputs", a.map(schema_label), b.map(schema_label));
        }
        return;
    };
    let names = |s: &Schema| -> Vec<String> {
        s.specs
            .iter()
            .enumerate()
            .map(|(i, x)| spec_name(x, i))
            .collect()
    };
    let (na, nb) = (names(a), names(b));
    let (a_at, b_at) = (first_at(&na, String::as_str), first_at(&nb, String::as_str));
    for (i, sa) in a.specs.iter().enumerate() {
        let name = &na[i];
        match b_at.get(name.as_str()).copied() {
            None => {
                let renamed = (a.specs.len() == b.specs.len())
                    .then(|| nb.get(i))
                    .flatten()
                    .filter(|n| !a_at.contains_key(n.as_str()));
                let reason = match renamed {
                    Some(to) => format!(
                        "the output {name:?} is called {to:?} in B: callers reading {name:?} break"
                    ),
                    None => format!("B has no output {name:?}: callers reading it break"),
                };
                changes.breaking(
                    S,
                    name.clone(),
                    Some(spec_label(sa)),
                    renamed.map(|to| format!("{to}: {}", spec_label(&b.specs[i]))),
                    reason,
                );
            }
            Some(j) => {
                let sb = &b.specs[j];
                if spec_label(sa) != spec_label(sb) {
                    changes.breaking(
                        S,
                        name.clone(),
                        Some(spec_label(sa)),
                        Some(spec_label(sb)),
                        format!(
                            "the output {name:?} is {} in B and {} in A",
                            spec_label(sb),
                            spec_label(sa)
                        ),
                    );
                }
            }
        }
    }
    for (j, sb) in b.specs.iter().enumerate() {
        let name = &nb[j];
        let in_a = a_at.contains_key(name.as_str());
        let renamed_to = a.specs.len() == b.specs.len()
            && !in_a
            && na.get(j).is_some_and(|n| !b_at.contains_key(n.as_str()));
        if !in_a && !renamed_to {
            changes.add(S, name.clone(), None, Some(spec_label(sb)));
        }
    }
}

fn param_label(p: &ParamSpec) -> String {
    let shape = if p.shape.is_some() { " list" } else { "" };
    format!("{}{shape}, default {}", p.ty.label(), p.default)
}

fn params(a: &[ParamSpec], b: &[ParamSpec], changes: &mut Changes) {
    const S: &str = "params";
    let (a_at, b_at) = (
        first_at(a, |p| p.name.as_str()),
        first_at(b, |p| p.name.as_str()),
    );
    for pa in a {
        match b_at.get(pa.name.as_str()).and_then(|&j| b.get(j)) {
            None => changes.breaking(
                S,
                pa.name.clone(),
                Some(param_label(pa)),
                None,
                format!("B has no param {:?}: requests that set it lose it", pa.name),
            ),
            Some(pb) => {
                let narrowed = pa.shape != pb.shape
                    || match (&pa.ty, &pb.ty) {
                        (
                            crate::model::signature::ParamType::Scalar(x),
                            crate::model::signature::ParamType::Scalar(y),
                        ) => !widens(&ColType::Scalar(*x), &ColType::Scalar(*y)),
                        (x, y) => x != y,
                    };
                if narrowed {
                    changes.breaking(
                        S,
                        pa.name.clone(),
                        Some(param_label(pa)),
                        Some(param_label(pb)),
                        format!(
                            "the param {:?} is {} in B and {} in A",
                            pa.name,
                            pb.ty.label(),
                            pa.ty.label()
                        ),
                    );
                } else if pa != pb {
                    changes.add(
                        S,
                        pa.name.clone(),
                        Some(param_label(pa)),
                        Some(param_label(pb)),
                    );
                }
            }
        }
    }
    for pb in b {
        if !a_at.contains_key(pb.name.as_str()) {
            changes.add(S, pb.name.clone(), None, Some(param_label(pb)));
        }
    }
}

/// A JSON value in one line, cut at 200 characters.
fn short(v: &Value) -> String {
    let text = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    crate::text::elide(&text, 200)
}

fn flavors(a: &ModelCard, b: &ModelCard, changes: &mut Changes) {
    const S: &str = "flavors";
    for fa in &a.flavors {
        let Some(fb) = b.flavors.iter().find(|f| f.name == fa.name) else {
            if fa.name == "python_function" {
                changes.breaking(
                    S,
                    fa.name.clone(),
                    Some("present".into()),
                    None,
                    "B has no python_function flavor: MLflow cannot serve it".into(),
                );
            } else {
                changes.add(S, fa.name.clone(), Some("present".into()), None);
            }
            continue;
        };
        for (k, va) in &fa.config {
            let vb = fb.config.get(k);
            if vb != Some(va) {
                changes.add(
                    S,
                    format!("{}.{k}", fa.name),
                    Some(short(va)),
                    vb.map(short),
                );
            }
        }
        for (k, vb) in &fb.config {
            if !fa.config.contains_key(k) {
                changes.add(S, format!("{}.{k}", fa.name), None, Some(short(vb)));
            }
        }
    }
    for fb in &b.flavors {
        if !a.flavors.iter().any(|f| f.name == fb.name) {
            changes.add(S, fb.name.clone(), None, Some("present".into()));
        }
    }
}

fn environment(a: &ModelCard, b: &ModelCard, changes: &mut Changes) {
    const S: &str = "environment";
    let (ea, eb) = (&a.environment, &b.environment);
    if ea.python_version != eb.python_version {
        changes.add(
            S,
            "python",
            ea.python_version.clone(),
            eb.python_version.clone(),
        );
    }
    let rows = |e: &crate::model::environment::Environment| -> Vec<(String, String)> {
        e.package_rows()
            .into_iter()
            .map(|r| {
                let specs: Vec<String> = r
                    .specs
                    .iter()
                    .map(|(source, spec)| format!("{spec} ({})", source.label()))
                    .collect();
                (
                    r.name.to_ascii_lowercase().replace('_', "-"),
                    specs.join(", "),
                )
            })
            .collect()
    };
    let (ra, rb) = (rows(ea), rows(eb));
    // Looked up by name (10,000 requirements a side are compared in one pass each).
    let (ia, ib) = (
        first_at(&ra, |(name, _)| name.as_str()),
        first_at(&rb, |(name, _)| name.as_str()),
    );
    for (name, spec) in &ra {
        match ib
            .get(name.as_str())
            .and_then(|&j| rb.get(j))
            .map(|(_, other)| other)
        {
            None => changes.add(S, name.clone(), Some(spec.clone()), None),
            Some(other) if other != spec => {
                changes.add(S, name.clone(), Some(spec.clone()), Some(other.clone()))
            }
            Some(_) => {}
        }
    }
    for (name, spec) in &rb {
        if !ia.contains_key(name.as_str()) {
            changes.add(S, name.clone(), None, Some(spec.clone()));
        }
    }
}

fn input_example(a: &ModelCard, b: &ModelCard, changes: &mut Changes) {
    const S: &str = "input_example";
    let data = |c: &ModelCard| c.input_example.as_ref().map(|e| e.data.clone());
    let (da, db) = (data(a), data(b));
    if da == db {
        return;
    }
    let print = |d: &Option<Result<crate::model::example::ExampleData, String>>| {
        d.as_ref().map(|d| match d {
            Ok(data) => data.summary(),
            Err(why) => format!("unreadable: {why}"),
        })
    };
    let (mut pa, mut pb) = (print(&da), print(&db));
    if pa == pb {
        pa = pa.map(|t| format!("{t}, its values"));
        pb = pb.map(|t| format!("{t}, other values"));
    }
    changes.add(S, "input_example", pa, pb);
}

fn files(a: &ModelCard, b: &ModelCard, unfetched: &Unfetched<'_>, changes: &mut Changes) {
    const S: &str = "files";
    let list = |c: &ModelCard| -> Vec<(String, u64)> {
        c.artifacts
            .entries
            .iter()
            .filter(|e| !e.is_dir && e.path != "MLmodel")
            .map(|e| (e.path.clone(), e.size))
            .collect()
    };
    let (la, lb) = (list(a), list(b));
    // Looked up by path: 100,000 files a side are compared in one pass each.
    let (ia, ib) = (
        first_at(&la, |(path, _)| path.as_str()),
        first_at(&lb, |(path, _)| path.as_str()),
    );
    let size = |n: u64| crate::text::human_size(n);
    for (path, sa) in &la {
        match ib
            .get(path.as_str())
            .and_then(|&j| lb.get(j))
            .map(|(_, bytes)| bytes)
        {
            None => changes.add(S, path.clone(), Some(size(*sa)), None),
            Some(&sb) if sb != *sa => changes.add(S, path.clone(), Some(size(*sa)), Some(size(sb))),
            // The same size: retrained weights often are; their bytes tell. Bytes that were
            // not read are never called equal.
            Some(_) => {
                let unread = |side: &str, unfetched: &HashSet<String>| {
                    unfetched
                        .contains(path)
                        .then(|| format!("{side}'s is still on the tracking server (not fetched)"))
                };
                let verdict = match unread("A", unfetched.a).or_else(|| unread("B", unfetched.b)) {
                    Some(why) => Err(why),
                    None => same_bytes(&a.root, &b.root, path),
                };
                match verdict {
                    Ok(true) => {}
                    Ok(false) => changes.add(
                        S,
                        path.clone(),
                        Some(size(*sa)),
                        Some(format!("{}, other bytes", size(*sa))),
                    ),
                    Err(why) => changes.add(
                        S,
                        path.clone(),
                        Some(size(*sa)),
                        Some(format!("{}, same size, not compared: {why}", size(*sa))),
                    ),
                }
            }
        }
    }
    for (path, sb) in &lb {
        if !ia.contains_key(path.as_str()) {
            changes.add(S, path.clone(), None, Some(size(*sb)));
        }
    }
}

/// Each item's key to the place of its first item with that key: lookups by name (columns,
/// tensors, params, pins, files) take one pass a side, however many there are.
fn first_at<'a, T, K: Eq + std::hash::Hash>(
    items: &'a [T],
    key: impl Fn(&'a T) -> K,
) -> std::collections::HashMap<K, usize> {
    let mut map = std::collections::HashMap::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        map.entry(key(item)).or_insert(i);
    }
    map
}

/// Whether the file `rel` of two model folders holds the same bytes, read side by side in
/// chunks whatever its size; `Err` says why it could not be read (a link leading out of its
/// folder, a file that is not there or cannot be opened).
fn same_bytes(a: &std::path::Path, b: &std::path::Path, rel: &str) -> Result<bool, String> {
    use std::io::Read;
    let open = |side: &str, root: &std::path::Path| {
        let path =
            crate::model::fsutil::file_inside(root, rel).map_err(|e| format!("{side}'s {e}"))?;
        std::fs::File::open(&path).map_err(|e| format!("{side}'s cannot be opened: {e}"))
    };
    let (mut fa, mut fb) = (open("A", a)?, open("B", b)?);
    /// Fills `buf` as far as the file goes.
    fn fill(f: &mut std::fs::File, buf: &mut [u8]) -> Result<usize, String> {
        let mut n = 0;
        while n < buf.len() {
            match f.read(&mut buf[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("a read failed: {e}")),
            }
        }
        Ok(n)
    }
    let (mut ba, mut bb) = (vec![0u8; 1 << 16], vec![0u8; 1 << 16]);
    loop {
        let (na, nb) = (fill(&mut fa, &mut ba)?, fill(&mut fb, &mut bb)?);
        if na != nb || ba[..na] != bb[..nb] {
            return Ok(false);
        }
        if na == 0 {
            return Ok(true);
        }
    }
}

fn metadata(a: &ModelCard, b: &ModelCard, changes: &mut Changes) {
    const S: &str = "metadata";
    let empty = serde_json::Map::new();
    let map = |c: &ModelCard| {
        c.mlmodel
            .metadata
            .as_ref()
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_else(|| empty.clone())
    };
    let (ma, mb) = (map(a), map(b));
    for (k, va) in &ma {
        match mb.get(k) {
            Some(vb) if vb == va => {}
            vb => changes.add(S, k.clone(), Some(short(va)), vb.map(short)),
        }
    }
    for (k, vb) in &mb {
        if !ma.contains_key(k) {
            changes.add(S, k.clone(), None, Some(short(vb)));
        }
    }
}

/// A-valid requests, each given to `each` as soon as it is made and dropped after (one
/// request in memory at a time): A's input example, and requests the Test tab's generator
/// makes from A's signature (fills of zeros, ones and random values for tensors; typical
/// values and missing values for columns), each when A's validator accepts it.
fn each_request_of(a: &ModelCard, mut each: impl FnMut(&str, crate::input::request::Request)) {
    let mut offer = |name: &str, built: Result<crate::input::request::Request, _>| {
        if let Ok(r) = built
            && validate(Model::of(a), &r).is_ok()
        {
            each(name, r);
        }
    };
    if a.input_example.is_some() {
        offer(
            "A's input example",
            build_request(a, &InputSource::Example, None, None),
        );
    }
    let Some(schema) = a.signature.valid().and_then(|s| s.inputs.as_ref()) else {
        return;
    };
    if schema.is_tensor() {
        for (name, kind) in [
            ("zeros", FillKind::Zeros),
            ("ones", FillKind::Ones),
            (
                "random values",
                FillKind::Random {
                    low: 0.0,
                    high: 1.0,
                },
            ),
        ] {
            let source = InputSource::Fill {
                kind,
                batch: 2,
                free: 2,
            };
            offer(
                &format!("a batch of two, {name}"),
                build_request(a, &source, None, None),
            );
        }
    } else {
        let cols = schema.columns();
        let columns: Vec<String> = cols
            .iter()
            .enumerate()
            .map(|(i, c)| c.name.clone().unwrap_or_else(|| i.to_string()))
            .collect();
        let typical: Vec<String> = cols.iter().map(|c| typical_cell(&c.ty)).collect();
        let missing: Vec<String> = cols.iter().map(|_| String::new()).collect();
        for (name, rows) in [
            ("typical values", vec![typical.clone(), typical]),
            ("missing values", vec![missing]),
        ] {
            let source = InputSource::Grid {
                columns: columns.clone(),
                rows,
            };
            offer(
                &format!("a row of {name}"),
                build_request(a, &source, None, None),
            );
        }
    }
}

/// A cell the Test tab's grid would hold for a value of the type.
fn typical_cell(ty: &ColType) -> String {
    use DataType as D;
    match ty {
        ColType::Scalar(D::Boolean) => "true".into(),
        ColType::Scalar(D::Integer | D::Long) => "2".into(),
        ColType::Scalar(D::Float | D::Double) => "1.5".into(),
        ColType::Scalar(D::String) => "text".into(),
        ColType::Scalar(D::Binary) => "aGVsbG8=".into(),
        ColType::Scalar(D::Datetime) => "2024-01-02T03:04:05".into(),
        ColType::Array(inner) => format!("[{}]", json_cell(inner)),
        ColType::Map(inner) => format!("{{\"k\": {}}}", json_cell(inner)),
        ColType::Object(props) => {
            let fields: Vec<String> = props
                .iter()
                .map(|p| format!("{:?}: {}", p.name, json_cell(&p.ty)))
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
        ColType::Any | ColType::SparkMlVector => "1".into(),
    }
}

/// [`typical_cell`] as JSON inside an array, map or object.
fn json_cell(ty: &ColType) -> String {
    match ty {
        ColType::Scalar(DataType::String | DataType::Binary | DataType::Datetime) => {
            format!("{:?}", typical_cell(ty))
        }
        other => typical_cell(other),
    }
}

/// Sends A's requests through B's validator: the ones B refuses make one breaking change,
/// naming them and B's first refusal in MLflow's words.
fn concrete(a: &ModelCard, b: &ModelCard, changes: &mut Changes) -> usize {
    let mut sent = 0usize;
    let mut refused: Vec<(String, String)> = Vec::new();
    each_request_of(a, |name, request| {
        sent += 1;
        let verdict = validate(Model::of(b), &request);
        if let Some(problem) = verdict.problems.first() {
            refused.push((name.to_string(), problem.message.clone()));
        }
    });
    if let Some((_, first)) = refused.first() {
        let names: Vec<&str> = refused.iter().map(|(n, _)| n.as_str()).collect();
        changes.breaking(
            "signature",
            "A's requests",
            Some(format!("{sent} accepted")),
            Some(format!("{} refused: {}", refused.len(), names.join("; "))),
            format!(
                "B refuses {} of A's {} requests ({}): {first}",
                refused.len(),
                sent,
                names.join("; ")
            ),
        );
    }
    sent
}

#[cfg(test)]
mod tests;
