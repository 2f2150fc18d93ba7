//! Stage 8, browse: questions asked of one export's `index.sqlite` without loading the export:
//! a page of rows filtered, searched and sorted; counts by type, tag type and source; groups by a
//! tag attribute or source; one instrument's details; the current table as CSV; and chosen
//! instruments' PDFs merged into one.
//!
//! Every query is a single SQL statement over indexed columns, so a page of 100,000 or 1,000,000
//! instruments comes back in milliseconds (see `bench/browse.sh`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use lopdf::{Document, Object, ObjectId};
use rusqlite::{Connection, OpenFlags, params_from_iter};
use serde::{Deserialize, Serialize};

use crate::error::EngineError;
use crate::index::{INDEX, INSTRUMENTS, fts_query};
use crate::names;

/// What the table shows: filters, a search, a sort and extra attribute columns.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Query {
    /// Words that must all match (as prefixes) a name, tag attribute or annotation value.
    pub search: String,
    /// Instrument types to keep (any of); empty keeps all.
    pub types: Vec<String>,
    /// Tag types to keep (an instrument with any of them); empty keeps all.
    pub tag_types: Vec<String>,
    /// Source file names to keep (any of); empty keeps all.
    pub sources: Vec<String>,
    pub reviewed: Option<bool>,
    pub has_pdf: Option<bool>,
    pub has_problems: Option<bool>,
    /// Keep instruments whose attribute `name` has `value` (an expanded group).
    pub attribute: Option<AttributeValue>,
    pub sort: Sort,
    /// Tag attribute names shown as extra columns, in order (e.g. "Serial Number").
    pub columns: Vec<String>,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttributeValue {
    pub name: String,
    pub value: Option<String>,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Sort {
    pub by: SortBy,
    pub descending: bool,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "column")]
pub enum SortBy {
    #[default]
    Id,
    Type,
    Source,
    /// By first page.
    Pages,
    TagTypes,
    ReviewedBy,
    ReviewedAt,
    HasPdf,
    Problems,
    Attribute {
        name: String,
    },
}

/// One instrument as a table row.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    pub id: u64,
    pub type_name: Option<String>,
    pub source_name: Option<String>,
    pub start_page: Option<u64>,
    pub end_page: Option<u64>,
    /// Pages in the instrument's PDF, when it has a readable one.
    pub pdf_pages: Option<u64>,
    pub tag_types: Vec<String>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<String>,
    pub has_pdf: bool,
    /// Problem kinds (`missing_pdf`, `page_count_mismatch`...).
    pub problems: Vec<String>,
    /// The values of the query's extra columns, in order; several values joined with "; ".
    pub columns: Vec<Option<String>>,
}

/// A window of the table.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Page {
    /// Rows matching the query in all.
    pub total: u64,
    pub offset: u64,
    pub rows: Vec<Row>,
}

/// A value and how many instruments (matching the query) have it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Count {
    pub value: Option<String>,
    pub count: u64,
}

/// The largest groups of the rows a query keeps, and how many groups there are in all.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Groups {
    /// Largest first (ties by value), at most the limit asked for.
    pub groups: Vec<Count>,
    pub total: u64,
}

/// The values the filters offer, with counts over the whole export.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Facets {
    pub instruments: u64,
    pub types: Vec<Count>,
    pub tag_types: Vec<Count>,
    /// The largest sources and how many there are: an export can hold tens of thousands, too
    /// many to list (a menu of 22,000 took the page seconds to lay out); the rest are found
    /// by name with [`Browser::sources_named`].
    pub sources: Groups,
    /// Every tag attribute name, for extra columns and grouping.
    pub attributes: Vec<String>,
}

impl Query {
    /// The part of the query that decides which rows are kept (not their order or columns).
    fn rows_kept(&self) -> Query {
        Query { sort: Sort::default(), columns: Vec::new(), ..self.clone() }
    }
}

/// What to group by.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "by")]
pub enum GroupBy {
    Source,
    Attribute { name: String },
}

