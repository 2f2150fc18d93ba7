//! The home screen of the real app: its name, the window shown (it starts hidden and is shown
//! once its page has loaded), and the demo workspace reaching "running".

use std::time::Duration;

use annolab_e2e::App;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn home_shows_the_product_and_the_running_demo_workspace() {
    let app = App::launch().await;
    let outcome = home_scenario(&app).await;
    let screenshot = app.screenshot(if outcome.is_ok() { "home" } else { "home-failure" }).await;
    app.close().await;
    if let Err(problem) = outcome {
        panic!("{problem} (screenshot: {})", screenshot.display());
    }
}

async fn home_scenario(app: &App) -> Result<(), String> {
    app.wait_for_text("header h1", "AnnoLab Exporter", Duration::from_secs(30)).await?;
    app.wait_for_text("[data-testid=sandbox-state]", "Running", Duration::from_secs(60)).await?;

    let project = app.text("[data-testid=project-name]").await?;
    let owner = app.text("[data-testid=project-owner]").await?;
    let url = app.text("[data-testid=api-url]").await?;
    if project != "Example Project Name" {
        return Err(format!("project shown is {project:?}"));
    }
    if owner != "Group Name owning project" {
        return Err(format!("owner shown is {owner:?}"));
    }
    if !url.starts_with("http://127.0.0.1:") {
        return Err(format!("the sandbox is not on loopback: {url:?}"));
    }
    app.wait_until_shown(Duration::from_secs(15)).await?;
    let title = app.client().title().await.map_err(|err| err.to_string())?;
    if title != "AnnoLab Exporter" {
        return Err(format!("document title is {title:?}"));
    }
    Ok(())
}
