//! `annolab-export diff OLD NEW`: what changed between two exports of one project, as a summary
//! and a table, a final JSON object (`--json`), a CSV file (`--csv`), and with `--exit-code` an
//! exit status that says whether they differ (as `git diff --exit-code` does).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use export_engine::{Diff, DiffCsv, DiffSummary, Difference, Field, Library, LibraryEntry, previous_export};
use serde_json::{Map, Value, json};

use crate::output::{Failure, Output};

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The older export: a folder, a library export's folder name, or a job id.
    pub old: String,
    /// The newer export, given the same ways.
    pub new: String,
    /// Also write one row per difference (id, kind, field, before, after) to this CSV file.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// Exit with 1 when the exports differ and 0 when they are the same.
    #[arg(long)]
    pub exit_code: bool,
}

pub fn run(library: &Library, args: &DiffArgs, output: &Output) -> Result<ExitCode, Failure> {
    let (old, new) = (library.find(&args.old)?, library.find(&args.new)?);
    let diff = Diff::open(&old.dir, &new.dir)?;
    let mut csv = args.csv.as_deref().map(DiffCsv::create).transpose()?;
    // Each difference is folded into what will be printed as it arrives (ids, JSON text, table
    // lines) and let go: a million-instrument diff holds that text, not every difference's values.
    let mut collected = Collected::default();
    let summary = diff.each(|difference| {
        if let Some(csv) = &mut csv {
            csv.write(&difference)?;
        }
        collected.add(&difference, output.json());
        Ok(())
    })?;
    if let Some(csv) = csv {
        csv.finish()?;
    }
    if output.json() {
        out!("{}", result(&summary, &collected));
    } else {
        print(&summary, &collected.lines);
    }
    Ok(if args.exit_code && summary.differs() { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// The differences as they will be printed: for `--json` the ids and each changed instrument's
/// object as JSON text, else the table's lines.
#[derive(Default)]
struct Collected {
    added: Vec<u64>,
    removed: Vec<u64>,
    changed: Vec<String>,
    lines: Vec<String>,
}

impl Collected {
    fn add(&mut self, difference: &Difference, json: bool) {
        if !json {
            table_lines(difference, &mut self.lines);
            return;
        }
        match difference {
            Difference::Added { id } => self.added.push(*id),
            Difference::Removed { id } => self.removed.push(*id),
            Difference::Changed(c) => {
                let fields: Map<String, Value> =
                    c.fields.iter().map(|f| (f.field.as_str().to_owned(), json!({"before": f.before, "after": f.after}))).collect();
                self.changed.push(json!({"id": c.id, "fields": fields, "pdfChanged": c.pdf_changed}).to_string());
            }
        }
    }
}

/// The one-line summary of `export` against the newest earlier export of its project in the
/// library, for the end of `export`; None when there is none. A diff that fails is said as a
/// warning: the export itself succeeded.
pub fn since_last(library: &Library, export: &LibraryEntry, output: &Output) -> Option<String> {
    let previous = previous_export(library, export)?;
    match Diff::open(&previous.dir, &export.dir).and_then(|diff| diff.summary()) {
        Ok(summary) => Some(summary.line()),
        Err(e) => {
            output.note(&format!("Could not compare with the previous export {}: {e}", previous.dir.display()));
            None
        }
    }
}

/// The final JSON object: ids as numbers, each changed field with its values before and after.
fn result(summary: &DiffSummary, collected: &Collected) -> String {
    let object = json!({
        "result": "diff",
        "summary": summary.line(),
        "added": collected.added,
        "removed": collected.removed,
        "unchanged": summary.unchanged,
        "sameRequest": summary.same_request,
        "pdfsCompared": summary.pdfs_compared,
        "old": summary.old,
        "new": summary.new,
    })
    .to_string();
    // The changed objects are JSON already: spliced in rather than parsed back into values.
    let head = object.strip_suffix('}').unwrap_or(&object);
    format!("{head},\"changed\":[{}]}}", collected.changed.join(","))
}

/// The summary, then a table of one line per difference (a changed instrument: one per field).
fn print(summary: &DiffSummary, lines: &[String]) {
    out!("{}", summary.line());
    out!("old  {} ({} instruments, ready {})", summary.old.dir.display(), summary.old.instruments, summary.old.ready.as_deref().unwrap_or("-"));
    out!("new  {} ({} instruments, ready {})", summary.new.dir.display(), summary.new.instruments, summary.new.ready.as_deref().unwrap_or("-"));
    if !summary.same_request {
        out!("note: the two exports were made with different requests (filters, source or PDFs), so some instruments may be new or gone because of that.");
    }
    if !summary.pdfs_compared {
        out!("note: PDFs were not compared: at least one of the exports was made without them.");
    }
    if lines.is_empty() {
        out!("The exports hold the same instruments.");
        return;
    }
    out!("");
    out!("{:<10}  {:<8}  {:<11}  {:<40}  after", "id", "change", "field", "before");
    for line in lines {
        out!("{line}");
    }
}

/// The table's lines for one difference.
fn table_lines(difference: &Difference, lines: &mut Vec<String>) {
    let id = difference.id();
    match difference {
        Difference::Added { .. } | Difference::Removed { .. } => lines.push(format!("{id:<10}  {}", difference.kind())),
        Difference::Changed(c) => {
            for f in &c.fields {
                lines.push(format!("{id:<10}  changed   {:<11}  {:<40}  {}", f.field.as_str(), cut(f.field, &f.before), cut(f.field, &f.after)));
            }
            if c.pdf_changed {
                lines.push(format!("{id:<10}  changed   {:<11}  {:<40}  {}", "pdf", "(bytes differ)", ""));
            }
        }
    }
}

/// A value as table text, at most 40 characters.
fn cut(field: Field, value: &Value) -> String {
    let text = field.text(value);
    let text = if text.is_empty() { "-".to_owned() } else { text };
    if text.chars().count() > 40 { format!("{}…", text.chars().take(39).collect::<String>()) } else { text }
}
