//! One aircraft's chain of title in the workspace, as the app's browser asks for it: the demo
//! project exported, the largest Serial Number group's timeline in recording order, its title
//! package saved in the export's `saved/` folder and reachable by the viewer and drag-out, and a
//! misspelt group or field answered with a typed error.

mod common;

use std::path::Path;

use annolab_workspace::browse::Browsers;
use common::{app_with_demo, export};
use export_engine::browse::{AttributeValue, GroupBy, Query, SAVED};
use export_engine::timeline::{Dating, RECORDING_DATE};

const SERIAL: &str = "Serial Number";

#[tokio::test(flavor = "multi_thread")]
async fn the_largest_aircraft_reads_in_recording_order_and_its_package_is_saved_with_the_export() {
    let app = app_with_demo(300).await;
    let dir = export(&app).await.export_dir.unwrap();
    let library = app.settings.library();
    let browsers = Browsers::default();

    let groups = browsers.groups(&library, &dir, &Query::default(), &GroupBy::Attribute { name: SERIAL.to_owned() }, 1).unwrap();
    let largest = &groups.groups[0];
    assert!(largest.count >= 3, "the demo has chains of several instruments per aircraft: {largest:?}");
    let group = AttributeValue { name: SERIAL.to_owned(), value: largest.value.clone() };

    // Ordered by Recording Date when the user has not chosen a field.
    let view = browsers.timeline(&library, &dir, &group, None).unwrap();
    let timeline = &view.timeline;
    assert_eq!(timeline.order_by.as_deref(), Some(RECORDING_DATE));
    assert!(view.fields.iter().any(|f| f.name == RECORDING_DATE), "the fields offered include it: {:?}", view.fields);
    assert_eq!(timeline.entries.len() as u64, largest.count, "every instrument of the group, once");
    let dated: Vec<&str> = timeline.entries.iter().filter(|e| e.dating == Dating::Dated).filter_map(|e| e.date.as_deref()).collect();
    assert!(dated.len() >= 2, "a timeline worth looking at: {timeline:?}");
    assert!(dated.windows(2).all(|w| w[0] <= w[1]), "dated entries in date order: {dated:?}");
    let first_undated = timeline.entries.iter().position(|e| e.dating != Dating::Dated).unwrap_or(timeline.entries.len());
    assert!(timeline.entries[first_undated..].iter().all(|e| e.dating != Dating::Dated), "undated ones come last");

    // The package: in the export's saved/ folder, the timeline's order, a cover before them.
    let package = browsers.save_package(&library, &dir, &group, timeline.order_by.as_deref()).unwrap();
    let path = Path::new(&package.path);
    assert_eq!(dunce::canonicalize(path.parent().unwrap()).unwrap(), dunce::canonicalize(Path::new(&dir).join(SAVED)).unwrap());
    assert!(path.is_file());
    assert_eq!(package.instruments.iter().map(|i| i.id).collect::<Vec<_>>(), timeline.ids(), "package order is timeline order");
    let body: u32 = package.instruments.iter().map(|i| i.pages).sum();
    assert_eq!(package.pages, package.cover_pages + body);
    let read = lopdf::Document::load(path).unwrap();
    assert_eq!(read.get_pages().len() as u32, package.pages, "the file holds what the app reports");

    // The viewer and drag-out reach it as a file of the export.
    assert_eq!(browsers.file_in_export(&library, &dir, &package.path).unwrap(), dunce::canonicalize(path).unwrap());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_group_nobody_has_or_a_field_the_group_lacks_is_a_typed_error() {
    let app = app_with_demo(60).await;
    let dir = export(&app).await.export_dir.unwrap();
    let library = app.settings.library();
    let browsers = Browsers::default();

    let nobody = AttributeValue { name: SERIAL.to_owned(), value: Some("NO-SUCH-SERIAL".to_owned()) };
    let error = browsers.timeline(&library, &dir, &nobody, None).unwrap_err();
    assert_eq!(serde_json::to_value(error.code).unwrap(), "group_not_found", "{error:?}");
    assert!(error.message.contains("NO-SUCH-SERIAL"), "the message names the value: {}", error.message);

    let groups = browsers.groups(&library, &dir, &Query::default(), &GroupBy::Attribute { name: SERIAL.to_owned() }, 1).unwrap();
    let group = AttributeValue { name: SERIAL.to_owned(), value: groups.groups[0].value.clone() };
    let error = browsers.save_package(&library, &dir, &group, Some("Date of Birth")).unwrap_err();
    assert_eq!(serde_json::to_value(error.code).unwrap(), "unknown_date_field", "{error:?}");
    assert!(error.message.contains(RECORDING_DATE), "the message lists the fields there are: {}", error.message);
    assert!(!Path::new(&dir).join(SAVED).exists() || std::fs::read_dir(Path::new(&dir).join(SAVED)).unwrap().next().is_none(), "nothing written");
}
