//! Extracting while the download arrives: the same files as extracting the finished archive,
//! whatever the pace of the bytes; and a clean fall-back (never a half-trusted result) when the
//! archive cannot be read as a stream or the download starts its file over.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use export_engine::browse::{Browser, Query};
use export_engine::download::Arrivals;
use export_engine::extract::{self, Limits};
use export_engine::index;
use export_engine::stream::{Stopped, Streamed, extract_while_downloading};
use tokio_util::sync::CancellationToken;
use zip::CompressionMethod;
use zip::write::SimpleFileOptions;

/// An archive like an export's: a deflated instruments.json, then stored PDFs.
fn export_archive() -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("instruments.json", SimpleFileOptions::default().compression_method(CompressionMethod::Deflated)).unwrap();
    for id in 0..200 {
        writeln!(zip, r#"{{"id":{id},"typeName":"Lease"}}"#).unwrap();
    }
    for id in 0..40u32 {
        zip.start_file(format!("pdfs/Lease_1-1_{id}.pdf"), SimpleFileOptions::default().compression_method(CompressionMethod::Stored)).unwrap();
        zip.write_all(&vec![id as u8; 40_000 + id as usize]).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// The same archive with instruments.json after the PDFs.
fn instruments_last_archive() -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for id in 0..40u32 {
        zip.start_file(format!("pdfs/Lease_1-1_{id}.pdf"), SimpleFileOptions::default().compression_method(CompressionMethod::Stored)).unwrap();
        zip.write_all(&vec![id as u8; 40_000 + id as usize]).unwrap();
    }
    zip.start_file("instruments.json", SimpleFileOptions::default().compression_method(CompressionMethod::Deflated)).unwrap();
    for id in 0..200 {
        writeln!(zip, r#"{{"id":{id},"typeName":"Lease"}}"#).unwrap();
    }
    // A line repeated and a bad one, so the problems of skipped lines and of PDFs interleave.
    writeln!(zip, r#"{{"id":3,"typeName":"Lease"}}"#).unwrap();
    writeln!(zip, "not json").unwrap();
    zip.finish().unwrap().into_inner()
}

/// Writes `bytes` into `part` in chunks of `chunk`, telling `arrivals` as a download would.
fn arrive(part: PathBuf, bytes: Vec<u8>, chunk: usize, arrivals: Arc<Arrivals>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut file = std::fs::File::create(&part).unwrap();
        let mut written = 0;
        for piece in bytes.chunks(chunk) {
            file.write_all(piece).unwrap();
            file.flush().unwrap();
            written += piece.len() as u64;
            arrivals.landed(written);
            std::thread::sleep(Duration::from_millis(1));
        }
        arrivals.end(true);
    })
}

fn stream(bytes: Vec<u8>, chunk: usize) -> (tempfile::TempDir, Result<Streamed, Stopped>) {
    let work = tempfile::tempdir().unwrap();
    let arrivals = Arc::new(Arrivals::default());
    let part = work.path().join("export.zip.part");
    let writer = arrive(part.clone(), bytes, chunk, Arc::clone(&arrivals));
    let result = extract_while_downloading(&part, arrivals, &work.path().join("staging"), Limits::default(), &CancellationToken::new());
    writer.join().unwrap();
    (work, result)
}

#[test]
fn an_archive_extracted_as_it_arrives_equals_the_one_extracted_after() {
    let bytes = export_archive();
    let classic = tempfile::tempdir().unwrap();
    let zip = classic.path().join("export.zip");
    std::fs::write(&zip, &bytes).unwrap();
    let after = extract::extract(&zip, &classic.path().join("staging"), Limits::default(), &|_| {}, &CancellationToken::new()).unwrap();

    for chunk in [997, 64 * 1024, bytes.len()] {
        let (work, streamed) = stream(bytes.clone(), chunk);
        let streamed = streamed.unwrap_or_else(|e| panic!("chunks of {chunk}: {e:?}"));
        assert_eq!(streamed.entries, 41);
        assert_eq!((streamed.extracted.files, streamed.extracted.bytes), (after.files, after.bytes));
        assert_eq!(streamed.extracted.pdfs, after.pdfs);
        assert_eq!(test_support::files(&work.path().join("staging")), test_support::files(&classic.path().join("staging")));
    }
}

#[test]
fn a_corrupted_entry_stops_the_stream_so_the_finished_archive_decides() {
    let mut bytes = export_archive();
    // A byte inside the last PDF's data: its CRC-32 no longer matches.
    let at = bytes.len() - 20_000;
    bytes[at] ^= 0xff;
    let (_work, streamed) = stream(bytes, 8192);
    assert!(matches!(streamed, Err(Stopped::FallBack(_))), "{streamed:?}");
}

#[test]
fn an_archive_without_sizes_in_its_local_headers_falls_back() {
    // Written to a stream, entries carry their sizes after the data (data descriptors).
    let mut zip = zip::ZipWriter::new_stream(Vec::new());
    zip.start_file("pdfs/Lease_1-1_1.pdf", SimpleFileOptions::default().compression_method(CompressionMethod::Stored)).unwrap();
    zip.write_all(&[7u8; 5000]).unwrap();
    let bytes = zip.finish().unwrap().into_inner();
    let (_work, streamed) = stream(bytes, 1024);
    assert!(matches!(streamed, Err(Stopped::FallBack(_))), "{streamed:?}");
}

/// A stream that has read the first `arrived` bytes of an export and waits for more, while
/// `meanwhile` runs 50 ms later on another thread (with the arrivals and a cancel token).
fn waiting_at(arrived: usize, meanwhile: impl FnOnce(&Arrivals, &CancellationToken) + Send + 'static) -> Result<Streamed, Stopped> {
    let work = tempfile::tempdir().unwrap();
    let arrivals = Arc::new(Arrivals::default());
    let part = work.path().join("export.zip.part");
    std::fs::write(&part, &export_archive()[..arrived]).unwrap();
    arrivals.landed(arrived as u64);
    let cancel = CancellationToken::new();
    let other = {
        let (arrivals, cancel) = (Arc::clone(&arrivals), cancel.clone());
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            meanwhile(&arrivals, &cancel);
        })
    };
    let result = extract_while_downloading(&part, arrivals, &work.path().join("staging"), Limits::default(), &cancel);
    other.join().unwrap();
    result
}

