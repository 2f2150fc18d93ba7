//! The commands the UI may call, each a one-line adapter over a library call. Each is also
//! listed in build.rs, allowed in capabilities/default.json and called from ui/src/lib/backend.ts
//! (tests/commands.rs checks the four agree). Every one is `async`: Tauri runs a synchronous
//! command on the main thread, where it would freeze the window; those that touch the disk,
//! the keychain, a dialog or the file manager hand that work to `blocking`.

use std::path::Path;
use std::sync::Arc;

use export_engine::ExportInput;
use tauri::ipc::Channel;
use tauri::{AppHandle, State};

use export_engine::browse::{AttributeValue, Details, GroupBy, Groups, Page, Query};
use export_engine::package::Package;

use annolab_workspace::accounts::{Accounts, KeyCheck, ProfileInput, ProfilesView, ProjectCheck, Suggestions};
use annolab_workspace::browse::{Browsers, DragItems, ExportOverview, Saved, TimelineView};
use annolab_workspace::changes::{self, ExportChanges};
use annolab_workspace::exports::{Exports, JobView, Watcher};
use annolab_workspace::library::{self, ImportProposal, LibraryView};
use annolab_workspace::settings::Preferences;
use annolab_workspace::status::SandboxStatus;
use annolab_workspace::{CommandError, DemoWorkspace, WorkspaceErrorCode};
use export_engine::library::MoveProgress;

use crate::updates::{self, UpdateCheck, UpdateSettings};
use export_engine::{EngineErrorCode, ErrorCode};

type Result<T> = std::result::Result<T, CommandError>;

#[tauri::command]
pub async fn sandbox_status(workspace: State<'_, Arc<DemoWorkspace>>) -> Result<SandboxStatus> {
    Ok(workspace.status().await)
}

/// "Simulate a week of new records": the demo project, a week later.
#[tauri::command]
pub async fn demo_next_week(exports: State<'_, Arc<Exports>>) -> Result<SandboxStatus> {
    exports.next_demo_week().await
}

// The profile commands read the keychain (which may wait on an unlock prompt) and write the
// config folder: they run on a blocking thread, off the main thread and the runtime's workers.
#[tauri::command]
pub async fn profiles_list(accounts: State<'_, Arc<Accounts>>) -> Result<ProfilesView> {
    let accounts = Arc::clone(&accounts);
    blocking(move || accounts.list()).await
}

#[tauri::command]
pub async fn profile_save(accounts: State<'_, Arc<Accounts>>, input: ProfileInput) -> Result<ProfilesView> {
    let accounts = Arc::clone(&accounts);
    blocking(move || accounts.save(input)).await
}

#[tauri::command]
pub async fn profile_remove(accounts: State<'_, Arc<Accounts>>, name: String) -> Result<ProfilesView> {
    let accounts = Arc::clone(&accounts);
    blocking(move || accounts.remove(&name)).await
}

#[tauri::command]
pub async fn profile_select(accounts: State<'_, Arc<Accounts>>, name: String) -> Result<ProfilesView> {
    let accounts = Arc::clone(&accounts);
    blocking(move || accounts.select(&name)).await
}

#[tauri::command]
pub async fn profile_test(accounts: State<'_, Arc<Accounts>>, input: ProfileInput) -> Result<KeyCheck> {
    accounts.test(input).await
}

#[tauri::command]
pub async fn export_validate(input: ExportInput) -> Result<()> {
    Exports::validate(input).map(drop)
}

#[tauri::command]
pub async fn export_suggestions(accounts: State<'_, Arc<Accounts>>, profile: String) -> Result<Suggestions> {
    Ok(accounts.suggestions(&profile).await)
}

#[tauri::command]
pub async fn export_check_project(accounts: State<'_, Arc<Accounts>>, profile: String, owner: String, project: String) -> Result<ProjectCheck> {
    accounts.check_project(&profile, &owner, &project).await
}

#[tauri::command]
pub async fn export_start(exports: State<'_, Arc<Exports>>, profile: String, input: ExportInput, on_event: Channel<JobView>) -> Result<JobView> {
    exports.start(&profile, input, watcher(on_event)).await
}

#[tauri::command]
pub async fn jobs_list(exports: State<'_, Arc<Exports>>) -> Result<Vec<JobView>> {
    Ok(exports.list().await)
}

#[tauri::command]
pub async fn job_watch(exports: State<'_, Arc<Exports>>, id: String, on_event: Channel<JobView>) -> Result<JobView> {
    exports.watch(&id, watcher(on_event))
}

