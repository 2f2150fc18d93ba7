//! Profiles as the app shows them: the CLI's `profiles.json` (shared, so a profile made in one
//! is there in the other), keys in the OS keychain, and the built-in demo profile.
//!
//! A key crosses from the UI to Rust once, when it is saved or tested, and never goes back.

use std::sync::Arc;

use annolab_api::{ApiKey, Client, DEFAULT_SERVER, ServerUrl, Storage};
use export_engine::{Engine, EngineError, JobRecord, Keychain, Profile, Profiles, resolve_key};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::demo::DemoWorkspace;
use crate::error::{CommandError, WorkspaceError, WorkspaceErrorCode};
use crate::settings::Settings;

/// The built-in profile that talks to the embedded demo sandbox. A saved profile cannot take
/// this name.
pub use export_engine::DEMO_PROFILE;

/// A profile as listed: never with its key, only whether one is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProfileView {
    pub name: String,
    pub server: String,
    /// The built-in offline demo workspace.
    pub demo: bool,
    pub has_key: bool,
}

/// Every profile, the demo first, and the selected one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProfilesView {
    pub profiles: Vec<ProfileView>,
    pub selected: String,
}

/// What the profile form sends. `key` is absent when editing a profile without replacing its key.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProfileInput {
    pub name: String,
    pub server: String,
    #[serde(default)]
    pub key: Option<String>,
}

/// Owners and projects to suggest in the export form.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Suggestions {
    /// The key's groups first, then owners used recently.
    pub owners: Vec<String>,
    pub projects: Vec<String>,
}

/// A project the key can read.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProjectCheck {
    pub id: u64,
    pub name: String,
    pub owner: Option<String>,
}

/// What a key check found: the key's name, its permissions and the groups it sees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct KeyCheck {
    pub key_name: Option<String>,
    pub permissions: Vec<String>,
    pub groups: Vec<String>,
    /// False when the key lacks the Read permission that exports need.
    pub can_export: bool,
}

pub struct Accounts {
    profiles: Profiles,
    keychain: Keychain,
    settings: Arc<Settings>,
    demo: Arc<DemoWorkspace>,
}

impl Accounts {
    pub fn new(profiles: Profiles, settings: Arc<Settings>, demo: Arc<DemoWorkspace>) -> Self {
        Accounts { profiles, keychain: Keychain, settings, demo }
    }

    pub fn list(&self) -> Result<ProfilesView, CommandError> {
        let saved = self.profiles.list()?;
        let mut profiles = vec![ProfileView { name: DEMO_PROFILE.to_owned(), server: String::new(), demo: true, has_key: true }];
        profiles.extend(saved.iter().map(|profile| ProfileView {
            name: profile.name.clone(),
            server: profile.server.clone(),
            demo: false,
            // A keychain that cannot be read shows as "no key"; using the profile then says why.
            has_key: matches!(self.keychain.load(&profile.name), Ok(Some(_))),
        }));
        let selected = self.settings.selected_profile().filter(|name| profiles.iter().any(|p| &p.name == name)).unwrap_or_else(|| DEMO_PROFILE.to_owned());
        Ok(ProfilesView { profiles, selected })
    }

    /// Adds or updates a profile, stores its key (when given) in the keychain and selects it.
    pub fn save(&self, input: ProfileInput) -> Result<ProfilesView, CommandError> {
        let (name, server, key) = parse_input(&input)?;
        let existing = self.profiles.get(&name)?;
        match &key {
            Some(key) => self.keychain.store(&name, key)?,
            None if existing.is_none() => {
                return Err(invalid("Paste the API key for this profile.").on_field("key"));
            }
            None => {}
        }
        self.profiles.save(Profile::new(&name, Some(server.to_string())))?;
        self.settings.select_profile(&name)?;
        self.list()
    }

    /// Removes a profile and its key; the demo is selected if it was the selected one.
    pub fn remove(&self, name: &str) -> Result<ProfilesView, CommandError> {
        if name == DEMO_PROFILE {
            return Err(invalid("The demo workspace is built in and cannot be removed."));
        }
        self.profiles.remove(name)?;
        // A key the keychain cannot delete would be orphaned: say so rather than hide it.
        self.keychain.delete(name)?;
        if self.settings.selected_profile().as_deref() == Some(name) {
            self.settings.select_profile(DEMO_PROFILE)?;
        }
        self.list()
    }

    pub fn select(&self, name: &str) -> Result<ProfilesView, CommandError> {
        if name != DEMO_PROFILE && self.profiles.get(name)?.is_none() {
            return Err(CommandError::from(EngineError::ProfileNotFound { name: name.to_owned() }));
        }
        self.settings.select_profile(name)?;
        self.list()
    }

