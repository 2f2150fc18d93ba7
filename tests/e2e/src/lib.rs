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

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};

pub use fantoccini;

pub mod journey;

/// The running app with an open WebDriver session.
pub struct App {
    client: Client,
    driver: Driver,
    home: PathBuf,
}

/// How to start the app: in which scratch home (its XDG folders: config, library, logs,
/// WebKit's caches) and with which extra environment.
#[derive(Debug, Clone)]
pub struct Launch {
    /// A folder name under `target/e2e-xdg/`; each journey has its own.
    pub home: String,
    /// Start from an empty home (a first launch), or keep what an earlier launch left.
    pub fresh: bool,
    pub env: Vec<(String, String)>,
}

impl Launch {
    /// A first launch in its own empty home.
    pub fn fresh(home: &str) -> Launch {
        Launch { home: home.to_owned(), fresh: true, env: Vec::new() }
    }

    /// The demo sandbox misbehaves as `faults` says (`;`-separated, the sandbox's syntax).
    pub fn with_demo_faults(mut self, faults: &str) -> Launch {
        self.env.push(("ANNOLAB_DEMO_FAULTS".to_owned(), faults.to_owned()));
        self
    }

    /// Launches again in the same home, as a user reopening the app.
    pub fn again(&self) -> Launch {
        Launch { home: self.home.clone(), fresh: false, env: Vec::new() }
    }
}

impl App {
    /// Starts tauri-driver and opens a WebDriver session on the built app, in a fresh home.
    ///
    /// Panics with what to do when the display, the driver or the app binary is missing.
    pub async fn launch() -> App {
        App::launch_with(Launch::fresh("home")).await
    }

