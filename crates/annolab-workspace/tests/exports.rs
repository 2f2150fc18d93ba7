//! The workspace's export jobs without a window: started, watched, cancelled and resumed through
//! `Exports` against the embedded demo sandbox, as the UI's commands drive them.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use annolab_sandbox::Fault;
use annolab_workspace::accounts::{Accounts, DEMO_PROFILE};
use annolab_workspace::exports::{Exports, JobView, MAX_RUNNING, Watcher};
use annolab_workspace::settings::Settings;
use annolab_workspace::{DemoOptions, DemoWorkspace};
use export_engine::{Engine, ExportInput, ExportRequest, JobState, Phase, Profiles};

struct App {
    exports: Exports,
    accounts: Arc<Accounts>,
    demo: Arc<DemoWorkspace>,
    settings: Arc<Settings>,
    _home: tempfile::TempDir,
}

async fn app_with_demo(faults: Vec<Fault>) -> App {
    let home = tempfile::tempdir().unwrap();
    let settings = Arc::new(Settings::load(&home.path().join("config"), home.path().join("library")));
    let demo = Arc::new(DemoWorkspace::new());
    demo.start_demo(DemoOptions { data_dir: Some(home.path().join("demo-server")), faults, ..DemoOptions::default() }).await;
    let accounts = Arc::new(Accounts::new(Profiles::new(&home.path().join("config")), Arc::clone(&settings), Arc::clone(&demo)));
    let exports = Exports::new(Arc::clone(&accounts), Arc::new(|_: &JobView| {}));
    App { exports, accounts, demo, settings, _home: home }
}

fn demo_input(tag: Option<&str>) -> ExportInput {
    ExportInput {
        owner: "Group Name owning project".into(),
        project: "Example Project Name".into(),
        include_tags: tag.map(|t| vec![t.to_owned()]).unwrap_or_default(),
        include_files: true,
        ..ExportInput::default()
    }
}

