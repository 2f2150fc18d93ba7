//! OS notifications: a notification server on the test's D-Bus session (the one the app runs
//! on) records what the app sends when an export fails and when one is ready, as a desktop's
//! notification server would show it.
//!
//! With notifications turned off in the Settings tab, nothing is sent.
//!
//! Under Xvfb there is no window manager, so the app's only window is always in front, where the
//! app does not notify: the debug build's `ANNOLAB_NOTIFY_IN_FRONT` asks it to all the same.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use annolab_e2e::journey::{run, start_demo_export, wait_for_job};
use annolab_e2e::{App, Launch};

/// (summary, body) of every notification received.
type Received = Arc<Mutex<Vec<(String, String)>>>;

/// The parts of the Desktop Notifications Specification a client calls.
struct NotificationServer {
    received: Received,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl NotificationServer {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        _app_name: String,
        _replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        _actions: Vec<String>,
        _hints: HashMap<String, zbus::zvariant::OwnedValue>,
        _expire_timeout: i32,
    ) -> u32 {
        let mut received = self.received.lock().unwrap();
        received.push((summary, body));
        received.len() as u32
    }

    fn close_notification(&self, _id: u32) {}

    fn get_capabilities(&self) -> Vec<String> {
        vec!["body".to_owned()]
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        ("annolab-e2e".to_owned(), "AnnoLab".to_owned(), "1".to_owned(), "1.2".to_owned())
    }
}

/// Waits until `count` notifications have arrived; what arrived.
async fn received(received: &Received, count: usize) -> Result<Vec<(String, String)>, String> {
    let started = Instant::now();
    loop {
        let now = received.lock().unwrap().clone();
        if now.len() >= count {
            return Ok(now);
        }
        if started.elapsed() > Duration::from_secs(30) {
            return Err(format!("{} notification(s) arrived in 30 s, expected {count}: {now:?}", now.len()));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the export page shows `count` job cards (a job just started is there).
async fn job_cards(app: &App, count: usize) -> Result<(), String> {
    let started = Instant::now();
    while app.client().find_all(fantoccini::Locator::Css("[data-testid=job]")).await.map_err(|e| e.to_string())?.len() < count {
        if started.elapsed() > Duration::from_secs(30) {
            return Err(format!("job card {count} never appeared"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_and_a_finished_export_are_told_by_the_os() {
    let notes: Received = Arc::default();
    let _server = zbus::blocking::connection::Builder::session()
        .and_then(|b| b.name("org.freedesktop.Notifications"))
        .and_then(|b| b.serve_at("/org/freedesktop/Notifications", NotificationServer { received: Arc::clone(&notes) }))
        .and_then(|b| b.build())
        .expect("a notification server on the test's session bus (run under dbus-run-session)");

    let mut launch = Launch::fresh("notify").with_demo_faults("job-error=The server ran out of memory");
    launch.env.push(("ANNOLAB_NOTIFY_IN_FRONT".into(), "1".into()));
    run(launch, "notify", async |app: &App| {
        start_demo_export(app, None, false).await?;
        wait_for_job(app, "failed", Duration::from_secs(120)).await?;
        let failed = received(&notes, 1).await?;
        let (summary, body) = &failed[0];
        if summary != "Export failed" || !body.contains("Example Project Name") || !body.contains("The server ran out of memory") {
            return Err(format!("the failed export's notification said {summary:?} / {body:?}"));
        }

        app.click("[data-testid=nav-export]").await?;
        start_demo_export(app, None, false).await?;
        // The new job's card comes first once it is there; until then the failed one is.
        job_cards(app, 2).await?;
        wait_for_job(app, "done", Duration::from_secs(120)).await?;
        let both = received(&notes, 2).await?;
        let (summary, body) = &both[1];
        if summary != "Export ready" || !body.contains("Example Project Name") || !body.contains("instruments") {
            return Err(format!("the finished export's notification said {summary:?} / {body:?}"));
        }

        // Turned off in the Settings tab: the next export ends without a word to the OS.
        app.click("[data-testid=nav-settings]").await?;
        app.click("[data-testid=settings-notifications]").await?;
        let started = Instant::now();
        while app.find("[data-testid=settings-notifications]").await?.prop("checked").await.map_err(|e| e.to_string())?.as_deref() != Some("false") {
            if started.elapsed() > Duration::from_secs(10) {
                return Err("the notifications setting did not turn off".into());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        app.screenshot("settings").await;
        app.click("[data-testid=nav-export]").await?;
        start_demo_export(app, None, false).await?;
        job_cards(app, 3).await?;
        wait_for_job(app, "done", Duration::from_secs(120)).await?;
        tokio::time::sleep(Duration::from_secs(3)).await;
        let after = notes.lock().unwrap().clone();
        if after.len() != 2 {
            return Err(format!("with notifications off, the OS was still told: {after:?}"));
        }
        Ok(())
    })
    .await;
}