#[test]
fn a_download_that_starts_its_file_over_stops_the_stream() {
    let result = waiting_at(100_000, |arrivals, _| arrivals.rewritten());
    assert!(matches!(result, Err(Stopped::FallBack(_))), "{result:?}");
}

#[test]
fn cancelling_stops_a_stream_waiting_for_bytes() {
    let result = waiting_at(1000, |_, cancel| cancel.cancel());
    assert!(matches!(result, Err(Stopped::Cancelled)), "{result:?}");
}

/// The index begun while the PDFs arrive, once they are linked, is the index built after:
/// the same rows, the same problems in the same order, whichever entry comes first.
#[test]
fn instruments_json_indexed_while_the_pdfs_arrive_gives_the_index_built_after() {
    for bytes in [export_archive(), instruments_last_archive()] {
        let classic = tempfile::tempdir().unwrap();
        let zip = classic.path().join("export.zip");
        std::fs::write(&zip, &bytes).unwrap();
        let staging = classic.path().join("staging");
        let after = extract::extract(&zip, &staging, Limits::default(), &|_| {}, &CancellationToken::new()).unwrap();
        let built = index::build(&staging, &after.pdfs, true, &|_| {}, &CancellationToken::new()).unwrap();

        let (work, streamed) = stream(bytes, 64 * 1024);
        let mut streamed = streamed.unwrap();
        let ahead = streamed.indexing.take().expect("instruments.json was indexed as soon as it was extracted");
        let ahead_dir = work.path().join("staging.index");
        assert!(ahead_dir.is_dir(), "built beside the staging folder, out of the archive's reach");
        let linked = ahead.finish(&work.path().join("staging"), &streamed.extracted.pdfs, true).expect("the tables were built");
        assert!(!ahead_dir.exists(), "nothing left beside the staging folder");
        assert_eq!(linked.instruments, built.instruments);
        assert_eq!(linked.problems, built.problems);
        let everything = |dir: &std::path::Path| Browser::open(dir).unwrap().page(&Query::default(), 0, 1000).unwrap();
        assert_eq!(everything(&work.path().join("staging")), everything(&staging));
    }
}

#[test]
fn indexing_ahead_dropped_unfinished_leaves_nothing_behind() {
    let (work, streamed) = stream(export_archive(), 64 * 1024);
    let streamed = streamed.unwrap();
    assert!(streamed.indexing.is_some());
    drop(streamed);
    assert!(!work.path().join("staging.index").exists());
    assert!(!work.path().join("staging").join(index::INDEX).exists(), "an index only appears when it is finished and linked");
}
