//! The browser's fast answers (its table in memory) against the plain ones (one SQL statement
//! each) on random exports and random questions: every page, count and grouping must be the
//! same, row for row, whatever the filters, the search, the sort and the marks of a comparison.

use std::collections::BTreeMap;
use std::path::Path;

use export_engine::browse::{AttributeValue, Browser, ChangeKind, ChangesFilter, GroupBy, Query, Sort, SortBy};
use export_engine::extract::PdfFile;
use export_engine::index;
use proptest::prelude::*;
use proptest::sample::subsequence;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

const TYPES: [&str; 3] = ["Lease", "Bill of Sale", "Security Agreement"];
const SOURCES: [&str; 3] = ["a.pdf", "B.pdf", "b.pdf"];
const TAGS: [&str; 3] = ["Airframe Inventory", "Engine Inventory", "Party"];
const ATTRIBUTES: [&str; 3] = ["Make", "Serial Number", "Recording Date"];
/// Values that sort close to each other (case, a "; " inside, a prefix of another), and empty.
const VALUES: [&str; 8] = ["Cessna", "cessna", "Cessna; Piper", "Cessna-2", "Piper", "N1", "N12", ""];
const WORDS: [&str; 5] = ["lease", "cessna", "n12", "piper", "title"];

/// One generated instrument and its PDF, if the export has one.
#[derive(Debug, Clone)]
struct Made {
    json: Value,
    pdf: Option<Option<u32>>,
}

fn instrument(id: u64) -> impl Strategy<Value = Made> {
    let tag = (
        prop::sample::select(TAGS.to_vec()),
        prop::collection::vec((prop::sample::select(ATTRIBUTES.to_vec()), prop::option::weighted(0.9, prop::sample::select(VALUES.to_vec()))), 0..3),
    );
    (
        prop::option::weighted(0.9, prop::sample::select(TYPES.to_vec())),
        prop::option::weighted(0.9, prop::sample::select(SOURCES.to_vec())),
        prop::collection::vec(tag, 0..3),
        prop::option::of(prop::sample::select(vec!["ann@example.com", "bob@example.com"])),
        prop::option::of(prop::sample::select(vec!["2026-01-02T03:04:05Z", "2025-12-31T00:00:00Z", "2026-01-02"])),
        prop::option::of((1u64..6, 0u64..3)),
        subsequence(WORDS.to_vec(), 0..3),
        prop::option::of(prop::option::of(1u32..4)),
    )
        .prop_map(move |(type_name, source, tags, reviewer, reviewed_at, pages, words, pdf)| {
            let tags: Vec<Value> = tags
                .into_iter()
                .map(|(tag, attributes)| json!({"typeName": tag, "attributes": attributes.into_iter().map(|(name, value)| json!({"name": name, "value": value})).collect::<Vec<_>>()}))
                .collect();
            let mut json = json!({"id": id, "canonicalTags": tags, "annotations": words.iter().map(|w| json!({"value": w})).collect::<Vec<_>>()});
            let object = json.as_object_mut().expect("an object");
            let mut set = |key: &str, value: Option<Value>| {
                if let Some(value) = value {
                    object.insert(key.to_owned(), value);
                }
            };
            set("typeName", type_name.map(Value::from));
            set("sourceName", source.map(Value::from));
            set("reviewedBy", reviewer.map(|email| json!({"email": email})));
            set("reviewedAt", reviewed_at.map(Value::from));
            set("startPageNumber", pages.map(|(start, _)| Value::from(start)));
            set("endPageNumber", pages.map(|(start, more)| Value::from(start + more)));
            Made { json, pdf }
        })
}

fn export() -> impl Strategy<Value = Vec<Made>> {
    prop::collection::btree_set(1u64..400, 1..40).prop_flat_map(|ids| ids.into_iter().map(instrument).collect::<Vec<_>>())
}

fn query() -> impl Strategy<Value = Query> {
    let sort_by = prop::sample::select(vec![
        SortBy::Id,
        SortBy::Type,
        SortBy::Source,
        SortBy::Pages,
        SortBy::TagTypes,
        SortBy::ReviewedBy,
        SortBy::ReviewedAt,
        SortBy::HasPdf,
        SortBy::Problems,
        SortBy::Attribute { name: "Make".into() },
        SortBy::Attribute { name: "Serial Number".into() },
        SortBy::Attribute { name: "No Such Attribute".into() },
    ]);
    let owned = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    (
        prop::sample::select(vec!["", "", "c", "ces", "cessna", "n1", "lease title", "Bill", "zzz", "!!"]),
        subsequence(owned(&TYPES), 0..=2),
        subsequence(owned(&TAGS), 0..=2),
        subsequence(owned(&SOURCES), 0..=2),
        prop::option::of(any::<bool>()),
        prop::option::of(any::<bool>()),
        prop::option::of(any::<bool>()),
        prop::option::weighted(0.2, (prop::sample::select(ATTRIBUTES.to_vec()), prop::option::weighted(0.8, prop::sample::select(VALUES.to_vec())))),
        (sort_by, any::<bool>()),
        subsequence(owned(&ATTRIBUTES), 0..=2),
        prop::option::weighted(0.2, subsequence(vec![ChangeKind::New, ChangeKind::Changed], 0..=2)),
    )
        .prop_map(|(search, types, tag_types, sources, reviewed, has_pdf, has_problems, attribute, (by, descending), columns, changes)| Query {
            search: search.to_owned(),
            types,
            tag_types,
            sources,
            reviewed,
            has_pdf,
            has_problems,
            attribute: attribute.map(|(name, value)| AttributeValue { name: name.to_owned(), value: value.map(str::to_owned) }),
            sort: Sort { by, descending },
            columns,
            changes: changes.map(|kinds| ChangesFilter { since: "older".into(), kinds }),
        })
}

