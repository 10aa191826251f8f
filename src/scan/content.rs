//! A file recognised by its content and read as its loader would read it: containers opened
//! (zip archives as PyTorch reads them, relaxed: no CRC, flag or name checks; gzip, bz2 and xz
//! streams decompressed on the fly), pickles walked, everything else named text or data.
//! Each member of a container becomes its own entry, named `outer:inner`. Decompressed sizes,
//! member counts and nesting are capped, and a cap hit leaves the entry incomplete.

use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};

use super::{Import, ScannedFile, Verdict, pickle, rules};

/// The most bytes one compressed stream or zip member is decompressed to.
pub const MAX_DECOMPRESSED: u64 = 4 << 30;
/// The most members of one zip archive read.
pub const MAX_MEMBERS: usize = 100_000;
/// The deepest nesting of containers opened (a zip in a gzip in a zip…).
pub const MAX_DEPTH: usize = 4;
/// The largest central directory read.
const MAX_DIRECTORY: u64 = 64 << 20;
/// The largest nested zip read into memory to be opened.
const MAX_NESTED_ZIP: u64 = 256 << 20;

/// What the scan of one folder needs to judge imports.
pub struct Context<'a> {
    /// The model's own code modules (under `code/`).
    pub own: &'a [String],
    /// Packages `requirements.txt` names, normalised.
    pub pinned: &'a [String],
    /// `skops_trusted_types` of `MLmodel`'s sklearn flavor: what MLflow hands to
    /// `skops.io.load(trusted=...)`.
    pub skops_trusted: &'a [String],
}

/// A reader that fails past [`MAX_DECOMPRESSED`] bytes, naming the limit.
struct Capped<R> {
    inner: R,
    read: u64,
    what: &'static str,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.read >= MAX_DECOMPRESSED {
            return Err(std::io::Error::other(format!(
                "{} past {} bytes, this scanner's limit",
                self.what, MAX_DECOMPRESSED
            )));
        }
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

fn capped<R: Read>(inner: R, what: &'static str) -> BufReader<Capped<R>> {
    BufReader::with_capacity(
        64 * 1024,
        Capped {
            inner,
            read: 0,
            what,
        },
    )
}

/// A reader fed by a thread that decompresses xz into it (lzma-rs writes; the walk reads).
struct Pipe {
    chunks: std::sync::mpsc::Receiver<Result<Vec<u8>, String>>,
    current: Vec<u8>,
    at: usize,
}

