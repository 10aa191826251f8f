//! Reading a scoring server's answer: `{"predictions": ...}` (bare `NaN`/`Infinity` tokens
//! tolerated), or an error in MLflow's `{"error_code", "message"}` form turned into a sentence.

use serde_json::Value;

use super::PredictError;
use crate::model::lenient_json;
use crate::text::elide;
use crate::text::snippet;

/// What a server said to a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// The model answered.
    Predictions {
        /// The value of `predictions` (or the whole body when the server does not wrap it:
        /// Azure ML, MLflow's LLM formats).
        value: Value,
        /// Whether the body was `{"predictions": ...}`.
        wrapped: bool,
        /// Whether the body held bare `NaN`/`Infinity` tokens (read as `null`).
        non_finite: bool,
        /// The body as received.
        raw: String,
    },
    /// The request was refused.
    Rejected(Rejection),
}

/// A refused request, said in one sentence with the whole text kept.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    /// HTTP status (400 for our own validator's refusals).
    pub status: u16,
    /// MLflow's `error_code`, when given.
    pub error_code: Option<String>,
    /// The useful part of the message.
    pub summary: String,
    /// The whole message (and stack trace when sent).
    pub full: String,
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.error_code {
            Some(code) => write!(f, "HTTP {} {code}: {}", self.status, self.summary),
            None => write!(f, "HTTP {}: {}", self.status, self.summary),
        }
    }
}

/// What one value of an answer is reckoned to take once read (a `serde_json::Value` in its
/// list, with the room the list keeps for growth).
const BYTES_PER_VALUE: usize = 64;

/// An answer may take this many times its size once read, with [`VALUES_ALWAYS_READ`] values
/// allowed whatever its size.
pub const MEMORY_PER_ANSWER_BYTE: usize = 10;

/// How many values any answer may hold (about 128 MiB of them).
const VALUES_ALWAYS_READ: usize = 2_000_000;

/// How many values (numbers, strings, lists, keys) a JSON text holds at most: its separators
/// and openings outside strings, counted in one pass without parsing.
fn values_in(text: &str) -> usize {
    let mut count = 1usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in text.as_bytes() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b',' | b':' | b'[' | b'{' => count += 1,
            _ => {}
        }
    }
    count
}

/// Refuses an answer whose values would take more than [`MEMORY_PER_ANSWER_BYTE`] times its
/// size to read (a long list of zeros is 2 bytes a value as text, 64 once read).
fn check_values(url: &str, body: &str) -> Result<(), PredictError> {
    let values = values_in(body);
    let allowed = VALUES_ALWAYS_READ
        .max(body.len().saturating_mul(MEMORY_PER_ANSWER_BYTE - 1) / BYTES_PER_VALUE);
    if values <= allowed {
        return Ok(());
    }
    Err(PredictError::TooLarge {
        url: url.to_string(),
        message: format!(
            "the answer holds about {} values in {}, more than this app reads at once ({} for an answer of this size: each value takes about {BYTES_PER_VALUE} bytes once read, and an answer may take at most {MEMORY_PER_ANSWER_BYTE} times its size); ask for fewer rows or outputs at once",
            crate::text::thousands(values as u64),
            crate::text::human_size(body.len() as u64),
            crate::text::thousands(allowed as u64),
        ),
    })
}

/// Reads an HTTP answer.
pub fn read_reply(url: &str, status: u16, body: String) -> Result<Reply, PredictError> {
    if (200..300).contains(&status) {
        check_values(url, &body)?;
        let (value, non_finite) =
            lenient_json::parse(&body).map_err(|e| PredictError::InvalidResponse {
                url: url.to_string(),
                status,
                error: e.to_string(),
                snippet: snippet(&body),
            })?;
        let (value, wrapped) = match value {
            Value::Object(mut map) if map.len() == 1 && map.contains_key("predictions") => {
                (map.remove("predictions").unwrap_or(Value::Null), true)
            }
            other => (other, false),
        };
        return Ok(Reply::Predictions {
            value,
            wrapped,
            non_finite,
            raw: body,
        });
    }
    Ok(Reply::Rejected(rejection(status, &body)))
}

