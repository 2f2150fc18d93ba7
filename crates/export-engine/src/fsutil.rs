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
