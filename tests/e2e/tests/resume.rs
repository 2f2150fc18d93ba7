//! Quitting during a download and opening the app again: the export resumes by itself and
//! finishes, as the same job. (Killed instead of quitting: `killed.rs`.)

use std::time::Duration;

use annolab_e2e::journey::{demo_instruments_tagged, run, start_demo_export, wait_for_download, wait_for_job};
use annolab_e2e::{App, Launch};

const TAG: &str = "Airframe Inventory";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_interrupted_by_quitting_resumes_on_the_next_launch() {
    let first = Launch::fresh("resume").with_demo_faults("bandwidth=60k");
    let app = App::launch_with(first.clone()).await;
    let started = async {
        start_demo_export(&app, Some(TAG), true).await?;
        wait_for_download(&app, Duration::from_secs(60)).await?;
        app.attr("[data-testid=job]", "data-job-id").await.ok_or_else(|| "the job has no id".to_owned())
    }
    .await;
    if started.is_err() {
        app.screenshot("resume-failure").await;
    }
    app.close().await;
    let job_id = started.unwrap_or_else(|problem| panic!("{problem}"));

    run(first.again(), "resumed", async |app: &App| {
        app.find(&format!("[data-testid=job][data-job-id='{job_id}']")).await?;
        wait_for_job(app, "done", Duration::from_secs(120)).await?;
        if app.count("[data-testid=job]").await != 1 {
            return Err("the resumed export shows up as more than one job".into());
        }
        app.click("[data-testid=nav-library]").await?;
        let shown = app.text("[data-testid=library-item] [data-testid=library-instruments]").await?;
        let expected = demo_instruments_tagged(TAG);
        if shown.replace([',', '.', ' ', '\u{a0}', '\u{202f}'], "") != expected.to_string() {
            return Err(format!("the library shows {shown} instruments; expected {expected}"));
        }
        Ok(())
    })
    .await;
}
