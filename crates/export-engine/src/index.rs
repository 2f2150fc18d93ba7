//! Stage 6, index: stream `instruments.json` into `index.sqlite`, an index the browser queries
//! without ever loading the export whole.
//!
//! Each instrument's raw JSON stays in `instruments.json`, which the export keeps: the index
//! records where its line is (byte offset and length), so the details pane shows it as AnnoLab
//! sent it (unknown fields included) without the index holding a second copy. A bad line is
//! reported with its line number and the rest is kept. PDFs are linked by their trailing
//! `_<id>.pdf`.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rusqlite::{Connection, params};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use tokio_util::sync::CancellationToken;

use crate::error::EngineError;
use crate::extract::PdfFile;
use crate::manifest::{Problem, ProblemKind};
use crate::progress::{Progress, ProgressSink, Throttle};

pub const INDEX: &str = "index.sqlite";
/// The full-text index, in a file of its own so that it is built on a second core beside the
/// tables (`Browser::open` attaches it). Indexes made before it existed hold `search` inside
/// index.sqlite, where the same queries find it.
pub const SEARCH: &str = "search.sqlite";

/// Both files are built in a staging folder and published whole, so durability per statement
/// buys nothing; a crash means indexing again from instruments.json.
const BUILD_PRAGMAS: &str = "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;";
pub const INSTRUMENTS: &str = "instruments.json";

const SCHEMA: &str = "
CREATE TABLE instruments (
    id INTEGER PRIMARY KEY,
    line INTEGER NOT NULL,
    -- Where the instrument's JSON is in instruments.json, in bytes.
    json_offset INTEGER NOT NULL,
    json_length INTEGER NOT NULL,
    source_id INTEGER,
    source_name TEXT,
    start_page INTEGER,
    end_page INTEGER,
    type_name TEXT,
    tag_types TEXT NOT NULL,
    reviewed_by TEXT,
    reviewed_at TEXT,
    pdf_path TEXT,
    pdf_pages INTEGER,
    problems TEXT NOT NULL DEFAULT '',
    -- The first 8 bytes of the sha256 of the instrument's JSON line: diff skips every instrument
    -- whose line is unchanged without reading it (see diff.rs).
    json_hash INTEGER
);
CREATE TABLE attributes (
    instrument_id INTEGER NOT NULL,
    tag_type TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT
);
CREATE TABLE problems (
    kind TEXT NOT NULL,
    line INTEGER,
    instrument_id INTEGER,
    message TEXT NOT NULL
);
";

/// Prefix indexes for 1 to 4 characters: what a person has typed after a keystroke or four is
/// answered from the index instead of by merging every term that starts that way (at a million
/// instruments "seri" took 85 ms merged, 40 ms from the index of 4; that index costs about 12%
/// more indexing time and 20% more search index on disk). Longer words are merged, and FTS5
/// merges only the terms that start so, fewer with every letter. Contentless:
/// matches are found by rowid and highlighted by the browser, so FTS5 keeps no copy of the text.
const SEARCH_SCHEMA: &str = "CREATE VIRTUAL TABLE search USING fts5(type_name, source_name, tag_types, attributes, annotations, prefix='1 2 3 4', content='');";

/// Every distinct word of the full-text index and how many instruments have it, written once
/// the index is complete. A typed word that only one indexed word starts with is then asked as
/// that word (FTS5 merges every term of a prefix longer than its prefix index into one list
/// first: "airfra" at a million, 36 ms for the first page and 93 ms to count, against 1 ms and
/// none), and a search of that word alone is counted here. Costs about 2 s at a million.
const WORDS_SCHEMA: &str = "
CREATE TABLE words (term TEXT PRIMARY KEY, docs INTEGER NOT NULL) WITHOUT ROWID;
CREATE VIRTUAL TABLE temp.vocabulary USING fts5vocab(main, search, 'row');
INSERT INTO words SELECT term, doc FROM temp.vocabulary;
DROP TABLE temp.vocabulary;
CREATE TABLE prefixes (prefix TEXT PRIMARY KEY, docs INTEGER NOT NULL) WITHOUT ROWID;
";

/// The longest typed word [`count_prefixes`] keeps counts for: the first keystrokes, whose
/// prefixes stand for many words and match most instruments.
pub(crate) const COUNTED_PREFIX: usize = 3;

/// Which instrument carries which tag type, for the tag type filter and its counts.
pub(crate) const TAGS_SCHEMA: &str = "CREATE TABLE instrument_tags (instrument_id INTEGER NOT NULL, tag_type TEXT NOT NULL);";
/// Built after the rows are in, which is faster than keeping them up to date row by row.
pub(crate) const TAGS_INDEXES: &str = "
CREATE INDEX instrument_tags_by_type ON instrument_tags(tag_type, instrument_id);
CREATE INDEX IF NOT EXISTS attributes_by_instrument ON attributes(instrument_id, name);
";
/// Every column a table row shows: indexes made before the raw JSON moved out of the table
/// (which made each row as wide as its JSON line) get this narrow copy to scan instead.
pub(crate) const ROW_INDEX: &str = "
CREATE INDEX IF NOT EXISTS instruments_rows ON instruments(id, type_name, source_name, start_page, end_page, pdf_pages, tag_types, reviewed_by, reviewed_at, pdf_path, problems);
";

