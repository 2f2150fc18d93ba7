//! `annolab-export package` as a user runs it: the demo project exported, then title packages of
//! its aircraft, read back with lopdf and checked against the export's own instruments.json
//! (the order is worked out here from the annotations, not taken from the engine).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use lopdf::{Document, ObjectId};
use serde_json::Value;

const OWNER: &str = "Group Name owning project";
const PROJECT: &str = "Example Project Name";
const SERIAL: &str = "Serial Number";

/// A scratch home (library and config) with the demo project exported into it once.
struct Home {
    dir: tempfile::TempDir,
    export: PathBuf,
}

impl Home {
    fn exported() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut home = Home { dir, export: PathBuf::new() };
        let mut export = home.cli();
        export.args(["--demo", "export", "--owner", OWNER, "--project", PROJECT]);
        let output = export.output().unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        home.export = PathBuf::from(stdout(&output).trim());
        home
    }

    fn cli(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_annolab-export"));
        command
            .env("ANNOLAB_EXPORT_LIBRARY", self.dir.path().join("library"))
            .env("ANNOLAB_EXPORT_CONFIG", self.dir.path().join("config"))
            .env_remove("ANNOLAB_PROFILE")
            .env_remove("ANNOLAB_API_KEY")
            .stdin(Stdio::null());
        command
    }

    fn package(&self, args: &[&str]) -> Output {
        let mut command = self.cli();
        command.arg("package").arg(&self.export).args(args);
        command.output().unwrap()
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Every instrument of the export by id, as instruments.json has it.
    fn instruments(&self) -> BTreeMap<u64, Value> {
        let text = std::fs::read_to_string(self.export.join("instruments.json")).unwrap();
        text.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()).map(|i| (i["id"].as_u64().unwrap(), i)).collect()
    }
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn last_json(output: &Output) -> Value {
    serde_json::from_str(stdout(output).lines().last().unwrap_or_default()).unwrap_or_else(|e| panic!("{e}: {}", stdout(output)))
}

/// The values of an instrument's tag attributes called `name`.
fn attribute(instrument: &Value, name: &str) -> Vec<String> {
    let tags = instrument["canonicalTags"].as_array().cloned().unwrap_or_default();
    tags.iter()
        .flat_map(|t| t["attributes"].as_array().cloned().unwrap_or_default())
        .filter(|a| a["name"] == name)
        .filter_map(|a| a["value"].as_str().map(str::to_owned))
        .collect()
}

/// Serial number → its instruments' ids, ascending.
fn serials(instruments: &BTreeMap<u64, Value>) -> BTreeMap<String, Vec<u64>> {
    let mut groups: BTreeMap<String, BTreeSet<u64>> = BTreeMap::new();
    for (id, instrument) in instruments {
        for value in attribute(instrument, SERIAL) {
            groups.entry(value).or_default().insert(*id);
        }
    }
    groups.into_iter().map(|(k, v)| (k, v.into_iter().collect())).collect()
}

/// The serial number with the most instruments (ties: the first by value).
fn largest(instruments: &BTreeMap<u64, Value>) -> (String, Vec<u64>) {
    let groups = serials(instruments);
    let most = groups.values().map(Vec::len).max().unwrap();
    groups.into_iter().find(|(_, ids)| ids.len() == most).unwrap()
}

/// `ids` in recording order as the annotations say: ISO dates ascending (ties by id), then the
/// ones with a date that is none, then the ones without a date.
fn recording_order(instruments: &BTreeMap<u64, Value>, ids: &[u64]) -> Vec<u64> {
    let key = |id: &u64| {
        let annotations = instruments[id]["annotations"].as_array().cloned().unwrap_or_default();
        let value = annotations.iter().find(|a| a["typeName"] == "Recording Date").and_then(|a| a["value"].as_str().map(str::to_owned));
        let iso = |v: &str| v.len() == 10 && v.as_bytes()[4] == b'-' && v.as_bytes()[7] == b'-' && v.chars().filter(char::is_ascii_digit).count() == 8;
        match value {
            Some(v) if iso(&v) => (0, v, *id),
            Some(_) => (1, String::new(), *id),
            None => (2, String::new(), *id),
        }
    };
    let mut sorted = ids.to_vec();
    sorted.sort_by_key(key);
    sorted
}

