//! The demo workspace: the embedded sandbox server, started with the app and stopped on exit.

use annolab_sandbox::{Sandbox, SandboxConfig};
use tokio::sync::Mutex;

use crate::{CommandError, DemoProject, ErrorCode, SandboxStatus};

/// Holds the running sandbox (if any) and the status the UI reads.
pub struct DemoWorkspace {
    inner: Mutex<Inner>,
}

struct Inner {
    status: SandboxStatus,
    sandbox: Option<Sandbox>,
}

impl DemoWorkspace {
    /// A workspace whose sandbox is about to start.
    pub fn new() -> Self {
        Self {
            inner: Mutex::new(Inner {
                status: SandboxStatus::Starting,
                sandbox: None,
            }),
        }
    }

    /// Starts the demo sandbox on loopback and records the outcome.
    pub async fn start_demo(&self) {
        let started = Sandbox::start(SandboxConfig::demo()).await;
        match started {
            Ok(sandbox) => {
                tracing::info!(url = %sandbox.api_url(), "demo sandbox running");
                self.record_running(sandbox).await;
            }
            Err(err) => {
                tracing::error!("demo sandbox failed to start: {err}");
                self.record_failure(err.to_string().trim_end_matches('.').to_owned())
                    .await;
            }
        }
    }

    /// The status to show the UI now.
    pub async fn status(&self) -> SandboxStatus {
        self.inner.lock().await.status.clone()
    }

    /// Stops the sandbox gracefully, if one is running. Safe to call more than once.
    pub async fn stop(&self) {
        let sandbox = self.inner.lock().await.sandbox.take();
        if let Some(sandbox) = sandbox {
            sandbox.shutdown().await;
        }
    }

    async fn record_running(&self, sandbox: Sandbox) {
        let mut inner = self.inner.lock().await;
        inner.status = SandboxStatus::Running {
            api_url: sandbox.api_url(),
            project: DemoProject::from(sandbox.project()),
        };
        inner.sandbox = Some(sandbox);
    }

    async fn record_failure(&self, reason: String) {
        let message = format!(
            "The demo workspace could not start: {reason}. Restart the app; if it keeps failing, \
             check that this computer allows programs to listen on 127.0.0.1."
        );
        self.inner.lock().await.status = SandboxStatus::Failed {
            error: CommandError::new(ErrorCode::SandboxStartFailed, message),
        };
    }
}

impl Default for DemoWorkspace {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_new_workspace_is_starting() {
        assert_eq!(DemoWorkspace::new().status().await, SandboxStatus::Starting);
    }

    #[tokio::test]
    async fn the_demo_sandbox_runs_on_loopback_with_the_documented_project() {
        let workspace = DemoWorkspace::new();
        workspace.start_demo().await;

        let SandboxStatus::Running { api_url, project } = workspace.status().await else {
            panic!("expected running, got {:?}", workspace.status().await);
        };
        assert!(api_url.starts_with("http://127.0.0.1:"), "{api_url}");
        assert_eq!(project.owner, "Group Name owning project");
        assert_eq!(project.name, "Example Project Name");
        assert!(project.instrument_count > 0);

        workspace.stop().await;
        workspace.stop().await;
    }

    #[tokio::test]
    async fn a_start_failure_reaches_the_ui_with_a_stable_code() {
        let workspace = DemoWorkspace::new();
        workspace.record_failure("address in use".into()).await;

        let SandboxStatus::Failed { error } = workspace.status().await else {
            panic!("expected failed");
        };
        assert_eq!(error.code, ErrorCode::SandboxStartFailed);
        assert!(
            error.message.contains("address in use"),
            "{}",
            error.message
        );
    }
}
