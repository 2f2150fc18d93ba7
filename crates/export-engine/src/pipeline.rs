//! The whole pipeline, request -> poll -> download -> verify -> extract -> index -> publish,
//! driving one [`JobRecord`] and saving it at every phase change. Verify and extract run beside
//! the download when they can ([`crate::stream`]), and after it otherwise.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use annolab_api::{Client, Storage};
use tokio_util::sync::CancellationToken;

use crate::download::Arrivals;
use crate::error::EngineError;
use crate::extract::{self, Limits};
use crate::fsutil::{now_rfc3339, now_stamp};
use crate::index;
use crate::job::{JobFailure, JobRecord, JobState, JobStore, new_id};
use crate::library::Library;
use crate::manifest::{Counts, Manifest, PhaseTimes};
use crate::progress::{Phase, Progress, ProgressSink};
use crate::request::ExportRequest;
use crate::stream::{self, Stopped};
use crate::{download, poll, verify};

/// The engine: everything a front end needs to run exports into a library.
#[derive(Debug, Clone)]
pub struct Engine {
    client: Client,
    storage: Storage,
    library: Library,
    jobs: JobStore,
    limits: Limits,
}

/// A published export.
#[derive(Debug, Clone)]
pub struct Finished {
    pub dir: PathBuf,
    pub manifest: Manifest,
}

impl Engine {
    pub fn new(client: Client, storage: Storage, library: Library) -> Self {
        let jobs = JobStore::new(library.jobs_dir());
        Engine { client, storage, library, jobs, limits: Limits::default() }
    }

    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    pub fn library(&self) -> &Library {
        &self.library
    }

