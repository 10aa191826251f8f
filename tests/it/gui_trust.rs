//! The trust question built from the scan (issue 42, second slice): before MLflow's scoring
//! server loads a model, the window lists per file what loading it would import (from the scan,
//! not from MLmodel alone), the `skops_trusted_types` MLmodel hands to skops, and says "no code
//! of its own" only when every file was read to its end and nothing is outside the safe list. A
//! dangerous finding makes Cancel the default. The answer is remembered with the files'
//! digests: a changed file asks again, named.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use mlmodel_inspector::ui::InspectorApp;
use mlmodel_inspector::ui::settings::Settings;

use crate::common::repo;
use crate::gui::{app_with, settle, shows, tab};

/// The window on `folder` with MLflow's scoring server chosen and a JSON request typed, Predict
/// pressed: the question is open (nothing runs before the answer). The Python is one that
/// does not exist, so that a yes fails at once instead of loading a model.
fn ask(folder: &std::path::Path, settings: Settings) -> Harness<'static, InspectorApp> {
    let mut settings = settings;
    settings.backend.python = Some("/nonexistent/python3".into());
    let mut h = app_with(Some(folder.to_path_buf()), settings);
    settle(&mut h);
    tab(&mut h, "Test");
    if let Some(local) = h.query_by_label("MLflow scoring server (local Python)") {
        local.click();
        h.run_steps(2);
    }
    // The Python check (it fails: no such Python) ends before Predict.
    settle(&mut h);
    {
        let test = &mut h.state_mut().loaded.as_mut().unwrap().panels.test;
        test.source = mlmodel_inspector::ui::test_panel::SourceKind::Json;
        // The model's own serving example when it has one; else iris' four numbers.
        test.json_text = std::fs::read_to_string(folder.join("serving_input_example.json"))
            .unwrap_or_else(|_| r#"{"inputs": [[5.1, 3.5, 1.4, 0.2]]}"#.into());
    }
    h.run_steps(2);
    h.get_by_label("▶ Predict").click();
    h.step();
    settle(&mut h);
    h
}

#[test]
fn a_dangerous_model_is_asked_about_with_its_findings_and_cancel_is_the_default() {
    let folder = repo("tests/fixtures/scan/hostile");
    let mut h = ask(&folder, Settings::default());
    assert!(shows(&h, "⚠ Dangerous: run this model's code?"));
    // The first dangerous finding with its file and rule, then each file with its imports.
    assert!(shows(&h, "Dangerous: "), "the headline");
    assert!(shows(&h, "dangerous imports in all)"), "the count");
    assert!(shows(&h, "p0_global_os_system.pkl"), "a file listed");
    assert!(shows(&h, "os.system"), "its import");
    assert!(
        shows(&h, "danger list: os (picklescan, fickling, modelscan)"),
        "with its rule"
    );
    assert!(shows(
        &h,
        "The model would run code the scan calls dangerous, which can do anything your account can. Cancel unless you made this model yourself."
    ));
    assert!(!shows(&h, "no code of its own"));
    // Cancel is the default: it has the focus, and Enter presses it. "Run anyway" is there,
    // secondary.
    assert!(h.get_by_label("Cancel").is_focused(), "Cancel is focused");
    assert!(!h.get_by_label("Run anyway").is_focused());
    h.key_press(egui::Key::Enter);
    h.run_steps(3);
    assert!(!shows(&h, "run this model's code?"), "closed");
    assert!(shows(&h, "Not run: the model's code was not trusted."));
    assert!(
        h.state().settings.trusted_models.is_empty(),
        "nothing remembered"
    );
    assert!(
        h.state()
            .loaded
            .as_ref()
            .unwrap()
            .panels
            .predict
            .history
            .is_empty(),
        "nothing ran"
    );
}

#[test]
fn a_skops_model_that_trusts_exec_shows_its_trusted_types_with_their_verdicts() {
    let h = ask(
        &repo("tests/fixtures/scan/hostile_skops"),
        Settings::default(),
    );
    assert!(shows(&h, "⚠ Dangerous: run this model's code?"));
    assert!(shows(
        &h,
        "MLmodel's skops_trusted_types, which MLflow hands to skops.io.load"
    ));
    assert!(shows(&h, "builtins.exec"));
    assert!(shows(&h, "sklearn.tree._tree.Tree"));
    assert!(h.get_by_label("Cancel").is_focused());
}

#[test]
fn an_unknown_model_lists_its_imports_by_package_and_run_it_is_the_default() {
    let h = ask(
        &repo("tests/fixtures/scan/benign/sklearn_pickle"),
        Settings::default(),
    );
    assert!(shows(&h, "Run this model's code?"));
    assert!(!shows(&h, "Dangerous"));
    assert!(shows(
        &h,
        "outside the safe list (from scikit-learn), which can run any code."
    ));
    assert!(shows(&h, "model.pkl"));
    assert!(shows(
        &h,
        "sklearn.linear_model._logistic.LogisticRegression"
    ));
    assert!(shows(
        &h,
        "package scikit-learn, pinned in requirements.txt"
    ));
    assert!(shows(
        &h,
        "Loading runs code outside the safe list, which can do anything your account can. Only continue if you trust where this folder came from."
    ));
    assert!(!shows(&h, "no code of its own"));
    assert!(
        h.get_by_label("Run it").is_focused(),
        "Run it is the default"
    );
}

