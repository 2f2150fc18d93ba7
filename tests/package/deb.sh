#!/usr/bin/env bash
# Install test of the Debian package: checks what `tauri build --bundles deb` produced, installs it,
# starts the INSTALLED app and removes the package again.
#
#   tests/package/deb.sh [path/to/package.deb]
#
# Without an argument it takes the newest .deb under target/debug/bundle/deb/ (`make test-package`
# builds it). It checks:
#   - the metadata (dpkg-deb -f): Package name, Version equal to tauri.conf.json's version,
#     Architecture, Maintainer, a Description, Depends including libwebkit2gtk-4.1-0 (no duplicates);
#   - the contents (dpkg-deb -c): usr/bin/annolab-exporter (executable), a .desktop entry under
#     usr/share/applications, icons under usr/share/icons/hicolor;
#   - the install (apt-get install ./file.deb): dpkg owns /usr/bin/annolab-exporter, the installed
#     desktop entry has Name=AnnoLab Exporter, Exec and Icon that resolve;
#   - the launch: /usr/bin/annolab-exporter, under its own virtual X display (xvfb-run) and private
#     D-Bus session (so tauri-plugin-single-instance never hands over to another running copy) and
#     with scratch XDG folders, maps a top-level X window titled "AnnoLab Exporter" within 30 s
#     (xwininfo), and is then stopped (SIGTERM, SIGKILL if needed).
# The package is always removed at the end (trap), also on failure. Any failed check exits non-zero
# with a message; nothing is ever skipped. Needs root (or sudo) to install.
set -euo pipefail

readonly PACKAGE=anno-lab-exporter       # Tauri derives it from productName (kebab case)
readonly BINARY=/usr/bin/annolab-exporter
readonly TITLE="AnnoLab Exporter"
readonly WINDOW_TIMEOUT=30               # seconds until the window must be mapped
readonly STOP_TIMEOUT=10                 # seconds between SIGTERM and SIGKILL

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
ok() { printf '    ok: %s\n' "$*"; }
fail() { printf '\033[31mFAIL:\033[0m %s\n' "$*" >&2; exit 1; }

# --- Part 2, run by part 1 inside `dbus-run-session -- xvfb-run ...`: launch and look. ----------
if [[ "${1:-}" == "--launch-inside-display" ]]; then
  scratch="$2"
  [[ -n "${DISPLAY:-}" ]] || fail "no DISPLAY: this mode runs under xvfb-run"
  [[ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ]] || fail "no D-Bus session: this mode runs under dbus-run-session"
  export XDG_CONFIG_HOME="$scratch/config" XDG_DATA_HOME="$scratch/data" XDG_CACHE_HOME="$scratch/cache"
  mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_CACHE_HOME"
  log="$scratch/app.log"

  # Its own process group (setsid without a fork: a background job is no group leader), so
  # stopping it also stops the WebKit processes it started.
  setsid "$BINARY" >"$log" 2>&1 &
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
      fail "$BINARY exited (status $status) before its window appeared"
    fi
    # Direct children of the root window are the top-level windows (there is no window manager).
    # Lines look like:  0x1a00003 "AnnoLab Exporter": ("annolab-exporter" "Annolab-exporter")  ...
    window="$(xwininfo -root -children 2>/dev/null |
      awk -v t="\"$TITLE\":" 'index($0, t) && $1 ~ /^0x/ { print $1; exit }')" || true
    if [[ -n "$window" ]] && xwininfo -id "$window" 2>/dev/null | grep 'Map State: IsViewable' >/dev/null; then
      break
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
  geometry="$(xwininfo -id "$window" | awk '/-geometry/ { print $2 }')"
  ok "window $window \"$TITLE\" mapped after $((SECONDS - start)) s (geometry $geometry)"

  stop_app
  trap - EXIT
  ok "app stopped"
  exit 0
fi

# --- Part 1: check, install, launch (part 2), remove. ------------------------------------------
cd "$(dirname "$0")/../.."
root="$PWD"

