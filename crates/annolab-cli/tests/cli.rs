//! `annolab-export` as a user runs it: the real binary against the sandbox over HTTP.
//!
//! The sandbox runs in this process while the tests wait on the CLI process, so every test that
//! starts one uses the multi-threaded runtime: a blocked current-thread runtime would leave the
//! sandbox unable to answer.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use annolab_sandbox::{Fault, Sandbox, SandboxConfig};
use test_support::{assert_no_file_contains, fingerprint};

const KEY: &str = "cli-test-key-9b7e";
const OWNER: &str = "Group Name owning project";
const PROJECT: &str = "Example Project Name";

/// A scratch home for one test: library, config and the XDG folders, so nothing touches the
/// user's own; and a sandbox to talk to.
struct Home {
    dir: tempfile::TempDir,
    sandbox: Option<Sandbox>,
}

impl Home {
    async fn with_sandbox(configure: impl FnOnce(&mut SandboxConfig)) -> Self {
        Home { dir: tempfile::tempdir().unwrap(), sandbox: Some(test_support::instant_sandbox(KEY, configure).await) }
    }

    fn offline() -> Self {
        Home { dir: tempfile::tempdir().unwrap(), sandbox: None }
    }

    fn library(&self) -> PathBuf {
        self.dir.path().join("library")
    }

    /// The CLI, pointed at this home and (with `ANNOLAB_API_KEY`) at the sandbox.
    fn cli(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_annolab-export"));
        command
            .env("ANNOLAB_EXPORT_LIBRARY", self.library())
            .env("ANNOLAB_EXPORT_CONFIG", self.dir.path().join("config"))
            .env_remove("ANNOLAB_PROFILE")
            .stdin(Stdio::null());
        match &self.sandbox {
            Some(sandbox) => command.env("ANNOLAB_API_KEY", KEY).args(["--server", &sandbox.api_url()]),
            None => command.env_remove("ANNOLAB_API_KEY"),
        };
        command
    }

    fn export(&self, extra: &[&str]) -> Command {
        let mut command = self.cli();
        command.args(["export", "--owner", OWNER, "--project", PROJECT]).args(extra);
        command
    }
}

fn run(mut command: Command) -> Output {
    command.output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The index and manifest record times: "the same files" as a clean run are all the others.
const VARYING: &[&str] = &["manifest.json", "index.sqlite"];

#[test]
fn the_demo_exports_with_and_without_files() {
    let home = Home::offline();
    let mut with_files = home.cli();
    with_files.args(["--demo", "export", "--owner", OWNER, "--project", PROJECT, "--include-tag", "Airframe Inventory"]);
    let output = run(with_files);
    assert!(output.status.success(), "{}", stderr(&output));
    let dir = PathBuf::from(stdout(&output).trim());
    assert!(dir.starts_with(home.library()));
    let pdfs = std::fs::read_dir(dir.join("pdfs")).unwrap().count();
    let lines = std::fs::read_to_string(dir.join("instruments.json")).unwrap().lines().count();
    assert!(pdfs > 0 && pdfs == lines);
    assert!(stderr(&output).contains(&format!("Ready: {lines} instruments, {pdfs} PDFs, 0 problems.")));

    let mut without = home.cli();
    without.args(["--demo", "export", "--owner", OWNER, "--project", PROJECT, "--no-files"]);
    let output = run(without);
    assert!(output.status.success(), "{}", stderr(&output));
    let dir = PathBuf::from(stdout(&output).trim());
    assert!(!dir.join("pdfs").exists());
    assert_eq!(std::fs::read_to_string(dir.join("instruments.json")).unwrap().lines().count(), 240);

    let mut list = home.cli();
    list.arg("list");
    assert_eq!(stdout(&run(list)).lines().count(), 2);
}

/// The app cannot show a profile named "demo" (its built-in workspace) or one of 200 characters:
/// `login` refuses them as the app's profile form does, before asking for a key.
#[test]
fn login_refuses_a_profile_name_the_app_would_refuse() {
    let home = Home::offline();
    for name in ["demo", "Demo", &"x".repeat(200)] {
        let mut login = home.cli();
        login.args(["--profile", name, "login"]);
        let output = run(login);
        assert_eq!(output.status.code(), Some(2), "{name}: {}", stderr(&output));
        assert!(stderr(&output).contains("demo workspace") || stderr(&output).contains("at most 64 characters"), "{}", stderr(&output));
    }
    assert!(!home.dir.path().join("config/profiles.json").exists(), "no profile was saved");
}

/// `annolab-export --json export … | head -1`: the reader leaves after one line. The export
/// still finishes, and nothing panics over the closed pipe.
#[test]
fn a_reader_that_leaves_early_does_not_stop_the_export() {
    let home = Home::offline();
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut export = home.cli();
    export.args(["--demo", "--json", "export", "--owner", OWNER, "--project", PROJECT, "--no-files"]).stdout(writer);
    let output = run(export);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!stderr(&output).contains("panicked"), "{}", stderr(&output));

    let mut list = home.cli();
    list.arg("list");
    assert_eq!(stdout(&run(list)).lines().count(), 1, "the export is in the library");
}

