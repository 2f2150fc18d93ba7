//! TypeScript bindings for the types the UI receives, generated from Rust with ts-rs.
//!
//! The generated files are committed in `ui/src/lib/bindings/`; the `bindings` integration test
//! fails when they are stale, and regenerates them when run with `UPDATE_BINDINGS=1`.

use std::path::{Path, PathBuf};

use ts_rs::{Config, ExportError, TS};

use crate::SandboxStatus;

/// Where the committed bindings live.
pub fn committed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/bindings")
}

/// Writes the bindings of every type the UI receives, with their dependencies, into `dir`.
pub fn export_to(dir: &Path) -> Result<(), ExportError> {
    let cfg = Config::new().with_out_dir(dir);
    // Each root type brings the types it mentions (CommandError, ErrorCode, DemoProject).
    SandboxStatus::export_all(&cfg)?;
    crate::CommandError::export_all(&cfg)?;
    Ok(())
}
