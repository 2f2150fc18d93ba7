//! The export engine: takes an AnnoLab export from request to a browsable local library, with
//! no Tauri dependency. The desktop app and the `annolab-export` CLI are thin front ends over it.
//!
//! One module a stage, in pipeline order: [`request`] -> [`poll`] -> [`download`] -> [`verify`]
//! -> [`extract`] -> [`index`] -> [`library`], driven by [`pipeline::Engine`] through a
//! persisted [`job::JobRecord`].

pub mod browse;
pub mod dates;
pub mod diff;
pub mod disk;
pub mod download;
mod error;
pub mod extract;
mod fsutil;
#[doc(hidden)]
pub mod fuzzing;
pub mod import;
pub mod index;
pub mod job;
pub mod library;
pub mod manifest;
pub mod names;
pub mod package;
pub mod pipeline;
pub mod poll;
pub mod profiles;
pub mod progress;
pub mod request;
pub mod stream;
pub mod timeline;
pub mod verify;

pub use diff::{ChangedInstrument, Diff, DiffCsv, DiffReport, DiffSide, DiffSummary, Difference, Field, FieldChange, diff, previous_export};
pub use error::{EngineError, EngineErrorCode, ErrorCode, FailureKind};
pub use fsutil::write_json_atomic;
pub use import::{ImportInput, Imported, import};
pub use job::{JobRecord, JobState, JobStore, can_resume};
pub use library::{Library, LibraryEntry};
pub use manifest::{Manifest, Problem, ProblemKind};
pub use pipeline::{Engine, Finished, discard_job, settle_leftovers};
pub use profiles::{DEMO_PROFILE, Keychain, Profile, Profiles, profile_name, resolve_key};
pub use progress::{Phase, Progress, ProgressSink};
pub use request::{ExportInput, ExportRequest, RequestError, TagFilter};
