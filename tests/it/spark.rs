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
    let common = ["--csv", table, "--label", label];
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