#[tokio::test(flavor = "multi_thread")]
async fn json_mode_prints_events_and_a_final_result() {
    let home = Home::with_sandbox(|_| {}).await;
    let output = run(home.export(&["--source", "Test_PDF.pdf", "--json"]));
    assert!(output.status.success(), "{}", stderr(&output));
    let lines: Vec<serde_json::Value> = stdout(&output).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let phases: Vec<&str> = lines.iter().filter(|l| l["event"] == "phase").map(|l| l["phase"].as_str().unwrap()).collect();
    assert_eq!(phases, ["requested", "processing", "downloading", "verifying", "extracting", "indexing", "ready"]);
    assert!(lines.iter().any(|l| l["event"] == "downloaded" && l["total"].is_u64()));
    let result = lines.last().unwrap();
    assert_eq!(result["result"], "ready");
    assert_eq!(result["instruments"], 5);
    assert_eq!(result["pdfs"], 5);
}

#[tokio::test(flavor = "multi_thread")]
async fn out_puts_the_export_exactly_in_the_folder() {
    let home = Home::with_sandbox(|_| {}).await;
    let out = home.dir.path().join("for-the-title-team");
    let output = run(home.export(&["--source", "Test_PDF.pdf", "--out", out.to_str().unwrap()]));
    assert!(output.status.success(), "{}", stderr(&output));
    let mut names: Vec<String> = std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, ["index.sqlite", "instruments.json", "manifest.json", "pdfs", "search.sqlite"]);
}

