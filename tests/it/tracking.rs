//! Models on a real MLflow tracking server (pinned pip mlflow, sqlite store, proxied local
//! artifact store), logged and registered with MLflow's own client, opened by every URI form.
//! The card must equal the card of the same model opened as a folder, and predict must work.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::common::{model, repo, tracking_server};
use mlmodel_inspector::input::build::{InputSource, build_request};
use mlmodel_inspector::model::{self, ModelCard, json::card_to_json};
use mlmodel_inspector::predict::{BackendChoice, BackendSettings, Reply, Runner};
use mlmodel_inspector::source::{ModelUri, Progress, RemoteModel, SourceError, Tracking};
use serde_json::Value;

fn tracking() -> Tracking {
    Tracking::new(&tracking_server().url, None, None).unwrap()
}

/// Opens a URI into a fresh cache with nothing but the card's files fetched.
fn open_remote(uri: &str, cache: &Path) -> (RemoteModel, ModelCard) {
    let remote = RemoteModel::open_with(
        &tracking(),
        &ModelUri::parse(uri).unwrap(),
        &Progress::default(),
        0,
        cache,
    )
    .unwrap_or_else(|e| panic!("{uri}: {e}"));
    let mut card = model::open(&remote.dir).unwrap();
    card.source = Some(uri.to_string());
    (remote, card)
}

/// The card as JSON without the paths and the display name (a remote card is named by its URI
/// and lives in the cache; everything read from the model must be the same).
fn comparable(card: &ModelCard) -> Value {
    let mut v = card_to_json(card);
    if let Some(o) = v.as_object_mut() {
        o.remove("path");
        o.remove("model_dir");
        o.remove("name");
    }
    v
}

#[test]
fn every_uri_form_opens_the_card_of_the_same_folder() {
    let server = tracking_server();
    let ids = &server.ids;
    let run = ids["folder_run"].as_str().unwrap();
    let proxied = ids["folder_artifact_uri"].as_str().unwrap();
    let logged_id = ids["logged_model_id"].as_str().unwrap();
    let logged_run = ids["logged_run"].as_str().unwrap();
    let cache = server.scratch.join("cache-forms");
    // The committed fixture, logged as a run's artifacts and registered.
    let folder = comparable(&model::open(&model("sklearn_iris")).unwrap());
    for uri in [
        "models:/iris-folder/1".to_string(),
        "models:/iris-folder@champion".to_string(),
        "models:/iris-folder/latest".to_string(),
        "models:/iris-folder/Staging".to_string(),
        "models:/iris-folder/staging".to_string(),
        format!("runs:/{run}/model"),
        format!("{proxied}/model"),
    ] {
        let (remote, card) = open_remote(&uri, &cache);
        assert_eq!(comparable(&card), folder, "{uri}");
        assert_eq!(card.display_name(), uri);
        assert!(
            remote.missing_bytes() > 0,
            "{uri}: the pickle waits until needed"
        );
    }
    // A model logged by mlflow.sklearn.log_model (an MLflow 3 logged model): the card equals
    // the one of the folder MLflow itself downloaded.
    let downloaded =
        comparable(&model::open(Path::new(ids["logged_download"].as_str().unwrap())).unwrap());
    for uri in [
        format!("models:/{logged_id}"),
        format!("runs:/{logged_run}/clf"),
        "models:/iris-logged/1".to_string(),
    ] {
        let (_, card) = open_remote(&uri, &cache);
        assert_eq!(comparable(&card), downloaded, "{uri}");
    }
    // The registry line says which version an alias or `latest` meant.
    let (remote, _) = open_remote("models:/iris-folder/latest", &cache);
    assert!(
        remote
            .registry
            .as_deref()
            .unwrap()
            .starts_with("iris-folder version 2"),
        "{:?}",
        remote.registry
    );
    let (remote, _) = open_remote("models:/iris-folder@champion", &cache);
    assert!(
        remote
            .registry
            .as_deref()
            .unwrap()
            .starts_with("iris-folder version 1 (@champion)")
    );
    // A stage (case-insensitive, as MLflow reads it) names the version in that stage.
    let (remote, _) = open_remote("models:/iris-folder/Staging", &cache);
    let line = remote.registry.as_deref().unwrap();
    assert!(line.starts_with("iris-folder version 1"), "{line}");
    assert!(line.contains("Staging"), "{line}");
}

