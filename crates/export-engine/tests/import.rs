//! Opening export zips made elsewhere: one as the documentation's Python sample saves it comes
//! into the library (or exactly into `--out`) file for file as it was in the zip, indexed and
//! marked imported; damaged, foreign and hostile zips are refused or reported, with nothing
//! written outside the export and nothing half-published.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use annolab_sandbox::archive::{self, ArchiveShape};
use annolab_sandbox::filter::InstrumentFilter;
use annolab_sandbox::project::Project;
use annolab_sandbox::request::ExportRequest as SandboxRequest;
use annolab_sandbox::{DEMO_INSTRUMENTS, SourceSet};
use export_engine::extract::Limits;
use export_engine::library::Library;
use export_engine::{EngineError, ImportInput, ProblemKind, import};
use tokio_util::sync::CancellationToken;

/// A zip as the sample writes it (`example_export.zip`), straight from the sandbox's archive writer.
fn sample_zip(dir: &Path, include_files: bool, hostile: bool) -> PathBuf {
    let zip = dir.join("example_export.zip");
    let project = Project::demo(SourceSet::Generated { instruments: DEMO_INSTRUMENTS });
    let request = SandboxRequest { owner: project.owner.clone(), project: project.name.clone(), filter: InstrumentFilter::default(), include_files };
    archive::write(&zip, &project, &request, ArchiveShape { hostile_entries: hostile, ..ArchiveShape::default() }).unwrap();
    zip
}

fn entries(zip: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(zip).unwrap()).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut entry = archive.by_index(i).unwrap();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            (entry.name().unwrap().into_owned(), bytes)
        })
        .filter(|(name, _)| !name.ends_with('/'))
        .collect()
}

fn run(library: &Library, input: ImportInput) -> Result<export_engine::Finished, EngineError> {
    import(library, &input, Limits::default(), &|_| {}, &CancellationToken::new())
}

#[test]
fn a_sample_zip_comes_into_the_library_file_for_file_indexed_and_marked_imported() {
    let home = tempfile::tempdir().unwrap();
    let zip = sample_zip(home.path(), true, false);
    let library = Library::new(home.path().join("library"));
    let finished = run(&library, ImportInput { zip: zip.clone(), ..ImportInput::default() }).unwrap();

    assert!(finished.dir.starts_with(library.root().join("Imported").join("example_export")), "{}", finished.dir.display());
    assert!(finished.dir.file_name().unwrap().to_string_lossy().ends_with("-imported"));
    for (name, bytes) in entries(&zip) {
        assert_eq!(std::fs::read(finished.dir.join(&name)).unwrap_or_default(), bytes, "{name} differs from the zip's");
    }
    let manifest = &finished.manifest;
    assert_eq!(manifest.imported.as_ref().map(|i| i.file.as_str()), Some("example_export.zip"));
    assert_eq!(manifest.counts.instruments, DEMO_INSTRUMENTS);
    assert_eq!(manifest.counts.pdfs, DEMO_INSTRUMENTS);
    assert!(manifest.request.include_files && manifest.problems.is_empty(), "{:?}", manifest.problems);
    assert!(finished.dir.join("index.sqlite").is_file() && finished.dir.join("search.sqlite").is_file());

    let listed = library.list();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].dir, finished.dir);
    assert_eq!(library.find(finished.dir.file_name().unwrap().to_str().unwrap()).unwrap().dir, finished.dir);
    assert!(library.find("job0").is_err(), "an imported export has no server job to be named by");
    assert_eq!(std::fs::read_dir(library.root().join(".work")).map(|d| d.count()).unwrap_or(0), 0, "nothing left in .work");
}

#[test]
fn out_puts_it_exactly_there_under_the_names_given() {
    let home = tempfile::tempdir().unwrap();
    let zip = sample_zip(home.path(), false, false);
    let library = Library::new(home.path().join("library"));
    let out = home.path().join("elsewhere").join("N453MC");
    let input = ImportInput { zip: zip.clone(), owner: Some(" Skyline Title ".into()), project: Some("Fleet 2026".into()), out: Some(out.clone()) };
    let finished = run(&library, input.clone()).unwrap();
    assert_eq!(finished.dir, out);
    assert_eq!((finished.manifest.request.owner.as_str(), finished.manifest.request.project.as_str()), ("Skyline Title", "Fleet 2026"));
    assert!(!finished.manifest.request.include_files);
    let mut names: Vec<String> = std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, ["index.sqlite", "instruments.json", "manifest.json", "search.sqlite"]);
    assert_eq!(std::fs::read_dir(out.parent().unwrap()).unwrap().count(), 1, "no staging folder left beside it");

    let occupied = run(&library, input).unwrap_err();
    assert!(matches!(occupied, EngineError::DestinationNotEmpty { .. }), "{occupied:?}");
}