    pub fn jobs(&self) -> &JobStore {
        &self.jobs
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Records a new job (nothing is sent yet). `out` publishes into exactly that folder.
    pub fn create_job(&self, request: ExportRequest, out: Option<PathBuf>, profile: Option<String>) -> Result<JobRecord, EngineError> {
        // Kept whole in the job record: a relative --out would mean another folder to a resume
        // run elsewhere, and its staging folder beside it needs a parent to be made in.
        let out = out.map(|out| absolute(&out)).transpose()?;
        if let Some(out) = &out
            && out.exists()
            && std::fs::read_dir(out).map(|mut d| d.next().is_some()).unwrap_or(true)
        {
            return Err(EngineError::DestinationNotEmpty { path: out.clone() });
        }
        // Refused before the server is asked for anything: a read-only disk or a folder without
        // permission is named now, not after a long download.
        crate::fsutil::ensure_writable(self.library.root())?;
        if let Some(folder) = out.as_deref().and_then(Path::parent).filter(|p| !p.as_os_str().is_empty()) {
            crate::fsutil::ensure_writable(folder)?;
        }
        let job = JobRecord {
            id: new_id(),
            server: self.client.server().to_string(),
            profile,
            request,
            out,
            phase: Phase::Requested,
            state: JobState::Running,
            error: None,
            remote_job_id: None,
            status_url: None,
            times: PhaseTimes::default(),
            export_dir: None,
        };
        self.jobs.save(&job)?;
        Ok(job)
    }

    /// Runs (or resumes) `job` to the end. The record is saved at every phase change and at
    /// the end, whatever the outcome.
    ///
    /// A job runs in one process at a time: while it runs it holds a lock, and a second `run`
    /// of it (the app resuming a job the CLI is running) fails with [`EngineError::JobBusy`].
    pub async fn run(&self, mut job: JobRecord, progress: Arc<dyn ProgressSink>, cancel: CancellationToken) -> Result<Finished, EngineError> {
        let _lock = self.jobs.lock(&job.id)?;
        job.state = JobState::Running;
        job.error = None;
        let result = self.drive(&mut job, &progress, &cancel).await.map_err(|error| self.folder_gone(&job, self.disk_full(&job, error)));
        match &result {
            Ok(_) => job.state = JobState::Done,
            Err(EngineError::Cancelled) => {
                job.state = JobState::Cancelled;
                self.clean_up(&job);
            }
            Err(error) => {
                job.state = JobState::Failed;
                job.error = Some(JobFailure { code: error.code().as_str().to_owned(), message: error.to_string() });
                if matches!(error, EngineError::BadArchive { .. }) {
                    // A damaged download is not worth resuming: the next try starts it afresh.
                    let _ = std::fs::remove_file(self.zip_path(&job));
                }
            }
        }
        match (self.jobs.save(&job), result) {
            (Ok(()), result) => result,
            // The failure is the news; a record that could not say so is secondary (a full
            // disk refuses both), and the record left says "running", which resumes.
            (Err(save), Err(error)) => {
                tracing::warn!(job = %job.id, "could not record the failure: {save}");
                Err(error)
            }
            (Err(save), Ok(_)) => Err(save),
        }
    }

    /// A write refused because the disk is full, in any phase (the archive, the extracted
    /// files, the index, the job record), as [`EngineError::NotEnoughSpace`]: the folder, about
    /// what the export needs there (the archive, its extracted files, which are about as large
    /// since PDFs barely compress, and room for the index and publishing) and what is free once
    /// the extracted files are given back: they come back from the archive on resume, and the
    /// space lets the job record and the rest of the library be written.
    fn disk_full(&self, job: &JobRecord, error: EngineError) -> EngineError {
        let full = match &error {
            EngineError::Io { source, .. } => source.kind() == std::io::ErrorKind::StorageFull,
            EngineError::Index(rusqlite::Error::SqliteFailure(code, _)) => code.code == rusqlite::ErrorCode::DiskFull,
            _ => false,
        };
        let folder = match &job.out {
            Some(out) => out.parent().map(Path::to_path_buf).unwrap_or_else(|| out.clone()),
            None => self.library.root().to_path_buf(),
        };
        if let EngineError::NotEnoughSpace { needed, available, path } = error {
            // Found by a check before writing (the download's, the extraction's): named by the
            // folder the user chose, not the hidden one the export works in.
            let path = if path.starts_with(&folder) { folder } else { path };
            return EngineError::NotEnoughSpace { needed, available, path };
        }
        if !full {
            return error;
        }
        let _ = std::fs::remove_dir_all(self.staging_dir(job));
        let zip = self.zip_path(job);
        let archive = [zip.clone(), download::part_path(&zip)].iter().filter_map(|f| std::fs::metadata(f).ok()).map(|m| m.len()).max().unwrap_or(0);
        let available = fs4::available_space(&folder).unwrap_or(0);
        EngineError::NotEnoughSpace { needed: archive.saturating_mul(3).max(available + 1), available, path: folder }
    }

    /// A failure to find a file or folder while the library, or the folder `--out` is in, has
    /// vanished (deleted, or its disk removed) as [`EngineError::FolderGone`] naming it: that
    /// is the cause, whichever file the export happened to touch first.
    fn folder_gone(&self, job: &JobRecord, error: EngineError) -> EngineError {
        let missing = match &error {
            EngineError::Io { source, .. } => source.kind() == std::io::ErrorKind::NotFound,
            EngineError::Index(rusqlite::Error::SqliteFailure(code, _)) => code.code == rusqlite::ErrorCode::CannotOpen,
            _ => false,
        };
        if !missing {
            return error;
        }
        let out_folder = job.out.as_deref().and_then(Path::parent).filter(|p| !p.as_os_str().is_empty());
        match [Some(self.library.root()), out_folder].into_iter().flatten().find(|folder| !folder.is_dir()) {
            Some(gone) => EngineError::FolderGone { path: gone.to_path_buf() },
            None => error,
        }
    }

    /// Cancels a job that is not running in this process (for example one interrupted earlier):
    /// its temporary files go, its record says cancelled.
    pub fn cancel_stored(&self, id: &str) -> Result<JobRecord, EngineError> {
        let mut job = self.jobs.load(id)?;
        if job.state != JobState::Done {
            job.state = JobState::Cancelled;
            clean_up(&self.library, &job);
            self.jobs.save(&job)?;
        }
        Ok(job)
    }

    /// The phases in order, each one method; a resumed job skips what its record says is done.
    async fn drive(&self, job: &mut JobRecord, progress: &Arc<dyn ProgressSink>, cancel: &CancellationToken) -> Result<Finished, EngineError> {
        let work = self.library.work_dir(&job.id);
        crate::fsutil::create_dir_below(self.library.root(), &work)?;
        // The folder --out goes into is made again if it went away before this run (a resume
        // after it was deleted); during the run nothing is made outside what is already there.
        if let Some(folder) = job.out.as_deref().and_then(Path::parent).filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder).map_err(EngineError::io(format!("could not create {}", folder.display())))?;
        }
        if job.status_url.is_none() {
            self.request(job, progress, cancel).await?;
        }
        let staging = self.staging_dir(job);
        let limits = self.limits_for(job);
        let (downloaded_sha256, mut streamed) = if job.phase < Phase::Verifying || !self.zip_path(job).exists() {
            let (sha256, streamed) = self.download(job, &staging, limits, progress, cancel).await?;
            (Some(sha256), streamed)
        } else {
            (None, None)
        };
        let indexing = streamed.as_mut().and_then(|s| s.indexing.take());
        let (verified, extracted) = self.verify_and_extract(job, &staging, limits, downloaded_sha256, streamed, progress, cancel).await?;
        let (indexed, extracted) = self.index(job, &staging, extracted, indexing, progress, cancel).await?;
        let manifest = self.record(job, &staging, verified, extracted, indexed, progress)?;
        let destination = self.destination(job, &now_stamp());
        let root = job.out.as_deref().and_then(Path::parent).filter(|p| !p.as_os_str().is_empty()).unwrap_or(self.library.root());
        publish(self.library.disk(), root, &staging, &destination)?;
        job.export_dir = Some(destination.clone());
        self.enter(job, Phase::Ready, progress)?;
        self.clean_up(job);
        Ok(Finished { dir: destination, manifest })
    }

    /// Requested -> processing: the server takes the export and names its status URL.
    async fn request(&self, job: &mut JobRecord, progress: &Arc<dyn ProgressSink>, cancel: &CancellationToken) -> Result<(), EngineError> {
        self.enter(job, Phase::Requested, progress)?;
        let body = job.request.body();
        let started = tokio::select! {
            _ = cancel.cancelled() => return Err(EngineError::Cancelled),
            started = self.client.start_export(&body) => started?,
        };
        job.remote_job_id = Some(started.export_job.id);
        job.status_url = Some(started.export_status_url);
        self.enter(job, Phase::Processing, progress)
    }

    /// Processing -> downloading: polls until the archive is ready, then downloads it while
    /// verifying and extracting it from its part file as it grows. Returns the archive's sha256
    /// and, when following the download worked, what it extracted.
    async fn download(
        &self,
        job: &mut JobRecord,
        staging: &Path,
        limits: Limits,
        progress: &Arc<dyn ProgressSink>,
        cancel: &CancellationToken,
    ) -> Result<(String, Option<stream::Streamed>), EngineError> {
        // Resuming from a later phase whose zip is gone starts over from the server's status.
        if job.phase > Phase::Downloading {
            self.enter(job, Phase::Processing, progress)?;
        }
        let status_url = job.status_url.clone().unwrap_or_default();
        let zip = self.zip_path(job);
        let url = poll::until_finished(&self.client, &status_url, progress.as_ref(), cancel).await?;
        self.enter(job, Phase::Downloading, progress)?;
        remove_dir_if_exists(staging)?;
        let arrivals = Arc::new(Arrivals::default());
        let _stops_the_follower = arrivals.guard();
        let follower = tokio::task::spawn_blocking({
            let (part, arrivals, staging, cancel) = (download::part_path(&zip), Arc::clone(&arrivals), staging.to_path_buf(), cancel.clone());
            move || stream::extract_while_downloading(&part, arrivals, &staging, limits, &cancel)
        });
        let repoll = Repoll { client: &self.client, status_url: &status_url, cancel };
        // Without --out the extracted files go to the library's disk beside the archive.
        let room = download::Room { named: Some(self.library.root()), extracted_beside: job.out.is_none() };
        let downloaded = download::download(&self.storage, url, &zip, room, &repoll, &arrivals, progress.as_ref(), cancel).await;
        arrivals.end(downloaded.is_ok());
        let following = follower.await;
        let sha256 = downloaded?.sha256;
        let streamed = match following {
            Ok(Ok(streamed)) => Some(streamed),
            Ok(Err(Stopped::Cancelled)) => return Err(EngineError::Cancelled),
            Ok(Err(Stopped::FallBack(why))) => {
                tracing::info!(job = %job.id, "extracting after the download instead of during it: {why}");
                None
            }
            Err(e) => {
                tracing::warn!(job = %job.id, "the extraction beside the download failed: {e}");
                None
            }
        };
        Ok((sha256, streamed))
    }

    /// Verifying -> extracting: done already when the download was followed, else from the
    /// finished archive.
    #[allow(clippy::too_many_arguments)]
    async fn verify_and_extract(
        &self,
        job: &mut JobRecord,
        staging: &Path,
        limits: Limits,
        downloaded_sha256: Option<String>,
        streamed: Option<stream::Streamed>,
        progress: &Arc<dyn ProgressSink>,
        cancel: &CancellationToken,
    ) -> Result<(verify::Verified, extract::Extracted), EngineError> {
        self.enter(job, Phase::Verifying, progress)?;
        if let (Some(streamed), Some(sha256)) = (streamed, downloaded_sha256.clone()) {
            // Every CRC was checked and the central directory agreed as the bytes arrived.
            let entries = streamed.entries;
            progress.emit(Progress::Verified { entries, total: entries });
            self.enter(job, Phase::Extracting, progress)?;
            progress.emit(Progress::Extracted { files: entries, total: entries });
            return Ok((verify::Verified { sha256, entries }, streamed.extracted));
        }
        let zip = self.zip_path(job);
        let verified = blocking({
            let (zip, progress, cancel) = (zip.clone(), Arc::clone(progress), cancel.clone());
            move || verify::verify(&zip, downloaded_sha256, progress.as_ref(), &cancel)
        })
        .await?;
        self.enter(job, Phase::Extracting, progress)?;
        remove_dir_if_exists(staging)?;
        let extracted = blocking({
            let (staging, progress, cancel) = (staging.to_path_buf(), Arc::clone(progress), cancel.clone());
            move || extract::extract(&zip, &staging, limits, progress.as_ref(), &cancel)
        })
        .await?;
        Ok((verified, extracted))
    }

    /// Indexing: instruments.json and the PDFs into index.sqlite and search.sqlite. When the
    /// tables were begun while the download arrived, only the PDFs are left to link.
    async fn index(
        &self,
        job: &mut JobRecord,
        staging: &Path,
        extracted: extract::Extracted,
        ahead: Option<stream::IndexingAhead>,
        progress: &Arc<dyn ProgressSink>,
        cancel: &CancellationToken,
    ) -> Result<(index::Indexed, extract::Extracted), EngineError> {
        self.enter(job, Phase::Indexing, progress)?;
        let include_files = job.request.include_files;
        blocking({
            let (staging, progress, cancel) = (staging.to_path_buf(), Arc::clone(progress), cancel.clone());
            move || {
                if let Some(indexed) = ahead.and_then(|ahead| ahead.finish(&staging, &extracted.pdfs, include_files)) {
                    progress.emit(Progress::Indexed { instruments: indexed.instruments });
                    return Ok((indexed, extracted));
                }
                index::build(&staging, &extracted.pdfs, include_files, progress.as_ref(), &cancel).map(|i| (i, extracted))
            }
        })
        .await
    }

    /// The export's manifest, written into the staging folder: what it is, how it was made,
    /// and what was found wrong with it (the first 20 problems also told to the front end).
    fn record(
        &self,
        job: &mut JobRecord,
        staging: &Path,
        verified: verify::Verified,
        extracted: extract::Extracted,
        indexed: index::Indexed,
        progress: &Arc<dyn ProgressSink>,
    ) -> Result<Manifest, EngineError> {
        let (problems, counts) = findings(&extracted, indexed, progress.as_ref());
        job.times.ready = Some(now_rfc3339());
        let manifest = Manifest {
            format: 1,
            request: job.request.clone(),
            server: job.server.clone(),
            profile: job.profile.clone(),
            job_id: job.id.clone(),
            remote_job_id: job.remote_job_id.unwrap_or_default(),
            status_url: job.status_url.clone().unwrap_or_default(),
            times: job.times.clone(),
            zip_sha256: verified.sha256,
            zip_bytes: std::fs::metadata(self.zip_path(job)).map(|m| m.len()).unwrap_or_default(),
            counts,
            problems,
            renamed: extracted.renamed,
            imported: None,
        };
        manifest.write(staging)?;
        Ok(manifest)
    }

    /// Moves the job to `phase`, stamps the time, saves the record and tells the front end.
    fn enter(&self, job: &mut JobRecord, phase: Phase, progress: &Arc<dyn ProgressSink>) -> Result<(), EngineError> {
        job.phase = phase;
        // The first start of a phase is kept across resumes; the later, local phases are re-run
        // whole, so their time is the latest start.
        if job.times.get(phase).is_none() || phase >= Phase::Verifying {
            job.times.set(phase, now_rfc3339());
        }
        self.jobs.save(job)?;
        progress.emit(Progress::Phase { phase });
        Ok(())
    }

    /// Where `job` is published, with its time stamp `stamp`.
    fn destination(&self, job: &JobRecord, stamp: &str) -> PathBuf {
        match &job.out {
            Some(out) => out.clone(),
            None => self.library.export_dir(&job.request.owner, &job.request.project, stamp, job.remote_job_id.unwrap_or_default()),
        }
    }

    /// The engine's limits, with names inside the export kept short enough that every file's
    /// full path, once published, stays under Windows' 260-character limit where the folder allows.
    fn limits_for(&self, job: &JobRecord) -> Limits {
        // Every stamp has the same length, so the destination's length is known before its time.
        let destination = self.destination(job, &now_stamp());
        Limits { path_budget: self.limits.path_budget.min(crate::names::path_budget(&destination)), ..self.limits }
    }

    fn zip_path(&self, job: &JobRecord) -> PathBuf {
        self.library.work_dir(&job.id).join("export.zip")
    }

    /// On the destination's file system, so publishing is one rename.
    fn staging_dir(&self, job: &JobRecord) -> PathBuf {
        match &job.out {
            Some(out) => staging_beside(out, &job.id),
            None => self.library.work_dir(&job.id).join("staging"),
        }
    }

    fn clean_up(&self, job: &JobRecord) {
        clean_up(&self.library, job);
    }
}