/// The cached remote model opened again (what its state file records as fetched).
fn reopen(cache: &Path, uri: &str) -> RemoteModel {
    RemoteModel::open_with(
        &tracking(),
        &ModelUri::parse(uri).unwrap(),
        &Progress::default(),
        0,
        cache,
    )
    .unwrap()
}

#[test]
fn the_cache_is_reused_and_files_come_when_predict_needs_them() {
    let server = tracking_server();
    let cache = server.scratch.join("cache-reuse");
    let uri = "models:/example-onnx/1";
    let (remote, card) = open_remote(uri, &cache);
    assert!(
        remote.is_placeholder("model.onnx"),
        "weights are not fetched to show the card"
    );
    let data_file = example_data_file();
    assert!(remote.is_placeholder(&data_file));
    let remote_dir = remote.dir.clone();
    let weights = remote.dir.join("model.onnx");
    assert_eq!(
        std::fs::metadata(&weights).unwrap().len(),
        std::fs::metadata(repo("assets/example-model/model.onnx"))
            .unwrap()
            .len(),
        "the placeholder has the real size"
    );
    // Predict natively: the weights are fetched first, and the answer is the local folder's.
    let body = build_request(
        &card,
        &InputSource::Images(vec![repo("assets/sample-china.jpg")]),
        None,
        None,
    )
    .unwrap();
    let cancel = AtomicBool::new(false);
    let mut runner = Runner::new(Arc::new(card));
    runner.set_remote(remote);
    let remote_answer = runner
        .predict(
            &BackendChoice::Onnx,
            &BackendSettings::default(),
            &body,
            &cancel,
        )
        .unwrap();
    assert_eq!(
        std::fs::read(&weights).unwrap(),
        std::fs::read(repo("assets/example-model/model.onnx")).unwrap()
    );
    // The weights saved beside model.onnx (MLflow's default external data) are not named in
    // MLmodel: model.onnx names them, and they came with it.
    assert!(!reopen(&cache, uri).is_placeholder(&data_file));
    assert_eq!(
        std::fs::read(remote_dir.join(&data_file)).unwrap(),
        std::fs::read(repo("assets/example-model").join(&data_file)).unwrap()
    );
    let local = Arc::new(model::open(&repo("assets/example-model")).unwrap());
    let local_answer = Runner::new(local)
        .predict(
            &BackendChoice::Onnx,
            &BackendSettings::default(),
            &body,
            &cancel,
        )
        .unwrap();
    match (&remote_answer.reply, &local_answer.reply) {
        (Reply::Predictions { value: a, .. }, Reply::Predictions { value: b, .. }) => {
            assert_eq!(a, b)
        }
        other => panic!("{other:?}"),
    }
    // Open again: nothing is downloaded twice.
    let progress = Progress::default();
    let again = RemoteModel::open_with(
        &tracking(),
        &ModelUri::parse(uri).unwrap(),
        &progress,
        0,
        &cache,
    )
    .unwrap();
    assert_eq!(
        progress.done.load(Ordering::Relaxed),
        0,
        "everything came from the cache"
    );
    assert!(!again.is_placeholder("model.onnx"));
    assert_eq!(again.missing_bytes(), 0);
}

#[test]
fn a_registered_pyfunc_model_predicts_through_mlflow() {
    let server = tracking_server();
    let cache = server.scratch.join("cache-local");
    let (remote, card) = open_remote("models:/iris-logged/1", &cache);
    let body = build_request(&card, &InputSource::Example, None, None).unwrap();
    let mut runner = Runner::new(Arc::new(card));
    runner.set_remote(remote);
    let settings = BackendSettings {
        python: Some(crate::common::venv_python()),
        ..BackendSettings::default()
    };
    let outcome = runner
        .predict(
            &BackendChoice::Local,
            &settings,
            &body,
            &AtomicBool::new(false),
        )
        .unwrap_or_else(|e| panic!("{e}\n{}", runner.log().tail(30)));
    match outcome.reply {
        Reply::Predictions { value, .. } => assert_eq!(value, serde_json::json!([0, 0])),
        other => panic!("{other:?}"),
    }
}

