//! Drag-out, proved through the real window: the page's call to the drag plugin is caught at
//! the IPC boundary (a fake drag host: no OS drag could be observed under Xvfb), and what the app
//! handed it is checked on disk. Dragging one row hands over that instrument's PDF; dragging a selection
//! of three hands over all three; each time with the drag picture, in copy mode.

use std::path::Path;
use std::time::Duration;

use annolab_e2e::journey::{run, start_demo_export, wait_for_job};
use annolab_e2e::{App, Launch};
use fantoccini::Locator;

/// Catches the drag plugin's command on its way to Rust (Tauri's IPC is a request to its `ipc:`
/// protocol, and `__TAURI_INTERNALS__.invoke` itself cannot be replaced), records its arguments
/// and answers as the plugin would; every other request goes through.
const FAKE_DRAG_HOST: &str = r#"
    window.__dragCalls = [];
    const send = window.fetch.bind(window);
    window.fetch = async (resource, init) => {
      const url = String(resource && resource.url ? resource.url : resource);
      if (decodeURIComponent(url).includes('plugin:drag|start_drag')) {
        const args = JSON.parse(init.body);
        window.__dragCalls.push({ item: args.item, image: args.image, mode: args.options && args.options.mode });
        return new Response('null', { headers: { 'Content-Type': 'application/json' } });
      }
      return send(resource, init);
    };
"#;

async fn drag_calls(app: &App, count: usize) -> Result<Vec<serde_json::Value>, String> {
    for _ in 0..100 {
        let calls = app.client().execute("return window.__dragCalls;", vec![]).await.map_err(|e| e.to_string())?;
        if let Some(calls) = calls.as_array().filter(|c| c.len() >= count) {
            return Ok(calls.clone());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("the drag plugin was not called {count} times"))
}

/// The files the call handed over: each a PDF on disk whose name ends with one of `ids`, in
/// that order, and the drag picture a PNG on disk.
fn check_handed_over(call: &serde_json::Value, ids: &[String]) -> Result<(), String> {
    let files: Vec<&str> = call["item"].as_array().ok_or("no files")?.iter().filter_map(|f| f.as_str()).collect();
    if files.len() != ids.len() {
        return Err(format!("handed over {files:?} for {ids:?}"));
    }
    for (file, id) in files.iter().zip(ids) {
        let bytes = std::fs::read(file).map_err(|e| format!("{file}: {e}"))?;
        if !file.ends_with(&format!("_{id}.pdf")) || !bytes.starts_with(b"%PDF") {
            return Err(format!("{file} is not instrument {id}'s PDF"));
        }
    }
    let image = call["image"].as_str().ok_or("no drag picture")?;
    let png = std::fs::read(Path::new(image)).map_err(|e| format!("the drag picture {image}: {e}"))?;
    if !png.starts_with(b"\x89PNG") || call["mode"] != "copy" {
        return Err(format!("the drag picture {image} is no PNG, or the mode is {}", call["mode"]));
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dragging_one_row_or_a_selection_hands_their_pdfs_and_the_picture_to_the_os() {
    let launch = Launch::fresh("drag");
    run(launch, "drag", async |app: &App| {
        start_demo_export(app, None, true).await?;
        wait_for_job(app, "done", Duration::from_secs(120)).await?;
        app.click("[data-testid=nav-library]").await?;
        app.click("[data-testid=library-item] [data-testid=library-browse]").await?;
        app.find("[data-testid=instrument-row]").await?;
        app.client().execute(FAKE_DRAG_HOST, vec![]).await.map_err(|e| e.to_string())?;

        let rows = app.client().find_all(Locator::Css("[data-testid=instrument-row]")).await.map_err(|e| e.to_string())?;
        let mut ids = Vec::new();
        for row in rows.iter().take(3) {
            ids.push(row.attr("data-id").await.ok().flatten().ok_or("a row without an id")?);
        }
        let dragstart = "arguments[0].dispatchEvent(new DragEvent('dragstart', { bubbles: true, cancelable: true }));";

        // One row, nothing selected: that row's PDF.
        let first = serde_json::to_value(&rows[0]).map_err(|e| e.to_string())?;
        app.client().execute(dragstart, vec![first.clone()]).await.map_err(|e| e.to_string())?;
        check_handed_over(&drag_calls(app, 1).await?[0], &ids[..1])?;

        // Three selected, dragged by one of them: all three.
        for row in rows.iter().take(3) {
            row.find(Locator::Css("input[type=checkbox]")).await.map_err(|e| e.to_string())?.click().await.map_err(|e| e.to_string())?;
        }
        app.client().execute(dragstart, vec![first]).await.map_err(|e| e.to_string())?;
        check_handed_over(&drag_calls(app, 2).await?[1], &ids)?;
        Ok(())
    })
    .await;
}
