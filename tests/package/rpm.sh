#!/usr/bin/env bash
# Install test of the RPM package, on a machine without an RPM system (Debian): checks what
# `tauri build --bundles rpm` produced, unpacks it into a scratch root as an RPM install would lay
# it out, and starts the UNPACKED app.
#
#   tests/package/rpm.sh [path/to/package.rpm]
#
# Without an argument it takes the newest .rpm under target/debug/bundle/rpm/ (`make test-package`
# builds it). It checks:
#   - the metadata (rpm -qp): Name, Version equal to tauri.conf.json's version, a Release, Arch of
#     this machine, a License, a Summary and a longer Description, Requires including
#     libwebkit2gtk-4.1 (no entry twice);
#   - the payload (rpm -K digests; rpm2cpio | cpio into a scratch root, every file the size the
#     header lists): usr/bin/annolab-exporter, executable and listed by the package as mode
#     -rwxr-xr-x; exactly one .desktop entry under
#     usr/share/applications with Name=AnnoLab Exporter, an Exec that names the packaged binary and
#     an Icon that has a file under usr/share/icons/hicolor/*/apps/ of that root;
#   - the launch (tests/package/launch.sh): the unpacked binary, under its own virtual X display and
#     private D-Bus session with scratch XDG folders, maps a top-level window titled
#     "AnnoLab Exporter" within 30 s, and is then stopped.
# It never touches the system (no root needed); the scratch root is always removed (trap). Any
# failed check exits non-zero with a message; nothing is ever skipped.
set -euo pipefail

readonly PACKAGE=anno-lab-exporter       # Tauri derives it from productName (kebab case)
readonly BINARY=usr/bin/annolab-exporter # inside the package, relative to /
readonly TITLE="AnnoLab Exporter"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
ok() { printf '    ok: %s\n' "$*"; }
fail() { printf '\033[31mFAIL:\033[0m %s\n' "$*" >&2; exit 1; }

cd "$(dirname "$0")/../.."
root="$PWD"

