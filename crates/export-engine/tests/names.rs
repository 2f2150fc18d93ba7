//! Type names as customers define them (characters Windows forbids, device names, 330
//! characters), exported into folders with spaces, `#`, parentheses and non-ASCII letters: every
//! PDF lands under a legal name that keeps its instrument id, and is found through the index.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use annolab_api::{ApiKey, Client, ServerUrl, Storage};
use annolab_sandbox::{Sandbox, SandboxConfig, SourceSet};
use export_engine::browse::Browser;
use export_engine::extract::pdf_instrument_id;
use export_engine::names::{self, MAX_NAME_CHARS, MAX_PATH};
use export_engine::{Engine, ExportInput, ExportRequest, Finished, Library, Progress};
use tokio_util::sync::CancellationToken;

const KEY: &str = "names-test-key-31c2";

fn hostile_type_names() -> Vec<String> {
    let long = "Assignment and Assumption of Lease and Security Agreement with Consent of Lessor ".repeat(4);
    [
        "Lease: Aircraft",
        "Bill of Sale?",
        "Release \"A\"",
        "Amendment*",
        "Lien <Mechanic>",
        "Power of Attorney|Limited",
        "CON",
        "AUX",
        "Assignment.",
        "Release ",
        "Assignment / Assumption",
        "Übertragung der Eigentumsrechte",
        long.trim_end(),
    ]
    .map(str::to_owned)
    .to_vec()
}

async fn sandbox() -> Sandbox {
    let config = SandboxConfig {
        job_time: Duration::ZERO,
        sources: SourceSet::Generated { instruments: 48 },
        type_names: hostile_type_names(),
        ..SandboxConfig::with_key(KEY)
    };
    Sandbox::start(config).await.unwrap()
}

async fn export(sandbox: &Sandbox, library: &Path, out: Option<&Path>) -> Finished {
    let client = Client::new(ServerUrl::parse(&sandbox.api_url()).unwrap(), ApiKey::new(KEY).unwrap()).unwrap();
    let engine = Engine::new(client, Storage::new().unwrap(), Library::new(library));
    let input = ExportInput { owner: "Group Name owning project".into(), project: "Example Project Name".into(), include_files: true, ..Default::default() };
    let job = engine.create_job(ExportRequest::parse(input).unwrap(), out.map(Path::to_path_buf), None).unwrap();
    engine.run(job, Arc::new(|_: Progress| {}), CancellationToken::new()).await.unwrap()
}

/// The ids in the export's instruments.json.
fn instrument_ids(dir: &Path) -> BTreeSet<u64> {
    std::fs::read_to_string(dir.join("instruments.json"))
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap()["id"].as_u64().unwrap())
        .collect()
}

fn pdf_names(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir.join("pdfs")).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect()
}

#[tokio::test]
async fn hostile_and_long_type_names_export_every_pdf_under_a_legal_name_that_keeps_its_id() {
    let sandbox = sandbox().await;
    let scratch = tempfile::tempdir().unwrap();
    let out = scratch.path().join("Title Work #7 (Überprüfung) – 東京").join("N809 exports (copy)");
    let finished = export(&sandbox, &scratch.path().join("library"), Some(&out)).await;
    assert_eq!(finished.dir, out);

    let ids = instrument_ids(&out);
    assert_eq!(ids.len(), 48);
    assert_eq!(finished.manifest.counts.pdfs, 48, "{:?}", finished.manifest.problems);
    let names = pdf_names(&out);
    let mut found = BTreeSet::new();
    for name in &names {
        assert!(names::is_legal(name), "{name:?} is not a legal name");
        assert!(name.chars().count() <= MAX_NAME_CHARS, "{name:?} is longer than {MAX_NAME_CHARS}");
        found.insert(pdf_instrument_id(name).unwrap_or_else(|| panic!("{name:?} lost its id")));
    }
    assert_eq!(found, ids, "every instrument has its PDF");
    assert!(names.iter().any(|n| n.starts_with("Assignment _ Assumption_")), "a / in a type makes no folder: {names:?}");

    // The manifest names each entry as sent beside the file written for it.
    let renamed = &finished.manifest.renamed;
    assert!(renamed.iter().any(|r| r.entry.contains("Lease: Aircraft") && r.file.contains("Lease_ Aircraft")), "{renamed:?}");
    assert!(renamed.iter().any(|r| r.entry.chars().count() > 300 && r.file.chars().count() <= "pdfs/".len() + MAX_NAME_CHARS));
    for r in renamed {
        assert!(names::join(&out, &r.file).is_file(), "{r:?}");
        assert_eq!(pdf_instrument_id(&r.entry), pdf_instrument_id(&r.file));
    }
    assert!(!renamed.iter().any(|r| r.entry.contains("Bill of Sale?") && r.file == r.entry));

    // Everything that opens a PDF goes through the index's record of the file written.
    let browser = Browser::open(&out).unwrap();
    let ids: Vec<u64> = ids.into_iter().collect();
    for path in browser.pdf_paths(&ids).unwrap() {
        assert!(path.is_file(), "{}", path.display());
    }
    let details = browser.details(ids[0]).unwrap();
    assert!(Path::new(&details.pdf.unwrap()).is_file());
}

