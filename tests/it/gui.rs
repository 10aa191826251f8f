//! The real app driven through egui_kittest: open fixture folders, switch tabs, and check what
//! a person would read. No display or GPU is needed.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::common::{bad, handmade, model};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use mlmodel_inspector::ui::InspectorApp;
use mlmodel_inspector::ui::settings::{Settings, Tab};

/// Says yes for `folder` as its files are now (the trust question's answer, remembered with
/// the files' digests), as a user who trusted it before would have.
pub(crate) fn trust(settings: &mut Settings, folder: &std::path::Path) {
    let card = mlmodel_inspector::model::open(folder).unwrap();
    let digests =
        mlmodel_inspector::scan::trust::digests(&card, &std::sync::atomic::AtomicBool::new(false))
            .unwrap();
    settings.trust(&std::path::absolute(folder).unwrap(), digests);
}

pub(crate) fn app_with(
    path: Option<PathBuf>,
    settings: Settings,
) -> Harness<'static, InspectorApp> {
    app_at([1280.0, 900.0], path, settings)
}

/// The app in a window of `size`, with `path` opened and settled.
pub(crate) fn app_at(
    size: [f32; 2],
    path: Option<PathBuf>,
    settings: Settings,
) -> Harness<'static, InspectorApp> {
    let mut harness = Harness::builder()
        .with_size(size)
        .build_eframe(move |cc| InspectorApp::with_settings(&cc.egui_ctx, settings, path));
    settle(&mut harness);
    harness
}

/// The bundled example open on its Test tab.
fn example_on_test_tab() -> Harness<'static, InspectorApp> {
    let mut h = app_with(
        Some(crate::common::repo("assets/example-model")),
        Settings::default(),
    );
    tab(&mut h, "Test");
    h
}

