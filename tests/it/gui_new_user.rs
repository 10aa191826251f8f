//! The window as a new user meets it at 900x600 (issue 40). The Test tab: a table cell MLflow
//! would refuse is marked as it is typed and Predict says where; columns as wide as their
//! values; param fields that show their whole value; what answered beside what was chosen; a
//! history whose rows stay in sight; a corrupt image said once on the left and in the Predict
//! pane. Elsewhere: a graph box clicked without the drawing moving; sizes that say what they
//! count; a hex view whose text column stays in sight.

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use mlmodel_inspector::ui::InspectorApp;
use mlmodel_inspector::ui::settings::Settings;

use crate::gui::{app_at, drop_path, predict, settle, shows, tab};

/// The window at the size the issue was seen at.
const SMALL: [f32; 2] = [900.0, 600.0];

/// The left edge of the Predict half: what lies left of it is the input half.
fn predict_left(h: &Harness<'static, InspectorApp>) -> f32 {
    h.get_by_label("▶ Predict").rect().min.x
}

/// MLflow's words for `abc` in the diabetes model's `age` (a double column), as the command
/// line's check gives them for the whole request.
fn mlflow_words_for_abc_in_age() -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.json");
    std::fs::write(
        &file,
        r#"{"dataframe_split": {"columns": ["age","sex","bmi","bp","s1","s2","s3","s4","s5","s6"], "data": [["abc",0,0,0,0,0,0,0,0,0]]}}"#,
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mlmodel-inspector"))
        .arg("predict")
        .arg(crate::common::model("sklearn_diabetes"))
        .arg("--input")
        .arg(&file)
        .arg("--dry-run")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    // `error: age: <MLflow's message> [BAD_REQUEST]`
    let line = stderr
        .lines()
        .find(|l| l.starts_with("error: age: "))
        .unwrap_or_else(|| panic!("{stderr}"));
    line.trim_start_matches("error: age: ")
        .rsplit_once(" [")
        .unwrap()
        .0
        .to_string()
}

#[test]
fn a_cell_mlflow_would_refuse_is_marked_as_it_is_typed_and_predict_says_where() {
    let mut h = app_at(
        SMALL,
        Some(crate::common::model("sklearn_diabetes")),
        Settings::default(),
    );
    tab(&mut h, "Test");
    h.get_by_label("Table").click();
    h.run_steps(3);
    // Columns as wide as their values (the example's 20-digit floats), not as "age".
    let cell = h.get_by_label("age row 1").rect();
    let value = h.state().loaded.as_ref().unwrap().panels.test.grid[0][0].clone();
    assert!(value.len() >= 18, "{value}");
    assert!(
        cell.width() >= value.chars().count() as f32 * 7.0,
        "age row 1 is {} wide for {value:?}",
        cell.width()
    );
    assert!(!shows(&h, "MLflow would refuse, marked in red"));
    // The user empties the cell and types "abc".
    h.state_mut().loaded.as_mut().unwrap().panels.test.grid[0][0] = String::new();
    h.run_steps(2);
    h.get_by_label("age row 1").focus();
    h.run_steps(1);
    h.get_by_label("age row 1").type_text("abc");
    h.run_steps(3);
    let words = mlflow_words_for_abc_in_age();
    assert!(
        shows(
            &h,
            &format!(
                "✖ 1 cell MLflow would refuse, marked in red (hover one for MLflow's words). age row 1: {words}"
            )
        ),
        "marked as typed, in MLflow's words: {words}"
    );
    // Predict: nothing is sent, and its pane says why and where to look.
    predict(&mut h);
    assert!(shows(
        &h,
        &format!("Not sent: MLflow would refuse this request: age: {words}")
    ));
    assert!(shows(
        &h,
        "Every problem is listed under \"Check with MLflow's rules\" in the Test tab's input half (on the left)."
    ));
    // Fixed, the mark goes.
    h.state_mut().loaded.as_mut().unwrap().panels.test.grid[0][0] = "0.5".into();
    h.run_steps(3);
    assert!(!shows(&h, "MLflow would refuse, marked in red"));
}

