//! Everything the engine can fail with, each variant something a front end can act on, with a
//! stable code and a message that says what to do.

use std::path::PathBuf;

use annolab_api::{ApiError, ErrorCode};

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
    #[error(transparent)]
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
    #[error("Not enough free disk space in {path:?}: the export needs {needed} bytes, {available} are free. Free some space or choose another library folder.")]
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
    #[error("There is no export job {id:?}; `annolab-export jobs` lists them.")]
    JobNotFound { id: String },
    #[error("No keychain is available to keep the API key ({reason}). {KEYCHAIN_HINT}; or set ANNOLAB_API_KEY for this shell instead.")]
    KeychainUnavailable { reason: String },
    #[error("The keychain is locked ({reason}). Unlock it and try again ({KEYCHAIN_UNLOCK}), or set ANNOLAB_API_KEY.")]
    KeychainLocked { reason: String },
    #[error("There is no profile {name:?}. `annolab-export profiles` lists them; `annolab-export login --profile {name}` creates it.")]
    ProfileNotFound { name: String },
    #[error("No API key is stored for profile {profile:?}. Run `annolab-export login --profile {profile}`, or set ANNOLAB_API_KEY.")]
    NoKey { profile: String },
    #[error("Export {id} is already running in another window or terminal; wait for it there.")]
    JobBusy { id: String },
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
    #[error("The export was cancelled.")]
    Cancelled,
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
    pub fn kind(&self) -> FailureKind {
        match self {
            EngineError::Request(_)
            | EngineError::DestinationNotEmpty { .. }
            | EngineError::JobNotFound { .. }
            | EngineError::JobBusy { .. }
            | EngineError::InstrumentNotFound { .. }
            | EngineError::NoPdf { .. }
            | EngineError::NothingToMerge => FailureKind::Usage,
            EngineError::Api(api) => match api.code() {
                ErrorCode::Usage => FailureKind::Usage,
                ErrorCode::Auth => FailureKind::Auth,
                ErrorCode::NotFound => FailureKind::NotFound,
                ErrorCode::Network | ErrorCode::Download => FailureKind::Network,
                ErrorCode::Server => FailureKind::ExportErrored,
            },
            EngineError::ExportErrored { .. } | EngineError::UnexpectedResponse { .. } => FailureKind::ExportErrored,
            EngineError::BadArchive { .. } | EngineError::ArchiveTooLarge { .. } | EngineError::ZipBomb { .. } => FailureKind::BadArchive,
            EngineError::Cancelled => FailureKind::Cancelled,
            EngineError::KeychainUnavailable { .. } | EngineError::KeychainLocked { .. } | EngineError::NoKey { .. } => FailureKind::Auth,
            EngineError::ProfileNotFound { .. } => FailureKind::Usage,
            EngineError::NotEnoughSpace { .. }
            | EngineError::Io { .. }
            | EngineError::Index(_)
            | EngineError::CorruptState { .. }
            | EngineError::ExportChanged { .. }
            | EngineError::UnreadablePdf { .. }
            | EngineError::FileInUse { .. } => FailureKind::Local,
        }
    }

    /// A stable identifier for `{code, message}`.
    pub fn code(&self) -> &'static str {
        match self {
            EngineError::Request(_) => "invalid_request",
            EngineError::Api(api) => api.id(),
            EngineError::ExportErrored { .. } => "export_errored",
            EngineError::UnexpectedResponse { .. } => "unexpected_response",
            EngineError::BadArchive { .. } => "bad_archive",
            EngineError::ArchiveTooLarge { .. } => "archive_too_large",
            EngineError::ZipBomb { .. } => "zip_bomb",
            EngineError::NotEnoughSpace { .. } => "not_enough_space",
            EngineError::Io { .. } => "io_error",
            EngineError::Index(_) => "index_error",
            EngineError::CorruptState { .. } => "corrupt_state",
            EngineError::ExportChanged { .. } => "export_changed",
            EngineError::DestinationNotEmpty { .. } => "destination_not_empty",
            EngineError::JobNotFound { .. } => "job_not_found",
            EngineError::JobBusy { .. } => "job_busy",
            EngineError::InstrumentNotFound { .. } => "instrument_not_found",
            EngineError::NoPdf { .. } => "no_pdf",
            EngineError::NothingToMerge => "nothing_to_merge",
            EngineError::UnreadablePdf { .. } => "unreadable_pdf",
            EngineError::FileInUse { .. } => "file_in_use",
            EngineError::Cancelled => "cancelled",
            EngineError::KeychainUnavailable { .. } => "keychain_unavailable",
            EngineError::KeychainLocked { .. } => "keychain_locked",
            EngineError::ProfileNotFound { .. } => "profile_not_found",
            EngineError::NoKey { .. } => "no_key",
        }
    }
}
