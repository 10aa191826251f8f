//! `eval --engine spark` (issue 45): the same table evaluated by a real PySpark job on
//! `local[2]` (pyspark pinned in scripts/requirements-test.txt, Java 17 on the machine) gives
//! the numbers `eval --backend local` gives through MLflow's scoring server, and a JVM really
//! ran it.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::common::{model, repo, venv_python};

/// `eval ARGS --json --out DIR/preds.csv --python VENV`: exit code, the document, stderr.
fn eval_json(args: &[&str], out: &Path) -> (i32, Value, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_mlmodel-inspector"))
        .arg("eval")
        .args(args)
        .arg("--json")
        .arg("--out")
        .arg(out)
        .arg("--python")
        .arg(venv_python())
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        serde_json::from_slice(&output.stdout).unwrap_or(Value::Null),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The numbers of a report: counts, metrics, the matrix, per class, the mistakes.
fn numbers(doc: &Value) -> Value {
    let mut keep = serde_json::Map::new();
    for key in [
        "task",
        "n",
        "labelled",
        "failed",
        "metrics",
        "confusion_matrix",
        "per_class",
        "mistakes",
    ] {
        keep.insert(key.into(), doc[key].clone());
    }
    Value::Object(keep)
}

/// Evaluates `table` both ways and checks that the numbers are the same, and that Spark ran.
fn same_numbers_both_ways(model_dir: &Path, table: &Path, label: &str) -> (Value, Value) {
    let dir = tempfile::tempdir().unwrap();
    let (model_dir, table) = (model_dir.to_str().unwrap(), table.to_str().unwrap());
    // Every model here is one of ours (a pickled pyfunc's scan finds cloudpickle).
    let common = ["--csv", table, "--label", label, "--trust-model"];
    let local_out = dir.path().join("local.csv");
    let mut args = vec![model_dir];
    args.extend_from_slice(&common);
    args.extend_from_slice(&["--backend", "local"]);
    let (code, local, err) = eval_json(&args, &local_out);
    assert_eq!(code, 0, "local: {err}");
    let spark_out = dir.path().join("spark.csv");
    let mut args = vec![model_dir];
    args.extend_from_slice(&common);
    args.extend_from_slice(&["--engine", "spark", "--master", "local[2]"]);
    let (code, spark, err) = eval_json(&args, &spark_out);
    assert_eq!(code, 0, "spark: {err}");
    assert_eq!(numbers(&spark), numbers(&local), "{err}");
    // A JVM ran the job: Spark's application id and version, its log beside the job.
    assert_eq!(spark["engine"], "spark");
    assert_eq!(spark["master"], "local[2]");
    assert!(
        spark["application_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("local-")),
        "{spark}"
    );
    assert_eq!(
        spark["spark_rows"],
        local["n"].as_u64().unwrap() + local["failed"].as_u64().unwrap()
    );
    let work = dir.path().join("spark.spark");
    let log = std::fs::read_to_string(work.join("spark.log")).unwrap();
    assert!(log.contains("Using Spark's default log4j profile"), "{log}");
    let job = std::fs::read_to_string(work.join("job.py")).unwrap();
    assert!(job.contains("mlflow.pyfunc.spark_udf"), "{job}");
    // The predictions file has every item, as --backend local writes it.
    let rows = |p: &Path| csv::Reader::from_path(p).unwrap().records().count();
    assert_eq!(rows(&spark_out), rows(&local_out));
    // Spark's output folder, scored again as predictions made elsewhere: the same numbers.
    let rescored_out = dir.path().join("rescored.csv");
    let folder = work.join("predictions");
    let (code, rescored, err) = eval_json(
        &[
            model_dir,
            "--predictions",
            folder.to_str().unwrap(),
            "--labels-from",
            table,
            "--label",
            label,
        ],
        &rescored_out,
    );
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("Spark's output"), "{err}");
    assert_eq!(numbers(&rescored), numbers(&local), "{err}");
    (local, spark)
}

/// Iris, its 149 good rows repeated to 30,000, through the class-named model: the same
/// accuracy, matrix and per-class table on Spark as through MLflow's scoring server.
#[test]
fn iris_at_30000_rows_on_spark_gives_the_numbers_of_the_local_backend() {
    let dir = tempfile::tempdir().unwrap();
    let source = std::fs::read_to_string(repo("tests/fixtures/eval/iris.csv")).unwrap();
    let mut lines = source.lines();
    let header = lines.next().unwrap();
    let good: Vec<&str> = lines
        .filter(|l| l.split(',').take(4).all(|c| c.parse::<f64>().is_ok()))
        .collect();
    assert_eq!(good.len(), 149);
    let mut text = format!("{header}\n");
    for i in 0..30_000 {
        text.push_str(good[i % good.len()]);
        text.push('\n');
    }
    let table = dir.path().join("iris30k.csv");
    std::fs::write(&table, text).unwrap();
    let (local, _) = same_numbers_both_ways(&model("sklearn_iris_class_names"), &table, "species");
    assert_eq!(local["n"], 30_000);
    assert_eq!(local["task"], "classification");
}

/// The diabetes regression: the same MAE, RMSE, R² and largest errors on Spark.
#[test]
fn the_diabetes_regression_on_spark_gives_the_numbers_of_the_local_backend() {
    let (local, _) = same_numbers_both_ways(
        &model("sklearn_diabetes"),
        &repo("tests/fixtures/eval/diabetes.csv"),
        "target",
    );
    assert_eq!(local["task"], "regression");
}

/// Iris's 149 good rows with these four column names and the species as class indices
/// (`label`), written in `dir`.
fn iris_indices(dir: &Path, header: &str) -> std::path::PathBuf {
    let source = std::fs::read_to_string(repo("tests/fixtures/eval/iris.csv")).unwrap();
    let mut text = format!("{header},label\n");
    for line in source.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        if cells[..4].iter().any(|c| c.parse::<f64>().is_err()) {
            continue;
        }
        let class = ["setosa", "versicolor", "virginica"]
            .iter()
            .position(|s| *s == cells[4])
            .unwrap();
        text.push_str(&format!("{},{class}\n", cells[..4].join(",")));
    }
    let table = dir.join("iris_indices.csv");
    std::fs::write(&table, text).unwrap();
    table
}

