//! The checks the fuzz targets (`tests/fuzz`) run on arbitrary bytes, kept here so that the
//! stable replay test (`tests/fuzz_corpus.rs`) runs the very same code over the committed corpus.
//!
//! Not an API: each function panics when the engine breaks a promise on its input (a panic
//! inside the engine, a file written outside the export, an illegal name), which is what a fuzz
//! target and a test report. Bad input itself must never panic: it is a typed error or a problem
//! in the result.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension};
use tokio_util::sync::CancellationToken;

use crate::download::Arrivals;
use crate::extract::{self, Extracted, Limits, PdfFile};
use crate::index::{self, INDEX, INSTRUMENTS, SEARCH};
use crate::manifest::ProblemKind;
use crate::names::{self, MAX_NAME_CHARS, Placement};
use crate::stream::{self, Stopped};
use crate::verify;

/// What extraction may unpack in a fuzz run: enough for anything a few KB of input can hold,
/// little enough that a run never fills the disk.
const LIMITS: Limits = Limits { max_total_bytes: 64 << 20, max_ratio: 200, path_budget: names::MAX_PATH };

/// `bytes` as `instruments.json`, indexed in `work` (an empty folder) beside two PDFs, one
/// readable (instrument 1, two pages) and one not (instrument 2). Checks that indexing succeeds,
/// that every indexed instrument's recorded offset and length point at its own JSON line, that
/// every line problem names a line of the file, and that every line, as a search, is a valid
/// full-text query.
pub fn instruments(bytes: &[u8], work: &Path) {
    std::fs::write(work.join(INSTRUMENTS), bytes).expect("write instruments.json");
    let pdfs =
        BTreeMap::from([(1, PdfFile { path: "pdfs/A_1-2_1.pdf".into(), pages: Some(2) }), (2, PdfFile { path: "pdfs/B_1-1_2.pdf".into(), pages: None })]);
    let indexed = index::build(work, &pdfs, true, &|_| {}, &CancellationToken::new()).unwrap_or_else(|e| panic!("indexing failed: {e}"));

    let lines = bytes.split(|b| *b == b'\n').count() as u64;
    for problem in &indexed.problems {
        if let Some(line) = problem.line {
            assert!((1..=lines).contains(&line), "problem on line {line} of {lines}: {}", problem.message);
        }
    }

    let db = Connection::open(work.join(INDEX)).expect("open index.sqlite");
    let count: i64 = db.query_row("SELECT count(*) FROM instruments", [], |r| r.get(0)).expect("count instruments");
    assert_eq!(count as u64, indexed.instruments, "rows in the index");
    let mut rows = db.prepare("SELECT id, json_offset, json_length FROM instruments").expect("read instruments");
    let rows = rows.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))).expect("read instruments");
    let mut ids = HashSet::new();
    for row in rows {
        let (id, offset, length) = row.expect("an instruments row");
        let (offset, length) = (usize::try_from(offset).expect("offset >= 0"), usize::try_from(length).expect("length >= 0"));
        let json = bytes.get(offset..offset + length).unwrap_or_else(|| panic!("instrument {id}: bytes {offset}+{length} are beyond the file"));
        let value: serde_json::Value = serde_json::from_str(&String::from_utf8_lossy(json)).unwrap_or_else(|e| panic!("instrument {id}'s recorded JSON: {e}"));
        assert_eq!(value.get("id").and_then(serde_json::Value::as_u64).map(|v| v as i64), Some(id), "instrument {id}'s recorded JSON");
        assert!(ids.insert(id), "instrument {id} indexed twice");
    }
    let duplicates = indexed.problems.iter().filter(|p| p.kind == ProblemKind::DuplicateInstrument).count();
    let bad = indexed.problems.iter().filter(|p| p.kind == ProblemKind::BadLine).count();
    let non_empty = bytes.split(|b| *b == b'\n').filter(|line| !line.trim_ascii().is_empty()).count();
    assert_eq!(indexed.instruments as usize + duplicates + bad, non_empty, "every non-empty line is indexed, a duplicate or a bad line");

    let search = Connection::open(work.join(SEARCH)).expect("open search.sqlite");
    for line in String::from_utf8_lossy(bytes).lines().take(16) {
        let query = index::fts_query(line);
        if !query.is_empty() {
            search
                .query_row("SELECT rowid FROM search WHERE search MATCH ?1 LIMIT 1", [&query], |r| r.get::<_, i64>(0))
                .optional()
                .unwrap_or_else(|e| panic!("the search {line:?} is not a valid query {query:?}: {e}"));
        }
    }
}

