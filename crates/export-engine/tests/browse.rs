//! Browsing a real export (the sandbox's demo project, exported through the engine): every
//! answer is checked against the sandbox's own project, not against numbers written here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use annolab_api::{ApiKey, Client, ServerUrl, Storage};
use annolab_sandbox::filter::InstrumentFilter;
use annolab_sandbox::project::{Instrument, Project};
use annolab_sandbox::{DEMO_INSTRUMENTS, SourceSet};
use export_engine::browse::{AttributeValue, Browser, GroupBy, Query, Sort, SortBy};
use export_engine::{Engine, EngineError, ExportInput, ExportRequest, Library, Progress};
use tokio_util::sync::CancellationToken;

const KEY: &str = "browse-test-key-2c9e";

/// Exports the demo project (with or without PDFs) into a temporary library.
async fn exported(include_files: bool) -> (tempfile::TempDir, PathBuf) {
    let sandbox = test_support::instant_sandbox(KEY, |_| {}).await;
    let client = Client::new(ServerUrl::parse(&sandbox.api_url()).unwrap(), ApiKey::new(KEY).unwrap()).unwrap();
    let library = tempfile::tempdir().unwrap();
    let engine = Engine::new(client, Storage::new().unwrap(), Library::new(library.path()));
    let input = ExportInput { owner: "Group Name owning project".into(), project: "Example Project Name".into(), include_files, ..Default::default() };
    let job = engine.create_job(ExportRequest::parse(input).unwrap(), None, None).unwrap();
    let finished = engine.run(job, Arc::new(|_: Progress| {}), CancellationToken::new()).await.unwrap();
    sandbox.shutdown().await;
    (library, finished.dir)
}

fn project() -> Vec<Instrument> {
    let project = Project::demo(SourceSet::Generated { instruments: DEMO_INSTRUMENTS });
    project.instruments().map(|(_, instrument)| instrument).collect()
}

