//! `annolab-sandbox`: run the AnnoLab-compatible sandbox server from the command line.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use annolab_sandbox::{ApiKey, DEMO_INSTRUMENTS, Fault, Sandbox, SandboxConfig, SourceSet};
use clap::Parser;

/// An AnnoLab-compatible server: the V1 export API plus a cloud-storage-like download host.
///
/// Serves the documentation's demo project (owner "Group Name owning project", project
/// "Example Project Name", source "Test_PDF.pdf") so the documentation's Python sample runs
/// against it unchanged but for the URL and the key.
#[derive(Debug, Parser)]
#[command(name = "annolab-sandbox", version, after_help = after_help())]
struct Args {
    /// Port of the API (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Port of the download host, which must differ from the API's (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    storage_port: u16,
    /// Address to bind. Loopback by default; anything else exposes the sandbox to the network.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    host: IpAddr,
    /// An API key with Read permission (repeatable).
    #[arg(long = "key", value_name = "KEY", env = "ANNOLAB_SANDBOX_KEY", required = true)]
    keys: Vec<String>,
    /// An API key without Read permission: it authenticates but exports get 403 (repeatable).
    #[arg(long = "key-without-read", value_name = "KEY")]
    keys_without_read: Vec<String>,
    /// Instruments in the demo project (up to 1,000,000; with PDFs, 20,000 is comfortable).
    #[arg(long, default_value_t = DEMO_INSTRUMENTS, value_parser = clap::value_parser!(u64).range(0..=1_000_000), conflicts_with = "sources")]
    instruments: u64,
    /// Seconds a job takes from request to finished.
    #[arg(long, default_value_t = 3.0)]
    job_seconds: f64,
    /// Serve the real PDFs of this folder as the project's sources instead of generated ones.
    #[arg(long, value_name = "DIR")]
    sources: Option<PathBuf>,
    /// Seconds a signed download URL stays valid.
    #[arg(long, default_value_t = 3600)]
    url_ttl: u64,
    /// KiB of scan-like image data on every generated page (makes exports realistically heavy).
    #[arg(long, default_value_t = 0)]
    page_kib: usize,
    /// Base URL for exportStatusUrl when the sandbox sits behind a proxy.
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
    /// Base URL for signed download URLs when the download host sits behind a proxy.
    #[arg(long, value_name = "URL")]
    storage_public_url: Option<String>,
    /// Folder for export archives (default: a temporary folder removed on exit).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Serve this instrument type instead of the demo's (repeatable; used in turn), written into
    /// PDF entry names exactly as given, as a server that never cleans its names would.
    #[arg(long = "type-name", value_name = "NAME")]
    type_names: Vec<String>,
    /// Serve the demo project N weeks later: instruments added, retyped, re-reviewed, split
    /// and removed, the same on every run, so that exporting again shows a diff.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=i64::from(annolab_sandbox::later::MAX_WEEKS)), value_name = "N")]
    week: u32,
    /// Inject a fault (repeatable); see the list below.
    #[arg(long = "fault", value_name = "FAULT")]
    faults: Vec<Fault>,
}

fn after_help() -> String {
    format!(
        "Faults (--fault):\n{}\n\nEndpoints: POST /v1/export/instruments, GET /v1/export/status/{{id}}, GET /v1/api-key/info,\n\
         GET /v1/project/{{group}}/{{project}}, POST|GET /v1/instrument/search; downloads at signed URLs on the storage port.",
        Fault::HELP.lines().map(|l| format!("  {l}")).collect::<Vec<_>>().join("\n")
    )
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("ANNOLAB_SANDBOX_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("annolab-sandbox: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    if args.port != 0 && args.port == args.storage_port {
        return Err("--storage-port must differ from --port: the download host is a separate origin".to_owned());
    }
    if !args.job_seconds.is_finite() || args.job_seconds < 0.0 || args.job_seconds > 86_400.0 {
        return Err(format!("--job-seconds must be between 0 and 86400, not {}", args.job_seconds));
    }
    let sources = match &args.sources {
        Some(dir) => annolab_sandbox::load_sources(dir).map_err(|e| e.to_string())?,
        None => SourceSet::Generated { instruments: args.instruments },
    };
    let keys = args
        .keys
        .iter()
        .map(|k| ApiKey { key: k.clone(), read: true })
        .chain(args.keys_without_read.iter().map(|k| ApiKey { key: k.clone(), read: false }))
        .collect();
    let config = SandboxConfig {
        api_addr: SocketAddr::new(args.host, args.port),
        storage_addr: SocketAddr::new(args.host, args.storage_port),
        public_url: args.public_url,
        storage_public_url: args.storage_public_url,
        keys,
        sources,
        job_time: Duration::from_secs_f64(args.job_seconds),
        url_ttl: Duration::from_secs(args.url_ttl.max(1)),
        scan_bytes_per_page: args.page_kib.saturating_mul(1024),
        faults: args.faults,
        data_dir: args.data_dir,
        type_names: args.type_names,
        week: args.week,
    };
    let sandbox = Sandbox::start(config).await.map_err(|e| e.to_string())?;
    let project = sandbox.project();
    println!("listening on {}", sandbox.api_url());
    println!("downloads on {}", sandbox.storage_url());
    println!("project {:?} owned by {:?}: {} instruments", project.name, project.owner, project.instrument_count);
    if !args.host.is_loopback() {
        eprintln!("annolab-sandbox: warning: bound to {}, reachable from the network", args.host);
    }
    wait_for_stop().await;
    sandbox.shutdown().await;
    Ok(())
}

async fn wait_for_stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