/// Type names Windows would refuse, exported into an `--out` folder and a library whose paths
/// hold spaces, `#`, parentheses and non-ASCII letters: every PDF is written, each under a legal
/// name that keeps its id, and `show` and `search` find them.
#[tokio::test(flavor = "multi_thread")]
async fn awkward_folders_and_windows_hostile_type_names_export_every_pdf() {
    let long = "Assignment and Assumption of Lease and Security Agreement ".repeat(6);
    let home = Home::with_sandbox(|c| {
        c.sources = annolab_sandbox::SourceSet::Generated { instruments: 24 };
        c.type_names = ["Lease: Aircraft", "Bill of Sale?", "Lien <Mechanic>", "Power of Attorney|Limited", "AUX", "Release ", long.trim_end()]
            .map(str::to_owned)
            .to_vec();
    })
    .await;
    let awkward = home.dir.path().join("Title Work #7 (Überprüfung) – 東京");
    for (out, library) in [(Some(awkward.join("N809 exports (copy)")), None), (None, Some(awkward.join("My Library #2")))] {
        let mut export = home.export(&[]);
        if let Some(out) = &out {
            export.args(["--out", out.to_str().unwrap()]);
        }
        if let Some(library) = &library {
            export.env("ANNOLAB_EXPORT_LIBRARY", library);
        }
        let output = run(export);
        assert!(output.status.success(), "{}", stderr(&output));
        let dir = PathBuf::from(stdout(&output).trim());
        assert!(out.as_ref().is_none_or(|out| &dir == out), "{}", dir.display());
        assert!(library.as_ref().is_none_or(|library| dir.starts_with(library)), "{}", dir.display());
        assert!(stderr(&output).contains("Ready: 24 instruments, 24 PDFs, 0 problems."), "{}", stderr(&output));
        for entry in std::fs::read_dir(dir.join("pdfs")).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            assert!(export_engine::names::is_legal(&name) && name.chars().count() <= 150, "{name:?}");
            assert!(export_engine::extract::pdf_instrument_id(&name).is_some(), "{name:?}");
        }
        let mut show = home.cli();
        show.args(["show", dir.to_str().unwrap()]);
        if let Some(library) = &library {
            show.env("ANNOLAB_EXPORT_LIBRARY", library);
        }
        let shown = run(show);
        assert!(shown.status.success(), "{}", stderr(&shown));
        let mut search = home.cli();
        search.args(["search", dir.to_str().unwrap(), "Mechanic"]);
        let found = run(search);
        assert!(found.status.success() && stdout(&found).contains("Lien _Mechanic_"), "{}{}", stdout(&found), stderr(&found));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn failures_have_distinct_exit_codes_and_one_clear_line() {
    let home = Home::with_sandbox(|c| c.faults = vec![Fault::JobError("The export worker crashed".into())]).await;
    let errored = run(home.export(&[]));
    assert_eq!(errored.status.code(), Some(5), "{}", stderr(&errored));
    assert!(stderr(&errored).contains("The export failed on AnnoLab's side: The export worker crashed"));

    let missing = run({
        let mut c = home.cli();
        c.args(["export", "--owner", "Nobody", "--project", "Nothing"]);
        c
    });
    assert_eq!(missing.status.code(), Some(4));
    assert!(stderr(&missing).contains("Project 'Nothing' owned by 'Nobody' was not found."));

    let wrong_key = run({
        let mut c = home.export(&[]);
        c.env("ANNOLAB_API_KEY", "not-the-key");
        c
    });
    assert_eq!(wrong_key.status.code(), Some(3));
    assert!(stderr(&wrong_key).contains("AnnoLab rejected the API key (401): Invalid API key."), "{}", stderr(&wrong_key));

    let insecure = run({
        let mut c = home.export(&[]);
        c.args(["--server", "http://api.annolab.example"]);
        c
    });
    assert_eq!(insecure.status.code(), Some(2));
    assert!(stderr(&insecure).contains("Refusing to send the API key"));

    let usage = run({
        let mut c = home.cli();
        c.args(["export", "--owner", OWNER]);
        c
    });
    assert_eq!(usage.status.code(), Some(2));

    let help = run({
        let mut c = home.cli();
        c.arg("--help");
        c
    });
    for code in ["2  usage", "3  auth", "4  not found", "5  the export errored", "6  the network gave up", "7  the downloaded archive", "8  cancelled"] {
        assert!(stdout(&help).contains(code), "--help lacks {code}");
    }
}

#[test]
fn without_a_key_it_says_how_to_get_one() {
    let home = Home::offline();
    let output = run({
        let mut c = home.cli();
        c.args(["export", "--owner", OWNER, "--project", PROJECT, "--server", "http://127.0.0.1:9"]);
        c.env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/annolab-test-bus");
        c
    });
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(message.contains("keychain") && message.contains("ANNOLAB_API_KEY"), "{message}");
}

/// The text of the one job record in `jobs` (the folder also holds a running job's lock file).
fn job_record(jobs: &Path) -> Option<String> {
    let records = std::fs::read_dir(jobs).ok()?.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "json"));
    records.into_iter().find_map(|path| std::fs::read_to_string(path).ok())
}

