//! `annolab-sandbox`: a faithful, self-contained implementation of the AnnoLab V1 export API.
//!
//! It is the demo workspace a new user tries without an account, the server every test and
//! benchmark of this product runs against, and a target for anyone integrating with AnnoLab.
//! Two listeners run side by side: the API, and a download host on its own port that behaves
//! like the cloud storage behind AnnoLab's signed URLs.
//!
//! ```no_run
//! # async fn demo() -> Result<(), annolab_sandbox::SandboxError> {
//! let sandbox = annolab_sandbox::Sandbox::start(annolab_sandbox::SandboxConfig::demo()).await?;
//! println!("API at {}", sandbox.api_url());
//! sandbox.shutdown().await;
//! # Ok(()) }
//! ```

mod api;
pub mod archive;
pub mod faults;
pub mod filter;
#[doc(hidden)]
pub mod fuzzing;
mod jobs;
pub mod later;
pub mod pdf;
pub mod project;
pub mod request;
mod storage;
mod tls;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use crate::faults::{Fault, Faults};
pub use crate::project::{FolderSource, Project, SourceSet};

/// Instruments in the demo project unless told otherwise: enough to browse, quick to export.
pub const DEMO_INSTRUMENTS: u64 = 240;

/// An API key the sandbox accepts.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub key: String,
    /// Whether the key has the "Read" permission exports need (without it: 403).
    pub read: bool,
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKey").field("key", &"<hidden>").field("read", &self.read).finish()
    }
}

/// How to run a sandbox.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Where the API listens; port 0 picks a free port.
    pub api_addr: SocketAddr,
    /// Where the download host listens; port 0 picks a free port.
    pub storage_addr: SocketAddr,
    /// Base of the absolute `exportStatusUrl`s; defaults to `http://<api_addr>`.
    pub public_url: Option<String>,
    /// Base of signed download URLs; defaults to `http://<storage_addr>`.
    pub storage_public_url: Option<String>,
    pub keys: Vec<ApiKey>,
    pub sources: SourceSet,
    /// How long a job takes from request to `finished` (at least as long as building its zip).
    pub job_time: Duration,
    /// How long a signed download URL stays valid.
    pub url_ttl: Duration,
    /// Extra image bytes on every generated page, standing in for the weight of a scan.
    pub scan_bytes_per_page: usize,
    pub faults: Vec<Fault>,
    /// Where archives are written; defaults to a temporary folder removed on shutdown.
    pub data_dir: Option<PathBuf>,
    /// Instrument types to serve instead of the demo's, in turn, written into the PDF entry
    /// names exactly as given (as a server that never cleans its names would): empty for the
    /// demo's own types, whose entry names are made safe.
    pub type_names: Vec<String>,
    /// Serve the project this many weeks later (0 to [`later::MAX_WEEKS`]): instruments added,
    /// edited and removed deterministically, so that two exports show a diff.
    pub week: u32,
}

impl SandboxConfig {
    /// The demo workspace: the documented project on free loopback ports, with a fresh random
    /// key so other local processes cannot use it.
    pub fn demo() -> Self {
        let mut bytes = [0u8; 16];
        // A key that is only as random as the clock still keeps the demo working; the sandbox
        // only listens on loopback.
        if getrandom::fill(&mut bytes).is_err() {
            let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
            bytes = nanos.to_le_bytes();
        }
        Self::with_key(format!("demo-{}", hex::encode(bytes)))
    }

    /// The demo project served to one Read key.
    pub fn with_key(key: impl Into<String>) -> Self {
        let loopback = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        SandboxConfig {
            api_addr: loopback,
            storage_addr: loopback,
            public_url: None,
            storage_public_url: None,
            keys: vec![ApiKey { key: key.into(), read: true }],
            sources: SourceSet::Generated { instruments: DEMO_INSTRUMENTS },
            job_time: Duration::from_secs(3),
            url_ttl: Duration::from_secs(3600),
            scan_bytes_per_page: 0,
            faults: Vec::new(),
            data_dir: None,
            type_names: Vec::new(),
            week: 0,
        }
    }
}

