"""The documentation's Python sample, run unchanged but for the URL and the key, against the sandbox.

The seed page lost the sample's indentation; `documentation_sample.py` restores it and nothing else,
which the first test checks line by line against the seed when ../shared is present.
"""

import io
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import ROOT, SANDBOX_KEY, cli_binary

SAMPLE = Path(__file__).with_name("documentation_sample.py")
SEED = ROOT.parent / "shared" / "seeds" / "000_51574bf0a0efad89.txt"
DOCUMENTED_URL = "https://api.annolab.ai"
DOCUMENTED_KEY = "XXXXXXX-XXXXXXX-XXXXXXX-XXXXXXX"
PDF_NAME = re.compile(r"^pdfs/(?P<type>.+)_(?P<start>\d+)-(?P<end>\d+)_(?P<id>\d+)\.pdf$")


def seed_code_lines() -> list[str]:
    lines = SEED.read_text().splitlines()
    start = lines.index("import requests")
    end = next(i for i, line in enumerate(lines) if line.startswith('print("Export download finished'))
    return lines[start : end + 1]


@pytest.mark.skipif(not SEED.exists(), reason="the seed page lives in ../shared, beside the checkout")
def test_the_committed_sample_is_the_documented_one_with_indentation_restored():
    ours = [line.strip() for line in SAMPLE.read_text().splitlines() if line.strip()]
    assert ours == [line.strip() for line in seed_code_lines()]


def run_sample(sandbox: str, folder: Path) -> subprocess.CompletedProcess:
    script = SAMPLE.read_text()
    assert script.count(DOCUMENTED_URL) == 1 and script.count(DOCUMENTED_KEY) == 1
    script = script.replace(DOCUMENTED_URL, sandbox).replace(DOCUMENTED_KEY, SANDBOX_KEY)
    return subprocess.run([sys.executable, "-c", script], cwd=folder, capture_output=True, text=True, timeout=120)


def test_the_documentation_sample_exports_from_the_sandbox(sandbox, tmp_path):
    run = run_sample(sandbox, tmp_path)

    assert run.returncode == 0, run.stderr
    assert "Export download finished see:  example_export.zip" in run.stdout
    with zipfile.ZipFile(tmp_path / "example_export.zip") as export:
        assert export.testzip() is None
        instruments = [json.loads(line) for line in export.read("instruments.json").decode().splitlines()]
        pdfs = [name for name in export.namelist() if name.startswith("pdfs/")]

        # The sample asks for Test_PDF.pdf's instruments tagged Airframe Inventory.
        assert len(instruments) == 3
        for instrument in instruments:
            assert instrument["sourceName"] == "Test_PDF.pdf"
            assert "Airframe Inventory" in [tag["typeName"] for tag in instrument["canonicalTags"]]
            assert {"id", "sourceReferenceId", "startPageNumber", "endPageNumber", "typeName", "annotations",
                    "reviewedBy", "reviewedAt"} <= instrument.keys()

        # One PDF per instrument, named <Type>_<start>-<end>_<id>.pdf, with exactly its pages.
        by_id = {instrument["id"]: instrument for instrument in instruments}
        assert len(pdfs) == len(instruments)
        for name in pdfs:
            match = PDF_NAME.match(name)
            assert match, name
            instrument = by_id[int(match["id"])]
            assert match["type"] == instrument["typeName"]
            assert (int(match["start"]), int(match["end"])) == (instrument["startPageNumber"], instrument["endPageNumber"])
            pages = len(PdfReader(io.BytesIO(export.read(name))).pages)
            assert pages == instrument["endPageNumber"] - instrument["startPageNumber"] + 1, name


def test_a_zip_the_sample_downloaded_imports_file_for_file(sandbox, tmp_path):
    """What a customer with a folder of old zips does: `annolab-export import ZIP --out DIR`."""
    assert run_sample(sandbox, tmp_path).returncode == 0
    out = tmp_path / "imported"
    env = {**os.environ, "ANNOLAB_EXPORT_LIBRARY": str(tmp_path / "library"), "ANNOLAB_EXPORT_CONFIG": str(tmp_path / "config")}
    run = subprocess.run([str(cli_binary()), "--json", "import", str(tmp_path / "example_export.zip"), "--out", str(out)],
                         capture_output=True, text=True, timeout=120, env=env)

    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.splitlines()[-1])
    assert result["result"] == "ready" and Path(result["dir"]) == out
    assert result["importedFrom"] == "example_export.zip" and result["instruments"] == 3 and result["pdfs"] == 3
    with zipfile.ZipFile(tmp_path / "example_export.zip") as export:
        for name in export.namelist():
            if not name.endswith("/"):
                assert (out / name).read_bytes() == export.read(name), name
    # Beside the zip's own files, only the export's manifest and indexes; nothing next to --out.
    extra = {p.name for p in out.iterdir()} - {n.split("/")[0] for n in zipfile.ZipFile(tmp_path / "example_export.zip").namelist()}
    assert extra == {"manifest.json", "index.sqlite", "search.sqlite"}
    assert sorted(p.name for p in tmp_path.iterdir() if p.name not in {"library", "config"}) == ["example_export.zip", "imported"]
