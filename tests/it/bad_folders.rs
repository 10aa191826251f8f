//! Every bad folder gets a clear message naming the file and the problem; nothing panics.

use std::path::Path;

use crate::common::{bad, model};
use mlmodel_inspector::model::{self, OpenError};

fn open_error(path: &Path) -> String {
    match model::open(path) {
        Ok(card) => panic!("{} opened: {:?}", path.display(), card.warnings),
        Err(e) => e.to_string(),
    }
}

fn warnings(path: &Path) -> Vec<String> {
    model::open(path)
        .unwrap_or_else(|e| panic!("{e}"))
        .warnings
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn not_a_model_and_not_a_folder() {
    let e = open_error(&bad("not_a_model"));
    assert!(e.ends_with("not_a_model: not an MLflow model folder: it has no `MLmodel` file, nor does any folder one level down"), "{e}");
    let e = open_error(&bad("does_not_exist"));
    assert!(e.ends_with("does_not_exist: no such file or folder"), "{e}");
    let e = open_error(&bad("not_a_model/readme.txt"));
    assert!(
        e.contains("readme.txt: this is a file, not a model folder"),
        "{e}"
    );
    let e = open_error(&bad("several_models"));
    assert!(
        e.ends_with("2 of its folders do: a, b; open one of them"),
        "{e}"
    );
}

#[test]
fn unusable_mlmodel_files_name_the_file_and_the_problem() {
    let cases = [
        ("empty_mlmodel", "MLmodel: the file is empty"),
        (
            "binary_mlmodel",
            "MLmodel: is not a text file (binary data: a NUL byte at offset 8)",
        ),
        (
            "yaml_syntax",
            "MLmodel: YAML error: did not find expected ',' or ']' at line 5 column 15",
        ),
        (
            "flavors_42",
            "MLmodel: `flavors` must be a mapping of flavor name to its settings, found an integer (42)",
        ),
        (
            "top_level_list",
            "MLmodel: expected a YAML mapping of keys such as `flavors` and `signature`, found a list",
        ),
        (
            "alias_bomb",
            "MLmodel: YAML error: repetition limit exceeded",
        ),
        (
            "mlmodel_link_out",
            "MLmodel: `MLmodel` is a symbolic link to /etc/hostname, outside the model folder",
        ),
    ];
    for (folder, expected) in cases {
        let e = open_error(&bad(folder));
        assert!(e.contains(&format!("{folder}/{expected}")), "{folder}: {e}");
    }
}

#[test]
fn special_and_huge_mlmodel_files_are_refused_without_reading_them() {
    let dir = tempfile::tempdir().unwrap();
    // A FIFO would block a naive read forever.
    let fifo = dir.path().join("fifo");
    std::fs::create_dir(&fifo).unwrap();
    let status = std::process::Command::new("mkfifo")
        .arg(fifo.join("MLmodel"))
        .status()
        .unwrap();
    assert!(status.success());
    let e = open_error(&fifo);
    assert!(e.ends_with("fifo/MLmodel: is not a regular file"), "{e}");
    // A folder named MLmodel.
    let folder = dir.path().join("folder");
    std::fs::create_dir_all(folder.join("MLmodel")).unwrap();
    assert!(open_error(&folder).ends_with("folder/MLmodel: is not a regular file"));
    // A 20 GB sparse MLmodel: refused from its size alone.
    let huge = dir.path().join("huge");
    std::fs::create_dir(&huge).unwrap();
    let f = std::fs::File::create(huge.join("MLmodel")).unwrap();
    f.set_len(20_000_000_000).unwrap();
    let e = open_error(&huge);
    assert!(
        e.ends_with(
            "huge/MLmodel: is 20.0 GB, larger than the 16.0 MB read for this kind of file; not read"
        ),
        "{e}"
    );
}

#[test]
fn broken_side_files_become_warnings_and_the_card_opens() {
    let w = warnings(&bad("broken_conda"));
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].starts_with(
            "conda.yaml: YAML error: did not find expected node content at line 8 column 1"
        ),
        "{}",
        w[0]
    );

    let w = warnings(&bad("bad_example"));
    assert_eq!(
        w,
        [
            "input_example.json: input example: not valid JSON: EOF while parsing a list at line 1 column 33"
        ]
    );

    let card = model::open(&bad("invalid_signature")).unwrap();
    assert!(card.signature.valid().is_none());
    assert_eq!(
        card.warnings[0].to_string(),
        "MLmodel: signature.inputs: invalid signature, MLflow would refuse to load it: Creating Schema with a combination of named and unnamed inputs is not allowed. Got input names ['a', None]"
    );

    let w = warnings(&bad("wrong_types"));
    assert!(
        w.contains(&"MLmodel: mlflow_version: expected a string, found a mapping".to_string()),
        "{w:?}"
    );
    assert!(
        w.contains(
            &"MLmodel: model_size_bytes: expected a whole number of bytes, found a string (lots)"
                .to_string()
        )
    );
    assert!(w.contains(&"MLmodel: flavors.python_function: expected a mapping of settings, found an integer (7)".to_string()));
}

#[test]
fn paths_and_links_that_lead_out_are_never_followed() {
    let w = warnings(&bad("path_escape"));
    assert_eq!(
        w,
        [
            "MLmodel: flavors.python_function.data: `../../../../etc/passwd` climbs out of the model folder through `..`; it is not followed",
            "MLmodel: flavors.python_function.code: `/etc` is an absolute path, outside the model folder; it is not followed",
            "MLmodel: flavors.sklearn.pickled_model: `sub/../../outside.pkl` climbs out of the model folder through `..`; it is not followed",
        ]
    );
    let card = model::open(&bad("symlink_out")).unwrap();
    assert_eq!(card.warnings.len(), 2, "{:?}", card.warnings);
    assert!(
        card.warnings[1]
            .message
            .contains("`conda.yaml` is a symbolic link to /etc/passwd")
    );
    // /etc/passwd was not read as the conda file.
    let conda = card.environment.conda.as_ref().unwrap();
    assert!(conda.text.is_none());
    assert!(
        conda
            .parsed
            .as_ref()
            .unwrap_err()
            .contains("outside the model folder")
    );
}

#[test]
fn error_variants_carry_their_path() {
    match model::open(&bad("flavors_42")) {
        Err(OpenError::BadMlmodel { path, .. }) => assert!(path.ends_with("flavors_42/MLmodel")),
        other => panic!("{other:?}"),
    }
    // A good folder still opens after all of these.
    assert!(model::open(&model("sklearn_iris")).is_ok());
}