/// A scikit-learn model fitted on a frame with pandas' default columns (MLflow records its
/// signature's columns as the integers 0 to 3, as `mlflow.sklearn.save_model` does with a
/// numpy input example): a table's four columns are sent by position, as a frame without
/// names through MLflow's scoring server and one by one to spark_udf, which names them from
/// the signature; both give iris's numbers. Named columns were refused by MLflow: "Model is
/// missing inputs [0, 1, 2, 3]".
#[test]
fn a_model_with_integer_column_names_takes_a_tables_columns_by_position() {
    let dir = tempfile::tempdir().unwrap();
    let table = iris_indices(dir.path(), "a,b,c,d");
    let (local, spark) = same_numbers_both_ways(&model("sklearn_values_example"), &table, "label");
    assert_eq!(
        (local["n"].as_u64(), local["failed"].as_u64()),
        (Some(149), Some(0))
    );
    assert!((local["metrics"]["accuracy"].as_f64().unwrap() - 0.9732).abs() < 1e-4);
    assert_eq!(spark["n"], 149);
}

/// A model answering two columns (`total` double, `label` string; a pyfunc with params, run
/// with their defaults): eval reads an answer's first column, and spark_udf, given the first
/// column's type, returns the leftmost column of it: the same regression both ways (it was
/// refused: "the model has 2 outputs").
#[test]
fn a_model_of_several_output_columns_is_read_by_its_first_on_spark() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("x,y,label\n");
    for i in 0..40 {
        let (x, y) = (f64::from(i) * 0.25, f64::from(i % 7) * 0.5);
        text.push_str(&format!("{x},{y},{}\n", x + y + f64::from(i % 3) * 0.1));
    }
    let table = dir.path().join("xy.csv");
    std::fs::write(&table, text).unwrap();
    let (local, _) = same_numbers_both_ways(&model("pyfunc_scaler"), &table, "label");
    assert_eq!(local["task"], "regression");
    assert_eq!(local["n"], 40);
    assert!(local["metrics"]["mae"].as_f64().unwrap() > 0.0, "{local}");
}

