#!/usr/bin/env bash
# Runs every cargo-fuzz target (tests/fuzz) for SECONDS_PER_TARGET seconds each (default 3600),
# one job at a time, then prints each one's libFuzzer figures: executions, exec/s, coverage
# (cov, ft), working corpus size and crashes. Usage: bench/fuzz.sh [SECONDS_PER_TARGET]
# Needs the nightly toolchain; installs cargo-fuzz when missing. Working corpora go to
# tests/fuzz/work/<target> (ignored by git), seeded from the committed tests/fuzz/corpus/<target>;
# crashes go to tests/fuzz/artifacts/<target>.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-3600}"
targets=(instruments zip_buffered zip_streaming api_responses sandbox_requests names)
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
export TMPDIR="${TMPDIR:-$([ -d /dev/shm ] && echo /dev/shm || echo /tmp)}"
logs="$(mktemp -d)"
cargo +nightly fuzz build --fuzz-dir tests/fuzz
for t in "${targets[@]}"; do
  mkdir -p "tests/fuzz/work/$t" "tests/fuzz/corpus/$t"
  echo "== $t: ${seconds}s" >&2
  start=$(date +%s)
  set +e
  cargo +nightly fuzz run --fuzz-dir tests/fuzz "$t" "tests/fuzz/work/$t" "tests/fuzz/corpus/$t" -- \
    -max_total_time="$seconds" -print_final_stats=1 >"$logs/$t.log" 2>&1
  echo "rc=$? secs=$(( $(date +%s) - start ))" >>"$logs/$t.log"
  set -e
done
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