/// What a manifest says was found in an export: the extraction's and the index's problems (the
/// first 20 also told to the front end) and the counts.
pub(crate) fn findings(extracted: &extract::Extracted, indexed: index::Indexed, progress: &dyn ProgressSink) -> (Vec<crate::manifest::Problem>, Counts) {
    let mut problems = extracted.problems.clone();
    problems.extend(indexed.problems);
    for problem in problems.iter().take(20) {
        progress.emit(Progress::Notice { message: problem.message.clone() });
    }
    let counts = Counts {
        instruments: indexed.instruments,
        pdfs: extracted.pdfs.len() as u64,
        files: extracted.files,
        bytes: extracted.bytes,
        problems: problems.len() as u64,
    };
    (problems, counts)
}

/// Forgets a job whatever its state, with what it downloaded (its work folder, and its staging
/// folder beside `--out`): the user's explicit "discard", which a resumable job needs, since
/// [`JobStore::dismiss`] keeps those. One running in another process is busy.
pub fn discard_job(library: &Library, id: &str) -> Result<JobRecord, EngineError> {
    let jobs = JobStore::new(library.jobs_dir());
    let _lock = jobs.lock(id)?;
    let job = jobs.load(id)?;
    clean_up(library, &job);
    jobs.remove(id)?;
    Ok(job)
}

