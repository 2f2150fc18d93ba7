//! The browser's table in memory: every row's filterable and sortable values as small integer
//! codes, so that a filter, a count, a sort or a grouping over a million instruments is a pass
//! over a few arrays (milliseconds) instead of an SQL statement that visits every row (hundreds
//! of milliseconds to seconds at that size).
//!
//! A code is a value's place among the column's distinct values in the order SQLite's BINARY
//! collation sorts them (byte order, NULL first), so sorting rows by a column is a counting
//! sort of its codes, and ties come out in id order exactly as `ORDER BY column, id` would give
//! them. Only what a row *shows* is still read from SQL, for the page on screen.
//!
//! The table is loaded on a thread of its own when a browser opens ([`Loader`]); until it is
//! there, the browser answers with SQL (the same answers, which the tests check).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;

use rusqlite::{Connection, OpenFlags};

use super::query::{ChangeKind, Count, Groups, Query, SortBy};
use crate::error::EngineError;

/// A text column: each row's value as a code into the column's distinct values.
pub(super) struct Column {
    /// 0 for NULL, else `values[code - 1]`.
    codes: Vec<u32>,
    /// Sorted, distinct.
    values: Vec<String>,
}

impl Column {
    fn code_of(&self, value: &str) -> Option<u32> {
        self.values.binary_search_by(|v| v.as_str().cmp(value)).ok().map(|at| at as u32 + 1)
    }

    fn value(&self, code: u32) -> Option<&str> {
        code.checked_sub(1).map(|at| self.values[at as usize].as_str())
    }

    /// Codes `0..distinct()`.
    fn distinct(&self) -> usize {
        self.values.len() + 1
    }

    /// For each code, whether its value is one of `wanted`.
    fn any_of(&self, wanted: &[String]) -> Vec<bool> {
        let mut keep = vec![false; self.distinct()];
        for code in wanted.iter().filter_map(|w| self.code_of(w)) {
            keep[code as usize] = true;
        }
        keep
    }

    /// For each code, `test` of its value (None for NULL).
    fn each_value(&self, test: impl Fn(Option<&str>) -> bool) -> Vec<bool> {
        (0..self.distinct() as u32).map(|code| test(self.value(code))).collect()
    }
}

/// Builds a [`Column`] row by row: codes are handed out as values first appear, then renumbered
/// in sorted order.
#[derive(Default)]
struct ColumnBuilder {
    codes: Vec<u32>,
    seen: HashMap<String, u32>,
}

impl ColumnBuilder {
    fn push(&mut self, value: Option<&str>) {
        let code = match value {
            None => 0,
            Some(value) => match self.seen.get(value) {
                Some(&code) => code,
                None => {
                    let code = self.seen.len() as u32 + 1;
                    self.seen.insert(value.to_owned(), code);
                    code
                }
            },
        };
        self.codes.push(code);
    }

    fn finish(self) -> Column {
        let mut values: Vec<(String, u32)> = self.seen.into_iter().collect();
        values.sort_unstable();
        let mut renumber = vec![0u32; values.len() + 1];
        for (at, (_, first)) in values.iter().enumerate() {
            renumber[*first as usize] = at as u32 + 1;
        }
        let codes = self.codes.into_iter().map(|c| renumber[c as usize]).collect();
        Column { codes, values: values.into_iter().map(|(v, _)| v).collect() }
    }
}

/// One tag attribute's values, each instrument's in ascending order (a row can have several:
/// an airframe's and an engine's Make).
pub(super) struct Attribute {
    /// Sorted, distinct; a NULL value (an attribute without one) is first.
    values: Vec<Option<String>>,
    /// Row `r`'s codes (indexes into `values`) are `codes[offsets[r]..offsets[r + 1]]`.
    offsets: Vec<u32>,
    codes: Vec<u32>,
    /// Rows in the order of the attribute's column text, made when first sorted by.
    order: OnceLock<Arc<Vec<u32>>>,
}

