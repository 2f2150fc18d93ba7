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

/// A small tmpfs for full-disk tests; `None` (and a note on stderr) where mounting is not
/// allowed, as on a developer's machine without root. CI runs as root.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> Option<SmallDisk> {
        SmallDisk::mount_with(&format!("size={size}"))
    }

    /// A tmpfs mounted with `options` (`size=1m`, `ro,size=1m`).
    fn mount_with(options: &str) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let mounted = Command::new("mount").args(["-t", "tmpfs", "-o", options, "tmpfs"]).arg(dir.path()).status();
        match mounted {
            Ok(status) if status.success() => Some(SmallDisk { dir }),
            _ => {
                eprintln!("skipped: cannot mount a tmpfs here (needs root)");
                None
            }
        }
    }

    fn grow(&self, size: &str) {
        let status = Command::new("mount").args(["-o", &format!("remount,size={size}")]).arg(self.dir.path()).status().unwrap();
        assert!(status.success());
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// A library on a full disk: exit 9 with the folder, what is needed and what is free; nothing
/// published; the library still lists; and `resume` finishes once there is room.
#[test]
fn a_full_disk_fails_clearly_publishes_nothing_and_resumes_once_there_is_room() {
    let Some(disk) = SmallDisk::mount("3m") else { return };
    let home = Home::offline();
    let library = disk.dir.path().join("library");
    let cli = |args: &[&str]| {
        let mut command = home.cli();
        command.env("ANNOLAB_EXPORT_LIBRARY", &library).args(args);
        run(command)
    };

    let failed = cli(&["--demo", "export", "--owner", OWNER, "--project", PROJECT]);
    assert_eq!(failed.status.code(), Some(9), "{}", stderr(&failed));
    let message = stderr(&failed);
    assert!(message.contains("Not enough free disk space") && message.contains(&library.display().to_string()), "{message}");
    assert!(message.contains("needs about") && message.contains("are free") && message.contains("resume"), "{message}");
    let published: Vec<_> = std::fs::read_dir(&library).unwrap().flatten().map(|e| e.file_name()).filter(|n| !n.to_string_lossy().starts_with('.')).collect();
    assert!(published.is_empty(), "nothing is published on a full disk: {published:?}");
    let listed = cli(&["list"]);
    assert!(listed.status.success(), "the library still reads: {}", stderr(&listed));

    disk.grow("64m");
    let resumed = cli(&["resume"]);
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    let listed = cli(&["--json", "list"]);
    assert!(stdout(&listed).contains(PROJECT), "{}", stdout(&listed));
}

/// The archive's size is known from the download's first response: an archive (and the files it
/// holds, extracted beside it in the library) that cannot fit is refused before a byte of it is
/// written, naming the library, what is needed and what is free; `resume` then finishes.
#[tokio::test(flavor = "multi_thread")]
async fn a_download_too_large_for_the_disk_is_refused_before_a_byte_is_written() {
    // Room for the job record, far from room for the archive twice over.
    let Some(disk) = SmallDisk::mount("64k") else { return };
    let home = Home::with_sandbox(|c| c.sources = annolab_sandbox::SourceSet::Generated { instruments: 400 }).await;
    let library = disk.dir.path().join("library");
    let cli = |args: &[&str]| {
        let mut command = home.cli();
        command.env("ANNOLAB_EXPORT_LIBRARY", &library).args(args);
        run(command)
    };

    let failed = cli(&["export", "--owner", OWNER, "--project", PROJECT]);
    assert_eq!(failed.status.code(), Some(9), "{}", stderr(&failed));
    let message = stderr(&failed);
    assert!(message.contains("Not enough free disk space") && message.contains(&library.display().to_string()) && message.contains("needs about"), "{message}");
    let parts: Vec<PathBuf> = test_support::files_below(&library).into_iter().filter(|p| p.extension().is_some_and(|e| e == "part")).collect();
    assert!(
        parts.is_empty(),
        "nothing downloaded: {parts:?} ({} bytes); {message}",
        parts.iter().map(|p| std::fs::metadata(p).map_or(0, |m| m.len())).sum::<u64>()
    );
    let record = job_record(&library.join(".jobs")).expect("the job is recorded, so it can be resumed");
    assert!(record.contains("\"code\": \"not_enough_space\""), "{record}");

    disk.grow("256m");
    let resumed = cli(&["resume"]);
    assert!(resumed.status.success(), "{}", stderr(&resumed));
}

/// The disk an export is written to fills up while the archive's files are extracted, or while
/// they are indexed: each phase fails with exit 9 naming the folder, the space needed and the
/// space free; nothing is published; `resume` finishes once there is room, identical to a clean
/// export. The disk's size is set from a clean export's own files, so each fills where meant.
#[tokio::test(flavor = "multi_thread")]
async fn a_disk_that_fills_while_extracting_or_indexing_fails_in_that_phase_and_resumes() {
    let configure = |c: &mut SandboxConfig| c.sources = annolab_sandbox::SourceSet::Generated { instruments: 300 };
    let clean = Home::with_sandbox(configure).await;
    let made = run(clean.export(&[]));
    assert!(made.status.success(), "{}", stderr(&made));
    let reference_dir = PathBuf::from(stdout(&made).trim());
    let reference = fingerprint(&reference_dir, VARYING);
    // As a tmpfs counts them: whole pages per file.
    let pages = |path: &Path| std::fs::metadata(path).unwrap().len().div_ceil(4096) * 4096;
    let indexes = ["index.sqlite", "search.sqlite"];
    let extracted: u64 = test_support::files_below(&reference_dir)
        .iter()
        .filter(|p| !p.file_name().is_some_and(|n| indexes.iter().any(|i| n == *i) || n == "manifest.json"))
        .map(|p| pages(p))
        .sum();
    let index: u64 = indexes.iter().map(|n| pages(&reference_dir.join(n))).sum();
    assert!(index >= 64 * 1024, "an index large enough to fill a disk with: {index} bytes");

    for (phase, size, before_indexing) in [("extraction", extracted / 2, true), ("indexing", extracted + index / 4, false)] {
        let Some(disk) = SmallDisk::mount(&format!("{}k", size / 1024)) else { return };
        let home = Home::with_sandbox(configure).await;
        let out = disk.dir.path().join("export");
        let failed = run(home.export(&["--out", out.to_str().unwrap()]));
        assert_eq!(failed.status.code(), Some(9), "{phase}: {}", stderr(&failed));
        let message = stderr(&failed);
        assert!(message.contains("Not enough free disk space") && message.contains(&disk.dir.path().display().to_string()), "{phase}: {message}");
        assert!(message.contains("needs about") && message.contains("are free"), "{phase}: {message}");
        let record = job_record(&home.library().join(".jobs")).unwrap();
        let reached_indexing = record.contains("\"phase\": \"indexing\"");
        assert_eq!(!reached_indexing, before_indexing, "{phase}: the disk filled in the wrong phase: {record}");
        assert!(!out.exists(), "{phase}: nothing published");

        disk.grow("256m");
        let resumed = run({
            let mut c = home.cli();
            c.arg("resume");
            c
        });
        assert!(resumed.status.success(), "{phase}: {}", stderr(&resumed));
        assert_eq!(fingerprint(&out, VARYING), reference, "{phase}: resumed after the disk filled");
    }
}

/// A read-only disk (or a folder without permission), as the library or as `--out`'s folder:
/// refused before the server is asked for anything, in words, and no job is recorded.
#[tokio::test(flavor = "multi_thread")]
async fn a_read_only_folder_is_refused_before_the_server_is_asked() {
    let Some(disk) = SmallDisk::mount_with("ro,size=1m") else { return };
    let home = Home::with_sandbox(|_| {}).await;

    let out = disk.dir.path().join("export");
    let failed = run(home.export(&["--out", out.to_str().unwrap()]));
    assert_eq!(failed.status.code(), Some(9), "{}", stderr(&failed));
    let message = stderr(&failed);
    assert!(message.contains("Cannot write to") && message.contains(&disk.dir.path().display().to_string()) && message.contains("read-only"), "{message}");
    assert!(job_record(&home.library().join(".jobs")).is_none(), "no job is recorded for an export that cannot be written");

    let mut command = home.export(&[]);
    command.env("ANNOLAB_EXPORT_LIBRARY", disk.dir.path().join("library"));
    let failed = run(command);
    assert_eq!(failed.status.code(), Some(9), "{}", stderr(&failed));
    assert!(stderr(&failed).contains("Cannot write to") && stderr(&failed).contains("read-only"), "{}", stderr(&failed));
}

/// Waits (at most a minute) until the export has written `pdfs` PDFs into `staging` (a folder
/// whose name starts so), so a folder can be taken away while extraction is under way.
fn wait_for_extraction(parent: &Path, staging: &str, pdfs: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let written: usize = std::fs::read_dir(parent)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(staging))
            .filter_map(|e| std::fs::read_dir(e.path().join("pdfs")).ok())
            .map(|d| d.count())
            .sum();
        if written >= pdfs {
            return;
        }
        assert!(Instant::now() < deadline, "extraction never got under way in {}", parent.display());
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The folder `--out` goes into is deleted while the export extracts into it: exit 9 saying so,
/// nothing published and the folder not made again behind the user's back; `resume` makes it
/// again and finishes, identical to a clean export.
#[tokio::test(flavor = "multi_thread")]
async fn an_output_folder_deleted_mid_export_fails_clearly_and_resume_makes_it_again() {
    let configure = |c: &mut SandboxConfig| {
        c.sources = annolab_sandbox::SourceSet::Generated { instruments: 400 };
        c.faults = vec![Fault::Bandwidth(512 * 1024)];
    };
    let clean = Home::with_sandbox(configure).await;
    let made = run(clean.export(&[]));
    assert!(made.status.success(), "{}", stderr(&made));
    let reference = fingerprint(Path::new(stdout(&made).trim()), VARYING);

    let home = Home::with_sandbox(configure).await;
    let folder = home.dir.path().join("outs");
    let out = folder.join("export");
    let child = home.export(&["--out", out.to_str().unwrap()]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    wait_for_extraction(&folder, ".export.staging-", 10);
    // Gone from its path at once (the export is still writing into it), then removed.
    let deleted = home.dir.path().join("deleted");
    std::fs::rename(&folder, &deleted).unwrap();
    let _ = std::fs::remove_dir_all(&deleted);
    let failed = child.wait_with_output().unwrap();
    assert_eq!(failed.status.code(), Some(9), "{}", stderr(&failed));
    let message = stderr(&failed);
    assert!(message.contains("disappeared") && message.contains(&folder.display().to_string()) && message.contains("resume"), "{message}");
    assert!(!folder.exists(), "the deleted folder is not made again while the export runs");
    assert!(job_record(&home.library().join(".jobs")).unwrap().contains("\"code\": \"folder_gone\""));

    let resumed = run({
        let mut c = home.cli();
        c.arg("resume");
        c
    });
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    assert_eq!(fingerprint(&out, VARYING), reference);
}

/// The library's disk goes away mid-export (its folder moved off, as an unplugged drive takes it):
/// exit 9 saying so, and nothing made in its place; once it is back, `resume` finishes identical
/// to a clean export.
#[tokio::test(flavor = "multi_thread")]
async fn a_library_whose_disk_went_away_fails_clearly_and_resumes_when_it_is_back() {
    let configure = |c: &mut SandboxConfig| {
        c.sources = annolab_sandbox::SourceSet::Generated { instruments: 400 };
        c.faults = vec![Fault::Bandwidth(512 * 1024)];
    };
    let clean = Home::with_sandbox(configure).await;
    let made = run(clean.export(&[]));
    assert!(made.status.success(), "{}", stderr(&made));
    let reference = fingerprint(Path::new(stdout(&made).trim()), VARYING);

    let home = Home::with_sandbox(configure).await;
    let library = home.library();
    let child = home.export(&[]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while extracted_so_far(&home) < 10 {
        assert!(Instant::now() < deadline, "extraction never got under way");
        std::thread::sleep(Duration::from_millis(5));
    }
    let away = home.dir.path().join("unplugged");
    std::fs::rename(&library, &away).unwrap();
    let failed = child.wait_with_output().unwrap();
    assert_eq!(failed.status.code(), Some(9), "{}", stderr(&failed));
    let message = stderr(&failed);
    assert!(message.contains("disappeared") && message.contains(&library.display().to_string()), "{message}");
    assert!(!library.exists(), "no empty library is made in the place of the one that went away");

    std::fs::rename(&away, &library).unwrap();
    let resumed = run({
        let mut c = home.cli();
        c.arg("resume");
        c
    });
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    assert_eq!(fingerprint(Path::new(stdout(&resumed).trim()), VARYING), reference);
}

/// Crash anywhere: the CLI killed with SIGKILL at moments drawn (fixed seed) across a paced
/// export's whole run (request, polling, download with extraction beside it, indexing,
/// publishing), each time resumed. Every result is byte-identical to an uninterrupted export,
/// `--out` never holds a half-published export, and nothing temporary is left. `make test` runs
/// 6 points; `bench/crash-soak.sh` runs more (`ANNOLAB_CRASH_POINTS`, `ANNOLAB_CRASH_SEED`).
#[tokio::test(flavor = "multi_thread")]
async fn killed_at_random_moments_then_resumed_always_ends_identical() {
    let points: u64 = std::env::var("ANNOLAB_CRASH_POINTS").ok().and_then(|n| n.parse().ok()).unwrap_or(6);
    let mut seed: u64 = std::env::var("ANNOLAB_CRASH_SEED").ok().and_then(|n| n.parse().ok()).unwrap_or(0x5eed_2026);
    let configure = |c: &mut SandboxConfig| {
        c.sources = annolab_sandbox::SourceSet::Generated { instruments: 300 };
        c.job_time = Duration::from_millis(600);
        c.faults = vec![Fault::Bandwidth(1024 * 1024)];
    };
    let home = Home::with_sandbox(configure).await;
    let started = Instant::now();
    let clean = run(home.export(&["--out", &home.dir.path().join("clean").display().to_string()]));
    let span = started.elapsed();
    assert!(clean.status.success(), "{}", stderr(&clean));
    let reference = fingerprint(&home.dir.path().join("clean"), VARYING);

    let mut phases_hit = std::collections::BTreeMap::<String, u32>::new();
    for point in 0..points {
        // xorshift64: a fixed sequence of moments in [0, 1.1 x the clean run's length).
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let at = span.mul_f64((seed % 1000) as f64 / 1000.0 * 1.1);
        let out = home.dir.path().join(format!("out-{point}"));
        let mut child = home.export(&["--out", &out.display().to_string()]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        std::thread::sleep(at);
        child.kill().unwrap();
        child.wait().unwrap();
        let phase = job_record(&home.library().join(".jobs"))
            .and_then(|r| r.lines().find(|l| l.contains("\"phase\"")).map(|l| l.trim().to_owned()))
            .unwrap_or_else(|| "before the job record".to_owned());
        *phases_hit.entry(phase).or_default() += 1;
        if out.exists() {
            assert_eq!(fingerprint(&out, VARYING), reference, "point {point} ({at:?}): --out holds a half-published export");
        }

        let resumed = run({
            let mut c = home.cli();
            c.arg("resume");
            c
        });
        assert!(resumed.status.success(), "point {point} ({at:?}): {}", stderr(&resumed));
        if !out.exists() {
            // Killed before the job was recorded: nothing to resume; the export runs again.
            let again = run(home.export(&["--out", &out.display().to_string()]));
            assert!(again.status.success(), "{}", stderr(&again));
        }
        assert_eq!(fingerprint(&out, VARYING), reference, "point {point}: killed after {at:?}");
        let work = home.library().join(".work");
        let left: Vec<_> = std::fs::read_dir(&work).into_iter().flatten().flatten().map(|e| e.path()).collect();
        assert!(left.is_empty(), "point {point}: temporary files left behind: {left:?}");
        let staging: Vec<_> = std::fs::read_dir(home.dir.path()).unwrap().flatten().filter(|e| e.file_name().to_string_lossy().contains(".staging-")).collect();
        assert!(staging.is_empty(), "point {point}: a staging folder was left beside --out");
        // One job at a time: the finished ones stay listed, none is left running.
        std::fs::remove_dir_all(home.library().join(".jobs")).unwrap();
    }
    eprintln!("crash points: {points}, clean run {span:?}, phases at the kill: {phases_hit:?}");
}

/// Two demo exports, the project as generated and one week later, in one library: their
/// folders, in that order, and the second one's `sinceLast`.
fn demo_week_exports(home: &Home) -> (PathBuf, PathBuf, String) {
    let mut dirs = Vec::new();
    let mut export = home.cli();
    export.args(["--demo", "export", "--owner", OWNER, "--project", PROJECT]);
    let output = run(export);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!stderr(&output).contains("since"), "the first export has nothing to compare with: {}", stderr(&output));
    dirs.push(PathBuf::from(stdout(&output).trim()));
    // The second with --json: the line is a field of the final result, which stays one object.
    let mut export = home.cli();
    export.args(["--demo", "--demo-week", "1", "--json", "export", "--owner", OWNER, "--project", PROJECT]);
    let output = run(export);
    assert!(output.status.success(), "{}", stderr(&output));
    let result: serde_json::Value = serde_json::from_str(stdout(&output).lines().last().unwrap()).unwrap();
    assert_eq!(result["result"], "ready");
    dirs.push(PathBuf::from(result["dir"].as_str().unwrap()));
    let since = result["sinceLast"].as_str().unwrap_or_default().to_owned();
    (dirs.remove(0), dirs.remove(0), since)
}

/// What the sandbox changed between week 0 and week 1, from its own project: added, removed,
/// and the ids in both whose JSON or PDF bytes differ.
fn sandbox_changes(old: &Path, new: &Path) -> (Vec<u64>, Vec<u64>, Vec<u64>) {
    use annolab_sandbox::project::Project;
    let state = |week| -> std::collections::BTreeMap<u64, serde_json::Value> {
        let project = Project::demo(annolab_sandbox::SourceSet::Generated { instruments: annolab_sandbox::DEMO_INSTRUMENTS }).with_week(week);
        project.instruments().map(|(_, i)| (i.id, serde_json::to_value(&i).unwrap())).collect()
    };
    let (before, after) = (state(0), state(1));
    let pdf = |dir: &Path, id: u64| -> Vec<u8> {
        let suffix = format!("_{id}.pdf");
        let file = std::fs::read_dir(dir.join("pdfs")).unwrap().map(|e| e.unwrap().path()).find(|p| p.to_string_lossy().ends_with(&suffix)).unwrap();
        std::fs::read(file).unwrap()
    };
    let added = after.keys().filter(|id| !before.contains_key(id)).copied().collect();
    let removed = before.keys().filter(|id| !after.contains_key(id)).copied().collect();
    let changed = before.iter().filter(|(id, i)| after.get(id).is_some_and(|a| a != *i || pdf(old, **id) != pdf(new, **id))).map(|(id, _)| *id).collect();
    (added, removed, changed)
}

#[test]
fn diff_reports_exactly_what_the_sandbox_changed_in_a_week_in_every_output_form() {
    let home = Home::offline();
    let (old, new, export_since) = demo_week_exports(&home);
    let (added, removed, changed) = sandbox_changes(&old, &new);
    assert!(!added.is_empty() && !removed.is_empty() && !changed.is_empty());
    let line = format!("+{} new, \u{2212}{} gone, {} changed", added.len(), removed.len(), changed.len());
    assert!(export_since.starts_with("since ") && export_since.ends_with(&line), "the export ends with the line against the previous one: {export_since}");
    // Every demo sandbox numbers its jobs alike, so the older side is named by its folder's name.
    let old_name = old.file_name().unwrap().to_str().unwrap().to_owned();

    // --json, before and after the command: the last line is the result.
    for args in [vec!["--json", "diff", &old_name, new.to_str().unwrap()], vec!["diff", old.to_str().unwrap(), new.to_str().unwrap(), "--json"]] {
        let mut diff = home.cli();
        diff.args(&args);
        let output = run(diff);
        assert!(output.status.success(), "{}", stderr(&output));
        let result: serde_json::Value = serde_json::from_str(stdout(&output).lines().last().unwrap()).unwrap();
        let ids = |key: &str| -> Vec<u64> { result[key].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect() };
        assert_eq!(ids("added"), added);
        assert_eq!(ids("removed"), removed);
        let changed_ids: Vec<u64> = result["changed"].as_array().unwrap().iter().map(|c| c["id"].as_u64().unwrap()).collect();
        assert_eq!(changed_ids, changed);
        let fields: std::collections::BTreeSet<&str> =
            result["changed"].as_array().unwrap().iter().flat_map(|c| c["fields"].as_object().unwrap().keys().map(String::as_str)).collect();
        for field in ["type", "pages", "attributes", "review"] {
            assert!(fields.contains(field), "{field} in {fields:?}");
        }
        let one = &result["changed"][0];
        assert!(one["pdfChanged"].is_boolean() && one["fields"].as_object().unwrap().values().all(|f| f.get("before").is_some() && f.get("after").is_some()));
        assert_eq!(result["sameRequest"], true);
    }

    // Human: the summary first, then a table with a line per difference.
    let mut diff = home.cli();
    diff.args(["diff", old.to_str().unwrap(), new.to_str().unwrap()]);
    let output = run(diff);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.lines().next().unwrap().ends_with(&line), "{text}");
    assert!(text.lines().any(|l| l.starts_with(&format!("{:<10}  added", added[0]))), "{text}");
    assert!(text.lines().any(|l| l.starts_with(&format!("{:<10}  removed", removed[0]))), "{text}");

    // --csv: a row per added and removed instrument, at least one per changed one.
    let csv = home.dir.path().join("changes.csv");
    let mut diff = home.cli();
    diff.args(["diff", old.to_str().unwrap(), new.to_str().unwrap(), "--csv", csv.to_str().unwrap()]);
    assert!(run(diff).status.success());
    let rows = std::fs::read_to_string(&csv).unwrap();
    let kinds: Vec<(u64, String)> = rows
        .trim_start_matches('\u{feff}')
        .lines()
        .skip(1)
        .map(|l| {
            let mut parts = l.split(',');
            (parts.next().unwrap().parse().unwrap(), parts.next().unwrap().to_owned())
        })
        .collect();
    assert_eq!(kinds.iter().filter(|(_, k)| k == "added").count(), added.len());
    assert_eq!(kinds.iter().filter(|(_, k)| k == "removed").count(), removed.len());
    let csv_changed: std::collections::BTreeSet<u64> = kinds.iter().filter(|(_, k)| k == "changed").map(|(id, _)| *id).collect();
    assert_eq!(csv_changed.into_iter().collect::<Vec<_>>(), changed);

    // --exit-code: 1 when they differ, 0 for an export against itself.
    let mut differ = home.cli();
    differ.args(["diff", old.to_str().unwrap(), new.to_str().unwrap(), "--exit-code"]);
    assert_eq!(run(differ).status.code(), Some(1));
    let mut same = home.cli();
    same.args(["diff", new.to_str().unwrap(), new.to_str().unwrap(), "--exit-code"]);
    let output = run(same);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("+0 new, \u{2212}0 gone, 0 changed"));
}

/// Two exports of one project made with different filters, each named by its server job id (in
/// both spellings): compared all the same, and the result says the filters differ.
#[tokio::test(flavor = "multi_thread")]
async fn diff_by_job_id_of_exports_made_with_different_filters_says_so() {
    let home = Home::with_sandbox(|_| {}).await;
    let export = |extra: &'static [&'static str]| {
        let mut command = home.export(extra);
        command.arg("--json");
        tokio::task::spawn_blocking(move || run(command))
    };
    let job = |output: Output| -> (u64, PathBuf) {
        assert!(output.status.success(), "{}", stderr(&output));
        let result: serde_json::Value = serde_json::from_str(stdout(&output).lines().last().unwrap()).unwrap();
        (result["remoteJobId"].as_u64().unwrap(), PathBuf::from(result["dir"].as_str().unwrap()))
    };
    let (all_id, all_dir) = job(export(&["--no-files"]).await.unwrap());
    let (airframes_id, airframes_dir) = job(export(&["--no-files", "--tag", "Airframe Inventory"]).await.unwrap());
    assert_ne!(all_id, airframes_id);
    let ids_in = |dir: &Path| -> std::collections::BTreeSet<u64> {
        std::fs::read_to_string(dir.join("instruments.json"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].as_u64().unwrap())
            .collect()
    };
    let gone: Vec<u64> = ids_in(&all_dir).difference(&ids_in(&airframes_dir)).copied().collect();
    assert!(!gone.is_empty());

    let mut diff = home.cli();
    diff.args(["diff", &all_id.to_string(), &format!("job{airframes_id}"), "--json"]);
    let output = run(diff);
    assert!(output.status.success(), "{}", stderr(&output));
    let result: serde_json::Value = serde_json::from_str(stdout(&output).lines().last().unwrap()).unwrap();
    assert_eq!(result["sameRequest"], false);
    assert_eq!(result["removed"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect::<Vec<_>>(), gone);
    assert_eq!(result["added"].as_array().unwrap().len(), 0);

    let mut diff = home.cli();
    diff.args(["diff", &format!("job{all_id}"), &airframes_id.to_string()]);
    let output = run(diff);
    assert!(output.status.success(), "{}", stderr(&output));
    let summary = stdout(&output).lines().next().unwrap_or_default().to_owned();
    assert!(summary.ends_with(&format!("\u{2212}{} gone, 0 changed (made with different filters)", gone.len())), "{summary}");
}

#[test]
fn diff_of_something_that_is_not_an_export_says_what_to_give() {
    let home = Home::offline();
    let mut diff = home.cli();
    diff.args(["diff", "nowhere", "job12"]);
    let output = run(diff);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("\"nowhere\""), "{}", stderr(&output));
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

/// A server whose certificate nobody signed (the sandbox's `tls-self-signed`): the export stops
/// at once with exit 6, naming the host and why, and no job is left to resume against it.
#[tokio::test(flavor = "multi_thread")]
async fn a_self_signed_server_is_refused_at_once_naming_the_host() {
    let home = Home::with_sandbox(|c| c.faults.push(Fault::SelfSignedTls)).await;
    let host = home.sandbox.as_ref().unwrap().api_url().trim_start_matches("https://").to_owned();
    let started = std::time::Instant::now();
    let output = tokio::task::spawn_blocking({
        let command = home.export(&[]);
        move || run(command)
    })
    .await
    .unwrap();
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(6), "{message}");
    assert!(started.elapsed() < std::time::Duration::from_secs(15), "took {:?}: {message}", started.elapsed());
    assert!(message.contains(&format!("The secure connection to {host} failed")), "{message}");
    #[cfg(target_os = "linux")]
    assert!(message.contains("not signed by an authority this computer trusts"), "{message}");
    assert!(!message.contains(KEY), "{message}");
}

