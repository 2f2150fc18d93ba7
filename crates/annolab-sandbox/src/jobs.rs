//! Export jobs: created by a request, built in the background, and reported by status polls as
//! `initialized` -> `started` -> `finished` | `errored` over the configured job time.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::archive::ArchiveSummary;

/// The first job id, as in the documentation's example response.
const FIRST_JOB_ID: u64 = 341;
/// Finished archives kept on disk; older ones are deleted (their URLs then answer 404), so a
/// long-running sandbox serving gigabyte exports does not fill the disk.
const ARCHIVES_KEPT: usize = 8;

/// What a status poll reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobStatus {
    Initialized,
    Started,
    Finished { archive: PathBuf, summary: ArchiveSummary },
    Errored(String),
}

impl JobStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            JobStatus::Initialized => "initialized",
            JobStatus::Started => "started",
            JobStatus::Finished { .. } => "finished",
            JobStatus::Errored(_) => "errored",
        }
    }
}

/// How far the background build has got.
#[derive(Debug, Clone)]
pub enum Build {
    Running,
    Done { archive: PathBuf, summary: ArchiveSummary },
    Failed(String),
}

#[derive(Debug)]
pub struct Job {
    pub id: u64,
    pub project_id: u64,
    created: Instant,
    duration: Duration,
    /// Set by the `job-error` fault: the job ends errored with this message.
    planned_error: Option<String>,
    build: Mutex<Build>,
}

impl Job {
    /// The status at `now`: `initialized` for the first fifth of the job time, then `started`
    /// until the time is up *and* the archive is built.
    pub fn status(&self, now: Instant) -> JobStatus {
        let elapsed = now.saturating_duration_since(self.created);
        if elapsed < self.duration / 5 {
            return JobStatus::Initialized;
        }
        if elapsed < self.duration {
            return JobStatus::Started;
        }
        if let Some(message) = &self.planned_error {
            return JobStatus::Errored(message.clone());
        }
        match &*self.build.lock().unwrap_or_else(|p| p.into_inner()) {
            Build::Running => JobStatus::Started,
            Build::Done { archive, summary } => JobStatus::Finished { archive: archive.clone(), summary: *summary },
            Build::Failed(message) => JobStatus::Errored(message.clone()),
        }
    }

    pub fn finish_build(&self, build: Build) {
        *self.build.lock().unwrap_or_else(|p| p.into_inner()) = build;
    }
}

/// All jobs of a running sandbox.
#[derive(Debug)]
pub struct Jobs {
    next_id: AtomicU64,
    table: Mutex<BTreeMap<u64, Arc<Job>>>,
    archives: PathBuf,
}

impl Jobs {
    /// The jobs of a sandbox writing its archives to `archives`. Finished archives already there
    /// (from an earlier run with the same data folder) are served again as finished jobs of
    /// `project_id`, so a client can resume a download across a sandbox restart; new ids follow
    /// the highest found. Jobs still building when the earlier run stopped are gone.
    pub fn new(archives: PathBuf, project_id: u64) -> Self {
        let restored = finished_archives(&archives);
        let next_id = restored.last().map_or(FIRST_JOB_ID, |(id, _)| id + 1);
        let table = restored
            .into_iter()
            .map(|(id, archive)| {
                let summary = ArchiveSummary { bytes: std::fs::metadata(&archive).map_or(0, |m| m.len()), ..ArchiveSummary::default() };
                let job = Job {
                    id,
                    project_id,
                    created: Instant::now(),
                    duration: Duration::ZERO,
                    planned_error: None,
                    build: Mutex::new(Build::Done { archive, summary }),
                };
                (id, Arc::new(job))
            })
            .collect();
        Jobs { next_id: AtomicU64::new(next_id), table: Mutex::new(table), archives }
    }

    pub fn create(&self, project_id: u64, duration: Duration, planned_error: Option<String>) -> Arc<Job> {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let job = Arc::new(Job { id, project_id, created: Instant::now(), duration, planned_error, build: Mutex::new(Build::Running) });
        let mut table = self.table.lock().unwrap_or_else(|p| p.into_inner());
        table.insert(id, Arc::clone(&job));
        self.forget_old_archives(&mut table);
        job
    }

