//! Small file-system helpers shared by the stages: atomic JSON writes and UTC time stamps.

use std::io::Write;
use std::path::Path;

use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::EngineError;

/// Writes `value` as pretty JSON to `path` through a temporary file, fsync and rename, so a
/// reader (or a crash) never sees half a file.
pub fn write_json_atomic(path: &Path, value: &impl Serialize) -> Result<(), EngineError> {
    let io = |source| EngineError::Io { context: format!("could not write {}", path.display()), source };
    let bytes = serde_json::to_vec_pretty(value).map_err(|e| io(std::io::Error::other(e)))?;
    let tmp = path.with_extension("json.tmp");
    let mut file = std::fs::File::create(&tmp).map_err(io)?;
    file.write_all(&bytes).map_err(io)?;
    file.sync_all().map_err(io)?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(io)
}

/// Makes `dir` (and the folders between) inside `root`, which must still be there: a folder that
/// vanished mid-export (deleted, or its disk removed) fails as [`EngineError::FolderGone`]
/// instead of coming back as an empty folder that hides the loss.
pub(crate) fn create_dir_below(root: &Path, dir: &Path) -> Result<(), EngineError> {
    if !root.is_dir() {
        return Err(EngineError::FolderGone { path: root.to_path_buf() });
    }
    std::fs::create_dir_all(dir).map_err(EngineError::io(format!("could not create {}", dir.display())))
}

/// `folder` (made if missing) takes a new file: a probe written and removed, since neither the
/// permission bits (root, ACLs, Windows) nor the mount's flags alone say so. Only a refusal is
/// [`EngineError::FolderNotWritable`]; anything else (a full disk) is left to the export to meet.
pub(crate) fn ensure_writable(folder: &Path) -> Result<(), EngineError> {
    let refused = |error: &std::io::Error| {
        matches!(error.kind(), std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem)
            .then(|| EngineError::FolderNotWritable { path: folder.to_path_buf(), reason: reason(error) })
    };
    if let Err(error) = std::fs::create_dir_all(folder) {
        return Err(refused(&error).unwrap_or_else(|| EngineError::Io { context: format!("could not create {}", folder.display()), source: error }));
    }
    let probe = folder.join(format!(".annolab-write-probe-{}", std::process::id()));
    match std::fs::write(&probe, b"") {
        Ok(()) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(error) => refused(&error).map_or(Ok(()), Err),
    }
}

/// An I/O error in words, without the `(os error N)` tail.
fn reason(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::ReadOnlyFilesystem => "it is on a read-only disk".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => error.to_string(),
    }
}

pub fn now_rfc3339() -> String {
    OffsetDateTime::now_utc().format(&Rfc3339).unwrap_or_default()
}

/// `20261129T170000Z`: sorts by time and is safe in file names everywhere.
pub fn now_stamp() -> String {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    OffsetDateTime::now_utc().format(&format).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_sort_by_time() {
        let stamp = now_stamp();
        assert_eq!(stamp.len(), 16);
        assert!(stamp.ends_with('Z'));
    }
}