/// What indexing found.
#[derive(Debug, Default)]
pub struct Indexed {
    pub instruments: u64,
    pub problems: Vec<Problem>,
}

/// Builds `<dir>/index.sqlite` from `<dir>/instruments.json` and the extracted PDFs: the
/// tables from the JSON ([`build_tables`]), then the PDFs linked to them ([`link_pdfs`]).
pub fn build(
    dir: &Path,
    pdfs: &BTreeMap<u64, PdfFile>,
    expect_pdfs: bool,
    progress: &dyn ProgressSink,
    cancel: &CancellationToken,
) -> Result<Indexed, EngineError> {
    let tables = build_tables(&dir.join(INSTRUMENTS), dir, progress, cancel)?;
    let indexed = link_pdfs(&tables, pdfs, expect_pdfs)?;
    progress.emit(Progress::Indexed { instruments: indexed.instruments });
    Ok(indexed)
}

/// The index of an instruments.json before any PDF is linked: everything that needs only the
/// JSON, which is most of the work, so it can be done while the PDFs are still arriving.
#[derive(Debug)]
pub struct Tables {
    /// Where index.sqlite and search.sqlite are.
    pub dir: PathBuf,
    instruments: u64,
    /// Lines skipped (bad or repeated), in line order.
    problems: Vec<Problem>,
}