#[test]
fn a_hostile_zip_is_reported_and_nothing_is_written_outside_the_export() {
    let home = tempfile::tempdir().unwrap();
    let zip = sample_zip(home.path(), true, true);
    let library = Library::new(home.path().join("library"));
    let out = home.path().join("out").join("export");
    let finished = run(&library, ImportInput { zip, out: Some(out.clone()), ..ImportInput::default() }).unwrap();
    let unsafe_entries = finished.manifest.problems.iter().filter(|p| p.kind == ProblemKind::UnsafeEntry).count();
    assert_eq!(unsafe_entries, 5, "{:?}", finished.manifest.problems);
    for escaped in
        [home.path().join("out/outside.txt"), home.path().join("outside.txt"), PathBuf::from("/tmp/annolab-sandbox-absolute.txt"), out.join("pdfs/escape-link")]
    {
        assert!(!escaped.exists(), "{}", escaped.display());
    }
    let written: Vec<PathBuf> =
        test_support::files_below(home.path()).into_iter().filter(|p| !p.starts_with(&out) && p.extension().is_none_or(|e| e != "zip")).collect();
    assert!(written.is_empty(), "written outside the export: {written:?}");
}

#[test]
fn damaged_and_foreign_zips_are_refused_naming_the_file_and_nothing_is_published() {
    let home = tempfile::tempdir().unwrap();
    let library = Library::new(home.path().join("library"));
    let good = std::fs::read(sample_zip(home.path(), true, false)).unwrap();

    let cut = home.path().join("cut short.zip");
    std::fs::write(&cut, &good[..good.len() / 2]).unwrap();
    let flipped = home.path().join("flipped.zip");
    let mut bytes = good.clone();
    bytes[200] ^= 0xff;
    std::fs::write(&flipped, bytes).unwrap();
    let foreign = home.path().join("holiday photos.zip");
    {
        let mut writer = zip::ZipWriter::new(std::fs::File::create(&foreign).unwrap());
        writer.start_file("IMG_0001.txt", zip::write::SimpleFileOptions::default()).unwrap();
        std::io::Write::write_all(&mut writer, b"not an export").unwrap();
        writer.finish().unwrap();
    }
    let not_a_zip = home.path().join("notes.zip");
    std::fs::write(&not_a_zip, "just text").unwrap();

    for (zip, words) in [
        (&cut, "cut short.zip"),
        (&flipped, "flipped.zip"),
        (&foreign, "no instruments.json"),
        (&not_a_zip, "notes.zip"),
        (&home.path().join("missing.zip"), "cannot be opened"),
    ] {
        let error = run(&library, ImportInput { zip: zip.clone(), ..ImportInput::default() }).unwrap_err();
        assert_eq!(error.code().as_str(), "not_an_export_zip", "{}: {error}", zip.display());
        assert!(error.to_string().contains(words), "{error}");
    }
    assert!(library.list().is_empty(), "nothing published");
    assert_eq!(std::fs::read_dir(library.root().join(".work")).map(|d| d.count()).unwrap_or(0), 0, "nothing left in .work");
}

/// A zip bomb among a zip's PDFs is refused as a download's would be (`zip_bomb`, naming the
/// entry), before it is written, and nothing is published or left behind.
#[test]
fn a_zip_bomb_is_refused_as_a_download_is_and_nothing_is_left() {
    let home = tempfile::tempdir().unwrap();
    let library = Library::new(home.path().join("library"));
    let bomb = home.path().join("bomb.zip");
    {
        let mut writer = zip::ZipWriter::new(std::fs::File::create(&bomb).unwrap());
        writer.start_file("instruments.json", zip::write::SimpleFileOptions::default()).unwrap();
        std::io::Write::write_all(&mut writer, b"{\"id\": 1}\n").unwrap();
        writer.start_file("pdfs/Big_1-1_1.pdf", zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated)).unwrap();
        std::io::Write::write_all(&mut writer, &vec![0u8; 16 << 20]).unwrap();
        writer.finish().unwrap();
    }
    let error = run(&library, ImportInput { zip: bomb, ..ImportInput::default() }).unwrap_err();
    assert_eq!(error.code().as_str(), "zip_bomb", "{error}");
    assert!(error.to_string().contains("pdfs/Big_1-1_1.pdf"), "{error}");
    assert!(library.list().is_empty(), "nothing published");
    let left: Vec<PathBuf> = test_support::files_below(&library.root().join(".work"));
    assert!(left.is_empty(), "left behind: {left:?}");
}