/// (title, page object) of every top-level outline entry, in order.
fn outline(doc: &Document) -> Vec<(String, ObjectId)> {
    let catalog = doc.catalog().unwrap();
    let root = doc.get_dictionary(catalog.get(b"Outlines").unwrap().as_reference().unwrap()).unwrap();
    let mut next = root.get(b"First").ok().map(|f| f.as_reference().unwrap());
    let mut items = Vec::new();
    while let Some(id) = next {
        let item = doc.get_dictionary(id).unwrap();
        let title = lopdf::decode_text_string(item.get(b"Title").unwrap()).unwrap();
        let dest = item.get(b"Dest").unwrap().as_array().unwrap();
        items.push((title, dest[0].as_reference().unwrap()));
        next = item.get(b"Next").ok().map(|n| n.as_reference().unwrap());
    }
    items
}

/// Pages of instrument `id`'s own PDF in the export.
fn pdf_pages(export: &Path, id: u64) -> u32 {
    let suffix = format!("_{id}.pdf");
    let file = std::fs::read_dir(export.join("pdfs")).unwrap().map(|e| e.unwrap().path()).find(|p| p.to_string_lossy().ends_with(&suffix)).unwrap();
    Document::load(file).unwrap().get_pages().len() as u32
}

/// A package read back: instrument `ids` in this order after the cover, each one's pages all
/// there, one bookmark an instrument with its id, at its first page. Returns the page count.
fn assert_package(home: &Home, pdf: &Path, ids: &[u64]) -> u32 {
    let doc = Document::load(pdf).unwrap_or_else(|e| panic!("{}: {e}", pdf.display()));
    let pages = doc.get_pages();
    let items = outline(&doc);
    assert_eq!(items.len(), ids.len(), "{items:?}");
    let sizes: Vec<u32> = ids.iter().map(|&id| pdf_pages(&home.export, id)).collect();
    let body: u32 = sizes.iter().sum();
    let cover = pages.len() as u32 - body;
    assert!(cover >= 1, "a cover before the instruments");
    let mut first = cover + 1;
    for ((id, size), (title, dest)) in ids.iter().zip(&sizes).zip(&items) {
        assert!(title.contains(&format!("#{id}")), "{title}");
        assert_eq!(pages[&first], *dest, "{title} points at page {first}");
        // The sandbox prints each instrument's id on its pages.
        let text = doc.extract_text(&[first]).unwrap();
        assert!(text.contains(&format!("Instrument {id} - page 1 of {size}")), "page {first}, {title}: {text}");
        let last = doc.extract_text(&[first + size - 1]).unwrap();
        assert!(last.contains(&format!("Instrument {id} - page {size} of {size}")), "page {}, {title}: {last}", first + size - 1);
        first += size;
    }
    let contents = doc.extract_text(&(1..=cover).collect::<Vec<_>>()).unwrap();
    assert!(contents.contains("Title package") && contents.contains("Contents"), "{contents}");
    let info = doc.get_dictionary(doc.trailer.get(b"Info").unwrap().as_reference().unwrap()).unwrap();
    assert!(lopdf::decode_text_string(info.get(b"Title").unwrap()).unwrap().contains("Title package"));
    assert!(info.get(b"Subject").is_ok());
    pages.len() as u32
}

