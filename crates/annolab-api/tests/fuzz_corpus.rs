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
fn the_api_responses_corpus_decodes_or_errs() {
    for file in corpus("api_responses") {
        annolab_api::fuzzing::responses(&std::fs::read(&file).unwrap());
    }
}
