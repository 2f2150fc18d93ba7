//! Browsing a finished demo export: filter and search with known counts, group by an attribute,
//! open a serial number's timeline and build, view and find its title package, read an
//! instrument's PDF on a canvas (and a damaged one, which the viewer reports), save the table as
//! CSV and merge three PDFs.

use std::path::Path;
use std::time::Duration;

use annolab_e2e::journey::{run, start_demo_export, wait_for_job};
use annolab_e2e::{App, Launch};
use annolab_sandbox::project::Project;
use annolab_sandbox::{DEMO_INSTRUMENTS, SourceSet};
use export_engine::browse::{Browser, Query};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_export_is_browsed_searched_grouped_read_and_merged() {
    // A home (so a library, logs and WebKit's folders) whose path holds a space, `#`,
    // parentheses and non-ASCII letters: the viewer, merge and drag-out still find every file.
    run(Launch::fresh("browse #2 (Überprüfung) – 東京"), "browser", async |app: &App| {
        start_demo_export(app, None, true).await?;
        wait_for_job(app, "done", Duration::from_secs(120)).await?;
        app.click("[data-testid=nav-library]").await?;
        app.find("[data-testid=library-item]").await?;
        let dir = app.attr("[data-testid=library-item]", "data-dir").await.ok_or("no export in the library")?;
        app.click("[data-testid=library-browse]").await?;
        app.find("[data-testid=instrument-row]").await?;
        expect_count(app, DEMO_INSTRUMENTS).await?;

        // A type filter: the count the sandbox's own project gives.
        let project = Project::demo(SourceSet::Generated { instruments: DEMO_INSTRUMENTS });
        let leases = project.instruments().filter(|(_, i)| i.type_name == "Lease").count() as u64;
        app.choose("[data-testid=instrument-filter-type]", "Lease").await?;
        expect_count(app, leases).await?;
        app.choose("[data-testid=instrument-filter-type]", "").await?;

        // A source, typed whole into the source field (keystroke by keystroke, as a person
        // types; each one asks the engine for suggestions).
        let source = all_sources(&project).into_iter().max_by_key(|(_, n)| *n).ok_or("no source in the demo")?;
        app.fill("[data-testid=instrument-filter-source]", &source.0).await?;
        expect_count(app, source.1).await?;
        app.fill("[data-testid=instrument-filter-source]", "").await?;
        expect_count(app, DEMO_INSTRUMENTS).await?;

        // A search: what the engine answers for the same words.
        let browser = Browser::open(Path::new(&dir)).map_err(|e| e.to_string())?;
        let searched = browser.count(&Query { search: "airframe".into(), ..Query::default() }).map_err(|e| e.to_string())?;
        app.fill("[data-testid=instrument-search]", "airframe").await?;
        expect_count(app, searched).await?;
        if app.count("[data-testid=instrument-row] mark").await == 0 {
            return Err("no match is highlighted".into());
        }
        app.fill("[data-testid=instrument-search]", "").await?;
        expect_count(app, DEMO_INSTRUMENTS).await?;

        // Grouped by serial number: a group opens to exactly its instruments.
        app.choose("[data-testid=group-by]", "attr:Serial Number").await?;
        app.find("[data-testid=group]").await?;
        let group_count: u64 = app.attr("[data-testid=group]", "data-count").await.and_then(|c| c.parse().ok()).ok_or("a group without a count")?;
        app.screenshot("browser-groups").await;
        app.click("[data-testid=group]").await?;
        expect_count(app, group_count).await?;

        // That aircraft's chain of title: its timeline, and its title package built, viewed
        // and found in the export's saved/ folder.
        app.click("[data-testid=open-timeline]").await?;
        app.wait_for_attr("[data-testid=timeline]", "data-count", &group_count.to_string(), Duration::from_secs(20)).await?;
        app.wait_for_attr("[data-testid=timeline]", "data-order-by", "Recording Date", Duration::from_secs(5)).await?;
        app.screenshot("timeline").await;
        app.click("[data-testid=build-package]").await?;
        app.find("[data-testid=package-saved]").await?;
        let package = app.attr("[data-testid=package-saved]", "data-path").await.ok_or("no package path")?;
        let pages: usize = app.attr("[data-testid=package-saved]", "data-pages").await.and_then(|p| p.parse().ok()).ok_or("no page count")?;
        check_package(Path::new(&dir), Path::new(&package), pages, group_count as usize)?;
        app.click("[data-testid=view-package]").await?;
        app.wait_for_attr("[data-testid=pdf-viewer]", "data-path", &package, Duration::from_secs(10)).await?;
        app.find("[data-testid=pdf-canvas]").await?;
        wait_until_painted(app).await?;
        app.screenshot("title-package").await;
        app.click("[data-testid=pdf-close]").await?;
        app.click("[data-testid=timeline-close]").await?;
        app.find("[data-testid=instrument-row]").await?;
        app.choose("[data-testid=group-by]", "").await?;
        expect_count(app, DEMO_INSTRUMENTS).await?;

        // Details and the PDF, drawn on a canvas.
        app.click("[data-testid=instrument-row]").await?;
        app.find("[data-testid=details-pane]").await?;
        app.click("[data-testid=view-pdf]").await?;
        app.find("[data-testid=pdf-canvas]").await?;
        wait_until_painted(app).await?;
        app.screenshot("viewer").await;
        app.click("[data-testid=pdf-close]").await?;

        // A damaged PDF: the viewer says so, and the browser goes on working.
        let rows = app.client().find_all(fantoccini_css("[data-testid=instrument-row]")).await.map_err(|e| e.to_string())?;
        // The fourth row: the merge below takes the first three.
        let damaged = rows.get(3).ok_or("fewer than four rows")?;
        let id: u64 = damaged.attr("data-id").await.ok().flatten().and_then(|id| id.parse().ok()).ok_or("a row without an id")?;
        let pdf = browser.pdf_paths(&[id]).map_err(|e| e.to_string())?.remove(0);
        std::fs::write(&pdf, b"%PDF-1.7\nthis file was cut short by a bad disk").map_err(|e| format!("{}: {e}", pdf.display()))?;
        damaged.click().await.map_err(|e| e.to_string())?;
        app.wait_for_attr("[data-testid=details-pane]", "data-id", &id.to_string(), Duration::from_secs(10)).await?;
        app.click("[data-testid=view-pdf]").await?;
        app.wait_for_text_containing("[data-testid=pdf-error]", "cannot be shown", Duration::from_secs(20)).await?;
        // The message is in the page; under Xvfb WebKit may paint it a moment later.
        tokio::time::sleep(Duration::from_millis(1000)).await;
        app.screenshot("viewer-damaged-pdf").await;
        app.click("[data-testid=pdf-close]").await?;
        app.choose("[data-testid=instrument-filter-type]", "Lease").await?;
        expect_count(app, leases).await?;
        app.choose("[data-testid=instrument-filter-type]", "").await?;
        expect_count(app, DEMO_INSTRUMENTS).await?;

        // The table as CSV: one line per instrument plus the header.
        app.click("[data-testid=csv-export]").await?;
        app.find("[data-testid=saved-file]").await?;
        let csv = app.attr("[data-testid=saved-file]", "data-path").await.ok_or("no saved CSV")?;
        let text = std::fs::read_to_string(&csv).map_err(|e| format!("{csv}: {e}"))?;
        if csv_rows(&text) != DEMO_INSTRUMENTS as usize {
            return Err(format!("{csv} holds {} instrument rows, expected {DEMO_INSTRUMENTS}", csv_rows(&text)));
        }

        // Three instruments merged into one PDF, in order.
        let mut ids = Vec::new();
        for row in app.client().find_all(fantoccini_css("[data-testid=instrument-row]")).await.map_err(|e| e.to_string())?.into_iter().take(3) {
            ids.push(row.attr("data-id").await.ok().flatten().and_then(|id| id.parse::<u64>().ok()).ok_or("a row without an id")?);
            row.find(fantoccini_css("input[type=checkbox]")).await.map_err(|e| e.to_string())?.click().await.map_err(|e| e.to_string())?;
        }
        let expected_pages: u64 = ids
            .iter()
            .map(|id| browser.details(*id).map(|d| d.row.end_page.unwrap_or(0) - d.row.start_page.unwrap_or(0) + 1))
            .sum::<Result<u64, _>>()
            .map_err(|e| e.to_string())?;
        app.click("[data-testid=merge-pdf]").await?;
        app.wait_for_text_containing("[data-testid=saved-file]", "Merged PDF", Duration::from_secs(30)).await?;
        let pages = app.attr("[data-testid=saved-file]", "data-count").await;
        let merged = app.attr("[data-testid=saved-file]", "data-path").await.ok_or("no merged PDF")?;
        if pages.as_deref() != Some(expected_pages.to_string().as_str()) {
            return Err(format!("the merged PDF has {pages:?} pages, expected {expected_pages}"));
        }
        let head = std::fs::read(&merged).map_err(|e| format!("{merged}: {e}"))?;
        if !head.starts_with(b"%PDF-") {
            return Err(format!("{merged} is not a PDF"));
        }
        Ok(())
    })
    .await;
}

