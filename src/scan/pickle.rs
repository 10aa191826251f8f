//! A pickle read as Python's unpickler would read it, without running it: every opcode of
//! every protocol (0 to 5) is walked, the stack and the memo are followed just enough to name
//! what each `GLOBAL`, `INST` and `STACK_GLOBAL` imports (through memo gets, past decoy
//! strings) and whether the import is then called (`REDUCE`, `NEWOBJ`, `NEWOBJ_EX`, `OBJ`,
//! `INST`) or modified (`BUILD`). Pickles that follow one another in a file are each walked.
//! Payloads (bytes, long strings) are skipped over, not kept, so memory stays flat whatever the
//! file's size; caps on opcodes, memo and stack are named when hit.

use std::io::Read;

/// The most imports listed for one file (past it, the walk stops, incomplete): memo, stack
/// and imports together stay within a few hundred MB whatever the file holds.
pub const MAX_IMPORTS: usize = 100_000;
/// The most opcodes walked in one file.
pub const MAX_OPCODES: u64 = 200_000_000;
/// The most memo entries followed.
pub const MAX_MEMO: usize = 500_000;
/// The deepest stack followed.
pub const MAX_STACK: usize = 500_000;
/// The longest string kept as a possible module or attribute name (longer ones are walked
/// past as plain values).
const MAX_NAME: u64 = 256;
/// The longest text line a protocol-0 opcode may carry.
const MAX_LINE: usize = 64 * 1024;

/// How an import came about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportOp {
    /// `GLOBAL` (`c module\nname\n`).
    Global,
    /// `STACK_GLOBAL`, its two strings taken from the stack.
    StackGlobal,
    /// `INST` (`i module\nname\n`), which also calls it.
    Inst,
    /// `EXT1`/`EXT2`/`EXT4`: an entry of copyreg's extension registry, which names no module.
    Ext,
    /// A type or function a skops archive's schema.json names (skops builds it on load).
    Skops,
    /// A type `MLmodel`'s `skops_trusted_types` trusts that the schema does not name.
    SkopsTrusted,
    /// A layer or class a Keras archive's config.json names.
    Keras,
}

impl ImportOp {
    /// The opcode's name, as pickletools writes it.
    pub fn name(self) -> &'static str {
        match self {
            ImportOp::Global => "GLOBAL",
            ImportOp::StackGlobal => "STACK_GLOBAL",
            ImportOp::Inst => "INST",
            ImportOp::Ext => "EXT",
            ImportOp::Skops => "skops schema",
            ImportOp::SkopsTrusted => "skops_trusted_types",
            ImportOp::Keras => "Keras config",
        }
    }
}

/// One import found.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// The module (`os`), or a description when it is not a literal string.
    pub module: String,
    /// The attribute (`system`), dotted for a nested one.
    pub name: String,
    /// The opcode that imports it.
    pub op: ImportOp,
    /// The opcode's byte offset in the file (or the decompressed stream).
    pub offset: u64,
    /// Whether the module and name are literal strings of the pickle (not computed, not a
    /// missing memo entry): otherwise the import cannot be known without running it.
    pub literal: bool,
    /// Whether what it imports is called.
    pub called: bool,
    /// Whether what it imports is modified (`BUILD` on it).
    pub modified: bool,
}

/// What a walk found.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Walk {
    /// Every import, in the order met.
    pub imports: Vec<Found>,
    /// How many pickles were walked to their `STOP`.
    pub pickles: usize,
    /// The highest protocol seen (`PROTO`), 0 when none says.
    pub protocol: u8,
    /// Why the walk stopped before the end of the input, if it did (with the byte offset).
    pub problem: Option<String>,
    /// Bytes walked.
    pub bytes: u64,
    /// Whether the walk stopped at one of this scanner's limits or a read error, rather than
    /// where Python's unpickler would stop too (malformed input).
    pub limited: bool,
}

impl Walk {
    /// Whether every byte was walked: no problem, no cap hit.
    pub fn complete(&self) -> bool {
        self.problem.is_none()
    }

    /// Whether the input is a pickle at all: a walk that reached a `STOP`, met an import, or
    /// stopped at a limit of ours after a protocol marker. A walk that Python's unpickler would
    /// also give up on before any import (a storage of weights that happens to start like a
    /// pickle) is data: loading it runs nothing.
    pub fn is_pickle(&self) -> bool {
        self.pickles > 0 || !self.imports.is_empty() || (self.limited && self.protocol > 0)
    }
}

