//! Timelines and title packages of the sandbox's demo aircraft, exported through the engine and
//! read back with lopdf: pages, order, outline titles and destinations, and the cover's text.

use std::path::PathBuf;
use std::sync::Arc;

use annolab_api::{ApiKey, Client, ServerUrl, Storage};
use export_engine::browse::{AttributeValue, Browser, GroupBy, Query};
use export_engine::timeline::Dating;
use export_engine::{Engine, EngineError, ExportInput, ExportRequest, Library, Progress};
use lopdf::{Document, ObjectId};
use tokio_util::sync::CancellationToken;

const KEY: &str = "package-test-key-71d0";

async fn exported() -> (tempfile::TempDir, PathBuf) {
    let sandbox = test_support::instant_sandbox(KEY, |_| {}).await;
    let client = Client::new(ServerUrl::parse(&sandbox.api_url()).unwrap(), ApiKey::new(KEY).unwrap()).unwrap();
    let library = tempfile::tempdir().unwrap();
    let engine = Engine::new(client, Storage::new().unwrap(), Library::new(library.path()));
    let input = ExportInput { owner: "Group Name owning project".into(), project: "Example Project Name".into(), include_files: true, ..Default::default() };
    let job = engine.create_job(ExportRequest::parse(input).unwrap(), None, None).unwrap();
    let finished = engine.run(job, Arc::new(|_: Progress| {}), CancellationToken::new()).await.unwrap();
    sandbox.shutdown().await;
    (library, finished.dir)
}

