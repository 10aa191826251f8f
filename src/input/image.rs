//! Image files to the tensor a signature asks for: decode, colour mode, resize to the
//! signature's height and width by a chosen policy, HWC or CHW layout, a batch axis filled by
//! the number of images, and the dtype cast with a chosen scaling.

use std::path::{Path, PathBuf};

use image::{DynamicImage, GenericImageView, RgbaImage};
use ndarray::{ArrayD, IxDyn};

use super::tensor::Tensor;
use crate::model::signature::TensorSpec;

/// Extensions of the image files taken as image inputs (the decoders this build has).
pub const IMAGE_EXTENSIONS: [&str; 8] = ["jpg", "jpeg", "png", "webp", "bmp", "tif", "tiff", "gif"];

/// The largest image file decoded.
pub const IMAGE_FILE_CAP: u64 = 200_000_000;

/// The most memory one image may take once decoded and brought to RGBA for resizing (its
/// pixels, then 4 bytes a pixel): 8000x8000 RGB pixels (448 MB), twice a 33 MP photo. Larger
/// images are refused with their size said, before they are decoded.
pub const MAX_DECODED_BYTES: u64 = 480_000_000;

/// What the images being decoded may take at once, across every worker of this process: a
/// decode waits for room before it starts, reserving the file, its pixels and one copy of
/// them (the colour conversion), until its caller drops what it got.
pub const DECODE_MEMORY: u64 = 768_000_000;

/// The room images being decoded are taking of [`DECODE_MEMORY`].
static DECODE_ROOM: (std::sync::Mutex<u64>, std::sync::Condvar) =
    (std::sync::Mutex::new(0), std::sync::Condvar::new());

/// A share of [`DECODE_MEMORY`], given back when dropped; taken once per image (never added
/// to while held), so decodes waiting for room cannot hold each other up.
#[derive(Debug)]
pub struct DecodeRoom(u64);

impl DecodeRoom {
    fn take(bytes: u64) -> Self {
        let bytes = bytes.min(DECODE_MEMORY);
        let (lock, freed) = &DECODE_ROOM;
        let mut used = lock.lock().unwrap_or_else(|e| e.into_inner());
        while *used + bytes > DECODE_MEMORY {
            used = freed.wait(used).unwrap_or_else(|e| e.into_inner());
        }
        *used += bytes;
        Self(bytes)
    }
}

impl Drop for DecodeRoom {
    fn drop(&mut self) {
        let (lock, freed) = &DECODE_ROOM;
        let mut used = lock.lock().unwrap_or_else(|e| e.into_inner());
        *used = used.saturating_sub(self.0);
        freed.notify_all();
    }
}

/// Why images could not become a tensor.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// The file could not be read or decoded.
    #[error("{path}: {problem}")]
    Decode {
        /// The image file.
        path: PathBuf,
        /// What went wrong.
        problem: String,
    },
    /// The tensor's dtype cannot hold image values.
    #[error("tensor dtype {0} cannot be made from an image (use uint8, an int or a float type)")]
    UnsupportedDtype(String),
    /// The signature leaves height or width free and none was given.
    #[error("the signature leaves the {0} free (-1): choose one")]
    FreeDimension(&'static str),
    /// No image was given.
    #[error("no image given")]
    NoImages,
    /// Several images for a tensor without a batch axis.
    #[error("the tensor has no batch axis, so it takes one image, not {0}")]
    TooManyImages(usize),
    /// The tensor asked for is larger than a request built here may be.
    #[error("{0}")]
    TooLarge(String),
    /// A pasted image could not be kept as a file.
    #[error("cannot keep the pasted image as {path}: {problem}")]
    Save {
        /// The file it was to be written to.
        path: PathBuf,
        /// What went wrong.
        problem: String,
    },
}

/// Where images pasted from the clipboard are kept as PNG files, so that they are inputs like
/// any other image file: `$XDG_CACHE_HOME/mlmodel-inspector/pasted` (or `~/.cache/...`).
pub fn pasted_dir() -> PathBuf {
    let remote = crate::source::cache_root();
    remote
        .parent()
        .map(|p| p.join("pasted"))
        .unwrap_or_else(|| remote.join("pasted"))
}

