//! Explain in the window (issue 44), driven through the widgets: from an answer on the Test
//! tab to its occlusion map over the image, with the numbers `explain --json` prints for the
//! same image through the same backend.

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use mlmodel_inspector::ui::InspectorApp;
use mlmodel_inspector::ui::settings::Settings;
use serde_json::Value;

use crate::common::{repo, venv_python};
use crate::gui::{app_with, drop_path, predict, settle, shows, tab};

fn fixture(rel: &str) -> std::path::PathBuf {
    repo(&format!("tests/fixtures/explain/{rel}"))
}

/// Settings whose Python has the pinned onnxruntime (its library runs ONNX in-process).
fn settings() -> Settings {
    let mut settings = Settings::default();
    settings.backend.python = Some(venv_python());
    settings
}

/// The explanations kept with the shown run.
fn explanations(
    h: &Harness<'static, InspectorApp>,
) -> Vec<mlmodel_inspector::explain::Explanation> {
    let predict = &h.state().loaded.as_ref().unwrap().panels.predict;
    predict
        .shown_run()
        .map(|r| r.explanations.iter().map(|e| (**e).clone()).collect())
        .unwrap_or_default()
}

/// The shown run's newest explanation, as an image's.
fn image_explanation(
    h: &Harness<'static, InspectorApp>,
) -> mlmodel_inspector::explain::occlusion::ImageExplanation {
    match explanations(h).pop() {
        Some(mlmodel_inspector::explain::Explanation::Image(e)) => e,
        other => panic!("no image explanation: {other:?}"),
    }
}

/// `explain --json` with these arguments.
fn explain_json(args: &[&str]) -> Value {
    let mut all = vec!["explain"];
    all.extend_from_slice(args);
    all.push("--json");
    crate::common::cli_json(&all)
}

/// The window's map is `explain --json`'s: the same cells within 1e-9.
fn same_grid(doc: &Value, e: &mlmodel_inspector::explain::occlusion::ImageExplanation) {
    let cli: Vec<Vec<f64>> = serde_json::from_value(doc["grid"].clone()).unwrap();
    assert_eq!(cli.len(), e.grid.len());
    assert_eq!(cli.first().map(Vec::len), e.grid.first().map(Vec::len));
    for (a, b) in cli.iter().flatten().zip(e.grid.iter().flatten()) {
        assert!((a - b).abs() <= 1e-9, "{a} against {b}");
    }
}

fn click_explain(h: &mut Harness<'static, InspectorApp>) {
    h.get_by_label("🔍 Explain…").click();
    h.step();
    settle(h);
}

