//! Stage 7, library: one folder per finished export,
//! `<library>/<owner>/<project>/<UTC time>-job<id>/`, holding instruments.json, pdfs/,
//! index.sqlite, search.sqlite and manifest.json. Work in progress lives under `<library>/.work/`, on the
//! same file system, so publishing an export is a single rename.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::disk::{self, Disk, RealDisk};
use crate::error::EngineError;
use crate::manifest::Manifest;
use crate::names;

/// Owner and project folders are at most this long, and never shortened below the minimum.
const MAX_FOLDER_CHARS: usize = 100;
const MIN_FOLDER_CHARS: usize = 16;
/// What an export's own files are given of the path limit: `pdfs/` and a 100-character name.
const ROOM_INSIDE_AN_EXPORT: usize = 105;

#[derive(Debug, Clone)]
pub struct Library {
    root: PathBuf,
    /// Publishing and deleting go through it: see [`crate::disk`].
    disk: Arc<dyn Disk>,
}

impl PartialEq for Library {
    fn eq(&self, other: &Self) -> bool {
        self.root == other.root
    }
}

impl Eq for Library {}

/// How far moving the library is: files and bytes copied of all there are (on the same disk the
/// move is one rename, reported done at once).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MoveProgress {
    pub files: u64,
    pub files_total: u64,
    pub bytes: u64,
    pub bytes_total: u64,
}

/// Whether [`Library::move_to`] may move the folder in one rename when the destination is on the
/// same disk, or must copy (what it does between disks; tests ask for it on one disk).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoveBy {
    RenameWhereItCan,
    Copying,
}

/// A finished export found in the library.
#[derive(Debug, Clone)]
pub struct LibraryEntry {
    pub dir: PathBuf,
    pub manifest: Manifest,
}

