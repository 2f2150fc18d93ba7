//! What changed since the last export: the demo project is exported, moved on a simulated week
//! ("Simulate a week of new records"), exported again with "Export again"; the library card and
//! the finished job say what changed (as the engine's diff counts it), and the browser's
//! "Changes since" filter shows the new, changed and gone instruments, a changed one's fields
//! before and after.

use std::path::Path;
use std::time::Duration;

use annolab_e2e::journey::{run, start_demo_export, wait_for_job};
use annolab_e2e::{App, Launch};
use export_engine::Difference;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_simulated_week_shows_what_changed_on_the_card_and_in_the_browser() {
    run(Launch::fresh("changes"), "changes", async |app: &App| {
        start_demo_export(app, None, true).await?;
        wait_for_job(app, "done", Duration::from_secs(120)).await?;
        if app.count("[data-testid=job-changes]").await != 0 {
            return Err("the project's first export claims changes".into());
        }

        // A week of annotation on the demo project.
        app.wait_for_text("[data-testid=demo-week]", "as generated", Duration::from_secs(10)).await?;
        app.click("[data-testid=demo-next-week]").await?;
        app.wait_for_text("[data-testid=demo-week]", "week 1", Duration::from_secs(60)).await?;
        app.find("[data-testid=demo-week-moved]").await?;

        // Export again, from the library card: the same request.
        app.click("[data-testid=nav-library]").await?;
        app.find("[data-testid=library-item]").await?;
        let old = app.attr("[data-testid=library-item]", "data-dir").await.ok_or("no export in the library")?;
        app.click("[data-testid=library-export-again]").await?;
        app.wait_for_text("[data-testid=sandbox-state]", "Running", Duration::from_secs(60)).await?;
        app.click("[data-testid=export-start]").await?;
        tokio::time::sleep(Duration::from_millis(500)).await;
        wait_for_job(app, "done", Duration::from_secs(120)).await?;

        app.click("[data-testid=nav-library]").await?;
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while app.count("[data-testid=library-item]").await < 2 {
            if std::time::Instant::now() > deadline {
                return Err("the second export is not in the library".into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let new = app.attr("[data-testid=library-item]", "data-dir").await.ok_or("no newest export")?;
        if new == old {
            return Err("the newest export is listed first".into());
        }

        // What the engine's diff says of the two.
        let report = export_engine::diff(Path::new(&old), Path::new(&new)).map_err(|e| e.to_string())?;
        let summary = &report.summary;
        if !summary.same_request {
            return Err("Export again did not keep the request".into());
        }
        if summary.added == 0 || summary.removed == 0 || summary.changed == 0 {
            return Err(format!("a simulated week should add, remove and change instruments: {summary:?}"));
        }
        let line = summary.line();

        // The card of the newer export says it, and the finished job's card said it too.
        app.wait_for_text("[data-testid=library-item] [data-testid=library-changes]", &line, Duration::from_secs(30)).await?;
        app.screenshot("library-changes").await;
        app.click("[data-testid=nav-export]").await?;
        app.wait_for_text("[data-testid=job] [data-testid=job-changes]", &line, Duration::from_secs(10)).await?;

        // The line opens the browser on what is new and changed.
        app.click("[data-testid=nav-library]").await?;
        app.click("[data-testid=library-item] [data-testid=library-changes]").await?;
        app.find("[data-testid=changes-bar]").await?;
        expect_count(app, summary.added + summary.changed).await?;

        // Changed only: a changed instrument's cells are marked and its details hold before/after.
        app.click("[data-testid=changes-changed]").await?;
        expect_count(app, summary.changed).await?;
        let changed = report
            .differences
            .iter()
            .find_map(|d| match d {
                Difference::Changed(c) if !c.fields.is_empty() => Some(c.clone()),
                _ => None,
            })
            .ok_or("no changed instrument with changed fields")?;
        let row = format!("[data-testid=instrument-row][data-id=\"{}\"]", changed.id);
        app.find(&row).await?;
        let fields = changed.fields.iter().map(|f| f.field.as_str()).collect::<Vec<_>>().join(",");
        app.wait_for_attr(&row, "data-changed-fields", &fields, Duration::from_secs(10)).await?;
        app.click(&row).await?;
        app.wait_for_attr("[data-testid=details-pane]", "data-id", &changed.id.to_string(), Duration::from_secs(10)).await?;
        app.find("[data-testid=details-changes]").await?;
        let first = &changed.fields[0];
        let cell = format!("[data-testid=details-change][data-field={}]", first.field.as_str());
        let or_dash = |text: String| if text.is_empty() { "—".to_owned() } else { text };
        app.wait_for_text(&format!("{cell} [data-testid=change-before]"), &or_dash(first.field.text(&first.before)), Duration::from_secs(5)).await?;
        app.wait_for_text(&format!("{cell} [data-testid=change-after]"), &or_dash(first.field.text(&first.after)), Duration::from_secs(5)).await?;
        app.screenshot("browser-changes").await;

        // Gone: the older export's instruments, with their details and PDFs.
        app.click("[data-testid=changes-gone]").await?;
        expect_count(app, summary.removed).await?;
        app.wait_for_attr("[data-testid=instrument-row]", "data-change", "gone", Duration::from_secs(10)).await?;
        app.click("[data-testid=instrument-row]").await?;
        app.find("[data-testid=details-gone]").await?;
        app.find("[data-testid=view-pdf]").await?;

        // The CSV of that selection: one row per gone instrument.
        app.click("[data-testid=csv-export]").await?;
        app.find("[data-testid=saved-file]").await?;
        let csv = app.attr("[data-testid=saved-file]", "data-path").await.ok_or("no saved CSV")?;
        let text = std::fs::read_to_string(&csv).map_err(|e| format!("{csv}: {e}"))?;
        let rows = text.lines().skip(1).filter(|l| !l.is_empty()).count() as u64;
        if rows != summary.removed {
            return Err(format!("{csv} holds {rows} rows, expected the {} gone instruments", summary.removed));
        }

        // All instruments again.
        app.click("[data-testid=changes-all]").await?;
        expect_count(app, summary.new.instruments).await
    })
    .await;
}

async fn expect_count(app: &App, expected: u64) -> Result<(), String> {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let mut shown = String::new();
    while std::time::Instant::now() < deadline {
        shown = app.text("[data-testid=instrument-count]").await?;
        if shown.replace([',', '.', ' ', '\u{a0}', '\u{202f}'], "").trim_end_matches("instruments") == expected.to_string() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("the table shows {shown:?}, expected {expected} instruments"))
}