/// Turns an error body (MLflow's JSON, Azure's `{"message"}`, or plain text) into a rejection.
pub fn rejection(status: u16, body: &str) -> Rejection {
    let parsed = lenient_json::parse(body).ok().map(|(v, _)| v);
    let (error_code, message, trace) = match &parsed {
        Some(Value::Object(map)) => (
            map.get("error_code")
                .and_then(Value::as_str)
                .map(str::to_string),
            map.get("message")
                .and_then(Value::as_str)
                .map(str::to_string),
            map.get("stack_trace")
                .and_then(Value::as_str)
                .map(str::to_string),
        ),
        _ => (None, None, None),
    };
    let message = message.unwrap_or_else(|| body.trim().to_string());
    let mut summary = if message.is_empty() {
        format!("the server answered HTTP {status} with an empty body")
    } else {
        summarize(&message)
    };
    // For an exception inside the model, MLflow's message is generic: the exception itself is
    // the last line of the trace.
    if let Some(last) = trace
        .as_deref()
        .and_then(|t| t.lines().rev().find(|l| !l.trim().is_empty()))
    {
        summary = format!("{summary} The model raised: {}", elide(last.trim(), 300));
    }
    let mut full = message;
    if let Some(trace) = trace {
        full.push_str("\n\n");
        full.push_str(&trace);
    }
    Rejection {
        status,
        error_code,
        summary,
        full,
    }
}

/// The useful part of one of MLflow's messages: the detail after the Python reprs of the data
/// and the schema, with any long quoted value elided.
pub fn summarize(message: &str) -> String {
    let mut text = message.trim();
    if text.starts_with("Failed to predict data")
        && let Some(i) = text.find("\nError: ")
    {
        text = text[i + "\nError: ".len()..].trim();
    }
    if text.starts_with("Failed to enforce schema of data")
        && let Some(schema) = text.find(" with schema '")
        && let Some(i) = text[schema..].find("'. Error: ")
    {
        text = text[schema + i + "'. Error: ".len()..].trim();
    }
    if let Some(i) = text.find("IMPORTANT: The MLflow Model scoring protocol has changed") {
        text = text[..i].trim();
    }
    let elided = elide_quoted(text, 160);
    elide(&elided, 600)
}

/// Shortens each quoted segment (`'...'` or `"..."`) longer than `max` characters.
fn elide_quoted(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(4096));
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' || c == '"' {
            // Find the closing quote on the same logical segment.
            if let Some(len) = chars[i + 1..].iter().position(|&d| d == c)
                && len > max
            {
                let inner = &chars[i + 1..i + 1 + len];
                out.push(c);
                out.extend(&inner[..max / 2]);
                out.push_str(&format!(" … ({len} characters) … "));
                out.extend(&inner[len - max / 4..]);
                out.push(c);
                i += len + 2;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_enforcement_message_keeps_the_detail() {
        let message = format!(
            "Failed to predict data '{}'. \nError: Failed to enforce schema of data '{}' with schema '['x': double (required)]'. Error: Model is missing inputs ['x'].",
            "a".repeat(500),
            "b".repeat(500)
        );
        assert_eq!(summarize(&message), "Model is missing inputs ['x'].");
    }

    #[test]
    fn long_reprs_are_elided() {
        let message = format!(
            "Invalid input. Data is not compatible with model signature. Failed to convert column x to type 'float64'. Error: 'ValueError(\"could not convert string to float: {}\")'",
            "z".repeat(1000)
        );
        let s = summarize(&message);
        assert!(s.len() < 700, "{s}");
        assert!(
            s.starts_with("Invalid input. Data is not compatible"),
            "{s}"
        );
        assert!(s.contains("characters)"), "{s}");
    }

    #[test]
    fn non_finite_tokens_are_read() {
        let reply = read_reply("u", 200, r#"{"predictions": [NaN, Infinity, 1.5]}"#.into());
        match reply {
            Ok(Reply::Predictions {
                value, non_finite, ..
            }) => {
                assert!(non_finite);
                assert_eq!(value, serde_json::json!([null, null, 1.5]));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn plain_text_errors_are_kept() {
        let r = rejection(504, "Request processing time exceeded limit");
        assert_eq!(r.summary, "Request processing time exceeded limit");
        assert_eq!(r.error_code, None);
    }
}
