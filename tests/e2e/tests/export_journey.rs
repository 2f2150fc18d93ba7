//! A new user's first export: the demo workspace is selected on first launch, an export with a
//! tag filter goes through every phase, and the library shows it with the right count.

use std::time::Duration;

use annolab_e2e::journey::{demo_instruments_tagged, reached_steps, run, show_newest_job, start_demo_export, wait_for_job};
use annolab_e2e::{App, Launch};

const TAG: &str = "Engine Inventory";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_export_with_a_tag_filter_reaches_the_library() {
    run(Launch::fresh("export-journey"), "library", async |app: &App| {
        let select = app.find("[data-testid=profile-select]").await?;
        let selected = select.prop("value").await.map_err(|e| e.to_string())?;
        app.find("[data-testid=demo-badge]").await?;
        app.wait_for_text("[data-testid=sandbox-state]", "Running", Duration::from_secs(60)).await?;
        // The smallest window the app allows, as on a small laptop screen.
        app.client().set_window_size(1024, 700).await.map_err(|e| format!("cannot resize the window: {e}"))?;
        // Let the window settle at its new size and WebKit repaint before the screenshot.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        app.screenshot("export-form").await;

        start_demo_export(app, Some(TAG), true).await?;
        let phases = wait_for_job(app, "done", Duration::from_secs(120)).await?;
        show_newest_job(app).await?;
        app.screenshot("export-done").await;
        let reached = reached_steps(app).await;
        let all = ["requested", "processing", "downloading", "verifying", "extracting", "indexing", "ready"];
        if reached != all {
            return Err(format!("the job's steps show {reached:?} reached (phases seen live: {phases:?}); expected all of {all:?}"));
        }
        if !phases.iter().any(|p| p == "processing") || phases.last().map(String::as_str) != Some("ready") {
            return Err(format!("phases seen live: {phases:?}"));
        }

        app.click("[data-testid=nav-library]").await?;
        app.find("[data-testid=library-item]").await?;
        let expected = demo_instruments_tagged(TAG);
        let shown = app.text("[data-testid=library-item] [data-testid=library-instruments]").await?;
        if shown.replace([',', '.', ' ', '\u{a0}', '\u{202f}'], "") != expected.to_string() {
            return Err(format!("the library shows {shown} instruments; the demo has {expected} tagged {TAG:?}"));
        }
        let dir = app.attr("[data-testid=library-item]", "data-dir").await.ok_or("the library item names no folder")?;
        let pdfs = std::fs::read_dir(std::path::Path::new(&dir).join("pdfs")).map_err(|e| format!("{dir}/pdfs: {e}"))?.count();
        if pdfs as u64 != expected {
            return Err(format!("{dir}/pdfs holds {pdfs} PDFs, expected {expected}"));
        }
        if !dir.starts_with(&app.home().display().to_string()) {
            return Err(format!("the export is outside the app's data folder: {dir}"));
        }

        app.click("[data-testid=nav-profiles]").await?;
        app.find("[data-testid=profile-demo]").await?;
        app.screenshot("profiles").await;
        app.click("[data-testid=nav-library]").await?;
        app.find("[data-testid=library-item]").await?;
        if selected.as_deref() != Some("demo") {
            return Err(format!("on first launch the selected profile is {selected:?}, not the demo"));
        }
        Ok(())
    })
    .await;
}
