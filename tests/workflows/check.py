"""The keys of .github/workflows/*.yml that matter, beyond what the schema can see.

Run by `make test-workflows` after check-jsonschema has validated the files against the GitHub
workflow schema. Prints one line per failed check and exits 1 if there is any.
"""

import os
import re
import sys
import tomllib
from pathlib import Path

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
# A full version tag (v4.2.2, or tauri-action's action-v1.0.0) or a 40-hex commit SHA.
PINNED = re.compile(r"^(?:[A-Za-z]+-)?v\d+\.\d+\.\d+$|^[0-9a-f]{40}$")
# What the Windows and macOS jobs must test: the library crates and the CLI, by package name.
TESTED_PACKAGES = {"export-engine", "annolab-api", "annolab-sandbox", "annolab-cli"}
BUNDLES = {"windows-latest": {"msi", "nsis"}, "macos-latest": {"app", "dmg"}}

problems: list[str] = []


def check(condition: bool, message: str) -> None:
    if not condition:
        problems.append(message)


def load(name: str) -> dict:
    # YAML 1.2 (ruamel), so the key `on` stays a string instead of becoming True.
    return YAML(typ="safe", pure=True).load((WORKFLOWS / name).read_text())


def steps_text(job: dict) -> str:
    """Every step's `run` and `with` values of a job, as one text."""
    parts = []
    for step in job.get("steps", []):
        parts.append(str(step.get("run", "")))
        parts.extend(str(value) for value in (step.get("with") or {}).values())
    return "\n".join(parts)


def runners(job: dict) -> list[tuple[str, dict]]:
    """(runner, matrix entry) for each run of a job, `${{ matrix.os }}` resolved."""
    runs_on = job.get("runs-on", "")
    matrix = (job.get("strategy") or {}).get("matrix") or {}
    field = re.fullmatch(r"\$\{\{\s*matrix\.(\w+)\s*\}\}", str(runs_on))
    if not field:
        return [(str(runs_on), {})]
    entries = list(matrix.get("include", []))
    entries += [{field[1]: value} for value in matrix.get(field[1], [])]
    return [(str(entry.get(field[1], "")), entry) for entry in entries]


def package_names() -> set[str]:
    """The names of the repository's Cargo packages, wherever their folders are."""
    names = set()
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [d for d in subfolders if d not in {"target", "node_modules", ".git", ".venv", ".tools"}]
        if "Cargo.toml" in files:
            package = tomllib.loads(Path(folder, "Cargo.toml").read_text()).get("package", {})
            if "name" in package:
                names.add(package["name"])
    return names


def check_pins() -> None:
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            found = re.match(r"^\s*(?:-\s+)?uses:\s*['\"]?([^'\"\s#]+)['\"]?\s*(#\s*(\S+))?", line)
            if not found or found[1].startswith("./"):
                continue
            action, _, ref = found[1].partition("@")
            where = f"{path.name}:{number}: {action}"
            check(bool(PINNED.match(ref)), f"{where}@{ref or '(no ref)'} is not pinned to a full version tag or a commit SHA")
            if re.fullmatch(r"[0-9a-f]{40}", ref):
                check(bool(found[3]) and bool(PINNED.match(found[3])), f"{where}: a SHA pin needs its version as a comment (# v1.2.3)")


def check_ci() -> None:
    ci = load("ci.yml")
    triggers = ci.get("on") or {}
    check(isinstance(triggers, dict) and {"push", "pull_request"} <= set(triggers), "ci.yml must run on push and pull_request")
    check("concurrency" in ci, "ci.yml has no concurrency")
    check(ci.get("permissions") == {"contents": "read"}, "ci.yml permissions must be exactly contents: read")

    by_runner: dict[str, list[tuple[dict, dict]]] = {}
    for job in (ci.get("jobs") or {}).values():
        for runner, entry in runners(job):
            by_runner.setdefault(runner, []).append((job, entry))
    for runner in ["ubuntu-latest", "windows-latest", "macos-latest"]:
        check(runner in by_runner, f"ci.yml has no job on {runner}")

    for job, _ in by_runner.get("ubuntu-latest", []):
        text = steps_text(job)
        check(re.search(r"^make test$", text, re.M) is not None, "ci.yml: the ubuntu-latest job must run `make test`")
        check("--bundles deb rpm" in text, "ci.yml: the ubuntu-latest job must build --bundles deb rpm")
        check("actions/upload-artifact@" in str(job), "ci.yml: the ubuntu-latest job must upload its installers")

    known = package_names()
    for runner, wanted in BUNDLES.items():
        for job, entry in by_runner.get(runner, []):
            text = steps_text(job)
            for command in ["npm ci", "npm run build:ui", "npm test"]:
                check(re.search(rf"^{re.escape(command)}\b", text, re.M) is not None, f"ci.yml: the {runner} job must run `{command}`")
            tests = re.findall(r"^cargo test\b.*$", text, re.M)
            check(len(tests) == 1, f"ci.yml: the {runner} job must run one `cargo test`")
            for command in tests:
                check("--locked" in command.split(), f"ci.yml: {runner}: `cargo test` without --locked")
                named = set(re.findall(r"(?:-p|--package)\s+(\S+)", command))
                check(named == TESTED_PACKAGES, f"ci.yml: {runner}: `cargo test` tests {sorted(named)}, expected {sorted(TESTED_PACKAGES)}")
                check(not (named - known), f"ci.yml: {runner}: no Cargo package named {sorted(named - known)}")
                check("/" not in command and "--manifest-path" not in command, f"ci.yml: {runner}: `cargo test` must name packages, not paths")
            bundles = set(str(entry.get("bundles", "")).split())
            check(bundles == wanted, f"ci.yml: {runner} builds bundles {sorted(bundles)}, expected {sorted(wanted)}")
            check(re.search(r"tauri build --bundles \$\{\{ matrix\.bundles \}\}", text) is not None, f"ci.yml: {runner} never runs `tauri build --bundles` with its matrix bundles")
            check("actions/upload-artifact@" in str(job), f"ci.yml: the {runner} job must upload its installers")


