//! Benchmark: how fast an export of N instruments opens and answers filter and search
//! keystrokes, at the engine layer the app's commands call. Prints figures; asserts nothing.
//!
//!   cargo run --release -p export-engine --example browse_bench -- 100000
//!   cargo run --release -p export-engine --example browse_bench -- --from instruments.json 100000
//!   cargo run --release -p export-engine --example browse_bench -- --open FOLDER_WITH_AN_INDEX
//!   cargo run --release -p export-engine --example browse_bench -- --first-page FOLDER_WITH_AN_INDEX
//!
//! It exports N generated instruments (no PDFs) from an in-process sandbox (or indexes the first
//! N lines of an instruments.json, as `make bench` does), then times: opening
//! the index plus the first page of 100 rows with its total; and, over several rounds, each
//! query a person makes typing a search or clicking a filter (page + total), reporting the
//! median and 95th percentile.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use annolab_api::{ApiKey, Client, ServerUrl, Storage};
use annolab_sandbox::{Sandbox, SandboxConfig, SourceSet};
use export_engine::browse::{AttributeValue, Browser, GroupBy, Query, Sort, SortBy};
use export_engine::{Engine, ExportInput, ExportRequest, Library, Progress, index};
use tokio_util::sync::CancellationToken;

const KEY: &str = "browse-bench-key";

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let library = tempfile::tempdir().expect("a temporary library");
    let dir = match args.as_slice() {
        [flag, source, n] if flag == "--from" => indexed_lines(Path::new(source), n.parse().expect("N: a number of instruments"), library.path()),
        [flag, dir] if flag == "--open" => PathBuf::from(dir),
        [flag, dir] if flag == "--first-page" => {
            // Only what the browser shows first: the index opened, the first rows and the total.
            let opened = Instant::now();
            let first = Browser::open(Path::new(dir)).unwrap().page(&Query::default(), 0, 100).unwrap();
            println!("open + first 100 rows + total ({}): {:.1} ms (from SQL)", first.total, ms(opened.elapsed()));
            return;
        }
        [] => exported(100_000, library.path()).await,
        [n] => exported(n.parse().expect("N: a number of instruments"), library.path()).await,
        _ => panic!("usage: browse_bench [N] | browse_bench --from INSTRUMENTS_JSON N | browse_bench --open EXPORT_DIR | browse_bench --first-page EXPORT_DIR"),
    };

    let opened = Instant::now();
    let mut browser = Browser::open(&dir).unwrap();
    let first = browser.page(&Query::default(), 0, 100).unwrap();
    let open_ms = ms(opened.elapsed());
    println!("open + first 100 rows + total ({}): {open_ms:.1} ms (from SQL)", first.total);
    // What the app does next: the table loads into memory on a thread of its own while the
    // first page is on screen. Until it is there, questions are answered from SQL.
    let loading = Instant::now();
    browser.load_table().unwrap();
    let sql_search_at = Instant::now();
    let sql_search = browser.page(&Query { search: "s".into(), ..Query::default() }, 0, 100).unwrap();
    println!("a search while the table loads (\"s\", {} rows, from SQL): {:.1} ms", sql_search.total, ms(sql_search_at.elapsed()));
    while !browser.table_loaded() {
        std::thread::sleep(Duration::from_millis(2));
    }
    println!("rows in memory after: {:.1} ms (questions answered from them from here on)", ms(loading.elapsed()));
    browser.wait_for_table();
    println!("table in memory after: {:.1} ms (rows, then every attribute column)", ms(loading.elapsed()));
    let facets_at = Instant::now();
    let facets = browser.facets().unwrap();
    println!("facets (types, tag types, sources, attribute names): {:.1} ms", ms(facets_at.elapsed()));

    let value = |counts: &[export_engine::browse::Count], at: usize| counts.get(at).and_then(|c| c.value.clone()).unwrap_or_default();
    let (some_type, other_type) = (value(&facets.types, 0), value(&facets.types, 1));
    let (some_tag, other_tag) = (value(&facets.tag_types, 0), value(&facets.tag_types, 1));
    let some_source = value(&facets.sources.groups, 0);
    let make = browser.groups(&Query::default(), &GroupBy::Attribute { name: "Make".into() }, 1).unwrap();
    let some_make = make.groups.first().and_then(|c| c.value.clone());
    let q = Query::default;
    // "airfr" to "airframe": a word typed on past the 4 letters of the prefix index that still
    // matches nearly every row, the slowest kind of keystroke.
    let keystrokes =
        ["s", "se", "ser", "seri", "l", "le", "lea", "leas", "lease", "air", "airf", "airfr", "airfra", "airfram", "airframe", "cessna", "n1", "n12"];
    let mut queries: Vec<(String, Question)> =
        keystrokes.iter().map(|k| (format!("search {k:?}"), Question::Page(Query { search: (*k).into(), ..q() }, 0))).collect();
    let filters: Vec<(&str, Query)> = vec![
        ("type filter", Query { types: vec![some_type.clone()], ..q() }),
        ("two types", Query { types: vec![some_type.clone(), other_type], ..q() }),
        ("tag type filter", Query { tag_types: vec![some_tag.clone()], ..q() }),
        ("two tag types", Query { tag_types: vec![some_tag.clone(), other_tag], ..q() }),
        ("source filter", Query { sources: vec![some_source], ..q() }),
        ("reviewed", Query { reviewed: Some(true), ..q() }),
        ("not reviewed", Query { reviewed: Some(false), ..q() }),
        ("with a PDF", Query { has_pdf: Some(true), ..q() }),
        ("without problems", Query { has_problems: Some(false), ..q() }),
        ("Make = the largest group", Query { attribute: Some(AttributeValue { name: "Make".into(), value: some_make }), ..q() }),
        ("reviewed + without problems", Query { reviewed: Some(true), has_problems: Some(false), ..q() }),
        ("type + tag type + reviewed", Query { types: vec![some_type.clone()], tag_types: vec![some_tag.clone()], reviewed: Some(true), ..q() }),
        ("type filter + search + serial column", Query { types: vec![some_type.clone()], search: "air".into(), columns: vec!["Serial Number".into()], ..q() }),
    ];
    queries.extend(filters.into_iter().map(|(name, query)| (name.to_owned(), Question::Page(query, 0))));
    let columns = [
        ("id", SortBy::Id),
        ("type", SortBy::Type),
        ("source", SortBy::Source),
        ("pages", SortBy::Pages),
        ("tag types", SortBy::TagTypes),
        ("reviewed by", SortBy::ReviewedBy),
        ("reviewed at", SortBy::ReviewedAt),
        ("has PDF", SortBy::HasPdf),
        ("problems", SortBy::Problems),
        ("Serial Number", SortBy::Attribute { name: "Serial Number".into() }),
        ("Make", SortBy::Attribute { name: "Make".into() }),
        ("Recording Date", SortBy::Attribute { name: "Recording Date".into() }),
    ];
    for (name, by) in columns {
        for descending in [false, true] {
            let sort = Sort { by: by.clone(), descending };
            let direction = if descending { "desc" } else { "asc" };
            queries.push((format!("sort by {name} {direction}"), Question::Page(Query { sort: sort.clone(), ..q() }, 0)));
        }
    }
    queries.push((
        "sort by Serial Number under a type filter".into(),
        Question::Page(
            Query { types: vec![some_type.clone()], sort: Sort { by: SortBy::Attribute { name: "Serial Number".into() }, descending: false }, ..q() },
            0,
        ),
    ));
    for (name, attribute) in [("Serial Number", "Serial Number"), ("Make", "Make"), ("Recording Date", "Recording Date")] {
        let by = GroupBy::Attribute { name: attribute.into() };
        queries.push((format!("group by {name}"), Question::Groups(q(), by.clone())));
        queries.push((format!("group a type filter by {name}"), Question::Groups(Query { types: vec![some_type.clone()], ..q() }, by.clone())));
        queries.push((format!("group a search by {name}"), Question::Groups(Query { search: "lease".into(), ..q() }, by)));
    }
    queries.push(("group by source".into(), Question::Groups(q(), GroupBy::Source)));
    // The scrollbar dragged anywhere: a page deep in the rows, unfiltered and under a sort and a filter.
    let total = first.total;
    for (name, query) in [
        ("jump", q()),
        ("jump, sorted by Serial Number", Query { sort: Sort { by: SortBy::Attribute { name: "Serial Number".into() }, descending: true }, ..q() }),
        ("jump, tag type filter sorted by source", Query { tag_types: vec![some_tag], sort: Sort { by: SortBy::Source, descending: false }, ..q() }),
    ] {
        for at in [0.1, 0.5, 0.9, 0.999] {
            queries.push((format!("{name} to {:.1}%", at * 100.0), Question::Page(query.clone(), (total as f64 * at) as u64)));
        }
    }

    // Rounds go through every question before repeating one, so each is answered afresh (the
    // browser keeps only its last few answers); the first round also pays for what is made once
    // per column (a sort order).
    const ROUNDS: usize = 5;
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); queries.len()];
    let mut sizes = vec![0u64; queries.len()];
    for _ in 0..ROUNDS {
        for (at, (_, question)) in queries.iter().enumerate() {
            let t = Instant::now();
            sizes[at] = match question {
                Question::Page(query, offset) => browser.page(query, *offset, 100).unwrap().total,
                Question::Groups(query, by) => browser.groups(query, by, 500).unwrap().total,
            };
            times[at].push(ms(t.elapsed()));
        }
    }
    println!("\n{:<48} {:>10} {:>9} {:>10} {:>8}", "question (page of 100 + total, or 500 groups)", "rows", "first ms", "median ms", "p95 ms");
    let mut all = Vec::new();
    let mut worst: (f64, &str) = (0.0, "");
    for ((name, _), (mut t, size)) in queries.iter().zip(times.into_iter().zip(sizes)) {
        all.extend(&t);
        let first = t[0];
        let p95 = percentile(&mut t, 0.95);
        if p95 > worst.0 {
            worst = (p95, name);
        }
        println!("{name:<48} {size:>10} {first:>9.1} {:>10.1} {p95:>8.1}", percentile(&mut t, 0.5));
    }
    println!("\nslowest question: {} (p95 {:.1} ms)", worst.1, worst.0);
    println!("all {} keystroke/filter queries: median {:.1} ms, p95 {:.1} ms", all.len(), percentile(&mut all, 0.5), percentile(&mut all, 0.95));

    let csv_at = Instant::now();
    let rows = browser.write_csv(&Query::default(), &library.path().join("all.csv")).unwrap();
    println!("CSV of all {rows} rows: {:.1} s", csv_at.elapsed().as_secs_f64());
    if std::env::var_os("BROWSE_BENCH_KEEP").is_some() {
        println!("kept: {}", dir.display());
        std::mem::forget(library);
    }
}

