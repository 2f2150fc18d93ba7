//! What changed between two finished exports of one project: which instruments are new, which
//! are gone, and which were corrected, field by field with the values before and after, and
//! whether their PDFs' bytes changed.
//!
//! Both indexes are read in id order side by side, a merge join of two `ORDER BY id` scans of
//! the integer primary key, so memory holds one instrument of each side at a time however large
//! the exports are. The index keeps a hash of every instrument's JSON line (`json_hash`): an
//! instrument whose line is the same on both sides is passed over without reading it, and only
//! lines that differ are read back from instruments.json (through the offsets the index keeps)
//! and compared field by field. Comparing the index's columns instead would miss what the index
//! does not keep (the annotations, a tag's own fields), and reading the two instruments.json
//! files whole would need them sorted by id first, which they are not.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::browse::{ExcelCsv, cell};
use crate::error::EngineError;
use crate::index::{INDEX, INSTRUMENTS};
use crate::library::{Library, LibraryEntry};
use crate::manifest::{MANIFEST, Manifest};
use crate::names;
use crate::request::ExportRequest;

/// The differences between the exports in `old` and `new`, all of them, with the counts. For
/// exports too large to hold every difference in memory, [`Diff::each`] hands them over one by
/// one instead.
pub fn diff(old: &Path, new: &Path) -> Result<DiffReport, EngineError> {
    let mut differences = Vec::new();
    let summary = Diff::open(old, new)?.each(|difference| {
        differences.push(difference);
        Ok(())
    })?;
    Ok(DiffReport { summary, differences })
}

/// The newest export in `library` of the same owner and project as `export` that was ready
/// before it: what "since the last export" compares with. None when `export` is the first.
pub fn previous_export(library: &Library, export: &LibraryEntry) -> Option<LibraryEntry> {
    let ready = export.manifest.times.ready.as_deref()?;
    let request = &export.manifest.request;
    // The list is newest first, so the first earlier one of the project is the newest of them.
    library.list().into_iter().find(|e| {
        e.manifest.job_id != export.manifest.job_id
            && e.manifest.request.owner == request.owner
            && e.manifest.request.project == request.project
            && e.manifest.times.ready.as_deref().is_some_and(|r| r < ready)
    })
}

/// A field of an instrument that a diff compares.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Field {
    /// `typeName`: a string.
    Type,
    /// `{"start", "end"}`: `startPageNumber` and `endPageNumber`.
    Pages,
    /// `{"id", "name"}`: `sourceReferenceId` and `sourceName`.
    Source,
    /// The tag types (`typeName`) of `canonicalTags`, in order.
    Tags,
    /// `[{"tag", "name", "value"}]`: every attribute of every tag, in order.
    Attributes,
    /// `annotations` as AnnoLab sent them.
    Annotations,
    /// `{"by", "at"}`: `reviewedBy` (the user object) and `reviewedAt`.
    Review,
    /// Everything else, as an object of the top-level keys that differ: fields this version does
    /// not know, and a tag's own fields (`domainEntityId`, `annotationId`, `tagType`).
    Other,
}

