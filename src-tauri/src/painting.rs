//! How the window's web view paints on Linux.
//!
//! WebKitGTK composites the page with OpenGL. On a machine without a GPU that OpenGL is Mesa's
//! software renderer (llvmpipe): every frame goes through a rasterizer emulating a GPU on the
//! CPU, and each new kind of drawing first compiles a shader. On such a machine (2 cores, no
//! /dev/dri, Xvfb, 100,000 instruments, `bench/browse-e2e.sh`), a search keystroke took a p95
//! of 136-164 ms composited and 59-76 ms painted straight on the CPU without compositing,
//! which is what WebKit's "never accelerate" policy does; the idle web process went from 230 to
//! 127 MB PSS. So where no GPU render node can be opened, the app asks WebKit for that policy;
//! with a GPU it keeps WebKit's default.
//!
//! It is WebKit's own setting, not the `WEBKIT_DISABLE_DMABUF_RENDERER` variable many apps
//! set: that variable also empties the buffer transports the UI process would need if the page
//! ever entered compositing mode, which public reports against WebKitGTK 2.52 show crashing.
//!
//! `ANNOLAB_GPU=on` keeps WebKit's default everywhere, `ANNOLAB_GPU=off` paints on the CPU
//! everywhere (for a GPU whose driver draws badly); unset or `auto` decides by the render node.

use std::path::Path;

/// The variable that overrides the choice.
pub const OVERRIDE: &str = "ANNOLAB_GPU";

/// How the web view should paint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Painting {
    /// WebKit's default: composited with OpenGL, on the GPU when there is one.
    Default,
    /// Painted on the CPU without compositing.
    Cpu,
}

/// Why the choice was made, for the log line that says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub painting: Painting,
    pub reason: String,
}

/// Decides from the override's value (if set) and whether a GPU render node can be opened.
/// An override that is not `on`, `off` or `auto` is ignored with a reason that says so, rather
/// than keeping the app from starting.
pub fn choose(override_value: Option<&str>, has_render_node: bool) -> Choice {
    let by_gpu = |prefix: String| {
        if has_render_node {
            Choice { painting: Painting::Default, reason: format!("{prefix}a GPU render node is available") }
        } else {
            Choice {
                painting: Painting::Cpu,
                reason: format!("{prefix}no GPU render node (/dev/dri/renderD*) can be opened, so OpenGL would be software-emulated; {OVERRIDE}=on keeps it"),
            }
        }
    };
    match override_value.map(str::trim) {
        None | Some("") | Some("auto") => by_gpu(String::new()),
        Some("on") => Choice { painting: Painting::Default, reason: format!("{OVERRIDE}=on") },
        Some("off") => Choice { painting: Painting::Cpu, reason: format!("{OVERRIDE}=off") },
        Some(other) => by_gpu(format!("{OVERRIDE}={other:?} is not one of on, off, auto and is ignored; ")),
    }
}

/// Whether a DRM render node in `dri` (normally /dev/dri) can be opened for drawing. A node
/// the user may not open (a container, a missing group) counts as none: WebKit could not use it.
pub fn has_render_node(dri: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dri) else { return false };
    entries.flatten().any(|entry| {
        entry.file_name().to_string_lossy().starts_with("renderD") && std::fs::OpenOptions::new().read(true).write(true).open(entry.path()).is_ok()
    })
}

/// Applies the choice to the main window's web view (Linux; elsewhere the platform's web view
/// decides for itself).
pub fn apply(app: &tauri::AppHandle) {
    #[cfg(target_os = "linux")]
    {
        use tauri::Manager;
        let override_value = std::env::var(OVERRIDE).ok();
        let choice = choose(override_value.as_deref(), has_render_node(Path::new("/dev/dri")));
        log::info!("web view painting: {:?} ({})", choice.painting, choice.reason);
        if choice.painting == Painting::Default {
            return;
        }
        let Some(window) = app.get_webview_window("main") else { return };
        let applied = window.with_webview(|webview| {
            use webkit2gtk::{HardwareAccelerationPolicy, SettingsExt, WebViewExt};
            if let Some(settings) = webview.inner().settings() {
                settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
            }
        });
        if let Err(error) = applied {
            log::warn!("could not set how the web view paints: {error}");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = app;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_gpu_the_page_is_painted_on_the_cpu() {
        let choice = choose(None, false);
        assert_eq!(choice.painting, Painting::Cpu);
        assert!(choice.reason.contains("ANNOLAB_GPU=on"), "{}", choice.reason);
        assert_eq!(choose(Some("auto"), false).painting, Painting::Cpu);
    }

    #[test]
    fn with_a_gpu_webkit_keeps_its_default() {
        assert_eq!(choose(None, true).painting, Painting::Default);
        assert_eq!(choose(Some(""), true).painting, Painting::Default);
    }

    #[test]
    fn the_override_wins_either_way() {
        assert_eq!(choose(Some("on"), false).painting, Painting::Default);
        assert_eq!(choose(Some("off"), true).painting, Painting::Cpu);
        assert_eq!(choose(Some(" off "), true).painting, Painting::Cpu);
    }

    #[test]
    fn an_override_with_a_typo_is_named_and_ignored() {
        let choice = choose(Some("yes"), true);
        assert_eq!(choice.painting, Painting::Default);
        assert!(choice.reason.contains("\"yes\" is not one of on, off, auto"), "{}", choice.reason);
    }

    #[test]
    fn a_folder_without_render_nodes_has_none() {
        let dri = tempfile::tempdir().unwrap();
        assert!(!has_render_node(dri.path()));
        std::fs::write(dri.path().join("card0"), b"").unwrap();
        assert!(!has_render_node(dri.path()), "a card node is not a render node");
        std::fs::write(dri.path().join("renderD128"), b"").unwrap();
        assert!(has_render_node(dri.path()));
        assert!(!has_render_node(&dri.path().join("missing")));
    }
}
