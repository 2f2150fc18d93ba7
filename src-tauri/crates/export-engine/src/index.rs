//! Stage 6, index: stream `instruments.json` into `index.sqlite`, an index the browser queries
//! without ever loading the export whole.
//!
//! Each raw JSON object is kept as it came (unknown fields included). A bad line is reported
//! with its line number and the rest is kept. PDFs are linked by their trailing `_<id>.pdf`.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, params};
use serde_json::{Map, Value};
use tokio_util::sync::CancellationToken;

use crate::error::EngineError;
use crate::extract::PdfFile;
use crate::manifest::{Problem, ProblemKind};
use crate::progress::{Progress, ProgressSink, Throttle};

pub const INDEX: &str = "index.sqlite";
pub const INSTRUMENTS: &str = "instruments.json";

const SCHEMA: &str = "
CREATE TABLE instruments (
    id INTEGER PRIMARY KEY,
    line INTEGER NOT NULL,
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
    raw TEXT NOT NULL
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
-- Prefix indexes for 1 to 3 characters: what a person has typed after a keystroke or three is
-- answered from the index instead of by merging every term that starts that way.
CREATE VIRTUAL TABLE search USING fts5(type_name, source_name, tag_types, attributes, annotations, prefix='1 2 3');
";

/// Which instrument carries which tag type, for the tag type filter and its counts.
pub(crate) const TAGS_SCHEMA: &str = "CREATE TABLE instrument_tags (instrument_id INTEGER NOT NULL, tag_type TEXT NOT NULL);";
/// Built after the rows are in, which is faster than keeping them up to date row by row.
pub(crate) const TAGS_INDEXES: &str = "
CREATE INDEX instrument_tags_by_type ON instrument_tags(tag_type, instrument_id);
CREATE INDEX IF NOT EXISTS attributes_by_instrument ON attributes(instrument_id, name);
";
/// Every column a table row shows, without the raw JSON: filters and counts scan this narrow
/// index instead of the table, whose rows carry each instrument's whole JSON line.
pub(crate) const ROW_INDEX: &str = "
CREATE INDEX IF NOT EXISTS instruments_rows ON instruments(id, type_name, source_name, start_page, end_page, pdf_pages, tag_types, reviewed_by, reviewed_at, pdf_path, problems);
";

/// What indexing found.
#[derive(Debug, Default)]
pub struct Indexed {
    pub instruments: u64,
    pub problems: Vec<Problem>,
}

/// Builds `<dir>/index.sqlite` from `<dir>/instruments.json` and the extracted PDFs.
pub fn build(
    dir: &Path,
    pdfs: &BTreeMap<u64, PdfFile>,
    expect_pdfs: bool,
    progress: &dyn ProgressSink,
    cancel: &CancellationToken,
) -> Result<Indexed, EngineError> {
    let source = dir.join(INSTRUMENTS);
    let index = dir.join(INDEX);
    let _ = std::fs::remove_file(&index);
    let mut db = Connection::open(&index)?;
    // The file is built in a staging folder and published whole, so durability per statement buys
    // nothing; a crash means indexing again from instruments.json.
    db.execute_batch("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")?;
    db.execute_batch(SCHEMA)?;
    db.execute_batch(TAGS_SCHEMA)?;

    let mut indexed = Indexed::default();
    let mut linked = std::collections::HashSet::new();
    let reader = BufReader::with_capacity(1 << 20, File::open(&source).map_err(|source_err| EngineError::Io {
        context: format!("could not read {}", source.display()),
        source: source_err,
    })?);
    let tx = db.transaction()?;
    {
        let mut insert = tx.prepare(
            "INSERT OR IGNORE INTO instruments (id, line, source_id, source_name, start_page, end_page, type_name, tag_types, reviewed_by, reviewed_at, pdf_path, pdf_pages, problems, raw)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        )?;
        let mut attribute = tx.prepare("INSERT INTO attributes (instrument_id, tag_type, name, value) VALUES (?1, ?2, ?3, ?4)")?;
        let mut tagged = tx.prepare("INSERT INTO instrument_tags (instrument_id, tag_type) VALUES (?1, ?2)")?;
        let mut search = tx.prepare("INSERT INTO search (rowid, type_name, source_name, tag_types, attributes, annotations) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?;
        let mut throttle = Throttle::new(Duration::from_millis(100));
        for (number, line) in reader.split(b'\n').enumerate() {
            let number = number as u64 + 1;
            if cancel.is_cancelled() {
                return Err(EngineError::Cancelled);
            }
            let line = line.map_err(|e| EngineError::Io { context: format!("could not read {}", source.display()), source: e })?;
            let text = String::from_utf8_lossy(&line);
            let text = text.trim();
            if text.is_empty() {
                continue;
            }
            let object = match serde_json::from_str::<Value>(text) {
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
            let Some(id) = object.get("id").and_then(Value::as_u64) else {
                indexed.problems.push(bad_line(number, "it has no numeric \"id\"".into()));
                continue;
            };
            let fields = Fields::of(&object);
            let mut problems = Vec::new();
            let pdf = pdfs.get(&id);
            if pdf.is_some() {
                linked.insert(id);
            }
            match pdf {
                None if expect_pdfs => problems.push(problem(ProblemKind::MissingPdf, id, format!("Instrument {id} has no PDF in the export."))),
                Some(PdfFile { pages: None, path }) => problems.push(problem(ProblemKind::UnreadablePdf, id, format!("The PDF {path} could not be read."))),
                Some(PdfFile { pages: Some(pages), path }) => {
                    if let (Some(start), Some(end)) = (fields.start, fields.end)
                        && end >= start
                        && u64::from(*pages) != end - start + 1
                    {
                        problems.push(problem(
                            ProblemKind::PageCountMismatch,
                            id,
                            format!("The PDF {path} has {pages} pages, but the instrument covers pages {start}-{end} ({}).", end - start + 1),
                        ));
                    }
                }
                None => {}
            }
            let kinds: Vec<&str> = problems.iter().map(|p: &Problem| kind_name(p.kind)).collect();
            let changed = insert.execute(params![
                id as i64,
                number as i64,
                fields.source_id.map(|v| v as i64),
                fields.source_name,
                fields.start.map(|v| v as i64),
                fields.end.map(|v| v as i64),
                fields.type_name,
                fields.tag_types.join("\n"),
                fields.reviewed_by,
                fields.reviewed_at,
                pdf.map(|p| p.path.as_str()),
                pdf.and_then(|p| p.pages).map(i64::from),
                kinds.join(","),
                text,
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
            search.execute(params![id as i64, fields.type_name, fields.source_name, fields.tag_types.join(" "), attribute_text.join(" "), fields.annotation_values.join(" ")])?;
            indexed.problems.extend(problems);
            indexed.instruments += 1;
            if throttle.ready() {
                progress.emit(Progress::Indexed { instruments: indexed.instruments });
            }
        }
        for (id, pdf) in pdfs {
            if !linked.contains(id) {
                indexed.problems.push(Problem {
                    kind: ProblemKind::OrphanPdf,
                    line: None,
                    instrument_id: Some(*id),
                    message: format!("The PDF {} belongs to no instrument in instruments.json.", pdf.path),
                });
            }
        }
        let mut record = tx.prepare("INSERT INTO problems (kind, line, instrument_id, message) VALUES (?1, ?2, ?3, ?4)")?;
        for p in &indexed.problems {
            record.execute(params![kind_name(p.kind), p.line.map(|v| v as i64), p.instrument_id.map(|v| v as i64), p.message])?;
        }
    }
    tx.commit()?;
    db.execute_batch("CREATE INDEX instruments_type ON instruments(type_name); CREATE INDEX instruments_source ON instruments(source_name); CREATE INDEX attributes_by_name ON attributes(name, value);")?;
    db.execute_batch(TAGS_INDEXES)?;
    db.execute_batch(ROW_INDEX)?;
    db.execute_batch("ANALYZE;")?;
    progress.emit(Progress::Indexed { instruments: indexed.instruments });
    Ok(indexed)
}

/// The known fields of an Instrument object, read leniently: a missing or odd field is None.
struct Fields<'a> {
    source_id: Option<u64>,
    source_name: Option<&'a str>,
    start: Option<u64>,
    end: Option<u64>,
    type_name: Option<&'a str>,
    tag_types: Vec<&'a str>,
    reviewed_by: Option<String>,
    reviewed_at: Option<&'a str>,
    /// (tag type, attribute name, value as text)
    attributes: Vec<(&'a str, &'a str, String)>,
    annotation_values: Vec<String>,
}

impl<'a> Fields<'a> {
    fn of(object: &'a Map<String, Value>) -> Self {
        let tags = object.get("canonicalTags").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        let mut tag_types = Vec::new();
        let mut attributes = Vec::new();
        for tag in tags {
            let tag_type = tag.get("typeName").and_then(Value::as_str).unwrap_or_default();
            if !tag_type.is_empty() && !tag_types.contains(&tag_type) {
                tag_types.push(tag_type);
            }
            for attribute in tag.get("attributes").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default() {
                if let Some(name) = attribute.get("name").and_then(Value::as_str) {
                    attributes.push((tag_type, name, text_of(attribute.get("value"))));
                }
            }
        }
        let annotation_values = object
            .get("annotations")
            .and_then(Value::as_array)
            .map(|list| list.iter().map(|a| text_of(a.get("value"))).filter(|v| !v.is_empty()).collect())
            .unwrap_or_default();
        let reviewer = object.get("reviewedBy");
        Fields {
            source_id: object.get("sourceReferenceId").and_then(Value::as_u64),
            source_name: object.get("sourceName").and_then(Value::as_str),
            start: object.get("startPageNumber").and_then(Value::as_u64),
            end: object.get("endPageNumber").and_then(Value::as_u64),
            type_name: object.get("typeName").and_then(Value::as_str),
            tag_types,
            reviewed_by: reviewer
                .and_then(|r| r.get("email").or_else(|| r.get("username")))
                .and_then(Value::as_str)
                .map(str::to_owned),
            reviewed_at: object.get("reviewedAt").and_then(Value::as_str),
            attributes,
            annotation_values,
        }
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

/// Full-text search over an export's index: instrument ids, best matches first.
pub fn search(dir: &Path, query: &str, limit: usize) -> Result<Vec<SearchHit>, EngineError> {
    let query = fts_query(query);
    if query.is_empty() {
        return Ok(Vec::new());
    }
    let db = Connection::open_with_flags(dir.join(INDEX), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut statement = db.prepare(
        "SELECT i.id, i.type_name, i.source_name, i.start_page, i.end_page, i.pdf_path
         FROM search JOIN instruments i ON i.id = search.rowid
         WHERE search MATCH ?1 ORDER BY rank LIMIT ?2",
    )?;
    let hits = statement
        .query_map(params![query, limit as i64], |row| {
            Ok(SearchHit {
                id: row.get::<_, i64>(0)? as u64,
                type_name: row.get(1)?,
                source_name: row.get(2)?,
                start_page: row.get::<_, Option<i64>>(3)?.map(|v| v as u64),
                end_page: row.get::<_, Option<i64>>(4)?.map(|v| v as u64),
                pdf_path: row.get(5)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(hits)
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    pub id: u64,
    pub type_name: Option<String>,
    pub source_name: Option<String>,
    pub start_page: Option<u64>,
    pub end_page: Option<u64>,
    pub pdf_path: Option<String>,
}

/// What a person types, as an FTS5 query: every word must match, as a prefix, and FTS5's own
/// syntax characters are taken literally, so no input is a syntax error.
pub fn fts_query(text: &str) -> String {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{w}\"*"))
        .collect::<Vec<_>>()
        .join(" ")
}