#[tauri::command]
pub async fn job_cancel(exports: State<'_, Arc<Exports>>, id: String) -> Result<JobView> {
    exports.cancel(&id)
}

#[tauri::command]
pub async fn job_retry(exports: State<'_, Arc<Exports>>, id: String, on_event: Channel<JobView>) -> Result<JobView> {
    exports.retry(&id, watcher(on_event)).await
}

/// Takes an ended job off the list; one that can still resume is refused.
#[tauri::command]
pub async fn job_dismiss(exports: State<'_, Arc<Exports>>, id: String) -> Result<Vec<JobView>> {
    exports.dismiss(&id).await
}

/// Forgets a failed or interrupted job with what it downloaded (asked twice in the UI).
#[tauri::command]
pub async fn job_discard(exports: State<'_, Arc<Exports>>, id: String) -> Result<Vec<JobView>> {
    exports.discard(&id).await
}

/// "Clear finished": every ended job that cannot resume off the list.
#[tauri::command]
pub async fn jobs_clear_finished(exports: State<'_, Arc<Exports>>) -> Result<Vec<JobView>> {
    Ok(exports.clear_finished().await)
}

// The library commands read every export's manifest, delete whole exports (thousands of
// files) or open a dialog or the file manager: all of it on a blocking thread.
#[tauri::command]
pub async fn library_list(accounts: State<'_, Arc<Accounts>>) -> Result<LibraryView> {
    let library = accounts.settings().library();
    blocking(move || Ok(LibraryView::of(&library))).await
}

/// What changed in the export at `dir` since the previous export of its project (a diff of
/// the two indexes the first time, then kept in the export's folder); None for the first.
#[tauri::command]
pub async fn library_changes(accounts: State<'_, Arc<Accounts>>, dir: String) -> Result<Option<ExportChanges>> {
    let library = accounts.settings().library();
    blocking(move || changes::since_previous(&library, Path::new(&dir))).await
}

#[tauri::command]
pub async fn library_open(app: AppHandle, accounts: State<'_, Arc<Accounts>>, dir: String) -> Result<()> {
    use tauri_plugin_opener::OpenerExt;
    let library = accounts.settings().library();
    blocking(move || {
        let entry = library.entry(Path::new(&dir))?;
        app.opener().open_path(entry.dir.display().to_string(), None::<&str>).map_err(open_failed)
    })
    .await
}

#[tauri::command]
pub async fn library_reveal(app: AppHandle, accounts: State<'_, Arc<Accounts>>, dir: String) -> Result<()> {
    use tauri_plugin_opener::OpenerExt;
    let library = accounts.settings().library();
    blocking(move || {
        let entry = library.entry(Path::new(&dir))?;
        app.opener().reveal_item_in_dir(&entry.dir).map_err(open_failed)
    })
    .await
}

#[tauri::command]
pub async fn library_delete(accounts: State<'_, Arc<Accounts>>, browsers: State<'_, Arc<Browsers>>, dir: String) -> Result<LibraryView> {
    let (library, browsers) = (accounts.settings().library(), Arc::clone(&browsers));
    blocking(move || browsers.delete(&library, &dir)).await
}

/// Asks for a new library folder. Exports already made stay where they are.
#[tauri::command]
pub async fn library_choose_folder(app: AppHandle, accounts: State<'_, Arc<Accounts>>) -> Result<LibraryView> {
    use tauri_plugin_dialog::DialogExt;
    let accounts = Arc::clone(&accounts);
    // The dialog waits for the user: a blocking thread waits with it, not a runtime worker.
    blocking(move || {
        let current = accounts.settings().library();
        let chosen = app.dialog().file().set_title("Choose the library folder").set_directory(current.root()).blocking_pick_folder();
        let Some(path) = chosen.and_then(|p| p.into_path().ok()) else {
            return Ok(LibraryView::of(&current));
        };
        accounts.settings().set_library_root(path)?;
        let library = accounts.settings().library();
        crate::allow_library_assets(&app, &library);
        Ok(LibraryView::of(&library))
    })
    .await
}

