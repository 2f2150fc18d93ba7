//! Files made from an export: the `saved/` folder inside it, and PDFs copied out to a folder
//! the user chose.

use std::path::{Path, PathBuf};

use super::Browser;
use crate::error::EngineError;

/// The folder inside an export where CSV files and merged PDFs made from it are saved.
pub const SAVED: &str = "saved";

impl Browser {
    /// `<export>/saved/<name>-<UTC time>.<extension>`, never an existing file.
    pub fn saved_path(&self, name: &str, extension: &str) -> Result<PathBuf, EngineError> {
        let folder = self.dir.join(SAVED);
        std::fs::create_dir_all(&folder).map_err(EngineError::io(format!("could not create {}", folder.display())))?;
        let stamp = crate::fsutil::now_stamp();
        let mut path = folder.join(format!("{name}-{stamp}.{extension}"));
        for n in 2.. {
            if !path.exists() {
                break;
            }
            path = folder.join(format!("{name}-{stamp}-{n}.{extension}"));
        }
        Ok(path)
    }

    /// Copies the PDFs of `ids` into `folder`, never over an existing file (a copy is then named
    /// `name (2).pdf`). Returns how many were copied.
    pub fn copy_pdfs(&self, ids: &[u64], folder: &Path) -> Result<u64, EngineError> {
        let io = |path: &Path| EngineError::io(format!("could not copy into {}", path.display()));
        let mut copied = 0;
        for source in self.pdf_paths(ids)? {
            let name = source.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "instrument".into());
            let mut target = folder.join(format!("{name}.pdf"));
            for n in 2.. {
                if !target.exists() {
                    break;
                }
                target = folder.join(format!("{name} ({n}).pdf"));
            }
            std::fs::copy(&source, &target).map_err(io(&target))?;
            copied += 1;
        }
        Ok(copied)
    }
}
