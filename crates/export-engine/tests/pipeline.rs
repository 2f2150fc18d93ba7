//! The engine against the real sandbox over HTTP: clean runs, every fault, cancel and resume.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use annolab_api::{ApiKey, Client, RetryPolicy, ServerUrl, Storage};
use annolab_sandbox::{Fault, Sandbox, SandboxConfig};
use export_engine::download::{self, Arrivals};
use export_engine::{Engine, EngineError, ExportInput, ExportRequest, JobState, Library, Phase, ProblemKind, Progress, ProgressSink};
use test_support::{assert_no_file_contains, fingerprint, sha256_hex};
use tokio_util::sync::CancellationToken;

const KEY: &str = "engine-test-key-5f1d";

struct Scenario {
    sandbox: Sandbox,
    library: tempfile::TempDir,
    engine: Engine,
}

impl Scenario {
    async fn start(configure: impl FnOnce(&mut SandboxConfig)) -> Self {
        Self::with_storage(configure, |storage| storage).await
    }

    /// A scenario whose download client is adjusted by `storage` (say, a short read timeout).
    async fn with_storage(configure: impl FnOnce(&mut SandboxConfig), storage: impl FnOnce(Storage) -> Storage) -> Self {
        let sandbox = test_support::instant_sandbox(KEY, configure).await;
        let fast = RetryPolicy { attempts: 6, base_delay: Duration::from_millis(20), max_delay: Duration::from_millis(100) };
        let client = Client::new(ServerUrl::parse(&sandbox.api_url()).unwrap(), ApiKey::new(KEY).unwrap()).unwrap().with_retry(fast);
        let storage = storage(Storage::new().unwrap().with_retry(fast));
        let library = tempfile::tempdir().unwrap();
        let engine = Engine::new(client, storage, Library::new(library.path()));
        Scenario { sandbox, library, engine }
    }

