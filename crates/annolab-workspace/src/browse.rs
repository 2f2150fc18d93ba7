//! The instrument browser's backend: one open index per export the UI is looking at, and the
//! questions the table, the details pane and the toolbar ask of it. Only exports inside the
//! library are opened, and only files inside an export are revealed or opened.
//!
//! "Changes since": a query with [`Query::changes`] compares the export with an older export of
//! its project. The comparison is made once per (export, older export) with the engine's diff,
//! which streams both indexes. New and changed instruments are marked in the export's browser,
//! gone ones in a browser of the older export that this comparison owns: a gone instrument's row,
//! details and PDF are the older export's, so drag-out, copy, merge and CSV work on them as on
//! any other. Their CSV is still saved in the browsed export's `saved/` folder.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use export_engine::browse::{AttributeValue, Browser, ChangeKind, ChangedField, ChangesFilter, Details, Facets, GroupBy, Groups, Page, Query};
use export_engine::package::Package;
use export_engine::timeline::{DateField, Timeline};
use export_engine::{Diff, Difference, Library, LibraryEntry};
use serde::Serialize;
use ts_rs::TS;

use crate::error::CommandError;
use crate::error::WorkspaceErrorCode;
use crate::library::LibraryView;

/// What the browser shows about an export when it opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ExportOverview {
    pub dir: String,
    pub owner: String,
    pub project: String,
    /// Whether the export was made with PDFs (if not, the viewer says so).
    pub include_files: bool,
    pub facets: Facets,
    /// The project's exports ready before this one, newest first: what "Changes since" can
    /// compare with (the first is the previous export).
    pub earlier: Vec<EarlierExport>,
}

/// An older export of the same project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct EarlierExport {
    pub dir: String,
    /// When it was ready (UTC, RFC 3339).
    pub ready_at: Option<String>,
    pub instruments: u64,
}

/// A file the browser saved into the export's `saved/` folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Saved {
    pub path: String,
    /// Rows written (CSV) or pages (merged PDF).
    pub count: u64,
}

/// What a drag out of the window carries: PDF files of the export, and the picture under the
/// pointer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DragItems {
    pub files: Vec<String>,
    pub icon: String,
}

/// One group's chain of title ([`Browsers::timeline`]) and the fields it can be ordered by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TimelineView {
    /// The group's fields whose values are dates, most dated first.
    pub fields: Vec<DateField>,
    pub timeline: Timeline,
}

/// The exports open in the browser, each index opened once, by the folder the UI names.
#[derive(Default)]
pub struct Browsers {
    open: Mutex<HashMap<String, Open>>,
}

/// An export checked to be in the library, and its open index.
#[derive(Clone)]
struct Open {
    /// The export's folder as `Library::entry` resolved it.
    dir: PathBuf,
    browser: Arc<Mutex<Browser>>,
    /// The comparison "Changes since" last asked for, if any.
    compared: Arc<Mutex<Option<Comparison>>>,
}

/// The export compared with an older export of its project.
struct Comparison {
    /// The older export, as the query named it and as `Library::entry` resolved it.
    since: String,
    since_dir: PathBuf,
    /// The older export's index, its gone instruments marked.
    older: Arc<Mutex<Browser>>,
    /// The ids of the instruments gone since the older export.
    gone: HashSet<u64>,
    diff: Diff,
}

impl Browsers {
    pub fn overview(&self, library: &Library, dir: &str) -> Result<ExportOverview, CommandError> {
        let entry = library.entry(Path::new(dir))?;
        let browser = self.get(library, dir)?;
        let facets = lock(&browser).facets()?;
        let earlier = earlier_exports(library, &entry)
            .into_iter()
            .map(|e| EarlierExport { dir: e.dir.display().to_string(), ready_at: e.manifest.times.ready, instruments: e.manifest.counts.instruments })
            .collect();
        let request = entry.manifest.request;
        Ok(ExportOverview {
            dir: entry.dir.display().to_string(),
            owner: request.owner,
            project: request.project,
            include_files: request.include_files,
            facets,
            earlier,
        })
    }

    pub fn page(&self, library: &Library, dir: &str, query: &Query, offset: u64, limit: u64) -> Result<Page, CommandError> {
        let browser = self.for_query(library, dir, query)?;
        // A window of the table, not the table: the UI asks for what it shows.
        Ok(lock(&browser).page(query, offset, limit.min(1000))?)
    }

    pub fn groups(&self, library: &Library, dir: &str, query: &Query, by: &GroupBy, limit: u64) -> Result<Groups, CommandError> {
        let browser = self.for_query(library, dir, query)?;
        Ok(lock(&browser).groups(query, by, limit.min(10_000))?)
    }

    pub fn sources(&self, library: &Library, dir: &str, containing: &str, limit: u64) -> Result<Groups, CommandError> {
        let browser = self.get(library, dir)?;
        Ok(lock(&browser).sources_named(containing, limit.min(1000))?)
    }

