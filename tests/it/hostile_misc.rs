//! Smaller hostile and degenerate inputs of the second round: the flag given decides a
//! table's form, links out of a dataset are not opened, text from the data cannot drive the
//! terminal, malformed CSV is reported by line, folder names that are not UTF-8 are read,
//! `diff` lists each side's warnings, the graph says why external data was not read, and
//! ONNX Runtime writes no telemetry.

use std::ffi::OsStr;
use std::path::Path;

use serde_json::Value;

use crate::common::{Limited, run_limited};

const AS_LIMIT: u64 = 6 << 30;

fn os<S: AsRef<OsStr> + ?Sized>(s: &S) -> &OsStr {
    s.as_ref()
}

fn run(args: &[&OsStr]) -> Limited {
    run_limited(args, AS_LIMIT)
}

fn onnx_model() -> std::path::PathBuf {
    crate::common::model("onnx_sklearn_zipmap")
}

/// `eval` of a table through the in-process runtime, as JSON.
fn eval_table(flag: &str, path: &Path, label: &str) -> (Limited, Value) {
    let model = onnx_model();
    let r = run(&[
        os("eval"),
        model.as_os_str(),
        os(flag),
        path.as_os_str(),
        os("--label"),
        os(label),
        os("--backend"),
        os("onnx"),
        os("--json"),
    ]);
    let doc = serde_json::from_slice(&r.stdout).unwrap_or(Value::Null);
    (r, doc)
}

/// `--jsonl rows.txt` was read as CSV and `--csv data.json` as JSON lines (the extension
/// decided); the flag decides.
#[test]
fn the_flag_given_decides_the_tables_form() {
    let dir = tempfile::tempdir().unwrap();
    let lines = dir.path().join("rows.txt");
    std::fs::write(
        &lines,
        "{\"a\": 5.1, \"b\": 3.5, \"c\": 1.4, \"d\": 0.2, \"y\": \"0\"}\n{\"a\": 6.7, \"b\": 3.0, \"c\": 5.2, \"d\": 2.3, \"y\": \"2\"}\n",
    )
    .unwrap();
    let (r, doc) = eval_table("--jsonl", &lines, "y");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(doc["n"], 2, "{}", r.stderr);
    let csv = dir.path().join("data.json");
    std::fs::write(&csv, "a,b,c,d,y\n5.1,3.5,1.4,0.2,0\n6.7,3.0,5.2,2.3,2\n").unwrap();
    let (r, doc) = eval_table("--csv", &csv, "y");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(doc["n"], 2, "{}", r.stderr);
}

