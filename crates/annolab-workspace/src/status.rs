//! What the UI is told about the embedded demo sandbox.

use serde::Serialize;
use ts_rs::TS;

use crate::error::CommandError;

/// The demo sandbox's lifecycle as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum SandboxStatus {
    /// The server is binding its ports and generating the demo project.
    Starting,
    /// The server answers at `api_url` (loopback) and serves `project`.
    #[serde(rename_all = "camelCase")]
    Running {
        api_url: String,
        project: DemoProject,
        /// How many simulated weeks later than generated the demo project is.
        week: u32,
        /// The last week it can move to.
        last_week: u32,
    },
    /// The server could not start; `error` says why.
    Failed { error: CommandError },
}

/// The project the demo sandbox serves. The API key is deliberately absent: it never leaves Rust.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DemoProject {
    pub owner: String,
    pub name: String,
    // JavaScript numbers hold instrument counts exactly far past the sandbox's maximum (1e6).
    #[ts(type = "number")]
    pub instrument_count: u64,
}

impl From<&annolab_sandbox::ProjectInfo> for DemoProject {
    fn from(project: &annolab_sandbox::ProjectInfo) -> Self {
        Self { owner: project.owner.clone(), name: project.name.clone(), instrument_count: project.instrument_count }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::WorkspaceErrorCode;
    use serde_json::json;

    #[test]
    fn running_status_has_the_shape_the_ui_reads() {
        let status = SandboxStatus::Running {
            api_url: "http://127.0.0.1:4000".into(),
            project: DemoProject { owner: "Group Name owning project".into(), name: "Example Project Name".into(), instrument_count: 120 },
            week: 2,
            last_week: 52,
        };
        assert_eq!(
            serde_json::to_value(status).unwrap(),
            json!({
                "state": "running",
                "apiUrl": "http://127.0.0.1:4000",
                "project": {
                    "owner": "Group Name owning project",
                    "name": "Example Project Name",
                    "instrumentCount": 120
                },
                "week": 2,
                "lastWeek": 52
            })
        );
    }

    #[test]
    fn failed_status_carries_a_stable_code_and_a_message() {
        let status = SandboxStatus::Failed { error: CommandError::new(WorkspaceErrorCode::SandboxStartFailed, "no port") };
        assert_eq!(serde_json::to_value(status).unwrap(), json!({"state": "failed", "error": {"code": "sandbox_start_failed", "message": "no port"}}));
        assert_eq!(serde_json::to_value(SandboxStatus::Starting).unwrap(), json!({"state": "starting"}));
    }
}
