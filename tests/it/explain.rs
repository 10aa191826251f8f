//! `explain` (issue 43, first slice: tables): Shapley values of one row from predict calls
//! alone, held to shap 0.51.0's `shap.explainers.Exact` (recorded by
//! tests/fixtures/explain/make_explain.py, re-checked by the test command) through MLflow's
//! scoring server, to a linear model's closed form through tract and ONNX Runtime (no Python
//! reference), and to a model with a known answer.

use std::process::Command;

use serde_json::Value;

use crate::common::{repo, venv_python};

/// `explain` with these arguments: exit code, stdout, stderr.
fn explain(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mlmodel-inspector"))
        .arg("explain")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn fixture(rel: &str) -> String {
    repo(&format!("tests/fixtures/explain/{rel}"))
        .to_string_lossy()
        .into_owned()
}

/// Each feature's contribution by name.
fn contributions(doc: &Value) -> std::collections::BTreeMap<String, f64> {
    doc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap().to_string(),
                f["contribution"].as_f64().unwrap(),
            )
        })
        .collect()
}

/// A CSV's rows as numbers (the header skipped).
fn csv_rows(rel: &str) -> Vec<Vec<f64>> {
    std::fs::read_to_string(repo(&format!("tests/fixtures/explain/{rel}")))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(|c| c.parse().unwrap()).collect())
        .collect()
}