impl Field {
    /// As it is spelled in JSON and CSV.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Type => "type",
            Field::Pages => "pages",
            Field::Source => "source",
            Field::Tags => "tags",
            Field::Attributes => "attributes",
            Field::Annotations => "annotations",
            Field::Review => "review",
            Field::Other => "other",
        }
    }

    /// The field spelled `text`, as [`Field::as_str`] spells it.
    pub fn parse(text: &str) -> Option<Self> {
        [Field::Type, Field::Pages, Field::Source, Field::Tags, Field::Attributes, Field::Annotations, Field::Review, Field::Other]
            .into_iter()
            .find(|f| f.as_str() == text)
    }

    /// `value` (a `before` or `after` of this field) as one line of plain text, for a table or
    /// a spreadsheet cell: `3-5` for pages, `Bill of Sale; Lease` for tags. Empty for null.
    pub fn text(self, value: &Value) -> String {
        let plain = |v: &Value| match v {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        match (self, value) {
            (_, Value::Null) => String::new(),
            (Field::Pages, Value::Object(o)) => format!("{}-{}", plain(&o["start"]), plain(&o["end"])),
            (Field::Source, Value::Object(o)) => format!("{} ({})", plain(&o["name"]), plain(&o["id"])),
            (Field::Tags, Value::Array(tags)) => tags.iter().map(plain).collect::<Vec<_>>().join("; "),
            (Field::Attributes, Value::Array(list)) => list
                .iter()
                .map(|a| {
                    format!(
                        "{}: {}={}",
                        plain(a.get("tag").unwrap_or(&Value::Null)),
                        plain(a.get("name").unwrap_or(&Value::Null)),
                        plain(a.get("value").unwrap_or(&Value::Null))
                    )
                })
                .collect::<Vec<_>>()
                .join("; "),
            (Field::Review, Value::Object(o)) => {
                let by = o.get("by").unwrap_or(&Value::Null);
                let who = by.get("email").or_else(|| by.get("username")).map_or_else(|| plain(by), plain);
                match plain(o.get("at").unwrap_or(&Value::Null)) {
                    at if at.is_empty() => who,
                    at if who.is_empty() => format!("at {at}"),
                    at => format!("{who} at {at}"),
                }
            }
            (_, other) => plain(other),
        }
    }
}

/// One field of a changed instrument, before and after (JSON null where the field was absent).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldChange {
    pub field: Field,
    #[cfg_attr(feature = "ts", ts(type = "unknown"))]
    pub before: Value,
    #[cfg_attr(feature = "ts", ts(type = "unknown"))]
    pub after: Value,
}

/// An instrument in both exports that is not the same in both.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangedInstrument {
    pub id: u64,
    /// The fields that differ, in [`Field`] order; empty when only the PDF did.
    pub fields: Vec<FieldChange>,
    /// Whether its PDF's bytes differ. Only compared when both exports have its PDF.
    pub pdf_changed: bool,
}

/// One difference between two exports, keyed by instrument id.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Difference {
    /// In the newer export only.
    Added {
        id: u64,
    },
    /// In the older export only.
    Removed {
        id: u64,
    },
    Changed(ChangedInstrument),
}

impl Difference {
    pub fn id(&self) -> u64 {
        match self {
            Difference::Added { id } | Difference::Removed { id } => *id,
            Difference::Changed(changed) => changed.id,
        }
    }

    /// `added`, `removed` or `changed`, as the CSV and the CLI's table write it.
    pub fn kind(&self) -> &'static str {
        match self {
            Difference::Added { .. } => "added",
            Difference::Removed { .. } => "removed",
            Difference::Changed(_) => "changed",
        }
    }
}

/// One of the two exports compared.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiffSide {
    pub dir: PathBuf,
    pub job_id: String,
    pub remote_job_id: u64,
    /// When the export was ready (UTC, RFC 3339).
    pub ready: Option<String>,
    pub instruments: u64,
    pub request: ExportRequest,
}

/// What a diff found, counted.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiffSummary {
    pub old: DiffSide,
    pub new: DiffSide,
    /// Whether both were made with the same request (filters, source, with or without PDFs).
    /// When not, an instrument can be "added" or "removed" because a filter changed, not the
    /// project.
    pub same_request: bool,
    /// Whether both exports have PDFs, so that PDF bytes were compared.
    pub pdfs_compared: bool,
    pub added: u64,
    pub removed: u64,
    pub changed: u64,
    pub unchanged: u64,
    /// Changed instruments whose PDF bytes differ.
    pub pdfs_changed: u64,
    /// How many changed instruments each field changed in.
    pub fields: BTreeMap<Field, u64>,
}

impl DiffSummary {
    /// Whether the exports differ at all (what `--exit-code` reports).
    pub fn differs(&self) -> bool {
        self.added + self.removed + self.changed > 0
    }

