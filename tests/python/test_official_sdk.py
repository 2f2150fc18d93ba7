"""The official AnnoLab SDK (`annolab` on PyPI), unchanged, against the sandbox: key info, project
lookup and its export helper (`Project.export`, which posts to /v1/export/project, polls and
downloads with a plain GET)."""

import zipfile

from annolab import AnnoLab

from conftest import SANDBOX_KEY

OWNER = "Group Name owning project"
PROJECT = "Example Project Name"


def test_the_sdk_reads_the_key_and_finds_the_project(sandbox):
    lab = AnnoLab(api_key=SANDBOX_KEY, api_url=sandbox)
    assert lab.default_owner["groupName"] == "sandbox-user"
    project = lab.find_project(PROJECT, OWNER)
    assert (project.name, project.id, project.owner_name) == (PROJECT, 148, OWNER)


def test_the_sdk_export_helper_downloads_a_project_export(sandbox, tmp_path):
    project = AnnoLab(api_key=SANDBOX_KEY, api_url=sandbox).find_project(PROJECT, OWNER)
    target = tmp_path / "project_export.zip"

    project.export(str(target), include_sources=True, include_text_bounds=True, include_annotation_types=True, timeout=60)

    with zipfile.ZipFile(target) as export:
        assert export.testzip() is None
        names = export.namelist()
        # Exactly the files the SDK's own importer looks for.
        for entity in ["annotations", "layers", "relations", "atntypes", "sources", "text-bounds"]:
            assert f"{PROJECT}.{entity}.jsonl" in names, entity
        assert "Uploads/Test_PDF.pdf" in names
        annotations = export.read(f"{PROJECT}.annotations.jsonl").decode().splitlines()
        assert len(annotations) > 240
        assert export.read(f"{PROJECT}.layers.jsonl").decode().count('"isGoldSet":true') == 1
