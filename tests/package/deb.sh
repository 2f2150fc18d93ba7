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
#   - the launch (tests/package/launch.sh): /usr/bin/annolab-exporter, under its own virtual X
#     display (xvfb-run) and private D-Bus session (so tauri-plugin-single-instance never hands over
#     to another running copy) and with scratch XDG folders, maps a top-level X window titled
#     "AnnoLab Exporter" within 30 s (xwininfo), and is then stopped (SIGTERM, SIGKILL if needed).
# The package is always removed at the end (trap), also on failure. Any failed check exits non-zero
# with a message; nothing is ever skipped. Needs root (or sudo) to install.
set -euo pipefail

readonly PACKAGE=anno-lab-exporter       # Tauri derives it from productName (kebab case)
readonly BINARY=/usr/bin/annolab-exporter
readonly TITLE="AnnoLab Exporter"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
ok() { printf '    ok: %s\n' "$*"; }
fail() { printf '\033[31mFAIL:\033[0m %s\n' "$*" >&2; exit 1; }

# --- Check, install, launch (tests/package/launch.sh), remove. ---------------------------------
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
# grep -q reads from a process substitution, not a pipe: under pipefail a writer that outlives grep
# would fail the check with SIGPIPE.
grep -Eq '^libwebkit2gtk-4\.1-0( |$)' < <(printf '%s\n' "${depends[@]}") ||
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
"$root/tests/package/launch.sh" "$BINARY" "$scratch" ||
  fail "the installed app did not start and show its window"
