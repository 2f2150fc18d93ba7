//! A typed client of the AnnoLab V1 export API.
//!
//! Two HTTP clients live here on purpose: [`Client`] talks to the API and is the only thing that
//! ever holds the key; [`Storage`] fetches signed download URLs with no default headers at all, so
//! the key cannot reach the download host even by mistake.

mod client;
mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod json;
mod network;
mod retry;
mod server;
mod storage;

pub use client::Client;
pub use error::{ApiError, ApiErrorCode, ApiErrorKind};
pub use json::{ExportJob, ExportStarted, ExportStatus, Group, JobState, KeyInfo, ProjectSummary};
pub use retry::RetryPolicy;
pub use server::{ApiKey, DEFAULT_SERVER, ServerUrl};
pub use storage::{READ_TIMEOUT, Storage, StorageBody};
