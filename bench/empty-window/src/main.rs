//! An empty Tauri 2 window: the anchor of row P8 of `make bench`. One window the size of the
//! app's, showing a bare page (`dist/index.html`, one `<main id="ready">`), with Tauri's defaults:
//! no plugins, no tray, no menu of our own, no commands. Its one capability grants what Tauri's
//! app template grants, `core:default` (without a `capabilities` folder tauri-build would rerun
//! on every build). `bench/app-idle.sh empty` measures it exactly as it measures the app.
//!
//! How it paints. Where no GPU render node can be opened, the app has WebKit paint on the CPU
//! without compositing (src-tauri/src/painting.rs); an empty window as Tauri ships it composites
//! through Mesa's software renderer instead, which adds 50-65 MB of PSS here (the web process's
//! buffers, and more of LLVM), far more than the page. Comparing the app with that would credit
//! it for one WebKit setting rather than measure what its own code and UI add. So this window can
//! paint either way: as Tauri ships it, or with `EMPTY_WINDOW_PAINTING=cpu` with the same WebKit
//! setting the app applies. `bench/suite.py` measures both and anchors the row on the one that
//! paints as the app does on the machine (docs/benchmarks.md, P8).
//!
//! `EMPTY_WINDOW_MENU=1` gives the window Tauri's default menu bar, to measure what a native
//! menu bar alone costs an empty window (the app has one; the anchor does not).

// Keeps a console window from opening next to the window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    let mut builder = tauri::Builder::default();
    // Not part of the anchor: only for measuring the menu bar's own cost.
    if std::env::var("EMPTY_WINDOW_MENU").as_deref() == Ok("1") {
        builder = builder.menu(tauri::menu::Menu::default);
    }
    builder
        .setup(|app| {
            paint_on_cpu_if_asked(app.handle());
            Ok(())
        })
        .run(tauri::generate_context!())
        .expect("the empty window could not run");
}

/// With `EMPTY_WINDOW_PAINTING=cpu`, the web view's hardware acceleration policy is `Never`: what
/// the app's `painting::apply` does where there is no GPU. Otherwise WebKit keeps its default.
fn paint_on_cpu_if_asked(app: &tauri::AppHandle) {
    if std::env::var("EMPTY_WINDOW_PAINTING").as_deref() != Ok("cpu") {
        return;
    }
    #[cfg(target_os = "linux")]
    {
        use tauri::Manager;
        let Some(window) = app.get_webview_window("main") else { return };
        let applied = window.with_webview(|webview| {
            use webkit2gtk::{HardwareAccelerationPolicy, SettingsExt, WebViewExt};
            if let Some(settings) = webview.inner().settings() {
                settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
            }
        });
        if let Err(error) = applied {
            eprintln!("empty-window: could not set how the web view paints: {error}");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = app;
}