/// Writes the instruments as an export's instruments.json and indexes it.
fn indexed(dir: &Path, made: &[Made], expect_pdfs: bool) {
    let lines: Vec<String> = made.iter().map(|m| m.json.to_string()).collect();
    std::fs::write(dir.join(index::INSTRUMENTS), lines.join("\n") + "\n").unwrap();
    let pdfs: BTreeMap<u64, PdfFile> = made
        .iter()
        .filter_map(|m| {
            let id = m.json["id"].as_u64()?;
            Some((id, PdfFile { path: format!("pdfs/instrument_{id}.pdf"), pages: m.pdf? }))
        })
        .collect();
    index::build(dir, &pdfs, expect_pdfs, &|_: export_engine::Progress| {}, &CancellationToken::new()).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn the_table_in_memory_answers_as_sql_does(
        made in export(),
        expect_pdfs in any::<bool>(),
        marks in prop::collection::vec((0usize..40, any::<bool>()), 0..10),
        queries in prop::collection::vec((query(), 0u64..5, 1u64..4, prop::sample::select(vec![0usize, 1, 2, 3])), 1..8),
    ) {
        let dir = tempfile::tempdir().unwrap();
        indexed(dir.path(), &made, expect_pdfs);
        let mut by_sql = Browser::open(dir.path()).unwrap();
        let mut in_memory = Browser::open(dir.path()).unwrap();
        in_memory.load_table().unwrap();
        in_memory.wait_for_table();

        // A comparison's marks, the same on both.
        let ids: Vec<u64> = made.iter().filter_map(|m| m.json["id"].as_u64()).collect();
        let marked: Vec<(u64, ChangeKind, Vec<export_engine::Field>)> = marks
            .iter()
            .map(|&(at, new)| (ids[at % ids.len()], if new { ChangeKind::New } else { ChangeKind::Changed }, Vec::new()))
            .collect();
        by_sql.mark_changes(marked.clone()).unwrap();
        in_memory.mark_changes(marked).unwrap();

        for (query, offset, limit, grouping) in queries {
            let whole = by_sql.page(&query, 0, 1000).unwrap();
            prop_assert_eq!(&in_memory.page(&query, 0, 1000).unwrap(), &whole, "the whole table for {:?}", query);
            prop_assert_eq!(in_memory.page(&query, offset, limit).unwrap(), by_sql.page(&query, offset, limit).unwrap(), "rows {}+{} for {:?}", offset, limit, query);
            prop_assert_eq!(in_memory.count(&query).unwrap(), whole.total);
            let by = match grouping {
                0 => GroupBy::Source,
                1 => GroupBy::Attribute { name: "Make".into() },
                2 => GroupBy::Attribute { name: "Serial Number".into() },
                _ => GroupBy::Attribute { name: "No Such Attribute".into() },
            };
            prop_assert_eq!(in_memory.groups(&query, &by, limit).unwrap(), by_sql.groups(&query, &by, limit).unwrap(), "groups by {:?} of {:?}", by, query);
            let named = &query.search;
            prop_assert_eq!(in_memory.sources_named(named, limit).unwrap(), by_sql.sources_named(named, limit).unwrap());
        }
        prop_assert_eq!(in_memory.facets().unwrap(), by_sql.facets().unwrap());
    }
}

/// Words that start alike (one the start of another, digits after letters, capitals, other
/// letters after ASCII ones) and one with letters FTS5 folds: what a typed prefix may stand for
/// one or many of.
const SHARED_STARTS: [&str; 10] = ["lease", "leased", "leaseback", "Leaseж", "Cessna", "cessna172", "n12", "n123", "Été", "title"];