/// Everything about one instrument.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Details {
    pub row: Row,
    /// The instrument's line of instruments.json, as AnnoLab sent it.
    pub raw: String,
    /// The PDF's absolute path, if the export has it.
    pub pdf: Option<String>,
    /// What was found wrong with it, in words.
    pub problems: Vec<String>,
}

/// How many sources [`Facets`] lists, largest first.
pub const FACET_SOURCES: u64 = 200;

/// The folder inside an export where CSV files and merged PDFs made from it are saved.
pub const SAVED: &str = "saved";

const ROW_COLUMNS: &str =
    "i.id, i.type_name, i.source_name, i.start_page, i.end_page, i.pdf_pages, i.tag_types, i.reviewed_by, i.reviewed_at, i.pdf_path IS NOT NULL, i.problems";

/// An export's index, open for reading.
pub struct Browser {
    dir: PathBuf,
    db: Connection,
    /// Indexes made before the raw JSON moved out to `instruments.json` hold it in a `raw` column.
    raw_in_table: bool,
}

impl Browser {
    /// Opens the index of the export in `dir`. An index made before the tag table existed gets
    /// it once (the only write a browser makes).
    pub fn open(dir: &Path) -> Result<Self, EngineError> {
        let path = dir.join(INDEX);
        if !path.is_file() {
            return Err(EngineError::CorruptState { path, reason: "the export has no index".to_owned() });
        }
        let db = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
        let raw_in_table = upgrade(&db)?;
        crate::index::attach_search(&db, dir)?;
        Ok(Browser { dir: dir.to_path_buf(), db, raw_in_table })
    }

    /// Rows `offset..offset + limit` of the table, and how many rows there are in all.
    pub fn page(&self, query: &Query, offset: u64, limit: u64) -> Result<Page, EngineError> {
        let mut sql = Params::new();
        let columns = attribute_columns(&mut sql, &query.columns);
        let (from, filter) = filter(&mut sql, query);
        let order = order(&mut sql, &query.sort, !query.search.trim().is_empty());
        let text = format!("SELECT {ROW_COLUMNS}{columns} FROM {from}{filter} ORDER BY {order} LIMIT {limit} OFFSET {offset}");
        let mut statement = self.db.prepare_cached(&text)?;
        let extra = query.columns.len();
        let rows = statement.query_map(params_from_iter(sql.params.iter()), |row| read_row(row, extra))?.collect::<Result<Vec<_>, _>>()?;
        Ok(Page { total: self.count(query)?, offset, rows })
    }

    /// How many rows match `query`.
    pub fn count(&self, query: &Query) -> Result<u64, EngineError> {
        let mut sql = Params::new();
        let only = query.rows_kept();
        let text = if only == (Query { search: query.search.clone(), ..Query::default() }) && !fts_query(&query.search).is_empty() {
            // Search alone: the full-text index counts its matches itself, without visiting rows.
            let search = sql.bind(SqlValue::Text(fts_query(&query.search)));
            format!("SELECT count(*) FROM search WHERE search MATCH {search}")
        } else if only == (Query { tag_types: query.tag_types.clone(), ..Query::default() }) && !query.tag_types.is_empty() {
            format!("SELECT count(DISTINCT instrument_id) FROM instrument_tags WHERE tag_type IN ({})", sql.list(&query.tag_types))
        } else {
            let (from, filter) = filter(&mut sql, query);
            format!("SELECT count(*) FROM {from}{filter}")
        };
        let count: i64 = self.db.prepare_cached(&text)?.query_row(params_from_iter(sql.params.iter()), |r| r.get(0))?;
        Ok(count as u64)
    }

    /// Values for the filters, with counts.
    pub fn facets(&self) -> Result<Facets, EngineError> {
        let counts = |text: &str| -> Result<Vec<Count>, EngineError> {
            let mut statement = self.db.prepare_cached(text)?;
            let rows = statement.query_map([], |r| Ok(Count { value: r.get(0)?, count: r.get::<_, i64>(1)? as u64 }))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        };
        let attributes = self.attribute_names()?;
        Ok(Facets {
            instruments: self.count(&Query::default())?,
            types: counts("SELECT type_name, count(*) FROM instruments GROUP BY type_name ORDER BY count(*) DESC, type_name")?,
            tag_types: counts("SELECT tag_type, count(*) FROM instrument_tags GROUP BY tag_type ORDER BY count(*) DESC, tag_type")?,
            sources: self.groups(&Query::default(), &GroupBy::Source, FACET_SOURCES)?,
            attributes,
        })
    }