    /// Requests `request`'s export outside the engine: its signed URL and the archive's bytes.
    async fn archive(&self, request: &ExportRequest) -> (String, Vec<u8>) {
        let client = Client::new(ServerUrl::parse(&self.sandbox.api_url()).unwrap(), ApiKey::new(KEY).unwrap()).unwrap();
        let started = client.start_export(&request.body()).await.unwrap();
        let url = loop {
            let status = client.export_status(&started.export_status_url).await.unwrap();
            if let Some(url) = status.download_url {
                break url;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let mut body = Storage::new().unwrap().fetch(&url, 0).await.unwrap();
        let mut bytes = Vec::new();
        while let Some(chunk) = body.chunk().await.unwrap() {
            bytes.extend_from_slice(&chunk);
        }
        (url, bytes)
    }

    async fn export(&self, input: ExportInput) -> Result<export_engine::Finished, EngineError> {
        let job = self.engine.create_job(ExportRequest::parse(input).unwrap(), None, None).unwrap();
        self.engine.run(job, Arc::new(Recorder::default()), CancellationToken::new()).await
    }
}

fn demo(configure: impl FnOnce(&mut ExportInput)) -> ExportInput {
    let mut input =
        ExportInput { owner: "Group Name owning project".into(), project: "Example Project Name".into(), include_files: true, ..Default::default() };
    configure(&mut input);
    input
}

#[derive(Default)]
struct Recorder(Mutex<Vec<Progress>>);

impl ProgressSink for Recorder {
    fn emit(&self, progress: Progress) {
        self.0.lock().unwrap().push(progress);
    }
}

impl Recorder {
    fn phases(&self) -> Vec<Phase> {
        self.0.lock().unwrap().iter().filter_map(|p| if let Progress::Phase { phase } = p { Some(*phase) } else { None }).collect()
    }
}

/// The index and manifest record times: "the same files" are all the others in an export folder.
const VARYING: &[&str] = &["manifest.json", "index.sqlite"];

#[tokio::test]
async fn a_clean_export_lands_in_the_library_with_every_phase() {
    let scenario = Scenario::start(|_| {}).await;
    let recorder = Arc::new(Recorder::default());
    let job = scenario.engine.create_job(ExportRequest::parse(demo(|_| {})).unwrap(), None, Some("demo".into())).unwrap();
    let finished = scenario.engine.run(job.clone(), recorder.clone(), CancellationToken::new()).await.unwrap();

    assert_eq!(
        recorder.phases(),
        [Phase::Requested, Phase::Processing, Phase::Downloading, Phase::Verifying, Phase::Extracting, Phase::Indexing, Phase::Ready]
    );
    // Verified and extracted while the bytes arrived: the verify phase has nothing left to count
    // (after the download, it would count the entries from the first).
    let verified: Vec<(u64, u64)> =
        recorder.0.lock().unwrap().iter().filter_map(|p| if let Progress::Verified { entries, total } = p { Some((*entries, *total)) } else { None }).collect();
    assert_eq!(verified, [(241, 241)]);
    let dir = &finished.dir;
    assert!(dir.starts_with(scenario.library.path().join("Group Name owning project").join("Example Project Name")));
    assert!(dir.file_name().unwrap().to_string_lossy().ends_with("-job341"));
    for file in ["instruments.json", "index.sqlite", "search.sqlite", "manifest.json", "pdfs"] {
        assert!(dir.join(file).exists(), "{file}");
    }
    let manifest = &finished.manifest;
    assert_eq!(manifest.counts.instruments, 240);
    assert_eq!(manifest.counts.pdfs, 240);
    assert!(manifest.problems.is_empty(), "{:?}", manifest.problems);
    assert_eq!(manifest.zip_sha256.len(), 64);
    assert!(manifest.times.requested.is_some() && manifest.times.ready.is_some());

    let stored = scenario.engine.jobs().load(&job.id).unwrap();
    assert_eq!((stored.state, stored.phase), (JobState::Done, Phase::Ready));
    assert!(!scenario.engine.library().work_dir(&job.id).exists(), "temporary files are gone");
    assert_eq!(scenario.engine.library().list().len(), 1);

    // The recorded sha256 is the archive's: fetch the same (deterministic) export independently.
    let (_, archive) = scenario.archive(&job.request).await;
    assert_eq!(manifest.zip_sha256, sha256_hex(&archive));

    let hits = export_engine::browse::Browser::open(dir).unwrap().search("MC-453", 50).unwrap();
    assert!(!hits.is_empty() && hits.iter().all(|h| h.source_name.as_deref() == Some("Test_PDF.pdf")), "{hits:?}");
}

#[tokio::test]
async fn every_filter_form_reaches_the_server() {
    let scenario = Scenario::start(|_| {}).await;
    let canonical = scenario.export(demo(|i| i.canonical_tags = vec!["Airframe Inventory".into()])).await.unwrap();
    let include = scenario.export(demo(|i| i.include_tags = vec!["Airframe Inventory".into()])).await.unwrap();
    assert_eq!(canonical.manifest.counts.instruments, include.manifest.counts.instruments);
    assert!(include.manifest.counts.instruments < 240);
    let excluded = scenario
        .export(demo(|i| {
            i.include_tags = vec!["Airframe Inventory".into()];
            i.exclude_tags = vec!["Engine Inventory".into()];
        }))
        .await
        .unwrap();
    assert!(excluded.manifest.counts.instruments < include.manifest.counts.instruments);
    let source = scenario.export(demo(|i| i.source = Some("Test_PDF.pdf".into()))).await.unwrap();
    assert_eq!(source.manifest.counts.instruments, 5);
    let no_files = scenario.export(demo(|i| i.include_files = false)).await.unwrap();
    assert_eq!((no_files.manifest.counts.instruments, no_files.manifest.counts.pdfs), (240, 0));
    assert!(no_files.manifest.problems.is_empty(), "no PDFs asked for, none missing");
}

#[tokio::test]
async fn network_faults_end_in_the_same_files_as_a_clean_run() {
    let clean = Scenario::start(|_| {}).await;
    let reference = clean.export(demo(|_| {})).await.unwrap();
    let expected = fingerprint(&reference.dir, VARYING);

    let faults: Vec<(&str, Vec<Fault>)> = vec![
        ("429 with Retry-After", vec![Fault::RateLimit { requests: 3, retry_after_secs: 1 }]),
        ("5xx polls", vec![Fault::FailPolls(3)]),
        ("cut downloads", vec![Fault::CutDownloads(3)]),
    ];
    for (name, faults) in faults {
        let scenario = Scenario::start(|c| c.faults = faults).await;
        let finished = scenario.export(demo(|_| {})).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(finished.manifest.zip_sha256, reference.manifest.zip_sha256, "{name}");
        assert_eq!(fingerprint(&finished.dir, VARYING), expected, "{name}");
    }
}

#[tokio::test]
async fn a_stalled_download_is_noticed_by_the_read_timeout_and_resumed_with_range() {
    let clean = Scenario::start(|_| {}).await;
    let reference = clean.export(demo(|_| {})).await.unwrap();
    let scenario = Scenario::with_storage(|c| c.faults = vec![Fault::StallDownloads(1)], |s| s.with_read_timeout(Duration::from_secs(1)).unwrap()).await;
    // Without a read timeout the stalled connection would be waited on for ever.
    let finished = tokio::time::timeout(Duration::from_secs(60), scenario.export(demo(|_| {}))).await.expect("the stall was never noticed").unwrap();
    assert_eq!(finished.manifest.zip_sha256, reference.manifest.zip_sha256);
    assert_eq!(fingerprint(&finished.dir, VARYING), fingerprint(&reference.dir, VARYING));
}

#[tokio::test]
async fn cuts_that_keep_bringing_bytes_do_not_use_up_the_retry_budget() {
    // Ten cuts, each halfway through what is left: more than the six attempts of the policy,
    // yet every resume brings new bytes, so the download goes on to the end.
    let clean = Scenario::start(|_| {}).await;
    let reference = clean.export(demo(|_| {})).await.unwrap();
    let scenario = Scenario::start(|c| c.faults = vec![Fault::CutDownloads(10)]).await;
    let finished = scenario.export(demo(|_| {})).await.unwrap();
    assert_eq!(finished.manifest.zip_sha256, reference.manifest.zip_sha256);
}

#[tokio::test]
async fn a_zip_shorter_than_its_content_length_ends_in_a_clear_error() {
    let scenario = Scenario::start(|c| c.faults = vec![Fault::ShortDownloads(100)]).await;
    let started = std::time::Instant::now();
    let error = tokio::time::timeout(Duration::from_secs(60), scenario.export(demo(|_| {}))).await.expect("hung").unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(30), "{:?}", started.elapsed());
    assert_eq!(error.code().as_str(), "download_incomplete", "{error}");
    let message = error.to_string();
    let host = scenario.sandbox.storage_url().trim_start_matches("http://").to_owned();
    assert!(message.contains(&format!("The download host {host} kept closing the connection")), "{message}");
    assert!(message.contains("tries in a row brought no more") && message.contains("can be resumed"), "{message}");
    // Nothing published: the library holds no export folder.
    assert!(Library::new(scenario.library.path()).list().is_empty());
}

#[tokio::test]
async fn an_expired_url_is_refreshed_by_polling_again() {
    let scenario = Scenario::start(|c| {
        c.faults = vec![Fault::UrlTtl(1), Fault::Bandwidth(64 * 1024), Fault::CutDownloads(1)];
    })
    .await;
    // The cut comes halfway; by the time the resume asks, more than a second has passed on a
    // paced download, so the first URL has expired and a fresh one must be fetched.
    let finished = scenario.export(demo(|i| i.source = Some("Test_PDF.pdf".into()))).await.unwrap();
    assert_eq!(finished.manifest.counts.instruments, 5);
}

#[tokio::test]
async fn an_errored_job_fails_with_the_servers_message() {
    let scenario = Scenario::start(|c| c.faults = vec![Fault::JobError("Export worker ran out of memory".into())]).await;
    let error = scenario.export(demo(|_| {})).await.unwrap_err();
    assert!(matches!(&error, EngineError::ExportErrored { message } if message == "Export worker ran out of memory"), "{error:?}");
    assert_eq!(error.kind(), export_engine::FailureKind::ExportErrored);
    assert!(scenario.engine.library().list().is_empty());
}

#[tokio::test]
async fn malformed_lines_are_reported_by_line_number_and_the_rest_is_kept() {
    let scenario = Scenario::start(|c| c.faults = vec![Fault::MalformedLines(3)]).await;
    let finished = scenario.export(demo(|i| i.include_files = false)).await.unwrap();
    assert_eq!(finished.manifest.counts.instruments, 240);
    let bad: Vec<u64> = finished.manifest.problems.iter().filter(|p| p.kind == ProblemKind::BadLine).map(|p| p.line.unwrap()).collect();
    // The sandbox writes one after the 1st, 3rd and 5th instruments: lines 2, 5 and 8.
    assert_eq!(bad, [2, 5, 8]);
}

#[tokio::test]
async fn hostile_entries_are_never_written() {
    let scenario = Scenario::start(|c| c.faults = vec![Fault::HostileEntries]).await;
    let finished = scenario.export(demo(|i| i.source = Some("Test_PDF.pdf".into()))).await.unwrap();
    let unsafe_entries = finished.manifest.problems.iter().filter(|p| p.kind == ProblemKind::UnsafeEntry).count();
    assert_eq!(unsafe_entries, 5);
    for escaped in [scenario.library.path().join("outside.txt"), PathBuf::from("/tmp/annolab-sandbox-absolute.txt"), finished.dir.join("pdfs/escape-link")] {
        assert!(!escaped.exists(), "{}", escaped.display());
    }
    assert_eq!(finished.manifest.counts.instruments, 5);
}

#[tokio::test]
async fn out_puts_the_export_exactly_there() {
    let scenario = Scenario::start(|_| {}).await;
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("my-export");
    let job = scenario.engine.create_job(ExportRequest::parse(demo(|i| i.source = Some("Test_PDF.pdf".into()))).unwrap(), Some(target.clone()), None).unwrap();
    let finished = scenario.engine.run(job, Arc::new(Recorder::default()), CancellationToken::new()).await.unwrap();
    assert_eq!(finished.dir, target);
    let mut names: Vec<String> = std::fs::read_dir(&target).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, ["index.sqlite", "instruments.json", "manifest.json", "pdfs", "search.sqlite"]);
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 1, "no staging folder left beside it");

    let occupied = scenario.engine.create_job(ExportRequest::parse(demo(|_| {})).unwrap(), Some(target), None).unwrap_err();
    assert!(matches!(occupied, EngineError::DestinationNotEmpty { .. }));
}

