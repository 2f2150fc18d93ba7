#!/usr/bin/env bash
# The instrument browser in the real window on a large export: open and keystroke timings, in
# the page. Prints figures; asserts nothing. Builds the release app (as users get it); `make
# test` must have run once (it installs tauri-driver and builds the UI).
#
#   bench/browse-e2e.sh [INSTRUMENTS]      default: 100000
#
# Without a GPU the app has WebKit paint on the CPU (src-tauri/src/painting.rs).
# `ANNOLAB_GPU=on bench/browse-e2e.sh` measures the composited way instead, through Mesa's
# software renderer (llvmpipe), which compiles a shader the first time each kind of drawing
# appears: 0.7-5 s, once per machine, then cached in target/mesa-shader-cache (delete the
# folder to see a first launch again).
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-100000}"
npm run -s build:ui
cargo build --release --locked --features annolab-exporter/custom-protocol -p annolab-exporter -p annolab-e2e --bin browse_timing --bin annolab-exporter
mkdir -p target/mesa-shader-cache
MESA_SHADER_CACHE_DIR="$PWD/target/mesa-shader-cache" ANNOLAB_APP="$PWD/target/release/annolab-exporter" NO_AT_BRIDGE=1 \
  dbus-run-session -- scripts/with-keyring.sh xvfb-run -a -s "-screen 0 1280x800x24" target/release/browse_timing "$n"
