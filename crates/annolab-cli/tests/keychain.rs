//! The API key through the real OS keychain: `login` stores it, exports use it, `logout`
//! removes it. `make test` runs this with a private, unlocked GNOME Keyring
//! (scripts/with-keyring.sh); without a Secret Service it fails, and says why.

use std::io::Write;
use std::process::{Command, Stdio};

// Linux only: on a macOS runner an unsigned test binary's first keychain access asks the user
// (nobody answers), and Windows' Credential Manager is not the Secret Service this test sets up.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread")]
async fn login_export_and_logout_through_the_secret_service() {
    let key = format!("sk-live-{:x}", std::process::id() as u64 * 7_919);
    let sandbox = test_support::instant_sandbox(&key, |_| {}).await;
    let home = tempfile::tempdir().unwrap();
    let profile = format!("keychain-test-{}", std::process::id());
    let cli = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_annolab-export"));
        command
            .env("ANNOLAB_EXPORT_LIBRARY", home.path().join("library"))
            .env("ANNOLAB_EXPORT_CONFIG", home.path().join("config"))
            .env_remove("ANNOLAB_API_KEY")
            .args(["--profile", &profile]);
        command
    };

    let mut login = cli().args(["--server", &sandbox.api_url(), "login"]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    login.stdin.take().unwrap().write_all(format!("{key}\n").as_bytes()).unwrap();
    let login = login.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&login.stderr);
    assert!(login.status.success(), "login failed (a Secret Service must be running and unlocked: `make test` provides one): {said}");
    assert!(said.contains("Saved it in the keychain") && said.contains("Group Name owning project"), "{said}");

    let profiles = cli().arg("profiles").output().unwrap();
    assert!(String::from_utf8_lossy(&profiles.stdout).contains("key in keychain"));

    // The export finds the key in the keychain: none is in the environment.
    let export =
        cli().args(["export", "--owner", "Group Name owning project", "--project", "Example Project Name", "--source", "Test_PDF.pdf"]).output().unwrap();
    assert!(export.status.success(), "{}", String::from_utf8_lossy(&export.stderr));

    let config = std::fs::read_to_string(home.path().join("config/profiles.json")).unwrap();
    assert!(config.contains(&sandbox.api_url()) && !config.contains(&key), "profiles.json holds the server, never the key");

    let logout = cli().arg("logout").output().unwrap();
    assert!(String::from_utf8_lossy(&logout.stderr).contains("Removed the key"));
    let after = cli().args(["export", "--owner", "Group Name owning project", "--project", "Example Project Name"]).output().unwrap();
    assert_eq!(after.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&after.stderr).contains("No API key is stored for profile"));
}
