//! `eval --engine spark`: the table evaluated on a Spark master (`local[*]`, or a cluster's
//! URL) with MLflow's own `mlflow.pyfunc.spark_udf`, the distributed engine people already run
//! MLflow models on. A small PySpark job is written beside the predictions (the user can read
//! and rerun it): it reads the dataset, casts the signature's columns to its types, applies the
//! model to a `struct` of them with the `result_type` the signature's output asks for, and
//! writes each row's line (a Parquet row's file and row), label and prediction. A Parquet
//! table is described first by pyarrow ([`describe_parquet`]). The job runs with the chosen Python (with
//! `PYSPARK_PYTHON` and `PYSPARK_DRIVER_PYTHON` set to it, or Spark's workers would take the
//! system's); its output is read back and tallied by `eval`'s own code
//! ([`super::run::tally_answers`]), with Spark's row count as a cross-check, so the numbers are
//! `eval`'s.

use std::io::Read as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use super::dataset::{TableKind, TableReader};
use super::{Data, EvalError, EvalProgress, ItemResult, Plan, Report};
use crate::model::ModelCard;
use crate::model::signature::{ColType, DataType, Spec};

/// The job's text: a fixed script that reads its settings from `job.json` beside it.
const JOB: &str = include_str!("spark_job.py");

/// How the Spark job runs.
#[derive(Debug, Clone)]
pub struct SparkOptions {
    /// The Spark master: `local[*]`, `local[2]`, `spark://host:7077`, ...
    pub master: String,
    /// The Python with pyspark and mlflow (the driver's and the workers').
    pub python: PathBuf,
    /// `spark_udf`'s `env_manager`: `local` (the workers' Python as it is) or `virtualenv`.
    pub env_manager: String,
    /// The folder for the job, its settings, Spark's output and its log.
    pub work: PathBuf,
}

/// What Spark said of the run.
#[derive(Debug, Clone, PartialEq)]
pub struct SparkRun {
    /// The master it ran on, as Spark names it.
    pub master: String,
    /// Spark's application id (`local-1733490000000`, `app-2026...`).
    pub application_id: String,
    /// Spark's version.
    pub spark_version: String,
    /// Rows Spark wrote.
    pub rows: u64,
    /// The job written for it.
    pub job: PathBuf,
}

/// Spark's type for a signature column, or why the column cannot go through the job.
fn spark_type(name: &str, ty: &ColType) -> Result<Option<&'static str>, String> {
    Ok(match ty {
        ColType::Scalar(DataType::Boolean) => Some("boolean"),
        ColType::Scalar(DataType::Integer) => Some("int"),
        ColType::Scalar(DataType::Long) => Some("long"),
        ColType::Scalar(DataType::Float) => Some("float"),
        ColType::Scalar(DataType::Double) => Some("double"),
        ColType::Scalar(DataType::String) => Some("string"),
        // No signature type: the column goes as read (text).
        ColType::Any => None,
        other => {
            return Err(format!(
                "column {name} is {}: the Spark engine sends numbers, strings and booleans",
                other.label()
            ));
        }
    })
}

/// Spark's type whose pandas column has this numpy dtype, as MLflow's tensor enforcement
/// wants it; `None` (sent as read) for a dtype Spark has no type for (unsigned integers).
fn tensor_type(dtype: &str) -> Option<&'static str> {
    Some(match dtype {
        "float32" => "float",
        "float64" => "double",
        "int8" => "tinyint",
        "int16" => "smallint",
        "int32" => "int",
        "int64" => "long",
        "bool" => "boolean",
        "str" | "object" => "string",
        _ => return None,
    })
}