impl Attribute {
    fn of_row(&self, row: usize) -> &[u32] {
        &self.codes[self.offsets[row] as usize..self.offsets[row + 1] as usize]
    }

    fn code_of(&self, value: Option<&str>) -> Option<u32> {
        self.values.binary_search_by(|v| v.as_deref().cmp(&value)).ok().map(|at| at as u32)
    }

    /// Rows ascending by the column's text: the row's non-NULL values joined with "; " (what
    /// the table shows), rows without one first, ties by id.
    fn order(&self) -> &Arc<Vec<u32>> {
        self.order.get_or_init(|| {
            let rows = self.offsets.len() - 1;
            // Most rows have one value, whose rank is its code's; the few with several are
            // ranked among the single values by their joined text.
            let joined: Vec<Option<String>> = (0..rows)
                .map(|row| {
                    let texts: Vec<&str> = self.of_row(row).iter().filter_map(|&c| self.values[c as usize].as_deref()).collect();
                    (texts.len() > 1).then(|| texts.join("; "))
                })
                .collect();
            let mut several: Vec<&str> = joined.iter().flatten().map(String::as_str).collect();
            several.sort_unstable();
            several.dedup();
            // Merge the single values (sorted) with the joined texts (sorted) into one ranking.
            let singles: Vec<(usize, &str)> = self.values.iter().enumerate().filter_map(|(code, v)| Some((code, v.as_deref()?))).collect();
            let (mut single_rank, mut several_rank) = (vec![0u32; self.values.len()], vec![0u32; several.len()]);
            let (mut i, mut j, mut rank) = (0, 0, 0u32);
            let mut last: Option<&str> = None;
            while i < singles.len() || j < several.len() {
                let take_single = j >= several.len() || (i < singles.len() && singles[i].1 <= several[j]);
                let text = if take_single { singles[i].1 } else { several[j] };
                if last != Some(text) {
                    rank += 1;
                    last = Some(text);
                }
                if take_single {
                    single_rank[singles[i].0] = rank;
                    i += 1;
                } else {
                    several_rank[j] = rank;
                    j += 1;
                }
            }
            let ranks: Vec<u32> = (0..rows)
                .map(|row| match &joined[row] {
                    Some(text) => several_rank[several.binary_search(&text.as_str()).unwrap_or_default()],
                    None => self.of_row(row).iter().find(|&&c| self.values[c as usize].is_some()).map_or(0, |&c| single_rank[c as usize]),
                })
                .collect();
            Arc::new(counting_order(&ranks, rank as usize + 1))
        })
    }
}

/// Every row of the export, in id order.
pub(super) struct Table {
    ids: Vec<i64>,
    types: Column,
    sources: Column,
    /// The tag types text (one per line), as the row shows and sorts it.
    tag_types: Column,
    reviewed_by: Column,
    /// Ranks only: the values themselves are never filtered on.
    reviewed_at: Ranks,
    problems: Column,
    has_pdf: Vec<bool>,
    start_page: Ranks,
    /// Rows in each column's ascending order, made when first sorted by.
    orders: Mutex<HashMap<&'static str, Arc<Vec<u32>>>>,
    /// How many rows have each source (for the source field's suggestions).
    source_counts: Vec<u64>,
}

/// Each row's rank among a column's distinct values (0 for NULL), and how many ranks there are.
pub(super) struct Ranks {
    ranks: Vec<u32>,
    distinct: usize,
}

impl Ranks {
    fn of<T: Ord + Copy>(values: &[Option<T>]) -> Ranks {
        let mut distinct: Vec<T> = values.iter().flatten().copied().collect();
        distinct.sort_unstable();
        distinct.dedup();
        let ranks = values.iter().map(|v| v.map_or(0, |v| distinct.binary_search(&v).map_or(0, |at| at as u32 + 1))).collect();
        Ranks { ranks, distinct: distinct.len() + 1 }
    }
}