/// Steps until background work (opening, previews, builds) is done, as a person would wait.
/// The deadline only guards against a hang; it measures nothing.
pub(crate) fn settle(harness: &mut Harness<'static, InspectorApp>) {
    let start = std::time::Instant::now();
    while start.elapsed() < Duration::from_secs(300) {
        harness.step();
        if !harness.state().is_busy() && harness.state().opening.is_none() {
            // Work may lead to more work (an open puts images on the Test tab, whose
            // thumbnails decode next): done when a few frames start nothing new.
            harness.run_steps(4);
            if !harness.state().is_busy() {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("the app stayed busy for 5 minutes");
}

pub(crate) fn tab(harness: &mut Harness<'static, InspectorApp>, title: &str) {
    harness.get_by_label(title).click();
    harness.run_steps(3);
}

pub(crate) fn shows(harness: &Harness<'static, InspectorApp>, text: &str) -> bool {
    harness.query_all_by_label_contains(text).next().is_some()
}

/// A file dropped on the window, as the platform layer hands it over.
#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

/// A model folder whose MLmodel declares one unnamed tensor input.
fn tensor_model(dtype: &str, shape: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mlmodel = format!(
        "flavors:\n  python_function:\n    loader_module: mlflow.pyfunc.model\nsignature:\n  inputs: '[{{\"type\": \"tensor\", \"tensor-spec\": {{\"dtype\": \"{dtype}\", \"shape\": {shape}}}}}]'\n"
    );
    std::fs::write(dir.path().join("MLmodel"), mlmodel).unwrap();
    dir
}

/// The request the last build made, as the JSON body MLflow's server is sent.
fn built_body(h: &Harness<'static, InspectorApp>) -> serde_json::Value {
    let test = &h
        .state()
        .loaded
        .as_ref()
        .expect("a model is open")
        .panels
        .test;
    test.prepared
        .as_ref()
        .expect("a request was built")
        .request
        .to_value(mlmodel_inspector::input::request::BodyFormat::Mlflow)
}

/// Presses "Build and check request" and waits for the worker.
fn build(harness: &mut Harness<'static, InspectorApp>) {
    harness.get_by_label("Build and check request").click();
    harness.step();
    settle(harness);
}

pub(crate) fn drop_path(harness: &mut Harness<'static, InspectorApp>, path: &Path) {
    harness
        .input_mut()
        .dropped_files
        .push(std::sync::Arc::new(Dropped(path.to_path_buf())));
    harness.step();
    settle(harness);
}

#[test]
fn fastai_model_shows_identity_signature_and_environment() {
    let mut h = app_with(Some(handmade("fastai_docs")), Settings::default());
    assert!(shows(&h, "fastai_docs"), "folder name in the header");
    assert!(
        shows(&h, "fastai · fastai 2.4.1"),
        "flavor chip with its version"
    );
    assert!(shows(&h, "e13da8ac-b1e6-45d4-a9b2-6a0a5cfac537"), "run_id");
    assert!(shows(&h, "classifier"), "artifact_path");

    // Flavors tab (the default): python_function first, its loader and the missing weights.
    assert!(shows(&h, "mlflow.fastai"));
    assert!(h.query_all_by_label("✖ missing").count() >= 2);

    tab(&mut h, "Signature");
    assert!(shows(&h, "uint8 [-1, 300, 300, 3]"));
    assert!(shows(&h, "float32 [-1, 2]"));
    assert!(shows(&h, "No inference params."));
    h.get_by_role_and_label(
        Role::CheckBox,
        "Show the raw signature as written in MLmodel",
    )
    .click();
    h.run_steps(3);
    assert!(shows(&h, "\"tensor-spec\""), "raw JSON shown");

    tab(&mut h, "Environment");
    assert!(shows(
        &h,
        "⚠ python_version in MLmodel is 3.8.12, but conda.yaml pins python 3.8.5"
    ));
    assert!(shows(&h, "fastai"));
    assert!(shows(&h, "==2.4.1"));
    assert!(shows(&h, "conda-forge"));
    assert_eq!(h.state().settings.tab, Tab::Environment);
}

#[test]
fn the_welcome_screen_offers_the_bundled_example_with_its_photo() {
    let mut h = app_with(None, Settings::default());
    assert!(shows(&h, "Open model folder…"));
    h.get_by_label("Try the bundled example").click();
    h.step();
    settle(&mut h);
    // The example beside the executable (a build's target/ may sit under another checkout
    // than these sources): an `assets/example-model` with the example's MLmodel.
    let card = h.state().card().expect("the example opened");
    assert!(
        card.root.ends_with("assets/example-model"),
        "{:?}",
        card.root
    );
    assert_eq!(
        card.mlmodel_text,
        std::fs::read_to_string(crate::common::repo("assets/example-model/MLmodel")).unwrap()
    );
    // Straight to the Test tab with the photo chosen: one click from Predict.
    assert!(shows(&h, "Tensor (unnamed): uint8 [-1, 300, 300, 3]"));
    assert!(shows(&h, "sample-china.jpg"));
    assert!(shows(&h, "640 × 427 pixels"));
    predict(&mut h);
    assert!(shows(&h, "Answer — run 1"));
}

#[test]
fn a_bad_folder_shows_its_error_then_a_dropped_good_folder_opens() {
    let mut h = app_with(Some(bad("flavors_42")), Settings::default());
    assert!(h.state().card().is_none());
    assert!(shows(
        &h,
        "flavors_42/MLmodel: `flavors` must be a mapping of flavor name to its settings, found an integer (42)"
    ));
    // Still usable: the welcome screen is there, and a dropped folder opens.
    assert!(shows(&h, "Open model folder…"));
    drop_path(&mut h, &model("sklearn_iris"));
    assert!(h.state().error.is_none(), "the error is cleared");
    assert!(shows(&h, "sklearn_iris"));
    assert!(shows(&h, "sklearn · scikit-learn 1.9.1"));

    drop_path(&mut h, &bad("not_a_model"));
    assert!(shows(&h, "not an MLflow model folder"));
}

#[test]
fn warnings_are_listed_and_the_folder_still_opens() {
    let h = app_with(Some(bad("path_escape")), Settings::default());
    assert!(shows(&h, "⚠ 3 warnings"));
    assert!(shows(
        &h,
        "`/etc` is an absolute path, outside the model folder; it is not followed"
    ));
}

#[test]
fn columns_params_and_the_input_example() {
    let mut h = app_with(Some(model("pyfunc_columns_all_types")), Settings::default());
    tab(&mut h, "Signature");
    assert!(shows(&h, "Inputs  (15 columns)"));
    assert!(shows(&h, "object{a: long, b?: string}"));
    assert!(shows(&h, "map<string, double>"));
    assert!(shows(&h, "Params"));
    assert!(shows(&h, "\"2024-01-02T03:04:05\""));
    assert!(shows(&h, "list [-1]"));

    tab(&mut h, "Input example");
    assert!(shows(&h, "dataframe (split): 2 rows x 15 columns"));
    assert!(shows(&h, "weights"));
    assert!(shows(&h, "Request body (serving_input_example.json)"));
    h.get_by_label("Show input_example.json as written").click();
    h.step();
    settle(&mut h);
    // MLflow's own bytes, bare NaN token included.
    assert!(shows(&h, "\"two\", NaN]]}"));
}

#[test]
fn no_signature_says_what_it_means() {
    let mut h = app_with(Some(model("no_signature")), Settings::default());
    tab(&mut h, "Signature");
    assert!(shows(&h, "MLflow passes any input to the model unchecked"));
}

#[test]
fn artifacts_tree_and_a_text_preview() {
    let mut h = app_with(Some(model("sklearn_iris")), Settings::default());
    tab(&mut h, "Artifacts");
    assert!(shows(&h, "★ MLmodel"));
    assert!(shows(&h, "flavor payload"));
    h.get_by_label("conda.yaml").click();
    h.step();
    settle(&mut h);
    assert!(shows(&h, "conda-forge"), "preview of conda.yaml");
}

#[test]
fn recent_models_are_remembered_and_reopen_with_ctrl_digit() {
    let mut h = app_with(Some(model("sklearn_iris")), Settings::default());
    let remembered = h.state().settings.recent.clone();
    assert_eq!(remembered.len(), 1);
    assert!(remembered[0].ends_with("sklearn_iris"));
    h.get_by_label("Close").click();
    h.run_steps(3);
    assert!(h.state().card().is_none());
    assert!(shows(&h, "Recent models"));
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Num1);
    h.step();
    settle(&mut h);
    assert_eq!(
        h.state().card().map(|c| c.display_name()),
        Some("sklearn_iris".to_string())
    );
}

#[test]
fn missing_recent_models_are_pruned() {
    let settings = Settings {
        recent: vec![model("sklearn_iris"), PathBuf::from("/no/such/model")],
        ..Default::default()
    };
    let h = app_with(None, settings);
    assert_eq!(h.state().settings.recent, vec![model("sklearn_iris")]);
    assert!(shows(&h, "Recent models"));
}

/// eframe's storage, in memory.
#[derive(Default)]
struct MemStorage(std::collections::HashMap<String, String>);

impl eframe::Storage for MemStorage {
    fn get_string(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }

    fn set_string(&mut self, key: &str, value: String) {
        self.0.insert(key.to_string(), value);
    }

    fn remove_string(&mut self, key: &str) {
        self.0.remove(key);
    }

    fn flush(&mut self) {}
}

#[test]
fn settings_survive_a_restart() {
    let mut h = app_with(Some(model("sklearn_iris")), Settings::default());
    tab(&mut h, "Environment");
    let mut storage = MemStorage::default();
    eframe::App::save(h.state_mut(), &mut storage);
    let restored: Settings = eframe::get_value(&storage, eframe::APP_KEY).unwrap();
    assert_eq!(restored.tab, Tab::Environment);
    assert!(restored.recent[0].ends_with("sklearn_iris"));

    // The next start shows the recent model, and opens it on the last tab.
    let mut h = app_with(None, restored);
    assert!(shows(&h, "sklearn_iris"));
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Num1);
    h.step();
    settle(&mut h);
    assert!(shows(&h, "Dependencies ("), "the Environment tab is shown");
}

#[test]
fn test_tab_turns_a_dropped_photo_into_the_signatures_tensor() {
    let mut h = example_on_test_tab();
    assert!(shows(&h, "Tensor (unnamed): uint8 [-1, 300, 300, 3]"));
    drop_path(&mut h, &crate::common::repo("assets/sample-china.jpg"));
    assert!(
        h.state().card().is_some(),
        "an image dropped on the Test tab is an input, not a model"
    );
    assert!(shows(&h, "sample-china.jpg"));
    assert!(
        shows(&h, "640 × 427 pixels"),
        "a thumbnail and the picture's size appear the moment it is chosen, before any build"
    );
    build(&mut h);
    assert!(
        shows(&h, "uint8 [1, 300, 300, 3]   min 0.000  max 255.000"),
        "what the model gets"
    );
    assert!(shows(&h, "✔ MLflow's scoring server accepts this request."));
    assert!(shows(&h, "Copy as curl"));
}

#[test]
fn a_picture_pasted_on_the_test_tab_becomes_an_input() {
    let mut h = example_on_test_tab();
    assert!(
        shows(&h, "paste a picture (Ctrl+V)"),
        "the hint says it can be pasted"
    );
    let mut picture = egui::ColorImage::filled([40, 30], egui::Color32::from_rgb(200, 30, 10));
    picture.pixels[0] = egui::Color32::from_rgb(1, 2, 3);
    h.input_mut()
        .events
        .push(egui::Event::PasteImage(std::sync::Arc::new(picture)));
    h.step();
    settle(&mut h);
    let images = h
        .state()
        .loaded
        .as_ref()
        .unwrap()
        .panels
        .test
        .images
        .clone();
    assert_eq!(images.len(), 1, "the pasted picture is the one input");
    let name = images[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert!(
        name.starts_with("pasted-") && name.ends_with(".png"),
        "{name}"
    );
    assert!(shows(&h, &name), "listed by the name it was kept under");
    assert!(shows(&h, "40 × 30 pixels"));
    let kept = image::open(&images[0]).unwrap().to_rgb8();
    assert_eq!(kept.dimensions(), (40, 30));
    assert_eq!(kept.get_pixel(0, 0).0, [1, 2, 3], "kept pixel for pixel");
    build(&mut h);
    assert!(shows(&h, "uint8 [1, 300, 300, 3]"));
    assert!(shows(&h, "✔ MLflow's scoring server accepts this request."));
}

#[test]
fn test_tab_checks_the_input_example_and_json_edits() {
    let mut h = app_with(Some(model("pyfunc_columns_all_types")), Settings::default());
    tab(&mut h, "Test");
    // No image input: the table, filled from the example, is the default, with the params.
    assert!(shows(&h, "temperature"));
    build(&mut h);
    assert!(
        shows(&h, "✔ MLflow's scoring server accepts this request."),
        "MLflow's own example passes"
    );
    assert!(shows(&h, "\"dataframe_split\""));

    // The same request, edited by hand to drop a required column, is caught before sending.
    h.get_by_label("JSON").click();
    h.run_steps(2);
    h.get_by_label("Load input example").click();
    h.step();
    settle(&mut h);
    let text = h
        .state()
        .loaded
        .as_ref()
        .unwrap()
        .panels
        .test
        .json_text
        .clone();
    assert!(text.contains("\"flag\""));
    h.state_mut().loaded.as_mut().unwrap().panels.test.json_text =
        r#"{"dataframe_split": {"columns": ["flag"], "data": [[true]]}}"#.into();
    h.run_steps(2);
    build(&mut h);
    assert!(shows(
        &h,
        "✖ inputs: Model is missing inputs ['count', 'id'"
    ));
}

#[test]
fn a_batch_of_32_images_builds_off_the_ui_thread() {
    let mut h = example_on_test_tab();
    let photo = crate::common::repo("assets/sample-china.jpg");
    h.state_mut().loaded.as_mut().unwrap().panels.test.images = vec![photo; 32];
    h.run_steps(2);
    h.get_by_label("Build and check request").click();
    h.step();
    h.step();
    assert!(
        h.state().is_busy(),
        "the batch is built on a worker while frames go on"
    );
    settle(&mut h);
    assert!(shows(&h, "uint8 [32, 300, 300, 3]"));
    assert!(shows(&h, "✔ MLflow's scoring server accepts this request."));

    // Build again and cancel: the build stops and says so; the app stays usable.
    h.get_by_label("Build and check request").click();
    h.step();
    h.step();
    h.get_by_label("Cancel").click();
    settle(&mut h);
    assert!(shows(&h, "cancelled"));
    assert!(
        h.state()
            .loaded
            .as_ref()
            .unwrap()
            .panels
            .test
            .prepared
            .is_none()
    );
}

#[test]
fn test_tab_takes_npy_files_named_after_the_tensors() {
    let dir = tempfile::tempdir().unwrap();
    let npy = crate::common::repo("tests/fixtures/npy");
    std::fs::copy(npy.join("img_f32.npy"), dir.path().join("img.npy")).unwrap();
    std::fs::copy(npy.join("ids_i64.npy"), dir.path().join("ids.npy")).unwrap();
    let mut h = app_with(Some(model("pyfunc_tensors_named")), Settings::default());
    tab(&mut h, "Test");
    drop_path(&mut h, &dir.path().join("img.npy"));
    drop_path(&mut h, &dir.path().join("ids.npy"));
    let files = h
        .state()
        .loaded
        .as_ref()
        .unwrap()
        .panels
        .test
        .data_files
        .clone();
    assert_eq!(
        files.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>(),
        [Some("img".to_string()), Some("ids".to_string())]
    );
    build(&mut h);
    assert!(shows(&h, "✔ MLflow's scoring server accepts this request."));
    assert!(shows(&h, "\"ids\": ["));
}

#[test]
fn free_image_dimensions_are_asked_for() {
    let dir = tensor_model("float32", "[-1, -1, -1, 3]");
    let mut h = app_with(Some(dir.path().to_path_buf()), Settings::default());
    tab(&mut h, "Test");
    assert!(shows(
        &h,
        "The signature leaves the image size free (-1): resize to"
    ));
    drop_path(&mut h, &crate::common::repo("assets/sample-china.jpg"));
    build(&mut h);
    assert!(
        shows(&h, "float32 [1, 224, 224, 3]"),
        "the default size, 224 x 224"
    );
    assert!(shows(&h, "✔ MLflow's scoring server accepts this request."));
}

#[test]
fn named_tensors_can_be_filled() {
    let mut h = app_with(Some(model("pyfunc_tensors_named")), Settings::default());
    tab(&mut h, "Test");
    h.get_by_label("Fill").click();
    h.run_steps(2);
    h.get_by_label("ones").click();
    h.run_steps(2);
    build(&mut h);
    assert!(shows(&h, "✔ MLflow's scoring server accepts this request."));
    let body = built_body(&h);
    assert_eq!(
        body,
        serde_json::json!({"inputs": {"img": [[[1.0, 1.0], [1.0, 1.0]]], "ids": [1]}})
    );
}

#[test]
fn the_table_form_starts_from_the_example_and_catches_bad_cells() {
    let mut h = app_with(Some(model("sklearn_iris")), Settings::default());
    tab(&mut h, "Test");
    // The table is the form for column models, filled from the input example.
    let grid = h.state().loaded.as_ref().unwrap().panels.test.grid.clone();
    assert_eq!(grid.len(), 3);
    assert_eq!(grid[0], ["5.1", "3.5", "1.4", "0.2"]);
    build(&mut h);
    assert!(shows(&h, "✔ MLflow's scoring server accepts this request."));

    // A word in a double column is caught, naming the column.
    h.state_mut().loaded.as_mut().unwrap().panels.test.grid[1][0] = "tall".into();
    h.run_steps(2);
    build(&mut h);
    assert!(shows(
        &h,
        "✖ sepal_length: Invalid input. Data is not compatible with model signature. Failed to convert column sepal_length to type 'float64'. Error: 'ValueError(\"could not convert string to float: 'tall'\")' (BAD_REQUEST)"
    ));
    h.get_by_label("Add row").click();
    h.run_steps(2);
    assert_eq!(h.state().loaded.as_ref().unwrap().panels.test.grid.len(), 4);
}

#[test]
fn rows_pasted_from_a_spreadsheet_join_the_table() {
    let mut h = app_with(Some(model("sklearn_iris")), Settings::default());
    tab(&mut h, "Test");
    h.event(egui::Event::Paste(
        "sepal_length\tsepal_width\tpetal_length\tpetal_width\n6.3\t3.3\t6.0\t2.5\n".into(),
    ));
    h.run_steps(2);
    let grid = h.state().loaded.as_ref().unwrap().panels.test.grid.clone();
    assert_eq!(grid.len(), 4, "the header row is skipped, one row added");
    assert_eq!(grid[3], ["6.3", "3.3", "6.0", "2.5"]);

    // Required booleans get a checkbox.
    let mut h = app_with(Some(model("pyfunc_columns_all_types")), Settings::default());
    tab(&mut h, "Test");
    h.get_by_role_and_label(Role::CheckBox, "flag row 1");
}

#[test]
fn letterbox_offers_a_padding_colour() {
    let mut h = example_on_test_tab();
    h.get_by_label("Letterbox").click();
    h.run_steps(2);
    assert!(shows(&h, "padding"));
    drop_path(&mut h, &crate::common::repo("assets/sample-china.jpg"));
    build(&mut h);
    assert!(shows(&h, "✔ MLflow's scoring server accepts this request."));
}

#[test]
fn float_images_can_be_normalised_with_mean_and_std() {
    let dir = tensor_model("float32", "[-1, 3, 32, 32]");
    let mut h = app_with(Some(dir.path().to_path_buf()), Settings::default());
    tab(&mut h, "Test");
    h.get_by_label("mean/std").click();
    h.run_steps(2);
    assert!(shows(&h, "(x/255 − mean) / std per channel:"));
    drop_path(&mut h, &crate::common::repo("assets/sample-china.jpg"));
    build(&mut h);
    let summary = h
        .state()
        .loaded
        .as_ref()
        .unwrap()
        .panels
        .test
        .prepared
        .as_ref()
        .unwrap()
        .tensor_summary
        .clone()
        .unwrap();
    assert!(
        summary.starts_with("float32 [1, 3, 32, 32]   min -"),
        "{summary}"
    );
    assert!(shows(&h, "✔ MLflow's scoring server accepts this request."));
}

#[test]
fn every_fixture_model_gets_a_valid_request_from_the_form_and_from_the_example() {
    let mut folders: Vec<PathBuf> = std::fs::read_dir(crate::common::repo("tests/fixtures/models"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    folders.push(crate::common::repo("assets/example-model"));
    folders.sort();
    for folder in folders {
        let mut h = app_with(Some(folder.clone()), Settings::default());
        tab(&mut h, "Test");
        let inputs = h
            .state()
            .card()
            .and_then(|c| c.signature.valid())
            .and_then(|s| s.inputs.as_ref())
            .map_or(0, |s| s.specs.len());
        // Images fill one image-shaped tensor; a model of several tensors is filled instead.
        let has_images = shows(&h, "Choose images…") && inputs == 1;
        if has_images {
            drop_path(&mut h, &crate::common::repo("assets/sample-china.jpg"));
        }
        let is_tensor = h
            .state()
            .card()
            .and_then(|c| c.signature.valid())
            .and_then(|s| s.inputs.as_ref())
            .is_some_and(|s| s.is_tensor());
        let has_example = h.state().card().is_some_and(|c| c.input_example.is_some());
        if is_tensor && !has_images {
            h.get_by_label("Fill").click();
            h.run_steps(2);
        }
        build(&mut h);
        let verdict = |h: &Harness<'static, InspectorApp>| {
            let test = &h.state().loaded.as_ref().unwrap().panels.test;
            (
                test.error.clone(),
                test.prepared.as_ref().map(|p| p.verdict.clone()),
            )
        };
        let (error, v) = verdict(&h);
        assert!(
            error.is_none() && v.as_ref().is_some_and(|v| v.is_ok()),
            "{}: form: {error:?} {v:?}",
            folder.display()
        );
        if has_example {
            // The source button, not the tab of the same name.
            h.get_all_by_label("Input example").last().unwrap().click();
            h.run_steps(2);
            build(&mut h);
            let (error, v) = verdict(&h);
            assert!(
                error.is_none() && v.as_ref().is_some_and(|v| v.is_ok()),
                "{}: example: {error:?} {v:?}",
                folder.display()
            );
        }
    }
}

/// Presses Predict (which builds, checks and sends) and waits for the answer.
/// The first run's result, for a failed assertion's message.
fn first_result(h: &Harness<'static, InspectorApp>) -> String {
    let history = &h.state().loaded.as_ref().unwrap().panels.predict.history;
    format!("{:?}", history.first().map(|r| &r.result))
}

pub(crate) fn predict(harness: &mut Harness<'static, InspectorApp>) {
    harness.get_by_label("▶ Predict").click();
    harness.step();
    settle(harness);
}

#[test]
fn the_bundled_example_predicts_from_an_image_natively_with_bars() {
    // The Python of the backend settings has the pinned onnxruntime.
    let mut settings = Settings::default();
    settings.backend.python = Some(crate::common::venv_python());
    let mut h = app_with(Some(crate::common::repo("assets/example-model")), settings);
    tab(&mut h, "Test");
    drop_path(&mut h, &crate::common::repo("assets/sample-china.jpg"));
    // An ONNX model starts on ONNX Runtime in-process, as `--backend auto` does.
    assert!(shows(&h, "ONNX in-process (tract)"));
    assert_eq!(
        h.state().loaded.as_ref().unwrap().panels.predict.backend,
        mlmodel_inspector::session::BackendKind::OnnxRuntime
    );
    predict(&mut h);
    // The image became uint8 [1, 300, 300, 3], and the answer reads as class probabilities
    // with the labels file found beside the model.
    assert!(shows(&h, "uint8 [1, 300, 300, 3]"));
    assert!(shows(&h, "Answer — run 1"));
    assert!(shows(&h, "probabilities [1, 2]"));
    assert!(
        shows(&h, "building (0)"),
        "labels from assets/example-labels.txt"
    );
    assert!(shows(&h, "landscape (1)"));
    assert!(shows(&h, "0.5396"), "the top probability on its bar");
    assert!(shows(
        &h,
        "in-process on onnxruntime 1.32.0 (CPUExecutionProvider) · cold"
    ));
    // Softmax of probabilities changes the bars; raw restores them.
    h.get_by_label("softmax").click();
    h.run_steps(3);
    assert!(!shows(&h, "0.5396"));
    h.get_by_label("raw").click();
    h.run_steps(3);
    // Predict again: warm, and the history has both runs.
    predict(&mut h);
    assert!(shows(&h, "Answer — run 2"));
    assert!(shows(
        &h,
        "in-process on onnxruntime 1.32.0 (CPUExecutionProvider) · warm"
    ));
    assert!(shows(&h, "image sample-china.jpg"));
    assert_eq!(
        h.state()
            .loaded
            .as_ref()
            .unwrap()
            .panels
            .predict
            .history
            .len(),
        2
    );
    // Re-run the first from the history.
    // The history lists the newest first: the last Re-run is run 1's.
    // Scrolled into sight first, as a person would.
    h.query_all_by_label("Re-run")
        .last()
        .unwrap()
        .scroll_to_me();
    h.run_steps(3);
    h.query_all_by_label("Re-run").last().unwrap().click();
    h.step();
    settle(&mut h);
    assert!(shows(&h, "Answer — run 3"));
    let history = &h.state().loaded.as_ref().unwrap().panels.predict.history;
    assert_eq!(history.len(), 3);
    assert_eq!(history[2].input, "image sample-china.jpg (run 1 again)");
    // Runs 1 and 3 sent the same body: the history says so with the same fingerprint, and
    // ticked side by side they answer alike.
    let digest = history[0].input_digest.clone();
    assert_eq!(history[2].input_digest, digest);
    assert_eq!(
        h.query_all_by_label_contains(&format!("#{digest}")).count(),
        3
    );
    let tick = |h: &mut Harness<'static, InspectorApp>, nth_from_top: usize| {
        let boxes: Vec<_> = h.query_all_by_label("Compare").collect();
        boxes[nth_from_top].scroll_to_me();
        h.run_steps(2);
        // Through accesskit: the history scrolls inside the half that scrolls, and
        // scroll_to_me moves only the inner one, which may leave the box below the window.
        h.query_all_by_label("Compare")
            .nth(nth_from_top)
            .unwrap()
            .click_accesskit();
        h.run_steps(3);
    };
    tick(&mut h, 0); // run 3 (newest first)
    tick(&mut h, 2); // run 1
    assert!(shows(&h, "Run 1 and run 3"));
    assert!(shows(
        &h,
        &format!("The same input (#{digest}). Identical answers.")
    ));
    // A second image joins the batch: a different input, and an answer of another shape.
    drop_path(
        &mut h,
        &crate::common::repo("tests/fixtures/images/china_300_pil.png"),
    );
    predict(&mut h);
    assert!(shows(&h, "Answer — run 4"));
    tick(&mut h, 0); // run 4: the oldest tick (run 3) lets go
    assert!(shows(&h, "Run 1 and run 4"));
    assert!(shows(&h, "Different inputs (#"));
    assert!(shows(
        &h,
        "Different shapes at [\"probabilities\"]: 1 item against 2 items."
    ));
}

#[test]
fn a_pyfunc_model_predicts_through_mlflow_after_the_trust_question() {
    let mut settings = Settings::default();
    settings.backend.python = Some(crate::common::venv_python());
    let mut h = app_with(Some(model("pyfunc_scaler")), settings);
    tab(&mut h, "Test");
    assert!(shows(&h, "MLflow scoring server (local Python)"));
    settle(&mut h); // the Python check
    assert!(
        shows(&h, "mlflow 3.17.2"),
        "the Python is checked before the first run"
    );
    predict(&mut h);
    // Nothing ran: the app asks first, and says what the scan read. A cloudpickled
    // PythonModel rebuilds its class and functions: dangerous, as picklescan calls it.
    assert!(shows(&h, "⚠ Dangerous: run this model's code?"));
    assert!(shows(
        &h,
        "Dangerous: cloudpickle.cloudpickle._make_skeleton_class in python_model.pkl: danger list: cloudpickle"
    ));
    assert!(
        shows(&h, "mlflow.pyfunc.model.PythonModel"),
        "its unknown imports listed"
    );
    assert!(shows(
        &h,
        "The model would run code the scan calls dangerous, which can do anything your account can."
    ));
    assert!(
        h.state()
            .loaded
            .as_ref()
            .unwrap()
            .panels
            .predict
            .history
            .is_empty()
    );
    // The question's layout settles in a frame or two (the modal sizes itself first).
    h.run_steps(2);
    h.get_by_label("Run anyway").click();
    h.step();
    settle(&mut h);
    assert!(!shows(&h, "run this model's code?"));
    // The input example (x 1.0, 2.5; y 0.5, -1.0) with the default scale 1.0.
    assert!(shows(&h, "Answer — run 1"), "{:?}", first_result(&h));
    assert!(shows(&h, "row 0") && shows(&h, "row 1"));
    assert_eq!(h.query_all_by_label("1.5").count(), 2, "total per row");
    assert!(shows(&h, "MLflow (local) · cold"));
    assert!(shows(&h, "scoring server on 127.0.0.1:"));
    // The folder is trusted now: the next predict goes straight through, warm.
    predict(&mut h);
    assert!(!shows(&h, "run this model's code?"));
    assert!(shows(&h, "MLflow (local) · warm"));
    // A model that raises: the error code and the exception, the whole text a click away.
    {
        let test = &mut h.state_mut().loaded.as_mut().unwrap().panels.test;
        test.source = mlmodel_inspector::ui::test_panel::SourceKind::Json;
        test.json_text = r#"{"dataframe_split": {"columns": ["x", "y"], "data": [[1.0, 2.0]]}, "params": {"mode": "raise"}}"#.into();
    }
    h.run_steps(2);
    predict(&mut h);
    assert!(shows(&h, "The request was rejected (HTTP 400 BAD_REQUEST)"));
    assert!(shows(&h, "ValueError: the model refused this input"));
    h.get_by_label("Whole message").click();
    h.run_steps(3);
    assert!(shows(&h, "Traceback"));
    // Stop the server: the process group goes.
    let pid = h
        .state()
        .loaded
        .as_ref()
        .unwrap()
        .server_pid
        .load(std::sync::atomic::Ordering::Relaxed);
    assert!(pid > 0);
    h.get_by_label("Stop server").click();
    h.step();
    settle(&mut h);
    assert!(shows(&h, "No server running"));
    let gone = std::time::Instant::now();
    while unsafe { libc::kill(-(pid as i32), 0) } == 0 {
        assert!(
            gone.elapsed() < Duration::from_secs(15),
            "server group {pid} still running"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_classifier_answering_indices_is_read_through_its_class_names() {
    let mut settings = Settings::default();
    settings.backend.python = Some(crate::common::venv_python());
    let mut h = app_with(Some(model("sklearn_iris_class_names")), settings);
    tab(&mut h, "Test");
    settle(&mut h);
    predict(&mut h);
    // What the scan read of model.skops: one type outside the safe list, its package pinned.
    assert!(
        shows(
            &h,
            "Loading imports 1 name outside the safe list (from scikit-learn), which can run any code."
        ),
        "the trust prompt names what loading runs"
    );
    assert!(shows(&h, "model.skops:schema.json (types)"));
    assert!(shows(
        &h,
        "sklearn.linear_model._logistic.LogisticRegression"
    ));
    assert!(shows(
        &h,
        "package scikit-learn, pinned in requirements.txt"
    ));
    h.get_by_label("Run it").click();
    h.step();
    settle(&mut h);
    // The example's rows are one of each species; MLflow answers [0, 1, 2].
    assert!(
        shows(&h, "setosa (class 0) — row 0 of 3"),
        "{:?}",
        first_result(&h)
    );
    assert!(shows(&h, "Class names from MLmodel metadata.class_names"));
    for name in ["versicolor", "virginica"] {
        assert!(shows(&h, name), "{name} beside its index");
    }
    // Without names the indices stay, and a labels file can be chosen.
    h.get_by_label("No labels").click();
    h.run_steps(3);
    assert!(shows(&h, "class 0 — row 0 of 3"));
    assert!(!shows(&h, "virginica"));
    assert!(shows(&h, "Labels file…"));
}

#[test]
fn cancel_stops_a_hung_prediction_and_the_app_stays_usable() {
    let mut settings = Settings::default();
    settings.backend.python = Some(crate::common::venv_python());
    trust(&mut settings, &model("pyfunc_scaler"));
    let mut h = app_with(Some(model("pyfunc_scaler")), settings);
    tab(&mut h, "Test");
    settle(&mut h);
    {
        let test = &mut h.state_mut().loaded.as_mut().unwrap().panels.test;
        test.source = mlmodel_inspector::ui::test_panel::SourceKind::Json;
        test.json_text = r#"{"dataframe_split": {"columns": ["x", "y"], "data": [[1.0, 2.0]]}, "params": {"mode": "sleep", "seconds": 300.0}}"#.into();
    }
    h.run_steps(2);
    h.get_by_label("▶ Predict").click();
    // Wait until the request is with the server (the server is up and the model sleeps).
    let start = std::time::Instant::now();
    loop {
        h.step();
        let pid = h
            .state()
            .loaded
            .as_ref()
            .unwrap()
            .server_pid
            .load(std::sync::atomic::Ordering::Relaxed);
        if pid > 0 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "the server never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_secs(2));
    h.run_steps(2);
    assert!(shows(&h, "Predicting with MLflow (local)"));
    h.get_by_label("Cancel").click();
    h.step();
    settle(&mut h);
    let run = h
        .state()
        .loaded
        .as_ref()
        .unwrap()
        .panels
        .predict
        .history
        .last()
        .cloned()
        .unwrap();
    assert!(
        matches!(
            run.result.as_ref().err().map(|e| &**e),
            Some(mlmodel_inspector::predict::PredictError::Cancelled)
        ),
        "{:?}",
        run.result
    );
    assert!(shows(&h, "Cancelled: nothing came back."));
    // The next predict starts a fresh server and answers.
    {
        let test = &mut h.state_mut().loaded.as_mut().unwrap().panels.test;
        test.json_text = r#"{"dataframe_split": {"columns": ["x", "y"], "data": [[1.0, 2.0]]}, "params": {"scale": 2.0}}"#.into();
    }
    h.run_steps(2);
    predict(&mut h);
    assert!(shows(&h, "6.0"), "(1 + 2) * 2");
    assert!(shows(&h, "MLflow (local) · cold"));
}

fn server_pid(h: &Harness<'static, InspectorApp>) -> u32 {
    h.state()
        .loaded
        .as_ref()
        .map(|l| l.server_pid.load(std::sync::atomic::Ordering::Relaxed))
        .unwrap_or(0)
}

fn wait_group_gone(pid: u32, what: &str) {
    let start = std::time::Instant::now();
    // SAFETY: signal 0 only asks whether the group exists.
    while unsafe { libc::kill(-(pid as i32), 0) } == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "server group {pid} still running after {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn keyboard_shortcuts_open_predict_and_close() {
    use mlmodel_inspector::ui::tasks::TaskName;
    let mut h = example_on_test_tab();
    drop_path(&mut h, &crate::common::repo("assets/sample-china.jpg"));
    // Ctrl+Enter predicts.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Enter);
    h.step();
    settle(&mut h);
    assert!(shows(&h, "Answer — run 1"));
    assert!(shows(&h, "0.5396"));
    // Ctrl+O asks for a folder: the desktop's dialog on a worker (it never blocks the
    // window), or the app's own browser where the desktop has none.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::O);
    h.step();
    assert!(h.state().is_running(TaskName::Dialog) || h.state().browser.is_some());
    settle(&mut h);
    h.state_mut().browser = None;
    assert!(
        h.state().loaded.is_some(),
        "no folder picked: the model stays"
    );
    // Ctrl+W closes the model.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::W);
    h.run_steps(3);
    assert!(h.state().loaded.is_none());
    assert!(shows(&h, "Open model folder…"));
}

#[test]
fn the_local_server_ends_when_the_model_closes_and_when_the_app_exits() {
    let mut settings = Settings::default();
    settings.backend.python = Some(crate::common::venv_python());
    trust(&mut settings, &model("pyfunc_scaler"));
    let mut h = app_with(Some(model("pyfunc_scaler")), settings.clone());
    tab(&mut h, "Test");
    settle(&mut h);
    predict(&mut h);
    assert!(shows(&h, "Answer — run 1"));
    let pid = server_pid(&h);
    assert!(pid > 0);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::W);
    h.run_steps(3);
    settle(&mut h);
    wait_group_gone(pid, "the model closed");
    // Again, and this time the app goes away with the server running.
    let mut h = app_with(Some(model("pyfunc_scaler")), settings);
    tab(&mut h, "Test");
    settle(&mut h);
    predict(&mut h);
    assert!(shows(&h, "Answer — run 1"));
    let pid = server_pid(&h);
    assert!(pid > 0);
    drop(h);
    wait_group_gone(pid, "the app exited");
}

#[test]
fn an_endpoint_gets_the_request_with_its_headers() {
    use mlmodel_inspector::ui::predict_panel::BackendKind;
    let server = crate::common::RecordingServer::start(200, r#"{"predictions": [2, 0]}"#);
    let mut settings = Settings {
        endpoint_url: server.url.clone(),
        ..Settings::default()
    };
    settings.backend.headers = vec![("Authorization".into(), "Bearer abc".into())];
    let mut h = app_with(Some(model("sklearn_iris")), settings);
    tab(&mut h, "Test");
    h.state_mut()
        .loaded
        .as_mut()
        .unwrap()
        .panels
        .predict
        .backend = BackendKind::Url;
    h.run_steps(2);
    predict(&mut h);
    assert!(shows(&h, "Answer — run 1"));
    let sent = server
        .requests()
        .pop()
        .expect("the endpoint got the request");
    assert_eq!(sent.path, "/invocations");
    assert_eq!(sent.header("authorization"), Some("Bearer abc"));
    let body: serde_json::Value = serde_json::from_slice(&sent.body).unwrap();
    assert!(body.get("dataframe_split").is_some(), "{body}");
}

/// The Test tab at a window size and theme, with the sample photo chosen.
fn test_tab_at(
    size: [f32; 2],
    theme: mlmodel_inspector::ui::settings::ThemeChoice,
) -> Harness<'static, InspectorApp> {
    let settings = Settings {
        theme,
        ..Settings::default()
    };
    let mut h = app_at(
        size,
        Some(crate::common::repo("assets/example-model")),
        settings,
    );
    tab(&mut h, "Test");
    drop_path(&mut h, &crate::common::repo("assets/sample-china.jpg"));
    h
}

/// The Predict half's controls and answer lie inside the window, and every control of the
/// Input half lies left of them (nothing of one half reaches into the other).
fn assert_halves_apart(
    h: &Harness<'static, InspectorApp>,
    size: [f32; 2],
    what: &str,
    answer: &str,
) {
    let window = egui::Rect::from_min_size(egui::Pos2::ZERO, size.into());
    let predict = h.get_by_label("▶ Predict").rect();
    let answer = h
        .query_all_by_label_contains(answer)
        .next()
        .unwrap_or_else(|| panic!("{what}: {answer:?} is not shown"))
        .rect();
    let input_side: Vec<egui::Rect> = ["From:", "JSON", "Build and check request", "Image files"]
        .iter()
        .map(|l| h.get_by_label(l).rect())
        .collect();
    for (name, r) in [("Predict", predict), ("the answer", answer)] {
        assert!(
            window.contains_rect(r),
            "{what}: {name} {r:?} is outside the window {window:?}"
        );
        for i in &input_side {
            assert!(
                i.max.x <= r.min.x,
                "{what}: an Input control {i:?} reaches into the Predict half at {name} {r:?}"
            );
        }
    }
}

#[test]
fn the_test_tab_keeps_both_halves_apart_at_every_size_and_theme() {
    use mlmodel_inspector::ui::predict_panel::BackendKind;
    use mlmodel_inspector::ui::settings::ThemeChoice;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("http://{}/invocations", closed.local_addr().unwrap());
    drop(closed);
    for size in [[800.0, 500.0], [900.0, 600.0], [1200.0, 800.0]] {
        for theme in [ThemeChoice::Light, ThemeChoice::Dark] {
            let what = format!("{size:?} {theme:?}");
            // After an answer.
            let mut h = test_tab_at(size, theme);
            predict(&mut h);
            assert_halves_apart(&h, size, &format!("{what}, answered"), "Answer — run 1");
            // After a long error (an endpoint that refuses the connection).
            h.state_mut().settings.endpoint_url = dead_url.clone();
            h.state_mut()
                .loaded
                .as_mut()
                .unwrap()
                .panels
                .predict
                .backend = BackendKind::Url;
            h.run_steps(2);
            predict(&mut h);
            assert_halves_apart(&h, size, &format!("{what}, refused"), "connection refused");
        }
    }
}

#[test]
fn choice_rows_move_whole_choices_to_the_next_line_when_narrow() {
    // iris has six input sources and a disabled ONNX backend: at 800 wide the rows wrap,
    // and a disabled choice must wrap whole, not one letter a line.
    let mut h = app_at(
        [800.0, 500.0],
        Some(model("sklearn_iris_class_names")),
        Settings::default(),
    );
    tab(&mut h, "Test");
    let line = h.get_by_label("JSON").rect().height();
    for label in [
        "Image files",
        "Input example",
        "Table",
        ".npy / CSV",
        "Fill",
        "JSON",
        "ONNX in-process (tract)",
        "Endpoint URL",
    ] {
        // (the tab "Input example" carries the same words)
        for node in h.query_all_by_label(label) {
            let r = node.rect();
            assert!(
                r.height() <= line * 1.5 && r.width() > r.height(),
                "{label} is squeezed into {r:?} (one line is {line} high)"
            );
        }
    }
}

#[test]
fn predict_waits_for_an_input_and_says_why() {
    let mut h = example_on_test_tab();
    // No image chosen yet: Predict is disabled, the reason beside it.
    assert!(shows(&h, "Choose an image first"));
    {
        use egui_kittest::kittest::NodeT as _;
        assert!(h.get_by_label("▶ Predict").accesskit_node().is_disabled());
    }
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Enter);
    h.step();
    settle(&mut h);
    assert!(!shows(&h, "Answer — run 1"));
    assert!(!shows(&h, "no image given"));
    // With one, it runs, and the answer leads with the top class in words.
    drop_path(&mut h, &crate::common::repo("assets/sample-china.jpg"));
    assert!(!shows(&h, "Choose an image first"));
    predict(&mut h);
    assert!(shows(&h, "building (0) — 0.5396"));
}

#[test]
fn every_column_of_a_wide_table_is_reachable() {
    let dir = tempfile::tempdir().unwrap();
    let names = [
        "temperature",
        "humidity",
        "wind_speed",
        "pressure",
        "visibility",
        "dew_point",
        "cloud_cover",
    ];
    let cols: Vec<String> = names
        .iter()
        .map(|n| format!("{{\"type\": \"double\", \"name\": \"{n}\", \"required\": true}}"))
        .collect();
    std::fs::write(
        dir.path().join("MLmodel"),
        format!(
            "flavors:\n  python_function:\n    loader_module: mlflow.pyfunc.model\nsignature:\n  inputs: '[{}]'\n",
            cols.join(", ")
        ),
    )
    .unwrap();
    let size = [900.0, 600.0];
    let folder = dir.path().to_path_buf();
    let mut h = app_at(size, Some(folder), Settings::default());
    tab(&mut h, "Test");
    let predict_left = h.get_by_label("▶ Predict").rect().min.x;
    for name in names {
        h.get_by_label(name).scroll_to_me();
        h.run_steps(3);
        let header = h.get_by_label(name).rect();
        let cell = h.get_by_label(&format!("{name} row 1")).rect();
        for r in [header, cell] {
            assert!(
                r.min.x >= 0.0 && r.max.x <= predict_left,
                "{name}: {r:?} is not in sight left of the Predict half at {predict_left}"
            );
        }
        // The cell is as wide as its header needs.
        assert!(
            cell.width() + 1.0 >= header.width(),
            "{name}: cell {cell:?} header {header:?}"
        );
    }
    // The controls inside the scrolled table still take clicks.
    let rows = |h: &Harness<'static, InspectorApp>| {
        h.state().loaded.as_ref().unwrap().panels.test.grid.len()
    };
    h.get_by_label("Add row").click();
    h.run_steps(2);
    assert_eq!(rows(&h), 2);
    // Back to the table's left edge, where each row's remove button is.
    h.get_by_label("temperature").scroll_to_me();
    h.run_steps(3);
    h.query_all_by_label("✖").next().unwrap().click();
    h.run_steps(2);
    assert_eq!(rows(&h), 1);
}

#[test]
fn the_environment_lists_each_package_once_with_every_files_pin() {
    let mut h = app_with(Some(model("sklearn_iris")), Settings::default());
    tab(&mut h, "Environment");
    // mlflow is named in conda.yaml and requirements.txt (python_env.yaml includes the latter):
    // one row, one cell per file.
    assert_eq!(h.query_all_by_label("mlflow").count(), 1);
    assert_eq!(h.query_all_by_label("scikit-learn").count(), 1);
    for file in ["conda.yaml", "requirements.txt", "python_env.yaml"] {
        assert!(shows(&h, file), "{file} column");
    }
    let rows = h.state().card().unwrap().environment.package_rows();
    let mlflow = rows.iter().find(|r| r.name == "mlflow").unwrap();
    assert!(mlflow.specs.len() >= 2, "{mlflow:?}");
    assert!(!mlflow.conflict);
    assert!(!shows(&h, "⚠ pins differ"));
    assert!(shows(
        &h,
        &format!("Dependencies ({} packages)", rows.len())
    ));
}

#[test]
fn without_a_desktop_dialog_the_apps_own_browser_opens_a_model() {
    let mut h = app_with(None, Settings::default());
    // As on a desktop with no portal and no zenity: the app knows its dialog cannot come up.
    h.state_mut().native_dialogs = Some(false);
    h.query_all_by_label("Open model folder…")
        .next()
        .unwrap()
        .click();
    h.run_steps(3);
    assert!(h.state().browser.is_some(), "the in-app browser is open");
    assert!(shows(&h, "Open MLflow model folder"));
    assert!(shows(&h, "No desktop file dialog answered"));
    // A typed path opens the model.
    let path = model("sklearn_iris");
    h.get_by_role_and_label(Role::TextInput, "Path:").focus();
    h.run_steps(1);
    h.get_by_role_and_label(Role::TextInput, "Path:")
        .type_text(path.to_str().unwrap());
    h.run_steps(2);
    h.get_by_label("Use this path").click();
    h.step();
    settle(&mut h);
    assert!(h.state().browser.is_none());
    assert_eq!(
        h.state().card().map(|c| c.folder_name.as_str()),
        Some("sklearn_iris")
    );
    // Ctrl+O and Choose images… take the same way.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::O);
    h.run_steps(3);
    assert!(h.state().browser.is_some());
}

#[test]
fn the_files_tab_says_what_each_file_is() {
    let mut h = app_with(
        Some(crate::common::repo("assets/example-model")),
        Settings::default(),
    );
    tab(&mut h, "Artifacts");
    settle(&mut h);
    // MLmodel is shown at first.
    assert!(shows(&h, "flavors:"));
    // The ONNX weights beside model.onnx are named for what they are.
    assert!(shows(&h, "ONNX weights"));
    // model.onnx: its graph's inputs and outputs, not "not a text file".
    h.get_by_label("model.onnx").click();
    h.step();
    settle(&mut h);
    assert!(
        shows(&h, "ONNX model: mlmodel-inspector"),
        "producer and opset"
    );
    assert!(shows(&h, "images: uint8 [batch, 300, 300, 3]"));
    assert!(shows(&h, "probabilities: float32 [batch, 2]"));
    assert!(!shows(&h, "not a text file"));
    // The external weights: their first bytes.
    let data = h
        .state()
        .card()
        .unwrap()
        .artifacts
        .entries
        .iter()
        .find(|e| e.path.ends_with(".data"))
        .unwrap()
        .path
        .clone();
    h.get_by_label(&data).click();
    h.step();
    settle(&mut h);
    assert!(shows(&h, "Binary data; its first bytes:"));
    assert!(shows(&h, "00000000  "));
}

#[test]
fn text_fields_have_an_edge_in_the_light_theme() {
    let h = app_with(Some(model("sklearn_iris")), Settings::default());
    // White fields on off-white table rows: without an edge an empty cell cannot be seen.
    let light = h.ctx.style_of(egui::Theme::Light);
    let edge = light.visuals.widgets.inactive.bg_stroke;
    assert!(edge.width >= 1.0);
    let fill = light.visuals.text_edit_bg_color();
    let contrast = |a: egui::Color32, b: egui::Color32| {
        (i32::from(a.r()) - i32::from(b.r())).abs()
            + (i32::from(a.g()) - i32::from(b.g())).abs()
            + (i32::from(a.b()) - i32::from(b.b())).abs()
    };
    assert!(contrast(edge.color, fill) > 150, "{edge:?} on {fill:?}");
    assert!(contrast(edge.color, light.visuals.faint_bg_color) > 120);
}

#[test]
fn the_window_and_the_command_line_build_the_same_request_from_the_same_choices() {
    use mlmodel_inspector::input::image::ColorMode;
    use mlmodel_inspector::session::{ImageSpec, ResizeKind, ScalingKind};
    // A float image tensor with free height and width: every image choice matters.
    let dir = tensor_model("float32", "[-1, -1, -1, 3]");
    let photo = crate::common::repo("assets/sample-china.jpg");
    let mut h = app_with(Some(dir.path().to_path_buf()), Settings::default());
    tab(&mut h, "Test");
    drop_path(&mut h, &photo);
    h.state_mut().loaded.as_mut().unwrap().panels.test.image = ImageSpec {
        resize: ResizeKind::Letterbox,
        pad: [114, 114, 114, 255],
        scaling: ScalingKind::MeanStd,
        mean_std: ([0.5, 0.5, 0.5], [0.25, 0.25, 0.25]),
        color: Some(ColorMode::Grayscale),
        free_size: (12, 20),
    };
    h.run_steps(2);
    build(&mut h);
    let window: serde_json::Value = built_body(&h);
    let cli = cli_dry_run(
        dir.path(),
        &[
            "--image",
            photo.to_str().unwrap(),
            "--resize",
            "letterbox",
            "--pad",
            "114,114,114",
            "--scaling",
            "mean-std",
            "--mean",
            "0.5,0.5,0.5",
            "--std",
            "0.25,0.25,0.25",
            "--color",
            "grayscale",
            "--image-size",
            "12x20",
        ],
    );
    let inputs = &cli["inputs"];
    assert_eq!(inputs.as_array().map(Vec::len), Some(1), "{cli:.200}");
    assert_eq!(inputs[0].as_array().map(Vec::len), Some(20), "height 20");
    assert_eq!(inputs[0][0].as_array().map(Vec::len), Some(12), "width 12");
    // Grey in every channel, scaled by (x/255 - 0.5) / 0.25; the padding is 114.
    let px = &inputs[0][0][0];
    assert_eq!(px[0], px[1]);
    let pad = (114.0_f64 / 255.0 - 0.5) / 0.25;
    assert!((px[0].as_f64().unwrap() - pad).abs() < 1e-4, "{px}");
    assert_eq!(
        window, cli,
        "one request from the same choices in both front ends"
    );
}

/// `predict MODEL ARGS --dry-run`: the request the command line builds.
fn cli_dry_run(model: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec![std::ffi::OsStr::new("predict"), model.as_os_str()];
    all.extend(args.iter().map(std::ffi::OsStr::new));
    all.push(std::ffi::OsStr::new("--dry-run"));
    crate::common::cli_json(&all)
}

#[test]
fn fill_means_the_same_in_the_window_and_on_the_command_line() {
    let folder = model("pyfunc_tensor_unnamed");
    let mut h = app_with(Some(folder.clone()), Settings::default());
    tab(&mut h, "Test");
    {
        let test = &mut h.state_mut().loaded.as_mut().unwrap().panels.test;
        test.source = mlmodel_inspector::ui::test_panel::SourceKind::Fill;
        test.fill_kind = 2;
        test.fill_range = (-2.0, 2.0);
        test.fill_sizes = (3, 1);
    }
    h.run_steps(2);
    build(&mut h);
    let window = built_body(&h);
    let cli = cli_dry_run(
        &folder,
        &["--fill", "random", "--fill-range=-2,2", "--batch", "3"],
    );
    let rows = cli["inputs"].as_array().expect("a batch");
    assert_eq!(rows.len(), 3, "batch 3 of [-1, 4]");
    assert!(
        rows.iter()
            .flat_map(|r| r.as_array().unwrap())
            .all(|v| (-2.0..=2.0).contains(&v.as_f64().unwrap())),
        "{cli}"
    );
    assert_eq!(window, cli);
}

#[test]
fn the_graph_tab_shows_what_is_inside_the_onnx_file_and_names_each_mismatch() {
    let mut h = app_with(Some(model("onnx_signature_mismatch")), Settings::default());
    // Opening never reads the ONNX file: the Graph tab does, when it is first shown.
    assert!(matches!(
        h.state().loaded.as_ref().unwrap().panels.graph.status,
        mlmodel_inspector::ui::graph_panel::GraphStatus::NotRead
    ));
    assert!(!shows(&h, "⚠ 6 warnings"));
    tab(&mut h, "Graph");
    settle(&mut h);
    // Read on a worker: the mismatches join the header's warnings and mark the tab.
    assert!(
        shows(&h, "⚠ 6 warnings"),
        "the header counts the mismatches"
    );
    assert!(shows(&h, "Graph ⚠"));
    assert!(shows(&h, "6 ways the signature and the graph disagree:"));
    assert!(shows(
        &h,
        "• input 'pixels': the signature says float32, the graph takes uint8"
    ));
    assert!(shows(&h, "Mean brightness of an 8x8 patch, scaled."));
    assert!(shows(&h, "uint8 [batch, 8, 8, 3]"));
    assert!(shows(
        &h,
        "The native runtime (tract) cannot run com.example.custom:Tag: predict with the local MLflow backend."
    ));
    assert!(shows(&h, "2 initializers, 23 parameters, 104 B"));
    // The node list, searched.
    h.get_by_label("Nodes (4)").click();
    h.run_steps(2);
    assert!(shows(&h, "4 of 4 nodes"));
    h.get_by_role_and_label(Role::TextInput, "Search nodes")
        .focus();
    h.run_steps(1);
    h.get_by_role_and_label(Role::TextInput, "Search nodes")
        .type_text("reduce");
    h.run_steps(2);
    assert!(shows(&h, "1 of 4 nodes"), "searched by op and name");
    h.get_by_label_contains("ReduceMean").click();
    h.run_steps(2);
    assert!(shows(&h, "mean (ReduceMean)"), "the node's details");
    // The drawing: a box per node and one per input and output, the selection kept.
    h.get_by_label("Drawing").click();
    h.run_steps(3);
    assert!(shows(&h, "7 boxes; drag to pan"));
    assert!(shows(&h, "mean (ReduceMean)"));
}

#[test]
fn a_model_without_onnx_has_no_graph_tab_and_an_onnx_file_opens_it_from_artifacts() {
    let h = app_with(Some(model("sklearn_iris")), Settings::default());
    assert!(h.query_by_label("Graph").is_none());
    let mut h = app_with(
        Some(crate::common::repo("assets/example-model")),
        Settings::default(),
    );
    tab(&mut h, "Artifacts");
    // The file's row (the MLmodel shown in the preview names it too).
    h.get_by_role_and_label(Role::Button, "model.onnx").click();
    h.run_steps(2);
    h.get_by_label("Show graph").click();
    h.run_steps(2);
    settle(&mut h);
    assert_eq!(h.state().settings.tab, Tab::Graph);
    assert!(shows(
        &h,
        "✔ The MLflow signature matches the graph's inputs and outputs."
    ));
    assert!(shows(
        &h,
        "✔ The native runtime (tract) runs every op of this graph."
    ));
    assert!(shows(&h, "GlobalAveragePool"));
}

/// The same choices made with the Test tab's widgets (clicked and typed, as a person does) and
/// with the command line's flags send the same bytes: both requests are sent to a recording
/// endpoint, and the bodies it received are compared byte for byte.
#[test]
fn the_window_widgets_and_the_command_line_send_the_same_bytes() {
    use mlmodel_inspector::ui::predict_panel::BackendKind;
    let server = crate::common::RecordingServer::start(200, r#"{"predictions": [[0.5]]}"#);
    // A float image tensor with free height and width: every image choice matters.
    let dir = tensor_model("float32", "[-1, -1, -1, 3]");
    let photo = crate::common::repo("assets/sample-china.jpg");
    let settings = Settings {
        endpoint_url: server.url.clone(),
        ..Settings::default()
    };
    let mut h = app_with(Some(dir.path().to_path_buf()), settings);
    tab(&mut h, "Test");
    drop_path(&mut h, &photo);
    for choice in ["Letterbox", "mean/std", "Grayscale in every channel"] {
        h.get_by_label(choice).click();
        h.run_steps(2);
    }
    h.get_by_label("ImageNet").click();
    h.run_steps(2);
    for (field, value) in [("width", "12"), ("height", "20")] {
        h.get_by_role_and_label(Role::SpinButton, field).click();
        h.run_steps(2);
        h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
        h.get_by_role_and_label(Role::SpinButton, field)
            .type_text(value);
        h.run_steps(1);
        h.key_press(egui::Key::Enter);
        h.run_steps(2);
    }
    let state = &h.state().loaded.as_ref().unwrap().panels.test.image;
    assert_eq!(state.free_size, (12, 20), "typed into the size fields");
    h.state_mut()
        .loaded
        .as_mut()
        .unwrap()
        .panels
        .predict
        .backend = BackendKind::Url;
    h.run_steps(2);
    predict(&mut h);
    assert!(shows(&h, "Answer — run 1"));
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_mlmodel-inspector"))
        .arg("predict")
        .arg(dir.path())
        .args(["--image", photo.to_str().unwrap()])
        .args(["--resize", "letterbox", "--scaling", "mean-std"])
        .args(["--mean", "0.485,0.456,0.406", "--std", "0.229,0.224,0.225"])
        .args(["--color", "grayscale", "--image-size", "12x20"])
        .args(["--backend", &server.url])
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let sent = server.requests();
    assert_eq!(sent.len(), 2, "one request from each front end");
    let (window, cli) = (&sent[0].body, &sent[1].body);
    let body: serde_json::Value = serde_json::from_slice(cli).unwrap();
    assert_eq!(
        body["inputs"][0].as_array().map(Vec::len),
        Some(20),
        "height 20"
    );
    assert_eq!(
        body["inputs"][0][0].as_array().map(Vec::len),
        Some(12),
        "width 12"
    );
    // Grey in every channel: the same value before each channel's ImageNet mean and std.
    let px = &body["inputs"][0][0][0];
    let grey = |c: usize, mean: f64, std: f64| (px[c].as_f64().unwrap() * std + mean) * 255.0;
    assert!(
        (grey(0, 0.485, 0.229) - grey(1, 0.456, 0.224)).abs() < 1e-3,
        "{px}"
    );
    assert!(
        window == cli,
        "the window sent {} bytes, the command line {}; first difference at byte {:?}",
        window.len(),
        cli.len(),
        window.iter().zip(cli.iter()).position(|(a, b)| a != b)
    );
}

/// MLflow's default ONNX save with its weights file gone: the Graph tab still reads the graph
/// and says which file of the weights is missing, in the error colour.
#[test]
fn the_graph_tab_names_a_missing_weights_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut data_file = None;
    for entry in std::fs::read_dir(model("onnx_external_data")).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".data") {
            data_file = Some(name);
        } else {
            std::fs::copy(entry.path(), dir.path().join(&name)).unwrap();
        }
    }
    let data_file = data_file.expect("the fixture keeps its weights in a .data file");
    let mut h = app_with(Some(dir.path().to_path_buf()), Settings::default());
    tab(&mut h, "Graph");
    settle(&mut h);
    assert!(shows(&h, &format!("External data {data_file}: missing")));
    assert!(shows(
        &h,
        "✔ The MLflow signature matches the graph's inputs and outputs."
    ));
}

/// The Test tab's "ONNX Runtime in-process" runs the example on the venv's ONNX Runtime (the
/// Python of the backend settings has the pinned onnxruntime) and says so beside the answer.
#[test]
fn onnx_runtime_is_a_backend_of_the_test_tab_and_names_its_version() {
    let mut settings = Settings::default();
    settings.backend.python = Some(crate::common::venv_python());
    let mut h = app_with(Some(crate::common::repo("assets/example-model")), settings);
    tab(&mut h, "Test");
    drop_path(&mut h, &crate::common::repo("assets/sample-china.jpg"));
    h.get_by_label("ONNX Runtime in-process").click();
    h.run_steps(2);
    predict(&mut h);
    assert!(shows(&h, "Answer — run 1"));
    assert!(
        shows(
            &h,
            "in-process on onnxruntime 1.32.0 (CPUExecutionProvider)"
        ),
        "the runtime and its version beside the answer"
    );
    assert!(shows(&h, "0.5396"), "MLflow's number for the photo");
}

/// The Evaluate tab: a labelled folder dropped on it is read and matched to the model,
/// Evaluate runs through the Test tab's backend on a worker, and the window shows the command
/// line's and scikit-learn's numbers (tests/fixtures/eval/reference.json): accuracy, macro F1,
/// the per-class rows, the confusion matrix; clicking a cell lists exactly its items.
#[test]
fn the_evaluate_tab_shows_scikit_learns_numbers_and_a_cell_lists_its_items() {
    let reference = eval_reference();
    let want = &reference["images"];
    let mut settings = Settings::default();
    settings.backend.python = Some(crate::common::venv_python());
    let mut h = app_with(
        Some(crate::common::model("onnx_colour_classifier")),
        settings,
    );
    tab(&mut h, "Evaluate");
    assert!(
        shows(&h, "through ONNX Runtime (in-process)"),
        "the Test tab's choice"
    );
    drop_path(&mut h, &crate::common::repo("tests/fixtures/eval/images"));
    assert!(shows(&h, "33 images in 2 classes (china, flower)"));
    h.get_by_label("▶ Evaluate").click();
    h.step();
    settle(&mut h);
    assert!(
        shows(&h, "32 predicted, 1 failed"),
        "the corrupt image counted"
    );
    assert!(
        shows(
            &h,
            "through ONNX Runtime (in-process), answered by onnxruntime 1.32.0 (CPUExecutionProvider)"
        ),
        "the runtime that answered, as it names itself"
    );
    shows_classification_numbers(&h, want);
    // The same numbers as the command line gives for the same folder on the same runtime.
    let (code, doc, _, stderr) = crate::eval::eval_cli(&[
        crate::common::model("onnx_colour_classifier").as_os_str(),
        "--images".as_ref(),
        crate::common::repo("tests/fixtures/eval/images").as_os_str(),
        "--backend".as_ref(),
        "onnxruntime".as_ref(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    shows_classification_numbers(&h, &doc);
    assert!(shows(&h, "Failed items (1)"));
    assert!(
        shows(&h, "flower/broken.png: cannot decode the image"),
        "the failed item with its error, its name said once"
    );
    // Export CSV… through the app's own browser (as where no desktop dialog answers): the
    // file holds what `eval --out` writes, every item with the reference's prediction.
    h.state_mut().native_dialogs = Some(false);
    h.get_by_label("Export CSV…").click();
    h.run_steps(3);
    assert!(shows(&h, "Export the predictions as CSV"));
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("preds.csv");
    // The browser's path field (the tab has one too), drawn last.
    h.query_all_by_role_and_label(Role::TextInput, "Path:")
        .last()
        .unwrap()
        .focus();
    h.run_steps(1);
    h.query_all_by_role_and_label(Role::TextInput, "Path:")
        .last()
        .unwrap()
        .type_text(file.to_str().unwrap());
    h.run_steps(2);
    h.get_by_label("Use this path").click();
    h.step();
    settle(&mut h);
    assert!(shows(&h, &format!("Exported to {}", file.display())));
    let mut csv = csv::Reader::from_path(&file).unwrap();
    assert_eq!(
        csv.headers().unwrap().iter().collect::<Vec<_>>(),
        ["input", "label", "prediction", "score", "error"]
    );
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 33, "32 predicted and the corrupt one");
    let predictions = want["predictions"].as_object().unwrap();
    for row in &rows {
        match predictions.get(&row[0]) {
            Some(p) => assert_eq!(p.as_str(), Some(&row[2]), "{row:?}"),
            None => assert!(!row[4].is_empty(), "{row:?} failed with its error"),
        }
    }
    // Every item, sorted by score (click: ascending; again: descending) as the user sees it:
    // the lowest score's item above the highest's, then below it.
    h.get_by_label("Every item (33)").click();
    h.run_steps(3);
    let scores = want["scores"].as_object().unwrap();
    let low = scores
        .iter()
        .min_by(|a, b| a.1.as_f64().unwrap().total_cmp(&b.1.as_f64().unwrap()))
        .unwrap()
        .0
        .clone();
    let high = scores
        .iter()
        .max_by(|a, b| a.1.as_f64().unwrap().total_cmp(&b.1.as_f64().unwrap()))
        .unwrap()
        .0
        .clone();
    let y = |h: &Harness<'static, InspectorApp>, id: &str| {
        h.query_all_by_label(id)
            .map(|n| n.rect().top())
            .fold(f32::MIN, f32::max)
    };
    h.get_by_label("score").click();
    h.run_steps(3);
    assert!(y(&h, &low) < y(&h, &high), "ascending: {low} before {high}");
    h.get_by_label("score ⏶").click();
    h.run_steps(3);
    assert!(
        y(&h, &high) < y(&h, &low),
        "descending: {high} before {low}"
    );
    h.get_by_label("Every item (33)").click();
    h.run_steps(3);
    // The cell of china predicted as flower: its count, then exactly its items.
    let matrix = &want["confusion_matrix"]["matrix"];
    let count = matrix[0][1].as_u64().unwrap();
    h.query_all_by_label(&count.to_string())
        .next()
        .expect("the cell")
        .click();
    h.run_steps(3);
    let counted = mlmodel_inspector::text::count(count as usize, "item", "items");
    assert!(shows(
        &h,
        &format!("{counted} labelled china and predicted flower")
    ));
    let predictions = want["predictions"].as_object().unwrap();
    let expected: Vec<&String> = predictions
        .iter()
        .filter(|(id, p)| id.starts_with("china/") && *p == "flower")
        .map(|(id, _)| id)
        .collect();
    assert_eq!(expected.len() as u64, count);
    let expected_ids: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
    for id in expected {
        assert!(shows(&h, id), "{id} listed");
    }
    // Items of other cells are not (the list of every item stays folded).
    let right = predictions
        .iter()
        .find(|(id, p)| id.starts_with("china/") && *p == "china")
        .map(|(id, _)| id)
        .unwrap();
    assert!(!shows(&h, right), "{right} is not in the cell");
    // The cell's images as thumbnails (decoded on a worker), one for each of its items.
    settle(&mut h);
    for id in &expected_ids {
        assert!(
            h.query_by_label(&format!("thumbnail of {id}")).is_some(),
            "{id}'s thumbnail"
        );
    }
    assert!(
        h.query_by_label(&format!("thumbnail of {right}")).is_none(),
        "no thumbnail of another cell's {right}"
    );
    // Each thumbnail is named below it: the file's name, right under its image.
    for id in &expected_ids {
        let thumb = h.get_by_label(&format!("thumbnail of {id}")).rect();
        let shown = mlmodel_inspector::ui::eval_panel::thumbnail_caption(id);
        assert!(
            h.query_all_by_label(&shown).any(|n| {
                let r = n.rect();
                r.top() >= thumb.bottom() - 1.0
                    && r.top() <= thumb.bottom() + 20.0
                    && r.center().x >= thumb.left()
                    && r.center().x <= thumb.right()
            }),
            "{shown} under {id}'s thumbnail"
        );
    }
    // An item of the cell opens on the Test tab, as the only image input.
    let first = expected_ids[0].clone();
    h.query_all_by_label(&first).next().unwrap().click();
    h.step();
    settle(&mut h);
    assert_eq!(
        h.state().settings.tab,
        mlmodel_inspector::ui::settings::Tab::Test
    );
    let file = first.trim_start_matches("china/");
    assert!(shows(&h, file), "{file} among the Test tab's images");
    // Its thumbnail does the same, and the image replaces the one there.
    tab(&mut h, "Evaluate");
    let second = expected_ids[1].clone();
    h.get_by_label(&format!("thumbnail of {second}")).click();
    h.step();
    settle(&mut h);
    let images = &h.state().loaded.as_ref().unwrap().panels.test.images;
    assert_eq!(images.len(), 1, "{images:?}");
    assert!(images[0].ends_with(&second), "{images:?}");
}

/// The text of the per-class table's cell in the row of `row` (its class) and the column
/// headed `column`, as drawn: the label whose left edge is the column heading's and whose
/// middle is in the class label's line.
fn per_class_cell(
    h: &Harness<'static, InspectorApp>,
    row: &str,
    column: &str,
    value: &str,
) -> bool {
    let heading = h
        .query_all_by_label(column)
        .map(|n| n.rect())
        .next()
        .unwrap_or_else(|| panic!("the per-class table's {column:?} heading"));
    let rows: Vec<egui::Rect> = h.query_all_by_label(row).map(|n| n.rect()).collect();
    h.query_all_by_label(value).any(|n| {
        let r = n.rect();
        (r.left() - heading.left()).abs() < 2.0
            && rows
                .iter()
                .any(|l| l.top() - 1.0 <= r.center().y && r.center().y <= l.bottom() + 1.0)
    })
}

/// The Evaluate tab's accuracy, macro F1 and per-class table, read from their places (each
/// number in its class's row and its column), equal to `want` to the 4 places shown: the
/// command line's `eval --json` or scikit-learn's numbers.
pub(crate) fn shows_classification_numbers(
    h: &Harness<'static, InspectorApp>,
    want: &serde_json::Value,
) {
    let metric = |k: &str| want["metrics"][k].as_f64().unwrap();
    assert!(
        h.query_all_by_label(&format!("accuracy {:.4}", metric("accuracy")))
            .next()
            .is_some(),
        "accuracy {:.4}",
        metric("accuracy")
    );
    assert!(
        h.query_all_by_label(&format!("macro F1 {:.4}", metric("macro_f1")))
            .next()
            .is_some(),
        "macro F1 {:.4}",
        metric("macro_f1")
    );
    for row in want["per_class"].as_array().unwrap() {
        let label = row["label"].as_str().unwrap();
        for (k, column) in [
            ("precision", "precision"),
            ("recall", "recall"),
            ("f1", "F1"),
        ] {
            let value = format!("{:.4}", row[k].as_f64().unwrap());
            assert!(
                per_class_cell(h, label, column, &value),
                "{label}'s {column} is {value} in its row and column"
            );
        }
        let support = row["support"].to_string();
        assert!(
            per_class_cell(h, label, "support", &support),
            "{label}'s support is {support} in its row and column"
        );
    }
}

/// Clicks the Evaluate tab's item `id` (a table row): the Test tab shows, with the row's
/// request in the JSON editor; returns its text and value.
fn open_row(h: &mut Harness<'static, InspectorApp>, id: &str) -> (String, serde_json::Value) {
    // By accesskit: the list may be below the window's fold.
    h.get_by_label(id).click_accesskit();
    h.step();
    settle(h);
    assert_eq!(
        h.state().settings.tab,
        mlmodel_inspector::ui::settings::Tab::Test
    );
    // A row of the table form, each cell under its column, as the user reads it.
    let test = &h.state().loaded.as_ref().unwrap().panels.test;
    assert_eq!(
        test.source,
        mlmodel_inspector::ui::test_panel::SourceKind::Grid,
        "the table form, not raw JSON"
    );
    assert_eq!(test.grid.len(), 1, "that row alone");
    let cells: Vec<String> = test.grid[0].clone();
    let text = format!("{cells:?}");
    for (k, cell) in cells.iter().enumerate() {
        let column = &grid_column_names(h)[k];
        let shown = h
            .get_by_label(&format!("{column} row 1"))
            .value()
            .unwrap_or_default();
        assert_eq!(&shown, cell, "{column} shows the row's cell");
    }
    (text, built_body(h))
}

/// The table form's column names, as the window lays them out.
fn grid_column_names(h: &Harness<'static, InspectorApp>) -> Vec<String> {
    mlmodel_inspector::ui::test_panel::form_columns(&h.state().loaded.as_ref().unwrap().card)
}

/// The eval fixtures' reference numbers (scikit-learn's and MLflow's, by eval_reference.py).
pub(crate) fn eval_reference() -> serde_json::Value {
    let text =
        std::fs::read_to_string(crate::common::repo("tests/fixtures/eval/reference.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The window on the fixture `model`, trusted, with MLflow's scoring server chosen on the Test
/// tab, showing the Evaluate tab.
fn evaluate_through_local_server(model: &str) -> Harness<'static, InspectorApp> {
    let model = crate::common::model(model);
    let mut settings = Settings::default();
    settings.backend.python = Some(crate::common::venv_python());
    trust(&mut settings, &model);
    let mut h = app_with(Some(model), settings);
    tab(&mut h, "Test");
    h.get_by_label("MLflow scoring server (local Python)")
        .click();
    h.run_steps(2);
    tab(&mut h, "Evaluate");
    h
}

/// A regression table on the Evaluate tab through MLflow's scoring server (the Test tab's
/// choice, the folder trusted): the label column guessed from its name, MAE, RMSE and R² as
/// scikit-learn gives them, and the predicted-against-true and residual plots.
#[test]
fn the_evaluate_tab_gives_a_regressions_errors_through_the_local_server() {
    let reference = eval_reference();
    let mut h = evaluate_through_local_server("sklearn_diabetes");
    assert!(shows(&h, "through MLflow (local)"));
    // The rows as CSV, then as JSON lines: the same numbers (the server stays warm).
    for (file, key) in [
        ("diabetes.csv", "diabetes_csv"),
        ("diabetes.jsonl", "diabetes_jsonl"),
    ] {
        let want = &reference[key];
        drop_path(
            &mut h,
            &crate::common::repo(&format!("tests/fixtures/eval/{file}")),
        );
        assert!(
            shows(&h, &format!("142 rows of {file}, labels in \"target\"")),
            "the label column guessed"
        );
        h.get_by_label("▶ Evaluate").click();
        h.step();
        settle(&mut h);
        assert!(shows(&h, "142 predicted, 0 failed"));
        for (name, key) in [("MAE", "mae"), ("RMSE", "rmse"), ("R²", "r2")] {
            let v = want["metrics"][key].as_f64().unwrap();
            assert!(shows(&h, &format!("{name} {v:.4}")), "{file} {name}");
        }
    }
    assert!(shows(&h, "Predicted against true"));
    assert!(shows(&h, "Residuals (predicted − true)"));
    assert!(shows(&h, "Largest errors"));
    // An answer on the Test tab first (the input example, through the same warm server)...
    tab(&mut h, "Test");
    h.get_by_label("▶ Predict").click();
    h.step();
    settle(&mut h);
    assert!(answer_shown(&h), "an answer is shown");
    tab(&mut h, "Evaluate");
    // A row opens on the Test tab as the run sent it: a frame of the row's feature columns.
    h.get_by_label("Every item (142)").click();
    h.run_steps(3);
    let (text, body) = open_row(&mut h, "line 1");
    let csv =
        std::fs::read_to_string(crate::common::repo("tests/fixtures/eval/diabetes.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let first: Vec<f64> = lines
        .next()
        .unwrap()
        .split(',')
        .map(|v| v.parse().unwrap())
        .collect();
    let split = &body["dataframe_split"];
    assert_eq!(split["columns"], serde_json::json!(header[..10]), "{text}");
    for (k, want) in first[..10].iter().enumerate() {
        assert_eq!(split["data"][0][k].as_f64(), Some(*want), "{text}");
    }
    assert!(
        shows(&h, "MLflow's scoring server accepts this request"),
        "checked at once"
    );
    // ...is not shown beside the new request: the history keeps it.
    assert!(
        shows(&h, "A new input: Predict sends it"),
        "the earlier answer put away"
    );
    assert!(!answer_shown(&h));
}

/// Whether the Test tab shows an answer (a run of the history).
fn answer_shown(h: &Harness<'static, InspectorApp>) -> bool {
    h.state()
        .loaded
        .as_ref()
        .unwrap()
        .panels
        .predict
        .shown
        .is_some()
}

/// Iris as a CSV on the Evaluate tab through MLflow's scoring server: the label column guessed,
/// scikit-learn's numbers, the row MLflow refuses listed with MLflow's error, and a confusion
/// matrix cell listing exactly its rows, each opening on the Test tab.
#[test]
fn the_evaluate_tab_gives_iris_numbers_and_a_cells_rows_through_the_local_server() {
    let reference = eval_reference();
    let want = &reference["iris"];
    let mut h = evaluate_through_local_server("sklearn_iris_class_names");
    drop_path(&mut h, &crate::common::repo("tests/fixtures/eval/iris.csv"));
    assert!(
        shows(&h, "150 rows of iris.csv, labels in \"species\""),
        "the label column guessed"
    );
    h.get_by_label("▶ Evaluate").click();
    h.step();
    settle(&mut h);
    assert!(shows(&h, "149 predicted, 1 failed"));
    shows_classification_numbers(&h, want);
    let (failed, error) = want["failed"].as_object().unwrap().iter().next().unwrap();
    assert!(
        shows(&h, &format!("{failed}: {}", error.as_str().unwrap())),
        "MLflow's own refusal of {failed}"
    );
    // The cell of versicolor predicted as virginica lists exactly its rows.
    let count = want["confusion_matrix"]["matrix"][1][2].as_u64().unwrap();
    h.get_by_label(&count.to_string()).click();
    h.run_steps(3);
    let counted = mlmodel_inspector::text::count(count as usize, "item", "items");
    assert!(shows(
        &h,
        &format!("{counted} labelled versicolor and predicted virginica")
    ));
    let predictions = want["predictions"].as_object().unwrap();
    let csv = std::fs::read_to_string(crate::common::repo("tests/fixtures/eval/iris.csv")).unwrap();
    let truth = |id: &str| -> String {
        let n: usize = id.trim_start_matches("line ").parse().unwrap();
        csv.lines()
            .nth(n - 1)
            .unwrap()
            .rsplit(',')
            .next()
            .unwrap()
            .to_string()
    };
    let expected: Vec<&String> = predictions
        .iter()
        .filter(|(id, p)| truth(id) == "versicolor" && *p == "virginica")
        .map(|(id, _)| id)
        .collect();
    assert_eq!(expected.len() as u64, count);
    for id in &expected {
        assert_eq!(h.query_all_by_label(id).count(), 1, "{id} listed once");
    }
    // One opens on the Test tab as the frame the run sent.
    let id = expected[0].clone();
    let (text, body) = open_row(&mut h, &id);
    let n: usize = id.trim_start_matches("line ").parse().unwrap();
    let row: Vec<f64> = csv
        .lines()
        .nth(n - 1)
        .unwrap()
        .split(',')
        .take(4)
        .map(|v| v.parse().unwrap())
        .collect();
    assert_eq!(
        body["dataframe_split"]["data"][0],
        serde_json::json!(row),
        "{text}"
    );
}

/// A folder dropped with Shift held, as the platform layer hands it over.
pub(crate) fn shift_drop(harness: &mut Harness<'static, InspectorApp>, path: &Path) {
    harness
        .input_mut()
        .events
        .push(egui::Event::ModifiersChanged(egui::Modifiers::SHIFT));
    harness
        .input_mut()
        .dropped_files
        .push(std::sync::Arc::new(Dropped(path.to_path_buf())));
    harness.step();
    harness
        .input_mut()
        .events
        .push(egui::Event::ModifiersChanged(egui::Modifiers::NONE));
    settle(harness);
}

/// Every fixture pair on the Compare tab (B dropped with Shift beside A): the verdict, each
/// reason, each change with both sides (breaking ones marked) and the equal sections folded,
/// exactly as `diff --json` gives them.
#[test]
fn the_compare_tab_shows_diffs_verdict_and_changes_for_every_fixture_pair() {
    let root = crate::common::repo("tests/fixtures/diff");
    let mut pairs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    pairs.sort();
    assert_eq!(pairs.len(), 7);
    for pair in pairs {
        let (a, b) = (pair.join("a"), pair.join("b"));
        // The command line's document (exit 1 for a breaking pair).
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_mlmodel-inspector"))
            .arg("diff")
            .args([&a, &b])
            .arg("--json")
            .output()
            .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut h = app_with(Some(a), Settings::default());
        shift_drop(&mut h, &b);
        let name = pair.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(
            h.state().settings.tab,
            mlmodel_inspector::ui::settings::Tab::Compare,
            "{name}"
        );
        if doc["compatible"] == true {
            assert!(
                shows(&h, "✔ Drop-in: B (b) accepts every request A (a) accepts."),
                "{name}"
            );
            assert!(!shows(&h, "✖ Breaking"), "{name}");
        } else {
            assert!(
                shows(
                    &h,
                    "✖ Breaking: B (b) is not a drop-in replacement for A (a)."
                ),
                "{name}"
            );
        }
        for reason in doc["reasons"].as_array().unwrap() {
            let reason = reason.as_str().unwrap();
            assert!(shows(&h, &format!("• {reason}")), "{name}: {reason}");
        }
        let requests = doc["requests_checked"].as_u64().unwrap();
        assert!(
            shows(
                &h,
                &format!("{requests} of A's requests checked against B's signature")
            ),
            "{name}"
        );
        let changes = doc["changes"].as_array().unwrap();
        for c in changes {
            let item = c["item"].as_str().unwrap();
            assert!(
                h.query_all_by_label(item).next().is_some(),
                "{name}: {item}"
            );
            for side in ["a", "b"] {
                let text = c[side].as_str().unwrap_or("(none)");
                assert!(
                    h.query_all_by_label(text).next().is_some(),
                    "{name}: {item} {side} = {text}"
                );
            }
        }
        let breaking = changes.iter().filter(|c| c["breaking"] == true).count();
        assert_eq!(h.query_all_by_label("BREAKING").count(), breaking, "{name}");
        for section in doc["equal_sections"].as_array().unwrap() {
            let section = section.as_str().unwrap();
            assert!(shows(&h, &format!("{section}: equal")), "{name}: {section}");
        }
        for section in mlmodel_inspector::diff::SECTIONS {
            let n = changes.iter().filter(|c| c["section"] == section).count();
            if n > 0 {
                let word = if n == 1 { "change" } else { "changes" };
                assert!(
                    shows(&h, &format!("{section}: {n} {word}")),
                    "{name}: {section}"
                );
            }
        }
        // Closing forgets B and the tab goes.
        h.get_by_label("Close comparison").click();
        h.run_steps(3);
        assert!(h.query_by_label("Compare").is_none(), "{name}");
    }
}

/// The Test tab's request answered by A and B through their own MLflow scoring servers, side
/// by side: the pair whose param `k` defaults to 1 in A and 2 in B, so B answers twice A's
/// numbers; the difference shown is the one of the two real answers. B comes from the Compare…
/// menu's recent models.
#[test]
fn the_compare_tab_sends_one_request_to_both_and_shows_their_difference() {
    let pair = crate::common::repo("tests/fixtures/diff/param_default");
    let (a, b) = (pair.join("a"), pair.join("b"));
    let mut settings = Settings::default();
    settings.backend.python = Some(crate::common::venv_python());
    // A is trusted; B's code runs only once the user says so.
    trust(&mut settings, &a);
    settings.recent = vec![b.clone()];
    let mut h = app_with(Some(a), settings);
    tab(&mut h, "Test");
    h.get_by_label("JSON").click();
    h.run_steps(2);
    // A's serving example, without params: each side answers with its own default k.
    h.state_mut().loaded.as_mut().unwrap().panels.test.json_text =
        std::fs::read_to_string(pair.join("a/serving_input_example.json")).unwrap();
    h.get_by_label("Compare…").click();
    h.run_steps(2);
    h.get_by_label(&b.display().to_string()).click();
    h.step();
    settle(&mut h);
    assert!(shows(&h, "A runs on MLflow (local)"));
    h.get_by_label("▶ Send the Test tab's request to both")
        .click();
    h.step();
    settle(&mut h);
    assert!(shows(&h, "⚠ Dangerous: run this model's code?"));
    assert!(shows(&h, "B: MLflow's scoring server for"), "B named");
    assert!(
        shows(
            &h,
            "B would run code the scan calls dangerous, which can do anything your account can"
        ),
        "a PythonModel's own code, cloudpickled"
    );
    assert!(
        !shows(&h, "A: MLflow's scoring server for"),
        "A is trusted already"
    );
    h.run_steps(2);
    h.get_by_label("Run anyway").click();
    h.step();
    settle(&mut h);
    assert!(
        h.state()
            .settings
            .trusted_models
            .iter()
            .any(|t| t.folder == std::path::absolute(&b).unwrap()),
        "the answer remembered"
    );
    let compare = &h.state().loaded.as_ref().unwrap().panels.compare;
    let both = compare.answers.as_ref().unwrap().as_ref().unwrap();
    let x = both.a.result.as_ref().unwrap().clone();
    let y = both.b.result.as_ref().unwrap().clone();
    // The real answers: B's numbers are twice A's.
    let numbers = |v: &serde_json::Value| -> Vec<f64> {
        let mut out = Vec::new();
        fn walk(v: &serde_json::Value, out: &mut Vec<f64>) {
            match v {
                serde_json::Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
                serde_json::Value::Object(m) => m.values().for_each(|v| walk(v, out)),
                other => out.extend(other.as_f64()),
            }
        }
        walk(v, &mut out);
        out
    };
    let (na, nb) = (numbers(&x), numbers(&y));
    assert_eq!(na.len(), 2, "one number a row: {x}");
    for (p, q) in na.iter().zip(&nb) {
        assert_eq!(2.0 * p, *q, "{x} {y}");
    }
    let largest = na.iter().copied().fold(0.0, f64::max);
    let line = format!(
        "2 changed cells, max abs difference {}, max rel difference 0.5",
        mlmodel_inspector::text::short_number(largest)
    );
    assert_eq!(
        h.query_all_by_label_contains(&line).count(),
        1,
        "the difference said once, rounded: {line}"
    );
    assert!(shows(&h, "A · MLflow (local)"));
    assert!(shows(&h, "B · MLflow (local)"));
}

/// The Evaluate tab's table run through A and B (iris refitted with another C, both on MLflow's
/// scoring server): the agreement rate and the rows where they differ are those of the command
/// line's two `eval --out` files.
#[test]
fn the_compare_tab_runs_the_evaluate_dataset_through_both_and_gives_their_agreement() {
    let pair = crate::common::repo("tests/fixtures/diff/retrained");
    let (a, b) = (pair.join("a"), pair.join("b"));
    let iris = crate::common::repo("tests/fixtures/eval/iris.csv");
    // The command line's predictions of each, matched by row.
    let preds = |model: &Path| -> Vec<(String, String)> {
        let (_, _, rows, stderr) = crate::eval::eval_cli(&[
            model.as_os_str(),
            "--csv".as_ref(),
            iris.as_os_str(),
            "--backend".as_ref(),
            "local".as_ref(),
        ]);
        assert!(!rows.is_empty(), "{stderr}");
        rows.into_iter()
            .filter(|r| r[4].is_empty())
            .map(|r| (r[0].clone(), r[2].clone()))
            .collect()
    };
    let (pa, pb) = (preds(&a), preds(&b));
    let differing: Vec<&String> = pa
        .iter()
        .filter(|(id, p)| pb.iter().any(|(j, q)| j == id && q != p))
        .map(|(id, _)| id)
        .collect();
    let compared = pa.len();
    let mut settings = Settings::default();
    settings.backend.python = Some(crate::common::venv_python());
    trust(&mut settings, &a);
    trust(&mut settings, &b);
    let mut h = app_with(Some(a), settings);
    tab(&mut h, "Test");
    h.get_by_label("MLflow scoring server (local Python)")
        .click();
    h.run_steps(2);
    tab(&mut h, "Evaluate");
    drop_path(&mut h, &iris);
    shift_drop(&mut h, &b);
    h.get_by_label("▶ Run both over the Evaluate tab's dataset")
        .click();
    h.step();
    settle(&mut h);
    let agree = compared - differing.len();
    assert!(
        shows(
            &h,
            &format!(
                "Agreement {:.2}%: the same prediction on {agree} of {compared} items",
                100.0 * agree as f64 / compared as f64
            )
        ),
        "{differing:?}"
    );
    if !differing.is_empty() {
        assert!(shows(
            &h,
            &format!("Where they differ ({})", differing.len())
        ));
    }
    for id in differing {
        assert!(h.query_all_by_label(id).next().is_some(), "{id} listed");
    }
}

/// A folder that is no model, dropped as B: the Compare tab says why, naming it, and A stays
/// open and usable; a good B afterwards replaces the error.
#[test]
fn a_bad_b_is_named_on_the_compare_tab_and_a_stays_usable() {
    let pair = crate::common::repo("tests/fixtures/diff/retrained");
    let mut h = app_with(Some(pair.join("a")), Settings::default());
    let not_a_model = bad("not_a_model");
    shift_drop(&mut h, &not_a_model);
    assert!(shows(
        &h,
        &format!("B cannot be opened: {}", not_a_model.display())
    ));
    assert!(h.state().loaded.is_some(), "A is still open");
    tab(&mut h, "Signature");
    assert!(shows(&h, "sepal_length"), "A's signature");
    shift_drop(&mut h, &pair.join("b"));
    assert!(shows(&h, "✔ Drop-in"));
    assert!(!shows(&h, "B cannot be opened"));
}

/// Class scores from two real ONNX classifiers (the colour classifier and its refit with a
/// hundred times the regularisation), each on ONNX Runtime in-process: the Test tab's four
/// photos go to both, and the tab gives the top-1 agreement, the rank changes and the largest
/// gap that the two answers themselves show.
#[test]
fn the_compare_tab_gives_two_classifiers_top1_agreement_and_rank_changes() {
    let a = crate::common::model("onnx_colour_classifier");
    let b = crate::common::repo("tests/fixtures/compare/onnx_colour_classifier_weak");
    let mut settings = Settings::default();
    settings.backend.python = Some(crate::common::venv_python());
    let mut h = app_with(Some(a), settings);
    tab(&mut h, "Test");
    let images = crate::common::repo("tests/fixtures/eval/images");
    for file in [
        "china/china_r0c0.png",
        "china/china_r1c1.png",
        "flower/flower_r0c1.png",
        "flower/flower_r1c3.png",
    ] {
        drop_path(&mut h, &images.join(file));
    }
    shift_drop(&mut h, &b);
    h.get_by_label("▶ Send the Test tab's request to both")
        .click();
    h.step();
    settle(&mut h);
    let compare = &h.state().loaded.as_ref().unwrap().panels.compare;
    let both = compare.answers.as_ref().unwrap().as_ref().unwrap();
    let rows = |v: &serde_json::Value| -> Vec<Vec<f64>> {
        let v = v.get("probabilities").unwrap_or(v);
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r.as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_f64().unwrap())
                    .collect()
            })
            .collect()
    };
    let (x, y) = (
        rows(both.a.result.as_ref().unwrap()),
        rows(both.b.result.as_ref().unwrap()),
    );
    assert_eq!((x.len(), y.len()), (4, 4));
    let top = |r: &[f64]| usize::from(r[1] > r[0]);
    let agree = x.iter().zip(&y).filter(|(p, q)| top(p) == top(q)).count();
    // Two classes: the ranking changes exactly where the top class does.
    let changes = 4 - agree;
    let gap = x
        .iter()
        .flatten()
        .zip(y.iter().flatten())
        .map(|(p, q)| (p - q).abs())
        .fold(0.0, f64::max);
    assert!(gap > 0.01, "the refit answers differently: {x:?} {y:?}");
    let line = format!(
        "top-1 agrees on {agree} of 4 rows, ranks change in {changes}; 8 of 8 values differ, max abs difference {}",
        mlmodel_inspector::text::short_number(gap)
    );
    assert_eq!(
        h.query_all_by_label_contains(&line).count(),
        1,
        "said once, rounded: {line} ({x:?} {y:?})"
    );
    // Where the largest gap is, and each side's top class, by the model's class names.
    assert!(shows(&h, " (class "), "a class named");
    let names = ["china", "flower"];
    let top_a = names[top(&x[0])];
    assert!(
        shows(&h, &format!("top class {top_a} (class {}", top(&x[0]))),
        "A's top class by name"
    );
    assert!(
        shows(&h, "(at row ") && names.iter().any(|c| shows(&h, &format!(", {c} (class "))),
        "the place of the largest gap by class name"
    );
    assert!(shows(&h, "A · in-process on onnxruntime"));
    assert!(shows(&h, "B · in-process on onnxruntime"));
}

/// A request that B's signature refuses (B requires a fifth column; both are skops models on
/// MLflow's scoring server): the tab says so before B's server starts, asks only about A (in
/// the Test tab's words for a model with no code of its own), shows the send's time, stages
/// and Cancel; Cancel stops it and leaves the tab usable; "Send to B anyway" gets B's own
/// server's refusal, which says what the check said.
#[test]
fn the_compare_tab_does_not_start_b_for_a_request_b_refuses() {
    let pair = crate::common::repo("tests/fixtures/diff/extra_column");
    let (a, b) = (pair.join("a"), pair.join("b"));
    let mut settings = Settings::default();
    settings.backend.python = Some(crate::common::venv_python());
    let mut h = app_with(Some(a.clone()), settings);
    tab(&mut h, "Test");
    h.get_by_label("MLflow scoring server (local Python)")
        .click();
    h.run_steps(2);
    shift_drop(&mut h, &b);
    h.get_by_label("▶ Send the Test tab's request to both")
        .click();
    h.step();
    settle(&mut h);
    // Only A is asked about: B will not be sent anything. A skops model builds a type
    // outside the safe list: never "no code of its own".
    assert!(shows(&h, "Run this model's code?"));
    assert!(shows(&h, "A: MLflow's scoring server for"));
    assert!(
        !shows(&h, "B: MLflow's scoring server for"),
        "B is not asked"
    );
    assert!(
        shows(
            &h,
            "Loading runs code outside the safe list, which can do anything your account can."
        ),
        "the Test tab's wording for a skops model"
    );
    assert!(!shows(&h, "no code of its own"));
    h.run_steps(2);
    h.get_by_label("Run it").click();
    // Under way: the time, each side's stage, and Cancel.
    let mut seen = false;
    for _ in 0..200 {
        h.step();
        if shows(&h, "Sending to both…") && shows(&h, "A: MLflow's scoring server:") {
            seen = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(seen, "the send's stage is shown");
    assert!(shows(&h, "B: not asked (it would refuse the request)"));
    h.get_by_label("Cancel").click();
    h.step();
    settle(&mut h);
    let compare = &h.state().loaded.as_ref().unwrap().panels.compare;
    assert!(compare.answering.is_none(), "the send stopped");
    // Sent again, to the end: A answers; B's side says why it was not sent.
    h.get_by_label("▶ Send the Test tab's request to both")
        .click();
    h.step();
    settle(&mut h);
    let compare = &h.state().loaded.as_ref().unwrap().panels.compare;
    let both = compare.answers.as_ref().unwrap().as_ref().unwrap();
    assert!(both.a.result.is_ok(), "{:?}", both.a.result);
    let refusal = both.b.result.as_ref().unwrap_err().clone();
    assert!(
        refusal.starts_with("Not sent: B would refuse it, as MLflow's scoring server would:"),
        "{refusal}"
    );
    assert!(shows(&h, "Not sent: B would refuse it"));
    assert!(
        !h.state()
            .settings
            .trusted_models
            .iter()
            .any(|t| t.folder == std::path::absolute(&b).unwrap()),
        "B was never asked about"
    );
    // Sent to B anyway: B's own server refuses it, in the words the check used.
    h.get_by_label("Send to B anyway").scroll_to_me();
    h.run_steps(3);
    h.get_by_label("Send to B anyway").click();
    h.step();
    settle(&mut h);
    assert!(shows(&h, "B: MLflow's scoring server for"));
    h.run_steps(2);
    h.get_by_label("Run it").click();
    h.step();
    settle(&mut h);
    let compare = &h.state().loaded.as_ref().unwrap().panels.compare;
    let both = compare.answers.as_ref().unwrap().as_ref().unwrap();
    let served = both.b.result.as_ref().unwrap_err();
    let said = refusal
        .split("would: ")
        .nth(1)
        .unwrap()
        .split(": ")
        .nth(1)
        .unwrap()
        .rsplit_once(" [")
        .unwrap()
        .0;
    assert!(said.contains("sepal_ratio"), "{said}");
    assert!(
        served.contains(said),
        "B's server: {served}; the check: {said}"
    );
}

#[test]
fn every_public_mlmodel_opens_and_each_of_its_tabs_draws() {
    // The MLmodel files from public repositories (tests/fixtures/public/): each opens in the
    // window with its name in the header and the files it names but lacks listed as warnings,
    // and every tab it has draws. Files named MLmodel there that are none are refused with the
    // file named, and the window stays usable.
    let root = crate::common::repo("tests/fixtures/public");
    let mut models: Vec<PathBuf> = std::fs::read_dir(root.join("models"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    models.sort();
    assert!(models.len() >= 30);
    for model in &models {
        let name = model.file_name().unwrap().to_string_lossy().to_string();
        let mut h = app_with(Some(model.clone()), Settings::default());
        assert!(
            h.state().loaded.is_some() && shows(&h, &name),
            "{name}: opened, named in the header"
        );
        let card = h.state().loaded.as_ref().unwrap().card.clone();
        for tab in Tab::ALL {
            let title = tab.title();
            // Graph is shown for ONNX models only, Compare while one is open.
            let Some(node) = h.query_all_by_label(title).next() else {
                continue;
            };
            node.click();
            h.run_steps(3);
            assert!(h.state().loaded.is_some(), "{name}: {title}");
            // Something only this tab draws, read from the card.
            let drawn = tab_text(&card, tab);
            if let Some(text) = drawn {
                assert!(shows(&h, &text), "{name}: the {title} tab shows {text:?}");
            }
        }
    }
    for bad in ["SmartPracticeschool", "arpitdhn1998", "gauri-singhal4"] {
        let folder = std::fs::read_dir(root.join("bad"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(bad))
            .unwrap();
        // At the smallest size: the long message wraps beside Dismiss, which stays inside.
        let h = app_at([900.0, 600.0], Some(folder.clone()), Settings::default());
        assert!(h.state().loaded.is_none(), "{bad}");
        let dismiss = h.get_by_label("Dismiss").rect();
        assert!(
            dismiss.right() <= 900.0,
            "{bad}: Dismiss cut at {dismiss:?}"
        );
        let file = folder.join("MLmodel").display().to_string();
        assert!(shows(&h, &file), "{bad}: the error names {file}");
        assert!(
            shows(&h, "not an MLmodel file") || shows(&h, "is not a text file"),
            "{bad}: says what is wrong"
        );
        assert!(shows(&h, "Open model folder…"), "{bad}: still usable");
    }
}

/// A text only `tab` draws for `card`: a flavor's first setting, the inputs' heading, an
/// environment file's name, the example's absence, the file list's MLmodel, the Test and
/// Evaluate tabs' headings.
fn tab_text(card: &mlmodel_inspector::model::ModelCard, tab: Tab) -> Option<String> {
    match tab {
        Tab::Flavors => card
            .mlmodel
            .flavors
            .values()
            .find_map(|v| v.as_object().and_then(|m| m.keys().next().cloned())),
        Tab::Signature => Some(match &card.signature {
            mlmodel_inspector::model::signature::SignatureState::Absent => {
                "This model was saved without a signature.".into()
            }
            mlmodel_inspector::model::signature::SignatureState::Invalid { .. } => {
                "MLflow would refuse to load this signature".into()
            }
            mlmodel_inspector::model::signature::SignatureState::Valid(sig) => {
                match sig.inputs.as_ref() {
                    Some(inputs) => format!("Inputs  ({} ", inputs.specs.len()),
                    None => "No inputs schema.".into(),
                }
            }
        }),
        Tab::Environment => {
            let env = &card.environment;
            let files = [
                env.conda.as_ref().map(|f| f.file.clone()),
                env.python_env.as_ref().map(|f| f.file.clone()),
                env.requirements.as_ref().map(|f| f.file.clone()),
            ];
            Some(
                files
                    .into_iter()
                    .flatten()
                    .next()
                    .unwrap_or_else(|| "The model has no environment files.".into()),
            )
        }
        Tab::Example => card.input_example.is_none().then(|| {
            "The model was saved without an input example. The Test tab builds inputs from the signature.".into()
        }),
        Tab::Artifacts => Some("MLmodel".into()),
        Tab::Test => Some("Predict".into()),
        Tab::Evaluate => Some("Dataset".into()),
        Tab::Graph | Tab::Compare => None,
    }
}

/// The window on the fixture `model` with `backend` chosen on the Test tab, showing the
/// Evaluate tab.
fn evaluate_through(
    model_name: &str,
    settings: Settings,
    backend: mlmodel_inspector::ui::predict_panel::BackendKind,
) -> Harness<'static, InspectorApp> {
    let mut h = app_with(Some(model(model_name)), settings);
    tab(&mut h, "Test");
    h.state_mut()
        .loaded
        .as_mut()
        .unwrap()
        .panels
        .predict
        .backend = backend;
    h.run_steps(2);
    tab(&mut h, "Evaluate");
    h
}

/// More labels than a matrix can show (600 distinct true labels, each predicted as one of
/// iris's classes through tract): the Evaluate tab lists the cells that are not zero instead of
/// a 600 x 600 matrix, says so, and a listed cell shows its items.
#[test]
fn the_evaluate_tab_lists_the_cells_of_a_matrix_too_large_to_draw() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("many.csv");
    let mut text = String::from("a,b,c,d,label\n");
    for i in 0..600 {
        text.push_str(&format!("5.1,3.5,1.4,0.2,class{i:03}\n"));
    }
    std::fs::write(&csv, text).unwrap();
    let mut h = evaluate_through(
        "onnx_sklearn_zipmap",
        Settings::default(),
        mlmodel_inspector::ui::predict_panel::BackendKind::Onnx,
    );
    drop_path(&mut h, &csv);
    settle(&mut h);
    h.get_by_label("▶ Evaluate").click();
    h.step();
    settle(&mut h);
    assert!(shows(&h, "600 predicted, 0 failed"));
    // 600 true labels and the one class every row is predicted as.
    assert!(
        shows(
            &h,
            "601 classes are too many to draw as a matrix: 200 of its 600 cells that are not zero, mistakes first, largest first."
        ),
        "the cells are listed instead of a matrix"
    );
    h.query_all_by_label_contains("1 item  class000 predicted as")
        .next()
        .expect("the first label's cell is listed")
        .click();
    h.run_steps(3);
    assert!(
        shows(&h, "1 item labelled class000 and predicted"),
        "the cell's items are listed, counted in words"
    );
    assert!(shows(&h, "line 2"), "its row");
}

/// A Parquet file dropped on the Evaluate tab (as people keep tables in a lake) while it
/// predicts here: named as Parquet, with the choice that reads it (Spark), and the tab stays
/// usable (a CSV dropped next is planned).
#[test]
fn the_evaluate_tab_names_a_parquet_file_and_the_choice_that_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let parquet = dir.path().join("iris.parquet");
    std::fs::write(&parquet, b"PAR1\x15\x04\x15\x10PAR1").unwrap();
    let mut h = evaluate_through(
        "onnx_sklearn_zipmap",
        Settings::default(),
        mlmodel_inspector::ui::predict_panel::BackendKind::Onnx,
    );
    drop_path(&mut h, &parquet);
    settle(&mut h);
    let said = format!(
        "{}: a Parquet table, read by Spark: choose “on Spark” below, or save it as CSV or JSON lines",
        parquet.display()
    );
    assert!(
        h.query_all_by_label_contains(&said).next().is_some(),
        "{said}"
    );
    let csv = dir.path().join("iris.csv");
    std::fs::write(&csv, "a,b,c,d,label\n5.1,3.5,1.4,0.2,0\n").unwrap();
    drop_path(&mut h, &csv);
    settle(&mut h);
    assert!(h.query_all_by_label_contains(&said).next().is_none());
    assert!(
        h.query_all_by_label_contains("1 rows of iris.csv")
            .next()
            .is_some()
    );
}

/// The bundled example (classes building and landscape, from the labels file beside it) on a
/// folder whose classes are china and flower: the plan says that none matches before anything
/// runs, and Evaluate asks first; Cancel runs nothing, "Evaluate anyway" runs.
#[test]
fn the_evaluate_tab_asks_before_a_dataset_where_no_class_matches() {
    let mut h = app_with(
        Some(crate::common::repo("assets/example-model")),
        Settings::default(),
    );
    tab(&mut h, "Evaluate");
    drop_path(&mut h, &crate::common::repo("tests/fixtures/eval/images"));
    assert!(shows(
        &h,
        "⚠ None of the 2 class folders is one of the model's classes (building, landscape, from"
    ));
    assert!(shows(&h, "): china, flower; their items count as mistakes"));
    h.get_by_label("▶ Evaluate").click();
    h.run_steps(3);
    assert!(
        shows(&h, "so every item would count as a mistake"),
        "asked first"
    );
    h.get_by_label("Cancel").click();
    h.run_steps(3);
    settle(&mut h);
    let view = &h.state().loaded.as_ref().unwrap().panels.eval;
    assert!(
        view.result.is_none() && view.running.is_none(),
        "nothing ran"
    );
    assert!(!shows(&h, "so every item would count as a mistake"));
    h.get_by_label("▶ Evaluate").click();
    h.run_steps(3);
    h.get_by_label("Evaluate anyway").click();
    h.step();
    settle(&mut h);
    assert!(shows(&h, "accuracy 0.0000"), "it ran when asked to");
}

/// An endpoint that stops answering, on the Evaluate tab: the run stops after three requests
/// in a row with no answer in time (not every item waiting the timeout), says why in the
/// window's own words, and keeps the metrics of what was done.
#[test]
fn the_evaluate_tab_stops_when_the_endpoint_stops_answering() {
    use std::io::{BufReader, Write};
    // Answers the first two requests as iris classes, then takes requests and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/invocations", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut served = 0;
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            while let Some(body) = crate::common::read_http_request(&mut reader) {
                served += 1;
                if served > 2 {
                    let held = stream.try_clone();
                    std::thread::spawn(move || {
                        let _held = held;
                        std::thread::sleep(std::time::Duration::from_secs(600));
                    });
                    break;
                }
                let answer = format!(
                    "{{\"predictions\": {:?}}}",
                    vec![0; crate::common::rows_of(&body)]
                );
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{answer}",
                    answer.len()
                );
            }
        }
    });
    let mut settings = Settings {
        endpoint_url: url,
        ..Settings::default()
    };
    settings.backend.timeout_s = 1;
    let mut h = evaluate_through(
        "sklearn_iris_class_names",
        settings,
        mlmodel_inspector::ui::predict_panel::BackendKind::Url,
    );
    // Iris ten times over: six batches of 256 rows.
    let iris =
        std::fs::read_to_string(crate::common::repo("tests/fixtures/eval/iris.csv")).unwrap();
    let (header, rows) = iris.split_once('\n').unwrap();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("iris10.csv");
    std::fs::write(&csv, format!("{header}\n{}", rows.repeat(10))).unwrap();
    drop_path(&mut h, &csv);
    settle(&mut h);
    let started = std::time::Instant::now();
    h.get_by_label("▶ Evaluate").click();
    h.step();
    settle(&mut h);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "hang guard: {:?}",
        started.elapsed()
    );
    assert!(
        shows(
            &h,
            "The run stopped: 3 requests in a row got no answer in time"
        ),
        "the reason, in the window"
    );
    assert!(
        shows(&h, "raise the timeout in the backend settings"),
        "the window's own setting is named"
    );
    assert!(
        shows(&h, "The metrics are of the items done."),
        "what was done is kept"
    );
}