#[tokio::test]
async fn cancelling_leaves_nothing_behind() {
    let scenario = Scenario::start(|c| c.job_time = Duration::from_secs(30)).await;
    let job = scenario.engine.create_job(ExportRequest::parse(demo(|_| {})).unwrap(), None, None).unwrap();
    let cancel = CancellationToken::new();
    let later = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        later.cancel();
    });
    let error = scenario.engine.run(job.clone(), Arc::new(Recorder::default()), cancel).await.unwrap_err();
    assert!(matches!(error, EngineError::Cancelled));
    let stored = scenario.engine.jobs().load(&job.id).unwrap();
    assert_eq!((stored.state, stored.phase), (JobState::Cancelled, Phase::Processing));
    assert!(!scenario.engine.library().work_dir(&job.id).exists());
    assert!(scenario.engine.library().list().is_empty());
}

#[tokio::test]
async fn an_interrupted_download_resumes_from_its_part_file() {
    let clean = Scenario::start(|_| {}).await;
    let reference = clean.export(demo(|_| {})).await.unwrap();

    let scenario = Scenario::start(|c| c.faults = vec![Fault::Bandwidth(200 * 1024)]).await;
    let job = scenario.engine.create_job(ExportRequest::parse(demo(|_| {})).unwrap(), None, None).unwrap();
    let recorder = Arc::new(Recorder::default());
    // Abort the run in the middle of the download, as a crash would: no clean-up code runs.
    let run = tokio::spawn({
        let (engine, job, recorder) = (scenario.engine.clone(), job.clone(), recorder.clone());
        async move { engine.run(job, recorder, CancellationToken::new()).await }
    });
    let part = scenario.engine.library().work_dir(&job.id).join("export.zip.part");
    while std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0) < 300 * 1024 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    run.abort();
    let _ = run.await;
    let interrupted = scenario.engine.jobs().load(&job.id).unwrap();
    assert_eq!((interrupted.state, interrupted.phase), (JobState::Running, Phase::Downloading));
    let kept = std::fs::metadata(&part).unwrap().len();

    scenario.sandbox.faults().cap_bandwidth(None);
    let resumed = scenario.engine.run(interrupted, Arc::new(Recorder::default()), CancellationToken::new()).await.unwrap();
    assert!(kept > 0);
    assert_eq!(resumed.manifest.zip_sha256, reference.manifest.zip_sha256);
    assert_eq!(fingerprint(&resumed.dir, VARYING), fingerprint(&reference.dir, VARYING));
}

