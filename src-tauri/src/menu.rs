//! The native menu bar, following each OS's conventions: on macOS the app menu (About, Services,
//! Hide, Quit) comes first, then File, Edit, View, Window and Help; elsewhere the window has File,
//! Edit, View and Help, with Quit under File and About under Help. Its layout is a pure function
//! of the OS ([`layout`]), tested here for all three; [`install`] hands it to Tauri. An item of
//! ours reaches the UI as a [`MenuAction`] on the channel it gave ([`MenuChannel`]); zoom and the
//! logs folder are handled here.

use std::sync::Mutex;

use serde::Serialize;
use tauri::ipc::Channel;
use tauri::menu::{AboutMetadata, IsMenuItem, Menu, MenuItem, PredefinedMenuItem, Submenu};
use tauri::{AppHandle, Manager, Wry};
use ts_rs::TS;

/// What a menu item asks of the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum MenuAction {
    NewExport,
    OpenZip,
    Library,
    Find,
    ExportAgain,
    CheckUpdates,
}

/// The OS whose conventions the menu follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    MacOs,
    Windows,
    Linux,
}

impl Os {
    pub fn current() -> Os {
        match std::env::consts::OS {
            "macos" => Os::MacOs,
            "windows" => Os::Windows,
            _ => Os::Linux,
        }
    }
}

/// One entry of a menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// One of ours: its id, label and shortcut (`CmdOrCtrl` is ⌘ on macOS, Ctrl elsewhere).
    Item {
        id: &'static str,
        label: &'static str,
        shortcut: Option<&'static str>,
    },
    /// One the OS provides, in its own words and with its own shortcut.
    Standard(Standard),
    Separator,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standard {
    About,
    Services,
    Hide,
    HideOthers,
    ShowAll,
    Quit,
    Undo,
    Redo,
    Cut,
    Copy,
    Paste,
    SelectAll,
    Minimize,
    Fullscreen,
}

/// A menu of the bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub title: &'static str,
    pub entries: Vec<Entry>,
}

pub const NEW_EXPORT: &str = "new_export";
pub const OPEN_ZIP: &str = "open_zip";
pub const LIBRARY: &str = "library";
pub const FIND: &str = "find";
pub const EXPORT_AGAIN: &str = "export_again";
pub const ZOOM_IN: &str = "zoom_in";
pub const ZOOM_OUT: &str = "zoom_out";
pub const ZOOM_RESET: &str = "zoom_reset";
pub const LOGS_FOLDER: &str = "logs_folder";
pub const CHECK_UPDATES: &str = "check_updates";

/// The menu bar for `os`.
pub fn layout(os: Os) -> Vec<Section> {
    use Entry::{Item, Separator};
    use Standard as S;
    let item = |id, label, shortcut| Item { id, label, shortcut };
    let mut file = vec![
        item(NEW_EXPORT, "New Export", Some("CmdOrCtrl+N")),
        item(OPEN_ZIP, "Open Export Zip…", Some("CmdOrCtrl+O")),
        Separator,
        item(EXPORT_AGAIN, "Export Again", Some("CmdOrCtrl+Shift+E")),
    ];
    if os != Os::MacOs {
        file.extend([Separator, Entry::Standard(S::Quit)]);
    }
    let edit =
        [S::Undo, S::Redo].map(Entry::Standard).into_iter().chain([Separator]).chain([S::Cut, S::Copy, S::Paste, S::SelectAll].map(Entry::Standard)).collect();
    let mut view = vec![
        item(LIBRARY, "Library", Some("CmdOrCtrl+L")),
        item(FIND, "Find in Export", Some("CmdOrCtrl+F")),
        Separator,
        item(ZOOM_IN, "Zoom In", Some("CmdOrCtrl+=")),
        item(ZOOM_OUT, "Zoom Out", Some("CmdOrCtrl+-")),
        item(ZOOM_RESET, "Actual Size", Some("CmdOrCtrl+0")),
    ];
    if os == Os::MacOs {
        view.extend([Separator, Entry::Standard(S::Fullscreen)]);
    }
    let mut help = vec![item(LOGS_FOLDER, "Open Logs Folder", None)];
    if os != Os::MacOs {
        help.extend([item(CHECK_UPDATES, "Check for Updates…", None), Separator, Entry::Standard(S::About)]);
    }
    let mut bar = Vec::new();
    if os == Os::MacOs {
        let app = [Entry::Standard(S::About), item(CHECK_UPDATES, "Check for Updates…", None)].into_iter().chain([
            Separator,
            Entry::Standard(S::Services),
            Separator,
        ]);
        let app = app.chain([S::Hide, S::HideOthers, S::ShowAll].map(Entry::Standard)).chain([Separator, Entry::Standard(S::Quit)]).collect();
        bar.push(Section { title: crate::PRODUCT, entries: app });
    }
    bar.push(Section { title: "File", entries: file });
    bar.push(Section { title: "Edit", entries: edit });
    bar.push(Section { title: "View", entries: view });
    if os == Os::MacOs {
        bar.push(Section { title: "Window", entries: vec![Entry::Standard(S::Minimize)] });
    }
    bar.push(Section { title: "Help", entries: help });
    bar
}