    /// Everything about instrument `id`. A gone one's (see [`Query::changes`]) is the older
    /// export's; a changed one's lists its fields before and after.
    pub fn details(&self, library: &Library, dir: &str, id: u64) -> Result<Details, CommandError> {
        let open = self.open(library, dir)?;
        let browser = Self::holder(&open, &[id]);
        let mut details = lock(&browser).details(id)?;
        if details.row.change == Some(ChangeKind::Changed)
            && let Some(comparison) = lock(&open.compared).as_ref()
            && let Some(Difference::Changed(changed)) = comparison.diff.instrument(id)?
        {
            details.changes = changed.fields.iter().map(ChangedField::from).collect();
        }
        Ok(details)
    }

    pub fn save_csv(&self, library: &Library, dir: &str, query: &Query) -> Result<Saved, CommandError> {
        let browser = self.get(library, dir)?;
        let rows_from = self.for_query(library, dir, query)?;
        // Saved in the browsed export's folder even when the rows are the older export's.
        let path = lock(&browser).saved_path("instruments", "csv")?;
        let rows = lock(&rows_from).write_csv(query, &path)?;
        Ok(Saved { path: path.display().to_string(), count: rows })
    }

    pub fn save_merged(&self, library: &Library, dir: &str, ids: &[u64]) -> Result<Saved, CommandError> {
        let open = self.open(library, dir)?;
        let (pdfs, saved) = (Self::holder(&open, ids), Arc::clone(&open.browser));
        let path = lock(&saved).saved_path(&format!("merged-{}-instruments", ids.len()), "pdf")?;
        let pages = lock(&pdfs).merge_pdfs(ids, &path)?;
        Ok(Saved { path: path.display().to_string(), count: u64::from(pages) })
    }

    /// The instruments of `group` (an attribute and a value, as the groups list names it)
    /// ordered by `order_by`, or by the group's default date field when the user has not chosen.
    pub fn timeline(&self, library: &Library, dir: &str, group: &AttributeValue, order_by: Option<&str>) -> Result<TimelineView, CommandError> {
        let browser = self.get(library, dir)?;
        let browser = lock(&browser);
        let fields = browser.date_fields(group)?;
        let order_by = order_by.or_else(|| export_engine::timeline::default_order(&fields));
        let timeline = browser.timeline(group, order_by)?;
        Ok(TimelineView { fields, timeline })
    }

    /// The title package of `group` in the order of its timeline by `order_by` (as
    /// [`Browsers::timeline`] shows it), saved in the export's `saved/` folder.
    pub fn save_package(&self, library: &Library, dir: &str, group: &AttributeValue, order_by: Option<&str>) -> Result<Package, CommandError> {
        let browser = self.get(library, dir)?;
        let browser = lock(&browser);
        let timeline = browser.timeline_by(group, order_by)?;
        Ok(browser.save_package(&timeline)?)
    }

    /// The absolute paths of the PDFs of `ids` (all inside the export, or all gone and inside
    /// the older export compared with).
    pub fn pdf_paths(&self, library: &Library, dir: &str, ids: &[u64]) -> Result<Vec<PathBuf>, CommandError> {
        let open = self.open(library, dir)?;
        Ok(lock(&Self::holder(&open, ids)).pdf_paths(ids)?)
    }

    pub fn copy_pdfs(&self, library: &Library, dir: &str, ids: &[u64], folder: &Path) -> Result<Saved, CommandError> {
        let open = self.open(library, dir)?;
        let copied = lock(&Self::holder(&open, ids)).copy_pdfs(ids, folder)?;
        Ok(Saved { path: folder.display().to_string(), count: copied })
    }

    /// `file` if it lies inside the export at `dir` (a PDF, a saved CSV or merged PDF), or
    /// inside the older export it is being compared with (a gone instrument's PDF).
    pub fn file_in_export(&self, library: &Library, dir: &str, file: &str) -> Result<PathBuf, CommandError> {
        let entry = library.entry(Path::new(dir))?;
        let file = dunce::canonicalize(file).map_err(|_| outside(file))?;
        let older = self.open.lock().unwrap_or_else(|p| p.into_inner()).get(dir).cloned();
        let in_older = older.is_some_and(|open| lock(&open.compared).as_ref().is_some_and(|c| file.starts_with(&c.since_dir)));
        if (file.starts_with(&entry.dir) || in_older) && file.is_file() { Ok(file) } else { Err(outside(&file.display().to_string())) }
    }

    /// The open index of the export the UI names.
    fn get(&self, library: &Library, dir: &str) -> Result<Arc<Mutex<Browser>>, CommandError> {
        Ok(self.open(library, dir)?.browser)
    }