    /// `since 2026-11-30: +12 new, −3 gone, 7 changed`, the date the older export's.
    pub fn line(&self) -> String {
        let since = match self.old.ready.as_deref().and_then(|r| r.get(..10)) {
            Some(date) => format!("since {date}"),
            None => "since the earlier export".to_owned(),
        };
        let filters = if self.same_request { "" } else { " (made with different filters)" };
        format!("{since}: +{} new, \u{2212}{} gone, {} changed{filters}", self.added, self.removed, self.changed)
    }
}

/// Every difference and the counts, from [`diff`].
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiffReport {
    pub summary: DiffSummary,
    /// In id order.
    pub differences: Vec<Difference>,
}

/// Two exports of one project, open for comparing.
pub struct Diff {
    old: Side,
    new: Side,
}

impl Diff {
    /// Opens both exports' manifests and indexes. Exports of different projects are refused
    /// ([`EngineError::DifferentProjects`]); exports made with different filters are compared,
    /// and the summary says so.
    pub fn open(old: &Path, new: &Path) -> Result<Self, EngineError> {
        let (old, new) = (Side::open(old)?, Side::open(new)?);
        let (a, b) = (&old.manifest.request, &new.manifest.request);
        if a.owner != b.owner || a.project != b.project {
            return Err(EngineError::DifferentProjects { old: format!("{} / {}", a.owner, a.project), new: format!("{} / {}", b.owner, b.project) });
        }
        Ok(Diff { old, new })
    }

    /// Hands every difference to `each`, in id order, and returns the counts. An error from
    /// `each` (say [`EngineError::Cancelled`]) stops the walk and is returned.
    pub fn each(&self, mut each: impl FnMut(Difference) -> Result<(), EngineError>) -> Result<DiffSummary, EngineError> {
        let mut summary = self.empty_summary();
        let mut old_scan = self.old.db.prepare(&self.old.scan_sql())?;
        let mut new_scan = self.new.db.prepare(&self.new.scan_sql())?;
        let (mut old_rows, mut new_rows) = (old_scan.query([])?, new_scan.query([])?);
        let (mut old_lines, mut new_lines) = (Lines::new(&self.old), Lines::new(&self.new));
        let mut a = Entry::next(&mut old_rows)?;
        let mut b = Entry::next(&mut new_rows)?;
        loop {
            let order = match (&a, &b) {
                (None, None) => break,
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (Some(x), Some(y)) => x.id.cmp(&y.id),
            };
            match (order, a.take(), b.take()) {
                (Ordering::Less, Some(x), later) => {
                    summary.removed += 1;
                    each(Difference::Removed { id: x.id })?;
                    (a, b) = (Entry::next(&mut old_rows)?, later);
                }
                (Ordering::Greater, earlier, Some(y)) => {
                    summary.added += 1;
                    each(Difference::Added { id: y.id })?;
                    (a, b) = (earlier, Entry::next(&mut new_rows)?);
                }
                (_, Some(x), Some(y)) => {
                    match self.compare(&x, &y, &mut old_lines, &mut new_lines, summary.pdfs_compared)? {
                        Some(changed) => {
                            summary.changed += 1;
                            summary.pdfs_changed += u64::from(changed.pdf_changed);
                            for change in &changed.fields {
                                *summary.fields.entry(change.field).or_default() += 1;
                            }
                            each(Difference::Changed(changed))?;
                        }
                        None => summary.unchanged += 1,
                    }
                    (a, b) = (Entry::next(&mut old_rows)?, Entry::next(&mut new_rows)?);
                }
                // The match on `order` above only names a side that is there.
                (_, x, y) => (a, b) = (x, y),
            }
        }
        Ok(summary)
    }

    /// The counts alone.
    pub fn summary(&self) -> Result<DiffSummary, EngineError> {
        self.each(|_| Ok(()))
    }

