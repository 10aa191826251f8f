//! Item 4 of BENCHMARKS.md, interleaved: our URL backend (request built once, body serialised,
//! answer read and parsed as the app does) against a bare keep-alive ureq POST of the same
//! bytes, alternating call by call on the same running MLflow scoring server, so that the
//! server's own drift falls on both alike. The server is `MLMODEL_INSPECTOR_BENCH_URL`
//! (`scripts/bench.sh` starts one for the sklearn iris fixture); without it nothing is measured.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use mlmodel_inspector::input::build::{InputSource, build_request};
use mlmodel_inspector::input::request::BodyFormat;
use mlmodel_inspector::model;
use mlmodel_inspector::predict::{BackendChoice, BackendSettings, Runner};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn main() {
    let Ok(url) = std::env::var("MLMODEL_INSPECTOR_BENCH_URL") else {
        eprintln!("http_overhead: MLMODEL_INSPECTOR_BENCH_URL is not set: nothing measured");
        return;
    };
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(1000);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let card = model::open(&root.join("tests/fixtures/models/sklearn_iris")).expect("opens");
    let body = build_request(&card, &InputSource::Example, None, None).expect("a request");
    let text = body.to_json_string(BodyFormat::Mlflow);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let invocations = format!("{url}/invocations");
    let bare = || {
        agent
            .post(&invocations)
            .header("Content-Type", "application/json")
            .send(text.as_bytes())
            .expect("answers")
            .body_mut()
            .read_to_string()
            .expect("a body")
    };
    let mut runner = Runner::new(Arc::new(card));
    let choice = BackendChoice::Url(url);
    let settings = BackendSettings::default();
    let cancel = AtomicBool::new(false);
    let mut ours = || {
        runner
            .predict(&choice, &settings, &body, &cancel)
            .expect("answers")
    };
    for _ in 0..20 {
        bare();
        ours();
    }
    let (mut b, mut o) = (Vec::new(), Vec::new());
    for i in 0..rounds {
        // Alternate which goes first, so neither always follows the other.
        let mut time_bare = || {
            let t = Instant::now();
            bare();
            b.push(t.elapsed().as_secs_f64() * 1e3);
        };
        if i % 2 == 0 {
            time_bare();
            let t = Instant::now();
            ours();
            o.push(t.elapsed().as_secs_f64() * 1e3);
        } else {
            let t = Instant::now();
            ours();
            o.push(t.elapsed().as_secs_f64() * 1e3);
            time_bare();
        }
    }
    let (mb, mo) = (median(b), median(o));
    println!(
        "http_overhead: {rounds} interleaved calls each: bare ureq keep-alive median {mb:.3} ms; inspector URL backend median {mo:.3} ms; overhead {:+.1}%",
        (mo / mb - 1.0) * 100.0
    );
}