    /// The export the UI names, opened. The folder is checked against the library when it is
    /// first opened; later calls (a page per scroll or keystroke) reuse it.
    fn open(&self, library: &Library, dir: &str) -> Result<Open, CommandError> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(export) = open.get(dir) {
            return Ok(export.clone());
        }
        let entry = library.entry(Path::new(dir))?;
        // The table loads into memory beside the first page, which SQL answers at once.
        let mut browser = Browser::open(&entry.dir)?;
        browser.load_table()?;
        let browser = Arc::new(Mutex::new(browser));
        let export = Open { dir: entry.dir, browser, compared: Arc::default() };
        open.insert(dir.to_owned(), export.clone());
        Ok(export)
    }

    /// The index whose rows `query` asks for: the export's, or for gone instruments the older
    /// export's. Compares the two first when the query asks for changes since another export
    /// than the last one compared with.
    fn for_query(&self, library: &Library, dir: &str, query: &Query) -> Result<Arc<Mutex<Browser>>, CommandError> {
        let open = self.open(library, dir)?;
        let Some(ChangesFilter { since, kinds }) = &query.changes else { return Ok(open.browser) };
        let gone = kinds.contains(&ChangeKind::Gone);
        if gone && kinds.iter().any(|k| *k != ChangeKind::Gone) {
            return Err(CommandError::new(
                WorkspaceErrorCode::ChangesGoneApart,
                "Gone instruments are the older export's, so they are shown on their own: choose either gone, or new and changed.",
            ));
        }
        let mut compared = lock(&open.compared);
        if compared.as_ref().is_none_or(|c| c.since != *since) {
            *compared = None;
            *compared = Some(Self::compare(library, &open, since)?);
        }
        match compared.as_ref() {
            Some(comparison) if gone => Ok(Arc::clone(&comparison.older)),
            _ => Ok(open.browser),
        }
    }

    /// Compares the export with the older one at `since`, marking both indexes.
    fn compare(library: &Library, open: &Open, since: &str) -> Result<Comparison, CommandError> {
        let older = library.entry(Path::new(since))?;
        let diff = Diff::open(&older.dir, &open.dir)?;
        let (mut marks, mut gone) = (Vec::new(), HashSet::new());
        diff.each(|difference| {
            match difference {
                Difference::Added { id } => marks.push((id, ChangeKind::New, Vec::new())),
                Difference::Changed(changed) => marks.push((changed.id, ChangeKind::Changed, changed.fields.iter().map(|f| f.field).collect())),
                Difference::Removed { id } => {
                    gone.insert(id);
                }
            }
            Ok(())
        })?;
        let mut older_browser = Browser::open(&older.dir)?;
        older_browser.load_table()?;
        older_browser.mark_changes(gone.iter().map(|&id| (id, ChangeKind::Gone, Vec::new())))?;
        lock(&open.browser).mark_changes(marks)?;
        Ok(Comparison { since: since.to_owned(), since_dir: older.dir, older: Arc::new(Mutex::new(older_browser)), gone, diff })
    }

    /// The index that holds `ids`: the older export compared with when they are all gone from
    /// the export, else the export's own.
    fn holder(open: &Open, ids: &[u64]) -> Arc<Mutex<Browser>> {
        match lock(&open.compared).as_ref() {
            Some(comparison) if !ids.is_empty() && ids.iter().all(|id| comparison.gone.contains(id)) => Arc::clone(&comparison.older),
            _ => Arc::clone(&open.browser),
        }
    }

    /// Deletes the export at `dir` from the library, closing its index first (an open file
    /// cannot be removed on Windows), and lists what remains.
    pub fn delete(&self, library: &Library, dir: &str) -> Result<LibraryView, CommandError> {
        self.close(&library.entry(Path::new(dir))?.dir);
        library.delete(Path::new(dir))?;
        Ok(LibraryView::of(library))
    }

    /// Closes the index of an export about to be deleted (`dir` as `Library::entry` gives it).
    /// Closes every open index (and comparison): before the library moves, which Windows
    /// refuses while a file in it is open.
    pub fn close_all(&self) {
        self.open.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    fn close(&self, dir: &Path) {
        // A comparison with it holds its index open too.
        self.open.lock().unwrap_or_else(|p| p.into_inner()).retain(|_, export| {
            if lock(&export.compared).as_ref().is_some_and(|c| c.since_dir == dir) {
                *lock(&export.compared) = None;
            }
            export.dir != dir
        });
    }
}

/// The exports of `entry`'s project ready before it, newest first.
fn earlier_exports(library: &Library, entry: &LibraryEntry) -> Vec<LibraryEntry> {
    let Some(ready) = entry.manifest.times.ready.as_deref() else { return Vec::new() };
    let request = &entry.manifest.request;
    library
        .list()
        .into_iter()
        .filter(|e| {
            e.manifest.job_id != entry.manifest.job_id
                && e.manifest.request.owner == request.owner
                && e.manifest.request.project == request.project
                && e.manifest.times.ready.as_deref().is_some_and(|r| r < ready)
        })
        .collect()
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

fn outside(file: &str) -> CommandError {
    CommandError::new(WorkspaceErrorCode::FileNotInExport, format!("{file} is not a file of this export."))
}