    /// Every tag attribute name in the export, sorted.
    pub fn attribute_names(&self) -> Result<Vec<String>, EngineError> {
        let mut statement = self.db.prepare_cached("SELECT DISTINCT name FROM attributes ORDER BY name")?;
        Ok(statement.query_map([], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?)
    }

    /// The `limit` largest groups of the rows matching `query`, and how many there are: a
    /// near-unique attribute (a serial number) has hundreds of thousands of groups in a large
    /// export, which nobody reads one by one and no window should receive.
    pub fn groups(&self, query: &Query, by: &GroupBy, limit: u64) -> Result<Groups, EngineError> {
        let mut sql = Params::new();
        let only = query.rows_kept();
        let grouped = match by {
            GroupBy::Attribute { name } if only == Query::default() => {
                // Nothing filtered: the attribute index answers alone, without visiting a row.
                let name = sql.bind(SqlValue::Text(name.clone()));
                format!("SELECT value, count(DISTINCT instrument_id) AS n FROM attributes WHERE name = {name} GROUP BY value")
            }
            GroupBy::Source => {
                let (from, filter) = filter(&mut sql, query);
                format!("SELECT i.source_name AS value, count(*) AS n FROM {from}{filter} GROUP BY i.source_name")
            }
            GroupBy::Attribute { name } => {
                let join = sql.bind(SqlValue::Text(name.clone()));
                let (from, filter) = filter(&mut sql, query);
                format!(
                    "SELECT a.value AS value, count(DISTINCT i.id) AS n FROM {from} JOIN attributes a ON a.instrument_id = i.id AND a.name = {join}{filter} GROUP BY a.value"
                )
            }
        };
        let text = format!("SELECT value, n, count(*) OVER () FROM ({grouped}) ORDER BY n DESC, value LIMIT {limit}");
        let mut statement = self.db.prepare_cached(&text)?;
        collect_groups(statement.query_map(params_from_iter(sql.params.iter()), group_row)?)
    }

    /// Sources whose name contains `text` (ASCII letters in any case): the one named exactly
    /// `text` first, then largest first. What the source field suggests as the user types.
    pub fn sources_named(&self, text: &str, limit: u64) -> Result<Groups, EngineError> {
        let pattern = format!("%{}%", text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        let sql = format!(
            "SELECT value, n, count(*) OVER () FROM \
             (SELECT source_name AS value, count(*) AS n FROM instruments WHERE source_name LIKE ?1 ESCAPE '\\' GROUP BY source_name) \
             ORDER BY value = ?2 DESC, n DESC, value LIMIT {limit}"
        );
        let mut statement = self.db.prepare_cached(&sql)?;
        collect_groups(statement.query_map([pattern.as_str(), text], group_row)?)
    }

    pub fn details(&self, id: u64) -> Result<Details, EngineError> {
        let json = if self.raw_in_table { "i.raw, 0" } else { "i.json_offset, i.json_length" };
        let text = format!("SELECT {ROW_COLUMNS}, i.pdf_path, {json} FROM instruments i WHERE i.id = ?1");
        let found = self.db.prepare_cached(&text)?.query_row([id as i64], |r| {
            let at = if self.raw_in_table {
                JsonAt::Table(r.get(12)?)
            } else {
                JsonAt::File { offset: r.get::<_, i64>(12)? as u64, length: r.get::<_, i64>(13)? as u64 }
            };
            Ok((read_row(r, 0)?, r.get::<_, Option<String>>(11)?, at))
        });
        let (row, pdf, at) = match found {
            Ok(found) => found,
            Err(rusqlite::Error::QueryReturnedNoRows) => return Err(EngineError::InstrumentNotFound { id }),
            Err(other) => return Err(other.into()),
        };
        let raw = match at {
            JsonAt::Table(raw) => raw,
            JsonAt::File { offset, length } => self.json_line(id, offset, length)?,
        };
        let problems = self
            .db
            .prepare_cached("SELECT message FROM problems WHERE instrument_id = ?1")?
            .query_map([id as i64], |r| r.get(0))?
            .collect::<Result<Vec<String>, _>>()?;
        Ok(Details { row, raw, pdf: pdf.map(|p| names::find_on_disk(&self.dir, &p).display().to_string()), problems })
    }

    /// Instrument `id`'s line of instruments.json, checked to still be that instrument's: a file
    /// edited since the export was indexed is reported, never shown as some other instrument.
    fn json_line(&self, id: u64, offset: u64, length: u64) -> Result<String, EngineError> {
        use std::io::{Read, Seek, SeekFrom};
        let path = self.dir.join(INSTRUMENTS);
        let changed = || EngineError::ExportChanged { path: path.clone(), id };
        let mut file = std::fs::File::open(&path).map_err(|_| changed())?;
        let mut line = vec![0; usize::try_from(length).map_err(|_| changed())?];
        file.seek(SeekFrom::Start(offset)).and_then(|_| file.read_exact(&mut line)).map_err(|_| changed())?;
        let text = String::from_utf8_lossy(&line).into_owned();
        #[derive(Deserialize)]
        struct Id {
            id: u64,
        }
        match serde_json::from_str::<Id>(&text) {
            Ok(Id { id: found }) if found == id => Ok(text),
            _ => Err(changed()),
        }
    }

    /// The absolute paths of the PDFs of `ids`, in that order; an instrument without one is an error.
    pub fn pdf_paths(&self, ids: &[u64]) -> Result<Vec<PathBuf>, EngineError> {
        let mut statement = self.db.prepare_cached("SELECT pdf_path FROM instruments WHERE id = ?1")?;
        ids.iter()
            .map(|&id| {
                let path: Option<String> = statement.query_row([id as i64], |r| r.get(0)).map_err(|e| match e {
                    rusqlite::Error::QueryReturnedNoRows => EngineError::InstrumentNotFound { id },
                    other => other.into(),
                })?;
                path.map(|p| names::find_on_disk(&self.dir, &p)).ok_or(EngineError::NoPdf { id })
            })
            .collect()
    }

    /// Writes every row matching `query` (sorted as it is) to `out` as CSV: one row per
    /// instrument, every tag attribute a column, UTF-8 with a byte order mark and CRLF line
    /// ends (what Excel on Windows opens correctly). Returns the number of rows written.
    pub fn write_csv(&self, query: &Query, out: &Path) -> Result<u64, EngineError> {
        let attributes = self.attribute_names()?;
        let query = Query { columns: attributes.clone(), ..query.clone() };
        let mut sql = Params::new();
        let columns = attribute_columns(&mut sql, &query.columns);
        let (from, filter) = filter(&mut sql, &query);
        let order = order(&mut sql, &query.sort, !query.search.trim().is_empty());
        let text = format!("SELECT {ROW_COLUMNS}{columns} FROM {from}{filter} ORDER BY {order}");
        let io = |source| EngineError::Io { context: format!("could not write {}", out.display()), source };
        let part = out.with_extension("csv.part");
        // Excel on Windows reads a CSV without a byte order mark in the ANSI code page (and so
        // mangles every accent); RFC 4180 ends records with CRLF. Both suit every other reader.
        let mut file = std::io::BufWriter::new(std::fs::File::create(&part).map_err(io)?);
        std::io::Write::write_all(&mut file, "\u{feff}".as_bytes()).map_err(io)?;
        let mut csv = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(file);
        let mut header: Vec<String> =
            ["id", "type", "source", "start page", "end page", "pdf pages", "tag types", "reviewed by", "reviewed at", "has pdf", "problems"]
                .map(str::to_owned)
                .to_vec();
        header.extend(attributes.iter().cloned());
        csv.write_record(&header).map_err(|e| io(std::io::Error::other(e)))?;
        let mut statement = self.db.prepare(&text)?;
        let mut rows = statement.query(params_from_iter(sql.params.iter()))?;
        let mut written = 0u64;
        while let Some(row) = rows.next()? {
            let row = read_row(row, attributes.len())?;
            let number = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_default();
            let mut record = vec![
                row.id.to_string(),
                cell(row.type_name.unwrap_or_default()),
                cell(row.source_name.unwrap_or_default()),
                number(row.start_page),
                number(row.end_page),
                number(row.pdf_pages),
                cell(row.tag_types.join("; ")),
                cell(row.reviewed_by.unwrap_or_default()),
                cell(row.reviewed_at.unwrap_or_default()),
                if row.has_pdf { "yes" } else { "no" }.to_owned(),
                row.problems.join("; "),
            ];
            record.extend(row.columns.into_iter().map(|v| cell(v.unwrap_or_default())));
            csv.write_record(&record).map_err(|e| io(std::io::Error::other(e)))?;
            written += 1;
        }
        csv.flush().map_err(io)?;
        drop(csv);
        std::fs::rename(&part, out).map_err(io)?;
        Ok(written)
    }

    /// Writes the table as CSV into the export's `saved/` folder, named by the time; returns
    /// the file and the number of rows.
    pub fn save_csv(&self, query: &Query) -> Result<(PathBuf, u64), EngineError> {
        let out = self.saved_path("instruments", "csv")?;
        let rows = self.write_csv(query, &out)?;
        Ok((out, rows))
    }

    /// Merges the PDFs of `ids` into the export's `saved/` folder; returns the file and its
    /// page count.
    pub fn save_merged(&self, ids: &[u64]) -> Result<(PathBuf, u32), EngineError> {
        let out = self.saved_path(&format!("merged-{}-instruments", ids.len()), "pdf")?;
        let pages = self.merge_pdfs(ids, &out)?;
        Ok((out, pages))
    }

    /// `<export>/saved/<name>-<UTC time>.<extension>`, never an existing file.
    fn saved_path(&self, name: &str, extension: &str) -> Result<PathBuf, EngineError> {
        let folder = self.dir.join(SAVED);
        std::fs::create_dir_all(&folder).map_err(|source| EngineError::Io { context: format!("could not create {}", folder.display()), source })?;
        let stamp = crate::fsutil::now_stamp();
        let mut path = folder.join(format!("{name}-{stamp}.{extension}"));
        for n in 2.. {
            if !path.exists() {
                break;
            }
            path = folder.join(format!("{name}-{stamp}-{n}.{extension}"));
        }
        Ok(path)
    }

    /// Copies the PDFs of `ids` into `folder`, never over an existing file (a copy is then named
    /// `name (2).pdf`). Returns how many were copied.
    pub fn copy_pdfs(&self, ids: &[u64], folder: &Path) -> Result<u64, EngineError> {
        let io = |path: &Path| {
            let context = format!("could not copy into {}", path.display());
            move |source| EngineError::Io { context, source }
        };
        let mut copied = 0;
        for source in self.pdf_paths(ids)? {
            let name = source.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "instrument".into());
            let mut target = folder.join(format!("{name}.pdf"));
            for n in 2.. {
                if !target.exists() {
                    break;
                }
                target = folder.join(format!("{name} ({n}).pdf"));
            }
            std::fs::copy(&source, &target).map_err(io(&target))?;
            copied += 1;
        }
        Ok(copied)
    }

    /// Merges the PDFs of `ids`, in that order, into one PDF at `out`. Returns its page count.
    pub fn merge_pdfs(&self, ids: &[u64], out: &Path) -> Result<u32, EngineError> {
        if ids.is_empty() {
            return Err(EngineError::NothingToMerge);
        }
        let documents = self
            .pdf_paths(ids)?
            .into_iter()
            .map(|path| Document::load(&path).map_err(|e| EngineError::UnreadablePdf { path, reason: e.to_string() }))
            .collect::<Result<Vec<_>, _>>()?;
        let mut merged = merge(documents)?;
        let pages = merged.get_pages().len() as u32;
        let part = out.with_extension("pdf.part");
        merged.save(&part).map_err(|e| EngineError::Io { context: format!("could not write {}", part.display()), source: std::io::Error::other(e) })?;
        std::fs::rename(&part, out).map_err(|source| EngineError::Io { context: format!("could not write {}", out.display()), source })?;
        Ok(pages)
    }
}

/// A spreadsheet program runs a cell that begins with `=`, `+`, `-` or `@` as a formula, so such
/// text (never a number) is prefixed with `'`, which it shows as plain text.
fn cell(text: String) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) && text.parse::<f64>().is_err() { format!("'{text}") } else { text }
}