/// A value on the stack, as far as the scan follows it.
#[derive(Debug, Clone, PartialEq)]
enum Item {
    /// A short string (a candidate module or attribute name).
    Str(String),
    /// What import `k` produced.
    Global(usize),
    /// What calling import `k` produced.
    Made(usize),
    /// Anything else.
    Other,
}

/// A reader that counts its offset.
struct Input<R> {
    inner: R,
    offset: u64,
    /// The input's length when known (a file's; not a decompressed stream's).
    len: Option<u64>,
    /// Set when reading failed, or a line passed this scanner's limit.
    limited: bool,
}

impl<R: Read> Input<R> {
    fn byte(&mut self) -> Result<Option<u8>, String> {
        let mut b = [0u8; 1];
        match self.inner.read(&mut b) {
            Ok(0) => Ok(None),
            Ok(_) => {
                self.offset += 1;
                Ok(Some(b[0]))
            }
            Err(e) => {
                self.limited = true;
                Err(format!("cannot read at byte {}: {e}", self.offset))
            }
        }
    }

    fn exact(&mut self, buf: &mut [u8]) -> Result<(), String> {
        self.inner.read_exact(buf).map_err(|_| {
            format!(
                "the file ends inside an opcode's argument at byte {}",
                self.offset
            )
        })?;
        self.offset += buf.len() as u64;
        Ok(())
    }

    fn uint(&mut self, n: usize) -> Result<u64, String> {
        let mut buf = [0u8; 8];
        let slot = buf.get_mut(..n).ok_or("bad width")?;
        self.exact(slot)?;
        Ok(u64::from_le_bytes(buf))
    }

    /// Skips `n` bytes (read through, not kept), or reads them when short enough to be a name.
    fn payload(&mut self, n: u64) -> Result<Option<Vec<u8>>, String> {
        if self
            .len
            .is_some_and(|len| n > len.saturating_sub(self.offset))
        {
            return Err(format!(
                "an argument of {n} bytes at byte {} runs past the end of the file",
                self.offset
            ));
        }
        if n <= MAX_NAME {
            let mut buf = vec![0u8; n as usize];
            self.exact(&mut buf)?;
            return Ok(Some(buf));
        }
        let copied = match std::io::copy(&mut (&mut self.inner).take(n), &mut std::io::sink()) {
            Ok(c) => c,
            Err(e) => {
                self.limited = true;
                return Err(format!("cannot read at byte {}: {e}", self.offset));
            }
        };
        self.offset += copied;
        if copied < n {
            return Err(format!(
                "the input ends inside an argument of {n} bytes at byte {}",
                self.offset
            ));
        }
        Ok(None)
    }

    /// A text line (protocol 0's arguments), without its newline.
    fn line(&mut self) -> Result<Vec<u8>, String> {
        let start = self.offset;
        let mut out = Vec::new();
        loop {
            match self.byte()? {
                Some(b'\n') => return Ok(out),
                Some(b) => {
                    if out.len() >= MAX_LINE {
                        self.limited = true;
                        return Err(format!(
                            "a text argument at byte {start} is longer than {MAX_LINE} bytes"
                        ));
                    }
                    out.push(b);
                }
                None => {
                    return Err(format!(
                        "the file ends inside a text argument at byte {start}"
                    ));
                }
            }
        }
    }
}

/// A module or attribute name read from a protocol-0 line: printable text only.
fn name_line(bytes: Vec<u8>, at: u64) -> Result<String, String> {
    let text = String::from_utf8(bytes).map_err(|_| format!("a name at byte {at} is not text"))?;
    if !dotted_name(&text) {
        return Err(format!(
            "the import at byte {at} names {:?}, which Python cannot import (its unpickler stops there)",
            crate::text::elide(&text, 60)
        ));
    }
    Ok(text)
}

/// Whether `text` is a dotted Python name (`os.path`, `Tree.__reduce__`): what `find_class`
/// can import. Any other name makes Python's unpickler stop there with an error, before
/// anything after it runs, so the walk stops there too.
fn dotted_name(text: &str) -> bool {
    !text.is_empty()
        && text.split('.').all(|part| {
            let mut chars = part.chars();
            chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
                && chars.all(|c| c.is_alphanumeric() || c == '_')
        })
}

