//! Everything the engine can fail with, each variant something a front end can act on, with a
//! stable code and a message that says what to do.

use std::path::PathBuf;

use annolab_api::{ApiError, ApiErrorCode, ApiErrorKind};
use serde::{Deserialize, Serialize};

use crate::request::RequestError;

/// What to do when this OS's keychain cannot be reached (docs/platforms.md, "Keychain").
#[cfg(windows)]
const KEYCHAIN_HINT: &str = "Windows Credential Manager did not answer: sign in to Windows normally (not as a temporary profile) and try again";
#[cfg(target_os = "macos")]
const KEYCHAIN_HINT: &str =
    "The login keychain did not answer: open Keychain Access, check that the login keychain exists and is unlocked, and allow AnnoLab Exporter when asked";
#[cfg(not(any(windows, target_os = "macos")))]
const KEYCHAIN_HINT: &str = "Start and unlock a Secret Service (GNOME Keyring, KeePassXC)";
/// How to unlock this OS's keychain.
#[cfg(windows)]
const KEYCHAIN_UNLOCK: &str = "sign in to Windows again";
#[cfg(target_os = "macos")]
const KEYCHAIN_UNLOCK: &str = "Keychain Access, login keychain";
#[cfg(not(any(windows, target_os = "macos")))]
const KEYCHAIN_UNLOCK: &str = "your desktop's keyring, e.g. Seahorse";

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    #[error(transparent)]
    Request(#[from] RequestError),
    /// An export that hit a network fault can be resumed: said here, not by the API client,
    /// whose interactive checks (login, Test key) have no export to resume.
    #[error("{0}{hint}", hint = if .0.resumable() { " The export can be resumed." } else { "" })]
    Api(#[from] ApiError),
    #[error("The export failed on AnnoLab's side: {message}")]
    ExportErrored { message: String },
    #[error("AnnoLab sent something unexpected: {what}.")]
    UnexpectedResponse { what: String },
    #[error("The downloaded archive is damaged: {reason}. Run the export again.")]
    BadArchive { reason: String },
    #[error("The archive would unpack to {bytes} bytes, more than the {limit}-byte limit; refusing to extract it.")]
    ArchiveTooLarge { bytes: u64, limit: u64 },
    #[error("The archive entry {entry:?} expands {ratio} times its packed size, like a zip bomb; refusing to extract it.")]
    ZipBomb { entry: String, ratio: u64 },
    #[error(
        "Not enough free disk space in {path:?}: the export needs about {needed} bytes there, {available} are free. Free some space or choose another library folder, then resume the export (`annolab-export resume`, or Retry in the app)."
    )]
    NotEnoughSpace { needed: u64, available: u64, path: PathBuf },
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("The export index could not be written: {0}")]
    Index(#[from] rusqlite::Error),
    #[error("{path:?} is damaged ({reason}); delete it and export again.")]
    CorruptState { path: PathBuf, reason: String },
    #[error("{path:?} already exists and is not empty; choose an empty or new folder for --out.")]
    DestinationNotEmpty { path: PathBuf },
    #[error(
        "Cannot write to {path:?} ({reason}). Choose another folder (--out, or another library folder in the app), or make this one writable, then export again."
    )]
    FolderNotWritable { path: PathBuf, reason: String },
    #[error(
        "The folder {path:?} disappeared while the export ran (deleted, or its disk was removed). Nothing was published. When it is back, or to recreate it, resume the export (`annolab-export resume`, or Retry in the app)."
    )]
    FolderGone { path: PathBuf },
    #[error("There is no export job {id:?}; `annolab-export jobs` lists them.")]
    JobNotFound { id: String },
    #[error("No keychain is available to keep the API key ({reason}). {KEYCHAIN_HINT}; or set ANNOLAB_API_KEY for this shell instead.")]
    KeychainUnavailable { reason: String },
    #[error("The keychain is locked ({reason}). Unlock it and try again ({KEYCHAIN_UNLOCK}), or set ANNOLAB_API_KEY.")]
    KeychainLocked { reason: String },
    #[error("{reason}")]
    InvalidProfileName { reason: String },
    #[error("There is no profile {name:?}. `annolab-export profiles` lists them; `annolab-export login --profile {name}` creates it.")]
    ProfileNotFound { name: String },
    #[error("No API key is stored for profile {profile:?}. Run `annolab-export login --profile {profile}`, or set ANNOLAB_API_KEY.")]
    NoKey { profile: String },
    #[error("Export {id} is already running in another window or terminal; wait for it there.")]
    JobBusy { id: String },
    #[error(
        "Export {id} can still be resumed (`annolab-export resume {id}`, or Retry in the app); discard it explicitly if you no longer need what it downloaded."
    )]
    JobResumable { id: String },
    #[error("Instrument {id} is not in this export.")]
    InstrumentNotFound { id: u64 },
    #[error("Instrument {id} has no PDF in this export (it was made without PDFs, or its PDF is missing).")]
    NoPdf { id: u64 },
    #[error("Choose at least one instrument with a PDF to merge.")]
    NothingToMerge,
    #[error(
        "Instrument {id}'s JSON cannot be shown: {path:?} is missing or was changed after the export was made. The table still works; export again to see every field."
    )]
    ExportChanged { path: PathBuf, id: u64 },
    #[error("The PDF {path:?} cannot be read ({reason}); the rest of the export is unaffected.")]
    UnreadablePdf { path: PathBuf, reason: String },
    #[error(
        "Could not {action} {path:?}: a file in it is open in another program (a PDF viewer, Explorer's preview, a virus scanner). Close it and try again; nothing was changed."
    )]
    FileInUse { action: &'static str, path: PathBuf },
    #[error(
        "No instrument in this export has {name} = {value:?}. Check the spelling, or see its values by grouping by {name} in the browser (`annolab-export package … --all` packages every value)."
    )]
    GroupNotFound { name: String, value: String },
    #[error("This export has no tag attribute named {name:?}. Its tag attributes: {found}.")]
    UnknownAttribute { name: String, found: String },
    #[error("No instrument in this group has a value named {name:?} to order by. Date fields found in the group: {found}.")]
    UnknownDateField { name: String, found: String },
    #[error("The export was cancelled.")]
    Cancelled,
    #[error(
        "These exports are of different projects ({old} and {new}); a diff compares two exports of one project. `annolab-export list` shows each export's project."
    )]
    DifferentProjects { old: String, new: String },
    #[error(
        "{path:?} is not a finished export (it has no manifest.json). Give an export's folder, its name in the library or its job id; `annolab-export list` shows them."
    )]
    NotAnExport { path: PathBuf },
    #[error("{path:?} cannot be imported: {reason}. Nothing was added; choose the zip an export downloaded (it holds instruments.json).")]
    NotAnExportZip { path: PathBuf, reason: String },
    #[error("The library cannot move to {to:?}: {reason}. The library stays where it is, unchanged.")]
    LibraryMoveRefused { to: PathBuf, reason: String },
}

