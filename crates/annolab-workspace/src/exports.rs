//! Export jobs as the app runs them: started from the form, resumed at launch, watched through
//! one channel per job, cancelled and retried. All the work is the engine's; this module keeps
//! each running job's live [`JobView`] and hands it to whoever watches.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use export_engine::job::JobFailure;
use export_engine::{Engine, EngineError, ExportInput, ExportRequest, JobRecord, JobState, Phase, Progress, ProgressSink};
use serde::Serialize;
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

use crate::accounts::{Accounts, DEMO_PROFILE};
use crate::error::CommandError;
use crate::error::{Code, WorkspaceErrorCode};
use crate::settings::DEFAULT_EXPORTS_AT_ONCE;
use crate::status::SandboxStatus;

/// How many notices (retries, bad lines) a job keeps to show.
const NOTICES_KEPT: usize = 5;

/// How many exports run at once unless the Settings tab says otherwise; the others wait their
/// turn, shown as waiting. Each running export holds a download stream, an extraction and a
/// SQLite writer: past a few at once they only slow each other down (two cores, one disk) and
/// the server rate-limits a burst anyway.
pub const MAX_RUNNING: usize = DEFAULT_EXPORTS_AT_ONCE as usize;

/// A job as the UI draws it: its request, where it is, and the latest progress of that phase.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct JobView {
    pub id: String,
    pub profile: Option<String>,
    pub request: ExportRequest,
    pub phase: Phase,
    pub status: JobState,
    pub error: Option<CommandError>,
    /// Whether Retry picks the job up where it stopped, so dismissing it would lose that: such a
    /// job is only discarded, on purpose ([`Exports::discard`]).
    pub resumable: bool,
    /// The phases this job has entered, in order.
    pub reached: Vec<Phase>,
    /// When the job was requested (UTC, RFC 3339).
    pub requested_at: Option<String>,
    pub polls: u32,
    pub elapsed_ms: u64,
    pub server_status: Option<String>,
    pub bytes: u64,
    pub total: Option<u64>,
    pub bytes_per_sec: f64,
    pub eta_secs: Option<f64>,
    pub checked: u64,
    pub check_total: u64,
    pub files: u64,
    pub files_total: u64,
    pub instruments: u64,
    pub notices: Vec<String>,
    /// The finished export's folder.
    pub export_dir: Option<String>,
    /// What changed since the previous export of the project, when this one just finished
    /// (`since 2026-11-30: +12 new, −3 gone, 7 changed`); the library card has it afterwards.
    pub changes: Option<String>,
    /// Waiting for a running slot ([`Exports::set_at_once`]): the job has not started its work yet.
    pub waiting: bool,
    /// The limit the wait is for, so the UI can say "at most 3 run at once".
    pub max_running: u32,
}

/// What the OS notification of an ended export says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub title: &'static str,
    pub body: String,
}

impl JobView {
    /// The notification for this job once it has ended: ready (with what changed since the
    /// previous export of its project), or failed with the error's words. None while it runs
    /// or after a cancel, which the user did themselves.
    pub fn notice(&self) -> Option<Notice> {
        let what = format!("{} / {}", self.request.owner, self.request.project);
        match self.status {
            JobState::Done => {
                let changes = self.changes.as_deref().map(|line| format!("\n{line}")).unwrap_or_default();
                Some(Notice { title: "Export ready", body: format!("{what}: {} instruments{changes}", self.instruments) })
            }
            JobState::Failed => Some(Notice { title: "Export failed", body: format!("{what}: {}", self.error.as_ref().map_or("", |e| e.message.as_str())) }),
            _ => None,
        }
    }

    fn from_record(job: &JobRecord) -> Self {
        let reached = [Phase::Requested, Phase::Processing, Phase::Downloading, Phase::Verifying, Phase::Extracting, Phase::Indexing, Phase::Ready]
            .into_iter()
            .filter(|phase| job.times.get(*phase).is_some())
            .collect();
        JobView {
            id: job.id.clone(),
            profile: job.profile.clone(),
            request: job.request.clone(),
            phase: job.phase,
            status: job.state,
            error: job.error.as_ref().map(|f| CommandError::new(Code::parse(&f.code), f.message.clone())),
            resumable: job.resumable(),
            reached,
            requested_at: job.times.requested.clone(),
            polls: 0,
            elapsed_ms: 0,
            server_status: None,
            bytes: 0,
            total: None,
            bytes_per_sec: 0.0,
            eta_secs: None,
            checked: 0,
            check_total: 0,
            files: 0,
            files_total: 0,
            // A finished job's count is in its export's manifest (gone if the export was deleted).
            instruments: job
                .export_dir
                .as_deref()
                .filter(|_| job.state == JobState::Done)
                .and_then(|dir| export_engine::Manifest::read(dir).ok())
                .map_or(0, |manifest| manifest.counts.instruments),
            notices: Vec::new(),
            export_dir: job.export_dir.as_ref().map(|dir| dir.display().to_string()),
            changes: None,
            waiting: false,
            max_running: DEFAULT_EXPORTS_AT_ONCE,
        }
    }

