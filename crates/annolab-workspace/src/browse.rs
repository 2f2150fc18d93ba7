//! The instrument browser's backend: one open index per export the UI is looking at, and the
//! questions the table, the details pane and the toolbar ask of it. Only exports inside the
//! library are opened, and only files inside an export are revealed or opened.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use export_engine::Library;
use export_engine::browse::{Browser, Details, Facets, GroupBy, Groups, Page, Query};
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

/// The exports open in the browser, each index opened once, by the folder the UI names.
#[derive(Default)]
pub struct Browsers {
    open: Mutex<HashMap<String, Open>>,
}

/// An export checked to be in the library, and its open index.
struct Open {
    /// The export's folder as `Library::entry` resolved it.
    dir: PathBuf,
    browser: Arc<Mutex<Browser>>,
}

impl Browsers {
    pub fn overview(&self, library: &Library, dir: &str) -> Result<ExportOverview, CommandError> {
        let entry = library.entry(Path::new(dir))?;
        let browser = self.get(library, dir)?;
        let facets = lock(&browser).facets()?;
        let request = entry.manifest.request;
        Ok(ExportOverview {
            dir: entry.dir.display().to_string(),
            owner: request.owner,
            project: request.project,
            include_files: request.include_files,
            facets,
        })
    }

    pub fn page(&self, library: &Library, dir: &str, query: &Query, offset: u64, limit: u64) -> Result<Page, CommandError> {
        let browser = self.get(library, dir)?;
        // A window of the table, not the table: the UI asks for what it shows.
        Ok(lock(&browser).page(query, offset, limit.min(1000))?)
    }

    pub fn groups(&self, library: &Library, dir: &str, query: &Query, by: &GroupBy, limit: u64) -> Result<Groups, CommandError> {
        let browser = self.get(library, dir)?;
        Ok(lock(&browser).groups(query, by, limit.min(10_000))?)
    }

    pub fn sources(&self, library: &Library, dir: &str, containing: &str, limit: u64) -> Result<Groups, CommandError> {
        let browser = self.get(library, dir)?;
        Ok(lock(&browser).sources_named(containing, limit.min(1000))?)
    }

    pub fn details(&self, library: &Library, dir: &str, id: u64) -> Result<Details, CommandError> {
        let browser = self.get(library, dir)?;
        Ok(lock(&browser).details(id)?)
    }

    pub fn save_csv(&self, library: &Library, dir: &str, query: &Query) -> Result<Saved, CommandError> {
        let browser = self.get(library, dir)?;
        let (path, rows) = lock(&browser).save_csv(query)?;
        Ok(Saved { path: path.display().to_string(), count: rows })
    }

    pub fn save_merged(&self, library: &Library, dir: &str, ids: &[u64]) -> Result<Saved, CommandError> {
        let browser = self.get(library, dir)?;
        let (path, pages) = lock(&browser).save_merged(ids)?;
        Ok(Saved { path: path.display().to_string(), count: u64::from(pages) })
    }

    /// The absolute paths of the PDFs of `ids` (all inside the export).
    pub fn pdf_paths(&self, library: &Library, dir: &str, ids: &[u64]) -> Result<Vec<PathBuf>, CommandError> {
        let browser = self.get(library, dir)?;
        Ok(lock(&browser).pdf_paths(ids)?)
    }

    pub fn copy_pdfs(&self, library: &Library, dir: &str, ids: &[u64], folder: &Path) -> Result<Saved, CommandError> {
        let browser = self.get(library, dir)?;
        let copied = lock(&browser).copy_pdfs(ids, folder)?;
        Ok(Saved { path: folder.display().to_string(), count: copied })
    }

    /// `file` if it lies inside the export at `dir` (a PDF, a saved CSV or merged PDF).
    pub fn file_in_export(&self, library: &Library, dir: &str, file: &str) -> Result<PathBuf, CommandError> {
        let entry = library.entry(Path::new(dir))?;
        let file = dunce::canonicalize(file).map_err(|_| outside(file))?;
        if file.starts_with(&entry.dir) && file.is_file() { Ok(file) } else { Err(outside(&file.display().to_string())) }
    }

    /// The open index of the export the UI names. The folder is checked against the library
    /// when it is first opened; later calls (a page per scroll or keystroke) reuse it.
    fn get(&self, library: &Library, dir: &str) -> Result<Arc<Mutex<Browser>>, CommandError> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(export) = open.get(dir) {
            return Ok(Arc::clone(&export.browser));
        }
        let entry = library.entry(Path::new(dir))?;
        let browser = Arc::new(Mutex::new(Browser::open(&entry.dir)?));
        open.insert(dir.to_owned(), Open { dir: entry.dir, browser: Arc::clone(&browser) });
        Ok(browser)
    }

    /// Deletes the export at `dir` from the library, closing its index first (an open file
    /// cannot be removed on Windows), and lists what remains.
    pub fn delete(&self, library: &Library, dir: &str) -> Result<LibraryView, CommandError> {
        self.close(&library.entry(Path::new(dir))?.dir);
        library.delete(Path::new(dir))?;
        Ok(LibraryView::of(library))
    }

    /// Closes the index of an export about to be deleted (`dir` as `Library::entry` gives it).
    fn close(&self, dir: &Path) {
        self.open.lock().unwrap_or_else(|p| p.into_inner()).retain(|_, export| export.dir != dir);
    }
}

fn lock(browser: &Mutex<Browser>) -> std::sync::MutexGuard<'_, Browser> {
    browser.lock().unwrap_or_else(|p| p.into_inner())
}

fn outside(file: &str) -> CommandError {
    CommandError::new(WorkspaceErrorCode::FileNotInExport, format!("{file} is not a file of this export."))
}
