//! Benchmark, not a test: how the real app's browser feels on a large export. It starts the app
//! with a demo project of N instruments (`ANNOLAB_DEMO_INSTRUMENTS`), exports it without PDFs,
//! then times in the window: opening the export until rows show, each search keystroke until
//! the first rows are redrawn and the count shows the answer, each filter until the table's
//! count shows the new answer, each sort (attribute columns included) until the first row is
//! the new first, each grouping (with and without a filter) until the largest group shows, each
//! jump with the scrollbar until the rows there show, and the frames while scrolling.
//! Prints figures; asserts nothing. Needs what the e2e tests need (`make test` has built the
//! app and installed tauri-driver); run it under Xvfb and a D-Bus session:
//!
//!   bench/browse-e2e.sh 100000

use std::path::Path;
use std::time::{Duration, Instant};

use annolab_e2e::journey::{start_demo_export, wait_for_job};
use annolab_e2e::{App, Launch};
use export_engine::browse::{Browser, GroupBy, Query, Sort, SortBy};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let instruments: u64 = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(100_000);
    let mut launch = Launch::fresh("browse-timing");
    launch.env.push(("ANNOLAB_DEMO_INSTRUMENTS".into(), instruments.to_string()));
    let app = App::launch_with(launch).await;
    let outcome = measure(&app, instruments).await;
    app.screenshot("browse-timing").await;
    app.close().await;
    if let Err(problem) = outcome {
        eprintln!("browse timing failed: {problem}");
        std::process::exit(1);
    }
}

async fn measure(app: &App, instruments: u64) -> Result<(), String> {
    let started = Instant::now();
    start_demo_export(app, None, false).await?;
    wait_for_job(app, "done", Duration::from_secs(3600)).await?;
    println!("export of {instruments} instruments (no PDFs) in the app: {:.0} s", started.elapsed().as_secs_f64());

    app.click("[data-testid=nav-library]").await?;
    app.find("[data-testid=library-item]").await?;
    let dir = app.attr("[data-testid=library-item]", "data-dir").await.ok_or("no export in the library")?;
    let browser = Browser::open(Path::new(&dir)).map_err(|e| e.to_string())?;

    let ms = in_page(app, "[data-testid=library-browse]", "", "document.querySelector('[data-testid=instrument-row]') !== null").await?;
    let parts = app
        .client()
        .execute(
            "const last = (n) => Math.round(performance.getEntriesByName(n).at(-1)?.duration ?? NaN); \
             return [last('browse open'), last('table 0: query'), last('table 0: redraw')];",
            vec![],
        )
        .await
        .map_err(|e| e.to_string())?;
    let part = |k: usize| parts[k].as_i64().map_or_else(|| "?".to_owned(), |v| v.to_string());
    println!(
        "open the export until rows show (click to rows, in the page): {ms:.1} ms = browse_open {} + first rows {} + redraw {} + paint",
        part(0),
        part(1),
        part(2)
    );

    // `BROWSE_WORDS="n1 s"` types other words (in that order; the last search is cleared).
    let chosen = std::env::var("BROWSE_WORDS").ok();
    let mut words: Vec<&str> = match &chosen {
        Some(list) => list.split_whitespace().collect(),
        // Prefixes of words in the demo, then a second and third pass in other orders, and two
        // words typed on past the 4 letters the prefix index holds ("airfr" after "airf" matches
        // the same rows: the keystroke is timed all the same).
        None => "s se ser l le lea leas air airf airfr airfra airfram airframe cess n1 n12 piper lycoming s l le air cess n1 n12 \
                 piper lyc lyco lycom lycomi lycomin lycoming s le airf cess n12 piper"
            .split_whitespace()
            .collect(),
    };
    words.push("");
    let mut times = Vec::new();
    let mut shown = "";
    for word in words {
        if word == shown {
            continue; // Nothing typed, so nothing to wait for.
        }
        let expected = browser.count(&Query { search: word.into(), ..Query::default() }).map_err(|e| e.to_string())?;
        // Typed first: the browser keeps its last few answers, so a command sent before with
        // the same query would answer the keystroke from memory and flatter it.
        let ms = typed(app, word, expected).await?;
        shown = word;
        // Where the keystroke's time went, from the app's own User Timing entries.
        let parts = app
            .client()
            .execute(
                "const last = (n) => performance.getEntriesByName(n).at(-1); \
             const sent = last('search sent')?.startTime ?? NaN, query = last('table 0: query'), redraw = last('table 0: redraw'); \
             return [query.startTime - sent, query.duration, redraw.duration].map((v) => Math.round(v));",
                vec![],
            )
            .await
            .map_err(|e| e.to_string())?;
        println!("search {word:<10} -> {expected:>8} rows: {ms:>6.1} ms = to the query {} + query {} + redraw {} + paint", parts[0], parts[1], parts[2]);
        times.push(ms);
    }
    times.sort_by(f64::total_cmp);
    let p95 = times[((times.len() as f64 - 1.0) * 0.95).round() as usize];
    let median = times[times.len() / 2];
    println!("{} search keystrokes: median {median:.1} ms, p95 {p95:.1} ms (keystroke to the redrawn rows and count, in the page)", times.len());
    let mut all = times.clone();
    all.extend(filtered(app, &browser, instruments).await?);
    all.extend(sorted(app, &browser).await?);
    all.extend(grouped(app, &browser).await?);
    all.extend(jumped(app).await?);
    all.sort_by(f64::total_cmp);
    println!(
        "all {} interactions in the window: median {:.1} ms, p95 {:.1} ms, slowest {:.1} ms",
        all.len(),
        all[all.len() / 2],
        all[((all.len() as f64 - 1.0) * 0.95).round() as usize],
        all[all.len() - 1]
    );
    scrolled(app).await
}