    fn apply(&mut self, progress: Progress) {
        match progress {
            Progress::Phase { phase } => {
                self.phase = phase;
                if !self.reached.contains(&phase) {
                    self.reached.push(phase);
                }
            }
            Progress::Polled { polls, elapsed_ms, server_status } => {
                self.polls = polls;
                self.elapsed_ms = elapsed_ms;
                self.server_status = Some(server_status);
            }
            Progress::Downloaded { bytes, total, bytes_per_sec, eta_secs } => {
                self.bytes = bytes;
                self.total = total;
                self.bytes_per_sec = bytes_per_sec;
                self.eta_secs = eta_secs;
            }
            Progress::Verified { entries, total } => (self.checked, self.check_total) = (entries, total),
            Progress::Extracted { files, total } => (self.files, self.files_total) = (files, total),
            Progress::Indexed { instruments } => self.instruments = instruments,
            Progress::Notice { message } => {
                self.notices.push(message);
                let extra = self.notices.len().saturating_sub(NOTICES_KEPT);
                self.notices.drain(..extra);
            }
        }
    }
}

/// Receives a job's view at every change: the UI's channel for that job.
pub type Watcher = Arc<dyn Fn(JobView) + Send + Sync>;
/// Told once when a job ends (done, failed or cancelled): the app's notifications.
pub type OnEnd = Arc<dyn Fn(&JobView) + Send + Sync>;

struct Live {
    view: JobView,
    watcher: Option<Watcher>,
    cancel: CancellationToken,
}

type Table = Arc<Mutex<HashMap<String, Live>>>;

pub struct Exports {
    accounts: Arc<Accounts>,
    live: Table,
    /// One permit per export allowed to work at once: a job holds one from the start of its
    /// work to its end.
    slots: Arc<Slots>,
    on_end: OnEnd,
    /// True once [`Exports::resume_interrupted`] has run, so a listing never shows a job as
    /// interrupted in the moment before it resumes.
    resumed: tokio::sync::watch::Sender<bool>,
}

impl Exports {
    pub fn new(accounts: Arc<Accounts>, on_end: OnEnd) -> Self {
        Exports {
            live: Arc::default(),
            slots: Arc::new(Slots::new(accounts.settings().preferences().exports_at_once as usize)),
            on_end,
            resumed: tokio::sync::watch::Sender::new(false),
            accounts,
        }
    }

    /// How many exports may work at once from now on. Fewer than are working now takes effect
    /// as they end: a running export is never stopped for it.
    pub fn set_at_once(&self, at_once: u32) {
        self.slots.resize(at_once.max(1) as usize);
    }

    /// Whether an export of this app is working or waiting its turn.
    pub fn busy(&self) -> bool {
        !self.table().is_empty()
    }

    /// How many exports may work at once.
    pub fn at_once(&self) -> u32 {
        self.slots.size() as u32
    }

    /// Checks form input without sending anything: the error names the field.
    pub fn validate(input: ExportInput) -> Result<ExportRequest, CommandError> {
        ExportRequest::parse(input).map_err(|e| CommandError::from(EngineError::from(e)))
    }

    /// Starts a new export with `profile` and streams its progress to `watcher`.
    pub async fn start(&self, profile: &str, input: ExportInput, watcher: Watcher) -> Result<JobView, CommandError> {
        let request = Self::validate(input)?;
        let engine = self.accounts.engine(profile, None).await?;
        let job = engine.create_job(request, None, Some(profile.to_owned()))?;
        // Suggestions are a convenience: failing to remember them does not stop the export.
        if let Err(error) = self.accounts.settings().remember(&job.request.owner, &job.request.project) {
            tracing::warn!("could not remember the recent owner and project: {error}");
        }
        Ok(self.launch(engine, job, Some(watcher)))
    }

