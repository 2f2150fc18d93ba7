//! Progress where the OS shows it, on the real window: while an export works, the window's own
//! title (what the taskbar and the window switcher list) says so, and it is the product's name
//! again once the export is done. The progress bar and the badge come from the same decision
//! (`annolab_workspace::taskbar`, unit-tested for every case); drawing them is the desktop's
//! (Windows' taskbar, the macOS dock, a Linux launcher), which Xvfb has none of.
//!
//! The title is read from the X server, not the page: WebDriver only sees `document.title`.

use std::process::Command;
use std::time::{Duration, Instant};

use annolab_e2e::journey::{run, start_demo_export, wait_for_job};
use annolab_e2e::{App, Launch};

const PRODUCT: &str = "AnnoLab Exporter";

/// The names of every window on the test's X display.
fn window_names() -> Result<Vec<String>, String> {
    let out = Command::new("xwininfo").args(["-root", "-tree"]).output().map_err(|e| format!("xwininfo: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    // Lines read `0x1a00003 "AnnoLab Exporter": ("annolab-exporter" ...) 1180x735+0+0 ...`.
    Ok(text.lines().filter_map(|line| line.split_once(" \"")?.1.split_once("\":").map(|(name, _)| name.to_owned())).collect())
}

async fn until_a_window(what: &str, named: impl Fn(&str) -> bool, timeout: Duration) -> Result<(), String> {
    let started = Instant::now();
    loop {
        let names = window_names()?;
        if names.iter().any(|name| named(name)) {
            return Ok(());
        }
        if started.elapsed() > timeout {
            return Err(format!("no window {what} in {timeout:?}; the windows are named {names:?}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_title_carries_a_running_export_and_drops_it_when_done() {
    // Downloads paced to 256 KiB/s: the export's 1.4 MB of PDFs take a few seconds to arrive.
    run(Launch::fresh("taskbar").with_demo_faults("bandwidth=256k"), "taskbar", async |app: &App| {
        until_a_window(&format!("named {PRODUCT:?} at rest"), |name| name == PRODUCT, Duration::from_secs(10)).await?;
        start_demo_export(app, None, true).await?;
        // "AnnoLab Exporter — exporting, 40%": the dash as xwininfo prints it in this locale.
        let exporting = |name: &str| name.starts_with(PRODUCT) && name.contains("exporting");
        until_a_window("saying an export works", exporting, Duration::from_secs(30)).await?;
        wait_for_job(app, "done", Duration::from_secs(120)).await?;
        until_a_window(&format!("named {PRODUCT:?} again"), |name| name == PRODUCT, Duration::from_secs(10)).await?;
        if window_names()?.iter().any(|name| exporting(name)) {
            return Err("the title still says an export works after it is done".into());
        }
        Ok(())
    })
    .await;
}
