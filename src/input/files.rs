//! Tensors from `.npy` files and frames from CSV files.

use std::path::{Path, PathBuf};

use ndarray::ArrayD;
use ndarray_npy::ReadNpyExt;
use serde_json::Value;

use super::tensor::Tensor;
use crate::model::fsutil;
use crate::text::base64;

/// The largest `.npy` or CSV file read.
pub const DATA_FILE_CAP: u64 = 1_000_000_000;

/// Why a data file could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {problem}")]
pub struct FileError {
    /// The file.
    pub path: PathBuf,
    /// What went wrong.
    pub problem: String,
}

fn read(path: &Path) -> Result<Vec<u8>, FileError> {
    fsutil::read_bytes_capped(path, DATA_FILE_CAP).map_err(|e| FileError {
        path: path.to_path_buf(),
        problem: e.to_string(),
    })
}

/// Reads a `.npy` file (bool, integer or float arrays, little or big endian).
pub fn read_npy(path: &Path) -> Result<Tensor, FileError> {
    let bytes = read(path)?;
    let err = |problem: String| FileError {
        path: path.to_path_buf(),
        problem,
    };
    if !bytes.starts_with(b"\x93NUMPY") {
        return Err(err("not a .npy file (no NUMPY magic)".into()));
    }
    // The header's shape is checked against the bytes that follow it before anything is
    // allocated for it (a few bytes can claim a shape of terabytes).
    check_npy_size(&bytes).map_err(err)?;
    macro_rules! try_int {
        ($t:ty, $name:literal) => {
            if let Ok(a) = ArrayD::<$t>::read_npy(&bytes[..]) {
                return Ok(Tensor::I64(a.mapv(|v| v as i64), $name.to_string()));
            }
        };
    }
    if let Ok(a) = ArrayD::<f32>::read_npy(&bytes[..]) {
        return Ok(Tensor::F32(a));
    }
    if let Ok(a) = ArrayD::<f64>::read_npy(&bytes[..]) {
        return Ok(Tensor::F64(a));
    }
    if let Ok(a) = ArrayD::<u8>::read_npy(&bytes[..]) {
        return Ok(Tensor::U8(a));
    }
    if let Ok(a) = ArrayD::<bool>::read_npy(&bytes[..]) {
        return Ok(Tensor::Bool(a));
    }
    try_int!(i64, "int64");
    try_int!(i32, "int32");
    try_int!(i16, "int16");
    try_int!(i8, "int8");
    try_int!(u16, "uint16");
    try_int!(u32, "uint32");
    // u64 above i64::MAX would not fit: refused below with the dtype named.
    Err(err(
        "unsupported dtype or layout (bool, int8..int64, uint8..uint32, float32 and float64 arrays in C or Fortran order are read)"
            .into(),
    ))
}

/// A `.npy` file's `descr` and `shape` as its header writes them (`<f4`, `2, 4`).
pub fn npy_header(bytes: &[u8]) -> Option<(String, String)> {
    let version = bytes.get(6).copied()?;
    let (len_size, start) = if version == 1 { (2, 8) } else { (4, 8) };
    let header_len = match bytes.get(start..start + len_size)? {
        [a, b] => usize::from(u16::from_le_bytes([*a, *b])),
        [a, b, c, d] => u32::from_le_bytes([*a, *b, *c, *d]) as usize,
        _ => return None,
    };
    let header =
        std::str::from_utf8(bytes.get(start + len_size..start + len_size + header_len)?).ok()?;
    let descr = header
        .split("'descr'")
        .nth(1)?
        .split('\'')
        .nth(1)?
        .to_string();
    let shape = header
        .split("'shape'")
        .nth(1)?
        .split('(')
        .nth(1)?
        .split(')')
        .next()?
        .to_string();
    Some((descr, shape))
}

/// Checks that a `.npy` file holds the data its header describes: the header's `shape` times
/// the item size of its `descr` equals the bytes after the header.
fn check_npy_size(bytes: &[u8]) -> Result<(), String> {
    let version = bytes.get(6).copied().unwrap_or(0);
    let (len_size, start) = if version == 1 { (2, 8) } else { (4, 8) };
    let header_len = match bytes.get(start..start + len_size) {
        Some([a, b]) => usize::from(u16::from_le_bytes([*a, *b])),
        Some([a, b, c, d]) => u32::from_le_bytes([*a, *b, *c, *d]) as usize,
        _ => return Err("the .npy header is cut short".into()),
    };
    let data_start = start + len_size + header_len;
    let header = bytes
        .get(start + len_size..data_start)
        .and_then(|h| std::str::from_utf8(h).ok())
        .ok_or("the .npy header is cut short or not text")?;
    let descr = header
        .split("'descr'")
        .nth(1)
        .and_then(|rest| rest.split('\'').nth(1))
        .ok_or("the .npy header has no 'descr'")?;
    let item: u64 = descr
        .trim_start_matches(['<', '>', '|', '='])
        .trim_start_matches(|c: char| c.is_ascii_alphabetic())
        .parse()
        .map_err(|_| format!("the .npy dtype {descr:?} has no item size"))?;
    let shape_text = header
        .split("'shape'")
        .nth(1)
        .and_then(|rest| rest.split('(').nth(1))
        .and_then(|rest| rest.split(')').next())
        .ok_or("the .npy header has no 'shape'")?;
    let mut elements: u64 = 1;
    let mut dims = Vec::new();
    for part in shape_text
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let d: u64 = part
            .parse()
            .map_err(|_| format!("the .npy shape ({shape_text}) is not a list of sizes"))?;
        dims.push(d);
        elements = elements.saturating_mul(d);
    }
    let want = elements.saturating_mul(item);
    let have = bytes.len().saturating_sub(data_start) as u64;
    if want != have {
        return Err(format!(
            "the header says shape ({shape_text}) of {descr}, {want} bytes of data, but the file holds {have} after its header"
        ));
    }
    Ok(())
}

