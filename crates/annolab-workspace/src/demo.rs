//! The demo workspace: the embedded sandbox server, started with the app and stopped on exit.
//!
//! Its archives live in a folder that outlasts the app, so a demo export interrupted by quitting
//! resumes its download on the next launch, though the server then listens on a new port.

use std::path::PathBuf;

use annolab_api::{ApiKey, Client, ServerUrl};
use annolab_sandbox::{Fault, Sandbox, SandboxConfig};
use export_engine::JobRecord;
use tokio::sync::Mutex;

use crate::error::{CommandError, WorkspaceError, WorkspaceErrorCode};
use crate::status::{DemoProject, SandboxStatus};

/// How the demo sandbox is run: where it keeps archives, and faults to inject (for trying the
/// app against a misbehaving server, and for the end-to-end tests).
#[derive(Debug, Clone, Default)]
pub struct DemoOptions {
    pub data_dir: Option<PathBuf>,
    pub faults: Vec<Fault>,
    /// How many instruments the demo project has (`ANNOLAB_DEMO_INSTRUMENTS`, for trying the
    /// browser on a large export); the sandbox's default when `None`.
    pub instruments: Option<u64>,
    /// The demo project this many weeks later (instruments added, edited and removed,
    /// deterministically; up to [`MAX_WEEKS`]), to see what a diff shows.
    pub week: u32,
}

/// The latest week the demo project can move to.
pub use annolab_sandbox::later::MAX_WEEKS;

impl DemoOptions {
    /// `ANNOLAB_DEMO_INSTRUMENTS`, when it is a whole number from 1 to 1,000,000.
    pub fn instruments_from_env() -> Option<u64> {
        let text = std::env::var("ANNOLAB_DEMO_INSTRUMENTS").ok()?;
        match text.trim().parse::<u64>() {
            Ok(n) if (1..=1_000_000).contains(&n) => Some(n),
            _ => {
                tracing::warn!("ANNOLAB_DEMO_INSTRUMENTS={text:?} is not a number from 1 to 1000000; using the default");
                None
            }
        }
    }

    /// Faults from `ANNOLAB_DEMO_FAULTS`, `;`-separated in the sandbox's `--fault` syntax
    /// (`bandwidth=200k;cut-download=1`). A fault that does not parse is logged and skipped.
    pub fn faults_from_env() -> Vec<Fault> {
        let Ok(text) = std::env::var("ANNOLAB_DEMO_FAULTS") else { return Vec::new() };
        text.split(';')
            .map(str::trim)
            .filter(|spec| !spec.is_empty())
            .filter_map(|spec| match spec.parse::<Fault>() {
                Ok(fault) => Some(fault),
                Err(reason) => {
                    tracing::warn!("ANNOLAB_DEMO_FAULTS: ignoring {spec:?}: {reason}");
                    None
                }
            })
            .collect()
    }
}

/// Holds the running sandbox (if any) and the status the UI reads.
pub struct DemoWorkspace {
    inner: Mutex<Inner>,
}

struct Inner {
    status: SandboxStatus,
    sandbox: Option<Sandbox>,
    /// How the sandbox was started, to start it again a week later.
    options: DemoOptions,
}

impl DemoWorkspace {
    /// A workspace whose sandbox is about to start.
    pub fn new() -> Self {
        Self { inner: Mutex::new(Inner { status: SandboxStatus::Starting, sandbox: None, options: DemoOptions::default() }) }
    }

    /// Starts the demo sandbox on loopback and records the outcome.
    pub async fn start_demo(&self, options: DemoOptions) {
        let mut inner = self.inner.lock().await;
        inner.options = options;
        Self::launch(&mut inner).await;
    }

    /// Moves the demo project on a week ("Simulate a week of new records"): restarts the sandbox
    /// serving the next week, with the same data folder, so its finished archives stay and job
    /// ids go on. Returns the week it serves now. Refused at [`MAX_WEEKS`] and while the demo
    /// is not running.
    pub async fn next_week(&self) -> Result<u32, CommandError> {
        let mut inner = self.inner.lock().await;
        if inner.sandbox.is_none() {
            return Err(CommandError::new(WorkspaceErrorCode::DemoNotReady, "The demo workspace is not running, so it cannot move on a week."));
        }
        if inner.options.week >= MAX_WEEKS {
            return Err(CommandError::new(
                WorkspaceErrorCode::DemoWeekRefused,
                format!("The demo project is at its last simulated week ({MAX_WEEKS}); it does not go further."),
            ));
        }
        if let Some(sandbox) = inner.sandbox.take() {
            sandbox.shutdown().await;
        }
        inner.options.week += 1;
        inner.status = SandboxStatus::Starting;
        Self::launch(&mut inner).await;
        match &inner.status {
            SandboxStatus::Failed { error } => Err(error.clone()),
            _ => Ok(inner.options.week),
        }
    }