/// Builds `<out>/index.sqlite` and `<out>/search.sqlite` from the instruments.json at `source`,
/// every row without a PDF yet.
pub fn build_tables(source: &Path, out: &Path, progress: &dyn ProgressSink, cancel: &CancellationToken) -> Result<Tables, EngineError> {
    let index = out.join(INDEX);
    let _ = std::fs::remove_file(&index);
    let mut search = SearchWriter::start(&out.join(SEARCH))?;
    let mut db = Connection::open(&index)?;
    db.execute_batch(BUILD_PRAGMAS)?;
    db.execute_batch(SCHEMA)?;
    db.execute_batch(TAGS_SCHEMA)?;

    let mut indexed = Indexed::default();
    let reader = BufReader::with_capacity(1 << 20, File::open(source).map_err(EngineError::io(format!("could not read {}", source.display())))?);
    let tx = db.transaction()?;
    {
        let mut insert = tx.prepare(
            "INSERT OR IGNORE INTO instruments (id, line, json_offset, json_length, source_id, source_name, start_page, end_page, type_name, tag_types, reviewed_by, reviewed_at, json_hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?;
        let mut attribute = tx.prepare("INSERT INTO attributes (instrument_id, tag_type, name, value) VALUES (?1, ?2, ?3, ?4)")?;
        let mut tagged = tx.prepare("INSERT INTO instrument_tags (instrument_id, tag_type) VALUES (?1, ?2)")?;
        let mut throttle = Throttle::new(Duration::from_millis(100));
        let mut line_start = 0u64;
        for (number, line) in reader.split(b'\n').enumerate() {
            let number = number as u64 + 1;
            if cancel.is_cancelled() {
                return Err(EngineError::Cancelled);
            }
            let line = line.map_err(EngineError::io(format!("could not read {}", source.display())))?;
            let offset = line_start + (line.len() - line.trim_ascii_start().len()) as u64;
            line_start += line.len() as u64 + 1;
            let json = line.trim_ascii();
            if json.is_empty() {
                continue;
            }
            let text = String::from_utf8_lossy(json);
            // Most lines take the fast way; anything it does not read plainly (not an object,
            // a key twice, bad JSON) is read whole, which also words what is wrong with it.
            let whole;
            let fields = match Fields::read(&text) {
                Some(fields) => fields,
                None => {
                    whole = match serde_json::from_str::<Value>(&text) {
                        Ok(Value::Object(object)) => object,
                        Ok(_) => {
                            indexed.problems.push(bad_line(number, "it is JSON but not an Instrument object".into()));
                            continue;
                        }
                        Err(e) => {
                            indexed.problems.push(bad_line(number, format!("it is not valid JSON ({e})")));
                            continue;
                        }
                    };
                    Fields::of(&whole)
                }
            };
            let Some(id) = fields.id else {
                indexed.problems.push(bad_line(number, "it has no numeric \"id\"".into()));
                continue;
            };
            let changed = insert.execute(params![
                id as i64,
                number as i64,
                offset as i64,
                json.len() as i64,
                fields.source_id.map(|v| v as i64),
                fields.source_name,
                fields.start.map(|v| v as i64),
                fields.end.map(|v| v as i64),
                fields.type_name,
                fields.tag_types.join("\n"),
                fields.reviewed_by,
                fields.reviewed_at,
                json_hash(json),
            ])?;
            if changed == 0 {
                indexed.problems.push(Problem {
                    kind: ProblemKind::DuplicateInstrument,
                    line: Some(number),
                    instrument_id: Some(id),
                    message: format!("Line {number} repeats instrument {id}; the first one is kept."),
                });
                continue;
            }
            for (tag_type, name, value) in &fields.attributes {
                attribute.execute(params![id as i64, tag_type, name, value])?;
            }
            for tag_type in &fields.tag_types {
                tagged.execute(params![id as i64, tag_type])?;
            }
            let attribute_text: Vec<String> = fields.attributes.iter().map(|(_, name, value)| format!("{name} {value}")).collect();
            search.add(SearchDocument {
                id: id as i64,
                columns: [
                    fields.type_name.as_deref().unwrap_or_default().to_owned(),
                    fields.source_name.as_deref().unwrap_or_default().to_owned(),
                    fields.tag_types.join(" "),
                    attribute_text.join(" "),
                    fields.annotation_values.join(" "),
                ],
            })?;
            indexed.instruments += 1;
            if throttle.ready() {
                progress.emit(Progress::Indexed { instruments: indexed.instruments });
            }
        }
    }
    tx.commit()?;
    db.execute_batch("CREATE INDEX instruments_type ON instruments(type_name); CREATE INDEX instruments_source ON instruments(source_name); CREATE INDEX attributes_by_name ON attributes(name, value, instrument_id);")?;
    db.execute_batch(TAGS_INDEXES)?;
    // Statistics for the query planner from a sample of each index, which plans as well here as
    // reading every row of every index would, at a fraction of the time.
    db.execute_batch("PRAGMA analysis_limit = 1000; ANALYZE;")?;
    // The secondary indexes above were built while the search thread caught up.
    search.finish()?;
    Ok(Tables { dir: out.to_path_buf(), instruments: indexed.instruments, problems: indexed.problems })
}

/// Links the extracted PDFs to the rows of `tables` (path, pages) and records what is wrong
/// with them: a PDF missing (when the export was asked with files), unreadable, of another
/// page count than the instrument covers, or of no instrument. Every problem, the skipped
/// lines' included, goes into the index's `problems` table, in line order, orphans last.
pub fn link_pdfs(tables: &Tables, pdfs: &BTreeMap<u64, PdfFile>, expect_pdfs: bool) -> Result<Indexed, EngineError> {
    let mut db = Connection::open(tables.dir.join(INDEX))?;
    db.execute_batch(BUILD_PRAGMAS)?;
    let tx = db.transaction()?;
    let mut found: Vec<(u64, Problem)> = Vec::new();
    let mut linked = std::collections::HashSet::new();
    if expect_pdfs || !pdfs.is_empty() {
        let mut update = tx.prepare("UPDATE instruments SET pdf_path = ?2, pdf_pages = ?3, problems = ?4 WHERE id = ?1")?;
        let mut rows = tx.prepare("SELECT id, line, start_page, end_page FROM instruments ORDER BY line")?;
        let mut rows = rows.query([])?;
        while let Some(row) = rows.next()? {
            let (id, line) = (row.get::<_, i64>(0)? as u64, row.get::<_, i64>(1)? as u64);
            let (start, end) = (row.get::<_, Option<i64>>(2)?.map(|v| v as u64), row.get::<_, Option<i64>>(3)?.map(|v| v as u64));
            let pdf = pdfs.get(&id);
            if pdf.is_some() {
                linked.insert(id);
            }
            let problem = match pdf {
                None if expect_pdfs => Some(problem(ProblemKind::MissingPdf, id, format!("Instrument {id} has no PDF in the export."))),
                Some(PdfFile { pages: None, path }) => Some(problem(ProblemKind::UnreadablePdf, id, format!("The PDF {path} could not be read."))),
                Some(PdfFile { pages: Some(pages), path }) => match (start, end) {
                    (Some(start), Some(end)) if end >= start && u64::from(*pages) != end - start + 1 => Some(problem(
                        ProblemKind::PageCountMismatch,
                        id,
                        format!("The PDF {path} has {pages} pages, but the instrument covers pages {start}-{end} ({}).", end - start + 1),
                    )),
                    _ => None,
                },
                None => None,
            };
            if pdf.is_some() || problem.is_some() {
                let kinds = problem.as_ref().map_or("", |p| kind_name(p.kind));
                update.execute(params![id as i64, pdf.map(|p| p.path.as_str()), pdf.and_then(|p| p.pages).map(i64::from), kinds])?;
            }
            found.extend(problem.map(|p| (line, p)));
        }
    }
    // The skipped lines' problems and the PDFs' by line (a line has one or the other), as
    // indexing in one pass found them; then the PDFs of no instrument.
    let mut problems = Vec::with_capacity(tables.problems.len() + found.len());
    let mut found = found.into_iter().peekable();
    for skipped in &tables.problems {
        while let Some((_, p)) = found.next_if(|(line, _)| Some(*line) < skipped.line) {
            problems.push(p);
        }
        problems.push(skipped.clone());
    }
    problems.extend(found.map(|(_, p)| p));
    for (id, pdf) in pdfs {
        if !linked.contains(id) {
            problems.push(Problem {
                kind: ProblemKind::OrphanPdf,
                line: None,
                instrument_id: Some(*id),
                message: format!("The PDF {} belongs to no instrument in instruments.json.", pdf.path),
            });
        }
    }
    {
        let mut record = tx.prepare("INSERT INTO problems (kind, line, instrument_id, message) VALUES (?1, ?2, ?3, ?4)")?;
        for p in &problems {
            record.execute(params![kind_name(p.kind), p.line.map(|v| v as i64), p.instrument_id.map(|v| v as i64), p.message])?;
        }
    }
    tx.commit()?;
    Ok(Indexed { instruments: tables.instruments, problems })
}

/// One instrument's text for the full-text index: its id and the five searched columns.
struct SearchDocument {
    id: i64,
    columns: [String; 5],
}

/// Builds `search.sqlite` on its own thread from the documents the table builder hands it, a
/// batch at a time. Tokenizing and merging the full-text index is the larger half of indexing,
/// so on two cores this roughly halves the stage.
struct SearchWriter {
    batch: Vec<SearchDocument>,
    /// Set once every document is handed over: only a whole index gets its list of words (a
    /// cancelled one is thrown away, and should be at once).
    complete: Arc<AtomicBool>,
    to_thread: Option<std::sync::mpsc::SyncSender<Vec<SearchDocument>>>,
    thread: Option<std::thread::JoinHandle<Result<(), EngineError>>>,
}

impl SearchWriter {
    const BATCH: usize = 2000;

    fn start(path: &Path) -> Result<Self, EngineError> {
        let _ = std::fs::remove_file(path);
        let mut db = Connection::open(path)?;
        db.execute_batch(BUILD_PRAGMAS)?;
        db.execute_batch(SEARCH_SCHEMA)?;
        // A few batches in flight keep both threads busy without holding the export in memory.
        let (to_thread, batches) = std::sync::mpsc::sync_channel::<Vec<SearchDocument>>(4);
        let complete = Arc::new(AtomicBool::new(false));
        let whole = Arc::clone(&complete);
        let thread = std::thread::Builder::new()
            .name("search-index".into())
            .spawn(move || -> Result<(), EngineError> {
                let tx = db.transaction()?;
                let mut documents = 0u64;
                {
                    let mut insert =
                        tx.prepare("INSERT INTO search (rowid, type_name, source_name, tag_types, attributes, annotations) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?;
                    for batch in batches {
                        for SearchDocument { id, columns: [a, b, c, d, e] } in batch {
                            insert.execute(params![id, a, b, c, d, e])?;
                            documents += 1;
                        }
                    }
                }
                if whole.load(Ordering::Acquire) {
                    tx.execute_batch(WORDS_SCHEMA)?;
                    count_prefixes(&tx, documents)?;
                }
                tx.commit()?;
                Ok(())
            })
            .map_err(EngineError::io("could not start the search index's thread"))?;
        Ok(SearchWriter { batch: Vec::with_capacity(Self::BATCH), complete, to_thread: Some(to_thread), thread: Some(thread) })
    }

    fn add(&mut self, document: SearchDocument) -> Result<(), EngineError> {
        self.batch.push(document);
        if self.batch.len() >= Self::BATCH {
            self.send()?;
        }
        Ok(())
    }

    fn send(&mut self) -> Result<(), EngineError> {
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(Self::BATCH));
        let sent = self.to_thread.as_ref().is_some_and(|to_thread| to_thread.send(batch).is_ok());
        // The thread only stops taking batches when it failed: its error is the one to report.
        if sent { Ok(()) } else { self.join() }
    }

    /// Hands over the last batch and waits until the index is written.
    fn finish(mut self) -> Result<(), EngineError> {
        self.send()?;
        self.complete.store(true, Ordering::Release);
        self.join()
    }

    fn join(&mut self) -> Result<(), EngineError> {
        self.to_thread = None;
        match self.thread.take().map(std::thread::JoinHandle::join) {
            None | Some(Ok(Ok(()))) => Ok(()),
            Some(Ok(Err(e))) => Err(e),
            Some(Err(_)) => Err(EngineError::Io { context: "the search index could not be built".into(), source: std::io::Error::other("its thread stopped") }),
        }
    }
}

/// Counts the instruments matching each typed word of 1 to [`COUNTED_PREFIX`] ASCII letters or
/// digits that several indexed words start with and whose words are in at least one instrument
/// in 20: "s", "se", "air" at a million, each 33-40 ms to count at every keystroke, the first ones
/// a person types. A search of such a word alone is then counted from `prefixes`. About 1.5 s of
/// this thread's time at a million (107 prefixes); words are read in order, so each prefix's
/// words come together.
fn count_prefixes(tx: &rusqlite::Transaction<'_>, documents: u64) -> Result<(), EngineError> {
    let worth = (documents / 20).max(1);
    // Per length, the prefix being read: (prefix, its words, their instruments counted with
    // repeats, which bounds its count from above).
    let mut open: [Option<(String, u64, u64)>; COUNTED_PREFIX] = Default::default();
    let mut wanted = Vec::new();
    let mut close = |slot: &mut Option<(String, u64, u64)>| {
        if let Some((prefix, words, upper)) = slot.take()
            && words >= 2
            && upper >= worth
        {
            wanted.push(prefix);
        }
    };
    {
        let mut words = tx.prepare("SELECT term, docs FROM words ORDER BY term")?;
        let mut rows = words.query([])?;
        while let Some(row) = rows.next()? {
            let term: String = row.get(0)?;
            let docs = row.get::<_, i64>(1)? as u64;
            for (at, slot) in open.iter_mut().enumerate() {
                let prefix = term.get(..=at).filter(|p| p.bytes().all(|b| b.is_ascii_alphanumeric()));
                match slot {
                    Some((current, words, upper)) if Some(current.as_str()) == prefix => {
                        *words += 1;
                        *upper += docs;
                    }
                    _ => {
                        close(slot);
                        *slot = prefix.map(|p| (p.to_owned(), 1, docs));
                    }
                }
            }
        }
    }
    open.iter_mut().for_each(&mut close);
    let mut count = tx.prepare("SELECT count(*) FROM search WHERE search MATCH ?1")?;
    let mut insert = tx.prepare("INSERT INTO prefixes (prefix, docs) VALUES (?1, ?2)")?;
    for prefix in wanted {
        let docs: i64 = count.query_row([format!("\"{prefix}\"*")], |row| row.get(0))?;
        insert.execute(params![prefix, docs])?;
    }
    Ok(())
}

impl Drop for SearchWriter {
    /// Indexing that stops early (cancelled, or a failure in the tables) still waits for the
    /// thread, so no file is being written after `build` returns.
    fn drop(&mut self) {
        let _ = self.join();
    }
}

/// The known fields of an Instrument object, read leniently: a missing or odd field is None.
#[derive(Debug, PartialEq)]
struct Fields<'a> {
    id: Option<u64>,
    source_id: Option<u64>,
    source_name: Option<Cow<'a, str>>,
    start: Option<u64>,
    end: Option<u64>,
    type_name: Option<Cow<'a, str>>,
    tag_types: Vec<Cow<'a, str>>,
    reviewed_by: Option<Cow<'a, str>>,
    reviewed_at: Option<Cow<'a, str>>,
    /// (tag type, attribute name, value as text)
    attributes: Vec<(Cow<'a, str>, Cow<'a, str>, String)>,
    annotation_values: Vec<String>,
}

