//! The desktop entry and the `MLmodel` file type: started without a terminal, offered for
//! `MLmodel` files and folders, never for Core ML's `.mlmodel` extension.

use std::process::Command;

fn read(rel: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
}

#[test]
fn desktop_entry_starts_the_app_on_a_folder_or_mlmodel_file() {
    let entry = read("assets/mlmodel-inspector.desktop");
    let line = |key: &str| {
        entry
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("no {key}= line"))
            .to_string()
    };
    assert_eq!(line("Type"), "Application");
    assert_eq!(line("Exec"), "mlmodel-inspector %f");
    assert_eq!(line("Terminal"), "false");
    assert_eq!(line("Icon"), "mlmodel-inspector");
    let mimes: Vec<String> = line("MimeType")
        .split(';')
        .filter(|m| !m.is_empty())
        .map(String::from)
        .collect();
    assert_eq!(mimes, ["application/x-mlflow-mlmodel", "inode/directory"]);
    // Validate with freedesktop's own checker where it is installed (scripts/test.sh installs it).
    if Command::new("desktop-file-validate")
        .arg("--help")
        .output()
        .is_ok()
    {
        let out = Command::new("desktop-file-validate")
            .arg(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("assets/mlmodel-inspector.desktop"),
            )
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && !text.contains("error"), "{text}");
    }
}

#[test]
fn the_file_type_matches_mlmodel_files_and_not_core_ml() {
    let xml = read("assets/mlmodel-inspector-mime.xml");
    let globs: Vec<&str> = xml
        .lines()
        .filter_map(|l| l.split("pattern=\"").nth(1))
        .filter_map(|rest| rest.split('"').next())
        .collect();
    assert_eq!(globs, ["MLmodel"]);
    assert!(xml.contains("case-sensitive=\"true\""));
    assert!(xml.contains("type=\"application/x-mlflow-mlmodel\""));
}

#[test]
fn the_icon_is_a_png_the_window_can_use() {
    let bytes =
        std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/icon.png"))
            .unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    // IHDR width and height: 256 x 256.
    assert_eq!(
        u32::from_be_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]),
        256
    );
    assert_eq!(
        u32::from_be_bytes([bytes[20], bytes[21], bytes[22], bytes[23]]),
        256
    );
}

#[test]
fn the_install_command_registers_the_app_for_mlmodel_files_only() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("data");
    let out = Command::new("bash")
        .arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/install-desktop.sh"))
        .args(["--binary", env!("CARGO_BIN_EXE_mlmodel-inspector")])
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", &data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(home.path().join(".local/bin/mlmodel-inspector").is_file());
    assert!(
        data.join("icons/hicolor/256x256/apps/mlmodel-inspector.png")
            .is_file()
    );
    let entry =
        std::fs::read_to_string(data.join("applications/mlmodel-inspector.desktop")).unwrap();
    assert!(entry.contains(&format!(
        "Exec={}/.local/bin/mlmodel-inspector %f",
        home.path().display()
    )));

    // The desktop's own MIME database (shared-mime-info, read through gio) types the files.
    let content_type = |path: &std::path::Path| {
        let out = Command::new("gio")
            .args(["info", "-a", "standard::content-type"])
            .arg(path)
            .env("XDG_DATA_HOME", &data)
            .output()
            .expect("gio (libglib2.0-bin; scripts/test.sh installs it)");
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .rsplit(' ')
            .next()
            .unwrap_or("")
            .to_string()
    };
    let files = home.path().join("files");
    std::fs::create_dir(&files).unwrap();
    std::fs::write(files.join("MLmodel"), "flavors: {}\n").unwrap();
    std::fs::write(files.join("Model.mlmodel"), "core ml").unwrap();
    assert_eq!(
        content_type(&files.join("MLmodel")),
        "application/x-mlflow-mlmodel"
    );
    assert_ne!(
        content_type(&files.join("Model.mlmodel")),
        "application/x-mlflow-mlmodel"
    );
    let default = Command::new("gio")
        .args(["mime", "application/x-mlflow-mlmodel"])
        .env("XDG_DATA_HOME", &data)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&default.stdout).contains("mlmodel-inspector.desktop"));
}
