//! The pre-flight: whether MLflow's scoring server would take a request, said in MLflow's own
//! words (its `error_code` and the meaningful part of its message, from [`super::scoring`],
//! which follows the server step by step), with our hint beside it where one helps.
//! Verdicts and messages are tested against the scoring server's own answers
//! (tests/fixtures/validation_reference.py).

use serde_json::Value;

use super::request::{Request, Tensors};
use super::scoring::{self, Refusal};
pub use super::scoring::{ErrorCode, FORMAT_KEYS, Model};
use super::tensor::Flat;
use crate::model::ModelCard;
use crate::model::signature::{Spec, TensorSpec};

/// One problem with a request: what MLflow would answer, and the input it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The input: `body`, `inputs`, a column or tensor name, `params.<name>`.
    pub input: String,
    /// The HTTP status MLflow's server would answer (400, or 415 for the content type).
    pub status: u16,
    /// MLflow's `error_code` (none for a 415).
    pub code: Option<ErrorCode>,
    /// MLflow's message: the meaningful part, word for word.
    pub message: String,
    /// How to fix it, where we can say more than MLflow does.
    pub hint: Option<String>,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.input, self.message)?;
        match self.code {
            Some(code) => write!(f, " [{}]", code.as_str())?,
            None => write!(f, " [HTTP {}]", self.status)?,
        }
        if let Some(hint) = &self.hint {
            write!(f, " Hint: {hint}")?;
        }
        Ok(())
    }
}

/// The validator's answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    /// What MLflow would refuse. Empty when the request would be accepted.
    pub problems: Vec<Problem>,
    /// What MLflow accepts with a warning (ignored params, extra inputs).
    pub notes: Vec<String>,
}

impl Verdict {
    /// Whether MLflow would accept the request.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

impl Model<'_> {
    /// What the scoring server knows of this model: its signature, and whether it comes
    /// from type hints.
    pub fn of(card: &ModelCard) -> Model<'_> {
        Model {
            signature: card.signature.valid(),
            from_type_hint: card.mlmodel.is_signature_from_type_hint == Some(true),
        }
    }
}

/// Validates a request as `/invocations` would take its JSON (`application/json`): typed
/// tensors are checked in place, without writing them.
pub fn validate(model: Model<'_>, request: &Request) -> Verdict {
    match request {
        Request::Json(body) => validate_body(model, body),
        Request::Tensors { tensors, params } => verdict(
            model,
            || typed_fraction_note(model, tensors),
            scoring::check_tensors(model, tensors, params.as_ref()),
        ),
    }
}

/// Validates a JSON request body for `/invocations` (`application/json`).
pub fn validate_body(model: Model<'_>, body: &Value) -> Verdict {
    verdict(
        model,
        || body_of(body).and_then(|v| fraction_note(model, v)),
        scoring::check_json(model, body),
    )
}

/// Validates a request as sent: its Content-Type and bytes (`text/csv` included).
pub fn validate_request(model: Model<'_>, content_type: &str, body: &[u8]) -> Verdict {
    let parsed = (content_type.trim().starts_with("application/json"))
        .then(|| serde_json::from_slice::<Value>(body).ok())
        .flatten();
    let result = scoring::check_request(model, content_type, body);
    verdict(
        model,
        || {
            parsed
                .as_ref()
                .and_then(body_of)
                .and_then(|v| fraction_note(model, v))
        },
        result,
    )
}

/// The value carrying the inputs, for notes and hints.
fn body_of(body: &Value) -> Option<&Value> {
    body.get("inputs").or_else(|| body.get("instances"))
}

/// The verdict on a check's result; `fraction` gives the note on dropped fractions, asked only
/// for an accepted request.
fn verdict(
    model: Model<'_>,
    fraction: impl FnOnce() -> Option<String>,
    result: Result<scoring::Accepted, Refusal>,
) -> Verdict {
    match result {
        Ok(accepted) => {
            let mut notes = accepted.notes;
            if let Some(note) = fraction() {
                notes.push(note);
            }
            Verdict {
                problems: Vec::new(),
                notes,
            }
        }
        Err(r) => {
            let hint = hint_for(model, &r);
            Verdict {
                problems: vec![Problem {
                    input: r.input,
                    status: r.status,
                    code: r.code,
                    message: r.message,
                    hint,
                }],
                notes: Vec::new(),
            }
        }
    }
}

