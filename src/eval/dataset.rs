//! The datasets an evaluation reads, streamed: a folder of images with one subfolder per class
//! (or a flat folder, without labels), a CSV file with a header row, or a JSON-lines file of
//! objects. Only names are listed ahead (a folder's file names, capped); images and rows are
//! read batch by batch and dropped.

use std::ffi::OsString;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek};
use std::path::{Path, PathBuf};

use serde_json::Value;

/// The most items a folder may list (their names are held while the run goes).
pub const MAX_ITEMS: usize = 2_000_000;

/// The longest line of a JSON-lines file read (a row of a table, not a file).
pub const MAX_LINE_BYTES: u64 = 16 * 1024 * 1024;

/// File name endings read as images (case-insensitive), as on the Test tab; other files are
/// skipped.
use crate::input::image::IMAGE_EXTENSIONS;

/// Why a dataset cannot be read at all (before anything runs, or its file failing mid-way).
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    /// The path cannot be read.
    #[error("{}: {problem}", path.display())]
    Read {
        /// The folder or file.
        path: PathBuf,
        /// What went wrong.
        problem: String,
    },
    /// More items than [`MAX_ITEMS`].
    #[error("{}: more than {MAX_ITEMS} images; evaluate a part of it (a folder per part)", .0.display())]
    TooMany(PathBuf),
    /// Nothing to evaluate.
    #[error("{}: {problem}", path.display())]
    Empty {
        /// The folder or file.
        path: PathBuf,
        /// What is missing.
        problem: String,
    },
    /// The label column is not in the file.
    #[error("{}: no column {label:?} to read labels from (its columns: {columns})", path.display())]
    NoLabelColumn {
        /// The file.
        path: PathBuf,
        /// The column asked for.
        label: String,
        /// The columns the file has.
        columns: String,
    },
}

/// A folder of images: labelled by subfolder, or flat.
#[derive(Debug, Clone)]
pub struct ImageFolder {
    /// The folder.
    pub root: PathBuf,
    /// The subfolders' names, sorted (empty for a flat folder), as text.
    pub classes: Vec<String>,
    /// The subfolders' names as the system gives them (not always UTF-8), for their paths.
    class_dirs: Vec<OsString>,
    /// Each image: its class (an index into `classes`) and its file name, in class order then
    /// name order.
    items: Vec<(Option<u32>, OsString)>,
    /// Files that are not images by their name (skipped), and images at the top of a labelled
    /// folder (no class to give them).
    pub skipped: Vec<String>,
}

/// One image to evaluate.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageItem {
    /// How it is named in the report: its path under the folder (`cat/001.jpg`).
    pub id: String,
    /// Its file.
    pub path: PathBuf,
    /// Its class (the subfolder's name), `None` in a flat folder.
    pub label: Option<String>,
}

fn is_image(name: &std::ffi::OsStr) -> bool {
    Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

fn hidden(name: &std::ffi::OsStr) -> bool {
    name.to_string_lossy().starts_with('.')
}

/// What a folder entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Entry {
    File,
    Folder,
    /// A symbolic link that leads out of the dataset's folder (or nowhere): not opened.
    LinkOut,
}

/// Sorted non-hidden entries of a folder: (name, what it is). A link is followed only when
/// it stays inside `root`, the dataset's folder. Capped at [`MAX_ITEMS`].
fn entries(dir: &Path, root: &Path) -> Result<Vec<(OsString, Entry)>, DatasetError> {
    let read = std::fs::read_dir(dir).map_err(|e| DatasetError::Read {
        path: dir.to_path_buf(),
        problem: e.to_string(),
    })?;
    let mut out = Vec::new();
    // The dataset's folder resolved once, for the links found.
    let root_real = std::fs::canonicalize(root).ok();
    for entry in read {
        let entry = entry.map_err(|e| DatasetError::Read {
            path: dir.to_path_buf(),
            problem: e.to_string(),
        })?;
        let name = entry.file_name();
        if hidden(&name) {
            continue;
        }
        if out.len() >= MAX_ITEMS {
            return Err(DatasetError::TooMany(dir.to_path_buf()));
        }
        let path = entry.path();
        let link = entry.file_type().is_ok_and(|t| t.is_symlink());
        // A link counts as what it leads to, when that is inside the dataset's folder; the
        // target is resolved without being opened.
        if link
            && !std::fs::canonicalize(&path)
                .is_ok_and(|target| root_real.as_ref().is_some_and(|r| target.starts_with(r)))
        {
            out.push((name, Entry::LinkOut));
            continue;
        }
        let is_dir = std::fs::metadata(&path).is_ok_and(|m| m.is_dir());
        out.push((name, if is_dir { Entry::Folder } else { Entry::File }));
    }
    out.sort();
    Ok(out)
}