/// Each source of the project and how many instruments it holds.
fn all_sources(project: &Project) -> std::collections::BTreeMap<String, u64> {
    let mut sources = std::collections::BTreeMap::new();
    for (_, instrument) in project.instruments() {
        *sources.entry(instrument.source_name.clone()).or_default() += 1;
    }
    sources
}

fn fantoccini_css(css: &str) -> annolab_e2e::fantoccini::Locator<'_> {
    annolab_e2e::fantoccini::Locator::Css(css)
}

/// Data lines of a CSV text (quoted fields in this export never hold line breaks).
fn csv_rows(text: &str) -> usize {
    text.lines().skip(1).filter(|l| !l.is_empty()).count()
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

/// Waits until the first page's canvas has pixels that are not white.
/// The title package as the app saved it: in the export's `saved/` folder, the pages the app
/// reported, and one bookmark per instrument of the group, each titled with its `#id`.
fn check_package(export: &Path, package: &Path, pages: usize, instruments: usize) -> Result<(), String> {
    let saved = export.join(export_engine::browse::SAVED);
    let parent = package.parent().ok_or("a package without a folder")?;
    if std::fs::canonicalize(parent).ok() != std::fs::canonicalize(&saved).ok() {
        return Err(format!("{} is not in {}", package.display(), saved.display()));
    }
    let read = lopdf::Document::load(package).map_err(|e| format!("{}: {e}", package.display()))?;
    if read.get_pages().len() != pages {
        return Err(format!("{} has {} pages, the app said {pages}", package.display(), read.get_pages().len()));
    }
    let outline = read.get_toc().map_err(|e| format!("{}: no outline: {e}", package.display()))?;
    let bookmarks = outline.toc.iter().filter(|entry| entry.title.contains('#')).count();
    if bookmarks != instruments {
        return Err(format!("{} has {bookmarks} instrument bookmarks, the group has {instruments} instruments", package.display()));
    }
    Ok(())
}

async fn wait_until_painted(app: &App) -> Result<(), String> {
    let script = "const c = arguments[0]; if (!c.width || !c.height) return false; \
                  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; \
                  for (let i = 0; i < d.length; i += 4) { if (d[i] < 200 || d[i+1] < 200 || d[i+2] < 200) return true; } return false;";
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while std::time::Instant::now() < deadline {
        if app.eval_on("[data-testid=pdf-canvas]", script).await? == serde_json::Value::Bool(true) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err("the PDF's first page was not drawn on its canvas within 20 s".into())
}