deb="${1:-}"
if [[ -z "$deb" ]]; then
  for candidate in target/debug/bundle/deb/*.deb; do
    [[ -f "$candidate" ]] || continue
    if [[ -z "$deb" || "$candidate" -nt "$deb" ]]; then deb="$candidate"; fi
  done
  [[ -n "$deb" ]] ||
    fail "no .deb under target/debug/bundle/deb/: build one first (npm run tauri -- build --debug --bundles deb)"
fi
[[ -f "$deb" ]] || fail "no such file: $deb"
deb="$(realpath "$deb")"

for tool in dpkg-deb dpkg-query apt-get jq xvfb-run dbus-run-session xwininfo setsid; do
  command -v "$tool" >/dev/null || fail "$tool is missing (scripts/setup.sh installs it)"
done
sudo=()
if [[ "$(id -u)" -ne 0 ]]; then
  command -v sudo >/dev/null || fail "installing the package needs root or sudo"
  sudo=(sudo)
fi

say "Checking $deb"
field() { dpkg-deb -f "$deb" "$1"; }
dpkg-deb -I "$deb" >/dev/null || fail "dpkg-deb cannot read $deb"

expected_version="$(jq -r .version tauri.conf.json)"
[[ "$(field Package)" == "$PACKAGE" ]] || fail "Package is '$(field Package)', expected '$PACKAGE'"
ok "Package: $PACKAGE"
[[ "$(field Version)" == "$expected_version" ]] ||
  fail "Version is '$(field Version)', tauri.conf.json says '$expected_version'"
ok "Version: $expected_version (tauri.conf.json)"
[[ "$(field Architecture)" == "$(dpkg --print-architecture)" ]] ||
  fail "Architecture is '$(field Architecture)', this machine is $(dpkg --print-architecture)"
ok "Architecture: $(field Architecture)"
[[ -n "$(field Maintainer)" ]] || fail "no Maintainer"
ok "Maintainer: $(field Maintainer)"
# The whole field, then its first line: `| head -n 1` would close the pipe early, and under
# pipefail dpkg-deb's SIGPIPE (exit 141) failed the test now and then.
description="$(field Description)"
summary="${description%%$'\n'*}"
[[ -n "$summary" && "$summary" != "(none)" ]] || fail "no Description (bundle.shortDescription)"
(($(field Description | wc -l) > 1)) || fail "no long Description (bundle.longDescription)"
ok "Description: $summary"
mapfile -t depends < <(field Depends | tr ',' '\n' | sed -E 's/^ +//; s/ +$//' | grep -v '^$')
printf '%s\n' "${depends[@]}" | grep -Eq '^libwebkit2gtk-4\.1-0( |$)' ||
  fail "Depends ('$(field Depends)') lacks libwebkit2gtk-4.1-0"
duplicates="$(printf '%s\n' "${depends[@]}" | sed -E 's/[ (].*//' | sort | uniq -d | paste -sd, -)"
[[ -z "$duplicates" ]] || fail "Depends lists $duplicates more than once: $(field Depends)"
ok "Depends: $(field Depends)"

# `dpkg-deb -c` lines: mode owner/group size date time name (names may hold spaces).
listing="$(dpkg-deb -c "$deb")"
files="$(sed -E 's/^([^ ]+ +){5}//; s|^\./||' <<<"$listing")"
grep -Eq '^-rwxr-xr-x .* \.?/?usr/bin/annolab-exporter$' <<<"$listing" ||
  fail "the package holds no executable usr/bin/annolab-exporter"
ok "contains usr/bin/annolab-exporter (mode 0755)"
desktop_files="$(grep -E '^usr/share/applications/[^/]+\.desktop$' <<<"$files" || true)"
[[ -n "$desktop_files" ]] || fail "no .desktop file under usr/share/applications"
[[ "$(wc -l <<<"$desktop_files")" -eq 1 ]] || fail "more than one .desktop file: $desktop_files"
ok "contains $desktop_files"
icons="$(grep -E '^usr/share/icons/hicolor/[0-9]+x[0-9]+(@2)?/apps/[^/]+\.png$' <<<"$files" || true)"
[[ -n "$icons" ]] || fail "no icons under usr/share/icons/hicolor"
ok "contains $(wc -l <<<"$icons") icons: $(sed -E 's|usr/share/icons/hicolor/([^/]+)/.*|\1|' <<<"$icons" | paste -sd' ' -)"