/// What the UI and front ends show about the served project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectInfo {
    pub owner: String,
    pub name: String,
    pub instrument_count: u64,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SandboxError {
    #[error("the sandbox needs at least one API key (--key)")]
    NoKeys,
    #[error("could not listen on {addr}: {source}. Choose another port or stop the program using it.")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("could not prepare the folder for export archives {dir:?}: {source}")]
    DataDir { dir: PathBuf, source: std::io::Error },
    #[error("could not load source PDFs from {dir:?}: {reason}")]
    Sources { dir: PathBuf, reason: String },
    #[error("the system's random number generator failed: {0}")]
    Random(String),
    #[error("could not make the self-signed certificate for tls-self-signed: {0}")]
    Certificate(String),
}

/// A running sandbox. Dropping it without [`Sandbox::shutdown`] stops the listeners too, but
/// abruptly.
#[derive(Debug)]
pub struct Sandbox {
    api_url: String,
    storage_url: String,
    key: String,
    project: ProjectInfo,
    faults: Arc<Faults>,
    jobs: Arc<jobs::Jobs>,
    stop: CancellationToken,
    servers: Vec<JoinHandle<()>>,
    // Held for its Drop: removes the archives folder when the sandbox goes away.
    _scratch: Option<tempfile::TempDir>,
}

impl Sandbox {
    /// Binds both listeners and starts serving; returns once both accept connections.
    pub async fn start(config: SandboxConfig) -> Result<Sandbox, SandboxError> {
        let key = config.keys.iter().find(|k| k.read).or(config.keys.first()).ok_or(SandboxError::NoKeys)?.key.clone();
        let (scratch, archives) = match &config.data_dir {
            Some(dir) => {
                std::fs::create_dir_all(dir).map_err(|source| SandboxError::DataDir { dir: dir.clone(), source })?;
                (None, dir.clone())
            }
            None => {
                let dir = tempfile::Builder::new()
                    .prefix("annolab-sandbox-")
                    .tempdir()
                    .map_err(|source| SandboxError::DataDir { dir: std::env::temp_dir(), source })?;
                let path = dir.path().to_path_buf();
                (Some(dir), path)
            }
        };
        let api_listener = bind(config.api_addr).await?;
        let storage_listener = bind(config.storage_addr).await?;
        let tls = match config.faults.contains(&Fault::SelfSignedTls) {
            true => Some(tls::self_signed().map_err(SandboxError::Certificate)?),
            false => None,
        };
        let scheme = if tls.is_some() { "https" } else { "http" };
        let (api_url, storage_url) = (base_url(&api_listener, scheme), base_url(&storage_listener, scheme));
        let public_api = config.public_url.as_deref().unwrap_or(&api_url).trim_end_matches('/').into();
        let public_storage = config.storage_public_url.as_deref().unwrap_or(&storage_url).trim_end_matches('/').into();

        let faults = Arc::new(Faults::default());
        for fault in &config.faults {
            fault.apply(&faults);
        }
        let project = Arc::new(Project::demo(config.sources.clone()).with_type_names(config.type_names.clone()).with_week(config.week));
        let jobs = Arc::new(jobs::Jobs::new(archives, project.id));
        let signer = storage::Signer::new().map_err(|e| SandboxError::Random(e.to_string()))?;
        let info = ProjectInfo { owner: project.owner.clone(), name: project.name.clone(), instrument_count: project.instrument_count() };

        let api = api::router(api::ApiState {
            project,
            keys: Arc::new(config.keys.clone()),
            jobs: Arc::clone(&jobs),
            faults: Arc::clone(&faults),
            signer: signer.clone(),
            api_base: public_api,
            storage_base: public_storage,
            job_time: config.job_time,
            url_ttl: config.url_ttl,
            scan_bytes_per_page: config.scan_bytes_per_page,
        });
        let stop = CancellationToken::new();
        let storage = storage::router(storage::StorageState { jobs: Arc::clone(&jobs), signer, faults: Arc::clone(&faults), stop: stop.clone() });
        let servers = vec![serve(api_listener, api, tls.clone(), stop.clone()), serve(storage_listener, storage, tls, stop.clone())];
        Ok(Sandbox { api_url, storage_url, key, project: info, faults, jobs, stop, servers, _scratch: scratch })
    }

