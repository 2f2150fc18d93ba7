//! What the CLI prints: progress bars on a terminal, plain lines otherwise, JSON with --json.
//! Results go to stdout, messages and errors to stderr.

/// A line to stdout. A reader that has gone away (`annolab-export list | head -1`) is not an
/// error of ours: the rest of the output is dropped quietly, where `println!` would panic.
macro_rules! out {
    ($($arg:tt)*) => { $crate::output::line(&mut std::io::stdout().lock(), format_args!($($arg)*)) };
}

/// A line to stderr, dropped the same way when nobody reads it.
macro_rules! say {
    ($($arg:tt)*) => { $crate::output::line(&mut std::io::stderr().lock(), format_args!($($arg)*)) };
}

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Duration;

use export_engine::browse::SearchHit;
use export_engine::{FailureKind, Finished, JobRecord, LibraryEntry, Phase, Profile, Progress, ProgressSink};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

/// Writes one line. Only a closed pipe is taken quietly; any other failure to write (a full
/// disk behind `> file`) is said on stderr, since the output the user asked for is incomplete.
pub fn line(stream: &mut dyn Write, args: std::fmt::Arguments) {
    if let Err(e) = stream.write_fmt(args).and_then(|()| stream.write_all(b"\n"))
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        let _ = writeln!(std::io::stderr(), "warning: could not write the output: {e}");
    }
}

/// A failure as the CLI reports it: exit code from `kind`, a stable `code`, one clear line.
#[derive(Debug)]
pub struct Failure {
    pub kind: FailureKind,
    pub code: FailureCode,
    pub message: String,
}

/// The stable code of a failure: the libraries' (engine, API client, workspace), or the CLI's
/// own for what only a command line meets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureCode {
    Library(annolab_workspace::Code),
    Cli(CliErrorCode),
}

/// The CLI's own codes. Add codes; never rename one, since scripts read `--json` output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CliErrorCode {
    /// A flag or argument the CLI cannot use (no library or config folder, an unreadable key).
    Usage,
    /// The CLI could not start (no async runtime) or the demo could not run here.
    Local,
}

impl FailureCode {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureCode::Library(code) => code.as_str(),
            FailureCode::Cli(CliErrorCode::Usage) => "usage",
            FailureCode::Cli(CliErrorCode::Local) => "local",
        }
    }
}

pub struct Output {
    json: bool,
    terminal: bool,
}

impl Output {
    pub fn new(json: bool) -> Self {
        Output { json, terminal: !json && std::io::stderr().is_terminal() }
    }

    pub fn fail(&self, failure: &Failure) -> ExitCode {
        if self.json {
            out!("{}", json!({"result": "error", "code": failure.code.as_str(), "message": failure.message}));
        } else {
            say!("error: {}", failure.message);
        }
        ExitCode::from(exit_code(failure.kind))
    }

    pub fn json(&self) -> bool {
        self.json
    }

    pub fn note(&self, message: &str) {
        if self.json {
            out!("{}", json!({"event": "notice", "message": message}));
        } else {
            say!("{message}");
        }
    }

    pub fn started(&self, job: &JobRecord) {
        if !self.json {
            say!("Exporting {:?} owned by {:?} (job {})", job.request.project, job.request.owner, job.id);
        }
    }