/// Kills the CLI with SIGKILL once its job record reaches `phase`, then resumes it.
async fn killed_in(phase: &str, configure: impl FnOnce(&mut SandboxConfig) + Clone) {
    killed_when(phase, |_| true, configure).await;
}

/// Extraction runs beside the download: the PDFs already written into the job's staging folder.
fn extracted_so_far(home: &Home) -> usize {
    let work = home.library().join(".work");
    let jobs = std::fs::read_dir(work).into_iter().flatten().flatten();
    jobs.filter_map(|job| std::fs::read_dir(job.path().join("staging").join("pdfs")).ok()).map(|pdfs| pdfs.count()).sum()
}

/// Kills the CLI with SIGKILL once its job record reaches `phase` and `also` holds, then resumes
/// it; the export must end identical to a clean run.
async fn killed_when(phase: &str, also: impl Fn(&Home) -> bool, configure: impl FnOnce(&mut SandboxConfig) + Clone) {
    let clean = Home::with_sandbox(configure.clone()).await;
    let reference = run(clean.export(&[]));
    assert!(reference.status.success(), "{}", stderr(&reference));
    let reference = fingerprint(Path::new(stdout(&reference).trim()), VARYING);

    let home = Home::with_sandbox(configure).await;
    let mut child = home.export(&[]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let jobs = home.library().join(".jobs");
    let deadline = Instant::now() + Duration::from_secs(120);
    let record = loop {
        assert!(Instant::now() < deadline, "the job never reached {phase}");
        let record = job_record(&jobs);
        if record.as_deref().is_some_and(|r| r.contains(&format!("\"phase\": \"{phase}\""))) && also(&home) {
            break record.unwrap();
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(record.contains("\"state\": \"running\""));
    let after_kill = job_record(&jobs).expect("the job record outlives the kill");
    assert!(!after_kill.contains("\"phase\": \"ready\""), "killed too late: the job had finished");
    assert!(home.library().join(".work").exists(), "the interrupted job keeps its files for the resume");

    let resumed = run({
        let mut c = home.cli();
        c.arg("resume");
        c
    });
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    let dir = PathBuf::from(stdout(&resumed).trim());
    assert_eq!(fingerprint(&dir, VARYING), reference, "killed during {phase}");
    let jobs_listing = stdout(&run({
        let mut c = home.cli();
        c.arg("jobs");
        c
    }));
    assert!(jobs_listing.contains("done\tready"), "{jobs_listing}");
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_during_download_then_resumed_ends_identical() {
    killed_in("downloading", |c: &mut SandboxConfig| {
        c.sources = annolab_sandbox::SourceSet::Generated { instruments: 400 };
        c.faults = vec![Fault::Bandwidth(512 * 1024)];
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_during_extraction_then_resumed_ends_identical() {
    // Extraction runs beside the download: killed once some PDFs are written and more bytes are
    // still to come (a paced download keeps it in the act).
    killed_when(
        "downloading",
        |home| extracted_so_far(home) >= 10,
        |c: &mut SandboxConfig| {
            c.sources = annolab_sandbox::SourceSet::Generated { instruments: 400 };
            c.faults = vec![Fault::Bandwidth(512 * 1024)];
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_key_is_never_written_by_the_cli() {
    let home = Home::with_sandbox(|_| {}).await;
    assert!(run(home.export(&[])).status.success());
    assert_no_file_contains(home.dir.path(), KEY);
}

// Sends SIGINT with `kill -INT`: Windows has neither the command nor the signal.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_cancels_and_leaves_no_temporary_files() {
    let home = Home::with_sandbox(|c| c.job_time = Duration::from_secs(60)).await;
    let child = home.export(&[]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let jobs = home.library().join(".jobs");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !job_record(&jobs).is_some_and(|r| r.contains("\"phase\": \"processing\"")) {
        assert!(Instant::now() < deadline, "the job never reached processing");
        std::thread::sleep(Duration::from_millis(20));
    }
    let interrupted = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(interrupted.success());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(8), "{}", stderr(&output));
    assert!(stderr(&output).contains("The export was cancelled."));
    let record = std::fs::read_to_string(std::fs::read_dir(&jobs).unwrap().next().unwrap().unwrap().path()).unwrap();
    assert!(record.contains("\"state\": \"cancelled\""), "{record}");
    let work = home.library().join(".work");
    assert!(!work.exists() || std::fs::read_dir(&work).unwrap().next().is_none(), "temporary files remain");
}

/// The app's "Change folder…" writes `libraryRoot` into settings.json; the CLI, without
/// `--library`, exports into and lists that folder, so both front ends see the same exports.
#[test]
fn without_library_the_cli_uses_the_folder_chosen_in_the_app() {
    let home = Home::offline();
    let chosen = home.dir.path().join("moved library");
    std::fs::create_dir_all(home.dir.path().join("config")).unwrap();
    std::fs::write(home.dir.path().join("config/settings.json"), serde_json::to_vec(&serde_json::json!({"libraryRoot": chosen})).unwrap()).unwrap();
    let without_flag = |args: &[&str]| {
        let mut command = home.cli();
        command.env_remove("ANNOLAB_EXPORT_LIBRARY").args(args);
        run(command)
    };

    let exported = without_flag(&["--demo", "export", "--owner", OWNER, "--project", PROJECT, "--no-files"]);
    assert!(exported.status.success(), "{}", stderr(&exported));
    assert!(chosen.join(".jobs").is_dir(), "the job is recorded in the chosen library");
    assert!(!home.library().exists(), "nothing in the folder the flag would have named");

    let listed = without_flag(&["--json", "list"]);
    assert!(stdout(&listed).contains(PROJECT), "{}", stdout(&listed));
    let elsewhere = run({
        let mut c = home.cli();
        c.args(["--json", "list"]);
        c
    });
    assert!(!stdout(&elsewhere).contains(PROJECT), "--library still wins: {}", stdout(&elsewhere));
}

/// `login` against a port nobody listens on: two quick tries and a message that names the host
/// and says what happened, not a minute of retries ending in "the export can be resumed".
#[test]
fn login_against_a_refused_port_answers_within_seconds_naming_the_host() {
    let home = Home::offline();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let mut login = home.cli();
    login.args(["--server", &format!("http://127.0.0.1:{port}"), "login"]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let started = std::time::Instant::now();
    let mut child = login.spawn().unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), b"a-key-for-nowhere\n").unwrap();
    let output = child.wait_with_output().unwrap();
    let elapsed = started.elapsed();
    let message = stderr(&output);
    assert!(!output.status.success());
    assert!(elapsed < std::time::Duration::from_secs(15), "took {elapsed:?}: {message}");
    assert!(message.contains(&format!("127.0.0.1:{port} refused the connection")), "{message}");
    assert!(!message.contains("resumed") && !message.contains("a-key-for-nowhere"), "{message}");
}

/// A download that stops sending midway and keeps the connection open, with the product's own
/// read timeout (30 s): noticed, resumed with Range, and the export completes.
#[tokio::test(flavor = "multi_thread")]
async fn a_stalled_download_recovers_with_the_default_read_timeout() {
    let home = Home::with_sandbox(|c| c.faults.push(Fault::StallDownloads(1))).await;
    let started = std::time::Instant::now();
    let output = tokio::task::spawn_blocking({
        let command = home.export(&[]);
        move || run(command)
    })
    .await
    .unwrap();
    let elapsed = started.elapsed();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(elapsed < std::time::Duration::from_secs(240), "recovered only after {elapsed:?}");
    eprintln!("stalled download recovered; the export took {elapsed:?}");
}