    /// How instrument `id` differs: added, removed, changed, or None when it is the same in both
    /// exports (or in neither). What a details pane shows of one instrument, without a walk.
    pub fn instrument(&self, id: u64) -> Result<Option<Difference>, EngineError> {
        let (x, y) = (self.old.entry(id)?, self.new.entry(id)?);
        let pdfs = self.old.manifest.request.include_files && self.new.manifest.request.include_files;
        Ok(match (x, y) {
            (None, None) => None,
            (Some(_), None) => Some(Difference::Removed { id }),
            (None, Some(_)) => Some(Difference::Added { id }),
            (Some(x), Some(y)) => {
                let (mut old_lines, mut new_lines) = (Lines::new(&self.old), Lines::new(&self.new));
                self.compare(&x, &y, &mut old_lines, &mut new_lines, pdfs)?.map(Difference::Changed)
            }
        })
    }

    fn empty_summary(&self) -> DiffSummary {
        let (a, b) = (&self.old.manifest, &self.new.manifest);
        DiffSummary {
            old: self.old.describe(),
            new: self.new.describe(),
            same_request: a.request == b.request,
            pdfs_compared: a.request.include_files && b.request.include_files,
            added: 0,
            removed: 0,
            changed: 0,
            unchanged: 0,
            pdfs_changed: 0,
            fields: BTreeMap::new(),
        }
    }

    /// The changes of one instrument found in both exports, None when it is the same.
    fn compare(&self, x: &Entry, y: &Entry, old_lines: &mut Lines, new_lines: &mut Lines, pdfs: bool) -> Result<Option<ChangedInstrument>, EngineError> {
        let same_line = matches!((x.hash, y.hash), (Some(a), Some(b)) if a == b);
        let fields = if same_line { Vec::new() } else { changed_fields(&old_lines.object(x)?, &new_lines.object(y)?) };
        let pdf_changed = match (pdfs, &x.pdf, &y.pdf) {
            (true, Some(a), Some(b)) => !same_bytes(&names::find_on_disk(&self.old.dir, a), &names::find_on_disk(&self.new.dir, b))?,
            _ => false,
        };
        Ok((!fields.is_empty() || pdf_changed).then_some(ChangedInstrument { id: x.id, fields, pdf_changed }))
    }
}

/// Writes differences as CSV, one row per difference (`id, kind, field, before, after`; a changed
/// instrument has a row per changed field, and one with field `pdf` when its PDF changed), in a
/// file Excel on Windows opens correctly, as the browser's CSV is.
pub struct DiffCsv {
    csv: ExcelCsv,
}

impl DiffCsv {
    pub fn create(out: &Path) -> Result<Self, EngineError> {
        Ok(DiffCsv { csv: ExcelCsv::create(out, &["id", "kind", "field", "before", "after"])? })
    }

    pub fn write(&mut self, difference: &Difference) -> Result<(), EngineError> {
        let id = difference.id().to_string();
        match difference {
            Difference::Added { .. } | Difference::Removed { .. } => self.csv.write(&[id.as_str(), difference.kind(), "", "", ""]),
            Difference::Changed(changed) => {
                for change in &changed.fields {
                    let (before, after) = (change.field.text(&change.before), change.field.text(&change.after));
                    self.csv.write(&[id.clone(), "changed".into(), change.field.as_str().into(), cell(before), cell(after)])?;
                }
                if changed.pdf_changed {
                    self.csv.write(&[id.as_str(), "changed", "pdf", "", ""])?;
                }
                Ok(())
            }
        }
    }

    /// Puts the file in place; returns the number of rows written.
    pub fn finish(self) -> Result<u64, EngineError> {
        self.csv.finish()
    }
}

/// One export's manifest and index.
struct Side {
    dir: PathBuf,
    manifest: Manifest,
    db: Connection,
    /// The oldest indexes keep each instrument's JSON in a `raw` column.
    raw_in_table: bool,
    has_hash: bool,
}

