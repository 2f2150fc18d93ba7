//! The app's own settings, `settings.json` beside the CLI's `profiles.json`: which profile is
//! selected, where the library is, the owners and projects used recently (for suggestions), and
//! the preferences of the Settings tab ([`Preferences`]). No secrets live here.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use export_engine::{EngineError, Library, write_json_atomic};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{CommandError, WorkspaceErrorCode};

/// How many recent owners and projects are remembered.
const RECENT: usize = 8;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SettingsFile {
    #[serde(default)]
    selected_profile: Option<String>,
    #[serde(default)]
    library_root: Option<PathBuf>,
    #[serde(default)]
    recent_owners: Vec<String>,
    #[serde(default)]
    recent_projects: Vec<String>,
    /// How many simulated weeks the demo project has moved on ("Simulate a week of new records").
    #[serde(default)]
    demo_week: u32,
    /// Whether the app looks for a new version once a day (on unless turned off).
    #[serde(default = "on")]
    check_updates: bool,
    /// When it last looked (UTC, RFC 3339).
    #[serde(default)]
    last_update_check: Option<String>,
    /// Whether an export that ends while the window is not in front is told by the OS.
    #[serde(default = "on")]
    notifications: bool,
    #[serde(default)]
    theme: Theme,
    #[serde(default = "default_exports_at_once")]
    exports_at_once: u32,
}

/// How many exports work at once unless the user chose otherwise: enough to overlap one's
/// download with another's extraction, few enough not to starve the machine or the server.
pub const DEFAULT_EXPORTS_AT_ONCE: u32 = 3;
/// The most the Settings tab offers: beyond it a laptop's disk and the API's rate limits
/// make each export slower rather than the whole faster.
pub const MAX_EXPORTS_AT_ONCE: u32 = 6;

fn default_exports_at_once() -> u32 {
    DEFAULT_EXPORTS_AT_ONCE
}

/// The app's colours: the OS's choice, or always light or dark.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

/// What the Settings tab shows and changes, besides the library's folder and updates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Preferences {
    /// Tell the OS when an export ends while the window is not in front.
    pub notifications: bool,
    pub theme: Theme,
    /// How many exports work at once (1 to [`MAX_EXPORTS_AT_ONCE`]); more wait their turn.
    pub exports_at_once: u32,
}

fn on() -> bool {
    true
}

impl Default for SettingsFile {
    fn default() -> Self {
        SettingsFile {
            selected_profile: None,
            library_root: None,
            recent_owners: Vec::new(),
            recent_projects: Vec::new(),
            demo_week: 0,
            check_updates: true,
            last_update_check: None,
            notifications: true,
            theme: Theme::System,
            exports_at_once: DEFAULT_EXPORTS_AT_ONCE,
        }
    }
}

/// The settings file, read once and written through on every change.
#[derive(Debug)]
pub struct Settings {
    path: PathBuf,
    file: Mutex<SettingsFile>,
    default_library: PathBuf,
    /// A library named for this run only (the CLI's `--library`), not saved.
    library_override: Option<PathBuf>,
}

