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

fn replay(target: &str, check: impl Fn(&[u8], &Path)) {
    for file in corpus(target) {
        let work = tempfile::tempdir().unwrap();
        eprintln!("{}", file.display());
        check(&std::fs::read(&file).unwrap(), work.path());
    }
}

#[test]
fn the_instruments_corpus_indexes() {
    replay("instruments", export_engine::fuzzing::instruments);
}

#[test]
fn the_buffered_zip_corpus_stays_inside_the_export() {
    replay("zip_buffered", export_engine::fuzzing::zip_buffered);
}

#[test]
fn the_streaming_zip_corpus_stays_inside_the_export() {
    replay("zip_streaming", export_engine::fuzzing::zip_streaming);
}

#[test]
fn the_names_corpus_becomes_legal() {
    replay("names", |bytes, _| export_engine::fuzzing::names(bytes));
}

/// Found by the `names` target: a cap of 0 still gives a one-character name, which the harness
/// first counted as too long.
#[test]
fn a_zero_cap_still_gives_a_name() {
    export_engine::fuzzing::names(b"\x00\x00\x00\x04");
    assert_eq!(export_engine::names::file_name("x", 0), "_");
}