/// A file's bytes as base64 text, for a binary column.
pub fn file_as_base64(path: &Path) -> Result<String, FileError> {
    read(path).map(|bytes| base64(&bytes))
}

/// A frame read from CSV: the header row names the columns.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvFrame {
    /// Column names.
    pub columns: Vec<String>,
    /// Rows of cells: numbers, `true`/`false`, null for empty cells, else strings.
    pub rows: Vec<Vec<Value>>,
}

fn cell(text: &str) -> Value {
    let t = text.trim();
    if t.is_empty() {
        return Value::Null;
    }
    if let Ok(i) = t.parse::<i64>() {
        return Value::from(i);
    }
    if let Ok(f) = t.parse::<f64>()
        && f.is_finite()
    {
        return Value::from(f);
    }
    match t {
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        _ => Value::String(text.to_string()),
    }
}

/// A CSV reader's header row: the column names (`no header row: ...` when it cannot be read).
pub fn csv_header<R: std::io::Read>(reader: &mut csv::Reader<R>) -> Result<Vec<String>, String> {
    Ok(reader
        .headers()
        .map_err(|e| format!("no header row: {e}"))?
        .iter()
        .map(str::to_string)
        .collect())
}

/// Reads a CSV file with a header row.
pub fn read_csv(path: &Path) -> Result<CsvFrame, FileError> {
    let bytes = read(path)?;
    let err = |problem: String| FileError {
        path: path.to_path_buf(),
        problem,
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(&bytes[..]);
    let columns = csv_header(&mut reader).map_err(err)?;
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| err(format!("row {}: {e}", i + 2)))?;
        rows.push(record.iter().map(cell).collect());
    }
    Ok(CsvFrame { columns, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npy(name: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/npy")
            .join(name)
    }

    #[test]
    fn npy_files_written_by_numpy_are_read() {
        let t = read_npy(&npy("iris_f32.npy")).unwrap();
        assert_eq!((t.dtype(), t.shape()), ("float32", &[2usize, 4][..]));
        let Tensor::F32(a) = &t else { panic!() };
        assert_eq!(a[[1, 0]], 4.9);
        let t = read_npy(&npy("ids_i64.npy")).unwrap();
        assert_eq!((t.dtype(), t.shape()), ("int64", &[2usize][..]));
        let t = read_npy(&npy("fortran_f64.npy")).unwrap();
        let Tensor::F64(a) = &t else { panic!() };
        assert_eq!(a[[1, 0]], 3.0, "Fortran order read in logical order");
        let t = read_npy(&npy("flags_bool.npy")).unwrap();
        assert_eq!(t.dtype(), "bool");
        let e = read_npy(&npy("complex64.npy")).unwrap_err().to_string();
        assert!(e.contains("complex64.npy: unsupported dtype"), "{e}");
        let e = read_npy(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("Cargo.toml")
                .as_path(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.ends_with("Cargo.toml: not a .npy file (no NUMPY magic)"),
            "{e}"
        );
    }

    #[test]
    fn base64_matches_pythons() {
        assert_eq!(base64(b"hi"), "aGk=");
        assert_eq!(base64(b"\x00\x01"), "AAE=");
        assert_eq!(base64(b"abc"), "YWJj");
        assert_eq!(base64(b""), "");
    }

    #[test]
    fn csv_cells_become_typed_json() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.csv");
        std::fs::write(&path, "a,b,c,d\n1,2.5,\"hi, there\",\n-3,1e3,true,x\n").unwrap();
        let frame = read_csv(&path).unwrap();
        assert_eq!(frame.columns, ["a", "b", "c", "d"]);
        assert_eq!(
            frame.rows[0],
            vec![
                Value::from(1),
                Value::from(2.5),
                Value::from("hi, there"),
                Value::Null
            ]
        );
        assert_eq!(frame.rows[1][2], Value::Bool(true));
        let bad = dir.path().join("bad.csv");
        std::fs::write(&bad, "a,b\n1\n").unwrap();
        assert!(
            read_csv(&bad)
                .unwrap_err()
                .to_string()
                .contains("bad.csv: row 2")
        );
    }
}