/// The quadrant model's score is its top-left quadrant's brightness: the overlay's strongest
/// cell is in the top left, its numbers are `explain --json`'s through the same backend, and
/// hovering a cell shows its drop. A second class, chosen from the bars, is kept beside the
/// first.
#[test]
fn the_overlay_of_the_quadrant_model_is_strongest_top_left_with_explains_numbers() {
    let model = fixture("quadrant_onnx");
    let mut h = app_with(Some(model.clone()), settings());
    tab(&mut h, "Test");
    drop_path(&mut h, &fixture("noise_64.png"));
    predict(&mut h);
    assert!(shows(&h, "Answer — run 1"));
    assert!(shows(&h, "Why this answer"));
    assert!(shows(
        &h,
        "explains class 0, the top class, for noise_64.png"
    ));
    click_explain(&mut h);
    let e = image_explanation(&h);
    let (r, c, _) = e.strongest().unwrap();
    assert!(r < 4 && c < 4, "strongest at {r}, {c}");
    // What the user reads: the map's headline and the settings it was made with.
    let map = h.get_by_label_contains("Occlusion map. Strongest cell: row");
    let label = map.accesskit_node().label().unwrap_or_default();
    assert!(label.contains("top left"), "{label}");
    assert!(
        shows(
            &h,
            "Window 8 px, every 4 px, over the 64x64 image the model saw"
        ),
        "15 positions a side in-process"
    );
    // The window's numbers are the command line's through the same backend (ONNX Runtime).
    let python = venv_python();
    let doc = explain_json(&[
        model.to_str().unwrap(),
        "--image",
        fixture("noise_64.png").to_str().unwrap(),
        "--backend",
        "onnxruntime",
        "--python",
        python.to_str().unwrap(),
    ]);
    assert_eq!(
        doc["rows_predicted"].as_u64().unwrap() as usize,
        e.rows_predicted
    );
    same_grid(&doc, &e);
    // Hovering a cell shows its drop in words: row 1, column 3 (4-pixel cells of a 64-pixel
    // image drawn `rect` wide).
    let rect = h.get_by_label_contains("Occlusion map.").rect();
    let cell = rect.width() / 64.0 * 4.0;
    h.hover_at(rect.min + egui::vec2(3.5 * cell, 1.5 * cell));
    // Tooltips wait for the pointer to rest (half a second of frames).
    h.run_steps(60);
    let words = format!(
        "Cell row 1, column 3 (top left): hiding it lowers the score by {}",
        mlmodel_inspector::text::short_number(e.grid[1][3])
    );
    assert!(shows(&h, &words), "{words}");
    // Class 1 from the bars, explained too: both kept with the run.
    h.get_by_label("class 1").click();
    h.run_steps(2);
    assert!(shows(&h, "explains class 1 for noise_64.png"));
    click_explain(&mut h);
    assert_eq!(explanations(&h).len(), 2);
    assert!(shows(&h, "2: class 1"));
    assert!(shows(&h, "The score of class 1"));
    // The two classes side by side.
    h.get_by_label("side by side").click();
    h.run_steps(3);
    assert!(shows(&h, "Run 1, explanation 1") && shows(&h, "Run 1, explanation 2"));
    assert_eq!(h.query_all_by_label_contains("Occlusion map.").count(), 2);
}