#[tokio::test]
async fn the_key_is_in_no_file_the_engine_writes() {
    let scenario = Scenario::start(|_| {}).await;
    scenario.export(demo(|_| {})).await.unwrap();
    let files = assert_no_file_contains(scenario.library.path(), KEY);
    assert!(files > 240);
}

/// A fresh URL is never needed in these downloads.
struct NoRefresh;

impl download::FreshUrl for NoRefresh {
    fn fresh(&self) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<String, EngineError>> + Send + '_>> {
        Box::pin(async { panic!("the URL did not expire") })
    }
}

#[tokio::test]
async fn a_part_file_stopped_after_its_last_byte_is_the_download_and_a_longer_one_starts_over() {
    let scenario = Scenario::start(|_| {}).await;
    let (url, archive) = scenario.archive(&ExportRequest::parse(demo(|_| {})).unwrap()).await;
    let expected = sha256_hex(&archive);
    let work = tempfile::tempdir().unwrap();
    let zip = work.path().join("export.zip");
    let longer = [archive.as_slice(), b"bytes of something else"].concat();
    // Stopped between the last byte and the rename (the host answers 416 to the resume), and a
    // part file longer than the object.
    for part in [archive.clone(), longer] {
        std::fs::write(download::part_path(&zip), &part).unwrap();
        let downloaded = download::download(
            &Storage::new().unwrap(),
            url.clone(),
            &zip,
            Default::default(),
            &NoRefresh,
            &Arrivals::default(),
            &|_: Progress| {},
            &CancellationToken::new(),
        )
        .await
        .unwrap();
        assert_eq!((downloaded.bytes, downloaded.sha256.as_str()), (archive.len() as u64, expected.as_str()));
        assert_eq!(std::fs::read(&zip).unwrap(), archive);
        assert!(!download::part_path(&zip).exists());
    }
}

