//! `annolab-export package EXPORT --attribute NAME --value VALUE`: the title package of one
//! group (every instrument whose tag attribute NAME is VALUE, ordered by a date field, after a
//! cover with a table of contents, one bookmark an instrument) as one PDF; `--all` writes one a
//! value. With `--json`, one event a package written and a final object listing the instrument
//! ids in package order and the page count.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use clap::{ArgGroup, Args};
use export_engine::browse::{AttributeValue, Browser, GroupBy, Query};
use export_engine::package::{self, Package};
use export_engine::timeline::Timeline;
use export_engine::{EngineError, Library};
use serde_json::{Value, json};

use crate::output::{Failure, Output};

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("which").required(true).args(["value", "all"])))]
pub struct PackageArgs {
    /// The export: a folder, a library export's folder name, or a job id.
    pub export: String,
    /// The tag attribute that names the group, e.g. "Serial Number" (exact, else in any case).
    #[arg(long, value_name = "NAME")]
    pub attribute: String,
    /// The attribute's value: the group to package (exact, else in any case).
    #[arg(long, value_name = "VALUE")]
    pub value: Option<String>,
    /// One package for every value of the attribute.
    #[arg(long, conflicts_with_all = ["value", "out"])]
    pub all: bool,
    /// The date field to order by, a tag attribute or an annotation type (default: "Recording
    /// Date" when the group has it, else its field with the most dates, else instrument id).
    #[arg(long, value_name = "FIELD")]
    pub order_by: Option<String>,
    /// Write the package to this file (default: the export's saved/ folder).
    #[arg(long, value_name = "FILE.pdf")]
    pub out: Option<PathBuf>,
    /// With --all: write the packages into this folder, one `NAME VALUE.pdf` a value (default:
    /// the export's saved/ folder).
    #[arg(long, value_name = "DIR", requires = "all")]
    pub out_dir: Option<PathBuf>,
}

pub fn run(library: &Library, args: &PackageArgs, output: &Output) -> Result<(), Failure> {
    let entry = library.find(&args.export)?;
    let browser = Browser::open(&entry.dir)?;
    let attribute = browser.attribute_named(&args.attribute)?;
    match &args.value {
        Some(value) => one(&browser, &attribute, value, args, output),
        None => all(&browser, &attribute, args, output),
    }
}

fn one(browser: &Browser, attribute: &str, value: &str, args: &PackageArgs, output: &Output) -> Result<(), Failure> {
    let group = browser.group(attribute, value)?;
    let timeline = browser.timeline_by(&group, args.order_by.as_deref())?;
    let package = match &args.out {
        Some(out) => browser.write_package(&timeline, &file_target(out)?)?,
        None => browser.save_package(&timeline)?,
    };
    if output.json() {
        let mut result = described(&timeline, &package);
        result["result"] = json!("package");
        out!("{result}");
    } else {
        summary(&timeline, &package);
        out!("{}", package.path);
    }
    Ok(())
}

fn all(browser: &Browser, attribute: &str, args: &PackageArgs, output: &Output) -> Result<(), Failure> {
    let groups = browser.groups(&Query::default(), &GroupBy::Attribute { name: attribute.to_owned() }, i64::MAX as u64)?;
    let groups: Vec<AttributeValue> =
        groups.groups.into_iter().filter_map(|g| g.value).map(|value| AttributeValue { name: attribute.to_owned(), value: Some(value) }).collect();
    if groups.is_empty() {
        return Err(Failure::usage(format!("No instrument of this export has a value for {attribute:?}; there is nothing to package.")));
    }
    // Every timeline first, so a misspelt --order-by fails before any file is written.
    let mut timelines = Vec::with_capacity(groups.len());
    let mut unordered = Vec::new();
    for group in &groups {
        match browser.timeline_by(group, args.order_by.as_deref()) {
            Ok(timeline) => timelines.push(timeline),
            // A field other groups have: this one is packaged in id order and says so.
            Err(EngineError::UnknownDateField { .. }) => {
                unordered.push(group.value.clone().unwrap_or_default());
                timelines.push(browser.timeline(group, None)?);
            }
            Err(other) => return Err(other.into()),
        }
    }
    if let Some(field) = &args.order_by
        && unordered.len() == groups.len()
    {
        // No group has the field: the first group's error lists the date fields there are.
        browser.timeline_by(&groups[0], Some(field))?;
        return Err(Failure::usage(format!("No instrument of this export has a value named {field:?} to order by.")));
    }
    if !unordered.is_empty() {
        output.note(&format!(
            "{} group{} without {:?} packaged in instrument-id order: {}",
            unordered.len(),
            if unordered.len() == 1 { "" } else { "s" },
            args.order_by.as_deref().unwrap_or_default(),
            unordered.join(", ")
        ));
    }

    let folder = match &args.out_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| Failure::local(format!("Could not create the folder {}: {e}", dir.display())))?;
            Some(dir.clone())
        }
        None => None,
    };
    let mut names = FileNames::default();
    let mut packages = Vec::with_capacity(timelines.len());
    let mut pages = 0u64;
    for timeline in &timelines {
        let package = match &folder {
            Some(dir) => browser.write_package(timeline, &dir.join(names.take(&package::file_name(timeline))))?,
            None => browser.save_package(timeline)?,
        };
        pages += u64::from(package.pages);
        let described = described(timeline, &package);
        if output.json() {
            let mut event = described.clone();
            event["event"] = json!("package");
            out!("{event}");
        } else {
            summary(timeline, &package);
            out!("{}", package.path);
        }
        packages.push(described);
    }
    if output.json() {
        out!(
            "{}",
            json!({"result": "packages", "attribute": attribute, "orderBy": args.order_by, "count": packages.len(), "pages": pages, "outDir": folder.as_deref().map(absolute), "packages": packages})
        );
    } else {
        say!("{} packages, {pages} pages in all.", packages.len());
    }
    Ok(())
}

