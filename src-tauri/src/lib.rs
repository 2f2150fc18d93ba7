//! The AnnoLab Exporter desktop app: a thin Tauri adapter over the exporter's libraries.
//!
//! It owns no logic of its own: on start it runs the embedded demo sandbox and answers the UI's
//! commands from managed state. Types the UI sees live in [`status`] and [`error`] and are
//! exported to TypeScript with ts-rs (see [`bindings`]).

pub mod bindings;
pub mod error;
pub mod status;
mod workspace;

pub use error::{CommandError, ErrorCode};
pub use status::{DemoProject, SandboxStatus};
pub use workspace::DemoWorkspace;

use std::sync::Arc;

use tauri::{Manager, RunEvent};

/// Builds and runs the app until its last window closes.
pub fn run() {
    init_tracing();

    let app = tauri::Builder::default()
        .setup(|app| {
            let workspace = Arc::new(DemoWorkspace::new());
            app.manage(Arc::clone(&workspace));
            tauri::async_runtime::spawn(async move { workspace.start_demo().await });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![commands::sandbox_status])
        .build(tauri::generate_context!());

    let app = match app {
        Ok(app) => app,
        Err(err) => {
            // Nothing to show a window with: the platform refused to create the app.
            tracing::error!("AnnoLab Exporter could not start: {err}");
            eprintln!("AnnoLab Exporter could not start: {err}");
            std::process::exit(1);
        }
    };

    app.run(|handle, event| {
        if let RunEvent::Exit = event {
            let workspace = handle.state::<Arc<DemoWorkspace>>();
            tauri::async_runtime::block_on(workspace.stop());
        }
    });
}

/// The commands the UI may call, each a one-line adapter over a library call.
mod commands {
    use std::sync::Arc;

    use tauri::State;

    use crate::{DemoWorkspace, SandboxStatus};

    #[tauri::command]
    pub async fn sandbox_status(
        workspace: State<'_, Arc<DemoWorkspace>>,
    ) -> Result<SandboxStatus, crate::CommandError> {
        Ok(workspace.status().await)
    }
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;

    let filter = EnvFilter::try_from_env("ANNOLAB_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    // Fails only if a subscriber is already set (e.g. by an embedding test), which is fine.
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}