/// `spark_udf`'s `result_type` for the model's output: `long`, `double`, `string` or
/// `boolean` for one value a row, `array<double>` (or `array<long>`) for a vector of scores.
/// Without it Spark guesses, and an int64 answer comes back as an array.
pub fn result_type(card: &ModelCard) -> Result<&'static str, String> {
    let Some(outputs) = card.signature.valid().and_then(|s| s.outputs.as_ref()) else {
        return Ok("double");
    };
    let scalar = |t: &ColType| match t {
        ColType::Scalar(DataType::Integer | DataType::Long) => Some("long"),
        ColType::Scalar(DataType::Float | DataType::Double) => Some("double"),
        ColType::Scalar(DataType::String) => Some("string"),
        ColType::Scalar(DataType::Boolean) => Some("boolean"),
        _ => None,
    };
    let [spec] = outputs.specs.as_slice() else {
        // Columns of single values: eval reads an answer's first column, and spark_udf
        // returns the leftmost column of the result type, so the first column's type gives
        // the first column.
        let first = outputs.specs.first().and_then(|s| match s {
            Spec::Column(c) => scalar(&c.ty),
            Spec::Tensor(_) => None,
        });
        let all_scalar = outputs.specs.iter().all(|s| match s {
            Spec::Column(c) => scalar(&c.ty).is_some(),
            Spec::Tensor(_) => false,
        });
        return first.filter(|_| all_scalar).ok_or_else(|| {
            format!(
                "the model has {} outputs, not all single values: the Spark engine reads one value or one vector a row",
                outputs.specs.len()
            )
        });
    };
    let found = match spec {
        Spec::Column(c) => scalar(&c.ty),
        Spec::Tensor(t) => {
            let integer = t.dtype.starts_with("int") || t.dtype.starts_with("uint");
            let float = t.dtype.starts_with("float");
            let text = t.dtype == "str" || t.dtype == "object";
            let per_row: i64 = t.shape.iter().skip(1).product();
            match (per_row, integer, float, text) {
                (1, true, _, _) => Some("long"),
                (1, _, true, _) => Some("double"),
                (1, _, _, true) => Some("string"),
                (n, true, _, _) if n > 1 => Some("array<long>"),
                (n, _, true, _) if n > 1 => Some("array<double>"),
                _ => None,
            }
        }
    };
    found.ok_or_else(|| {
        format!(
            "the model's output ({}) is not one Spark can return as a value or a vector",
            spec.type_label()
        )
    })
}

/// Checks that `java` runs (pyspark 4 needs Java 17 or newer) and that `python` imports
/// pyspark and mlflow, before anything is written: the message says what is missing and how
/// to get it.
pub fn check_setup(python: &Path) -> Result<String, EvalError> {
    let java = std::env::var_os("JAVA_HOME")
        .map(|home| PathBuf::from(home).join("bin").join("java"))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("java"));
    let version = Command::new(&java)
        .arg("-version")
        .stdin(Stdio::null())
        .output();
    let no_java = || {
        EvalError::Setup(
            "no Java found (JAVA_HOME unset or without bin/java, and no java on PATH): Spark runs on the JVM, and pyspark 4 needs Java 17 or newer; install it (Debian/Ubuntu: sudo apt-get install openjdk-17-jre-headless) or set JAVA_HOME".into(),
        )
    };
    match version {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stderr).into_owned();
            if let Some(major) = java_major(&text)
                && major < 17
            {
                return Err(EvalError::Setup(format!(
                    "{} is Java {major}: pyspark 4 needs Java 17 or newer (set JAVA_HOME to one)",
                    java.display()
                )));
            }
        }
        _ => return Err(no_java()),
    }
    let probe = Command::new(python)
        .args([
            "-c",
            "import pyspark, mlflow; print(pyspark.__version__, mlflow.__version__)",
        ])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| EvalError::Setup(format!("{}: {e}", python.display())))?;
    if !probe.status.success() {
        let err = String::from_utf8_lossy(&probe.stderr);
        let missing = if err.contains("No module named 'pyspark'") {
            "pyspark"
        } else if err.contains("No module named 'mlflow'") {
            "mlflow"
        } else {
            return Err(EvalError::Setup(format!(
                "{} cannot import pyspark and mlflow: {}",
                python.display(),
                crate::text::elide(err.trim(), 600)
            )));
        };
        return Err(EvalError::Setup(format!(
            "{} has no {missing}: install it there ({} -m pip install {missing}) or choose another Python (--python; in the window: ⚙ Settings on the Test tab, Python with mlflow)",
            python.display(),
            python.display()
        )));
    }
    Ok(String::from_utf8_lossy(&probe.stdout).trim().to_string())
}

/// Why an image folder is not evaluated on Spark.
const IMAGES_HERE: &str = "a folder of images: the Spark engine evaluates tables (CSV, JSON lines or Parquet); evaluate images here (--engine local, or Here on the Evaluate tab)";

