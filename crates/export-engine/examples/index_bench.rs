//! Benchmark: indexing an instruments.json (the export's index stage alone, as after an export
//! without PDFs). Prints figures; asserts nothing. `make bench` compares it with `jq`.
//!
//!   cargo run --release -p export-engine --example index_bench -- INSTRUMENTS_JSON WORK_DIR [--runs N]

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use export_engine::{Progress, index};
use tokio_util::sync::CancellationToken;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (source, work, runs) = match args.as_slice() {
        [source, work] => (source, work, 1),
        [source, work, flag, runs] if flag == "--runs" => (source, work, runs.parse().expect("--runs: a number")),
        _ => panic!("usage: index_bench INSTRUMENTS_JSON WORK_DIR [--runs N]"),
    };
    let dir = Path::new(work);
    std::fs::create_dir_all(dir).expect("create the work folder");
    let copy = dir.join(index::INSTRUMENTS);
    let _ = std::fs::remove_file(&copy);
    // A link, not a copy: the file is read, never written.
    std::fs::hard_link(source, &copy).or_else(|_| std::fs::copy(source, &copy).map(drop)).expect("link the instruments.json");

    let mut best = f64::INFINITY;
    for run in 1..=runs {
        let started = Instant::now();
        let indexed = index::build(dir, &BTreeMap::new(), false, &|_: Progress| {}, &CancellationToken::new()).expect("index");
        let seconds = started.elapsed().as_secs_f64();
        println!("run {run}: {} instruments indexed in {seconds:.2} s ({} problems)", indexed.instruments, indexed.problems.len());
        best = best.min(seconds);
    }
    let size: u64 = [index::INDEX, index::SEARCH].iter().map(|f| std::fs::metadata(dir.join(f)).map(|m| m.len()).unwrap_or_default()).sum();
    println!("index size: {:.0} MiB", size as f64 / (1 << 20) as f64);
    println!("index seconds: {best:.3}");
}