/// Keeps an image pasted from the clipboard as `pasted-XXXXXXXX.png` in `dir`, named after its
/// pixels (the same picture pasted twice is one file). Refuses one over [`MAX_SIDE`].
pub fn save_pasted(image: &RgbaImage, dir: &Path) -> Result<PathBuf, ImageError> {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in image
        .width()
        .to_le_bytes()
        .iter()
        .chain(image.height().to_le_bytes().iter())
        .chain(image.as_raw().iter())
    {
        hash = (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
    }
    let path = dir.join(format!("pasted-{:08x}.png", hash >> 32));
    let err = |problem: String| ImageError::Save {
        path: path.clone(),
        problem,
    };
    if i64::from(image.width().max(image.height())) > MAX_SIDE {
        return Err(err(format!(
            "{} x {} pixels is larger than the {MAX_SIDE} pixels a side an image may have",
            image.width(),
            image.height()
        )));
    }
    if image.width() == 0 || image.height() == 0 {
        return Err(err("the clipboard's image is empty".into()));
    }
    std::fs::create_dir_all(dir).map_err(|e| err(e.to_string()))?;
    if !path.is_file() {
        image
            .save_with_format(&path, image::ImageFormat::Png)
            .map_err(|e| err(e.to_string()))?;
    }
    Ok(path)
}

/// A small picture of an image file for the list of chosen images: at most `side` pixels a
/// side, with the file's own size. Decodes with the same checks as building a request.
pub fn thumbnail(path: &Path, side: u32) -> Result<(RgbaImage, (u32, u32)), ImageError> {
    // The decoded pixels' room is held until the thumbnail is made of them.
    let (image, _room) = decode_held(path)?;
    let size = (image.width(), image.height());
    Ok((image.thumbnail(side, side).to_rgba8(), size))
}

/// The longest side, in pixels, of the images a request is built from.
pub const MAX_SIDE: i64 = 32_768;
/// The most numbers an image tensor built here may hold (512 Mi: 2 GiB as float32).
pub const MAX_ELEMENTS: u64 = 1 << 29;

/// Where the channels are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Height, width, channels (TensorFlow, Keras, most MLflow image models).
    Hwc,
    /// Channels, height, width (PyTorch).
    Chw,
}

/// An image-shaped tensor of a signature.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageTarget {
    /// Whether the first axis is a batch axis (`-1` or a fixed count before H, W, C).
    pub batch: Option<i64>,
    /// HWC or CHW.
    pub layout: Layout,
    /// Height, or `None` when the signature leaves it free.
    pub height: Option<u32>,
    /// Width, or `None` when free.
    pub width: Option<u32>,
    /// 1, 3 or 4.
    pub channels: u32,
    /// The numpy dtype.
    pub dtype: String,
    /// The signature's height and width as written (`-1` for free), for messages.
    pub spec_size: (i64, i64),
}

fn dim(d: i64) -> Option<u32> {
    u32::try_from(d).ok().filter(|v| *v > 0)
}

impl ImageTarget {
    /// Reads a tensor spec as an image: rank 3 or 4, with 1, 3 or 4 channels last (HWC) or right
    /// after the batch axis (CHW). `None` when the tensor is not image-shaped.
    pub fn from_spec(spec: &TensorSpec) -> Option<Self> {
        let channels = |d: i64| matches!(d, 1 | 3 | 4).then_some(d as u32);
        let (batch, rest) = match spec.shape.as_slice() {
            [b, rest @ ..] if rest.len() == 3 => (Some(*b), rest),
            rest if rest.len() == 3 => (None, rest),
            _ => return None,
        };
        let [a, b, c] = [rest[0], rest[1], rest[2]];
        let (layout, channels, h, w) = if let Some(ch) = channels(c) {
            (Layout::Hwc, ch, a, b)
        } else if let Some(ch) = channels(a) {
            (Layout::Chw, ch, b, c)
        } else {
            return None;
        };
        // Height and width must be image-like: free (-1) or larger than a channel count.
        let plausible = |d: i64| d == -1 || d > 4;
        if !(plausible(h) && plausible(w)) {
            return None;
        }
        Some(ImageTarget {
            batch,
            layout,
            height: dim(h),
            width: dim(w),
            channels,
            dtype: spec.dtype.clone(),
            spec_size: (h, w),
        })
    }

