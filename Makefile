# The two commands: `make run` and `make test`. Both install whatever is missing first.
# `make package` builds the Linux installers (see docs/packaging.md).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := run

# One feature set for every cargo command of a test run, so tauri compiles once, and the app
# binary it builds (target/debug/annolab-exporter) serves its UI from ui/dist for the e2e tests.
CARGO_TEST_FLAGS := --workspace --locked --features annolab-exporter/custom-protocol
# The e2e tests open a real window (a virtual X display, a private D-Bus session); the keychain
# tests use a real Secret Service (a private, unlocked GNOME Keyring on that session).
HEADLESS := NO_AT_BRIDGE=1 dbus-run-session -- scripts/with-keyring.sh xvfb-run -a -s "-screen 0 1280x800x24"

.PHONY: run test package bench setup setup-test ui lint test-rust test-ui test-python test-package test-workflows

## Install what is missing, then build and launch the app (with UI hot reload).
run: setup
	npm run tauri dev

## Install what is missing, then run every test: the lint gates, the GitHub workflows' check, Rust (with e2e), UI,
## Python clients, and the .deb and .rpm install tests.
test: setup-test lint test-workflows ui test-rust test-ui test-python test-package

## Install what is missing, then build the release installers (.deb and .rpm; the Tauri bundler
## writes the .rpm itself, no rpmbuild needed). Windows and macOS: see docs/packaging.md.
package: setup
	npm run tauri -- build --bundles deb rpm
	@version="$$(jq -r .version tauri.conf.json)"; \
	  echo "Installers (version $$version):"; \
	  ls -1 target/release/bundle/deb/*"$$version"*.deb target/release/bundle/rpm/*"$$version"*.rpm

## Build the release binaries, then run the benchmark suite against the sandbox on loopback and
## write its table into docs/benchmarks.md (never part of `make test`). Sizes are flags of
## bench/suite.py: `make bench BENCH_FLAGS="--p6-instruments 100000 --runs 1"`.
BENCH_FLAGS ?=
bench: setup-test ui
	cargo build --release --locked --workspace --features annolab-exporter/custom-protocol --bins --examples
	python3 bench/suite.py --write $(BENCH_FLAGS)

## System packages, npm packages and the Python venv.
setup:
	scripts/setup.sh

## The same, plus tauri-driver for the end-to-end tests.
setup-test:
	scripts/setup.sh --test

## Build the UI into ui/dist (embedded into the app by the custom-protocol build).
ui:
	npm run build:ui

## The gates every commit passes: rustfmt (rustfmt.toml) and clippy with every warning an error,
## on every target of every crate. (The UI's gate, svelte-check with warnings failing, runs in
## test-ui.) The app embeds ui/dist, so the UI is built first.
lint: setup-test ui
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked --features annolab-exporter/custom-protocol -- -D warnings

test-rust: ui
	$(HEADLESS) cargo test $(CARGO_TEST_FLAGS)

test-ui:
	npm test

test-python:
	.venv/bin/python -m pytest tests/python -q

## Bundle the .deb and .rpm with the debug profile (the binary test-rust built, same features: no
## release build). The .deb: install it, start the installed app under Xvfb, remove it again (root
## or sudo). The .rpm: read it, unpack it into a scratch root, start the unpacked app under Xvfb.
test-package:
	npm run tauri -- build --debug --bundles deb rpm
	tests/package/deb.sh
	tests/package/rpm.sh

## The GitHub workflows: the GitHub workflow schema (check-jsonschema, offline), then the keys that
## matter (tests/workflows/check.py: the three OSes, their bundles, pinned actions, release tags).
test-workflows:
	.venv/bin/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	.venv/bin/python tests/workflows/check.py
