//! What the model card holds for folders written by real MLflow and taken from its documentation.

use crate::common::{handmade, model, repo};
use mlmodel_inspector::model::environment::Source;
use mlmodel_inspector::model::example::{ElementKind, ExampleData};
use mlmodel_inspector::model::flavors::{FlavorView, PyFuncEnv};
use mlmodel_inspector::model::fsutil::PathStatus;
use mlmodel_inspector::model::signature::{ColType, DataType, ParamType, SignatureState, Spec};
use mlmodel_inspector::model::{self, Location};
use serde_json::json;

#[test]
fn fastai_documentation_model_reads_fully() {
    let card = model::open(&handmade("fastai_docs")).unwrap();
    assert_eq!(card.mlmodel.artifact_path.as_deref(), Some("classifier"));
    assert_eq!(
        card.mlmodel.run_id.as_deref(),
        Some("e13da8ac-b1e6-45d4-a9b2-6a0a5cfac537")
    );
    assert_eq!(
        card.mlmodel.model_uuid.as_deref(),
        Some("e694c68eba484299976b06ab9058f636")
    );
    // python_function comes first, whatever the file order.
    let names: Vec<&str> = card.flavors.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["python_function", "fastai"]);
    let fastai = card.flavor("fastai").unwrap();
    assert_eq!(fastai.view.framework_version(), Some(("fastai", "2.4.1")));
    let pyfunc = card.pyfunc().unwrap();
    assert_eq!(pyfunc.loader_module.as_deref(), Some("mlflow.fastai"));
    assert_eq!(pyfunc.python_version.as_deref(), Some("3.8.12"));
    assert_eq!(pyfunc.env, Some(PyFuncEnv::Legacy("conda.yaml".into())));
    assert_eq!(pyfunc.predict_fn, "predict");
    // The weights were never published: the file is reported missing, not invented.
    let data = fastai.files.iter().find(|f| f.key == "data").unwrap();
    assert_eq!(data.path, "model.fastai");
    assert_eq!(data.status, PathStatus::Missing);

    let sig = card.signature.valid().unwrap();
    let inputs = sig.inputs.as_ref().unwrap();
    assert!(inputs.is_tensor());
    assert_eq!(inputs.specs[0].type_label(), "uint8 [-1, 300, 300, 3]");
    assert_eq!(
        sig.outputs.as_ref().unwrap().specs[0].type_label(),
        "float32 [-1, 2]"
    );
    assert!(sig.params.is_none());

    let env = &card.environment;
    let conda = env.conda.as_ref().unwrap().parsed.as_ref().unwrap();
    assert_eq!(conda.channels, ["conda-forge"]);
    assert_eq!(conda.python.as_deref(), Some("3.8.5"));
    assert!(
        conda
            .pip
            .iter()
            .any(|d| d.line == "fastai==2.4.1" && d.source == Source::CondaPip)
    );
    assert_eq!(
        env.mismatches,
        ["python_version in MLmodel is 3.8.12, but conda.yaml pins python 3.8.5"]
    );
    assert!(
        card.warnings
            .iter()
            .any(|w| w.message.contains("removed in MLflow 3.0"))
    );
}

