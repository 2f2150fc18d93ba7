//! Damaged and hostile archives, built by hand: verify catches corruption, extract refuses bombs
//! and archives larger than the limit.

use std::io::Write;
use std::path::Path;

use export_engine::extract::{self, Limits};
use export_engine::{EngineError, Progress, verify};
use tokio_util::sync::CancellationToken;
use zip::CompressionMethod;
use zip::write::SimpleFileOptions;

fn quiet() -> impl Fn(Progress) + Send + Sync {
    |_| {}
}

fn write_zip(path: &Path, entries: &[(&str, &[u8], CompressionMethod)]) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, data, method) in entries {
        zip.start_file(*name, SimpleFileOptions::default().compression_method(*method)).unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap();
}

#[test]
fn a_flipped_byte_fails_verification() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.zip");
    let data = b"{\"id\": 1, \"typeName\": \"Bill of Sale\"}\n".repeat(50);
    write_zip(&path, &[("instruments.json", &data, CompressionMethod::Stored)]);
    assert!(verify::verify(&path, None, &quiet(), &CancellationToken::new()).is_ok());

    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes.windows(4).position(|w| w == b"Bill").unwrap();
    bytes[at] = b'K';
    std::fs::write(&path, &bytes).unwrap();
    let error = verify::verify(&path, None, &quiet(), &CancellationToken::new()).unwrap_err();
    assert!(matches!(&error, EngineError::BadArchive { reason } if reason.contains("instruments.json")), "{error:?}");
}

#[test]
fn a_truncated_archive_fails_verification() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.zip");
    write_zip(&path, &[("instruments.json", b"{\"id\": 1}\n", CompressionMethod::Deflated)]);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    assert!(matches!(verify::verify(&path, None, &quiet(), &CancellationToken::new()), Err(EngineError::BadArchive { .. })));
}

#[test]
fn a_zip_bomb_is_refused_before_it_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.zip");
    let zeros = vec![0u8; 16 << 20];
    write_zip(&path, &[("instruments.json", b"", CompressionMethod::Stored), ("pdfs/Big_1-1_1.pdf", &zeros, CompressionMethod::Deflated)]);
    let staging = dir.path().join("staging");
    let error = extract::extract(&path, &staging, Limits::default(), &quiet(), &CancellationToken::new()).unwrap_err();
    assert!(matches!(&error, EngineError::ZipBomb { entry, .. } if entry == "pdfs/Big_1-1_1.pdf"), "{error:?}");
    assert!(!staging.join("pdfs/Big_1-1_1.pdf").exists());
}

#[test]
fn an_archive_over_the_size_limit_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.zip");
    write_zip(&path, &[("instruments.json", &[b'x'; 4096], CompressionMethod::Stored)]);
    let limits = Limits { max_total_bytes: 1024, ..Limits::default() };
    let error = extract::extract(&path, &dir.path().join("staging"), limits, &quiet(), &CancellationToken::new()).unwrap_err();
    assert!(matches!(error, EngineError::ArchiveTooLarge { bytes: 4096, limit: 1024 }), "{error:?}");
}
