//! Python's `json.loads` error for a body that is not JSON, as the scoring server reports it:
//! the same scan as Python's decoder, so the message names the same place
//! (`Expecting ',' delimiter: line 1 column 4 (char 3)`).

/// Python's `JSONDecodeError` message for `text`, or `None` when Python reads it (Python
/// accepts `NaN`, `Infinity` and `-Infinity`).
pub fn python_json_error(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut scanner = Scanner {
        chars: &chars,
        pos: 0,
    };
    let result = (|| {
        scanner.ws();
        scanner.value()?;
        scanner.ws();
        if scanner.pos < chars.len() {
            return Err(("Extra data", scanner.pos));
        }
        Ok(())
    })();
    result.err().map(|(what, pos)| {
        let line = chars[..pos.min(chars.len())]
            .iter()
            .filter(|c| **c == '\n')
            .count()
            + 1;
        let col = match chars[..pos.min(chars.len())]
            .iter()
            .rposition(|c| *c == '\n')
        {
            Some(nl) => pos - nl,
            None => pos + 1,
        };
        format!("{what}: line {line} column {col} (char {pos})")
    })
}

struct Scanner<'c> {
    chars: &'c [char],
    pos: usize,
}

type Scan = Result<(), (&'static str, usize)>;

impl Scanner<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t' | '\n' | '\r')) {
            self.pos += 1;
        }
    }

    fn literal(&mut self, word: &str) -> bool {
        let w: Vec<char> = word.chars().collect();
        if self.chars.get(self.pos..self.pos + w.len()) == Some(&w[..]) {
            self.pos += w.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self) -> Scan {
        let start = self.pos;
        match self.peek() {
            Some('"') => self.string(),
            Some('{') => self.object(),
            Some('[') => self.array(),
            Some('n') if self.literal("null") => Ok(()),
            Some('t') if self.literal("true") => Ok(()),
            Some('f') if self.literal("false") => Ok(()),
            Some('N') if self.literal("NaN") => Ok(()),
            Some('I') if self.literal("Infinity") => Ok(()),
            Some('-') if self.literal("-Infinity") => Ok(()),
            Some(c) if c == '-' || c.is_ascii_digit() => {
                if self.number() {
                    Ok(())
                } else {
                    Err(("Expecting value", start))
                }
            }
            _ => Err(("Expecting value", start)),
        }
    }

    /// `-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?`
    fn number(&mut self) -> bool {
        let digit = |c: Option<char>| c.is_some_and(|c| c.is_ascii_digit());
        let mut p = self.pos;
        if self.chars.get(p) == Some(&'-') {
            p += 1;
        }
        match self.chars.get(p) {
            Some('0') => p += 1,
            Some(c) if c.is_ascii_digit() => {
                while digit(self.chars.get(p).copied()) {
                    p += 1;
                }
            }
            _ => return false,
        }
        if self.chars.get(p) == Some(&'.') && digit(self.chars.get(p + 1).copied()) {
            p += 1;
            while digit(self.chars.get(p).copied()) {
                p += 1;
            }
        }
        if matches!(self.chars.get(p), Some('e' | 'E')) {
            let mut q = p + 1;
            if matches!(self.chars.get(q), Some('+' | '-')) {
                q += 1;
            }
            if digit(self.chars.get(q).copied()) {
                while digit(self.chars.get(q).copied()) {
                    q += 1;
                }
                p = q;
            }
        }
        self.pos = p;
        true
    }

    fn string(&mut self) -> Scan {
        let begin = self.pos;
        self.pos += 1;
        loop {
            match self.peek() {
                None => return Err(("Unterminated string starting at", begin)),
                Some('"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some('\\') => {
                    let esc = self.pos;
                    match self.chars.get(self.pos + 1) {
                        None => return Err(("Unterminated string starting at", begin)),
                        Some('"' | '\\' | '/' | 'b' | 'f' | 'n' | 'r' | 't') => self.pos += 2,
                        Some('u') => {
                            let hex = self.chars.get(self.pos + 2..self.pos + 6);
                            if hex.is_some_and(|h| h.iter().all(char::is_ascii_hexdigit)) {
                                self.pos += 6;
                            } else {
                                return Err(("Invalid \\uXXXX escape", esc + 1));
                            }
                        }
                        Some(_) => return Err(("Invalid \\escape", esc)),
                    }
                }
                Some(c) if (c as u32) < 0x20 => {
                    return Err(("Invalid control character at", self.pos));
                }
                Some(_) => self.pos += 1,
            }
        }
    }

    fn object(&mut self) -> Scan {
        self.pos += 1;
        self.ws();
        if self.peek() == Some('}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            if self.peek() != Some('"') {
                return Err((
                    "Expecting property name enclosed in double quotes",
                    self.pos,
                ));
            }
            self.string()?;
            self.ws();
            if self.peek() != Some(':') {
                return Err(("Expecting ':' delimiter", self.pos));
            }
            self.pos += 1;
            self.ws();
            self.value()?;
            self.ws();
            match self.peek() {
                Some('}') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(',') => {
                    self.pos += 1;
                    self.ws();
                }
                _ => return Err(("Expecting ',' delimiter", self.pos)),
            }
        }
    }

    fn array(&mut self) -> Scan {
        self.pos += 1;
        self.ws();
        if self.peek() == Some(']') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.value()?;
            self.ws();
            match self.peek() {
                Some(']') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(',') => {
                    self.pos += 1;
                    self.ws();
                }
                _ => return Err(("Expecting ',' delimiter", self.pos)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::python_json_error;

    #[test]
    fn messages_are_pythons() {
        let cases = [
            (
                "{not json",
                "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
            ),
            (
                "{\"a\": 1,}",
                "Expecting property name enclosed in double quotes: line 1 column 9 (char 8)",
            ),
            ("", "Expecting value: line 1 column 1 (char 0)"),
            (
                "{\"a\" 1}",
                "Expecting ':' delimiter: line 1 column 6 (char 5)",
            ),
            ("[1 2]", "Expecting ',' delimiter: line 1 column 4 (char 3)"),
            ("{\"a\": 1} x", "Extra data: line 1 column 10 (char 9)"),
            (
                "\"abc",
                "Unterminated string starting at: line 1 column 1 (char 0)",
            ),
            ("{\"a\": tru}", "Expecting value: line 1 column 7 (char 6)"),
            (
                "{\"a\": \"x\ty\"}",
                "Invalid control character at: line 1 column 9 (char 8)",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(python_json_error(text).as_deref(), Some(want), "{text}");
        }
        assert_eq!(
            python_json_error("[NaN, Infinity, -Infinity, 1e5, -0.5]"),
            None
        );
    }
}
