"""The GitHub workflows are valid (SchemaStore's workflow schema, vendored by
check-jsonschema, so this runs offline) and the packaging workflow does what release
engineering relies on: every shell on every OS, through nox sessions only."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from desktop_django_testing.paths import REPO_ROOT
from ruamel.yaml import YAML

ROOT = REPO_ROOT
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
PACKAGES = ROOT / ".github" / "workflows" / "packages.yml"


def load(path: Path) -> dict:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda path: path.name)
def test_workflow_matches_the_github_schema(workflow):
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
         str(workflow)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_packages_run_on_tags_and_by_hand():
    triggers = load(PACKAGES)["on"]
    assert "workflow_dispatch" in triggers
    assert triggers["push"]["tags"]


def test_every_shell_is_packaged_on_every_os():
    matrix = load(PACKAGES)["jobs"]["package"]["strategy"]["matrix"]
    assert {os.split("-")[0] for os in matrix["os"]} == {"ubuntu", "macos", "windows"}
    assert set(matrix["shell"]) == {"electron", "tauri", "positron"}


def test_build_steps_are_nox_sessions_in_release_order():
    steps = load(PACKAGES)["jobs"]["package"]["steps"]
    sessions = [
        step["run"].split()[2] for step in steps if step.get("run", "").startswith("nox -s ")
    ]
    assert sessions == ["stage", "package", "release", "offline-bundle"]
    others = [
        step["run"] for step in steps if "run" in step and not step["run"].startswith("nox -s ")
    ]
    # Besides nox itself, only system packages are installed by hand.
    for command in others:
        assert command.startswith(("python -m pip install nox", "sudo apt-get")), command


def test_release_artifacts_are_uploaded_and_drafted():
    jobs = load(PACKAGES)["jobs"]
    uploads = [s for s in jobs["package"]["steps"] if "upload-artifact" in s.get("uses", "")]
    assert any("dist/offline" in str(step["with"]["path"]) for step in uploads)
    draft = jobs["draft-release"]
    assert draft["needs"] == "package"
    release = next(s for s in draft["steps"] if "action-gh-release" in s.get("uses", ""))
    assert release["with"]["draft"] is True
    assert draft["permissions"] == {"contents": "write"}
