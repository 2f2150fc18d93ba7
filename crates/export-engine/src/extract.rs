//! Stage 5, extract: write the archive's entries into a staging folder, never outside it.
//!
//! Refused: `..` components, absolute paths, drive letters, backslashes, symlinks. Capped: the
//! total size (and the free disk), and the compression ratio of large entries (zip bombs).
//! The caller publishes the staging folder by renaming it, so a half-extracted export never
//! looks complete.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::error::EngineError;
use crate::manifest::{Problem, Renamed};
use crate::names::{self, Placement};
use crate::progress::{Progress, ProgressSink, Throttle};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most the export may unpack to.
    pub max_total_bytes: u64,
    /// Entries larger than 1 MiB may not expand more than this many times their packed size.
    pub max_ratio: u64,
    /// The most UTF-16 units a file's path inside the export may have: Windows' path limit less
    /// the export folder's own path ([`names::path_budget`] of the destination).
    pub path_budget: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_total_bytes: 256 << 30, max_ratio: 200, path_budget: names::MAX_PATH }
    }
}

/// An extracted instrument PDF, found by the trailing `_<id>.pdf` of its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PdfFile {
    /// The file written, relative to the export folder, with `/` separators, in NFC: what
    /// everything that opens the PDF goes through ([`names::find_on_disk`]).
    pub path: String,
    /// None when the PDF could not be read.
    pub pages: Option<u32>,
}

#[derive(Debug, Default)]
pub struct Extracted {
    pub files: u64,
    pub bytes: u64,
    pub pdfs: BTreeMap<u64, PdfFile>,
    pub problems: Vec<Problem>,
    /// Entries written under another name than the archive gave them.
    pub renamed: Vec<Renamed>,
}

pub fn extract(zip: &Path, staging: &Path, limits: Limits, progress: &dyn ProgressSink, cancel: &CancellationToken) -> Result<Extracted, EngineError> {
    let file = File::open(zip).map_err(EngineError::io(format!("could not read {}", zip.display())))?;
    let mut archive = zip::ZipArchive::new(file).map_err(|e| EngineError::BadArchive { reason: format!("the central directory is unreadable ({e})") })?;
    crate::fsutil::create_dir_below(staging.parent().unwrap_or(staging), staging)?;

    let declared: u64 = (0..archive.len()).filter_map(|i| archive.by_index_raw(i).ok().map(|e| e.size())).sum();
    if declared > limits.max_total_bytes {
        return Err(EngineError::ArchiveTooLarge { bytes: declared, limit: limits.max_total_bytes });
    }
    if let Ok(available) = fs4::available_space(staging)
        && declared > available
    {
        return Err(EngineError::NotEnoughSpace { needed: declared, available, path: staging.to_path_buf() });
    }

    let mut writer = EntryWriter::new(staging, limits);
    each_entry(&mut archive, cancel, |files, total| progress.emit(Progress::Extracted { files, total }), |entry| writer.write(entry))?;
    Ok(writer.finish())
}

/// Reads every entry of `archive` in order, handing each to `visit`: the one loop verify and
/// extract share. Stops at a cancel; reports `(entries done, total)` to `done` every 100 ms and
/// at the end.
pub(crate) fn each_entry<R: Read + io::Seek>(
    archive: &mut zip::ZipArchive<R>,
    cancel: &CancellationToken,
    done: impl Fn(u64, u64),
    mut visit: impl FnMut(&mut zip::read::ZipFile<'_, R>) -> Result<(), EngineError>,
) -> Result<u64, EngineError> {
    let total = archive.len() as u64;
    let mut throttle = Throttle::new(Duration::from_millis(100));
    for i in 0..archive.len() {
        if cancel.is_cancelled() {
            return Err(EngineError::Cancelled);
        }
        let mut entry = archive.by_index(i).map_err(|e| EngineError::BadArchive { reason: format!("entry {i} is unreadable ({e})") })?;
        visit(&mut entry)?;
        if throttle.ready() {
            done(i as u64 + 1, total);
        }
    }
    done(total, total);
    Ok(total)
}

/// Writes archive entries into a staging folder one at a time, with the checks every
/// extraction makes (paths, sizes, compression ratio), whether the entries come from a finished
/// archive or from a download still arriving.
pub(crate) struct EntryWriter<'a> {
    staging: &'a Path,
    limits: Limits,
    extracted: Extracted,
    /// The entry being written, when it is small enough to hold whole.
    buffer: Vec<u8>,
    /// The folder the last entry went into, already created.
    made: Option<PathBuf>,
    /// Where each entry goes: a legal, unique name on every OS.
    placement: Placement,
}

