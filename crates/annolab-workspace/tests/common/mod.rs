//! What the workspace tests share: a workspace over a private home with the demo server
//! running, and a demo export run to its end as the app runs it.

// Each test file compiles this module on its own and uses part of it.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use annolab_workspace::accounts::{Accounts, DEMO_PROFILE};
use annolab_workspace::exports::{Exports, JobView, Watcher};
use annolab_workspace::settings::Settings;
use annolab_workspace::{DemoOptions, DemoWorkspace};
use export_engine::{ExportInput, JobState, Profiles};

pub struct App {
    pub exports: Exports,
    pub demo: Arc<DemoWorkspace>,
    pub settings: Arc<Settings>,
    pub home: tempfile::TempDir,
}

pub async fn app_with_demo(instruments: u64) -> App {
    let home = tempfile::tempdir().unwrap();
    let settings = Arc::new(Settings::load(&home.path().join("config"), home.path().join("library")));
    let demo = Arc::new(DemoWorkspace::new());
    demo.start_demo(DemoOptions { data_dir: Some(home.path().join("demo-server")), instruments: Some(instruments), ..DemoOptions::default() }).await;
    let accounts = Arc::new(Accounts::new(Profiles::new(&home.path().join("config")), Arc::clone(&settings), Arc::clone(&demo)));
    let exports = Exports::new(Arc::clone(&accounts), Arc::new(|_: &JobView| {}));
    App { exports, demo, settings, home }
}

pub fn demo_input() -> ExportInput {
    ExportInput { owner: "Group Name owning project".into(), project: "Example Project Name".into(), include_files: true, ..ExportInput::default() }
}

/// Runs a demo export to its end and returns its last view.
pub async fn export(app: &App) -> JobView {
    let seen = Arc::new(Mutex::new(None::<JobView>));
    let sink = Arc::clone(&seen);
    let watcher: Watcher = Arc::new(move |view: JobView| *sink.lock().unwrap() = Some(view));
    app.exports.start(DEMO_PROFILE, demo_input(), watcher).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(view) = seen.lock().unwrap().clone().filter(|v| v.status != JobState::Running) {
            assert_eq!(view.status, JobState::Done, "{:?}", view.error);
            return view;
        }
        assert!(tokio::time::Instant::now() < deadline, "the export did not end");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
