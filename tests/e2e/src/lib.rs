//! Drives the real, built AnnoLab Exporter app through WebDriver, the way a person sees it.
//!
//! [`App::launch`] starts `tauri-driver` (which starts WebKitWebDriver, which starts the app) and
//! opens a session; [`App::close`] ends the session and stops the driver with SIGTERM, which is
//! what lets it stop WebKitWebDriver and the app too. The tests need an X display (run them under
//! `xvfb-run`, as `make test` does) and fail, never skip, when something is missing.

use std::net::{Ipv4Addr, SocketAddrV4, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

pub use fantoccini;

/// The running app with an open WebDriver session.
pub struct App {
    client: Client,
    driver: Driver,
}

impl App {
    /// Starts tauri-driver and opens a WebDriver session on the built app.
    ///
    /// Panics with what to do when the display, the driver or the app binary is missing.
    pub async fn launch() -> App {
        require_display();
        let app_binary = app_binary();
        let driver = Driver::start(&tauri_driver(), &scratch_dir());

        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), "wry".into());
        capabilities.insert(
            "tauri:options".into(),
            serde_json::json!({ "application": app_binary }),
        );
        let builder = ClientBuilder::rustls().map(|mut builder| {
            builder.capabilities(capabilities);
            builder
        });
        let client = match builder {
            Ok(builder) => builder.connect(&driver.url()).await,
            Err(err) => panic!("cannot set up the WebDriver client's TLS: {err}"),
        };
        match client {
            Ok(client) => App { client, driver },
            Err(err) => {
                drop(driver);
                panic!(
                    "tauri-driver could not open a session on {}: {err}",
                    app_binary.display()
                )
            }
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Waits up to `timeout` for the element matching `css` to show exactly `text`.
    pub async fn wait_for_text(
        &self,
        css: &str,
        text: &str,
        timeout: Duration,
    ) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        let mut last = String::from("<not found>");
        while Instant::now() < deadline {
            if let Ok(element) = self.client.find(Locator::Css(css)).await
                && let Ok(seen) = element.text().await
            {
                if seen.trim() == text {
                    return Ok(());
                }
                last = seen;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Err(format!(
            "`{css}` still shows {last:?} after {timeout:?}, expected {text:?}"
        ))
    }

    /// The trimmed text of the element matching `css`.
    pub async fn text(&self, css: &str) -> Result<String, String> {
        let element = self
            .client
            .find(Locator::Css(css))
            .await
            .map_err(|err| format!("no element `{css}`: {err}"))?;
        element
            .text()
            .await
            .map(|text| text.trim().to_owned())
            .map_err(|err| format!("cannot read `{css}`: {err}"))
    }

    /// Saves a PNG of the window's content under `target/e2e-screenshots/<name>.png`.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let dir = target_dir().join("e2e-screenshots");
        std::fs::create_dir_all(&dir).expect("create target/e2e-screenshots");
        let png = self.client.screenshot().await.expect("take a screenshot");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write the screenshot");
        path
    }

    /// Ends the session (so WebKitWebDriver closes the app) and stops tauri-driver.
    pub async fn close(self) {
        let App { client, driver } = self;
        if let Err(err) = client.close().await {
            eprintln!("closing the WebDriver session failed: {err}");
        }
        drop(driver);
    }
}

/// A running tauri-driver, stopped with SIGTERM when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start(program: &Path, scratch: &Path) -> Driver {
        let port = free_port();
        let native_port = free_port();
        // WebKit writes caches and settings under the XDG folders: keep them out of the user's.
        let xdg = |name: &str| {
            let dir = scratch.join(name);
            std::fs::create_dir_all(&dir).expect("create a scratch XDG folder");
            dir
        };
        let child = Command::new(program)
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .env("XDG_DATA_HOME", xdg("data"))
            .env("XDG_CONFIG_HOME", xdg("config"))
            .env("XDG_CACHE_HOME", xdg("cache"))
            .env("NO_AT_BRIDGE", "1")
            .stdin(Stdio::null())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot run {}: {err}", program.display()));
        let driver = Driver { child, port };
        driver.wait_until_listening(Duration::from_secs(20));
        driver
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn wait_until_listening(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        let addr = SocketAddrV4::new(Ipv4Addr::LOCALHOST, self.port).into();
        while Instant::now() < deadline {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "tauri-driver did not listen on port {} within {timeout:?}",
            self.port
        );
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // SIGTERM, not SIGKILL: tauri-driver then stops WebKitWebDriver and the app as well.
        #[cfg(unix)]
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        #[cfg(not(unix))]
        let _ = self.child.kill();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

fn scratch_dir() -> PathBuf {
    target_dir().join("e2e-xdg")
}

/// The app built with the `custom-protocol` feature (as `make test` builds it), or `ANNOLAB_APP`.
fn app_binary() -> PathBuf {
    let path = std::env::var_os("ANNOLAB_APP")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            target_dir()
                .join("debug")
                .join(format!("annolab-exporter{}", std::env::consts::EXE_SUFFIX))
        });
    assert!(
        path.is_file(),
        "the app binary {} is missing. Build it the way `make test` does: \
         `cargo test --workspace --features annolab-exporter/custom-protocol` builds it before \
         running this test (or set ANNOLAB_APP to a built app).",
        path.display()
    );
    std::fs::canonicalize(&path).unwrap_or(path)
}

/// tauri-driver from `TAURI_DRIVER`, the project's `.tools/bin` (where `make setup` installs it)
/// or `PATH`.
fn tauri_driver() -> PathBuf {
    if let Some(path) = std::env::var_os("TAURI_DRIVER") {
        return PathBuf::from(path);
    }
    let local = workspace_root().join(".tools/bin/tauri-driver");
    if local.is_file() {
        return local;
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("tauri-driver"))
            .find(|candidate| candidate.is_file())
    });
    on_path.unwrap_or_else(|| {
        panic!(
            "tauri-driver is not installed. Run `make setup` (it runs \
             `cargo install tauri-driver --locked --version '^2' --root .tools`)."
        )
    })
}

fn require_display() {
    let has_display = std::env::var_os("DISPLAY").is_some_and(|d| !d.is_empty())
        || std::env::var_os("WAYLAND_DISPLAY").is_some_and(|d| !d.is_empty());
    assert!(
        has_display,
        "no display: the end-to-end tests open a real window. Run them with `make test`, or wrap \
         the command in `dbus-run-session -- xvfb-run -a -s \"-screen 0 1280x800x24\" ...`."
    );
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("find a free loopback port")
}