#[tokio::test]
async fn a_pdf_whose_name_the_disk_hands_back_in_nfd_is_still_found() {
    let sandbox = sandbox().await;
    let scratch = tempfile::tempdir().unwrap();
    let out = scratch.path().join("export");
    export(&sandbox, &scratch.path().join("library"), Some(&out)).await;
    let nfc = pdf_names(&out).into_iter().find(|n| n.starts_with("Übertragung")).unwrap();
    let nfd: String = unicode_normalization::UnicodeNormalization::nfd(nfc.as_str()).collect();
    assert_ne!(nfc, nfd);
    // As HFS+ or a network share would store it.
    std::fs::rename(out.join("pdfs").join(&nfc), out.join("pdfs").join(&nfd)).unwrap();

    let id = pdf_instrument_id(&nfc).unwrap();
    let browser = Browser::open(&out).unwrap();
    let path = &browser.pdf_paths(&[id]).unwrap()[0];
    assert!(path.is_file(), "{}", path.display());
    // Where names are compared as stored (ext4, NTFS), only the NFD name is there, found by
    // looking; APFS compares normalisation-insensitively and finds the NFC name directly.
    if !cfg!(target_os = "macos") {
        assert_eq!(path.file_name().unwrap().to_str().unwrap(), nfd);
    }
    assert!(Path::new(&browser.details(id).unwrap().pdf.unwrap()).is_file());
}

#[tokio::test]
async fn a_library_with_a_long_path_keeps_every_file_under_windows_path_limit() {
    let sandbox = sandbox().await;
    let scratch = tempfile::tempdir().unwrap();
    let library = scratch.path().join("A Title Examiner's Library (2026) #1 – Überprüfung ".repeat(2).trim_end());
    let finished = export(&sandbox, &library, None).await;
    assert!(finished.dir.starts_with(&library));
    assert_eq!(finished.manifest.counts.pdfs, 48);
    let mut longest = 0;
    for name in pdf_names(&finished.dir) {
        let path = finished.dir.join("pdfs").join(&name);
        longest = longest.max(path.to_string_lossy().encode_utf16().count());
        assert!(names::is_legal(&name));
    }
    assert!(longest <= MAX_PATH, "a path of {longest} UTF-16 units");
}

/// Windows refuses to rename or delete a folder while a file in it is open in another program:
/// publishing waits for it and then says so, and so does deleting, with nothing half done.
mod held_open {
    use super::*;
    use export_engine::EngineError;
    use export_engine::disk::HeldOpen;

    fn engine(sandbox: &Sandbox, library: &Library) -> Engine {
        let client = Client::new(ServerUrl::parse(&sandbox.api_url()).unwrap(), ApiKey::new(KEY).unwrap()).unwrap();
        Engine::new(client, Storage::new().unwrap(), library.clone())
    }

    fn request() -> ExportRequest {
        ExportRequest::parse(ExportInput {
            owner: "Group Name owning project".into(),
            project: "Example Project Name".into(),
            include_files: true,
            ..Default::default()
        })
        .unwrap()
    }

    #[tokio::test]
    async fn an_export_whose_staging_file_is_open_is_not_published_until_it_is_closed() {
        let sandbox = sandbox().await;
        let scratch = tempfile::tempdir().unwrap();
        let disk = Arc::new(HeldOpen::default());
        let library = Library::new(scratch.path()).with_disk(disk.clone());
        let engine = engine(&sandbox, &library);
        let job = engine.create_job(request(), None, None).unwrap();
        disk.hold(library.work_dir(&job.id).join("staging/pdfs/open-in-a-scanner.pdf"));

        let error = engine.run(job.clone(), Arc::new(|_: Progress| {}), CancellationToken::new()).await.unwrap_err();
        assert!(matches!(&error, EngineError::FileInUse { .. }), "{error:?}");
        assert_eq!(error.code().as_str(), "file_in_use");
        assert!(error.to_string().contains("Close it and try again"), "{error}");
        assert!(library.list().is_empty(), "nothing is published");

        disk.let_go();
        let job = engine.jobs().load(&job.id).unwrap();
        let finished = engine.run(job, Arc::new(|_: Progress| {}), CancellationToken::new()).await.unwrap();
        assert_eq!(finished.manifest.counts.pdfs, 48);
        assert_eq!(library.list().len(), 1);
    }

    #[tokio::test]
    async fn deleting_an_export_whose_pdf_is_open_deletes_nothing_and_says_what_to_close() {
        let sandbox = sandbox().await;
        let scratch = tempfile::tempdir().unwrap();
        let disk = Arc::new(HeldOpen::default());
        let library = Library::new(scratch.path()).with_disk(disk.clone());
        let engine = engine(&sandbox, &library);
        let job = engine.create_job(request(), None, None).unwrap();
        let finished = engine.run(job, Arc::new(|_: Progress| {}), CancellationToken::new()).await.unwrap();
        let before = pdf_names(&finished.dir);
        disk.hold(finished.dir.join("pdfs").join(&before[0]));

        let error = library.delete(&finished.dir).unwrap_err();
        assert!(matches!(&error, EngineError::FileInUse { action: "delete", .. }), "{error:?}");
        assert_eq!(pdf_names(&finished.dir), before, "not one file is gone");
        assert_eq!(library.list().len(), 1);

        disk.let_go();
        library.delete(&finished.dir).unwrap();
        assert!(!finished.dir.exists());
        assert!(library.list().is_empty());
        let trash: Vec<_> = std::fs::read_dir(scratch.path().join(".trash")).unwrap().collect();
        assert!(trash.is_empty(), "the trash is emptied");
    }
}