/// Serial numbers, largest group first.
fn serials(browser: &Browser) -> Vec<AttributeValue> {
    let groups = browser.groups(&Query::default(), &GroupBy::Attribute { name: "Serial Number".into() }, 1000).unwrap();
    groups.groups.into_iter().map(|g| AttributeValue { name: "Serial Number".into(), value: g.value }).collect()
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

fn info(doc: &Document, key: &[u8]) -> String {
    let info = doc.trailer.get(b"Info").unwrap().as_reference().unwrap();
    lopdf::decode_text_string(doc.get_dictionary(info).unwrap().get(key).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_largest_aircraft_packages_in_recording_order_with_a_bookmark_at_each_first_page() {
    let (_library, dir) = exported().await;
    let browser = Browser::open(&dir).unwrap();
    let group = serials(&browser).remove(0);
    let fields = browser.date_fields(&group).unwrap();
    assert!(fields.iter().any(|f| f.name == "Recording Date" && f.in_attributes && f.in_annotations), "{fields:?}");
    assert_eq!(export_engine::timeline::default_order(&fields), Some("Recording Date"));

    let timeline = browser.timeline(&group, Some("recording date")).unwrap();
    assert_eq!(timeline.order_by.as_deref(), Some("Recording Date"));
    let dated: Vec<&str> = timeline.entries.iter().filter(|e| e.dating == Dating::Dated).map(|e| e.date.as_deref().unwrap()).collect();
    assert!(dated.windows(2).all(|w| w[0] <= w[1]), "{dated:?}");
    let first_undated = timeline.entries.iter().position(|e| e.dating != Dating::Dated).unwrap_or(timeline.entries.len());
    assert!(timeline.entries[first_undated..].iter().all(|e| e.dating != Dating::Dated), "undated ones come last");

    let out = dir.join("package.pdf");
    let package = browser.write_package(&timeline, &out).unwrap();
    let doc = Document::load(&out).unwrap();
    let pages = doc.get_pages();
    assert_eq!(pages.len() as u32, package.pages);
    let body: u32 = timeline.entries.iter().map(|e| e.pdf_pages.unwrap() as u32).sum();
    assert_eq!(package.pages, package.cover_pages + body);
    assert_eq!(package.included_ids(), timeline.ids());

    let items = outline(&doc);
    assert_eq!(items.len(), timeline.entries.len());
    for ((title, page), (entry, placed)) in items.iter().zip(timeline.entries.iter().zip(&package.instruments)) {
        assert!(title.contains(&format!("#{}", entry.id)), "{title}");
        assert!(title.contains(entry.type_name.as_deref().unwrap()), "{title}");
        let first = placed.first_page.unwrap();
        assert_eq!(pages[&first], *page, "{title} points at page {first}");
        // The instrument's own first page says which instrument it is (the sandbox prints it).
        let text = doc.extract_text(&[first]).unwrap();
        assert!(text.contains(&format!("Instrument {} - page 1 of", entry.id)), "{title}: {text}");
    }

    let cover = doc.extract_text(&(1..=package.cover_pages).collect::<Vec<_>>()).unwrap();
    assert!(cover.contains("Title package") && cover.contains(group.value.as_deref().unwrap()), "{cover}");
    assert!(cover.contains("Example Project Name"), "{cover}");
    for (entry, placed) in timeline.entries.iter().zip(&package.instruments) {
        assert!(cover.contains(&entry.id.to_string()) && cover.contains(&placed.first_page.unwrap().to_string()), "{cover}");
    }
    assert!(info(&doc, b"Title").contains(group.value.as_deref().unwrap()));
    assert!(info(&doc, b"Subject").contains("Recording Date"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_pdf_and_an_undated_instrument_are_problems_on_the_cover_not_failures() {
    let (_library, dir) = exported().await;
    let browser = Browser::open(&dir).unwrap();
    // A group with an undated or misread instrument (the demo has some).
    let (group, timeline) = serials(&browser)
        .into_iter()
        .map(|g| {
            let t = browser.timeline(&g, Some("Recording Date")).unwrap();
            (g, t)
        })
        .find(|(_, t)| t.undated + t.unparseable > 0 && t.entries.len() >= 3)
        .expect("a group with an undated instrument");
    let last = timeline.entries.last().unwrap();
    assert_ne!(last.dating, Dating::Dated);

    // Delete the first instrument's PDF from the export.
    let gone = timeline.entries[0].id;
    std::fs::remove_file(&browser.pdf_paths(&[gone]).unwrap()[0]).unwrap();
    let package = browser.save_package(&timeline).unwrap();
    assert!(package.path.contains("saved"), "{}", package.path);
    let doc = Document::load(&package.path).unwrap();
    assert_eq!(package.instruments[0].first_page, None);
    assert!(!package.included_ids().contains(&gone));
    let cover = doc.extract_text(&(1..=package.cover_pages).collect::<Vec<_>>()).unwrap();
    assert!(cover.contains("Problems"), "{cover}");
    assert!(cover.contains(&format!("#{gone}")) && cover.contains("could not be read"), "{cover}");
    assert!(cover.contains(&format!("#{}", last.id)) && cover.contains("placed after the dated instruments"), "{cover}");
    let items = outline(&doc);
    assert!(items[0].0.contains(&format!("#{gone}")) && items[0].0.contains("no PDF"), "{:?}", items[0]);
    assert_eq!(doc.get_pages().len() as u32, package.pages);
    let _ = group;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_group_or_field_is_a_typed_error() {
    let (_library, dir) = exported().await;
    let browser = Browser::open(&dir).unwrap();
    let nobody = AttributeValue { name: "Serial Number".into(), value: Some("NO-SUCH-SERIAL".into()) };
    assert!(matches!(browser.timeline(&nobody, None), Err(EngineError::GroupNotFound { .. })));
    let group = serials(&browser).remove(0);
    match browser.timeline(&group, Some("Date of Birth")) {
        Err(EngineError::UnknownDateField { found, .. }) => assert!(found.contains("Recording Date"), "{found}"),
        other => panic!("{other:?}"),
    }
    // A field whose values are no dates orders nothing, and says so entry by entry.
    let by_make = browser.timeline(&group, Some("Make")).unwrap();
    assert!(by_make.entries.iter().all(|e| e.dating == Dating::Undated));
}