    /// Checks a key against its server: the typed key if given, else the profile's stored one.
    /// Like every check a person waits on here, it retries briefly ([`Client::interactive`]).
    pub async fn test(&self, input: ProfileInput) -> Result<KeyCheck, CommandError> {
        let client = if input.name == DEMO_PROFILE && input.key.is_none() {
            self.demo.client().await?
        } else {
            let (name, server, key) = parse_input(&input)?;
            let key = match key {
                Some(key) => key,
                None => resolve_key(&name, &self.keychain)?,
            };
            Client::new(server, key)?
        };
        let info = client.interactive()?.key_info().await?;
        let permissions: Vec<String> = info
            .extra
            .get("permissions")
            .and_then(|p| p.as_array())
            .map(|list| list.iter().filter_map(|p| p.as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        Ok(KeyCheck {
            key_name: info.extra.get("name").and_then(|n| n.as_str()).map(str::to_owned),
            can_export: permissions.iter().any(|p| p.eq_ignore_ascii_case("read")),
            permissions,
            groups: info.groups.into_iter().map(|g| g.group_name).collect(),
        })
    }

    /// A client for `profile`, the one path from a profile to a client in both front ends: the
    /// demo sandbox's for [`DEMO_PROFILE`]; otherwise `server` (a flag, or the server a job was
    /// made against), else the saved profile's, else the default server, with the profile's
    /// key (`ANNOLAB_API_KEY`, else the keychain). A profile that is not saved works with a key
    /// from the environment, as the official SDK does; without one it fails as having no key,
    /// which says how to add it.
    pub async fn client(&self, profile: &str, server: Option<&str>) -> Result<Client, WorkspaceError> {
        if profile == DEMO_PROFILE {
            return self.demo.client().await;
        }
        let saved = self.profiles.get(profile)?;
        let server = server.map(str::to_owned).or(saved.map(|p| p.server)).unwrap_or_else(|| DEFAULT_SERVER.to_owned());
        let key = resolve_key(profile, &self.keychain)?;
        Ok(Client::new(ServerUrl::parse(&server)?, key)?)
    }

    /// An engine for a new export with `profile`, writing into the library.
    pub async fn engine(&self, profile: &str, server: Option<&str>) -> Result<Engine, WorkspaceError> {
        let client = self.client(profile, server).await?;
        Ok(Engine::new(client, Storage::new()?, self.settings.library()))
    }

    /// The engine for a stored job, and the job ready to resume: the one resume rule. A job goes
    /// back to the server it was made against (where its status URL is); a demo job follows
    /// the demo server to wherever it runs now ([`DemoWorkspace::follow`]).
    pub async fn engine_for_job(&self, mut job: JobRecord) -> Result<(Engine, JobRecord), WorkspaceError> {
        let profile = job.profile.clone().unwrap_or_else(|| DEMO_PROFILE.to_owned());
        let engine = if profile == DEMO_PROFILE {
            self.demo.follow(&mut job).await?;
            self.engine(&profile, None).await?
        } else {
            let server = job.server.clone();
            self.engine(&profile, Some(&server)).await?
        };
        Ok((engine, job))
    }

    /// Owners and projects to suggest in the export form: the key's groups first, then the
    /// owners used recently.
    pub async fn suggestions(&self, profile: &str) -> Suggestions {
        let mut owners: Vec<String> = match self.client(profile, None).await {
            // Suggestions only: an unreachable server or a bad key leaves just the recent ones.
            Ok(client) => match client.interactive() {
                Ok(client) => client.key_info().await.map(|info| info.groups.into_iter().map(|g| g.group_name).collect()).unwrap_or_default(),
                Err(_) => Vec::new(),
            },
            Err(_) => Vec::new(),
        };
        for owner in self.settings.recent_owners() {
            if !owners.contains(&owner) {
                owners.push(owner);
            }
        }
        Suggestions { owners, projects: self.settings.recent_projects() }
    }

    /// The project `owner`/`project` as the profile's key sees it.
    pub async fn check_project(&self, profile: &str, owner: &str, project: &str) -> Result<ProjectCheck, CommandError> {
        let found = self.client(profile, None).await?.interactive()?.project(owner.trim(), project.trim()).await?;
        Ok(ProjectCheck { id: found.id, name: found.name, owner: found.group_name })
    }

    pub fn demo(&self) -> &DemoWorkspace {
        &self.demo
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }
}

fn parse_input(input: &ProfileInput) -> Result<(String, ServerUrl, Option<ApiKey>), CommandError> {
    let name = export_engine::profile_name(&input.name).map_err(|e| invalid(&e.to_string()).on_field("name"))?;
    let server = match input.server.trim() {
        "" => DEFAULT_SERVER,
        text => text,
    };
    let server = ServerUrl::parse(server).map_err(|e| CommandError::from(e).on_field("server"))?;
    let key = match input.key.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(ApiKey::new(text).map_err(|e| CommandError::from(e).on_field("key"))?),
    };
    Ok((name.to_owned(), server, key))
}

fn invalid(message: &str) -> CommandError {
    CommandError::new(WorkspaceErrorCode::InvalidProfile, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(name: &str, server: &str, key: Option<&str>) -> ProfileInput {
        ProfileInput { name: name.into(), server: server.into(), key: key.map(Into::into) }
    }

    #[test]
    fn profile_input_is_checked_field_by_field() {
        let field = |i: ProfileInput| parse_input(&i).unwrap_err().field.unwrap();
        assert_eq!(field(input(" ", "", None)), "name");
        assert_eq!(field(input("Demo", "", None)), "name");
        assert_eq!(field(input("work", "ftp://example.com", None)), "server");
        assert_eq!(field(input("work", "http://example.com", None)), "server");
        assert_eq!(field(input("work", "", Some("two words"))), "key");

        let (name, server, key) = parse_input(&input(" work ", "", Some(" k3y "))).unwrap();
        assert_eq!(name, "work");
        assert_eq!(server.as_str(), ServerUrl::parse(DEFAULT_SERVER).unwrap().as_str());
        assert_eq!(key.unwrap().expose(), "k3y");
    }
}