    /// The width and height the images are brought to (`free`: the size chosen where the
    /// signature leaves it free), refused when the tensor for `images` images would be larger
    /// than a request built here may be: each side at most [`MAX_SIDE`], the whole at most
    /// [`MAX_ELEMENTS`] numbers.
    pub fn size_for(
        &self,
        free: Option<(u32, u32)>,
        images: usize,
    ) -> Result<(u32, u32), ImageError> {
        let side = |what: &'static str, fixed: Option<u32>, spec: i64, chosen: Option<u32>| {
            if spec != -1 && fixed.is_none_or(|v| i64::from(v) > MAX_SIDE) {
                return Err(ImageError::TooLarge(format!(
                    "the signature asks for images {spec} pixels in {what} ({} {}): more than the {MAX_SIDE} pixels a side this app builds images to",
                    self.dtype,
                    self.shape_text()
                )));
            }
            let v = fixed.or(chosen).ok_or(ImageError::FreeDimension(what))?;
            if i64::from(v) > MAX_SIDE {
                return Err(ImageError::TooLarge(format!(
                    "a {what} of {v} pixels is more than the {MAX_SIDE} pixels a side this app builds images to"
                )));
            }
            Ok(v)
        };
        let height = side(
            "height",
            self.height,
            self.spec_size.0,
            free.map(|(_, h)| h),
        )?;
        let width = side("width", self.width, self.spec_size.1, free.map(|(w, _)| w))?;
        let elements = u64::from(height)
            .saturating_mul(u64::from(width))
            .saturating_mul(u64::from(self.channels))
            .saturating_mul(images as u64);
        if elements > MAX_ELEMENTS {
            return Err(ImageError::TooLarge(format!(
                "{images} images of {width}x{height}x{} make {elements} numbers, more than the {MAX_ELEMENTS} a request built here may hold: send fewer images at once",
                self.channels
            )));
        }
        Ok((width, height))
    }

    fn shape_text(&self) -> String {
        let (h, w) = self.spec_size;
        let c = i64::from(self.channels);
        let mut dims: Vec<i64> = self.batch.into_iter().collect();
        match self.layout {
            Layout::Hwc => dims.extend([h, w, c]),
            Layout::Chw => dims.extend([c, h, w]),
        }
        crate::model::signature::shape_label(&dims)
    }
}

/// Colour mode of the pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorMode {
    /// 1 channel.
    Grayscale,
    /// 3 channels.
    Rgb,
    /// 4 channels.
    Rgba,
}

impl ColorMode {
    /// The mode that fills `channels` channels.
    pub fn for_channels(channels: u32) -> Self {
        match channels {
            1 => ColorMode::Grayscale,
            4 => ColorMode::Rgba,
            _ => ColorMode::Rgb,
        }
    }
}

/// How an image is brought to the target height and width.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Resize {
    /// Scale both axes to fit exactly (aspect ratio not kept). The default.
    Stretch,
    /// Scale to cover, then cut the centre.
    CenterCrop,
    /// Scale to fit inside, then pad with a colour (RGBA).
    Letterbox {
        /// The padding colour.
        pad: [u8; 4],
    },
}

/// How pixel values become numbers of a float dtype.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scaling {
    /// 0..255 as they are.
    Raw,
    /// 0..1.
    Unit,
    /// (x/255 - mean) / std, per channel.
    MeanStd {
        /// Per-channel mean (on the 0..1 scale).
        mean: [f32; 4],
        /// Per-channel standard deviation (on the 0..1 scale).
        std: [f32; 4],
    },
}

/// ImageNet's mean and standard deviation, the usual preset.
pub const IMAGENET: Scaling = Scaling::MeanStd {
    mean: [0.485, 0.456, 0.406, 0.0],
    std: [0.229, 0.224, 0.225, 1.0],
};