/// Cancel stops an explanation that would take minutes (a 20-pixel window every 2 pixels over
/// the example's 300x300 image through tract: 19,881 images), says how far it got, and the
/// window goes on: Predict and Explain work again.
#[test]
fn cancel_stops_an_explanation_and_the_window_stays_usable() {
    let mut settings = settings();
    settings.explain.window = 20;
    settings.explain.stride = 2;
    let mut h = app_with(Some(repo("assets/example-model")), settings);
    tab(&mut h, "Test");
    h.state_mut()
        .loaded
        .as_mut()
        .unwrap()
        .panels
        .predict
        .backend = mlmodel_inspector::session::BackendKind::Onnx;
    drop_path(&mut h, &fixture("china_300.png"));
    predict(&mut h);
    assert!(shows(&h, "Answer — run 1"));
    h.get_by_label("🔍 Explain…").click();
    // Wait until images are being predicted.
    let start = std::time::Instant::now();
    loop {
        h.step();
        if shows(&h, "of 19882 images") {
            break;
        }
        assert!(start.elapsed().as_secs() < 120, "no progress shown");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // Predict waits while the explanation runs.
    assert!(
        h.get_by_label("▶ Predict").accesskit_node().is_disabled(),
        "Predict is disabled while explaining"
    );
    h.get_by_label("Cancel").click();
    h.step();
    settle(&mut h);
    assert!(shows(&h, "Stopped after"), "the stop is said");
    assert!(explanations(&h).is_empty());
    assert!(!h.get_by_label("🔍 Explain…").accesskit_node().is_disabled());
    predict(&mut h);
    assert!(shows(&h, "Answer — run 2"));
    // Closing the model while it explains stops the explanation (it does not go on holding
    // the model's runner for the 19,882 images).
    h.get_by_label("🔍 Explain…").click();
    h.run_steps(3);
    assert!(
        h.state()
            .is_running(mlmodel_inspector::ui::tasks::TaskName::Explain)
    );
    h.get_by_label("Close").click();
    let start = std::time::Instant::now();
    while h
        .state()
        .is_running(mlmodel_inspector::ui::tasks::TaskName::Explain)
    {
        assert!(
            start.elapsed().as_secs() < 60,
            "the explanation went on after Close"
        );
        h.step();
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// A row of the diabetes table through MLflow's scoring server: the waterfall holds
/// `explain --json`'s numbers for the same row and background through the same backend, each
/// feature's value beside its name, and the additivity line.
#[test]
fn the_diabetes_waterfall_is_explains_numbers_through_mlflows_scoring_server() {
    let model = fixture("gbr_diabetes");
    let mut settings = settings();
    crate::gui::trust(&mut settings, &model);
    let mut h = app_with(Some(model.clone()), settings);
    tab(&mut h, "Test");
    assert_eq!(
        h.state().loaded.as_ref().unwrap().panels.predict.backend,
        mlmodel_inspector::session::BackendKind::Local,
        "a scikit-learn model starts on MLflow's scoring server"
    );
    drop_path(&mut h, &fixture("rows.csv"));
    predict(&mut h);
    assert!(shows(&h, "Answer — run 1"), "{}", first_result(&h));
    assert!(shows(&h, "explains the answer for row 0 of rows.csv"));
    let background = fixture("background.csv");
    let field = h.get_by_role_and_label(Role::TextInput, "Background table");
    field.focus();
    field.type_text(background.to_str().unwrap());
    h.run_steps(2);
    click_explain(&mut h);
    let e = match explanations(&h).pop() {
        Some(mlmodel_inspector::explain::Explanation::Row(e)) => e,
        other => panic!("no row explanation: {other:?}"),
    };
    let python = venv_python();
    let doc = explain_json(&[
        model.to_str().unwrap(),
        "--csv",
        fixture("rows.csv").to_str().unwrap(),
        "--row",
        "0",
        "--background",
        background.to_str().unwrap(),
        "--backend",
        "local",
        "--python",
        python.to_str().unwrap(),
    ]);
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(1.0);
    assert!(close(doc["base_value"].as_f64().unwrap(), e.base_value));
    assert!(close(doc["prediction"].as_f64().unwrap(), e.prediction));
    let cli = doc["features"].as_array().unwrap();
    assert_eq!(cli.len(), 10);
    for (c, f) in cli.iter().zip(&e.features) {
        assert_eq!(
            c["name"].as_str().unwrap(),
            f.name,
            "the same order, by importance"
        );
        assert!(
            close(c["contribution"].as_f64().unwrap(), f.contribution),
            "{}",
            f.name
        );
    }
    // What the user reads: the row's values beside the names, the signed contributions, the
    // additivity line.
    let first = &e.features[0];
    let value = first.value.as_f64().unwrap();
    assert!(shows(
        &h,
        &format!(
            "{} = {}",
            first.name,
            mlmodel_inspector::text::short_number(value)
        )
    ));
    assert!(shows(
        &h,
        &mlmodel_inspector::ui::explain_view::signed(first.contribution)
    ));
    assert!(shows(&h, "✔ Contributions add up to f(x) − E[f]"));
    assert!(shows(
        &h,
        "exact over all 1024 coalitions, against 20 background rows"
    ));
}

/// The first run's result, for a failed assertion's message.
fn first_result(h: &Harness<'static, InspectorApp>) -> String {
    let history = &h.state().loaded.as_ref().unwrap().panels.predict.history;
    format!("{:?}", history.first().map(|r| &r.result))
}

/// A mistake of the Evaluate tab explained for its true class: the image opens on the Test
/// tab, is predicted through the Test tab's backend and explained at once, for the class the
/// model should have chosen.
#[test]
fn explain_from_an_evaluate_mistake_opens_it_on_the_test_tab_for_its_true_class() {
    let mut h = app_with(
        Some(crate::common::model("onnx_colour_classifier")),
        settings(),
    );
    tab(&mut h, "Evaluate");
    drop_path(&mut h, &repo("tests/fixtures/eval/images"));
    h.get_by_label("▶ Evaluate").click();
    h.step();
    settle(&mut h);
    assert!(shows(&h, "Most confident mistakes"));
    let report = match &h.state().loaded.as_ref().unwrap().panels.eval.result {
        Some(Ok(done)) => done.report.clone(),
        _ => panic!("no report"),
    };
    let mistake = report.mistakes.first().expect("a mistake").clone();
    assert_eq!(mistake.label, "china");
    h.query_all_by_label("the true class")
        .next()
        .expect("the mistake's button")
        .click();
    h.step();
    settle(&mut h);
    // On the Test tab: the mistake's image predicted, and explained for china.
    assert_eq!(
        h.state().settings.tab,
        mlmodel_inspector::ui::settings::Tab::Test
    );
    assert!(shows(&h, "Answer — run 1"));
    let run_origin = {
        let predict = &h.state().loaded.as_ref().unwrap().panels.predict;
        predict.shown_run().and_then(|r| r.origin.clone())
    };
    match run_origin {
        Some(mlmodel_inspector::ui::predict_panel::ExplainInput::Image { path, .. }) => {
            assert!(path.ends_with(&mistake.id), "{path:?} for {}", mistake.id)
        }
        other => panic!("{other:?}"),
    }
    let e = image_explanation(&h);
    assert_eq!(
        e.target,
        mlmodel_inspector::explain::Target::Score {
            class: 0,
            name: Some("china".into())
        }
    );
    assert!(shows(&h, "The score of class china (0)"));
}

/// Through a running endpoint (MLflow's scoring server started by hand, reached by its URL):
/// the window's map is `explain --backend URL`'s, at the default grid for an endpoint.
#[test]
fn an_image_is_explained_through_an_endpoint_url_as_the_command_line_does() {
    let model = fixture("quadrant_onnx");
    let serving = crate::explain::Serving::start(&model);
    let mut settings = settings();
    settings.endpoint_url = serving.url.clone();
    let mut h = app_with(Some(model.clone()), settings);
    tab(&mut h, "Test");
    h.state_mut()
        .loaded
        .as_mut()
        .unwrap()
        .panels
        .predict
        .backend = mlmodel_inspector::session::BackendKind::Url;
    drop_path(&mut h, &fixture("noise_64.png"));
    predict(&mut h);
    assert!(shows(&h, "Answer — run 1"), "{}", first_result(&h));
    click_explain(&mut h);
    let e = image_explanation(&h);
    let doc = explain_json(&[
        model.to_str().unwrap(),
        "--image",
        fixture("noise_64.png").to_str().unwrap(),
        "--backend",
        &serving.url,
    ]);
    assert_eq!(
        e.rows_predicted, 65,
        "8 positions a side through an endpoint"
    );
    same_grid(&doc, &e);
    let (r, c, _) = e.strongest().unwrap();
    assert!(r < 4 && c < 4, "strongest at {r}, {c}");
}

/// A row of the table form (the input example's rows) explained through MLflow's scoring
/// server against a chosen background: named by its place in the form ("row 0 of the table"),
/// not by a line of the file written for it.
#[test]
fn a_row_of_the_table_form_is_named_by_its_place_in_the_form() {
    let model = crate::common::model("sklearn_diabetes");
    let mut settings = settings();
    crate::gui::trust(&mut settings, &model);
    let mut h = app_with(Some(model), settings);
    tab(&mut h, "Test");
    predict(&mut h);
    assert!(shows(&h, "Answer — run 1"), "{}", first_result(&h));
    assert!(shows(&h, "explains the answer for row 0 of the table"));
    let field = h.get_by_role_and_label(Role::TextInput, "Background table");
    field.focus();
    field.type_text(repo("tests/fixtures/eval/diabetes.csv").to_str().unwrap());
    h.run_steps(2);
    click_explain(&mut h);
    match explanations(&h).pop() {
        Some(mlmodel_inspector::explain::Explanation::Row(e)) => {
            assert_eq!(e.row_id, "row 0 of the table");
            assert_eq!(e.background_rows, 50);
        }
        other => panic!("no row explanation: {other:?}"),
    }
    assert!(shows(&h, "The predicted value for row 0 of the table"));
}
