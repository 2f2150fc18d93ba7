#!/usr/bin/env bash
# The sandbox under load on loopback: CLIENTS exporters (request, poll, download, again) for
# SECONDS, then it stops by itself. Prints requests per second, latency percentiles, errors and
# the sandbox's peak and final RSS. Figures go into docs/reliability.md ("Load").
# Usage: bench/load.sh [CLIENTS=50] [SECONDS=60]     PROFILE=release for release builds.
set -euo pipefail
cd "$(dirname "$0")/.."
clients=${1:-50}
seconds=${2:-60}
profile=${PROFILE:-debug}
flags=()
[ "$profile" = release ] && flags=(--release)
cargo build -q "${flags[@]}" -p annolab-sandbox --bin annolab-sandbox --example load
bin=target/$profile/annolab-sandbox
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" --port "$port" --key bench --job-seconds 1 --data-dir "$work/data" > "$work/out" &
pid=$!
until grep -q listening "$work/out" 2>/dev/null; do sleep 0.1; done
printf 'sandbox %s build, %s cores; RSS before load %s MiB\n' "$profile" "$(nproc)" "$(awk '/VmRSS/ {printf "%.1f", $2/1024}' /proc/$pid/status)"
"target/$profile/examples/load" "http://127.0.0.1:$port" bench "$clients" "$seconds"
awk '/VmHWM/ {printf "sandbox peak RSS %.1f MiB\n", $2/1024} /VmRSS/ {printf "sandbox RSS after load %.1f MiB\n", $2/1024}' /proc/$pid/status
kill -INT "$pid"; wait "$pid" || true
