//! Tidying the job list: what has ended and cannot resume can be dismissed, one at a time or all
//! at once ("Clear finished", `jobs --prune`); a job that can still resume is never dismissed by
//! accident, only discarded on purpose, with what it downloaded; a job running elsewhere is busy.

use export_engine::job::JobFailure;
use export_engine::library::Library;
use export_engine::manifest::PhaseTimes;
use export_engine::progress::Phase;
use export_engine::request::{ExportRequest, TagFilter};
use export_engine::{JobRecord, JobState, JobStore, discard_job};

fn job(id: &str, state: JobState, phase: Phase) -> JobRecord {
    JobRecord {
        id: id.to_owned(),
        server: "http://127.0.0.1:1".into(),
        profile: None,
        request: ExportRequest { owner: "o".into(), project: "p".into(), tags: TagFilter::None, source: None, include_files: true },
        out: None,
        phase,
        state,
        error: None,
        remote_job_id: Some(341),
        status_url: None,
        times: PhaseTimes::default(),
        export_dir: None,
    }
}

/// A job that failed when the export was asked for, with the failure's code.
fn failed(id: &str, code: &str) -> JobRecord {
    JobRecord { error: Some(JobFailure { code: code.to_owned(), message: "…".to_owned() }), ..job(id, JobState::Failed, Phase::Requested) }
}

fn ids(store: &JobStore) -> Vec<String> {
    let mut ids: Vec<String> = store.list().into_iter().map(|j| j.id).collect();
    ids.sort();
    ids
}

#[test]
fn ended_jobs_are_dismissed_and_resumable_ones_kept_until_discarded() {
    let home = tempfile::tempdir().unwrap();
    let library = Library::new(home.path());
    let store = JobStore::new(library.jobs_dir());
    for record in [
        job("1-done", JobState::Done, Phase::Ready),
        job("2-cancelled", JobState::Cancelled, Phase::Downloading),
        job("3-failed-downloading", JobState::Failed, Phase::Downloading),
        job("4-interrupted", JobState::Running, Phase::Extracting),
        job("5-failed-after-publishing", JobState::Failed, Phase::Ready),
        job("6-done-elsewhere", JobState::Done, Phase::Ready),
        // Refused outright when asked for (a wrong key): nothing to resume, nothing to lose.
        failed("7-refused", "unauthorized"),
        // The network gave up before AnnoLab answered: asking again may well work.
        failed("8-unanswered", "network_gave_up"),
    ] {
        store.save(&record).unwrap();
    }

    assert_eq!(store.dismiss("1-done").unwrap().id, "1-done");
    let refused = store.dismiss("3-failed-downloading").unwrap_err();
    assert_eq!(refused.code().as_str(), "job_resumable");
    assert!(refused.to_string().contains("annolab-export resume 3-failed-downloading"), "{refused}");

    // Another process holds this one (it is settling it): busy, and pruning passes it over.
    let _held_elsewhere = store.lock("6-done-elsewhere").unwrap();
    let other = JobStore::new(library.jobs_dir());
    assert_eq!(other.dismiss("6-done-elsewhere").unwrap_err().code().as_str(), "job_busy");
    let pruned: Vec<String> = other.prune().into_iter().map(|j| j.id).collect();
    assert_eq!(pruned, ["7-refused", "5-failed-after-publishing", "2-cancelled"]);
    assert_eq!(ids(&store), ["3-failed-downloading", "4-interrupted", "6-done-elsewhere", "8-unanswered"]);

    // Discarding is the explicit way out for a resumable job: its downloaded part goes too.
    let work = library.work_dir("3-failed-downloading");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(work.join("export.zip.part"), b"half an archive").unwrap();
    discard_job(&library, "3-failed-downloading").unwrap();
    assert!(!work.exists());
    assert_eq!(ids(&store), ["4-interrupted", "6-done-elsewhere", "8-unanswered"]);
    assert_eq!(discard_job(&library, "no-such-job").unwrap_err().code().as_str(), "job_not_found");
}