impl ImageFolder {
    /// Lists a folder: its subfolders are classes (their images are read one level down), or,
    /// without subfolders, its images are unlabelled.
    pub fn list(root: &Path) -> Result<Self, DatasetError> {
        let top = entries(root, root)?;
        let labelled = top.iter().any(|(_, e)| *e == Entry::Folder);
        let mut folder = ImageFolder {
            root: root.to_path_buf(),
            classes: Vec::new(),
            class_dirs: Vec::new(),
            items: Vec::new(),
            skipped: Vec::new(),
        };
        let link_out = |shown: &str| format!("{shown} (a link out of the folder: not read)");
        for (name, entry) in top {
            let shown = name.to_string_lossy().into_owned();
            match entry {
                Entry::LinkOut => {
                    folder.skipped.push(link_out(&shown));
                    continue;
                }
                Entry::File => {
                    if labelled || !is_image(&name) {
                        folder.skipped.push(shown);
                    } else {
                        folder.items.push((None, name));
                    }
                    continue;
                }
                Entry::Folder => {}
            }
            let class = u32::try_from(folder.classes.len()).unwrap_or(u32::MAX);
            folder.classes.push(shown.clone());
            let files = entries(&root.join(&name), root)?;
            folder.class_dirs.push(name);
            for (file, entry) in files {
                if entry == Entry::LinkOut {
                    folder
                        .skipped
                        .push(link_out(&format!("{shown}/{}", file.to_string_lossy())));
                    continue;
                }
                if entry == Entry::Folder || !is_image(&file) {
                    folder
                        .skipped
                        .push(format!("{shown}/{}", file.to_string_lossy()));
                    continue;
                }
                if folder.items.len() >= MAX_ITEMS {
                    return Err(DatasetError::TooMany(root.to_path_buf()));
                }
                folder.items.push((Some(class), file));
            }
        }
        if folder.items.is_empty() {
            return Err(DatasetError::Empty {
                path: root.to_path_buf(),
                problem: format!(
                    "no images ({} files): put each class's images in a subfolder named after it",
                    IMAGE_EXTENSIONS.join(", ")
                ),
            });
        }
        Ok(folder)
    }

    /// Whether the images have labels.
    pub fn labelled(&self) -> bool {
        !self.classes.is_empty()
    }

    /// How many images there are.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are none (never, once listed).
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The `i`-th image.
    pub fn item(&self, i: usize) -> Option<ImageItem> {
        let (class, name) = self.items.get(i)?;
        let label = class.and_then(|c| self.classes.get(c as usize)).cloned();
        let dir = class.and_then(|c| self.class_dirs.get(c as usize));
        let (id, path) = match (&label, dir) {
            (Some(l), Some(dir)) => (
                format!("{l}/{}", name.to_string_lossy()),
                self.root.join(dir).join(name),
            ),
            _ => (name.to_string_lossy().into_owned(), self.root.join(name)),
        };
        Some(ImageItem { id, path, label })
    }
}

/// A table's form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    /// Comma-separated, a header row first.
    Csv,
    /// One JSON object a line.
    JsonLines,
    /// Apache Parquet (a file, or a folder of part files): read by Spark (`eval --engine
    /// spark`), described by pyarrow ([`super::spark::describe_parquet`]); not read here.
    Parquet,
}

impl TableKind {
    /// The form a file's name says: `.jsonl`, `.ndjson` and `.json` are JSON lines,
    /// `.parquet` and `.pq` Parquet, anything else CSV.
    pub fn of(path: &Path) -> Self {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("jsonl" | "ndjson" | "json") => Self::JsonLines,
            Some("parquet" | "pq") => Self::Parquet,
            _ => Self::Csv,
        }
    }
}