impl Read for Pipe {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at >= self.current.len() {
            match self.chunks.recv() {
                Ok(Ok(chunk)) => {
                    self.current = chunk;
                    self.at = 0;
                }
                Ok(Err(e)) => return Err(std::io::Error::other(e)),
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len() - self.at);
        buf[..n].copy_from_slice(&self.current[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// The writing end of a [`Pipe`]: stops (an error) once the reader is gone.
struct PipeWriter(std::sync::mpsc::SyncSender<Result<Vec<u8>, String>>);

impl std::io::Write for PipeWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .send(Ok(buf.to_vec()))
            .map_err(|_| std::io::Error::other("the reader stopped"))?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Decompresses xz from `input` on a thread, handing the bytes over as they come.
fn xz_stream<R: Read + Send + 'static>(input: R) -> Pipe {
    let (tx, rx) = std::sync::mpsc::sync_channel(4);
    std::thread::spawn(move || {
        let mut input = BufReader::new(input);
        let mut out = PipeWriter(tx.clone());
        if let Err(e) = lzma_rs::xz_decompress(&mut input, &mut out) {
            let _ = tx.send(Err(format!("not valid xz: {e}")));
        }
    });
    Pipe {
        chunks: rx,
        current: Vec::new(),
        at: 0,
    }
}

/// What the first bytes say a stream is.
enum Kind {
    Zip,
    Gzip,
    Bz2,
    Xz,
    SevenZip,
    Hdf5,
    Native(&'static str),
    Other,
}

fn kind_of(head: &[u8]) -> Kind {
    match head {
        [b'P', b'K', 3, 4, ..] | [b'P', b'K', 5, 6, ..] => Kind::Zip,
        [0x1f, 0x8b, ..] => Kind::Gzip,
        [b'B', b'Z', b'h', ..] => Kind::Bz2,
        [0xfd, b'7', b'z', b'X', b'Z', 0, ..] => Kind::Xz,
        [b'7', b'z', 0xbc, 0xaf, 0x27, 0x1c, ..] => Kind::SevenZip,
        [0x89, b'H', b'D', b'F', b'\r', b'\n', 0x1a, b'\n', ..] => Kind::Hdf5,
        [0x7f, b'E', b'L', b'F', ..] => Kind::Native("native library (ELF)"),
        [b'M', b'Z', ..] => Kind::Native("native program or library (PE)"),
        [0xcf, 0xfa, 0xed, 0xfe, ..] | [0xfe, 0xed, 0xfa, 0xcf, ..] => {
            Kind::Native("native library (Mach-O)")
        }
        _ => Kind::Other,
    }
}

fn unread(path: &str, format: &str, problem: String) -> ScannedFile {
    ScannedFile {
        path: path.to_string(),
        format: format.to_string(),
        complete: false,
        problem: Some(problem),
        imports: Vec::new(),
        verdict: Verdict::Unknown,
    }
}

/// The first bytes of a buffered stream, without taking them.
fn peek<R: BufRead>(reader: &mut R) -> std::io::Result<Vec<u8>> {
    let buf = reader.fill_buf()?;
    Ok(buf.iter().take(4096).copied().collect())
}

/// Scans a plain file of the folder (`path` on disk, `label` its relative path).
pub fn scan_file(ctx: &Context<'_>, label: &str, path: &std::path::Path) -> Vec<ScannedFile> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => return vec![unread(label, "unreadable", format!("{label}: {e}"))],
    };
    let len = file.metadata().map(|m| m.len()).ok();
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    let head = match peek(&mut reader) {
        Ok(h) => h,
        Err(e) => return vec![unread(label, "unreadable", format!("{label}: {e}"))],
    };
    if matches!(kind_of(&head), Kind::Zip) {
        return scan_zip(
            ctx,
            label,
            &ZipSource::File(path.to_path_buf()),
            len.unwrap_or(0),
            0,
        );
    }
    scan_stream(ctx, label, Box::new(reader), len, 0)
}

/// Scans bytes in memory as a file of the folder (the fuzz target's way in).
pub fn scan_bytes(ctx: &Context<'_>, label: &str, bytes: Vec<u8>) -> Vec<ScannedFile> {
    let len = bytes.len() as u64;
    if matches!(kind_of(&bytes), Kind::Zip) {
        return scan_zip(ctx, label, &ZipSource::Memory(bytes.into()), len, 0);
    }
    scan_stream(
        ctx,
        label,
        Box::new(std::io::Cursor::new(bytes)),
        Some(len),
        0,
    )
}

/// A stream read once, boxed: each container wraps it in its decoder.
type Stream = Box<dyn BufRead + Send>;

/// Scans a stream (a file, a decompressed stream, a zip member) by its content.
fn scan_stream(
    ctx: &Context<'_>,
    label: &str,
    mut reader: Stream,
    len: Option<u64>,
    depth: usize,
) -> Vec<ScannedFile> {
    let head = match peek(&mut reader) {
        Ok(h) => h,
        Err(e) => return vec![unread(label, "unreadable", format!("{label}: {e}"))],
    };
    let deeper = |what: &str| {
        vec![unread(
            label,
            what,
            format!("{label}: containers nested deeper than {MAX_DEPTH} are not opened"),
        )]
    };
    let compressed = |mut inner: Vec<ScannedFile>, how: &str| {
        // One file: the inner content's entry, its format saying how it was compressed.
        if let Some(first) = inner.first_mut()
            && first.path == label
        {
            first.format = format!("{}, {how}", first.format);
        }
        inner
    };
    match kind_of(&head) {
        Kind::Zip => {
            if depth >= MAX_DEPTH {
                return deeper("zip archive");
            }
            // A zip inside a stream is read into memory to be opened (within a cap).
            let mut bytes = Vec::new();
            match reader.take(MAX_NESTED_ZIP + 1).read_to_end(&mut bytes) {
                Ok(n) if n as u64 > MAX_NESTED_ZIP => vec![unread(
                    label,
                    "zip archive",
                    format!(
                        "{label}: a nested zip archive larger than {MAX_NESTED_ZIP} bytes is not opened"
                    ),
                )],
                Ok(_) => {
                    let n = bytes.len() as u64;
                    scan_zip(ctx, label, &ZipSource::Memory(bytes.into()), n, depth + 1)
                }
                Err(e) => vec![unread(label, "zip archive", format!("{label}: {e}"))],
            }
        }
        Kind::Gzip if depth < MAX_DEPTH => compressed(
            scan_stream(
                ctx,
                label,
                Box::new(capped(
                    flate2::read::MultiGzDecoder::new(reader),
                    "gzip stream",
                )),
                None,
                depth + 1,
            ),
            "gzip-compressed",
        ),
        Kind::Bz2 if depth < MAX_DEPTH => compressed(
            scan_stream(
                ctx,
                label,
                Box::new(capped(bzip2_rs::DecoderReader::new(reader), "bz2 stream")),
                None,
                depth + 1,
            ),
            "bz2-compressed",
        ),
        Kind::Xz if depth < MAX_DEPTH => compressed(
            scan_stream(
                ctx,
                label,
                Box::new(capped(xz_stream(reader), "xz stream")),
                None,
                depth + 1,
            ),
            "xz-compressed",
        ),
        Kind::Gzip | Kind::Bz2 | Kind::Xz => deeper("compressed"),
        Kind::SevenZip => vec![unread(
            label,
            "7z archive",
            format!(
                "{label}: a 7z archive, which this scanner does not open; what it holds is not known"
            ),
        )],
        Kind::Hdf5 => vec![unread(
            label,
            "HDF5 file",
            format!(
                "{label}: an HDF5 file (a Keras .h5 model's config can name Lambda layers and modules, and .h5 loads ignore safe_mode, CVE-2025-9905); this scanner does not read HDF5"
            ),
        )],
        Kind::Native(what) => vec![unread(
            label,
            what,
            format!("{label}: a {what}: machine code that a loader may load and run"),
        )],
        Kind::Other => vec![walk_stream(ctx, label, reader, len, &head)],
    }
}

/// Walks a stream as a pickle; text or data when it is none.
fn walk_stream<R: Read>(
    ctx: &Context<'_>,
    label: &str,
    reader: R,
    len: Option<u64>,
    head: &[u8],
) -> ScannedFile {
    let walk = pickle::walk(reader, len);
    if !walk.is_pickle() {
        if walk.limited {
            // Stopped by a read error or a limit before it could say: not known.
            return unread(
                label,
                "unreadable",
                format!(
                    "{label}: {}",
                    walk.problem.unwrap_or_else(|| "not read to its end".into())
                ),
            );
        }
        let text = is_mostly_text(head)
            && !head
                .iter()
                .any(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c));
        return ScannedFile {
            path: label.to_string(),
            format: if text { "text" } else { "data" }.to_string(),
            complete: true,
            problem: None,
            imports: Vec::new(),
            verdict: Verdict::Safe,
        };
    }
    let imports: Vec<Import> = walk.imports.iter().map(|f| judged(ctx, f)).collect();
    let complete = walk.complete();
    let worst = imports
        .iter()
        .map(|i| i.verdict)
        .max()
        .unwrap_or(Verdict::Safe);
    let verdict = if complete {
        worst
    } else {
        worst.max(Verdict::Unknown)
    };
    let pickles = if walk.pickles > 1 {
        format!(", {} pickles", walk.pickles)
    } else {
        String::new()
    };
    ScannedFile {
        path: label.to_string(),
        format: format!("pickle (protocol {}{pickles})", walk.protocol),
        complete,
        problem: walk.problem.map(|p| format!("{label}: {p}")),
        imports,
        verdict,
    }
}

/// One import, judged, with its package.
fn judged(ctx: &Context<'_>, f: &pickle::Found) -> Import {
    let (verdict, mut rule) = rules::judge(&f.module, &f.name, f.literal);
    let top = f.module.split('.').next().unwrap_or("");
    let mut package = None;
    let mut is_pinned = None;
    if verdict == Verdict::Unknown {
        if ctx.own.iter().any(|m| m == top) {
            package = Some("the model's own code".to_string());
            rule = format!("the model's own code (code/{top})");
        } else {
            let p = rules::package_of(&f.module);
            if p != "the standard library" {
                is_pinned = Some(ctx.pinned.contains(&super::normalise(&p)));
            }
            package = Some(p);
        }
    }
    Import {
        module: f.module.clone(),
        name: f.name.clone(),
        opcode: f.op.name(),
        offset: f.offset,
        called: f.called,
        modified: f.modified,
        verdict,
        rule,
        package,
        pinned: is_pinned,
        trusted: false,
    }
}

/// Whether a cut-off head of bytes reads as text (a UTF-8 character split at the cut).
fn is_mostly_text(bytes: &[u8]) -> bool {
    match std::str::from_utf8(bytes) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && e.valid_up_to() + 4 >= bytes.len(),
    }
}

/// Something that reads and seeks, and can be sent to a thread.
trait ReadSeek: Read + Seek + Send {}
impl<T: Read + Seek + Send> ReadSeek for T {}

/// Where a zip archive's bytes are: a file of the folder (opened again for each member, so a
/// member is read lazily, only as far as its walk goes), or a nested archive in memory.
enum ZipSource {
    File(std::path::PathBuf),
    Memory(std::sync::Arc<[u8]>),
}

impl ZipSource {
    fn open(&self) -> std::io::Result<Box<dyn ReadSeek>> {
        Ok(match self {
            ZipSource::File(p) => Box::new(std::fs::File::open(p)?),
            ZipSource::Memory(b) => Box::new(std::io::Cursor::new(b.clone())),
        })
    }
}

/// A member of a zip archive, from its central directory.
#[derive(Debug, Clone)]
struct Member {
    name: String,
    method: u16,
    compressed: u64,
    local: u64,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// The members a zip's central directory lists (zip64 included), read relaxed.
fn members<R: Read + Seek>(r: &mut R, len: u64) -> Result<Vec<Member>, String> {
    let tail_len = len.min(65_557);
    let mut tail = vec![0u8; tail_len as usize];
    r.seek(SeekFrom::Start(len - tail_len))
        .and_then(|_| r.read_exact(&mut tail))
        .map_err(|e| format!("cannot read its end: {e}"))?;
    let eocd = (0..tail.len().saturating_sub(21))
        .rev()
        .find(|&i| tail.get(i..i + 4) == Some(&[0x50, 0x4b, 0x05, 0x06]))
        .ok_or("no end of central directory: not a complete zip archive")?;
    let eocd_at = len - tail_len + eocd as u64;
    let mut count = u64::from(u16_at(&tail, eocd + 10).ok_or("a short end record")?);
    let mut size = u64::from(u32_at(&tail, eocd + 12).ok_or("a short end record")?);
    let mut offset = u64::from(u32_at(&tail, eocd + 16).ok_or("a short end record")?);
    if count == 0xffff || size == 0xffff_ffff || offset == 0xffff_ffff {
        // zip64: the locator just before the end record points at the zip64 end record.
        let loc = eocd
            .checked_sub(20)
            .filter(|&l| tail.get(l..l + 4) == Some(&[0x50, 0x4b, 0x06, 0x07]))
            .ok_or("a zip64 archive without its locator")?;
        let at = u64_at(&tail, loc + 8).ok_or("a short zip64 locator")?;
        let mut rec = [0u8; 56];
        r.seek(SeekFrom::Start(at))
            .and_then(|_| r.read_exact(&mut rec))
            .map_err(|e| format!("cannot read its zip64 end record: {e}"))?;
        count = u64_at(&rec, 32).ok_or("a short zip64 end record")?;
        size = u64_at(&rec, 40).ok_or("a short zip64 end record")?;
        offset = u64_at(&rec, 48).ok_or("a short zip64 end record")?;
    }
    if size > MAX_DIRECTORY || offset.saturating_add(size) > eocd_at.max(offset) + 56 + size {
        return Err(format!(
            "its central directory ({size} bytes at byte {offset}) is larger than this scanner reads ({MAX_DIRECTORY}) or outside the file"
        ));
    }
    let mut dir = vec![0u8; size as usize];
    r.seek(SeekFrom::Start(offset))
        .and_then(|_| r.read_exact(&mut dir))
        .map_err(|e| format!("cannot read its central directory: {e}"))?;
    let mut out = Vec::new();
    let mut at = 0usize;
    while (out.len() as u64) < count {
        if out.len() >= MAX_MEMBERS {
            return Err(format!(
                "more than {MAX_MEMBERS} members; the rest is not read"
            ));
        }
        if dir.get(at..at + 4) != Some(&[0x50, 0x4b, 0x01, 0x02]) {
            return Err(format!(
                "a broken central directory entry at byte {}",
                offset + at as u64
            ));
        }
        let field = |o: usize| u16_at(&dir, at + o).ok_or("a short central directory entry");
        let method = field(10)?;
        let mut compressed = u64::from(u32_at(&dir, at + 20).ok_or("a short entry")?);
        let uncompressed = u32_at(&dir, at + 24).ok_or("a short entry")?;
        let (n, e, c) = (
            field(28)? as usize,
            field(30)? as usize,
            field(32)? as usize,
        );
        let mut local = u64::from(u32_at(&dir, at + 42).ok_or("a short entry")?);
        let name_bytes = dir.get(at + 46..at + 46 + n).ok_or("a short entry name")?;
        let name = String::from_utf8_lossy(name_bytes).into_owned();
        // zip64 extra field: the 64-bit values, in order, for those that overflowed.
        let extra = dir.get(at + 46 + n..at + 46 + n + e).unwrap_or(&[]);
        let mut i = 0;
        while i + 4 <= extra.len() {
            let id = u16_at(extra, i).unwrap_or(0);
            let l = u16_at(extra, i + 2).unwrap_or(0) as usize;
            if id == 1 {
                let mut p = i + 4;
                if uncompressed == 0xffff_ffff {
                    p += 8;
                }
                if compressed == 0xffff_ffff {
                    compressed = u64_at(extra, p).unwrap_or(compressed);
                    p += 8;
                }
                if local == 0xffff_ffff {
                    local = u64_at(extra, p).unwrap_or(local);
                }
            }
            i += 4 + l;
        }
        out.push(Member {
            name,
            method,
            compressed,
            local,
        });
        at += 46 + n + e + c;
    }
    Ok(out)
}

/// Scans a zip archive: each member by its content (`label:member`), read as PyTorch reads
/// them (the central directory's sizes, no CRC or flag checks), then an entry for the archive
/// itself with the worst of its members.
fn scan_zip(
    ctx: &Context<'_>,
    label: &str,
    source: &ZipSource,
    len: u64,
    depth: usize,
) -> Vec<ScannedFile> {
    let list = match source
        .open()
        .map_err(|e| e.to_string())
        .and_then(|mut r| members(&mut r, len))
    {
        Ok(m) => m,
        Err(e) => return vec![unread(label, "zip archive", format!("{label}: {e}"))],
    };
    let names: Vec<&str> = list.iter().map(|m| m.name.as_str()).collect();
    // Archives whose loaders read more than pickles: named so, and left incomplete until
    // their own formats are read (issue 41's next slice).
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for m in &list {
        if m.name.ends_with('/') {
            continue;
        }
        let member_label = format!("{label}:{}", m.name);
        match open_member(source, m) {
            Ok(reader) => {
                out.extend(scan_member(ctx, &member_label, reader, m, depth));
            }
            Err(e) => {
                problems.push(format!("{}: {e}", m.name));
                out.push(unread(
                    &member_label,
                    "zip member",
                    format!("{member_label}: {e}"),
                ));
            }
        }
    }
    // A skops archive: the types its schema.json names, and those MLmodel trusts.
    let skops = list
        .iter()
        .find(|m| m.name == "schema.json")
        .map(|m| skops_schema(ctx, label, source, m));
    let is_skops = skops.is_some();
    if let Some(entry) = skops {
        out.push(entry);
    }
    // A Keras archive: its config.json's layers.
    let keras = (!is_skops
        && names
            .iter()
            .any(|n| n.ends_with(".weights.h5") || *n == "metadata.json"))
    .then(|| list.iter().find(|m| m.name == "config.json"))
    .flatten()
    .map(|m| keras_config(ctx, label, source, m));
    let is_keras = keras.is_some();
    if let Some(entry) = keras {
        out.push(entry);
        // Keras reads only arrays from the archive's HDF5 weights (the config is config.json).
        for f in out.iter_mut().filter(|f| f.format == "HDF5 file") {
            f.format = "HDF5 weights (Keras reads only arrays from them)".into();
            f.complete = true;
            f.problem = None;
            f.verdict = Verdict::Safe;
        }
    }
    let complete = out.iter().all(|f| f.complete);
    let mut verdict = out.iter().map(|f| f.verdict).max().unwrap_or(Verdict::Safe);
    if !complete {
        verdict = verdict.max(Verdict::Unknown);
    }
    let problem = (!complete).then(|| format!("{label}: some members were not read to their end"));
    let mut all = vec![ScannedFile {
        path: label.to_string(),
        format: format!(
            "{} ({})",
            if is_skops {
                "skops archive"
            } else if is_keras {
                "Keras archive"
            } else {
                "zip archive"
            },
            crate::text::count(list.len(), "member", "members")
        ),
        complete,
        problem,
        imports: Vec::new(),
        verdict,
    }];
    all.extend(out);
    all
}

/// The largest schema.json read.
const MAX_SCHEMA: u64 = 16 << 20;

/// A JSON member of an archive (skops' schema.json, Keras' config.json), within a cap.
fn member_json(source: &ZipSource, m: &Member) -> Result<serde_json::Value, String> {
    let r = open_member(source, m)?;
    let mut bytes = Vec::new();
    let decoded: Box<dyn Read> = match m.method {
        8 => Box::new(flate2::read::DeflateDecoder::new(r)),
        _ => Box::new(r),
    };
    decoded
        .take(MAX_SCHEMA + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read it: {e}"))?;
    if bytes.len() as u64 > MAX_SCHEMA {
        return Err(format!(
            "larger than {MAX_SCHEMA} bytes, more than this scanner reads"
        ));
    }
    serde_json::from_slice(&bytes).map_err(|e| format!("not JSON: {e}"))
}

/// A Keras archive's `config.json`: Lambda layers (Keras runs their function), marshalled
/// functions, and every class whose `module` is outside keras and tensorflow (or a custom
/// object's registered package), each judged.
fn keras_config(ctx: &Context<'_>, label: &str, source: &ZipSource, m: &Member) -> ScannedFile {
    let member_label = format!("{label}:config.json (layers)");
    let config = match member_json(source, m) {
        Ok(v) => v,
        Err(e) => {
            return unread(
                &member_label,
                "Keras config",
                format!("{member_label}: {e}"),
            );
        }
    };
    let mut imports: Vec<Import> = Vec::new();
    let mut met = std::collections::HashSet::new();
    let mut add = |module: &str, name: &str, rule: Option<&str>| {
        if !met.insert((module.to_string(), name.to_string())) {
            return;
        }
        let found = pickle::Found {
            module: module.to_string(),
            name: name.to_string(),
            op: pickle::ImportOp::Keras,
            offset: 0,
            literal: true,
            called: true,
            modified: false,
        };
        let mut import = judged(ctx, &found);
        if let Some(rule) = rule {
            import.verdict = Verdict::Dangerous;
            import.rule = rule.to_string();
            import.package = None;
            import.pinned = None;
        }
        imports.push(import);
    };
    let mut todo = vec![&config];
    while let Some(v) = todo.pop() {
        match v {
            serde_json::Value::Object(map) => {
                let class = map.get("class_name").and_then(|v| v.as_str());
                let module = map.get("module").and_then(|v| v.as_str());
                if class == Some("Lambda") {
                    add(
                        module.unwrap_or("keras.layers"),
                        "Lambda",
                        Some(
                            "a Lambda layer: Keras runs its function when the model loads (CVE-2025-1550; safe_mode is no guard for .h5, CVE-2025-9905)",
                        ),
                    );
                }
                if class == Some("__lambda__") || map.contains_key("code") && class.is_none() {
                    add(
                        "(marshalled Python bytecode)",
                        "__lambda__",
                        Some("marshalled Python bytecode: Keras rebuilds and runs the function"),
                    );
                }
                if let (Some(class), Some(module)) = (class, module)
                    && !(module == "keras"
                        || module.starts_with("keras.")
                        || module == "tensorflow"
                        || module.starts_with("tensorflow."))
                {
                    add(module, class, None);
                }
                if module.is_none()
                    && let Some((package, name)) = map
                        .get("registered_name")
                        .and_then(|v| v.as_str())
                        .and_then(|r| r.split_once('>'))
                {
                    add(package, name, None);
                }
                todo.extend(map.values());
            }
            serde_json::Value::Array(items) => todo.extend(items),
            _ => {}
        }
    }
    let verdict = imports
        .iter()
        .map(|i| i.verdict)
        .max()
        .unwrap_or(Verdict::Safe);
    ScannedFile {
        path: member_label,
        format: "Keras config".into(),
        complete: true,
        problem: None,
        imports,
        verdict,
    }
}

/// A skops archive's `schema.json`: every type a node names (`__module__`, `__class__`), the
/// functions `FunctionNode`s name (`module_path`, `function`), each judged; the entries of
/// `MLmodel`'s `skops_trusted_types` marked, and those the schema does not name listed too
/// (MLflow hands them all to skops as trusted).
fn skops_schema(ctx: &Context<'_>, label: &str, source: &ZipSource, m: &Member) -> ScannedFile {
    let member_label = format!("{label}:schema.json (types)");
    let schema = match member_json(source, m) {
        Ok(v) => v,
        Err(e) => {
            return unread(
                &member_label,
                "skops schema",
                format!("{member_label}: {e}"),
            );
        }
    };
    let mut seen: Vec<(String, String)> = Vec::new();
    // Depth-first, with an explicit stack (a deep schema is no recursion risk).
    let mut todo = vec![&schema];
    while let Some(v) = todo.pop() {
        match v {
            serde_json::Value::Object(map) => {
                if let (Some(module), Some(class)) = (
                    map.get("__module__").and_then(|v| v.as_str()),
                    map.get("__class__").and_then(|v| v.as_str()),
                ) {
                    seen.push((module.to_string(), class.to_string()));
                    if map.get("__loader__").and_then(|v| v.as_str()) == Some("FunctionNode")
                        && let Some(content) = map.get("content")
                        && let (Some(module), Some(function)) = (
                            content.get("module_path").and_then(|v| v.as_str()),
                            content.get("function").and_then(|v| v.as_str()),
                        )
                    {
                        seen.push((module.to_string(), function.to_string()));
                    }
                }
                todo.extend(map.values());
            }
            serde_json::Value::Array(items) => todo.extend(items),
            _ => {}
        }
    }
    let trusted: Vec<(String, String)> = ctx
        .skops_trusted
        .iter()
        .filter_map(|t| {
            t.rsplit_once('.')
                .map(|(m, n)| (m.to_string(), n.to_string()))
        })
        .collect();
    // Distinct, in order met (a set: a schema of a million nodes stays linear).
    let named: std::collections::HashSet<(String, String)> = seen.iter().cloned().collect();
    seen.extend(trusted.iter().cloned());
    let mut met = std::collections::HashSet::new();
    let unique: Vec<(String, String)> =
        seen.into_iter().filter(|s| met.insert(s.clone())).collect();
    let imports: Vec<Import> = unique
        .into_iter()
        .map(|(module, name)| {
            let op = if named.contains(&(module.clone(), name.clone())) {
                pickle::ImportOp::Skops
            } else {
                pickle::ImportOp::SkopsTrusted
            };
            let found = pickle::Found {
                module,
                name,
                op,
                offset: 0,
                literal: true,
                called: true,
                modified: false,
            };
            let mut import = judged(ctx, &found);
            if trusted.contains(&(found.module.clone(), found.name.clone())) {
                import.trusted = true;
                import.rule = format!(
                    "{}; MLmodel's skops_trusted_types trusts it, and MLflow hands that list to skops.io.load",
                    import.rule
                );
            }
            import
        })
        .collect();
    let verdict = imports
        .iter()
        .map(|i| i.verdict)
        .max()
        .unwrap_or(Verdict::Safe);
    ScannedFile {
        path: member_label,
        format: "skops schema".into(),
        complete: true,
        problem: None,
        imports,
        verdict,
    }
}

/// A member's bytes as stored (compressed, up to the central directory's size), read lazily.
fn open_member(source: &ZipSource, m: &Member) -> Result<std::io::Take<Box<dyn ReadSeek>>, String> {
    let mut r = source
        .open()
        .map_err(|e| format!("cannot open the archive again: {e}"))?;
    let mut local = [0u8; 30];
    r.seek(SeekFrom::Start(m.local))
        .and_then(|_| r.read_exact(&mut local))
        .map_err(|e| format!("cannot read its local header: {e}"))?;
    if local.get(..4) != Some(&[0x50, 0x4b, 0x03, 0x04]) {
        return Err(format!("no local header at byte {}", m.local));
    }
    let n = u64::from(u16_at(&local, 26).unwrap_or(0));
    let e = u64::from(u16_at(&local, 28).unwrap_or(0));
    let start = m.local + 30 + n + e;
    r.seek(SeekFrom::Start(start))
        .map_err(|e| format!("cannot reach its data: {e}"))?;
    Ok(r.take(m.compressed))
}

/// Scans one member (stored or deflated), reading it only as far as its walk goes.
fn scan_member(
    ctx: &Context<'_>,
    label: &str,
    reader: std::io::Take<Box<dyn ReadSeek>>,
    m: &Member,
    depth: usize,
) -> Vec<ScannedFile> {
    match m.method {
        0 => scan_stream(
            ctx,
            label,
            Box::new(BufReader::with_capacity(64 * 1024, reader)),
            Some(m.compressed),
            depth,
        ),
        8 => scan_stream(
            ctx,
            label,
            Box::new(capped(
                flate2::read::DeflateDecoder::new(reader),
                "deflated zip member",
            )),
            None,
            depth,
        ),
        other => vec![unread(
            label,
            "zip member",
            format!("{label}: compression method {other}, which this scanner does not read"),
        )],
    }
}
