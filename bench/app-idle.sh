#!/usr/bin/env bash
# The release app's cold start and idle memory (row P8 of `make bench`). Prints figures; asserts
# nothing. Needs the release app and the e2e tools (`make bench` builds them; tauri-driver
# comes with `make test`'s setup).
#
# Each launch has a fresh profile. Without a GPU the app has WebKit paint on the CPU
# (src-tauri/src/painting.rs); with `ANNOLAB_GPU=on` it composites through Mesa's software
# renderer, which compiles its shaders on a machine's first launch and caches them:
# MESA_SHADER_CACHE_DIR (default target/mesa-shader-cache) decides whether that is a first one.
set -euo pipefail
cd "$(dirname "$0")/.."
export MESA_SHADER_CACHE_DIR="${MESA_SHADER_CACHE_DIR:-$PWD/target/mesa-shader-cache}"
ANNOLAB_APP="$PWD/target/release/annolab-exporter" NO_AT_BRIDGE=1 \
  dbus-run-session -- scripts/with-keyring.sh xvfb-run -a -s "-screen 0 1280x800x24" target/release/app_idle