/// A model with a tensor signature (`float32 [-1, 4]` in and out, a pyfunc whose scores are
/// its inputs): the CSV's columns are cast to float32 for MLflow's tensor enforcement (the
/// CSV's text was refused: "dtype of input object does not match expected dtype float32"), and
/// iris's 149 rows (species as class indices) give the numbers, scores included, of MLflow's
/// scoring server.
#[test]
fn a_tensor_model_on_spark_gives_the_numbers_of_the_local_backend() {
    let dir = tempfile::tempdir().unwrap();
    let table = iris_indices(
        dir.path(),
        "sepal_length,sepal_width,petal_length,petal_width",
    );
    let (local, _) = same_numbers_both_ways(&model("pyfunc_tensor_unnamed"), &table, "label");
    assert_eq!(local["n"], 149);
    assert_eq!(local["task"], "classification");
    assert!(local["mistakes"][0]["score"].as_f64().is_some(), "{local}");
}

/// `eval --engine spark` with these arguments (iris's model and --label species unless the
/// table says otherwise), with `env` set: exit code and stderr.
fn spark_eval(table: &Path, out: &Path, python: &Path, env: &[(&str, &str)]) -> (i32, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mlmodel-inspector"));
    command
        .arg("eval")
        .arg(model("sklearn_iris_class_names"))
        .arg("--csv")
        .arg(table)
        .args([
            "--label", "species", "--engine", "spark", "--master", "local[2]",
        ])
        .arg("--out")
        .arg(out)
        .arg("--python")
        .arg(python);
    for (k, v) in env {
        command.env(k, v);
    }
    let output = command.output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// What is missing is said before anything runs, with how to get it (exit 2): Java (JAVA_HOME
/// and PATH pointing at nothing), pyspark in the chosen Python (a bare venv), the columns the
/// signature asks for (listed; no job written), a table (an image folder is evaluated here).
/// A row Spark cannot cast stops its stage, and Spark's own words say why (exit 1).
#[test]
fn spark_says_what_is_missing_and_why_a_stage_failed() {
    let dir = tempfile::tempdir().unwrap();
    let iris = repo("tests/fixtures/eval/iris.csv");
    let out = dir.path().join("preds.csv");
    // An image folder, refused before anything is checked or written.
    let images = repo("tests/fixtures/eval/images");
    let output = Command::new(env!("CARGO_BIN_EXE_mlmodel-inspector"))
        .arg("eval")
        .arg(model("onnx_colour_classifier"))
        .arg("--images")
        .arg(&images)
        .args(["--engine", "spark", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "{}: a folder of images: the Spark engine evaluates tables (CSV, JSON lines or Parquet)",
            images.display()
        )),
        "{err}"
    );
    assert!(!out.exists() && !dir.path().join("preds.spark").exists());
    // No Java.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let (code, err) = spark_eval(
        &iris,
        &out,
        &venv_python(),
        &[
            ("PATH", empty.to_str().unwrap()),
            ("JAVA_HOME", "/nonexistent"),
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no Java found"), "{err}");
    assert!(err.contains("pyspark 4 needs Java 17 or newer"), "{err}");
    // No pyspark in the chosen Python.
    let bare = dir.path().join("bare");
    let made = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&bare)
        .status()
        .unwrap();
    assert!(made.success());
    let bare_python = bare.join("bin").join("python");
    let (code, err) = spark_eval(&iris, &out, &bare_python, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!(
            "{} has no pyspark: install it there",
            bare_python.display()
        )),
        "{err}"
    );
    // A column of the signature missing from the table.
    let short = dir.path().join("short.csv");
    let text = std::fs::read_to_string(&iris).unwrap();
    let cut: String = text
        .lines()
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            format!("{},{},{},{}\n", cells[0], cells[1], cells[2], cells[4])
        })
        .collect();
    std::fs::write(&short, cut).unwrap();
    let (code, err) = spark_eval(&short, &out, &venv_python(), &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("petal_width"), "{err}");
    assert!(
        !dir.path().join("preds.spark").exists(),
        "no job was written"
    );
    // iris.csv's row with 'wide' for a sepal width: Spark's cast fails its stage.
    let (code, err) = spark_eval(&iris, &out, &venv_python(), &[]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("the Spark job failed"), "{err}");
    assert!(
        err.contains("[CAST_INVALID_INPUT] The value 'wide' of the type \"STRING\" cannot be cast to \"DOUBLE\""),
        "{err}"
    );
}