/// Python's `repr` of a string as protocol 0's `STRING` writes it: quoted, with escapes.
fn unquote(bytes: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(bytes).ok()?;
    let inner = text
        .strip_prefix('\'')
        .and_then(|t| t.strip_suffix('\''))
        .or_else(|| text.strip_prefix('"').and_then(|t| t.strip_suffix('"')))?;
    // Names never need escapes; a string with them is kept as what it says unescaped simply.
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                '\\' => out.push('\\'),
                '\'' => out.push('\''),
                '"' => out.push('"'),
                'x' => {
                    let hex: String = chars.by_ref().take(2).collect();
                    out.push(char::from(u8::from_str_radix(&hex, 16).ok()?));
                }
                other => {
                    out.push('\\');
                    out.push(other);
                }
            }
        } else {
            out.push(c);
        }
    }
    Some(out)
}

/// Python's `raw-unicode-escape` decoding, as protocol 0's `UNICODE` writes a string.
fn raw_unicode(bytes: &[u8]) -> Option<String> {
    let mut out = String::new();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'\\' && matches!(bytes.get(i + 1), Some(b'u' | b'U')) {
            let width = if bytes.get(i + 1) == Some(&b'u') {
                4
            } else {
                8
            };
            let hex = std::str::from_utf8(bytes.get(i + 2..i + 2 + width)?).ok()?;
            out.push(char::from_u32(u32::from_str_radix(hex, 16).ok()?)?);
            i += 2 + width;
        } else {
            out.push(char::from(b));
            i += 1;
        }
    }
    Some(out)
}

/// The state of one walk.
struct Walker {
    stack: Vec<Item>,
    /// Stacks saved under each mark.
    marks: Vec<Vec<Item>>,
    memo: std::collections::HashMap<u64, Item>,
    next_memo: u64,
    out: Walk,
}

impl Walker {
    fn push(&mut self, item: Item) -> Result<(), String> {
        if self.stack.len() >= MAX_STACK {
            self.out.limited = true;
            return Err(format!("the stack grows past {MAX_STACK} items"));
        }
        self.stack.push(item);
        Ok(())
    }

    fn pop(&mut self, at: u64) -> Result<Item, String> {
        self.stack
            .pop()
            .ok_or_else(|| format!("an opcode at byte {at} takes from an empty stack"))
    }

    /// Everything above the last mark, removing it.
    fn pop_mark(&mut self, at: u64) -> Result<Vec<Item>, String> {
        let saved = self
            .marks
            .pop()
            .ok_or_else(|| format!("an opcode at byte {at} needs a mark that is not there"))?;
        Ok(std::mem::replace(&mut self.stack, saved))
    }

    fn remember(&mut self, key: u64, at: u64) -> Result<(), String> {
        let top = self
            .stack
            .last()
            .cloned()
            .ok_or_else(|| format!("a memo put at byte {at} with an empty stack"))?;
        if self.memo.len() >= MAX_MEMO && !self.memo.contains_key(&key) {
            self.out.limited = true;
            return Err(format!("the memo grows past {MAX_MEMO} entries"));
        }
        self.memo.insert(key, top);
        Ok(())
    }

    fn recall(&mut self, key: u64) -> Result<(), String> {
        // A missing key is what Python refuses; the scan keeps going with an unknown value.
        let item = self.memo.get(&key).cloned().unwrap_or(Item::Other);
        self.push(item)
    }

    /// Marks what `item` is (an import, or what one made) as called or modified.
    fn touch(&mut self, item: &Item, call: bool) {
        let k = match item {
            Item::Global(k) | Item::Made(k) => *k,
            _ => return,
        };
        if let Some(f) = self.out.imports.get_mut(k) {
            if call && matches!(item, Item::Global(_)) {
                f.called = true;
            } else if !call {
                f.modified = true;
            }
        }
    }

    fn import(&mut self, found: Found) -> Result<(), String> {
        if self.out.imports.len() >= MAX_IMPORTS {
            self.out.limited = true;
            return Err(format!(
                "more than {MAX_IMPORTS} imports; the rest is not read"
            ));
        }
        let k = self.out.imports.len();
        self.out.imports.push(found);
        self.push(Item::Global(k))
    }