#[test]
fn server_errors_are_said_clearly() {
    let server = tracking_server();
    let cache = server.scratch.join("cache-errors");
    let open = |t: &Tracking, uri: &str| {
        RemoteModel::open_with(
            t,
            &ModelUri::parse(uri).unwrap(),
            &Progress::default(),
            0,
            &cache,
        )
    };
    match open(&tracking(), "models:/nope/1") {
        Err(e @ SourceError::NotFound { .. }) => {
            assert!(
                e.to_string()
                    .ends_with("not found: Model Version (name=nope, version=1) not found"),
                "{e}"
            )
        }
        other => panic!("{other:?}"),
    }
    // MLflow answers an unknown alias with 400 INVALID_PARAMETER_VALUE.
    match open(&tracking(), "models:/iris-folder@nobody") {
        Err(e @ SourceError::Http { .. }) => assert!(
            e.to_string().ends_with(
                "HTTP 400 INVALID_PARAMETER_VALUE: Registered model alias nobody not found."
            ),
            "{e}"
        ),
        other => panic!("{other:?}"),
    }
    // Nothing listening.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    match open(
        &Tracking::new(&dead, None, None).unwrap(),
        "models:/iris-folder/1",
    ) {
        Err(e @ SourceError::Connection { .. }) => {
            assert!(e.to_string().contains("connection refused"), "{e}")
        }
        other => panic!("{other:?}"),
    }
    // TLS spoken to a plain-HTTP server.
    let tls = server.url.replace("http://", "https://");
    match open(
        &Tracking::new(&tls, None, None).unwrap(),
        "models:/iris-folder/1",
    ) {
        Err(e @ SourceError::Connection { .. }) => assert!(
            e.to_string().contains("TLS") || e.to_string().contains("tls"),
            "{e}"
        ),
        other => panic!("{other:?}"),
    }
    // A server that wants credentials.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let guarded = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let body =
                r#"{"error_code": "UNAUTHENTICATED", "message": "You are not authenticated."}"#;
            let _ = write!(
                s,
                "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    match open(
        &Tracking::new(&guarded, Some("wrong-token"), None).unwrap(),
        "models:/iris-folder/1",
    ) {
        Err(e @ SourceError::Auth { .. }) => {
            let m = e.to_string();
            assert!(
                m.contains("HTTP 401") && m.contains("MLFLOW_TRACKING_TOKEN"),
                "{m}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        Tracking::new("ftp://x", None, None),
        Err(SourceError::BadTrackingUri(_))
    ));
}