#[test]
fn a_nonlinear_models_values_are_shaps_exact_ones_through_mlflows_scoring_server() {
    let reference: Value = serde_json::from_str(
        &std::fs::read_to_string(repo("tests/fixtures/explain/shap_reference.json")).unwrap(),
    )
    .unwrap();
    let names: Vec<&str> = reference["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let python = venv_python();
    for row in [0usize, 2] {
        let (code, out, err) = explain(&[
            &fixture("gbr_diabetes"),
            "--csv",
            &fixture("rows.csv"),
            "--row",
            &row.to_string(),
            "--background",
            &fixture("background.csv"),
            "--backend",
            "local",
            "--python",
            python.to_str().unwrap(),
            "--json",
        ]);
        assert_eq!(code, 0, "{err}");
        let doc: Value = serde_json::from_str(&out).unwrap();
        let want = &reference["rows"][row];
        let ours = contributions(&doc);
        for (j, name) in names.iter().enumerate() {
            let theirs = want["values"][j].as_f64().unwrap();
            let got = ours[*name];
            assert!(
                (got - theirs).abs() <= 1e-9,
                "row {row} {name}: ours {got}, shap's {theirs}"
            );
        }
        for key in ["base_value", "prediction"] {
            let (got, theirs) = (doc[key].as_f64().unwrap(), want[key].as_f64().unwrap());
            assert!((got - theirs).abs() <= 1e-9, "{key}: {got} {theirs}");
        }
        assert!(doc["additivity_error"].as_f64().unwrap().abs() < 1e-9);
        assert_eq!(doc["method"], "exact");
        // 2^10 coalitions over 20 background rows, and the row itself.
        assert_eq!(doc["rows_predicted"], 1024 * 20 + 1);
        assert_eq!(doc["explained"], "the predicted value");
        // Sorted by importance, largest first.
        let importances: Vec<f64> = doc["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["importance"].as_f64().unwrap())
            .collect();
        assert!(
            importances.windows(2).all(|w| w[0] >= w[1]),
            "{importances:?}"
        );
    }
}

/// φⱼ = wⱼ(xⱼ − the background's mean of j) for a linear model, with its weights from
/// coefficients.json: no Python reference, and no Python at all through tract.
#[test]
fn a_linear_models_values_are_its_weights_times_the_distance_from_the_background_mean() {
    let coefficients: Value = serde_json::from_str(
        &std::fs::read_to_string(repo("tests/fixtures/explain/linear_onnx/coefficients.json"))
            .unwrap(),
    )
    .unwrap();
    let w: Vec<f64> = coefficients["weights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let background = csv_rows("background.csv");
    let rows = csv_rows("rows.csv");
    let names = [
        "age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6",
    ];
    let python = venv_python();
    for backend in ["onnx", "onnxruntime"] {
        let (code, out, err) = explain(&[
            &fixture("linear_onnx"),
            "--csv",
            &fixture("rows.csv"),
            "--row",
            "1",
            "--background",
            &fixture("background.csv"),
            "--backend",
            backend,
            "--python",
            python.to_str().unwrap(),
            "--json",
        ]);
        assert_eq!(code, 0, "{backend}: {err}");
        let doc: Value = serde_json::from_str(&out).unwrap();
        let ours = contributions(&doc);
        for (j, name) in names.iter().enumerate() {
            let mean = background.iter().map(|r| r[j]).sum::<f64>() / background.len() as f64;
            let want = w[j] * (rows[1][j] - mean);
            // The graph computes in float32.
            assert!(
                (ours[*name] - want).abs() <= 1e-3,
                "{backend} {name}: ours {}, w·(x − mean) {want}",
                ours[*name]
            );
        }
        assert!(doc["additivity_error"].as_f64().unwrap().abs() < 1e-6);
    }
}

/// A model whose answer is 3*c: c first with 3(c − the background's mean of c), a and b at 0,
/// through MLflow's scoring server; and a classifier's top class named.
#[test]
fn a_known_answer_ranks_its_one_feature_first_and_a_classifier_explains_its_top_class() {
    let python = venv_python();
    let (code, out, err) = explain(&[
        &fixture("triple_c"),
        "--csv",
        &fixture("abc.csv"),
        "--row",
        "4",
        // A cloudpickled PythonModel, ours: its scan calls it dangerous.
        "--trust-model",
        "--backend",
        "local",
        "--python",
        python.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["features"][0]["name"], "c", "{doc}");
    let ours = contributions(&doc);
    // abc.csv's c: 0.5, 1.5, 2.5, -1, 4; the row is the last (c = 4), the background all five.
    let mean_c = (0.5 + 1.5 + 2.5 - 1.0 + 4.0) / 5.0;
    assert!((ours["c"] - 3.0 * (4.0 - mean_c)).abs() < 1e-12, "{ours:?}");
    assert_eq!(ours["a"], 0.0);
    assert_eq!(ours["b"], 0.0);
    assert_eq!(doc["background_rows"], 5);

    let (code, out, err) = explain(&[
        repo("tests/fixtures/models/sklearn_iris_class_names")
            .to_str()
            .unwrap(),
        "--csv",
        repo("tests/fixtures/eval/iris.csv").to_str().unwrap(),
        "--row",
        "60",
        "--background-rows",
        "70",
        "--backend",
        "local",
        "--python",
        python.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    // It answers class indices, and names its classes: what is explained is "is it this
    // class", 1 or 0, said so.
    assert!(
        out.starts_with("Whether the answer is versicolor (1) (1 or 0: the model answers classes, not scores) of line 62: 1 "),
        "{out}"
    );
    assert!(out.contains("exact, from every coalition; 70 background rows; 1121 rows predicted through MLflow (local)"), "{out}");
    assert!(
        out.contains("(off by "),
        "the additivity check is shown: {out}"
    );
}

#[test]
fn bad_arguments_and_a_failing_backend_are_said_clearly() {
    // A row past the end.
    let (code, _, err) = explain(&[
        &fixture("linear_onnx"),
        "--csv",
        &fixture("rows.csv"),
        "--row",
        "7",
        "--backend",
        "onnx",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("--row 7: "), "{err}");
    assert!(err.contains("rows.csv has 3 rows"), "{err}");
    // A table for an image model.
    let (code, _, err) = explain(&[
        repo("assets/example-model").to_str().unwrap(),
        "--csv",
        &fixture("rows.csv"),
        "--backend",
        "onnx",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("rows.csv"), "the file named: {err}");
    // A class the model does not have.
    let (code, _, err) = explain(&[
        &fixture("linear_onnx"),
        "--csv",
        &fixture("rows.csv"),
        "--class",
        "3",
        "--backend",
        "onnx",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--class: the model answers one number a row"),
        "{err}"
    );
    // A background row MLflow would refuse (iris.csv's line 76 has "wide" for a width): named
    // before anything is sent, so no server is started (there is no such Python).
    let (code, _, err) = explain(&[
        repo("tests/fixtures/models/sklearn_iris_class_names")
            .to_str()
            .unwrap(),
        "--csv",
        repo("tests/fixtures/eval/iris.csv").to_str().unwrap(),
        "--background-rows",
        "150",
        "--backend",
        "local",
        "--python",
        "/nonexistent/python3",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("iris.csv line 76: MLflow would refuse it: Invalid input. Data is not compatible with model signature. Failed to convert column sepal_width to type 'float64'"),
        "{err}"
    );
    // Nobody at the endpoint: the failure named, with how far it got.
    let (code, _, err) = explain(&[
        &fixture("linear_onnx"),
        "--csv",
        &fixture("rows.csv"),
        "--backend",
        "http://127.0.0.1:9/invocations",
        "--timeout",
        "5",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("(after 0 rows were predicted)"), "{err}");
}

/// The occlusion reference (tests/fixtures/explain/occlusion_reference.py: numpy and
/// onnxruntime, Captum's window arithmetic) for one case.
fn occlusion_case(i: usize) -> Value {
    let record: Value = serde_json::from_str(
        &std::fs::read_to_string(repo("tests/fixtures/explain/occlusion_reference.json")).unwrap(),
    )
    .unwrap();
    record["cases"][i].clone()
}

/// `explain --image` of a reference case through `backend`: the JSON document.
fn occlude(case: &Value, backend: &str, extra: &[&str]) -> Value {
    let python = venv_python();
    let window = case["window"].to_string();
    let stride = case["stride"].to_string();
    let model = repo(case["model"].as_str().unwrap());
    let image = fixture(case["image"].as_str().unwrap());
    let mut args = vec![
        model.to_str().unwrap(),
        "--image",
        &image,
        "--window",
        &window,
        "--stride",
        &stride,
        "--backend",
        backend,
        "--python",
        python.to_str().unwrap(),
        "--json",
    ];
    args.extend_from_slice(extra);
    let (code, out, err) = explain(&args);
    assert_eq!(code, 0, "{backend}: {err}");
    serde_json::from_str(&out).unwrap()
}

/// The largest difference between two grids of the same shape.
fn grid_gap(a: &Value, b: &Value) -> f64 {
    let (a, b) = (a.as_array().unwrap(), b.as_array().unwrap());
    assert_eq!(a.len(), b.len(), "rows");
    a.iter()
        .zip(b)
        .flat_map(|(ra, rb)| {
            let (ra, rb) = (ra.as_array().unwrap(), rb.as_array().unwrap());
            assert_eq!(ra.len(), rb.len(), "columns");
            ra.iter()
                .zip(rb)
                .map(|(x, y)| (x.as_f64().unwrap() - y.as_f64().unwrap()).abs())
                .collect::<Vec<_>>()
        })
        .fold(0.0, f64::max)
}

#[test]
fn an_images_occlusion_map_is_the_numpy_references_through_onnx_runtime_and_tract() {
    let case = occlusion_case(0);
    for (backend, tolerance) in [("onnxruntime", 1e-5), ("onnx", 1e-5)] {
        let doc = occlude(&case, backend, &[]);
        assert_eq!(doc["class"], case["class"], "{backend}");
        assert!((doc["score"].as_f64().unwrap() - case["score"].as_f64().unwrap()).abs() < 1e-6);
        let gap = grid_gap(&doc["grid"], &case["grid"]);
        assert!(gap <= tolerance, "{backend}: the grids differ by {gap}");
        assert_eq!(
            doc["grid"].as_array().unwrap().len(),
            15,
            "a 300-pixel image in 20-pixel cells"
        );
        // 14 x 14 positions of a 40-pixel window every 20 pixels, and the image itself.
        assert_eq!(doc["rows_predicted"], 14 * 14 + 1);
    }
}

/// A model whose score is the top-left quadrant's brightness: occluding anything else changes
/// nothing, so at least 80% of the map's mass is there; the same map in-process (tract) and
/// through MLflow's scoring server, at the default 8x8 grid there.
#[test]
fn a_model_that_reads_only_the_top_left_quadrant_puts_the_maps_mass_there() {
    let case = occlusion_case(1);
    let doc = occlude(&case, "onnx", &[]);
    assert!(grid_gap(&doc["grid"], &case["grid"]) <= 1e-5);
    let mass = |grid: &Value, cells: usize| -> (f64, f64) {
        let mut inside = 0.0;
        let mut all = 0.0;
        for (r, row) in grid.as_array().unwrap().iter().enumerate() {
            for (c, v) in row.as_array().unwrap().iter().enumerate() {
                let v = v.as_f64().unwrap().max(0.0);
                all += v;
                if r < cells && c < cells {
                    inside += v;
                }
            }
        }
        (inside, all)
    };
    // 8-pixel cells: the quadrant is the first 4 x 4.
    let (inside, all) = mass(&doc["grid"], 4);
    assert!(inside >= 0.8 * all, "{inside} of {all}");
    let python = venv_python();
    let (code, out, err) = explain(&[
        repo("tests/fixtures/explain/quadrant_onnx")
            .to_str()
            .unwrap(),
        "--image",
        &fixture("noise_64.png"),
        "--backend",
        "local",
        "--python",
        python.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let served: Value = serde_json::from_str(&out).unwrap();
    // Through a server: 8 positions a side (8-pixel windows every 8 pixels), 65 images.
    assert_eq!(served["rows_predicted"], 65, "{served}");
    assert_eq!(served["grid"].as_array().unwrap().len(), 8);
    let (inside, all) = mass(&served["grid"], 4);
    assert!(inside >= 0.8 * all, "{inside} of {all}");
    // The same numbers in-process at the same windows.
    let local = occlude(
        &serde_json::json!({
            "model": "tests/fixtures/explain/quadrant_onnx",
            "image": "noise_64.png",
            "window": 8,
            "stride": 8,
        }),
        "onnx",
        &[],
    );
    assert!(grid_gap(&served["grid"], &local["grid"]) <= 1e-5);
}

#[test]
fn an_image_for_a_table_model_is_refused_clearly() {
    let (code, _, err) = explain(&[
        &fixture("linear_onnx"),
        "--image",
        &fixture("noise_64.png"),
        "--backend",
        "onnx",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("noise_64.png: the model's signature has no image-shaped tensor input"),
        "{err}"
    );
    // A window every pixel of a 300x300 image: 89,401 positions, refused before anything runs.
    let (code, _, err) = explain(&[
        repo("assets/example-model").to_str().unwrap(),
        "--image",
        &fixture("china_300.png"),
        "--window",
        "2",
        "--stride",
        "1",
        "--backend",
        "onnx",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(
            "is 89401 positions on a 300x300 image, more than 50000: give a larger --stride"
        ),
        "{err}"
    );
}

/// MLflow's scoring server started by hand for `model` on a free port, as a user's running
/// endpoint; stopped when dropped.
pub(crate) struct Serving {
    child: std::process::Child,
    pub(crate) url: String,
}

impl Serving {
    pub(crate) fn start(model: &std::path::Path) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // MLflow runs uvicorn by name: the venv's bin first on PATH, as an activated venv has.
        let python = venv_python();
        let bin = python.parent().unwrap().to_path_buf();
        let path = format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let child = Command::new(&python)
            .args([
                "-m",
                "mlflow",
                "models",
                "serve",
                "--env-manager",
                "local",
                "--host",
                "127.0.0.1",
            ])
            .env("PATH", path)
            .arg("-m")
            .arg(model)
            .arg("-p")
            .arg(port.to_string())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let url = format!("http://127.0.0.1:{port}");
        let started = std::time::Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed().as_secs() < 120,
                "the scoring server did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        Serving { child, url }
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An endpoint URL with four requests in flight gives shap's numbers too (the answers put back
/// in order), and an image's map through it at the default grid for a server.
#[test]
fn an_endpoint_with_concurrency_gives_the_same_numbers() {
    let reference: Value = serde_json::from_str(
        &std::fs::read_to_string(repo("tests/fixtures/explain/shap_reference.json")).unwrap(),
    )
    .unwrap();
    let serving = Serving::start(&repo("tests/fixtures/explain/gbr_diabetes"));
    let (code, out, err) = explain(&[
        &fixture("gbr_diabetes"),
        "--csv",
        &fixture("rows.csv"),
        "--row",
        "1",
        "--background",
        &fixture("background.csv"),
        "--backend",
        &serving.url,
        "--concurrency",
        "4",
        "--batch",
        "64",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    let ours = contributions(&doc);
    for (j, name) in reference["features"].as_array().unwrap().iter().enumerate() {
        let theirs = reference["rows"][1]["values"][j].as_f64().unwrap();
        let got = ours[name.as_str().unwrap()];
        assert!(
            (got - theirs).abs() <= 1e-9,
            "{name}: ours {got}, shap's {theirs}"
        );
    }
    assert_eq!(doc["rows_predicted"], 1024 * 20 + 1);
    drop(serving);
    let serving = Serving::start(&repo("tests/fixtures/explain/quadrant_onnx"));
    let (code, out, err) = explain(&[
        repo("tests/fixtures/explain/quadrant_onnx")
            .to_str()
            .unwrap(),
        "--image",
        &fixture("noise_64.png"),
        "--backend",
        &serving.url,
        "--concurrency",
        "3",
        "--batch",
        "4",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let served: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(served["rows_predicted"], 65);
    let local = occlude(
        &serde_json::json!({
            "model": "tests/fixtures/explain/quadrant_onnx",
            "image": "noise_64.png",
            "window": 8,
            "stride": 8,
        }),
        "onnx",
        &[],
    );
    assert!(grid_gap(&served["grid"], &local["grid"]) <= 1e-5);
}

/// Past 10 features the values are sampled (permutations, each with its reverse, seeded): for a
/// linear model every permutation gives w_j (x_j − mean_j), so the sample is exact, its bound
/// about zero, and the same seed gives the same numbers.
#[test]
fn past_ten_features_sampled_permutations_give_a_linear_models_values_with_a_bound() {
    let rows = csv_rows("wide.csv");
    let run = || {
        let (code, out, err) = explain(&[
            &fixture("linear12_onnx"),
            "--csv",
            &fixture("wide.csv"),
            "--row",
            "3",
            "--backend",
            "onnx",
            "--permutations",
            "8",
            "--seed",
            "3",
            "--json",
        ]);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str::<Value>(&out).unwrap()
    };
    let doc = run();
    assert_eq!(doc["method"], "sampled permutations");
    assert_eq!(doc["permutations"], 8);
    assert_eq!(doc["seed"], 3);
    assert!(doc["error_bound"].as_f64().unwrap() < 1e-4, "{doc}");
    // 8 walks of 13 coalitions over the 30 rows (the whole table is the background), and the row.
    assert_eq!(doc["rows_predicted"], 8 * 13 * 30 + 1);
    let ours = contributions(&doc);
    for j in 0..12 {
        let w = ((j + 1) as f64) * if j % 2 == 0 { 1.0 } else { -1.0 };
        let mean = rows.iter().map(|r| r[j]).sum::<f64>() / rows.len() as f64;
        let want = w * (rows[3][j] - mean);
        let got = ours[&format!("f{j}")];
        assert!((got - want).abs() < 1e-3, "f{j}: {got} against {want}");
    }
    assert_eq!(
        run()["features"],
        doc["features"],
        "the same seed, the same numbers"
    );
}