/// Rows ordered by `keys` ascending, ties in row (id) order: a counting sort.
fn counting_order(keys: &[u32], distinct: usize) -> Vec<u32> {
    let mut starts = vec![0u32; distinct + 1];
    for &k in keys {
        starts[k as usize + 1] += 1;
    }
    for at in 1..starts.len() {
        starts[at] += starts[at - 1];
    }
    let mut order = vec![0u32; keys.len()];
    for (row, &k) in keys.iter().enumerate() {
        order[starts[k as usize] as usize] = row as u32;
        starts[k as usize] += 1;
    }
    order
}

impl Table {
    /// Reads every row's values from the index (about half a second for a million rows).
    fn load(db: &Connection, pace: &Pace) -> Result<Option<Table>, EngineError> {
        let mut statement = db.prepare(
            "SELECT id, type_name, source_name, tag_types, reviewed_by, reviewed_at, problems, start_page, pdf_path IS NOT NULL FROM instruments ORDER BY id",
        )?;
        let mut rows = statement.query([])?;
        let (mut ids, mut has_pdf, mut start_page) = (Vec::new(), Vec::new(), Vec::new());
        let (mut types, mut sources, mut tag_types, mut reviewed_by, mut reviewed_at, mut problems) = Default::default();
        let text = |row: &rusqlite::Row, at: usize| -> rusqlite::Result<Option<String>> {
            // A value stored as a number or a blob (a hand-edited index) is shown as text.
            Ok(match row.get_ref(at)? {
                rusqlite::types::ValueRef::Null => None,
                rusqlite::types::ValueRef::Text(t) | rusqlite::types::ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
                rusqlite::types::ValueRef::Integer(i) => Some(i.to_string()),
                rusqlite::types::ValueRef::Real(r) => Some(r.to_string()),
            })
        };
        while let Some(row) = rows.next()? {
            if ids.len().is_multiple_of(ROWS_BETWEEN_LOOKS) && !pace.go_on() {
                return Ok(None);
            }
            ids.push(row.get::<_, i64>(0)?);
            let push = |builder: &mut ColumnBuilder, at: usize| -> rusqlite::Result<()> {
                match row.get_ref(at)? {
                    rusqlite::types::ValueRef::Text(t) if std::str::from_utf8(t).is_ok() => builder.push(std::str::from_utf8(t).ok()),
                    _ => builder.push(text(row, at)?.as_deref()),
                }
                Ok(())
            };
            push(&mut types, 1)?;
            push(&mut sources, 2)?;
            push(&mut tag_types, 3)?;
            push(&mut reviewed_by, 4)?;
            push(&mut reviewed_at, 5)?;
            push(&mut problems, 6)?;
            start_page.push(row.get::<_, Option<i64>>(7).unwrap_or(None));
            has_pdf.push(row.get::<_, bool>(8)?);
        }
        let reviewed_at: Column = ColumnBuilder::finish(reviewed_at);
        let sources: Column = ColumnBuilder::finish(sources);
        let mut source_counts = vec![0u64; sources.distinct()];
        for &code in &sources.codes {
            source_counts[code as usize] += 1;
        }
        Ok(Some(Table {
            ids,
            types: ColumnBuilder::finish(types),
            sources,
            tag_types: ColumnBuilder::finish(tag_types),
            reviewed_by: ColumnBuilder::finish(reviewed_by),
            reviewed_at: Ranks { distinct: reviewed_at.distinct(), ranks: reviewed_at.codes },
            problems: ColumnBuilder::finish(problems),
            has_pdf,
            start_page: Ranks::of(&start_page),
            orders: Mutex::default(),
            source_counts,
        }))
    }

    pub(super) fn len(&self) -> usize {
        self.ids.len()
    }

    pub(super) fn id(&self, row: u32) -> i64 {
        self.ids[row as usize]
    }

    /// The row of instrument `id`, if the export has it.
    fn row_of(&self, id: i64) -> Option<u32> {
        self.ids.binary_search(&id).ok().map(|at| at as u32)
    }

