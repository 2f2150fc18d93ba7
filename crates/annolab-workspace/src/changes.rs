//! "What changed since the last export" as the app shows it: the line on an export's library
//! card and in the notification of a finished export, against the previous export of the same
//! project ([`export_engine::previous_export`]).
//!
//! The counts come from a diff of the two indexes, which streams but still visits every
//! instrument (and compares PDFs' bytes). The library lists without it; each card asks for its
//! own line afterwards, and the answer is kept in the export's folder (`changes.json`, keyed by
//! the older export's job id), so a card is computed once, not at every listing. Exports never
//! change once published, so the only way the answer goes stale is another previous export (one
//! deleted, or a different one now the newest earlier one), which the key catches.

use std::path::Path;

use export_engine::{Diff, DiffSummary, Library, LibraryEntry, previous_export, write_json_atomic};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::CommandError;

/// Where an export keeps the counts of its comparison with the previous export.
pub const CHANGES_FILE: &str = "changes.json";

/// What changed in an export since the previous export of its project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ExportChanges {
    /// The previous export's folder (what the browser's "Changes since" compares with).
    pub since: String,
    pub since_job_id: String,
    /// When the previous export was ready (UTC, RFC 3339).
    pub since_ready_at: Option<String>,
    pub added: u64,
    pub removed: u64,
    pub changed: u64,
    /// Whether both exports were made with the same filters.
    pub same_request: bool,
    /// `since 2026-11-30: +12 new, −3 gone, 7 changed`.
    pub line: String,
}

impl ExportChanges {
    fn of(since: &LibraryEntry, summary: &DiffSummary) -> Self {
        ExportChanges {
            since: since.dir.display().to_string(),
            since_job_id: since.manifest.job_id.clone(),
            since_ready_at: since.manifest.times.ready.clone(),
            added: summary.added,
            removed: summary.removed,
            changed: summary.changed,
            same_request: summary.same_request,
            line: summary.line(),
        }
    }
}

/// What changed in the export at `dir` (in `library`) since the previous export of its project;
/// None when it is the project's first. Read from the export's `changes.json` when that was
/// made against the same previous export, else computed and saved there.
pub fn since_previous(library: &Library, dir: &Path) -> Result<Option<ExportChanges>, CommandError> {
    let entry = library.entry(dir)?;
    let Some(previous) = previous_export(library, &entry) else { return Ok(None) };
    let cache = entry.dir.join(CHANGES_FILE);
    if let Some(saved) = std::fs::read(&cache).ok().and_then(|bytes| serde_json::from_slice::<ExportChanges>(&bytes).ok())
        && saved.since_job_id == previous.manifest.job_id
    {
        return Ok(Some(ExportChanges { since: previous.dir.display().to_string(), ..saved }));
    }
    let summary = Diff::open(&previous.dir, &entry.dir)?.summary()?;
    let changes = ExportChanges::of(&previous, &summary);
    // A cache: an export on a read-only disk still gets its line, computed each time.
    if let Err(error) = write_json_atomic(&cache, &changes) {
        tracing::info!("could not keep the changes of {}: {error}", entry.dir.display());
    }
    Ok(Some(changes))
}