/// `jobs --prune` takes the finished jobs off the list, keeps the one that can still resume and
/// leaves every export in the library.
#[tokio::test(flavor = "multi_thread")]
async fn jobs_prune_removes_finished_jobs_and_keeps_resumable_ones() {
    let home = Home::with_sandbox(|c| c.faults = vec![Fault::JobError("The export worker crashed".into())]).await;
    let failed = tokio::task::spawn_blocking({
        let command = home.export(&["--no-files"]);
        move || run(command)
    });
    assert_eq!(failed.await.unwrap().status.code(), Some(5));
    let done = tokio::task::spawn_blocking({
        let command = home.export(&["--no-files"]);
        move || run(command)
    });
    assert!(done.await.unwrap().status.success());
    let jobs = |extra: &[&str]| -> serde_json::Value {
        let mut command = home.cli();
        command.args(["--json", "jobs"]).args(extra);
        let output = run(command);
        assert!(output.status.success(), "{}", stderr(&output));
        serde_json::from_str(stdout(&output).lines().last().unwrap()).unwrap()
    };
    let before = jobs(&[]);
    let id_in = |state: &str| before.as_array().unwrap().iter().find(|j| j["state"] == state).unwrap()["id"].as_str().unwrap().to_owned();
    let (failed_id, done_id) = (id_in("failed"), id_in("done"));

    let pruned = jobs(&["--prune"]);
    assert_eq!(pruned["removed"], serde_json::json!([done_id]));
    assert_eq!(pruned["resumable"], serde_json::json!([failed_id]));
    let after = jobs(&[]);
    assert_eq!(after.as_array().unwrap().iter().map(|j| j["id"].as_str().unwrap()).collect::<Vec<_>>(), [failed_id.as_str()]);
    let mut list = home.cli();
    list.arg("list");
    assert_eq!(stdout(&run(list)).lines().count(), 1, "the export itself stays in the library");
}