#[test]
fn a_serial_number_packages_in_recording_order_with_json_before_or_after_the_command() {
    let home = Home::exported();
    let instruments = home.instruments();
    // The largest aircraft whose recording order is not its id order, so the test can tell the
    // two apart (most demo chains were entered in recording order; `--all` checks every one).
    let mut groups: Vec<(String, Vec<u64>)> = serials(&instruments).into_iter().filter(|(_, ids)| recording_order(&instruments, ids) != *ids).collect();
    groups.sort_by_key(|(_, ids)| std::cmp::Reverse(ids.len()));
    let (serial, ids) = groups.into_iter().next().expect("a demo aircraft recorded out of id order");
    assert!(ids.len() >= 3, "{serial}: {ids:?}");
    let expected = recording_order(&instruments, &ids);

    for (k, json_first) in [true, false].into_iter().enumerate() {
        let out = home.path(&format!("packages/{k}/{serial}.pdf"));
        let mut command = home.cli();
        if json_first {
            command.arg("--json");
        }
        command.arg("package").arg(&home.export).args(["--attribute", SERIAL, "--value", &serial, "--order-by", "Recording Date", "--out"]).arg(&out);
        if !json_first {
            command.arg("--json");
        }
        let output = command.output().unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        let result = last_json(&output);
        assert_eq!(result["result"], "package");
        let got: Vec<u64> = result["ids"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
        assert_eq!(got, expected);
        let pages = assert_package(&home, &out, &expected);
        assert_eq!(result["pages"].as_u64(), Some(u64::from(pages)));
        assert_eq!(result["orderBy"], "Recording Date");
        assert_eq!(PathBuf::from(result["out"].as_str().unwrap()), std::path::absolute(&out).unwrap());
        assert!(!out.with_extension("pdf.part").exists());
    }

    // Without --json: the path on stdout, a summary on stderr; without --out, into saved/.
    let output = home.package(&["--attribute", "serial number", "--value", &serial.to_lowercase()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let saved = PathBuf::from(stdout(&output).trim());
    assert!(saved.starts_with(home.export.join("saved")), "{}", saved.display());
    assert!(stderr(&output).contains(&format!("{} instruments", ids.len())) && stderr(&output).contains("by Recording Date"), "{}", stderr(&output));
    assert_package(&home, &saved, &expected);
}

#[test]
fn all_writes_one_package_a_serial_number_into_the_folder() {
    let home = Home::exported();
    let instruments = home.instruments();
    let groups = serials(&instruments);
    let dir = home.path("all");
    let output = home.package(&["--json", "--attribute", SERIAL, "--all", "--order-by", "Recording Date", "--out-dir", dir.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let result = last_json(&output);
    assert_eq!(result["result"], "packages");
    let packages = result["packages"].as_array().unwrap();
    assert_eq!(packages.len(), groups.len());
    assert_eq!(result["count"].as_u64(), Some(groups.len() as u64));
    let events = stdout(&output).lines().filter(|l| l.contains("\"event\":\"package\"")).count();
    assert_eq!(events, groups.len(), "one event a package written");

    let files: BTreeSet<String> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(files.len(), groups.len(), "{files:?}");
    let mut total = 0;
    for package in packages {
        let value = package["value"].as_str().unwrap();
        let out = PathBuf::from(package["out"].as_str().unwrap());
        assert_eq!(out.parent().unwrap(), std::path::absolute(&dir).unwrap());
        assert_eq!(out.file_name().unwrap().to_string_lossy(), format!("{SERIAL} {value}.pdf"));
        let ids: Vec<u64> = package["ids"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
        assert_eq!(ids, recording_order(&instruments, &groups[value]), "{value}");
        let pages = assert_package(&home, &out, &ids);
        assert_eq!(package["pages"].as_u64(), Some(u64::from(pages)));
        total += u64::from(pages);
    }
    assert_eq!(result["pages"].as_u64(), Some(total));
}

#[test]
fn a_value_field_or_attribute_nobody_has_fails_clearly_and_writes_nothing() {
    let home = Home::exported();
    let (serial, _) = largest(&home.instruments());
    let out = home.path("p.pdf");
    let out_arg = out.to_str().unwrap();
    let all_dir = home.path("all");
    let cases: [(&[&str], &str, &[&str]); 3] = [
        (&["--attribute", SERIAL, "--value", "NO-SUCH-SERIAL"], "group_not_found", &["NO-SUCH-SERIAL"]),
        (&["--attribute", SERIAL, "--value", &serial, "--order-by", "Recorded On"], "unknown_date_field", &["Recorded On", "Recording Date"]),
        (&["--attribute", "Serial", "--value", &serial], "unknown_attribute", &["\"Serial\"", "\"Serial Number\""]),
    ];
    for (args, code, named) in cases {
        let mut with_out: Vec<&str> = args.to_vec();
        with_out.extend(["--out", out_arg]);
        let output = home.package(&with_out);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr(&output));
        let message = stderr(&output);
        assert!(message.starts_with("error: ") && message.lines().count() == 1, "{message}");
        for name in named {
            assert!(message.contains(name), "{args:?} names {name}: {message}");
        }
        with_out.insert(0, "--json");
        let result = last_json(&home.package(&with_out));
        assert_eq!((result["result"].as_str(), result["code"].as_str()), (Some("error"), Some(code)), "{result}");
        // --all with the same mistake fails the same way before writing anything.
        if code != "group_not_found" {
            let mut all: Vec<&str> = args.iter().copied().filter(|a| *a != "--value" && *a != serial.as_str()).collect();
            all.extend(["--all", "--out-dir", all_dir.to_str().unwrap()]);
            let output = home.package(&all);
            assert_eq!(output.status.code(), Some(2), "{all:?}: {}", stderr(&output));
            assert!(stderr(&output).contains(named[0]), "{}", stderr(&output));
        }
    }
    assert!(!out.exists() && !home.path("p.pdf.part").exists() && !all_dir.exists());
    assert!(!home.export.join("saved").exists(), "nothing saved in the export either");

    // --out naming a folder is refused, not written into.
    let output = home.package(&["--attribute", SERIAL, "--value", &serial, "--out", home.dir.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("is a folder"), "{}", stderr(&output));
    // Neither --value nor --all: clap's usage error.
    let output = home.package(&["--attribute", SERIAL]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}