    pub fn get(&self, id: u64) -> Option<Arc<Job>> {
        self.table.lock().unwrap_or_else(|p| p.into_inner()).get(&id).cloned()
    }

    /// Where job `id`'s archive is written.
    pub fn archive_path(&self, id: u64) -> PathBuf {
        self.archives.join(format!("export-{id}.zip"))
    }

    fn forget_old_archives(&self, table: &mut BTreeMap<u64, Arc<Job>>) {
        let done: Vec<u64> =
            table.iter().filter(|(_, job)| matches!(*job.build.lock().unwrap_or_else(|p| p.into_inner()), Build::Done { .. })).map(|(id, _)| *id).collect();
        for id in done.iter().take(done.len().saturating_sub(ARCHIVES_KEPT)) {
            if let Some(job) = table.get(id) {
                job.finish_build(Build::Failed("This export has expired; request a new one.".to_owned()));
            }
            // Best effort: a file already gone is what we wanted anyway.
            let _ = std::fs::remove_file(self.archive_path(*id));
        }
    }
}

/// `export-<id>.zip` files in `dir`, in id order. Archives are renamed into place only once
/// complete, so every such file is a finished export; `.zip.part` files are not.
fn finished_archives(dir: &std::path::Path) -> Vec<(u64, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut found: Vec<(u64, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let id = name.strip_prefix("export-")?.strip_suffix(".zip")?.parse().ok()?;
            Some((id, entry.path()))
        })
        .collect();
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_follows_the_job_time_and_the_build() {
        let jobs = Jobs::new(PathBuf::from("/nonexistent"), 148);
        let job = jobs.create(148, Duration::from_secs(10), None);
        let at = |secs: f64| job.created + Duration::from_secs_f64(secs);
        assert_eq!(job.status(at(0.0)), JobStatus::Initialized);
        assert_eq!(job.status(at(3.0)), JobStatus::Started);
        assert_eq!(job.status(at(11.0)), JobStatus::Started, "time is up but the archive is not built");
        let summary = ArchiveSummary { instruments: 3, pdfs: 0, bytes: 10 };
        job.finish_build(Build::Done { archive: "/a.zip".into(), summary });
        assert_eq!(job.status(at(9.0)), JobStatus::Started, "built early, but the job time is not up");
        assert_eq!(job.status(at(11.0)), JobStatus::Finished { archive: "/a.zip".into(), summary });
    }

    #[test]
    fn a_planned_error_ends_the_job_errored() {
        let jobs = Jobs::new(PathBuf::from("/nonexistent"), 148);
        let job = jobs.create(148, Duration::ZERO, Some("Out of memory".into()));
        assert_eq!(job.status(Instant::now()), JobStatus::Errored("Out of memory".into()));
    }

    #[test]
    fn job_ids_start_at_the_documented_341() {
        let jobs = Jobs::new(PathBuf::from("/nonexistent"), 148);
        assert_eq!(jobs.create(148, Duration::ZERO, None).id, 341);
        assert_eq!(jobs.create(148, Duration::ZERO, None).id, 342);
    }

    #[test]
    fn finished_archives_from_an_earlier_run_are_served_again_and_ids_continue() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("export-344.zip"), b"zip bytes").unwrap();
        std::fs::write(dir.path().join("export-345.zip.part"), b"half").unwrap();
        std::fs::write(dir.path().join("notes.txt"), b"").unwrap();

        let jobs = Jobs::new(dir.path().to_path_buf(), 148);

        let JobStatus::Finished { archive, summary } = jobs.get(344).expect("job 344 restored").status(Instant::now()) else {
            panic!("a restored job is finished");
        };
        assert_eq!(archive, dir.path().join("export-344.zip"));
        assert_eq!(summary.bytes, 9);
        assert!(jobs.get(345).is_none(), "a half-built archive is not a finished job");
        assert_eq!(jobs.create(148, Duration::ZERO, None).id, 345);
    }
}
