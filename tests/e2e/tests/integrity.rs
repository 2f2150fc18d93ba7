//! Integrity problems reach the user wherever they look: an export whose demo server put one PDF
//! with a page more than its instrument's range and left another instrument's PDF out (the
//! `integrity-problems` fault). The library card counts both, the browser's problems filter finds
//! the two instruments, and the details pane says what is wrong with each.

use std::time::Duration;

use annolab_e2e::journey::{run, start_demo_export, wait_for_job};
use annolab_e2e::{App, Launch};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_page_count_and_a_missing_pdf_show_on_the_card_in_the_filter_and_in_the_details() {
    let launch = Launch::fresh("integrity").with_demo_faults("integrity-problems");
    run(launch, "integrity", async |app: &App| {
        start_demo_export(app, None, true).await?;
        wait_for_job(app, "done", Duration::from_secs(120)).await?;
        app.click("[data-testid=nav-library]").await?;
        let problems = app.text("[data-testid=library-item] [data-testid=library-problems]").await?;
        if problems != "2" {
            return Err(format!("the library card counts {problems} problems, expected 2"));
        }
        app.click("[data-testid=library-item] [data-testid=library-browse]").await?;
        app.find("[data-testid=instrument-row]").await?;
        app.choose("[data-testid=instrument-filter-problems]", "yes").await?;
        app.wait_for_text("[data-testid=instrument-count]", "2 instruments", Duration::from_secs(30)).await?;

        let mut said = Vec::new();
        for row in app.client().find_all(fantoccini::Locator::Css("[data-testid=instrument-row]")).await.map_err(|e| e.to_string())? {
            let id = row.attr("data-id").await.ok().flatten().ok_or("a row without an id")?;
            row.click().await.map_err(|e| e.to_string())?;
            app.wait_for_attr("[data-testid=details-pane]", "data-id", &id, Duration::from_secs(10)).await?;
            said.push(app.text("[data-testid=details-warnings]").await?);
        }
        app.screenshot("integrity-problems").await;
        let told = |part: &str| said.iter().any(|text| text.contains(part));
        if said.len() != 2 || !told("has no PDF in the export") || !told("pages, but the instrument covers pages") {
            return Err(format!("the details pane said {said:?}"));
        }
        Ok(())
    })
    .await;
}