impl Settings {
    /// Reads `settings.json` from `config_dir`. A damaged file is set aside (renamed to
    /// `settings.json.damaged`) rather than failing the app: the settings are conveniences.
    pub fn load(config_dir: &Path, default_library: PathBuf) -> Self {
        let path = config_dir.join("settings.json");
        let file = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|error| {
                tracing::warn!("settings.json is damaged ({error}); starting from defaults");
                let _ = std::fs::rename(&path, path.with_extension("json.damaged"));
                SettingsFile::default()
            }),
            Err(_) => SettingsFile::default(),
        };
        Settings { path, file: Mutex::new(file), default_library, library_override: None }
    }

    pub fn selected_profile(&self) -> Option<String> {
        self.read().selected_profile.clone()
    }

    pub fn select_profile(&self, name: &str) -> Result<(), EngineError> {
        self.update(|file| file.selected_profile = Some(name.to_owned()))
    }

    /// Uses `root` as the library for as long as these settings live, without saving it.
    pub fn with_library(mut self, root: PathBuf) -> Self {
        self.library_override = Some(root);
        self
    }

    /// The library: the one named for this run, else the one chosen in the app ("Change
    /// folder…"), else the default. Both front ends read it here, so the CLI finds the exports
    /// the app made after the user moved the library.
    pub fn library(&self) -> Library {
        let root = self.library_override.clone().or_else(|| self.read().library_root.clone());
        Library::new(root.unwrap_or_else(|| self.default_library.clone()))
    }

    pub fn set_library_root(&self, root: PathBuf) -> Result<(), EngineError> {
        self.update(|file| file.library_root = Some(root))
    }

    pub fn recent_owners(&self) -> Vec<String> {
        self.read().recent_owners.clone()
    }

    pub fn recent_projects(&self) -> Vec<String> {
        self.read().recent_projects.clone()
    }

    /// Puts `owner` and `project` first in the recent lists.
    pub fn remember(&self, owner: &str, project: &str) -> Result<(), EngineError> {
        self.update(|file| {
            push_recent(&mut file.recent_owners, owner);
            push_recent(&mut file.recent_projects, project);
        })
    }

    pub fn check_updates(&self) -> bool {
        self.read().check_updates
    }

    pub fn set_check_updates(&self, on: bool) -> Result<(), EngineError> {
        self.update(|file| file.check_updates = on)
    }

    /// Whether the daily look for a new version is due at `now`: on, and not done in the last
    /// 24 hours (a clock set back, or a time that cannot be read, makes it due).
    pub fn update_check_due(&self, now: time::OffsetDateTime) -> bool {
        let file = self.read();
        let last = file.last_update_check.as_deref().and_then(|t| time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok());
        file.check_updates && last.is_none_or(|last| now - last >= time::Duration::hours(24) || last > now)
    }

    pub fn record_update_check(&self, now: time::OffsetDateTime) -> Result<(), EngineError> {
        let at = now.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
        self.update(|file| file.last_update_check = Some(at))
    }

    pub fn preferences(&self) -> Preferences {
        let file = self.read();
        // A hand-edited file with a number out of range counts as the nearest allowed one.
        Preferences { notifications: file.notifications, theme: file.theme, exports_at_once: file.exports_at_once.clamp(1, MAX_EXPORTS_AT_ONCE) }
    }

    /// Saves `preferences`; a number of exports out of range is refused, naming the range.
    pub fn set_preferences(&self, preferences: &Preferences) -> Result<Preferences, CommandError> {
        if !(1..=MAX_EXPORTS_AT_ONCE).contains(&preferences.exports_at_once) {
            return Err(CommandError::new(
                WorkspaceErrorCode::SettingOutOfRange,
                format!("Between 1 and {MAX_EXPORTS_AT_ONCE} exports can run at once; {} is not possible.", preferences.exports_at_once),
            )
            .on_field("exportsAtOnce"));
        }
        self.update(|file| {
            file.notifications = preferences.notifications;
            file.theme = preferences.theme;
            file.exports_at_once = preferences.exports_at_once;
        })?;
        Ok(self.preferences())
    }

    pub fn notifications(&self) -> bool {
        self.read().notifications
    }

    pub fn demo_week(&self) -> u32 {
        self.read().demo_week
    }

    pub fn set_demo_week(&self, week: u32) -> Result<(), EngineError> {
        self.update(|file| file.demo_week = week)
    }

    fn read(&self) -> std::sync::MutexGuard<'_, SettingsFile> {
        self.file.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn update(&self, change: impl FnOnce(&mut SettingsFile)) -> Result<(), EngineError> {
        let mut file = self.read();
        change(&mut file);
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(EngineError::io(format!("could not create {}", dir.display())))?;
        }
        write_json_atomic(&self.path, &*file)
    }
}

