//! Opening an export zip made elsewhere, through the real window: the Library's "Open export
//! zip…" shows the owner and project to keep, Open imports it with the app's backend, and the
//! library lists it marked imported. A damaged zip is refused in words naming the file, and the
//! library stays as it was.
//!
//! The OS file dialog cannot be driven under Xvfb: the page's call for it is answered at the IPC
//! boundary with the file the user would have chosen (as `drag.rs` fakes the drag host), and
//! everything after that is the app's own.

use std::path::Path;
use std::time::Duration;

use annolab_e2e::journey::run;
use annolab_e2e::{App, Launch};
use annolab_sandbox::archive::{self, ArchiveShape};
use annolab_sandbox::filter::InstrumentFilter;
use annolab_sandbox::project::Project;
use annolab_sandbox::request::ExportRequest;
use annolab_sandbox::{DEMO_INSTRUMENTS, SourceSet};

/// Answers the page's `library_pick_zip` with `window.__pickedZip` (what the dialog would have
/// proposed for the chosen file), marked as Tauri marks an answer that is no error; every other
/// request goes through.
const FAKE_FILE_DIALOG: &str = r#"
    const send = window.fetch.bind(window);
    window.fetch = async (resource, init) => {
      const url = String(resource && resource.url ? resource.url : resource);
      if (decodeURIComponent(url).includes('library_pick_zip')) {
        const headers = { 'Content-Type': 'application/json', 'Tauri-Response': 'ok' };
        return new Response(JSON.stringify(window.__pickedZip), { headers });
      }
      return send(resource, init);
    };
"#;

/// The zip the documentation's sample would have downloaded for the demo project, PDFs included.
fn sample_zip(zip: &Path) {
    let project = Project::demo(SourceSet::Generated { instruments: DEMO_INSTRUMENTS });
    let request = ExportRequest { owner: project.owner.clone(), project: project.name.clone(), filter: InstrumentFilter::default(), include_files: true };
    archive::write(zip, &project, &request, ArchiveShape::default()).expect("write the sample zip");
}

/// Chooses `zip` in the (faked) dialog, as the app proposes it: owner "Imported", the project
/// the file's name.
async fn choose(app: &App, zip: &Path, project: &str) -> Result<(), String> {
    let proposal = serde_json::json!({ "zip": zip.display().to_string(), "owner": "Imported", "project": project });
    app.client().execute("window.__pickedZip = arguments[0];", vec![proposal]).await.map_err(|e| e.to_string())?;
    app.click("[data-testid=library-open-zip]").await?;
    app.wait_for_text("[data-testid=import-zip]", &zip.display().to_string(), Duration::from_secs(10)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_zip_made_elsewhere_opens_into_the_library_and_a_damaged_one_is_refused() {
    run(Launch::fresh("import"), "import", async |app: &App| {
        let downloads = app.home().join("Downloads");
        std::fs::create_dir_all(&downloads).map_err(|e| e.to_string())?;
        let zip = downloads.join("example_export.zip");
        sample_zip(&zip);
        let damaged = downloads.join("half a download.zip");
        std::fs::write(&damaged, &std::fs::read(&zip).map_err(|e| e.to_string())?[..4096]).map_err(|e| e.to_string())?;

        app.client().execute(FAKE_FILE_DIALOG, vec![]).await.map_err(|e| e.to_string())?;
        app.click("[data-testid=nav-library]").await?;

        // A damaged zip: refused, naming the file, and nothing is listed.
        choose(app, &damaged, "half a download").await?;
        app.click("[data-testid=import-start]").await?;
        app.wait_for_text_containing("[data-testid=library-error]", "half a download.zip", Duration::from_secs(30)).await?;
        app.wait_for_text_containing("[data-testid=library-error]", "Nothing was added", Duration::from_secs(1)).await?;
        if app.count("[data-testid=library-item]").await != 0 {
            return Err("a damaged zip was listed in the library".into());
        }
        app.click("[data-testid=import-cancel]").await?;

        // The sample's zip, kept under a project name of the user's.
        choose(app, &zip, "example_export").await?;
        app.fill("[data-testid=import-project]", "N12345 records").await?;
        app.screenshot("import-form").await;
        app.click("[data-testid=import-start]").await?;
        app.wait_for_text_containing("[data-testid=library-imported]", "imported from example_export.zip", Duration::from_secs(120)).await?;
        app.wait_for_text_containing("[data-testid=library-item]", "N12345 records", Duration::from_secs(1)).await?;
        app.screenshot("library-imported").await;

        // The card counts what the zip held (the files themselves are compared entry for entry
        // in export-engine's import tests).
        let listed = app.text("[data-testid=library-item]").await?;
        if !listed.contains(&format!("{DEMO_INSTRUMENTS}")) {
            return Err(format!("the imported card does not count {DEMO_INSTRUMENTS} instruments: {listed:?}"));
        }
        Ok(())
    })
    .await;
}