/// What kind of failure, for exit codes and the UI; stable across versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    Usage,
    Auth,
    NotFound,
    ExportErrored,
    Network,
    BadArchive,
    Cancelled,
    Local,
}

impl EngineError {
    /// For `map_err`: an I/O failure with what was being done (`could not write <path>`).
    pub fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> EngineError {
        let context = context.into();
        move |source| EngineError::Io { context, source }
    }

    pub fn kind(&self) -> FailureKind {
        match self {
            EngineError::Request(_)
            | EngineError::DestinationNotEmpty { .. }
            | EngineError::JobNotFound { .. }
            | EngineError::JobBusy { .. }
            | EngineError::JobResumable { .. }
            | EngineError::InstrumentNotFound { .. }
            | EngineError::NoPdf { .. }
            | EngineError::NothingToMerge
            | EngineError::GroupNotFound { .. }
            | EngineError::UnknownAttribute { .. }
            | EngineError::UnknownDateField { .. }
            | EngineError::DifferentProjects { .. }
            | EngineError::NotAnExport { .. }
            | EngineError::LibraryMoveRefused { .. } => FailureKind::Usage,
            EngineError::Api(api) => match api.kind() {
                ApiErrorKind::Usage => FailureKind::Usage,
                ApiErrorKind::Auth => FailureKind::Auth,
                ApiErrorKind::NotFound => FailureKind::NotFound,
                ApiErrorKind::Network | ApiErrorKind::Download => FailureKind::Network,
                ApiErrorKind::Server => FailureKind::ExportErrored,
            },
            EngineError::ExportErrored { .. } | EngineError::UnexpectedResponse { .. } => FailureKind::ExportErrored,
            EngineError::BadArchive { .. } | EngineError::ArchiveTooLarge { .. } | EngineError::ZipBomb { .. } | EngineError::NotAnExportZip { .. } => {
                FailureKind::BadArchive
            }
            EngineError::Cancelled => FailureKind::Cancelled,
            EngineError::KeychainUnavailable { .. } | EngineError::KeychainLocked { .. } | EngineError::NoKey { .. } => FailureKind::Auth,
            EngineError::ProfileNotFound { .. } | EngineError::InvalidProfileName { .. } => FailureKind::Usage,
            EngineError::NotEnoughSpace { .. }
            | EngineError::FolderNotWritable { .. }
            | EngineError::FolderGone { .. }
            | EngineError::Io { .. }
            | EngineError::Index(_)
            | EngineError::CorruptState { .. }
            | EngineError::ExportChanged { .. }
            | EngineError::UnreadablePdf { .. }
            | EngineError::FileInUse { .. } => FailureKind::Local,
        }
    }

