#!/usr/bin/env bash
# Runs a command with a real, unlocked Secret Service: a private GNOME Keyring on the current
# D-Bus session (run this under `dbus-run-session`). Its keyring files go to a scratch folder,
# never to the user's own keyring.
set -euo pipefail
if [[ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ]]; then
  echo "with-keyring.sh: no D-Bus session; run it under dbus-run-session" >&2
  exit 1
fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export XDG_DATA_HOME="$scratch/data" XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$scratch/run}"
mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
printf 'annolab-test' | gnome-keyring-daemon --unlock --components=secrets >/dev/null
"$@"
