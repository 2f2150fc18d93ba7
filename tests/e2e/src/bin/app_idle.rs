//! Benchmark, not a test: the app's cold start and its memory at rest. Starts the app (set
//! ANNOLAB_APP to the release build) in a fresh home, waits until it is interactive (the demo
//! workspace running and the export form ready), lets it idle, then sums the memory of its
//! process tree (the app and WebKit's web and network processes). Prints figures; asserts
//! nothing. Run it under Xvfb and a D-Bus session, as bench/app-idle.sh does.
//!
//! Another app is measured the same way with ANNOLAB_APP naming its binary and
//! ANNOLAB_IDLE_READY the CSS selector of the element that means it is ready: row P8's anchor,
//! the empty Tauri window (bench/empty-window), is `ANNOLAB_IDLE_READY=#ready`.
//!
//! With ANNOLAB_IDLE_SMAPS naming a folder, each process's `/proc/PID/smaps` at rest is copied
//! there as `COMM-PID.smaps`, for the by-mapping profile in docs/benchmarks.md (row P8).
//!
//! "Interactive after" runs from the app process's start (the kernel's record of it) until the
//! first WebDriver look that finds the form (or that element) ready and the window on screen, so
//! it is an upper bound: the driver's own start and its polling are inside it.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use annolab_e2e::{App, Launch, app_binary};

const IDLE: Duration = Duration::from_secs(5);

/// The variable naming the element that means "ready", for an app other than ours.
const READY: &str = "ANNOLAB_IDLE_READY";

/// The variable naming a folder for each process's smaps at rest.
const SMAPS: &str = "ANNOLAB_IDLE_SMAPS";

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let ready = std::env::var(READY).ok().filter(|css| !css.trim().is_empty());
    let app = App::launch_with(Launch::fresh("app-idle")).await;
    let outcome = measure(&app, ready.as_deref()).await;
    app.close().await;
    if let Err(problem) = outcome {
        eprintln!("app idle benchmark failed: {problem}");
        std::process::exit(1);
    }
}

/// `ready`: the selector of the element to wait for (another app), or None for ours (the demo
/// workspace running and the export form shown).
async fn measure(app: &App, ready: Option<&str>) -> Result<(), String> {
    let what = match ready {
        Some(css) => {
            app.find(css).await?;
            format!("`{css}` shown")
        }
        None => {
            app.wait_for_text("[data-testid=sandbox-state]", "Running", Duration::from_secs(60)).await?;
            app.find("[data-testid=export-start]").await?;
            "the form ready and the window shown".to_owned()
        }
    };
    // Ours is shown once its page has loaded; ready means on screen too.
    app.wait_until_shown(Duration::from_secs(30)).await?;
    let ready = since_boot()?;
    let pid = app_pid()?;
    let started = process_start(pid)?;
    println!("app {}", app_binary().display());
    println!("interactive after {:.2} s (process start to {what}, an upper bound)", ready - started);

    tokio::time::sleep(IDLE).await;
    let tree = process_tree(pid);
    let (mut pss, mut rss) = (0u64, 0u64);
    for member in &tree {
        let (member_pss, member_rss) = memory_kib(*member);
        let name = std::fs::read_to_string(format!("/proc/{member}/comm")).unwrap_or_default();
        println!("  {member:>7} {:<24} PSS {:>7.1} MB  RSS {:>7.1} MB", name.trim(), mb(member_pss), mb(member_rss));
        if let Some(dir) = std::env::var_os(SMAPS) {
            let to = Path::new(&dir).join(format!("{}-{member}.smaps", name.trim()));
            if let Err(e) = std::fs::create_dir_all(&dir).and_then(|()| std::fs::copy(format!("/proc/{member}/smaps"), &to)) {
                eprintln!("could not copy the smaps of {member} to {}: {e}", to.display());
            }
        }
        pss += member_pss;
        rss += member_rss;
    }
    println!("idle PSS {:.1} MB, idle RSS {:.1} MB ({} processes, after {} s at rest)", mb(pss), mb(rss), tree.len(), IDLE.as_secs());
    Ok(())
}

fn mb(kib: u64) -> f64 {
    kib as f64 * 1024.0 / 1e6
}

/// The oldest process running the app binary (the app itself, not a helper).
fn app_pid() -> Result<u32, String> {
    let out = Command::new("pgrep").arg("-o").arg("-f").arg(app_binary()).output().map_err(|e| format!("pgrep: {e}"))?;
    String::from_utf8_lossy(&out.stdout).trim().parse().map_err(|_| "the app's process is not running".to_owned())
}

/// Seconds since boot when `pid` started (its start in clock ticks), on the same clock as
/// [`since_boot`]. Not the epoch through /proc/stat's `btime`: that is whole seconds, and its
/// truncation put up to a second into every figure (0.66 s on the boot where this was found).
fn process_start(pid: u32) -> Result<f64, String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).map_err(|e| e.to_string())?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).ok_or("an odd /proc stat")?;
    let ticks: f64 = after.split_whitespace().nth(19).and_then(|t| t.parse().ok()).ok_or("no start time in /proc stat")?;
    Ok(ticks / clock_ticks())
}

/// Seconds since boot now (/proc/uptime: the clock a process's start time counts on, in 10 ms).
fn since_boot() -> Result<f64, String> {
    let uptime = std::fs::read_to_string("/proc/uptime").map_err(|e| e.to_string())?;
    uptime.split_whitespace().next().and_then(|s| s.parse().ok()).ok_or_else(|| "an odd /proc/uptime".to_owned())
}

fn clock_ticks() -> f64 {
    Command::new("getconf").arg("CLK_TCK").output().ok().and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok()).unwrap_or(100.0)
}

/// `pid` and all its descendants, from every process's parent in /proc.
fn process_tree(pid: u32) -> Vec<u32> {
    let mut parents = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(child) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        if let Some(parent) = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<u32>().ok()) {
            parents.push((child, parent));
        }
    }
    let mut tree = vec![pid];
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i];
        tree.extend(parents.iter().filter(|(_, p)| *p == parent).map(|(c, _)| *c));
        i += 1;
    }
    tree
}

/// (PSS, RSS) of one process in KiB.
fn memory_kib(pid: u32) -> (u64, u64) {
    let rollup = std::fs::read_to_string(Path::new("/proc").join(pid.to_string()).join("smaps_rollup")).unwrap_or_default();
    let field = |name: &str| rollup.lines().find_map(|l| l.strip_prefix(name).and_then(|v| v.split_whitespace().next()?.parse().ok())).unwrap_or(0);
    (field("Pss:"), field("Rss:"))
}