    /// The stable code front ends match on (the UI, job records, the CLI's `--json`).
    pub fn code(&self) -> ErrorCode {
        let own = match self {
            EngineError::Api(api) => return ErrorCode::Api(api.code()),
            EngineError::Request(_) => EngineErrorCode::InvalidRequest,
            EngineError::ExportErrored { .. } => EngineErrorCode::ExportErrored,
            EngineError::UnexpectedResponse { .. } => EngineErrorCode::UnexpectedResponse,
            EngineError::BadArchive { .. } => EngineErrorCode::BadArchive,
            EngineError::ArchiveTooLarge { .. } => EngineErrorCode::ArchiveTooLarge,
            EngineError::ZipBomb { .. } => EngineErrorCode::ZipBomb,
            EngineError::NotEnoughSpace { .. } => EngineErrorCode::NotEnoughSpace,
            EngineError::FolderNotWritable { .. } => EngineErrorCode::FolderNotWritable,
            EngineError::FolderGone { .. } => EngineErrorCode::FolderGone,
            EngineError::Io { .. } => EngineErrorCode::IoError,
            EngineError::Index(_) => EngineErrorCode::IndexError,
            EngineError::CorruptState { .. } => EngineErrorCode::CorruptState,
            EngineError::ExportChanged { .. } => EngineErrorCode::ExportChanged,
            EngineError::DestinationNotEmpty { .. } => EngineErrorCode::DestinationNotEmpty,
            EngineError::JobNotFound { .. } => EngineErrorCode::JobNotFound,
            EngineError::JobBusy { .. } => EngineErrorCode::JobBusy,
            EngineError::JobResumable { .. } => EngineErrorCode::JobResumable,
            EngineError::InstrumentNotFound { .. } => EngineErrorCode::InstrumentNotFound,
            EngineError::NoPdf { .. } => EngineErrorCode::NoPdf,
            EngineError::NothingToMerge => EngineErrorCode::NothingToMerge,
            EngineError::GroupNotFound { .. } => EngineErrorCode::GroupNotFound,
            EngineError::UnknownAttribute { .. } => EngineErrorCode::UnknownAttribute,
            EngineError::UnknownDateField { .. } => EngineErrorCode::UnknownDateField,
            EngineError::UnreadablePdf { .. } => EngineErrorCode::UnreadablePdf,
            EngineError::FileInUse { .. } => EngineErrorCode::FileInUse,
            EngineError::Cancelled => EngineErrorCode::Cancelled,
            EngineError::KeychainUnavailable { .. } => EngineErrorCode::KeychainUnavailable,
            EngineError::KeychainLocked { .. } => EngineErrorCode::KeychainLocked,
            EngineError::ProfileNotFound { .. } => EngineErrorCode::ProfileNotFound,
            EngineError::InvalidProfileName { .. } => EngineErrorCode::InvalidProfileName,
            EngineError::NoKey { .. } => EngineErrorCode::NoKey,
            EngineError::DifferentProjects { .. } => EngineErrorCode::DifferentProjects,
            EngineError::NotAnExport { .. } => EngineErrorCode::NotAnExport,
            EngineError::NotAnExportZip { .. } => EngineErrorCode::NotAnExportZip,
            EngineError::LibraryMoveRefused { .. } => EngineErrorCode::LibraryMoveRefused,
        };
        ErrorCode::Engine(own)
    }
}

/// The code of any engine failure: one of the API client's, or one of the engine's own. It
/// travels as the bare code string (`"unauthorized"`, `"zip_bomb"`).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ErrorCode {
    Api(ApiErrorCode),
    Engine(EngineErrorCode),
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Api(code) => code.as_str(),
            ErrorCode::Engine(code) => code.as_str(),
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The engine's own codes, one per [`EngineError`] variant that is not the API client's. Add
/// codes, never rename one: the UI and job records depend on the spelling.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EngineErrorCode {
    InvalidRequest,
    ExportErrored,
    UnexpectedResponse,
    BadArchive,
    ArchiveTooLarge,
    ZipBomb,
    NotEnoughSpace,
    FolderNotWritable,
    FolderGone,
    IoError,
    IndexError,
    CorruptState,
    ExportChanged,
    DestinationNotEmpty,
    JobNotFound,
    JobBusy,
    InstrumentNotFound,
    NoPdf,
    NothingToMerge,
    UnreadablePdf,
    FileInUse,
    Cancelled,
    KeychainUnavailable,
    KeychainLocked,
    ProfileNotFound,
    InvalidProfileName,
    NoKey,
    GroupNotFound,
    UnknownDateField,
    DifferentProjects,
    NotAnExport,
    UnknownAttribute,
    NotAnExportZip,
    JobResumable,
    LibraryMoveRefused,
    /// A code this version does not know (a job record written by a newer one), as front ends
    /// read it back.
    Unknown,
}