/// Entries up to this size are read whole into memory before they are written.
const IN_MEMORY: u64 = 8 << 20;

impl<'a> EntryWriter<'a> {
    pub(crate) fn new(staging: &'a Path, limits: Limits) -> Self {
        EntryWriter { staging, limits, extracted: Extracted::default(), buffer: Vec::new(), made: None, placement: Placement::new(limits.path_budget) }
    }

    /// Writes `entry` (read to its end, which makes the zip crate check its CRC-32), or records
    /// why it was skipped.
    pub(crate) fn write<R: Read>(&mut self, entry: &mut zip::read::ZipFile<'_, R>) -> Result<(), EngineError> {
        let name = entry_name(entry);
        let Some(relative) = safe_relative_path(&name, entry.is_symlink()) else {
            self.extracted.problems.push(unsafe_entry(&name));
            return Ok(());
        };
        if entry.is_dir() {
            let target = names::join(self.staging, &self.placement.folder_path(&relative));
            return crate::fsutil::create_dir_below(self.staging, &target);
        }
        let placed = self.placement.file(&relative);
        let target = names::join(self.staging, &placed);
        let size = entry.size();
        if size > 1 << 20 && size / entry.compressed_size().max(1) > self.limits.max_ratio {
            return Err(EngineError::ZipBomb { entry: name, ratio: size / entry.compressed_size().max(1) });
        }
        // The declared total is checked up front when there is a central directory to read;
        // entries arriving one by one are counted as they come.
        let so_far = self.extracted.bytes + size;
        if so_far > self.limits.max_total_bytes {
            return Err(EngineError::ArchiveTooLarge { bytes: so_far, limit: self.limits.max_total_bytes });
        }
        if let Some(parent) = target.parent()
            && self.made.as_deref() != Some(parent)
        {
            crate::fsutil::create_dir_below(self.staging, parent)?;
            self.made = Some(parent.to_path_buf());
        }
        let pdf_id = pdf_instrument_id(&name);
        let corrupt = |e: io::Error| EngineError::BadArchive { reason: format!("entry {name:?} is corrupt ({e})") };
        let lied = |copied: u64| EngineError::BadArchive { reason: format!("entry {name:?} holds {copied} bytes, not the {size} it declares") };
        // Never trust the declared size: read at most one byte more, to notice a lie.
        let pages = if size <= IN_MEMORY {
            // Most entries (an instrument's PDF) are small: read whole into one reused buffer,
            // written with one call and counted in memory, with no per-file allocation.
            self.buffer.clear();
            entry.take(size + 1).read_to_end(&mut self.buffer).map_err(corrupt)?;
            if self.buffer.len() as u64 != size {
                return Err(lied(self.buffer.len() as u64));
            }
            fs::write(&target, &self.buffer).map_err(EngineError::io(format!("could not write {}", target.display())))?;
            pdf_id.map(|_| lopdf::Document::load_metadata_mem(&self.buffer).ok().map(|m| m.page_count))
        } else {
            let mut out =
                io::BufWriter::with_capacity(1 << 20, File::create(&target).map_err(EngineError::io(format!("could not create {}", target.display())))?);
            let copied = io::copy(&mut entry.take(size + 1), &mut out).map_err(corrupt)?;
            if copied != size {
                return Err(lied(copied));
            }
            out.flush().map_err(EngineError::io(format!("could not write {}", target.display())))?;
            pdf_id.map(|_| lopdf::Document::load_metadata(&target).ok().map(|m| m.page_count))
        };
        self.extracted.files += 1;
        self.extracted.bytes += size;
        if placed != slash_path(&relative) {
            self.extracted.renamed.push(Renamed { entry: name, file: placed.clone() });
        }
        if let (Some(id), Some(pages)) = (pdf_id, pages) {
            self.extracted.pdfs.insert(id, PdfFile { path: placed, pages });
        }
        Ok(())
    }

