//! The library paths the app takes, timed (issue 7): opening a model folder until the card is
//! ready, an image file to the signature's uint8 [1, 300, 300, 3] tensor, and a warm native
//! ONNX predict of the bundled example, and a JSON request file read typed or as JSON values
//! (issue 15). `scripts/bench.sh` runs these beside MLflow's own Python
//! path and writes the ratios; `cargo bench --bench inspector` runs them alone.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use mlmodel_inspector::input::build::{InputSource, build_request, image_inputs};
use mlmodel_inspector::input::image::{ImageOptions, ImageTarget, decode, images_to_tensor};
use mlmodel_inspector::input::request::{BodyFormat, Request};
use mlmodel_inspector::input::validate::{Model, validate};
use mlmodel_inspector::model;
use mlmodel_inspector::predict::onnx::OnnxBackend;

fn main() {
    divan::main();
}

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A 12-megapixel JPEG (4000 x 3000), made once from the sample photo.
fn big_jpeg() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let path = std::env::temp_dir().join("mlmodel-inspector-bench-12mp.jpg");
        if !path.is_file() {
            let photo = image::open(repo("assets/sample-china.jpg")).expect("the sample photo");
            photo
                .resize_exact(4000, 3000, image::imageops::FilterType::Triangle)
                .to_rgb8()
                .save(&path)
                .expect("write the 12 MP JPEG");
        }
        path
    })
}

/// The bundled example, its image input and the options the Test tab starts with.
fn example_target() -> (model::ModelCard, ImageTarget, ImageOptions) {
    let card = model::open(&repo("assets/example-model")).expect("opens");
    let (_, target) = image_inputs(&card)
        .into_iter()
        .next()
        .expect("an image input");
    let options = ImageOptions::for_target(&target);
    (card, target, options)
}

mod open {
    use super::*;

    #[divan::bench]
    fn bundled_onnx_example() -> model::ModelCard {
        model::open(&repo("assets/example-model")).expect("opens")
    }

    #[divan::bench]
    fn sklearn_with_example() -> model::ModelCard {
        model::open(&repo("tests/fixtures/models/sklearn_iris")).expect("opens")
    }

    /// A copy of the bundled example in a temporary folder.
    fn example_copy() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("a temporary folder");
        for entry in std::fs::read_dir(repo("assets/example-model")).expect("the example") {
            let entry = entry.expect("an entry");
            std::fs::copy(entry.path(), dir.path().join(entry.file_name())).expect("copied");
        }
        dir
    }

    /// Flat in the weights: a real ONNX model (y = x · W) whose weights are 1 KB or 1 GB,
    /// written inline in its model.onnx. Opening reads the MLmodel and the small files, never
    /// the weights.
    #[divan::bench(args = [1_000u64, 1_000_000_000])]
    fn real_model_with_weights_of_bytes(bencher: divan::Bencher, bytes: u64) {
        let dir = super::large_model::matmul_model(bytes);
        bencher.bench(|| model::open(dir).expect("opens"));
    }

    /// The example beside an artifact tree of 10,000 files (100 folders of 100), listed whole.
    #[divan::bench(sample_count = 20)]
    fn example_with_10000_artifact_files(bencher: divan::Bencher) {
        let dir = example_copy();
        for d in 0..100 {
            let sub = dir.path().join("artifacts").join(format!("part-{d:03}"));
            std::fs::create_dir_all(&sub).expect("a folder");
            for f in 0..100 {
                std::fs::write(sub.join(format!("shard-{f:03}.bin")), b"x").expect("a file");
            }
        }
        bencher.bench(|| {
            let card = model::open(dir.path()).expect("opens");
            assert!(card.artifacts.entries.len() >= 10_000);
            card
        });
    }
}

mod image_to_tensor {
    use super::*;

    fn run(bencher: divan::Bencher, path: &Path) {
        let (_, target, options) = example_target();
        bencher.bench(|| {
            let decoded = decode(path).expect("decodes");
            images_to_tensor(std::slice::from_ref(&decoded), &target, &options).expect("a tensor")
        });
    }

    #[divan::bench]
    fn small_jpeg_640x427(bencher: divan::Bencher) {
        run(bencher, &repo("assets/sample-china.jpg"));
    }

    #[divan::bench(sample_count = 10)]
    fn jpeg_12_megapixel(bencher: divan::Bencher) {
        run(bencher, big_jpeg());
    }
}

mod onnx_predict {
    use super::*;

    #[divan::bench(args = [1, 32])]
    fn bundled_example_warm(bencher: divan::Bencher, batch: usize) {
        let card = model::open(&repo("assets/example-model")).expect("opens");
        let photos = vec![repo("assets/sample-china.jpg"); batch];
        let body =
            build_request(&card, &InputSource::Images(photos), None, None).expect("a request");
        let backend = OnnxBackend::load(&card).expect("loads");
        backend.predict(&body).expect("warms");
        bencher.bench(|| backend.predict(&body).expect("predicts"));
    }

