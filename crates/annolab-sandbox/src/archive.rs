//! Writes an export's zip to disk as a stream: `instruments.json` (JSON Lines), then with
//! `includeFiles` one PDF per instrument under `pdfs/`.
//!
//! Only one source's PDF is in memory at a time, so memory stays flat however large the export.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use zip::CompressionMethod;
use zip::write::SimpleFileOptions;

use crate::pdf;
use crate::project::{Instrument, Project, Source};
use crate::request::{ExportRequest, ProjectExportRequest};

/// What one export holds, for the job's record and for tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ArchiveSummary {
    pub instruments: u64,
    pub pdfs: u64,
    pub bytes: u64,
}

/// How the archive should be shaped beyond what the request says: the injected faults and the
/// simulated scan weight of each page.
#[derive(Debug, Clone, Copy, Default)]
pub struct ArchiveShape {
    pub malformed_lines: u64,
    pub hostile_entries: bool,
    /// The first instrument's PDF has one page more than its range, the second's is left out.
    pub integrity_problems: bool,
    /// instruments.json after the PDFs rather than first, as AnnoLab writes it.
    pub instruments_last: bool,
    pub scan_bytes_per_page: usize,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    #[error("could not write the export archive: {0}")]
    Io(#[from] io::Error),
    #[error("could not write the export archive: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("could not read or cut source PDF {source_name:?}: {reason}")]
    Pdf { source_name: String, reason: String },
}

/// Writes the archive for `request` to `path`, flushing and syncing it before returning.
pub fn write(path: &Path, project: &Project, request: &ExportRequest, shape: ArchiveShape) -> Result<ArchiveSummary, ArchiveError> {
    let file = File::create(path)?;
    let mut zip = zip::ZipWriter::new(BufWriter::with_capacity(1 << 20, file));
    let json_options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        // instruments.json passes 4 GiB only well beyond a million instruments; zip64 only then.
        .large_file(project.instrument_count() > 2_000_000);
    let mut summary = ArchiveSummary::default();
    let instruments = |zip: &mut zip::ZipWriter<BufWriter<File>>, summary: &mut ArchiveSummary| -> Result<(), ArchiveError> {
        zip.start_file("instruments.json", json_options)?;
        let mut malformed = MalformedLines::new(shape.malformed_lines);
        let mut line = Vec::with_capacity(4096);
        for source in project.sources() {
            for instrument in kept(&source, request) {
                line.clear();
                serde_json::to_writer(&mut line, instrument).map_err(io::Error::other)?;
                line.push(b'\n');
                zip.write_all(&line)?;
                summary.instruments += 1;
                malformed.after_instrument(zip, summary.instruments)?;
            }
        }
        malformed.finish(zip)?;
        Ok(())
    };
    if !shape.instruments_last {
        instruments(&mut zip, &mut summary)?;
    }

    if request.include_files {
        // PDFs are already compressed inside; deflating them again costs time and gains nothing.
        let pdf_options = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
        for source in project.sources() {
            let instruments: Vec<&Instrument> = kept(&source, request).collect();
            if instruments.is_empty() {
                continue;
            }
            let pdf_error = |e: lopdf::Error| ArchiveError::Pdf { source_name: source.name.clone(), reason: e.to_string() };
            let document = match &source.file {
                Some(path) => pdf::load(path).map_err(pdf_error)?,
                None => pdf::source_document(&source, shape.scan_bytes_per_page),
            };
            for instrument in instruments {
                let flawed = shape.integrity_problems.then_some(summary.pdfs);
                if flawed == Some(1) {
                    // Left out: the instrument is in instruments.json with no PDF beside it.
                    summary.pdfs += 1;
                    continue;
                }
                // One page too many: the source's next page, or its previous one at the end.
                let (mut start, mut end) = (instrument.start_page_number, instrument.end_page_number);
                if flawed == Some(0) {
                    match end < document.get_pages().len() as u32 {
                        true => end += 1,
                        false => start = start.saturating_sub(1).max(1),
                    }
                }
                let bytes = pdf::cut(&document, start, end).map_err(pdf_error)?;
                let name = if project.type_names.is_empty() { pdf_file_name(instrument) } else { raw_pdf_file_name(instrument) };
                zip.start_file(format!("pdfs/{name}"), pdf_options)?;
                zip.write_all(&bytes)?;
                summary.pdfs += 1;
            }
        }
    }

    if shape.instruments_last {
        instruments(&mut zip, &mut summary)?;
    }
    if shape.hostile_entries {
        write_hostile_entries(&mut zip)?;
    }
    let writer = zip.finish()?;
    let file = writer.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    summary.bytes = file.metadata()?.len();
    Ok(summary)
}

/// The project export the official SDK's `Project.export` downloads: JSON Lines files named
/// `<project>.<entity>.jsonl` (annotations, layers, relations; with the flags also sources,
/// text bounds and annotation types) and, with `includeSources`, each source PDF under its
/// directory, as the SDK's importer reads them.
pub fn write_project(path: &Path, project: &Project, request: &ProjectExportRequest) -> Result<ArchiveSummary, ArchiveError> {
    const DIRECTORY: &str = "Uploads";
    const LAYER: &str = "GOLD";
    let file = File::create(path)?;
    let mut zip = zip::ZipWriter::new(BufWriter::with_capacity(1 << 20, file));
    let jsonl = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    let prefix = safe_type_name(&project.name);
    let wanted = |source: &Source| request.source_ids.as_ref().is_none_or(|ids| ids.contains(&source.id));
    let layer_wanted = request.layers.as_ref().is_none_or(|layers| layers.iter().any(|l| l == LAYER));
    let mut summary = ArchiveSummary::default();
    let line = |zip: &mut zip::ZipWriter<BufWriter<File>>, value: serde_json::Value| -> io::Result<()> {
        serde_json::to_writer(&mut *zip, &value).map_err(io::Error::other)?;
        zip.write_all(b"\n")
    };

    zip.start_file(format!("{prefix}.annotations.jsonl"), jsonl)?;
    if layer_wanted {
        for source in project.sources().filter(|s| wanted(s)) {
            for instrument in &source.instruments {
                for annotation in &instrument.annotations {
                    line(&mut zip, annotation.clone())?;
                }
                summary.instruments += 1;
            }
        }
    }
    zip.start_file(format!("{prefix}.layers.jsonl"), jsonl)?;
    if layer_wanted {
        line(&mut zip, serde_json::json!({"name": LAYER, "isGoldSet": true, "description": "Reviewed annotations"}))?;
    }
    zip.start_file(format!("{prefix}.relations.jsonl"), jsonl)?;
    if request.include_annotation_types {
        zip.start_file(format!("{prefix}.atntypes.jsonl"), jsonl)?;
        for (name, color) in [("Registration Number", "#4f46e5"), ("Effective Date", "#0891b2"), ("Party", "#16a34a"), ("Recording Date", "#ca8a04")] {
            line(&mut zip, serde_json::json!({"name": name, "color": color, "isRelation": false, "isDocumentClassification": false, "category": "Entity"}))?;
        }
    }
    if request.include_sources {
        zip.start_file(format!("{prefix}.sources.jsonl"), jsonl)?;
        for source in project.sources().filter(|s| wanted(s)) {
            line(
                &mut zip,
                serde_json::json!({"sourceId": source.id, "sourceName": source.name, "directoryName": DIRECTORY, "type": "pdf", "text": "", "pageCount": source.pages}),
            )?;
        }
    }
    if request.include_text_bounds {
        zip.start_file(format!("{prefix}.text-bounds.jsonl"), jsonl)?;
        for source in project.sources().filter(|s| wanted(s)) {
            line(&mut zip, serde_json::json!({"sourceId": source.id, "textBounds": []}))?;
        }
    }
    if request.include_sources {
        let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
        for source in project.sources().filter(|s| wanted(s)) {
            let bytes = match &source.file {
                Some(path) => std::fs::read(path)?,
                None => {
                    let mut bytes = Vec::new();
                    pdf::source_document(&source, 0).save_to(&mut bytes)?;
                    bytes
                }
            };
            zip.start_file(format!("{DIRECTORY}/{}", source.name), stored)?;
            zip.write_all(&bytes)?;
            summary.pdfs += 1;
        }
    }
    let file = zip.finish()?.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    summary.bytes = file.metadata()?.len();
    Ok(summary)
}

/// `<Instrument Type>_<page start>-<page end>_<instrument id>.pdf`, as documented, with the type
/// made safe for Windows, macOS and Linux file systems whatever it holds.
pub fn pdf_file_name(instrument: &Instrument) -> String {
    format!("{}_{}-{}_{}.pdf", safe_type_name(&instrument.type_name), instrument.start_page_number, instrument.end_page_number, instrument.id)
}

/// The documented name with the type exactly as it is, whatever it holds (a `/` too, which
/// then reads as a folder): what a server that never cleans its names sends.
pub fn raw_pdf_file_name(instrument: &Instrument) -> String {
    format!("{}_{}-{}_{}.pdf", instrument.type_name, instrument.start_page_number, instrument.end_page_number, instrument.id)
}

/// Replaces characters no common file system accepts (`<>:"/\|?*`, controls) with `_`, trims
/// leading and trailing spaces and dots, and keeps the name well under the 255-byte limit.
pub fn safe_type_name(type_name: &str) -> String {
    const MAX_BYTES: usize = 120;
    let mut safe: String =
        type_name.chars().map(|c| if c.is_control() || matches!(c, '<' | '>' | ':' | '"' | '/' | '\\' | '|' | '?' | '*') { '_' } else { c }).collect();
    safe = safe.trim_matches(|c: char| c == ' ' || c == '.').to_owned();
    if safe.len() > MAX_BYTES {
        let mut end = MAX_BYTES;
        while !safe.is_char_boundary(end) {
            end -= 1;
        }
        safe.truncate(end);
    }
    if safe.is_empty() { "Instrument".to_owned() } else { safe }
}

fn kept<'a>(source: &'a Source, request: &'a ExportRequest) -> impl Iterator<Item = &'a Instrument> {
    source.instruments.iter().filter(move |i| request.filter.keeps(source, i))
}

/// Spreads the injected bad lines through the file: one after every other instrument, the rest
/// at the end, so a reader must recover mid-file, not just at the edges.
struct MalformedLines {
    left: u64,
    written: u64,
}

const MALFORMED: &[&str] =
    &[r#"{"id": 1, "typeName": "Bill of Sale", "startPageNumber": "#, "this line is not JSON at all", r#"{"id": 402970,, "typeName": "Lease"}"#];

impl MalformedLines {
    fn new(count: u64) -> Self {
        MalformedLines { left: count, written: 0 }
    }

    fn after_instrument(&mut self, out: &mut impl Write, instruments: u64) -> io::Result<()> {
        if self.left > 0 && instruments % 2 == 1 {
            self.write_one(out)?;
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut impl Write) -> io::Result<()> {
        while self.left > 0 {
            self.write_one(out)?;
        }
        Ok(())
    }

    fn write_one(&mut self, out: &mut impl Write) -> io::Result<()> {
        let line = MALFORMED[(self.written % MALFORMED.len() as u64) as usize];
        out.write_all(line.as_bytes())?;
        out.write_all(b"\n")?;
        self.left -= 1;
        self.written += 1;
        Ok(())
    }
}

/// Entries a safe extractor must refuse: parent traversal, absolute paths, a drive letter and a
/// symlink pointing out of the export.
pub const HOSTILE_ENTRY_NAMES: &[&str] = &["../outside.txt", "/tmp/annolab-sandbox-absolute.txt", "pdfs/../../outside-too.txt", "C:/annolab-drive.txt"];
pub const HOSTILE_SYMLINK: (&str, &str) = ("pdfs/escape-link", "/etc/passwd");

fn write_hostile_entries<W: Write + io::Seek>(zip: &mut zip::ZipWriter<W>) -> Result<(), ArchiveError> {
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    for name in HOSTILE_ENTRY_NAMES {
        zip.start_file(*name, options)?;
        zip.write_all(b"A safe extractor never writes this file.\n")?;
    }
    zip.add_symlink(HOSTILE_SYMLINK.0, HOSTILE_SYMLINK.1, options)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_become_portable_file_names() {
        let cases = [
            ("Bill of Sale", "Bill of Sale"),
            ("Assignment / Assumption", "Assignment _ Assumption"),
            (r#"Lien: "Partial" <A|B>?*\"#, "Lien_ _Partial_ _A_B____"),
            ("Tab\tNew\nline", "Tab_New_line"),
            ("  ..Trailing dots.. ", "Trailing dots"),
            ("", "Instrument"),
            ("...", "Instrument"),
            ("Été – Übertragung", "Été – Übertragung"),
        ];
        for (type_name, expected) in cases {
            assert_eq!(safe_type_name(type_name), expected, "{type_name:?}");
        }
        let long = "é".repeat(200);
        let safe = safe_type_name(&long);
        assert!(safe.len() <= 120 && safe.chars().all(|c| c == 'é'));
    }
}