    /// Every job: running ones as they are now, the others as last recorded; newest first.
    /// Waits (a few seconds at most) for the jobs interrupted last time to resume first.
    pub async fn list(&self) -> Vec<JobView> {
        let mut resumed = self.resumed.subscribe();
        let _ = tokio::time::timeout(std::time::Duration::from_secs(20), resumed.wait_for(|done| *done)).await;
        let live = self.table();
        self.store()
            .list()
            .iter()
            .map(|job| match live.get(&job.id) {
                Some(running) => running.view.clone(),
                None => Self::settled(job),
            })
            .collect()
    }

    /// The jobs running (or waiting their turn) in this app, as they are now.
    pub fn running(&self) -> Vec<JobView> {
        self.table().values().map(|live| live.view.clone()).collect()
    }

    /// Sends `watcher` the job's view now and at every change from now on.
    pub fn watch(&self, id: &str, watcher: Watcher) -> Result<JobView, CommandError> {
        let mut live = self.table();
        let running = live.get_mut(id).ok_or_else(|| not_running(id))?;
        running.watcher = Some(Arc::clone(&watcher));
        let view = running.view.clone();
        watcher(view.clone());
        Ok(view)
    }

    /// Asks a running job to stop; it reports `cancelled` through its watcher when it has.
    pub fn cancel(&self, id: &str) -> Result<JobView, CommandError> {
        let live = self.table();
        let running = live.get(id).ok_or_else(|| not_running(id))?;
        running.cancel.cancel();
        Ok(running.view.clone())
    }

    /// Runs a failed or interrupted job again from where it stopped; a cancelled or finished one
    /// is exported afresh with the same settings.
    pub async fn retry(&self, id: &str, watcher: Watcher) -> Result<JobView, CommandError> {
        if self.table().contains_key(id) {
            return self.watch(id, watcher);
        }
        let job = self.store().load(id)?;
        let profile = job.profile.clone().unwrap_or_else(|| DEMO_PROFILE.to_owned());
        if !job.resumable() {
            return self.start(&profile, job.request.to_input(), watcher).await;
        }
        let (engine, job) = self.accounts.engine_for_job(job).await?;
        Ok(self.launch(engine, job, Some(watcher)))
    }

    /// Resumes the jobs that were running when the app last stopped (quit, crash, power loss).
    /// One that cannot resume (its profile or key is gone) is recorded as failed, with why.
    pub async fn resume_interrupted(&self) {
        let store = self.store();
        let interrupted = store.list().into_iter().filter(|job| job.state == JobState::Running && job.resumable());
        for job in interrupted {
            let id = job.id.clone();
            match self.accounts.engine_for_job(job.clone()).await {
                Ok((engine, job)) => {
                    tracing::info!(job = %id, "resuming an interrupted export");
                    self.launch(engine, job, None);
                }
                Err(error) => {
                    let error = CommandError::from(error);
                    tracing::warn!(job = %id, "cannot resume an interrupted export: {}", error.message);
                    let failed =
                        JobRecord { state: JobState::Failed, error: Some(JobFailure { code: error.code.as_str().to_owned(), message: error.message }), ..job };
                    if let Err(error) = store.save(&failed) {
                        tracing::warn!(job = %id, "cannot record the failure: {error}");
                    }
                }
            }
        }
        self.resumed.send_replace(true);
    }

    /// Takes an ended job off the list (its export stays in the library) and lists the jobs
    /// again. One that can still resume is refused (`job_resumable`): only [`Exports::discard`]
    /// lets it go, so what it downloaded is never lost by a stray click.
    pub async fn dismiss(&self, id: &str) -> Result<Vec<JobView>, CommandError> {
        self.ended(id)?;
        self.store().dismiss(id)?;
        Ok(self.list().await)
    }

    /// Forgets a failed or interrupted job with what it downloaded: the user's explicit choice.
    pub async fn discard(&self, id: &str) -> Result<Vec<JobView>, CommandError> {
        self.ended(id)?;
        export_engine::discard_job(&self.accounts.settings().library(), id)?;
        Ok(self.list().await)
    }

    /// "Clear finished": every job that ended and cannot resume off the list.
    pub async fn clear_finished(&self) -> Vec<JobView> {
        let live = self.table().keys().cloned().collect::<std::collections::HashSet<_>>();
        let store = self.store();
        for job in store.list().into_iter().filter(|job| !job.resumable() && job.state != JobState::Running && !live.contains(&job.id)) {
            if let Err(error) = store.dismiss(&job.id) {
                tracing::info!(job = %job.id, "kept on the list: {error}");
            }
        }
        self.list().await
    }

