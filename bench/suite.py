#!/usr/bin/env python3
"""The benchmark suite: annolab-export against its peers, on loopback against annolab-sandbox.

Every figure is measured in this run, and every comparison is a ratio of two figures measured
in this run on the same bytes. Prints one table and, with --write, puts it into
docs/benchmarks.md with a description of the machine. Asserts nothing: a target missed is a row
marked "no", not a failure.

    make bench                                  # release builds, then this with the defaults
    python3 bench/suite.py --help               # the sizes are flags

The rows (see issue 6):
  P1  download throughput of the engine on one signed URL vs `curl -o`
  P2  whole export to ready vs the documentation's Python sample followed by `unzip`
  P3  server-finished to client-noticed, and requests per second, vs 15 s and 5 s polling
  P4  last downloaded byte to ready vs `unzip -q` of the same zip
  P5  peak RSS of annolab-export on a small and a large export
  P6  indexing an N-instrument instruments.json vs `jq -c . > /dev/null`
  P7  browser latency at the engine layer: every search keystroke, filter, sort, grouping and jump
  P8  the app's idle memory (PSS and RSS of its process tree) and cold start to interactive, vs an
      empty Tauri 2 window measured the same way
  P9  `annolab-export diff` of an N-instrument export against a week later vs jq + sort + diff
  P10 `annolab-export package`: a title package of about 2,000 pages (time and peak RSS)
  P11 the big case: a 1M-instrument export without files, finished to the browser's first page,
      vs curl + unzip + jq
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RELEASE = ROOT / "target" / "release"
OWNER = "Group Name owning project"
PROJECT = "Example Project Name"
KEY = "bench-key"
MIB = 1 << 20
# The documentation's sample needs `requests`, which the project's venv has (make setup).
SAMPLE_PYTHON = ROOT / ".venv" / "bin" / "python"


@dataclass
class Row:
    id: str
    what: str
    ours: str
    peer: str
    ratio: str
    target: str
    met: bool | None
    notes: list[str] = field(default_factory=list)


# --- the tools under test -------------------------------------------------------------------


class Sandbox:
    """annolab-sandbox on free loopback ports, with its archives in `work`."""

    def __init__(self, work: Path, *, instruments: int, page_kib: int = 0, job_seconds: float = 0.0, bandwidth: int = 0,
                 shape: tuple[str, ...] = ()):
        """`bandwidth`: bytes per second every download is paced to (0: as fast as loopback);
        `shape`: the sandbox's archive faults, such as instruments-last."""
        self.work = work
        self.out = work / f"sandbox-{instruments}-{page_kib}-{job_seconds}-{bandwidth}-{'-'.join(shape)}.out"
        faults = [arg for fault in ([f"bandwidth={bandwidth}"] if bandwidth else []) + list(shape) for arg in ("--fault", fault)]
        self.process = subprocess.Popen(
            [str(RELEASE / "annolab-sandbox"), "--port", "0", "--key", KEY, "--job-seconds", str(job_seconds),
             "--instruments", str(instruments), "--page-kib", str(page_kib), "--data-dir", str(work / "sandbox-data"), *faults],
            stdout=self.out.open("w"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            found = re.search(r"listening on (http://\S+)", self.out.read_text())
            if found:
                self.api = found.group(1)
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise SystemExit(f"annolab-sandbox did not start:\n{self.out.read_text()}")

    def close(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def finished_export(self, *, files: bool) -> tuple[str, int]:
        """Requests an export with curl-like plain HTTP and waits for it: (signed URL, bytes)."""
        import urllib.request
        body = json.dumps({"projectOwner": OWNER, "projectName": PROJECT, "includeFiles": files}).encode()
        headers = {"Authorization": f"Api-Key {KEY}", "Content-Type": "application/json"}
        started = json.load(urllib.request.urlopen(urllib.request.Request(f"{self.api}/v1/export/instruments", body, headers)))
        while True:
            status = json.load(urllib.request.urlopen(urllib.request.Request(started["exportStatusUrl"], headers=headers)))
            if status["status"] == "finished":
                url = status["downloadUrl"]
                size = int(urllib.request.urlopen(urllib.request.Request(url, method="HEAD")).headers["Content-Length"])
                return url, size
            time.sleep(0.2)


@dataclass
class CliRun:
    events: list[tuple[float, dict]]
    started: float
    ended: float
    max_rss_kib: int

    def first(self, event: str, **match: object) -> float:
        for at, e in self.events:
            if e.get("event") == event and all(e.get(k) == v for k, v in match.items()):
                return at
        raise SystemExit(f"annolab-export never printed {event} {match}")

    def last(self, event: str) -> float:
        return [at for at, e in self.events if e.get("event") == event][-1]

    def phase(self, name: str) -> float:
        return self.first("phase", phase=name)


def cli_export(api: str, work: Path, name: str, *, files: bool = True) -> CliRun:
    """One `annolab-export export` to ready, its JSON events timestamped as they arrive, and its
    peak RSS from the kernel (wait4)."""
    library = Path(tempfile.mkdtemp(prefix=f"library-{name}-", dir=work))
    command = [str(RELEASE / "annolab-export"), "--server", api, "--library", str(library), "--config-dir", str(work / "config"),
               "--json", "export", "--owner", OWNER, "--project", PROJECT, "--files" if files else "--no-files"]
    env = dict(os.environ, ANNOLAB_API_KEY=KEY)
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, env=env, text=True)
    events = []
    assert process.stdout is not None
    for line in process.stdout:
        at = time.monotonic()
        try:
            events.append((at, json.loads(line)))
        except json.JSONDecodeError:
            pass
    _, status, usage = os.wait4(process.pid, 0)
    ended = time.monotonic()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"annolab-export failed ({os.waitstatus_to_exitcode(status)}): {events[-3:]}")
    # The library is left until the suite ends: deleting thousands of files just before the
    # next run makes ext4 slow to allocate that run's inodes (perf: `recently_deleted`,
    # `find_inode_bit`), which would charge one run for another's clean-up.
    return CliRun(events, started, ended, usage.ru_maxrss)


def timed(command: list[str], **kwargs: object) -> float:
    started = time.monotonic()
    subprocess.run(command, check=True, **kwargs)  # type: ignore[arg-type]
    return time.monotonic() - started


def drop_file(path: Path) -> None:
    path.unlink(missing_ok=True)


def median(values: list[float]) -> float:
    return statistics.median(values)


# --- the rows -------------------------------------------------------------------------------


def p1_p5_small(work: Path, args: argparse.Namespace) -> tuple[Row, int, int]:
    """P1 (and the small half of P5): one large archive, curl and the CLI in turns."""
    with Sandbox(work, instruments=args.p1_instruments, page_kib=args.page_kib) as sandbox:
        url, size = sandbox.finished_export(files=True)
        curl, ours, rss = [], [], []
        for _ in range(args.runs):
            target = work / "curl.zip"
            curl.append(timed(["curl", "-sf", "-o", str(target), url]))
            drop_file(target)
            run = cli_export(sandbox.api, work, "p1")
            # The engine's download: from the "downloading" phase to its last progress event,
            # sent once every byte is on disk (fsynced: curl's file is only in the page cache
            # when curl exits). Extraction runs beside it and may finish later.
            ours.append(run.last("downloaded") - run.phase("downloading"))
            rss.append(run.max_rss_kib)
    curl_rate, our_rate = size / MIB / median(curl), size / MIB / median(ours)
    ratio = our_rate / curl_rate
    row = Row("P1", f"download throughput, one signed URL, {size / MIB:.0f} MiB", f"{our_rate:.0f} MiB/s", f"curl -o {curl_rate:.0f} MiB/s",
              f"{ratio:.2f}x curl", ">= 0.95x curl", ratio >= 0.95,
              [f"medians of {args.runs} runs; ours includes the fsync before the rename, curl's file is left in the page cache"])
    return row, max(rss), size


# What a link of 100 Mbit/s and 1 Gbit/s carries, in bytes per second.
LINKS = {"100 Mbit/s": 12_500_000, "1 Gbit/s": 125_000_000}


def p1_links(work: Path, args: argparse.Namespace) -> list[Row]:
    """P1 at the speed of real links: the sandbox paces every download (the same cap for curl
    and for us; curl's --limit-rate would pace only curl)."""
    rows = []
    for link, rate in LINKS.items():
        with Sandbox(work, instruments=args.p1_instruments, page_kib=args.page_kib, bandwidth=rate) as sandbox:
            url, size = sandbox.finished_export(files=True)
            target = work / "curl.zip"
            curl = timed(["curl", "-sf", "-o", str(target), url])
            drop_file(target)
            run = cli_export(sandbox.api, work, "p1-link")
            ours = run.last("downloaded") - run.phase("downloading")
        ratio = curl / ours
        rows.append(Row("P1", f"download throughput at a {link} link, {size / MIB:.0f} MiB", f"{size / MIB / ours:.1f} MiB/s",
                        f"curl -o {size / MIB / curl:.1f} MiB/s", f"{ratio:.2f}x curl", ">= 0.98x curl", ratio >= 0.98,
                        [f"{link}: the sandbox paces each download to {rate / 1e6:g} MB/s; one run each"]))
    return rows


def p4_link(work: Path, args: argparse.Namespace) -> list[Row]:
    """P4 at a 100 Mbit/s link, for both orders of the zip's entries: the archive arrives slower
    than it can be extracted, so what is left after the last byte is what cannot start before
    it. With instruments.json first (as AnnoLab writes it) it is indexed while the PDFs arrive."""
    link, rate = "100 Mbit/s", LINKS["100 Mbit/s"]
    rows = []
    for order, shape in [("instruments.json first", ()), ("instruments.json last", ("instruments-last",))]:
        with Sandbox(work, instruments=args.p2_instruments, bandwidth=rate, shape=shape) as sandbox:
            _, size = sandbox.finished_export(files=True)
            afters = []
            for _ in range(args.runs):
                run = cli_export(sandbox.api, work, "p4-link")
                afters.append(run.phase("ready") - last_download_event(run))
        after = median(afters)
        rows.append(Row("P4", f"last downloaded byte to ready at a {link} link, {order}, {args.p2_instruments:,} instruments with PDFs ({size / MIB:.0f} MiB)",
                        f"{after:.2f} s", "-", "-", "<= 0.5 s", after <= 0.5,
                        [f"{order}: median of {args.runs}; the PDFs are verified and extracted as they arrive"
                         + ("; instruments.json is indexed meanwhile, the PDFs linked after" if not shape else "; the index can only start after the last byte")]))
    return rows


def p2_p3_p4(work: Path, args: argparse.Namespace) -> list[Row]:
    """P2, P3 and P4 on one project of N instruments with PDFs."""
    rows = []
    with Sandbox(work, instruments=args.p2_instruments, job_seconds=args.job_seconds) as sandbox:
        # P2: the documentation's sample as written (15 s polling, 1 KiB chunks), then unzip,
        # against the CLI to ready. Both ask for every instrument with its PDF.
        sample = documentation_sample(sandbox.api, work)
        sample_dir = work / "sample"
        sample_dir.mkdir()
        sample_seconds = timed([str(SAMPLE_PYTHON), str(sample)], cwd=sample_dir, stdout=subprocess.DEVNULL)
        zip_path = sample_dir / "example_export.zip"
        unzip_seconds = timed(["unzip", "-q", "-o", str(zip_path), "-d", str(sample_dir / "unzipped")])
        zip_bytes = zip_path.stat().st_size
        run = cli_export(sandbox.api, work, "p2")
        ours = run.ended - run.started
        peer = sample_seconds + unzip_seconds
        rows.append(Row("P2", f"export to ready, {args.p2_instruments:,} instruments with PDFs ({zip_bytes / MIB:.0f} MiB)",
                        f"{ours:.1f} s", f"sample + unzip {peer:.1f} s ({sample_seconds:.1f} + {unzip_seconds:.1f})",
                        f"{peer / ours:.1f}x faster", ">= 5x faster", peer / ours >= 5,
                        [f"the server takes {args.job_seconds:g} s per job; the sample's filters were left out so both fetch every instrument"]))

        # P4: from the last downloaded byte to ready, against unzip -q of the same archive.
        last_byte = last_download_event(run)
        after = run.phase("ready") - last_byte
        for _ in range(args.runs - 1):
            again = cli_export(sandbox.api, work, "p4")
            after = min(after, again.phase("ready") - last_download_event(again))
        unzips = [unzip_seconds] + [timed(["unzip", "-q", "-o", str(zip_path), "-d", str(sample_dir / f"unzipped-{i}")]) for i in range(args.runs - 1)]
        unzip_best = min(unzips)
        rows.append(Row("P4", "last downloaded byte to ready (verify, extract, index, publish)", f"{after:.2f} s", f"unzip -q {unzip_best:.2f} s",
                        f"{after / unzip_best:.2f}x unzip", "<= 0.5x", after / unzip_best <= 0.5,
                        [f"best of {args.runs}; ours also checks every CRC, counts PDF pages and builds the search index"]))

    # P3: the server finishes after a job length the client cannot know; each run draws one.
    delays, rates = [], []
    lengths = [args.job_seconds + 0.37 * i for i in range(1, args.p3_runs + 1)]
    for length in lengths:
        with Sandbox(work, instruments=20, job_seconds=length) as sandbox:
            run = cli_export(sandbox.api, work, "p3", files=False)
        posted = run.phase("processing")  # the POST has been answered: the server's clock starts
        noticed = run.phase("downloading")
        delays.append(noticed - posted - length)
        # The most requests a second the server saw: one over the shortest gap between polls.
        at = [e["elapsedMs"] for _, e in run.events if e.get("event") == "polled"]
        rates.append(1000 / min(b - a for a, b in zip(at, at[1:])))
    every = lambda period: median([(-(-length // period)) * period - length for length in lengths])  # noqa: E731
    rows.append(Row("P3", "server finished -> client noticed", f"median {median(delays):.2f} s, at most {max(rates):.2f} req/s",
                    f"15 s polling {every(15):.1f} s; 5 s polling {every(5):.1f} s", f"{every(15) / median(delays):.0f}x / {every(5) / median(delays):.0f}x sooner",
                    "<= 1 s median, <= 1 req/s", median(delays) <= 1 and max(rates) <= 1,
                    [f"{len(lengths)} jobs of {lengths[0]:.2f}-{lengths[-1]:.2f} s; the peers' delays are what their fixed intervals give for the same job lengths"]))
    return rows


def last_download_event(run: CliRun) -> float:
    """When the last byte was counted: the first `downloaded` event reporting the whole size."""
    for at, e in run.events:
        if e.get("event") == "downloaded" and e.get("total") and e["bytes"] == e["total"]:
            return at
    return run.last("downloaded")


def documentation_sample(api: str, work: Path) -> Path:
    """The documentation's sample, pointed at the sandbox, asking for every instrument."""
    text = (ROOT / "tests" / "python" / "documentation_sample.py").read_text()
    text = text.replace("https://api.annolab.ai", api).replace("XXXXXXX-XXXXXXX-XXXXXXX-XXXXXXX", KEY)
    text = re.sub(r"\n\s*'tagFilter':.*", "", text)
    text = re.sub(r"\n\s*'sourceFilter':.*", "", text)
    path = work / "documentation_sample.py"
    path.write_text(text)
    return path


def p5_large(work: Path, args: argparse.Namespace, small_rss_kib: int, small_bytes: int) -> Row:
    with Sandbox(work, instruments=args.p5_instruments, page_kib=args.page_kib) as sandbox:
        _, size = sandbox.finished_export(files=True)
        run = cli_export(sandbox.api, work, "p5")
    large = run.max_rss_kib
    small_mib, large_mib = small_rss_kib / 1024, large / 1024
    return Row("P5", f"peak RSS of annolab-export, {small_bytes / MIB:.0f} MiB and {size / MIB:.0f} MiB exports", f"{small_mib:.0f} MiB / {large_mib:.0f} MiB",
               "each other", f"{large_mib / small_mib:.2f}x for {size / small_bytes:.1f}x the bytes", "<= 64 MiB and flat",
               large_mib <= 64 and small_mib <= 64 and large_mib / small_mib <= 1.25, ["whole runs to ready, indexing included (kernel's ru_maxrss)"])


def p6_p7(work: Path, args: argparse.Namespace) -> list[Row]:
    """P6 on a large instruments.json; P7 on indexes of the sizes asked for, built from it."""
    with Sandbox(work, instruments=args.p6_instruments) as sandbox:
        url, _ = sandbox.finished_export(files=False)
        zip_path = work / "instruments.zip"
        subprocess.run(["curl", "-sf", "-o", str(zip_path), url], check=True)
    subprocess.run(["unzip", "-q", "-o", str(zip_path), "instruments.json", "-d", str(work / "json")], check=True)
    drop_file(zip_path)
    source = work / "json" / "instruments.json"
    mib = source.stat().st_size / MIB
    # One run each: at this size a run takes minutes and varies little.
    jq = timed(["sh", "-c", f"jq -c . < '{source}' > /dev/null"])
    index_dir = work / "index"
    out = subprocess.run([str(RELEASE / "examples" / "index_bench"), str(source), str(index_dir)], check=True, capture_output=True, text=True).stdout
    ours = float(re.search(r"index seconds: ([0-9.]+)", out).group(1))  # type: ignore[union-attr]
    tables, search = ((index_dir / name).stat().st_size / MIB for name in ("index.sqlite", "search.sqlite"))
    rows = [Row("P6", f"index {args.p6_instruments:,} instruments ({mib:.0f} MiB of JSON Lines)",
                f"{ours:.1f} s; on disk {tables + search:.0f} MiB ({(tables + search) / mib:.2f}x the JSON: tables {tables:.0f}, search {search:.0f})",
                f"jq -c {jq:.1f} s", f"{jq / ours:.2f}x faster", ">= 3x faster", jq / ours >= 3,
                ["one run each; ours parses every line and writes the SQLite index with full-text search (the browser's), jq only parses and prints",
                 "on disk: index.sqlite (rows, attributes, tags and their indexes) and search.sqlite (full-text, prefixes of 1-4 characters, its list of words and counts of the first keystrokes), beside the JSON the export keeps"])]
    for size in args.p7_sizes:
        # The whole file's index is P6's; smaller ones are built from the file's first lines.
        target_args = ["--open", str(index_dir)] if size >= args.p6_instruments else ["--from", str(source), str(size)]
        out = subprocess.run([str(RELEASE / "examples" / "browse_bench"), *target_args], check=True, capture_output=True, text=True).stdout
        # Every query's figures (and the groups, the CSV), beside the table's summary of them.
        kept = ROOT / "target" / "bench" / f"browse-{min(size, args.p6_instruments)}.txt"
        kept.parent.mkdir(parents=True, exist_ok=True)
        kept.write_text(out)
        found = re.search(r"all (\d+) keystroke/filter queries: median ([0-9.]+) ms, p95 ([0-9.]+) ms", out)
        if not found:
            raise SystemExit(f"browse_bench printed no summary:\n{out}")
        p95 = float(found.group(3))
        slowest = re.search(r"slowest question: (.*) \(p95 ([0-9.]+) ms\)", out)
        loaded = re.search(r"rows in memory after: ([0-9.]+) ms", out)
        worst = float(slowest.group(2)) if slowest else p95
        size = min(size, args.p6_instruments)
        rows.append(Row("P7", f"browser latency, {size:,} instruments: every question's p95", f"all: median {float(found.group(2)):.1f} ms, p95 {p95:.1f} ms; "
                        f"slowest question p95 {worst:.1f} ms ({slowest.group(1) if slowest else '?'})", "-", "-",
                        "every question p95 <= 100 ms", worst <= 100,
                        [f"{found.group(1)} answers, engine layer: 18 search keystrokes (a long word typed letter by letter among them), filters alone and combined, sorts by every column (attribute "
                         "columns included) both ways, groupings with and without a filter or a search, jumps deep into the rows; 5 rounds, each "
                         "question answered afresh",
                         f"the table is in memory {float(loaded.group(1)) / 1000 if loaded else float('nan'):.1f} s after opening at {size:,}; until then "
                         "SQL answers (the first page at once)"]))
    return rows


def p11(work: Path, args: argparse.Namespace) -> Row:
    """The big case: a million-instrument export without files, from the server's "finished" to
    the browser's first page, against curl + unzip + jq doing the download and the parse."""
    with Sandbox(work, instruments=args.p6_instruments) as sandbox:
        url, size = sandbox.finished_export(files=False)
        zip_path = work / "p11.zip"
        peer = timed(["sh", "-c", f"curl -sf -o '{zip_path}' '{url}' && unzip -p '{zip_path}' instruments.json | jq -c . > /dev/null"])
        drop_file(zip_path)
        run = cli_export(sandbox.api, work, "p11", files=False)
    # From the moment the CLI knows the export is finished (its downloading phase: P3 is the
    # delay before that) to ready, then the browser's first page opened from the index.
    to_ready = run.phase("ready") - run.phase("downloading")
    ready = next(e for _, e in run.events if e.get("result") == "ready")
    out = subprocess.run([str(RELEASE / "examples" / "browse_bench"), "--first-page", ready["dir"]], check=True, capture_output=True, text=True).stdout
    first_page = float(re.search(r": ([0-9.]+) ms", out).group(1)) / 1000  # type: ignore[union-attr]
    ours = to_ready + first_page
    return Row("P11", f"the big case: {args.p6_instruments:,} instruments without files ({size / MIB:.0f} MiB zip), finished to the first page",
               f"{ours:.1f} s ({to_ready:.1f} to ready + {first_page * 1000:.0f} ms first page)", f"curl + unzip + jq {peer:.1f} s",
               f"{peer / ours:.2f}x", "faster than download + parse", ours < peer,
               ["one run each; ours downloads, verifies, extracts and indexes (tables and full-text search), then opens the index; "
                "the peer downloads, extracts and parses only. In the window the page takes longer to draw (docs/benchmarks.md, in the window)"])


def p9(work: Path, args: argparse.Namespace) -> Row:
    """bench/diff.sh: two exports of the sandbox's project, week 0 and week 1, compared."""
    env = {**os.environ, "BIN": str(RELEASE), "TMPDIR": str(work)}
    out = subprocess.run([str(ROOT / "bench" / "diff.sh"), str(args.p9_instruments)], check=True, capture_output=True, text=True, env=env).stdout
    figure = lambda name: float(re.search(rf"^{name}: ([0-9.]+)", out, re.M).group(1))  # type: ignore[union-attr]  # noqa: E731
    ours, theirs = figure("diff seconds"), figure("baseline seconds")
    found = re.search(r"^diff result: (.*)$", out, re.M)
    return Row("P9", f"diff {args.p9_instruments:,} against {args.p9_instruments:,} instruments (a week of changes)",
               f"{ours:.1f} s, {figure('diff peak KiB') / 1024:.0f} MiB peak", f"jq + sort + diff {theirs:.1f} s, {figure('baseline peak KiB') / 1024:.0f} MiB peak",
               f"{theirs / ours:.1f}x faster", "seconds, flat memory", None,
               [f"bench/diff.sh, one run; exports without PDFs; {found.group(1) if found else ''}"])


def p10(work: Path, args: argparse.Namespace) -> Row:
    """A title package of the largest Make group (about a third of the sandbox's instruments:
    2,000 give about 2,000 pages) in recording order, timed with its peak RSS (wait4)."""
    with Sandbox(work, instruments=args.p10_instruments, page_kib=args.page_kib) as sandbox:
        run = cli_export(sandbox.api, work, "p10")
    export = Path(next(e["dir"] for _, e in reversed(run.events) if e.get("result") == "ready"))
    makes: dict[str, int] = {}
    with (export / "instruments.json").open() as lines:
        for line in lines:
            instrument = json.loads(line)
            values = {a["value"] for t in instrument.get("canonicalTags") or [] for a in t.get("attributes") or [] if a.get("name") == "Make"}
            for value in values:
                makes[value] = makes.get(value, 0) + 1
    make = max(makes, key=lambda m: (makes[m], m))
    out = work / "p10-package.pdf"
    command = [str(RELEASE / "annolab-export"), "--library", str(export.parent), "--config-dir", str(work / "config"), "--json", "package", str(export),
               "--attribute", "Make", "--value", make, "--order-by", "Recording Date", "--out", str(out)]
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    stdout = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.monotonic() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"annolab-export package failed ({os.waitstatus_to_exitcode(status)}): {stdout[-300:]}")
    result = json.loads(stdout.strip().splitlines()[-1])
    peak = usage.ru_maxrss / 1024
    mib = out.stat().st_size / MIB
    largest = max((p.stat().st_size for p in (export / "pdfs").iterdir()), default=0) / MIB
    return Row("P10", f"title package: {len(result['ids']):,} instruments, {result['pages']:,} pages ({mib:.0f} MiB), Make = {make}",
               f"{seconds:.1f} s, {peak:.0f} MiB peak", "-", "-", "a few seconds, memory of one instrument's PDF", None,
               [f"one run; the export's {args.p10_instruments:,} instruments with {args.page_kib} KiB pages; the largest instrument PDF is {largest:.1f} MiB"])


def p8(work: Path) -> Row:
    # Our app against its anchor, an empty Tauri 2 window (bench/empty-window: one bare page the
    # size of our window, no plugins, no menu), both from this release build and measured by the
    # same probe. Each launch has a fresh profile: the machine's first (Mesa's shader cache empty,
    # each its own), then three later ones (cached), which is every launch after; their medians
    # count, since a start varies by a tenth of a second or two from one launch to the next.
    #
    # Where there is no GPU our app paints on the CPU (src-tauri/src/painting.rs); an empty window
    # as Tauri ships it composites through Mesa's software renderer, whose buffers and LLVM cost
    # about as much as everything our app adds to an empty window. So the empty window is measured
    # both ways, and the row's anchor is the one that paints as ours does here; the other is in the
    # notes.
    def launch(which: str, shaders: Path) -> tuple[float, float, float]:
        out = subprocess.run(["bash", str(ROOT / "bench" / "app-idle.sh"), which], check=True, capture_output=True, text=True, cwd=ROOT,
                             env={**os.environ, "MESA_SHADER_CACHE_DIR": str(shaders)}).stdout
        interactive = float(re.search(r"interactive after ([0-9.]+) s", out).group(1))  # type: ignore[union-attr]
        pss = float(re.search(r"idle PSS ([0-9.]+) MB", out).group(1))  # type: ignore[union-attr]
        rss = float(re.search(r"idle RSS ([0-9.]+) MB", out).group(1))  # type: ignore[union-attr]
        return interactive, pss, rss

    later_launches = 3

    def first_then_later(which: str) -> tuple[float, tuple[float, float, float]]:
        shaders = work / f"p8-mesa-shader-cache-{which}"
        shutil.rmtree(shaders, ignore_errors=True)
        first, _, _ = launch(which, shaders)
        later = [launch(which, shaders) for _ in range(later_launches)]
        return first, (statistics.median(run[0] for run in later), statistics.median(run[1] for run in later), statistics.median(run[2] for run in later))

    def ours_paints_on_cpu() -> bool:
        # painting::choose: ANNOLAB_GPU=on/off decides, otherwise whether a render node opens.
        override = os.environ.get("ANNOLAB_GPU", "").strip()
        if override in ("on", "off"):
            return override == "off"
        for node in Path("/dev/dri").glob("renderD*"):
            try:
                os.close(os.open(node, os.O_RDWR))
                return False
            except OSError:
                continue
        return True

    def figures(first: float, later: tuple[float, float, float]) -> str:
        interactive, pss, rss = later
        return f"{interactive:.2f} s (first launch on the machine {first:.2f} s); PSS {pss:.0f} MB (RSS {rss:.0f} MB)"

    first, ours = first_then_later("ours")
    shipped = first_then_later("empty")
    on_cpu = first_then_later("empty-cpu")
    cpu = ours_paints_on_cpu()
    (anchor_first, anchor), (other_first, other) = (on_cpu, shipped) if cpu else (shipped, on_cpu)
    interactive, pss, _ = ours
    ratio = pss / anchor[1]
    how = "painted on the CPU, as ours is on this machine" if cpu else "as Tauri ships it, as ours keeps WebKit's default on this machine"
    other_how = "as Tauri ships it (composited with OpenGL)" if cpu else "painted on the CPU"
    return Row("P8", "app: cold start to interactive; idle memory of its process tree",
               figures(first, ours), f"empty Tauri window {figures(anchor_first, anchor)}",
               f"{ratio:.2f}x its PSS, {interactive - anchor[0]:+.2f} s", "<= 1.2x an empty Tauri window, <= 1.0 s",
               ratio <= 1.2 and interactive <= 1.0,
               ["release builds under Xvfb, WebKit's web and network processes included; PSS counts shared pages once",
                "start: process start until WebDriver finds the form ready and the window shown (the empty window: its one element), an upper bound; "
                f"a fresh profile each launch, Mesa's shader cache empty on the first; medians of the {later_launches} launches after it, which met uses",
                f"the anchor is bench/empty-window (one bare page the size of our window, no plugins, no menu, same release build, same probe), {how}; "
                f"{other_how} it measured {figures(other_first, other)}"])


# --- the report -----------------------------------------------------------------------------


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")), platform.processor())
    mem = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))) / (1 << 20)
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, {platform.system()} {platform.release()}, {platform.freedesktop_os_release().get('PRETTY_NAME', '')}"


def table(rows: list[Row]) -> str:
    lines = ["| id | what | ours | compared with | ratio | target | met |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        met = {True: "yes", False: "**no**", None: "-"}[r.met]
        lines.append(f"| {r.id} | {r.what} | {r.ours} | {r.peer} | {r.ratio} | {r.target} | {met} |")
    # Rows of one id (P7 at two sizes) share their notes: each is said once.
    notes = list(dict.fromkeys(f"- {r.id}: {note}" for r in rows for note in r.notes))
    return "\n".join(lines + [""] + notes)


BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def kept_from_last_run(only: set[str]) -> tuple[str, list[str], list[str]]:
    """What the table in docs/benchmarks.md says of the rows this run does not measure (a run
    with --only): its first line, and its row and note lines of the other ids."""
    text = (ROOT / "docs" / "benchmarks.md").read_text()
    if BEGIN not in text or END not in text:
        return "", [], []
    lines = text[text.index(BEGIN) + len(BEGIN): text.index(END)].strip().splitlines()
    row_id = lambda line: line.split("|")[1].strip() if line.startswith("| P") else line[2:].split(":")[0] if line.startswith("- P") else None  # noqa: E731
    rows = [line for line in lines if line.startswith("| P") and row_id(line) not in only]
    notes = [line for line in lines if line.startswith("- P") and row_id(line) not in only]
    return (lines[0] if lines else ""), rows, notes


def merged(report_rows: list[Row], only: set[str], stamp: str) -> str:
    """The table with this run's rows in place of the last run's rows of the same ids."""
    first, old_rows, old_notes = kept_from_last_run(only)
    new = table(report_rows).splitlines()
    header, new_rows, new_notes = new[:2], [line for line in new[2:] if line.startswith("| P")], [line for line in new if line.startswith("- P")]
    number = lambda line: int(line.split("|")[1].strip()[1:]) if line.startswith("| P") else int(line[3:].split(":")[0])  # noqa: E731
    rows = sorted(old_rows + new_rows, key=number)
    notes = sorted(old_notes + new_notes, key=number)
    again = ", ".join(sorted(only, key=lambda i: int(i[1:])))
    return f"{first} Rows {again} measured again on {stamp} (`--only {again}`).\n\n" + "\n".join(header + rows + [""] + notes)


def write_report(report: str) -> None:
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text()
    begin, end = BEGIN, END
    block = f"{begin}\n{report}\n{end}"
    if begin in text and end in text:
        text = text[: text.index(begin)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip() + "\n\n## The suite (`make bench`)\n\n" + block + "\n"
    path.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="repetitions where a row takes a median or best (default 3)")
    parser.add_argument("--page-kib", type=int, default=24, help="KiB of image data a generated page carries in P1/P5 (default 24)")
    parser.add_argument("--p1-instruments", type=int, default=4000, help="P1 and P5's small export (default 4000: about 256 MiB)")
    parser.add_argument("--p2-instruments", type=int, default=20000, help="P2/P4's project (default 20000, with PDFs)")
    parser.add_argument("--job-seconds", type=float, default=3.0, help="how long the server takes per job in P2/P3 (default 3)")
    parser.add_argument("--p3-runs", type=int, default=5, help="jobs timed for P3 (default 5)")
    parser.add_argument("--p5-instruments", type=int, default=16000, help="P5's large export (default 16000: about 1 GiB)")
    parser.add_argument("--p6-instruments", type=int, default=1_000_000, help="instruments.json size for P6 (default 1000000)")
    parser.add_argument("--p7-sizes", type=lambda s: [int(n) for n in s.split(",")], default=[100_000, 1_000_000], help="P7 index sizes (default 100000,1000000)")
    parser.add_argument("--p9-instruments", type=int, default=1_000_000, help="P9's two exports (default 1000000)")
    parser.add_argument("--p10-instruments", type=int, default=2000, help="P10's export; its largest Make group is packaged (default 2000: about 2,000 pages)")
    parser.add_argument("--only", default="", help="comma-separated row ids to run, e.g. P1,P6 (default: all)")
    parser.add_argument("--write", action="store_true", help="write the table into docs/benchmarks.md")
    args = parser.parse_args()
    only = {s.strip().upper() for s in args.only.split(",") if s.strip()}
    want = lambda *ids: not only or any(i in only for i in ids)  # noqa: E731

    for tool in ["curl", "unzip", "jq"]:
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is missing: run `make setup` (scripts/setup.sh installs it)")
    rows: list[Row] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="annolab-bench-") as tmp:
        work = Path(tmp)
        def step(label: str, ids: list[str], measure) -> None:  # type: ignore[no-untyped-def]
            """Runs one group of rows; a group that fails becomes rows saying so, the others still run."""
            print(f"[{time.monotonic() - started:6.0f} s] {label}", file=sys.stderr, flush=True)
            try:
                measured = measure()
                rows.extend(measured if isinstance(measured, list) else [measured])
            except (Exception, SystemExit) as problem:  # noqa: BLE001 - reported in the table
                print(f"  {label} failed: {problem}", file=sys.stderr, flush=True)
                rows.extend(Row(i, label, f"failed: {str(problem).splitlines()[0][:120]}", "-", "-", "-", False) for i in ids)
        small: dict[str, int] = {}
        def p1() -> Row:
            row, small["rss"], small["bytes"] = p1_p5_small(work, args)
            return row
        if want("P1", "P5"):  # P5 compares with P1's export
            step("P1: download vs curl", ["P1"], p1)
        if want("P1"):
            step("P1: download at 100 Mbit/s and 1 Gbit/s links", ["P1"], lambda: p1_links(work, args))
        if want("P2", "P3", "P4"):
            step("P2-P4: whole export vs the documentation's sample, noticing, after the last byte", ["P2", "P3", "P4"], lambda: p2_p3_p4(work, args))
        if want("P4"):
            step("P4: after the last byte at a 100 Mbit/s link", ["P4"], lambda: p4_link(work, args))
        if want("P5") and small:
            step("P5: memory on a large export", ["P5"], lambda: p5_large(work, args, small["rss"], small["bytes"]))
        if want("P6", "P7"):
            step("P6-P7: indexing and browsing", ["P6", "P7"], lambda: p6_p7(work, args))
        if want("P11"):
            step("P11: the big case, finished to the first page", ["P11"], lambda: p11(work, args))
        if want("P9"):
            step("P9: diff of two exports", ["P9"], lambda: p9(work, args))
        if want("P10"):
            step("P10: a title package of about 2,000 pages", ["P10"], lambda: p10(work, args))
        if want("P8"):
            step("P8: the app at rest", ["P8"], lambda: p8(work))
    rows.sort(key=lambda r: int(r.id[1:]))
    stamp = time.strftime("%Y-%m-%d")
    if only:
        # The other rows stay as the last full run measured them.
        report = merged(rows, only, stamp)
    else:
        report = (f"Run of {stamp} on {machine()}; {time.monotonic() - started:.0f} s in all. "
                  f"Defaults unless stated: `{' '.join(sys.argv[1:]) or 'no flags'}`.\n\n{table(rows)}")
    print(report)
    if args.write:
        write_report(report)


if __name__ == "__main__":
    main()
