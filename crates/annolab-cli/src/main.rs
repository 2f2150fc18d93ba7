//! `annolab-export`: the command-line front end over the export engine.

#[macro_use]
mod output;
mod diff;
mod package;

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use annolab_api::{ApiKey, Client, DEFAULT_SERVER, ServerUrl};
use annolab_workspace::{Code, DEMO_PROFILE, DemoOptions, Workspace, WorkspaceError};
use clap::{Args, Parser, Subcommand};
use export_engine::extract::Limits;
use export_engine::{Engine, EngineError, ExportInput, ExportRequest, FailureKind, ImportInput, JobRecord, Keychain, Library, Profile, Profiles};
use tokio_util::sync::CancellationToken;

use crate::output::{CliErrorCode, Failure, FailureCode, Output};

const EXIT_CODES: &str = "\
Exit codes:
  0  success (diff --exit-code: the exports are the same)
  1  diff --exit-code: the exports differ
  2  usage: a bad flag, a missing owner or project, an unknown job or profile
  3  auth: the key was rejected (401/403), or no key or keychain is available
  4  not found: the project or job does not exist on the server
  5  the export errored on the server
  6  the network gave up after retries (the job can be resumed)
  7  the downloaded archive is damaged or unsafe
  8  cancelled (Ctrl-C)
  9  a local problem: disk space, permissions, a damaged state file

The API key comes from ANNOLAB_API_KEY when set, else from the OS keychain (see `login`).";

/// Export instruments, tags and PDFs from AnnoLab projects.
#[derive(Debug, Parser)]
#[command(name = "annolab-export", version, after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Use an embedded demo workspace (no account, no network).
    #[arg(long, global = true)]
    demo: bool,
    /// With --demo: the demo project this many weeks later (instruments added, edited and
    /// removed, the same on every run), to see what `diff` shows.
    #[arg(long, global = true, default_value_t = 0, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=i64::from(annolab_workspace::demo::MAX_WEEKS)))]
    demo_week: u32,
    /// The profile to use (default: the default profile).
    #[arg(long, global = true, env = "ANNOLAB_PROFILE")]
    profile: Option<String>,
    /// The AnnoLab API server (default: the profile's, else https://api.annolab.ai).
    #[arg(long, global = true)]
    server: Option<String>,
    /// Where finished exports are kept.
    #[arg(long, global = true, env = "ANNOLAB_EXPORT_LIBRARY", value_name = "DIR")]
    library: Option<PathBuf>,
    /// Where profiles are kept (default: the platform's config folder).
    #[arg(long, global = true, env = "ANNOLAB_EXPORT_CONFIG", value_name = "DIR")]
    config_dir: Option<PathBuf>,
    /// Print one JSON event a line and a final JSON result.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check an API key against the server and keep it in the OS keychain.
    Login,
    /// Remove the profile's key from the keychain.
    Logout,
    /// List profiles.
    Profiles,
    /// Export a project's instruments into the library (or --out DIR).
    Export(ExportArgs),
    /// Open an export zip made elsewhere (the documentation's Python sample, a script, another
    /// tool): verified, extracted, indexed and added to the library (or --out DIR), marked imported.
    Import(ImportArgs),
    /// Resume an interrupted export, or all of them.
    Resume { job: Option<String> },
    /// List export jobs, newest first.
    Jobs {
        /// Remove the finished and cancelled jobs from the list (their exports stay in the
        /// library); jobs that can still resume are kept.
        #[arg(long)]
        prune: bool,
    },
    /// List the finished exports in the library.
    List,
    /// Summary and problems of one export (folder, folder name or job id).
    Show { export: String },
    /// Full-text search in one export's instruments.
    Search {
        export: String,
        query: String,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// What changed between two exports of one project (each a folder, folder name or job id).
    Diff(diff::DiffArgs),
    /// One group's instruments (e.g. one serial number) as a title package PDF: a cover with a
    /// table of contents, then each instrument's pages in date order, a bookmark each.
    Package(package::PackageArgs),
}