/// A search as typed: the first letters of one or two of those words, in any case, or a word
/// no instrument has.
fn typed_search() -> impl Strategy<Value = String> {
    let start = (prop::sample::select(SHARED_STARTS.to_vec()), 1usize..12, any::<bool>()).prop_map(|(word, letters, upper)| {
        let start: String = word.chars().take(letters).collect();
        if upper { start.to_uppercase() } else { start }
    });
    prop_oneof![start.clone(), (start.clone(), start).prop_map(|(a, b)| format!("{a} {b}")), Just("leasez".to_owned()),]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// A prefix that stands for one indexed word is asked as that word, and counted from the
    /// index's list of words; a short one that stands for many is counted from the index's
    /// counts of prefixes: the same rows and counts as asking it as a prefix, which is what an
    /// index made before the list existed still does.
    #[test]
    fn a_search_finds_the_same_rows_with_the_list_of_words_as_without(
        words in prop::collection::vec(subsequence(SHARED_STARTS.to_vec(), 0..4), 1..40),
        searches in prop::collection::vec((typed_search(), query()), 1..8),
    ) {
        let listed = tempfile::tempdir().unwrap();
        let made: Vec<Made> = words
            .iter()
            .enumerate()
            .map(|(at, words)| Made { json: json!({"id": at + 1, "annotations": words.iter().map(|w| json!({"value": w})).collect::<Vec<_>>()}), pdf: None })
            .collect();
        indexed(listed.path(), &made, false);
        let unlisted = tempfile::tempdir().unwrap();
        for name in [index::INSTRUMENTS, index::INDEX, index::SEARCH] {
            std::fs::copy(listed.path().join(name), unlisted.path().join(name)).unwrap();
        }
        let listed_words: i64 =
            rusqlite::Connection::open(listed.path().join(index::SEARCH)).unwrap().query_row("SELECT count(*) FROM words", [], |row| row.get(0)).unwrap();
        prop_assert_eq!(listed_words > 0, words.iter().any(|words| !words.is_empty()), "the index lists its words");
        rusqlite::Connection::open(unlisted.path().join(index::SEARCH)).unwrap().execute_batch("DROP TABLE words; DROP TABLE prefixes;").unwrap();

        let mut browsers = Vec::new();
        for dir in [&listed, &unlisted] {
            let by_sql = Browser::open(dir.path()).unwrap();
            let mut in_memory = Browser::open(dir.path()).unwrap();
            in_memory.load_table().unwrap();
            in_memory.wait_for_table();
            browsers.push(by_sql);
            browsers.push(in_memory);
        }
        for (search, rest) in searches {
            // The search alone, and with the rest of a random question.
            for query in [Query { search: search.clone(), ..Query::default() }, Query { search: search.clone(), ..rest }] {
                let expected = browsers[3].page(&query, 0, 1000).unwrap();
                for browser in &browsers[..3] {
                    prop_assert_eq!(&browser.page(&query, 0, 1000).unwrap(), &expected, "{:?}", query);
                    prop_assert_eq!(browser.count(&query).unwrap(), expected.total, "{:?}", query);
                    prop_assert_eq!(browser.groups(&query, &GroupBy::Source, 10).unwrap(), browsers[3].groups(&query, &GroupBy::Source, 10).unwrap());
                }
            }
            let hits = |browser: &Browser| browser.search(&search, 1000).map(|hits| hits.into_iter().map(|hit| hit.id).collect::<std::collections::BTreeSet<_>>());
            prop_assert_eq!(hits(&browsers[0]).unwrap(), hits(&browsers[3]).unwrap(), "{:?}", search);
        }
    }
}

/// The index counts a short prefix that several words start with, and only such a prefix: "l",
/// "le" and "lea" here ("lease", "leased", "leaseback"), not "t" ("title" alone, which the list
/// of words counts) nor "leas", past the three letters counted.
#[test]
fn the_first_letters_of_several_words_are_counted_when_indexed() {
    let dir = tempfile::tempdir().unwrap();
    let made: Vec<Made> = [vec!["lease"], vec!["leased", "title"], vec!["leaseback"], vec!["title"]]
        .iter()
        .enumerate()
        .map(|(at, words)| Made { json: json!({"id": at + 1, "annotations": words.iter().map(|w| json!({"value": w})).collect::<Vec<_>>()}), pdf: None })
        .collect();
    indexed(dir.path(), &made, false);
    let search = rusqlite::Connection::open(dir.path().join(index::SEARCH)).unwrap();
    let mut statement = search.prepare("SELECT prefix, docs FROM prefixes ORDER BY prefix").unwrap();
    let counted: Vec<(String, i64)> = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?))).unwrap().map(Result::unwrap).collect();
    assert_eq!(counted, [("l".to_owned(), 3), ("le".to_owned(), 3), ("lea".to_owned(), 3)]);
    let browser = Browser::open(dir.path()).unwrap();
    for (typed, expected) in [("L", 3), ("le", 3), ("leas", 3), ("t", 2), ("leaseb", 1)] {
        assert_eq!(browser.count(&Query { search: typed.into(), ..Query::default() }).unwrap(), expected, "{typed}");
    }
}