/// Asks for a new, empty folder and moves the whole library there, reporting its progress; None
/// if the user cancels the dialog. Refused while an export works or waits (`job_running`).
#[tauri::command]
pub async fn library_move(
    app: AppHandle,
    accounts: State<'_, Arc<Accounts>>,
    exports: State<'_, Arc<Exports>>,
    browsers: State<'_, Arc<Browsers>>,
    on_progress: Channel<MoveProgress>,
) -> Result<Option<LibraryView>> {
    use tauri_plugin_dialog::DialogExt;
    let (accounts, exports, browsers) = (Arc::clone(&accounts), Arc::clone(&exports), Arc::clone(&browsers));
    blocking(move || {
        let current = accounts.settings().library();
        let chosen = app.dialog().file().set_title("Move the library to an empty folder").blocking_pick_folder();
        let Some(to) = chosen.and_then(|p| p.into_path().ok()) else { return Ok(None) };
        let report = |progress: MoveProgress| {
            let _ = on_progress.send(progress);
        };
        let moved = library::move_library(accounts.settings(), &exports, &browsers, &to, &report)?;
        crate::allow_library_assets(&app, &accounts.settings().library());
        tracing::info!("the library moved from {} to {}", current.root().display(), moved.root);
        Ok(Some(moved))
    })
    .await
}

/// Asks for an export zip with the system dialog; None if the user cancels.
#[tauri::command]
pub async fn library_pick_zip(app: AppHandle) -> Result<Option<ImportProposal>> {
    use tauri_plugin_dialog::DialogExt;
    blocking(move || {
        let chosen = app.dialog().file().set_title("Open export zip").add_filter("Export zip", &["zip", "ZIP"]).blocking_pick_file();
        Ok(chosen.and_then(|p| p.into_path().ok()).and_then(|p| ImportProposal::for_file(&p)))
    })
    .await
}

/// Opens an export zip into the library under the owner and project the user kept.
#[tauri::command]
pub async fn library_import(accounts: State<'_, Arc<Accounts>>, proposal: ImportProposal) -> Result<LibraryView> {
    let library = accounts.settings().library();
    blocking(move || library::import_zip(&library, proposal)).await
}

/// Zip files dropped onto the window reach the UI on this channel, as import proposals.
#[tauri::command]
pub async fn window_drops(drops: State<'_, Arc<crate::Drops>>, on_drop: Channel<ImportProposal>) -> Result<()> {
    drops.listen(on_drop);
    Ok(())
}

/// Menu items the UI acts on reach it on this channel.
#[tauri::command]
pub async fn window_menu(menu: State<'_, Arc<crate::menu::MenuChannel>>, on_action: Channel<crate::menu::MenuAction>) -> Result<()> {
    menu.listen(on_action);
    Ok(())
}

/// "Check for Updates…": whether a newer version exists, with its notes.
#[tauri::command]
pub async fn update_check(app: AppHandle, accounts: State<'_, Arc<Accounts>>, pending: State<'_, Arc<updates::Pending>>) -> Result<UpdateCheck> {
    updates::check(&app, accounts.settings(), &pending).await
}

/// The daily look, when it is due and turned on; None otherwise or when it failed.
#[tauri::command]
pub async fn update_check_daily(app: AppHandle, accounts: State<'_, Arc<Accounts>>, pending: State<'_, Arc<updates::Pending>>) -> Result<Option<UpdateCheck>> {
    Ok(updates::check_if_due(&app, accounts.settings(), &pending).await)
}

/// Installs the update the last check found (its signature verified first), then restarts.
#[tauri::command]
pub async fn update_install(app: AppHandle, pending: State<'_, Arc<updates::Pending>>) -> Result<()> {
    updates::install(&app, &pending).await
}

/// The Settings tab's preferences, changed first when `change` is given. How many exports work
/// at once takes effect at once (fewer: as running ones end); the theme on the window's frame too.
#[tauri::command]
pub async fn preferences(
    app: AppHandle,
    accounts: State<'_, Arc<Accounts>>,
    exports: State<'_, Arc<Exports>>,
    change: Option<Preferences>,
) -> Result<Preferences> {
    if let Some(change) = change {
        accounts.settings().set_preferences(&change)?;
        exports.set_at_once(change.exports_at_once);
    }
    let preferences = accounts.settings().preferences();
    crate::apply_theme(&app, preferences.theme);
    Ok(preferences)
}

/// The update settings: the version running and whether the daily look is on.
#[tauri::command]
pub async fn update_settings(app: AppHandle, accounts: State<'_, Arc<Accounts>>, daily: Option<bool>) -> Result<UpdateSettings> {
    if let Some(daily) = daily {
        accounts.settings().set_check_updates(daily)?;
    }
    Ok(UpdateSettings { current: app.package_info().version.to_string(), daily: accounts.settings().check_updates() })
}

