//! The saved fuzz corpus (fuzz/corpus/, grown by scripts/fuzz.sh) replayed through each
//! target: every input that once reached new code must still parse without a panic.

fn replay(target: &str, run: fn(&[u8])) {
    let dir = crate::common::repo("fuzz/corpus").join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        let data = std::fs::read(entry.path()).unwrap();
        let outcome = std::panic::catch_unwind(|| run(&data));
        assert!(
            outcome.is_ok(),
            "{target}: {} panics",
            entry.path().display()
        );
        n += 1;
    }
    assert!(
        n > 100,
        "{target}: only {n} corpus inputs in {}",
        dir.display()
    );
}

#[test]
fn mlmodel_corpus_replays_without_a_panic() {
    replay("mlmodel", mlmodel_inspector::fuzz::mlmodel);
}

#[test]
fn signature_corpus_replays_without_a_panic() {
    replay("signature", mlmodel_inspector::fuzz::signature);
}

#[test]
fn environment_corpus_replays_without_a_panic() {
    replay("environment", mlmodel_inspector::fuzz::environment);
}

#[test]
fn pickle_corpus_replays_without_a_panic() {
    replay("pickle", mlmodel_inspector::fuzz::pickle);
}

#[test]
fn container_corpus_replays_without_a_panic() {
    replay("container", mlmodel_inspector::fuzz::container);
}