impl<'a> Fields<'a> {
    /// From a line read whole.
    fn of(object: &'a Map<String, Value>) -> Self {
        let tags = object.get("canonicalTags").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        let mut tag_types: Vec<Cow<str>> = Vec::new();
        let mut attributes = Vec::new();
        for tag in tags {
            let tag_type = tag.get("typeName").and_then(Value::as_str).unwrap_or_default();
            if !tag_type.is_empty() && !tag_types.iter().any(|t| t == tag_type) {
                tag_types.push(tag_type.into());
            }
            for attribute in tag.get("attributes").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default() {
                if let Some(name) = attribute.get("name").and_then(Value::as_str) {
                    attributes.push((tag_type.into(), name.into(), text_of(attribute.get("value"))));
                }
            }
        }
        let annotation_values = object
            .get("annotations")
            .and_then(Value::as_array)
            .map(|list| list.iter().map(|a| text_of(a.get("value"))).filter(|v| !v.is_empty()).collect())
            .unwrap_or_default();
        let reviewer = object.get("reviewedBy");
        let text = |key: &str| object.get(key).and_then(Value::as_str).map(Cow::Borrowed);
        Fields {
            id: object.get("id").and_then(Value::as_u64),
            source_id: object.get("sourceReferenceId").and_then(Value::as_u64),
            source_name: text("sourceName"),
            start: object.get("startPageNumber").and_then(Value::as_u64),
            end: object.get("endPageNumber").and_then(Value::as_u64),
            type_name: text("typeName"),
            tag_types,
            reviewed_by: reviewer.and_then(|r| r.get("email").or_else(|| r.get("username"))).and_then(Value::as_str).map(Cow::Borrowed),
            reviewed_at: text("reviewedAt"),
            attributes,
            annotation_values,
        }
    }

