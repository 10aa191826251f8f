//! The scan in the window (issue 42, first slice): made on a worker when a model opens, shown
//! as a badge per file on the Files tab (a click shows the imports with their rules) and a chip
//! in the header, in the words and with the verdicts `scan --json` gives.

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable as _;
use mlmodel_inspector::ui::settings::Settings;

use crate::common::repo;
use crate::gui::{app_with, settle, shows, tab};

fn scan_json(model: &std::path::Path) -> serde_json::Value {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mlmodel-inspector"))
        .arg("scan")
        .arg(model)
        .arg("--json")
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_hostile_folder_shows_the_danger_in_the_header_and_on_each_file() {
    let folder = repo("tests/fixtures/scan/hostile");
    let doc = scan_json(&folder);
    // The chip names the first dangerous import and its file, as the command line lists them.
    let (file, import) = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|f| {
            f["imports"]
                .as_array()
                .unwrap()
                .iter()
                .find(|i| i["verdict"] == "dangerous")
                .map(|i| (f["path"].as_str().unwrap().to_string(), i.clone()))
        })
        .unwrap();
    let file = file.split(':').next().unwrap().to_string();
    let mut h = app_with(Some(folder), Settings::default());
    settle(&mut h);
    let chip = format!(
        "⚠ dangerous: {}.{} in {file}",
        import["module"].as_str().unwrap(),
        import["name"].as_str().unwrap()
    );
    assert!(shows(&h, &chip), "the header's chip: {chip}");
    tab(&mut h, "Artifacts");
    settle(&mut h);
    // Each file's badge is the command line's verdict.
    for f in doc["files"].as_array().unwrap() {
        let path = f["path"].as_str().unwrap();
        if path.contains(':') || path.contains('/') {
            continue;
        }
        let word = match (f["verdict"].as_str().unwrap(), f["complete"] == true) {
            ("dangerous", _) => "⚠ dangerous",
            (_, false) => "… not read to its end",
            ("unknown", _) => "? unknown",
            _ => "✔ safe",
        };
        let label = format!("{path} {word}");
        assert!(
            h.query_by_role_and_label(Role::Button, &label).is_some(),
            "{label}"
        );
    }
    // A click on a badge shows what loading the file imports, with the rule.
    h.get_by_role_and_label(Role::Button, "p0_global_os_system.pkl ⚠ dangerous")
        .click();
    h.step();
    settle(&mut h);
    assert!(shows(&h, "What loading it imports"));
    assert!(shows(
        &h,
        "dangerous os.system — danger list: os (picklescan, fickling, modelscan)"
    ));
}

#[test]
fn a_benign_pickle_counts_its_unknown_imports_and_the_example_shows_no_chip() {
    let mut h = app_with(
        Some(repo("tests/fixtures/scan/benign/sklearn_pickle")),
        Settings::default(),
    );
    settle(&mut h);
    assert!(shows(&h, "1 import outside the safe list"));
    tab(&mut h, "Artifacts");
    settle(&mut h);
    assert!(
        h.query_by_role_and_label(Role::Button, "model.pkl ? unknown")
            .is_some()
    );
    assert!(
        h.query_by_role_and_label(Role::Button, "MLmodel ✔ safe")
            .is_some()
    );
    h.get_by_role_and_label(Role::Button, "model.pkl ? unknown")
        .click();
    h.step();
    settle(&mut h);
    assert!(shows(
        &h,
        "unknown sklearn.linear_model._logistic.LogisticRegression — on neither list"
    ));
    assert!(shows(&h, "and 3 imports on the safe list"));
    let h = app_with(Some(repo("assets/example-model")), Settings::default());
    assert!(!shows(&h, "outside the safe list") && !shows(&h, "⚠ dangerous:"));
}
