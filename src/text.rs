//! The ground floor: small text helpers every layer uses (counts with the noun in the right
//! number, elided strings, the start of a body for messages, human sizes, base64), so that
//! `source/`, `predict/` and `input/` need not import each other for them.

/// `n` and the noun, singular for one and plural otherwise: `count(1, "row", "rows")` is
/// `"1 row"`, `count(0, "entry", "entries")` is `"0 entries"`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// At most `max` characters of `s`, with an ellipsis when cut.
pub fn elide(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let cut: String = s.chars().take(max).collect();
        format!("{cut}…")
    }
}

/// At most `max` characters of `s` (at least 3), cut in the middle when longer: names that
/// differ at their ends (`class_name_024`, `class_name_025`) stay apart.
pub fn elide_middle(s: &str, max: usize) -> String {
    let n = s.chars().count();
    let max = max.max(3);
    if n <= max {
        return s.to_string();
    }
    let tail = (max - 1) / 2;
    let head = max - 1 - tail;
    let start: String = s.chars().take(head).collect();
    let end: String = s.chars().skip(n - tail).collect();
    format!("{start}…{end}")
}

/// The start of a body, for messages.
pub fn snippet(body: &str) -> String {
    let trimmed = body.trim();
    if trimmed.is_empty() {
        return "(empty body)".into();
    }
    elide(&trimmed.replace('\n', " "), 200)
}

/// Bytes as a short human-readable size, e.g. `12.3 KB`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Standard base64 (with padding), as MLflow sends binary values.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{count, elide_middle};

    #[test]
    fn a_long_name_keeps_its_start_and_its_end() {
        assert_eq!(
            elide_middle("a_rather_long_class_name_024", 13),
            "a_rath…me_024"
        );
        assert_eq!(elide_middle("short", 13), "short");
        assert_eq!(elide_middle("éèêëēėę", 5).chars().count(), 5);
    }

    #[test]
    fn one_is_singular_and_the_rest_plural() {
        assert_eq!(count(1, "column", "columns"), "1 column");
        assert_eq!(count(0, "column", "columns"), "0 columns");
        assert_eq!(count(4, "entry", "entries"), "4 entries");
    }
}
