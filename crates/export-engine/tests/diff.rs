//! `diff` against exports built the way the engine builds them (instruments.json, PDFs, the
//! index from `index::build`, a manifest), from the sandbox's demo instruments: random edits of
//! each kind applied to one export come back from `diff` exactly.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use annolab_sandbox::SourceSet;
use annolab_sandbox::project::Project;
use export_engine::extract::PdfFile;
use export_engine::manifest::{Counts, PhaseTimes};
use export_engine::{Difference, EngineError, ExportRequest, Field, Library, LibraryEntry, Manifest, TagFilter, diff, previous_export};
use proptest::prelude::*;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

const OWNER: &str = "Group Name owning project";
const PROJECT: &str = "Example Project Name";

/// The demo project's first `n` instruments as JSON objects.
fn demo(n: u64) -> Vec<Value> {
    Project::demo(SourceSet::Generated { instruments: n }).instruments().map(|(_, i)| serde_json::to_value(i).unwrap()).collect()
}

/// Writes an export of `instruments` (and of `pdfs`, id to bytes, when given) into `dir`.
fn write_export(dir: &Path, project: &str, ready: &str, instruments: &[Value], pdfs: Option<&BTreeMap<u64, Vec<u8>>>) {
    std::fs::create_dir_all(dir.join("pdfs")).unwrap();
    let lines: Vec<String> = instruments.iter().map(|i| serde_json::to_string(i).unwrap()).collect();
    std::fs::write(dir.join("instruments.json"), lines.join("\n") + "\n").unwrap();
    let mut files = BTreeMap::new();
    for (id, bytes) in pdfs.into_iter().flatten() {
        let path = format!("pdfs/{id}.pdf");
        std::fs::write(dir.join(&path), bytes).unwrap();
        files.insert(*id, PdfFile { path, pages: None });
    }
    export_engine::index::build(dir, &files, pdfs.is_some(), &|_| {}, &CancellationToken::new()).unwrap();
    let manifest = Manifest {
        format: 1,
        request: ExportRequest { owner: OWNER.into(), project: project.into(), tags: TagFilter::None, source: None, include_files: pdfs.is_some() },
        server: "http://127.0.0.1".into(),
        profile: None,
        job_id: format!("job-{ready}"),
        remote_job_id: 1,
        status_url: String::new(),
        times: PhaseTimes { ready: Some(ready.into()), ..PhaseTimes::default() },
        zip_sha256: String::new(),
        zip_bytes: 0,
        counts: Counts { instruments: instruments.len() as u64, ..Counts::default() },
        problems: Vec::new(),
        renamed: Vec::new(),
        imported: None,
    };
    manifest.write(dir).unwrap();
}

fn pdfs_of(instruments: &[Value]) -> BTreeMap<u64, Vec<u8>> {
    instruments.iter().map(|i| (i["id"].as_u64().unwrap(), format!("%PDF-1.5 instrument {}", i["id"]).into_bytes())).collect()
}

/// One edit of one instrument.
#[derive(Debug, Clone, Copy)]
enum Edit {
    Keep,
    Remove,
    Type,
    Pages,
    Source,
    Tags,
    Attributes,
    Annotations,
    Review,
    Pdf,
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        4 => Just(Edit::Keep),
        1 => Just(Edit::Remove),
        1 => Just(Edit::Type),
        1 => Just(Edit::Pages),
        1 => Just(Edit::Source),
        1 => Just(Edit::Tags),
        1 => Just(Edit::Attributes),
        1 => Just(Edit::Annotations),
        1 => Just(Edit::Review),
        1 => Just(Edit::Pdf),
    ]
}

