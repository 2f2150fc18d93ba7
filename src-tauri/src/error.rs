//! Errors as the UI receives them: a stable `code` to branch on and a `message` for people.

use serde::Serialize;
use ts_rs::TS;

/// An error the UI can show and act on. The UI matches on `code`, never on `message`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct CommandError {
    pub code: ErrorCode,
    pub message: String,
}

impl CommandError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for CommandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CommandError {}

/// Stable error codes. Add variants; never rename one, since the UI depends on the spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The embedded demo sandbox could not start (for example no free loopback port).
    SandboxStartFailed,
}