impl Side {
    fn open(dir: &Path) -> Result<Self, EngineError> {
        if !dir.join(MANIFEST).is_file() {
            return Err(EngineError::NotAnExport { path: dir.to_path_buf() });
        }
        let manifest = Manifest::read(dir)?;
        let path = dir.join(INDEX);
        if !path.is_file() {
            return Err(EngineError::CorruptState { path, reason: "the export has no index".to_owned() });
        }
        // Read-write for the one upgrade a diff makes; an export on a read-only disk is still
        // compared, only more slowly (every line is read).
        let db = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_WRITE)
            .or_else(|_| Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY))?;
        let raw_in_table: bool =
            db.query_row("SELECT count(*) FROM pragma_table_info('instruments') WHERE name = 'raw'", [], |r| r.get::<_, i64>(0).map(|n| n > 0))?;
        let has_hash = match crate::index::upgrade_json_hashes(&db, dir, raw_in_table) {
            Ok(has) => has,
            Err(e) => {
                tracing::info!("comparing {} without line hashes: {e}", dir.display());
                false
            }
        };
        Ok(Side { dir: dir.to_path_buf(), manifest, db, raw_in_table, has_hash })
    }

    fn describe(&self) -> DiffSide {
        let m = &self.manifest;
        DiffSide {
            dir: self.dir.clone(),
            job_id: m.job_id.clone(),
            remote_job_id: m.remote_job_id,
            ready: m.times.ready.clone(),
            instruments: m.counts.instruments,
            request: m.request.clone(),
        }
    }

    /// Every instrument in id order: id, line hash, where its JSON is, its PDF.
    fn scan_sql(&self) -> String {
        format!("{} ORDER BY id", self.select_sql())
    }

    fn select_sql(&self) -> String {
        let hash = if self.has_hash { "json_hash" } else { "NULL" };
        let json = if self.raw_in_table { "raw, NULL, NULL" } else { "NULL, json_offset, json_length" };
        format!("SELECT id, {hash}, {json}, pdf_path FROM instruments")
    }

    /// Instrument `id`'s row, if this export has it.
    fn entry(&self, id: u64) -> Result<Option<Entry>, EngineError> {
        let mut statement = self.db.prepare_cached(&format!("{} WHERE id = ?1", self.select_sql()))?;
        let mut rows = statement.query([id as i64])?;
        Entry::next(&mut rows)
    }
}

/// One row of a side's scan.
struct Entry {
    id: u64,
    hash: Option<i64>,
    raw: Option<String>,
    offset: u64,
    length: u64,
    pdf: Option<String>,
}

impl Entry {
    fn next(rows: &mut rusqlite::Rows<'_>) -> Result<Option<Entry>, EngineError> {
        let Some(row) = rows.next()? else { return Ok(None) };
        Ok(Some(Entry {
            id: row.get::<_, i64>(0)? as u64,
            hash: row.get(1)?,
            raw: row.get(2)?,
            offset: row.get::<_, Option<i64>>(3)?.unwrap_or(0).max(0) as u64,
            length: row.get::<_, Option<i64>>(4)?.unwrap_or(0).max(0) as u64,
            pdf: row.get(5)?,
        }))
    }
}

/// Reads instruments' lines back from one side's instruments.json, the file opened once.
struct Lines {
    path: PathBuf,
    file: Option<File>,
}

impl Lines {
    fn new(side: &Side) -> Self {
        Lines { path: side.dir.join(INSTRUMENTS), file: None }
    }

    /// The instrument's JSON object, checked to be that instrument's: a file edited since the
    /// export was indexed is reported, never compared as if it were some other instrument.
    fn object(&mut self, entry: &Entry) -> Result<Map<String, Value>, EngineError> {
        let changed = || EngineError::ExportChanged { path: self.path.clone(), id: entry.id };
        let text = match &entry.raw {
            Some(raw) => raw.clone().into_bytes(),
            None => {
                if self.file.is_none() {
                    self.file = Some(File::open(&self.path).map_err(|_| changed())?);
                }
                let file = self.file.as_mut().ok_or_else(changed)?;
                let mut line = vec![0; usize::try_from(entry.length).map_err(|_| changed())?];
                file.seek(SeekFrom::Start(entry.offset)).and_then(|_| file.read_exact(&mut line)).map_err(|_| changed())?;
                line
            }
        };
        match serde_json::from_slice::<Value>(&text) {
            Ok(Value::Object(object)) if object.get("id").and_then(Value::as_u64) == Some(entry.id) => Ok(object),
            _ => Err(changed()),
        }
    }
}

