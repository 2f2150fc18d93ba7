//! The two file-system calls whose refusal differs per OS: renaming a folder into place
//! (publishing an export, moving one out of the library to delete it) and removing a folder.
//!
//! Windows will not rename or delete a file that another program holds open without
//! share-delete (a PDF viewer, Explorer's preview pane, a virus scanner looking at a new file),
//! where Linux and macOS always can. Publishing and deleting therefore go through [`Disk`], a
//! seam that tests replace to make these calls refuse as Windows does, and they retry a
//! refusal for a moment (scanners let go quickly) before reporting
//! [`EngineError::FileInUse`] with nothing half done.

use std::fmt::Debug;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use crate::error::EngineError;

/// Folder renames and removals, as the OS does them (or, in tests, refuses them).
pub trait Disk: Debug + Send + Sync {
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    fn remove_dir_all(&self, dir: &Path) -> io::Result<()>;
}

/// The real file system.
#[derive(Debug, Clone, Copy, Default)]
pub struct RealDisk;

impl Disk for RealDisk {
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        std::fs::rename(from, to)
    }

    fn remove_dir_all(&self, dir: &Path) -> io::Result<()> {
        std::fs::remove_dir_all(dir)
    }
}

/// How often, and how long apart, a refused rename is tried again.
const TRIES: u32 = 5;
const PAUSE: Duration = Duration::from_millis(200);

/// Renames `from` to `to`, trying again while a file in it is held open; `action` and the
/// folder name the failure ("publish", the export's destination).
pub(crate) fn rename_folder(disk: &dyn Disk, from: &Path, to: &Path, action: &'static str, named: &Path) -> Result<(), EngineError> {
    let mut tries = 0;
    loop {
        match disk.rename(from, to) {
            Ok(()) => return Ok(()),
            Err(e) if is_held_open(&e) => {
                tries += 1;
                if tries >= TRIES {
                    return Err(EngineError::FileInUse { action, path: named.to_path_buf() });
                }
                std::thread::sleep(PAUSE);
            }
            Err(source) => return Err(EngineError::Io { context: format!("could not {action} {}", named.display()), source }),
        }
    }
}

/// True when `error` is the OS refusing because a file is open elsewhere: Windows'
/// ERROR_ACCESS_DENIED (5), ERROR_SHARING_VIOLATION (32) or ERROR_LOCK_VIOLATION (33) on a
/// rename, or a busy resource anywhere.
pub fn is_held_open(error: &io::Error) -> bool {
    error.kind() == io::ErrorKind::ResourceBusy || (cfg!(windows) && matches!(error.raw_os_error(), Some(5 | 32 | 33)))
}

/// A disk that refuses, as Windows does while a file is open, every rename or removal of a
/// folder holding one of `held`, until it is let go: for tests, here and in the front ends.
#[derive(Debug, Default)]
pub struct HeldOpen {
    held: Mutex<Vec<PathBuf>>,
    refusals: Mutex<u32>,
}

impl HeldOpen {
    /// Another program opens `file`.
    pub fn hold(&self, file: impl Into<PathBuf>) {
        self.held.lock().unwrap_or_else(|p| p.into_inner()).push(file.into());
    }

    /// Every file is closed again.
    pub fn let_go(&self) {
        self.held.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// How many calls were refused so far.
    pub fn refusals(&self) -> u32 {
        *self.refusals.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn check(&self, path: &Path) -> io::Result<()> {
        if self.held.lock().unwrap_or_else(|p| p.into_inner()).iter().any(|file| file.starts_with(path)) {
            *self.refusals.lock().unwrap_or_else(|p| p.into_inner()) += 1;
            return Err(io::Error::new(io::ErrorKind::ResourceBusy, "the process cannot access the file because it is being used by another process"));
        }
        Ok(())
    }
}

impl Disk for HeldOpen {
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.check(from)?;
        RealDisk.rename(from, to)
    }

    fn remove_dir_all(&self, dir: &Path) -> io::Result<()> {
        self.check(dir)?;
        RealDisk.remove_dir_all(dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rename_refused_while_a_file_is_open_is_tried_again_then_reported() {
        let dir = tempfile::tempdir().unwrap();
        let (from, to) = (dir.path().join("staging"), dir.path().join("export"));
        std::fs::create_dir_all(from.join("pdfs")).unwrap();
        let disk = HeldOpen::default();
        disk.hold(from.join("pdfs/open.pdf"));
        let error = rename_folder(&disk, &from, &to, "publish", &to).unwrap_err();
        assert!(matches!(&error, EngineError::FileInUse { action: "publish", path } if path == &to), "{error:?}");
        assert_eq!(disk.refusals(), TRIES);
        assert!(from.exists() && !to.exists());

        disk.let_go();
        rename_folder(&disk, &from, &to, "publish", &to).unwrap();
        assert!(to.join("pdfs").is_dir());
    }
}