/// A cell as read: CSV text, or a JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// A CSV field (empty for a missing value).
    Text(String),
    /// A JSON-lines value (null for a missing key).
    Json(Value),
}

impl Cell {
    /// The cell as label text: strings as they are, numbers as written; `None` when empty.
    pub fn label_text(&self) -> Option<String> {
        match self {
            Cell::Text(t) => Some(t.trim().to_string()).filter(|t| !t.is_empty()),
            Cell::Json(Value::Null) => None,
            Cell::Json(Value::String(s)) => Some(s.clone()),
            Cell::Json(other) => Some(other.to_string()),
        }
    }
}

/// One row of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// How it is named in the report: `line N` of the file.
    pub id: String,
    /// Its cells, one per column of [`TableReader::columns`].
    pub cells: Vec<Cell>,
}

/// A table read row by row.
pub struct TableReader {
    path: PathBuf,
    /// The columns, in the file's order (a JSON-lines file's are its first object's keys).
    pub columns: Vec<String>,
    source: Source,
}

/// The bytes under a CSV record being read, and the quotes seen, shared by the table and
/// its file's reader.
#[derive(Debug, Default)]
struct RecordCount {
    /// Bytes read since the record began (the parser's buffer of 64 KiB ahead at most).
    bytes: Counter,
    /// `"` bytes read in the whole file.
    quotes: Counter,
    /// Bytes read in the whole file.
    total: Counter,
    /// Whether the file's end was reached.
    end: std::sync::atomic::AtomicBool,
    /// Whether a read was refused for a record over [`MAX_LINE_BYTES`].
    over: std::sync::atomic::AtomicBool,
}

/// A count shared by the table and its reader (one thread at a time).
#[derive(Debug, Default)]
struct Counter(std::sync::atomic::AtomicU64);

impl Counter {
    fn get(&self) -> u64 {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }
    fn set(&self, v: u64) {
        self.0.store(v, std::sync::atomic::Ordering::Relaxed);
    }
}

/// A CSV file as its parser reads it: a record that passes [`MAX_LINE_BYTES`] makes the read
/// fail, so that it is never held whole (a file of one endless line, `/dev/zero`, a cell of
/// 300 MB).
struct CappedFile {
    file: BufReader<File>,
    count: std::sync::Arc<RecordCount>,
}

impl Read for CappedFile {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let used = self.count.bytes.get();
        if used > MAX_LINE_BYTES {
            self.count
                .over
                .store(true, std::sync::atomic::Ordering::Relaxed);
            return Err(std::io::Error::other(format!(
                "a record longer than {MAX_LINE_BYTES} bytes"
            )));
        }
        let n = self.file.read(buf)?;
        let read = buf.get(..n).unwrap_or_default();
        self.count.bytes.set(used + n as u64);
        self.count.total.set(self.count.total.get() + n as u64);
        if n == 0 && !buf.is_empty() {
            self.count
                .end
                .store(true, std::sync::atomic::Ordering::Relaxed);
        }
        let quotes = read.iter().filter(|&&b| b == b'"').count() as u64;
        self.count.quotes.set(self.count.quotes.get() + quotes);
        Ok(n)
    }
}

enum Source {
    Csv {
        reader: csv::Reader<CappedFile>,
        count: std::sync::Arc<RecordCount>,
        /// Whether the file stopped being read (a record over the cap).
        ended: bool,
        /// What to add to the parser's line numbers: 1 for a file whose lines end in CRLF
        /// (the parser counts a CRLF's line feed with the next record).
        line_offset: u64,
    },
    Lines {
        reader: BufReader<File>,
        line: usize,
        /// The first object, read to learn the columns, given back first.
        first: Option<(usize, serde_json::Map<String, Value>)>,
    },
}

fn open(path: &Path) -> Result<File, DatasetError> {
    File::open(path).map_err(|e| DatasetError::Read {
        path: path.to_path_buf(),
        problem: e.to_string(),
    })
}

