#!/usr/bin/env bash
# The release app's cold start and idle memory (row P8 of `make bench`). Prints figures; asserts
# nothing. Needs the release app and the e2e tools (`make bench` builds them; tauri-driver
# comes with `make test`'s setup).
#
#   bench/app-idle.sh [ours|empty|empty-cpu]
#
# `ours` (the default) is the app. `empty` is row P8's anchor, an empty Tauri 2 window
# (bench/empty-window, built by the same `cargo build --release --workspace`) as Tauri ships it;
# `empty-cpu` is the same window painting on the CPU, as the app does where there is no GPU.
# Each is launched and measured the same way: through tauri-driver, until its ready element
# shows, then the PSS and RSS of its process tree after 5 s at rest.
#
# Each launch has a fresh profile. Without a GPU the app has WebKit paint on the CPU
# (src-tauri/src/painting.rs); with `ANNOLAB_GPU=on` it composites through Mesa's software
# renderer, which compiles its shaders on a machine's first launch and caches them:
# MESA_SHADER_CACHE_DIR (default target/mesa-shader-cache) decides whether that is a first one.
# ANNOLAB_IDLE_SMAPS=DIR copies each process's smaps at rest into DIR, for a by-mapping profile.
set -euo pipefail
cd "$(dirname "$0")/.."
which="${1:-ours}"
case "$which" in
  ours) app=annolab-exporter ready="" painting="" ;;
  empty) app=empty-window ready="#ready" painting="" ;;
  empty-cpu) app=empty-window ready="#ready" painting=cpu ;;
  *) echo "usage: bench/app-idle.sh [ours|empty|empty-cpu]" >&2; exit 2 ;;
esac
if [[ ! -x "target/release/$app" ]]; then
  echo "target/release/$app is missing: build it with \`make bench\` (or its cargo build --release line)" >&2
  exit 1
fi
export MESA_SHADER_CACHE_DIR="${MESA_SHADER_CACHE_DIR:-$PWD/target/mesa-shader-cache}"
ANNOLAB_APP="$PWD/target/release/$app" ANNOLAB_IDLE_READY="$ready" EMPTY_WINDOW_PAINTING="$painting" NO_AT_BRIDGE=1 \
  dbus-run-session -- scripts/with-keyring.sh xvfb-run -a -s "-screen 0 1280x800x24" target/release/app_idle