/// `bytes` as a finished `export.zip`: verified, then extracted, in `work` (an empty folder).
/// Checks that neither panics, that nothing is written outside the staging folder, and that
/// what is written is what the result reports, under legal names that never collide.
pub fn zip_buffered(bytes: &[u8], work: &Path) {
    let layout = Layout::new(work, bytes);
    let verified = verify::verify(&layout.zip, None, &|_| {}, &CancellationToken::new());
    layout.assert_only_zip_and_staging();
    let extracted = extract::extract(&layout.zip, &layout.staging, LIMITS, &|_| {}, &CancellationToken::new());
    layout.assert_only_zip_and_staging();
    layout.assert_staging_is_safe();
    if let Ok(extracted) = &extracted {
        layout.assert_reports(extracted);
        if let Ok(verified) = &verified {
            assert!(extracted.files <= verified.entries, "{} files from {} entries", extracted.files, verified.entries);
        }
    }
}

/// `bytes` as an archive arriving while it downloads (all of it landed, the download complete),
/// extracted by [`stream::extract_while_downloading`] in `work` (an empty folder). Checks what
/// [`zip_buffered`] checks, and that an archive streaming accepts is one the classic path
/// accepts too, with the same files: the pipeline trusts a streamed result without verifying
/// the finished archive again.
pub fn zip_streaming(bytes: &[u8], work: &Path) {
    let layout = Layout::new(work, bytes);
    let arrivals = Arc::new(Arrivals::default());
    arrivals.landed(bytes.len() as u64);
    arrivals.end(true);
    let streamed = stream::extract_while_downloading(&layout.zip, arrivals, &layout.staging, LIMITS, &CancellationToken::new());
    layout.assert_only_zip_and_staging();
    layout.assert_staging_is_safe();
    match streamed {
        Ok(streamed) => {
            layout.assert_reports(&streamed.extracted);
            let classic = work.join("classic");
            let verified = verify::verify(&layout.zip, None, &|_| {}, &CancellationToken::new())
                .unwrap_or_else(|e| panic!("streaming accepted an archive verify refuses: {e}"));
            assert_eq!(verified.entries, streamed.entries, "entries");
            let extracted = extract::extract(&layout.zip, &classic, LIMITS, &|_| {}, &CancellationToken::new())
                .unwrap_or_else(|e| panic!("streaming accepted an archive extract refuses: {e}"));
            assert_eq!((extracted.files, extracted.bytes), (streamed.extracted.files, streamed.extracted.bytes), "files and bytes");
            assert_eq!(extracted.pdfs, streamed.extracted.pdfs, "PDFs");
            assert_eq!(contents(&classic), contents(&layout.staging), "the files extracted");
        }
        Err(Stopped::FallBack(_)) => {}
        Err(Stopped::Cancelled) => panic!("cancelled without a cancel"),
    }
}

/// Names from arbitrary text: the first byte is the length cap, the rest (lossy UTF-8) the name,
/// and each of its lines an archive entry placed in one export. Checks every promise of
/// [`names`]: legal results, within the caps, legal names left alone, idempotence, no hidden
/// folder, and no two entries given the same file.
pub fn names(bytes: &[u8]) {
    let Some((&cap, text)) = bytes.split_first() else { return };
    let max_chars = usize::from(cap);
    let text = String::from_utf8_lossy(text);
    for name in std::iter::once(text.as_ref()).chain(text.lines()) {
        let file = names::file_name(name, max_chars);
        assert!(names::is_legal(&file), "file_name({name:?}, {max_chars}) = {file:?} is not legal");
        let tail = names::kept_tail(name).chars().count();
        assert!(file.chars().count() <= max_chars.min(MAX_NAME_CHARS).max(tail).max(1), "file_name({name:?}, {max_chars}) = {file:?} is too long");
        assert_eq!(names::file_name(&file, max_chars), file, "file_name is not idempotent on {name:?}");
        if names::is_legal(name) && name.chars().count() <= max_chars {
            assert_eq!(file, name, "a legal name was changed");
        }
        let folder = names::folder_name(name, max_chars);
        assert!(names::is_legal(&folder) && !folder.starts_with('.'), "folder_name({name:?}, {max_chars}) = {folder:?}");
        assert_eq!(names::folder_name(&folder, max_chars), folder, "folder_name is not idempotent on {name:?}");
    }

    let mut placement = Placement::new(max_chars);
    let mut given = HashSet::new();
    for entry in text.lines() {
        let Some(relative) = extract::safe_relative_path(entry, false) else { continue };
        let path = placement.file(&relative);
        assert!(path.split('/').all(names::is_legal), "{entry:?} placed at {path:?}");
        assert!(given.insert(names::fold(&path)), "{entry:?} placed at {path:?}, given before");
    }
}

