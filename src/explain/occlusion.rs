//! Occlusion of an image through the chosen backend: the image as the model sees it (after
//! resize, at the signature's size) has a window slid over it; each position is replaced by a
//! baseline (zero, the image's mean colour, or a blur) and the drop in the explained class's
//! score is added to every pixel the window covers, averaged where windows overlap, as Captum's
//! `Occlusion` does. The map is given as a grid of cells, a stride wide.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use image::{DynamicImage, RgbaImage};

use super::table::Progress;
use super::{ExplainError, Target};
use crate::input::request::{Request, Tensors};
use crate::model::ModelCard;
use crate::predict::{BackendChoice, BackendSettings, Runner};

/// The most pixels an explained image may have as the model sees it: the map keeps 12 bytes a
/// pixel (a sum and a count), and each image in flight is a copy of it.
pub const MAX_PIXELS: u64 = 4096 * 4096;

/// The most window positions (each one model row).
pub const MAX_POSITIONS: usize = 50_000;

/// What replaces an occluded window.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Baseline {
    /// Black (0 in every channel).
    #[default]
    Zero,
    /// The image's mean colour.
    Mean,
    /// The image blurred (a Gaussian of a quarter window).
    Blur,
}

/// What to explain.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageSpecOcclusion {
    /// The image file.
    pub image: std::path::PathBuf,
    /// The class explained (`None`: the top class).
    pub class: Option<usize>,
    /// The window's side in pixels (`None`: from the grid).
    pub window: Option<u32>,
    /// The stride (`None`: from the grid).
    pub stride: Option<u32>,
    /// Positions a side when window and stride are not given (`None`: 15 in-process, 8
    /// through a server or an endpoint, where one 300x300x3 image is about 1 MB of JSON).
    pub grid: Option<u32>,
    /// The baseline.
    pub baseline: Baseline,
    /// Images per request (`None`: 8).
    pub batch: Option<usize>,
    /// How the image becomes the tensor (`predict`'s image options).
    pub options: crate::session::ImageSpec,
    /// Requests in flight at once for an endpoint URL (other backends take one at a time).
    pub concurrency: usize,
}

/// An image explained.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageExplanation {
    /// What was explained.
    pub target: Target,
    /// The score of the unoccluded image.
    pub score: f64,
    /// Rows of cells over the image as the model sees it, each the mean drop of its pixels:
    /// larger means more influence on the target.
    pub grid: Vec<Vec<f64>>,
    /// The window and stride used, in pixels.
    pub window: (u32, u32),
    /// What replaced the occluded windows.
    pub baseline: Baseline,
    /// The image's size as the model sees it (width, height).
    pub size: (u32, u32),
    /// Model rows predicted (the image itself included).
    pub rows_predicted: usize,
    /// The whole run.
    pub runtime: Duration,
    /// The image as the model sees it (for drawing the map over it).
    pub seen: RgbaImage,
}

impl Baseline {
    /// Every baseline, in the order a menu lists them.
    pub const ALL: [Baseline; 3] = [Baseline::Zero, Baseline::Mean, Baseline::Blur];

    /// Its name, as the command line spells it.
    pub fn name(self) -> &'static str {
        match self {
            Baseline::Zero => "zero",
            Baseline::Mean => "mean",
            Baseline::Blur => "blur",
        }
    }
}

impl ImageExplanation {
    /// The cell whose occlusion takes the most away: (row, column, drop).
    pub fn strongest(&self) -> Option<(usize, usize, f64)> {
        let mut best: Option<(usize, usize, f64)> = None;
        for (r, row) in self.grid.iter().enumerate() {
            for (c, &v) in row.iter().enumerate() {
                if v.is_finite() && best.is_none_or(|(_, _, b)| v > b) {
                    best = Some((r, c, v));
                }
            }
        }
        best
    }

    /// The largest magnitude of any cell (0 when the map is flat).
    pub fn largest(&self) -> f64 {
        self.grid
            .iter()
            .flatten()
            .filter(|v| v.is_finite())
            .fold(0.0f64, |m, v| m.max(v.abs()))
    }

    /// The grid's rows and columns.
    pub fn cells(&self) -> (usize, usize) {
        (self.grid.len(), self.grid.first().map_or(0, Vec::len))
    }

    /// The drop of cell (`row`, `column`), when the grid has it.
    pub fn drop_at(&self, row: usize, column: usize) -> Option<f64> {
        self.grid.get(row).and_then(|r| r.get(column)).copied()
    }

    /// Where cell (`row`, `column`) lies on the image, in words: "top left", "centre",
    /// "bottom right" (by thirds).
    pub fn place(&self, row: usize, column: usize) -> String {
        let (rows, cols) = self.cells();
        let third = |i: usize, n: usize| {
            if n == 0 {
                1
            } else {
                ((2 * i + 1) * 3 / (2 * n)).min(2)
            }
        };
        let vertical = ["top", "middle", "bottom"][third(row, rows)];
        let horizontal = ["left", "centre", "right"][third(column, cols)];
        match (vertical, horizontal) {
            ("middle", "centre") => "centre".into(),
            (v, h) => format!("{v} {h}"),
        }
    }
}