/// A link in an image folder to a file outside it was opened and read; now it is listed as
/// not read, and the image it leads to is not evaluated. A link inside the folder is
/// followed.
#[test]
fn links_out_of_a_dataset_are_not_opened() {
    let dir = tempfile::tempdir().unwrap();
    let photos = crate::common::repo("tests/fixtures/eval/images/china");
    let outside = dir.path().join("outside.png");
    std::fs::copy(photos.join("china_r0c0.png"), &outside).unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(data.join("china")).unwrap();
    std::fs::copy(photos.join("china_r0c1.png"), data.join("china/a.png")).unwrap();
    std::os::unix::fs::symlink(&outside, data.join("china/out.png")).unwrap();
    std::os::unix::fs::symlink("/etc/shadow", data.join("china/shadow.png")).unwrap();
    std::os::unix::fs::symlink(data.join("china/a.png"), data.join("china/inside.png")).unwrap();
    let model = crate::common::model("onnx_colour_classifier");
    let r = run(&[
        os("eval"),
        model.as_os_str(),
        os("--images"),
        data.as_os_str(),
        os("--backend"),
        os("onnx"),
        os("--json"),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(doc["n"], 2, "a.png and the link inside: {}", r.stderr);
    assert_eq!(doc["failed"], 0, "{}", r.stderr);
    for name in ["china/out.png", "china/shadow.png"] {
        assert!(
            r.stderr
                .contains(&format!("{name} (a link out of the folder: not read)")),
            "{}",
            r.stderr
        );
    }
}

/// Labels with newlines and escape sequences (`\e[2J` clears the screen) reached the
/// terminal raw; they are written escaped.
#[test]
fn text_from_the_data_cannot_drive_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("t.csv");
    std::fs::write(
        &csv,
        "a,b,c,d,y\n5.1,3.5,1.4,0.2,\"clear\x1b[2Jme\"\n6.7,3.0,5.2,2.3,\"two\nlines\"\n",
    )
    .unwrap();
    let model = onnx_model();
    let r = run(&[
        os("eval"),
        model.as_os_str(),
        os("--csv"),
        csv.as_os_str(),
        os("--label"),
        os("y"),
        os("--backend"),
        os("onnx"),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = String::from_utf8_lossy(&r.stdout);
    assert!(!r.stdout.contains(&0x1b), "{text}");
    assert!(!r.stderr.as_bytes().contains(&0x1b), "{}", r.stderr);
    assert!(text.contains("clear\\x1b[2Jme"), "{text}");
    assert!(text.contains("two\\nlines"), "{text}");

    // `show`, `diff` and `graph` print what a model's files say the same way.
    let model = dir.path().join("model");
    std::fs::create_dir(&model).unwrap();
    std::fs::write(
        model.join("MLmodel"),
        "flavors:\n  python_function:\n    loader_module: mlflow.pyfunc.model\nmetadata:\n  note: \"clear\\e[2Jme\"\n  class_names: [\"a\\e[31mred\", b]\n",
    )
    .unwrap();
    let iris = crate::common::model("sklearn_iris");
    for args in [
        vec![os("show"), model.as_os_str()],
        vec![os("diff"), iris.as_os_str(), model.as_os_str()],
    ] {
        let r = run(&args);
        assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
        let text = String::from_utf8_lossy(&r.stdout);
        assert!(!r.stdout.contains(&0x1b), "{args:?}: {text}");
        assert!(text.contains("\\x1b["), "{args:?}: {text}");
    }
}

/// An unterminated quote merged the following rows into one label without a word; duplicate
/// column names used the first copy silently; line numbers were off by one with CRLF.
#[test]
fn malformed_csv_is_reported_by_line() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("quote.csv");
    std::fs::write(
        &csv,
        "a,b,c,d,y\n5.1,3.5,1.4,0.2,0\n5.1,3.5,1.4,0.2,\"0\n6.7,3.0,5.2,2.3,2\n6.7,3.0,5.2,2.3,2\n",
    )
    .unwrap();
    let (r, doc) = eval_table("--csv", &csv, "y");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(doc["n"], 1);
    let failure = &doc["failures"][0];
    assert_eq!(failure["input"], "line 3", "{doc}");
    assert!(
        failure["error"]
            .as_str()
            .unwrap()
            .contains("never closed: lines 3 to 6 were read as one record"),
        "{failure}"
    );

    // A label column named twice: the first is the label (the second is a feature here).
    let csv = dir.path().join("dup.csv");
    std::fs::write(&csv, "a,b,c,y,y\n5.1,3.5,1.4,0,0.2\n").unwrap();
    let (r, doc) = eval_table("--csv", &csv, "y");
    assert_eq!(doc["n"], 1, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "the column name \"y\" is given to 2 columns (numbers 4, 5): the first is read as the label"
        ),
        "{}",
        r.stderr
    );
    // A column a signature names, given twice: only the first is read.
    let iris = crate::common::model("sklearn_iris_class_names");
    let csv = dir.path().join("dup_named.csv");
    std::fs::write(
        &csv,
        "sepal_length,sepal_width,petal_length,petal_width,petal_width,species\n5.1,3.5,1.4,0.2,9.9,setosa\n",
    )
    .unwrap();
    let r = run(&[
        os("eval"),
        iris.as_os_str(),
        os("--csv"),
        csv.as_os_str(),
        os("--label"),
        os("species"),
        os("--backend"),
        os("http://127.0.0.1:9/invocations"),
    ]);
    assert!(
        r.stderr.contains(
            "the column name \"petal_width\" is given to 2 columns (numbers 4, 5): only the first is read"
        ),
        "{}",
        r.stderr
    );

    let csv = dir.path().join("crlf.csv");
    std::fs::write(
        &csv,
        "a,b,c,d,y\r\n5.1,3.5,1.4,0.2,0\r\n6.7,3.0,5.2,2.3,2\r\noops,3.0,5.2,2.3,2\r\n",
    )
    .unwrap();
    let (r, doc) = eval_table("--csv", &csv, "y");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(doc["failures"][0]["input"], "line 4", "{doc}");
}

/// A class folder whose name is not UTF-8 made every image in it fail with "No such file or
/// directory"; its images are read.
#[test]
fn class_folders_named_in_other_encodings_are_read() {
    use std::os::unix::ffi::OsStrExt as _;
    let dir = tempfile::tempdir().unwrap();
    let class = dir.path().join(OsStr::from_bytes(b"caf\xe9"));
    std::fs::create_dir(&class).unwrap();
    std::fs::copy(
        crate::common::repo("tests/fixtures/eval/images/china/china_r0c0.png"),
        class.join("a.png"),
    )
    .unwrap();
    let model = crate::common::model("onnx_colour_classifier");
    let r = run(&[
        os("eval"),
        model.as_os_str(),
        os("--images"),
        dir.path().as_os_str(),
        os("--backend"),
        os("onnx"),
        os("--json"),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(doc["n"], 1, "{doc}");
    assert_eq!(doc["failed"], 0, "{doc}");
}

/// `diff` said "Drop-in" for a B whose weights link out of its folder and whose environment
/// file cannot be read; it lists what `show` warns about, for each side.
#[test]
fn diff_lists_each_sides_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let b = dir.path().join("b");
    std::fs::create_dir(&b).unwrap();
    let a = crate::common::model("onnx_sklearn_zipmap");
    for f in std::fs::read_dir(&a).unwrap() {
        let f = f.unwrap();
        if f.path().is_file() && f.file_name() != "model.onnx" && f.file_name() != "python_env.yaml"
        {
            std::fs::copy(f.path(), b.join(f.file_name())).unwrap();
        }
    }
    std::os::unix::fs::symlink("/etc/shadow", b.join("model.onnx")).unwrap();
    std::fs::create_dir(b.join("python_env.yaml")).unwrap();
    let show = run(&[os("show"), b.as_os_str(), os("--json")]);
    let card: Value = serde_json::from_slice(&show.stdout).unwrap();
    let shown: Vec<String> = card["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().map_or_else(|| w.to_string(), str::to_string))
        .collect();
    assert!(!shown.is_empty(), "show warns: {card}");
    let r = run(&[os("diff"), a.as_os_str(), b.as_os_str(), os("--json")]);
    let doc: Value = serde_json::from_slice(&r.stdout).unwrap();
    let listed: Vec<&str> = doc["warnings"]["b"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(listed.len(), shown.len(), "{listed:?} vs {shown:?}");
    assert!(
        listed.iter().any(|w| w.contains("model.onnx")),
        "{listed:?}"
    );
    assert!(
        listed.iter().any(|w| w.contains("python_env.yaml")),
        "{listed:?}"
    );
    let text = run(&[os("diff"), a.as_os_str(), b.as_os_str()]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("Warnings about B"), "{text}");
}

/// External data whose location leads out of the folder showed as "missing" in `graph`; it
/// says why it was not read.
#[test]
fn the_graph_says_why_external_data_was_not_read() {
    let (_scratch, folder) = crate::hostile::external_data_named("../outside.data");
    let r = run(&[os("graph"), folder.as_os_str()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = String::from_utf8_lossy(&r.stdout);
    assert!(
        text.contains("External data ../outside.data:")
            && text.contains("climbs out of the model folder"),
        "{text}"
    );
    let r = run(&[os("graph"), folder.as_os_str(), os("--json")]);
    let doc: Value = serde_json::from_slice(&r.stdout).unwrap();
    let problem = doc["external_data_files"][0]["problem"].as_str().unwrap();
    assert!(problem.contains("climbs out"), "{problem}");
}

/// ONNX Runtime wrote `~/.cache/Microsoft/DeveloperTools/.onnxruntime/onnxruntime.db` (its
/// telemetry's device id and store) whenever the app loaded it; it writes nothing now.
#[test]
fn onnx_runtime_writes_no_telemetry() {
    let home = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mlmodel-inspector"))
        .args(["predict"])
        .arg(crate::common::repo("assets/example-model"))
        .arg("--image")
        .arg(crate::common::repo("assets/sample-china.jpg"))
        .args(["--backend", "onnxruntime", "--python"])
        .arg(crate::common::venv_python())
        .env("HOME", home.path())
        .env_remove("XDG_CACHE_HOME")
        .env_remove("ORT_DISABLE_TELEMETRY")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("in-process on onnxruntime"), "{stderr}");
    assert!(
        !home.path().join(".cache/Microsoft").exists(),
        "ONNX Runtime wrote under {}",
        home.path().display()
    );
}
