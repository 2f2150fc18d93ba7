//! Load on a running sandbox: `CLIENTS` clients, each doing what an exporter does (request an
//! export, poll its status until it is finished, download the zip) over and over for `SECONDS`,
//! then stopping by itself. Prints requests per second, latency percentiles per kind of request
//! and the errors seen. `bench/load.sh` starts the sandbox, runs this and adds the sandbox's RSS.
//!
//! Usage: `load API_URL KEY [CLIENTS=50] [SECONDS=60]`

use std::time::{Duration, Instant};

use futures_util::StreamExt;

const OWNER: &str = "Group Name owning project";
const PROJECT: &str = "Example Project Name";

#[derive(Default)]
struct Tally {
    /// (kind, latency) of every answered request.
    latencies: Vec<(&'static str, Duration)>,
    errors: Vec<String>,
    exports: u64,
    bytes: u64,
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: load API_URL KEY [CLIENTS=50] [SECONDS=60]");
        std::process::exit(2);
    }
    let (api, key) = (args[1].trim_end_matches('/').to_owned(), args[2].clone());
    let clients: usize = args.get(3).and_then(|n| n.parse().ok()).unwrap_or(50);
    let seconds: u64 = args.get(4).and_then(|n| n.parse().ok()).unwrap_or(60);
    let http = reqwest::Client::builder().pool_max_idle_per_host(clients).timeout(Duration::from_secs(30)).build().unwrap();
    let until = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();

    let tasks: Vec<_> = (0..clients).map(|n| tokio::spawn(client(http.clone(), api.clone(), key.clone(), n, until))).collect();
    let mut all = Tally::default();
    for task in tasks {
        let tally = task.await.unwrap();
        all.latencies.extend(tally.latencies);
        all.errors.extend(tally.errors);
        all.exports += tally.exports;
        all.bytes += tally.bytes;
    }
    let elapsed = started.elapsed().as_secs_f64();
    report(&all, clients, elapsed);
}

/// One exporter's loop; every fifth export asks for the PDFs too, so downloads vary in size.
async fn client(http: reqwest::Client, api: String, key: String, n: usize, until: Instant) -> Tally {
    let mut tally = Tally::default();
    let auth = format!("Api-Key {key}");
    let mut round = 0usize;
    while Instant::now() < until {
        round += 1;
        let files = (n + round).is_multiple_of(5);
        let body = serde_json::json!({"projectOwner": OWNER, "projectName": PROJECT, "includeFiles": files});
        let Some(started) = timed(&mut tally, "request", http.post(format!("{api}/v1/export/instruments")).header("Authorization", &auth).json(&body)).await
        else {
            continue;
        };
        let Some(status_url) = started["exportStatusUrl"].as_str().map(str::to_owned) else {
            tally.errors.push(format!("no exportStatusUrl in {started}"));
            continue;
        };
        let download_url = loop {
            if Instant::now() >= until {
                return tally;
            }
            let Some(status) = timed(&mut tally, "status", http.get(&status_url).header("Authorization", &auth)).await else { break None };
            match status["status"].as_str() {
                Some("finished") => break status["downloadUrl"].as_str().map(str::to_owned),
                Some("errored") => {
                    tally.errors.push(format!("job errored: {status}"));
                    break None;
                }
                _ => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        };
        let Some(url) = download_url else { continue };
        let begun = Instant::now();
        match http.get(&url).send().await.and_then(reqwest::Response::error_for_status) {
            Ok(response) => {
                let mut stream = response.bytes_stream();
                let mut bytes = 0u64;
                let mut failed = None;
                while let Some(chunk) = stream.next().await {
                    match chunk {
                        Ok(chunk) => bytes += chunk.len() as u64,
                        Err(e) => {
                            failed = Some(e.to_string());
                            break;
                        }
                    }
                }
                match failed {
                    Some(e) => tally.errors.push(format!("download: {e}")),
                    None => {
                        tally.latencies.push(("download", begun.elapsed()));
                        tally.bytes += bytes;
                        tally.exports += 1;
                    }
                }
            }
            Err(e) => tally.errors.push(format!("download: {e}")),
        }
    }
    tally
}

/// Sends `request`, records its latency under `kind`, and returns its JSON body; a failure or
/// a status other than 2xx is counted as an error (a 429 included: the sandbox has no rate
/// limit unless asked, so one would be news).
async fn timed(tally: &mut Tally, kind: &'static str, request: reqwest::RequestBuilder) -> Option<serde_json::Value> {
    let begun = Instant::now();
    let answer = async {
        let response = request.send().await.map_err(|e| e.to_string())?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!("{status}: {}", String::from_utf8_lossy(&body)));
        }
        serde_json::from_slice::<serde_json::Value>(&body).map_err(|e| e.to_string())
    }
    .await;
    match answer {
        Ok(value) => {
            tally.latencies.push((kind, begun.elapsed()));
            Some(value)
        }
        Err(e) => {
            tally.errors.push(format!("{kind}: {e}"));
            None
        }
    }
}

fn report(tally: &Tally, clients: usize, elapsed: f64) {
    let requests = tally.latencies.len() + tally.errors.len();
    println!("clients {clients}, {elapsed:.1} s");
    println!("requests {requests} ({:.0}/s), exports downloaded {} ({:.1} MiB)", requests as f64 / elapsed, tally.exports, tally.bytes as f64 / 1048576.0);
    for kind in ["request", "status", "download", "all"] {
        let mut times: Vec<Duration> = tally.latencies.iter().filter(|(k, _)| kind == "all" || *k == kind).map(|(_, t)| *t).collect();
        if times.is_empty() {
            continue;
        }
        times.sort();
        let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1000.0;
        println!("{kind:<9} n={:<7} p50 {:7.1} ms  p99 {:7.1} ms  max {:7.1} ms", times.len(), at(0.5), at(0.99), at(1.0));
    }
    println!("errors {}", tally.errors.len());
    let mut kinds = std::collections::BTreeMap::<String, u32>::new();
    for error in &tally.errors {
        // Grouped by their first words: URLs and job ids differ in every one.
        *kinds.entry(error.split(['(', '{']).next().unwrap_or(error).trim().to_owned()).or_default() += 1;
    }
    for (error, n) in kinds.iter().take(10) {
        println!("  {n} x {error}");
    }
}