/// Window side and stride for `side` pixels with `n` positions a side: the stride
/// `side / n`, the window what makes the last position end at the edge.
pub fn window_for(side: u32, n: u32) -> (u32, u32) {
    let n = n.clamp(1, side.max(1));
    let stride = (side / n).max(1);
    let window = side.saturating_sub((n - 1) * stride).max(1);
    (window, stride)
}

/// The baseline image for `seen`.
fn baseline_image(seen: &RgbaImage, baseline: Baseline, window: u32) -> RgbaImage {
    match baseline {
        Baseline::Zero => RgbaImage::from_fn(seen.width(), seen.height(), |x, y| {
            let a = seen.get_pixel(x, y).0[3];
            image::Rgba([0, 0, 0, a])
        }),
        Baseline::Mean => {
            let n = (seen.width() as u64 * seen.height() as u64).max(1);
            let mut sum = [0u64; 3];
            for p in seen.pixels() {
                for (s, v) in sum.iter_mut().zip(p.0) {
                    *s += v as u64;
                }
            }
            let mean = sum.map(|s| ((s + n / 2) / n) as u8);
            RgbaImage::from_fn(seen.width(), seen.height(), |x, y| {
                let a = seen.get_pixel(x, y).0[3];
                image::Rgba([mean[0], mean[1], mean[2], a])
            })
        }
        Baseline::Blur => image::imageops::blur(seen, (window as f32 / 4.0).max(1.0)),
    }
}

/// The positions (top-left corners) a side: 0, stride, … while the window fits.
fn positions(side: u32, window: u32, stride: u32) -> Vec<u32> {
    if window > side {
        return vec![0];
    }
    (0..=side - window)
        .step_by(stride.max(1) as usize)
        .collect()
}