/// What the benchmark asks: a page at an offset, or the largest groups.
enum Question {
    Page(Query, u64),
    Groups(Query, GroupBy),
}

/// Exports `instruments` generated instruments (no PDFs) from an in-process sandbox into
/// `library`; returns the export's folder.
async fn exported(instruments: u64, library: &Path) -> PathBuf {
    let started = Instant::now();
    let mut config = SandboxConfig::with_key(KEY);
    config.job_time = Duration::ZERO;
    config.sources = SourceSet::Generated { instruments };
    let sandbox = Sandbox::start(config).await.expect("start the sandbox");
    let client = Client::new(ServerUrl::parse(&sandbox.api_url()).unwrap(), ApiKey::new(KEY).unwrap()).unwrap();
    let engine = Engine::new(client, Storage::new().unwrap(), Library::new(library));
    let input = ExportInput { owner: "Group Name owning project".into(), project: "Example Project Name".into(), ..Default::default() };
    let job = engine.create_job(ExportRequest::parse(input).unwrap(), None, None).unwrap();
    let finished = engine.run(job, Arc::new(|_: Progress| {}), CancellationToken::new()).await.expect("the export");
    sandbox.shutdown().await;
    println!("export of {instruments} instruments (no PDFs) built, downloaded and indexed in {:.1} s", started.elapsed().as_secs_f64());
    finished.dir
}

/// Indexes the first `instruments` lines of an instruments.json (as an export without PDFs
/// would be); returns the folder.
fn indexed_lines(source: &Path, instruments: usize, under: &Path) -> PathBuf {
    let started = Instant::now();
    let dir = under.join(format!("first-{instruments}"));
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string(source).expect("read the instruments.json");
    let end = text.match_indices('\n').nth(instruments.saturating_sub(1)).map_or(text.len(), |(at, _)| at + 1);
    std::fs::write(dir.join(index::INSTRUMENTS), &text[..end]).unwrap();
    let indexed = index::build(&dir, &BTreeMap::new(), false, &|_: Progress| {}, &CancellationToken::new()).expect("index");
    println!("indexed the first {} instruments of {} in {:.1} s", indexed.instruments, source.display(), started.elapsed().as_secs_f64());
    dir
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn percentile(values: &mut [f64], p: f64) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    let rank = ((values.len() as f64 - 1.0) * p).round() as usize;
    values[rank]
}
