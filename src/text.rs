//! The ground floor: small text helpers every layer uses (counts with the noun in the right
//! number, elided strings, the start of a body for messages, human sizes, base64), so that
//! `source/`, `predict/` and `input/` need not import each other for them.

/// Which front end this process is: messages that tell the user to change a setting name it
/// as that front end has it (`--timeout` on the command line, the backend settings in the
/// window).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrontEnd {
    /// The desktop window (the default).
    Window,
    /// A command-line subcommand.
    CommandLine,
}

static COMMAND_LINE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

impl FrontEnd {
    /// Records the front end of this process (the command line sets it at start).
    pub fn set(front: FrontEnd) {
        COMMAND_LINE.store(
            front == FrontEnd::CommandLine,
            std::sync::atomic::Ordering::Relaxed,
        );
    }

    /// The front end of this process.
    pub fn current() -> FrontEnd {
        if COMMAND_LINE.load(std::sync::atomic::Ordering::Relaxed) {
            FrontEnd::CommandLine
        } else {
            FrontEnd::Window
        }
    }

    /// `window` in the window, `command_line` on the command line.
    pub fn says(window: &'static str, command_line: &'static str) -> &'static str {
        match Self::current() {
            FrontEnd::Window => window,
            FrontEnd::CommandLine => command_line,
        }
    }
}

/// `text` with its first letter upper-case: a phrase made to follow other words, starting a
/// sentence.
pub fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `n` and the noun, singular for one and plural otherwise: `count(1, "row", "rows")` is
/// `"1 row"`, `count(0, "entry", "entries")` is `"0 entries"`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// A time span for people: `12 ms` under a second, `4.2 s` under a minute, `3 min 05 s`
/// after (never `0.0 s` for a run that took a few milliseconds).
pub fn duration(d: std::time::Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 1.0 {
        format!(
            "{} ms",
            (secs * 1e3).round().max(if secs > 0.0 { 1.0 } else { 0.0 })
        )
    } else if secs < 60.0 {
        format!("{secs:.1} s")
    } else {
        let whole = d.as_secs();
        format!("{} min {:02} s", whole / 60, whole % 60)
    }
}

/// A number for people, to 4 significant digits: `0.05868` for 0.05867624282836914, `12.5`,
/// `1.192e-7`; integers as they are. For differences and errors, where 17 digits say nothing.
pub fn short_number(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    if x == x.trunc() && x.abs() < 1e15 {
        return format!("{x:.0}");
    }
    let magnitude = x.abs().log10().floor();
    if !(-4.0..15.0).contains(&magnitude) {
        return format!("{x:.3e}");
    }
    let decimals = (3.0 - magnitude).max(0.0) as usize;
    let text = format!("{x:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
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

/// `s` safe to print on a terminal as one cell of a table: control characters (newlines,
/// escape sequences such as `\x1b[2J`, bidirectional overrides) written as escapes (`\n`,
/// `\x1b`, `\u{202e}`) instead of acted on. Text without them comes back as it is.
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    escape_controls(s, false)
}

/// As [`printable`], but keeps line breaks and tabs (for text of several lines, a doc
/// string).
pub fn printable_lines(s: &str) -> std::borrow::Cow<'_, str> {
    escape_controls(s, true)
}

fn escape_controls(s: &str, keep_lines: bool) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| {
        (c.is_control() && !(keep_lines && matches!(c, '\n' | '\t')))
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
    };
    if !s.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !unsafe_char(c) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A whole number with its thousands separated by commas: `thousands(62000000)` is
/// `"62,000,000"`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
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
    use super::{
        count, duration, elide_middle, printable, printable_lines, short_number, thousands,
    };
    use std::time::Duration;

    #[test]
    fn short_numbers_keep_four_significant_digits() {
        assert_eq!(short_number(0.05867624282836914), "0.05868");
        assert_eq!(short_number(12.5), "12.5");
        assert_eq!(short_number(3.0), "3");
        assert_eq!(short_number(0.5), "0.5");
        assert_eq!(short_number(1234.5678), "1235");
        assert_eq!(short_number(1.1920928955078125e-7), "1.192e-7");
        assert_eq!(short_number(-0.25), "-0.25");
    }

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(duration(Duration::from_millis(12)), "12 ms");
        assert_eq!(duration(Duration::from_micros(200)), "1 ms");
        assert_eq!(duration(Duration::ZERO), "0 ms");
        assert_eq!(duration(Duration::from_millis(4_250)), "4.2 s");
        assert_eq!(duration(Duration::from_secs(185)), "3 min 05 s");
    }

    #[test]
    fn control_characters_are_escaped_for_the_terminal() {
        assert_eq!(printable("cat"), "cat");
        assert_eq!(printable("a\nb\x1b[2Jc\td"), "a\\nb\\x1b[2Jc\\td");
        assert_eq!(printable("x\u{202e}y"), "x\\u{202e}y");
        assert_eq!(printable_lines("one\ntwo\x07"), "one\ntwo\\x07");
    }

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(62_000_000), "62,000,000");
    }

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