#[derive(Debug, Args)]
struct ImportArgs {
    /// The export zip (holding instruments.json, and pdfs/ when it was made with files).
    zip: PathBuf,
    /// The owner to file it under [default: Imported].
    #[arg(long)]
    owner: Option<String>,
    /// The project's name [default: the zip's file name without .zip].
    #[arg(long)]
    project: Option<String>,
    /// Put the export exactly in this folder (new or empty) instead of the library.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct ExportArgs {
    /// The group that owns the project.
    #[arg(long)]
    owner: String,
    #[arg(long)]
    project: String,
    /// Keep instruments with this tag type (repeatable; OR).
    #[arg(long = "include-tag", value_name = "TAG")]
    include_tags: Vec<String>,
    /// Drop instruments with this tag type (repeatable; wins over include).
    #[arg(long = "exclude-tag", value_name = "TAG")]
    exclude_tags: Vec<String>,
    /// The older filter form, canonicalTagTypes (repeatable).
    #[arg(long = "tag", value_name = "TAG")]
    tags: Vec<String>,
    /// Keep only instruments of the source file with exactly this name.
    #[arg(long)]
    source: Option<String>,
    /// Include one PDF per instrument (default).
    #[arg(long, overrides_with = "no_files")]
    files: bool,
    /// Leave the PDFs out.
    #[arg(long)]
    no_files: bool,
    /// Put the finished export exactly in this folder (new or empty).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let output = Output::new(cli.json);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => return output.fail(&Failure::local(format!("could not start: {e}"))),
    };
    match runtime.block_on(run(&cli, &output)) {
        Ok(code) => code,
        Err(failure) => output.fail(&failure),
    }
}

async fn run(cli: &Cli, output: &Output) -> Result<ExitCode, Failure> {
    match &cli.command {
        Command::Diff(args) => return diff::run(&library(cli)?, args, output),
        Command::Package(args) => package::run(&library(cli)?, args, output),
        Command::Login => login(cli, output).await,
        Command::Logout => logout(cli, output),
        Command::Profiles => profiles(cli, output),
        Command::Export(args) => export(cli, args, output).await,
        Command::Import(args) => import(cli, args, output).await,
        Command::Resume { job } => resume(cli, job.as_deref(), output).await,
        Command::Jobs { prune } => {
            let store = export_engine::JobStore::new(library(cli)?.jobs_dir());
            match prune {
                true => output.pruned(&store.prune(), &store.list()),
                false => output.jobs(&store.list()),
            }
            Ok(())
        }
        Command::List => {
            output.library(&library(cli)?.list());
            Ok(())
        }
        Command::Show { export } => {
            output.show(&library(cli)?.find(export)?);
            Ok(())
        }
        Command::Search { export, query, limit } => {
            let entry = library(cli)?.find(export)?;
            output.hits(&export_engine::browse::Browser::open(&entry.dir)?.search(query, *limit as u64)?);
            Ok(())
        }
    }?;
    Ok(ExitCode::SUCCESS)
}

/// The workspace the commands work in: the app's profiles, settings and library (so the CLI
/// finds what the app made, wherever the user moved the library), with `--library` for this run.
fn workspace(cli: &Cli) -> Result<Workspace, Failure> {
    let default_library = match cli.library.clone().or_else(Library::default_root) {
        Some(root) => root,
        None => return Err(Failure::usage("No library folder could be found for this user; pass --library DIR.".to_owned())),
    };
    Ok(Workspace::open(&config_dir(cli)?, default_library, cli.library.clone()))
}

fn library(cli: &Cli) -> Result<Library, Failure> {
    Ok(workspace(cli)?.settings.library())
}

/// The profile the command names: `--demo`, else `--profile`, else the default profile.
fn chosen_profile(cli: &Cli) -> Result<String, Failure> {
    if cli.demo {
        return Ok(DEMO_PROFILE.to_owned());
    }
    match &cli.profile {
        Some(name) => Ok(name.clone()),
        None => Ok(Profiles::new(&config_dir(cli)?).default_name()?),
    }
}

