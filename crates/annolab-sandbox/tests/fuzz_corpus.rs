//! Replays the committed fuzz corpus (tests/fuzz/corpus/) through the fuzz targets' own checks,
//! on stable, in every `cargo test`: each file must pass them (no panic, every invariant held).

use std::path::{Path, PathBuf};

fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fuzz/corpus").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(!files.is_empty(), "no corpus in {}", dir.display());
    files
}

#[test]
fn the_sandbox_requests_corpus_parses_or_is_refused() {
    for file in corpus("sandbox_requests") {
        annolab_sandbox::fuzzing::requests(&std::fs::read(&file).unwrap());
    }
}