/// The top-level keys the named fields cover; every other key is compared as [`Field::Other`].
const KNOWN_KEYS: &[&str] =
    &["id", "typeName", "startPageNumber", "endPageNumber", "sourceReferenceId", "sourceName", "canonicalTags", "annotations", "reviewedBy", "reviewedAt"];

/// The fields of one instrument that differ between its two JSON objects, in [`Field`] order.
fn changed_fields(old: &Map<String, Value>, new: &Map<String, Value>) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    let mut push = |field, before: Value, after: Value| {
        if before != after {
            changes.push(FieldChange { field, before, after });
        }
    };
    push(Field::Type, key(old, "typeName"), key(new, "typeName"));
    push(Field::Pages, pair(old, "start", "startPageNumber", "end", "endPageNumber"), pair(new, "start", "startPageNumber", "end", "endPageNumber"));
    push(Field::Source, pair(old, "id", "sourceReferenceId", "name", "sourceName"), pair(new, "id", "sourceReferenceId", "name", "sourceName"));
    let (old_tags, new_tags) = (tag_types(old), tag_types(new));
    let (old_attributes, new_attributes) = (attributes(old), attributes(new));
    let tags_explained = old_tags != new_tags || old_attributes != new_attributes;
    push(Field::Tags, old_tags, new_tags);
    push(Field::Attributes, old_attributes, new_attributes);
    push(Field::Annotations, key(old, "annotations"), key(new, "annotations"));
    push(Field::Review, pair(old, "by", "reviewedBy", "at", "reviewedAt"), pair(new, "by", "reviewedBy", "at", "reviewedAt"));
    // What the named fields leave out: unknown keys, and tag fields beyond type and attributes.
    let (mut before, mut after) = (Map::new(), Map::new());
    let keys: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    for name in keys {
        let unexplained = !KNOWN_KEYS.contains(&name.as_str()) || (name == "canonicalTags" && !tags_explained);
        let (a, b) = (key(old, name), key(new, name));
        if unexplained && a != b {
            before.insert(name.clone(), a);
            after.insert(name.clone(), b);
        }
    }
    if !before.is_empty() {
        push(Field::Other, Value::Object(before), Value::Object(after));
    }
    changes
}

fn key(object: &Map<String, Value>, name: &str) -> Value {
    object.get(name).cloned().unwrap_or(Value::Null)
}

/// Two keys as one value (`{"start": 3, "end": 5}`), null when both are absent or null.
fn pair(object: &Map<String, Value>, a: &str, a_key: &str, b: &str, b_key: &str) -> Value {
    let (first, second) = (key(object, a_key), key(object, b_key));
    if first.is_null() && second.is_null() { Value::Null } else { json!({a: first, b: second}) }
}

fn tags(object: &Map<String, Value>) -> &[Value] {
    object.get("canonicalTags").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default()
}

fn tag_types(object: &Map<String, Value>) -> Value {
    Value::Array(tags(object).iter().map(|t| t.get("typeName").cloned().unwrap_or(Value::Null)).collect())
}

fn attributes(object: &Map<String, Value>) -> Value {
    let mut list = Vec::new();
    for tag in tags(object) {
        let tag_type = tag.get("typeName").cloned().unwrap_or(Value::Null);
        for attribute in tag.get("attributes").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default() {
            list.push(json!({
                "tag": tag_type,
                "name": attribute.get("name").cloned().unwrap_or(Value::Null),
                "value": attribute.get("value").cloned().unwrap_or(Value::Null),
            }));
        }
    }
    Value::Array(list)
}

