//! The Evaluate tab past this machine (issue 45 in the window): the same choices as
//! `eval --engine spark` and `eval --predictions`, through the same library calls. A Parquet
//! folder evaluated by a real PySpark job on `local[2]` gives the command line's numbers; a
//! batch endpoint's predictions.csv is scored with them; a Python without pyspark is said
//! before anything runs.

use egui_kittest::kittest::{NodeT as _, Queryable as _};
use mlmodel_inspector::ui::InspectorApp;
use mlmodel_inspector::ui::settings::{EvalEngine, Settings};

use crate::gui::{
    app_with, drop_path, settle, shift_drop, shows, shows_classification_numbers, tab, trust,
};

/// A Parquet folder (two part files under `split=` folders) dropped while the tab predicts
/// here is named as Parquet; "On Spark" reads it again (its columns and rows from its
/// footers), the label column guessed; Evaluate runs the Spark job with its line and a
/// Cancel, which stops the job and its JVM; run again, the window gives the numbers the
/// command line gives for the same rows as CSV through MLflow's scoring server, naming Spark
/// as what answered and the rows by file. The Compare tab says it cannot run it through A
/// and B.
#[test]
fn a_parquet_folder_is_evaluated_on_spark_with_the_command_lines_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let (csv, parquet) = crate::spark::iris_parquet(dir.path());
    let model = crate::common::model("sklearn_iris_class_names");
    let mut settings = Settings::default();
    settings.backend.python = Some(crate::common::venv_python());
    settings.eval.spark_master = "local[2]".into();
    trust(&mut settings, &model);
    let mut h = app_with(Some(model.clone()), settings);
    tab(&mut h, "Evaluate");
    drop_path(&mut h, &parquet);
    settle(&mut h);
    assert!(
        shows(
            &h,
            "a Parquet table, read by Spark: choose “on Spark” below"
        ),
        "named as Parquet while predicting here"
    );
    h.get_by_label("On Spark, master").click();
    h.step();
    settle(&mut h);
    assert!(
        shows(&h, "149 rows of iris.parquet, labels in \"species\""),
        "its rows and label column from its footers"
    );
    assert_eq!(
        h.state().settings.eval.engine,
        EvalEngine::Spark,
        "the choice is saved"
    );
    // Cancel while the job runs: it and its JVM stop, its folder goes, and the window says
    // that nothing is reported.
    h.get_by_label("▶ Evaluate").click();
    let (work, group) = spark_job_started(&mut h);
    h.get_by_label("Cancel").click();
    h.step();
    settle(&mut h);
    assert!(shows(
        &h,
        "Cancelled: the Spark job and its JVM were stopped."
    ));
    let stopped = std::time::Instant::now();
    while !crate::spark::in_group(group).is_empty() && stopped.elapsed().as_secs() < 20 {
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert!(
        crate::spark::in_group(group).is_empty(),
        "left running: {:?}",
        crate::spark::in_group(group)
    );
    assert!(!work.exists(), "{} is left", work.display());
    // Then the whole run.
    h.get_by_label("▶ Evaluate").click();
    h.step();
    settle(&mut h);
    assert!(shows(&h, "149 predicted, 0 failed"), "every row answered");
    assert!(
        shows(&h, "through Spark on local[2], answered by Spark 4."),
        "Spark named as what answered"
    );
    let (code, doc, _, stderr) = crate::eval::eval_cli(&[
        model.as_os_str(),
        "--csv".as_ref(),
        csv.as_os_str(),
        "--label".as_ref(),
        "species".as_ref(),
        "--backend".as_ref(),
        "local".as_ref(),
        "--trust-model".as_ref(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    shows_classification_numbers(&h, &doc);
    // Its items named by file and row, as the command line names them.
    assert!(
        shows(&h, "split=a/part-0.parquet row ") || shows(&h, "split=b/part-1.parquet row "),
        "the mistakes named by their file and row"
    );
    // The Compare tab cannot run it through A and B here: said, naming it.
    shift_drop(&mut h, &model);
    h.get_by_label("▶ Run both over the Evaluate tab's dataset")
        .click();
    h.step();
    settle(&mut h);
    assert!(shows(
        &h,
        &format!(
            "{}: a Parquet table, which only Spark reads here",
            parquet.display()
        )
    ));
}

/// An Azure ML batch endpoint's predictions.csv (tests/fixtures/eval/azure) scored against
/// the diabetes table: Score waits for a predictions file, then the window gives the numbers
/// `eval --predictions` gives; with ten lines missing and three of another file, ten items
/// fail and the strays are said.
#[test]
fn predictions_made_elsewhere_are_scored_with_the_command_lines_numbers() {
    let model = crate::common::model("sklearn_diabetes");
    let table = crate::common::repo("tests/fixtures/eval/diabetes.csv");
    let azure = crate::common::repo("tests/fixtures/eval/azure/predictions.csv");
    let mut h = app_with(Some(model.clone()), Settings::default());
    tab(&mut h, "Evaluate");
    drop_path(&mut h, &table);
    settle(&mut h);
    h.get_by_label("Made elsewhere, scored here:").click();
    h.step();
    settle(&mut h);
    assert!(shows(&h, "142 rows of diabetes.csv, labels in \"target\""));
    let score = h.get_by_label("▶ Score");
    assert!(
        score.accesskit_node().is_disabled(),
        "nothing to score before a predictions file is chosen"
    );
    set_predictions(&mut h, &azure);
    h.run_steps(2);
    h.get_by_label("▶ Score").click();
    h.step();
    settle(&mut h);
    let (code, doc, _, stderr) = crate::eval::eval_cli(&[
        model.as_os_str(),
        "--predictions".as_ref(),
        azure.as_os_str(),
        "--labels-from".as_ref(),
        table.as_os_str(),
        "--label".as_ref(),
        "target".as_ref(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(shows(&h, "142 predicted, 0 failed"));
    assert!(shows(&h, "answered by an Azure ML batch endpoint"));
    for (name, key) in [("MAE", "mae"), ("RMSE", "rmse"), ("R²", "r2")] {
        let v = doc["metrics"][key].as_f64().unwrap();
        assert!(shows(&h, &format!("{name} {v:.4}")), "{name} {v:.4}");
    }
    // Ten lines missing, three of another file added.
    let dir = tempfile::tempdir().unwrap();
    let partial = crate::eval::partial_predictions(&azure, dir.path());
    set_predictions(&mut h, &partial);
    h.get_by_label("▶ Score").click();
    h.step();
    settle(&mut h);
    assert!(shows(&h, "132 predicted, 10 failed"));
    assert!(shows(
        &h,
        "3 predictions match no item of the dataset: other.csv (3)"
    ));
}

/// On Spark with a Python that has no pyspark: said under the dataset when Spark is chosen,
/// naming that Python and the command that installs it, before anything runs (Evaluate stays
/// off); an image folder is said to be evaluated here; back to predicting here, the table is
/// planned again.
#[test]
fn a_python_without_pyspark_is_said_when_spark_is_chosen() {
    let dir = tempfile::tempdir().unwrap();
    let venv = dir.path().join("bare");
    let made = std::process::Command::new(crate::common::venv_python())
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv)
        .status()
        .unwrap();
    assert!(made.success());
    let python = venv.join("bin").join("python");
    let mut settings = Settings::default();
    settings.backend.python = Some(python.clone());
    let mut h = app_with(
        Some(crate::common::model("sklearn_iris_class_names")),
        settings,
    );
    tab(&mut h, "Evaluate");
    // On Spark a folder is a Parquet table's, not images': the button and the path's hint
    // say so (the hint shows while no path is given).
    assert!(shows(&h, "Choose image folder…"));
    assert_eq!(path_hint(&h), "/data/photos or /data/rows.csv");
    h.get_by_label("On Spark, master").click();
    h.step();
    settle(&mut h);
    assert!(shows(&h, "Choose Parquet folder…") && !shows(&h, "Choose image folder…"));
    assert_eq!(path_hint(&h), "/data/rows.csv or /data/lake (Parquet)");
    h.get_by_label_contains("Here, through").click();
    h.step();
    settle(&mut h);
    drop_path(&mut h, &crate::common::repo("tests/fixtures/eval/iris.csv"));
    settle(&mut h);
    assert!(shows(&h, "rows of iris.csv"));
    h.get_by_label("On Spark, master").click();
    h.step();
    settle(&mut h);
    let said = format!(
        "{} has no pyspark: install it there ({} -m pip install pyspark)",
        python.display(),
        python.display()
    );
    assert!(shows(&h, &said), "{said}");
    assert!(h.get_by_label("▶ Evaluate").accesskit_node().is_disabled());
    // An image folder on Spark: said at once, whatever the Python.
    drop_path(&mut h, &crate::common::repo("tests/fixtures/eval/images"));
    settle(&mut h);
    assert!(shows(
        &h,
        "a folder of images: the Spark engine evaluates tables (CSV, JSON lines or Parquet); evaluate images here"
    ));
    drop_path(&mut h, &crate::common::repo("tests/fixtures/eval/iris.csv"));
    settle(&mut h);
    assert!(shows(&h, &said), "{said}");
    h.get_by_label_contains("Here, through").click();
    h.step();
    settle(&mut h);
    assert!(!shows(&h, &said));
    assert!(shows(&h, "rows of iris.csv"));
}

/// The hint the Evaluate tab's dataset path shows while empty.
fn path_hint(h: &egui_kittest::Harness<'static, InspectorApp>) -> String {
    h.query_all_by_label("Path:")
        .find_map(|n| n.accesskit_node().placeholder().map(str::to_string))
        .unwrap_or_default()
}

/// The predictions file as chosen (the dialog's answer, or the path typed in the field).
fn set_predictions(h: &mut egui_kittest::Harness<'static, InspectorApp>, file: &std::path::Path) {
    if let Some(loaded) = h.state_mut().loaded.as_mut() {
        loaded.panels.eval.predictions = file.display().to_string();
    }
}

/// Steps the window until the Spark job it started has a JVM running (the job's line and a
/// Cancel shown meanwhile): the job's folder and process group.
fn spark_job_started(
    h: &mut egui_kittest::Harness<'static, InspectorApp>,
) -> (std::path::PathBuf, u32) {
    let prefix = format!("mlmodel-inspector-spark-{}-", std::process::id());
    let started = std::time::Instant::now();
    loop {
        assert!(started.elapsed().as_secs() < 180, "Spark never started");
        h.step();
        let work = std::fs::read_dir(std::env::temp_dir())
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(&prefix))
                    && p.join("status.json").exists()
            });
        if let Some(work) = work {
            assert!(
                shows(h, "Spark on local[2]: ") && h.query_by_label("Cancel").is_some(),
                "the Spark job's line and Cancel are shown"
            );
            let group = crate::spark::job_group_of(&work.join("job.py"));
            assert!(
                crate::spark::in_group(group)
                    .iter()
                    .any(|(_, comm)| comm == "java"),
                "the JVM runs in the job's group"
            );
            return (work, group);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
