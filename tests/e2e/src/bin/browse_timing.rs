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

    let opened = Instant::now();
    app.click("[data-testid=library-browse]").await?;
    app.find("[data-testid=instrument-row]").await?;
    println!("open the export until rows show (WebDriver round trips included): {} ms", opened.elapsed().as_millis());

    let words = ["s", "se", "ser", "l", "le", "lea", "leas", "air", "airf", "cess", "n1", "n12", "piper", "lycoming", ""];
    let mut times = Vec::new();
    let mut last = instruments;
    for word in words {
        let expected = browser.count(&Query { search: word.into(), ..Query::default() }).map_err(|e| e.to_string())?;
        if expected == last {
            continue; // The count would not change, so there is nothing to wait for.
        }
        let ms = typed(app, word, expected).await?;
        println!("search {word:<10} -> {expected:>8} rows: {ms:>7.1} ms");
        times.push(ms);
        last = expected;
    }
    times.sort_by(f64::total_cmp);
    let p95 = times[((times.len() as f64 - 1.0) * 0.95).round() as usize];
    let median = times[times.len() / 2];
    println!("{} search keystrokes: median {median:.1} ms, p95 {p95:.1} ms (keystroke to updated count, in the page)", times.len());
    Ok(())
}

/// Types `value` into the search box in the page and returns the milliseconds until the
/// table's count reads `expected` (timed in the page with performance.now()).
async fn typed(app: &App, value: &str, expected: u64) -> Result<f64, String> {
    let input = app.find("[data-testid=instrument-search]").await?;
    let input = serde_json::to_value(&input).map_err(|e| e.to_string())?;
    let script = r#"
        const [input, value, expected, done] = arguments;
        const count = document.querySelector('[data-testid=instrument-count]');
        const t0 = performance.now();
        const tick = () => {
          if (count.textContent.replace(/[^0-9]/g, '') === expected) return done(performance.now() - t0);
          if (performance.now() - t0 > 20000) return done(-1);
          requestAnimationFrame(tick);
        };
        input.value = value;
        input.dispatchEvent(new Event('input', {bubbles: true}));
        requestAnimationFrame(tick);
    "#;
    let args = vec![input, serde_json::json!(value), serde_json::json!(expected.to_string())];
    let ms = app.client().execute_async(script, args).await.map_err(|e| e.to_string())?;
    match ms.as_f64() {
        Some(ms) if ms >= 0.0 => Ok(ms),
        _ => Err(format!("the count never showed {expected} after typing {value:?}")),
    }
}
