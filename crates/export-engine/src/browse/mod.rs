//! Stage 8, browse: questions asked of one export's `index.sqlite` without loading the export:
//! a page of rows filtered, searched and sorted; counts by type, tag type and source; groups by a
//! tag attribute or source; one instrument's details; a ranked full-text search; the current
//! table as CSV ([`csv`]); chosen instruments' PDFs merged into one ([`merge`]) or copied out
//! ([`saved`]). The types asked and answered are in [`query`], the SQL built from them in [`sql`];
//! the index's schema and its upgrades are `index`'s.
//!
//! A browser the app opens loads its table into memory ([`table`], [`Browser::load_table`]):
//! filters, counts, sorts and groups are then passes over arrays of codes, and only the rows on
//! screen are read from SQL, so every question about a million instruments is answered in tens
//! of milliseconds (see `bench/browse.sh`). Until the table is there (and for the CLI, which
//! asks once), the same questions are single SQL statements over indexed columns; the tests
//! check that both give the same answers.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::{Connection, OpenFlags, params_from_iter};
use serde::Deserialize;

use crate::error::EngineError;
use crate::index::{INDEX, INSTRUMENTS, fts_query};
use crate::names;

mod csv;
mod merge;
mod query;
mod saved;
mod sql;
mod table;
mod words;

pub(crate) use csv::{ExcelCsv, cell};
pub(crate) use merge::Binder;
pub use query::{
    AttributeValue, ChangeKind, ChangedField, ChangesFilter, Count, Details, FACET_SOURCES, Facets, GroupBy, Groups, Page, Query, Row, SearchHit, Sort, SortBy,
};
pub use saved::SAVED;
use sql::{Params, ROW_COLUMN_COUNT, SqlValue, attribute_columns, collect_groups, filter, group_row, order};
pub(crate) use sql::{ROW_COLUMNS, read_row};

/// An export's index, open for reading.
pub struct Browser {
    dir: PathBuf,
    db: Connection,
    /// Indexes made before the raw JSON moved out to `instruments.json` hold it in a `raw` column.
    raw_in_table: bool,
    /// The table in memory, once [`Browser::load_table`] has been asked for it, and what
    /// `browse_mark` marks on this connection.
    loader: Option<(table::Loader, Arc<std::sync::Mutex<table::Marks>>)>,
    /// Whether the index lists its distinct words and counts its short prefixes (indexes made
    /// before it did do not).
    has_words: bool,
    /// What [`Browser::mark_changes`] marked, by instrument id.
    marks: HashMap<u64, ChangeKind>,
    /// The last few answers, so scrolling a result or typing back a search costs nothing.
    recent: RefCell<Recent>,
}

/// How deep into a search alone its pages come from the full-text index (deeper, SQL's OFFSET
/// would walk every match before the page; the table jumps there at once).
const SEARCH_BY_SQL_UP_TO: u64 = 2000;

/// Recently kept rows, by query, and recent search matches, by full-text query: a few of each,
/// newest last.
#[derive(Default)]
struct Recent {
    rows: Vec<(String, Arc<Vec<u32>>)>,
    searches: Vec<(String, Arc<Vec<bool>>)>,
}

impl Recent {
    const KEPT: usize = 4;

    fn find<T>(list: &[(String, Arc<T>)], key: &str) -> Option<Arc<T>> {
        list.iter().find(|(k, _)| k == key).map(|(_, v)| Arc::clone(v))
    }