#[test]
fn param_fields_are_as_wide_as_their_values() {
    let mut h = app_at(
        SMALL,
        Some(crate::common::model("pyfunc_columns_all_types")),
        Settings::default(),
    );
    tab(&mut h, "Test");
    let left = predict_left(&h);
    for name in ["since", "opts", "stop", "prefix"] {
        let field = h.get_by_role_and_label(Role::TextInput, name);
        field.scroll_to_me();
        h.run_steps(2);
        let field = h.get_by_role_and_label(Role::TextInput, name);
        let text = field.value().unwrap_or_default();
        let rect = field.rect();
        assert!(
            rect.width() >= text.chars().count() as f32 * 7.0,
            "{name}: {rect:?} for {text:?}"
        );
        assert!(rect.max.x <= left, "{name} in the input half: {rect:?}");
    }
}

/// In a process of its own: ONNX Runtime, once loaded by another test of this binary, stays
/// loaded, and the fallback to tract could not happen.
#[test]
fn the_runtime_that_answered_shows_beside_the_one_chosen_and_history_rows_stay_in_sight() {
    let name = "gui_new_user::runtime_and_history_in_a_fresh_process";
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            name,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("1 passed"), "it ran: {text}");
}

#[test]
#[ignore = "run by the test above, in a process of its own"]
fn runtime_and_history_in_a_fresh_process() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_library = dir.path().join("libonnxruntime.so");
    std::fs::write(&not_a_library, "not a library").unwrap();
    let mut settings = Settings::default();
    settings.backend.ort_lib = Some(not_a_library);
    let mut h = app_at(
        SMALL,
        Some(crate::common::repo("assets/example-model")),
        settings,
    );
    tab(&mut h, "Test");
    drop_path(&mut h, &crate::common::repo("assets/sample-china.jpg"));
    assert_eq!(
        h.state().loaded.as_ref().unwrap().panels.predict.backend,
        mlmodel_inspector::session::BackendKind::OnnxRuntime
    );
    predict(&mut h);
    assert!(
        shows(&h, "⚠ Chosen: ONNX Runtime; answered last by tract "),
        "what answered, beside the choice that still reads ONNX Runtime"
    );
    predict(&mut h);
    // Both runs' rows, their input and answer in sight in the window.
    let inputs: Vec<egui::Rect> = h
        .query_all_by_label_contains("image sample-china.jpg · #")
        .map(|n| n.rect())
        .collect();
    assert_eq!(inputs.len(), 2, "a row per run");
    for r in inputs {
        assert!(
            r.min.x >= predict_left(&h) - 1.0 && r.max.x <= SMALL[0],
            "the input column is in sight: {r:?}"
        );
    }
}

#[test]
fn a_corrupt_image_is_said_once_on_the_left_and_in_the_predict_pane() {
    let mut h = app_at(
        SMALL,
        Some(crate::common::repo("assets/example-model")),
        Settings::default(),
    );
    tab(&mut h, "Test");
    drop_path(
        &mut h,
        &crate::common::repo("tests/fixtures/eval/images/flower/broken.png"),
    );
    predict(&mut h);
    settle(&mut h);
    let left = predict_left(&h);
    let on_left = h
        .query_all_by_label_contains("cannot decode the image")
        .filter(|n| n.rect().max.x <= left)
        .count();
    assert_eq!(on_left, 1, "the decode error said once in the input half");
    assert!(
        h.query_all_by_label_contains("Not sent: the request cannot be built:")
            .any(|n| n.rect().min.x >= left - 1.0),
        "the Predict pane says why nothing was sent"
    );
}

/// A box of the graph's drawing clicked at 900x600: its details show in the place kept for
/// them, and the drawing neither moves nor zooms (each box keeps its place and size).
#[test]
fn clicking_a_graph_box_shows_its_details_without_moving_the_drawing() {
    let mut h = app_at(
        SMALL,
        Some(crate::common::repo("assets/example-model")),
        Settings::default(),
    );
    tab(&mut h, "Graph");
    settle(&mut h);
    h.get_by_label("Drawing").click();
    h.run_steps(3);
    settle(&mut h);
    let boxes = |h: &Harness<'static, InspectorApp>| -> Vec<(String, egui::Rect)> {
        let mut v: Vec<(String, egui::Rect)> = h
            .query_all_by_role(Role::GraphicsObject)
            .map(|n| (format!("{:?}", n.accesskit_node().label()), n.rect()))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    };
    let before = boxes(&h);
    assert!(before.len() >= 3, "{before:?}");
    assert!(shows(&h, "Click a box for its details."));
    // The box of the Cast node, in sight.
    let (_, cast) = before
        .iter()
        .find(|(l, r)| l.contains("Cast") && r.min.y >= 0.0 && r.max.y <= SMALL[1])
        .cloned()
        .unwrap_or_else(|| panic!("the Cast box in sight: {before:?}"));
    // A person's click at the box's middle (the pointer pressed and released there).
    h.query_all_by_role(Role::GraphicsObject)
        .find(|n| n.rect() == cast)
        .unwrap()
        .click();
    h.run_steps(3);
    assert!(shows(&h, "9 nodes in a chain"), "its details");
    assert!(!shows(&h, "Click a box for its details."));
    assert_eq!(boxes(&h), before, "every box where and as large as it was");
}

