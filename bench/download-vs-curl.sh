#!/usr/bin/env bash
# Download throughput of `annolab-export` against `curl -o` on the same signed URL, from
# annolab-sandbox on loopback. Prints the figures; asserts nothing (a benchmark, not a test).
#
# Usage: bench/download-vs-curl.sh [INSTRUMENTS] [PAGE_KIB] [RUNS] [BANDWIDTH]
#   defaults: 4000 instruments at 24 KiB a page (about 256 MiB), 3 runs each, release builds,
#   no bandwidth cap (BANDWIDTH such as 100m paces the download host like a real link).
set -euo pipefail
cd "$(dirname "$0")/.."
instruments=${1:-4000}
page_kib=${2:-24}
runs=${3:-3}
bandwidth=${4:-}
cargo build -q --release -p annolab-sandbox -p annolab-cli
bin=target/release
work=$(mktemp -d)
trap 'kill "$sandbox_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin/annolab-sandbox" --port "$port" --key bench --job-seconds 0 --instruments "$instruments" \
  --page-kib "$page_kib" --data-dir "$work/data" ${bandwidth:+--fault "bandwidth=$bandwidth"} > "$work/sandbox.out" &
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

printf 'archive: %d bytes (%.1f MiB), %s instruments with PDFs; %s runs each; bandwidth cap: %s\n' \
  "$size" "$(echo "$size/1048576" | bc -l)" "$instruments" "$runs" "${bandwidth:-none}"
# curl leaves the file in the page cache; the CLI makes it durable (fsync) before it counts the
# download done. "curl+fsync" is curl followed by an fsync of its file: the like-for-like figure.
curl_durable_seconds() {
  python3 - "$url" "$work/curl.zip" <<'PY'
import os, subprocess, sys, time
start = time.monotonic()
subprocess.run(["curl", "-sf", "-o", sys.argv[2], sys.argv[1]], check=True)
fd = os.open(sys.argv[2], os.O_RDONLY); os.fsync(fd); os.close(fd)
print(f"{time.monotonic() - start:.3f}")
PY
}

printf '%-6s %12s %16s %12s\n' run "curl MiB/s" "curl+fsync MiB/s" "CLI MiB/s"
curl_total=0; durable_total=0; cli_total=0
mib() { echo "$size/1048576/$1" | bc -l; }
for run in $(seq "$runs"); do
  curl_s=$(curl -sf -o "$work/curl.zip" -w '%{time_total}' "$url"); rm -f "$work/curl.zip"
  durable_s=$(curl_durable_seconds); rm -f "$work/curl.zip"
  cli_s=$(cli_download_seconds "$run"); rm -rf "$work/lib-$run"
  printf '%-6s %12.1f %16.1f %12.1f\n' "$run" "$(mib "$curl_s")" "$(mib "$durable_s")" "$(mib "$cli_s")"
  curl_total=$(echo "$curl_total+$curl_s" | bc -l); durable_total=$(echo "$durable_total+$durable_s" | bc -l); cli_total=$(echo "$cli_total+$cli_s" | bc -l)
done
printf 'mean   %12.1f %16.1f %12.1f\n' "$(mib "$(echo "$curl_total/$runs" | bc -l)")" \
  "$(mib "$(echo "$durable_total/$runs" | bc -l)")" "$(mib "$(echo "$cli_total/$runs" | bc -l)")"
printf 'CLI/curl = %.2fx   CLI/(curl+fsync) = %.2fx\n' "$(echo "$curl_total/$cli_total" | bc -l)" "$(echo "$durable_total/$cli_total" | bc -l)"