/// The Python a Spark job runs with: the one chosen (`--python`, the Settings' Python), else
/// the first found as the local backend finds one.
pub fn python(chosen: Option<&Path>) -> Result<PathBuf, EvalError> {
    match chosen {
        Some(p) => Ok(p.to_path_buf()),
        None => crate::predict::python::find(None)
            .map(|c| c.path)
            .ok_or_else(|| {
                EvalError::Setup(
                    "no Python found for the Spark job: give one that has pyspark and mlflow (--python; in the window: ⚙ Settings on the Test tab, Python with mlflow)".into(),
                )
            }),
    }
}

/// Readies a dataset for a Spark run, as both front ends do before the job is written: the
/// setup checked ([`check_setup`]), a Parquet table described ([`describe_parquet`]), and the
/// plan made as for the local backend (the columns matched to the signature, missing ones
/// listed). Returns the plan and the versions of pyspark and mlflow, in words.
pub fn prepare(
    card: &ModelCard,
    dataset: &super::DatasetSpec,
    options: &super::EvalOptions,
    python: &Path,
) -> Result<(Plan, String), EvalError> {
    if let super::DatasetSpec::Images(folder) = dataset {
        return Err(EvalError::Mismatch(format!(
            "{}: {IMAGES_HERE}",
            folder.display()
        )));
    }
    let versions = check_setup(python)?;
    let described;
    let dataset = match dataset {
        // Described here unless the caller did (its columns known).
        super::DatasetSpec::Parquet {
            path,
            label,
            columns,
            ..
        } if columns.is_empty() => {
            described = describe_parquet(python, path, label.clone())?;
            &described
        }
        other => other,
    };
    let plan = super::prepare(
        card,
        dataset,
        options,
        &crate::predict::BackendChoice::Local,
    )?;
    Ok((plan, versions))
}

/// A folder of its own for one Spark job (its settings, Spark's output and log) under the
/// system's temporary folder, where no `--out` says where to keep it.
pub fn temporary_work() -> PathBuf {
    use std::sync::atomic::AtomicU64;
    static RUNS: AtomicU64 = AtomicU64::new(0);
    let n = RUNS.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!(
        "mlmodel-inspector-spark-{}-{n}",
        std::process::id()
    ))
}

/// What the Parquet probe prints at most (its columns' names): past it the table is refused.
const MAX_PROBE_BYTES: u64 = 16 << 20;

/// The probe: a Parquet file or folder's columns and row count from its footers, with pyarrow
/// (which MLflow and spark_udf need anyway), files and partition folders found as Spark finds
/// them (`key=value` folders are columns; names starting with `_` or `.` are not data).
const PARQUET_PROBE: &str = r#"
import json, sys
try:
    import pyarrow.dataset as ds
except ImportError as e:
    print(json.dumps({"error": "this Python cannot import pyarrow (%s): install it there (pip install pyarrow)" % e}))
    sys.exit(0)
try:
    d = ds.dataset(sys.argv[1], format="parquet", partitioning="hive")
    if not d.files:
        print(json.dumps({"error": "no Parquet files in it"}))
    else:
        print(json.dumps({"columns": d.schema.names, "rows": d.count_rows(), "files": len(d.files)}))
except Exception as e:
    print(json.dumps({"error": "%s: %s" % (type(e).__name__, e)}))
"#;