/// Reads one line of at most [`MAX_LINE_BYTES`] into `buf` (without its end); `Ok(None)` at
/// the end, `Ok(Some(false))` for a line too long (skipped to its end).
pub(super) fn read_line(
    reader: &mut BufReader<File>,
    buf: &mut Vec<u8>,
) -> std::io::Result<Option<bool>> {
    buf.clear();
    let n = reader
        .by_ref()
        .take(MAX_LINE_BYTES + 1)
        .read_until(b'\n', buf)?;
    if n == 0 {
        return Ok(None);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
        return Ok(Some(true));
    }
    if (buf.len() as u64) > MAX_LINE_BYTES {
        // Skip the rest of the line without holding it.
        let mut sink = Vec::new();
        loop {
            sink.clear();
            let n = reader.by_ref().take(1 << 16).read_until(b'\n', &mut sink)?;
            if n == 0 || sink.last() == Some(&b'\n') {
                break;
            }
        }
        buf.clear();
        return Ok(Some(false));
    }
    Ok(Some(true))
}

impl TableReader {
    /// Opens a table and reads its columns.
    pub fn open(path: &Path, kind: TableKind) -> Result<Self, DatasetError> {
        let mut file = open(path)?;
        let err = |problem: String| DatasetError::Read {
            path: path.to_path_buf(),
            problem,
        };
        // A Parquet file given as a CSV or JSON lines (by its flag, or a name that does not
        // say): said as such, not as a CSV of one odd column.
        let mut magic = [0u8; 4];
        if file.read_exact(&mut magic).is_ok() && &magic == b"PAR1" {
            return Err(parquet_here(path));
        }
        file.seek(std::io::SeekFrom::Start(0))
            .map_err(|e| err(e.to_string()))?;
        match kind {
            // Said of a file, and of a folder (as a Parquet dataset often is: it opens, and
            // reads nothing).
            TableKind::Parquet => Err(parquet_here(path)),
            TableKind::Csv => {
                let count = std::sync::Arc::new(RecordCount::default());
                let mut file = BufReader::with_capacity(1 << 16, file);
                // Whether the first line ends in CRLF, from the first 64 KiB.
                let crlf = file.fill_buf().is_ok_and(|start| {
                    start
                        .iter()
                        .position(|&b| b == b'\n')
                        .is_some_and(|i| i > 0 && start.get(i - 1) == Some(&b'\r'))
                });
                let mut reader = csv::ReaderBuilder::new()
                    .has_headers(true)
                    .flexible(true)
                    .buffer_capacity(1 << 16)
                    .from_reader(CappedFile {
                        file,
                        count: count.clone(),
                    });
                let columns = match crate::input::files::csv_header(&mut reader) {
                    Ok(columns) => columns,
                    Err(_) if count.over.load(std::sync::atomic::Ordering::Relaxed) => {
                        return Err(err(format!(
                            "line 1: the header row is longer than {MAX_LINE_BYTES} bytes: is this a CSV file?"
                        )));
                    }
                    Err(e) => return Err(err(e)),
                };
                if columns.iter().all(String::is_empty) {
                    return Err(DatasetError::Empty {
                        path: path.to_path_buf(),
                        problem: "no header row naming the columns".into(),
                    });
                }
                Ok(Self {
                    path: path.to_path_buf(),
                    columns,
                    source: Source::Csv {
                        reader,
                        count,
                        ended: false,
                        line_offset: u64::from(crlf),
                    },
                })
            }
            TableKind::JsonLines => {
                let mut reader = BufReader::new(file);
                let mut buf = Vec::new();
                let mut line = 0;
                loop {
                    line += 1;
                    match read_line(&mut reader, &mut buf).map_err(|e| err(e.to_string()))? {
                        None => {
                            return Err(DatasetError::Empty {
                                path: path.to_path_buf(),
                                problem: "no JSON object on any line".into(),
                            });
                        }
                        Some(false) => {
                            return Err(err(format!(
                                "line {line} is longer than {MAX_LINE_BYTES} bytes"
                            )));
                        }
                        Some(true) if buf.iter().all(u8::is_ascii_whitespace) => continue,
                        Some(true) => {
                            let Ok(Value::Object(first)) = serde_json::from_slice(&buf) else {
                                return Err(err(format!(
                                    "line {line} is not a JSON object: a JSON-lines table has one object a line"
                                )));
                            };
                            return Ok(Self {
                                path: path.to_path_buf(),
                                columns: first.keys().cloned().collect(),
                                source: Source::Lines {
                                    reader,
                                    line,
                                    first: Some((line, first)),
                                },
                            });
                        }
                    }
                }
            }
        }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The next row: `None` at the end; `Some(Err((id, problem)))` for a row that cannot be
    /// read (the reading goes on); a failure of the file itself ends the table.
    pub fn next_row(&mut self) -> Option<Result<Row, (String, String)>> {
        let columns = &self.columns;
        match &mut self.source {
            Source::Csv {
                reader,
                count,
                ended,
                line_offset,
            } => {
                if *ended {
                    return None;
                }
                let mut record = csv::StringRecord::new();
                // The line the record starts on, for a record too long to be read.
                let next_line = reader.position().line() + *line_offset;
                count.bytes.set(0);
                match reader.read_record(&mut record) {
                    Ok(false) => None,
                    Ok(true) => {
                        let line = record.position().map_or(0, csv::Position::line) + *line_offset;
                        let id = format!("line {line}");
                        // A quote never closed makes the rest of the file one record: the file
                        // ends inside it with an odd number of quotes.
                        let last = reader.position().line() + *line_offset;
                        let at_end = count.end.load(std::sync::atomic::Ordering::Relaxed)
                            && reader.position().byte() == count.total.get();
                        if at_end && count.quotes.get() % 2 == 1 && last > line {
                            return Some(Err((
                                id,
                                format!(
                                    "a quote opened in this record is never closed: lines {line} to {last} were read as one record (close the quote, or remove it)"
                                ),
                            )));
                        }
                        if record.len() != columns.len() {
                            return Some(Err((
                                id,
                                format!(
                                    "{} fields where the header has {}",
                                    record.len(),
                                    columns.len()
                                ),
                            )));
                        }
                        Some(Ok(Row {
                            id,
                            cells: record.iter().map(|f| Cell::Text(f.to_string())).collect(),
                        }))
                    }
                    Err(_) if count.over.load(std::sync::atomic::Ordering::Relaxed) => {
                        *ended = true;
                        Some(Err((
                            format!("line {next_line}"),
                            format!(
                                "a record longer than {MAX_LINE_BYTES} bytes: the file is not read past it"
                            ),
                        )))
                    }
                    Err(e) => {
                        let line = e.position().map_or(next_line, |p| p.line() + *line_offset);
                        if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                            *ended = true;
                            return Some(Err((
                                format!("line {line}"),
                                format!("the file could not be read further: {e}"),
                            )));
                        }
                        Some(Err((format!("line {line}"), e.to_string())))
                    }
                }
            }
            Source::Lines {
                reader,
                line,
                first,
            } => {
                let object = |n: usize, map: serde_json::Map<String, Value>| Row {
                    id: format!("line {n}"),
                    cells: columns
                        .iter()
                        .map(|c| Cell::Json(map.get(c).cloned().unwrap_or(Value::Null)))
                        .collect(),
                };
                if let Some((n, map)) = first.take() {
                    return Some(Ok(object(n, map)));
                }
                let mut buf = Vec::new();
                loop {
                    *line += 1;
                    let id = format!("line {line}");
                    match read_line(reader, &mut buf) {
                        Err(_) | Ok(None) => return None,
                        Ok(Some(false)) => {
                            return Some(Err((id, format!("longer than {MAX_LINE_BYTES} bytes"))));
                        }
                        Ok(Some(true)) if buf.iter().all(u8::is_ascii_whitespace) => continue,
                        Ok(Some(true)) => {
                            return Some(match serde_json::from_slice(&buf) {
                                Ok(Value::Object(map)) => Ok(object(*line, map)),
                                Ok(_) => Err((id, "not a JSON object".into())),
                                Err(e) => Err((id, format!("not valid JSON: {e}"))),
                            });
                        }
                    }
                }
            }
        }
    }
}

