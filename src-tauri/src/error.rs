//! Errors as the UI receives them: a stable `code` to branch on, a `message` for people, and for
//! form input the `field` it is about.

use export_engine::EngineError;
use serde::Serialize;
use ts_rs::TS;

/// An error the UI can show and act on. The UI matches on `code`, never on `message`.
///
/// Codes are the engine's and the API client's stable identifiers (`unauthorized`,
/// `invalid_request`, `network_gave_up`...) plus the app's own in [`codes`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct CommandError {
    pub code: String,
    pub message: String,
    /// The form field an input error is about (`owner`, `project`, `tags`, `name`, `server`, `key`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub field: Option<String>,
}

/// The app's own error codes. Add codes; never rename one, since the UI depends on the spelling.
pub mod codes {
    /// The embedded demo sandbox could not start (for example no free loopback port).
    pub const SANDBOX_START_FAILED: &str = "sandbox_start_failed";
    /// The demo workspace is still starting; try again in a moment.
    pub const DEMO_NOT_READY: &str = "demo_not_ready";
    /// A profile's name, server or key is not acceptable.
    pub const INVALID_PROFILE: &str = "invalid_profile";
    /// The job is not running in this app, so it cannot be cancelled or watched live.
    pub const JOB_NOT_RUNNING: &str = "job_not_running";
    /// A file the UI asked to open or reveal is not inside the export it named.
    pub const FILE_NOT_IN_EXPORT: &str = "file_not_in_export";
    /// The file manager or default app could not be opened.
    pub const OPEN_FAILED: &str = "open_failed";
}

impl CommandError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self { code: code.to_owned(), message: message.into(), field: None }
    }

    pub fn on_field(mut self, field: &str) -> Self {
        self.field = Some(field.to_owned());
        self
    }
}

impl From<EngineError> for CommandError {
    fn from(error: EngineError) -> Self {
        let field = match &error {
            EngineError::Request(request) => Some(request.field().to_owned()),
            _ => None,
        };
        let message = match &error {
            // The engine's own wording names the CLI; in the app the fix is in Profiles.
            EngineError::NoKey { profile } => {
                format!("No API key is stored for profile {profile:?}. Add it under Profiles.")
            }
            EngineError::JobNotFound { .. } => "That export is no longer in the library or the job list; refresh and try again.".to_owned(),
            other => other.to_string(),
        };
        Self { code: error.code().to_owned(), message, field }
    }
}

impl From<annolab_api::ApiError> for CommandError {
    fn from(error: annolab_api::ApiError) -> Self {
        Self::new(error.id(), error.to_string())
    }
}

impl std::fmt::Display for CommandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CommandError {}