/// The header's size and the Files tab's say what each counts; at 900 px the hex view of a
/// binary file keeps its text column in sight.
#[test]
fn sizes_say_what_they_count_and_the_hex_view_fits_900_pixels() {
    let mut h = app_at(
        SMALL,
        Some(crate::common::repo("assets/example-model")),
        Settings::default(),
    );
    assert!(shows(
        &h,
        "3.2 KB (MLflow's model_size_bytes), 4.3 KB on disk"
    ));
    tab(&mut h, "Artifacts");
    settle(&mut h);
    assert!(shows(
        &h,
        "6 entries, 4.3 KB on disk in all (the folder's files)"
    ));
    h.get_by_role_and_label(Role::Button, "12ff30d2-ec60-11f1-a2fa-02fc00000001.data")
        .click();
    h.run_steps(2);
    settle(&mut h);
    assert!(shows(&h, "Binary data; its first bytes:"));
    // The dump's first line ends with its printable column, inside the window.
    let dump = h
        .query_all_by_label_contains("00000000  ")
        .next()
        .expect("the hex dump");
    let node = dump.accesskit_node();
    let first = node.label().or_else(|| node.value()).unwrap_or_default();
    let line = first.lines().next().unwrap().to_string();
    assert!(line.starts_with("00000000  "), "{line}");
    // 8 bytes a line here (16 would reach past the window), the text column after them.
    assert_eq!(line.len(), "00000000  ".len() + 8 * 3 - 1 + 2 + 8, "{line}");
    assert!(dump.rect().max.x <= SMALL[0], "{:?}", dump.rect());
}

/// A confusion-matrix cell of 16 images at 900x600: the thumbnails wrap inside the window,
/// each named right under it.
#[test]
fn a_cells_thumbnails_wrap_inside_the_window_each_named() {
    let mut h = app_at(
        SMALL,
        Some(crate::common::repo("assets/example-model")),
        Settings::default(),
    );
    tab(&mut h, "Evaluate");
    drop_path(&mut h, &crate::common::repo("tests/fixtures/eval/images"));
    h.get_by_label("▶ Evaluate").click();
    h.run_steps(3);
    h.get_by_label("Evaluate anyway").click();
    h.step();
    settle(&mut h);
    // Every item is predicted as building: china's cell holds 16.
    // Scrolled down to the matrix with the wheel, as a person does.
    h.get_by_label("Per class").hover();
    h.run_steps(1);
    for _ in 0..3 {
        h.input_mut().events.push(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Point,
            delta: egui::vec2(0.0, -120.0),
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Wheel,
            modifiers: egui::Modifiers::NONE,
        });
        h.run_steps(2);
    }
    let cell = h
        .query_all_by_role_and_label(Role::Button, "16")
        .next()
        .expect("the cell of 16")
        .rect();
    assert!(cell.max.y <= SMALL[1], "the cell in sight: {cell:?}");
    h.query_all_by_role_and_label(Role::Button, "16")
        .next()
        .unwrap()
        .click();
    h.run_steps(3);
    settle(&mut h);
    assert!(shows(&h, "16 items labelled china and predicted building"));
    let thumbs: Vec<(String, egui::Rect)> = h
        .query_all_by_label_contains("thumbnail of china/")
        .map(|n| {
            let node = n.accesskit_node();
            (node.label().unwrap_or_default(), n.rect())
        })
        .collect();
    assert_eq!(thumbs.len(), 16, "{thumbs:?}");
    for (label, rect) in &thumbs {
        assert!(
            rect.max.x <= SMALL[0],
            "{label} is cut at the window's edge: {rect:?}"
        );
        let id = label.trim_start_matches("thumbnail of ");
        let caption = mlmodel_inspector::ui::eval_panel::thumbnail_caption(id);
        assert!(
            h.query_all_by_label(&caption).any(|n| {
                let r = n.rect();
                (r.top() - rect.bottom()).abs() < 12.0 && r.left() >= rect.left() - 1.0
            }),
            "{caption} right under {id}'s thumbnail"
        );
    }
}
