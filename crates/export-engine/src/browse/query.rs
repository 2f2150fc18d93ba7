//! What a front end asks the browser and what it gets back: the types the UI receives too
//! (their TypeScript is generated).

use serde::{Deserialize, Serialize};

use crate::diff::{Field, FieldChange};

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
    /// Keep only what changed since an older export of the project (the browser must have been
    /// given the differences first, [`super::Browser::mark_changes`]).
    pub changes: Option<ChangesFilter>,
}

/// "Changes since": the instruments new, changed or gone since the export `since`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangesFilter {
    /// The older export's folder, as the library lists it.
    pub since: String,
    /// Which kinds to keep (any of); empty keeps every kind.
    pub kinds: Vec<ChangeKind>,
}

/// How an instrument differs from the older export it is compared with.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ChangeKind {
    /// Not in the older export.
    New,
    /// In both, and not the same.
    Changed,
    /// In the older export only (its row is the older export's).
    Gone,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::New => "new",
            ChangeKind::Changed => "changed",
            ChangeKind::Gone => "gone",
        }
    }

    pub(super) fn parse(text: &str) -> Option<Self> {
        [ChangeKind::New, ChangeKind::Changed, ChangeKind::Gone].into_iter().find(|k| k.as_str() == text)
    }
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
    /// How it differs from the export it is being compared with, if it is being compared.
    pub change: Option<ChangeKind>,
    /// The fields that changed (a changed instrument's), in [`Field`] order.
    pub changed_fields: Vec<Field>,
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
    pub(super) fn rows_kept(&self) -> Query {
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
    /// A changed instrument's fields before and after, when it is being compared with an older
    /// export (filled in by whoever holds the comparison).
    pub changes: Vec<ChangedField>,
}

/// One changed field of an instrument, before and after, as text (see [`Field::text`]).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangedField {
    pub field: Field,
    pub before: String,
    pub after: String,
}

impl From<&FieldChange> for ChangedField {
    fn from(change: &FieldChange) -> Self {
        ChangedField { field: change.field, before: change.field.text(&change.before), after: change.field.text(&change.after) }
    }
}

/// How many sources [`Facets`] lists, largest first.
pub const FACET_SOURCES: u64 = 200;

/// One instrument found by [`super::Browser::search`], best matches first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    pub id: u64,
    pub type_name: Option<String>,
    pub source_name: Option<String>,
    pub start_page: Option<u64>,
    pub end_page: Option<u64>,
    pub pdf_path: Option<String>,
}