    /// The same model from the uint8 tensor straight to tract's output tensors: what
    /// onnxruntime is given and gives through `mlflow.pyfunc` with numpy (no JSON either side).
    #[divan::bench(args = [1, 32])]
    fn bundled_example_tensor_in_out(bencher: divan::Bencher, batch: usize) {
        let (card, target, options) = example_target();
        let photo = decode(&repo("assets/sample-china.jpg")).expect("decodes");
        let photos = vec![photo; batch];
        let Ok(mlmodel_inspector::input::tensor::Tensor::U8(array)) =
            images_to_tensor(&photos, &target, &options)
        else {
            panic!("a uint8 tensor");
        };
        let tensor = tract_onnx::prelude::Tensor::from(array);
        let backend = OnnxBackend::load(&card).expect("loads");
        backend.run_tensors(vec![tensor.clone()]).expect("warms");
        bencher
            .with_inputs(|| vec![tensor.clone()])
            .bench_values(|feeds| backend.run_tensors(feeds).expect("runs").0);
    }
}

/// A JSON request file of the bundled example's uint8 [N, 300, 300, 3] tensor (as `--dry-run`
/// or Save writes it), read the two ways the app can: typed tensors in one pass
/// (`Request::parse`), or serde_json values walked afterwards (how every request was read before
/// issue 15, and how any body not of plain numbers still is).
mod json_request {
    use super::*;

    fn text(batch: usize) -> String {
        let card = model::open(&repo("assets/example-model")).expect("opens");
        let photos = vec![repo("assets/sample-china.jpg"); batch];
        build_request(&card, &InputSource::Images(photos), None, None)
            .expect("a request")
            .to_json_string(BodyFormat::Mlflow)
    }

    /// Text to typed tensors, checked against the signature.
    #[divan::bench(args = [1, 32])]
    fn parse_typed(bencher: divan::Bencher, batch: usize) {
        let card = model::open(&repo("assets/example-model")).expect("opens");
        let text = text(batch);
        // The request is dropped inside the timing on both sides (the app pays for it).
        bencher.bench(|| {
            let request = Request::parse(&text).expect("parses");
            assert!(matches!(request, Request::Tensors { .. }));
            assert!(validate(Model::of(&card), &request).is_ok());
        });
    }

    /// Text to serde_json values, checked by walking them (the validation walk is the one the
    /// old path took; the walk into a tract tensor came on top, in `as_values_to_answer`).
    #[divan::bench(args = [1, 32])]
    fn parse_as_values(bencher: divan::Bencher, batch: usize) {
        let card = model::open(&repo("assets/example-model")).expect("opens");
        let text = text(batch);
        bencher.bench(|| {
            let (value, _) = model::lenient_json::parse(&text).expect("parses");
            let request = Request::Json(value);
            assert!(validate(Model::of(&card), &request).is_ok());
        });
    }

    /// The whole native path from the file's text to the answer: typed.
    #[divan::bench(args = [1, 32])]
    fn typed_to_answer(bencher: divan::Bencher, batch: usize) {
        let card = model::open(&repo("assets/example-model")).expect("opens");
        let text = text(batch);
        let backend = OnnxBackend::load(&card).expect("loads");
        bencher.bench(|| {
            let request = Request::parse(&text).expect("parses");
            assert!(validate(Model::of(&card), &request).is_ok());
            backend.predict(&request).expect("predicts")
        });
    }

    /// The same through serde_json values (parse, validation walk, walk into tract's tensor).
    #[divan::bench(args = [1, 32])]
    fn as_values_to_answer(bencher: divan::Bencher, batch: usize) {
        let card = model::open(&repo("assets/example-model")).expect("opens");
        let text = text(batch);
        let backend = OnnxBackend::load(&card).expect("loads");
        bencher.bench(|| {
            let (value, _) = model::lenient_json::parse(&text).expect("parses");
            let request = Request::Json(value);
            assert!(validate(Model::of(&card), &request).is_ok());
            backend.predict(&request).expect("predicts")
        });
    }
}

/// Real ONNX models of any size, and what the app does with them whose cost might follow the
/// size of the weights: opening the window on one, and reading its graph for the Graph tab.
mod large_model {
    use super::*;
    use egui_kittest::Harness;
    use mlmodel_inspector::predict::graph::{ReadProgress, read_graph};
    use mlmodel_inspector::ui::InspectorApp;
    use mlmodel_inspector::ui::settings::Settings;
    use prost::Message as _;
    use std::sync::atomic::AtomicBool;
    use tract_onnx::pb;