    /// Refuses a job that is running (or waiting its turn) in this app.
    fn ended(&self, id: &str) -> Result<(), CommandError> {
        match self.table().contains_key(id) {
            true => Err(CommandError::new(WorkspaceErrorCode::JobRunning, format!("Export {id} is running; cancel it first."))),
            false => Ok(()),
        }
    }

    /// "Simulate a week of new records": moves the demo project on a week (remembered in the
    /// settings, so the next launch serves the same week) and returns the demo's status.
    /// Refused while an export of the demo runs, since its server restarts.
    pub async fn next_demo_week(&self) -> Result<SandboxStatus, CommandError> {
        if self.table().values().any(|live| live.view.profile.as_deref() == Some(DEMO_PROFILE)) {
            return Err(CommandError::new(
                WorkspaceErrorCode::DemoWeekRefused,
                "An export of the demo workspace is running; wait for it to finish (or cancel it) before moving the demo on a week.",
            ));
        }
        let week = self.accounts.demo().next_week().await?;
        self.accounts.settings().set_demo_week(week)?;
        Ok(self.accounts.demo().status().await)
    }

    /// The job records of the current library.
    fn store(&self) -> export_engine::JobStore {
        export_engine::JobStore::new(self.accounts.settings().library().jobs_dir())
    }

    fn launch(&self, engine: Engine, job: JobRecord, watcher: Option<Watcher>) -> JobView {
        let cancel = CancellationToken::new();
        let mut view = JobView::from_record(&job);
        view.status = JobState::Running;
        view.error = None;
        // Taken here, not in the task, so a job is never shown running while it waits.
        let slot = self.slots.try_take();
        view.waiting = slot.is_none();
        view.max_running = self.at_once();
        self.table().insert(job.id.clone(), Live { view: view.clone(), watcher: watcher.clone(), cancel: cancel.clone() });
        if let Some(watcher) = &watcher {
            watcher(view.clone());
        }

        let (table, on_end, id, slots) = (Arc::clone(&self.live), Arc::clone(&self.on_end), job.id.clone(), Arc::clone(&self.slots));
        let library = self.accounts.settings().library();
        let sink: Arc<dyn ProgressSink> = Arc::new(LiveSink { id: id.clone(), table: Arc::clone(&table) });
        tokio::spawn(async move {
            let slot = match slot {
                Some(slot) => Some(slot),
                None => wait_for_slot(&slots, &table, &id, &cancel).await,
            };
            let outcome = match &slot {
                Some(_) => engine.run(job, sink, cancel).await,
                // Cancelled while waiting: recorded as cancelled, so it is not taken for interrupted.
                None => engine.cancel_stored(&job.id).and(Err(EngineError::Cancelled)),
            };
            let Some(Live { mut view, watcher, .. }) = lock(&table).remove(&id) else { return };
            match outcome {
                Ok(finished) => {
                    view.status = JobState::Done;
                    view.phase = Phase::Ready;
                    view.instruments = finished.manifest.counts.instruments;
                    view.export_dir = Some(finished.dir.display().to_string());
                    view.changes = changes_line(library, finished.dir).await;
                }
                Err(EngineError::Cancelled) => view.status = JobState::Cancelled,
                Err(error) => {
                    let error = CommandError::from(error);
                    view.status = JobState::Failed;
                    view.error = Some(error);
                }
            }
            view.resumable = export_engine::can_resume(view.status, view.phase, view.error.as_ref().map(|e| e.code.as_str()));
            if let Some(watcher) = watcher {
                watcher(view.clone());
            }
            on_end(&view);
            // The slot is held until the job's end is reported (its changes line included), then
            // handed to the next waiting one: the user never sees more at work than allowed.
            if let Some(slot) = slot {
                slots.give_back(slot);
            }
        });
        view
    }

    fn settled(job: &JobRecord) -> JobView {
        let mut view = JobView::from_record(job);
        if job.state == JobState::Running {
            // Recorded as running but not running here: it stopped with the last app session
            // and could not resume.
            view.status = JobState::Failed;
            view.error = Some(CommandError::new(WorkspaceErrorCode::Interrupted, "This export stopped when the app last closed. Retry to resume it."));
        }
        view
    }

    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<String, Live>> {
        lock(&self.live)
    }
}

fn lock(table: &Table) -> std::sync::MutexGuard<'_, HashMap<String, Live>> {
    table.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The line of what changed since the previous export, for the finished job's card and