    /// The same fields read without building the line as a [`Value`]: only the known keys are
    /// parsed, the rest skipped, strings borrowed from the line where they have no escapes.
    /// Several times cheaper (indexing a million lines is mostly this). None where the line is
    /// not plainly an object of distinct keys: [`Fields::of`] then reads it whole, so both ways
    /// give the same fields for every line (a test checks it).
    fn read(line: &'a str) -> Option<Self> {
        // serde would also read an array as the object's values in order.
        if !line.starts_with('{') {
            return None;
        }
        let known: Known<'a> = serde_json::from_str(line).ok()?;
        let mut tag_types: Vec<Cow<str>> = Vec::new();
        let mut attributes = Vec::new();
        for tag in list_of(known.canonical_tags)? {
            let Some(tag) = object_of::<Tag>(tag)? else { continue };
            let tag_type = str_of(tag.type_name).unwrap_or_default();
            if !tag_type.is_empty() && !tag_types.contains(&tag_type) {
                tag_types.push(tag_type.clone());
            }
            for attribute in list_of(tag.attributes)? {
                let Some(attribute) = object_of::<Valued>(attribute)? else { continue };
                if let Some(name) = str_of(attribute.name) {
                    attributes.push((tag_type.clone(), name, raw_text(attribute.value)?));
                }
            }
        }
        let mut annotation_values = Vec::new();
        for annotation in list_of(known.annotations)? {
            if let Some(annotation) = object_of::<Valued>(annotation)? {
                let value = raw_text(annotation.value)?;
                if !value.is_empty() {
                    annotation_values.push(value);
                }
            }
        }
        let reviewer = match known.reviewed_by {
            Some(raw) => object_of::<Reviewer>(raw)?,
            None => None,
        };
        Some(Fields {
            id: u64_of(known.id),
            source_id: u64_of(known.source_id),
            source_name: str_of(known.source_name),
            start: u64_of(known.start),
            end: u64_of(known.end),
            type_name: str_of(known.type_name),
            tag_types,
            reviewed_by: reviewer.and_then(|r| str_of(r.email.or(r.username))),
            reviewed_at: str_of(known.reviewed_at),
            attributes,
            annotation_values,
        })
    }
}