/// Ctrl+C stops the job and the JVM it started, and says that nothing is reported.
#[test]
fn ctrl_c_stops_the_spark_job_and_its_jvm() {
    let dir = tempfile::tempdir().unwrap();
    let source = std::fs::read_to_string(repo("tests/fixtures/eval/diabetes.csv")).unwrap();
    let mut lines = source.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines.collect();
    let mut text = format!("{header}\n");
    for i in 0..20_000 {
        text.push_str(rows[i % rows.len()]);
        text.push('\n');
    }
    let table = dir.path().join("big.csv");
    std::fs::write(&table, text).unwrap();
    let out = dir.path().join("preds.csv");
    let child = Command::new(env!("CARGO_BIN_EXE_mlmodel-inspector"))
        .arg("eval")
        .arg(model("sklearn_diabetes"))
        .arg("--csv")
        .arg(&table)
        .args([
            "--label", "target", "--engine", "spark", "--master", "local[2]",
        ])
        .arg("--out")
        .arg(&out)
        .arg("--python")
        .arg(venv_python())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Until Spark reports a stage.
    let status = dir.path().join("preds.spark").join("status.json");
    let started = std::time::Instant::now();
    while !status.exists() {
        assert!(
            started.elapsed().as_secs() < 180,
            "Spark never reported a stage"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // The JVM is running in the job's group.
    let group = job_group(dir.path());
    assert!(
        in_group(group).iter().any(|(_, comm)| comm == "java"),
        "the JVM runs in the job's group: {:?}",
        in_group(group)
    );
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let output = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(err.contains("the Spark job was cancelled"), "{err}");
    // No process of the job is left: the job runs in a process group of its own (its id the
    // job's first process's), the JVM in it. (A killed process takes a moment to go; one
    // that has gone but is not yet reaped does not count.)
    let living = || in_group(group);
    let stopped = std::time::Instant::now();
    while !living().is_empty() && stopped.elapsed().as_secs() < 20 {
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert!(living().is_empty(), "left running: {:?}", living());
}

/// The process group of the Spark job under `dir` (the pid of its Python, which leads it).
fn job_group(dir: &Path) -> u32 {
    job_group_of(&dir.join("preds.spark").join("job.py"))
}

/// The process group of the Spark job `job` (its `job.py`): the pid of its Python, which
/// leads it.
pub(crate) fn job_group_of(job: &Path) -> u32 {
    let found = Command::new("pgrep")
        .arg("-o")
        .arg("-f")
        .arg(job.to_str().unwrap())
        .output()
        .unwrap();
    String::from_utf8_lossy(&found.stdout)
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("no job process for {}", job.display()))
}

/// The living processes of process group `group` (pid, command), zombies left out.
pub(crate) fn in_group(group: u32) -> Vec<(String, String)> {
    let out = Command::new("ps")
        .args(["-e", "-o", "pgid=,pid=,stat=,comm="])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            match f.as_slice() {
                [pgid, pid, stat, comm, ..]
                    if *pgid == group.to_string() && !stat.starts_with('Z') =>
                {
                    Some((pid.to_string(), comm.to_string()))
                }
                _ => None,
            }
        })
        .collect()
}

/// tests/fixtures/eval/iris.csv without its bad row, written into `dir` as `iris.csv` and as
/// a Parquet folder `iris.parquet` the way Spark and pandas write one: two part files under
/// `split=a` and `split=b` (rows 0-74 and the rest) and `_SUCCESS`.
pub(crate) fn iris_parquet(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let csv = dir.join("iris.csv");
    let parquet = dir.join("iris.parquet");
    let written = Command::new(venv_python())
        .arg("-c")
        .arg(
            r#"
import os, sys
import pandas as pd, pyarrow as pa, pyarrow.parquet as pq
df = pd.read_csv(sys.argv[1])
df = df[df.sepal_width != "wide"].astype({"sepal_width": float})
df.to_csv(sys.argv[2], index=False)
for key, part, rows in [("a", 0, df.iloc[:75]), ("b", 1, df.iloc[75:])]:
    os.makedirs(os.path.join(sys.argv[3], "split=" + key))
    pq.write_table(pa.Table.from_pandas(rows, preserve_index=False),
                   os.path.join(sys.argv[3], "split=" + key, "part-%d.parquet" % part))
open(os.path.join(sys.argv[3], "_SUCCESS"), "w").close()
"#,
        )
        .arg(repo("tests/fixtures/eval/iris.csv"))
        .arg(&csv)
        .arg(&parquet)
        .status()
        .unwrap();
    assert!(written.success());
    (csv, parquet)
}

