//! The library as the app lists it: finished exports with what they hold and how they were made.

use std::path::{Path, PathBuf};

use export_engine::extract::Limits;
use export_engine::manifest::Counts;
use export_engine::{ExportInput, ExportRequest, ImportInput, Library, LibraryEntry, Problem};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

use crate::error::CommandError;

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
    /// The zip's file name, for an export opened from a zip on disk rather than downloaded.
    pub imported_from: Option<String>,
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
            imported_from: manifest.imported.map(|i| i.file),
        }
    }
}

/// An export zip about to be opened, with the owner and project it will be filed under: the
/// engine's defaults until the user changes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ImportProposal {
    pub zip: String,
    pub owner: String,
    pub project: String,
}

impl ImportProposal {
    /// The proposal for a file the user chose or dropped; None for one that is no `.zip`.
    pub fn for_file(zip: &Path) -> Option<Self> {
        if !zip.extension().is_some_and(|e| e.eq_ignore_ascii_case("zip")) {
            return None;
        }
        let (owner, project) = ImportInput { zip: zip.to_path_buf(), ..ImportInput::default() }.names();
        Some(ImportProposal { zip: zip.display().to_string(), owner, project })
    }
}

/// Opens the proposal's zip into the library ([`export_engine::import`]) and lists the library
/// again, the new export first.
pub fn import_zip(library: &Library, proposal: ImportProposal) -> Result<LibraryView, CommandError> {
    let input = ImportInput { zip: PathBuf::from(proposal.zip), owner: Some(proposal.owner), project: Some(proposal.project), out: None };
    export_engine::import(library, &input, Limits::default(), &|_| {}, &CancellationToken::new())?;
    Ok(LibraryView::of(library))
}

/// Moves the library to `to` ("Move library…" in the Settings tab) and makes it the library:
/// refused while an export of this app is working or waiting, since it writes into the library;
/// every open index is closed first. See [`Library::move_to`] for what is promised on the way.
pub fn move_library(
    settings: &crate::Settings,
    exports: &crate::exports::Exports,
    browsers: &crate::browse::Browsers,
    to: &Path,
    progress: &dyn Fn(export_engine::library::MoveProgress),
) -> Result<LibraryView, CommandError> {
    if exports.busy() {
        return Err(CommandError::new(
            crate::error::WorkspaceErrorCode::JobRunning,
            "An export is working or waiting: the library can move once it has ended (or after you cancel it).",
        ));
    }
    browsers.close_all();
    let moved = settings.library().move_to(to, export_engine::library::MoveBy::RenameWhereItCan, progress, &CancellationToken::new())?;
    settings.set_library_root(moved.root().to_path_buf())?;
    Ok(LibraryView::of(&moved))
}
