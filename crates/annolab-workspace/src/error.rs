//! Errors, in two shapes: [`WorkspaceError`], what the workspace's shared paths (a profile's
//! client, the demo server, a job's engine) fail with, which the CLI turns into an exit code; and
//! [`CommandError`], an error as the app's UI receives it: a stable `code` to branch on, a
//! `message` for people, and for form input the `field` it is about.

use export_engine::{EngineError, EngineErrorCode, ErrorCode, FailureKind};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Why a shared workspace path failed: the engine's reasons, or the demo server's.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The demo server is starting (`demo_not_ready`) or could not start (`sandbox_start_failed`).
    #[error("{message}")]
    Demo { code: WorkspaceErrorCode, message: String },
}

impl WorkspaceError {
    pub fn code(&self) -> Code {
        match self {
            WorkspaceError::Engine(error) => Code::Engine(error.code()),
            WorkspaceError::Demo { code, .. } => Code::Workspace(*code),
        }
    }

    /// What kind of failure, for the CLI's exit code.
    pub fn kind(&self) -> FailureKind {
        match self {
            WorkspaceError::Engine(error) => error.kind(),
            WorkspaceError::Demo { .. } => FailureKind::Local,
        }
    }
}

impl From<annolab_api::ApiError> for WorkspaceError {
    fn from(error: annolab_api::ApiError) -> Self {
        WorkspaceError::Engine(error.into())
    }
}

/// An error the UI can show and act on. The UI matches on `code`, never on `message`.
///
/// Codes are the engine's and the API client's ([`ErrorCode`]: `unauthorized`,
/// `invalid_request`, `network_gave_up`...) plus the workspace's own ([`WorkspaceErrorCode`]); TypeScript
/// sees their union, so a `switch` on a misspelt code fails `svelte-check`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct CommandError {
    pub code: Code,
    pub message: String,
    /// The form field an input error is about (`owner`, `project`, `tags`, `name`, `server`, `key`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub field: Option<String>,
}

/// The code the UI receives: the workspace's own, or the engine's (the API client's included). It
/// travels as the bare code string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(untagged)]
pub enum Code {
    // First, so that reading a code back finds the workspace's own before the engine's catch-all.
    Workspace(WorkspaceErrorCode),
    Engine(ErrorCode),
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Workspace(code) => code.as_str(),
            Code::Engine(code) => code.as_str(),
        }
    }

    /// A code as job records keep it; one this version does not know is `unknown`.
    pub fn parse(text: &str) -> Code {
        serde_json::from_value(serde_json::Value::String(text.to_owned())).unwrap_or(Code::Engine(ErrorCode::Engine(EngineErrorCode::Unknown)))
    }
}

impl From<WorkspaceErrorCode> for Code {
    fn from(code: WorkspaceErrorCode) -> Self {
        Code::Workspace(code)
    }
}

impl From<ErrorCode> for Code {
    fn from(code: ErrorCode) -> Self {
        Code::Engine(code)
    }
}

impl PartialEq<WorkspaceErrorCode> for Code {
    fn eq(&self, other: &WorkspaceErrorCode) -> bool {
        *self == Code::Workspace(*other)
    }
}

/// The workspace's own error codes (the demo server, profiles, jobs and files as the app uses them). Add codes; never rename one, since the UI depends on the spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum WorkspaceErrorCode {
    /// The embedded demo sandbox could not start (for example no free loopback port).
    SandboxStartFailed,
    /// The demo workspace is still starting; try again in a moment.
    DemoNotReady,
    /// A profile's name, server or key is not acceptable.
    InvalidProfile,
    /// The job is not running in this app, so it cannot be cancelled or watched live.
    JobNotRunning,
    /// A file the UI asked to open or reveal is not inside the export it named.
    FileNotInExport,
    /// The file manager or default app could not be opened.
    OpenFailed,
    /// The export stopped when the app last closed; retrying resumes it.
    Interrupted,
    /// "Changes since" asked for gone instruments together with new or changed ones: gone ones
    /// are the older export's rows, shown on their own.
    ChangesGoneApart,
    /// The demo workspace cannot move on a week now (an export of it is running, or it is at
    /// its last week).
    DemoWeekRefused,
    /// The job is running in this app: cancel it before taking it off the list.
    JobRunning,
    /// The update server could not be reached or answered something unusable.
    UpdateFailed,
    /// An update's signature does not match the release key: it is never installed.
    UpdateSignatureInvalid,
    /// A setting was given a value outside what it allows (the message names the range).
    SettingOutOfRange,
}

impl WorkspaceErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            WorkspaceErrorCode::SandboxStartFailed => "sandbox_start_failed",
            WorkspaceErrorCode::DemoNotReady => "demo_not_ready",
            WorkspaceErrorCode::InvalidProfile => "invalid_profile",
            WorkspaceErrorCode::JobNotRunning => "job_not_running",
            WorkspaceErrorCode::FileNotInExport => "file_not_in_export",
            WorkspaceErrorCode::OpenFailed => "open_failed",
            WorkspaceErrorCode::Interrupted => "interrupted",
            WorkspaceErrorCode::ChangesGoneApart => "changes_gone_apart",
            WorkspaceErrorCode::DemoWeekRefused => "demo_week_refused",
            WorkspaceErrorCode::JobRunning => "job_running",
            WorkspaceErrorCode::UpdateFailed => "update_failed",
            WorkspaceErrorCode::UpdateSignatureInvalid => "update_signature_invalid",
            WorkspaceErrorCode::SettingOutOfRange => "setting_out_of_range",
        }
    }
}

impl CommandError {
    pub fn new(code: impl Into<Code>, message: impl Into<String>) -> Self {
        Self { code: code.into(), message: message.into(), field: None }
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
        Self { code: error.code().into(), message, field }
    }
}

impl From<WorkspaceError> for CommandError {
    fn from(error: WorkspaceError) -> Self {
        match error {
            WorkspaceError::Engine(error) => error.into(),
            WorkspaceError::Demo { code, message } => CommandError::new(code, message),
        }
    }
}

impl From<annolab_api::ApiError> for CommandError {
    fn from(error: annolab_api::ApiError) -> Self {
        Self::new(ErrorCode::Api(error.code()), error.to_string())
    }
}

impl std::fmt::Display for CommandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CommandError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_back_as_what_was_written() {
        for code in [
            Code::Workspace(WorkspaceErrorCode::Interrupted),
            Code::Engine(ErrorCode::Engine(EngineErrorCode::FileInUse)),
            Code::Engine(ErrorCode::Api(annolab_api::ApiErrorCode::Unauthorized)),
        ] {
            assert_eq!(serde_json::to_value(code).unwrap(), serde_json::Value::String(code.as_str().to_owned()));
            assert_eq!(Code::parse(code.as_str()), code);
        }
        assert_eq!(Code::parse("from_a_newer_version").as_str(), "unknown");
    }
}