/// The parameters of one SQL statement, numbered in the order they are bound.
struct Params {
    params: Vec<SqlValue>,
}

type SqlValue = rusqlite::types::Value;

impl Params {
    fn new() -> Self {
        Params { params: Vec::new() }
    }

    /// Adds a parameter and returns its placeholder.
    fn bind(&mut self, value: SqlValue) -> String {
        self.params.push(value);
        format!("?{}", self.params.len())
    }

    fn list(&mut self, values: &[String]) -> String {
        values.iter().map(|v| self.bind(SqlValue::Text(v.clone()))).collect::<Vec<_>>().join(", ")
    }
}

fn attribute_columns(sql: &mut Params, names: &[String]) -> String {
    names
        .iter()
        .map(|name| {
            let name = sql.bind(SqlValue::Text(name.clone()));
            format!(", (SELECT group_concat(a.value, '; ') FROM attributes a WHERE a.instrument_id = i.id AND a.name = {name})")
        })
        .collect()
}

/// The rows a query keeps: its FROM (the instruments, joined to the full-text index when it
/// searches, so the search drives) and its WHERE.
fn filter(sql: &mut Params, query: &Query) -> (&'static str, String) {
    let mut clauses: Vec<String> = Vec::new();
    let search = fts_query(&query.search);
    let from = if search.is_empty() {
        "instruments i"
    } else {
        let search = sql.bind(SqlValue::Text(search));
        clauses.push(format!("search MATCH {search}"));
        "search JOIN instruments i ON i.id = search.rowid"
    };
    if !query.types.is_empty() {
        clauses.push(format!("i.type_name IN ({})", sql.list(&query.types)));
    }
    if !query.tag_types.is_empty() {
        clauses.push(format!("i.id IN (SELECT instrument_id FROM instrument_tags WHERE tag_type IN ({}))", sql.list(&query.tag_types)));
    }
    if !query.sources.is_empty() {
        clauses.push(format!("i.source_name IN ({})", sql.list(&query.sources)));
    }
    let flag = |on: Option<bool>, yes: &str, no: &str| on.map(|on| if on { yes.to_owned() } else { no.to_owned() });
    clauses.extend(flag(query.reviewed, "i.reviewed_by IS NOT NULL", "i.reviewed_by IS NULL"));
    clauses.extend(flag(query.has_pdf, "i.pdf_path IS NOT NULL", "i.pdf_path IS NULL"));
    clauses.extend(flag(query.has_problems, "i.problems != ''", "i.problems = ''"));
    if let Some(AttributeValue { name, value }) = &query.attribute {
        let name = sql.bind(SqlValue::Text(name.clone()));
        let value = sql.bind(value.clone().map_or(SqlValue::Null, SqlValue::Text));
        clauses.push(format!("i.id IN (SELECT instrument_id FROM attributes WHERE name = {name} AND value IS {value})"));
    }
    let filter = if clauses.is_empty() { String::new() } else { format!(" WHERE {}", clauses.join(" AND ")) };
    (from, filter)
}