    pub fn reporter(&self) -> Reporter {
        let bar = self.terminal.then(|| {
            let bar = ProgressBar::new_spinner();
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Reporter { json: self.json, bar, last_phase: Mutex::new(None) }
    }

    /// `since` is the one-line diff against the previous export of the project, if there is one.
    pub fn finished(&self, finished: &Finished, since: Option<&str>) {
        let m = &finished.manifest;
        if self.json {
            let mut result = json!({"result": "ready", "dir": finished.dir, "jobId": m.job_id, "remoteJobId": m.remote_job_id,
                       "instruments": m.counts.instruments, "pdfs": m.counts.pdfs, "problems": m.counts.problems,
                       "zipSha256": m.zip_sha256, "zipBytes": m.zip_bytes});
            if let Some(since) = since {
                result["sinceLast"] = json!(since);
            }
            if let Some(imported) = &m.imported {
                result["importedFrom"] = json!(imported.file);
            }
            out!("{result}");
            return;
        }
        say!(
            "Ready: {} instruments, {} PDFs, {} problem{}.",
            m.counts.instruments,
            m.counts.pdfs,
            m.counts.problems,
            if m.counts.problems == 1 { "" } else { "s" }
        );
        if let Some(since) = since {
            say!("{since}");
        }
        out!("{}", finished.dir.display());
    }

    pub fn logged_in(&self, profile: &str, server: &str, groups: &[String]) {
        if self.json {
            out!("{}", json!({"result": "logged_in", "profile": profile, "server": server, "groups": groups}));
        } else {
            say!("The key works. Saved it in the keychain for profile {profile:?} ({server}).");
            say!("Groups it can see: {}", groups.join(", "));
        }
    }

    pub fn logged_out(&self, profile: &str, removed: bool) {
        if self.json {
            out!("{}", json!({"result": "logged_out", "profile": profile, "removed": removed}));
        } else if removed {
            say!("Removed the key of profile {profile:?} from the keychain.");
        } else {
            say!("Profile {profile:?} had no key in the keychain.");
        }
    }

    pub fn profiles(&self, rows: &[(bool, Profile, bool)]) {
        if self.json {
            let list: Vec<_> = rows.iter().map(|(default, p, key)| json!({"name": p.name, "server": p.server, "default": default, "hasKey": key})).collect();
            out!("{}", json!(list));
            return;
        }
        if rows.is_empty() {
            say!("No profiles yet. `annolab-export login` creates one.");
        }
        for (default, profile, has_key) in rows {
            out!("{} {}\t{}\t{}", if *default { "*" } else { " " }, profile.name, profile.server, if *has_key { "key in keychain" } else { "no key" });
        }
    }

    pub fn jobs(&self, jobs: &[JobRecord]) {
        if self.json {
            out!("{}", serde_json::to_string(jobs).unwrap_or_default());
            return;
        }
        for job in jobs {
            out!(
                "{}\t{}\t{}\t{} / {}\t{}",
                job.id,
                job.state.as_str(),
                job.phase.as_str(),
                job.request.owner,
                job.request.project,
                job.export_dir.as_ref().map(|d| d.display().to_string()).or_else(|| job.error.as_ref().map(|e| e.message.clone())).unwrap_or_default()
            );
        }
    }

    /// What `jobs --prune` removed, and the jobs it kept because they can still resume.
    pub fn pruned(&self, removed: &[JobRecord], remaining: &[JobRecord]) {
        let kept: Vec<&str> = remaining.iter().filter(|j| j.resumable()).map(|j| j.id.as_str()).collect();
        if self.json {
            let removed: Vec<&str> = removed.iter().map(|j| j.id.as_str()).collect();
            out!("{}", json!({"result": "pruned", "removed": removed, "resumable": kept}));
            return;
        }
        out!("Removed {} finished job{} from the list (their exports stay in the library).", removed.len(), if removed.len() == 1 { "" } else { "s" });
        if !kept.is_empty() {
            out!("Kept {} that can still resume: {}. `annolab-export resume` finishes them.", kept.len(), kept.join(", "));
        }
    }

    pub fn library(&self, entries: &[LibraryEntry]) {
        if self.json {
            let list: Vec<_> = entries.iter().map(|e| json!({"dir": e.dir, "manifest": e.manifest})).collect();
            out!("{}", json!(list));
            return;
        }
        for e in entries {
            let m = &e.manifest;
            out!(
                "{}\t{} / {}\t{} instruments\t{} PDFs\t{} problems",
                e.dir.display(),
                m.request.owner,
                m.request.project,
                m.counts.instruments,
                m.counts.pdfs,
                m.counts.problems
            );
        }
    }

    pub fn show(&self, entry: &LibraryEntry) {
        let m = &entry.manifest;
        if self.json {
            out!("{}", json!({"dir": entry.dir, "manifest": m}));
            return;
        }
        out!("Export      {}", entry.dir.display());
        out!("Project     {} / {}", m.request.owner, m.request.project);
        match &m.imported {
            Some(imported) => out!("Imported    from {} at {}", imported.file, imported.at),
            None => out!("Server      {} (job {})", m.server, m.remote_job_id),
        }
        out!("Ready at    {}", m.times.ready.as_deref().unwrap_or("-"));
        out!("Contents    {} instruments, {} PDFs, {} bytes", m.counts.instruments, m.counts.pdfs, m.counts.bytes);
        out!("Zip sha256  {}", m.zip_sha256);
        out!("Problems    {}", m.counts.problems);
        for problem in &m.problems {
            out!("  - {}", problem.message);
        }
    }

    pub fn hits(&self, hits: &[SearchHit]) {
        if self.json {
            out!("{}", json!(hits));
            return;
        }
        for hit in hits {
            out!(
                "{}\t{}\t{}\tpages {}-{}\t{}",
                hit.id,
                hit.type_name.as_deref().unwrap_or("-"),
                hit.source_name.as_deref().unwrap_or("-"),
                hit.start_page.unwrap_or(0),
                hit.end_page.unwrap_or(0),
                hit.pdf_path.as_deref().unwrap_or("")
            );
        }
    }
}

/// Progress of one job.
pub struct Reporter {
    json: bool,
    bar: Option<ProgressBar>,
    last_phase: Mutex<Option<Phase>>,
}

impl Reporter {
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    fn phase_label(phase: Phase) -> &'static str {
        match phase {
            Phase::Requested => "Requesting the export",
            Phase::Processing => "Processing on the server",
            Phase::Downloading => "Downloading",
            Phase::Verifying => "Verifying",
            Phase::Extracting => "Extracting",
            Phase::Indexing => "Indexing",
            Phase::Ready => "Ready",
        }
    }
}

impl ProgressSink for Reporter {
    fn emit(&self, progress: Progress) {
        if self.json {
            out!("{}", serde_json::to_string(&progress).unwrap_or_default());
            return;
        }
        let Some(bar) = &self.bar else {
            // Not a terminal: a line a phase, and the notices.
            match progress {
                Progress::Phase { phase } => say!("{}", Self::phase_label(phase)),
                Progress::Notice { message } => say!("  {message}"),
                _ => {}
            }
            return;
        };
        match progress {
            Progress::Phase { phase } => {
                *self.last_phase.lock().unwrap_or_else(|p| p.into_inner()) = Some(phase);
                bar.set_position(0);
                bar.set_length(0);
                match phase {
                    Phase::Downloading => bar.set_style(bytes_style()),
                    Phase::Verifying | Phase::Extracting | Phase::Indexing => bar.set_style(count_style()),
                    _ => bar.set_style(ProgressStyle::default_spinner()),
                }
                bar.set_message(Self::phase_label(phase));
            }
            Progress::Polled { polls, elapsed_ms, server_status } => {
                bar.set_message(format!("Processing on the server: {server_status} ({:.0} s, {polls} polls)", elapsed_ms as f64 / 1000.0));
            }
            Progress::Downloaded { bytes, total, .. } => {
                if let Some(total) = total {
                    bar.set_length(total);
                }
                bar.set_position(bytes);
            }
            Progress::Verified { entries: n, total } | Progress::Extracted { files: n, total } => {
                bar.set_length(total);
                bar.set_position(n);
            }
            Progress::Indexed { instruments } => bar.set_position(instruments),
            Progress::Notice { message } => bar.println(format!("  {message}")),
        }
    }
}

fn bytes_style() -> ProgressStyle {
    ProgressStyle::with_template("{msg} [{bar:32}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

fn count_style() -> ProgressStyle {
    ProgressStyle::with_template("{msg} [{bar:32}] {pos}/{len}").unwrap_or_else(|_| ProgressStyle::default_bar()).progress_chars("=> ")
}

pub fn exit_code(kind: FailureKind) -> u8 {
    match kind {
        FailureKind::Usage => 2,
        FailureKind::Auth => 3,
        FailureKind::NotFound => 4,
        FailureKind::ExportErrored => 5,
        FailureKind::Network => 6,
        FailureKind::BadArchive => 7,
        FailureKind::Cancelled => 8,
        FailureKind::Local => 9,
    }
}
