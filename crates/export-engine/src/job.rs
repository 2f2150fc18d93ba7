//! Stage 8, jobs: each export's state, written at every phase change, so an export interrupted
//! by a crash, a kill or a reboot resumes where it stopped.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::EngineError;
use crate::fsutil::write_json_atomic;
use crate::manifest::PhaseTimes;
use crate::progress::Phase;
use crate::request::ExportRequest;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobRecord {
    /// Local id: `<UTC time>-<4 hex>`, unique on this machine.
    pub id: String,
    pub server: String,
    #[serde(default)]
    pub profile: Option<String>,
    pub request: ExportRequest,
    /// `--out DIR`: publish exactly there instead of the library.
    #[serde(default)]
    pub out: Option<PathBuf>,
    pub phase: Phase,
    pub state: JobState,
    #[serde(default)]
    pub error: Option<JobFailure>,
    #[serde(default)]
    pub remote_job_id: Option<u64>,
    #[serde(default)]
    pub status_url: Option<String>,
    #[serde(default)]
    pub times: PhaseTimes,
    #[serde(default)]
    pub export_dir: Option<PathBuf>,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    Running,
    Done,
    Failed,
    Cancelled,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
        }
    }
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobFailure {
    /// The engine's code, or the front end's own (the app records `interrupted`).
    pub code: String,
    pub message: String,
}

impl JobRecord {
    /// Jobs that `resume` can pick up: still running (interrupted) or failed on something
    /// transient. Finished and cancelled ones are final.
    pub fn resumable(&self) -> bool {
        can_resume(self.state, self.phase, self.error.as_ref().map(|failure| failure.code.as_str()))
    }
}

/// Whether a job in `state` at `phase`, failed with the code `failure` if it failed, has
/// something `resume` picks up: an interrupted one, or one that failed on something that may
/// pass (the network, a full disk). One AnnoLab refused outright when asked for the export (a
/// wrong key, no such project) has nothing: it holds no server job and no download, and asking
/// again the same way is refused again, so it is as final as a cancelled one.
pub fn can_resume(state: JobState, phase: Phase, failure: Option<&str>) -> bool {
    match state {
        JobState::Running => phase != Phase::Ready,
        JobState::Failed if phase == Phase::Requested => !failure.is_some_and(refused_as_it_stands),
        JobState::Failed => phase != Phase::Ready,
        JobState::Done | JobState::Cancelled => false,
    }
}

/// Whether the failure `code` says the request itself was refused (by AnnoLab, or before it by
/// the profile's server address or key): asked again unchanged, it is refused again.
fn refused_as_it_stands(code: &str) -> bool {
    use annolab_api::ApiErrorCode as Api;
    let refusals =
        [Api::Unauthorized, Api::Forbidden, Api::NotFound, Api::BadRequest, Api::MissingKey, Api::MalformedKey, Api::InvalidServerUrl, Api::InsecureServer];
    refusals.iter().any(|refusal| refusal.as_str() == code) || code == crate::error::EngineErrorCode::InvalidRequest.as_str()
}

impl JobRecord {
    /// Points the job at `server` when its server moved (the demo workspace starts on a new port
    /// each launch): the status URL keeps its path and query, on the new origin.
    pub fn move_to(&mut self, server: &str) {
        let server = server.trim_end_matches('/');
        if let Some(url) = &self.status_url
            && let Some(rest) = url.strip_prefix(self.server.trim_end_matches('/'))
        {
            self.status_url = Some(format!("{server}{rest}"));
        }
        self.server = server.to_owned();
    }
}

/// The folder of job records.
#[derive(Debug, Clone)]
pub struct JobStore {
    dir: PathBuf,
}

