#!/usr/bin/env bash
# Crash-anywhere soak: the CLI killed with SIGKILL at POINTS moments (default 100) drawn with
# SEED across a paced export, each time resumed and compared byte for byte with a clean export
# (crates/annolab-cli/tests/cli.rs, killed_at_random_moments_then_resumed_always_ends_identical;
# `make test` runs the same test at 6 points). Prints the points, the phases hit and the time.
set -euo pipefail
cd "$(dirname "$0")/.."
points="${1:-100}"
seed="${2:-$(date +%s)}"
start=$(date +%s)
ANNOLAB_CRASH_POINTS="$points" ANNOLAB_CRASH_SEED="$seed" \
  cargo test --workspace --locked --features annolab-exporter/custom-protocol --test cli \
  killed_at_random_moments_then_resumed_always_ends_identical -- --nocapture 2>&1 |
  grep -E "crash points|test result|panicked|FAILED"
echo "seed $seed: $points points in $(( $(date +%s) - start )) s"
