//! TypeScript bindings for the types the UI receives, generated from Rust with ts-rs.
//!
//! The generated files are committed in `ui/src/lib/bindings/`; the `bindings` integration test
//! fails when they are stale, and regenerates them when run with `UPDATE_BINDINGS=1`.

use std::path::{Path, PathBuf};

use ts_rs::{Config, ExportError, TS};

/// Where the committed bindings live.
pub fn committed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/bindings")
}

/// Writes the bindings of every type the UI sends or receives, with their dependencies (engine
/// types such as `ExportRequest` and `Phase` included), into `dir`.
pub fn export_to(dir: &Path) -> Result<(), ExportError> {
    // Counts and byte sizes fit a JavaScript number exactly up to 2^53.
    let cfg = Config::new().with_out_dir(dir).with_large_int("number");
    annolab_workspace::status::SandboxStatus::export_all(&cfg)?;
    annolab_workspace::error::CommandError::export_all(&cfg)?;
    annolab_workspace::accounts::ProfilesView::export_all(&cfg)?;
    annolab_workspace::accounts::ProfileInput::export_all(&cfg)?;
    annolab_workspace::accounts::KeyCheck::export_all(&cfg)?;
    annolab_workspace::exports::JobView::export_all(&cfg)?;
    annolab_workspace::library::LibraryView::export_all(&cfg)?;
    annolab_workspace::library::ImportProposal::export_all(&cfg)?;
    crate::menu::MenuAction::export_all(&cfg)?;
    crate::updates::UpdateCheck::export_all(&cfg)?;
    crate::updates::UpdateSettings::export_all(&cfg)?;
    annolab_workspace::settings::Preferences::export_all(&cfg)?;
    export_engine::library::MoveProgress::export_all(&cfg)?;
    annolab_workspace::changes::ExportChanges::export_all(&cfg)?;
    annolab_workspace::accounts::Suggestions::export_all(&cfg)?;
    annolab_workspace::accounts::ProjectCheck::export_all(&cfg)?;
    export_engine::ExportInput::export_all(&cfg)?;
    annolab_workspace::browse::ExportOverview::export_all(&cfg)?;
    annolab_workspace::browse::Saved::export_all(&cfg)?;
    annolab_workspace::browse::DragItems::export_all(&cfg)?;
    annolab_workspace::browse::TimelineView::export_all(&cfg)?;
    export_engine::package::Package::export_all(&cfg)?;
    export_engine::browse::Query::export_all(&cfg)?;
    export_engine::browse::Page::export_all(&cfg)?;
    export_engine::browse::Details::export_all(&cfg)?;
    export_engine::browse::GroupBy::export_all(&cfg)?;
    export_engine::browse::Count::export_all(&cfg)?;
    export_engine::browse::Groups::export_all(&cfg)?;
    Ok(())
}
