//! Updates against a local update server this test starts: up to date; a newer version found
//! with its notes, downloaded and its signature verified; and one signed by another key refused
//! with a clear message. The app runs on Tauri's mock runtime with the updater plugin configured
//! as `tauri.conf.json` configures it, with a key pair made here: the release key's private
//! half is never in the repository.

use std::io::Cursor;
use std::sync::Arc;

use annolab_exporter_lib::updates::{self, Pending};
use annolab_workspace::settings::Settings;
use base64::Engine as _;
use serde_json::{Value, json};
use tauri::test::MockRuntime;

const ARTIFACT: &[u8] = b"the next version's installer, as the release job would upload it";

/// A release key pair: the public half as `tauri.conf.json` holds it (base64 of the minisign
/// key file), and a way to sign as the release job does (base64 of the `.sig` file).
struct ReleaseKey(minisign::KeyPair);

impl ReleaseKey {
    fn new() -> Self {
        ReleaseKey(minisign::KeyPair::generate_unencrypted_keypair().unwrap())
    }

    fn public(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.0.pk.to_box().unwrap().to_string())
    }

    fn sign(&self, data: &[u8]) -> String {
        let signature = minisign::sign(Some(&self.0.pk), &self.0.sk, Cursor::new(data), Some("file:installer"), None).unwrap();
        base64::engine::general_purpose::STANDARD.encode(signature.to_string())
    }
}

/// Serves `latest` at /latest.json (204 when None, as an endpoint with nothing newer may) and
/// the installer at /installer; returns the base URL.
async fn update_server(latest: Option<Value>) -> String {
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    let latest = Arc::new(latest);
    let router = axum::Router::new()
        .route(
            "/latest.json",
            axum::routing::get(move || {
                let latest = Arc::clone(&latest);
                async move {
                    match latest.as_ref() {
                        Some(manifest) => axum::Json(manifest.clone()).into_response(),
                        None => StatusCode::NO_CONTENT.into_response(),
                    }
                }
            }),
        )
        .route("/installer", axum::routing::get(|| async { ARTIFACT }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    base
}

fn release(base: &str, version: &str, signature: String) -> Value {
    json!({"version": version, "notes": "Title packages open in the viewer.", "pub_date": "2026-12-07T09:00:00Z", "url": format!("{base}/installer"), "signature": signature})
}

/// The app (version 0.1.0) with the updater as the real one is set up, at `base`, trusting `key`.
fn app(base: &str, key: &ReleaseKey) -> tauri::App<MockRuntime> {
    let mut context = tauri::test::mock_context(tauri::test::noop_assets());
    context.config_mut().plugins.0.insert("updater".into(), json!({"pubkey": key.public(), "endpoints": [format!("{base}/latest.json")]}));
    tauri::test::mock_builder().plugin(tauri_plugin_updater::Builder::new().build()).build(context).unwrap()
}

fn settings() -> (tempfile::TempDir, Settings) {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings::load(dir.path(), dir.path().join("library"));
    (dir, settings)
}

#[tokio::test]
async fn an_app_that_is_current_is_told_so() {
    let key = ReleaseKey::new();
    let (_dir, settings) = settings();
    for latest in [None, Some(release("http://127.0.0.1:9", "0.1.0", key.sign(ARTIFACT)))] {
        let base = update_server(latest).await;
        let app = app(&base, &key);
        let check = updates::check(app.handle(), &settings, &Pending::default()).await.unwrap();
        assert_eq!((check.current.as_str(), check.update), ("0.1.0", None));
    }
    assert!(!settings.update_check_due(time::OffsetDateTime::now_utc()), "the check is recorded, so the daily one waits a day");
}

#[tokio::test]
async fn a_newer_version_is_offered_with_its_notes_and_its_download_verified() {
    let key = ReleaseKey::new();
    let installers = update_server(None).await;
    let base = update_server(Some(release(&installers, "0.2.0", key.sign(ARTIFACT)))).await;
    let app = app(&base, &key);
    let (_dir, settings) = settings();

    let check = updates::check(app.handle(), &settings, &Pending::default()).await.unwrap();
    let offer = check.update.expect("0.2.0 is newer than 0.1.0");
    assert_eq!((offer.version.as_str(), offer.notes.as_deref()), ("0.2.0", Some("Title packages open in the viewer.")));

    use tauri_plugin_updater::UpdaterExt;
    let update = app.updater().unwrap().check().await.unwrap().unwrap();
    assert_eq!(updates::download_verified(&update).await.unwrap(), ARTIFACT);
}

#[tokio::test]
async fn an_update_signed_by_another_key_is_refused_in_words() {
    let (ours, theirs) = (ReleaseKey::new(), ReleaseKey::new());
    let installers = update_server(None).await;
    let base = update_server(Some(release(&installers, "0.2.0", theirs.sign(ARTIFACT)))).await;
    let app = app(&base, &ours);

    use tauri_plugin_updater::UpdaterExt;
    let update = app.updater().unwrap().check().await.unwrap().expect("the release is offered: only its download is checked");
    let refused = updates::download_verified(&update).await.unwrap_err();
    assert_eq!(refused.code.as_str(), "update_signature_invalid");
    assert!(refused.message.contains("signature does not match") && refused.message.contains("not installed"), "{}", refused.message);

    // A signature that is not even base64 is refused the same way.
    let garbled = update_server(Some(release(&installers, "0.2.0", "not a signature".into()))).await;
    let app = self::app(&garbled, &ours);
    let update = app.updater().unwrap().check().await.unwrap().unwrap();
    assert_eq!(updates::download_verified(&update).await.unwrap_err().code.as_str(), "update_signature_invalid");
}
