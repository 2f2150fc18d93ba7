//! The library as the app lists it: finished exports with what they hold and how they were made.

use export_engine::manifest::Counts;
use export_engine::{ExportInput, ExportRequest, Library, LibraryEntry, Problem};
use serde::Serialize;
use ts_rs::TS;

/// Problems listed per export; the count covers them all.
const PROBLEMS_SHOWN: usize = 50;

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LibraryItem {
    pub dir: String,
    pub job_id: String,
    pub remote_job_id: u64,
    pub server: String,
    pub profile: Option<String>,
    pub request: ExportRequest,
    /// The form input that makes the same export again.
    pub input: ExportInput,
    /// When the export was finished (UTC, RFC 3339).
    pub ready_at: Option<String>,
    pub counts: Counts,
    pub zip_bytes: u64,
    pub problems: Vec<Problem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LibraryView {
    pub root: String,
    pub items: Vec<LibraryItem>,
}

impl LibraryView {
    pub fn of(library: &Library) -> Self {
        LibraryView { root: library.root().display().to_string(), items: library.list().into_iter().map(LibraryItem::from).collect() }
    }
}

impl From<LibraryEntry> for LibraryItem {
    fn from(entry: LibraryEntry) -> Self {
        let manifest = entry.manifest;
        LibraryItem {
            dir: entry.dir.display().to_string(),
            job_id: manifest.job_id,
            remote_job_id: manifest.remote_job_id,
            server: manifest.server,
            profile: manifest.profile,
            input: manifest.request.to_input(),
            request: manifest.request,
            ready_at: manifest.times.ready,
            counts: manifest.counts,
            zip_bytes: manifest.zip_bytes,
            problems: manifest.problems.into_iter().take(PROBLEMS_SHOWN).collect(),
        }
    }
}
