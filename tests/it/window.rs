//! The real binary in a real window under Xvfb, as a person starts it with a model folder:
//! the window appears with the model's name in its title, and a screenshot is taken
//! (target/screenshots/window.png, and window-900x600.png at `--window-size 900x600`) that shows
//! more than a blank frame.
//!
//! Needs `Xvfb`, `xwininfo` and ImageMagick's `import`: scripts/test.sh installs them.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn need(tool: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "`{tool}` is missing: run scripts/test.sh, which installs xvfb, x11-utils and imagemagick"
    );
}

fn free_display() -> u32 {
    (90..140)
        .find(|n| !Path::new(&format!("/tmp/.X{n}-lock")).exists())
        .expect("a free X display number")
}

fn wait_for(what: &str, timeout: Duration, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    panic!("timed out after {timeout:?} waiting for {what}");
}

#[test]
fn the_window_opens_on_a_model_and_draws_it() {
    for tool in ["Xvfb", "xwininfo", "import", "convert"] {
        need(tool);
    }
    let display = free_display();
    let xvfb = Killed(
        Command::new("Xvfb")
            .args([
                &format!(":{display}"),
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start Xvfb"),
    );
    let socket = PathBuf::from(format!("/tmp/.X11-unix/X{display}"));
    wait_for("Xvfb", Duration::from_secs(20), || socket.exists());

    let home = tempfile::tempdir().unwrap();
    let runtime = home.path().join("runtime");
    std::fs::create_dir(&runtime).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/example-model");
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    // At the default size, then at 900x600 as --window-size asks (a smaller laptop screen).
    for (args, shot, size) in [
        (vec![], "window.png", None),
        (
            vec!["--window-size", "900x600"],
            "window-900x600.png",
            Some("900x600"),
        ),
    ] {
        let app = Killed(
            Command::new(env!("CARGO_BIN_EXE_mlmodel-inspector"))
                .arg(&model)
                .args(&args)
                .env("DISPLAY", format!(":{display}"))
                .env("HOME", home.path())
                .env("XDG_CONFIG_HOME", home.path().join("config"))
                .env("XDG_DATA_HOME", home.path().join("data"))
                .env("XDG_RUNTIME_DIR", &runtime)
                .env_remove("WAYLAND_DISPLAY")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start the app"),
        );
        let title = "example-model — MLmodel Inspector";
        let mut window = String::new();
        wait_for(
            "the window titled with the model's name",
            Duration::from_secs(60),
            || {
                let tree = Command::new("xwininfo")
                    .args(["-root", "-tree"])
                    .env("DISPLAY", format!(":{display}"))
                    .output()
                    .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                    .unwrap_or_default();
                // e.g. `0x200003 "example-model — MLmodel Inspector": ("mlmodel-inspector" "")  900x600+0+0  +0+0`
                match tree.lines().find(|l| l.contains(title)) {
                    Some(line) => {
                        window = line.trim().to_string();
                        true
                    }
                    None => false,
                }
            },
        );
        if let Some(size) = size {
            assert!(
                window.contains(&format!(" {size}+")),
                "the window is not {size}: {window}"
            );
        }
        let id = window
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string();
        let path = shots.join(shot);
        // The first frames may still be blank: wait until the window is drawn.
        wait_for(
            "a drawn window in the screenshot",
            Duration::from_secs(60),
            || {
                let taken = Command::new("import")
                    .args(["-window", &id])
                    .arg(&path)
                    .env("DISPLAY", format!(":{display}"))
                    .status()
                    .is_ok_and(|s| s.success());
                taken
                    && Command::new("convert")
                        .arg(&path)
                        .args(["-format", "%k", "info:"])
                        .output()
                        .ok()
                        .and_then(|o| {
                            String::from_utf8_lossy(&o.stdout)
                                .trim()
                                .parse::<u32>()
                                .ok()
                        })
                        .is_some_and(|colors| colors > 40)
            },
        );
        drop(app);
    }
    drop(xvfb);
}
