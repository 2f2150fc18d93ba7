#!/usr/bin/env bash
# Download throughput of `annolab-export` against `curl -o` on the same signed URL, from
# annolab-sandbox on loopback. Prints the figures; asserts nothing (a benchmark, not a test).
#
# Usage: bench/download-vs-curl.sh [INSTRUMENTS] [PAGE_KIB] [RUNS]
#   defaults: 4000 instruments at 24 KiB a page (about 256 MiB), 3 runs each, release builds.
set -euo pipefail
cd "$(dirname "$0")/.."
instruments=${1:-4000}
page_kib=${2:-24}
runs=${3:-3}
cargo build -q --release -p annolab-sandbox -p annolab-cli
bin=target/release
work=$(mktemp -d)
trap 'kill "$sandbox_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin/annolab-sandbox" --port "$port" --key bench --job-seconds 0 --instruments "$instruments" \
  --page-kib "$page_kib" --data-dir "$work/data" > "$work/sandbox.out" &
sandbox_pid=$!
until grep -q listening "$work/sandbox.out" 2>/dev/null; do sleep 0.1; done
api="http://127.0.0.1:$port"
body='{"projectOwner":"Group Name owning project","projectName":"Example Project Name","includeFiles":true}'

# One export for curl; the archive is deterministic, so the CLI's own requests get the same bytes.
status_url=$(curl -sf -X POST "$api/v1/export/instruments" -H 'Authorization: Api-Key bench' -d "$body" | jq -r .exportStatusUrl)
until [ "$(curl -sf "$status_url" -H 'Authorization: Api-Key bench' | jq -r .status)" = finished ]; do sleep 0.5; done
url=$(curl -sf "$status_url" -H 'Authorization: Api-Key bench' | jq -r .downloadUrl)
size=$(curl -sfI "$url" | tr -d '\r' | awk 'tolower($1)=="content-length:" {print $2}')

# The CLI's download phase: from its "downloading" event to its "verifying" event.
cli_download_seconds() {
  ANNOLAB_API_KEY=bench "$bin/annolab-export" --server "$api" --library "$work/lib-$1" --json \
    export --owner "Group Name owning project" --project "Example Project Name" |
    python3 -c '
import json, sys, time
start = end = None
for line in sys.stdin:
    event = json.loads(line)
    if event.get("event") == "phase" and event["phase"] == "downloading": start = time.monotonic()
    if event.get("event") == "phase" and event["phase"] == "verifying": end = time.monotonic()
print(f"{end - start:.3f}")'
}

printf 'archive: %d bytes (%.1f MiB), %s instruments with PDFs; %s runs each\n' "$size" "$(echo "$size/1048576" | bc -l)" "$instruments" "$runs"
printf '%-6s %12s %12s\n' run "curl MiB/s" "CLI MiB/s"
curl_total=0; cli_total=0
for run in $(seq "$runs"); do
  curl_s=$(curl -sf -o "$work/curl.zip" -w '%{time_total}' "$url")
  cli_s=$(cli_download_seconds "$run")
  rm -rf "$work/curl.zip" "$work/lib-$run"
  curl_rate=$(echo "$size/1048576/$curl_s" | bc -l); cli_rate=$(echo "$size/1048576/$cli_s" | bc -l)
  printf '%-6s %12.1f %12.1f\n' "$run" "$curl_rate" "$cli_rate"
  curl_total=$(echo "$curl_total+$curl_s" | bc -l); cli_total=$(echo "$cli_total+$cli_s" | bc -l)
done
printf 'mean   %12.1f %12.1f   CLI/curl = %.2fx\n' \
  "$(echo "$size*$runs/1048576/$curl_total" | bc -l)" "$(echo "$size*$runs/1048576/$cli_total" | bc -l)" \
  "$(echo "$curl_total/$cli_total" | bc -l)"