/// A fuzz run's folders: the archive beside a staging folder three levels down, so that an entry
/// climbing out of staging lands somewhere this harness looks.
struct Layout {
    root: PathBuf,
    zip: PathBuf,
    staging: PathBuf,
}

impl Layout {
    fn new(work: &Path, bytes: &[u8]) -> Self {
        let root = work.join("root");
        let staging = root.join("a").join("b").join("staging");
        std::fs::create_dir_all(staging.parent().expect("staging has a parent")).expect("create the work folders");
        let zip = root.join("export.zip");
        std::fs::write(&zip, bytes).expect("write export.zip");
        Layout { root, zip, staging }
    }

    /// Nothing but the archive, the folders above staging and staging itself below the root.
    fn assert_only_zip_and_staging(&self) {
        let allowed = [self.zip.clone(), self.root.join("a"), self.root.join("a").join("b"), self.staging.clone()];
        let mut stack = vec![self.root.clone()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("list the work folder") {
                let path = entry.expect("a work folder entry").path();
                assert!(allowed.contains(&path), "{} was written outside the staging folder", path.display());
                if path != self.staging && path.is_dir() {
                    stack.push(path);
                }
            }
        }
    }

    /// No links below staging, and every name in it legal.
    fn assert_staging_is_safe(&self) {
        for (path, meta) in walk(&self.staging) {
            assert!(!meta.file_type().is_symlink(), "{} is a link", path.display());
            let relative = path.strip_prefix(&self.staging).expect("below staging");
            for part in relative.iter() {
                assert!(names::is_legal(&part.to_string_lossy()), "{} has an illegal name", path.display());
            }
        }
    }

    /// The files below staging are those `extracted` counts, and its PDFs are among them.
    fn assert_reports(&self, extracted: &Extracted) {
        let files: Vec<_> = walk(&self.staging).into_iter().filter(|(_, meta)| meta.is_file()).collect();
        assert_eq!(files.len() as u64, extracted.files, "files written");
        assert_eq!(files.iter().map(|(_, meta)| meta.len()).sum::<u64>(), extracted.bytes, "bytes written");
        let folded: HashSet<String> = files.iter().map(|(path, _)| names::fold(&slash(path.strip_prefix(&self.staging).expect("below staging")))).collect();
        assert_eq!(folded.len(), files.len(), "two files differ only by case");
        for pdf in extracted.pdfs.values() {
            assert!(names::join(&self.staging, &pdf.path).is_file(), "the PDF {} is not there", pdf.path);
        }
        for renamed in &extracted.renamed {
            assert!(names::join(&self.staging, &renamed.file).is_file(), "{:?} renamed to {}, which is not there", renamed.entry, renamed.file);
        }
    }
}

/// Every path below `dir` with its own metadata (links not followed).
fn walk(dir: &Path) -> Vec<(PathBuf, std::fs::Metadata)> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else { continue };
        for entry in entries {
            let path = entry.expect("a staging entry").path();
            let meta = std::fs::symlink_metadata(&path).expect("a staging entry's metadata");
            if meta.is_dir() {
                stack.push(path.clone());
            }
            found.push((path, meta));
        }
    }
    found
}

/// Every file below `dir`, by its `/`-separated relative path, with its bytes.
fn contents(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walk(dir)
        .into_iter()
        .filter(|(_, meta)| meta.is_file())
        .map(|(path, _)| (slash(path.strip_prefix(dir).expect("below dir")), std::fs::read(&path).expect("read an extracted file")))
        .collect()
}

fn slash(path: &Path) -> String {
    path.iter().map(|p| p.to_string_lossy()).collect::<Vec<_>>().join("/")
}
