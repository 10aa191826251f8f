//! Careful file access inside a model folder: paths that lead out are never followed,
//! reads are capped, and only regular files are read (a FIFO would block forever).

use crate::text::human_size;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// The most of `MLmodel` that is read (real ones are a few kilobytes).
pub const MLMODEL_CAP: u64 = 16_000_000;
/// The most of an environment file that is read.
pub const ENV_FILE_CAP: u64 = 4_000_000;
/// The most of an input example file that is read.
pub const EXAMPLE_CAP: u64 = 64_000_000;

/// Where a path named by the model leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStatus {
    /// It exists inside the model folder.
    Present {
        /// Whether it is a folder.
        is_dir: bool,
        /// Size in bytes for files (0 for folders; a folder's content is not summed here).
        size: u64,
    },
    /// Nothing is there.
    Missing,
    /// It leads out of the model folder; it is not followed.
    Outside {
        /// How it leads out, in words.
        reason: String,
    },
}

/// Why a file inside the model folder could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file is not there.
    #[error("file not found")]
    Missing,
    /// The path leads out of the model folder.
    #[error("{0}; not read")]
    Outside(String),
    /// The path is a folder or a special file.
    #[error("not a regular file")]
    NotAFile,
    /// Larger than what is read for this kind of file.
    #[error("is {}, larger than the {} read for this kind of file; not read", human_size(*size), human_size(*cap))]
    TooLarge {
        /// The file's size.
        size: u64,
        /// The cap.
        cap: u64,
    },
    /// Not UTF-8 text.
    #[error("is not a text file ({0})")]
    NotText(String),
    /// An I/O error.
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
}

/// Lexically resolves `rel` inside `root`, refusing absolute paths and `..` that climb out.
pub fn join_inside(root: &Path, rel: &str) -> Result<PathBuf, String> {
    let rel_path = Path::new(rel);
    if rel_path.is_absolute() {
        return Err(format!(
            "`{rel}` is an absolute path, outside the model folder"
        ));
    }
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for component in rel_path.components() {
        match component {
            Component::Normal(part) => parts.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                if parts.pop().is_none() {
                    return Err(format!(
                        "`{rel}` climbs out of the model folder through `..`"
                    ));
                }
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(format!(
                    "`{rel}` is an absolute path, outside the model folder"
                ));
            }
        }
    }
    let mut out = root.to_path_buf();
    for part in parts {
        out.push(part);
    }
    Ok(out)
}

/// Where `rel` (a path named by the model, relative to `root`) leads, without reading it.
///
/// Symbolic links are resolved only to check that they stay inside `root`.
pub fn status_of(root: &Path, rel: &str) -> PathStatus {
    let joined = match join_inside(root, rel) {
        Ok(path) => path,
        Err(reason) => return PathStatus::Outside { reason },
    };
    if std::fs::symlink_metadata(&joined).is_err() {
        return PathStatus::Missing;
    }
    let Ok(canonical_root) = root.canonicalize() else {
        return PathStatus::Missing;
    };
    match joined.canonicalize() {
        Ok(target) if target.starts_with(&canonical_root) => match std::fs::metadata(&target) {
            Ok(meta) => PathStatus::Present {
                is_dir: meta.is_dir(),
                size: if meta.is_file() { meta.len() } else { 0 },
            },
            Err(_) => PathStatus::Missing,
        },
        Ok(target) => PathStatus::Outside {
            reason: format!(
                "`{rel}` is a symbolic link to {}, outside the model folder",
                target.display()
            ),
        },
        // A dangling symbolic link.
        Err(_) => PathStatus::Missing,
    }
}

/// The path of `rel` inside `root` when it is a regular file there (through links only when
/// they stay inside): the one check every file the app reads for a model goes through.
pub fn file_inside(root: &Path, rel: &str) -> Result<PathBuf, ReadError> {
    match status_of(root, rel) {
        PathStatus::Missing => Err(ReadError::Missing),
        PathStatus::Outside { reason } => Err(ReadError::Outside(reason)),
        PathStatus::Present { is_dir: true, .. } => Err(ReadError::NotAFile),
        PathStatus::Present { .. } => {
            let path = join_inside(root, rel).map_err(ReadError::Outside)?;
            // A FIFO or device would block or never end: only regular files are read.
            match std::fs::metadata(&path) {
                Ok(meta) if meta.is_file() => Ok(path),
                Ok(_) => Err(ReadError::NotAFile),
                Err(e) => Err(ReadError::Io(e)),
            }
        }
    }
}

/// Reads `rel` inside `root` as UTF-8 text, at most `cap` bytes, refusing paths that lead out.
pub fn read_text_inside(root: &Path, rel: &str, cap: u64) -> Result<String, ReadError> {
    read_text_capped(&file_inside(root, rel)?, cap)
}

/// Reads a regular file as UTF-8 text, at most `cap` bytes.
pub fn read_text_capped(path: &Path, cap: u64) -> Result<String, ReadError> {
    let bytes = read_bytes_capped(path, cap)?;
    bytes_to_text(bytes)
}

/// Reads a regular file, at most `cap` bytes; larger files are refused.
pub fn read_bytes_capped(path: &Path, cap: u64) -> Result<Vec<u8>, ReadError> {
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ReadError::Missing,
        _ => ReadError::Io(e),
    })?;
    if !meta.is_file() {
        return Err(ReadError::NotAFile);
    }
    if meta.len() > cap {
        return Err(ReadError::TooLarge {
            size: meta.len(),
            cap,
        });
    }
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // The file may grow while it is read: never take more than the cap.
    file.take(cap + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(ReadError::TooLarge {
            size: bytes.len() as u64,
            cap,
        });
    }
    Ok(bytes)
}

/// UTF-8 text from bytes, or why it is not text (a NUL byte or invalid UTF-8, with the offset).
pub fn bytes_to_text(bytes: Vec<u8>) -> Result<String, ReadError> {
    if let Some(pos) = bytes.iter().position(|b| *b == 0) {
        return Err(ReadError::NotText(format!(
            "binary data: a NUL byte at offset {pos}"
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        ReadError::NotText(format!(
            "invalid UTF-8 at byte offset {}",
            e.utf8_error().valid_up_to()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_inside_refuses_paths_that_climb_out() {
        let root = Path::new("/m");
        assert_eq!(
            join_inside(root, "a/../b").ok(),
            Some(PathBuf::from("/m/b"))
        );
        assert!(join_inside(root, "../x").is_err());
        assert!(join_inside(root, "a/../../x").is_err());
        assert!(join_inside(root, "/etc/passwd").is_err());
    }

    #[test]
    fn human_sizes_read_well() {
        assert_eq!(human_size(12), "12 B");
        assert_eq!(human_size(12_300), "12.3 KB");
        assert_eq!(human_size(1_500_000_000), "1.5 GB");
    }
}