    /// A call of `callable`: marked called, its result pushed.
    fn call(&mut self, callable: &Item) -> Result<(), String> {
        self.touch(callable, true);
        let result = match callable {
            Item::Global(k) => Item::Made(*k),
            _ => Item::Other,
        };
        self.push(result)
    }
}

/// Walks `input` (`len` bytes when known) as one or more pickles.
pub fn walk<R: Read>(input: R, len: Option<u64>) -> Walk {
    let mut input = Input {
        inner: input,
        offset: 0,
        len,
        limited: false,
    };
    let mut w = Walker {
        stack: Vec::new(),
        marks: Vec::new(),
        memo: std::collections::HashMap::new(),
        next_memo: 0,
        out: Walk::default(),
    };
    let mut opcodes = 0u64;
    let result = loop {
        let at = input.offset;
        let op = match input.byte() {
            Ok(Some(op)) => op,
            Ok(None) => {
                // The end: fine between pickles, not inside one.
                if w.stack.is_empty() && w.marks.is_empty() && w.out.pickles > 0 {
                    break Ok(());
                }
                break Err(format!(
                    "the file ends at byte {at} before the pickle's STOP"
                ));
            }
            Err(e) => break Err(e),
        };
        opcodes += 1;
        if opcodes > MAX_OPCODES {
            break Err(format!(
                "more than {MAX_OPCODES} opcodes; the rest is not read"
            ));
        }
        if let Err(e) = step(&mut w, &mut input, op, at) {
            break Err(e);
        }
        if op == b'.' {
            w.out.pickles += 1;
            w.stack.clear();
            w.marks.clear();
            w.memo.clear();
            w.next_memo = 0;
            if len.is_some_and(|len| input.offset >= len) {
                break Ok(());
            }
        }
    };
    w.out.bytes = input.offset;
    w.out.limited |= input.limited;
    if let Err(e) = result {
        w.out.problem = Some(e);
    }
    w.out
}