    fn value(name: &str, dims: &[pb::tensor_shape_proto::dimension::Value]) -> pb::ValueInfoProto {
        use pb::tensor_shape_proto::Dimension;
        pb::ValueInfoProto {
            name: name.into(),
            r#type: Some(pb::TypeProto {
                value: Some(pb::type_proto::Value::TensorType(pb::type_proto::Tensor {
                    elem_type: 1,
                    shape: Some(pb::TensorShapeProto {
                        dim: dims
                            .iter()
                            .map(|d| Dimension {
                                value: Some(d.clone()),
                                ..Default::default()
                            })
                            .collect(),
                    }),
                })),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    /// A model folder (MLmodel with the onnx flavor and a matching signature) whose
    /// model.onnx computes y = x · W, W a float32 [n, n] of about `bytes`, inline. Written
    /// once per size under the temporary folder (not committed).
    pub fn matmul_model(bytes: u64) -> &'static Path {
        static MADE: std::sync::Mutex<Vec<(u64, &'static Path)>> =
            std::sync::Mutex::new(Vec::new());
        let mut made = MADE.lock().expect("not poisoned");
        if let Some((_, p)) = made.iter().find(|(b, _)| *b == bytes) {
            return p;
        }
        use pb::tensor_shape_proto::dimension::Value::{DimParam, DimValue};
        let n = ((bytes / 4) as f64).sqrt().max(1.0) as i64;
        let dir = std::env::temp_dir().join(format!("mlmodel-inspector-bench-matmul-{bytes}"));
        let onnx = dir.join("model.onnx");
        if !onnx.is_file() {
            std::fs::create_dir_all(&dir).expect("a folder");
            let weights = pb::TensorProto {
                name: "W".into(),
                dims: vec![n, n],
                data_type: 1,
                raw_data: (0..n * n)
                    .flat_map(|i| ((i % 1000) as f32 * 1e-6).to_le_bytes())
                    .collect(),
                ..Default::default()
            };
            let model = pb::ModelProto {
                ir_version: 8,
                producer_name: "mlmodel-inspector bench".into(),
                opset_import: vec![pb::OperatorSetIdProto {
                    domain: String::new(),
                    version: 17,
                }],
                graph: Some(pb::GraphProto {
                    name: "matmul".into(),
                    node: vec![pb::NodeProto {
                        op_type: "MatMul".into(),
                        input: vec!["x".into(), "W".into()],
                        output: vec!["y".into()],
                        ..Default::default()
                    }],
                    initializer: vec![weights],
                    input: vec![value("x", &[DimParam("batch".into()), DimValue(n)])],
                    output: vec![value("y", &[DimParam("batch".into()), DimValue(n)])],
                    ..Default::default()
                }),
                ..Default::default()
            };
            std::fs::write(&onnx, model.encode_to_vec()).expect("model.onnx written");
            let spec = |name: &str| {
                format!(
                    r#"[{{"name": "{name}", "type": "tensor", "tensor-spec": {{"dtype": "float32", "shape": [-1, {n}]}}}}]"#
                )
            };
            std::fs::write(
                dir.join("MLmodel"),
                format!(
                    "flavors:\n  onnx:\n    data: model.onnx\n    onnx_version: 1.17.0\n  python_function:\n    loader_module: mlflow.onnx\n    data: model.onnx\nsignature:\n  inputs: '{}'\n  outputs: '{}'\n",
                    spec("x"),
                    spec("y")
                ),
            )
            .expect("MLmodel written");
        }
        let leaked: &'static Path = Box::leak(dir.into_boxed_path());
        made.push((bytes, leaked));
        leaked
    }

    /// The window opened on the model until its card is drawn (the Graph tab is not shown:
    /// nothing reads the weights).
    #[divan::bench(args = [1_000u64, 1_000_000_000], sample_count = 20)]
    fn window_opens_real_model_with_weights_of_bytes(bencher: divan::Bencher, bytes: u64) {
        let dir = matmul_model(bytes).to_path_buf();
        bencher.bench(|| {
            let path = dir.clone();
            let mut h = Harness::builder()
                .with_size([1280.0, 900.0])
                .build_eframe(move |cc| {
                    InspectorApp::with_settings(&cc.egui_ctx, Settings::default(), Some(path))
                });
            while h.state().loaded.is_none() {
                h.step();
            }
            h.run_steps(2);
            h
        });
    }

    /// The Graph tab's read: the file streamed once, the weights' values skipped.
    #[divan::bench(args = [1_000u64, 1_000_000_000], sample_count = 20)]
    fn graph_of_real_model_with_weights_of_bytes(bencher: divan::Bencher, bytes: u64) {
        let dir = matmul_model(bytes);
        bencher.bench(|| {
            read_graph(
                dir,
                "model.onnx",
                &ReadProgress::default(),
                &AtomicBool::new(false),
            )
            .expect("reads")
        });
    }
}