/// Explains `spec.image` through `choice`.
pub fn run(
    card: &ModelCard,
    runner: &mut Runner,
    choice: &BackendChoice,
    settings: &BackendSettings,
    spec: &ImageSpecOcclusion,
    progress: &Progress,
    cancel: &AtomicBool,
) -> Result<ImageExplanation, ExplainError> {
    let started = Instant::now();
    let Some((input, target)) = crate::input::build::image_inputs(card).into_iter().next() else {
        return Err(ExplainError::Usage(format!(
            "{}: the model's signature has no image-shaped tensor input (rank 3 or 4 with 1, 3 or 4 channels); explain a table row with --csv instead",
            spec.image.display()
        )));
    };
    let options = spec.options.options(&target);
    let (width, height) = target
        .size_for(options.free_size, 1)
        .map_err(|e| ExplainError::Usage(e.to_string()))?;
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(ExplainError::Usage(format!(
            "{}: the model sees images {width}x{height}, more than the {MAX_PIXELS} pixels occlusion maps (4096x4096)",
            spec.image.display()
        )));
    }
    let decoded = crate::input::image::decode_held(&spec.image)
        .map_err(|e| ExplainError::Usage(format!("{}: {e}", spec.image.display())))?
        .0;
    let seen = crate::input::image::resize(&decoded, width, height, options.resize);
    let http = matches!(choice, BackendChoice::Local | BackendChoice::Url(_));
    let n = spec.grid.unwrap_or(if http { 8 } else { 15 });
    let (window, stride) = match (spec.window, spec.stride) {
        (Some(w), Some(s)) => (w.max(1), s.max(1)),
        (Some(w), None) => (w.max(1), (w / 2).max(1)),
        (None, Some(s)) => (window_for(width.min(height), n).0.max(s), s.max(1)),
        (None, None) => window_for(width.min(height), n),
    };
    let (xs, ys) = (
        positions(width, window, stride),
        positions(height, window, stride),
    );
    if xs.len() * ys.len() > MAX_POSITIONS {
        return Err(ExplainError::Usage(format!(
            "a {window}-pixel window every {stride} pixels is {} positions on a {width}x{height} image, more than {MAX_POSITIONS}: give a larger --stride",
            xs.len() * ys.len()
        )));
    }
    let base = baseline_image(&seen, spec.baseline, window);
    let batch = spec
        .batch
        // 8 images a request everywhere: in-process, ONNX Runtime's working memory grows with
        // the batch (measured on the example model: 8 keeps the peak within twice predict's,
        // 32 takes four times it for a fifth less time).
        .unwrap_or(8)
        // A request's tensor stays within what one built here may be.
        .min(
            (crate::input::image::MAX_ELEMENTS
                / (u64::from(width) * u64::from(height) * u64::from(target.channels)).max(1))
            .max(1) as usize,
        )
        .max(1)
        .min(if target.batch.is_some() {
            usize::MAX
        } else {
            1
        });
    let total = xs.len() * ys.len() + 1;
    progress.total.store(total, Ordering::Relaxed);
    let request_of = |images: &[DynamicImage]| -> Result<(Request, usize), ExplainError> {
        let tensor = crate::input::image::images_to_tensor(images, &target, &options)
            .map_err(|e| ExplainError::Usage(e.to_string()))?;
        let tensors = match &input {
            None => Tensors::One(tensor),
            Some(name) => Tensors::Named(vec![(name.clone(), tensor)]),
        };
        Ok((Request::tensors(tensors, None), images.len()))
    };
    let concurrency = spec.concurrency.max(1);
    let mut backend = super::Backend {
        runner,
        choice,
        settings,
        cancel,
        concurrency,
        done: &progress.done,
        what: "image",
    };
    let first = backend
        .ask(vec![request_of(&[DynamicImage::ImageRgba8(seen.clone())])?])?
        .pop()
        .ok_or_else(|| ExplainError::Usage("no answer for the image".into()))?;
    let target_choice =
        Target::choose(&first, spec.class, card.classes.as_ref()).map_err(ExplainError::Usage)?;
    let score = target_choice
        .pick(first)
        .map_err(|message| ExplainError::Backend { message, done: 1 })?
        .first()
        .copied()
        .unwrap_or(0.0);
    let (w, h) = (width as usize, height as usize);
    let mut attribution = vec![0.0f64; w * h];
    let mut count = vec![0u32; w * h];
    let all: Vec<(u32, u32)> = ys
        .iter()
        .flat_map(|&y| xs.iter().map(move |&x| (x, y)))
        .collect();
    let occluded = |x0: u32, y0: u32| {
        let mut img = seen.clone();
        for y in y0..(y0 + window).min(height) {
            for x in x0..(x0 + window).min(width) {
                img.put_pixel(x, y, *base.get_pixel(x, y));
            }
        }
        DynamicImage::ImageRgba8(img)
    };
    // A wave of batches at a time (as many as an endpoint takes at once): memory holds a
    // wave's images, whatever the grid.
    for wave in all.chunks(batch * concurrency) {
        let requests = wave
            .chunks(batch)
            .map(|chunk| {
                let images: Vec<DynamicImage> =
                    chunk.iter().map(|&(x0, y0)| occluded(x0, y0)).collect();
                request_of(&images)
            })
            .collect::<Result<Vec<_>, ExplainError>>()?;
        let mut scores = Vec::with_capacity(wave.len());
        for outputs in backend.ask(requests)? {
            scores.extend(target_choice.pick(outputs).map_err(|message| {
                ExplainError::Backend {
                    message,
                    done: progress.done.load(Ordering::Relaxed),
                }
            })?);
        }
        for (&(x0, y0), s) in wave.iter().zip(scores) {
            let drop = score - s;
            for y in y0..(y0 + window).min(height) {
                for x in x0..(x0 + window).min(width) {
                    let i = y as usize * w + x as usize;
                    if let (Some(a), Some(c)) = (attribution.get_mut(i), count.get_mut(i)) {
                        *a += drop;
                        *c += 1;
                    }
                }
            }
        }
    }
    let map: Vec<f64> = attribution
        .iter()
        .zip(&count)
        .map(|(a, &c)| if c > 0 { a / c as f64 } else { 0.0 })
        .collect();
    let cell = stride.max(1) as usize;
    let (rows, cols) = (h.div_ceil(cell), w.div_ceil(cell));
    let grid = (0..rows)
        .map(|r| {
            (0..cols)
                .map(|c| {
                    let mut sum = 0.0;
                    let mut k = 0usize;
                    for y in r * cell..((r + 1) * cell).min(h) {
                        for x in c * cell..((c + 1) * cell).min(w) {
                            sum += map.get(y * w + x).copied().unwrap_or(0.0);
                            k += 1;
                        }
                    }
                    if k > 0 { sum / k as f64 } else { 0.0 }
                })
                .collect()
        })
        .collect();
    Ok(ImageExplanation {
        target: target_choice,
        score,
        grid,
        window: (window, stride),
        baseline: spec.baseline,
        size: (width, height),
        rows_predicted: progress.done.load(Ordering::Relaxed),
        runtime: started.elapsed(),
        seen,
    })
}

/// The image file's path, for messages.
pub fn name(path: &Path) -> String {
    crate::text::printable(&path.display().to_string()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_placed_by_thirds() {
        let e = ImageExplanation {
            target: Target::Value,
            score: 1.0,
            grid: vec![vec![0.0; 8]; 8],
            window: (8, 8),
            baseline: Baseline::Zero,
            size: (64, 64),
            rows_predicted: 65,
            runtime: Duration::ZERO,
            seen: RgbaImage::new(1, 1),
        };
        assert_eq!(e.place(0, 0), "top left");
        assert_eq!(e.place(3, 4), "centre");
        assert_eq!(e.place(7, 7), "bottom right");
        assert_eq!(e.place(0, 4), "top centre");
        assert_eq!(e.place(5, 2), "bottom left");
    }

    #[test]
    fn the_grid_covers_every_pixel() {
        assert_eq!(window_for(300, 15), (20, 20));
        assert_eq!(window_for(300, 8), (41, 37));
        assert_eq!(positions(300, 41, 37).len(), 8);
        assert_eq!(*positions(300, 41, 37).last().unwrap() + 41, 300);
        assert_eq!(positions(10, 20, 5), vec![0]);
    }
}