#[test]
fn columns_of_every_type_with_params_and_example() {
    let card = model::open(&model("pyfunc_columns_all_types")).unwrap();
    let sig = card.signature.valid().unwrap();
    let inputs = sig.inputs.as_ref().unwrap();
    assert!(!inputs.is_tensor() && inputs.has_names());
    let col = |name: &str| match inputs.specs.iter().find(|s| s.name() == Some(name)) {
        Some(Spec::Column(c)) => c.clone(),
        other => panic!("{name}: {other:?}"),
    };
    for (name, dt) in [
        ("flag", DataType::Boolean),
        ("count", DataType::Integer),
        ("id", DataType::Long),
        ("ratio", DataType::Float),
        ("score", DataType::Double),
        ("label", DataType::String),
        ("blob", DataType::Binary),
        ("when", DataType::Datetime),
    ] {
        assert_eq!(col(name).ty, ColType::Scalar(dt), "{name}");
        assert!(col(name).is_required());
    }
    assert_eq!(col("vec").ty.label(), "array<double>");
    assert_eq!(col("grid").ty.label(), "array<array<long>>");
    assert_eq!(col("obj").ty.label(), "object{a: long, b?: string}");
    assert_eq!(col("weights").ty.label(), "map<string, double>");
    assert_eq!(
        col("items").ty.label(),
        "array<object{name: string, tags: array<string>}>"
    );
    assert_eq!(col("anything").ty, ColType::Any);
    assert!(!col("anything").is_required());
    assert!(!col("note").is_required());

    let params = sig.params.as_ref().unwrap();
    let p = |name: &str| params.iter().find(|p| p.name == name).unwrap();
    assert_eq!(p("temperature").ty, ParamType::Scalar(DataType::Float));
    assert_eq!(p("temperature").default, json!(0.5));
    assert_eq!(p("max_tokens").default, json!(10));
    assert_eq!(p("stop").shape, Some(vec![-1]));
    assert_eq!(p("stop").default, json!(["a", "b"]));
    assert_eq!(p("since").default, json!("2024-01-02T03:04:05"));
    assert_eq!(p("opts").ty.label(), "object{k: string}");

    let example = card.input_example.as_ref().unwrap();
    assert!(example.info.has_params);
    assert_eq!(example.params.as_ref().unwrap()["temperature"], json!(0.2));
    // MLflow wrote a bare NaN for the missing `note`: read as null.
    assert!(example.had_non_finite);
    match example.data.as_ref().unwrap() {
        ExampleData::Dataframe {
            columns,
            rows,
            orient,
        } => {
            assert_eq!(orient, "split");
            assert_eq!(columns.as_ref().unwrap().len(), 15);
            assert_eq!(rows.len(), 2);
            assert_eq!(rows[1][14], serde_json::Value::Null);
        }
        other => panic!("{other:?}"),
    }
    let serving = example.serving_input.as_ref().unwrap().as_ref().unwrap();
    assert!(serving.get("dataframe_split").is_some());
    assert_eq!(serving["params"]["stop"], json!(["x"]));
}

#[test]
fn named_and_unnamed_tensors_with_their_examples() {
    let card = model::open(&model("pyfunc_tensors_named")).unwrap();
    let inputs = card.signature.valid().unwrap().inputs.clone().unwrap();
    let labels: Vec<(String, String)> = inputs
        .specs
        .iter()
        .map(|s| (s.name().unwrap().to_string(), s.type_label()))
        .collect();
    assert_eq!(
        labels,
        [
            ("img".into(), "float32 [-1, 2, 2]".into()),
            ("ids".into(), "int64 [-1]".into())
        ]
    );
    match card.input_example.unwrap().data.unwrap() {
        ExampleData::NamedTensors(ts) => {
            assert_eq!(ts[0].0, "img");
            assert_eq!(ts[0].1.shape, vec![1, 2, 2]);
            assert_eq!(ts[1].1.shape, vec![1]);
            assert_eq!(ts[1].1.element, ElementKind::Int);
        }
        other => panic!("{other:?}"),
    }

    let card = model::open(&model("pyfunc_tensor_unnamed")).unwrap();
    let inputs = card.signature.valid().unwrap().inputs.clone().unwrap();
    assert!(!inputs.has_names());
    assert_eq!(inputs.specs[0].type_label(), "float32 [-1, 4]");
    match card.input_example.unwrap().data.unwrap() {
        ExampleData::Tensor(t) => assert_eq!(t.shape, vec![2, 4]),
        other => panic!("{other:?}"),
    }
}