    /// Rows in `by`'s ascending order (None: id order), `attribute` being the column's values
    /// when `by` is an attribute.
    fn order(&self, by: &SortBy, attribute: Option<&Attribute>) -> Option<Arc<Vec<u32>>> {
        let (name, keys, distinct): (&'static str, &[u32], usize) = match by {
            SortBy::Id => return None,
            SortBy::Attribute { .. } => return attribute.map(|a| Arc::clone(a.order())),
            SortBy::Type => ("type", &self.types.codes, self.types.distinct()),
            SortBy::Source => ("source", &self.sources.codes, self.sources.distinct()),
            SortBy::TagTypes => ("tag_types", &self.tag_types.codes, self.tag_types.distinct()),
            SortBy::ReviewedBy => ("reviewed_by", &self.reviewed_by.codes, self.reviewed_by.distinct()),
            SortBy::ReviewedAt => ("reviewed_at", &self.reviewed_at.ranks, self.reviewed_at.distinct),
            SortBy::Problems => ("problems", &self.problems.codes, self.problems.distinct()),
            SortBy::Pages => ("pages", &self.start_page.ranks, self.start_page.distinct),
            SortBy::HasPdf => {
                let mut orders = self.orders.lock().unwrap_or_else(|p| p.into_inner());
                let make = || Arc::new(counting_order(&self.has_pdf.iter().map(|&has| u32::from(has)).collect::<Vec<_>>(), 2));
                return Some(Arc::clone(orders.entry("has_pdf").or_insert_with(make)));
            }
        };
        let mut orders = self.orders.lock().unwrap_or_else(|p| p.into_inner());
        Some(Arc::clone(orders.entry(name).or_insert_with(|| Arc::new(counting_order(keys, distinct)))))
    }
}

/// Which rows a query keeps, as tests on codes that take a few nanoseconds a row.
pub(super) struct Filter<'a> {
    table: &'a Table,
    types: Option<Vec<bool>>,
    sources: Option<Vec<bool>>,
    tag_types: Option<Vec<bool>>,
    reviewed: Option<bool>,
    has_pdf: Option<bool>,
    problems: Option<Vec<bool>>,
    /// Rows the search, the chosen attribute value and the changes keep (a row must be in each).
    sets: Vec<Arc<Vec<bool>>>,
}

impl<'a> Filter<'a> {
    /// `sets` are the row sets found elsewhere (search matches, an attribute value's rows,
    /// changed rows); a row must be in all of them.
    pub(super) fn new(table: &'a Table, query: &Query, sets: Vec<Arc<Vec<bool>>>) -> Self {
        let not_empty = |list: &[String]| !list.is_empty();
        Filter {
            table,
            types: not_empty(&query.types).then(|| table.types.any_of(&query.types)),
            sources: not_empty(&query.sources).then(|| table.sources.any_of(&query.sources)),
            tag_types: not_empty(&query.tag_types)
                .then(|| table.tag_types.each_value(|text| text.is_some_and(|t| t.split('\n').any(|tag| query.tag_types.iter().any(|w| w == tag))))),
            reviewed: query.reviewed,
            has_pdf: query.has_pdf,
            // SQL's `problems != ''` keeps a NULL (a hand-edited index) for neither answer.
            problems: query.has_problems.map(|wanted| table.problems.each_value(|text| text.is_some_and(|t| t.is_empty() != wanted))),
            sets,
        }
    }

    fn keeps(&self, row: usize) -> bool {
        let t = self.table;
        let code_in = |keep: &Option<Vec<bool>>, codes: &[u32]| keep.as_ref().is_none_or(|keep| keep[codes[row] as usize]);
        code_in(&self.types, &t.types.codes)
            && code_in(&self.sources, &t.sources.codes)
            && code_in(&self.tag_types, &t.tag_types.codes)
            && code_in(&self.problems, &t.problems.codes)
            && self.reviewed.is_none_or(|wanted| (t.reviewed_by.codes[row] != 0) == wanted)
            && self.has_pdf.is_none_or(|wanted| t.has_pdf[row] == wanted)
            && self.sets.iter().all(|set| set[row])
    }