/// Percentiles of one kind of interaction, printed.
fn summary(what: &str, times: &[f64]) {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    let at = |q: f64| sorted[((sorted.len() as f64 - 1.0) * q).round() as usize];
    println!("{} {what}: median {:.1} ms, p95 {:.1} ms", sorted.len(), at(0.5), at(0.95));
}

/// The first row's id, as the table shows it when scrolled to the top.
fn first_row_is(id: u64) -> String {
    format!("document.querySelector('[data-testid=instrument-row][data-index=\"0\"]')?.dataset.id === '{id}'")
}

/// Adds the Serial Number column, then sorts by each column ascending and descending, timed
/// from the click on the header until the first row is the new first row.
async fn sorted(app: &App, browser: &Browser) -> Result<Vec<f64>, String> {
    const SERIAL: &str = "Serial Number";
    in_page(app, "[data-testid=add-column]", SERIAL, "document.querySelector('[data-testid=\"sort-attr:Serial Number\"]') !== null").await?;
    let columns = [
        ("type", SortBy::Type),
        ("source", SortBy::Source),
        ("pages", SortBy::Pages),
        ("tags", SortBy::TagTypes),
        ("reviewed", SortBy::ReviewedAt),
        ("problems", SortBy::Problems),
        ("attr:Serial Number", SortBy::Attribute { name: SERIAL.into() }),
        ("id", SortBy::Id),
    ];
    let mut times = Vec::new();
    let mut first = browser.page(&Query::default(), 0, 1).map_err(|e| e.to_string())?.rows[0].id;
    for (key, by) in columns {
        // A click on another column's header sorts by it ascending; a second click, descending.
        for descending in [false, true] {
            let query = Query { sort: Sort { by: by.clone(), descending }, columns: vec![SERIAL.into()], ..Query::default() };
            let expected = browser.page(&query, 0, 1).map_err(|e| e.to_string())?.rows[0].id;
            let css = format!("[data-testid=\"sort-{key}\"]");
            if expected == first {
                // The first row stays, so nothing shows the answer has come: the click still
                // happens (the next one depends on it), untimed.
                in_page(app, &css, "", "true").await?;
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
            let ms = in_page(app, &css, "", &first_row_is(expected)).await?;
            println!("sort by {key:<20} {:<10} first row {expected:>8}: {ms:>6.1} ms", if descending { "descending" } else { "ascending" });
            times.push(ms);
            first = expected;
        }
    }
    summary("sorts (click to the new first row, in the page)", &times);
    Ok(times)
}

/// Groups by attributes and by source, without a filter and under a type filter, timed from
/// the choice until the largest group shows.
async fn grouped(app: &App, browser: &Browser) -> Result<Vec<f64>, String> {
    let mut times = Vec::new();
    let total = browser.count(&Query::default()).map_err(|e| e.to_string())?;
    let done_count = |n: u64| format!("document.querySelector('[data-testid=instrument-count]').textContent.replace(/[^0-9]/g, '') === '{n}'");
    for (filter, query) in [("", Query::default()), ("Lease", Query { types: vec!["Lease".into()], ..Query::default() })] {
        if !filter.is_empty() {
            in_page(app, "[data-testid=instrument-filter-type]", filter, &done_count(browser.count(&query).map_err(|e| e.to_string())?)).await?;
        }
        for (value, by) in [
            ("attr:Serial Number", GroupBy::Attribute { name: "Serial Number".into() }),
            ("attr:Make", GroupBy::Attribute { name: "Make".into() }),
            ("source", GroupBy::Source),
        ] {
            let largest = browser.groups(&query, &by, 1).map_err(|e| e.to_string())?;
            let Some(group) = largest.groups.first() else { continue };
            let done = format!(
                "(() => {{ const g = document.querySelector('[data-testid=group]'); return g !== null && g.dataset.value === {} && g.dataset.count === '{}'; }})()",
                serde_json::json!(group.value.clone().unwrap_or_default()),
                group.count
            );
            let ms = in_page(app, "[data-testid=group-by]", value, &done).await?;
            println!("group by {value:<20} {:<12} {:>8} groups: {ms:>6.1} ms", if filter.is_empty() { "(all)" } else { filter }, largest.total);
            times.push(ms);
            in_page(app, "[data-testid=group-by]", "", "document.querySelector('[data-testid=groups]') === null").await?;
        }
        if !filter.is_empty() {
            in_page(app, "[data-testid=instrument-filter-type]", "", &done_count(total)).await?;
        }
    }
    summary("groupings (choice to the largest group, in the page)", &times);
    Ok(times)
}

/// Drags the scrollbar to places in the table (a jump, not a scroll), timed until the rows
/// there are all shown.
async fn jumped(app: &App) -> Result<Vec<f64>, String> {
    let script = r#"
        const [fraction, finish] = arguments;
        const body = document.querySelector('[data-testid=instrument-table]');
        const t0 = performance.now();
        body.scrollTop = fraction * (body.scrollHeight - body.clientHeight);
        // Past the web view's height limit the grid stretches the scrollbar over the rows.
        const total = Number(document.querySelector('[data-testid=instrument-count]').textContent.replace(/[^0-9]/g, ''));
        const stretch = total * 36 > body.scrollHeight ? (total * 36 - body.clientHeight) / (body.scrollHeight - body.clientHeight) : 1;
        const wanted = fraction === 1 ? total - 1 : Math.floor(body.scrollTop * stretch / 36);
        const shown = () => !document.querySelector('[data-testid=instrument-table] .placeholder')
          && [...document.querySelectorAll('[data-testid=instrument-row]')].some((r) => Math.abs(Number(r.dataset.index) - wanted) < 40);
        const tick = () => {
          if (shown()) return finish(performance.now() - t0);
          if (performance.now() - t0 > 20000) return finish(-1);
          requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
    "#;
    let mut times = Vec::new();
    for fraction in [0.5, 0.1, 0.9, 0.999, 0.3, 0.7, 1.0, 0.0] {
        let ms = app.client().execute_async(script, vec![serde_json::json!(fraction)]).await.map_err(|e| e.to_string())?;
        let ms = ms.as_f64().filter(|ms| *ms >= 0.0).ok_or_else(|| format!("the rows at {fraction} never showed"))?;
        println!("jump to {:>5.1}% of the table: {ms:>6.1} ms", fraction * 100.0);
        times.push(ms);
    }
    summary("jumps (scrollbar to the rows shown, in the page)", &times);
    Ok(times)
}

/// Chooses each filter and takes it back, timed like a keystroke (choice to updated count).
async fn filtered(app: &App, browser: &Browser, instruments: u64) -> Result<Vec<f64>, String> {
    let filters = [
        ("instrument-filter-type", "Lease", Query { types: vec!["Lease".into()], ..Query::default() }),
        ("instrument-filter-tag", "Engine Inventory", Query { tag_types: vec!["Engine Inventory".into()], ..Query::default() }),
        ("instrument-filter-tag", "Airframe Inventory", Query { tag_types: vec!["Airframe Inventory".into()], ..Query::default() }),
        ("instrument-filter-reviewed", "yes", Query { reviewed: Some(true), ..Query::default() }),
        ("instrument-filter-reviewed", "no", Query { reviewed: Some(false), ..Query::default() }),
    ];
    let mut times = Vec::new();
    for (testid, value, query) in filters {
        let expected = browser.count(&query).map_err(|e| e.to_string())?;
        if expected == instruments {
            continue;
        }
        let css = format!("[data-testid={testid}]");
        let done = |n: u64| format!("document.querySelector('[data-testid=instrument-count]').textContent.replace(/[^0-9]/g, '') === '{n}'");
        let chosen = in_page(app, &css, value, &done(expected)).await?;
        let back = in_page(app, &css, "", &done(instruments)).await?;
        println!("filter {testid} = {value:<18} -> {expected:>8} rows: {chosen:>6.1} ms, and back to all: {back:.1} ms");
        times.extend([chosen, back]);
    }
    // Combined: each choice narrows what the ones before kept, then each is taken back.
    let lease = Query { types: vec!["Lease".into()], ..Query::default() };
    let engine = Query { tag_types: vec!["Engine Inventory".into()], ..lease.clone() };
    let reviewed = Query { reviewed: Some(true), ..engine.clone() };
    let steps = [
        ("instrument-filter-type", "Lease", &lease),
        ("instrument-filter-tag", "Engine Inventory", &engine),
        ("instrument-filter-reviewed", "yes", &reviewed),
        ("instrument-filter-reviewed", "", &engine),
        ("instrument-filter-tag", "", &lease),
        ("instrument-filter-type", "", &Query::default()),
    ];
    for (testid, value, query) in steps {
        let expected = browser.count(query).map_err(|e| e.to_string())?;
        let done = format!("document.querySelector('[data-testid=instrument-count]').textContent.replace(/[^0-9]/g, '') === '{expected}'");
        let ms = in_page(app, &format!("[data-testid={testid}]"), value, &done).await?;
        println!("combined: {testid} = {value:<18} -> {expected:>8} rows: {ms:>6.1} ms");
        times.push(ms);
    }
    summary("filter changes, alone and combined (choice to updated count, in the page)", &times);
    Ok(times)
}

/// Scrolls the table by 120 rows a frame for 120 frames, as a fast drag of the scroll bar
/// does, and prints the time between frames, how many frames showed rows not yet loaded, and
/// how long after stopping the rows on screen were all there.
async fn scrolled(app: &App) -> Result<(), String> {
    let script = r#"
        const finish = arguments[0];
        const body = document.querySelector('[data-testid=instrument-table]');
        const frames = [];
        let blank = 0, last = performance.now();
        const step = () => {
          const now = performance.now();
          frames.push(now - last);
          last = now;
          if (document.querySelector('[data-testid=instrument-table] .placeholder')) blank += 1;
          if (frames.length > 120) {
            // Stopped: how long until the rows it stopped on are all there.
            const stopped = performance.now();
            const settled = () => {
              if (!document.querySelector('[data-testid=instrument-table] .placeholder')) return finish([frames.slice(1), blank, performance.now() - stopped]);
              if (performance.now() - stopped > 20000) return finish([frames.slice(1), blank, -1]);
              requestAnimationFrame(settled);
            };
            return settled();
          }
          body.scrollTop += 120 * 36;
          requestAnimationFrame(step);
        };
        requestAnimationFrame(step);
    "#;
    let answer = app.client().execute_async(script, vec![]).await.map_err(|e| e.to_string())?;
    let mut frames: Vec<f64> = answer[0].as_array().ok_or("no frame times")?.iter().filter_map(|v| v.as_f64()).collect();
    frames.sort_by(f64::total_cmp);
    let at = |q: f64| frames[((frames.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "scrolling 120 rows a frame: frame interval median {:.1} ms, p95 {:.1} ms; {} of {} frames showed rows still loading; rows all shown {:.0} ms after it stopped",
        at(0.5),
        at(0.95),
        answer[1],
        frames.len(),
        answer[2].as_f64().unwrap_or(f64::NAN)
    );
    Ok(())
}

/// Types `value` into the search box and times it until the table has redrawn its first rows
/// for it and the count shows `expected`: a keystroke that matches the same rows as the one
/// before is timed too (the redraw, not the count, says its answer arrived).
async fn typed(app: &App, value: &str, expected: u64) -> Result<f64, String> {
    let redraws = "performance.getEntriesByName('table 0: redraw').length";
    let before = app.client().execute(&format!("return {redraws};"), vec![]).await.map_err(|e| e.to_string())?;
    let before = before.as_u64().ok_or("no count of the table's redraws")?;
    let done = format!("{redraws} > {before} && document.querySelector('[data-testid=instrument-count]').textContent.replace(/[^0-9]/g, '') === '{expected}'");
    in_page(app, "[data-testid=instrument-search]", value, &done).await
}

/// In the page, timed with performance.now(): clicks `css` (or, with a `value`, types it there;
/// a menu is set to `value`, "" included) and returns the milliseconds until the JavaScript
/// condition `done` holds, checked every frame.
async fn in_page(app: &App, css: &str, value: &str, done: &str) -> Result<f64, String> {
    let element = app.find(css).await?;
    let element = serde_json::to_value(&element).map_err(|e| e.to_string())?;
    let script = format!(
        r#"
        const [element, value, finish] = arguments;
        const t0 = performance.now();
        const tick = () => {{
          if ({done}) return finish(performance.now() - t0);
          if (performance.now() - t0 > 20000) return finish(-1);
          requestAnimationFrame(tick);
        }};
        if (element.tagName === 'SELECT') {{ element.value = value; element.dispatchEvent(new Event('change', {{bubbles: true}})); }}
        else if (value === '' && element.tagName !== 'INPUT') element.click();
        else {{ element.value = value; element.dispatchEvent(new Event('input', {{bubbles: true}})); }}
        requestAnimationFrame(tick);
    "#
    );
    let ms = app.client().execute_async(&script, vec![element, serde_json::json!(value)]).await.map_err(|e| e.to_string())?;
    match ms.as_f64() {
        Some(ms) if ms >= 0.0 => Ok(ms),
        _ => Err(format!("after acting on {css} with {value:?}, `{done}` never held")),
    }
}