/// Starts the embedded demo server when `profile` is the demo's; it lives as long as the workspace.
async fn start_demo_if(cli: &Cli, workspace: &Workspace, profile: &str) {
    if profile == DEMO_PROFILE {
        workspace.demo.start_demo(DemoOptions { week: cli.demo_week, ..DemoOptions::default() }).await;
    }
}

fn config_dir(cli: &Cli) -> Result<PathBuf, Failure> {
    cli.config_dir
        .clone()
        .or_else(Profiles::default_dir)
        .ok_or_else(|| Failure::usage("No config folder could be found for this user; pass --config-dir DIR.".to_owned()))
}

async fn login(cli: &Cli, output: &Output) -> Result<(), Failure> {
    if cli.demo {
        return Err(Failure::usage("The demo workspace needs no login.".to_owned()));
    }
    let profiles = Profiles::new(&config_dir(cli)?);
    let name = chosen_profile(cli)?;
    // The app's rules: a profile the app could not show (named "demo", empty, too long) is refused.
    let name = export_engine::profile_name(&name)?.to_owned();
    let server = cli.server.clone().or(profiles.get(&name)?.map(|p| p.server)).unwrap_or_else(|| DEFAULT_SERVER.to_owned());
    let server = ServerUrl::parse(&server)?;
    let key = read_key()?;
    // A person waits on this check: an unreachable server is reported in seconds.
    let info = Client::new(server.clone(), key.clone())?.interactive()?.key_info().await?;
    Keychain.store(&name, &key)?;
    profiles.save(Profile::new(&name, Some(server.to_string())))?;
    output.logged_in(&name, &server.to_string(), &info.groups.iter().map(|g| g.group_name.clone()).collect::<Vec<_>>());
    Ok(())
}

/// The key from standard input when piped, else from a prompt that does not echo.
fn read_key() -> Result<ApiKey, Failure> {
    let text = if std::io::stdin().is_terminal() {
        rpassword::prompt_password("AnnoLab API key: ").map_err(|e| Failure::usage(format!("could not read the key: {e}")))?
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map_err(|e| Failure::usage(format!("could not read the key from standard input: {e}")))?;
        line
    };
    Ok(ApiKey::new(text)?)
}

fn logout(cli: &Cli, output: &Output) -> Result<(), Failure> {
    let profiles = Profiles::new(&config_dir(cli)?);
    let name = match &cli.profile {
        Some(name) => name.clone(),
        None => profiles.default_name()?,
    };
    let removed = Keychain.delete(&name)?;
    output.logged_out(&name, removed);
    Ok(())
}

fn profiles(cli: &Cli, output: &Output) -> Result<(), Failure> {
    let profiles = Profiles::new(&config_dir(cli)?);
    let default = profiles.default_name()?;
    let rows = profiles.list()?.into_iter().map(|p| {
        let has_key = Keychain.load(&p.name).ok().flatten().is_some();
        (p.name == default, p, has_key)
    });
    output.profiles(&rows.collect::<Vec<_>>());
    Ok(())
}

async fn export(cli: &Cli, args: &ExportArgs, output: &Output) -> Result<(), Failure> {
    let request = ExportRequest::parse(ExportInput {
        owner: args.owner.clone(),
        project: args.project.clone(),
        include_tags: args.include_tags.clone(),
        exclude_tags: args.exclude_tags.clone(),
        canonical_tags: args.tags.clone(),
        source: args.source.clone(),
        include_files: !args.no_files,
    })
    .map_err(EngineError::from)?;
    let workspace = workspace(cli)?;
    let profile = chosen_profile(cli)?;
    start_demo_if(cli, &workspace, &profile).await;
    let engine = workspace.accounts.engine(&profile, cli.server.as_deref()).await?;
    let job = engine.create_job(request, args.out.clone(), Some(profile))?;
    drive(&engine, job, output).await
}