// The browse commands open and query an export's index on disk, under a lock another
// command (a CSV being saved) may hold: on a blocking thread, so the runtime never waits.
#[tauri::command]
pub async fn browse_open(accounts: State<'_, Arc<Accounts>>, browsers: State<'_, Arc<Browsers>>, dir: String) -> Result<ExportOverview> {
    let (library, browsers) = (accounts.settings().library(), Arc::clone(&browsers));
    blocking(move || browsers.overview(&library, &dir)).await
}

#[tauri::command]
pub async fn browse_page(
    accounts: State<'_, Arc<Accounts>>,
    browsers: State<'_, Arc<Browsers>>,
    dir: String,
    query: Query,
    offset: u64,
    limit: u64,
) -> Result<Page> {
    let (library, browsers) = (accounts.settings().library(), Arc::clone(&browsers));
    blocking(move || browsers.page(&library, &dir, &query, offset, limit)).await
}

#[tauri::command]
pub async fn browse_groups(
    accounts: State<'_, Arc<Accounts>>,
    browsers: State<'_, Arc<Browsers>>,
    dir: String,
    query: Query,
    by: GroupBy,
    limit: u64,
) -> Result<Groups> {
    let (library, browsers) = (accounts.settings().library(), Arc::clone(&browsers));
    blocking(move || browsers.groups(&library, &dir, &query, &by, limit)).await
}

#[tauri::command]
pub async fn browse_sources(
    accounts: State<'_, Arc<Accounts>>,
    browsers: State<'_, Arc<Browsers>>,
    dir: String,
    containing: String,
    limit: u64,
) -> Result<Groups> {
    let (library, browsers) = (accounts.settings().library(), Arc::clone(&browsers));
    blocking(move || browsers.sources(&library, &dir, &containing, limit)).await
}

#[tauri::command]
pub async fn browse_details(accounts: State<'_, Arc<Accounts>>, browsers: State<'_, Arc<Browsers>>, dir: String, id: u64) -> Result<Details> {
    let (library, browsers) = (accounts.settings().library(), Arc::clone(&browsers));
    blocking(move || browsers.details(&library, &dir, id)).await
}

/// Saves the table (all matching rows, as sorted) as CSV into the export's `saved/` folder.
#[tauri::command]
pub async fn browse_save_csv(accounts: State<'_, Arc<Accounts>>, browsers: State<'_, Arc<Browsers>>, dir: String, query: Query) -> Result<Saved> {
    let (library, browsers) = (accounts.settings().library(), Arc::clone(&browsers));
    blocking(move || browsers.save_csv(&library, &dir, &query)).await
}

/// Merges the chosen instruments' PDFs, in order, into one PDF in the export's `saved/` folder.
#[tauri::command]
pub async fn browse_merge(accounts: State<'_, Arc<Accounts>>, browsers: State<'_, Arc<Browsers>>, dir: String, ids: Vec<u64>) -> Result<Saved> {
    let (library, browsers) = (accounts.settings().library(), Arc::clone(&browsers));
    blocking(move || browsers.save_merged(&library, &dir, &ids)).await
}

#[tauri::command]
pub async fn browse_open_file(app: AppHandle, accounts: State<'_, Arc<Accounts>>, browsers: State<'_, Arc<Browsers>>, dir: String, file: String) -> Result<()> {
    use tauri_plugin_opener::OpenerExt;
    let (library, browsers) = (accounts.settings().library(), Arc::clone(&browsers));
    blocking(move || {
        let file = browsers.file_in_export(&library, &dir, &file)?;
        app.opener().open_path(file.display().to_string(), None::<&str>).map_err(open_failed)
    })
    .await
}

#[tauri::command]
pub async fn browse_reveal_file(
    app: AppHandle,
    accounts: State<'_, Arc<Accounts>>,
    browsers: State<'_, Arc<Browsers>>,
    dir: String,
    file: String,
) -> Result<()> {
    use tauri_plugin_opener::OpenerExt;
    let (library, browsers) = (accounts.settings().library(), Arc::clone(&browsers));
    blocking(move || {
        let file = browsers.file_in_export(&library, &dir, &file)?;
        app.opener().reveal_item_in_dir(&file).map_err(open_failed)
    })
    .await
}

/// The PDFs to drag out for `ids`, and a preview picture (the app icon, written once to
/// the cache folder, since the drag needs a file).
#[tauri::command]
pub async fn browse_drag_items(
    app: AppHandle,
    accounts: State<'_, Arc<Accounts>>,
    browsers: State<'_, Arc<Browsers>>,
    dir: String,
    ids: Vec<u64>,
) -> Result<DragItems> {
    let (library, browsers) = (accounts.settings().library(), Arc::clone(&browsers));
    blocking(move || {
        let files = browsers.pdf_paths(&library, &dir, &ids)?;
        Ok(DragItems { files: files.iter().map(|f| f.display().to_string()).collect(), icon: drag_icon(&app)?.display().to_string() })
    })
    .await
}