/// A watcher that keeps every view it is sent.
fn recorder() -> (Watcher, Arc<Mutex<Vec<JobView>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    (Arc::new(move |view: JobView| sink.lock().unwrap().push(view)), seen)
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn last(seen: &Mutex<Vec<JobView>>) -> Option<JobView> {
    seen.lock().unwrap().last().cloned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_demo_export_streams_every_phase_to_its_watcher_and_ends_ready() {
    let app = app_with_demo(Vec::new()).await;
    let (watcher, seen) = recorder();

    let started = app.exports.start(DEMO_PROFILE, demo_input(Some("Engine Inventory")), watcher).await.unwrap();
    assert_eq!(started.status, JobState::Running);
    until("the job ends", || last(&seen).is_some_and(|v| v.status != JobState::Running)).await;

    let done = last(&seen).unwrap();
    assert_eq!((done.status, done.phase), (JobState::Done, Phase::Ready), "{:?}", done.error);
    assert_eq!(done.reached, [Phase::Requested, Phase::Processing, Phase::Downloading, Phase::Verifying, Phase::Extracting, Phase::Indexing, Phase::Ready]);
    assert!(done.instruments > 0);
    let dir = done.export_dir.clone().expect("a finished job names its folder");
    assert!(std::path::Path::new(&dir).join("manifest.json").is_file());
    let phases: Vec<Phase> = seen.lock().unwrap().iter().map(|v| v.phase).collect();
    assert!(phases.windows(2).all(|w| w[0] <= w[1]), "phases went backwards: {phases:?}");

    let listed = app.exports.list().await;
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].status, listed[0].instruments), (JobState::Done, done.instruments), "as recorded, after the job left memory");
    assert_eq!(app.settings.recent_projects(), ["Example Project Name"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn input_errors_name_their_field_and_start_nothing() {
    let app = app_with_demo(Vec::new()).await;
    let (watcher, _) = recorder();
    let input = ExportInput { include_tags: vec!["A".into()], exclude_tags: vec!["A".into()], ..demo_input(None) };

    let error = app.exports.start(DEMO_PROFILE, input, watcher).await.unwrap_err();

    assert_eq!((error.code.as_str(), error.field.as_deref()), ("invalid_request", Some("tags")));
    assert!(app.exports.list().await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cancelled_download_ends_cancelled_and_retry_exports_afresh() {
    let app = app_with_demo(vec![Fault::Bandwidth(40 * 1024)]).await;
    let (watcher, seen) = recorder();
    let job = app.exports.start(DEMO_PROFILE, demo_input(None), watcher).await.unwrap();
    until("bytes arrive", || last(&seen).is_some_and(|v| v.bytes > 0)).await;

    app.exports.cancel(&job.id).unwrap();
    until("the job ends", || last(&seen).is_some_and(|v| v.status != JobState::Running)).await;
    assert_eq!(last(&seen).unwrap().status, JobState::Cancelled);
    assert_eq!(app.exports.cancel(&job.id).unwrap_err().code.as_str(), "job_not_running");

    app.demo.stop().await;
    let (watcher, _) = recorder();
    let error = app.exports.retry(&job.id, watcher).await.unwrap_err();
    assert_eq!(error.code.as_str(), "demo_not_ready", "a stopped demo cannot take the retry: {}", error.message);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_interrupted_before_the_demo_moved_port_resumes_on_the_new_one() {
    let app = app_with_demo(Vec::new()).await;
    // A job recorded by an earlier launch, whose demo server listened elsewhere.
    let stale =
        annolab_api::Client::new(annolab_api::ServerUrl::parse("http://127.0.0.1:9").unwrap(), annolab_api::ApiKey::new("old-demo-key").unwrap()).unwrap();
    let engine = Engine::new(stale, annolab_api::Storage::new().unwrap(), app.settings.library());
    let request = ExportRequest::parse(demo_input(Some("Airframe Inventory"))).unwrap();
    let job = engine.create_job(request, None, Some(DEMO_PROFILE.to_owned())).unwrap();

    app.exports.resume_interrupted().await;
    let (watcher, seen) = recorder();
    app.exports.watch(&job.id, watcher).expect("the interrupted job runs again");
    until("the job ends", || last(&seen).is_some_and(|v| v.status != JobState::Running)).await;

    let done = last(&seen).unwrap();
    assert_eq!(done.status, JobState::Done, "{:?}", done.error);
    let listed = app.exports.list().await;
    assert_eq!(listed.len(), 1, "resuming makes no second job");
}

/// The one resume rule, as both front ends use it: a demo job the demo server knows keeps its
/// remote job and is polled where the server moved; one it does not know asks again.
#[tokio::test(flavor = "multi_thread")]
async fn a_demo_job_follows_the_demo_server_and_asks_again_only_when_the_server_forgot_it() {
    let app = app_with_demo(Vec::new()).await;
    let client = app.demo.client().await.unwrap();
    let request = ExportRequest::parse(demo_input(None)).unwrap();
    let started = client.start_export(&request.body()).await.unwrap();
    let path = started.export_status_url.trim_start_matches(client.server().as_str().trim_end_matches('/')).to_owned();

    let stale = annolab_api::Client::new(annolab_api::ServerUrl::parse("http://127.0.0.1:9").unwrap(), annolab_api::ApiKey::new("old").unwrap()).unwrap();
    let engine = Engine::new(stale, annolab_api::Storage::new().unwrap(), app.settings.library());
    let recorded = |remote: u64| {
        let mut job = engine.create_job(request.clone(), None, Some(DEMO_PROFILE.to_owned())).unwrap();
        job.remote_job_id = Some(remote);
        job.status_url = Some(format!("http://127.0.0.1:9{path}"));
        job
    };

    let (_, known) = app.accounts.engine_for_job(recorded(started.export_job.id)).await.unwrap();
    assert_eq!(known.remote_job_id, Some(started.export_job.id));
    assert_eq!(known.status_url.as_deref(), Some(started.export_status_url.as_str()), "polled again where the server is now");
    assert_eq!(known.server, client.server().as_str().trim_end_matches('/'));

    let (_, forgotten) = app.accounts.engine_for_job(recorded(started.export_job.id + 1000)).await.unwrap();
    assert_eq!((forgotten.remote_job_id, forgotten.status_url), (None, None), "a job the server never saw is asked for again");
}

/// Twenty exports started at once in one process, as a user clicking "Export" on every recent
/// project would: at most `MAX_RUNNING` work at a time, the others are shown waiting, and every
/// result is byte for byte what a lone export makes.
#[tokio::test(flavor = "multi_thread")]
async fn twenty_exports_at_once_take_turns_and_each_equals_a_lone_export() {
    const AT_ONCE: usize = 20;
    // `changes.json` is the library card's line against the previous export: the lone export
    // has none, each later one compares with the one before it.
    const VARYING: &[&str] = &["manifest.json", "index.sqlite", annolab_workspace::changes::CHANGES_FILE];
    let app = app_with_demo(Vec::new()).await;
    let (watcher, seen) = recorder();
    app.exports.start(DEMO_PROFILE, demo_input(None), watcher).await.unwrap();
    until("the lone export ends", || last(&seen).is_some_and(|v| v.status != JobState::Running)).await;
    let lone = last(&seen).unwrap();
    assert_eq!(lone.status, JobState::Done, "{:?}", lone.error);
    let reference = test_support::fingerprint(std::path::Path::new(&lone.export_dir.unwrap()), VARYING);

    // Every job's latest view, and the most seen doing work (running, not waiting) at once.
    let views = Arc::new(Mutex::new(std::collections::HashMap::<String, JobView>::new()));
    let (most_working, any_waited) = (Arc::new(Mutex::new(0usize)), Arc::new(Mutex::new(false)));
    let watcher: Watcher = {
        let (views, most_working, any_waited) = (Arc::clone(&views), Arc::clone(&most_working), Arc::clone(&any_waited));
        Arc::new(move |view: JobView| {
            let mut views = views.lock().unwrap();
            *any_waited.lock().unwrap() |= view.waiting;
            views.insert(view.id.clone(), view);
            let working = views.values().filter(|v| v.status == JobState::Running && !v.waiting).count();
            let mut most = most_working.lock().unwrap();
            *most = (*most).max(working);
        })
    };
    for _ in 0..AT_ONCE {
        app.exports.start(DEMO_PROFILE, demo_input(None), Arc::clone(&watcher)).await.unwrap();
    }
    until("all twenty end", || {
        let views = views.lock().unwrap();
        views.len() == AT_ONCE && views.values().all(|v| v.status != JobState::Running)
    })
    .await;

    assert!(*any_waited.lock().unwrap(), "with {AT_ONCE} at once some must wait their turn");
    assert!(*most_working.lock().unwrap() <= MAX_RUNNING, "{} worked at once", most_working.lock().unwrap());
    let views = views.lock().unwrap();
    let mut dirs = std::collections::BTreeSet::new();
    for view in views.values() {
        assert_eq!(view.status, JobState::Done, "{}: {:?}", view.id, view.error);
        let dir = view.export_dir.clone().unwrap();
        assert_eq!(test_support::fingerprint(std::path::Path::new(&dir), VARYING), reference, "{dir} differs from the lone export");
        dirs.insert(dir);
    }
    assert_eq!(dirs.len(), AT_ONCE, "each export has its own folder");
}

/// A job cancelled while it waits for its turn never starts and is recorded as cancelled, not
/// left looking interrupted.
#[tokio::test(flavor = "multi_thread")]
async fn an_export_cancelled_while_waiting_its_turn_is_recorded_cancelled() {
    let app = app_with_demo(vec![Fault::Bandwidth(40 * 1024)]).await;
    for _ in 0..MAX_RUNNING {
        let (watcher, _) = recorder();
        app.exports.start(DEMO_PROFILE, demo_input(None), watcher).await.unwrap();
    }
    let (watcher, seen) = recorder();
    let waiting = app.exports.start(DEMO_PROFILE, demo_input(None), watcher).await.unwrap();
    assert!(waiting.waiting, "the slots are all taken");

    app.exports.cancel(&waiting.id).unwrap();
    until("the waiting job ends", || last(&seen).is_some_and(|v| v.status != JobState::Running)).await;

    assert_eq!(last(&seen).unwrap().status, JobState::Cancelled);
    let listed = app.exports.list().await;
    let recorded = listed.iter().find(|v| v.id == waiting.id).unwrap();
    assert_eq!((recorded.status, recorded.phase), (JobState::Cancelled, Phase::Requested), "{:?}", recorded.error);
    for view in &listed {
        let _ = app.exports.cancel(&view.id);
    }
}

/// The job list tidied as the app does it: a running job is refused, a finished one dismissed
/// (its export stays in the library), a failed one kept by Dismiss and Clear finished and let go
/// only by Discard, which deletes what it downloaded.
#[tokio::test(flavor = "multi_thread")]
async fn finished_jobs_are_dismissed_and_a_resumable_one_only_discarded_on_purpose() {
    let app = app_with_demo(vec![Fault::JobError("The export worker crashed".into())]).await;
    let without_pdfs = || ExportInput { include_files: false, ..demo_input(None) };
    // As at launch: nothing to resume, so listing need not wait for it.
    app.exports.resume_interrupted().await;
    let (watcher, seen) = recorder();
    let failed = app.exports.start(DEMO_PROFILE, without_pdfs(), watcher).await.unwrap();
    until("the first job fails", || last(&seen).is_some_and(|v| v.status == JobState::Failed)).await;

    let (watcher, seen) = recorder();
    // The demo server takes a few seconds a job: long enough to be refused while it runs.
    let running = app.exports.start(DEMO_PROFILE, without_pdfs(), watcher).await.unwrap();
    assert_eq!(app.exports.dismiss(&running.id).await.unwrap_err().code.as_str(), "job_running");
    assert_eq!(app.exports.discard(&running.id).await.unwrap_err().code.as_str(), "job_running");
    until("the second job is done", || last(&seen).is_some_and(|v| v.status == JobState::Done)).await;

    assert_eq!(app.exports.dismiss(&failed.id).await.unwrap_err().code.as_str(), "job_resumable");
    let listed = app.exports.clear_finished().await;
    assert_eq!(listed.iter().map(|v| v.id.as_str()).collect::<Vec<_>>(), [failed.id.as_str()], "Clear finished keeps what can resume");
    assert_eq!(app.settings.library().list().len(), 1, "the finished export stays in the library");

    let work = app.settings.library().work_dir(&failed.id);
    std::fs::create_dir_all(&work).unwrap();
    assert!(app.exports.discard(&failed.id).await.unwrap().is_empty());
    assert!(!work.exists(), "what the discarded job downloaded is gone");
}

/// A job the server refused outright (no such project) left nothing to resume: its card says so,
/// Dismiss takes it off the list and so does Clear finished.
#[tokio::test(flavor = "multi_thread")]
async fn a_job_refused_before_the_server_took_it_is_dismissed_like_a_finished_one() {
    let app = app_with_demo(Vec::new()).await;
    app.exports.resume_interrupted().await;
    let refused_input = || ExportInput { project: "No Such Project".into(), include_files: false, ..demo_input(None) };
    let (watcher, seen) = recorder();
    let first = app.exports.start(DEMO_PROFILE, refused_input(), watcher).await.unwrap();
    until("the first job fails", || last(&seen).is_some_and(|v| v.status == JobState::Failed)).await;
    let view = last(&seen).unwrap();
    assert_eq!((view.phase, view.resumable), (Phase::Requested, false), "{:?}", view.error);
    assert_eq!(view.error.as_ref().map(|e| e.code.as_str()), Some("not_found"));
    assert_eq!(app.exports.list().await.iter().find(|v| v.id == first.id).map(|v| v.resumable), Some(false), "as recorded");
    assert!(app.exports.dismiss(&first.id).await.unwrap().is_empty());

    let (watcher, seen) = recorder();
    app.exports.start(DEMO_PROFILE, refused_input(), watcher).await.unwrap();
    until("the second job fails", || last(&seen).is_some_and(|v| v.status == JobState::Failed)).await;
    assert!(app.exports.clear_finished().await.is_empty(), "Clear finished takes it");
}