def check_release() -> None:
    release = load("release.yml")
    triggers = release.get("on") or {}
    push = triggers.get("push") if isinstance(triggers, dict) else None
    tags = (push or {}).get("tags") or []
    check(bool(tags) and all(str(tag).startswith("v") for tag in tags), "release.yml must trigger on tags v*")
    check(set(triggers) == {"push"} and set(push or {}) == {"tags"}, "release.yml must trigger on tags only")
    check("concurrency" in release, "release.yml has no concurrency")
    check(release.get("permissions") == {"contents": "read"}, "release.yml: top-level permissions must be contents: read (jobs that write ask for it)")

    builds = {}
    for job in (release.get("jobs") or {}).values():
        for step in job.get("steps", []):
            if str(step.get("uses", "")).startswith("tauri-apps/tauri-action@"):
                check((job.get("permissions") or {}).get("contents") == "write", "release.yml: the tauri-action job needs contents: write")
                options = step.get("with") or {}
                check(options.get("releaseDraft") is True, "release.yml: tauri-action must have releaseDraft: true")
                check(bool(options.get("releaseId") or options.get("tagName")), "release.yml: tauri-action has no release to upload to (releaseId or tagName)")
                for runner, entry in runners(job):
                    builds[runner] = str(options.get("args", "")).replace("${{ matrix.args }}", str(entry.get("args", "")))
                # Signed updates: the key only from secrets, the updater artifacts and latest.json on.
                env = step.get("env") or {}
                for name in ("TAURI_SIGNING_PRIVATE_KEY", "TAURI_SIGNING_PRIVATE_KEY_PASSWORD"):
                    check(str(env.get(name, "")).replace(" ", "") == f"${{{{secrets.{name}}}}}", f"release.yml: tauri-action must take {name} from secrets")
                check('"createUpdaterArtifacts":true' in str(options.get("args", "")), "release.yml: tauri-action must build the updater artifacts (--config)")
                check(options.get("uploadUpdaterJson") is True, "release.yml: tauri-action must upload latest.json (uploadUpdaterJson: true)")
    check(any(runner.startswith("ubuntu-") for runner in builds), "release.yml builds nothing on Linux")
    for runner, args in builds.items():
        if runner.startswith("ubuntu-"):
            check("--bundles deb rpm" in args, f"release.yml: {runner} must build --bundles deb rpm")
    for runner, wanted in BUNDLES.items():
        args = builds.get(runner)
        check(args is not None, f"release.yml builds nothing on {runner}")
        if args is not None:
            found = re.search(r"--bundles\s+((?:(?!--)\S+\s*)+)", args)
            check(bool(found) and set(found[1].split()) == wanted, f"release.yml: {runner} builds '{args}', expected --bundles {' '.join(sorted(wanted))}")


def check_updater() -> None:
    """The updater's public key and an https endpoint in tauri.conf.json; no private key anywhere."""
    import json

    conf = json.loads((ROOT / "tauri.conf.json").read_text())
    updater = (conf.get("plugins") or {}).get("updater") or {}
    check(bool(updater.get("pubkey")), "tauri.conf.json: plugins.updater.pubkey is missing")
    endpoints = updater.get("endpoints") or []
    check(bool(endpoints) and all(str(e).startswith("https://") for e in endpoints), "tauri.conf.json: plugins.updater.endpoints must be https URLs")
    check(not (conf.get("bundle") or {}).get("createUpdaterArtifacts"), "tauri.conf.json: createUpdaterArtifacts stays off (release.yml turns it on with the key)")
    tracked = os.popen(f"git -C {ROOT} ls-files").read().split()
    check(not any(name.endswith(".key") for name in tracked), "a .key file is tracked: private keys never go into the repository")


def main() -> int:
    for check_one in (check_pins, check_ci, check_release, check_updater):
        try:
            check_one()
        except (AttributeError, KeyError, TypeError) as error:
            problems.append(f"{check_one.__name__}: unexpected structure ({error!r})")
    for problem in problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"workflows ok: {', '.join(sorted(p.name for p in WORKFLOWS.glob('*.yml')))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
