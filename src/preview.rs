//! What a file of the model is, for the Files tab (UI-free; read on a worker): text as text,
//! and for other files what they are rather than an error: an ONNX graph's inputs and outputs,
//! an `.npy` array's dtype and shape, an image, or the first bytes in hex.

use std::path::Path;

use crate::model::fsutil::{self, ReadError};

/// The most of a text file shown.
pub const TEXT_CAP: u64 = 256 * 1024;
/// The largest ONNX file whose graph is read for the preview.
pub const ONNX_CAP: u64 = 512 << 20;
/// How many bytes the hex view shows.
pub const HEX_BYTES: usize = 512;

/// A file of the model described.
#[derive(Debug, Clone)]
pub enum Preview {
    /// UTF-8 text (the whole file, up to [`TEXT_CAP`]).
    Text(String),
    /// An ONNX model: producer and opset, inputs and outputs in words, the node count.
    Onnx {
        /// `producer version, opset N, N nodes`.
        summary: String,
        /// Each input, e.g. `images: uint8 [batch, 300, 300, 3]`.
        inputs: Vec<String>,
        /// Each output.
        outputs: Vec<String>,
    },
    /// A numpy `.npy` array.
    Npy {
        /// The header's dtype (`<f4`).
        descr: String,
        /// The header's shape (`(2, 4)`).
        shape: String,
    },
    /// An image, at most 512 pixels on a side for the view.
    Image {
        /// Width and height of the file's image.
        size: (u32, u32),
        /// The image for the view (RGBA).
        thumbnail: ::image::RgbaImage,
    },
    /// Anything else: its first bytes.
    Binary {
        /// The first [`HEX_BYTES`] bytes as a hex dump, 16 bytes a line.
        hex: String,
        /// The same, 8 bytes a line: for a narrow view (its text column stays in sight).
        narrow: String,
    },
    /// Too large to read here (text over the cap, ONNX over its cap).
    TooLarge(u64),
}

/// Describes `rel` in the model folder `root` (through the folder check: only regular files
/// inside it are read).
pub fn describe(root: &Path, rel: &str) -> Result<Preview, String> {
    let path = fsutil::file_inside(root, rel).map_err(|e| format!("{rel}: {e}"))?;
    let size = std::fs::metadata(&path)
        .map(|m| m.len())
        .map_err(|e| format!("{rel}: {e}"))?;
    let lower = rel.to_ascii_lowercase();
    if lower.ends_with(".onnx") {
        if size > ONNX_CAP {
            return Ok(Preview::TooLarge(size));
        }
        // The Graph tab's reading, summarised (no progress to show for a preview).
        let facts = crate::predict::graph::read_graph(
            root,
            rel,
            &Default::default(),
            &std::sync::atomic::AtomicBool::new(false),
        )
        .map_err(|e| e.to_string())?;
        let opset = facts
            .opset
            .iter()
            .find(|(d, _)| d.is_empty() || d == "ai.onnx")
            .map(|(_, v)| v.to_string())
            .unwrap_or_else(|| "?".into());
        let producer = format!("{} {}", facts.producer_name, facts.producer_version);
        let values = |vs: &[crate::predict::graph::ValueFacts]| {
            vs.iter()
                .map(|v| format!("{}: {}", v.name, v.type_label()))
                .collect()
        };
        return Ok(Preview::Onnx {
            summary: format!(
                "{}, opset {opset}, {}",
                producer.trim(),
                crate::text::count(facts.nodes.len(), "node", "nodes")
            ),
            inputs: values(&facts.inputs),
            outputs: values(&facts.outputs),
        });
    }
    let head = read_head(&path, 4096).map_err(|e| format!("{rel}: {e}"))?;
    if head.starts_with(b"\x93NUMPY") {
        let bytes = read_head(&path, 65_536 + 12).map_err(|e| format!("{rel}: {e}"))?;
        if let Some((descr, shape)) = crate::input::files::npy_header(&bytes) {
            return Ok(Preview::Npy { descr, shape });
        }
    }
    // (An image that would take more than MAX_DECODED_BYTES is refused before decoding; its
    // share of the decode memory is held until the thumbnail is made.)
    if ::image::guess_format(&head).is_ok()
        && let Ok((image, _room)) = crate::input::image::decode_held(&path)
    {
        let size = (image.width(), image.height());
        let thumbnail = image.thumbnail(512, 512).to_rgba8();
        return Ok(Preview::Image { size, thumbnail });
    }
    // Text: no NUL, and UTF-8 (the head may end inside a character).
    let utf8 = match std::str::from_utf8(&head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && e.valid_up_to() + 4 > head.len(),
    };
    if !head.contains(&0) && utf8 {
        return match fsutil::read_text_capped(&path, TEXT_CAP) {
            Ok(text) => Ok(Preview::Text(text)),
            Err(ReadError::TooLarge { size, .. }) => Ok(Preview::TooLarge(size)),
            Err(ReadError::NotText(_)) => Ok(binary(&head)),
            Err(e) => Err(format!("{rel}: {e}")),
        };
    }
    Ok(binary(&head))
}

/// A binary file's first bytes, dumped for a wide and a narrow view.
fn binary(head: &[u8]) -> Preview {
    Preview::Binary {
        hex: hex_dump(head, 16),
        narrow: hex_dump(head, 8),
    }
}

fn read_head(path: &Path, n: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::new();
    std::fs::File::open(path)?.take(n).read_to_end(&mut out)?;
    Ok(out)
}

/// The first [`HEX_BYTES`] bytes as lines of `per_line` (at least 1): offset, hex, and the
/// printable characters.
pub fn hex_dump(bytes: &[u8], per_line: usize) -> String {
    let per_line = per_line.max(1);
    let mut out = String::new();
    let width = per_line * 3 - 1;
    for (i, chunk) in bytes
        .chunks(per_line)
        .take(HEX_BYTES.div_ceil(per_line))
        .enumerate()
    {
        let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
        let text: String = chunk
            .iter()
            .map(|&b| {
                if (0x20..0x7f).contains(&b) {
                    b as char
                } else {
                    '.'
                }
            })
            .collect();
        out.push_str(&format!(
            "{:08x}  {:<width$}  {text}\n",
            i * per_line,
            hex.join(" ")
        ));
    }
    out
}