/// A file the export holds (a saved title package, CSV or merged PDF) to drag out.
#[tauri::command]
pub async fn browse_drag_file(
    app: AppHandle,
    accounts: State<'_, Arc<Accounts>>,
    browsers: State<'_, Arc<Browsers>>,
    dir: String,
    file: String,
) -> Result<DragItems> {
    let (library, browsers) = (accounts.settings().library(), Arc::clone(&browsers));
    blocking(move || {
        let file = browsers.file_in_export(&library, &dir, &file)?;
        Ok(DragItems { files: vec![file.display().to_string()], icon: drag_icon(&app)?.display().to_string() })
    })
    .await
}

/// One group's chain of title, ordered by `order_by` or by its default date field.
#[tauri::command]
pub async fn browse_timeline(
    accounts: State<'_, Arc<Accounts>>,
    browsers: State<'_, Arc<Browsers>>,
    dir: String,
    group: AttributeValue,
    order_by: Option<String>,
) -> Result<TimelineView> {
    let (library, browsers) = (accounts.settings().library(), Arc::clone(&browsers));
    blocking(move || browsers.timeline(&library, &dir, &group, order_by.as_deref())).await
}

/// Builds the group's title package, in its timeline's order, into the export's `saved/` folder.
#[tauri::command]
pub async fn browse_save_package(
    accounts: State<'_, Arc<Accounts>>,
    browsers: State<'_, Arc<Browsers>>,
    dir: String,
    group: AttributeValue,
    order_by: Option<String>,
) -> Result<Package> {
    let (library, browsers) = (accounts.settings().library(), Arc::clone(&browsers));
    blocking(move || browsers.save_package(&library, &dir, &group, order_by.as_deref())).await
}

/// The picture under the pointer during a drag: the app icon, written once to the cache folder,
/// since the OS drag takes a file.
fn drag_icon(app: &AppHandle) -> Result<std::path::PathBuf> {
    use tauri::Manager;
    let icon = app
        .path()
        .app_cache_dir()
        .map(|dir| dir.join("drag-icon.png"))
        .map_err(|e| CommandError::new(ErrorCode::Engine(EngineErrorCode::IoError), format!("No cache folder for the drag picture: {e}")))?;
    if !icon.is_file() {
        let _ = std::fs::create_dir_all(icon.parent().unwrap_or(&icon));
        std::fs::write(&icon, include_bytes!("../../icons/64x64.png"))
            .map_err(|e| CommandError::new(ErrorCode::Engine(EngineErrorCode::IoError), format!("Could not write {}: {e}", icon.display())))?;
    }
    Ok(icon)
}

/// Asks for a folder and copies the PDFs of `ids` into it. `None` when the user cancels.
#[tauri::command]
pub async fn browse_copy_pdfs(
    app: AppHandle,
    accounts: State<'_, Arc<Accounts>>,
    browsers: State<'_, Arc<Browsers>>,
    dir: String,
    ids: Vec<u64>,
) -> Result<Option<Saved>> {
    use tauri_plugin_dialog::DialogExt;
    let (library, browsers) = (accounts.settings().library(), Arc::clone(&browsers));
    // The dialog waits for the user: a blocking thread waits with it, not a runtime worker.
    blocking(move || {
        let chosen = app.dialog().file().set_title("Copy the PDFs to…").blocking_pick_folder();
        let Some(folder) = chosen.and_then(|p| p.into_path().ok()) else { return Ok(None) };
        browsers.copy_pdfs(&library, &dir, &ids, &folder).map(Some)
    })
    .await
}

/// Runs `work` (disk, keychain, a dialog, the file manager) on Tokio's blocking threads, so
/// it holds neither the main thread nor one of the runtime's few workers.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|e| CommandError::new(ErrorCode::Engine(EngineErrorCode::IoError), format!("A background task failed: {e}")))?
}

fn watcher(channel: Channel<JobView>) -> Watcher {
    Arc::new(move |view| {
        // A closed window drops its channel; the job runs on regardless.
        let _ = channel.send(view);
    })
}

fn open_failed(error: tauri_plugin_opener::Error) -> CommandError {
    CommandError::new(WorkspaceErrorCode::OpenFailed, format!("Could not open the file manager or default app: {error}"))
}
