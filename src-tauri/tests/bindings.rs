//! Fails when the TypeScript bindings committed in ui/src/lib/bindings differ from what the Rust
//! types generate. Regenerate with:
//! `UPDATE_BINDINGS=1 cargo test -p annolab-exporter --test bindings`

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use annolab_exporter_lib::bindings;

#[test]
fn committed_typescript_bindings_match_the_rust_types() {
    let fresh_dir = tempfile::tempdir().expect("create a temp dir");
    bindings::export_to(fresh_dir.path()).expect("export bindings");
    let fresh = read_ts_files(fresh_dir.path());
    assert!(!fresh.is_empty(), "ts-rs exported nothing");

    let committed_dir = bindings::committed_dir();
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        fs::create_dir_all(&committed_dir).expect("create the bindings folder");
        for old in read_ts_files(&committed_dir).keys() {
            fs::remove_file(committed_dir.join(old)).expect("remove an old binding");
        }
        for (name, text) in &fresh {
            fs::write(committed_dir.join(name), text).expect("write a binding");
        }
        return;
    }

    let committed = read_ts_files(&committed_dir);
    let stale: Vec<&String> = fresh.keys().chain(committed.keys()).filter(|name| fresh.get(*name) != committed.get(*name)).collect();
    assert!(
        stale.is_empty(),
        "ui/src/lib/bindings is stale ({stale:?} differ). Regenerate it with \
         `UPDATE_BINDINGS=1 cargo test -p annolab-exporter --test bindings` and commit the result."
    );
}

fn read_ts_files(dir: &Path) -> BTreeMap<String, String> {
    let Ok(entries) = fs::read_dir(dir) else {
        return BTreeMap::new();
    };
    entries
        .map(|entry| entry.expect("read a folder entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "ts"))
        .map(|path| {
            let name = path.file_name().expect("a file name").to_string_lossy().into_owned();
            let text = fs::read_to_string(&path).expect("read a binding");
            (name, text)
        })
        .collect()
}