rpm_file="${1:-}"
if [[ -z "$rpm_file" ]]; then
  for candidate in target/debug/bundle/rpm/*.rpm; do
    [[ -f "$candidate" ]] || continue
    if [[ -z "$rpm_file" || "$candidate" -nt "$rpm_file" ]]; then rpm_file="$candidate"; fi
  done
  [[ -n "$rpm_file" ]] ||
    fail "no .rpm under target/debug/bundle/rpm/: build one first (npm run tauri -- build --debug --bundles rpm)"
fi
[[ -f "$rpm_file" ]] || fail "no such file: $rpm_file"
rpm_file="$(realpath "$rpm_file")"

for tool in rpm rpm2cpio cpio jq; do
  command -v "$tool" >/dev/null || fail "$tool is missing (scripts/setup.sh installs it)"
done

say "Checking $rpm_file"
# Every query's output is read whole into a variable: no pipe that closes early under pipefail.
query() { rpm -qp --nosignature --nodigest "$@" "$rpm_file" 2>/dev/null; }
rpm -qp --nosignature --nodigest --queryformat '%{NAME}' "$rpm_file" >/dev/null ||
  fail "rpm cannot read $rpm_file"
tag() { query --queryformat "%{$1}"; }

expected_version="$(jq -r .version tauri.conf.json)"
[[ "$(tag NAME)" == "$PACKAGE" ]] || fail "Name is '$(tag NAME)', expected '$PACKAGE'"
ok "Name: $PACKAGE"
[[ "$(tag VERSION)" == "$expected_version" ]] ||
  fail "Version is '$(tag VERSION)', tauri.conf.json says '$expected_version'"
ok "Version: $expected_version (tauri.conf.json)"
release="$(tag RELEASE)"
expected_release="$(jq -r '.bundle.linux.rpm.release // "1"' tauri.conf.json)"
[[ "$release" == "$expected_release" ]] || fail "Release is '$release', tauri.conf.json says '$expected_release'"
ok "Release: $release"
[[ "$(tag ARCH)" == "$(uname -m)" ]] || fail "Arch is '$(tag ARCH)', this machine is $(uname -m)"
ok "Arch: $(tag ARCH)"
license="$(tag LICENSE)"
[[ -n "$license" && "$license" != "(none)" ]] || fail "no License"
ok "License: $license"
summary="$(tag SUMMARY)"
[[ -n "$summary" && "$summary" != "(none)" ]] || fail "no Summary (bundle.shortDescription)"
description="$(tag DESCRIPTION)"
[[ -n "$description" && "$description" != "(none)" && "$description" != "$summary" ]] ||
  fail "no long Description (bundle.longDescription)"
ok "Summary: $summary"
requires_text="$(query --requires)" || fail "rpm --requires failed on $rpm_file"
requires_text="$(sed -E 's/^ +//; s/ +$//; /^$/d' <<<"$requires_text")"
[[ -n "$requires_text" ]] || fail "no Requires at all"
# Here-strings, not `printf | grep -q`: grep -q exits at the first match, which under pipefail can
# fail the pipeline with the writer's SIGPIPE.
grep -Eq '^libwebkit2gtk-4\.1' <<<"$requires_text" ||
  fail "Requires ($(paste -sd, - <<<"$requires_text")) lacks libwebkit2gtk-4.1"
duplicates="$(sort <<<"$requires_text" | uniq -d | paste -sd, -)"
[[ -z "$duplicates" ]] || fail "Requires lists $duplicates more than once"
ok "Requires: $(grep -v '^rpmlib(' <<<"$requires_text" | paste -sd, - | sed 's/,/, /g')"

# The package's own file list with modes, e.g. "-rwxr-xr-x /usr/bin/annolab-exporter".
listing="$(query --queryformat '[%{FILEMODES:perms} %{FILENAMES}\n]')" ||
  fail "rpm cannot list the files of $rpm_file"
grep -Eqx -- "-rwxr-xr-x /$BINARY" <<<"$listing" ||
  fail "the package has no executable /$BINARY (its files: $(awk '{ print $2 }' <<<"$listing" | paste -sd' ' -))"
ok "lists /$BINARY (-rwxr-xr-x)"

scratch="$(mktemp -d "${TMPDIR:-/tmp}/annolab-rpm-test.XXXXXX")"
cleanup() {
  local status=$?
  rm -rf "$scratch"
  if ((status == 0)); then
    say "RPM package test passed"
  else
    printf '\033[31mRPM package test FAILED\033[0m (%s)\n' "$rpm_file" >&2
  fi
  exit "$status"
}
trap cleanup EXIT

say "Unpacking the payload into a scratch root"
# The digests first: rpm2cpio's own exit status cannot tell a damaged payload (see below).
digests="$(rpm -K --nosignature "$rpm_file" 2>&1)" || fail "the digests do not match: $digests"
[[ "$digests" == *": digests OK" ]] || fail "rpm -K did not check the digests: $digests"
ok "rpm -K: digests OK (header and payload)"
unpacked="$scratch/root"
mkdir -p "$unpacked" "$scratch/home"
# cpio reads the whole payload, so the pipe never closes early. rpm2cpio's status goes to a file:
# it exits 1 whenever the header lacks the payload size (ARCHIVESIZE), which the bundler's rpm
# crate does not write, even though it copied the whole payload. So a 1 passes only without that
# tag, and only because the unpacked files are then checked against the header, size by size.
{
  rpm2cpio "$rpm_file"
  echo "$?" >"$scratch/rpm2cpio.status"
} | (cd "$unpacked" && cpio -idm --quiet --no-absolute-filenames) ||
  fail "cpio could not unpack the payload of $rpm_file"
rpm2cpio_status="$(cat "$scratch/rpm2cpio.status")"
archive_size="$(tag ARCHIVESIZE)"
if [[ "$rpm2cpio_status" != 0 ]] && ! [[ "$rpm2cpio_status" == 1 && "$archive_size" == "(none)" ]]; then
  fail "rpm2cpio failed (status $rpm2cpio_status) on $rpm_file"
fi
sizes="$(query --queryformat '[%{FILEMODES:perms} %{FILESIZES} %{FILENAMES}\n]')" ||
  fail "rpm cannot list the file sizes of $rpm_file"
count=0
while read -r perms size name; do
  [[ "$perms" == -* ]] || continue
  [[ -f "$unpacked$name" ]] || fail "$name, listed by the package, is not in the unpacked payload"
  actual="$(stat -c %s "$unpacked$name")"
  [[ "$actual" == "$size" ]] || fail "$name is $actual bytes unpacked, the package says $size"
  count=$((count + 1))
done <<<"$sizes"
((count > 0)) || fail "the package lists no regular files"
ok "unpacked $count files, each the size the header gives"
[[ -f "$unpacked/$BINARY" && -x "$unpacked/$BINARY" ]] ||
  fail "$BINARY is not an executable file in the unpacked payload"
ok "$BINARY unpacked and executable, $(du -h "$unpacked/$BINARY" | cut -f1)"

files="$(cd "$unpacked" && find . -type f -printf '%P\n' | sort)"
desktop_files="$(grep -E '^usr/share/applications/[^/]+\.desktop$' <<<"$files" || true)"
[[ -n "$desktop_files" ]] || fail "no .desktop file under usr/share/applications"
[[ "$(wc -l <<<"$desktop_files")" -eq 1 ]] || fail "more than one .desktop file: $desktop_files"
icons="$(grep -E '^usr/share/icons/hicolor/[0-9]+x[0-9]+(@2)?/apps/[^/]+\.png$' <<<"$files" || true)"
[[ -n "$icons" ]] || fail "no icons under usr/share/icons/hicolor"
ok "contains $desktop_files and $(wc -l <<<"$icons") icons: $(sed -E 's|usr/share/icons/hicolor/([^/]+)/.*|\1|' <<<"$icons" | paste -sd' ' -)"

desktop="$unpacked/$desktop_files"
entries="$(cat "$desktop")"
entry() { awk -v k="$1=" 'index($0, k) == 1 { print substr($0, length(k) + 1); exit }' <<<"$entries"; }
[[ "$(entry Type)" == "Application" ]] || fail "$desktop_files: Type is '$(entry Type)', expected Application"
[[ "$(entry Name)" == "$TITLE" ]] || fail "$desktop_files: Name is '$(entry Name)', expected '$TITLE'"
exec_cmd="$(entry Exec)"
exec_cmd="${exec_cmd%% *}"
# Exec is a bare name looked up on PATH (/usr/bin once installed) or an absolute path: either way it
# must be the packaged binary.
case "$exec_cmd" in
  /*) exec_path="$unpacked$exec_cmd" ;;
  *) exec_path="$unpacked/usr/bin/$exec_cmd" ;;
esac
[[ "$(realpath -m "$exec_path")" == "$(realpath "$unpacked/$BINARY")" ]] ||
  fail "$desktop_files: Exec '$(entry Exec)' does not start /$BINARY"
icon="$(entry Icon)"
[[ -n "$icon" ]] || fail "$desktop_files: no Icon"
compgen -G "$unpacked/usr/share/icons/hicolor/*/apps/$icon.png" >/dev/null ||
  fail "$desktop_files: Icon '$icon' has no file under usr/share/icons/hicolor/*/apps/"
ok "desktop entry: Name=$(entry Name), Exec=$(entry Exec), Icon=$icon, Categories=$(entry Categories)"

say "Starting the unpacked $BINARY under Xvfb with a private D-Bus session"
"$root/tests/package/launch.sh" "$unpacked/$BINARY" "$scratch/home" ||
  fail "the unpacked app did not start and show its window"