# Never replace (and then remove) a copy somebody installed on purpose.
if dpkg-query -W -f='${Status}' "$PACKAGE" 2>/dev/null | grep -q 'install ok installed'; then
  fail "$PACKAGE is already installed; this test would replace and then remove it. Remove it first: dpkg -r $PACKAGE"
fi
[[ ! -e "$BINARY" ]] || fail "$BINARY already exists (not from $PACKAGE); refusing to overwrite it"

scratch="$(mktemp -d "${TMPDIR:-/tmp}/annolab-package-test.XXXXXX")"
installed=false
cleanup() {
  local status=$?
  if $installed || dpkg-query -W -f='${Status}' "$PACKAGE" 2>/dev/null | grep -q 'ok installed'; then
    say "Removing $PACKAGE"
    if ! DEBIAN_FRONTEND=noninteractive "${sudo[@]}" dpkg --purge "$PACKAGE" >/dev/null; then
      printf '\033[31mFAIL:\033[0m could not remove %s\n' "$PACKAGE" >&2
      status=1
    elif [[ -e "$BINARY" ]]; then
      printf '\033[31mFAIL:\033[0m %s is still there after removing %s\n' "$BINARY" "$PACKAGE" >&2
      status=1
    else
      ok "removed; $BINARY is gone"
    fi
  fi
  rm -rf "$scratch"
  if ((status == 0)); then
    say "Package test passed"
  else
    printf '\033[31mPackage test FAILED\033[0m (%s)\n' "$deb" >&2
  fi
  exit "$status"
}
trap cleanup EXIT

say "Installing $PACKAGE"
installed=true
# Waits for the dpkg lock instead of failing when another apt/dpkg run holds it.
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends \
  -o DPkg::Lock::Timeout=120 "$deb" >"$scratch/install.log" 2>&1 || {
  tail -n 30 "$scratch/install.log" >&2
  fail "apt-get install $deb failed"
}
dpkg-query -W -f='${Status}' "$PACKAGE" | grep -q 'install ok installed' ||
  fail "$PACKAGE is not 'install ok installed' after apt-get install"
ok "installed: $(dpkg-query -W -f='${Package} ${Version}, ${Installed-Size} KiB' "$PACKAGE")"
dpkg -L "$PACKAGE" | grep -x "$BINARY" >/dev/null || fail "dpkg does not list $BINARY as part of $PACKAGE"
[[ -x "$BINARY" ]] || fail "$BINARY is not an executable file after installing"
ok "$BINARY installed and owned by $PACKAGE"

desktop="/$desktop_files"
[[ -f "$desktop" ]] || fail "$desktop was not installed"
entry() { sed -n "s/^$1=//p" "$desktop" | head -n 1; }
[[ "$(entry Type)" == "Application" ]] || fail "$desktop: Type is '$(entry Type)', expected Application"
[[ "$(entry Name)" == "$TITLE" ]] || fail "$desktop: Name is '$(entry Name)', expected '$TITLE'"
exec_cmd="$(entry Exec | awk '{ print $1 }')"
[[ "$(command -v "$exec_cmd" || true)" == "$BINARY" ]] ||
  fail "$desktop: Exec '$(entry Exec)' does not start $BINARY"
icon="$(entry Icon)"
compgen -G "/usr/share/icons/hicolor/*/apps/$icon.png" >/dev/null ||
  fail "$desktop: Icon '$icon' has no file under /usr/share/icons/hicolor/*/apps/"
ok "desktop entry: Name=$(entry Name), Exec=$(entry Exec), Icon=$icon, Categories=$(entry Categories)"

say "Starting $BINARY under Xvfb with a private D-Bus session"
NO_AT_BRIDGE=1 dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" \
  "$root/tests/package/deb.sh" --launch-inside-display "$scratch" ||
  fail "the installed app did not start and show its window"