/// Describes a Parquet table (a file, or a folder of part files) for `eval --engine spark`:
/// its columns and row count, read from its footers by `python`'s pyarrow, so the plan can
/// match its columns to the signature before the job starts. Whatever pyarrow cannot read is
/// refused naming the path (exit 2).
pub fn describe_parquet(
    python: &Path,
    path: &Path,
    label: Option<String>,
) -> Result<super::DatasetSpec, EvalError> {
    let fail = |problem: String| {
        EvalError::Dataset(super::dataset::DatasetError::Read {
            path: path.to_path_buf(),
            problem,
        })
    };
    if !path.exists() {
        return Err(fail("no such file or folder".into()));
    }
    let mut child = Command::new(python)
        .arg("-c")
        .arg(PARQUET_PROBE)
        .arg(path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| EvalError::Setup(format!("{}: {e}", python.display())))?;
    let mut text = String::new();
    let read = child
        .stdout
        .take()
        .map(|out| out.take(MAX_PROBE_BYTES + 1).read_to_string(&mut text));
    let _ = child.kill();
    let _ = child.wait();
    if let Some(Err(e)) = read {
        return Err(fail(format!(
            "its description by {}: {e}",
            python.display()
        )));
    }
    if text.len() as u64 > MAX_PROBE_BYTES {
        return Err(fail(format!(
            "its columns' names take more than {} MiB",
            MAX_PROBE_BYTES >> 20
        )));
    }
    let doc: Value = serde_json::from_str(text.trim()).map_err(|_| {
        fail(format!(
            "{} could not describe it as Parquet{}",
            python.display(),
            if text.trim().is_empty() {
                String::new()
            } else {
                format!(": {}", crate::text::elide(text.trim(), 300))
            }
        ))
    })?;
    if let Some(error) = doc["error"].as_str() {
        return Err(fail(format!(
            "not a Parquet table pyarrow can read: {}",
            crate::text::elide(error, 600)
        )));
    }
    let columns: Vec<String> = doc["columns"]
        .as_array()
        .map(|c| {
            c.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let rows = doc["rows"]
        .as_u64()
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| fail("pyarrow gave no row count".into()))?;
    Ok(super::DatasetSpec::Parquet {
        path: path.to_path_buf(),
        label,
        columns,
        rows,
    })
}

/// The major version in `java -version`'s words (`openjdk version "17.0.15"`, `"1.8.0_392"`).
fn java_major(text: &str) -> Option<u32> {
    let quoted = text.split('"').nth(1)?;
    let mut parts = quoted.split(['.', '_', '-', '+']);
    let first: u32 = parts.next()?.parse().ok()?;
    if first == 1 {
        parts.next()?.parse().ok()
    } else {
        Some(first)
    }
}

/// The job's settings for `plan` (a table): written as `job.json` beside the job.
fn settings(
    plan: &Plan,
    card: &ModelCard,
    options: &SparkOptions,
) -> Result<(Value, &'static str), EvalError> {
    let Data::Table {
        path,
        kind,
        label,
        columns: header,
        send,
        form,
    } = &plan.data
    else {
        return Err(EvalError::Mismatch(IMAGES_HERE.into()));
    };
    let label = label.and_then(|i| header.get(i).cloned());
    // A tensor signature's columns are cast to the tensor's dtype: MLflow's enforcement of a
    // tensor spec wants that dtype exactly (the CSV's text is not float32).
    let tensors: Vec<&crate::model::signature::TensorSpec> = card
        .signature
        .valid()
        .and_then(|s| s.inputs.as_ref())
        .map(|s| s.tensors())
        .unwrap_or_default();
    let tensor_of = |name: &str| match form {
        super::TableForm::Matrix(_) => tensors.first().copied(),
        super::TableForm::Tensors => tensors
            .iter()
            .find(|t| t.name.as_deref() == Some(name))
            .copied(),
        super::TableForm::Frame | super::TableForm::Positional => None,
    };
    let mut columns = Vec::new();
    for (name, _, ty) in send {
        let cast = match tensor_of(name) {
            Some(t) => tensor_type(&t.dtype),
            None => spark_type(name, ty).map_err(EvalError::Mismatch)?,
        };
        columns.push(json!([name, cast]));
    }
    let result = result_type(card).map_err(EvalError::Mismatch)?;
    let dataset = std::path::absolute(path).unwrap_or_else(|_| path.clone());
    // Parquet rows are named by their file's path under this folder (the file's own folder
    // for a single file).
    let root = if dataset.is_dir() {
        dataset.clone()
    } else {
        dataset
            .parent()
            .map_or_else(|| dataset.clone(), Path::to_path_buf)
    };
    let model = std::path::absolute(&card.root).unwrap_or_else(|_| card.root.clone());
    Ok((
        json!({
            "master": options.master,
            "model": model,
            "dataset": dataset,
            "format": match kind {
                TableKind::Csv => "csv",
                TableKind::JsonLines => "json",
                TableKind::Parquet => "parquet",
            },
            // Line numbers as eval names items: a CSV's header is line 1.
            "first_line": match kind { TableKind::Csv => 2, _ => 1 },
            "root": root,
            "label": label,
            "columns": columns,
            "result_type": result,
            // Columns named by integers: passed to the UDF one by one, so that MLflow names
            // them from the signature (a struct's fields are names Spark gives as text).
            "positional": matches!(form, super::TableForm::Positional),
            "env_manager": options.env_manager,
            "predictions": options.work.join("predictions"),
            "summary": options.work.join("summary.json"),
            "status": options.work.join("status.json"),
        }),
        result,
    ))
}

/// Runs `plan` on Spark: writes the job into `options.work`, runs it with `options.python`
/// (stopped, with the JVM it started, when `cancel` is set), reads Spark's predictions back and
/// tallies them with `eval`'s code. Spark's progress goes to `on_status` in a line ("stage 3
/// (csv at job.py:97): 1 of 2 tasks") as its status tracker reports it; each item to
/// `on_item` as it is read.
pub fn run(
    plan: &Plan,
    card: &ModelCard,
    options: &SparkOptions,
    progress: &EvalProgress,
    cancel: &AtomicBool,
    on_status: &mut dyn FnMut(&str),
    on_item: &mut dyn FnMut(&ItemResult),
) -> Result<(Report, SparkRun), EvalError> {
    let started = std::time::Instant::now();
    let (config, result_type) = settings(plan, card, options)?;
    let work = &options.work;
    // The job runs in its folder: the Python by its whole path (not resolved: a venv's
    // python is a link that must stay the venv's).
    let python = std::path::absolute(&options.python).unwrap_or_else(|_| options.python.clone());
    let io = |what: &Path, e: std::io::Error| EvalError::Setup(format!("{}: {e}", what.display()));
    std::fs::create_dir_all(work).map_err(|e| io(work, e))?;
    let job = work.join("job.py");
    let config_path = work.join("job.json");
    std::fs::write(&job, JOB).map_err(|e| io(&job, e))?;
    let text = serde_json::to_string_pretty(&config).unwrap_or_default();
    std::fs::write(&config_path, text).map_err(|e| io(&config_path, e))?;
    let log_path = work.join("spark.log");
    let log = std::fs::File::create(&log_path).map_err(|e| io(&log_path, e))?;
    let log_err = log.try_clone().map_err(|e| io(&log_path, e))?;
    // The Python's own folder first on PATH, as an activated venv has it (MLflow runs tools
    // by name).
    let path = match python.parent() {
        Some(bin) => format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        ),
        None => std::env::var("PATH").unwrap_or_default(),
    };
    progress.total.store(plan.total, Ordering::Relaxed);
    let mut child = Command::new(&python)
        .arg(&job)
        .arg(&config_path)
        .current_dir(work)
        .env("PYSPARK_PYTHON", &python)
        .env("PYSPARK_DRIVER_PYTHON", &python)
        .env("PATH", path)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        .process_group(0)
        .spawn()
        .map_err(|e| io(&python, e))?;
    let status = loop {
        if cancel.load(Ordering::Relaxed) {
            // The job and the JVM it started (one process group).
            stop_group(child.id());
            let _ = child.wait();
            return Err(EvalError::Backend(crate::predict::PredictError::Cancelled));
        }
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {
                if let Some(line) = status_line(&work.join("status.json")) {
                    on_status(&line);
                }
                std::thread::sleep(Duration::from_millis(200))
            }
            Err(e) => return Err(io(&python, e)),
        }
    };
    if !status.success() {
        return Err(EvalError::Engine(format!(
            "the Spark job failed ({status}): {}\n(the whole log: {})",
            failure_words(&log_path),
            log_path.display()
        )));
    }
    let summary: Value = std::fs::read_to_string(work.join("summary.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    let spark = SparkRun {
        master: summary["master"]
            .as_str()
            .unwrap_or(&options.master)
            .to_string(),
        application_id: summary["application_id"].as_str().unwrap_or("").to_string(),
        spark_version: summary["spark_version"].as_str().unwrap_or("").to_string(),
        rows: summary["rows"].as_u64().unwrap_or(0),
        job,
    };
    let mut answers = Answers::open(&work.join("predictions"), result_type)?;
    let mut report =
        super::run::tally_answers(plan, card, &mut answers, progress, cancel, on_item)?;
    // The whole run, the job's included.
    report.elapsed = started.elapsed();
    // Spark's count, eval's count and the rows read back agree, or the numbers are not
    // eval's.
    let read = answers.read;
    if !report.cancelled && (read as u64 != spark.rows || read != plan.total) {
        return Err(EvalError::Engine(format!(
            "Spark wrote {} rows and {read} were read back, but {} has {} rows as eval reads it",
            spark.rows,
            plan.dataset_path().display(),
            plan.total
        )));
    }
    Ok((report, spark))
}

