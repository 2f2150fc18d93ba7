//! Benchmark: how fast an export of N instruments opens and answers filter and search
//! keystrokes, at the engine layer the app's commands call. Prints figures; asserts nothing.
//!
//!   cargo run --release -p export-engine --example browse_bench -- 100000
//!   cargo run --release -p export-engine --example browse_bench -- --from instruments.json 100000
//!   cargo run --release -p export-engine --example browse_bench -- --open FOLDER_WITH_AN_INDEX
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
use export_engine::browse::{Browser, GroupBy, Query, Sort, SortBy};
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
        [] => exported(100_000, library.path()).await,
        [n] => exported(n.parse().expect("N: a number of instruments"), library.path()).await,
        _ => panic!("usage: browse_bench [N] | browse_bench --from INSTRUMENTS_JSON N | browse_bench --open EXPORT_DIR"),
    };

    let opened = Instant::now();
    let browser = Browser::open(&dir).unwrap();
    let first = browser.page(&Query::default(), 0, 100).unwrap();
    let open_ms = ms(opened.elapsed());
    println!("open + first 100 rows + total ({}): {open_ms:.1} ms", first.total);
    let facets_at = Instant::now();
    let facets = browser.facets().unwrap();
    println!("facets (types, tag types, sources, attribute names): {:.1} ms", ms(facets_at.elapsed()));
    // The first search after opening pays for what the full-text index has not yet read; the
    // rounds below repeat each query, so they would hide it.
    let first_search_at = Instant::now();
    let first_search = browser.page(&Query { search: "s".into(), ..Query::default() }, 0, 100).unwrap();
    println!("first search (\"s\", {} rows): {:.1} ms", first_search.total, ms(first_search_at.elapsed()));

    let keystrokes = ["s", "se", "ser", "seri", "l", "le", "lea", "leas", "lease", "air", "airframe", "cessna", "n1", "n12"];
    let some_type = facets.types.first().and_then(|c| c.value.clone()).unwrap_or_default();
    let some_tag = facets.tag_types.first().and_then(|c| c.value.clone()).unwrap_or_default();
    let some_source = facets.sources.groups.first().and_then(|c| c.value.clone()).unwrap_or_default();
    let mut queries: Vec<(String, Query)> = keystrokes.iter().map(|k| (format!("search {k:?}"), Query { search: (*k).into(), ..Query::default() })).collect();
    queries.push(("type filter".into(), Query { types: vec![some_type.clone()], ..Query::default() }));
    queries.push(("tag type filter".into(), Query { tag_types: vec![some_tag], ..Query::default() }));
    queries.push(("source filter".into(), Query { sources: vec![some_source], ..Query::default() }));
    queries.push(("reviewed + has problems".into(), Query { reviewed: Some(true), has_problems: Some(false), ..Query::default() }));
    queries.push(("sort by type desc".into(), Query { sort: Sort { by: SortBy::Type, descending: true }, ..Query::default() }));
    queries.push((
        "type filter + search + serial column".into(),
        Query { types: vec![some_type], search: "air".into(), columns: vec!["Serial Number".into()], ..Query::default() },
    ));

    let mut all = Vec::new();
    println!("\n{:<40} {:>10} {:>10} {:>10}", "query (page of 100 + total)", "rows", "median ms", "p95 ms");
    for (name, query) in &queries {
        let mut times = Vec::new();
        let mut total = 0;
        for _ in 0..7 {
            let t = Instant::now();
            total = browser.page(query, 0, 100).unwrap().total;
            times.push(ms(t.elapsed()));
        }
        all.extend(&times);
        println!("{name:<40} {total:>10} {:>10.1} {:>10.1}", percentile(&mut times, 0.5), percentile(&mut times, 0.95));
    }
    println!("\nall {} keystroke/filter queries: median {:.1} ms, p95 {:.1} ms", all.len(), percentile(&mut all, 0.5), percentile(&mut all, 0.95));

    let group_at = Instant::now();
    let groups = browser.groups(&Query::default(), &GroupBy::Attribute { name: "Serial Number".into() }, 500).unwrap();
    println!("group by Serial Number (the largest 500 of {} groups): {:.1} ms", groups.total, ms(group_at.elapsed()));
    let some_type = facets.types.first().and_then(|c| c.value.clone()).unwrap_or_default();
    let filtered_at = Instant::now();
    let filtered = browser.groups(&Query { types: vec![some_type], ..Query::default() }, &GroupBy::Attribute { name: "Serial Number".into() }, 500).unwrap();
    println!("group a type filter by Serial Number (the largest 500 of {} groups): {:.1} ms", filtered.total, ms(filtered_at.elapsed()));
    let sorted_at = Instant::now();
    browser.page(&Query { sort: Sort { by: SortBy::Attribute { name: "Serial Number".into() }, descending: false }, ..Query::default() }, 0, 100).unwrap();
    println!("sort by the Serial Number column: {:.1} ms", ms(sorted_at.elapsed()));
    let csv_at = Instant::now();
    let rows = browser.write_csv(&Query::default(), &library.path().join("all.csv")).unwrap();
    println!("CSV of all {rows} rows: {:.1} s", csv_at.elapsed().as_secs_f64());
    if std::env::var_os("BROWSE_BENCH_KEEP").is_some() {
        println!("kept: {}", dir.display());
        std::mem::forget(library);
    }
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