impl Library {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Library { root: root.into(), disk: Arc::new(RealDisk) }
    }

    /// The same library on another [`Disk`] (tests make it refuse as Windows does).
    pub fn with_disk(mut self, disk: Arc<dyn Disk>) -> Self {
        self.disk = disk;
        self
    }

    pub fn disk(&self) -> &dyn Disk {
        self.disk.as_ref()
    }

    /// The per-user default: `~/.local/share/annolab-exporter/library` on Linux,
    /// `~/Library/Application Support/ai.annolab.annolab-exporter/library` on macOS,
    /// `%LOCALAPPDATA%\annolab\annolab-exporter\data\library` on Windows: the local, not the
    /// roaming, profile, since gigabytes of PDFs must not travel with every sign-in.
    pub fn default_root() -> Option<PathBuf> {
        directories::ProjectDirs::from("ai", "annolab", "annolab-exporter").map(|dirs| dirs.data_local_dir().join("library"))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where job `job_id` keeps its download and staging folder until it is published.
    pub fn work_dir(&self, job_id: &str) -> PathBuf {
        self.root.join(".work").join(job_id)
    }

    /// Where deleted exports wait to be removed: inside the library, so moving one there is a rename.
    fn trash_dir(&self) -> PathBuf {
        self.root.join(".trash")
    }

    /// Where job records are kept.
    pub fn jobs_dir(&self) -> PathBuf {
        self.root.join(".jobs")
    }

    /// `<library>/<owner>/<project>/<stamp>-job<id>`, the owner and project made legal folder
    /// names ([`names::folder_name`]) and shortened when the library's own path is long, so
    /// that the export's files keep room for their names under Windows' path limit.
    pub fn export_dir(&self, owner: &str, project: &str, stamp: &str, remote_job_id: u64) -> PathBuf {
        self.dir_for(owner, project, format!("{stamp}-job{remote_job_id}"))
    }

    /// `<library>/<owner>/<project>/<stamp>-imported`: an export opened from a zip on disk.
    pub fn import_dir(&self, owner: &str, project: &str, stamp: &str) -> PathBuf {
        self.dir_for(owner, project, format!("{stamp}-imported"))
    }

    fn dir_for(&self, owner: &str, project: &str, leaf: String) -> PathBuf {
        let room = names::path_budget(&self.root).saturating_sub(leaf.len() + 3 + ROOM_INSIDE_AN_EXPORT) / 2;
        let cap = room.clamp(MIN_FOLDER_CHARS, MAX_FOLDER_CHARS);
        self.root.join(names::folder_name(owner, cap)).join(names::folder_name(project, cap)).join(leaf)
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
        // dunce: on Windows a plain C:\ path where it can, not the \\?\ form canonicalize
        // gives, which the shell and other programs handed this path may not take.
        let (Ok(root), Ok(dir)) = (dunce::canonicalize(&self.root), dunce::canonicalize(dir)) else { return Err(not_found()) };
        if !dir.starts_with(&root) || dir == root {
            return Err(not_found());
        }
        let manifest = Manifest::read(&dir).map_err(|_| not_found())?;
        Ok(LibraryEntry { dir, manifest })
    }

    /// Deletes the finished export at `dir`, refusing anything that is not one.
    ///
    /// The export first leaves the library in one rename, which Windows refuses while a file in
    /// it is open: then nothing is deleted and the message says what to close. Once moved, it is
    /// gone from every listing even if removing its files stops halfway; what is left is
    /// removed at the next delete.
    pub fn delete(&self, dir: &Path) -> Result<(), EngineError> {
        let entry = self.entry(dir)?;
        let trash = self.trash_dir();
        std::fs::create_dir_all(&trash).map_err(EngineError::io(format!("could not create {}", trash.display())))?;
        let name = entry.dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let moved = trash.join(format!("{name}-{}", crate::job::new_id()));
        disk::rename_folder(self.disk(), &entry.dir, &moved, "delete", &entry.dir)?;
        self.empty_trash();
        Ok(())
    }

    /// Removes what earlier deletes left in the trash; best effort (a file still open stays
    /// until the next time).
    pub fn empty_trash(&self) {
        let Ok(entries) = std::fs::read_dir(self.trash_dir()) else { return };
        for entry in entries.filter_map(Result::ok) {
            if let Err(e) = self.disk.remove_dir_all(&entry.path()) {
                tracing::info!("left {} in the trash for now: {e}", entry.path().display());
            }
        }
    }

    /// Moves the whole library (every export, the job records, work kept for resuming) to `to`,
    /// an empty or new folder outside it, and returns the library there. On the same disk it is
    /// one rename. Between disks every file is copied and flushed to disk, the copy checked file
    /// by file, and only then is the old folder removed; a failure or a cancel on the way removes
    /// the copy and leaves the library as it was. Nothing must be using the library meanwhile
    /// (the front ends make sure no export runs and no index is open).
    pub fn move_to(&self, to: &Path, by: MoveBy, progress: &dyn Fn(MoveProgress), cancel: &CancellationToken) -> Result<Library, EngineError> {
        let refuse = |reason: &str| EngineError::LibraryMoveRefused { to: to.to_path_buf(), reason: reason.to_owned() };
        let target = std::path::absolute(to).map_err(|_| refuse("that is not a folder path"))?;
        if !self.root.exists() {
            // Nothing made yet: the library simply starts there.
            std::fs::create_dir_all(&target).map_err(EngineError::io(format!("could not create {}", target.display())))?;
            return Ok(Library { root: target, disk: Arc::clone(&self.disk) });
        }
        let from = dunce::canonicalize(&self.root).map_err(EngineError::io(format!("could not read {}", self.root.display())))?;
        let resolved = resolve_existing_prefix(&target);
        if resolved.starts_with(&from) {
            return Err(refuse("it is the library's folder or inside it"));
        }
        let target_existed = target.exists();
        if target_existed && std::fs::read_dir(&target).map_or(true, |mut entries| entries.next().is_some()) {
            return Err(refuse("it is not empty; choose an empty folder or a new one"));
        }
        self.empty_trash();

        if by == MoveBy::RenameWhereItCan {
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(EngineError::io(format!("could not create {}", parent.display())))?;
            }
            // Windows does not rename onto a folder, even an empty one.
            if target_existed {
                let _ = std::fs::remove_dir(&target);
            }
            match std::fs::rename(&from, &target) {
                Ok(()) => {
                    progress(MoveProgress::default());
                    return Ok(self.moved(&from, target));
                }
                // Another disk (or a refusal the copy will name better): copy instead.
                Err(e) => tracing::info!("moving the library by copying ({e})"),
            }
        }

        let files = files_below(&from, &from.join(".trash"))?;
        let mut done = MoveProgress { files_total: files.len() as u64, bytes_total: files.iter().map(|(_, len)| len).sum(), ..MoveProgress::default() };
        progress(done);
        let copied = (|| -> Result<(), EngineError> {
            std::fs::create_dir_all(&target).map_err(EngineError::io(format!("could not create {}", target.display())))?;
            for (relative, len) in &files {
                if cancel.is_cancelled() {
                    return Err(EngineError::Cancelled);
                }
                let (source, copy) = (from.join(relative), target.join(relative));
                if let Some(parent) = copy.parent() {
                    std::fs::create_dir_all(parent).map_err(EngineError::io(format!("could not create {}", parent.display())))?;
                }
                let context = || format!("could not copy {} to {}", source.display(), copy.display());
                std::fs::copy(&source, &copy).map_err(EngineError::io(context()))?;
                // On disk before the original goes: a power cut then leaves both, never neither.
                std::fs::File::open(&copy).and_then(|f| f.sync_all()).map_err(EngineError::io(context()))?;
                if std::fs::metadata(&copy).map(|m| m.len()).ok() != Some(*len) {
                    return Err(EngineError::io(context())(std::io::Error::other("the copy's size differs from the original's")));
                }
                done.files += 1;
                done.bytes += len;
                progress(done);
            }
            Ok(())
        })();
        if let Err(error) = copied {
            // The copy is removed whole, a folder the user had chosen empty left as it was.
            let _ = std::fs::remove_dir_all(&target);
            if target_existed {
                let _ = std::fs::create_dir_all(&target);
            }
            return Err(error);
        }
        // Every file is at its new place: what cannot be removed of the old one (a file another
        // program holds open) stays, and is no longer the library.
        if let Err(e) = self.disk.remove_dir_all(&from) {
            tracing::warn!("the library moved to {}; some of {} could not be removed: {e}", target.display(), from.display());
        }
        Ok(self.moved(&from, target))
    }

    /// The library at `to`, its job records pointing into it rather than at `from`, where
    /// finished jobs' exports were.
    fn moved(&self, from: &Path, to: PathBuf) -> Library {
        let library = Library { root: to, disk: Arc::clone(&self.disk) };
        let store = crate::job::JobStore::new(library.jobs_dir());
        for mut job in store.list() {
            let Some(inside) = job.export_dir.as_deref().and_then(|dir| dir.strip_prefix(from).or_else(|_| dir.strip_prefix(&self.root)).ok()) else {
                continue;
            };
            job.export_dir = Some(library.root.join(inside));
            if let Err(e) = store.save(&job) {
                tracing::warn!("job {}'s record still names the old library: {e}", job.id);
            }
        }
        library
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
                // An imported export has no server job (its id is 0), so only its folder or local id name it.
                let server_job = e.manifest.imported.is_none() && e.manifest.remote_job_id.to_string() == job;
                e.dir.file_name().is_some_and(|n| n == key) || server_job || e.manifest.job_id == key
            })
            .ok_or_else(|| EngineError::JobNotFound { id: key.to_owned() })
    }
}