/// An export with a PDF one page longer than its instrument and an instrument without its PDF
/// (the sandbox's `integrity-problems`): `show` names both, as text and in `--json`.
#[tokio::test(flavor = "multi_thread")]
async fn show_reports_a_pdf_with_the_wrong_page_count_and_a_missing_pdf() {
    let home = Home::with_sandbox(|c| c.faults = vec![Fault::IntegrityProblems]).await;
    let exported = tokio::task::spawn_blocking({
        let command = home.export(&[]);
        move || run(command)
    })
    .await
    .unwrap();
    assert!(exported.status.success(), "{}", stderr(&exported));
    let dir = stdout(&exported).trim().to_owned();

    let mut show = home.cli();
    show.args(["show", &dir]);
    let text = stdout(&run(show));
    assert!(text.contains("Problems    2"), "{text}");
    assert!(text.lines().any(|l| l.contains("has no PDF in the export")), "{text}");
    assert!(text.lines().any(|l| l.contains("pages, but the instrument covers pages")), "{text}");

    let mut show = home.cli();
    show.args(["--json", "show", &dir]);
    let json: serde_json::Value = serde_json::from_str(stdout(&run(show)).lines().last().unwrap()).unwrap();
    let mut kinds: Vec<&str> = json["manifest"]["problems"].as_array().unwrap().iter().map(|p| p["kind"].as_str().unwrap()).collect();
    kinds.sort();
    assert_eq!(kinds, ["missing_pdf", "page_count_mismatch"]);
}