/// The keys of an Instrument line the index reads, each as its JSON text (a key present with
/// `null` is `Some("null")`, as a [`Value`] map would hold it).
#[derive(Deserialize)]
struct Known<'a> {
    #[serde(borrow, default, deserialize_with = "raw")]
    id: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "raw", rename = "sourceReferenceId")]
    source_id: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "raw", rename = "sourceName")]
    source_name: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "raw", rename = "startPageNumber")]
    start: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "raw", rename = "endPageNumber")]
    end: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "raw", rename = "typeName")]
    type_name: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "raw", rename = "canonicalTags")]
    canonical_tags: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "raw", rename = "reviewedBy")]
    reviewed_by: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "raw", rename = "reviewedAt")]
    reviewed_at: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "raw")]
    annotations: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Tag<'a> {
    #[serde(borrow, default, deserialize_with = "raw", rename = "typeName")]
    type_name: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "raw")]
    attributes: Option<&'a RawValue>,
}

/// An attribute (`name`, `value`) or an annotation (`value`).
#[derive(Deserialize)]
struct Valued<'a> {
    #[serde(borrow, default, deserialize_with = "raw")]
    name: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "raw")]
    value: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Reviewer<'a> {
    #[serde(borrow, default, deserialize_with = "raw")]
    email: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "raw")]
    username: Option<&'a RawValue>,
}

/// A key's JSON text, `null` included (serde would make a `null` None, like a missing key).
fn raw<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue as Deserialize>::deserialize(deserializer).map(Some)
}

fn u64_of(raw: Option<&RawValue>) -> Option<u64> {
    raw.and_then(|r| serde_json::from_str::<u64>(r.get()).ok())
}

/// A JSON string's text, borrowed when it has no escapes; None for anything else.
fn str_of(raw: Option<&RawValue>) -> Option<Cow<'_, str>> {
    let text = raw?.get();
    if !text.starts_with('"') {
        return None;
    }
    serde_json::from_str::<&str>(text).map(Cow::Borrowed).or_else(|_| serde_json::from_str::<String>(text).map(Cow::Owned)).ok()
}

/// The items of a JSON array (none for anything else); None where they cannot be read.
fn list_of(raw: Option<&RawValue>) -> Option<Vec<&RawValue>> {
    match raw {
        Some(raw) if raw.get().starts_with('[') => serde_json::from_str(raw.get()).ok(),
        _ => Some(Vec::new()),
    }
}

/// A JSON object's known keys: Some(None) for anything not an object (it has none of them);
/// None where the object cannot be read plainly (a key twice).
fn object_of<'a, T: Deserialize<'a>>(raw: &'a RawValue) -> Option<Option<T>> {
    if raw.get().starts_with('{') { serde_json::from_str(raw.get()).ok().map(Some) } else { Some(None) }
}

/// A value as the index keeps it ([`text_of`]): a string's text, "" for null or nothing, the
/// JSON of anything else.
fn raw_text(raw: Option<&RawValue>) -> Option<String> {
    let Some(raw) = raw else { return Some(String::new()) };
    match raw.get().as_bytes().first() {
        Some(b'"') => serde_json::from_str::<String>(raw.get()).ok(),
        Some(b'n') => Some(String::new()),
        _ => serde_json::from_str::<Value>(raw.get()).ok().map(|v| text_of(Some(&v))),
    }
}