/// `out` as a file to write: its folder made if missing; a folder itself is refused.
fn file_target(out: &Path) -> Result<PathBuf, Failure> {
    if out.is_dir() {
        return Err(Failure::usage(format!("--out {} is a folder; give a file name such as {}.", out.display(), out.join("package.pdf").display())));
    }
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| Failure::local(format!("Could not create the folder {}: {e}", parent.display())))?;
    }
    Ok(out.to_path_buf())
}

fn absolute(path: &Path) -> String {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()).display().to_string()
}

/// One package as `--json` reports it: the ids whose pages are in it, in package order, and
/// every instrument of the group with its first page (null when its PDF is missing).
fn described(timeline: &Timeline, package: &Package) -> Value {
    let instruments: Vec<Value> = package
        .instruments
        .iter()
        .zip(&timeline.entries)
        .map(|(p, e)| json!({"id": p.id, "firstPage": p.first_page, "pages": p.pages, "title": p.title, "date": e.date, "dating": e.dating, "type": e.type_name}))
        .collect();
    json!({
        "attribute": timeline.group.name,
        "value": timeline.group.value,
        "orderBy": package.order_by,
        "out": package.path,
        "ids": package.included_ids(),
        "pages": package.pages,
        "coverPages": package.cover_pages,
        "instruments": instruments,
        "undated": timeline.undated,
        "unparseable": timeline.unparseable,
        "possibleDuplicates": timeline.possible_duplicates,
        "problems": package.problems,
    })
}

/// The human summary, on stderr (stdout has the path).
fn summary(timeline: &Timeline, package: &Package) {
    let included = package.included_ids().len();
    let order = match &package.order_by {
        Some(field) => format!("by {field}"),
        None => "in instrument-id order".to_owned(),
    };
    let count = package.instruments.len();
    say!(
        "{} = {}: {count} instrument{} ({included} with pages) {order}, {} pages ({} cover).",
        timeline.group.name,
        timeline.group.value.as_deref().unwrap_or("(no value)"),
        if count == 1 { "" } else { "s" },
        package.pages,
        package.cover_pages
    );
    for problem in &package.problems {
        say!("  - {problem}");
    }
}

/// File names already given in one folder, compared as a case-insensitive disk would: a second
/// `MC-1` beside `mc-1`, or two values that sanitise alike, become `name (2).pdf`.
#[derive(Default)]
struct FileNames {
    taken: HashSet<String>,
}

impl FileNames {
    fn take(&mut self, name: &str) -> String {
        let (stem, extension) = name.rsplit_once('.').unwrap_or((name, "pdf"));
        let mut candidate = name.to_owned();
        for n in 2.. {
            if self.taken.insert(candidate.to_lowercase()) {
                break;
            }
            candidate = format!("{stem} ({n}).{extension}");
        }
        candidate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_a_case_insensitive_disk_would_merge_are_numbered() {
        let mut names = FileNames::default();
        assert_eq!(names.take("Serial Number MC-1.pdf"), "Serial Number MC-1.pdf");
        assert_eq!(names.take("Serial Number mc-1.pdf"), "Serial Number mc-1 (2).pdf");
        assert_eq!(names.take("Serial Number MC-1.pdf"), "Serial Number MC-1 (3).pdf");
        assert_eq!(names.take("Serial Number MC-2.pdf"), "Serial Number MC-2.pdf");
    }
}
