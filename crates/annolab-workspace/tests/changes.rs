//! "What changed since the last export" in the workspace, without a window: the demo project
//! exported, moved on a week ("Simulate a week of new records") and exported again; the library
//! card's line, the finished job's line, and the browser's "Changes since" filter, details,
//! CSV and PDFs, checked against the engine's own diff of the two exports.

mod common;

use std::path::Path;

use annolab_workspace::browse::Browsers;
use annolab_workspace::changes::{CHANGES_FILE, since_previous};
use annolab_workspace::status::SandboxStatus;
use common::{App, app_with_demo, export};
use export_engine::browse::{ChangeKind, ChangesFilter, Query};
use export_engine::{Difference, Library, diff};

/// Two exports of the demo project, a simulated week apart: (older, newer) folders.
async fn a_week_apart(app: &App) -> (String, String) {
    let first = export(app).await;
    assert_eq!(first.changes, None, "the project's first export has nothing to compare with");
    let status = app.exports.next_demo_week().await.unwrap();
    let SandboxStatus::Running { week, .. } = status else { panic!("the demo runs again after a week: {status:?}") };
    assert_eq!(week, 1);
    let second = export(app).await;
    (first.export_dir.unwrap(), second.export_dir.unwrap())
}

fn changes(since: &str, kinds: &[ChangeKind]) -> Query {
    Query { changes: Some(ChangesFilter { since: since.to_owned(), kinds: kinds.to_vec() }), ..Query::default() }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_simulated_week_shows_on_the_card_and_the_finished_job_as_the_engine_counts_it() {
    let app = app_with_demo(300).await;
    let first = export(&app).await;
    assert!(!first.notice().unwrap().body.contains("since"), "the first export's notification has nothing to compare with");
    app.exports.next_demo_week().await.unwrap();
    assert_eq!(app.settings.demo_week(), 1, "the week is remembered for the next launch");
    let second = export(&app).await;
    let (old, new) = (first.export_dir.clone().unwrap(), second.export_dir.clone().unwrap());

    let expected = diff(Path::new(&old), Path::new(&new)).unwrap().summary;
    assert!(expected.added > 0 && expected.removed > 0 && expected.changed > 0, "a week adds, edits and removes: {expected:?}");
    assert_eq!(second.changes.as_deref(), Some(expected.line().as_str()), "the finished job says what changed");
    let notice = second.notice().unwrap();
    assert_eq!(notice.title, "Export ready");
    assert!(notice.body.ends_with(&format!("instruments\n{}", expected.line())), "the notification says what changed: {:?}", notice.body);

    let library = app.settings.library();
    let card = since_previous(&library, Path::new(&new)).unwrap().expect("the second export has a previous one");
    assert_eq!((card.added, card.removed, card.changed), (expected.added, expected.removed, expected.changed));
    assert_eq!(card.line, expected.line());
    assert_eq!(Path::new(&card.since), Path::new(&old));
    assert!(Path::new(&new).join(CHANGES_FILE).is_file(), "the card's counts are kept with the export");
    assert_eq!(since_previous(&library, Path::new(&old)).unwrap(), None, "the first export has no line");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_kept_counts_are_dropped_when_the_previous_export_is_another() {
    let app = app_with_demo(200).await;
    let (old, new) = a_week_apart(&app).await;
    let library = app.settings.library();
    let card = since_previous(&library, Path::new(&new)).unwrap().unwrap();
    assert!(card.added + card.removed + card.changed > 0);

    // Kept counts that claim another comparison with the same previous export are believed...
    let kept = Path::new(&new).join(CHANGES_FILE);
    let mut doctored: serde_json::Value = serde_json::from_slice(&std::fs::read(&kept).unwrap()).unwrap();
    doctored["added"] = 999_999.into();
    std::fs::write(&kept, serde_json::to_vec(&doctored).unwrap()).unwrap();
    assert_eq!(since_previous(&library, Path::new(&new)).unwrap().unwrap().added, 999_999, "read back, not computed again");

    // ...but once the previous export is gone, there is nothing to compare with.
    Browsers::default().delete(&library, &old).unwrap();
    assert_eq!(since_previous(&library, Path::new(&new)).unwrap(), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn changes_since_filters_new_changed_and_gone_and_details_show_before_and_after() {
    let app = app_with_demo(300).await;
    let (old, new) = a_week_apart(&app).await;
    let library = app.settings.library();
    let report = diff(Path::new(&old), Path::new(&new)).unwrap();
    let browsers = Browsers::default();

    let overview = browsers.overview(&library, &new).unwrap();
    assert_eq!(overview.earlier.len(), 1);
    assert_eq!(Path::new(&overview.earlier[0].dir), Path::new(&old), "the previous export is offered first");

    let all = |q: &Query| browsers.page(&library, &new, q, 0, 1000).unwrap();
    let new_ones = all(&changes(&old, &[ChangeKind::New]));
    assert_eq!(new_ones.total, report.summary.added);
    assert!(new_ones.rows.iter().all(|r| r.change == Some(ChangeKind::New)));
    let added: Vec<u64> = report.differences.iter().filter(|d| matches!(d, Difference::Added { .. })).map(Difference::id).collect();
    assert_eq!(new_ones.rows.iter().map(|r| r.id).collect::<Vec<_>>(), added);

    let changed = all(&changes(&old, &[ChangeKind::Changed]));
    assert_eq!(changed.total, report.summary.changed);
    let both = all(&changes(&old, &[ChangeKind::New, ChangeKind::Changed]));
    assert_eq!(both.total, report.summary.added + report.summary.changed);
    assert_eq!(all(&Query::default()).total, overview.facets.instruments, "no filter, every instrument");

    // A changed instrument: its row names the fields, its details hold them before and after.
    let with_fields = report
        .differences
        .iter()
        .find_map(|d| match d {
            Difference::Changed(c) if !c.fields.is_empty() => Some(c.clone()),
            _ => None,
        })
        .expect("a week edits some instrument's fields");
    let row = changed.rows.iter().find(|r| r.id == with_fields.id).unwrap();
    assert_eq!(row.changed_fields, with_fields.fields.iter().map(|f| f.field).collect::<Vec<_>>());
    let details = browsers.details(&library, &new, with_fields.id).unwrap();
    assert_eq!(details.changes.len(), with_fields.fields.len());
    for (shown, change) in details.changes.iter().zip(&with_fields.fields) {
        assert_eq!(shown.field, change.field);
        assert_eq!((shown.before.clone(), shown.after.clone()), (change.field.text(&change.before), change.field.text(&change.after)));
        assert_ne!(shown.before, shown.after);
    }

    // Gone ones are the older export's rows, details and PDFs.
    let gone = all(&changes(&old, &[ChangeKind::Gone]));
    assert_eq!(gone.total, report.summary.removed);
    assert!(gone.rows.iter().all(|r| r.change == Some(ChangeKind::Gone)));
    let gone_id = gone.rows[0].id;
    let details = browsers.details(&library, &new, gone_id).unwrap();
    assert_eq!(details.row.change, Some(ChangeKind::Gone));
    let older_dir = dunce::canonicalize(&old).unwrap();
    assert!(Path::new(details.pdf.as_deref().unwrap()).starts_with(&older_dir), "{:?}", details.pdf);
    let ids: Vec<u64> = gone.rows.iter().map(|r| r.id).collect();
    let pdfs = browsers.pdf_paths(&library, &new, &ids).unwrap();
    assert_eq!(pdfs.len(), ids.len());
    assert!(pdfs.iter().all(|p| p.starts_with(&older_dir) && p.is_file()), "drag-out carries the older export's PDFs");
    let pdf = details.pdf.unwrap();
    assert!(browsers.file_in_export(&library, &new, &pdf).is_ok(), "a gone PDF can be opened while compared");

    // The CSV of the gone ones: one row each, saved with the browsed export.
    let saved = browsers.save_csv(&library, &new, &changes(&old, &[ChangeKind::Gone])).unwrap();
    assert_eq!(saved.count, report.summary.removed);
    assert!(Path::new(&saved.path).starts_with(dunce::canonicalize(&new).unwrap()));
    let csv = std::fs::read_to_string(&saved.path).unwrap();
    assert!(csv.lines().next().unwrap().ends_with("change,changed fields"), "{}", csv.lines().next().unwrap());
    assert!(csv.lines().skip(1).all(|line| line.contains(",gone,")), "{csv}");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_changes_queries_are_refused_in_words() {
    let app = app_with_demo(120).await;
    let (old, new) = a_week_apart(&app).await;
    let library = app.settings.library();
    let browsers = Browsers::default();

    let mixed = browsers.page(&library, &new, &changes(&old, &[ChangeKind::New, ChangeKind::Gone]), 0, 10).unwrap_err();
    assert_eq!(mixed.code.as_str(), "changes_gone_apart", "{}", mixed.message);

    let elsewhere = app.home.path().join("not-an-export");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let outside = browsers.page(&library, &new, &changes(&elsewhere.display().to_string(), &[ChangeKind::New]), 0, 10).unwrap_err();
    assert!(!outside.message.is_empty());
    assert_ne!(outside.code.as_str(), "changes_gone_apart");

    // The failed comparisons leave the browser working.
    assert!(browsers.page(&library, &new, &Query::default(), 0, 10).unwrap().total > 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_moves_on_one_week_at_a_time_and_not_while_it_is_stopped() {
    let app = app_with_demo(50).await;
    let before = match app.demo.status().await {
        SandboxStatus::Running { week, last_week, .. } => (week, last_week),
        other => panic!("{other:?}"),
    };
    assert_eq!(before, (0, export_engine_weeks()));
    app.exports.next_demo_week().await.unwrap();
    let status = app.exports.next_demo_week().await.unwrap();
    assert!(matches!(status, SandboxStatus::Running { week: 2, .. }), "{status:?}");
    assert_eq!(app.settings.demo_week(), 2);

    app.demo.stop().await;
    let error = app.exports.next_demo_week().await.unwrap_err();
    assert_eq!(error.code.as_str(), "demo_not_ready", "{}", error.message);
    assert_eq!(app.settings.demo_week(), 2, "a refused week is not remembered");
}

fn export_engine_weeks() -> u32 {
    annolab_workspace::demo::MAX_WEEKS
}

#[test]
fn a_library_without_exports_has_nothing_to_compare() {
    let home = tempfile::tempdir().unwrap();
    let library = Library::new(home.path().join("library"));
    let error = since_previous(&library, &home.path().join("library/nothing")).unwrap_err();
    assert!(!error.message.is_empty());
}