/// The command line with its own cache (`cache` under the server's scratch folder) and the
/// server as MLFLOW_TRACKING_URI: exit code, stdout, stderr.
fn cli(
    server: &crate::common::TrackingServer,
    cache: &str,
    args: &[&str],
) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mlmodel-inspector"))
        .args(args)
        .env("XDG_CACHE_HOME", server.scratch.join(cache))
        .env("MLFLOW_TRACKING_URI", &server.url)
        .env_remove("MLFLOW_TRACKING_TOKEN")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_command_line_shows_and_predicts_by_uri() {
    let server = tracking_server();
    let run = |args: &[&str]| cli(server, "cache-cli", args);
    let (code, out, err) = run(&["show", "models:/iris-folder@champion", "--json"]);
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["source"]["uri"], "models:/iris-folder@champion");
    assert_eq!(doc["source"]["tracking_uri"], server.url.as_str());
    let local = card_to_json(&model::open(&model("sklearn_iris")).unwrap());
    assert_eq!(doc["signature"], local["signature"]);
    assert_eq!(doc["flavors"], local["flavors"]);
    let (code, out, err) = run(&[
        "predict",
        "models:/example-onnx/1",
        "--tracking-uri",
        &server.url,
        "--image",
        repo("assets/sample-china.jpg").to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("{\"predictions\":{\"probabilities\":[[0.5396"),
        "{out}"
    );
    let (code, _, err) = run(&["show", "models:/iris-folder/9"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("not found: Model Version (name=iris-folder, version=9) not found"),
        "{err}"
    );
}

/// Steps the window until its background work is done (opening, listing, downloading).
#[cfg(feature = "gui")]
fn settle(h: &mut egui_kittest::Harness<'static, mlmodel_inspector::ui::InspectorApp>) {
    let start = std::time::Instant::now();
    while start.elapsed() < std::time::Duration::from_secs(300) {
        h.step();
        if !h.state().is_busy() && h.state().opening.is_none() {
            h.run_steps(4);
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("the app stayed busy for 5 minutes");
}

/// The Graph of a model on a tracking server: reading it fetches `model.onnx` (a placeholder
/// until then) and not the weights MLflow saved beside it as external data, which the facts
/// (and so the Graph tab) say are still on the server.
#[test]
fn a_remote_graph_fetches_its_onnx_file_and_leaves_the_weights_on_the_server() {
    let server = tracking_server();
    let (mut remote, card) = open_remote(
        "models:/example-onnx/1",
        &server.scratch.join("cache-graph"),
    );
    let data_file = example_data_file();
    assert!(remote.is_placeholder("model.onnx"));
    let report = mlmodel_inspector::session::read_graph(
        &card,
        Some(&mut remote),
        None,
        &Default::default(),
        &AtomicBool::new(false),
    )
    .unwrap();
    assert!(report.mismatches.is_empty(), "{:?}", report.mismatches);
    assert!(
        !remote.is_placeholder("model.onnx"),
        "fetched for the graph"
    );
    assert!(
        remote.is_placeholder(&data_file),
        "the weights stay on the server"
    );
    let ext = &report.facts.external_data;
    assert_eq!(ext.len(), 1);
    assert_eq!(ext[0].file, data_file);
    assert!(ext[0].on_server);
    assert_eq!(
        ext[0].state_text(),
        "on the tracking server (fetched for a predict)"
    );
}

/// The bundled example's weights file (ONNX external data, as MLflow saves it by default).
fn example_data_file() -> String {
    std::fs::read_dir(repo("assets/example-model"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.ends_with(".data"))
        .expect("the example keeps its weights as ONNX external data")
}

/// Opening a registered ONNX model in the window reads no graph: the Graph tab reads it when
/// it is first shown.
#[cfg(feature = "gui")]
#[test]
fn the_window_reads_a_remote_models_graph_only_when_its_tab_is_shown() {
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable as _;
    use mlmodel_inspector::ui::InspectorApp;
    use mlmodel_inspector::ui::graph_panel::GraphStatus;
    use mlmodel_inspector::ui::settings::Settings;

    let server = tracking_server();
    let settings = Settings {
        tracking_uri: server.url.clone(),
        ..Settings::default()
    };
    let uri = std::path::PathBuf::from("models:/example-onnx/1");
    let mut h = Harness::builder()
        .with_size([1280.0, 900.0])
        .build_eframe(move |cc| InspectorApp::with_settings(&cc.egui_ctx, settings, Some(uri)));
    settle(&mut h);
    let loaded = h.state().loaded.as_ref().expect("the model opened");
    assert!(loaded.remote.is_some(), "from the tracking server");
    assert!(
        matches!(loaded.panels.graph.status, GraphStatus::NotRead),
        "opening reads no graph"
    );
    h.get_by_label("Graph").click();
    h.step();
    settle(&mut h);
    let shown = |text: &str| h.query_all_by_label_contains(text).next().is_some();
    assert!(shown(
        "✔ The MLflow signature matches the graph's inputs and outputs."
    ));
    // Files up to 1 MiB come with the card: this model's 2.4 KB of weights are here already.
    assert!(shown(&format!(
        "External data {}: 2.4 KB",
        example_data_file()
    )));
}

#[cfg(feature = "gui")]
#[test]
fn the_window_browses_the_registry_and_opens_a_version() {
    use egui_kittest::Harness;
    use egui_kittest::kittest::{NodeT as _, Queryable as _};
    use mlmodel_inspector::ui::InspectorApp;
    use mlmodel_inspector::ui::settings::Settings;

    let server = tracking_server();
    let mut h = Harness::builder()
        .with_size([1280.0, 900.0])
        .build_eframe(move |cc| {
            InspectorApp::with_settings(&cc.egui_ctx, Settings::default(), None)
        });
    settle(&mut h);
    // The top bar's button (the welcome screen has one too).
    h.query_all_by_label("Open from tracking server…")
        .next()
        .unwrap()
        .click();
    h.step();
    settle(&mut h);
    // No server typed (and none in the environment): Browse waits and says why, in the
    // window's words.
    if std::env::var_os("MLFLOW_TRACKING_URI").is_none() {
        assert!(h.get_by_label("Browse").accesskit_node().is_disabled());
        assert!(
            h.query_all_by_label_contains("Type the tracking server's URL first")
                .next()
                .is_some()
        );
    }
    h.state_mut().settings.tracking_uri = server.url.clone();
    h.run_steps(2);
    assert!(!h.get_by_label("Browse").accesskit_node().is_disabled());
    h.get_by_label("Browse").click();
    h.step();
    settle(&mut h);
    // The registry, with aliases.
    assert!(
        h.query_all_by_label_contains("iris-folder")
            .next()
            .is_some()
    );
    assert!(
        h.query_all_by_label_contains("@champion = v1")
            .next()
            .is_some()
    );
    h.query_all_by_label_contains("iris-folder")
        .next()
        .unwrap()
        .click();
    h.step();
    settle(&mut h);
    // Its versions, newest first: open version 1.
    assert!(h.query_all_by_label("Source run").next().is_some());
    h.query_all_by_label("Open").last().unwrap().click();
    h.step();
    settle(&mut h);
    let loaded = h.state().loaded.as_ref().expect("the model opened");
    assert_eq!(loaded.card.source.as_deref(), Some("models:/iris-folder/1"));
    assert!(loaded.remote.is_some());
    assert!(
        h.query_all_by_label_contains("iris-folder version 1 (@champion)")
            .next()
            .is_some()
    );
    assert!(
        h.query_all_by_label_contains("sklearn · scikit-learn 1.9.1")
            .next()
            .is_some()
    );
    // It is remembered with the recent models, by URI.
    assert_eq!(
        h.state()
            .settings
            .recent
            .first()
            .map(|p| p.display().to_string()),
        Some("models:/iris-folder/1".into())
    );
    // Another version beside it: Compare… → Registry version… → Compare on the newest.
    h.get_by_label("Compare…").click();
    h.run_steps(2);
    h.get_by_label("Registry version…").click();
    h.step();
    settle(&mut h);
    if h.query_all_by_label("Compare").next().is_none() {
        h.query_all_by_label_contains("iris-folder")
            .last()
            .unwrap()
            .click();
        h.step();
        settle(&mut h);
    }
    h.query_all_by_label("Compare").next().unwrap().click();
    h.step();
    settle(&mut h);
    let compare = &h.state().loaded.as_ref().unwrap().panels.compare;
    let b = compare.b.as_ref().expect("B opened");
    let uri = b.card.source.clone().unwrap();
    assert!(uri.starts_with("models:/iris-folder/"), "{uri}");
    assert_ne!(uri, "models:/iris-folder/1");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mlmodel-inspector"))
        .args([
            "diff",
            "models:/iris-folder/1",
            &uri,
            "--json",
            "--tracking-uri",
        ])
        .arg(&server.url)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let verdict = if doc["compatible"] == true {
        "✔ Drop-in"
    } else {
        "✖ Breaking"
    };
    assert!(
        h.query_all_by_label_contains(verdict).next().is_some(),
        "{doc:#}"
    );
    assert!(
        h.query_all_by_label_contains(&uri).next().is_some(),
        "B's source in the header"
    );
}

/// A model on a tracking server whose files are not all here when it opens (a 2 MiB file
/// stays on the server) is not run unread: Predict on MLflow's scoring server first fetches its
/// files and scans them, then asks, listing what loading each would import.
#[cfg(feature = "gui")]
#[test]
fn the_window_fetches_and_scans_a_remote_model_before_asking_to_run_it() {
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable as _;
    use mlmodel_inspector::ui::InspectorApp;
    use mlmodel_inspector::ui::settings::Settings;

    let server = tracking_server();
    let mut settings = Settings {
        tracking_uri: server.url.clone(),
        ..Settings::default()
    };
    settings.backend.python = Some("/nonexistent/python3".into());
    let uri = std::path::PathBuf::from("models:/iris-heavy/1");
    let mut h = Harness::builder()
        .with_size([1280.0, 900.0])
        .build_eframe(move |cc| InspectorApp::with_settings(&cc.egui_ctx, settings, Some(uri)));
    settle(&mut h);
    let shown = |h: &Harness<'static, InspectorApp>, text: &str| {
        h.query_all_by_label_contains(text).next().is_some()
    };
    {
        let loaded = h.state().loaded.as_ref().expect("the model opened");
        assert!(
            loaded.remote.as_ref().unwrap().lacks(None),
            "weights.bin is still on the server"
        );
    }
    h.get_by_label("Test").click();
    h.run_steps(3);
    settle(&mut h);
    {
        let test = &mut h.state_mut().loaded.as_mut().unwrap().panels.test;
        test.source = mlmodel_inspector::ui::test_panel::SourceKind::Json;
        test.json_text = r#"{"inputs": [[5.1, 3.5, 1.4, 0.2]]}"#.into();
    }
    h.run_steps(2);
    h.get_by_label("▶ Predict").click();
    h.step();
    // The fetch and the scan start a frame after the click: the window's own settle waits
    // until a few frames start nothing new.
    crate::gui::settle(&mut h);
    let loaded = h.state().loaded.as_ref().unwrap();
    assert!(
        !loaded.remote.as_ref().unwrap().lacks(None),
        "every file fetched"
    );
    assert!(shown(&h, "Run this model's code?"));
    assert!(shown(
        &h,
        "sklearn.linear_model._logistic.LogisticRegression"
    ));
    assert!(shown(&h, "weights.bin") || shown(&h, "other files read to the end"));
    assert!(!shown(&h, "is not known"), "the files were read");
}

/// `scan` of a model on a tracking server fetches every file first (a 2 MiB file is not
/// fetched with the card), then reads them all; `predict` on MLflow's scoring server refuses a
/// registered model whose scan finds something dangerous, naming it, before anything runs.
#[test]
fn scan_and_predict_by_uri_read_every_file_of_a_registered_model() {
    let server = tracking_server();
    let run = |args: &[&str]| cli(server, "cache-scan", args);
    let (code, out, err) = run(&[
        "scan",
        "models:/iris-heavy/1",
        "--tracking-uri",
        &server.url,
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["verdict"], "unknown", "{doc}");
    let files = doc["files"].as_array().unwrap();
    let weights = files.iter().find(|f| f["path"] == "weights.bin").unwrap();
    assert_eq!(weights["complete"], true, "fetched and read: {weights}");
    let pkl = files.iter().find(|f| f["path"] == "model.pkl").unwrap();
    assert!(
        pkl["imports"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["name"] == "LogisticRegression"),
        "{pkl}"
    );
    let (code, _, err) = run(&[
        "scan",
        "models:/hostile-pickles/1",
        "--tracking-uri",
        &server.url,
    ]);
    assert_eq!(code, 1, "dangerous: {err}");
    let request = server.scratch.join("hostile-request.json");
    std::fs::write(&request, r#"{"inputs": [1]}"#).unwrap();
    let (code, _, err) = run(&[
        "predict",
        "models:/hostile-pickles/1",
        "--tracking-uri",
        &server.url,
        "--backend",
        "local",
        "--input",
        request.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("refused: "), "{err}");
    assert!(
        err.contains(" in bad_crc.pt"),
        "the finding and its file: {err}"
    );
    assert!(err.contains("Pass --trust-model to run it anyway"), "{err}");
    // No payload ran (each would create /tmp/mlmodel-inspector-scan-marker-NAME).
    let markers: Vec<_> = std::fs::read_dir("/tmp")
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("mlmodel-inspector-scan-marker-")
        })
        .collect();
    assert!(markers.is_empty(), "{markers:?}");
}

/// `eval --engine spark` of a registered model (issue 45): its files are fetched into the
/// cache and Spark loads that folder; the numbers are those of the same model's folder through
/// MLflow's scoring server (iris's 149 good rows, its class indices named by a labels file).
#[test]
fn a_registered_model_is_evaluated_on_spark_from_its_fetched_folder() {
    let server = tracking_server();
    let dir = tempfile::tempdir().unwrap();
    let source = std::fs::read_to_string(repo("tests/fixtures/eval/iris.csv")).unwrap();
    let good: Vec<&str> = source
        .lines()
        .enumerate()
        .filter(|(i, l)| *i == 0 || l.split(',').take(4).all(|c| c.parse::<f64>().is_ok()))
        .map(|(_, l)| l)
        .collect();
    assert_eq!(good.len(), 150);
    let table = dir.path().join("iris.csv");
    std::fs::write(&table, good.join("\n") + "\n").unwrap();
    let labels = dir.path().join("labels.txt");
    std::fs::write(&labels, "setosa\nversicolor\nvirginica\n").unwrap();
    let python = crate::common::venv_python();
    let common = [
        "--csv",
        table.to_str().unwrap(),
        "--label",
        "species",
        "--labels",
        labels.to_str().unwrap(),
        "--python",
        python.to_str().unwrap(),
        "--trust-model",
        "--json",
    ];
    let folder = model("sklearn_iris");
    let mut args = vec!["eval", folder.to_str().unwrap(), "--backend", "local"];
    args.extend_from_slice(&common);
    let (code, out, err) = cli(server, "cache-spark", &args);
    assert_eq!(code, 0, "{err}");
    let local: Value = serde_json::from_str(&out).unwrap();
    let mut args = vec![
        "eval",
        "models:/iris-folder@champion",
        "--engine",
        "spark",
        "--master",
        "local[2]",
    ];
    args.extend_from_slice(&common);
    let preds = dir.path().join("preds.csv");
    args.extend_from_slice(&["--out", preds.to_str().unwrap()]);
    let (code, out, err) = cli(server, "cache-spark", &args);
    assert_eq!(code, 0, "{err}");
    // The job loaded the cache's folder, every file of it fetched.
    let job: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("preds.spark/job.json")).unwrap(),
    )
    .unwrap();
    let loaded = Path::new(job["model"].as_str().unwrap());
    assert!(
        loaded.starts_with(server.scratch.join("cache-spark")),
        "{job}"
    );
    assert!(loaded.join("model.skops").metadata().unwrap().len() > 1000);
    let spark: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(spark["engine"], "spark");
    for key in [
        "n",
        "failed",
        "metrics",
        "confusion_matrix",
        "per_class",
        "mistakes",
    ] {
        assert_eq!(spark[key], local[key], "{key}: {err}");
    }
    assert_eq!(spark["n"], 149);

    // A model whose files are not all here when it opens (a 2 MiB file past what comes with
    // the card; with --trust-model nothing scans it first): fetched whole before the job.
    let cache = server
        .scratch
        .join("cache-spark-heavy/mlmodel-inspector/remote");
    let mut args = vec![
        "eval",
        "models:/iris-heavy/1",
        "--engine",
        "spark",
        "--master",
        "local[2]",
    ];
    args.extend_from_slice(&common);
    let (code, out, err) = cli(server, "cache-spark-heavy", &args);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("eval on Spark: fetching models:/iris-heavy/1 (2.1 MB)"),
        "{err}"
    );
    assert!(!reopen(&cache, "models:/iris-heavy/1").lacks(None));
    let heavy: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(heavy["n"], 149, "{err}");
}
