//! What a person waits on in the app (Test key, Check project, the export form's suggestions)
//! answers within seconds against a server that is not there, in words that fit a check: which
//! host refused, never "the export can be resumed" after a minute of retries.
//!
//! Its own test binary, because it sets `ANNOLAB_API_KEY` for the whole process.

use std::sync::Arc;
use std::time::{Duration, Instant};

use annolab_workspace::DemoWorkspace;
use annolab_workspace::accounts::{Accounts, ProfileInput};
use annolab_workspace::settings::Settings;
use export_engine::profiles::KEY_ENV;
use export_engine::{Profile, Profiles};

/// Well inside a person's patience, and well under the export's policy (8 tries, about a minute).
const QUICK: Duration = Duration::from_secs(15);

#[tokio::test]
async fn the_apps_checks_against_a_refused_port_answer_within_seconds_naming_the_host() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let host = format!("127.0.0.1:{}", listener.local_addr().unwrap().port());
    drop(listener);
    let server = format!("http://{host}");

    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config");
    Profiles::new(&config).save(Profile::new("work", Some(server.clone()))).unwrap();
    // SAFETY: this test binary has one test, so no other thread reads the environment.
    unsafe { std::env::set_var(KEY_ENV, "interactive-test-key") };
    let settings = Arc::new(Settings::load(&config, home.path().join("library")));
    settings.remember("Owner Seen Before", "Project Seen Before").unwrap();
    let accounts = Accounts::new(Profiles::new(&config), settings, Arc::new(DemoWorkspace::new()));

    // Test key, with a key typed into the form.
    let started = Instant::now();
    let error = accounts.test(ProfileInput { name: "work".into(), server: server.clone(), key: Some("typed-key".into()) }).await.unwrap_err();
    assert!(started.elapsed() < QUICK, "Test key took {:?}", started.elapsed());
    assert_eq!(error.code.as_str(), "connection_refused", "{error:?}");
    assert_refused_in_words(&error.message, &host);

    // Check project, with the saved profile.
    let started = Instant::now();
    let error = accounts.check_project("work", "Some Owner", "Some Project").await.unwrap_err();
    assert!(started.elapsed() < QUICK, "Check project took {:?}", started.elapsed());
    assert_eq!(error.code.as_str(), "connection_refused", "{error:?}");
    assert_refused_in_words(&error.message, &host);

    // The suggestions never fail: the server's groups are missing, the recent owners are there.
    let started = Instant::now();
    let suggestions = accounts.suggestions("work").await;
    assert!(started.elapsed() < QUICK, "suggestions took {:?}", started.elapsed());
    assert_eq!(suggestions.owners, vec!["Owner Seen Before".to_owned()]);
}

fn assert_refused_in_words(message: &str, host: &str) {
    assert!(message.contains(host) && message.contains("refused the connection"), "{message}");
    assert!(!message.to_lowercase().contains("resume"), "a check is not an export: {message}");
    assert!(!message.contains("interactive-test-key") && !message.contains("typed-key"), "{message}");
}