    /// Takes back an entry written as a file that the central directory says is a symlink
    /// (entries arriving one by one cannot tell), and reports it like any unsafe entry.
    pub(crate) fn refuse_symlink(&mut self, name: &str) -> Result<(), EngineError> {
        if let Some(relative) = safe_relative_path(name, false) {
            let placed = match self.extracted.renamed.iter().position(|r| r.entry == name) {
                Some(at) => self.extracted.renamed.remove(at).file,
                None => slash_path(&relative),
            };
            let target = names::join(self.staging, &placed);
            if let Ok(meta) = fs::symlink_metadata(&target)
                && meta.is_file()
            {
                fs::remove_file(&target).map_err(EngineError::io(format!("could not remove {}", target.display())))?;
                self.extracted.files -= 1;
                self.extracted.bytes -= meta.len();
                if let Some(id) = pdf_instrument_id(name) {
                    self.extracted.pdfs.remove(&id);
                }
            }
        }
        self.extracted.problems.push(unsafe_entry(name));
        Ok(())
    }

    pub(crate) fn finish(self) -> Extracted {
        self.extracted
    }
}

/// `path` with `/` separators, as the export records paths on every OS.
fn slash_path(path: &Path) -> String {
    path.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

fn unsafe_entry(name: &str) -> Problem {
    Problem::archive(format!("Skipped the archive entry {name:?}: its path would land outside the export folder."))
}

/// The entry's path relative to the export folder, or None if it could escape it.
pub fn safe_relative_path(name: &str, is_symlink: bool) -> Option<PathBuf> {
    if is_symlink || name.is_empty() || name.contains('\\') || name.contains('\0') {
        return None;
    }
    let bytes = name.as_bytes();
    if bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic() {
        return None;
    }
    let path = Path::new(name);
    let mut clean = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => clean.push(part),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    (!clean.as_os_str().is_empty()).then_some(clean)
}

/// The instrument id of `pdfs/<Type>_<start>-<end>_<id>.pdf`, read from the trailing `_<id>.pdf`.
pub fn pdf_instrument_id(name: &str) -> Option<u64> {
    let file = name.rsplit('/').next()?;
    let stem = file.strip_suffix(".pdf").or_else(|| file.strip_suffix(".PDF"))?;
    stem.rsplit_once('_')?.1.parse().ok()
}

/// An entry's name as text; names that are not UTF-8 are shown lossily (and then fail the
/// safety check only if they could escape).
pub(crate) fn entry_name<R: Read>(entry: &zip::read::ZipFile<'_, R>) -> String {
    match entry.name() {
        Ok(name) => name.into_owned(),
        Err(_) => String::from_utf8_lossy(entry.name_raw()).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_that_could_escape_are_refused() {
        for bad in ["../outside.txt", "/tmp/x", "pdfs/../../x", "C:/x", "c:x", "pdfs\\..\\x", "", "./", "a/\0b"] {
            assert_eq!(safe_relative_path(bad, false), None, "{bad:?}");
        }
        assert_eq!(safe_relative_path("pdfs/link", true), None);
        assert_eq!(safe_relative_path("pdfs/Bill of Sale_1-2_3.pdf", false), Some(PathBuf::from("pdfs/Bill of Sale_1-2_3.pdf")));
        assert_eq!(safe_relative_path("./instruments.json", false), Some(PathBuf::from("instruments.json")));
    }

    #[test]
    fn pdfs_link_to_instruments_by_their_trailing_id() {
        assert_eq!(pdf_instrument_id("pdfs/Bill of Sale_3-5_402970.pdf"), Some(402_970));
        assert_eq!(pdf_instrument_id("pdfs/Assignment _ Assumption_11-11_402974.pdf"), Some(402_974));
        assert_eq!(pdf_instrument_id("pdfs/Weird_Name_With_Underscores_1-1_7.pdf"), Some(7));
        assert_eq!(pdf_instrument_id("pdfs/notes.pdf"), None);
        assert_eq!(pdf_instrument_id("instruments.json"), None);
    }
}
