//! Stage 7, library: one folder per finished export,
//! `<library>/<owner>/<project>/<UTC time>-job<id>/`, holding instruments.json, pdfs/,
//! index.sqlite and manifest.json. Work in progress lives under `<library>/.work/`, on the
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