fn text_of(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn bad_line(line: u64, why: String) -> Problem {
    Problem { kind: ProblemKind::BadLine, line: Some(line), instrument_id: None, message: format!("Line {line} of instruments.json was skipped: {why}.") }
}

fn problem(kind: ProblemKind, id: u64, message: String) -> Problem {
    Problem { kind, line: None, instrument_id: Some(id), message }
}

fn kind_name(kind: ProblemKind) -> &'static str {
    match kind {
        ProblemKind::BadLine => "bad_line",
        ProblemKind::DuplicateInstrument => "duplicate_instrument",
        ProblemKind::MissingPdf => "missing_pdf",
        ProblemKind::PageCountMismatch => "page_count_mismatch",
        ProblemKind::UnreadablePdf => "unreadable_pdf",
        ProblemKind::OrphanPdf => "orphan_pdf",
        ProblemKind::UnsafeEntry => "unsafe_entry",
    }
}

/// Adds what later versions of the index carry: the instrument-to-tag-type table, the index
/// that finds an instrument's attributes, and for an index that holds the raw JSON in its rows,
/// the narrow row index. Returns whether the raw JSON is in the table.
pub(crate) fn upgrade(db: &Connection) -> Result<bool, EngineError> {
    let has_tags: bool = db.query_row("SELECT count(*) FROM sqlite_master WHERE name = 'instrument_tags'", [], |r| r.get::<_, i64>(0).map(|n| n > 0))?;
    if !has_tags {
        let tx = db.unchecked_transaction()?;
        tx.execute_batch(TAGS_SCHEMA)?;
        {
            let mut read = tx.prepare("SELECT id, tag_types FROM instruments")?;
            let mut insert = tx.prepare("INSERT INTO instrument_tags (instrument_id, tag_type) VALUES (?1, ?2)")?;
            let mut rows = read.query([])?;
            while let Some(row) = rows.next()? {
                let id: i64 = row.get(0)?;
                let tags: String = row.get(1)?;
                for tag in tags.split('\n').filter(|t| !t.is_empty()) {
                    insert.execute(rusqlite::params![id, tag])?;
                }
            }
        }
        tx.execute_batch(TAGS_INDEXES)?;
        tx.commit()?;
    }
    let raw_in_table: bool =
        db.query_row("SELECT count(*) FROM pragma_table_info('instruments') WHERE name = 'raw'", [], |r| r.get::<_, i64>(0).map(|n| n > 0))?;
    let has_rows_index: bool = db.query_row("SELECT count(*) FROM sqlite_master WHERE name = 'instruments_rows'", [], |r| r.get::<_, i64>(0).map(|n| n > 0))?;
    if raw_in_table && !has_rows_index {
        db.execute_batch(ROW_INDEX)?;
        db.execute_batch("ANALYZE;")?;
    }
    Ok(raw_in_table)
}

/// The `json_hash` of a JSON line: stable across versions and machines, since it is kept in the
/// index. 64 bits make two different lines of one instrument agree by chance once in 2^64 pairs.
pub(crate) fn json_hash(line: &[u8]) -> i64 {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(line);
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_le_bytes(first)
}

/// Gives an index made before `json_hash` existed the column, filled from instruments.json (or
/// from the `raw` column of the oldest indexes). Only diff calls it, not [`upgrade`]: the
/// browser never reads the column, and filling it reads the whole of instruments.json, which a
/// browser opening a million-instrument export should not pay for. Returns whether the column
/// is there afterwards; a read-only export (a folder on a DVD) keeps working without it.
pub(crate) fn upgrade_json_hashes(db: &Connection, dir: &Path, raw_in_table: bool) -> Result<bool, EngineError> {
    let has_column: bool =
        db.query_row("SELECT count(*) FROM pragma_table_info('instruments') WHERE name = 'json_hash'", [], |r| r.get::<_, i64>(0).map(|n| n > 0))?;
    if has_column {
        return Ok(true);
    }
    let tx = db.unchecked_transaction()?;
    if tx.execute_batch("ALTER TABLE instruments ADD COLUMN json_hash INTEGER").is_err() {
        return Ok(false);
    }
    {
        let mut update = tx.prepare("UPDATE instruments SET json_hash = ?1 WHERE id = ?2")?;
        if raw_in_table {
            let mut read = tx.prepare("SELECT id, raw FROM instruments")?;
            let mut rows = read.query([])?;
            while let Some(row) = rows.next()? {
                let raw: Option<String> = row.get(1)?;
                update.execute(params![raw.map(|r| json_hash(r.as_bytes())), row.get::<_, i64>(0)?])?;
            }
        } else {
            use std::io::{Read, Seek, SeekFrom};
            let path = dir.join(INSTRUMENTS);
            let mut file = BufReader::with_capacity(1 << 20, File::open(&path).map_err(EngineError::io(format!("could not read {}", path.display())))?);
            // In file order, so the file is read front to back.
            let mut read = tx.prepare("SELECT id, json_offset, json_length FROM instruments ORDER BY json_offset")?;
            let mut rows = read.query([])?;
            let mut line = Vec::new();
            let mut position = 0u64;
            while let Some(row) = rows.next()? {
                let (id, offset, length): (i64, i64, i64) = (row.get(0)?, row.get(1)?, row.get(2)?);
                let (offset, length) = (offset.max(0) as u64, length.max(0) as u64);
                line.resize(usize::try_from(length).unwrap_or(0), 0);
                // Forward by a relative seek, which keeps what the buffer already holds.
                let moved = match offset.checked_sub(position).and_then(|ahead| i64::try_from(ahead).ok()) {
                    Some(ahead) => file.seek_relative(ahead),
                    None => file.seek(SeekFrom::Start(offset)).map(|_| ()),
                };
                // A line that is no longer where the index says stays without a hash: diff then
                // reads it, and reports the export as changed since it was made.
                let read = moved.and_then(|()| file.read_exact(&mut line));
                position = if read.is_ok() { offset + length } else { file.stream_position().unwrap_or(u64::MAX) };
                update.execute(params![read.ok().map(|()| json_hash(&line)), id])?;
            }
        }
    }
    tx.commit()?;
    Ok(true)
}