/// Whether `path` is a Parquet table: a file by its name (`.parquet`, `.pq`) or its magic
/// (`PAR1`), or a folder holding `.parquet` files, directly or in `key=value` partition
/// folders (looked at to a depth of three, and at most 10,000 entries in all).
pub fn is_parquet(path: &Path) -> bool {
    fn folder_has(dir: &Path, depth: usize, budget: &mut usize) -> bool {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return false;
        };
        for entry in entries.flatten() {
            if *budget == 0 {
                return false;
            }
            *budget -= 1;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(['.', '_']) {
                continue;
            }
            let path = entry.path();
            match entry.file_type() {
                Ok(t) if t.is_dir() => {
                    if depth < 3 && name.contains('=') && folder_has(&path, depth + 1, budget) {
                        return true;
                    }
                }
                Ok(_) => {
                    if TableKind::of(&path) == TableKind::Parquet {
                        return true;
                    }
                }
                Err(_) => {}
            }
        }
        false
    }
    if path.is_dir() {
        return folder_has(path, 0, &mut 10_000);
    }
    if TableKind::of(path) == TableKind::Parquet {
        return true;
    }
    let mut magic = [0u8; 4];
    open(path).is_ok_and(|mut f| f.read_exact(&mut magic).is_ok() && &magic == b"PAR1")
}