#[test]
fn an_onnx_model_read_to_its_end_brings_no_code_of_its_own() {
    let h = ask(
        &crate::common::model("onnx_named_inputs"),
        Settings::default(),
    );
    assert!(shows(&h, "Run this model's code?"));
    assert!(shows(&h, "No code of its own: all "), "the headline");
    assert!(shows(
        &h,
        "files were read to their end, importing nothing outside the safe list."
    ));
    assert!(shows(
        &h,
        "The model brings no code of its own, but its files are read by Python packages."
    ));
}

#[test]
fn trusting_once_then_changing_model_pkl_asks_again_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("model");
    std::fs::create_dir(&folder).unwrap();
    for entry in std::fs::read_dir(repo("tests/fixtures/scan/benign/sklearn_pickle")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), folder.join(entry.file_name())).unwrap();
    }
    let mut h = ask(&folder, Settings::default());
    assert!(shows(&h, "Run this model's code?"));
    h.run_steps(2);
    h.get_by_label("Run it").click();
    h.step();
    settle(&mut h);
    let settings = h.state().settings.clone();
    assert_eq!(settings.trusted_models.len(), 1, "the yes is remembered");
    assert!(
        settings.trusted_models[0].digests.contains_key("model.pkl"),
        "with the files' digests"
    );
    drop(h);
    // The same files: no question.
    let h = ask(&folder, settings.clone());
    assert!(!shows(&h, "run this model's code?"), "trusted as it is");
    drop(h);
    // model.pkl changed (another model saved over it): asked again, the change named.
    std::fs::copy(
        repo("tests/fixtures/scan/benign/sklearn_cloudpickle/model.pkl"),
        folder.join("model.pkl"),
    )
    .unwrap();
    let h = ask(&folder, settings);
    assert!(shows(&h, "Run this model's code?"));
    assert!(shows(
        &h,
        "Asked again: you said yes before, and since then model.pkl changed."
    ));
    assert!(
        shows(&h, "sklearn.tree._classes.DecisionTreeClassifier"),
        "the new file's imports"
    );
}

/// The Evaluate tab asks the same question before MLflow's scoring server runs the dataset
/// (it used to send the user to the Test tab to answer there); a no says why nothing ran.
#[test]
fn the_evaluate_tab_asks_before_the_local_server_runs_a_dataset() {
    let mut settings = Settings::default();
    settings.backend.python = Some("/nonexistent/python3".into());
    let mut h = app_with(
        Some(crate::common::model("sklearn_iris_class_names")),
        settings,
    );
    settle(&mut h);
    tab(&mut h, "Test");
    h.get_by_label("MLflow scoring server (local Python)")
        .click();
    h.run_steps(2);
    settle(&mut h);
    tab(&mut h, "Evaluate");
    crate::gui::drop_path(&mut h, &repo("tests/fixtures/eval/iris.csv"));
    settle(&mut h);
    h.get_by_label("▶ Evaluate").click();
    h.step();
    settle(&mut h);
    assert!(shows(&h, "Run this model's code?"));
    assert!(shows(
        &h,
        "sklearn.linear_model._logistic.LogisticRegression"
    ));
    h.run_steps(2);
    h.get_by_label("Cancel").click();
    h.run_steps(3);
    assert!(!shows(&h, "Run this model's code?"));
    assert!(shows(&h, "Not run: the model's code was not trusted."));
}

/// In the same window: a yes, then model.pkl replaced while the model stays open: the next
/// start of MLflow's scoring server reads the files again and asks again, naming the change.
#[test]
fn a_file_changed_while_the_model_is_open_is_read_again_before_a_server_starts() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("model");
    std::fs::create_dir(&folder).unwrap();
    for entry in std::fs::read_dir(repo("tests/fixtures/scan/benign/sklearn_pickle")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), folder.join(entry.file_name())).unwrap();
    }
    let mut h = ask(&folder, Settings::default());
    h.run_steps(2);
    h.get_by_label("Run it").click();
    h.step();
    settle(&mut h);
    // No such Python: the server did not start, and the yes is remembered.
    assert_eq!(h.state().settings.trusted_models.len(), 1);
    assert!(!shows(&h, "Run this model's code?"));
    std::fs::copy(
        repo("tests/fixtures/scan/benign/sklearn_cloudpickle/model.pkl"),
        folder.join("model.pkl"),
    )
    .unwrap();
    h.get_by_label("▶ Predict").click();
    h.step();
    settle(&mut h);
    assert!(shows(&h, "Run this model's code?"));
    assert!(shows(
        &h,
        "Asked again: you said yes before, and since then model.pkl changed."
    ));
}
