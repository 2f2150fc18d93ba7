//! The SQL the browser asks: filters, sorts and attribute columns built from a [`Query`], with
//! every value bound as a parameter (never spliced into the text), and rows read back.

use super::{AttributeValue, ChangeKind, Count, Groups, Query, Row, Sort, SortBy};
use crate::diff::Field;
use crate::error::EngineError;

pub(crate) const ROW_COLUMNS: &str = "i.id, i.type_name, i.source_name, i.start_page, i.end_page, i.pdf_pages, i.tag_types, i.reviewed_by, i.reviewed_at, i.pdf_path IS NOT NULL, i.problems, \
     (SELECT c.kind FROM temp.changes c WHERE c.id = i.id), (SELECT c.fields FROM temp.changes c WHERE c.id = i.id)";

/// How many columns [`ROW_COLUMNS`] has; a query's extra columns follow.
pub(super) const ROW_COLUMN_COUNT: usize = 13;

/// The parameters of one SQL statement, numbered in the order they are bound.
pub(super) struct Params {
    pub(super) params: Vec<SqlValue>,
}

pub(super) type SqlValue = rusqlite::types::Value;

impl Params {
    pub(super) fn new() -> Self {
        Params { params: Vec::new() }
    }

    /// Adds a parameter and returns its placeholder.
    pub(super) fn bind(&mut self, value: SqlValue) -> String {
        self.params.push(value);
        format!("?{}", self.params.len())
    }

    pub(super) fn list(&mut self, values: &[String]) -> String {
        values.iter().map(|v| self.bind(SqlValue::Text(v.clone()))).collect::<Vec<_>>().join(", ")
    }
}

pub(super) fn attribute_columns(sql: &mut Params, names: &[String]) -> String {
    names
        .iter()
        .map(|name| {
            let name = sql.bind(SqlValue::Text(name.clone()));
            format!(", {}", attribute_text(&name))
        })
        .collect()
}

/// An attribute column's text for the row `i`: its distinct values in ascending order, joined
/// with "; " (an airframe's and an engine's Make), NULL when it has none. The in-memory table
/// sorts by the same text (`table::Attribute::order`).
fn attribute_text(name: &str) -> String {
    format!("(SELECT group_concat(v, '; ' ORDER BY v) FROM (SELECT DISTINCT a.value AS v FROM attributes a WHERE a.instrument_id = i.id AND a.name = {name}))")
}

/// The rows a query keeps: its FROM (the instruments, joined to the full-text index when it
/// searches, so the search drives) and its WHERE. `search` is the query's search as the
/// full-text index is asked it ([`super::Browser::asked`]), empty for none.
pub(super) fn filter(sql: &mut Params, query: &Query, search: &str) -> (&'static str, String) {
    let mut clauses: Vec<String> = Vec::new();
    let from = if search.is_empty() {
        "instruments i"
    } else {
        let search = sql.bind(SqlValue::Text(search.to_owned()));
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
    if let Some(changes) = &query.changes {
        let kinds: Vec<String> = changes.kinds.iter().map(|k| k.as_str().to_owned()).collect();
        clauses.push(if kinds.is_empty() {
            "i.id IN (SELECT id FROM temp.changes)".to_owned()
        } else {
            format!("i.id IN (SELECT id FROM temp.changes WHERE kind IN ({}))", sql.list(&kinds))
        });
    }
    let filter = if clauses.is_empty() { String::new() } else { format!(" WHERE {}", clauses.join(" AND ")) };
    (from, filter)
}

/// ORDER BY for `sort`. When the query searches, id order is the full-text index's own rowid
/// order, so the first page comes without sorting every match.
pub(super) fn order(sql: &mut Params, sort: &Sort, searching: bool) -> String {
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
            attribute_text(&name)
        }
    };
    let direction = if sort.descending { "DESC" } else { "ASC" };
    if matches!(sort.by, SortBy::Id) {
        return format!("{column} {direction}");
    }
    // Ties (and NULLs, which SQLite sorts first) fall back to the id, so paging is stable.
    format!("{column} {direction}, i.id {direction}")
}

pub(crate) fn read_row(row: &rusqlite::Row<'_>, extra: usize) -> rusqlite::Result<Row> {
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
        change: row.get::<_, Option<String>>(11)?.as_deref().and_then(ChangeKind::parse),
        changed_fields: row.get::<_, Option<String>>(12)?.map_or_else(Vec::new, |text| text.split(',').filter_map(Field::parse).collect()),
        columns: (0..extra).map(|k| row.get(ROW_COLUMN_COUNT + k)).collect::<rusqlite::Result<_>>()?,
    })
}

/// One row of a grouping query: (value, count, number of groups in all).
pub(super) fn group_row(r: &rusqlite::Row) -> rusqlite::Result<(Count, u64)> {
    Ok((Count { value: r.get(0)?, count: r.get::<_, i64>(1)? as u64 }, r.get::<_, i64>(2)? as u64))
}

/// Groups from rows of (group, number of groups in all).
pub(super) fn collect_groups(rows: impl Iterator<Item = rusqlite::Result<(Count, u64)>>) -> Result<Groups, EngineError> {
    let mut groups = Groups { groups: Vec::new(), total: 0 };
    for row in rows {
        let (count, all) = row?;
        groups.total = all;
        groups.groups.push(count);
    }
    Ok(groups)
}
