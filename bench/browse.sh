#!/usr/bin/env bash
# How fast the instrument browser's queries are at the engine layer (what the app's commands
# call), for exports of 100,000 and 1,000,000 instruments. Prints figures; asserts nothing.
#
#   bench/browse.sh [INSTRUMENTS...]      default: 100000 1000000
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
((${#sizes[@]})) || sizes=(100000 1000000)
cargo build --release --locked -p export-engine --example browse_bench
for n in "${sizes[@]}"; do
  echo "=== $n instruments ==="
  target/release/examples/browse_bench "$n"
  echo
done
