#!/usr/bin/env bash
# Peak RSS of annolab-sandbox while it builds and serves one large export with PDFs.
# Usage: bench/sandbox-memory.sh [INSTRUMENTS] [PAGE_KIB] [FILES]
#   defaults: 20000 instruments, 20 KiB a page, with PDFs (true): about 1 GiB.
#   bench/sandbox-memory.sh 1000000 0 false: a million instruments, no PDFs.
# Prints the export's size, the build and download times, and the sandbox's peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
instruments=${1:-20000}
page_kib=${2:-20}
files=${3:-true}
profile=${PROFILE:-debug}
[ "$profile" = release ] && cargo build -q --release -p annolab-sandbox || cargo build -q -p annolab-sandbox
bin=target/$profile/annolab-sandbox
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
/usr/bin/time -f '%M' -o "$work/rss" "$bin" --port "$port" --key bench --job-seconds 0 \
  --instruments "$instruments" --page-kib "$page_kib" --data-dir "$work/data" > "$work/out" &
pid=$!
until grep -q listening "$work/out" 2>/dev/null; do sleep 0.1; done
api="http://127.0.0.1:$port"
start=$(date +%s.%N)
status_url=$(curl -sf -X POST "$api/v1/export/instruments" -H 'Authorization: Api-Key bench' \
  -d '{"projectOwner":"Group Name owning project","projectName":"Example Project Name","includeFiles":'"$files"'}' | jq -r .exportStatusUrl)
while :; do
  status=$(curl -sf "$status_url" -H 'Authorization: Api-Key bench')
  [ "$(jq -r .status <<<"$status")" = finished ] && break
  sleep 0.5
done
built=$(date +%s.%N)
curl -sf -o "$work/export.zip" "$(jq -r .downloadUrl <<<"$status")"
downloaded=$(date +%s.%N)
size=$(stat -c %s "$work/export.zip")
# GNU time ignores SIGINT itself: stop the sandbox under it.
kill -INT "$(pgrep -P "$pid")"; wait "$pid" || true
printf 'instruments %s, PDFs %s, page weight %s KiB, profile %s\n' "$instruments" "$files" "$page_kib" "$profile"
printf 'export size      %8.1f MiB\n' "$(echo "$size/1048576" | bc -l)"
printf 'build time       %8.1f s\n' "$(echo "$built-$start" | bc -l)"
printf 'download time    %8.1f s\n' "$(echo "$downloaded-$built" | bc -l)"
printf 'peak RSS         %8.1f MiB\n' "$(echo "$(cat "$work/rss")/1024" | bc -l)"
