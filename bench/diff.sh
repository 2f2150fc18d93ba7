#!/usr/bin/env bash
# `annolab-export diff` of an N-instrument export against the same project a week later
# (annolab-sandbox --week 1), against a naive baseline: jq puts each line of both instruments.json
# behind its id, sort orders them by id, diff compares. Prints figures; asserts nothing.
#
#   bench/diff.sh [N]                    # default 1,000,000, release binaries (make bench builds them)
#   BIN=target/debug bench/diff.sh 2000  # a quick check of the script itself
#
# Both exports are made without PDFs (a million PDFs would measure the disk, not the diff).
set -euo pipefail
N=${1:-1000000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$ROOT/target/release}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/annolab-diff-bench-XXXXXX")
SANDBOX=
cleanup() { [ -n "$SANDBOX" ] && kill "$SANDBOX" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
export ANNOLAB_EXPORT_LIBRARY=$WORK/library ANNOLAB_EXPORT_CONFIG=$WORK/config ANNOLAB_API_KEY=bench-key
unset ANNOLAB_PROFILE

# Exports the project as it is in week $1; prints the export's folder.
export_week() {
  "$BIN/annolab-sandbox" --port 0 --key bench-key --job-seconds 0 --instruments "$N" --week "$1" >"$WORK/sandbox.out" 2>&1 &
  SANDBOX=$!
  for _ in $(seq 600); do grep -q "^listening on" "$WORK/sandbox.out" && break; sleep 0.5; done
  local api
  api=$(sed -n 's/^listening on //p' "$WORK/sandbox.out")
  [ -n "$api" ] || { echo "the sandbox did not start:" >&2; cat "$WORK/sandbox.out" >&2; exit 1; }
  "$BIN/annolab-export" --server "$api" export --owner "Group Name owning project" --project "Example Project Name" --no-files 2>/dev/null
  kill "$SANDBOX"; wait "$SANDBOX" 2>/dev/null || true; SANDBOX=
}

started=$(date +%s)
OLD=$(export_week 0)
NEW=$(export_week 1)
echo "instruments: $N (week 0) against week 1; exports took $(( $(date +%s) - started )) s"
echo "instruments.json: $(( $(stat -c %s "$OLD/instruments.json") / 1048576 )) MiB and $(( $(stat -c %s "$NEW/instruments.json") / 1048576 )) MiB"

/usr/bin/time -f "%e %M" -o "$WORK/ours.time" "$BIN/annolab-export" diff "$OLD" "$NEW" --json >"$WORK/ours.out"
read -r ours_s ours_kib <"$WORK/ours.time"
tail -1 "$WORK/ours.out" | jq -r '"diff result: \(.summary); \(.added | length) added, \(.removed | length) removed, \(.changed | length) changed"'
echo "diff seconds: $ours_s"
echo "diff peak KiB: $ours_kib"

naive() {
  for side in "$OLD" "$NEW"; do
    jq -r '"\(.id)\t\(tojson)"' "$side/instruments.json" | LC_ALL=C sort -n -k1,1 -S 1G -T "$WORK" >"$WORK/$(basename "$side").sorted"
  done
  diff "$WORK/$(basename "$OLD").sorted" "$WORK/$(basename "$NEW").sorted" >"$WORK/naive.diff" || true
}
export -f naive; export OLD NEW WORK
/usr/bin/time -f "%e %M" -o "$WORK/naive.time" bash -c naive
read -r naive_s naive_kib <"$WORK/naive.time"
echo "baseline: $(grep -c '^[<>]' "$WORK/naive.diff") diff lines (jq, sort -n, diff)"
echo "baseline seconds: $naive_s"
echo "baseline peak KiB: $naive_kib"