    /// Where the API listens, e.g. `http://127.0.0.1:41234` (the public URL, if configured, only
    /// shapes the URLs the API hands out).
    pub fn api_url(&self) -> String {
        self.api_url.clone()
    }

    /// Where the download host listens.
    pub fn storage_url(&self) -> String {
        self.storage_url.clone()
    }

    /// A key with Read permission (the first configured). A secret: never log it.
    pub fn key(&self) -> &str {
        &self.key
    }

    pub fn project(&self) -> &ProjectInfo {
        &self.project
    }

    /// Whether export job `id` is known here: asked in this run, or finished in an earlier run
    /// with the same data folder (its archive is served again). A client resuming a job after a
    /// restart asks this to know whether to keep polling it or to request the export again.
    pub fn knows_job(&self, id: u64) -> bool {
        self.jobs.get(id).is_some()
    }

    /// The live fault switches, for tests that inject failures mid-run.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Stops accepting connections, lets requests in flight finish, and waits for both servers.
    pub async fn shutdown(mut self) {
        self.stop.cancel();
        for server in self.servers.drain(..) {
            let _ = server.await;
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Reads the PDFs of `dir` (by name order) for `--sources`.
pub fn load_sources(dir: &Path) -> Result<SourceSet, SandboxError> {
    let fail = |reason: String| SandboxError::Sources { dir: dir.to_path_buf(), reason };
    let entries = std::fs::read_dir(dir).map_err(|e| fail(e.to_string()))?;
    let mut paths: Vec<PathBuf> =
        entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file() && p.extension().is_some_and(|e| e.eq_ignore_ascii_case("pdf"))).collect();
    paths.sort();
    if paths.is_empty() {
        return Err(fail("the folder holds no .pdf files".to_owned()));
    }
    let mut sources = Vec::with_capacity(paths.len());
    for path in paths {
        let doc = pdf::load(&path).map_err(|e| fail(format!("{} is not a readable PDF ({e})", path.display())))?;
        let pages = doc.get_pages().len() as u32;
        if pages == 0 {
            return Err(fail(format!("{} has no pages", path.display())));
        }
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        sources.push(FolderSource { path, name, pages });
    }
    Ok(SourceSet::Folder(sources))
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, SandboxError> {
    TcpListener::bind(addr).await.map_err(|source| SandboxError::Bind { addr, source })
}

fn base_url(listener: &TcpListener, scheme: &str) -> String {
    match listener.local_addr() {
        Ok(addr) => format!("{scheme}://{addr}"),
        Err(_) => format!("{scheme}://127.0.0.1"),
    }
}

/// Serves `router` on `listener`, over TLS when an acceptor is given, until `stop`.
fn serve(listener: TcpListener, router: axum::Router, tls: Option<tokio_rustls::TlsAcceptor>, stop: CancellationToken) -> JoinHandle<()> {
    tokio::spawn(async move {
        let served = match tls {
            Some(acceptor) => axum::serve(tls::TlsListener::new(listener, acceptor), router).with_graceful_shutdown(stop.cancelled_owned()).await,
            None => axum::serve(listener, router).with_graceful_shutdown(stop.cancelled_owned()).await,
        };
        if let Err(e) = served {
            tracing::error!(error = %e, "sandbox server stopped");
        }
    })
}