/// Choices for turning images into a tensor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImageOptions {
    /// Colour mode; by default the one the channel count asks for.
    pub color: ColorMode,
    /// Resize policy.
    pub resize: Resize,
    /// Scaling for float dtypes (ignored for integer dtypes, which keep 0..255).
    pub scaling: Scaling,
    /// Width and height to use where the signature leaves them free.
    pub free_size: Option<(u32, u32)>,
}

impl ImageOptions {
    /// The defaults for a target: its colour mode, stretch, 0..255.
    pub fn for_target(target: &ImageTarget) -> Self {
        ImageOptions {
            color: ColorMode::for_channels(target.channels),
            resize: Resize::Stretch,
            scaling: Scaling::Raw,
            free_size: None,
        }
    }
}

/// Decodes an image file (JPEG, PNG, WebP, BMP, TIFF, GIF), refusing files over the cap and
/// images that would take more than [`MAX_DECODED_BYTES`] once decoded.
pub fn decode(path: &Path) -> Result<DynamicImage, ImageError> {
    decode_held(path).map(|(image, _)| image)
}

/// As [`decode`], with the image's share of [`DECODE_MEMORY`]: the caller holds it while it
/// works on the pixels (resizes them), so that images decoded at once on several workers stay
/// within it.
pub fn decode_held(path: &Path) -> Result<(DynamicImage, DecodeRoom), ImageError> {
    use image::ImageDecoder as _;
    let err = |problem: String| ImageError::Decode {
        path: path.to_path_buf(),
        problem,
    };
    let meta = std::fs::metadata(path).map_err(|e| err(format!("cannot read: {e}")))?;
    if !meta.is_file() {
        return Err(err("not a regular file".into()));
    }
    if meta.len() > IMAGE_FILE_CAP {
        return Err(err(format!(
            "is {}, larger than the {} an image may be",
            crate::text::human_size(meta.len()),
            crate::text::human_size(IMAGE_FILE_CAP)
        )));
    }
    let bytes = crate::model::fsutil::read_bytes_capped(path, IMAGE_FILE_CAP)
        .map_err(|e| err(e.to_string()))?;
    let reader = image::ImageReader::new(std::io::Cursor::new(&bytes))
        .with_guessed_format()
        .map_err(|e| err(format!("cannot read: {e}")))?;
    match reader.format() {
        None => {
            return Err(err(
                "not an image this app reads (JPEG, PNG, WebP, BMP, TIFF or GIF)".into(),
            ));
        }
        // The JPEG decoder fills what a cut file lacks with grey, without a word.
        Some(image::ImageFormat::Jpeg) if jpeg_cut_short(&bytes) => {
            return Err(err(
                "the JPEG file is cut short (its data ends before the end-of-image marker): it would decode partly grey".into(),
            ));
        }
        Some(_) => {}
    }
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| err(format!("cannot decode the image: {e}")))?;
    let (width, height) = decoder.dimensions();
    let pixels = decoder.total_bytes();
    let rgba = u64::from(width)
        .saturating_mul(u64::from(height))
        .saturating_mul(4);
    let needs = pixels.saturating_add(rgba);
    if needs > MAX_DECODED_BYTES {
        return Err(err(format!(
            "is {width}x{height} pixels, {} once decoded ({} with its RGBA copy for resizing), more than the {} an image may take here; make it smaller",
            crate::text::human_size(pixels),
            crate::text::human_size(needs),
            crate::text::human_size(MAX_DECODED_BYTES)
        )));
    }
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    decoder
        .set_limits(limits)
        .map_err(|e| err(format!("cannot decode the image: {e}")))?;
    let room = DecodeRoom::take((bytes.len() as u64).saturating_add(needs));
    let image = DynamicImage::from_decoder(decoder)
        .map_err(|e| err(format!("cannot decode the image: {e}")))?;
    drop(bytes);
    Ok((image, room))
}