/// Whether two files hold the same bytes: sizes first, then the bytes until the first that
/// differs. No hash: a hash would read both files whole just the same, and can collide.
fn same_bytes(a: &Path, b: &Path) -> Result<bool, EngineError> {
    let open = |path: &Path| -> Result<(File, u64), EngineError> {
        let unreadable = |e: std::io::Error| EngineError::UnreadablePdf { path: path.to_path_buf(), reason: e.to_string() };
        let file = File::open(path).map_err(unreadable)?;
        let size = file.metadata().map_err(unreadable)?.len();
        Ok((file, size))
    };
    let ((mut a_file, a_size), (mut b_file, b_size)) = (open(a)?, open(b)?);
    if a_size != b_size {
        return Ok(false);
    }
    let (mut a_buf, mut b_buf) = (vec![0u8; 64 * 1024], vec![0u8; 64 * 1024]);
    loop {
        let n = read_full(&mut a_file, &mut a_buf).map_err(|e| EngineError::UnreadablePdf { path: a.to_path_buf(), reason: e.to_string() })?;
        let m = read_full(&mut b_file, &mut b_buf).map_err(|e| EngineError::UnreadablePdf { path: b.to_path_buf(), reason: e.to_string() })?;
        if n != m || a_buf[..n] != b_buf[..m] {
            return Ok(false);
        }
        if n == 0 {
            return Ok(true);
        }
    }
}

/// Fills `buf` as far as the file goes; fewer bytes only at its end.
fn read_full(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(o) => o,
            _ => unreachable!("a test object"),
        }
    }

    #[test]
    fn each_field_is_told_apart_and_the_rest_is_other() {
        let old = object(json!({"id": 1, "typeName": "Lease", "startPageNumber": 1, "endPageNumber": 2, "sourceName": "a.pdf",
            "canonicalTags": [{"typeName": "Airframe Inventory", "domainEntityId": 39, "attributes": [{"name": "Make", "value": "Beech"}]}],
            "annotations": [], "reviewedBy": null, "reviewedAt": null, "extra": 1}));
        let mut new = old.clone();
        assert!(changed_fields(&old, &new).is_empty());
        new.insert("endPageNumber".into(), json!(3));
        new.insert("extra".into(), json!(2));
        let changes = changed_fields(&old, &new);
        assert_eq!(changes.iter().map(|c| c.field).collect::<Vec<_>>(), [Field::Pages, Field::Other]);
        assert_eq!(changes[0].after, json!({"start": 1, "end": 3}));
        assert_eq!(Field::Pages.text(&changes[0].after), "1-3");
        assert_eq!(changes[1].before, json!({"extra": 1}));

        // A tag's own field alone is "other"; with an attribute changed too it is "attributes".
        let mut tagged = old.clone();
        tagged["canonicalTags"][0]["domainEntityId"] = json!(41);
        assert_eq!(changed_fields(&old, &tagged).iter().map(|c| c.field).collect::<Vec<_>>(), [Field::Other]);
        tagged["canonicalTags"][0]["attributes"][0]["value"] = json!("Cessna");
        let changes = changed_fields(&old, &tagged);
        assert_eq!(changes.iter().map(|c| c.field).collect::<Vec<_>>(), [Field::Attributes]);
        assert_eq!(Field::Attributes.text(&changes[0].after), "Airframe Inventory: Make=Cessna");
    }

    #[test]
    fn the_summary_line_names_the_older_exports_date() {
        let side = |ready: Option<&str>| DiffSide {
            dir: PathBuf::new(),
            job_id: String::new(),
            remote_job_id: 0,
            ready: ready.map(str::to_owned),
            instruments: 0,
            request: ExportRequest { owner: "o".into(), project: "p".into(), tags: crate::request::TagFilter::None, source: None, include_files: false },
        };
        let mut summary = DiffSummary {
            old: side(Some("2026-11-30T17:00:00Z")),
            new: side(Some("2026-12-04T09:00:00Z")),
            same_request: true,
            pdfs_compared: false,
            added: 12,
            removed: 3,
            changed: 7,
            unchanged: 0,
            pdfs_changed: 0,
            fields: BTreeMap::new(),
        };
        assert_eq!(summary.line(), "since 2026-11-30: +12 new, \u{2212}3 gone, 7 changed");
        summary.same_request = false;
        summary.old.ready = None;
        assert_eq!(summary.line(), "since the earlier export: +12 new, \u{2212}3 gone, 7 changed (made with different filters)");
    }
}
