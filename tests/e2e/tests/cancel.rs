//! Cancelling an export while it downloads: it stops, says so, and leaves nothing in the library.

use std::time::Duration;

use annolab_e2e::journey::{run, start_demo_export, wait_for_download, wait_for_job};
use annolab_e2e::{App, Launch};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_cancelled_while_downloading_stops_and_is_not_in_the_library() {
    // A slow line, so the download is still going when Cancel is clicked.
    let launch = Launch::fresh("cancel").with_demo_faults("bandwidth=60k");
    run(launch, "cancelled", async |app: &App| {
        start_demo_export(app, None, true).await?;
        wait_for_download(app, Duration::from_secs(60)).await?;
        app.click("[data-testid=job-cancel]").await?;
        wait_for_job(app, "cancelled", Duration::from_secs(30)).await?;
        if app.count("[data-testid=job-cancel]").await != 0 {
            return Err("a cancelled job still offers Cancel".into());
        }
        app.find("[data-testid=job-retry]").await?;

        app.click("[data-testid=nav-library]").await?;
        app.find("#library-title").await?;
        tokio::time::sleep(Duration::from_millis(500)).await;
        match app.count("[data-testid=library-item]").await {
            0 => Ok(()),
            n => Err(format!("the library lists {n} exports after a cancel")),
        }
    })
    .await;
}