/// ORDER BY for `sort`. When the query searches, id order is the full-text index's own rowid
/// order, so the first page comes without sorting every match.
fn order(sql: &mut Params, sort: &Sort, searching: bool) -> String {
    let column = match &sort.by {
        SortBy::Id if searching => "search.rowid".to_owned(),
        SortBy::Id => "i.id".to_owned(),
        SortBy::Type => "i.type_name".to_owned(),
        SortBy::Source => "i.source_name".to_owned(),
        SortBy::Pages => "i.start_page".to_owned(),
        SortBy::TagTypes => "i.tag_types".to_owned(),
        SortBy::ReviewedBy => "i.reviewed_by".to_owned(),
        SortBy::ReviewedAt => "i.reviewed_at".to_owned(),
        SortBy::HasPdf => "(i.pdf_path IS NOT NULL)".to_owned(),
        SortBy::Problems => "i.problems".to_owned(),
        SortBy::Attribute { name } => {
            let name = sql.bind(SqlValue::Text(name.clone()));
            format!("(SELECT group_concat(a.value, '; ') FROM attributes a WHERE a.instrument_id = i.id AND a.name = {name})")
        }
    };
    let direction = if sort.descending { "DESC" } else { "ASC" };
    if matches!(sort.by, SortBy::Id) {
        return format!("{column} {direction}");
    }
    // Ties (and NULLs, which SQLite sorts first) fall back to the id, so paging is stable.
    format!("{column} {direction}, i.id {direction}")
}