/// One opcode: its argument read, its effect on the stack followed.
fn step<R: Read>(w: &mut Walker, input: &mut Input<R>, op: u8, at: u64) -> Result<(), String> {
    match op {
        // MARK
        b'(' => {
            let saved = std::mem::take(&mut w.stack);
            w.marks.push(saved);
        }
        // STOP
        b'.' => {
            w.pop(at)?;
        }
        // POP, POP_MARK, DUP
        b'0' => {
            w.pop(at)?;
        }
        b'1' => {
            w.pop_mark(at)?;
        }
        b'2' => {
            let top = w
                .stack
                .last()
                .cloned()
                .ok_or_else(|| format!("DUP at byte {at} with an empty stack"))?;
            w.push(top)?;
        }
        // Numbers: FLOAT, INT, LONG (text), BININT*, BINFLOAT, LONG1/4
        b'F' | b'I' | b'L' => {
            input.line()?;
            w.push(Item::Other)?;
        }
        b'J' => {
            input.uint(4)?;
            w.push(Item::Other)?;
        }
        b'K' => {
            input.uint(1)?;
            w.push(Item::Other)?;
        }
        b'M' => {
            input.uint(2)?;
            w.push(Item::Other)?;
        }
        b'G' => {
            input.uint(8)?;
            w.push(Item::Other)?;
        }
        0x8a => {
            let n = input.uint(1)?;
            input.payload(n)?;
            w.push(Item::Other)?;
        }
        0x8b => {
            let n = input.uint(4)?;
            input.payload(n)?;
            w.push(Item::Other)?;
        }
        // Strings: STRING (quoted), BINSTRING, SHORT_BINSTRING
        b'S' => {
            let line = input.line()?;
            let s = unquote(&line).ok_or_else(|| format!("a STRING at byte {at} is not quoted"))?;
            w.push(Item::Str(s))?;
        }
        b'T' | b'U' | b'X' | 0x8c | 0x8d => {
            let width = match op {
                b'U' | 0x8c => 1,
                b'T' | b'X' => 4,
                _ => 8,
            };
            let n = input.uint(width)?;
            let item = match input.payload(n)? {
                Some(bytes) => match op {
                    // BINSTRING and SHORT_BINSTRING are bytes Python 3 decodes as ASCII.
                    b'T' | b'U' => String::from_utf8(bytes).map_or(Item::Other, Item::Str),
                    _ => String::from_utf8(bytes)
                        .map(Item::Str)
                        .map_err(|_| format!("a string at byte {at} is not UTF-8"))?,
                },
                None => Item::Other,
            };
            w.push(item)?;
        }
        // UNICODE (raw-unicode-escape text)
        b'V' => {
            let line = input.line()?;
            w.push(raw_unicode(&line).map_or(Item::Other, Item::Str))?;
        }
        // Bytes: BINBYTES, SHORT_BINBYTES, BINBYTES8, BYTEARRAY8
        b'B' | b'C' | 0x8e | 0x96 => {
            let width = match op {
                b'C' => 1,
                b'B' => 4,
                _ => 8,
            };
            let n = input.uint(width)?;
            input.payload(n)?;
            w.push(Item::Other)?;
        }
        // NONE, NEWTRUE, NEWFALSE, EMPTY_LIST, EMPTY_TUPLE, EMPTY_DICT, EMPTY_SET, NEXT_BUFFER
        b'N' | 0x88 | 0x89 | b']' | b')' | b'}' | 0x8f | 0x97 => w.push(Item::Other)?,
        // READONLY_BUFFER
        0x98 => {
            if w.stack.is_empty() {
                return Err(format!("READONLY_BUFFER at byte {at} with an empty stack"));
            }
        }
        // APPEND, SETITEM: pop values into the container below.
        b'a' => {
            w.pop(at)?;
            if w.stack.is_empty() {
                return Err(format!("APPEND at byte {at} without a list"));
            }
        }
        b's' => {
            w.pop(at)?;
            w.pop(at)?;
            if w.stack.is_empty() {
                return Err(format!("SETITEM at byte {at} without a dict"));
            }
        }
        // APPENDS, SETITEMS, ADDITEMS: the items above the mark go into the container below.
        b'e' | b'u' | 0x90 => {
            w.pop_mark(at)?;
            if w.stack.is_empty() {
                return Err(format!("an opcode at byte {at} adds items to nothing"));
            }
        }
        // LIST, TUPLE, DICT, FROZENSET: the items above the mark become one.
        b'l' | b't' | b'd' | 0x91 => {
            w.pop_mark(at)?;
            w.push(Item::Other)?;
        }
        // TUPLE1, TUPLE2, TUPLE3
        0x85..=0x87 => {
            for _ in 0..(op - 0x84) {
                w.pop(at)?;
            }
            w.push(Item::Other)?;
        }
        // Memo: GET, BINGET, LONG_BINGET, PUT, BINPUT, LONG_BINPUT, MEMOIZE
        b'g' => {
            let line = input.line()?;
            let key = std::str::from_utf8(&line)
                .ok()
                .and_then(|t| t.trim().parse::<u64>().ok())
                .ok_or_else(|| format!("a GET at byte {at} has no number"))?;
            w.recall(key)?;
        }
        b'h' => {
            let key = input.uint(1)?;
            w.recall(key)?;
        }
        b'j' => {
            let key = input.uint(4)?;
            w.recall(key)?;
        }
        b'p' => {
            let line = input.line()?;
            let key = std::str::from_utf8(&line)
                .ok()
                .and_then(|t| t.trim().parse::<u64>().ok())
                .ok_or_else(|| format!("a PUT at byte {at} has no number"))?;
            w.remember(key, at)?;
        }
        b'q' => {
            let key = input.uint(1)?;
            w.remember(key, at)?;
        }
        b'r' => {
            let key = input.uint(4)?;
            w.remember(key, at)?;
        }
        0x94 => {
            let key = w.next_memo;
            w.next_memo += 1;
            w.remember(key, at)?;
        }
        // GLOBAL
        b'c' => {
            let module = name_line(input.line()?, at)?;
            let name = name_line(input.line()?, at)?;
            w.import(Found {
                module,
                name,
                op: ImportOp::Global,
                offset: at,
                literal: true,
                called: false,
                modified: false,
            })?;
        }
        // STACK_GLOBAL
        0x93 => {
            let name = w.pop(at)?;
            let module = w.pop(at)?;
            let text = |item: &Item| match item {
                Item::Str(s) => Some(s.clone()),
                _ => None,
            };
            let (m, n) = (text(&module), text(&name));
            if let Some(bad) = [&m, &n].into_iter().flatten().find(|t| !dotted_name(t)) {
                return Err(format!(
                    "the import at byte {at} names {:?}, which Python cannot import (its unpickler stops there)",
                    crate::text::elide(bad, 60)
                ));
            }
            let literal = m.is_some() && n.is_some();
            w.import(Found {
                module: m.unwrap_or_else(|| "(not a literal string)".into()),
                name: n.unwrap_or_else(|| "(not a literal string)".into()),
                op: ImportOp::StackGlobal,
                offset: at,
                literal,
                called: false,
                modified: false,
            })?;
        }
        // INST: import and call with the items above the mark.
        b'i' => {
            let module = name_line(input.line()?, at)?;
            let name = name_line(input.line()?, at)?;
            w.pop_mark(at)?;
            if w.out.imports.len() >= MAX_IMPORTS {
                w.out.limited = true;
                return Err(format!(
                    "more than {MAX_IMPORTS} imports; the rest is not read"
                ));
            }
            let k = w.out.imports.len();
            w.out.imports.push(Found {
                module,
                name,
                op: ImportOp::Inst,
                offset: at,
                literal: true,
                called: true,
                modified: false,
            });
            w.push(Item::Made(k))?;
        }
        // OBJ: the first item above the mark is called with the rest.
        b'o' => {
            let items = w.pop_mark(at)?;
            let callable = items
                .first()
                .cloned()
                .ok_or_else(|| format!("OBJ at byte {at} without a class"))?;
            w.call(&callable)?;
        }
        // REDUCE, NEWOBJ: pop the arguments and the callable.
        b'R' | 0x81 => {
            w.pop(at)?;
            let callable = w.pop(at)?;
            w.call(&callable)?;
        }
        // NEWOBJ_EX
        0x92 => {
            w.pop(at)?;
            w.pop(at)?;
            let callable = w.pop(at)?;
            w.call(&callable)?;
        }
        // BUILD: the state is applied to the object below it.
        b'b' => {
            w.pop(at)?;
            let target = w
                .stack
                .last()
                .cloned()
                .ok_or_else(|| format!("BUILD at byte {at} without an object"))?;
            w.touch(&target, false);
        }
        // EXT1, EXT2, EXT4: an object from copyreg's extension registry.
        0x82..=0x84 => {
            let width = match op {
                0x82 => 1,
                0x83 => 2,
                _ => 4,
            };
            let code = input.uint(width)?;
            w.import(Found {
                module: "(copyreg extension registry)".into(),
                name: format!("code {code}"),
                op: ImportOp::Ext,
                offset: at,
                literal: false,
                called: false,
                modified: false,
            })?;
        }
        // PERSID, BINPERSID: a persistent id (torch's storages), resolved by the loader.
        b'P' => {
            input.line()?;
            w.push(Item::Other)?;
        }
        b'Q' => {
            w.pop(at)?;
            w.push(Item::Other)?;
        }
        // PROTO
        0x80 => {
            let p = input.uint(1)?;
            if p > 5 {
                return Err(format!("protocol {p} at byte {at} is not one Python knows"));
            }
            w.out.protocol = w.out.protocol.max(p as u8);
        }
        // FRAME: a length only; the opcodes inside are walked as they come.
        0x95 => {
            input.uint(8)?;
        }
        other => {
            return Err(format!(
                "byte {at} holds 0x{other:02x}, which is no pickle opcode"
            ));
        }
    }
    Ok(())
}

