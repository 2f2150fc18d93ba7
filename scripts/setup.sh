#!/usr/bin/env bash
# Installs what building, running and testing AnnoLab Exporter needs, skipping what is present.
#
#   scripts/setup.sh          system packages (Debian/Ubuntu), npm packages, Python venv
#   scripts/setup.sh --test   the same, plus tauri-driver for the end-to-end tests
#
# Everything comes from the package registries (Debian, npm, PyPI, crates.io); nothing else is
# downloaded. On other systems it says what to install instead.
set -euo pipefail

cd "$(dirname "$0")/.."

with_test_tools=false
[[ "${1:-}" == "--test" ]] && with_test_tools=true

# Tauri's Linux build and runtime needs, the e2e test tools (Xvfb, WebKitWebDriver, D-Bus), and
# what the scripts and Python tests use (x11-utils: xwininfo, for the package install tests; rpm,
# rpm2cpio and cpio: reading and unpacking the .rpm, which Debian cannot install).
DEBIAN_PACKAGES=(
  libwebkit2gtk-4.1-dev build-essential curl wget file libxdo-dev libssl-dev
  libayatana-appindicator3-dev librsvg2-dev pkg-config xvfb xauth imagemagick webkit2gtk-driver
  gnome-keyring dbus libsecret-tools fonts-dejavu-core
  unzip jq bc python3-venv procps x11-utils rpm rpm2cpio cpio
)
NODE_MIN_MAJOR=20
NODE_MIN_MINOR=19

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

install_system_packages() {
  if [[ "$(uname -s)" == "Linux" ]] && command -v dpkg-query >/dev/null && command -v apt-get >/dev/null; then
    local missing=()
    for pkg in "${DEBIAN_PACKAGES[@]}"; do
      dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    if ((${#missing[@]})); then
      say "Installing Debian packages: ${missing[*]}"
      local sudo=()
      [[ "$(id -u)" -eq 0 ]] || sudo=(sudo)
      "${sudo[@]}" apt-get update
      DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
    fi
    return
  fi

  case "$(uname -s)" in
    Darwin)
      xcode-select -p >/dev/null 2>&1 ||
        die "Install the Xcode Command Line Tools first: xcode-select --install"
      ;;
    Linux)
      cat >&2 <<MSG
This is not a Debian/Ubuntu system, so system packages are not installed automatically.
Install the equivalents of these Debian packages with your package manager, then run this again:
  ${DEBIAN_PACKAGES[*]}
(Fedora, for example: webkit2gtk4.1-devel openssl-devel libxdo-devel libappindicator-gtk3-devel
librsvg2-devel xorg-x11-server-Xvfb webkit2gtk4.1 ... and the "C Development Tools" group.)
See README.md, "Prerequisites on other systems".
MSG
      ;;
    *)
      echo "Unrecognised system $(uname -s): see README.md, \"Prerequisites on other systems\"." >&2
      ;;
  esac
}

check_toolchains() {
  command -v cargo >/dev/null ||
    die "Rust is missing. Install it with rustup (https://rustup.rs), then run this again."
  command -v node >/dev/null && command -v npm >/dev/null ||
    die "Node.js ${NODE_MIN_MAJOR}.${NODE_MIN_MINOR}+ with npm is missing. Install it, then run this again."
  local version major minor
  version="$(node -p 'process.versions.node')"
  IFS=. read -r major minor _ <<<"$version"
  if ((major < NODE_MIN_MAJOR || (major == NODE_MIN_MAJOR && minor < NODE_MIN_MINOR))); then
    die "Node.js $version is too old: Vite 8 needs ${NODE_MIN_MAJOR}.${NODE_MIN_MINOR} or newer."
  fi
  command -v python3 >/dev/null || die "Python 3 is missing. Install it, then run this again."
}

install_npm_packages() {
  # npm ci writes node_modules/.package-lock.json: older than package-lock.json means stale.
  if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
    say "Installing npm packages (npm ci)"
    npm ci --no-audit --no-fund
  fi
}

install_python_venv() {
  # The Python clients the tests run, and the workflow checker (check-jsonschema).
  local requirements=(tests/python/requirements.txt tests/workflows/requirements.txt)
  local stamp=.venv/.requirements-installed
  if [[ ! -x .venv/bin/python ]]; then
    say "Creating the Python virtual environment .venv"
    python3 -m venv .venv
  fi
  local file stale=false
  [[ -f "$stamp" ]] || stale=true
  for file in "${requirements[@]}"; do
    if [[ "$file" -nt "$stamp" ]]; then stale=true; fi
  done
  if $stale; then
    say "Installing Python packages from ${requirements[*]}"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check "${requirements[@]/#/--requirement=}"
    touch "$stamp"
  fi
}

install_tauri_driver() {
  # Kept inside the project (.tools/, git-ignored) so it never clashes with a user's own copy.
  if [[ ! -x .tools/bin/tauri-driver ]]; then
    say "Installing tauri-driver into .tools/"
    cargo install tauri-driver --locked --version '^2' --root .tools
  fi
  if [[ "$(uname -s)" == "Linux" ]] && ! command -v WebKitWebDriver >/dev/null; then
    die "WebKitWebDriver is missing: install your system's WebKitGTK WebDriver (Debian: webkit2gtk-driver)."
  fi
}

install_system_packages
check_toolchains
install_npm_packages
install_python_venv
if $with_test_tools; then
  install_tauri_driver
fi
