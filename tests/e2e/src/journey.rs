//! The steps the journeys share, in the words of the UI: start a demo export, wait for a job,
//! and what the demo project should yield.

use std::time::{Duration, Instant};

use annolab_sandbox::filter::InstrumentFilter;
use annolab_sandbox::project::Project;
use annolab_sandbox::{DEMO_INSTRUMENTS, SourceSet};

use crate::{App, Launch};

/// Runs `scenario` on a launched app, saves a screenshot named `name` (or `<name>-failure`),
/// closes the app, and fails the test with the scenario's problem.
pub async fn run(launch: Launch, name: &str, scenario: impl AsyncFnOnce(&App) -> Result<(), String>) {
    let app = App::launch_with(launch).await;
    let outcome = scenario(&app).await;
    let shot = app.screenshot(&if outcome.is_ok() { name.to_owned() } else { format!("{name}-failure") }).await;
    app.close().await;
    if let Err(problem) = outcome {
        panic!("{problem} (screenshot: {})", shot.display());
    }
}

/// How many demo instruments carry `tag` (the export a tag filter should bring).
pub fn demo_instruments_tagged(tag: &str) -> u64 {
    let project = Project::demo(SourceSet::Generated { instruments: DEMO_INSTRUMENTS });
    let filter = InstrumentFilter { include_types: vec![tag.to_owned()], ..InstrumentFilter::default() };
    project.instruments().filter(|(source, instrument)| filter.keeps(source, instrument)).count() as u64
}

/// Waits for the demo workspace, then starts an export of the demo project (filled in by the
/// app) keeping only instruments tagged `tag` (all when `None`), with or without PDFs.
pub async fn start_demo_export(app: &App, tag: Option<&str>, with_pdfs: bool) -> Result<(), String> {
    app.wait_for_text("[data-testid=sandbox-state]", "Running", Duration::from_secs(60)).await?;
    wait_for_value(app, "[data-testid=export-owner]", "Group Name owning project").await?;
    if let Some(tag) = tag {
        app.type_and_enter("[data-testid=export-include-tag]", tag).await?;
    }
    let files = app.find("[data-testid=export-files]").await?;
    let checked = files.prop("checked").await.map_err(|e| e.to_string())?.as_deref() == Some("true");
    if checked != with_pdfs {
        files.click().await.map_err(|e| e.to_string())?;
    }
    app.click("[data-testid=export-start]").await?;
    app.find("[data-testid=job]").await.map(drop)
}

/// Waits until the newest job's status is `status`, recording every phase it was seen in.
pub async fn wait_for_job(app: &App, status: &str, timeout: Duration) -> Result<Vec<String>, String> {
    let deadline = Instant::now() + timeout;
    let mut seen: Vec<String> = Vec::new();
    while Instant::now() < deadline {
        // Status before phase: a job that has ended shows the phase it ended on, so the last
        // phase recorded is never one read before the job moved on.
        let now = app.attr("[data-testid=job]", "data-status").await;
        if let Some(phase) = app.attr("[data-testid=job]", "data-phase").await
            && seen.last() != Some(&phase)
        {
            seen.push(phase);
        }
        if now.as_deref() == Some(status) {
            return Ok(seen);
        }
        if matches!(now.as_deref(), Some("failed")) && status != "failed" {
            let error = app.text("[data-testid=job-error]").await.unwrap_or_default();
            return Err(format!("the export failed: {error} (phases seen: {seen:?})"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!("the job is not {status} after {timeout:?} (phases seen: {seen:?})"))
}

/// Waits until the newest job is downloading and has at least `bytes` on disk, as its
/// progress line shows.
pub async fn wait_for_download(app: &App, timeout: Duration) -> Result<(), String> {
    app.wait_for_attr("[data-testid=job]", "data-phase", "downloading", timeout).await?;
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        let value: f64 = app.attr("[data-testid=job-progress]", "value").await.and_then(|v| v.parse().ok()).unwrap_or(0.0);
        if value > 0.0 {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("no bytes downloaded after {timeout:?}"))
}

/// Scrolls the newest job into view, for a screenshot that shows it.
pub async fn show_newest_job(app: &App) -> Result<(), String> {
    let job = app.find("[data-testid=job]").await?;
    let arg = serde_json::to_value(&job).map_err(|e| e.to_string())?;
    app.client().execute("arguments[0].scrollIntoView({block: 'center'})", vec![arg]).await.map(drop).map_err(|e| format!("cannot scroll to the job: {e}"))
}

/// The phases the newest job's steps mark as reached.
pub async fn reached_steps(app: &App) -> Vec<String> {
    let mut reached = Vec::new();
    for phase in ["requested", "processing", "downloading", "verifying", "extracting", "indexing", "ready"] {
        let css = format!("[data-testid=job] [data-step={phase}]");
        if app.attr(&css, "data-reached").await.as_deref() == Some("true") {
            reached.push(phase.to_owned());
        }
    }
    reached
}

async fn wait_for_value(app: &App, css: &str, value: &str) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut last = None;
    while Instant::now() < deadline {
        let element = app.find(css).await?;
        last = element.prop("value").await.ok().flatten();
        if last.as_deref() == Some(value) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("`{css}` holds {last:?}, expected {value:?}"))
}
