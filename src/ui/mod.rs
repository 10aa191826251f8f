//! The desktop app (egui): panels draw the model card and send commands; the library does the
//! work on background tasks. One file per panel.

pub mod app;
pub mod artifacts_panel;
pub mod command;
pub mod compare_panel;
pub mod confusion_matrix;
mod environment_panel;
pub mod eval_panel;
mod example_panel;
pub mod explain_view;
pub mod file_picker;
mod flavors_panel;
pub mod frame_stats;
pub mod graph_panel;
mod header;
pub mod predict_panel;
pub mod settings;
mod signature_panel;
pub mod tasks;
pub mod test_panel;
pub mod tracking_panel;
pub mod trust_prompt;
mod welcome;
mod widgets;

use std::path::PathBuf;
use std::sync::Arc;

pub use app::InspectorApp;

/// The app icon (PNG), for the window and the desktop entry.
pub const ICON_PNG: &[u8] = include_bytes!("../../assets/icon.png");

/// Starts the window, opening `path` if given (with `images` on its Test tab), at `size`
/// when given (else the size it had when last closed). Returns when the window closes.
pub fn run(
    path: Option<PathBuf>,
    images: Vec<PathBuf>,
    size: Option<[f32; 2]>,
) -> anyhow::Result<()> {
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("MLmodel Inspector")
        .with_app_id("mlmodel-inspector")
        .with_inner_size(size.unwrap_or([1200.0, 800.0]))
        .with_min_inner_size([640.0, 420.0])
        .with_drag_and_drop(true);
    if let Ok(icon) = eframe::icon_data::from_png_bytes(ICON_PNG) {
        viewport = viewport.with_icon(Arc::new(icon));
    }
    let options = eframe::NativeOptions {
        viewport,
        // A size asked for on the command line wins over the one remembered: eframe applies
        // the remembered size to the builder first, then this hook.
        window_builder: size.map(|size| {
            Box::new(move |builder: egui::ViewportBuilder| builder.with_inner_size(size))
                as eframe::WindowBuilderHook
        }),
        ..Default::default()
    };
    // Without a display winit's error quotes a source path of the machine that built this
    // binary; say what to do instead.
    const NO_DISPLAY: &str = "no display: set DISPLAY or WAYLAND_DISPLAY, or use the show, predict, eval and diff commands";
    if cfg!(all(unix, not(target_os = "macos")))
        && std::env::var_os("DISPLAY").is_none_or(|d| d.is_empty())
        && std::env::var_os("WAYLAND_DISPLAY").is_none_or(|d| d.is_empty())
    {
        anyhow::bail!(NO_DISPLAY);
    }
    eframe::run_native(
        "MLmodel Inspector",
        options,
        Box::new(move |cc| {
            let mut app = InspectorApp::new(cc, path);
            app.images_on_open(images);
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| match e {
        eframe::Error::Winit(_) | eframe::Error::WinitEventLoop(_) => {
            anyhow::anyhow!("cannot open a window: {NO_DISPLAY}")
        }
        other => anyhow::anyhow!("cannot start the window: {other}"),
    })
}