#[test]
fn sklearn_model_and_the_same_model_without_signature() {
    let card = model::open(&model("sklearn_iris")).unwrap();
    match &card.flavor("sklearn").unwrap().view {
        FlavorView::Sklearn {
            sklearn_version,
            pickled_model,
            serialization_format,
        } => {
            assert_eq!(sklearn_version.as_deref(), Some("1.9.1"));
            assert_eq!(pickled_model.as_deref(), Some("model.skops"));
            assert_eq!(serialization_format.as_deref(), Some("skops"));
        }
        other => panic!("{other:?}"),
    }
    assert!(card.warnings.is_empty(), "{:?}", card.warnings);
    let env = &card.environment;
    assert_eq!(env.python_version.as_deref(), Some("3.11.7"));
    let venv = env.python_env.as_ref().unwrap().parsed.as_ref().unwrap();
    assert_eq!(venv.python.as_deref(), Some("3.11.7"));
    // `-r requirements.txt` is followed: mlflow's own pin arrives through it.
    assert!(venv.dependencies.iter().any(|d| d.line == "mlflow==3.17.2"));
    assert!(env.mismatches.is_empty(), "{:?}", env.mismatches);
    let kinds: Vec<(&str, &str)> = card
        .artifacts
        .entries
        .iter()
        .map(|a| (a.path.as_str(), a.kind.label()))
        .collect();
    assert!(kinds.contains(&("MLmodel", "MLmodel")));
    assert!(kinds.contains(&("model.skops", "flavor payload")));
    assert!(kinds.contains(&("conda.yaml", "environment")));
    assert!(kinds.contains(&("input_example.json", "example")));

    let card = model::open(&model("no_signature")).unwrap();
    assert_eq!(card.signature, SignatureState::Absent);
    assert!(card.input_example.is_none());
}

#[test]
fn a_run_folder_opens_the_model_one_level_down() {
    let card = model::open(&model("logged_run")).unwrap();
    assert_eq!(
        card.location,
        Location::OneDown {
            subfolder: "model".into()
        }
    );
    assert!(card.root.ends_with("logged_run/model"));
    assert!(card.mlmodel.model_id.as_deref().unwrap().starts_with("m-"));
    assert_eq!(card.mlmodel.model_id, card.mlmodel.model_uuid);
    assert!(card.mlmodel.run_id.is_some());
    // Opening the MLmodel file itself works too.
    let card = model::open(&model("sklearn_iris").join("MLmodel")).unwrap();
    assert_eq!(card.location, Location::File);
}

#[test]
fn legacy_forms_are_read() {
    let card = model::open(&handmade("legacy_forms")).unwrap();
    assert_eq!(
        card.mlmodel.utc_time_created.as_deref(),
        Some("2019-06-03 17:01:22.123456")
    );
    assert!(card.mlmodel.time_created_is_legacy);
    assert_eq!(
        card.pyfunc().unwrap().env,
        Some(PyFuncEnv::Legacy("conda.yaml".into()))
    );
    assert_eq!(
        card.mlmodel.unknown["custom_team_key"],
        json!({"owner": "vision-team", "ticket": 42})
    );
    let sig = card.signature.valid().unwrap();
    let inputs = sig.inputs.as_ref().unwrap();
    // A scalar ColSpec without `required` is required; an array one is not (MLflow's None).
    assert!(inputs.specs[0].is_required());
    assert!(!inputs.specs[1].is_required());
    let alpha = &sig.params.as_ref().unwrap()[0];
    assert_eq!(
        (alpha.name.as_str(), alpha.default.clone()),
        ("alpha", json!(0.1))
    );
    // The tf-serving example is unwrapped.
    match card.input_example.unwrap().data.unwrap() {
        ExampleData::Tensor(t) => assert_eq!(t.shape, vec![2, 2]),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        card.environment.mismatches,
        ["mlflow is pinned differently: ==1.30.0 in conda.yaml, ==1.29.0 in requirements.txt"]
    );
}

#[test]
fn signatures_stored_as_yaml_lists_are_read_with_a_warning() {
    let card = model::open(&handmade("signature_yaml_list")).unwrap();
    let sig = card.signature.valid().unwrap();
    assert_eq!(sig.inputs.as_ref().unwrap().specs.len(), 2);
    assert_eq!(
        sig.outputs.as_ref().unwrap().specs[0].type_label(),
        "float32 [-1, 2]"
    );
    assert_eq!(card.warnings.len(), 2);
    assert!(
        card.warnings[0]
            .to_string()
            .starts_with("MLmodel: signature.inputs: is a YAML list")
    );
}

