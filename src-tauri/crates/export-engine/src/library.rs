//! Stage 7, library: one folder per finished export,
//! `<library>/<owner>/<project>/<UTC time>-job<id>/`, holding instruments.json, pdfs/,
//! index.sqlite, search.sqlite and manifest.json. Work in progress lives under `<library>/.work/`, on the
//! same file system, so publishing an export is a single rename.

use std::path::{Path, PathBuf};

use crate::error::EngineError;
use crate::fsutil::safe_component;
use crate::manifest::Manifest;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Library {
    root: PathBuf,
}

/// A finished export found in the library.
#[derive(Debug, Clone)]
pub struct LibraryEntry {
    pub dir: PathBuf,
    pub manifest: Manifest,
}

impl Library {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Library { root: root.into() }
    }

    /// The per-user default: `~/.local/share/annolab-exporter/library` on Linux, the
    /// Application Support folder on macOS, `%APPDATA%` on Windows.
    pub fn default_root() -> Option<PathBuf> {
        directories::ProjectDirs::from("ai", "annolab", "annolab-exporter").map(|dirs| dirs.data_dir().join("library"))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where job `job_id` keeps its download and staging folder until it is published.
    pub fn work_dir(&self, job_id: &str) -> PathBuf {
        self.root.join(".work").join(job_id)
    }

    /// Where job records are kept.
    pub fn jobs_dir(&self) -> PathBuf {
        self.root.join(".jobs")
    }

    pub fn export_dir(&self, owner: &str, project: &str, stamp: &str, remote_job_id: u64) -> PathBuf {
        self.root.join(safe_component(owner)).join(safe_component(project)).join(format!("{stamp}-job{remote_job_id}"))
    }

    /// Every finished export, newest first. Folders without a readable manifest are not exports.
    pub fn list(&self) -> Vec<LibraryEntry> {
        let mut entries = Vec::new();
        for owner in subdirs(&self.root) {
            for project in subdirs(&owner) {
                for dir in subdirs(&project) {
                    if let Ok(manifest) = Manifest::read(&dir) {
                        entries.push(LibraryEntry { dir, manifest });
                    }
                }
            }
        }
        entries.sort_by(|a, b| b.manifest.times.ready.cmp(&a.manifest.times.ready));
        entries
    }

    /// The export at `dir`, if `dir` is a finished export inside this library (and not, say, a
    /// path a front end was handed that points elsewhere).
    pub fn entry(&self, dir: &Path) -> Result<LibraryEntry, EngineError> {
        let not_found = || EngineError::JobNotFound { id: dir.display().to_string() };
        let (Ok(root), Ok(dir)) = (self.root.canonicalize(), dir.canonicalize()) else { return Err(not_found()) };
        if !dir.starts_with(&root) || dir == root {
            return Err(not_found());
        }
        let manifest = Manifest::read(&dir).map_err(|_| not_found())?;
        Ok(LibraryEntry { dir, manifest })
    }

    /// Deletes the finished export at `dir`, refusing anything that is not one.
    pub fn delete(&self, dir: &Path) -> Result<(), EngineError> {
        let entry = self.entry(dir)?;
        std::fs::remove_dir_all(&entry.dir).map_err(|source| EngineError::Io { context: format!("could not delete {}", entry.dir.display()), source })
    }

    /// Finds an export by its folder path, its folder name, or its job id (`341` or `job341`).
    pub fn find(&self, key: &str) -> Result<LibraryEntry, EngineError> {
        let as_path = Path::new(key);
        if as_path.join(crate::manifest::MANIFEST).is_file() {
            return Ok(LibraryEntry { dir: as_path.to_path_buf(), manifest: Manifest::read(as_path)? });
        }
        let job = key.trim_start_matches("job");
        self.list()
            .into_iter()
            .find(|e| {
                e.dir.file_name().is_some_and(|n| n == key) || e.manifest.remote_job_id.to_string() == job || e.manifest.job_id == key
            })
            .ok_or_else(|| EngineError::JobNotFound { id: key.to_owned() })
    }
}

fn subdirs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir() && !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_finished_exports_inside_the_library_can_be_deleted() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let library = Library::new(root.path());
        let not_an_export = root.path().join("owner/project/20261129T000000Z-job1");
        std::fs::create_dir_all(&not_an_export).unwrap();

        assert!(matches!(library.delete(&not_an_export), Err(EngineError::JobNotFound { .. })));
        assert!(matches!(library.delete(outside.path()), Err(EngineError::JobNotFound { .. })));
        assert!(matches!(library.delete(root.path()), Err(EngineError::JobNotFound { .. })));
        assert!(matches!(library.delete(&root.path().join("owner/../../etc")), Err(EngineError::JobNotFound { .. })));
        assert!(not_an_export.exists() && outside.path().exists());
    }
}