/// The action an item of ours asks of the UI; None for those handled in Rust.
pub fn action(id: &str) -> Option<MenuAction> {
    match id {
        NEW_EXPORT => Some(MenuAction::NewExport),
        OPEN_ZIP => Some(MenuAction::OpenZip),
        LIBRARY => Some(MenuAction::Library),
        FIND => Some(MenuAction::Find),
        EXPORT_AGAIN => Some(MenuAction::ExportAgain),
        CHECK_UPDATES => Some(MenuAction::CheckUpdates),
        _ => None,
    }
}

/// The UI's channel for menu actions; a reloaded window's new channel replaces the old one.
#[derive(Default)]
pub struct MenuChannel {
    channel: Mutex<Option<Channel<MenuAction>>>,
    zoom: Mutex<f64>,
}

impl MenuChannel {
    pub fn listen(&self, channel: Channel<MenuAction>) {
        *self.channel.lock().unwrap_or_else(|p| p.into_inner()) = Some(channel);
    }

    /// The zoom after `id` (one of the zoom items) from `current`: 10% steps between 50% and 300%.
    fn zoomed(current: f64, id: &str) -> f64 {
        let next = match id {
            ZOOM_IN => current + 0.1,
            ZOOM_OUT => current - 0.1,
            _ => 1.0,
        };
        (next.clamp(0.5, 3.0) * 10.0).round() / 10.0
    }
}

/// Builds the menu for this OS and handles its items.
pub fn install(app: &AppHandle) -> tauri::Result<()> {
    let sections = layout(Os::current());
    let mut submenus = Vec::with_capacity(sections.len());
    for section in &sections {
        let mut items: Vec<Box<dyn IsMenuItem<Wry>>> = Vec::with_capacity(section.entries.len());
        for entry in &section.entries {
            items.push(match *entry {
                Entry::Item { id, label, shortcut } => Box::new(MenuItem::with_id(app, id, label, true, shortcut)?),
                Entry::Separator => Box::new(PredefinedMenuItem::separator(app)?),
                Entry::Standard(standard) => Box::new(standard_item(app, standard)?),
            });
        }
        let refs: Vec<&dyn IsMenuItem<Wry>> = items.iter().map(|item| item.as_ref()).collect();
        submenus.push(Submenu::with_items(app, section.title, true, &refs)?);
    }
    let refs: Vec<&dyn IsMenuItem<Wry>> = submenus.iter().map(|submenu| submenu as &dyn IsMenuItem<Wry>).collect();
    app.set_menu(Menu::with_items(app, &refs)?)?;
    app.on_menu_event(|app, event| chosen(app, event.id().as_ref()));
    Ok(())
}

fn chosen(app: &AppHandle, id: &str) {
    let state = app.state::<std::sync::Arc<MenuChannel>>();
    if let Some(action) = action(id) {
        if let Some(channel) = state.channel.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            let _ = channel.send(action);
        }
        return;
    }
    match id {
        ZOOM_IN | ZOOM_OUT | ZOOM_RESET => {
            let mut zoom = state.zoom.lock().unwrap_or_else(|p| p.into_inner());
            *zoom = MenuChannel::zoomed(if *zoom == 0.0 { 1.0 } else { *zoom }, id);
            if let Some(window) = app.get_webview_window("main")
                && let Err(error) = window.set_zoom(*zoom)
            {
                tracing::warn!("could not zoom the window: {error}");
            }
        }
        LOGS_FOLDER => {
            use tauri_plugin_opener::OpenerExt;
            match app.path().app_log_dir() {
                Ok(dir) => {
                    let _ = std::fs::create_dir_all(&dir);
                    if let Err(error) = app.opener().open_path(dir.display().to_string(), None::<&str>) {
                        tracing::warn!("could not open the logs folder: {error}");
                    }
                }
                Err(error) => tracing::warn!("no logs folder: {error}"),
            }
        }
        _ => {}
    }
}