fn subdirs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_dir() && !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'))).collect()
}

/// Every file below `root` (but not below `skip`), with its size, relative to `root`.
fn files_below(root: &Path, skip: &Path) -> Result<Vec<(PathBuf, u64)>, EngineError> {
    let mut files = Vec::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let entries = std::fs::read_dir(&folder).map_err(EngineError::io(format!("could not read {}", folder.display())))?;
        for entry in entries {
            let entry = entry.map_err(EngineError::io(format!("could not read {}", folder.display())))?;
            let path = entry.path();
            let kind = entry.file_type().map_err(EngineError::io(format!("could not read {}", path.display())))?;
            if kind.is_dir() && path != skip {
                folders.push(path);
            } else if kind.is_file() {
                let len = entry.metadata().map_err(EngineError::io(format!("could not read {}", path.display())))?.len();
                files.push((path.strip_prefix(root).unwrap_or(&path).to_path_buf(), len));
            }
        }
    }
    files.sort();
    Ok(files)
}

/// `path` with its longest existing ancestor resolved (links followed), the rest appended: where
/// a folder that does not exist yet would be.
fn resolve_existing_prefix(path: &Path) -> PathBuf {
    let mut existing = path.to_path_buf();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.file_name().map(|n| n.to_os_string()), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                existing = parent.to_path_buf();
            }
            _ => break,
        }
    }
    let mut resolved = dunce::canonicalize(&existing).unwrap_or(existing);
    resolved.extend(rest.into_iter().rev());
    resolved
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

    #[test]
    fn export_folders_are_legal_everywhere_and_never_hidden() {
        let library = Library::new("/library");
        let dir = library.export_dir("../../etc", "a/b:c", "20261129T170000Z", 7);
        assert_eq!(dir, PathBuf::from("/library/_.._etc/a_b_c/20261129T170000Z-job7"));
        let dir = library.export_dir("..", "CON", "20261129T170000Z", 7);
        assert_eq!(dir, PathBuf::from("/library/_/_CON/20261129T170000Z-job7"));
        let dir = library.export_dir("Group Name owning project", "Example Project Name", "20261129T170000Z", 341);
        assert_eq!(dir, PathBuf::from("/library/Group Name owning project/Example Project Name/20261129T170000Z-job341"));
    }

    #[test]
    fn a_long_library_path_shortens_owner_and_project_to_leave_room_for_file_names() {
        let root = format!("C:/Users/A Title Examiner/AppData/Roaming/annolab/annolab-exporter/data/{}", "library");
        let library = Library::new(&root);
        let long = "Assignment and Assumption Holdings International ".repeat(3);
        let dir = library.export_dir(&long, &long, "20261129T170000Z", 400_016);
        let budget = names::path_budget(&dir);
        assert!(budget >= ROOM_INSIDE_AN_EXPORT, "{} leaves {budget}", dir.display());
        for part in dir.strip_prefix(&root).unwrap().components() {
            assert!(names::is_legal(&part.as_os_str().to_string_lossy()), "{part:?}");
        }
    }
}