    /// The rows kept, in `order` (None: id order), reversed when `descending`.
    pub(super) fn rows(&self, order: Option<&[u32]>, descending: bool) -> Vec<u32> {
        let mut kept = Vec::new();
        let mut visit = |row: u32| {
            if self.keeps(row as usize) {
                kept.push(row);
            }
        };
        let rows = self.table.len() as u32;
        match (order, descending) {
            (None, false) => (0..rows).for_each(&mut visit),
            (None, true) => (0..rows).rev().for_each(&mut visit),
            (Some(order), false) => order.iter().copied().for_each(&mut visit),
            (Some(order), true) => order.iter().rev().copied().for_each(&mut visit),
        }
        kept
    }
}

/// The `limit` largest of `counts` (indexed by code), ties by code, and how many are not zero.
fn largest(counts: &[u64], limit: u64, value: impl Fn(u32) -> Option<String>) -> Groups {
    let mut found: Vec<(u64, u32)> = counts.iter().enumerate().filter(|(_, n)| **n > 0).map(|(code, &n)| (n, code as u32)).collect();
    let total = found.len() as u64;
    let by_size = |a: &(u64, u32), b: &(u64, u32)| b.0.cmp(&a.0).then(a.1.cmp(&b.1));
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if found.len() > limit && limit > 0 {
        found.select_nth_unstable_by(limit - 1, by_size);
    }
    found.truncate(limit);
    found.sort_unstable_by(by_size);
    Groups { groups: found.into_iter().map(|(count, code)| Count { value: value(code), count }).collect(), total }
}

/// When the loader may go on. Loading shares the machine's cores with the questions the user is
/// waiting for (on two cores, with the web view drawing, a keystroke's answer took up to twice
/// as long while the attribute columns loaded), so it pauses while one is being answered, and
/// it stops for good when the browser closes.
#[derive(Default)]
pub(super) struct Pace {
    stop: AtomicBool,
    /// Questions being answered now ([`Asking`]).
    asking: AtomicUsize,
}

/// Rows read between two looks at the [`Pace`]: a few milliseconds of loading.
const ROWS_BETWEEN_LOOKS: usize = 4096;

