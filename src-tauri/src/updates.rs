//! Updates, with tauri-plugin-updater: releases are signed (minisign) and checked against the
//! public key in `tauri.conf.json` (`plugins.updater.pubkey`) before anything is installed; the
//! private key signs releases in CI and is never in the repository (docs/packaging.md). The app
//! looks once a day when the setting is on, and on "Check for Updates…"; the new version's notes
//! are shown, and nothing is installed until the user says so.

use std::sync::{Arc, Mutex};

use annolab_workspace::settings::Settings;
use annolab_workspace::{CommandError, WorkspaceErrorCode};
use serde::Serialize;
use tauri::{AppHandle, Runtime};
use tauri_plugin_updater::{Update, UpdaterExt};
use ts_rs::TS;

/// What a check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct UpdateCheck {
    /// The version running now.
    pub current: String,
    /// A newer version, if there is one.
    pub update: Option<UpdateOffer>,
}

/// A newer version, as its release describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct UpdateOffer {
    pub version: String,
    /// The release notes, shown before anything is installed.
    pub notes: Option<String>,
    /// When it was published (RFC 3339), if the release says.
    pub date: Option<String>,
}

/// The update settings as the Settings view shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct UpdateSettings {
    pub current: String,
    /// Look for a new version once a day.
    pub daily: bool,
}

/// The update the last check found, kept for "Install and restart".
#[derive(Default)]
pub struct Pending(Mutex<Option<Update>>);

impl Pending {
    fn keep(&self, update: Option<Update>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = update;
    }

    fn take(&self) -> Option<Update> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

/// Asks the update endpoint whether a newer version exists; keeps it in `pending`.
pub async fn check<R: Runtime>(app: &AppHandle<R>, settings: &Settings, pending: &Pending) -> Result<UpdateCheck, CommandError> {
    let found = app.updater().map_err(failure)?.check().await.map_err(failure)?;
    if let Err(error) = settings.record_update_check(time::OffsetDateTime::now_utc()) {
        tracing::warn!("could not record the update check: {error}");
    }
    let check = UpdateCheck { current: app.package_info().version.to_string(), update: found.as_ref().map(offer) };
    pending.keep(found);
    Ok(check)
}

/// The daily look: a check when one is due (on, and none in the last 24 hours), else nothing.
/// A failure is logged, not shown: the user did not ask. It is not recorded as a look, so the
/// next one (the UI asks hourly whether one is due) tries again.
pub async fn check_if_due<R: Runtime>(app: &AppHandle<R>, settings: &Settings, pending: &Pending) -> Option<UpdateCheck> {
    if !settings.update_check_due(time::OffsetDateTime::now_utc()) {
        return None;
    }
    match check(app, settings, pending).await {
        Ok(check) => Some(check),
        Err(error) => {
            tracing::info!("the daily update check failed: {}", error.message);
            None
        }
    }
}

/// Downloads the update the last check found, verifies its signature, installs it and
/// restarts the app; a signature that does not match is refused and nothing is installed.
pub async fn install<R: Runtime>(app: &AppHandle<R>, pending: &Arc<Pending>) -> Result<(), CommandError> {
    let Some(update) = pending.take() else {
        return Err(CommandError::new(WorkspaceErrorCode::UpdateFailed, "There is no update to install; check for updates first."));
    };
    update.download_and_install(|_, _| {}, || {}).await.map_err(failure)?;
    app.restart()
}

/// Downloads an update and verifies its signature without installing it: what [`install`]
/// does before it installs, for the tests.
pub async fn download_verified(update: &Update) -> Result<Vec<u8>, CommandError> {
    update.download(|_, _| {}, || {}).await.map_err(failure)
}

fn offer(update: &Update) -> UpdateOffer {
    UpdateOffer { version: update.version.clone(), notes: update.body.clone(), date: update.date.map(|d| d.to_string()) }
}

/// The updater's errors in words: a bad signature is named as such, never installed.
pub fn failure(error: tauri_plugin_updater::Error) -> CommandError {
    use tauri_plugin_updater::Error as E;
    match error {
        E::Minisign(_) | E::Base64(_) | E::SignatureUtf8(_) => CommandError::new(
            WorkspaceErrorCode::UpdateSignatureInvalid,
            "The update's signature does not match AnnoLab's release key, so it was not installed. Try again later; if it keeps happening, download the new version from AnnoLab instead.",
        ),
        E::ReleaseNotFound | E::Network(_) | E::Reqwest(_) => CommandError::new(
            WorkspaceErrorCode::UpdateFailed,
            format!("Could not reach the update server ({error}). Check the network connection and try again."),
        ),
        other => CommandError::new(WorkspaceErrorCode::UpdateFailed, format!("The update check failed: {other}.")),
    }
}