fn standard_item(app: &AppHandle, standard: Standard) -> tauri::Result<PredefinedMenuItem<Wry>> {
    match standard {
        Standard::About => {
            let about = AboutMetadata {
                name: Some(crate::PRODUCT.to_owned()),
                version: Some(app.package_info().version.to_string()),
                comments: Some("Exports, browses and compares AnnoLab instrument exports.".to_owned()),
                ..AboutMetadata::default()
            };
            PredefinedMenuItem::about(app, Some(&format!("About {}", crate::PRODUCT)), Some(about))
        }
        Standard::Services => PredefinedMenuItem::services(app, None),
        Standard::Hide => PredefinedMenuItem::hide(app, None),
        Standard::HideOthers => PredefinedMenuItem::hide_others(app, None),
        Standard::ShowAll => PredefinedMenuItem::show_all(app, None),
        Standard::Quit => PredefinedMenuItem::quit(app, None),
        Standard::Undo => PredefinedMenuItem::undo(app, None),
        Standard::Redo => PredefinedMenuItem::redo(app, None),
        Standard::Cut => PredefinedMenuItem::cut(app, None),
        Standard::Copy => PredefinedMenuItem::copy(app, None),
        Standard::Paste => PredefinedMenuItem::paste(app, None),
        Standard::SelectAll => PredefinedMenuItem::select_all(app, None),
        Standard::Minimize => PredefinedMenuItem::minimize(app, None),
        Standard::Fullscreen => PredefinedMenuItem::fullscreen(app, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn titles(os: Os) -> Vec<&'static str> {
        layout(os).iter().map(|s| s.title).collect()
    }

    fn ours(os: Os) -> Vec<(&'static str, Option<&'static str>)> {
        layout(os)
            .into_iter()
            .flat_map(|s| s.entries)
            .filter_map(|e| match e {
                Entry::Item { id, shortcut, .. } => Some((id, shortcut)),
                _ => None,
            })
            .collect()
    }

    fn place(os: Os, standard: Standard) -> Vec<&'static str> {
        layout(os).into_iter().filter(|s| s.entries.contains(&Entry::Standard(standard))).map(|s| s.title).collect()
    }

    #[test]
    fn each_os_gets_its_own_menu_bar() {
        assert_eq!(titles(Os::MacOs), [crate::PRODUCT, "File", "Edit", "View", "Window", "Help"]);
        assert_eq!(titles(Os::Windows), ["File", "Edit", "View", "Help"]);
        assert_eq!(titles(Os::Linux), ["File", "Edit", "View", "Help"]);
        assert_eq!(place(Os::MacOs, Standard::Quit), [crate::PRODUCT]);
        assert_eq!(place(Os::MacOs, Standard::About), [crate::PRODUCT]);
        for os in [Os::Windows, Os::Linux] {
            assert_eq!(place(os, Standard::Quit), ["File"]);
            assert_eq!(place(os, Standard::About), ["Help"]);
            assert!(place(os, Standard::Services).is_empty() && place(os, Standard::HideOthers).is_empty());
        }
        for os in [Os::MacOs, Os::Windows, Os::Linux] {
            assert_eq!(place(os, Standard::Copy), ["Edit"], "the web view's copy and paste need the Edit menu on macOS");
        }
    }

    #[test]
    fn every_item_is_there_once_with_the_shortcut_the_issue_names() {
        for os in [Os::MacOs, Os::Windows, Os::Linux] {
            let items = ours(os);
            let shortcut = |id: &str| items.iter().find(|(i, _)| *i == id).map(|(_, s)| *s);
            assert_eq!(shortcut(NEW_EXPORT), Some(Some("CmdOrCtrl+N")));
            assert_eq!(shortcut(OPEN_ZIP), Some(Some("CmdOrCtrl+O")));
            assert_eq!(shortcut(LIBRARY), Some(Some("CmdOrCtrl+L")));
            assert_eq!(shortcut(FIND), Some(Some("CmdOrCtrl+F")));
            assert!(shortcut(EXPORT_AGAIN).is_some() && shortcut(ZOOM_IN).is_some() && shortcut(LOGS_FOLDER).is_some() && shortcut(CHECK_UPDATES).is_some());
            let mut ids: Vec<_> = items.iter().map(|(id, _)| *id).collect();
            let mut shortcuts: Vec<_> = items.iter().filter_map(|(_, s)| *s).collect();
            let (n, m) = (ids.len(), shortcuts.len());
            ids.sort();
            ids.dedup();
            shortcuts.sort();
            shortcuts.dedup();
            assert_eq!((ids.len(), shortcuts.len()), (n, m), "an id or a shortcut twice on {os:?}");
        }
    }

    #[test]
    fn ui_items_become_actions_and_zoom_stays_in_bounds() {
        assert_eq!(action(OPEN_ZIP), Some(MenuAction::OpenZip));
        assert_eq!(action(ZOOM_IN), None);
        assert_eq!(MenuChannel::zoomed(1.0, ZOOM_IN), 1.1);
        assert_eq!(MenuChannel::zoomed(0.5, ZOOM_OUT), 0.5);
        assert_eq!(MenuChannel::zoomed(3.0, ZOOM_IN), 3.0);
        assert_eq!(MenuChannel::zoomed(1.7, ZOOM_RESET), 1.0);
    }
}
