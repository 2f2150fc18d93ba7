//! The AnnoLab Exporter desktop app: a thin Tauri adapter over the exporter's libraries.
//!
//! It owns no export logic: the state it manages is `annolab-workspace`'s (the same accounts,
//! settings, demo server, job runner and browser session the CLI uses), the commands in
//! [`commands`] are one-line adapters over it, and every type the UI sees is exported to
//! TypeScript with ts-rs (see [`bindings`]). What is the app's own: the window, its plugins,
//! notifications and how the web view paints ([`painting`]).

pub mod bindings;
pub mod commands;
pub mod menu;
pub mod painting;
pub mod updates;

use std::sync::{Arc, Mutex};

use annolab_workspace::browse::Browsers;
use annolab_workspace::exports::{Exports, JobView};
use annolab_workspace::library::ImportProposal;
use annolab_workspace::{DemoOptions, DemoWorkspace, Workspace};
use export_engine::{Library, Profiles};
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, RunEvent};
use tauri_plugin_window_state::StateFlags;

/// The product's name, as the window title and the menus give it.
pub use annolab_workspace::taskbar::PRODUCT;

/// Builds and runs the app until its last window closes.
pub fn run() {
    let app = tauri::Builder::default()
        // First, so a second launch hands over to the running app before anything else starts.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| show_main_window(app)))
        .plugin(logging())
        // The window starts hidden and is shown once its page has loaded (on_page_load), so
        // its size and place are restored here but not its visibility.
        .plugin(tauri_plugin_window_state::Builder::default().with_state_flags(StateFlags::all() & !StateFlags::VISIBLE).build())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_drag::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_updater::Builder::new().build())
        // Shown once its page has loaded, not before. Shown while its page loads, a window with
        // a menu bar leaves WebKitGTK holding a spare copy of the window's pixels in the app
        // process: about 6 MB at rest, measured (docs/benchmarks.md, P8). A loaded page is also
        // what a user should see first, not a blank window.
        .on_page_load(|webview, payload| {
            if payload.event() == tauri::webview::PageLoadEvent::Finished {
                show_at_start(webview.app_handle());
            }
        })
        .on_window_event(|window, event| {
            if let tauri::WindowEvent::DragDrop(tauri::DragDropEvent::Drop { paths, .. }) = event {
                window.state::<Arc<Drops>>().dropped(paths);
            }
        })
        .setup(|app| {
            let handle = app.handle().clone();
            painting::apply(&handle);
            let (Workspace { demo, accounts, .. }, exports) = state(&handle)?;
            // The week "Simulate a week of new records" last moved the demo project to.
            let demo_week = accounts.settings().demo_week();
            allow_library_assets(&handle, &accounts.settings().library());
            apply_theme(&handle, accounts.settings().preferences().theme);
            app.manage(Arc::clone(&demo));
            app.manage(accounts);
            app.manage(Arc::clone(&exports));
            app.manage(Arc::new(Browsers::default()));
            app.manage(Arc::new(Drops::default()));
            app.manage(Arc::new(menu::MenuChannel::default()));
            app.manage(Arc::new(updates::Pending::default()));
            if let Err(error) = menu::install(&handle) {
                tracing::warn!("could not set the menu bar: {error}");
            }
            // The window is created hidden and shown once its page has loaded (on_page_load
            // above). Should that never happen, it is shown all the same after a while.
            let fallback = handle.clone();
            std::thread::spawn(move || {
                std::thread::sleep(SHOW_AT_THE_LATEST);
                let window = fallback.clone();
                let _ = fallback.run_on_main_thread(move || show_at_start(&window));
            });

            let options = DemoOptions {
                data_dir: handle.path().app_local_data_dir().ok().map(|dir| dir.join("demo-server")),
                faults: DemoOptions::faults_from_env(),
                instruments: DemoOptions::instruments_from_env(),
                week: demo_week,
            };
            tauri::async_runtime::spawn(follow_on_taskbar(handle.clone(), Arc::clone(&exports)));
            tauri::async_runtime::spawn(async move {
                demo.start_demo(options).await;
                // Demo jobs need the demo server, so interrupted jobs resume once it runs.
                exports.resume_interrupted().await;
            });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::sandbox_status,
            commands::demo_next_week,
            commands::profiles_list,
            commands::profile_save,
            commands::profile_remove,
            commands::profile_select,
            commands::profile_test,
            commands::export_validate,
            commands::export_suggestions,
            commands::export_check_project,
            commands::export_start,
            commands::jobs_list,
            commands::job_watch,
            commands::job_cancel,
            commands::job_retry,
            commands::job_dismiss,
            commands::job_discard,
            commands::jobs_clear_finished,
            commands::library_list,
            commands::library_changes,
            commands::library_open,
            commands::library_reveal,
            commands::library_delete,
            commands::library_choose_folder,
            commands::library_move,
            commands::library_pick_zip,
            commands::library_import,
            commands::window_drops,
            commands::window_menu,
            commands::update_check,
            commands::update_check_daily,
            commands::update_install,
            commands::update_settings,
            commands::preferences,
            commands::browse_open,
            commands::browse_page,
            commands::browse_groups,
            commands::browse_sources,
            commands::browse_details,
            commands::browse_save_csv,
            commands::browse_merge,
            commands::browse_open_file,
            commands::browse_reveal_file,
            commands::browse_drag_items,
            commands::browse_drag_file,
            commands::browse_timeline,
            commands::browse_save_package,
            commands::browse_copy_pdfs,
        ])
        .build(tauri::generate_context!());

    let app = match app {
        Ok(app) => app,
        Err(err) => {
            // Nothing to show a window with: the platform refused to create the app.
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

/// The shared state: profiles and settings in the config folder the CLI uses too, the library
/// in the user's data folder unless the user chose another.
fn state(app: &AppHandle) -> Result<(Workspace, Arc<Exports>), Box<dyn std::error::Error>> {
    let config_dir = Profiles::default_dir().ok_or("no per-user config folder could be found (is HOME set?)")?;
    let default_library = Library::default_root().ok_or("no per-user data folder could be found (is HOME set?)")?;
    let workspace = Workspace::open(&config_dir, default_library, None);
    let (notifier, accounts) = (app.clone(), Arc::clone(&workspace.accounts));
    let on_end = move |view: &JobView| {
        // "Tell me when an export ends" in the Settings tab.
        if accounts.settings().notifications() {
            notify_ended(&notifier, view);
        }
    };
    let exports = Arc::new(Exports::new(Arc::clone(&workspace.accounts), Arc::new(on_end)));
    Ok((workspace, exports))
}

/// Logs to the platform log folder and stderr. Only what the engine and app log at info and
/// above goes there; no code path logs a key, and the e2e tests check the folder for one.
fn logging() -> tauri::plugin::TauriPlugin<tauri::Wry> {
    use tauri_plugin_log::{Target, TargetKind};
    tauri_plugin_log::Builder::new()
        .clear_targets()
        .targets([Target::new(TargetKind::LogDir { file_name: None }), Target::new(TargetKind::Stderr)])
        .level(log::LevelFilter::Info)
        // HTTP internals log connection details at debug level at most; keep them out regardless.
        .level_for("hyper", log::LevelFilter::Warn)
        .level_for("reqwest", log::LevelFilter::Warn)
        // The keychain's D-Bus traffic (zbus) logs each handshake at info; it is noise, and
        // the secret travels through it.
        .level_for("zbus", log::LevelFilter::Warn)
        .level_for("tracing::span", log::LevelFilter::Warn)
        .build()
}

/// Lets the web view read files of the library (the PDF viewer) and nothing else.
pub(crate) fn allow_library_assets(app: &AppHandle, library: &Library) {
    if let Err(error) = std::fs::create_dir_all(library.root()) {
        tracing::warn!("could not create the library folder {}: {error}", library.root().display());
    }
    if let Err(error) = app.asset_protocol_scope().allow_directory(library.root(), true) {
        tracing::warn!("could not allow the library folder to the viewer: {error}");
    }
}

/// Files dropped onto the window: each `.zip` is offered to the UI as an export zip to open.
#[derive(Default)]
pub struct Drops(Mutex<Option<Channel<ImportProposal>>>);

impl Drops {
    /// The UI's channel; a reloaded window's new channel replaces the old one.
    pub fn listen(&self, channel: Channel<ImportProposal>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(channel);
    }

    fn dropped(&self, paths: &[std::path::PathBuf]) {
        let channel = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let Some(channel) = channel.as_ref() else { return };
        for proposal in paths.iter().filter_map(|path| ImportProposal::for_file(path)) {
            // A window that went away drops its channel; the drop is then nobody's.
            let _ = channel.send(proposal);
        }
    }
}

/// Shows running exports outside the window as long as the app runs: the taskbar, dock or
/// launcher progress bar, a badge with how many run, and the window title
/// ([`annolab_workspace::taskbar`] decides what; this only applies it when it changes).
async fn follow_on_taskbar(app: AppHandle, exports: Arc<Exports>) {
    use annolab_workspace::taskbar::{Progress, Taskbar};
    use tauri::window::{ProgressBarState, ProgressBarStatus};
    let mut shown: Option<Taskbar> = None;
    loop {
        let taskbar = Taskbar::of(&exports.running());
        if shown.as_ref() != Some(&taskbar)
            && let Some(window) = app.get_webview_window("main")
        {
            let (status, progress) = match taskbar.progress {
                Progress::None => (ProgressBarStatus::None, None),
                Progress::Indeterminate => (ProgressBarStatus::Indeterminate, None),
                Progress::Percent(p) => (ProgressBarStatus::Normal, Some(u64::from(p))),
            };
            // Each is best effort: Linux shows the bar and badge only with libunity, and Windows
            // has no badge count (the title carries the count everywhere).
            let shown_bar = window.set_progress_bar(ProgressBarState { status: Some(status), progress });
            let shown_badge = window.set_badge_count((taskbar.running > 0).then_some(i64::from(taskbar.running)));
            let shown_title = window.set_title(&taskbar.title);
            for error in [shown_bar.err(), shown_badge.err(), shown_title.err()].into_iter().flatten() {
                tracing::debug!("the taskbar did not take the exports' progress: {error}");
            }
            shown = Some(taskbar);
        }
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    }
}

/// Tells the user an export ended when they are looking elsewhere.
fn notify_ended(app: &AppHandle, view: &JobView) {
    use tauri_plugin_notification::NotificationExt;
    let focused = app.get_webview_window("main").and_then(|w| w.is_focused().ok()).unwrap_or(false);
    // A test seam of debug builds: under Xvfb, with no window manager, the only window is always
    // in front, so the end-to-end test of notifications (tests/e2e/tests/notify.rs) asks for
    // them anyway. Release builds ignore it.
    let in_front_too = cfg!(debug_assertions) && std::env::var_os("ANNOLAB_NOTIFY_IN_FRONT").is_some();
    if focused && !in_front_too {
        return;
    }
    let Some(notice) = view.notice() else { return };
    if let Err(error) = app.notification().builder().title(notice.title).body(notice.body).show() {
        tracing::warn!("could not show a notification: {error}");
    }
}

/// The window's frame (title bar) in the theme the Settings tab chose; the page follows it by
/// itself (`ui/src/lib/theme.ts`).
pub(crate) fn apply_theme(app: &AppHandle, theme: annolab_workspace::settings::Theme) {
    use annolab_workspace::settings::Theme;
    let chosen = match theme {
        Theme::System => None,
        Theme::Light => Some(tauri::Theme::Light),
        Theme::Dark => Some(tauri::Theme::Dark),
    };
    if let Some(window) = app.get_webview_window("main")
        && let Err(error) = window.set_theme(chosen)
    {
        tracing::warn!("could not set the window's theme: {error}");
    }
}

/// How long the window may stay hidden at start if its page never reports loaded.
const SHOW_AT_THE_LATEST: std::time::Duration = std::time::Duration::from_secs(10);

/// Shows the main window if it is still hidden, as it is at start. A later page load (a
/// reload) finds it shown and leaves the window and the focus as they are.
fn show_at_start(app: &AppHandle) {
    if app.get_webview_window("main").is_some_and(|window| !window.is_visible().unwrap_or(true)) {
        show_main_window(app);
    }
}

fn show_main_window(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_dropped_zips_reach_the_ui_and_only_once_it_listens() {
        let sent = Arc::new(Mutex::new(Vec::<String>::new()));
        let drops = Drops::default();
        drops.dropped(&["/before/listening.zip".into()]);
        drops.listen(Channel::new({
            let sent = Arc::clone(&sent);
            move |body| {
                if let tauri::ipc::InvokeResponseBody::Json(json) = body {
                    sent.lock().unwrap().push(json);
                }
                Ok(())
            }
        }));
        drops.dropped(&["/exports/example_export.zip".into(), "/exports/notes.txt".into(), "/exports/N453MC.ZIP".into()]);
        let sent = sent.lock().unwrap();
        assert_eq!(sent.len(), 2, "{sent:?}");
        assert!(sent[0].contains("\"project\":\"example_export\"") && sent[1].contains("\"project\":\"N453MC\""), "{sent:?}");
    }
}
