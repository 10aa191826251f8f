//! Frame-time and memory figures for the benchmarks (issue 7, BENCHMARKS.md item 6).
//!
//! Off unless `MLMODEL_INSPECTOR_FRAME_STATS=<file>` is set: then each frame's time in our
//! `ui` code (wall clock and the UI thread's CPU time) and eframe's whole-frame CPU time (ui, tessellation and rendering, vsync wait
//! excluded) are recorded, and about twice a second the file is rewritten with one JSON object:
//! the counts, median / 99th percentile / maximum of both, the frames over 16 ms, the slowest
//! frame (with our part of it and when it came) and the slowest after the first second, and
//! the process's resident memory. `scripts/bench_gui.sh` drives the window and reads it.

use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The environment variable naming the stats file.
pub const FRAME_STATS_ENV: &str = "MLMODEL_INSPECTOR_FRAME_STATS";

/// Frame times recorded since the window opened.
#[derive(Debug)]
pub struct FrameStats {
    path: PathBuf,
    ui_ms: Vec<f32>,
    ui_cpu_ms: Vec<f32>,
    frame_ms: Vec<f32>,
    last_write: Instant,
    started: Instant,
    /// The slowest whole frame: (its time, our ui time in it, the UI thread's CPU time in that,
    /// seconds after the window opened).
    slowest: Option<(f32, f32, f32, f32)>,
    /// The slowest whole frame after the first second (the window's first layout excluded).
    slowest_after_1s: f32,
}

impl FrameStats {
    /// Recording to the file `MLMODEL_INSPECTOR_FRAME_STATS` names, or `None` when unset.
    pub fn from_env() -> Option<Self> {
        let path = std::env::var_os(FRAME_STATS_ENV)?;
        Some(Self {
            path: PathBuf::from(path),
            ui_ms: Vec::new(),
            ui_cpu_ms: Vec::new(),
            frame_ms: Vec::new(),
            last_write: Instant::now(),
            started: Instant::now(),
            slowest: None,
            slowest_after_1s: 0.0,
        })
    }

    /// Records one frame: our `ui` time (wall clock, and the UI thread's own CPU time, which
    /// leaves out time the thread was not running), and eframe's CPU time of the previous frame.
    pub fn record(
        &mut self,
        ui: Duration,
        ui_cpu: Option<Duration>,
        previous_frame_cpu_s: Option<f32>,
    ) {
        const MAX_SAMPLES: usize = 1_000_000;
        if self.ui_ms.len() < MAX_SAMPLES {
            self.ui_ms.push(ui.as_secs_f32() * 1e3);
            if let Some(cpu) = ui_cpu {
                self.ui_cpu_ms.push(cpu.as_secs_f32() * 1e3);
            }
            if let Some(s) = previous_frame_cpu_s {
                // eframe reports the previous frame: pair it with that frame's ui time.
                let frame = s * 1e3;
                let ui_of_it = self.ui_ms.iter().rev().nth(1).copied().unwrap_or(0.0);
                let cpu_of_it = self.ui_cpu_ms.iter().rev().nth(1).copied().unwrap_or(0.0);
                let at = self.started.elapsed().as_secs_f32();
                if self.slowest.is_none_or(|(worst, ..)| frame > worst) {
                    self.slowest = Some((frame, ui_of_it, cpu_of_it, at));
                }
                if at > 1.0 {
                    self.slowest_after_1s = self.slowest_after_1s.max(frame);
                }
                self.frame_ms.push(frame);
            }
        }
        if self.last_write.elapsed() >= Duration::from_millis(500) {
            self.last_write = Instant::now();
            // Diagnostics only: a write of a few hundred bytes; a failure is not the user's
            // problem, so it is ignored.
            let _ = std::fs::write(&self.path, self.summary().to_string());
        }
    }

    /// The figures as one JSON object.
    pub fn summary(&self) -> serde_json::Value {
        serde_json::json!({
            "frames": self.ui_ms.len(),
            "ui_ms": spread(&self.ui_ms),
            "ui_thread_cpu_ms": spread(&self.ui_cpu_ms),
            "frame_ms": spread(&self.frame_ms),
            "frames_over_16ms": self.frame_ms.iter().filter(|&&t| t > 16.0).count(),
            "ui_over_16ms": self.ui_ms.iter().filter(|&&t| t > 16.0).count(),
            "slowest_frame_after_1s_ms": self.slowest_after_1s,
            "slowest_frame": self.slowest.map(|(frame, ui, cpu, at)| serde_json::json!({
                "frame_ms": frame, "ui_ms": ui, "ui_thread_cpu_ms": cpu, "at_s": at,
            })),
            "rss_kib": rss_kib(),
        })
    }
}

/// This thread's CPU time so far (Linux and other Unix), for [`FrameStats::record`].
pub fn thread_cpu_time() -> Option<Duration> {
    #[cfg(unix)]
    {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: clock_gettime writes one timespec we own.
        let ok = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) } == 0;
        if ok {
            return Some(Duration::new(
                u64::try_from(ts.tv_sec).unwrap_or(0),
                u32::try_from(ts.tv_nsec).unwrap_or(0),
            ));
        }
    }
    None
}

/// Median, 99th percentile and maximum (nearest rank).
fn spread(samples: &[f32]) -> serde_json::Value {
    use crate::perf::nearest_rank;
    let mut sorted: Vec<f64> = samples.iter().map(|&s| f64::from(s)).collect();
    sorted.sort_by(f64::total_cmp);
    serde_json::json!({
        "p50": nearest_rank(&sorted, 0.5),
        "p99": nearest_rank(&sorted, 0.99),
        "max": sorted.last().copied().unwrap_or(0.0),
    })
}

/// This process's resident memory in KiB (Linux: `/proc/self/status`), or `None`.
pub fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_counts_slow_frames_and_reads_memory() {
        let file = tempfile::NamedTempFile::new().unwrap();
        let mut stats = FrameStats {
            path: file.path().to_path_buf(),
            ui_ms: Vec::new(),
            ui_cpu_ms: Vec::new(),
            frame_ms: Vec::new(),
            last_write: Instant::now() - Duration::from_secs(1),
            started: Instant::now(),
            slowest: None,
            slowest_after_1s: 0.0,
        };
        for ms in [1u64, 2, 3, 20] {
            stats.record(
                Duration::from_millis(ms),
                Some(Duration::from_millis(ms)),
                Some(ms as f32 / 1e3 + 0.001),
            );
        }
        let s = stats.summary();
        assert_eq!(s["frames"], 4);
        assert_eq!(s["frames_over_16ms"], 1);
        assert_eq!(
            s["slowest_frame"]["ui_ms"].as_f64().map(|x| x.round()),
            Some(3.0)
        );
        assert_eq!(s["ui_ms"]["max"].as_f64().map(|x| x.round()), Some(20.0));
        assert_eq!(s["ui_ms"]["p50"].as_f64().map(|x| x.round()), Some(2.0));
        assert!(s["rss_kib"].as_u64().unwrap() > 1000);
        assert_eq!(
            s["ui_thread_cpu_ms"]["max"].as_f64().map(|x| x.round()),
            Some(20.0)
        );
        let (a, b) = (thread_cpu_time().unwrap(), thread_cpu_time().unwrap());
        assert!(b >= a);
        // Written on the first frame after half a second.
        let written: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(file.path()).unwrap()).unwrap();
        assert_eq!(written["frames"], 1);
    }
}