impl JobStore {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        JobStore { dir: dir.into() }
    }

    pub fn save(&self, job: &JobRecord) -> Result<(), EngineError> {
        // Inside the library's folder, never making it: a library whose disk went away must fail.
        crate::fsutil::create_dir_below(self.dir.parent().unwrap_or(&self.dir), &self.dir)?;
        write_json_atomic(&self.path(&job.id), job)
    }

    pub fn load(&self, id: &str) -> Result<JobRecord, EngineError> {
        let path = self.path(id);
        if !path.is_file() || id.contains(['/', '\\']) {
            return Err(EngineError::JobNotFound { id: id.to_owned() });
        }
        read(&path)
    }

    /// Every job, newest first. A damaged record is skipped, not fatal.
    pub fn list(&self) -> Vec<JobRecord> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else { return Vec::new() };
        let mut jobs: Vec<JobRecord> =
            entries.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "json")).filter_map(|p| read(&p).ok()).collect();
        jobs.sort_by(|a, b| b.id.cmp(&a.id));
        jobs
    }

    /// Removes the record of an ended job that cannot resume (done, cancelled, or failed once
    /// published). A job that can still resume is refused ([`EngineError::JobResumable`]): what
    /// it downloaded is worth keeping until the user says otherwise
    /// ([`crate::pipeline::discard_job`]). One running in another process is busy.
    pub fn dismiss(&self, id: &str) -> Result<JobRecord, EngineError> {
        let _lock = self.lock(id)?;
        let job = self.load(id)?;
        if job.resumable() {
            return Err(EngineError::JobResumable { id: id.to_owned() });
        }
        self.remove(id)?;
        Ok(job)
    }

    /// Dismisses every ended job that cannot resume, skipping those another process holds;
    /// returns the dismissed ones. Jobs that can resume stay.
    pub fn prune(&self) -> Vec<JobRecord> {
        self.list().into_iter().filter(|job| !job.resumable() && job.state != JobState::Running).filter_map(|job| self.dismiss(&job.id).ok()).collect()
    }

    pub(crate) fn remove(&self, id: &str) -> Result<(), EngineError> {
        let path = self.path(id);
        std::fs::remove_file(&path).map_err(EngineError::io(format!("could not remove {}", path.display())))
    }

    /// Holds the job's run lock until dropped; fails if another process holds it.
    pub fn lock(&self, id: &str) -> Result<JobLock, EngineError> {
        std::fs::create_dir_all(&self.dir).map_err(EngineError::io(format!("could not create {}", self.dir.display())))?;
        let path = self.dir.join(format!("{id}.lock"));
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(EngineError::io(format!("could not open {}", path.display())))?;
        match file.try_lock() {
            Ok(()) => Ok(JobLock { file, path }),
            Err(std::fs::TryLockError::WouldBlock) => Err(EngineError::JobBusy { id: id.to_owned() }),
            Err(std::fs::TryLockError::Error(source)) => Err(EngineError::Io { context: format!("could not lock {}", path.display()), source }),
        }
    }

    fn path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }
}

/// A job's run lock, released (and its file removed) when dropped.
#[derive(Debug)]
pub struct JobLock {
    file: std::fs::File,
    path: PathBuf,
}

impl Drop for JobLock {
    fn drop(&mut self) {
        // Remove while still holding the lock, so no other process can hold a lock on a file
        // that is about to vanish; where an open file cannot be removed it merely stays.
        let _ = std::fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

fn read(path: &Path) -> Result<JobRecord, EngineError> {
    let bytes = std::fs::read(path).map_err(EngineError::io(format!("could not read {}", path.display())))?;
    serde_json::from_slice(&bytes).map_err(|e| EngineError::CorruptState { path: path.to_path_buf(), reason: e.to_string() })
}

/// A new local job id.
pub fn new_id() -> String {
    let mut bytes = [0u8; 2];
    // Uniqueness within one second is all that is needed; a failed random source still gives
    // a valid id, and a clash is caught because the record file then already exists.
    let _ = getrandom::fill(&mut bytes);
    format!("{}-{:02x}{:02x}", crate::fsutil::now_stamp(), bytes[0], bytes[1])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{ExportInput, ExportRequest};

    #[test]
    fn a_job_moved_to_a_new_demo_port_keeps_its_status_path() {
        let request = ExportRequest::parse(ExportInput { owner: "o".into(), project: "p".into(), ..Default::default() }).unwrap();
        let mut job = JobRecord {
            id: new_id(),
            server: "http://127.0.0.1:4100/".into(),
            profile: Some("demo".into()),
            request,
            out: None,
            phase: Phase::Downloading,
            state: JobState::Running,
            error: None,
            remote_job_id: Some(341),
            status_url: Some("http://127.0.0.1:4100/v1/export/status/341".into()),
            times: PhaseTimes::default(),
            export_dir: None,
        };
        job.move_to("http://127.0.0.1:5200");
        assert_eq!(job.server, "http://127.0.0.1:5200");
        assert_eq!(job.status_url.as_deref(), Some("http://127.0.0.1:5200/v1/export/status/341"));
    }

    #[test]
    fn a_job_runs_in_one_place_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let store = JobStore::new(dir.path());
        let held = store.lock("20261129T000000Z-abcd").unwrap();
        assert!(matches!(store.lock("20261129T000000Z-abcd"), Err(EngineError::JobBusy { .. })));
        drop(held);
        assert!(store.lock("20261129T000000Z-abcd").is_ok());
    }
}
