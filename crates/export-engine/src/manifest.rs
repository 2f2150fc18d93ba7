//! `manifest.json`: what an export is, how it was made, and what was found wrong with it.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::EngineError;
use crate::progress::Phase;
use crate::request::ExportRequest;

pub const MANIFEST: &str = "manifest.json";

/// Something wrong with an export that did not stop it: kept, counted and shown.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    pub kind: ProblemKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub instrument_id: Option<u64>,
    pub message: String,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// A line of instruments.json that is not an Instrument object.
    BadLine,
    /// The same instrument id twice.
    DuplicateInstrument,
    /// An instrument without its PDF in an export made with PDFs.
    MissingPdf,
    /// A PDF whose page count is not the instrument's page range.
    PageCountMismatch,
    /// A PDF that could not be read.
    UnreadablePdf,
    /// A PDF no instrument refers to.
    OrphanPdf,
    /// An archive entry that was not extracted because it was unsafe.
    UnsafeEntry,
}

impl Problem {
    pub fn archive(message: String) -> Self {
        Problem { kind: ProblemKind::UnsafeEntry, line: None, instrument_id: None, message }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub format: u32,
    pub request: ExportRequest,
    pub server: String,
    #[serde(default)]
    pub profile: Option<String>,
    pub job_id: String,
    pub remote_job_id: u64,
    pub status_url: String,
    pub times: PhaseTimes,
    pub zip_sha256: String,
    pub zip_bytes: u64,
    pub counts: Counts,
    pub problems: Vec<Problem>,
    /// Archive entries written under another name than they had (a name no disk of Windows,
    /// macOS or Linux would take as it was, or one that another entry already had).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub renamed: Vec<Renamed>,
    /// Set when the export was opened from a zip on disk ([`crate::import`]), not downloaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imported: Option<crate::import::Imported>,
}

/// An archive entry's name as the server sent it, beside the file written for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Renamed {
    pub entry: String,
    /// Relative to the export folder, `/`-separated.
    pub file: String,
}

/// When each phase began (UTC, RFC 3339).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhaseTimes {
    pub requested: Option<String>,
    pub processing: Option<String>,
    pub downloading: Option<String>,
    pub verifying: Option<String>,
    pub extracting: Option<String>,
    pub indexing: Option<String>,
    pub ready: Option<String>,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    pub instruments: u64,
    pub pdfs: u64,
    pub files: u64,
    pub bytes: u64,
    pub problems: u64,
}

impl PhaseTimes {
    /// When `phase` began, if it has.
    pub fn get(&self, phase: Phase) -> Option<&str> {
        self.slot(phase).as_deref()
    }

    pub fn set(&mut self, phase: Phase, time: String) {
        *self.slot_mut(phase) = Some(time);
    }

    fn slot(&self, phase: Phase) -> &Option<String> {
        match phase {
            Phase::Requested => &self.requested,
            Phase::Processing => &self.processing,
            Phase::Downloading => &self.downloading,
            Phase::Verifying => &self.verifying,
            Phase::Extracting => &self.extracting,
            Phase::Indexing => &self.indexing,
            Phase::Ready => &self.ready,
        }
    }

    fn slot_mut(&mut self, phase: Phase) -> &mut Option<String> {
        match phase {
            Phase::Requested => &mut self.requested,
            Phase::Processing => &mut self.processing,
            Phase::Downloading => &mut self.downloading,
            Phase::Verifying => &mut self.verifying,
            Phase::Extracting => &mut self.extracting,
            Phase::Indexing => &mut self.indexing,
            Phase::Ready => &mut self.ready,
        }
    }
}

impl Manifest {
    pub fn read(dir: &Path) -> Result<Self, EngineError> {
        let path = dir.join(MANIFEST);
        let text = std::fs::read(&path).map_err(EngineError::io(format!("could not read {}", path.display())))?;
        serde_json::from_slice(&text).map_err(|e| EngineError::CorruptState { path, reason: e.to_string() })
    }

    pub fn write(&self, dir: &Path) -> Result<(), EngineError> {
        crate::fsutil::write_json_atomic(&dir.join(MANIFEST), self)
    }
}