/// `--out out`, as a person types it in a terminal, means `./out`: an export and an import both
/// land there (a relative folder used to fail for want of a parent for its staging folder).
#[tokio::test(flavor = "multi_thread")]
async fn a_relative_out_folder_is_taken_from_the_current_folder() {
    let home = Home::with_sandbox(|_| {}).await;
    let mut export = home.export(&["--out", "exported"]);
    export.current_dir(home.dir.path());
    let output = tokio::task::spawn_blocking(move || run(export)).await.unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(home.dir.path().join("exported").join("manifest.json").is_file());

    let zip = home.dir.path().join("example_export.zip");
    let project = annolab_sandbox::project::Project::demo(annolab_sandbox::SourceSet::Generated { instruments: annolab_sandbox::DEMO_INSTRUMENTS });
    let request = annolab_sandbox::request::ExportRequest {
        owner: project.owner.clone(),
        project: project.name.clone(),
        filter: annolab_sandbox::filter::InstrumentFilter::default(),
        include_files: false,
    };
    annolab_sandbox::archive::write(&zip, &project, &request, annolab_sandbox::archive::ArchiveShape::default()).unwrap();
    let mut import = home.cli();
    import.args(["import", "example_export.zip", "--out", "imported"]).current_dir(home.dir.path());
    let output = tokio::task::spawn_blocking(move || run(import)).await.unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(home.dir.path().join("imported").join("instruments.json").is_file());
}
