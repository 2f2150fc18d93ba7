//! The app killed while it extracts an export and started again: the export resumes by itself
//! and finishes, as the same job. (Its own file: journeys in one file would run at once, and the
//! app allows a single instance.)

use std::path::{Path, PathBuf};
use std::time::Duration;

use annolab_e2e::journey::{demo_instruments_tagged, run, start_demo_export, wait_for_download, wait_for_job};
use annolab_e2e::{App, Launch};

const TAG: &str = "Airframe Inventory";

/// The app killed (SIGKILL: no chance to save anything) while it extracts the archive beside the
/// download, then started again: the same job resumes by itself and finishes with every
/// instrument, and nothing of the killed run is left in the library's work folder.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_killed_during_extraction_resumes_when_the_app_starts_again() {
    let first = Launch::fresh("resume-killed").with_demo_faults("bandwidth=60k");
    let app = App::launch_with(first.clone()).await;
    let home = app.home().to_path_buf();
    let started = async {
        start_demo_export(&app, Some(TAG), true).await?;
        wait_for_download(&app, Duration::from_secs(60)).await?;
        let id = app.attr("[data-testid=job]", "data-job-id").await.ok_or_else(|| "the job has no id".to_owned())?;
        wait_for_extracted(&home, &id, 3, Duration::from_secs(60)).await?;
        Ok::<String, String>(id)
    }
    .await;
    if started.is_err() {
        app.screenshot("resume-killed-failure").await;
    }
    let killed = std::process::Command::new("pkill").arg("-KILL").arg("-f").arg(annolab_e2e::app_binary()).status().map(|s| s.success());
    app.close().await;
    let job_id = started.unwrap_or_else(|problem| panic!("{problem}"));
    assert!(matches!(killed, Ok(true)), "the app could not be killed: {killed:?}");

    run(first.again(), "resumed-after-kill", async |app: &App| {
        app.find(&format!("[data-testid=job][data-job-id='{job_id}']")).await?;
        wait_for_job(app, "done", Duration::from_secs(180)).await?;
        if app.count("[data-testid=job]").await != 1 {
            return Err("the resumed export shows up as more than one job".into());
        }
        app.click("[data-testid=nav-library]").await?;
        let shown = app.text("[data-testid=library-item] [data-testid=library-instruments]").await?;
        let expected = demo_instruments_tagged(TAG);
        if shown.replace([',', '.', ' ', '\u{a0}', '\u{202f}'], "") != expected.to_string() {
            return Err(format!("the library shows {shown} instruments; expected {expected}"));
        }
        if let Some(left) = work_folder(app.home(), &job_id) {
            return Err(format!("the finished job left {} behind", left.display()));
        }
        Ok(())
    })
    .await;
}

/// The job's work folder (`<library>/.work/<id>`) somewhere under the app's home, if it exists.
fn work_folder(home: &Path, id: &str) -> Option<PathBuf> {
    let mut folders = vec![home.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
            let path = entry.path();
            if !path.is_dir() {
                continue;
            }
            if path.file_name().is_some_and(|n| n == id) && path.parent().is_some_and(|p| p.ends_with(".work")) {
                return Some(path);
            }
            folders.push(path);
        }
    }
    None
}

/// Waits until the job's staging folder holds `pdfs` PDFs: extraction is under way.
async fn wait_for_extracted(home: &Path, id: &str, pdfs: usize, timeout: Duration) -> Result<(), String> {
    let deadline = std::time::Instant::now() + timeout;
    while std::time::Instant::now() < deadline {
        let written = work_folder(home, id).and_then(|w| std::fs::read_dir(w.join("staging").join("pdfs")).ok()).map_or(0, |d| d.count());
        if written >= pdfs {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Err(format!("fewer than {pdfs} PDFs extracted within {timeout:?}"))
}
