//! Declares the app's commands to Tauri's access control, so each one needs an explicit
//! `allow-<command>` permission in `capabilities/default.json` before the UI may call it.

/// Every command the UI calls; keep in step with `generate_handler!` in `src/lib.rs`.
const COMMANDS: &[&str] = &[
    "sandbox_status",
    "demo_next_week",
    "profiles_list",
    "profile_save",
    "profile_remove",
    "profile_select",
    "profile_test",
    "export_validate",
    "export_suggestions",
    "export_check_project",
    "export_start",
    "jobs_list",
    "job_watch",
    "job_cancel",
    "job_retry",
    "job_dismiss",
    "job_discard",
    "jobs_clear_finished",
    "library_list",
    "library_changes",
    "library_open",
    "library_reveal",
    "library_delete",
    "library_choose_folder",
    "library_move",
    "library_pick_zip",
    "library_import",
    "window_drops",
    "window_menu",
    "update_check",
    "update_check_daily",
    "update_install",
    "update_settings",
    "preferences",
    "browse_open",
    "browse_page",
    "browse_groups",
    "browse_sources",
    "browse_details",
    "browse_save_csv",
    "browse_merge",
    "browse_open_file",
    "browse_reveal_file",
    "browse_drag_items",
    "browse_drag_file",
    "browse_timeline",
    "browse_save_package",
    "browse_copy_pdfs",
];

fn main() {
    // The release and test builds embed ui/dist (`custom-protocol`): a UI rebuilt with no Rust
    // change must still rebuild the app, or it serves the UI it was built with.
    println!("cargo:rerun-if-changed=../ui/dist");
    let attributes = tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(error) = tauri_build::try_build(attributes) {
        panic!("tauri-build failed: {error:#}");
    }
}