/// The one unnamed tensor of a model, when it has exactly that.
fn single_tensor<'s>(model: Model<'s>) -> Option<&'s TensorSpec> {
    let schema = model.signature?.inputs.as_ref()?;
    match schema.specs.as_slice() {
        [Spec::Tensor(t)] => Some(t),
        _ => None,
    }
}

/// Our hint for a refusal, where we can say more than MLflow: the layout of an image tensor,
/// a missing batch axis.
fn hint_for(model: Model<'_>, r: &Refusal) -> Option<String> {
    let (got, expected) = r.shapes.as_ref()?;
    let expected_label = single_tensor(model)
        .filter(|t| &t.shape == expected)
        .map(TensorSpec::type_label)
        .unwrap_or_else(|| crate::model::signature::shape_label(expected));
    if let Some(hint) = layout_hint(got, expected) {
        return Some(format!("{hint} (the model takes {expected_label})"));
    }
    if got.len() + 1 == expected.len() && expected.first() == Some(&-1) {
        return Some(format!(
            "add the batch axis: wrap the value in one more list (the model takes {expected_label})"
        ));
    }
    None
}

/// A hint for a shape that is the expected one with the channels moved.
fn layout_hint(got: &[usize], expected: &[i64]) -> Option<&'static str> {
    if got.len() != expected.len() || got.len() < 3 {
        return None;
    }
    let fits = |a: &[usize]| {
        a.iter()
            .zip(expected)
            .all(|(x, y)| *y == -1 || *x as i64 == *y)
    };
    let n = got.len();
    let mut chw_to_hwc = got.to_vec();
    let c = chw_to_hwc.remove(n - 3);
    chw_to_hwc.push(c);
    if fits(&chw_to_hwc) {
        return Some(
            "the channels come first (CHW) but the model wants them last: transpose to HWC",
        );
    }
    let mut hwc_to_chw = got.to_vec();
    if let Some(c) = hwc_to_chw.pop() {
        hwc_to_chw.insert(n - 3, c);
        if fits(&hwc_to_chw) {
            return Some(
                "the channels come last (HWC) but the model wants them first: transpose to CHW",
            );
        }
    }
    None
}

/// The integer tensor a request's numbers are cast to, when the model has one unnamed one.
fn integer_tensor<'s>(model: Model<'s>) -> Option<&'s TensorSpec> {
    single_tensor(model).filter(|s| s.dtype.starts_with("int") || s.dtype.starts_with("uint"))
}

fn fractions_dropped(spec: &TensorSpec) -> String {
    format!(
        "inputs: the server casts to {} and drops the fractions of non-whole numbers",
        spec.dtype
    )
}

/// [`fraction_note`] for typed tensors: float tensors with non-whole values.
fn typed_fraction_note(model: Model<'_>, tensors: &Tensors) -> Option<String> {
    let spec = integer_tensor(model)?;
    let fractional = tensors.iter().into_iter().any(|(_, t)| match t.flat() {
        Some(Flat::F32(v)) => v.iter().any(|x| x.is_finite() && x.fract() != 0.0),
        Some(Flat::F64(v)) => v.iter().any(|x| x.is_finite() && x.fract() != 0.0),
        _ => false,
    });
    fractional.then(|| fractions_dropped(spec))
}

/// MLflow casts numbers to an integer tensor's dtype without a word: fractions are dropped.
fn fraction_note(model: Model<'_>, inputs: &Value) -> Option<String> {
    let spec = integer_tensor(model)?;
    let mut stack = vec![inputs];
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(items) => stack.extend(items),
            Value::Number(n) if n.as_f64().is_some_and(|f| f.fract() != 0.0) => {
                return Some(fractions_dropped(spec));
            }
            _ => {}
        }
    }
    None
}