/// Makes `search` in queries on `db` the export's own full-text index, wherever it is kept.
pub(crate) fn attach_search(db: &Connection, dir: &Path) -> Result<(), EngineError> {
    let path = dir.join(SEARCH);
    if path.is_file() {
        db.execute("ATTACH DATABASE ?1 AS fts", [path.to_string_lossy()])?;
    }
    Ok(())
}

/// What a person types, as an FTS5 query: every word must match, as a prefix, and FTS5's own
/// syntax characters are taken literally, so no input is a syntax error.
pub fn fts_query(text: &str) -> String {
    typed_words(text).map(|w| format!("\"{w}\"*")).collect::<Vec<_>>().join(" ")
}

/// The words of what a person typed, as [`fts_query`] asks them.
pub(crate) fn typed_words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::Value;

    use super::Fields;

    /// JSON texts of every kind, including the odd ones a hand-edited line has: escapes,
    /// surrogate pairs, numbers that are not u64, nesting.
    fn value() -> impl Strategy<Value = String> {
        let leaf = prop::sample::select(vec![
            "null",
            "true",
            "12",
            "-3",
            "1.5",
            "1e3",
            "18446744073709551615",
            "18446744073709551616",
            r#""Cessna""#,
            r#""a\"b""#,
            r#""\u00e9t\u00e9""#,
            r#""\ud83d\ude00""#,
            r#""""#,
            r#""N1 N12""#,
            "[]",
            "{}",
        ])
        .prop_map(str::to_owned);
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(|items| format!("[{}]", items.join(","))),
                prop::collection::vec((key(), inner), 0..4).prop_map(|pairs| object(&pairs)),
            ]
        })
    }

    fn key() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "id",
            "sourceReferenceId",
            "sourceName",
            "startPageNumber",
            "endPageNumber",
            "typeName",
            "canonicalTags",
            "reviewedBy",
            "reviewedAt",
            "annotations",
            "attributes",
            "name",
            "value",
            "email",
            "username",
            "other",
        ])
        .prop_map(str::to_owned)
    }

    fn object(pairs: &[(String, String)]) -> String {
        format!("{{{}}}", pairs.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect::<Vec<_>>().join(","))
    }

    proptest! {
        #[test]
        fn the_fast_reading_gives_the_fields_a_whole_reading_gives(pairs in prop::collection::vec((key(), value()), 0..10)) {
            let line = object(&pairs);
            let whole: Value = serde_json::from_str(&line).expect("the generator writes JSON");
            let Value::Object(whole) = whole else { unreachable!() };
            // Where the fast way declines (a key twice), the whole reading is used instead.
            if let Some(fast) = Fields::read(&line) {
                prop_assert_eq!(fast, Fields::of(&whole), "{}", line);
            }
        }
    }

    #[test]
    fn a_line_that_is_not_an_object_is_left_to_the_whole_reading() {
        assert!(Fields::read("[5, \"x\"]").is_none());
        assert!(Fields::read(r#"{"id": 1, "id": 2}"#).is_none());
        let fast = Fields::read(
            r#"{"id": 7, "typeName": "Lease", "canonicalTags": [{"typeName": "Airframe Inventory", "attributes": [{"name": "Make", "value": "Cessna"}]}]}"#,
        );
        let fast = fast.expect("a plain line is read the fast way");
        assert_eq!((fast.id, fast.type_name.as_deref(), fast.attributes.len()), (Some(7), Some("Lease"), 1));
    }
}
