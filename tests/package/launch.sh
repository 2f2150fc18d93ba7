#!/usr/bin/env bash
# Starts a packaged AnnoLab Exporter binary and checks that it shows its window; shared by the
# package install tests (deb.sh: the installed /usr/bin/annolab-exporter; rpm.sh: the one unpacked
# from the .rpm).
#
#   tests/package/launch.sh BINARY SCRATCH_DIR
#
# BINARY runs under its own virtual X display (xvfb-run) and private D-Bus session (so
# tauri-plugin-single-instance never hands over to another running copy), with XDG folders under
# SCRATCH_DIR (which the caller creates and removes); it must map a top-level X window titled
# "AnnoLab Exporter" within 30 s (xwininfo), and is then stopped (SIGTERM to its process group,
# SIGKILL after 10 s). Exits non-zero with a message and the app's output if it does not.
set -euo pipefail

readonly TITLE="AnnoLab Exporter"
readonly WINDOW_TIMEOUT=30               # seconds until the window must be mapped
readonly STOP_TIMEOUT=10                 # seconds between SIGTERM and SIGKILL

ok() { printf '    ok: %s\n' "$*"; }
fail() { printf '\033[31mFAIL:\033[0m %s\n' "$*" >&2; exit 1; }

# --- Outer part: give the binary a display and a session bus of its own, run the inner part. ----
if [[ "${1:-}" != "--inside-display" ]]; then
  (($# == 2)) || fail "usage: $0 BINARY SCRATCH_DIR"
  binary="$1" scratch="$2"
  [[ -x "$binary" && -f "$binary" ]] || fail "$binary is not an executable file"
  [[ -d "$scratch" ]] || fail "$scratch is not a directory"
  for tool in xvfb-run dbus-run-session xwininfo setsid; do
    command -v "$tool" >/dev/null || fail "$tool is missing (scripts/setup.sh installs it)"
  done
  NO_AT_BRIDGE=1 exec dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" \
    "$(realpath "$0")" --inside-display "$(realpath "$binary")" "$(realpath "$scratch")"
fi

# --- Inner part, inside `dbus-run-session -- xvfb-run ...`: launch and look. ---------------------
binary="$2" scratch="$3"
[[ -n "${DISPLAY:-}" ]] || fail "no DISPLAY: this mode runs under xvfb-run"
[[ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ]] || fail "no D-Bus session: this mode runs under dbus-run-session"
export XDG_CONFIG_HOME="$scratch/config" XDG_DATA_HOME="$scratch/data" XDG_CACHE_HOME="$scratch/cache"
mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_CACHE_HOME"
log="$scratch/app.log"

# Its own process group (setsid without a fork: a background job is no group leader), so
# stopping it also stops the WebKit processes it started.
setsid "$binary" >"$log" 2>&1 &
pid=$!

stop_app() {
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM -- "-$pid" 2>/dev/null || true
  for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "    the app ignored SIGTERM for ${STOP_TIMEOUT} s: SIGKILL"
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  # Whatever is left of its process group (WebKit helpers) goes too.
  pkill -KILL -g "$pid" 2>/dev/null || true
}
show_log() {
  echo "--- app output (last 40 lines of $log) ---" >&2
  tail -n 40 "$log" >&2 || true
  echo "---" >&2
}
trap stop_app EXIT

window=""
start=$SECONDS
while ((SECONDS - start < WINDOW_TIMEOUT)); do
  if ! kill -0 "$pid" 2>/dev/null; then
    status=0
    wait "$pid" || status=$?
    show_log
    fail "$binary exited (status $status) before its window appeared"
  fi
  # Direct children of the root window are the top-level windows (there is no window manager).
  # Lines look like:  0x1a00003 "AnnoLab Exporter": ("annolab-exporter" "Annolab-exporter")  ...
  # The whole listing first, then awk: no pipe that closes early under pipefail.
  children="$(xwininfo -root -children 2>/dev/null)" || children=""
  window="$(awk -v t="\"$TITLE\":" 'index($0, t) && $1 ~ /^0x/ { print $1; exit }' <<<"$children")"
  if [[ -n "$window" ]]; then
    state="$(xwininfo -id "$window" 2>/dev/null)" || state=""
    [[ "$state" == *"Map State: IsViewable"* ]] && break
  fi
  window=""
  sleep 0.5
done
if [[ -z "$window" ]]; then
  echo "--- top-level windows on $DISPLAY ---" >&2
  xwininfo -root -children >&2 || true
  show_log
  fail "no mapped top-level window titled \"$TITLE\" within ${WINDOW_TIMEOUT} s"
fi
geometry="$(awk '/-geometry/ { print $2 }' <<<"$state")"
ok "window $window \"$TITLE\" mapped after $((SECONDS - start)) s (geometry $geometry)"

stop_app
trap - EXIT
ok "app stopped"