fn push_recent(list: &mut Vec<String>, value: &str) {
    list.retain(|existing| existing != value);
    list.insert(0, value.to_owned());
    list.truncate(RECENT);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_owners_and_projects_are_newest_first_without_repeats() {
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings::load(dir.path(), dir.path().join("library"));
        settings.remember("Acme Title", "Hangar 9").unwrap();
        settings.remember("Group Name owning project", "Example Project Name").unwrap();
        settings.remember("Acme Title", "Hangar 9").unwrap();

        let again = Settings::load(dir.path(), dir.path().join("library"));
        assert_eq!(again.recent_owners(), ["Acme Title", "Group Name owning project"]);
        assert_eq!(again.recent_projects(), ["Hangar 9", "Example Project Name"]);
    }

    #[test]
    fn a_damaged_settings_file_is_set_aside_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("settings.json"), b"{ not json").unwrap();
        let settings = Settings::load(dir.path(), dir.path().join("library"));
        assert_eq!(settings.selected_profile(), None);
        assert_eq!(settings.library().root(), dir.path().join("library"));
        assert!(dir.path().join("settings.json.damaged").exists());
    }

    #[test]
    fn the_library_is_the_one_named_for_this_run_then_the_chosen_one_then_the_default() {
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings::load(dir.path(), dir.path().join("default"));
        assert_eq!(settings.library().root(), dir.path().join("default"));
        settings.set_library_root(dir.path().join("chosen")).unwrap();
        assert_eq!(Settings::load(dir.path(), dir.path().join("default")).library().root(), dir.path().join("chosen"));

        let named = Settings::load(dir.path(), dir.path().join("default")).with_library(dir.path().join("flag"));
        assert_eq!(named.library().root(), dir.path().join("flag"));
        assert_eq!(Settings::load(dir.path(), dir.path().join("default")).library().root(), dir.path().join("chosen"), "the flag is not saved");
    }

    #[test]
    fn preferences_are_kept_and_a_number_of_exports_out_of_range_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings::load(dir.path(), dir.path().join("library"));
        assert_eq!(settings.preferences(), Preferences { notifications: true, theme: Theme::System, exports_at_once: DEFAULT_EXPORTS_AT_ONCE });
        let chosen = Preferences { notifications: false, theme: Theme::Dark, exports_at_once: 1 };
        assert_eq!(settings.set_preferences(&chosen).unwrap(), chosen);
        assert_eq!(Settings::load(dir.path(), dir.path().join("library")).preferences(), chosen, "saved");

        for wrong in [0, MAX_EXPORTS_AT_ONCE + 1] {
            let error = settings.set_preferences(&Preferences { exports_at_once: wrong, ..chosen.clone() }).unwrap_err();
            assert_eq!(error.code.as_str(), "setting_out_of_range");
            assert!(error.message.contains(&format!("Between 1 and {MAX_EXPORTS_AT_ONCE}")), "{}", error.message);
        }
        assert_eq!(settings.preferences(), chosen, "a refused change changes nothing");
    }

    #[test]
    fn settings_written_before_the_preferences_existed_read_as_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("settings.json"), br#"{"selectedProfile": "work", "checkUpdates": false}"#).unwrap();
        let settings = Settings::load(dir.path(), dir.path().join("library"));
        assert_eq!(settings.selected_profile().as_deref(), Some("work"));
        assert!(settings.notifications());
        assert_eq!(settings.preferences().exports_at_once, DEFAULT_EXPORTS_AT_ONCE);
    }

    #[test]
    fn updates_are_looked_for_once_a_day_unless_turned_off() {
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings::load(dir.path(), dir.path().join("library"));
        let now = time::macros::datetime!(2026-12-07 10:00 UTC);
        assert!(settings.check_updates() && settings.update_check_due(now), "on, and never looked");
        settings.record_update_check(now).unwrap();
        let again = Settings::load(dir.path(), dir.path().join("library"));
        assert!(!again.update_check_due(now + time::Duration::hours(23)));
        assert!(again.update_check_due(now + time::Duration::hours(24)));
        assert!(again.update_check_due(now - time::Duration::hours(1)), "a clock set back does not stop the checks");
        again.set_check_updates(false).unwrap();
        assert!(!Settings::load(dir.path(), dir.path().join("library")).update_check_due(now + time::Duration::days(9)));
    }
}