fn read_row(row: &rusqlite::Row<'_>, extra: usize) -> rusqlite::Result<Row> {
    let number = |i: usize| -> rusqlite::Result<Option<u64>> { Ok(row.get::<_, Option<i64>>(i)?.map(|v| v as u64)) };
    let list = |text: String, separator: char| -> Vec<String> { text.split(separator).filter(|s| !s.is_empty()).map(str::to_owned).collect() };
    Ok(Row {
        id: row.get::<_, i64>(0)? as u64,
        type_name: row.get(1)?,
        source_name: row.get(2)?,
        start_page: number(3)?,
        end_page: number(4)?,
        pdf_pages: number(5)?,
        tag_types: list(row.get(6)?, '\n'),
        reviewed_by: row.get(7)?,
        reviewed_at: row.get(8)?,
        has_pdf: row.get(9)?,
        problems: list(row.get(10)?, ','),
        columns: (0..extra).map(|k| row.get(11 + k)).collect::<rusqlite::Result<_>>()?,
    })
}

/// Where an instrument's raw JSON is: in the index (older indexes) or in instruments.json.
enum JsonAt {
    Table(String),
    File { offset: u64, length: u64 },
}

/// Adds what later versions of the index carry: the instrument-to-tag-type table, the index
/// that finds an instrument's attributes, and for an index that holds the raw JSON in its rows,
/// the narrow row index. Returns whether the raw JSON is in the table.
fn upgrade(db: &Connection) -> Result<bool, EngineError> {
    let has_tags: bool = db.query_row("SELECT count(*) FROM sqlite_master WHERE name = 'instrument_tags'", [], |r| r.get::<_, i64>(0).map(|n| n > 0))?;
    if !has_tags {
        let tx = db.unchecked_transaction()?;
        tx.execute_batch(crate::index::TAGS_SCHEMA)?;
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
        tx.execute_batch(crate::index::TAGS_INDEXES)?;
        tx.commit()?;
    }
    let raw_in_table: bool =
        db.query_row("SELECT count(*) FROM pragma_table_info('instruments') WHERE name = 'raw'", [], |r| r.get::<_, i64>(0).map(|n| n > 0))?;
    let has_rows_index: bool = db.query_row("SELECT count(*) FROM sqlite_master WHERE name = 'instruments_rows'", [], |r| r.get::<_, i64>(0).map(|n| n > 0))?;
    if raw_in_table && !has_rows_index {
        db.execute_batch(crate::index::ROW_INDEX)?;
        db.execute_batch("ANALYZE;")?;
    }
    Ok(raw_in_table)
}