/// What `diff` must find: added and removed ids, and per changed id its fields and PDF flag.
#[derive(Debug, Default, PartialEq)]
struct Expected {
    added: BTreeSet<u64>,
    removed: BTreeSet<u64>,
    changed: BTreeMap<u64, (BTreeSet<Field>, bool)>,
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn random_edits_come_back_from_diff_exactly(edits in proptest::collection::vec(edit(), 30), added in 0usize..4, reversed: bool) {
        let base = demo(30);
        let work = tempfile::tempdir().unwrap();
        let old_pdfs = pdfs_of(&base);
        write_export(&work.path().join("old"), PROJECT, "2026-11-30T10:00:00Z", &base, Some(&old_pdfs));

        let mut expected = Expected::default();
        let mut new = Vec::new();
        let mut new_pdfs = BTreeMap::new();
        for (instrument, edit) in base.iter().zip(&edits) {
            let id = instrument["id"].as_u64().unwrap();
            let mut edited = instrument.clone();
            let mut pdf = old_pdfs[&id].clone();
            let mut fields = BTreeSet::new();
            match edit {
                Edit::Keep => {}
                Edit::Remove => {
                    expected.removed.insert(id);
                    continue;
                }
                Edit::Type => { edited["typeName"] = json!("Corrected Type"); fields.insert(Field::Type); }
                Edit::Pages => { edited["endPageNumber"] = json!(instrument["endPageNumber"].as_u64().unwrap() + 1); fields.insert(Field::Pages); }
                Edit::Source => { edited["sourceName"] = json!("Renamed.pdf"); fields.insert(Field::Source); }
                Edit::Tags => {
                    edited["canonicalTags"].as_array_mut().unwrap().push(json!({"tagType": "Instrument", "typeName": "Privileged", "attributes": []}));
                    fields.insert(Field::Tags);
                }
                Edit::Attributes => {
                    // An instrument without tags has no attribute to correct: nothing to find.
                    if let Some(tag) = edited["canonicalTags"].as_array_mut().unwrap().first_mut() {
                        tag["attributes"][0]["value"] = json!("=corrected");
                        fields.insert(Field::Attributes);
                    }
                }
                Edit::Annotations => {
                    edited["annotations"].as_array_mut().unwrap().push(json!({"id": 1, "typeName": "Party", "value": "Added LLC"}));
                    fields.insert(Field::Annotations);
                }
                Edit::Review => { edited["reviewedAt"] = json!("2026-12-01T08:00:00Z"); fields.insert(Field::Review); }
                Edit::Pdf => pdf = format!("%PDF-1.5 instrument {id} edited").into_bytes(),
            }
            let pdf_changed = pdf != old_pdfs[&id];
            if !fields.is_empty() || pdf_changed {
                expected.changed.insert(id, (fields, pdf_changed));
            }
            new_pdfs.insert(id, pdf);
            new.push(edited);
        }
        for (n, template) in base.iter().take(added).enumerate() {
            let mut instrument = template.clone();
            let id = 900_000 + n as u64;
            instrument["id"] = json!(id);
            new_pdfs.insert(id, b"%PDF-1.5 new".to_vec());
            new.push(instrument);
            expected.added.insert(id);
        }
        if reversed {
            // The merge join reads the indexes in id order, whatever the files' order.
            new.reverse();
        }
        write_export(&work.path().join("new"), PROJECT, "2026-12-04T10:00:00Z", &new, Some(&new_pdfs));

        let report = diff(&work.path().join("old"), &work.path().join("new")).unwrap();
        let mut found = Expected::default();
        for difference in &report.differences {
            match difference {
                Difference::Added { id } => { found.added.insert(*id); }
                Difference::Removed { id } => { found.removed.insert(*id); }
                Difference::Changed(c) => {
                    found.changed.insert(c.id, (c.fields.iter().map(|f| f.field).collect(), c.pdf_changed));
                    for f in &c.fields {
                        let old = base.iter().find(|i| i["id"] == c.id).unwrap();
                        if f.field == Field::Type {
                            prop_assert_eq!(&f.before, &old["typeName"]);
                            prop_assert_eq!(&f.after, &json!("Corrected Type"));
                        }
                    }
                }
            }
        }
        let ids: Vec<u64> = report.differences.iter().map(Difference::id).collect();
        prop_assert!(ids.windows(2).all(|w| w[0] < w[1]), "in id order: {:?}", ids);
        prop_assert_eq!(&found, &expected);
        let s = &report.summary;
        prop_assert_eq!((s.added, s.removed, s.changed), (expected.added.len() as u64, expected.removed.len() as u64, expected.changed.len() as u64));
        prop_assert_eq!(s.unchanged, 30 - s.removed - s.changed);
        prop_assert!(s.same_request && s.pdfs_compared);
    }
}

#[test]
fn an_export_against_itself_has_no_differences_and_other_projects_are_refused() {
    let work = tempfile::tempdir().unwrap();
    let base = demo(40);
    write_export(&work.path().join("a"), PROJECT, "2026-11-30T10:00:00Z", &base, None);
    write_export(&work.path().join("b"), "Another Project", "2026-12-01T10:00:00Z", &base, None);
    let report = diff(&work.path().join("a"), &work.path().join("a")).unwrap();
    assert!(report.differences.is_empty() && !report.summary.differs());
    assert_eq!(report.summary.unchanged, 40);
    assert!(!report.summary.pdfs_compared);
    assert_eq!(report.summary.line(), "since 2026-11-30: +0 new, \u{2212}0 gone, 0 changed");

    let refused = diff(&work.path().join("a"), &work.path().join("b")).unwrap_err();
    assert!(matches!(refused, EngineError::DifferentProjects { .. }), "{refused}");
    assert_eq!(refused.code().as_str(), "different_projects");
    assert!(refused.to_string().contains("Another Project"));
    let missing = diff(&work.path().join("a"), &work.path().join("nowhere")).unwrap_err();
    assert_eq!(missing.code().as_str(), "not_an_export", "{missing}");
}