fn attribute_values(instrument: &Instrument, name: &str) -> Vec<String> {
    instrument
        .canonical_tags
        .iter()
        .flat_map(|tag| &tag.attributes)
        .filter(|a| a.name == name)
        .map(|a| a.value.as_str().map_or_else(|| a.value.to_string(), str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn filters_count_what_the_project_holds() {
    let (_library, dir) = exported(true).await;
    let browser = Browser::open(&dir).unwrap();
    let project = Project::demo(SourceSet::Generated { instruments: DEMO_INSTRUMENTS });
    let all: Vec<_> = project.instruments().collect();

    let facets = browser.facets().unwrap();
    assert_eq!(facets.instruments, all.len() as u64);
    let lease = all.iter().filter(|(_, i)| i.type_name == "Lease").count() as u64;
    assert_eq!(browser.count(&Query { types: vec!["Lease".into()], ..Query::default() }).unwrap(), lease);
    assert!(facets.types.iter().any(|c| c.value.as_deref() == Some("Lease") && c.count == lease));

    let engine_tagged = InstrumentFilter { include_types: vec!["Engine Inventory".into()], ..Default::default() };
    let expected = all.iter().filter(|(s, i)| engine_tagged.keeps(s, i)).count() as u64;
    assert_eq!(browser.count(&Query { tag_types: vec!["Engine Inventory".into()], ..Query::default() }).unwrap(), expected);

    let reviewed = all.iter().filter(|(_, i)| i.reviewed_by.is_some()).count() as u64;
    assert_eq!(browser.count(&Query { reviewed: Some(true), ..Query::default() }).unwrap(), reviewed);
    assert_eq!(browser.count(&Query { reviewed: Some(false), ..Query::default() }).unwrap(), all.len() as u64 - reviewed);
    assert_eq!(browser.count(&Query { has_pdf: Some(true), ..Query::default() }).unwrap(), all.len() as u64);
    assert_eq!(browser.count(&Query { has_problems: Some(true), ..Query::default() }).unwrap(), 0);

    let first_source = &all[0].1.source_name;
    let in_source = all.iter().filter(|(_, i)| &i.source_name == first_source).count() as u64;
    assert_eq!(browser.count(&Query { sources: vec![first_source.clone()], ..Query::default() }).unwrap(), in_source);
    assert!(facets.attributes.iter().any(|a| a == "Serial Number"), "{:?}", facets.attributes);
}

#[tokio::test(flavor = "multi_thread")]
async fn search_finds_every_word_as_a_prefix_in_names_and_attributes() {
    let (_library, dir) = exported(false).await;
    let browser = Browser::open(&dir).unwrap();
    let serial = project().iter().flat_map(|i| attribute_values(i, "Serial Number")).next().expect("a serial number in the demo");

    let query = Query { search: serial.clone(), ..Query::default() };
    let page = browser.page(&query, 0, 100).unwrap();
    assert!(page.total >= 1);
    for row in &page.rows {
        let raw = browser.details(row.id).unwrap().raw;
        assert!(raw.contains(&serial), "instrument {} does not mention {serial}", row.id);
    }
    // The fast counts (search alone, tag types alone) agree with the general one, which every
    // source filter forces here without changing the answer.
    let every_source: Vec<String> = browser.facets().unwrap().sources.groups.into_iter().filter_map(|c| c.value).collect();
    for query in [Query { search: "air".into(), ..Query::default() }, Query { tag_types: vec!["Engine Inventory".into()], ..Query::default() }] {
        let general = Query { sources: every_source.clone(), ..query.clone() };
        assert_eq!(browser.count(&query).unwrap(), browser.count(&general).unwrap(), "{query:?}");
        assert!(browser.count(&query).unwrap() > 0);
    }
    let lease_prefix = browser.count(&Query { search: "leas".into(), ..Query::default() }).unwrap();
    assert!(lease_prefix >= project().iter().filter(|i| i.type_name == "Lease").count() as u64);
    // Query syntax typed by a person is taken literally, never a SQL or FTS error.
    for odd in ["\"", "NEAR(", "a OR", "*", "'; DROP TABLE instruments; --", "   "] {
        browser.count(&Query { search: odd.into(), ..Query::default() }).unwrap();
    }
    assert_eq!(browser.count(&Query::default()).unwrap(), DEMO_INSTRUMENTS);
}

#[tokio::test(flavor = "multi_thread")]
async fn sorting_pages_and_attribute_columns_agree() {
    let (_library, dir) = exported(false).await;
    let browser = Browser::open(&dir).unwrap();
    let query = Query { sort: Sort { by: SortBy::Type, descending: false }, columns: vec!["Serial Number".into()], ..Query::default() };

    let whole = browser.page(&query, 0, 1000).unwrap();
    assert_eq!(whole.total, DEMO_INSTRUMENTS);
    let types: Vec<_> = whole.rows.iter().map(|r| r.type_name.clone()).collect();
    assert!(types.windows(2).all(|w| w[0] <= w[1]), "not sorted by type");
    let halves = [browser.page(&query, 0, 100).unwrap().rows, browser.page(&query, 100, 1000).unwrap().rows].concat();
    assert_eq!(halves, whole.rows, "paging is stable");

    let by_id: BTreeMap<u64, Instrument> = project().into_iter().map(|i| (i.id, i)).collect();
    for row in &whole.rows {
        // Several values (an airframe's and an engine's) are shown once each, in ascending
        // order: the text the column sorts by.
        let mut expected = attribute_values(&by_id[&row.id], "Serial Number");
        expected.sort();
        expected.dedup();
        assert_eq!(row.columns, vec![(!expected.is_empty()).then(|| expected.join("; "))], "instrument {}", row.id);
    }

    let descending = Query { sort: Sort { by: SortBy::Attribute { name: "Serial Number".into() }, descending: true }, ..query.clone() };
    let serials: Vec<_> = browser.page(&descending, 0, 1000).unwrap().rows.into_iter().map(|r| r.columns[0].clone()).collect();
    assert!(serials.windows(2).all(|w| w[0] >= w[1]), "not sorted by serial number, descending");
}

#[tokio::test(flavor = "multi_thread")]
async fn groups_by_an_attribute_add_up_and_expand_to_their_rows() {
    let (_library, dir) = exported(false).await;
    let browser = Browser::open(&dir).unwrap();
    let by_serial = GroupBy::Attribute { name: "Serial Number".into() };

    let all = browser.groups(&Query::default(), &by_serial, 100_000).unwrap();
    let groups = &all.groups;
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    for instrument in project() {
        let mut values = attribute_values(&instrument, "Serial Number");
        values.dedup();
        for value in values {
            *expected.entry(value).or_default() += 1;
        }
    }
    let found: BTreeMap<String, u64> = groups.iter().map(|g| (g.value.clone().unwrap_or_default(), g.count)).collect();
    assert_eq!(found, expected);
    assert_eq!(all.total, expected.len() as u64);
    assert!(groups.windows(2).all(|w| w[0].count >= w[1].count), "largest first");

    // A limit keeps the largest groups and still says how many there are.
    let largest = browser.groups(&Query::default(), &by_serial, 3).unwrap();
    assert_eq!(largest.groups, groups[..3]);
    assert_eq!(largest.total, all.total);

    // Under a filter, the groups count only the rows it keeps.
    let leases = Query { types: vec!["Lease".into()], ..Query::default() };
    let lease_groups = browser.groups(&leases, &by_serial, 100_000).unwrap();
    let mut expected_leases: BTreeMap<String, u64> = BTreeMap::new();
    for instrument in project().into_iter().filter(|i| i.type_name == "Lease") {
        let mut values = attribute_values(&instrument, "Serial Number");
        values.dedup();
        for value in values {
            *expected_leases.entry(value).or_default() += 1;
        }
    }
    let found: BTreeMap<String, u64> = lease_groups.groups.iter().map(|g| (g.value.clone().unwrap_or_default(), g.count)).collect();
    assert_eq!(found, expected_leases);

    let biggest = &groups[0];
    let expanded = Query { attribute: Some(AttributeValue { name: "Serial Number".into(), value: biggest.value.clone() }), ..Query::default() };
    assert_eq!(browser.count(&expanded).unwrap(), biggest.count);

    let sources = browser.groups(&Query::default(), &GroupBy::Source, 1000).unwrap();
    assert_eq!(sources.groups.iter().map(|g| g.count).sum::<u64>(), DEMO_INSTRUMENTS);
    assert_eq!(sources.total, sources.groups.len() as u64);
}

#[tokio::test(flavor = "multi_thread")]
async fn sources_are_offered_largest_first_and_found_by_any_part_of_their_name() {
    let (_library, dir) = exported(false).await;
    let browser = Browser::open(&dir).unwrap();
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    for instrument in project() {
        *expected.entry(instrument.source_name).or_default() += 1;
    }

    let offered = browser.facets().unwrap().sources;
    assert_eq!(offered, browser.groups(&Query::default(), &GroupBy::Source, export_engine::browse::FACET_SOURCES).unwrap());
    assert_eq!(offered.total, expected.len() as u64);

    // Any part of the name, in any case; `_` and `%` are characters, not LIKE's wildcards.
    let aircraft = expected.keys().find(|name| name.contains("O_A")).expect("a source like N809ZO_Aircraft… in the demo");
    let found = browser.sources_named("o_a", 50).unwrap();
    let wanted: BTreeMap<String, u64> = expected.iter().filter(|(name, _)| name.to_lowercase().contains("o_a")).map(|(n, c)| (n.clone(), *c)).collect();
    assert!(found.groups.iter().any(|g| g.value.as_ref() == Some(aircraft)));
    assert_eq!(found.groups.iter().map(|g| (g.value.clone().unwrap(), g.count)).collect::<BTreeMap<_, _>>(), wanted);
    assert!(found.groups.windows(2).all(|w| w[0].count >= w[1].count), "largest first: {:?}", found.groups);
    assert_eq!(browser.sources_named("%", 50).unwrap().total, 0);
    // A name typed whole comes first even where larger sources contain it.
    let smallest = offered.groups.last().unwrap().value.clone().unwrap();
    assert_eq!(browser.sources_named(&smallest, 1).unwrap().groups[0].value.as_ref(), Some(&smallest));
    assert_eq!(browser.sources_named("", 1).unwrap().total, expected.len() as u64);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_table_writes_as_csv_one_row_per_instrument() {
    let (library, dir) = exported(false).await;
    let browser = Browser::open(&dir).unwrap();
    let query = Query { types: vec!["Lease".into()], sort: Sort { by: SortBy::Id, descending: true }, ..Query::default() };
    let out = library.path().join("leases.csv");

    let written = browser.write_csv(&query, &out).unwrap();

    // As Excel on Windows reads it correctly: UTF-8 with a byte order mark, CRLF line ends.
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.starts_with("\u{feff}id,".as_bytes()));
    let text = String::from_utf8(bytes).unwrap();
    assert_eq!(text.matches("\r\n").count(), text.matches('\n').count());
    let mut reader = csv::Reader::from_path(&out).unwrap();
    let header = reader.headers().unwrap().clone();
    assert_eq!(&header[0], "id");
    assert!(header.iter().any(|h| h == "Serial Number"));
    let records: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().unwrap();
    assert_eq!(records.len() as u64, written);
    assert_eq!(written, browser.count(&query).unwrap());
    let ids: Vec<u64> = records.iter().map(|r| r[0].parse().unwrap()).collect();
    assert_eq!(ids, browser.page(&query, 0, 10_000).unwrap().rows.iter().map(|r| r.id).collect::<Vec<_>>());
    assert!(records.iter().all(|r| &r[1] == "Lease"));
    assert!(!out.with_extension("csv.part").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn three_instruments_merge_into_one_pdf_in_order() {
    let (library, dir) = exported(true).await;
    let browser = Browser::open(&dir).unwrap();
    let rows = browser.page(&Query::default(), 0, 3).unwrap().rows;
    let ids: Vec<u64> = rows.iter().map(|r| r.id).collect();
    let expected: u64 = rows.iter().map(|r| r.end_page.unwrap() - r.start_page.unwrap() + 1).sum();
    let out = library.path().join("title-package.pdf");

    let pages = browser.merge_pdfs(&[ids[2], ids[0], ids[1]], &out).unwrap();

    assert_eq!(u64::from(pages), expected);
    let merged = lopdf::Document::load(&out).unwrap();
    assert_eq!(merged.get_pages().len() as u64, expected);
    let first_text = merged.extract_text(&[1]).unwrap_or_default();
    let third_first = lopdf::Document::load(browser.pdf_paths(&[ids[2]]).unwrap()[0].as_path()).unwrap().extract_text(&[1]).unwrap_or_default();
    assert_eq!(first_text, third_first, "the first page comes from the first instrument chosen");
}

#[tokio::test(flavor = "multi_thread")]
async fn pdfs_copy_to_a_folder_without_overwriting() {
    let (library, dir) = exported(true).await;
    let browser = Browser::open(&dir).unwrap();
    let ids: Vec<u64> = browser.page(&Query::default(), 0, 2).unwrap().rows.iter().map(|r| r.id).collect();
    let folder = library.path().join("outbox");
    std::fs::create_dir(&folder).unwrap();

    assert_eq!(browser.copy_pdfs(&ids, &folder).unwrap(), 2);
    assert_eq!(browser.copy_pdfs(&ids[..1], &folder).unwrap(), 1);

    let mut names: Vec<String> = std::fs::read_dir(&folder).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(names.iter().any(|n| n.ends_with(" (2).pdf")), "{names:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_pdfs_or_with_a_bad_id_it_says_what_is_wrong() {
    let (library, dir) = exported(false).await;
    let browser = Browser::open(&dir).unwrap();
    let id = browser.page(&Query::default(), 0, 1).unwrap().rows[0].id;
    let out = library.path().join("merged.pdf");

    assert!(matches!(browser.merge_pdfs(&[id], &out), Err(EngineError::NoPdf { .. })));
    assert!(matches!(browser.merge_pdfs(&[], &out), Err(EngineError::NothingToMerge)));
    assert!(matches!(browser.details(1), Err(EngineError::InstrumentNotFound { id: 1 })));
    assert!(!out.exists());
    let details = browser.details(id).unwrap();
    assert_eq!(serde_json::from_str::<serde_json::Value>(&details.raw).unwrap()["id"], id);
    assert_eq!(details.pdf, None);
    assert!(matches!(Browser::open(library.path()), Err(EngineError::CorruptState { .. })));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_index_from_before_the_tag_table_is_upgraded_on_open() {
    let (_library, dir) = exported(false).await;
    drop_tag_table(&dir);
    let browser = Browser::open(&dir).unwrap();
    assert!(browser.count(&Query { tag_types: vec!["Airframe Inventory".into()], ..Query::default() }).unwrap() > 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn details_show_each_instruments_own_line_of_instruments_json() {
    let (_library, dir) = exported(false).await;
    let browser = Browser::open(&dir).unwrap();
    let lines = std::fs::read_to_string(dir.join("instruments.json")).unwrap();
    for row in browser.page(&Query::default(), 0, 500).unwrap().rows {
        let raw = browser.details(row.id).unwrap().raw;
        let line = lines.lines().find(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"] == row.id).unwrap();
        assert_eq!(raw, line.trim());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_instruments_json_changed_after_indexing_is_reported_not_shown_as_another_instrument() {
    let (_library, dir) = exported(false).await;
    let browser = Browser::open(&dir).unwrap();
    let rows = browser.page(&Query::default(), 0, 2).unwrap().rows;
    // The first line removed: every other line moves up by its length.
    let text = std::fs::read_to_string(dir.join("instruments.json")).unwrap();
    std::fs::write(dir.join("instruments.json"), text.split_once('\n').unwrap().1).unwrap();

    let error = browser.details(rows[1].id).unwrap_err();
    assert!(matches!(error, EngineError::ExportChanged { id, .. } if id == rows[1].id), "{error}");
    assert_eq!(error.code().as_str(), "export_changed");
    assert!(error.to_string().contains("export again"), "{error}");
    assert!(browser.page(&Query::default(), 0, 10).is_ok(), "the table still works");
    std::fs::remove_file(dir.join("instruments.json")).unwrap();
    assert!(matches!(browser.details(rows[0].id), Err(EngineError::ExportChanged { .. })));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_index_that_holds_the_raw_json_in_its_rows_still_shows_it() {
    let (_library, dir) = exported(false).await;
    let id = Browser::open(&dir).unwrap().page(&Query::default(), 0, 1).unwrap().rows[0].id;
    {
        // The layout of indexes made before the JSON moved out of the table.
        let db = rusqlite::Connection::open(dir.join("index.sqlite")).unwrap();
        db.execute_batch("ALTER TABLE instruments ADD COLUMN raw TEXT NOT NULL DEFAULT '';").unwrap();
        db.execute("UPDATE instruments SET raw = ?1 WHERE id = ?2", rusqlite::params![format!("{{\"id\":{id},\"old\":true}}"), id as i64]).unwrap();
    }
    let browser = Browser::open(&dir).unwrap();
    assert_eq!(browser.details(id).unwrap().raw, format!("{{\"id\":{id},\"old\":true}}"));
    assert!(browser.count(&Query { reviewed: Some(true), ..Query::default() }).unwrap() > 0);
}

fn drop_tag_table(dir: &Path) {
    let db = rusqlite::Connection::open(dir.join("index.sqlite")).unwrap();
    db.execute_batch("DROP TABLE instrument_tags;").unwrap();
}
