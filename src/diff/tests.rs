//! Each breaking rule of `diff` held by a case that fails without it, and bytes that were
//! not read never called equal.

use super::*;

/// A model folder whose `MLmodel` holds `signature` (YAML, indented under `signature:`).
fn card(signature: &str) -> (tempfile::TempDir, ModelCard) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("MLmodel"),
        format!(
            "flavors:\n  python_function:\n    loader_module: mlflow.pyfunc.model\nsignature:\n{signature}"
        ),
    )
    .unwrap();
    let card = crate::model::open(dir.path()).unwrap();
    (dir, card)
}

/// The reasons B is not a drop-in for A.
fn reasons(a: &str, b: &str) -> Vec<String> {
    let ((_da, a), (_db, b)) = (card(a), card(b));
    diff(&a, &b).reasons()
}

fn has(reasons: &[String], text: &str) -> bool {
    reasons.iter().any(|r| r.contains(text))
}

const COLUMNS_X: &str =
    "  inputs: '[{\"name\": \"x\", \"type\": \"double\", \"required\": true}]'\n";

#[test]
fn a_removed_param_is_breaking() {
    let a = format!(
        "{COLUMNS_X}  params: '[{{\"name\": \"k\", \"type\": \"long\", \"default\": 1, \"shape\": null}}]'\n"
    );
    let r = reasons(&a, COLUMNS_X);
    assert!(has(&r, "B has no param \"k\""), "{r:?}");
}

#[test]
fn a_narrowed_param_is_breaking() {
    let param = |ty: &str, default: &str| {
        format!(
            "{COLUMNS_X}  params: '[{{\"name\": \"t\", \"type\": \"{ty}\", \"default\": {default}, \"shape\": null}}]'\n"
        )
    };
    let r = reasons(&param("double", "0.5"), &param("long", "1"));
    assert!(
        has(&r, "the param \"t\" is long in B and double in A"),
        "{r:?}"
    );
    // Widened is not.
    let r = reasons(&param("long", "1"), &param("double", "0.5"));
    assert!(!has(&r, "param"), "{r:?}");
}

#[test]
fn an_input_optional_in_a_and_required_in_b_is_breaking() {
    let column = |required: bool| {
        format!(
            "  inputs: '[{{\"name\": \"x\", \"type\": \"double\", \"required\": true}}, {{\"name\": \"z\", \"type\": \"double\", \"required\": {required}}}]'\n"
        )
    };
    let r = reasons(&column(false), &column(true));
    assert!(
        has(&r, "column \"z\" is optional in A and required in B"),
        "{r:?}"
    );
    let r = reasons(&column(true), &column(false));
    assert!(r.is_empty(), "required to optional is not: {r:?}");
}

#[test]
fn a_retyped_output_is_breaking() {
    let output = |ty: &str| {
        format!(
            "{COLUMNS_X}  outputs: '[{{\"name\": \"y\", \"type\": \"{ty}\", \"required\": true}}]'\n"
        )
    };
    let r = reasons(&output("double"), &output("string"));
    assert!(
        has(&r, "the output \"y\" is string in B and double in A"),
        "{r:?}"
    );
}

#[test]
fn string_to_double_is_breaking() {
    let input = |ty: &str| {
        format!("  inputs: '[{{\"name\": \"s\", \"type\": \"{ty}\", \"required\": true}}]'\n")
    };
    let r = reasons(&input("string"), &input("double"));
    assert!(
        has(&r, "column \"s\" is double in B where A takes string"),
        "{r:?}"
    );
}

#[test]
fn a_rank_change_alone_is_breaking() {
    let tensor = |shape: &str| {
        format!(
            "  inputs: '[{{\"type\": \"tensor\", \"tensor-spec\": {{\"dtype\": \"float32\", \"shape\": {shape}}}}}]'\n"
        )
    };
    let r = reasons(&tensor("[-1, 4]"), &tensor("[-1, 4, -1]"));
    assert!(has(&r, "has rank 3 in B and 2 in A"), "{r:?}");
}

/// Same-size files whose bytes could not be read are listed as not compared, never left
/// out as equal: one that is not a regular file, and weights still on a tracking server.
#[test]
fn unread_bytes_are_never_called_equal() {
    let (da, a) = card(COLUMNS_X);
    let (db, b) = card(COLUMNS_X);
    // Both listed with 0 bytes; B's is a FIFO, which is not read.
    std::fs::write(da.path().join("weights.bin"), b"").unwrap();
    let fifo = std::ffi::CString::new(db.path().join("weights.bin").to_str().unwrap()).unwrap();
    // SAFETY: mkfifo on a path in a fresh temporary folder.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    let a = crate::model::open(&a.root).unwrap();
    let b = crate::model::open(&b.root).unwrap();
    let c = diff(&a, &b);
    let w = c
        .changes
        .iter()
        .find(|c| c.item == "weights.bin")
        .expect("listed, not left out as equal");
    assert_eq!(
        w.b.as_deref(),
        Some("0 B, same size, not compared: B's not a regular file"),
        "{w:?}"
    );
    std::fs::remove_file(db.path().join("weights.bin")).unwrap();
    std::fs::write(da.path().join("weights.bin"), b"12345678").unwrap();
    // Both sides present and of the same size, but B's weights are not fetched.
    std::fs::write(db.path().join("weights.bin"), b"12345678").unwrap();
    let a = crate::model::open(&a.root).unwrap();
    let b = crate::model::open(&b.root).unwrap();
    let none = HashSet::new();
    let remote: HashSet<String> = ["weights.bin".to_string()].into();
    let c = diff_with(
        &a,
        &b,
        &Unfetched {
            a: &none,
            b: &remote,
        },
    );
    let w = c
        .changes
        .iter()
        .find(|c| c.item == "weights.bin")
        .expect("listed, not left out as equal");
    assert_eq!(
        w.b.as_deref(),
        Some("8 B, same size, not compared: B's is still on the tracking server (not fetched)")
    );
    // Read, the same bytes are equal.
    assert!(
        diff(&a, &b).changes.iter().all(|c| c.item != "weights.bin"),
        "equal bytes are equal"
    );
}
