//! Stages 4 and 5 while the bytes arrive: verify and extract the archive by reading its part
//! file as the download writes it, so that little is left to do after the last byte.
//!
//! The entries are read from their local headers in archive order, each one's CRC-32 checked as
//! it is read to its end. The central directory, read at the end, must then agree with every
//! local header (the zip crate's header-consistency check), or nothing extracted counts. The
//! staging folder is published whole by the pipeline, as after a classic extraction.
//!
//! When instruments.json is the archive's first entry (as AnnoLab writes it), its index is
//! built as soon as it is extracted, on a thread of its own, while the PDFs still arrive
//! ([`IndexingAhead`]): what is left after the last byte is linking the PDFs to the rows.
//!
//! Streaming is an optimisation, never a second source of truth: whatever stops it (an archive
//! whose local headers lack sizes, a download that starts the file over, a full disk, a
//! mismatch) leaves the pipeline to verify and extract the finished archive the classic way.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use zip::read::{ZipFile, ZipFileEntry};
use zip::result::{ZipError, ZipResult};
use zip::unstable::stream::{ZipStreamReader, ZipStreamVisitor};

use crate::download::Arrivals;
use crate::error::EngineError;
use crate::extract::{EntryWriter, Extracted, Limits};
use crate::index;

/// Why streaming stopped; the pipeline then falls back to the finished archive.
#[derive(Debug)]
pub enum Stopped {
    Cancelled,
    /// Not an error to show: the classic path will find and name any real problem.
    FallBack(String),
}

/// An archive verified and extracted as it arrived.
#[derive(Debug)]
pub struct Streamed {
    pub extracted: Extracted,
    /// Entries in the central directory.
    pub entries: u64,
    /// instruments.json's index, begun as soon as it was extracted.
    pub indexing: Option<IndexingAhead>,
}

/// The index of an export's instruments.json, built on a thread of its own while the rest of
/// the archive arrives, in a folder beside the staging folder (an archive entry named like an
/// index file cannot touch it). Dropped unfinished, it stops and leaves nothing behind.
#[derive(Debug)]
pub struct IndexingAhead {
    thread: Option<std::thread::JoinHandle<Result<index::Tables, EngineError>>>,
    cancel: CancellationToken,
    dir: PathBuf,
}

impl IndexingAhead {
    fn start(staging: &Path, cancel: &CancellationToken) -> Option<Self> {
        let dir = beside(staging);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir(&dir).ok()?;
        let cancel = cancel.child_token();
        let (source, out, stop) = (staging.join(index::INSTRUMENTS), dir.clone(), cancel.clone());
        let thread =
            std::thread::Builder::new().name("index-ahead".into()).spawn(move || index::build_tables(&source, &out, &|_: crate::Progress| {}, &stop)).ok()?;
        Some(IndexingAhead { thread: Some(thread), cancel, dir })
    }

    /// Waits for the tables, links `pdfs` to them and moves the index into `staging`. None when
    /// they could not be built: the caller indexes the export the usual way, which names any
    /// real problem.
    pub fn finish(mut self, staging: &Path, pdfs: &std::collections::BTreeMap<u64, crate::extract::PdfFile>, expect_pdfs: bool) -> Option<index::Indexed> {
        let tables = match self.thread.take()?.join() {
            Ok(Ok(tables)) => tables,
            Ok(Err(e)) => {
                tracing::info!("indexing ahead stopped ({e}); indexing after the download instead");
                return None;
            }
            Err(_) => return None,
        };
        let indexed = index::link_pdfs(&tables, pdfs, expect_pdfs).map_err(|e| tracing::info!("linking the PDFs ahead failed ({e})")).ok()?;
        for name in [index::INDEX, index::SEARCH] {
            let target = staging.join(name);
            // An archive entry of that name is replaced, as indexing in place would.
            let _ = std::fs::remove_file(&target);
            std::fs::rename(self.dir.join(name), &target).ok()?;
        }
        Some(indexed)
    }
}