    pub async fn launch_with(launch: Launch) -> App {
        require_display();
        let app_binary = app_binary();
        let home = scratch_dir().join(&launch.home);
        if launch.fresh {
            let _ = std::fs::remove_dir_all(&home);
        }
        wait_until_app_gone(&app_binary);
        let driver = Driver::start(&tauri_driver(), &home, &launch.env);

        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), "wry".into());
        capabilities.insert("tauri:options".into(), serde_json::json!({ "application": app_binary }));
        let builder = ClientBuilder::rustls().map(|mut builder| {
            builder.capabilities(capabilities);
            builder
        });
        // An app that quits at once (it handed over to another instance, or could not start)
        // leaves WebKitWebDriver waiting for it forever: bound the wait, and say so.
        let client = match builder {
            Ok(builder) => tokio::time::timeout(SESSION_TIMEOUT, builder.connect(&driver.url())).await,
            Err(err) => panic!("cannot set up the WebDriver client's TLS: {err}"),
        };
        match client {
            Ok(Ok(client)) => App { client, driver, home },
            Ok(Err(err)) => {
                drop(driver);
                panic!("tauri-driver could not open a session on {}: {err}", app_binary.display())
            }
            Err(_) => {
                drop(driver);
                panic!(
                    "tauri-driver opened no session on {} within {SESSION_TIMEOUT:?}: the app quit or hung at start (see its output above)",
                    app_binary.display()
                )
            }
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The app's scratch home: its XDG config, data (library, logs) and cache folders.
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// The element matching `css`, waiting up to 30 s for it to appear.
    pub async fn find(&self, css: &str) -> Result<Element, String> {
        let locator = Locator::Css(css);
        self.client.wait().at_most(Duration::from_secs(30)).for_element(locator).await.map_err(|err| format!("no element `{css}` after 30 s: {err}"))
    }

    pub async fn click(&self, css: &str) -> Result<(), String> {
        self.find(css).await?.click().await.map_err(|err| format!("cannot click `{css}`: {err}"))
    }

    /// Replaces the text of the input matching `css`.
    pub async fn fill(&self, css: &str, text: &str) -> Result<(), String> {
        let input = self.find(css).await?;
        if text.is_empty() {
            // Emptied as a person would (select all, delete): the page hears an input event.
            let element = serde_json::to_value(&input).map_err(|e| e.to_string())?;
            let script = "arguments[0].value = ''; arguments[0].dispatchEvent(new Event('input', {bubbles: true}));";
            return self.client.execute(script, vec![element]).await.map(drop).map_err(|err| format!("cannot empty `{css}`: {err}"));
        }
        input.clear().await.map_err(|err| format!("cannot clear `{css}`: {err}"))?;
        input.send_keys(text).await.map_err(|err| format!("cannot type into `{css}`: {err}"))
    }

    /// Types `text` and Enter into the input matching `css` (a chip input adds a chip).
    pub async fn type_and_enter(&self, css: &str, text: &str) -> Result<(), String> {
        let enter: char = fantoccini::key::Key::Enter.into();
        let input = self.find(css).await?;
        input.send_keys(&format!("{text}{enter}")).await.map_err(|err| format!("cannot type into `{css}`: {err}"))
    }

    /// Chooses `value` in the `<select>` matching `css`, as a person picking it would (the
    /// element's change event fires).
    pub async fn choose(&self, css: &str, value: &str) -> Result<(), String> {
        let select = self.find(css).await?;
        let element = serde_json::to_value(&select).map_err(|e| e.to_string())?;
        self.client
            .execute(
                "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('change', {bubbles: true}));",
                vec![element, serde_json::Value::String(value.to_owned())],
            )
            .await
            .map(drop)
            .map_err(|e| format!("cannot choose {value:?} in `{css}`: {e}"))
    }

    /// Runs `script` (a function body; `arguments[0]` is the element matching `css`) and
    /// returns what it returns.
    pub async fn eval_on(&self, css: &str, script: &str) -> Result<serde_json::Value, String> {
        let element = self.find(css).await?;
        let element = serde_json::to_value(&element).map_err(|e| e.to_string())?;
        self.client.execute(script, vec![element]).await.map_err(|e| format!("script on `{css}` failed: {e}"))
    }

    /// The attribute `name` of the element matching `css`, if both exist.
    pub async fn attr(&self, css: &str, name: &str) -> Option<String> {
        let element = self.client.find(Locator::Css(css)).await.ok()?;
        element.attr(name).await.ok().flatten()
    }

    /// How many elements match `css` now.
    pub async fn count(&self, css: &str) -> usize {
        self.client.find_all(Locator::Css(css)).await.map_or(0, |all| all.len())
    }

    /// Waits up to `timeout` for the attribute `name` of `css` to be `value`.
    pub async fn wait_for_attr(&self, css: &str, name: &str, value: &str, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        let mut last = None;
        while Instant::now() < deadline {
            last = self.attr(css, name).await;
            if last.as_deref() == Some(value) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(format!("`{css}` has {name}={last:?} after {timeout:?}, expected {value:?}"))
    }

    /// Waits up to `timeout` for the element matching `css` to show exactly `text`.
    pub async fn wait_for_text(&self, css: &str, text: &str, timeout: Duration) -> Result<(), String> {
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
        Err(format!("`{css}` still shows {last:?} after {timeout:?}, expected {text:?}"))
    }

    /// Waits up to `timeout` for the window to be on screen: the app creates it hidden and shows
    /// it once its page has loaded, and WebKit calls a page hidden while its window is.
    pub async fn wait_until_shown(&self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        let mut last = serde_json::Value::Null;
        while Instant::now() < deadline {
            if let Ok(seen) = self.client.execute("return document.visibilityState;", vec![]).await {
                if seen == "visible" {
                    return Ok(());
                }
                last = seen;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(format!("the window was not shown within {timeout:?}: the page's visibility is {last}"))
    }

    /// Waits up to `timeout` for the element matching `css` to show text containing `part`.
    pub async fn wait_for_text_containing(&self, css: &str, part: &str, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        let mut last = String::from("<not found>");
        while Instant::now() < deadline {
            if let Ok(seen) = self.text(css).await {
                if seen.contains(part) {
                    return Ok(());
                }
                last = seen;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Err(format!("`{css}` shows {last:?} after {timeout:?}, expected it to contain {part:?}"))
    }

    /// The trimmed text of the element matching `css`, waiting up to 30 s for it to appear.
    pub async fn text(&self, css: &str) -> Result<String, String> {
        let element = self.find(css).await?;
        element.text().await.map(|text| text.trim().to_owned()).map_err(|err| format!("cannot read `{css}`: {err}"))
    }

    /// Saves a PNG of the window's content under `target/e2e-screenshots/<name>.png`.
    ///
    /// Without a GPU the app has WebKit paint without compositing (src-tauri/src/painting.rs).
    /// There WebKitWebDriver answers a screenshot only after the page paints something, so on
    /// an idle page it waits forever. A pixel in the bottom-right corner changes its shade each
    /// frame while the screenshot is taken, and is removed after.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let dir = target_dir().join("e2e-screenshots");
        std::fs::create_dir_all(&dir).expect("create target/e2e-screenshots");
        let keep_painting = r#"
            const pixel = document.createElement('div');
            pixel.id = 'e2e-screenshot-pixel';
            pixel.style.cssText = 'position:fixed;right:0;bottom:0;width:1px;height:1px;pointer-events:none;z-index:2147483647';
            document.body.append(pixel);
            let shade = 0;
            const paint = () => {
              if (!pixel.isConnected) return;
              shade ^= 1;
              pixel.style.background = shade ? 'rgba(0,0,0,0.02)' : 'rgba(0,0,0,0.03)';
              requestAnimationFrame(paint);
            };
            paint();
        "#;
        self.client.execute(keep_painting, vec![]).await.expect("start painting for the screenshot");
        let png = self.client.screenshot().await.expect("take a screenshot");
        let _ = self.client.execute("document.getElementById('e2e-screenshot-pixel')?.remove();", vec![]).await;
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write the screenshot");
        path
    }

    /// Ends the session (so WebKitWebDriver closes the app) and stops tauri-driver.
    pub async fn close(self) {
        let App { client, driver, .. } = self;
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
    fn start(program: &Path, scratch: &Path, env: &[(String, String)]) -> Driver {
        let port = free_port();
        let native_port = free_port();
        // WebKit writes caches and settings under the XDG folders: keep them out of the user's.
        let xdg = |name: &str| {
            let dir = scratch.join(name);
            std::fs::create_dir_all(&dir).expect("create a scratch XDG folder");
            dir
        };
        let child = Command::new(program)
            .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
            .env("XDG_DATA_HOME", xdg("data"))
            .env("XDG_CONFIG_HOME", xdg("config"))
            .env("XDG_CACHE_HOME", xdg("cache"))
            .env("NO_AT_BRIDGE", "1")
            .envs(env.iter().map(|(k, v)| (k, v)))
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
        panic!("tauri-driver did not listen on port {} within {timeout:?}", self.port);
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // SIGTERM, not SIGKILL: tauri-driver then stops WebKitWebDriver and the app as well.
        #[cfg(unix)]
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
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
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| workspace_root().join("target"))
}

fn scratch_dir() -> PathBuf {
    target_dir().join("e2e-xdg")
}

/// The app built with the `custom-protocol` feature (as `make test` builds it), or `ANNOLAB_APP`.
pub fn app_binary() -> PathBuf {
    let path = std::env::var_os("ANNOLAB_APP")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("debug").join(format!("annolab-exporter{}", std::env::consts::EXE_SUFFIX)));
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
    let on_path =
        std::env::var_os("PATH").and_then(|paths| std::env::split_paths(&paths).map(|dir| dir.join("tauri-driver")).find(|candidate| candidate.is_file()));
    on_path.unwrap_or_else(|| {
        panic!(
            "tauri-driver is not installed. Run `make setup` (it runs \
             `cargo install tauri-driver --locked --version '^2' --root .tools`)."
        )
    })
}

fn require_display() {
    let has_display = std::env::var_os("DISPLAY").is_some_and(|d| !d.is_empty()) || std::env::var_os("WAYLAND_DISPLAY").is_some_and(|d| !d.is_empty());
    assert!(
        has_display,
        "no display: the end-to-end tests open a real window. Run them with `make test`, or wrap \
         the command in `dbus-run-session -- xvfb-run -a -s \"-screen 0 1280x800x24\" ...`."
    );
}

/// The app allows one instance per user: a launch while the last one is still exiting would
/// hand over to it and quit. Waits (up to 60 s: a loaded machine exits slowly) until no process
/// runs `binary` and no process holds the single-instance name on the session bus, and
/// otherwise names what is left.
///
/// Both: an exiting process loses its command line (so `pgrep -f` no longer sees it) before it
/// closes its sockets, and in that moment a new launch found the old one's D-Bus name, tried to
/// hand over to it and quit ("Message recipient disconnected from message bus without replying").
fn wait_until_app_gone(binary: &Path) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let running = Command::new("pgrep").arg("-f").arg(binary).stdout(Stdio::null()).status().is_ok_and(|s| s.success());
        if !running && !single_instance_name_held() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let left = Command::new("pgrep").arg("-af").arg(binary).output().map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default();
    panic!("an earlier {} is still running after 60 s (or holds {SINGLE_INSTANCE_NAME} on the session bus):\n{left}", binary.display());
}

/// How long a WebDriver session may take to open (the app's start on a loaded machine included).
const SESSION_TIMEOUT: Duration = Duration::from_secs(90);

/// What tauri-plugin-single-instance owns on the session bus: `<identifier>.SingleInstance`.
const SINGLE_INSTANCE_NAME: &str = "ai.annolab.exporter.SingleInstance";

/// True while a process owns the app's single-instance name on this session bus (false where
/// there is no session bus or no `dbus-send` to ask with).
fn single_instance_name_held() -> bool {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        return false;
    }
    let asked = Command::new("dbus-send")
        .args(["--session", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner"])
        .arg(format!("string:{SINGLE_INSTANCE_NAME}"))
        .stderr(Stdio::null())
        .output();
    asked.is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains("boolean true"))
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).and_then(|listener| listener.local_addr()).map(|addr| addr.port()).expect("find a free loopback port")
}