impl EngineErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            EngineErrorCode::InvalidRequest => "invalid_request",
            EngineErrorCode::ExportErrored => "export_errored",
            EngineErrorCode::UnexpectedResponse => "unexpected_response",
            EngineErrorCode::BadArchive => "bad_archive",
            EngineErrorCode::ArchiveTooLarge => "archive_too_large",
            EngineErrorCode::ZipBomb => "zip_bomb",
            EngineErrorCode::NotEnoughSpace => "not_enough_space",
            EngineErrorCode::FolderNotWritable => "folder_not_writable",
            EngineErrorCode::FolderGone => "folder_gone",
            EngineErrorCode::IoError => "io_error",
            EngineErrorCode::IndexError => "index_error",
            EngineErrorCode::CorruptState => "corrupt_state",
            EngineErrorCode::ExportChanged => "export_changed",
            EngineErrorCode::DestinationNotEmpty => "destination_not_empty",
            EngineErrorCode::JobNotFound => "job_not_found",
            EngineErrorCode::JobBusy => "job_busy",
            EngineErrorCode::InstrumentNotFound => "instrument_not_found",
            EngineErrorCode::NoPdf => "no_pdf",
            EngineErrorCode::NothingToMerge => "nothing_to_merge",
            EngineErrorCode::UnreadablePdf => "unreadable_pdf",
            EngineErrorCode::FileInUse => "file_in_use",
            EngineErrorCode::Cancelled => "cancelled",
            EngineErrorCode::KeychainUnavailable => "keychain_unavailable",
            EngineErrorCode::KeychainLocked => "keychain_locked",
            EngineErrorCode::ProfileNotFound => "profile_not_found",
            EngineErrorCode::InvalidProfileName => "invalid_profile_name",
            EngineErrorCode::NoKey => "no_key",
            EngineErrorCode::GroupNotFound => "group_not_found",
            EngineErrorCode::UnknownDateField => "unknown_date_field",
            EngineErrorCode::DifferentProjects => "different_projects",
            EngineErrorCode::NotAnExport => "not_an_export",
            EngineErrorCode::UnknownAttribute => "unknown_attribute",
            EngineErrorCode::NotAnExportZip => "not_an_export_zip",
            EngineErrorCode::LibraryMoveRefused => "library_move_refused",
            EngineErrorCode::JobResumable => "job_resumable",
            EngineErrorCode::Unknown => "unknown",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_spelled_the_same_in_json_and_in_as_str() {
        let samples = [
            EngineError::Cancelled,
            EngineError::NothingToMerge,
            EngineError::GroupNotFound { name: "Serial Number".into(), value: "x".into() },
            EngineError::UnknownDateField { name: "Recording Date".into(), found: "none".into() },
            EngineError::DifferentProjects { old: "a / b".into(), new: "a / c".into() },
            EngineError::NotAnExport { path: "x".into() },
            EngineError::NotAnExportZip { path: "x.zip".into(), reason: "no".into() },
            EngineError::LibraryMoveRefused { to: "x".into(), reason: "it is not empty".into() },
            EngineError::JobResumable { id: "20261207T100000Z-ab12".into() },
            EngineError::UnknownAttribute { name: "Serial".into(), found: "\"Serial Number\"".into() },
            EngineError::FileInUse { action: "delete", path: "x".into() },
            EngineError::NotEnoughSpace { needed: 1, available: 0, path: "x".into() },
            EngineError::FolderNotWritable { path: "x".into(), reason: "read-only file system".into() },
            EngineError::FolderGone { path: "x".into() },
            EngineError::Api(ApiError::MissingKey),
            EngineError::Api(ApiError::Server { status: 500, message: String::new() }),
            EngineError::Api(ApiError::Download { status: 403, message: String::new() }),
        ];
        for error in samples {
            let code = error.code();
            assert_eq!(serde_json::to_value(code).unwrap(), serde_json::Value::String(code.as_str().to_owned()));
            assert_eq!(serde_json::from_value::<ErrorCode>(code.as_str().into()).unwrap(), code);
        }
        assert_eq!(EngineError::Api(ApiError::Server { status: 500, message: String::new() }).code().as_str(), "server_error");
        assert_eq!(EngineError::Api(ApiError::Download { status: 403, message: String::new() }).code().as_str(), "download_refused");
    }
}