/// Walks bytes in memory (tests, small members).
pub fn walk_bytes(bytes: &[u8]) -> Walk {
    walk(bytes, Some(bytes.len() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(w: &Walk) -> Vec<String> {
        w.imports
            .iter()
            .map(|f| format!("{}.{}", f.module, f.name))
            .collect()
    }

    #[test]
    fn protocol_0_global_and_reduce() {
        // cos\nsystem\n(S'echo hi'\ntR.
        let w = walk_bytes(b"cos\nsystem\n(S'echo hi'\ntR.");
        assert!(w.complete(), "{:?}", w.problem);
        assert_eq!(names(&w), ["os.system"]);
        assert!(w.imports[0].called);
        assert_eq!(w.pickles, 1);
    }

    #[test]
    fn stack_global_through_the_memo_past_decoys() {
        // PROTO 4; push "os", memoize; push decoy "builtins"; push "system"; pop the decoy's
        // place by getting memo 0 back: STACK_GLOBAL sees "os", "system".
        let mut p = vec![0x80, 4];
        p.extend([0x8c, 2]);
        p.extend(b"os");
        p.push(0x94); // memo 0 = "os"
        p.push(b'0'); // pop it
        p.extend([0x8c, 8]);
        p.extend(b"builtins");
        p.push(b'0'); // a decoy, popped
        p.extend([b'h', 0]); // get memo 0: "os"
        p.extend([0x8c, 6]);
        p.extend(b"system");
        p.push(0x93);
        p.extend([0x8c, 2]);
        p.extend(b"id");
        p.push(0x85);
        p.push(b'R');
        p.push(b'.');
        let w = walk_bytes(&p);
        assert!(w.complete(), "{:?}", w.problem);
        assert_eq!(names(&w), ["os.system"]);
        assert!(w.imports[0].literal && w.imports[0].called);
        assert_eq!(w.protocol, 4);
    }

    #[test]
    fn a_missing_memo_key_is_not_a_literal_name() {
        let mut p = vec![0x80, 4];
        p.extend([b'h', 7]); // memo 7 was never put
        p.extend([0x8c, 6]);
        p.extend(b"system");
        p.push(0x93);
        p.push(b'.');
        let w = walk_bytes(&p);
        assert_eq!(w.imports.len(), 1);
        assert!(!w.imports[0].literal);
    }

    #[test]
    fn a_second_pickle_after_stop_is_walked() {
        let mut p = b"N.".to_vec();
        p.extend(b"cposix\nsystem\n(S'id'\ntR.");
        let w = walk_bytes(&p);
        assert!(w.complete(), "{:?}", w.problem);
        assert_eq!(w.pickles, 2);
        assert_eq!(names(&w), ["posix.system"]);
    }

    #[test]
    fn build_on_an_import_marks_it_modified() {
        // numpy.__builtins__ then BUILD with a dict state.
        let w = walk_bytes(b"cnumpy\n__builtins__\n}b.");
        assert!(w.complete(), "{:?}", w.problem);
        assert!(w.imports[0].modified);
    }

    #[test]
    fn protocol_0_string_operands_feed_stack_global() {
        let w = walk_bytes(b"\x80\x04S'os'\nS'system'\n\x93.");
        assert!(w.complete(), "{:?}", w.problem);
        assert_eq!(names(&w), ["os.system"]);
        assert!(w.imports[0].literal);
    }

    #[test]
    fn garbage_and_truncation_are_named_with_their_offset() {
        let w = walk_bytes(b"\x00\x01\x02");
        assert!(!w.is_pickle());
        assert!(w.problem.unwrap().contains("byte 0"));
        let w = walk_bytes(b"\x80\x04cos\nsystem\n");
        assert!(w.is_pickle(), "an import met");
        assert!(!w.complete());
        // A protocol marker and then what Python refuses: data, nothing would run.
        let w = walk_bytes(b"\x80\x02\x00\x01");
        assert!(!w.is_pickle());
        let w = walk_bytes(b"\x80\x04\x8e\xff\xff\xff\xff\xff\xff\xff\x7f");
        assert!(w.problem.unwrap().contains("runs past the end"));
    }

    #[test]
    fn text_that_starts_like_a_global_is_not_a_pickle() {
        let w = walk_bytes(b"channels:\n- conda-forge\ndependencies:\n");
        assert!(!w.is_pickle(), "{w:?}");
        assert!(w.problem.unwrap().contains("cannot import"));
    }

    #[test]
    fn imports_past_the_cap_stop_the_walk_incomplete() {
        let mut p = b"\x80\x04".to_vec();
        for _ in 0..=MAX_IMPORTS {
            p.extend(b"cos\nsystem\n0");
        }
        p.push(b'N');
        p.push(b'.');
        let w = walk_bytes(&p);
        assert_eq!(w.imports.len(), MAX_IMPORTS);
        assert!(w.limited && !w.complete(), "{:?}", w.problem);
    }

    #[test]
    fn inst_and_obj_call_what_they_import() {
        let w = walk_bytes(b"(S'id'\nios\nsystem\n.");
        assert!(w.complete(), "{:?}", w.problem);
        assert_eq!(w.imports[0].op, ImportOp::Inst);
        assert!(w.imports[0].called);
        let w = walk_bytes(b"(cos\nsystem\nS'id'\no.");
        assert!(w.complete(), "{:?}", w.problem);
        assert!(w.imports[0].called);
    }
}
