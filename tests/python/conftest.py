"""Starts annolab-sandbox, the real binary, for tests of clients we did not write."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SANDBOX_KEY = "python-client-test-key"


def sandbox_binary() -> Path:
    binary = Path(os.environ.get("ANNOLAB_SANDBOX_BIN", ROOT / "target" / "debug" / "annolab-sandbox"))
    if not binary.exists():
        subprocess.run(["cargo", "build", "-q", "-p", "annolab-sandbox"], cwd=ROOT, check=True)
    return binary


def cli_binary() -> Path:
    binary = Path(os.environ.get("ANNOLAB_EXPORT_BIN", ROOT / "target" / "debug" / "annolab-export"))
    if not binary.exists():
        subprocess.run(["cargo", "build", "-q", "-p", "annolab-cli"], cwd=ROOT, check=True)
    return binary


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def sandbox():
    """A sandbox serving the demo project with instant jobs; yields its API base URL."""
    port = free_port()
    process = subprocess.Popen(
        [str(sandbox_binary()), "--port", str(port), "--key", SANDBOX_KEY, "--job-seconds", "0"],
        stdout=subprocess.PIPE,
        stderr=sys.stderr,
        text=True,
    )
    try:
        first_line = process.stdout.readline().strip()
        assert first_line == f"listening on http://127.0.0.1:{port}", first_line
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
