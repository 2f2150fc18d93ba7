//! A download cut off halfway by the server is resumed, and the export completes intact.

use std::time::Duration;

use annolab_e2e::journey::{demo_instruments_tagged, run, start_demo_export, wait_for_job};
use annolab_e2e::{App, Launch};

const TAG: &str = "Airframe Inventory";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_download_is_survived() {
    let launch = Launch::fresh("cut-download").with_demo_faults("cut-download=2");
    run(launch, "cut-download", async |app: &App| {
        start_demo_export(app, Some(TAG), true).await?;
        wait_for_job(app, "done", Duration::from_secs(120)).await?;
        app.click("[data-testid=nav-library]").await?;
        let shown = app.text("[data-testid=library-item] [data-testid=library-instruments]").await?;
        let problems = app.text("[data-testid=library-item] [data-testid=library-problems]").await?;
        let expected = demo_instruments_tagged(TAG);
        if shown.replace([',', '.', ' ', '\u{a0}', '\u{202f}'], "") != expected.to_string() || problems != "0" {
            return Err(format!("the library shows {shown} instruments and {problems} problems; expected {expected} and 0"));
        }
        Ok(())
    })
    .await;
}
