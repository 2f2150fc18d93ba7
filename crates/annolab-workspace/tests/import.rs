//! "Open export zip…" as the app does it: a proposal with the engine's names for a chosen or
//! dropped file (none for a file that is no zip), the zip opened into the library under the
//! names the user kept, and a damaged one refused in words with nothing added.

use annolab_sandbox::archive::{self, ArchiveShape};
use annolab_sandbox::filter::InstrumentFilter;
use annolab_sandbox::project::Project;
use annolab_sandbox::request::ExportRequest;
use annolab_sandbox::{DEMO_INSTRUMENTS, SourceSet};
use annolab_workspace::library::{ImportProposal, LibraryView, import_zip};
use export_engine::Library;

#[test]
fn a_dropped_zip_is_proposed_with_the_engines_names_and_imported_under_the_users() {
    let home = tempfile::tempdir().unwrap();
    let zip = home.path().join("N453MC chain.ZIP");
    let project = Project::demo(SourceSet::Generated { instruments: DEMO_INSTRUMENTS });
    let request = ExportRequest { owner: project.owner.clone(), project: project.name.clone(), filter: InstrumentFilter::default(), include_files: true };
    archive::write(&zip, &project, &request, ArchiveShape::default()).unwrap();

    assert_eq!(ImportProposal::for_file(&home.path().join("notes.txt")), None, "only zips are offered");
    let proposal = ImportProposal::for_file(&zip).unwrap();
    assert_eq!((proposal.owner.as_str(), proposal.project.as_str()), ("Imported", "N453MC chain"));

    let library = Library::new(home.path().join("library"));
    let view = import_zip(&library, ImportProposal { owner: "Skyline Title".into(), ..proposal.clone() }).unwrap();
    assert_eq!(view.items.len(), 1);
    let item = &view.items[0];
    assert_eq!(item.imported_from.as_deref(), Some("N453MC chain.ZIP"));
    assert_eq!((item.request.owner.as_str(), item.request.project.as_str()), ("Skyline Title", "N453MC chain"));
    assert_eq!(item.counts.instruments, DEMO_INSTRUMENTS);
    assert_eq!(LibraryView::of(&library), view);

    let damaged = home.path().join("damaged.zip");
    let bytes = std::fs::read(&zip).unwrap();
    std::fs::write(&damaged, &bytes[..bytes.len() / 3]).unwrap();
    let error = import_zip(&library, ImportProposal::for_file(&damaged).unwrap()).unwrap_err();
    assert_eq!(error.code.as_str(), "not_an_export_zip");
    assert!(error.message.contains("damaged.zip"), "{}", error.message);
    assert_eq!(LibraryView::of(&library).items.len(), 1, "nothing added");
}