    async fn launch(inner: &mut Inner) {
        let options = inner.options.clone();
        let mut config = SandboxConfig { data_dir: options.data_dir, faults: options.faults, week: options.week, ..SandboxConfig::demo() };
        if let Some(instruments) = options.instruments {
            config.sources = annolab_sandbox::SourceSet::Generated { instruments };
        }
        match Sandbox::start(config).await {
            Ok(sandbox) => {
                tracing::info!(url = %sandbox.api_url(), week = options.week, "demo sandbox running");
                inner.status = SandboxStatus::Running {
                    api_url: sandbox.api_url(),
                    project: DemoProject::from(sandbox.project()),
                    week: options.week,
                    last_week: MAX_WEEKS,
                };
                inner.sandbox = Some(sandbox);
            }
            Err(err) => {
                tracing::error!("demo sandbox failed to start: {err}");
                inner.status = SandboxStatus::Failed { error: failure(err.to_string().trim_end_matches('.')) };
            }
        }
    }

    /// The status to show the UI now.
    pub async fn status(&self) -> SandboxStatus {
        self.inner.lock().await.status.clone()
    }

    /// A client for the demo server, once it runs. The demo key goes from the sandbox straight
    /// into the client; the UI never sees it.
    pub async fn client(&self) -> Result<Client, WorkspaceError> {
        let inner = self.inner.lock().await;
        match (&inner.sandbox, &inner.status) {
            (Some(sandbox), _) => {
                let server = ServerUrl::parse(&sandbox.api_url())?;
                Ok(Client::new(server, ApiKey::new(sandbox.key())?)?)
            }
            (None, SandboxStatus::Failed { error }) => {
                Err(WorkspaceError::Demo { code: WorkspaceErrorCode::SandboxStartFailed, message: error.message.clone() })
            }
            (None, _) => Err(WorkspaceError::Demo {
                code: WorkspaceErrorCode::DemoNotReady,
                message: "The demo workspace is still starting; try again in a moment.".to_owned(),
            }),
        }
    }

    /// Points a stored demo job at the demo server running now, which listens on a new port
    /// after a restart. The one resume rule for demo jobs, in the app and the CLI: a job this
    /// server knows (finished in an earlier run with the same data folder, as the app's is) is
    /// polled again where it moved; one it does not know (the CLI's demo server keeps nothing,
    /// and a job still processing is lost with its server) asks again. The demo export is
    /// deterministic, so the new archive is the same bytes and the download resumes.
    pub async fn follow(&self, job: &mut JobRecord) -> Result<(), WorkspaceError> {
        let client = self.client().await?;
        let inner = self.inner.lock().await;
        let known = inner.sandbox.as_ref().zip(job.remote_job_id).is_some_and(|(sandbox, id)| sandbox.knows_job(id));
        job.move_to(client.server().as_str());
        if !known {
            job.status_url = None;
            job.remote_job_id = None;
        }
        Ok(())
    }

    /// Stops the sandbox gracefully, if one is running. Safe to call more than once.
    pub async fn stop(&self) {
        let sandbox = self.inner.lock().await.sandbox.take();
        if let Some(sandbox) = sandbox {
            sandbox.shutdown().await;
        }
    }

    #[cfg(test)]
    async fn record_failure(&self, reason: String) {
        self.inner.lock().await.status = SandboxStatus::Failed { error: failure(&reason) };
    }
}

fn failure(reason: &str) -> CommandError {
    let message = format!(
        "The demo workspace could not start: {reason}. Restart the app; if it keeps failing, \
         check that this computer allows programs to listen on 127.0.0.1."
    );
    CommandError::new(WorkspaceErrorCode::SandboxStartFailed, message)
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
        workspace.start_demo(DemoOptions::default()).await;

        let SandboxStatus::Running { api_url, project, .. } = workspace.status().await else {
            panic!("expected running, got {:?}", workspace.status().await);
        };
        assert!(api_url.starts_with("http://127.0.0.1:"), "{api_url}");
        assert_eq!(project.owner, "Group Name owning project");
        assert_eq!(project.name, "Example Project Name");
        assert!(project.instrument_count > 0);

        let client = workspace.client().await.expect("a client for the running demo");
        assert_eq!(client.server().as_str().trim_end_matches('/'), api_url);

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
        assert_eq!(error.code, WorkspaceErrorCode::SandboxStartFailed);
        assert!(error.message.contains("address in use"), "{}", error.message);
    }
}