/// Removes what a job left while it worked. Best effort: leftovers are only disk space, and
/// the next run of the job clears them.
fn clean_up(library: &Library, job: &JobRecord) {
    let _ = std::fs::remove_dir_all(library.work_dir(&job.id));
    if let Some(out) = &job.out {
        let _ = std::fs::remove_dir_all(staging_beside(out, &job.id));
    }
}

/// The staging folder of a job publishing into `out`: beside it, on its file system, so
/// publishing is one rename.
/// `path` made absolute against the current folder (`--out out` means `./out`).
pub(crate) fn absolute(path: &Path) -> Result<PathBuf, EngineError> {
    std::path::absolute(path).map_err(EngineError::io(format!("could not make {} a full path", path.display())))
}

pub(crate) fn staging_beside(out: &Path, id: &str) -> PathBuf {
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "export".into());
    out.with_file_name(format!(".{name}.staging-{id}"))
}

/// Fresh download URLs come from polling the job's status again.
struct Repoll<'a> {
    client: &'a Client,
    status_url: &'a str,
    cancel: &'a CancellationToken,
}

impl download::FreshUrl for Repoll<'_> {
    fn fresh(&self) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<String, EngineError>> + Send + '_>> {
        Box::pin(poll::until_finished(self.client, self.status_url, &Silent, self.cancel))
    }
}

