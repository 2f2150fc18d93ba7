# The two commands: `make run` and `make test`. Both install whatever is missing first.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := run

# One feature set for every cargo command of a test run, so tauri compiles once, and the app
# binary it builds (target/debug/annolab-exporter) serves its UI from ui/dist for the e2e tests.
CARGO_TEST_FLAGS := --workspace --locked --features annolab-exporter/custom-protocol
# The e2e tests open a real window (a virtual X display, a private D-Bus session); the keychain
# tests use a real Secret Service (a private, unlocked GNOME Keyring on that session).
HEADLESS := NO_AT_BRIDGE=1 dbus-run-session -- scripts/with-keyring.sh xvfb-run -a -s "-screen 0 1280x800x24"

.PHONY: run test setup setup-test ui test-rust test-ui test-python

## Install what is missing, then build and launch the app (with UI hot reload).
run: setup
	npm run tauri dev

## Install what is missing, then run every test: Rust (with e2e), UI, Python clients.
test: setup-test ui test-rust test-ui test-python

## System packages, npm packages and the Python venv.
setup:
	scripts/setup.sh

## The same, plus tauri-driver for the end-to-end tests.
setup-test:
	scripts/setup.sh --test

## Build the UI into ui/dist (embedded into the app by the custom-protocol build).
ui:
	npm run build:ui

test-rust: ui
	$(HEADLESS) cargo test $(CARGO_TEST_FLAGS)

test-ui:
	npm test

test-python:
	.venv/bin/python -m pytest tests/python -q