/// Spark's active stages in a line, from the status the job writes: "stage 3 (csv at
/// job.py:97): 1 of 2 tasks"; `None` before the first or while no stage runs.
fn status_line(path: &Path) -> Option<String> {
    let mut text = String::new();
    std::fs::File::open(path)
        .ok()?
        .take(64 << 10)
        .read_to_string(&mut text)
        .ok()?;
    let status: Value = serde_json::from_str(&text).ok()?;
    let stages: Vec<String> = status["stages"]
        .as_array()?
        .iter()
        .take(4)
        .map(|s| {
            format!(
                "stage {} ({}): {} of {} tasks",
                s["stage"].as_u64().unwrap_or(0),
                crate::text::elide(s["name"].as_str().unwrap_or(""), 40),
                s["done"].as_u64().unwrap_or(0),
                s["tasks"].as_u64().unwrap_or(0)
            )
        })
        .collect();
    (!stages.is_empty()).then(|| stages.join("; "))
}

/// Stops a process group (the job and the JVM it started).
fn stop_group(pid: u32) {
    if let Ok(pid) = i32::try_from(pid) {
        // SAFETY: kill(2) with a negative pid signals that process group; no memory is shared.
        unsafe {
            libc::kill(-pid, libc::SIGTERM);
        }
        std::thread::sleep(Duration::from_millis(500));
        // SAFETY: as above.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}

/// What a failed job's log says, in Spark's words: its errors' messages, each once (an
/// exception's message without its class, a Python error whole, the job's own `error:`), or
/// the log's last lines when none is found.
fn failure_words(log: &Path) -> String {
    // The log's last 4 MiB: a failed job's error is at its end.
    const TAIL: u64 = 4 << 20;
    let mut bytes = Vec::new();
    if let Ok(mut f) = std::fs::File::open(log) {
        use std::io::Seek as _;
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        let _ = f.seek(std::io::SeekFrom::Start(len.saturating_sub(TAIL)));
        let _ = f.take(TAIL).read_to_end(&mut bytes);
    }
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = text.lines().collect();
    let mut found: Vec<String> = Vec::new();
    for (at, line) in lines.iter().enumerate() {
        let l = line.trim();
        // Spark's JSON log records repeat what the plain lines say (one may follow a console
        // progress bar on its line).
        if l.starts_with('{') || l.contains("{\"ts\": ") {
            continue;
        }
        let message = if let Some(i) = l.find("Exception: ") {
            let first = l.get(i + "Exception: ".len()..).unwrap_or(l);
            // Spark's wrapper of a Python worker's error: the error itself follows.
            if first.contains("An exception was thrown from the Python worker") {
                continue;
            }
            // A message of several lines (MLflow's shows the data it refused) ends where
            // Spark's SQLSTATE, a stack frame or a traceback begins.
            let mut message = first.to_string();
            for next in lines.iter().skip(at + 1).take(12) {
                let n = next.trim_start();
                if n.is_empty()
                    || n.starts_with("SQLSTATE")
                    || n.starts_with("at ")
                    || n.starts_with("Traceback")
                    || n.starts_with("File \"")
                    || n.contains("Exception: ")
                {
                    break;
                }
                message.push('\n');
                message.push_str(next.trim_end());
            }
            message
        } else if l.starts_with("error:") {
            l.trim_start_matches("error:").trim().to_string()
        } else {
            match l.split_once(": ") {
                Some((kind, _))
                    if !kind.contains(' ')
                        && (kind.ends_with("Error") || kind.ends_with("Exit")) =>
                {
                    l.to_string()
                }
                _ => continue,
            }
        };
        if !message.is_empty() && !found.contains(&message) {
            found.push(message);
            if found.len() == 3 {
                break;
            }
        }
    }
    if found.is_empty() {
        let all: Vec<&str> = text.lines().collect();
        found = all[all.len().saturating_sub(8)..]
            .iter()
            .map(|l| l.to_string())
            .collect();
    }
    crate::text::elide(&found.join("\n"), 2000)
}

/// The CSV part files Spark wrote into `folder`, in order.
pub fn part_files(folder: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut parts: Vec<PathBuf> = std::fs::read_dir(folder)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("part-") && n.ends_with(".csv"))
        })
        .collect();
    parts.sort();
    Ok(parts)
}

