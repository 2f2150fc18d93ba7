#!/usr/bin/env bash
# The release app's cold start and idle memory (row P8 of `make bench`). Prints figures; asserts
# nothing. Needs the release app and the e2e tools (`make bench` builds them; tauri-driver
# comes with `make test`'s setup).
set -euo pipefail
cd "$(dirname "$0")/.."
ANNOLAB_APP="$PWD/target/release/annolab-exporter" NO_AT_BRIDGE=1 \
  dbus-run-session -- scripts/with-keyring.sh xvfb-run -a -s "-screen 0 1280x800x24" target/release/app_idle
