//! Profiles: a name and a server URL, stored without secrets in the platform config folder; the
//! API key of each lives only in the OS keychain (macOS Keychain, Windows Credential Manager,
//! Secret Service on Linux). `ANNOLAB_API_KEY` overrides the keychain, as the official SDK does.

use std::path::{Path, PathBuf};

use annolab_api::{ApiKey, DEFAULT_SERVER};
use serde::{Deserialize, Serialize};

use crate::error::EngineError;
use crate::fsutil::write_json_atomic;

pub const KEY_ENV: &str = "ANNOLAB_API_KEY";
const KEYCHAIN_SERVICE: &str = "ai.annolab.exporter";
pub const DEFAULT_PROFILE: &str = "default";
/// The built-in demo workspace's profile: no saved server, no key, in the app and the CLI.
pub const DEMO_PROFILE: &str = "demo";

/// `name` as a profile name both front ends accept: trimmed, not empty, not the demo's, at most
/// 64 characters without control characters.
pub fn profile_name(name: &str) -> Result<&str, EngineError> {
    let name = name.trim();
    let refuse = |reason: &str| Err(EngineError::InvalidProfileName { reason: reason.to_owned() });
    if name.is_empty() {
        return refuse("Give the profile a name, such as \"work\".");
    }
    if name.eq_ignore_ascii_case(DEMO_PROFILE) {
        return refuse("\"demo\" is the built-in demo workspace; choose another name.");
    }
    if name.chars().any(char::is_control) || name.chars().count() > 64 {
        return refuse("A profile name is at most 64 characters, without control characters.");
    }
    Ok(name)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub name: String,
    pub server: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct ProfileFile {
    #[serde(default)]
    profiles: Vec<Profile>,
    #[serde(default)]
    default: Option<String>,
}

/// The profiles file, `profiles.json` in the config folder.
#[derive(Debug, Clone)]
pub struct Profiles {
    path: PathBuf,
}

impl Profiles {
    pub fn new(config_dir: &Path) -> Self {
        Profiles { path: config_dir.join("profiles.json") }
    }

    /// `~/.config/annolab-exporter` on Linux, Application Support on macOS, `%APPDATA%` on Windows.
    pub fn default_dir() -> Option<PathBuf> {
        directories::ProjectDirs::from("ai", "annolab", "annolab-exporter").map(|d| d.config_dir().to_path_buf())
    }

    pub fn list(&self) -> Result<Vec<Profile>, EngineError> {
        Ok(self.read()?.profiles)
    }

    pub fn default_name(&self) -> Result<String, EngineError> {
        Ok(self.read()?.default.unwrap_or_else(|| DEFAULT_PROFILE.to_owned()))
    }

    pub fn get(&self, name: &str) -> Result<Option<Profile>, EngineError> {
        Ok(self.read()?.profiles.into_iter().find(|p| p.name == name))
    }

    /// Adds or updates a profile; the first one becomes the default.
    pub fn save(&self, profile: Profile) -> Result<(), EngineError> {
        let mut file = self.read()?;
        match file.profiles.iter_mut().find(|p| p.name == profile.name) {
            Some(existing) => *existing = profile,
            None => {
                if file.default.is_none() {
                    file.default = Some(profile.name.clone());
                }
                file.profiles.push(profile);
            }
        }
        self.write(&file)
    }

    pub fn remove(&self, name: &str) -> Result<bool, EngineError> {
        let mut file = self.read()?;
        let before = file.profiles.len();
        file.profiles.retain(|p| p.name != name);
        if file.default.as_deref() == Some(name) {
            file.default = file.profiles.first().map(|p| p.name.clone());
        }
        self.write(&file)?;
        Ok(file.profiles.len() != before)
    }

    fn read(&self) -> Result<ProfileFile, EngineError> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| EngineError::CorruptState { path: self.path.clone(), reason: e.to_string() }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ProfileFile::default()),
            Err(source) => Err(EngineError::Io { context: format!("could not read {}", self.path.display()), source }),
        }
    }

    fn write(&self, file: &ProfileFile) -> Result<(), EngineError> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(EngineError::io(format!("could not create {}", dir.display())))?;
        }
        write_json_atomic(&self.path, file)
    }
}

impl Profile {
    pub fn new(name: impl Into<String>, server: Option<String>) -> Self {
        Profile { name: name.into(), server: server.unwrap_or_else(|| DEFAULT_SERVER.to_owned()) }
    }
}

/// The OS keychain. Never falls back to a file or to memory: without a keychain, it says so.
#[derive(Debug, Clone, Copy, Default)]
pub struct Keychain;

impl Keychain {
    pub fn store(&self, profile: &str, key: &ApiKey) -> Result<(), EngineError> {
        entry(profile)?.set_password(key.expose()).map_err(keychain_error)
    }

    pub fn load(&self, profile: &str) -> Result<Option<ApiKey>, EngineError> {
        match entry(profile)?.get_password() {
            Ok(secret) => Ok(ApiKey::new(secret).ok()),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(keychain_error(e)),
        }
    }

    /// True when a key was there to delete.
    pub fn delete(&self, profile: &str) -> Result<bool, EngineError> {
        match entry(profile)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(keychain_error(e)),
        }
    }
}

fn entry(profile: &str) -> Result<keyring::Entry, EngineError> {
    keyring::Entry::new(KEYCHAIN_SERVICE, profile).map_err(keychain_error)
}

fn keychain_error(error: keyring::Error) -> EngineError {
    match error {
        keyring::Error::NoStorageAccess(e) => EngineError::KeychainLocked { reason: e.to_string() },
        keyring::Error::NoDefaultStore => EngineError::KeychainUnavailable { reason: "no Secret Service or keychain answered".to_owned() },
        other => EngineError::KeychainUnavailable { reason: other.to_string() },
    }
}

/// The key for `profile`: `ANNOLAB_API_KEY` when set, else the keychain's.
pub fn resolve_key(profile: &str, keychain: &Keychain) -> Result<ApiKey, EngineError> {
    if let Ok(key) = std::env::var(KEY_ENV)
        && !key.trim().is_empty()
    {
        return Ok(ApiKey::new(key)?);
    }
    keychain.load(profile)?.ok_or_else(|| EngineError::NoKey { profile: profile.to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_round_trip_without_secrets_and_the_first_is_default() {
        let dir = tempfile::tempdir().unwrap();
        let profiles = Profiles::new(dir.path());
        assert!(profiles.list().unwrap().is_empty());
        assert_eq!(profiles.default_name().unwrap(), "default");
        profiles.save(Profile::new("work", None)).unwrap();
        profiles.save(Profile::new("eu", Some("https://eu.example.com".into()))).unwrap();
        profiles.save(Profile::new("work", Some("https://api.annolab.ai".into()))).unwrap();
        assert_eq!(profiles.list().unwrap().len(), 2);
        assert_eq!(profiles.default_name().unwrap(), "work");
        assert!(profiles.remove("work").unwrap());
        assert_eq!(profiles.default_name().unwrap(), "eu");
        let text = std::fs::read_to_string(dir.path().join("profiles.json")).unwrap();
        assert!(!text.to_lowercase().contains("key"));
    }
}