    fn keep<T>(list: &mut Vec<(String, Arc<T>)>, key: String, value: Arc<T>) {
        if list.len() >= Self::KEPT {
            list.remove(0);
        }
        list.push((key, value));
    }
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
        let raw_in_table = crate::index::upgrade(&db)?;
        crate::index::attach_search(&db, dir)?;
        // What a comparison with another export marked ([`Browser::mark_changes`]): a table of
        // this connection only, so the export's files are never written for it.
        db.execute_batch("CREATE TEMP TABLE IF NOT EXISTS changes (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, fields TEXT NOT NULL)")?;
        let has_words = db.prepare("SELECT w.term, w.docs, p.prefix, p.docs FROM words w, prefixes p LIMIT 0").is_ok();
        Ok(Browser { dir: dir.to_path_buf(), db, raw_in_table, has_words, loader: None, marks: HashMap::new(), recent: RefCell::default() })
    }

    /// Starts loading the table into memory on a thread of its own: what a browser that will be
    /// asked many questions (the app's) does once after opening. Questions asked before it is
    /// loaded are answered from SQL.
    pub fn load_table(&mut self) -> Result<(), EngineError> {
        if self.loader.is_none() {
            let loader = table::Loader::start(&self.dir.join(INDEX));
            let marks = loader.marker(&self.db)?;
            self.loader = Some((loader, marks));
        }
        Ok(())
    }

    /// Whether questions are answered from the table in memory yet.
    pub fn table_loaded(&self) -> bool {
        self.answers().is_some()
    }

    /// Waits until the table is loaded (benchmarks and tests, which measure or check it).
    pub fn wait_for_table(&mut self) {
        if let Some((loader, _)) = &mut self.loader {
            loader.wait();
        }
    }

    /// While the returned guard lives, the table's loading (if still going on) waits: the
    /// question being answered has the cores.
    fn asking(&self) -> Option<table::Asking> {
        self.loader.as_ref().map(|(loader, _)| loader.asking())
    }

    /// The loaded table, with what answers from it need.
    fn answers(&self) -> Option<table::Answers<'_>> {
        let (loader, _) = self.loader.as_ref()?;
        Some(table::Answers { table: loader.table()?, loader, db: &self.db })
    }

    /// The rows `query` keeps, in its order, from the loaded table (or the recent answers).
    fn kept(&self, answers: &table::Answers<'_>, query: &Query) -> Result<Arc<Vec<u32>>, EngineError> {
        let key = serde_json::to_string(&(query.rows_kept(), &query.sort)).unwrap_or_default();
        if let Some(rows) = Recent::find(&self.recent.borrow().rows, &key) {
            return Ok(rows);
        }
        let mut sets = Vec::new();
        let search = self.asked(&query.search)?.expression;
        if !search.is_empty() {
            sets.push(self.matches(answers, &search)?);
        }
        if let Some(AttributeValue { name, value }) = &query.attribute {
            sets.push(Arc::new(answers.rows_with(name, value.as_deref())?));
        }
        if let Some(changes) = &query.changes {
            sets.push(Arc::new(answers.rows_changed(&self.marks, &changes.kinds)));
        }
        let order = answers.order(&query.sort.by)?;
        let rows = Arc::new(table::Filter::new(answers.table, query, sets).rows(order.as_deref().map(Vec::as_slice), query.sort.descending));
        Recent::keep(&mut self.recent.borrow_mut().rows, key, Arc::clone(&rows));
        Ok(rows)
    }

    /// The rows whose text matches the full-text query `search`.
    fn matches(&self, answers: &table::Answers<'_>, search: &str) -> Result<Arc<Vec<bool>>, EngineError> {
        if let Some(rows) = Recent::find(&self.recent.borrow().searches, search) {
            return Ok(rows);
        }
        let Some((_, marks)) = &self.loader else { unreachable!("answers come from a loaded table") };
        self.db.prepare_cached("SELECT count(browse_mark(rowid)) FROM search WHERE search MATCH ?1")?.query_row([search], |_| Ok(()))?;
        let rows = Arc::new(marks.lock().unwrap_or_else(|p| p.into_inner()).take(answers.table.len()));
        Recent::keep(&mut self.recent.borrow_mut().searches, search.to_owned(), Arc::clone(&rows));
        Ok(rows)
    }

    /// The table rows of instruments `ids`, in that order, with `columns`' values.
    fn rows_by_id(&self, ids: impl Iterator<Item = i64>, columns: &[String]) -> Result<Vec<Row>, EngineError> {
        let mut sql = Params::new();
        let extra = attribute_columns(&mut sql, columns);
        let id = sql.bind(SqlValue::Null);
        let mut statement = self.db.prepare_cached(&format!("SELECT {ROW_COLUMNS}{extra} FROM instruments i WHERE i.id = {id}"))?;
        let mut rows = Vec::new();
        for wanted in ids {
            *sql.params.last_mut().expect("bound above") = SqlValue::Integer(wanted);
            rows.push(statement.query_row(params_from_iter(sql.params.iter()), |row| read_row(row, columns.len()))?);
        }
        Ok(rows)
    }

    /// Marks instruments as new, changed (with the fields that changed) or gone, replacing any
    /// earlier marks: what [`Query::changes`] keeps and what rows report as their `change`.
    pub fn mark_changes(&mut self, marks: impl IntoIterator<Item = (u64, ChangeKind, Vec<crate::diff::Field>)>) -> Result<(), EngineError> {
        let transaction = self.db.transaction()?;
        transaction.execute("DELETE FROM temp.changes", [])?;
        {
            let mut insert = transaction.prepare("INSERT OR REPLACE INTO temp.changes (id, kind, fields) VALUES (?1, ?2, ?3)")?;
            self.marks.clear();
            for (id, kind, fields) in marks {
                self.marks.insert(id, kind);
                let fields = fields.iter().map(|f| f.as_str()).collect::<Vec<_>>().join(",");
                insert.execute(rusqlite::params![id as i64, kind.as_str(), fields])?;
            }
        }
        transaction.commit()?;
        // Answers that kept or dropped rows by the old marks are out of date.
        *self.recent.borrow_mut() = Recent::default();
        Ok(())
    }

    /// Rows `offset..offset + limit` of the table, and how many rows there are in all.
    pub fn page(&self, query: &Query, offset: u64, limit: u64) -> Result<Page, EngineError> {
        let _asking = self.asking();
        let Some(answers) = self.answers() else { return self.page_by_sql(query, offset, limit) };
        if Self::search_alone(query) && offset <= SEARCH_BY_SQL_UP_TO {
            // The first rows of a search alone, in id order, come from the full-text index
            // directly: it counts its matches and hands over only the rows shown, where the
            // table would mark every match (a million, 60-90 ms) first.
            return self.page_by_sql(query, offset, limit);
        }
        let rows = self.kept(&answers, query)?;
        let start = usize::try_from(offset).unwrap_or(usize::MAX).min(rows.len());
        let end = start.saturating_add(usize::try_from(limit).unwrap_or(usize::MAX)).min(rows.len());
        let shown = self.rows_by_id(rows[start..end].iter().map(|&row| answers.table.id(row)), &query.columns)?;
        Ok(Page { total: rows.len() as u64, offset, rows: shown })
    }

    /// [`Browser::page`] as one SQL statement (and a count).
    fn page_by_sql(&self, query: &Query, offset: u64, limit: u64) -> Result<Page, EngineError> {
        let mut sql = Params::new();
        let columns = attribute_columns(&mut sql, &query.columns);
        let search = self.asked(&query.search)?.expression;
        let (from, filter) = filter(&mut sql, query, &search);
        let order = order(&mut sql, &query.sort, !search.is_empty());
        let text = format!("SELECT {ROW_COLUMNS}{columns} FROM {from}{filter} ORDER BY {order} LIMIT {limit} OFFSET {offset}");
        let mut statement = self.db.prepare_cached(&text)?;
        let extra = query.columns.len();
        let rows = statement.query_map(params_from_iter(sql.params.iter()), |row| read_row(row, extra))?.collect::<Result<Vec<_>, _>>()?;
        Ok(Page { total: self.count_by_sql(query)?, offset, rows })
    }

    /// How many rows match `query`.
    pub fn count(&self, query: &Query) -> Result<u64, EngineError> {
        let _asking = self.asking();
        match self.answers() {
            Some(answers) if !Self::search_alone(query) => Ok(self.kept(&answers, &Query { sort: Sort::default(), ..query.rows_kept() })?.len() as u64),
            _ => self.count_by_sql(query),
        }
    }

    /// Whether `query` keeps rows by a search and nothing else, in id order: what the full-text
    /// index answers faster than the table.
    fn search_alone(query: &Query) -> bool {
        query.sort == Sort::default() && query.rows_kept() == Query { search: query.search.clone(), ..Query::default() } && !fts_query(&query.search).is_empty()
    }

    fn count_by_sql(&self, query: &Query) -> Result<u64, EngineError> {
        let mut sql = Params::new();
        let only = query.rows_kept();
        let asked = self.asked(&query.search)?;
        let text = if Self::search_alone(&only) {
            if let Some(matches) = asked.matches {
                // One indexed word answers it: the list of words has its count.
                return Ok(matches);
            }
            // Search alone: the full-text index counts its matches itself, without visiting rows.
            let search = sql.bind(SqlValue::Text(asked.expression));
            format!("SELECT count(*) FROM search WHERE search MATCH {search}")
        } else if only == (Query { tag_types: query.tag_types.clone(), ..Query::default() }) && !query.tag_types.is_empty() {
            format!("SELECT count(DISTINCT instrument_id) FROM instrument_tags WHERE tag_type IN ({})", sql.list(&query.tag_types))
        } else {
            let (from, filter) = filter(&mut sql, query, &asked.expression);
            format!("SELECT count(*) FROM {from}{filter}")
        };
        let count: i64 = self.db.prepare_cached(&text)?.query_row(params_from_iter(sql.params.iter()), |r| r.get(0))?;
        Ok(count as u64)
    }

    /// Values for the filters, with counts.
    pub fn facets(&self) -> Result<Facets, EngineError> {
        let _asking = self.asking();
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
        let _asking = self.asking();
        let Some(answers) = self.answers() else { return self.groups_by_sql(query, by, limit) };
        let rows = self.kept(&answers, &Query { sort: Sort::default(), ..query.rows_kept() })?;
        match by {
            GroupBy::Source => Ok(answers.groups_by_source(&rows, limit)),
            GroupBy::Attribute { name } => answers.groups_by_attribute(&rows, name, limit),
        }
    }

    fn groups_by_sql(&self, query: &Query, by: &GroupBy, limit: u64) -> Result<Groups, EngineError> {
        let mut sql = Params::new();
        let only = query.rows_kept();
        let search = self.asked(&query.search)?.expression;
        let grouped = match by {
            GroupBy::Attribute { name } if only == Query::default() => {
                // Nothing filtered: the attribute index answers alone, without visiting a row.
                let name = sql.bind(SqlValue::Text(name.clone()));
                format!("SELECT value, count(DISTINCT instrument_id) AS n FROM attributes WHERE name = {name} GROUP BY value")
            }
            GroupBy::Source => {
                let (from, filter) = filter(&mut sql, query, &search);
                format!("SELECT i.source_name AS value, count(*) AS n FROM {from}{filter} GROUP BY i.source_name")
            }
            GroupBy::Attribute { name } => {
                let join = sql.bind(SqlValue::Text(name.clone()));
                let (from, filter) = filter(&mut sql, query, &search);
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
        let _asking = self.asking();
        match self.answers() {
            Some(answers) => Ok(answers.sources_named(text, limit)),
            None => self.sources_named_by_sql(text, limit),
        }
    }

    fn sources_named_by_sql(&self, text: &str, limit: u64) -> Result<Groups, EngineError> {
        let pattern = format!("%{}%", text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        let sql = format!(
            "SELECT value, n, count(*) OVER () FROM \
             (SELECT source_name AS value, count(*) AS n FROM instruments WHERE source_name LIKE ?1 ESCAPE '\\' GROUP BY source_name) \
             ORDER BY value = ?2 DESC, n DESC, value LIMIT {limit}"
        );
        let mut statement = self.db.prepare_cached(&sql)?;
        collect_groups(statement.query_map([pattern.as_str(), text], group_row)?)
    }

    /// Full-text search ranked by relevance, best first, with each hit's PDF as recorded (what
    /// the CLI's `search` prints). The table's search is [`Browser::page`] with `query.search`.
    pub fn search(&self, text: &str, limit: u64) -> Result<Vec<SearchHit>, EngineError> {
        let query = self.asked(text)?.expression;
        if query.is_empty() {
            return Ok(Vec::new());
        }
        let mut statement = self.db.prepare_cached(
            "SELECT i.id, i.type_name, i.source_name, i.start_page, i.end_page, i.pdf_path
             FROM search JOIN instruments i ON i.id = search.rowid
             WHERE search MATCH ?1 ORDER BY rank LIMIT ?2",
        )?;
        let hits = statement.query_map(rusqlite::params![query, limit as i64], |row| {
            Ok(SearchHit {
                id: row.get::<_, i64>(0)? as u64,
                type_name: row.get(1)?,
                source_name: row.get(2)?,
                start_page: row.get::<_, Option<i64>>(3)?.map(|v| v as u64),
                end_page: row.get::<_, Option<i64>>(4)?.map(|v| v as u64),
                pdf_path: row.get(5)?,
            })
        })?;
        Ok(hits.collect::<Result<Vec<_>, _>>()?)
    }

    pub fn details(&self, id: u64) -> Result<Details, EngineError> {
        let json = if self.raw_in_table { "i.raw, 0" } else { "i.json_offset, i.json_length" };
        let text = format!("SELECT {ROW_COLUMNS}, i.pdf_path, {json} FROM instruments i WHERE i.id = ?1");
        let found = self.db.prepare_cached(&text)?.query_row([id as i64], |r| {
            let (pdf, json) = (ROW_COLUMN_COUNT, ROW_COLUMN_COUNT + 1);
            let at = if self.raw_in_table {
                JsonAt::Table(r.get(json)?)
            } else {
                JsonAt::File { offset: r.get::<_, i64>(json)? as u64, length: r.get::<_, i64>(json + 1)? as u64 }
            };
            Ok((read_row(r, 0)?, r.get::<_, Option<String>>(pdf)?, at))
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
        Ok(Details { row, raw, pdf: pdf.map(|p| names::find_on_disk(&self.dir, &p).display().to_string()), problems, changes: Vec::new() })
    }

    /// The export's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub(crate) fn db(&self) -> &Connection {
        &self.db
    }

    /// Instrument `id`'s JSON as AnnoLab sent it, wherever this index keeps it.
    pub(crate) fn instrument_json(&self, id: u64) -> Result<String, EngineError> {
        let json = if self.raw_in_table { "raw, 0" } else { "json_offset, json_length" };
        let found = self.db.prepare_cached(&format!("SELECT {json} FROM instruments WHERE id = ?1"))?.query_row([id as i64], |r| {
            Ok(if self.raw_in_table {
                JsonAt::Table(r.get(0)?)
            } else {
                JsonAt::File { offset: r.get::<_, i64>(0)? as u64, length: r.get::<_, i64>(1)? as u64 }
            })
        });
        match found {
            Ok(JsonAt::Table(raw)) => Ok(raw),
            Ok(JsonAt::File { offset, length }) => self.json_line(id, offset, length),
            Err(rusqlite::Error::QueryReturnedNoRows) => Err(EngineError::InstrumentNotFound { id }),
            Err(other) => Err(other.into()),
        }
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
}

/// Where an instrument's raw JSON is: in the index (older indexes) or in instruments.json.
enum JsonAt {
    Table(String),
    File { offset: u64, length: u64 },
}