impl Drop for IndexingAhead {
    fn drop(&mut self) {
        self.cancel.cancel();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The folder beside `staging` where its index is built ahead.
fn beside(staging: &Path) -> PathBuf {
    let mut name = staging.file_name().unwrap_or_default().to_os_string();
    name.push(".index");
    staging.with_file_name(name)
}

/// Follows `part` (the download's part file) as `arrivals` reports its growth, extracting every
/// entry into `staging`. Blocks; run it beside the download.
pub fn extract_while_downloading(
    part: &Path,
    arrivals: Arc<Arrivals>,
    staging: &Path,
    limits: Limits,
    cancel: &CancellationToken,
) -> Result<Streamed, Stopped> {
    let fall_back = |why: String| Stopped::FallBack(why);
    crate::fsutil::create_dir_below(staging.parent().unwrap_or(staging), staging).map_err(|e| fall_back(e.to_string()))?;
    let file = open_when_present(part, &arrivals, cancel)?;
    let follower = Follower { file, read: 0, arrivals, cancel: cancel.clone() };
    let mut visitor = Visitor { writer: EntryWriter::new(staging, limits), staging, cancel, failure: None, entries: 0, indexing: None };
    let outcome = ZipStreamReader::new(BufReader::with_capacity(1 << 20, follower)).enforce_header_consistency(true).visit(&mut visitor);
    if cancel.is_cancelled() {
        return Err(Stopped::Cancelled);
    }
    match (outcome, visitor.failure) {
        (Ok(()), None) => Ok(Streamed { entries: visitor.entries, extracted: visitor.writer.finish(), indexing: visitor.indexing }),
        (_, Some(failure)) => Err(fall_back(failure.to_string())),
        (Err(e), None) => Err(fall_back(e.to_string())),
    }
}

/// The part file may not exist yet when the download has not started writing.
fn open_when_present(part: &Path, arrivals: &Arrivals, cancel: &CancellationToken) -> Result<File, Stopped> {
    loop {
        match File::open(part) {
            Ok(file) => return Ok(file),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if cancel.is_cancelled() {
                    return Err(Stopped::Cancelled);
                }
                let state = arrivals.wait_beyond(0, Duration::from_millis(50));
                if state.ended.is_some() && !part.exists() {
                    return Err(Stopped::FallBack("the download ended before its file appeared".to_owned()));
                }
            }
            Err(e) => return Err(Stopped::FallBack(format!("could not read {}: {e}", part.display()))),
        }
    }
}

/// Reads the part file no further than the bytes the download has reported, waiting for more
/// until the download ends.
struct Follower {
    file: File,
    read: u64,
    arrivals: Arc<Arrivals>,
    cancel: CancellationToken,
}

impl Read for Follower {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.cancel.is_cancelled() {
                // Not `Interrupted`: readers retry that kind of error.
                return Err(io::Error::other("cancelled"));
            }
            let arrived = self.arrivals.wait_beyond(self.read, Duration::from_millis(100));
            if arrived.rewritten {
                return Err(io::Error::other("the download started its file over"));
            }
            if arrived.bytes > self.read {
                let want = buf.len().min((arrived.bytes - self.read) as usize);
                let n = self.file.read(&mut buf[..want])?;
                if n == 0 {
                    return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the part file is shorter than reported"));
                }
                self.read += n as u64;
                return Ok(n);
            }
            match arrived.ended {
                Some(true) => return Ok(0),
                Some(false) => return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the download stopped")),
                None => {}
            }
        }
    }
}

struct Visitor<'a> {
    writer: EntryWriter<'a>,
    staging: &'a Path,
    cancel: &'a CancellationToken,
    /// Begun once instruments.json is extracted whole.
    indexing: Option<IndexingAhead>,
    /// The engine's own error, kept whole (the zip crate's error type cannot carry it).
    failure: Option<EngineError>,
    entries: u64,
}

impl ZipStreamVisitor for Visitor<'_> {
    fn visit_file<R: Read>(&mut self, file: &mut ZipFile<'_, R>) -> ZipResult<()> {
        if self.cancel.is_cancelled() {
            return Err(ZipError::Io(io::Error::other("cancelled")));
        }
        self.writer.write(file).map_err(|e| {
            let message = e.to_string();
            self.failure = Some(e);
            ZipError::Io(io::Error::other(message))
        })?;
        // The first entry of that name is the one extracted under it (later ones are renamed).
        if self.indexing.is_none() && self.staging.join(index::INSTRUMENTS).is_file() {
            self.indexing = IndexingAhead::start(self.staging, self.cancel);
        }
        Ok(())
    }

    fn visit_additional_metadata(&mut self, entry: &ZipFileEntry<'_>) -> ZipResult<()> {
        self.entries += 1;
        if entry.is_symlink() {
            let name = match entry.name() {
                Ok(name) => name.into_owned(),
                Err(_) => String::from_utf8_lossy(entry.name_raw()).into_owned(),
            };
            self.writer.refuse_symlink(&name).map_err(|e| {
                let message = e.to_string();
                self.failure = Some(e);
                ZipError::Io(io::Error::other(message))
            })?;
        }
        Ok(())
    }
}