/// Progress of a background re-poll is not news to the user.
struct Silent;

impl ProgressSink for Silent {
    fn emit(&self, _: Progress) {}
}

/// Settles what a process killed at the very end of a job left in `library`: a job published
/// and recorded ready but stopped before it could say "done" is recorded done, and the work
/// folder of every job that cannot resume (done, cancelled, or with no record at all, since a
/// record is always written before its work folder) is removed. A job another process is
/// running (its lock is held) and a record that cannot be read are left alone: the one is busy,
/// the other may still be someone's data. Both front ends call this when they open a library.
pub fn settle_leftovers(library: &Library) {
    let jobs = JobStore::new(library.jobs_dir());
    let Ok(entries) = std::fs::read_dir(library.root().join(".work")) else { return };
    for entry in entries.filter_map(Result::ok) {
        let id = entry.file_name().to_string_lossy().into_owned();
        let Ok(_lock) = jobs.lock(&id) else { continue };
        let finished = match jobs.load(&id) {
            Ok(mut job) if job.state == JobState::Running && job.phase == Phase::Ready => {
                job.state = JobState::Done;
                jobs.save(&job).is_ok()
            }
            Ok(job) => !job.resumable(),
            Err(EngineError::JobNotFound { .. }) => true,
            Err(_) => false,
        };
        if finished && let Err(error) = std::fs::remove_dir_all(entry.path()) {
            tracing::info!("left {} for now: {error}", entry.path().display());
        }
    }
}