/// Spark's predictions read back: its part files in order, a row at a time through
/// [`TableReader`] (records capped as any table's), each prediction as MLflow's scoring server
/// would have answered it.
struct Answers {
    parts: std::vec::IntoIter<PathBuf>,
    reader: Option<TableReader>,
    result_type: &'static str,
    /// Rows read so far.
    read: usize,
    /// Whether the part being read names its rows by id (Parquet) rather than line.
    ids: bool,
}

impl Answers {
    fn open(folder: &Path, result_type: &'static str) -> Result<Self, EvalError> {
        let parts = part_files(folder)
            .map_err(|e| EvalError::Engine(format!("{}: {e}", folder.display())))?;
        Ok(Self {
            parts: parts.into_iter(),
            reader: None,
            result_type,
            read: 0,
            ids: false,
        })
    }

    /// A prediction's text as the value MLflow's answer would hold, or why there is none.
    fn value(&self, text: &str) -> Result<Value, String> {
        let value = match self.result_type {
            _ if text.is_empty() => None,
            "long" => text.parse::<i64>().ok().map(Value::from),
            "double" => text
                .parse::<f64>()
                .ok()
                .map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
            "boolean" => text.parse::<bool>().ok().map(Value::Bool),
            t if t.starts_with("array") => serde_json::from_str(text).ok(),
            _ => Some(Value::String(text.to_string())),
        };
        value.ok_or_else(|| {
            format!(
                "Spark gave no {} prediction for this row ({:?})",
                self.result_type,
                crate::text::elide(text, 40)
            )
        })
    }
}