impl Pace {
    /// Whether to go on loading: waits while a question is answered; false once stopped.
    fn go_on(&self) -> bool {
        while self.asking.load(Ordering::Relaxed) > 0 && !self.stop.load(Ordering::Relaxed) {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        !self.stop.load(Ordering::Relaxed)
    }

    /// Marks a question as being answered until the returned guard is dropped.
    pub(super) fn asking(self: &Arc<Self>) -> Asking {
        self.asking.fetch_add(1, Ordering::Relaxed);
        Asking(Arc::clone(self))
    }
}

/// A question being answered: the loader waits until it is dropped.
pub(super) struct Asking(Arc<Pace>);

impl Drop for Asking {
    fn drop(&mut self) {
        self.0.asking.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The table and the attribute columns of one browser, loaded on a thread of their own.
pub(super) struct Loader {
    table: Arc<OnceLock<Table>>,
    attributes: Arc<Mutex<HashMap<String, Arc<Attribute>>>>,
    pace: Arc<Pace>,
    thread: Option<JoinHandle<()>>,
}

impl Loader {
    /// Starts loading the table of the index at `path`, then every attribute column, largest
    /// first. A failure leaves the browser on SQL, which answers the same.
    pub(super) fn start(path: &std::path::Path) -> Loader {
        let (table, attributes, pace) = (Arc::new(OnceLock::new()), Arc::new(Mutex::new(HashMap::new())), Arc::new(Pace::default()));
        let (t, a, s, path) = (Arc::clone(&table), Arc::clone(&attributes), Arc::clone(&pace), path.to_path_buf());
        let thread = std::thread::Builder::new()
            .name("browse-table".into())
            .spawn(move || {
                let loaded = (|| -> Result<(), EngineError> {
                    let db = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
                    let Some(table) = Table::load(&db, &s)? else { return Ok(()) };
                    let table = t.get_or_init(|| table);
                    let names: Vec<String> = db
                        .prepare("SELECT name FROM attributes GROUP BY name ORDER BY count(*) DESC, name")?
                        .query_map([], |r| r.get(0))?
                        .collect::<Result<_, _>>()?;
                    for name in names {
                        if !s.go_on() {
                            return Ok(());
                        }
                        if a.lock().unwrap_or_else(|p| p.into_inner()).contains_key(&name) {
                            continue;
                        }
                        let Some(attribute) = load_attribute(&db, table, &name, &s)? else { return Ok(()) };
                        // What a sort by the column needs, made here rather than on the first click.
                        attribute.order();
                        a.lock().unwrap_or_else(|p| p.into_inner()).entry(name).or_insert_with(|| Arc::new(attribute));
                    }
                    Ok(())
                })();
                if let Err(e) = loaded {
                    tracing::warn!("the browser's table could not be loaded; it answers from SQL: {e}");
                }
            })
            .ok();
        Loader { table, attributes, pace, thread }
    }

    pub(super) fn table(&self) -> Option<&Table> {
        self.table.get()
    }

    /// Pauses the loading until the returned guard is dropped: a question is being answered.
    pub(super) fn asking(&self) -> Asking {
        self.pace.asking()
    }

    /// Registers `browse_mark(id)` on `db`: it marks instrument `id`'s row in the rows the
    /// returned marker holds. Reading a million search matches back one row at a time costs
    /// three times what finding them does; marking them inside the statement does not.
    pub(super) fn marker(&self, db: &Connection) -> Result<Arc<Mutex<Marks>>, EngineError> {
        let marks = Arc::new(Mutex::new(Marks::default()));
        let (table, marking) = (Arc::clone(&self.table), Arc::clone(&marks));
        db.create_scalar_function("browse_mark", 1, rusqlite::functions::FunctionFlags::SQLITE_UTF8, move |context| {
            let id: i64 = context.get(0)?;
            if let Some(table) = table.get() {
                let mut marks = marking.lock().unwrap_or_else(|p| p.into_inner());
                marks.mark(table, id);
            }
            Ok(0)
        })?;
        Ok(marks)
    }

    /// Waits until the table has loaded (or could not be).
    pub(super) fn wait(&mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    /// The column of attribute `name`, loaded now on `db` if the loader has not reached it.
    pub(super) fn attribute(&self, db: &Connection, table: &Table, name: &str) -> Result<Arc<Attribute>, EngineError> {
        if let Some(found) = self.attributes.lock().unwrap_or_else(|p| p.into_inner()).get(name) {
            return Ok(Arc::clone(found));
        }
        // Loaded for the question being answered, so never paused for it.
        let attribute = Arc::new(load_attribute(db, table, name, &Pace::default())?.expect("a fresh pace never stops"));
        Ok(Arc::clone(self.attributes.lock().unwrap_or_else(|p| p.into_inner()).entry(name.to_owned()).or_insert(attribute)))
    }
}

impl Drop for Loader {
    /// A closed browser stops its loader and waits for it, so no file of the export is open
    /// afterwards (Windows cannot delete an open file).
    fn drop(&mut self) {
        self.pace.stop.store(true, Ordering::Relaxed);
        self.wait();
    }
}

/// Reads attribute `name` of every row, from the index on (name, value, instrument_id): the
/// values come sorted, so codes are handed out in order.
fn load_attribute(db: &Connection, table: &Table, name: &str, pace: &Pace) -> Result<Option<Attribute>, EngineError> {
    let mut statement = db.prepare_cached("SELECT value, instrument_id FROM attributes WHERE name = ?1 ORDER BY value, instrument_id")?;
    let mut rows = statement.query([name])?;
    let mut values: Vec<Option<String>> = Vec::new();
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    let mut read = 0usize;
    while let Some(row) = rows.next()? {
        read += 1;
        if read.is_multiple_of(ROWS_BETWEEN_LOOKS) && !pace.go_on() {
            return Ok(None);
        }
        let value = match row.get_ref(0)? {
            rusqlite::types::ValueRef::Null => None,
            rusqlite::types::ValueRef::Text(t) | rusqlite::types::ValueRef::Blob(t) => Some(String::from_utf8_lossy(t)),
            rusqlite::types::ValueRef::Integer(i) => Some(i.to_string().into()),
            rusqlite::types::ValueRef::Real(r) => Some(r.to_string().into()),
        };
        if values.last().is_none_or(|last| last.as_deref() != value.as_deref()) {
            values.push(value.map(|v| v.into_owned()));
        }
        let Some(row) = table.row_of(row.get(1)?) else { continue };
        let code = values.len() as u32 - 1;
        // The same value twice on one instrument (two tags) counts once.
        if pairs.last() != Some(&(row, code)) {
            pairs.push((row, code));
        }
    }
    // SQLite sorts numbers before text, and byte order within text: a column mixing them (a
    // hand-edited index) is put in one order here so codes can be searched.
    if !values.is_sorted() {
        let mut sorted: Vec<(Option<String>, u32)> = values.into_iter().enumerate().map(|(at, v)| (v, at as u32)).collect();
        sorted.sort();
        let mut renumber = vec![0u32; sorted.len()];
        let mut merged: Vec<Option<String>> = Vec::new();
        for (value, old) in sorted {
            if merged.last() != Some(&value) {
                merged.push(value);
            }
            renumber[old as usize] = merged.len() as u32 - 1;
        }
        pairs.iter_mut().for_each(|(_, code)| *code = renumber[*code as usize]);
        pairs.sort_unstable_by_key(|&(row, code)| (code, row));
        pairs.dedup();
        values = merged;
    }
    let mut offsets = vec![0u32; table.len() + 1];
    for &(row, _) in &pairs {
        offsets[row as usize + 1] += 1;
    }
    for at in 1..offsets.len() {
        offsets[at] += offsets[at - 1];
    }
    let mut next = offsets.clone();
    let mut codes = vec![0u32; pairs.len()];
    // Pairs are in value order, so each row's codes come out ascending.
    for (row, code) in pairs {
        codes[next[row as usize] as usize] = code;
        next[row as usize] += 1;
    }
    Ok(Some(Attribute { values, offsets, codes, order: OnceLock::new() }))
}

/// Rows marked by `browse_mark`, found by id.
#[derive(Default)]
pub(super) struct Marks {
    rows: Vec<bool>,
    /// Where the next id is likely to be: the full-text index gives ids in ascending order.
    next: usize,
}

impl Marks {
    fn mark(&mut self, table: &Table, id: i64) {
        if self.rows.len() != table.len() {
            self.rows = vec![false; table.len()];
        }
        let row = if table.ids.get(self.next) == Some(&id) { Some(self.next) } else { table.row_of(id).map(|r| r as usize) };
        if let Some(row) = row {
            self.rows[row] = true;
            self.next = row + 1;
        }
    }

    /// The rows marked since the last call, for a table of `rows` rows.
    pub(super) fn take(&mut self, rows: usize) -> Vec<bool> {
        self.next = 0;
        let marked = std::mem::take(&mut self.rows);
        if marked.len() == rows { marked } else { vec![false; rows] }
    }
}

/// What the browser asks of a loaded table.
pub(super) struct Answers<'a> {
    pub(super) table: &'a Table,
    pub(super) loader: &'a Loader,
    pub(super) db: &'a Connection,
}

impl Answers<'_> {
    /// The rows of search matches: instrument ids from the full-text index, as rows.
    pub(super) fn rows_of_ids(&self, ids: impl Iterator<Item = i64>) -> Vec<bool> {
        let mut rows = vec![false; self.table.len()];
        for id in ids {
            if let Some(row) = self.table.row_of(id) {
                rows[row as usize] = true;
            }
        }
        rows
    }

    /// Rows whose attribute `name` has `value`.
    pub(super) fn rows_with(&self, name: &str, value: Option<&str>) -> Result<Vec<bool>, EngineError> {
        let attribute = self.loader.attribute(self.db, self.table, name)?;
        let mut rows = vec![false; self.table.len()];
        if let Some(code) = attribute.code_of(value) {
            for (row, keep) in rows.iter_mut().enumerate() {
                *keep = attribute.of_row(row).contains(&code);
            }
        }
        Ok(rows)
    }

    /// Rows marked as one of `kinds` (any kind when empty).
    pub(super) fn rows_changed(&self, marks: &HashMap<u64, ChangeKind>, kinds: &[ChangeKind]) -> Vec<bool> {
        self.rows_of_ids(marks.iter().filter(|(_, kind)| kinds.is_empty() || kinds.contains(kind)).map(|(&id, _)| id as i64))
    }

    pub(super) fn order(&self, by: &SortBy) -> Result<Option<Arc<Vec<u32>>>, EngineError> {
        let attribute = match by {
            SortBy::Attribute { name } => Some(self.loader.attribute(self.db, self.table, name)?),
            _ => None,
        };
        Ok(self.table.order(by, attribute.as_deref()))
    }

    /// The largest groups of `rows` by source.
    pub(super) fn groups_by_source(&self, rows: &[u32], limit: u64) -> Groups {
        let mut counts = vec![0u64; self.table.sources.distinct()];
        for &row in rows {
            counts[self.table.sources.codes[row as usize] as usize] += 1;
        }
        largest(&counts, limit, |code| self.table.sources.value(code).map(str::to_owned))
    }

    /// The largest groups of `rows` by attribute `name`'s values (an instrument with several
    /// is in each of their groups).
    pub(super) fn groups_by_attribute(&self, rows: &[u32], name: &str, limit: u64) -> Result<Groups, EngineError> {
        let attribute = self.loader.attribute(self.db, self.table, name)?;
        let mut counts = vec![0u64; attribute.values.len()];
        for &row in rows {
            for &code in attribute.of_row(row as usize) {
                counts[code as usize] += 1;
            }
        }
        Ok(largest(&counts, limit, |code| attribute.values[code as usize].clone()))
    }

    /// Sources whose name contains `text` (ASCII letters in any case, as SQL's LIKE): the one
    /// named exactly `text` first, then largest first.
    pub(super) fn sources_named(&self, text: &str, limit: u64) -> Groups {
        let wanted = text.to_ascii_lowercase();
        let sources = &self.table.sources;
        let mut found: Vec<(bool, u64, u32)> = (1..sources.distinct() as u32)
            .filter_map(|code| {
                let name = sources.value(code)?;
                name.to_ascii_lowercase().contains(&wanted).then(|| (name == text, self.table.source_counts[code as usize], code))
            })
            .collect();
        let total = found.len() as u64;
        found.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
        found.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Groups { groups: found.into_iter().map(|(_, count, code)| Count { value: sources.value(code).map(str::to_owned), count }).collect(), total }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::Ordering;
    use std::sync::mpsc;
    use std::time::Duration;

    use super::Pace;

    #[test]
    fn the_loader_waits_while_a_question_is_answered_and_goes_on_after() {
        let pace = Arc::new(Pace::default());
        let asking = pace.asking();
        let (told, heard) = mpsc::channel();
        let loader = Arc::clone(&pace);
        std::thread::spawn(move || told.send(loader.go_on()).unwrap());
        assert!(heard.recv_timeout(Duration::from_millis(100)).is_err(), "the loader went on during a question");
        drop(asking);
        assert_eq!(heard.recv_timeout(Duration::from_secs(10)), Ok(true));
    }

    #[test]
    fn a_closed_browser_stops_a_waiting_loader() {
        let pace = Arc::new(Pace::default());
        let _asking = pace.asking();
        let (told, heard) = mpsc::channel();
        let loader = Arc::clone(&pace);
        std::thread::spawn(move || told.send(loader.go_on()).unwrap());
        pace.stop.store(true, Ordering::Relaxed);
        assert_eq!(heard.recv_timeout(Duration::from_secs(10)), Ok(false));
    }
}