/// A Parquet folder as Spark and pandas write them (two part files under `key=value`
/// folders, a `_SUCCESS` marker), written by pyarrow from iris's 149 good rows: on Spark it
/// gives the numbers `eval --csv` gives for the same rows through MLflow's scoring server,
/// its items named by file and row (`split=b/part-1.parquet row 1` is the CSV's line 78), the
/// partition column noted as not sent. Without --engine spark, and for a file that is not
/// Parquet, it is refused naming the path (exit 2).
#[test]
fn a_parquet_folder_on_spark_gives_the_numbers_of_its_rows_as_csv() {
    let dir = tempfile::tempdir().unwrap();
    let (csv, parquet) = iris_parquet(dir.path());
    let iris = model("sklearn_iris_class_names");
    let iris = iris.to_str().unwrap();
    let (code, local, err) = eval_json(
        &[
            iris,
            "--csv",
            csv.to_str().unwrap(),
            "--label",
            "species",
            "--backend",
            "local",
        ],
        &dir.path().join("local.csv"),
    );
    assert_eq!(code, 0, "{err}");
    let (code, spark, err) = eval_json(
        &[
            iris,
            "--parquet",
            parquet.to_str().unwrap(),
            "--label",
            "species",
            "--engine",
            "spark",
            "--master",
            "local[2]",
        ],
        &dir.path().join("spark.csv"),
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("149 rows of iris.parquet") && err.contains("not sent: split"),
        "{err}"
    );
    assert_eq!(spark["spark_rows"], 149);
    // The CSV's line N is the (N-2)th good row: the first 75 in part-0, the rest in part-1.
    let mut expected = numbers(&local);
    for mistake in expected["mistakes"].as_array_mut().unwrap() {
        let line: usize = mistake["id"].as_str().unwrap()[5..].parse().unwrap();
        let row = line - 2;
        mistake["id"] = if row < 75 {
            format!("split=a/part-0.parquet row {row}")
        } else {
            format!("split=b/part-1.parquet row {}", row - 75)
        }
        .into();
    }
    assert!(
        expected["mistakes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == "split=b/part-1.parquet row 1"),
        "{expected}"
    );
    assert_eq!(numbers(&spark), expected, "{err}");

    // Here, it is refused with what to do.
    let (code, _, err) = eval_json(
        &[
            iris,
            "--parquet",
            parquet.to_str().unwrap(),
            "--label",
            "species",
        ],
        &dir.path().join("here.csv"),
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("Parquet is read by Spark: add --engine spark"),
        "{err}"
    );
    // A CSV given as Parquet: pyarrow's words, naming the file; no job written.
    let (code, _, err) = eval_json(
        &[
            iris,
            "--parquet",
            csv.to_str().unwrap(),
            "--label",
            "species",
            "--engine",
            "spark",
        ],
        &dir.path().join("notparquet.csv"),
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("{}: not a Parquet table", csv.display()))
            && err.contains("magic bytes"),
        "{err}"
    );
    assert!(!dir.path().join("notparquet.spark").exists());
    // A part given as a CSV: named as Parquet, with the command that reads it.
    let part = parquet.join("split=a/part-0.parquet");
    let (code, _, err) = eval_json(
        &[
            iris,
            "--csv",
            part.to_str().unwrap(),
            "--label",
            "species",
            "--backend",
            "local",
        ],
        &dir.path().join("ascsv.csv"),
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!(
            "{}: a Parquet table, read by Spark: evaluate it with `mlmodel-inspector eval MODEL --parquet PATH --engine spark`",
            part.display()
        )),
        "{err}"
    );
}
