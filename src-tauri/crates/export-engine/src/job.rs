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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobFailure {
    pub code: String,
    pub message: String,
}

impl JobRecord {
    /// Jobs that `resume` can pick up: still running (interrupted) or failed on something
    /// transient. Finished and cancelled ones are final.
    pub fn resumable(&self) -> bool {
        matches!(self.state, JobState::Running | JobState::Failed) && self.phase != Phase::Ready
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
        std::fs::create_dir_all(&self.dir).map_err(|source| EngineError::Io { context: format!("could not create {}", self.dir.display()), source })?;
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
        let mut jobs: Vec<JobRecord> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .filter_map(|p| read(&p).ok())
            .collect();
        jobs.sort_by(|a, b| b.id.cmp(&a.id));
        jobs
    }

    fn path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }
}

fn read(path: &Path) -> Result<JobRecord, EngineError> {
    let bytes = std::fs::read(path).map_err(|source| EngineError::Io { context: format!("could not read {}", path.display()), source })?;
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
