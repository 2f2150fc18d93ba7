//! Moving the library to another folder: every export (and the job records) arrives whole and
//! browses from the new place, on the same disk in one rename or copied file by file; a folder
//! that is not empty or lies inside the library is refused, and a move stopped halfway leaves
//! the library as it was and no copy behind.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use annolab_sandbox::archive::{self, ArchiveShape};
use annolab_sandbox::filter::InstrumentFilter;
use annolab_sandbox::project::Project;
use annolab_sandbox::request::ExportRequest as SandboxRequest;
use annolab_sandbox::{DEMO_INSTRUMENTS, SourceSet};
use export_engine::browse::{Browser, Query};
use export_engine::extract::Limits;
use export_engine::library::{Library, MoveBy, MoveProgress};
use export_engine::{EngineError, ImportInput, JobRecord, JobStore, import};
use tokio_util::sync::CancellationToken;

/// A library holding one export (the demo project, with PDFs, opened from a zip) and a job
/// record naming it.
fn library_with_an_export(home: &Path) -> (Library, PathBuf) {
    let zip = home.join("example_export.zip");
    let project = Project::demo(SourceSet::Generated { instruments: DEMO_INSTRUMENTS });
    let request = SandboxRequest { owner: project.owner.clone(), project: project.name.clone(), filter: InstrumentFilter::default(), include_files: true };
    archive::write(&zip, &project, &request, ArchiveShape::default()).unwrap();
    let library = Library::new(home.join("library"));
    let finished = import(&library, &ImportInput { zip, ..ImportInput::default() }, Limits::default(), &|_| {}, &CancellationToken::new()).unwrap();
    let store = JobStore::new(library.jobs_dir());
    let input = export_engine::ExportInput { owner: "Group Name owning project".into(), project: "Example Project Name".into(), ..Default::default() };
    let mut job = JobRecord {
        id: "20261207T100000Z-ab12".into(),
        server: "http://127.0.0.1:1".into(),
        profile: None,
        request: export_engine::ExportRequest::parse(input).unwrap(),
        out: None,
        phase: export_engine::Phase::Ready,
        state: export_engine::JobState::Done,
        error: None,
        remote_job_id: Some(341),
        status_url: None,
        times: Default::default(),
        export_dir: None,
    };
    job.export_dir = Some(finished.dir.clone());
    store.save(&job).unwrap();
    (library, finished.dir)
}

fn files(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap().map(Result::unwrap) {
            if entry.file_type().unwrap().is_dir() {
                folders.push(entry.path());
            } else if !entry.path().starts_with(root.join(".jobs")) {
                found.push((entry.path().strip_prefix(root).unwrap().to_path_buf(), std::fs::read(entry.path()).unwrap()));
            }
        }
    }
    found.sort();
    found
}

#[test]
fn the_library_moves_whole_and_browses_from_its_new_place_renamed_or_copied() {
    for by in [MoveBy::RenameWhereItCan, MoveBy::Copying] {
        let home = tempfile::tempdir().unwrap();
        let (library, export) = library_with_an_export(home.path());
        let before = files(library.root());
        let page = Browser::open(&export).unwrap().page(&Query::default(), 0, 1000).unwrap();
        let seen = Mutex::new(Vec::<MoveProgress>::new());

        let to = home.path().join("elsewhere").join("library");
        let moved = library.move_to(&to, by, &|p| seen.lock().unwrap().push(p), &CancellationToken::new()).unwrap();

        assert_eq!(moved.root(), to);
        assert!(!library.root().exists(), "{by:?}: the old folder is gone");
        assert_eq!(files(&to), before, "{by:?}: every file arrived as it was");
        let listed = moved.list();
        assert_eq!(listed.len(), 1);
        assert_eq!(Browser::open(&listed[0].dir).unwrap().page(&Query::default(), 0, 1000).unwrap(), page);
        let job = JobStore::new(moved.jobs_dir()).list().remove(0);
        assert_eq!(job.export_dir.as_deref(), Some(listed[0].dir.as_path()), "{by:?}: the job record names the export's new place");
        let seen = seen.into_inner().unwrap();
        if by == MoveBy::Copying {
            let last = seen.last().copied().unwrap();
            assert!(last.files == last.files_total && last.bytes == last.bytes_total && last.files > DEMO_INSTRUMENTS, "{last:?}");
            assert!(seen.windows(2).all(|w| w[0].bytes <= w[1].bytes), "progress only goes forward");
        }
    }
}

#[test]
fn a_folder_that_is_not_empty_or_lies_inside_the_library_is_refused() {
    let home = tempfile::tempdir().unwrap();
    let (library, _) = library_with_an_export(home.path());
    let before = files(library.root());
    let busy = home.path().join("busy");
    std::fs::create_dir_all(&busy).unwrap();
    std::fs::write(busy.join("notes.txt"), b"mine").unwrap();
    for to in [busy.clone(), library.root().join("inside"), library.root().to_path_buf()] {
        let error = library.move_to(&to, MoveBy::RenameWhereItCan, &|_| {}, &CancellationToken::new()).unwrap_err();
        assert!(matches!(error, EngineError::LibraryMoveRefused { .. }), "{to:?}: {error:?}");
        assert_eq!(error.code().as_str(), "library_move_refused");
        assert!(error.to_string().contains("stays where it is"), "{error}");
    }
    assert_eq!(files(library.root()), before, "nothing changed");
    assert_eq!(std::fs::read(busy.join("notes.txt")).unwrap(), b"mine");
}

#[test]
fn a_copy_stopped_halfway_leaves_the_library_as_it_was_and_no_copy() {
    let home = tempfile::tempdir().unwrap();
    let (library, _) = library_with_an_export(home.path());
    let before = files(library.root());
    let to = home.path().join("chosen");
    std::fs::create_dir_all(&to).unwrap();
    let cancel = CancellationToken::new();
    let stop_halfway = |p: MoveProgress| {
        if p.files * 2 >= p.files_total && p.files > 0 {
            cancel.cancel();
        }
    };
    let error = library.move_to(&to, MoveBy::Copying, &stop_halfway, &cancel).unwrap_err();
    assert!(matches!(error, EngineError::Cancelled), "{error:?}");
    assert_eq!(files(library.root()), before, "the library is untouched");
    assert!(to.is_dir() && std::fs::read_dir(&to).unwrap().next().is_none(), "the chosen folder is empty again, as it was");
}
