//! Stage 3, download: stream the signed URL to `<zip>.part` with bounded memory, resume with
//! `Range` after a cut (or a restart), fetch a fresh URL when one expires, then fsync and rename.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use annolab_api::{ApiError, Storage};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use tokio_util::sync::CancellationToken;

use crate::error::EngineError;
use crate::progress::{Progress, ProgressSink, Speedometer, Throttle};

/// How often a URL may expire during one download before we stop asking for fresh ones.
const MAX_URL_REFRESHES: u32 = 5;
/// Resumes after a cut that brought new bytes are not counted against the retry budget (a
/// flaky link that always makes progress finishes); this bounds them all the same.
const MAX_RESUMES: u32 = 1000;
const WRITE_BUFFER: usize = 1 << 20;
/// A reader following the part file hears of new bytes every this many (and at every cut).
const LAND_EVERY: u64 = 4 << 20;
/// Written data is pushed to disk in the background every this many bytes, so the fsync before
/// the rename has little left to do: durability without a long stall at the end.
const WRITEBACK_EVERY: u64 = 32 << 20;

/// The `.part` file a download of `zip` writes to until it is complete.
pub fn part_path(zip: &Path) -> std::path::PathBuf {
    let mut name = zip.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    zip.with_file_name(name)
}

/// Where a fresh signed URL comes from when the current one is refused (expired): in practice,
/// another status poll.
pub trait FreshUrl: Send + Sync {
    fn fresh(&self) -> Pin<Box<dyn Future<Output = Result<String, EngineError>> + Send + '_>>;
}

/// What must fit on the disk, checked once the archive's size is known and before a byte of it
/// is written: a disk too small is found at the start of a long download, not at its end.
#[derive(Debug, Clone, Copy, Default)]
pub struct Room<'a> {
    /// The folder a refusal names (the one the user chose: the library); `None` checks nothing.
    pub named: Option<&'a Path>,
    /// Whether the extracted files land on the archive's disk too: about the archive's size
    /// again, since PDFs barely compress.
    pub extracted_beside: bool,
}

impl Room<'_> {
    /// [`EngineError::NotEnoughSpace`] when the rest of an archive of `total` bytes, `written`
    /// of them already in `part`, cannot fit. A free space the OS does not report checks nothing:
    /// a write that fails later is still reported as a full disk.
    fn check(&self, part: &Path, total: u64, written: u64) -> Result<(), EngineError> {
        let Some(named) = self.named else { return Ok(()) };
        let still = total.saturating_sub(written);
        let needed = if self.extracted_beside { still.saturating_add(total) } else { still };
        match fs4::available_space(part.parent().unwrap_or(part)) {
            Ok(available) if available < needed => Err(EngineError::NotEnoughSpace { needed, available, path: named.to_path_buf() }),
            _ => Ok(()),
        }
    }
}

/// A finished download: its size and the sha256 of its bytes, hashed as they arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downloaded {
    pub bytes: u64,
    pub sha256: String,
}