/// A process killed after publishing but before tidying up (the last moments of a job) leaves a
/// record saying "ready, still running" and its work folder. Opening the library settles it: the
/// job is recorded done and the folder goes; a resumable job's folder, a job another process is
/// running and an unreadable record are left as they are.
#[tokio::test(flavor = "multi_thread")]
async fn leftovers_of_a_job_killed_after_publishing_are_settled_and_nothing_else_is_touched() {
    let scenario = Scenario::start(|_| {}).await;
    let library = scenario.engine.library().clone();
    let jobs = scenario.engine.jobs();
    let new_job = || scenario.engine.create_job(ExportRequest::parse(demo(|_| {})).unwrap(), None, None).unwrap();
    let with_work = |id: &str| {
        let work = library.work_dir(id);
        std::fs::create_dir_all(&work).unwrap();
        std::fs::write(work.join("export.zip"), b"bytes").unwrap();
        work
    };

    let mut published = new_job();
    published.phase = Phase::Ready;
    jobs.save(&published).unwrap();
    let published_work = with_work(&published.id);
    let resumable = new_job();
    let resumable_work = with_work(&resumable.id);
    let mut busy = new_job();
    busy.state = JobState::Done;
    jobs.save(&busy).unwrap();
    let busy_work = with_work(&busy.id);
    let held = jobs.lock(&busy.id).unwrap();
    let orphan_work = with_work("20260101T000000Z-0000");
    let unreadable_work = with_work("20260101T000000Z-ffff");
    std::fs::write(library.jobs_dir().join("20260101T000000Z-ffff.json"), b"{ not json").unwrap();

    export_engine::settle_leftovers(&library);

    assert_eq!(jobs.load(&published.id).unwrap().state, JobState::Done);
    assert!(!published_work.exists() && !orphan_work.exists(), "finished jobs' work folders go");
    assert!(resumable_work.join("export.zip").is_file(), "a resumable job keeps its download");
    assert!(busy_work.exists(), "a job another process holds is not touched");
    assert!(unreadable_work.exists(), "an unreadable record may be someone's data");
    drop(held);
    export_engine::settle_leftovers(&library);
    assert!(!busy_work.exists(), "once free, a done job's folder goes too");
}