/// Whether a JPEG's data ends before its end-of-image marker: its segments are walked from
/// the start (anything after the marker, such as a Motion Photo's video, is not looked at).
fn jpeg_cut_short(bytes: &[u8]) -> bool {
    let mut i = 2; // after SOI
    loop {
        // The next marker: 0xFF, fill bytes, then its code.
        while bytes.get(i) == Some(&0xFF) && bytes.get(i + 1) == Some(&0xFF) {
            i += 1;
        }
        let (Some(0xFF), Some(&code)) = (bytes.get(i), bytes.get(i + 1)) else {
            return true;
        };
        i += 2;
        match code {
            0xD9 => return false,
            // Markers without a length.
            0x01 | 0xD0..=0xD7 => continue,
            _ => {}
        }
        let (Some(&hi), Some(&lo)) = (bytes.get(i), bytes.get(i + 1)) else {
            return true;
        };
        i += usize::from(u16::from_be_bytes([hi, lo]));
        if i > bytes.len() {
            return true;
        }
        if code == 0xDA {
            // Entropy-coded data runs to the next marker that is not a stuffed 0xFF00 or a
            // restart marker.
            loop {
                match (bytes.get(i), bytes.get(i + 1)) {
                    (Some(0xFF), Some(0x00 | 0xD0..=0xD7)) => i += 2,
                    (Some(0xFF), Some(_)) => break,
                    (Some(_), _) => i += 1,
                    (None, _) => return true,
                }
            }
        }
    }
}

/// Bicubic (Catmull-Rom, as PIL's `resize()`) resampling of an RGBA image, channels kept apart
/// (no alpha premultiplication, as `image::imageops::resize`), with fast_image_resize's SIMD
/// convolution: several times faster than the image crate's (BENCHMARKS.md, item 2).
fn bicubic(rgba: &RgbaImage, width: u32, height: u32) -> RgbaImage {
    use fast_image_resize as fr;
    let (w, h) = rgba.dimensions();
    let source = fr::images::ImageRef::new(w, h, rgba.as_raw(), fr::PixelType::U8x4);
    let mut target = fr::images::Image::new(width, height, fr::PixelType::U8x4);
    let options = fr::ResizeOptions::new()
        .resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::CatmullRom))
        .use_alpha(false);
    let resized = source
        .map_err(|e| e.to_string())
        .and_then(|src| {
            fr::Resizer::new()
                .resize(&src, &mut target, &options)
                .map_err(|e| e.to_string())
        })
        .ok()
        .and_then(|()| RgbaImage::from_raw(width, height, target.into_vec()));
    // The sizes are checked by the caller; should the fast path refuse, the slow one answers.
    resized.unwrap_or_else(|| {
        image::imageops::resize(rgba, width, height, image::imageops::FilterType::CatmullRom)
    })
}

/// Brings one image to `height` x `width` by the resize policy, as RGBA pixels.
pub fn resize(image: &DynamicImage, width: u32, height: u32, policy: Resize) -> RgbaImage {
    let (w, h) = image.dimensions();
    let rgba = image.to_rgba8();
    if (w, h) == (width, height) {
        return rgba;
    }
    match policy {
        Resize::Stretch => bicubic(&rgba, width, height),
        Resize::CenterCrop => {
            let scale = (width as f64 / w as f64).max(height as f64 / h as f64);
            let sw = ((w as f64 * scale).round() as u32).max(width);
            let sh = ((h as f64 * scale).round() as u32).max(height);
            let scaled = bicubic(&rgba, sw, sh);
            let x = (sw - width) / 2;
            let y = (sh - height) / 2;
            image::imageops::crop_imm(&scaled, x, y, width, height).to_image()
        }
        Resize::Letterbox { pad } => {
            let scale = (width as f64 / w as f64).min(height as f64 / h as f64);
            let sw = ((w as f64 * scale).round() as u32).clamp(1, width);
            let sh = ((h as f64 * scale).round() as u32).clamp(1, height);
            let scaled = bicubic(&rgba, sw, sh);
            let mut canvas = RgbaImage::from_pixel(width, height, image::Rgba(pad));
            image::imageops::overlay(
                &mut canvas,
                &scaled,
                ((width - sw) / 2).into(),
                ((height - sh) / 2).into(),
            );
            canvas
        }
    }
}

