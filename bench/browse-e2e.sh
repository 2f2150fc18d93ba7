#!/usr/bin/env bash
# The instrument browser in the real window on a large export: open and keystroke timings, in
# the page. Prints figures; asserts nothing. `make test` must have run once (it builds the app
# and installs tauri-driver).
#
#   bench/browse-e2e.sh [INSTRUMENTS]      default: 100000
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-100000}"
cargo build --locked --features annolab-exporter/custom-protocol -p annolab-exporter -p annolab-e2e --bin browse_timing --bin annolab-exporter
NO_AT_BRIDGE=1 dbus-run-session -- scripts/with-keyring.sh xvfb-run -a -s "-screen 0 1280x800x24" \
  target/debug/browse_timing "$n"