/// One row of a grouping query: (value, count, number of groups in all).
fn group_row(r: &rusqlite::Row) -> rusqlite::Result<(Count, u64)> {
    Ok((Count { value: r.get(0)?, count: r.get::<_, i64>(1)? as u64 }, r.get::<_, i64>(2)? as u64))
}

/// Groups from rows of (group, number of groups in all).
fn collect_groups(rows: impl Iterator<Item = rusqlite::Result<(Count, u64)>>) -> Result<Groups, EngineError> {
    let mut groups = Groups { groups: Vec::new(), total: 0 };
    for row in rows {
        let (count, all) = row?;
        groups.total = all;
        groups.groups.push(count);
    }
    Ok(groups)
}

/// Joins whole documents, page order kept: each document's objects are renumbered past the
/// previous ones, and every page moves under one new page tree. Attributes a page inherited
/// from its old tree (media box, resources, rotation) are copied onto the page first.
fn merge(documents: Vec<Document>) -> Result<Document, EngineError> {
    let mut merged = Document::with_version("1.7");
    let mut pages: Vec<ObjectId> = Vec::new();
    let mut next_id = 1;
    for mut document in documents {
        document.renumber_objects_with(next_id);
        next_id = document.max_id + 1;
        let page_ids: Vec<ObjectId> = document.get_pages().into_values().collect();
        for &page in &page_ids {
            let inherited = inherited_attributes(&document, page);
            if let Ok(Object::Dictionary(dictionary)) = document.get_object_mut(page) {
                for (key, value) in inherited {
                    if !dictionary.has(&key) {
                        dictionary.set(key, value);
                    }
                }
            }
        }
        pages.extend(&page_ids);
        for (id, object) in document.objects {
            // The old catalogs and page trees are replaced by the merged document's own.
            let kind = object.type_name().unwrap_or_default();
            if kind != b"Catalog" && kind != b"Pages" && kind != b"Outlines" && kind != b"Outline" {
                merged.objects.insert(id, object);
            }
        }
    }
    let tree_id = (next_id, 0);
    let catalog_id = (next_id + 1, 0);
    for page in &pages {
        if let Some(Object::Dictionary(dictionary)) = merged.objects.get_mut(page) {
            dictionary.set("Parent", tree_id);
        }
    }
    let kids: Vec<Object> = pages.iter().map(|&id| Object::Reference(id)).collect();
    merged.objects.insert(tree_id, Object::Dictionary(lopdf::dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => pages.len() as i64 }));
    merged.objects.insert(catalog_id, Object::Dictionary(lopdf::dictionary! { "Type" => "Catalog", "Pages" => tree_id }));
    merged.trailer.set("Root", catalog_id);
    merged.max_id = next_id + 1;
    merged.renumber_objects();
    merged.compress();
    Ok(merged)
}