impl Iterator for Answers {
    type Item = Result<super::AnsweredItem, EvalError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.reader.is_none() {
                let part = self.parts.next()?;
                match TableReader::open(&part, TableKind::Csv) {
                    Ok(r) => {
                        // `line` (numbers) for a CSV or JSON-lines dataset, `id` (a Parquet
                        // file's path and row) for Parquet.
                        self.ids = r.columns.first().is_some_and(|c| c == "id");
                        self.reader = Some(r);
                    }
                    Err(e) => return Some(Err(EvalError::Engine(e.to_string()))),
                }
            }
            let reader = self.reader.as_mut()?;
            match reader.next_row() {
                Some(Ok(row)) => {
                    self.read += 1;
                    let cell = |i: usize| {
                        row.cells
                            .get(i)
                            .and_then(super::dataset::Cell::label_text)
                            .unwrap_or_default()
                    };
                    let label = Some(cell(1)).filter(|l| !l.is_empty());
                    let id = if self.ids {
                        cell(0)
                    } else {
                        format!("line {}", cell(0))
                    };
                    return Some(Ok((id, label, self.value(&cell(2)))));
                }
                Some(Err((id, problem))) => {
                    return Some(Err(EvalError::Engine(format!(
                        "Spark's predictions, {id}: {problem}"
                    ))));
                }
                None => self.reader = None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The end of a real log (a tensor model given a CSV's text on pyspark 4.3 and MLflow
    /// 3.17): MLflow's message of several lines whole, once, without Spark's wrapper.
    #[test]
    fn a_failed_jobs_message_is_mlflows_whole_and_said_once() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("spark.log");
        let refused = "mlflow.exceptions.MlflowException: Failed to enforce schema of data '     a    b    c    d\n0  6.2  2.9  4.3  1.3\n1  5.1  3.5  1.4  0.2' with schema '[Tensor('float32', (-1, 4))]'. Error: dtype of input object does not match expected dtype float32\n SQLSTATE: 38000\n\tat org.apache.spark.api.python.BasePythonRunner$ReaderIterator.handlePythonException(PythonRunner.scala:1097)\n";
        let text = format!(
            "26/12/06 16:01:02 WARN TaskSetManager: Lost task 0.0 in stage 3.0: org.apache.spark.api.python.PythonException: [PYTHON_EXCEPTION] An exception was thrown from the Python worker: Traceback (most recent call last):\n  File \"/x/worker.py\", line 1, in main\n{refused}\nTraceback (most recent call last):\n  File \"/tmp/job.py\", line 142, in <module>\npyspark.errors.exceptions.captured.PythonException: An exception was thrown from the Python worker:\n{refused}"
        );
        std::fs::write(&log, text).unwrap();
        assert_eq!(
            failure_words(&log),
            "Failed to enforce schema of data '     a    b    c    d\n0  6.2  2.9  4.3  1.3\n1  5.1  3.5  1.4  0.2' with schema '[Tensor('float32', (-1, 4))]'. Error: dtype of input object does not match expected dtype float32"
        );
    }
}