fn channel_values(pixel: &image::Rgba<u8>, color: ColorMode) -> [u8; 4] {
    let [r, g, b, a] = pixel.0;
    match color {
        // ITU-R 601-2 luma, as PIL's convert("L").
        ColorMode::Grayscale => {
            let l = ((r as u32 * 299 + g as u32 * 587 + b as u32 * 114 + 500) / 1000) as u8;
            [l, l, l, a]
        }
        ColorMode::Rgb | ColorMode::Rgba => [r, g, b, a],
    }
}

/// Turns images into the tensor `target` describes.
pub fn images_to_tensor(
    images: &[DynamicImage],
    target: &ImageTarget,
    options: &ImageOptions,
) -> Result<Tensor, ImageError> {
    if images.is_empty() {
        return Err(ImageError::NoImages);
    }
    if target.batch.is_none() && images.len() > 1 {
        return Err(ImageError::TooManyImages(images.len()));
    }
    let (width, height) = target.size_for(options.free_size, images.len())?;
    let c = target.channels as usize;
    let (h, w) = (height as usize, width as usize);
    let n = images.len();
    let mut shape = Vec::with_capacity(4);
    if target.batch.is_some() {
        shape.push(n);
    }
    match target.layout {
        Layout::Hwc => shape.extend([h, w, c]),
        Layout::Chw => shape.extend([c, h, w]),
    }
    let mut pixels = vec![0u8; n * h * w * c];
    for (i, image) in images.iter().enumerate() {
        let resized = resize(image, width, height, options.resize);
        let base = i * h * w * c;
        for (x, y, pixel) in resized.enumerate_pixels() {
            let values = channel_values(pixel, options.color);
            for (ch, value) in values.iter().take(c).enumerate() {
                let index = match target.layout {
                    Layout::Hwc => base + (y as usize * w + x as usize) * c + ch,
                    Layout::Chw => base + ch * h * w + y as usize * w + x as usize,
                };
                if let Some(slot) = pixels.get_mut(index) {
                    *slot = *value;
                }
            }
        }
    }
    let channel_of = |index: usize| match target.layout {
        Layout::Hwc => index % c,
        Layout::Chw => (index / (h * w)) % c,
    };
    let scale = |index: usize, v: u8| -> f64 {
        match options.scaling {
            Scaling::Raw => v as f64,
            Scaling::Unit => v as f64 / 255.0,
            Scaling::MeanStd { mean, std } => {
                let ch = channel_of(index).min(3);
                (v as f64 / 255.0 - mean[ch] as f64) / std[ch] as f64
            }
        }
    };
    let dims = IxDyn(&shape);
    let shape_err =
        |e: ndarray::ShapeError| ImageError::UnsupportedDtype(format!("{} ({e})", target.dtype));
    match target.dtype.as_str() {
        "uint8" => Ok(Tensor::U8(
            ArrayD::from_shape_vec(dims, pixels).map_err(shape_err)?,
        )),
        "float32" => {
            let values = pixels
                .iter()
                .enumerate()
                .map(|(i, v)| scale(i, *v) as f32)
                .collect();
            Ok(Tensor::F32(
                ArrayD::from_shape_vec(dims, values).map_err(shape_err)?,
            ))
        }
        "float64" => {
            let values = pixels
                .iter()
                .enumerate()
                .map(|(i, v)| scale(i, *v))
                .collect();
            Ok(Tensor::F64(
                ArrayD::from_shape_vec(dims, values).map_err(shape_err)?,
            ))
        }
        "int16" | "int32" | "int64" | "uint16" | "uint32" | "uint64" => {
            let values = pixels.iter().map(|v| *v as i64).collect();
            Ok(Tensor::I64(
                ArrayD::from_shape_vec(dims, values).map_err(shape_err)?,
                target.dtype.clone(),
            ))
        }
        other => Err(ImageError::UnsupportedDtype(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pasted_image_is_kept_as_a_png_named_after_its_pixels() {
        let dir = tempfile::tempdir().unwrap();
        let image = RgbaImage::from_fn(3, 2, |x, y| {
            image::Rgba([x as u8 * 80, y as u8 * 200, 7, 255])
        });
        let path = save_pasted(&image, dir.path()).unwrap();
        assert!(
            path.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("pasted-")
        );
        assert_eq!(
            save_pasted(&image, dir.path()).unwrap(),
            path,
            "the same picture, one file"
        );
        let back = decode(&path).unwrap().to_rgba8();
        assert_eq!(back, image);
        let (small, size) = thumbnail(&path, 2).unwrap();
        assert_eq!(size, (3, 2));
        assert!(small.width() <= 2 && small.height() <= 2);
        let other = RgbaImage::from_pixel(3, 2, image::Rgba([0, 0, 0, 255]));
        assert_ne!(save_pasted(&other, dir.path()).unwrap(), path);
        let empty = RgbaImage::new(0, 0);
        assert!(
            save_pasted(&empty, dir.path())
                .unwrap_err()
                .to_string()
                .contains("empty")
        );
    }

    fn spec(dtype: &str, shape: &[i64]) -> TensorSpec {
        TensorSpec {
            name: None,
            name_json: None,
            dtype: dtype.into(),
            shape: shape.to_vec(),
        }
    }

    #[test]
    fn image_shaped_tensors_are_recognised() {
        let t = ImageTarget::from_spec(&spec("uint8", &[-1, 300, 300, 3])).unwrap();
        assert_eq!(
            (t.batch, t.layout, t.height, t.width, t.channels),
            (Some(-1), Layout::Hwc, Some(300), Some(300), 3)
        );
        let t = ImageTarget::from_spec(&spec("float32", &[-1, 3, 224, 224])).unwrap();
        assert_eq!((t.layout, t.channels), (Layout::Chw, 3));
        let t = ImageTarget::from_spec(&spec("float32", &[28, 28, 1])).unwrap();
        assert_eq!((t.batch, t.layout, t.channels), (None, Layout::Hwc, 1));
        assert!(ImageTarget::from_spec(&spec("float32", &[-1, 4])).is_none());
        assert!(ImageTarget::from_spec(&spec("float32", &[-1, 2, 2])).is_none());
        assert!(ImageTarget::from_spec(&spec("float32", &[-1, 10, 20, 7])).is_none());
    }

    #[test]
    fn a_batch_of_images_becomes_the_signatures_tensor() {
        let red = DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
            640,
            427,
            image::Rgb([255, 0, 0]),
        ));
        let blue =
            DynamicImage::ImageRgb8(image::RgbImage::from_pixel(10, 10, image::Rgb([0, 0, 255])));
        let target = ImageTarget::from_spec(&spec("uint8", &[-1, 300, 300, 3])).unwrap();
        let t = images_to_tensor(
            &[red.clone(), blue],
            &target,
            &ImageOptions::for_target(&target),
        )
        .unwrap();
        assert_eq!(t.shape(), &[2, 300, 300, 3]);
        let Tensor::U8(a) = &t else { panic!() };
        assert_eq!(a[[0, 150, 150, 0]], 255);
        assert_eq!(a[[1, 150, 150, 2]], 255);
        assert_eq!(a[[1, 150, 150, 0]], 0);

        let target = ImageTarget::from_spec(&spec("float32", &[-1, 3, 8, 8])).unwrap();
        let mut opts = ImageOptions::for_target(&target);
        opts.scaling = Scaling::Unit;
        let t = images_to_tensor(&[red], &target, &opts).unwrap();
        assert_eq!(t.shape(), &[1, 3, 8, 8]);
        let Tensor::F32(a) = &t else { panic!() };
        assert_eq!(a[[0, 0, 4, 4]], 1.0);
        assert_eq!(a[[0, 1, 4, 4]], 0.0);
    }

    #[test]
    fn letterbox_pads_and_crop_cuts() {
        let wide = DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
            200,
            100,
            image::Rgb([255, 255, 255]),
        ));
        let out = resize(
            &wide,
            100,
            100,
            Resize::Letterbox {
                pad: [0, 0, 0, 255],
            },
        );
        assert_eq!(
            out.get_pixel(50, 5).0,
            [0, 0, 0, 255],
            "top band is padding"
        );
        assert_eq!(out.get_pixel(50, 50).0, [255, 255, 255, 255]);
        let out = resize(&wide, 100, 100, Resize::CenterCrop);
        assert_eq!(
            out.get_pixel(50, 5).0,
            [255, 255, 255, 255],
            "no padding when cropping"
        );
    }
}
