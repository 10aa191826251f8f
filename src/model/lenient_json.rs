//! JSON as Python's `json.dumps` writes it: with `allow_nan=True`, MLflow can emit the bare
//! tokens `NaN`, `Infinity` and `-Infinity`, which strict JSON parsers refuse.

use serde_json::Value;

/// Parses JSON, reading bare `NaN`, `Infinity` and `-Infinity` as `null`.
///
/// Returns the value and whether any such token was found.
pub fn parse(text: &str) -> Result<(Value, bool), serde_json::Error> {
    match serde_json::from_str(text) {
        Ok(v) => Ok((v, false)),
        Err(first) => {
            let (patched, changed) = replace_non_finite(text);
            if !changed {
                return Err(first);
            }
            serde_json::from_str(&patched).map(|v| (v, true))
        }
    }
}

/// Replaces bare non-finite number tokens (outside strings) with `null`.
fn replace_non_finite(text: &str) -> (String, bool) {
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    let mut in_string = false;
    let mut escaped = false;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            rest = &rest[c.len_utf8()..];
            continue;
        }
        if c == '"' {
            in_string = true;
            out.push(c);
            rest = &rest[1..];
            continue;
        }
        let token = ["-Infinity", "Infinity", "NaN"]
            .into_iter()
            .find(|t| rest.starts_with(t));
        if let Some(t) = token {
            out.push_str("null");
            rest = &rest[t.len()..];
            changed = true;
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    (out, changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_nan_tokens_read_as_null_but_strings_are_kept() {
        let (v, changed) = parse(r#"{"a": [1.0, NaN, -Infinity], "b": "NaN"}"#).unwrap();
        assert!(changed);
        assert_eq!(v["a"][1], Value::Null);
        assert_eq!(v["a"][2], Value::Null);
        assert_eq!(v["b"], "NaN");
        assert!(parse("{bad").is_err());
    }
}