/// Downloads `url` to `zip`, asking `fresh_url` for a new URL when one expires. `arrivals`
/// hears how much of the part file holds the archive's bytes, for a reader following it; `room` is
/// checked once the archive's size is known.
#[allow(clippy::too_many_arguments)]
pub async fn download(
    storage: &Storage,
    mut url: String,
    zip: &Path,
    room: Room<'_>,
    fresh_url: &dyn FreshUrl,
    arrivals: &Arrivals,
    progress: &dyn ProgressSink,
    cancel: &CancellationToken,
) -> Result<Downloaded, EngineError> {
    let part = part_path(zip);
    let io = |context: &str| EngineError::io(format!("{context} {}", part.display()));
    let mut written = match tokio::fs::metadata(&part).await {
        Ok(meta) => meta.len(),
        Err(_) => 0,
    };
    // Hashing as the bytes arrive spares the verify stage a second read of the whole archive;
    // bytes kept from an earlier run are hashed first.
    let mut hasher = prefix_hash(&part, written).await.map_err(io("could not read"))?;
    let retry = storage.retry();
    // `stuck`: cuts in a row that brought no new byte; only these use up the retry budget.
    let (mut stuck, mut resumes, mut refreshes) = (0u32, 0u32, 0u32);
    let mut speed = Speedometer::new();
    let mut throttle = Throttle::new(Duration::from_millis(100));
    loop {
        if cancel.is_cancelled() {
            return Err(EngineError::Cancelled);
        }
        let mut body = match storage.fetch(&url, written).await {
            Ok(body) => body,
            Err(ApiError::RangeBeyondEnd { total: Some(total), .. }) if total == written => {
                // Every byte is already in the part file: a stop after the last byte and before
                // the rename. Make the bytes durable and take the file as the download.
                let file = tokio::fs::OpenOptions::new().write(true).open(&part).await.map_err(io("could not open"))?;
                file.sync_data().await.map_err(io("could not sync"))?;
                arrivals.landed(written);
                break;
            }
            Err(ApiError::RangeBeyondEnd { .. }) => {
                // The part file holds more than the object: it is not this object. Start over.
                written = 0;
                hasher = Sha256::new();
                arrivals.rewritten();
                tokio::fs::remove_file(&part).await.map_err(io("could not remove"))?;
                continue;
            }
            Err(ApiError::SignedUrlExpired) if refreshes < MAX_URL_REFRESHES => {
                refreshes += 1;
                progress.emit(Progress::Notice { message: "The download link expired; fetching a fresh one.".to_owned() });
                url = fresh_url.fresh().await?;
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        if body.offset == 0 && written > 0 {
            // The host ignored our Range and sends everything again: start the file over.
            written = 0;
            hasher = Sha256::new();
            arrivals.rewritten();
        }
        if let Some(total) = body.total {
            room.check(&part, total, written)?;
        }
        let file = tokio::fs::OpenOptions::new().create(true).write(true).truncate(false).open(&part).await.map_err(io("could not open"))?;
        file.set_len(written).await.map_err(io("could not resize"))?;
        // A second handle for background fsyncs: fsync flushes the file, whichever handle asks.
        let syncer = std::fs::OpenOptions::new().write(true).open(&part).map_err(io("could not open"))?;
        let mut writeback: Option<tokio::task::JoinHandle<std::io::Result<()>>> = None;
        let mut synced_up_to = written;
        let mut landed = written;
        arrivals.landed(written);
        let mut file = tokio::io::BufWriter::with_capacity(WRITE_BUFFER, file);
        tokio::io::AsyncSeekExt::seek(&mut file, std::io::SeekFrom::Start(written)).await.map_err(io("could not seek in"))?;
        let total = body.total;
        let started_at = written;
        let mut cut = false;
        loop {
            let chunk = tokio::select! {
                _ = cancel.cancelled() => {
                    file.flush().await.map_err(io("could not write"))?;
                    return Err(EngineError::Cancelled);
                }
                chunk = body.chunk() => chunk,
            };
            match chunk {
                Ok(Some(bytes)) => {
                    file.write_all(&bytes).await.map_err(io("could not write"))?;
                    hasher.update(&bytes);
                    written += bytes.len() as u64;
                    if written - landed >= LAND_EVERY {
                        file.flush().await.map_err(io("could not write"))?;
                        arrivals.landed(written);
                        landed = written;
                    }
                    if written - synced_up_to >= WRITEBACK_EVERY && writeback.as_ref().is_none_or(|w| w.is_finished()) {
                        file.flush().await.map_err(io("could not write"))?;
                        let handle = syncer.try_clone().map_err(io("could not sync"))?;
                        writeback = Some(tokio::task::spawn_blocking(move || handle.sync_data()));
                        synced_up_to = written;
                    }
                    let rate = speed.record(written);
                    if throttle.ready() {
                        progress.emit(downloaded(written, total, rate));
                    }
                }
                Ok(None) => break,
                Err(_) => {
                    cut = true;
                    break;
                }
            }
        }
        file.flush().await.map_err(io("could not write"))?;
        if let Some(pending) = writeback.take() {
            pending.await.map_err(|e| std::io::Error::other(e.to_string())).and_then(|r| r).map_err(io("could not sync"))?;
        }
        arrivals.landed(written);
        let file = file.into_inner();
        file.sync_data().await.map_err(io("could not sync"))?;
        drop(file);

        match total {
            Some(total) if written > total => {
                // More bytes than the object holds: the part file is not this object. Start over.
                written = 0;
                hasher = Sha256::new();
                arrivals.rewritten();
                tokio::fs::remove_file(&part).await.map_err(io("could not remove"))?;
            }
            Some(total) if written == total && !cut => break,
            None if !cut => break,
            _ => {}
        }
        stuck = if written > started_at { 0 } else { stuck + 1 };
        resumes += 1;
        if stuck >= retry.attempts || resumes >= MAX_RESUMES {
            // The bytes received stay in the part file, for a later resume to go on from.
            return Err(EngineError::Api(ApiError::DownloadIncomplete { host: url_host(&url), received: written, total, attempts: stuck.max(1) }));
        }
        progress.emit(Progress::Notice { message: format!("The download was cut off at {written} bytes; resuming.") });
        tokio::time::sleep(retry.delay(stuck.max(1), None)).await;
    }
    progress.emit(downloaded(written, Some(written), 0.0));
    tokio::fs::rename(&part, zip).await.map_err(io("could not rename"))?;
    Ok(Downloaded { bytes: written, sha256: crate::verify::hex(&hasher.finalize()) })
}

/// How much of a download's part file holds the archive's bytes, told by the download to a
/// reader following the file as it grows (see [`crate::stream`]). The download never waits for
/// the reader; the reader waits for the download.
#[derive(Debug, Default)]
pub struct Arrivals {
    state: Mutex<Arrived>,
    changed: Condvar,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Arrived {
    /// Bytes from the start of the file that are the archive's and written to the file.
    pub bytes: u64,
    /// No more bytes will come: the download is complete (true) or stopped (false).
    pub ended: Option<bool>,
    /// The download started the file over, so bytes already read are not the archive's.
    pub rewritten: bool,
}

impl Arrivals {
    fn update(&self, change: impl FnOnce(&mut Arrived)) {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        change(&mut state);
        self.changed.notify_all();
    }

    /// The first `bytes` bytes of the file are the archive's and written.
    pub fn landed(&self, bytes: u64) {
        self.update(|s| s.bytes = s.bytes.max(bytes));
    }

    /// The download started the file over.
    pub fn rewritten(&self) {
        self.update(|s| s.rewritten = true);
    }

    /// The download ended: `complete` when every byte is in the file. The first word stands.
    pub fn end(&self, complete: bool) {
        self.update(|s| {
            s.ended.get_or_insert(complete);
        });
    }

    /// Ends the arrivals (as stopped) when dropped, unless they were ended before: a download
    /// abandoned anywhere (an error, a dropped future) never leaves its reader waiting.
    pub fn guard(self: &std::sync::Arc<Self>) -> EndOnDrop {
        EndOnDrop(std::sync::Arc::clone(self))
    }

    /// Waits until more than `read` bytes have arrived, or nothing more will (at most `wait`).
    pub(crate) fn wait_beyond(&self, read: u64, wait: Duration) -> Arrived {
        let state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let (state, _) = self
            .changed
            .wait_timeout_while(state, wait, |s| s.bytes <= read && s.ended.is_none() && !s.rewritten)
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *state
    }
}

/// See [`Arrivals::guard`].
pub struct EndOnDrop(std::sync::Arc<Arrivals>);

impl Drop for EndOnDrop {
    fn drop(&mut self) {
        self.0.end(false);
    }
}

/// The hash of the first `len` bytes of `path` (none when it does not exist yet).
async fn prefix_hash(path: &Path, len: u64) -> std::io::Result<Sha256> {
    let mut hasher = Sha256::new();
    if len == 0 {
        return Ok(hasher);
    }
    let mut file = tokio::io::AsyncReadExt::take(tokio::fs::File::open(path).await?, len);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = tokio::io::AsyncReadExt::read(&mut file, &mut buf).await?;
        if n == 0 {
            return Ok(hasher);
        }
        hasher.update(&buf[..n]);
    }
}

fn downloaded(bytes: u64, total: Option<u64>, bytes_per_sec: f64) -> Progress {
    let eta_secs = match total {
        Some(total) if bytes_per_sec > 0.0 => Some(total.saturating_sub(bytes) as f64 / bytes_per_sec),
        _ => None,
    };
    Progress::Downloaded { bytes, total, bytes_per_sec, eta_secs }
}

fn url_host(url: &str) -> String {
    url.split("://").nth(1).and_then(|rest| rest.split(['/', '?']).next()).unwrap_or("the download host").to_owned()
}