/// notification. A diff that fails leaves the line out: the export itself is fine.
async fn changes_line(library: export_engine::Library, dir: std::path::PathBuf) -> Option<String> {
    let compared = tokio::task::spawn_blocking(move || crate::changes::since_previous(&library, &dir)).await;
    match compared {
        Ok(Ok(changes)) => changes.map(|c| c.line),
        Ok(Err(error)) => {
            tracing::warn!("could not compare the export with the previous one: {}", error.message);
            None
        }
        Err(error) => {
            tracing::warn!("the comparison with the previous export stopped: {error}");
            None
        }
    }
}

/// Waits for a running slot for job `id`, shown as waiting meanwhile; `None` when the job is
/// cancelled before its turn comes.
async fn wait_for_slot(slots: &Slots, table: &Table, id: &str, cancel: &CancellationToken) -> Option<tokio::sync::OwnedSemaphorePermit> {
    let slot = tokio::select! {
        slot = slots.take() => slot,
        () = cancel.cancelled() => None,
    };
    set_waiting(table, id, false);
    slot
}

/// The running slots: as many permits as exports may work at once, a number the user can change
/// while exports run ([`Exports::set_at_once`]). Shrinking below the slots taken is owed: each
/// slot given back while something is owed is forgotten rather than handed on.
struct Slots {
    semaphore: Arc<tokio::sync::Semaphore>,
    /// (size, owed)
    state: Mutex<(usize, usize)>,
}

impl Slots {
    fn new(size: usize) -> Self {
        Slots { semaphore: Arc::new(tokio::sync::Semaphore::new(size)), state: Mutex::new((size, 0)) }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, (usize, usize)> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn size(&self) -> usize {
        self.state().0
    }

    fn try_take(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        Arc::clone(&self.semaphore).try_acquire_owned().ok()
    }

    async fn take(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        Arc::clone(&self.semaphore).acquire_owned().await.ok()
    }

    fn give_back(&self, slot: tokio::sync::OwnedSemaphorePermit) {
        let mut state = self.state();
        if state.1 > 0 {
            state.1 -= 1;
            slot.forget();
        }
    }

    fn resize(&self, size: usize) {
        let mut state = self.state();
        let (now, owed) = *state;
        if size > now {
            let paid = (size - now).min(owed);
            self.semaphore.add_permits(size - now - paid);
            *state = (size, owed - paid);
        } else if size < now {
            let fewer = now - size;
            let forgotten = self.semaphore.forget_permits(fewer);
            *state = (size, owed + fewer - forgotten);
        }
    }
}

fn set_waiting(table: &Table, id: &str, waiting: bool) {
    let mut table = lock(table);
    if let Some(live) = table.get_mut(id) {
        live.view.waiting = waiting;
        if let Some(watcher) = &live.watcher {
            watcher(live.view.clone());
        }
    }
}

fn not_running(id: &str) -> CommandError {
    CommandError::new(WorkspaceErrorCode::JobNotRunning, format!("Export {id} is not running in this app."))
}

/// Feeds the engine's progress into the job's live view and on to its watcher.
struct LiveSink {
    id: String,
    table: Table,
}

impl ProgressSink for LiveSink {
    fn emit(&self, progress: Progress) {
        let mut table = lock(&self.table);
        if let Some(live) = table.get_mut(&self.id) {
            live.view.apply(progress);
            if let Some(watcher) = &live.watcher {
                watcher(live.view.clone());
            }
        }
    }
}

#[cfg(test)]
mod slot_tests {
    use super::Slots;

    #[test]
    fn fewer_slots_take_effect_as_running_exports_end_and_more_at_once() {
        let slots = Slots::new(3);
        let mut taken: Vec<_> = (0..3).map(|_| slots.try_take().expect("three free")).collect();
        assert!(slots.try_take().is_none());

        // Down to one while three work: none is stopped, two ends are owed.
        slots.resize(1);
        slots.give_back(taken.pop().unwrap());
        assert!(slots.try_take().is_none(), "two at work, one allowed");
        slots.give_back(taken.pop().unwrap());
        assert!(slots.try_take().is_none(), "one at work, one allowed");
        slots.give_back(taken.pop().unwrap());
        let one = slots.try_take().expect("the one slot, handed on");
        assert!(slots.try_take().is_none());

        // Up to two: the second slot is there at once.
        slots.resize(2);
        let two = slots.try_take().expect("a second slot at once");
        assert!(slots.try_take().is_none());
        assert_eq!(slots.size(), 2);
        slots.give_back(one);
        slots.give_back(two);
        assert!(slots.try_take().is_some() && slots.try_take().is_some(), "both free again");
    }
}