/// Why a Parquet dataset is not read here.
fn parquet_here(path: &Path) -> DatasetError {
    DatasetError::Read {
        path: path.to_path_buf(),
        problem: "a Parquet table, read by Spark: evaluate it with `mlmodel-inspector eval MODEL --parquet PATH --engine spark`, or save it as CSV or JSON lines".into(),
    }
}

/// How many rows a table has (read through once, holding one row), for progress.
pub fn count_rows(path: &Path, kind: TableKind) -> Result<usize, DatasetError> {
    let mut table = TableReader::open(path, kind)?;
    let mut n = 0;
    while table.next_row().is_some() {
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_labelled_folder_lists_classes_and_skips_what_is_not_an_image() {
        let dir = tempfile::tempdir().unwrap();
        for (p, bytes) in [
            ("cat/b.jpg", &b"x"[..]),
            ("cat/a.PNG", b"x"),
            ("cat/notes.txt", b"x"),
            ("dog/c.webp", b"x"),
            ("dog/.hidden.jpg", b"x"),
            ("readme.md", b"x"),
        ] {
            let path = dir.path().join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
        }
        std::fs::create_dir_all(dir.path().join("empty")).unwrap();
        let f = ImageFolder::list(dir.path()).unwrap();
        assert_eq!(f.classes, ["cat", "dog", "empty"]);
        let ids: Vec<String> = (0..f.len()).map(|i| f.item(i).unwrap().id).collect();
        assert_eq!(ids, ["cat/a.PNG", "cat/b.jpg", "dog/c.webp"]);
        assert_eq!(f.item(2).unwrap().label.as_deref(), Some("dog"));
        assert_eq!(f.skipped, ["cat/notes.txt", "readme.md"]);
        assert!(f.item(3).is_none());
    }

    #[test]
    fn a_flat_folder_has_no_labels_and_an_empty_one_says_so() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x.jpg"), b"x").unwrap();
        let f = ImageFolder::list(dir.path()).unwrap();
        assert!(!f.labelled());
        assert_eq!(f.item(0).unwrap().label, None);
        let empty = tempfile::tempdir().unwrap();
        let e = ImageFolder::list(empty.path()).unwrap_err().to_string();
        assert!(e.contains("no images"), "{e}");
    }

    #[test]
    fn json_lines_rows_follow_the_first_objects_keys_and_bad_lines_are_items_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.jsonl");
        std::fs::write(
            &path,
            "\n{\"a\": 1, \"y\": \"u\"}\n{\"y\": \"v\"}\n[1]\n{oops\n{\"a\": 2}\n",
        )
        .unwrap();
        let mut t = TableReader::open(&path, TableKind::of(&path)).unwrap();
        assert_eq!(t.columns, ["a", "y"]);
        let first = t.next_row().unwrap().unwrap();
        assert_eq!(first.id, "line 2");
        assert_eq!(first.cells[0], Cell::Json(1.into()));
        let second = t.next_row().unwrap().unwrap();
        assert_eq!(second.cells[0], Cell::Json(Value::Null));
        assert_eq!(t.next_row().unwrap().unwrap_err().0, "line 4");
        let (id, why) = t.next_row().unwrap().unwrap_err();
        assert_eq!(id, "line 5");
        assert!(why.contains("not valid JSON"), "{why}");
        assert_eq!(t.next_row().unwrap().unwrap().id, "line 6");
        assert!(t.next_row().is_none());
        assert_eq!(count_rows(&path, TableKind::JsonLines).unwrap(), 5);
    }

    #[test]
    fn csv_rows_are_named_by_line_and_a_short_row_is_an_items_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, "a,b\n1,x\n2\n3,\"y\nz\"\n4,w\n").unwrap();
        let mut t = TableReader::open(&path, TableKind::Csv).unwrap();
        assert_eq!(t.next_row().unwrap().unwrap().id, "line 2");
        let (id, why) = t.next_row().unwrap().unwrap_err();
        assert_eq!(
            (id.as_str(), why.as_str()),
            ("line 3", "1 fields where the header has 2")
        );
        let quoted = t.next_row().unwrap().unwrap();
        assert_eq!(quoted.cells[1], Cell::Text("y\nz".into()));
        assert_eq!(t.next_row().unwrap().unwrap().id, "line 6");
        assert!(t.next_row().is_none());
    }

    #[test]
    fn a_parquet_file_is_named_as_such_whatever_it_is_called() {
        let dir = tempfile::tempdir().unwrap();
        // Parquet's magic at both ends, as every Parquet file has it.
        let bytes = b"PAR1\x15\x04\x15\x10PAR1";
        for (name, kind) in [
            ("t.csv", TableKind::Csv),
            ("t.jsonl", TableKind::JsonLines),
            ("t.parquet", TableKind::of(Path::new("t.parquet"))),
        ] {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            let e = TableReader::open(&path, kind).err().unwrap().to_string();
            assert!(
                e.starts_with(&format!(
                    "{}: a Parquet table, read by Spark",
                    path.display()
                )),
                "{e}"
            );
        }
        assert_eq!(TableKind::of(Path::new("a/b.PQ")), TableKind::Parquet);
        // A CSV that merely starts with the letters is read as one.
        let path = dir.path().join("p.csv");
        std::fs::write(&path, "PARK,x\n1,2\n").unwrap();
        assert_eq!(
            TableReader::open(&path, TableKind::Csv).unwrap().columns,
            ["PARK", "x"]
        );
        assert!(!is_parquet(&path));
        assert!(is_parquet(&dir.path().join("t.csv")), "by its magic");
    }

    #[test]
    fn a_folder_is_parquet_by_its_part_files_in_partition_folders() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        // An image folder, a folder of CSV parts, an empty one: not Parquet.
        std::fs::create_dir_all(root.join("images/cat")).unwrap();
        std::fs::write(root.join("images/cat/1.jpg"), b"x").unwrap();
        std::fs::create_dir_all(root.join("csv")).unwrap();
        std::fs::write(root.join("csv/part-0.csv"), b"a\n1\n").unwrap();
        std::fs::create_dir_all(root.join("empty")).unwrap();
        for folder in ["images", "csv", "empty"] {
            assert!(!is_parquet(&root.join(folder)), "{folder}");
        }
        // Part files two partition levels down (hidden and `_` files skipped).
        let deep = root.join("lake/year=2026/split=b");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(root.join("lake/_SUCCESS"), b"").unwrap();
        std::fs::write(deep.join("part-00000.snappy.parquet"), b"PAR1").unwrap();
        assert!(is_parquet(&root.join("lake")));
        // A plain subfolder (not `key=value`) is not a partition: an image class, say.
        let plain = root.join("plain/cat");
        std::fs::create_dir_all(&plain).unwrap();
        std::fs::write(plain.join("x.parquet"), b"PAR1").unwrap();
        assert!(!is_parquet(&root.join("plain")));
    }
}
