//! A profile with a wrong key: the export fails with AnnoLab's 401 shown plainly, the way to fix
//! it is one click away, and the key is in no file the app wrote (logs included).

use std::time::Duration;

use annolab_e2e::journey::{run, wait_for_job};
use annolab_e2e::{App, Launch};
use test_support::file_containing;

const WRONG_KEY: &str = "e2e-wrong-key-7f3a9c1d5b";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_key_is_shown_clearly_and_never_written_down() {
    run(Launch::fresh("wrong-key"), "wrong-key", async |app: &App| {
        app.wait_for_text("[data-testid=sandbox-state]", "Running", Duration::from_secs(60)).await?;
        let server = app.text("[data-testid=api-url]").await?;

        app.click("[data-testid=header-add-account]").await?;
        app.fill("[data-testid=profile-name]", "work").await?;
        app.fill("[data-testid=profile-server]", &server).await?;
        app.fill("[data-testid=profile-key]", WRONG_KEY).await?;
        app.click("[data-testid=profile-test]").await?;
        app.wait_for_text_containing("[data-testid=profile-test-result]", "401", Duration::from_secs(30)).await?;
        app.screenshot("profile-form").await;
        app.click("[data-testid=profile-save]").await?;
        app.find("[data-profile=work]").await?;

        app.click("[data-testid=nav-export]").await?;
        app.fill("[data-testid=export-owner]", "Group Name owning project").await?;
        app.fill("[data-testid=export-project]", "Example Project Name").await?;
        app.click("[data-testid=export-start]").await?;
        wait_for_job(app, "failed", Duration::from_secs(60)).await?;
        let code = app.attr("[data-testid=job-error]", "data-code").await;
        let message = app.text("[data-testid=job-error]").await?;
        if code.as_deref() != Some("unauthorized") || !message.contains("401") || !message.contains("Profiles") {
            return Err(format!("the failure reads {message:?} (code {code:?})"));
        }
        let log = app.home().join("data/ai.annolab.exporter/logs/AnnoLab Exporter.log");
        if !log.is_file() {
            return Err(format!("the app wrote no log at {}, so the check below would prove nothing", log.display()));
        }
        // The keyring's own (encrypted) store aside.
        if let Some(file) = file_containing(app.home(), WRONG_KEY, &["keyrings"]) {
            return Err(format!("the key was written to {}", file.display()));
        }
        Ok(())
    })
    .await;
}