/// An index made before `json_hash` existed: the diff fills the column, and finds the same.
#[test]
fn an_index_without_line_hashes_is_upgraded_and_compared_the_same() {
    let work = tempfile::tempdir().unwrap();
    let base = demo(20);
    let mut edited = base.clone();
    edited[3]["typeName"] = json!("Lease Amendment");
    edited.remove(5);
    write_export(&work.path().join("old"), PROJECT, "2026-11-30T10:00:00Z", &base, None);
    write_export(&work.path().join("new"), PROJECT, "2026-12-01T10:00:00Z", &edited, None);
    for side in ["old", "new"] {
        let db = rusqlite::Connection::open(work.path().join(side).join("index.sqlite")).unwrap();
        db.execute_batch("ALTER TABLE instruments DROP COLUMN json_hash").unwrap();
    }
    let report = diff(&work.path().join("old"), &work.path().join("new")).unwrap();
    let ids: Vec<(u64, &str)> = report.differences.iter().map(|d| (d.id(), d.kind())).collect();
    let id = |i: usize| base[i]["id"].as_u64().unwrap();
    assert_eq!(ids, [(id(3), "changed"), (id(5), "removed")]);
    let db = rusqlite::Connection::open(work.path().join("old/index.sqlite")).unwrap();
    let hashed: i64 = db.query_row("SELECT count(json_hash) FROM instruments", [], |r| r.get(0)).unwrap();
    assert_eq!(hashed, 20);
}

#[test]
fn the_previous_export_is_the_newest_earlier_one_of_the_same_project() {
    let root = tempfile::tempdir().unwrap();
    let library = Library::new(root.path());
    let base = demo(5);
    let dir = |name: &str| root.path().join(OWNER).join(PROJECT).join(name);
    write_export(&dir("1"), PROJECT, "2026-11-20T10:00:00Z", &base, None);
    write_export(&dir("2"), PROJECT, "2026-11-30T10:00:00Z", &base, None);
    write_export(&dir("3"), PROJECT, "2026-12-04T10:00:00Z", &base, None);
    write_export(&root.path().join(OWNER).join("Other").join("4"), "Other", "2026-12-01T10:00:00Z", &base, None);
    let entry = |name: &str| LibraryEntry { dir: dir(name), manifest: Manifest::read(&dir(name)).unwrap() };
    assert_eq!(previous_export(&library, &entry("3")).map(|e| e.dir), Some(dir("2")));
    assert_eq!(previous_export(&library, &entry("2")).map(|e| e.dir), Some(dir("1")));
    assert!(previous_export(&library, &entry("1")).is_none());
}

#[test]
fn the_csv_has_a_row_per_difference_and_keeps_formulas_as_text() {
    let work = tempfile::tempdir().unwrap();
    let base = demo(10);
    let mut edited = base.clone();
    edited[1]["typeName"] = json!("=HYPERLINK(\"x\")");
    edited[1]["reviewedAt"] = json!("2026-12-01T08:00:00Z");
    write_export(&work.path().join("old"), PROJECT, "2026-11-30T10:00:00Z", &base[..9], None);
    write_export(&work.path().join("new"), PROJECT, "2026-12-01T10:00:00Z", &edited, None);
    let out = work.path().join("changes.csv");
    let diff = export_engine::Diff::open(&work.path().join("old"), &work.path().join("new")).unwrap();
    let mut csv = export_engine::DiffCsv::create(&out).unwrap();
    diff.each(|d| csv.write(&d)).unwrap();
    assert_eq!(csv.finish().unwrap(), 3);
    let text = std::fs::read_to_string(&out).unwrap();
    let rows: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    let id = |i: usize| base[i]["id"].as_u64().unwrap();
    assert_eq!(rows[0], "id,kind,field,before,after");
    assert!(rows[1].starts_with(&format!("{},changed,type,{},\"'=HYPERLINK", id(1), base[1]["typeName"].as_str().unwrap())), "{}", rows[1]);
    assert!(rows[2].starts_with(&format!("{},changed,review,", id(1))), "{}", rows[2]);
    assert_eq!(rows[3], format!("{},added,,,", id(9)));
}
