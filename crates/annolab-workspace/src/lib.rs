//! The exporter's workspace, shared by both front ends (the desktop app and `annolab-export`),
//! with no Tauri dependency: what sits between a person and the export engine.
//!
//! - [`accounts`]: profiles and their keys (shared with the CLI's `profiles.json`), and the one
//!   path from a profile to a client and an engine, including the one resume rule for a
//!   stored job;
//! - [`settings`]: the selected profile, where the library is, recent owners and projects;
//! - [`demo`]: the embedded demo server ([`status`] is how the UI sees it);
//! - [`exports`]: the live job runner, which runs the engine's jobs and hands each change of a
//!   job's [`exports::JobView`] to whoever watches it (the app's channel for that job);
//! - [`library`] and [`browse`]: finished exports as the app lists them, and the browser's
//!   session (one open index per export);
//! - [`error`]: [`WorkspaceError`] for the shared paths, [`CommandError`] as the UI receives it.
//!
//! [`Workspace::open`] puts them together the same way for the app and the CLI.

pub mod accounts;
pub mod browse;
pub mod changes;
pub mod demo;
pub mod error;
pub mod exports;
pub mod library;
pub mod settings;
pub mod status;
pub mod taskbar;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use accounts::Accounts;
pub use demo::{DemoOptions, DemoWorkspace};
pub use error::{Code, CommandError, WorkspaceError, WorkspaceErrorCode};
pub use export_engine::DEMO_PROFILE;
pub use settings::Settings;

/// Settings, the demo server and the accounts over them, as both front ends open them.
pub struct Workspace {
    pub settings: Arc<Settings>,
    pub demo: Arc<DemoWorkspace>,
    pub accounts: Arc<Accounts>,
}

impl Workspace {
    /// The workspace of `config_dir` (profiles and settings), its library at `library` when
    /// given (for this run only), else where the settings say, else at `default_library`. The
    /// demo server is not started: call [`DemoWorkspace::start_demo`] when the demo is wanted.
    /// What a process killed at the end of a job left in the library is settled first
    /// ([`export_engine::settle_leftovers`]).
    pub fn open(config_dir: &Path, default_library: PathBuf, library: Option<PathBuf>) -> Self {
        let settings = Settings::load(config_dir, default_library);
        let settings = Arc::new(match library {
            Some(root) => settings.with_library(root),
            None => settings,
        });
        export_engine::settle_leftovers(&settings.library());
        let demo = Arc::new(DemoWorkspace::new());
        let accounts = Arc::new(Accounts::new(export_engine::Profiles::new(config_dir), Arc::clone(&settings), Arc::clone(&demo)));
        Workspace { settings, demo, accounts }
    }
}
