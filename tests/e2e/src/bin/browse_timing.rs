//! Benchmark, not a test: how the real app's browser feels on a large export. It starts the app
//! with a demo project of N instruments (`ANNOLAB_DEMO_INSTRUMENTS`), exports it without PDFs,
//! then times in the window: opening the export until rows show, and each search keystroke or
//! filter until the table's count shows the new answer (the one-frame typing debounce included).
//! Prints figures; asserts nothing. Needs what the e2e tests need (`make test` has built the
//! app and installed tauri-driver); run it under Xvfb and a D-Bus session:
//!
//!   bench/browse-e2e.sh 100000

use std::path::Path;
use std::time::{Duration, Instant};

use annolab_e2e::journey::{start_demo_export, wait_for_job};
use annolab_e2e::{App, Launch};
use export_engine::browse::{Browser, Query};

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
        None => vec!["s", "se", "ser", "l", "le", "lea", "leas", "air", "airf", "cess", "n1", "n12", "piper", "lycoming"],
    };
    words.push("");
    let mut times = Vec::new();
    let mut last = instruments;
    for word in words {
        let expected = browser.count(&Query { search: word.into(), ..Query::default() }).map_err(|e| e.to_string())?;
        if expected == last {
            continue; // The count would not change, so there is nothing to wait for.
        }
        let ipc = invoked(app, &dir, word).await?;
        let ms = typed(app, word, expected).await?;
        // Where the keystroke's time went, from the app's own User Timing entries.
        let parts = app.client().execute(
            "const last = (n) => performance.getEntriesByName(n).at(-1); \
             const sent = last('search sent')?.startTime ?? NaN, query = last('table 0: query'), redraw = last('table 0: redraw'); \
             return [query.startTime - sent, query.duration, redraw.duration].map((v) => Math.round(v));",
            vec![],
        ).await.map_err(|e| e.to_string())?;
        println!(
            "search {word:<10} -> {expected:>8} rows: {ms:>6.1} ms = to the query {} + query {} + redraw {} + paint (the command alone: {ipc:.1} ms)",
            parts[0], parts[1], parts[2]
        );
        times.push(ms);
        last = expected;
    }
    times.sort_by(f64::total_cmp);
    let p95 = times[((times.len() as f64 - 1.0) * 0.95).round() as usize];
    let median = times[times.len() / 2];
    println!("{} search keystrokes: median {median:.1} ms, p95 {p95:.1} ms (keystroke to updated count, in the page)", times.len());
    scrolled(app).await
}

/// Scrolls the table by 120 rows a frame for 120 frames, as a fast drag of the scroll bar
/// does, and prints the time between frames and how many frames showed rows not yet loaded.
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
          if (frames.length > 120) return finish([frames.slice(1), blank]);
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
        "scrolling 120 rows a frame: frame interval median {:.1} ms, p95 {:.1} ms; {} of {} frames showed rows still loading",
        at(0.5),
        at(0.95),
        answer[1],
        frames.len()
    );
    Ok(())
}

/// Types `value` into the search box in the page and returns the milliseconds until the
/// table's count reads `expected`.
async fn typed(app: &App, value: &str, expected: u64) -> Result<f64, String> {
    let done = format!("document.querySelector('[data-testid=instrument-count]').textContent.replace(/[^0-9]/g, '') === '{expected}'");
    in_page(app, "[data-testid=instrument-search]", value, &done).await
}

/// In the page, timed with performance.now(): clicks `css` (or, with a `value`, types it there)
/// and returns the milliseconds until the JavaScript condition `done` holds, checked every frame.
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
        if (value === '' && element.tagName !== 'INPUT') element.click();
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

/// The browse_page command the table sends for a search, called straight from the page: the
/// query and the IPC without the table's redraw.
async fn invoked(app: &App, dir: &str, search: &str) -> Result<f64, String> {
    let script = r#"
        const [dir, search, finish] = arguments;
        const query = { search, types: [], tagTypes: [], sources: [], reviewed: null, hasPdf: null, hasProblems: null, attribute: null, columns: [], sort: { by: { column: 'id' }, descending: false } };
        const t0 = performance.now();
        window.__TAURI_INTERNALS__.invoke('browse_page', { dir, query, offset: 0, limit: 200 })
          .then(() => finish(performance.now() - t0), (e) => finish('failed: ' + JSON.stringify(e)));
    "#;
    let ms = app.client().execute_async(script, vec![serde_json::json!(dir), serde_json::json!(search)]).await.map_err(|e| e.to_string())?;
    ms.as_f64().ok_or_else(|| format!("browse_page from the page: {ms}"))
}