/// Renames the finished staging folder to its final place; an empty destination folder (as
/// made by a file dialog) is replaced.
pub(crate) fn publish(disk: &dyn crate::disk::Disk, root: &Path, staging: &Path, destination: &Path) -> Result<(), EngineError> {
    if destination.exists() {
        std::fs::remove_dir(destination).map_err(|_| EngineError::DestinationNotEmpty { path: destination.to_path_buf() })?;
    }
    if let Some(parent) = destination.parent() {
        crate::fsutil::create_dir_below(root, parent)?;
    }
    crate::disk::rename_folder(disk, staging, destination, "publish the export into", destination)?;
    if let Some(parent) = destination.parent()
        && let Ok(dir) = std::fs::File::open(parent)
    {
        // Make the rename itself durable; not every platform can sync a folder, so a failure is not fatal.
        let _ = dir.sync_all();
    }
    Ok(())
}

fn remove_dir_if_exists(dir: &Path) -> Result<(), EngineError> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(EngineError::Io { context: format!("could not clear {}", dir.display()), source: e }),
        _ => Ok(()),
    }
}

async fn blocking<T: Send + 'static>(work: impl FnOnce() -> Result<T, EngineError> + Send + 'static) -> Result<T, EngineError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| EngineError::Io { context: "a background task failed".to_owned(), source: std::io::Error::other(e.to_string()) })?
}
