#!/usr/bin/env bash
# Runs every cargo-fuzz target (tests/fuzz) for SECONDS_PER_TARGET seconds each (default 3600),
# then prints each one's libFuzzer figures: executions, exec/s, coverage (cov, ft), working corpus
# size and crashes. Usage: bench/fuzz.sh [SECONDS_PER_TARGET] [TARGETS_AT_ONCE]
# TARGETS_AT_ONCE (default 1) runs that many targets side by side, each at the lowest CPU priority,
# so an hour per target fits in fewer hours of wall time; each then gets a share of the cores, and
# the table's exec/s shows it.
# Needs the nightly toolchain; installs cargo-fuzz when missing. Working corpora go to
# tests/fuzz/work/<target> (ignored by git), seeded from the committed tests/fuzz/corpus/<target>;
# crashes go to tests/fuzz/artifacts/<target>.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-3600}"
at_once="${2:-1}"
targets=(instruments zip_buffered zip_streaming api_responses sandbox_requests names)
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
export TMPDIR="${TMPDIR:-$([ -d /dev/shm ] && echo /dev/shm || echo /tmp)}"
logs="$(mktemp -d)"
cargo +nightly fuzz build --fuzz-dir tests/fuzz ${FUZZ_TARGET_DIR:+--target-dir "$FUZZ_TARGET_DIR"}
run_target() {
  local t="$1" start
  mkdir -p "tests/fuzz/work/$t" "tests/fuzz/corpus/$t"
  echo "== $t: ${seconds}s" >&2
  start=$(date +%s)
  set +e
  nice -n 19 cargo +nightly fuzz run --fuzz-dir tests/fuzz ${FUZZ_TARGET_DIR:+--target-dir "$FUZZ_TARGET_DIR"} "$t" "tests/fuzz/work/$t" "tests/fuzz/corpus/$t" -- \
    -max_total_time="$seconds" -print_final_stats=1 >"$logs/$t.log" 2>&1
  echo "rc=$? secs=$(( $(date +%s) - start ))" >>"$logs/$t.log"
  set -e
}
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$at_once" ]; do wait -n || true; done
  run_target "$t" &
done
wait
printf '| target | duration (s) | executions | exec/s | cov | ft | corpus | crashes |\n|---|---|---|---|---|---|---|---|\n'
for t in "${targets[@]}"; do
  log="$logs/$t.log"
  execs=$(grep -oP 'stat::number_of_executed_units: *\K\d+' "$log" || echo '?')
  rate=$(grep -oP 'stat::average_exec_per_sec: *\K\d+' "$log" || echo '?')
  cov=$(grep -oP '\bcov: \K\d+' "$log" | tail -1 || true)
  ft=$(grep -oP '\bft: \K\d+' "$log" | tail -1 || true)
  corpus=$(find "tests/fuzz/work/$t" -type f | wc -l)
  crashes=$(find "tests/fuzz/artifacts/$t" -type f 2>/dev/null | wc -l)
  secs=$(grep -oP 'secs=\K\d+' "$log")
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$t" "$secs" "$execs" "$rate" "${cov:-?}" "${ft:-?}" "$corpus" "$crashes"
done
echo "logs: $logs" >&2