async fn import(cli: &Cli, args: &ImportArgs, output: &Output) -> Result<(), Failure> {
    let library = library(cli)?;
    let input = ImportInput { zip: args.zip.clone(), owner: args.owner.clone(), project: args.project.clone(), out: args.out.clone() };
    let cancel = cancel_on_interrupt();
    let reporter = Arc::new(output.reporter());
    let result = tokio::task::spawn_blocking({
        let (library, reporter, cancel) = (library.clone(), Arc::clone(&reporter), cancel.clone());
        move || export_engine::import(&library, &input, Limits::default(), reporter.as_ref(), &cancel)
    })
    .await
    .map_err(|e| Failure::local(format!("the import stopped unexpectedly: {e}")))?;
    reporter.finish();
    let finished = result?;
    let entry = export_engine::LibraryEntry { dir: finished.dir.clone(), manifest: finished.manifest.clone() };
    output.finished(&finished, diff::since_last(&library, &entry, output).as_deref());
    Ok(())
}

/// A token cancelled by Ctrl-C.
fn cancel_on_interrupt() -> CancellationToken {
    let cancel = CancellationToken::new();
    let on_interrupt = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_interrupt.cancel();
        }
    });
    cancel
}

async fn resume(cli: &Cli, id: Option<&str>, output: &Output) -> Result<(), Failure> {
    let workspace = workspace(cli)?;
    let store = export_engine::JobStore::new(workspace.settings.library().jobs_dir());
    let jobs: Vec<JobRecord> = match id {
        Some(id) => vec![store.load(id)?],
        None => store.list().into_iter().filter(JobRecord::resumable).collect(),
    };
    if jobs.is_empty() {
        output.note("Nothing to resume.");
        return Ok(());
    }
    for job in jobs {
        if !job.resumable() {
            return Err(Failure::usage(format!("Job {} is {} and cannot be resumed.", job.id, job.state.as_str())));
        }
        start_demo_if(cli, &workspace, job.profile.as_deref().unwrap_or(DEMO_PROFILE)).await;
        let (engine, job) = workspace.accounts.engine_for_job(job).await?;
        drive(&engine, job, output).await?;
    }
    Ok(())
}

/// Runs a job with progress on the terminal (or JSON lines) and Ctrl-C as cancel.
async fn drive(engine: &Engine, job: JobRecord, output: &Output) -> Result<(), Failure> {
    let cancel = cancel_on_interrupt();
    output.started(&job);
    let reporter = Arc::new(output.reporter());
    let result = engine.run(job, reporter.clone(), cancel).await;
    reporter.finish();
    let finished = result?;
    let entry = export_engine::LibraryEntry { dir: finished.dir.clone(), manifest: finished.manifest.clone() };
    output.finished(&finished, diff::since_last(engine.library(), &entry, output).as_deref());
    Ok(())
}

impl From<EngineError> for Failure {
    fn from(error: EngineError) -> Self {
        Failure { kind: error.kind(), code: FailureCode::Library(Code::Engine(error.code())), message: error.to_string() }
    }
}

impl From<WorkspaceError> for Failure {
    fn from(error: WorkspaceError) -> Self {
        match error {
            WorkspaceError::Engine(error) => error.into(),
            other => Failure { kind: other.kind(), code: FailureCode::Library(other.code()), message: other.to_string() },
        }
    }
}

/// An API error met outside an export (login, a server URL): the client's own words, without
/// the engine's "the export can be resumed".
impl From<annolab_api::ApiError> for Failure {
    fn from(error: annolab_api::ApiError) -> Self {
        let message = error.to_string();
        Failure { message, ..EngineError::from(error).into() }
    }
}

impl Failure {
    fn usage(message: String) -> Self {
        Failure { kind: FailureKind::Usage, code: FailureCode::Cli(CliErrorCode::Usage), message }
    }

    fn local(message: String) -> Self {
        Failure { kind: FailureKind::Local, code: FailureCode::Cli(CliErrorCode::Local), message }
    }
}