fn inherited_attributes(document: &Document, page: ObjectId) -> BTreeMap<Vec<u8>, Object> {
    let mut found = BTreeMap::new();
    let mut parent = document.get_dictionary(page).ok().and_then(|d| d.get(b"Parent").ok()).and_then(|p| p.as_reference().ok());
    // Bounded, so a page tree that loops cannot hang the merge.
    for _ in 0..32 {
        let Some(id) = parent else { break };
        let Ok(node) = document.get_dictionary(id) else { break };
        for key in [b"MediaBox".as_slice(), b"CropBox", b"Resources", b"Rotate"] {
            if let Ok(value) = node.get(key) {
                found.entry(key.to_vec()).or_insert_with(|| value.clone());
            }
        }
        parent = node.get(b"Parent").ok().and_then(|p| p.as_reference().ok());
    }
    found
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn text_a_spreadsheet_would_run_as_a_formula_is_kept_as_text() {
        assert_eq!(cell("=HYPERLINK(\"http://x\")".into()), "'=HYPERLINK(\"http://x\")");
        assert_eq!(cell("@SUM(A1)".into()), "'@SUM(A1)");
        assert_eq!(cell("+1 555 0100 call".into()), "'+1 555 0100 call");
        assert_eq!(cell("-12.5".into()), "-12.5", "a number stays a number");
        assert_eq!(cell("N-1234".into()), "N-1234");
    }
}