#[test]
fn json_object_and_sparse_examples() {
    let card = model::open(&model("pyfunc_dict_example")).unwrap();
    assert_eq!(
        card.mlmodel.metadata,
        Some(json!({"task": "demo", "owner": "tests"}))
    );
    match card.input_example.unwrap().data.unwrap() {
        ExampleData::Json(v) => assert_eq!(v["question"], "what?"),
        other => panic!("{other:?}"),
    }
    let card = model::open(&model("sklearn_sparse_example")).unwrap();
    match card.input_example.unwrap().data.unwrap() {
        ExampleData::Sparse { format, shape, nnz } => {
            assert_eq!((format.as_str(), shape, nnz), ("csr", vec![2, 4], 8));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn bundled_example_is_the_users_vision_signature() {
    let card = model::open(&repo("assets/example-model")).unwrap();
    assert!(card.warnings.is_empty(), "{:?}", card.warnings);
    let sig = card.signature.valid().unwrap();
    assert_eq!(
        sig.inputs.as_ref().unwrap().specs[0].type_label(),
        "uint8 [-1, 300, 300, 3]"
    );
    assert_eq!(
        sig.outputs.as_ref().unwrap().specs[0].type_label(),
        "float32 [-1, 2]"
    );
    match &card.flavor("onnx").unwrap().view {
        FlavorView::Onnx {
            data, providers, ..
        } => {
            assert_eq!(data.as_deref(), Some("model.onnx"));
            assert_eq!(
                providers,
                &["CUDAExecutionProvider", "CPUExecutionProvider"]
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn framework_flavors_have_typed_views() {
    // Key sets as each MLflow module's `add_flavor` writes them (reference section 3).
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("data")).unwrap();
    std::fs::write(root.join("data/model.pth"), b"x").unwrap();
    std::fs::create_dir_all(root.join("model")).unwrap();
    std::fs::write(
        root.join("MLmodel"),
        r#"flavors:
  python_function:
    loader_module: mlflow.pytorch
    data: data
    pickle_module_name: mlflow.pytorch.pickle_module
    config: {device: null}
    python_version: 3.11.7
    predict_fn: predict
    streamable: true
  pytorch:
    code: null
    model_data: data
    pytorch_version: 2.5.1
    extra_files:
    - path: extra_files/labels.txt
  tensorflow:
    code: null
    data: data
    keras_version: 2.15.0
    model_type: keras
    save_format: tf
  keras:
    data: data
    keras_backend: jax
    keras_version: 3.6.0
    save_exported_model: false
  transformers:
    code: null
    components: [tokenizer]
    framework: pt
    instance_type: TextClassificationPipeline
    model_binary: model
    source_model_name: distilbert-base-uncased
    task: text-classification
    transformers_version: 4.46.0
  xgboost:
    code: null
    data: model.xgb
    model_class: xgboost.sklearn.XGBClassifier
    model_format: xgb
    xgb_version: 2.1.1
  lightgbm:
    code: null
    data: model.lgb
    lgb_version: 4.5.0
    model_class: lightgbm.sklearn.LGBMClassifier
  h2o:
    data: model.h2o
"#,
    )
    .unwrap();
    let card = model::open(root).unwrap();
    let versions: Vec<(&str, Option<(&str, &str)>)> = card
        .flavors
        .iter()
        .map(|f| (f.name.as_str(), f.view.framework_version()))
        .collect();
    assert_eq!(
        versions,
        [
            ("python_function", None),
            ("pytorch", Some(("torch", "2.5.1"))),
            ("tensorflow", Some(("keras", "2.15.0"))),
            ("keras", Some(("keras", "3.6.0"))),
            ("transformers", Some(("transformers", "4.46.0"))),
            ("xgboost", Some(("xgboost", "2.1.1"))),
            ("lightgbm", Some(("lightgbm", "4.5.0"))),
            ("h2o", None),
        ]
    );
    let pyfunc = card.pyfunc().unwrap();
    assert!(pyfunc.streamable);
    assert_eq!(pyfunc.predict_stream_fn, "predict_stream");
    assert_eq!(
        pyfunc.config.as_ref().unwrap()["device"],
        serde_json::Value::Null
    );
    match &card.flavor("pytorch").unwrap().view {
        FlavorView::Pytorch {
            model_data,
            saved_file,
            ..
        } => {
            assert_eq!(model_data.as_deref(), Some("data"));
            assert_eq!(saved_file.as_deref(), Some("model.pth"));
        }
        other => panic!("{other:?}"),
    }
    let pytorch = card.flavor("pytorch").unwrap();
    let extra = pytorch
        .files
        .iter()
        .find(|f| f.key == "extra_files[0]")
        .unwrap();
    assert_eq!(
        (extra.path.as_str(), &extra.status),
        ("extra_files/labels.txt", &PathStatus::Missing)
    );
    match &card.flavor("transformers").unwrap().view {
        FlavorView::Transformers {
            task,
            components,
            source_model_name,
            ..
        } => {
            assert_eq!(task.as_deref(), Some("text-classification"));
            assert_eq!(components, &["tokenizer"]);
            assert_eq!(
                source_model_name.as_deref(),
                Some("distilbert-base-uncased")
            );
        }
        other => panic!("{other:?}"),
    }
    let binary = card
        .flavor("transformers")
        .unwrap()
        .files
        .iter()
        .find(|f| f.key == "model_binary")
        .unwrap();
    assert_eq!(
        binary.status,
        PathStatus::Present {
            is_dir: true,
            size: 0
        }
    );
    // Unknown flavors still have their files checked.
    let h2o = card.flavor("h2o").unwrap();
    assert_eq!(h2o.files[0].status, PathStatus::Missing);
}

#[test]
fn frames_with_default_columns_keep_integer_names() {
    let card = model::open(&model("sklearn_values_example")).unwrap();
    let inputs = card.signature.valid().unwrap().inputs.clone().unwrap();
    assert_eq!(
        inputs.specs[0].to_mlflow_json(),
        json!({"type": "double", "name": 0, "required": true})
    );
    match card.input_example.unwrap().data.unwrap() {
        ExampleData::Dataframe {
            columns,
            rows,
            orient,
        } => {
            assert_eq!((columns, orient.as_str(), rows.len()), (None, "values", 2));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn models_from_code_show_the_script_mlflow_loads() {
    // MLflow records where the script was when it was logged (an absolute path on that
    // machine) and loads basename(model_code_path) from the folder.
    let card = model::open(&model("pyfunc_from_code")).unwrap();
    assert!(card.warnings.is_empty(), "{:?}", card.warnings);
    let pyfunc = card.flavor("python_function").unwrap();
    let code = pyfunc
        .files
        .iter()
        .find(|f| f.key == "model_code_path")
        .unwrap();
    assert_eq!(code.path, "doubler_model.py");
    assert!(matches!(
        code.status,
        PathStatus::Present { is_dir: false, .. }
    ));
    let from = code.logged_from.as_deref().unwrap();
    assert!(
        from.starts_with('/') && from.ends_with("/doubler_model.py"),
        "{from}"
    );
    assert_eq!(
        card.pyfunc().unwrap().loader_module.as_deref(),
        Some("mlflow.pyfunc.loaders.code_model")
    );

    // The script missing from the folder: reported missing, still no "outside" warning.
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(model("pyfunc_from_code"))
        .unwrap()
        .flatten()
    {
        if entry.file_name() != "doubler_model.py" {
            std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
        }
    }
    let card = model::open(dir.path()).unwrap();
    assert!(card.warnings.is_empty(), "{:?}", card.warnings);
    let code = card
        .flavor("python_function")
        .unwrap()
        .files
        .iter()
        .find(|f| f.key == "model_code_path")
        .unwrap();
    assert_eq!(
        (code.path.as_str(), &code.status),
        ("doubler_model.py", &PathStatus::Missing)
    );

    // The command line says the same.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mlmodel-inspector"))
        .args(["show", model("pyfunc_from_code").to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("model_code_path        doubler_model.py  [present"),
        "{text}"
    );
    assert!(text.contains("logged from"), "{text}");
    assert!(!text.contains("outside"), "{text}");
}

#[test]
fn packages_named_in_several_files_are_one_row_with_conflicts_marked() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("MLmodel"),
        "flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    env:\n      conda: conda.yaml\n      virtualenv: python_env.yaml\n",
    )
    .unwrap();
    std::fs::write(
        root.join("conda.yaml"),
        "dependencies:\n- python=3.11\n- pip:\n  - numpy==1.26.4\n  - Scikit_Learn==1.5.0\n",
    )
    .unwrap();
    std::fs::write(
        root.join("python_env.yaml"),
        "python: 3.11\ndependencies:\n- -r requirements.txt\n",
    )
    .unwrap();
    std::fs::write(
        root.join("requirements.txt"),
        "numpy==2.0.0\nscikit-learn==1.5.0\npandas\n",
    )
    .unwrap();
    let card = model::open(root).unwrap();
    let rows = card.environment.package_rows();
    let find = |n: &str| {
        rows.iter()
            .find(|r| r.name.eq_ignore_ascii_case(n))
            .unwrap()
    };
    let numpy = find("numpy");
    assert!(numpy.conflict, "{numpy:?}");
    let sklearn = find("Scikit_Learn");
    assert!(
        !sklearn.conflict,
        "same pin in both files, names compared as pip does"
    );
    assert_eq!(
        rows.iter()
            .filter(|r| r.name.to_lowercase().replace('_', "-") == "scikit-learn")
            .count(),
        1
    );
    assert_eq!(find("pandas").specs[0].1, "any");
}

#[test]
fn previews_say_what_a_file_is() {
    use mlmodel_inspector::preview::{Preview, describe};
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::copy(repo("assets/sample-china.jpg"), root.join("photo.jpg")).unwrap();
    let npy = std::fs::read_dir(repo("tests/fixtures/npy"))
        .unwrap()
        .flatten()
        .next()
        .unwrap();
    std::fs::copy(npy.path(), root.join("x.npy")).unwrap();
    std::fs::write(root.join("notes.txt"), "hello").unwrap();
    let mut blob = vec![0u8, 1, 2, 3, 255];
    blob.extend(b"MLmodel!");
    std::fs::write(root.join("blob.bin"), &blob).unwrap();
    match describe(root, "photo.jpg").unwrap() {
        Preview::Image { size, thumbnail } => {
            assert_eq!(size, (640, 427));
            assert!(thumbnail.width() <= 512);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        describe(root, "x.npy").unwrap(),
        Preview::Npy { .. }
    ));
    assert!(matches!(describe(root, "notes.txt").unwrap(), Preview::Text(t) if t == "hello"));
    match describe(root, "blob.bin").unwrap() {
        Preview::Binary { hex, narrow } => {
            assert!(hex.starts_with("00000000  00 01 02 03 ff"), "{hex}");
            assert!(
                hex.lines().next().unwrap().ends_with("  .....MLmodel!"),
                "{hex}"
            );
            // 8 bytes a line for a narrow view: the second line starts at offset 8, and the
            // printable column follows each line's bytes.
            let lines: Vec<&str> = narrow.lines().collect();
            assert_eq!(
                lines[0], "00000000  00 01 02 03 ff 4d 4c 6d  .....MLm",
                "{narrow}"
            );
            assert!(lines[1].starts_with("00000008  6f 64 65 6c 21"), "{narrow}");
        }
        other => panic!("{other:?}"),
    }
    // Outside the folder: refused, naming the file.
    let err = describe(root, "../../etc/passwd").unwrap_err();
    assert!(err.contains("climbs out"), "{err}");
}

#[test]
fn the_trust_prompt_says_what_loading_runs() {
    // MLflow 3's default sklearn format is skops: no pickle.
    let iris = model::open(&model("sklearn_iris"))
        .unwrap()
        .code_that_runs();
    assert!(
        iris.lines[0].contains("model.skops, read with skops"),
        "{iris:?}"
    );
    assert!(!iris.model_code);
    assert!(!iris.lines.join(" ").contains("unpickl"));
    // A custom PythonModel is a cloudpickle.
    let scaler = model::open(&model("pyfunc_scaler"))
        .unwrap()
        .code_that_runs();
    assert!(
        scaler.lines[0]
            .starts_with("python_model.pkl, the custom PythonModel saved with cloudpickle")
    );
    assert!(scaler.model_code);
    // Models from code run their script.
    let code = model::open(&model("pyfunc_from_code"))
        .unwrap()
        .code_that_runs();
    assert!(
        code.lines[0].contains("the Python file that defines the model"),
        "{code:?}"
    );
    assert!(code.model_code);
    // ONNX: a graph, not code.
    let onnx = model::open(&repo("assets/example-model"))
        .unwrap()
        .code_that_runs();
    assert!(onnx.lines[0].starts_with("model.onnx, an ONNX graph run by onnxruntime"));
    assert!(!onnx.model_code);
    assert_eq!(
        onnx.lines.last().map(String::as_str),
        Some("MLflow's mlflow.onnx and the packages installed in the chosen Python")
    );
    // skops builds what MLmodel's own skops_trusted_types lists, chosen by the author.
    let trusting = model::open(&repo("tests/fixtures/scan/hostile_skops"))
        .unwrap()
        .code_that_runs();
    assert!(
        trusting.lines[0].ends_with(
            "those MLmodel's skops_trusted_types lists, chosen by the model's author: sklearn.tree._tree.Tree, builtins.exec"
        ),
        "{trusting:?}"
    );
    // MLflow's compressed python_model.pkl is still a pickle.
    let xz = model::open(&repo("tests/fixtures/scan/benign/pyfunc_lzma"))
        .unwrap()
        .code_that_runs();
    assert!(
        xz.lines[0].starts_with(
            "python_model.pkl.xz, the custom PythonModel saved with cloudpickle (compressed): unpickling it runs code"
        ),
        "{xz:?}"
    );
    assert!(xz.model_code);
}

#[test]
fn class_names_the_model_records_are_read_from_what_it_states() {
    // `save_model(metadata={"class_names": [...]})`, as MLflow writes it.
    let card = model::open(&model("sklearn_iris_class_names")).unwrap();
    let classes = card.classes.as_ref().expect("metadata.class_names");
    assert_eq!(classes.origin, "MLmodel metadata.class_names");
    assert_eq!(classes.names, ["setosa", "versicolor", "virginica"]);
    assert!(
        model::open(&model("sklearn_iris"))
            .unwrap()
            .classes
            .is_none(),
        "a model that records none has none"
    );

    // A transformers model's config.json id2label (the flavor's model_binary folder), and an
    // index map under metadata; a count or nested data is not a list of names.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("MLmodel"),
        "flavors:\n  python_function:\n    loader_module: mlflow.transformers\n    python_version: 3.11.9\n  transformers:\n    code: null\n    components:\n    - tokenizer\n    framework: pt\n    model_binary: model\n    task: image-classification\n    transformers_version: 4.41.2\nmlflow_version: 2.14.3\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("model")).unwrap();
    std::fs::write(
        dir.path().join("model/config.json"),
        r#"{"architectures": ["ViTForImageClassification"], "id2label": {"0": "cat", "2": "bird", "1": "dog"}}"#,
    )
    .unwrap();
    let card = model::open(dir.path()).unwrap();
    let classes = card.classes.as_ref().expect("config.json id2label");
    assert_eq!(classes.origin, "model/config.json id2label");
    assert_eq!(classes.names, ["cat", "dog", "bird"]);

    std::fs::write(
        dir.path().join("MLmodel"),
        "flavors:\n  python_function:\n    loader_module: mlflow.pyfunc.model\nmetadata:\n  classes: 10\n  id2label:\n    '1': spam\n    '0': ham\n",
    )
    .unwrap();
    let card = model::open(dir.path()).unwrap();
    let classes = card.classes.as_ref().expect("metadata.id2label");
    assert_eq!(classes.origin, "MLmodel metadata.id2label");
    assert_eq!(classes.names, ["ham", "spam"]);
}

#[test]
fn a_model_mlflow_3_logged_is_named_by_its_model_id_folder() {
    // MLflow 3's log_model writes mlruns/<experiment>/models/<model id>/artifacts/MLmodel.
    let dir = tempfile::tempdir().unwrap();
    let root = dir
        .path()
        .join("models/m-db489a2caae0490695c1eb65473ef029/artifacts");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::copy(model("sklearn_iris").join("MLmodel"), root.join("MLmodel")).unwrap();
    let card = model::open(&root).unwrap();
    assert_eq!(card.folder_name, "m-db489a2caa…/artifacts");
    assert_eq!(model::folder_label(&root), "m-db489a2caa…/artifacts");
    assert_eq!(
        model::folder_label(std::path::Path::new("/x/sklearn_iris")),
        "sklearn_iris"
    );
}
