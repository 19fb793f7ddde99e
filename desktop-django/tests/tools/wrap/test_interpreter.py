"""Which interpreter reads the project: --python, else the virtualenv the user had active
(nox passes it as DESKTOP_DJANGO_USER_VIRTUAL_ENV, since it replaces VIRTUAL_ENV with its own),
else the project's .venv/ or venv/, else a blocker naming those choices."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from tools.wrap.conftest import wrap_cli
from tools.wrap.fixtures_preflight import VENV_PYTHON

pytestmark = pytest.mark.slow

CHOOSING = ("VIRTUAL_ENV", "DESKTOP_DJANGO_USER_VIRTUAL_ENV", "NOX_CURRENT_SESSION")


def preflight(root: Path, *args: str, **variables: str) -> tuple[int, dict, str]:
    env = {k: v for k, v in os.environ.items() if k not in CHOOSING} | variables
    done = wrap_cli(root, "--json", *args, env=env)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout), done.stderr


@pytest.fixture
def project(shared_fixture):
    """One fresh project for these tests; each test's virtualenv links are removed after it."""
    made = shared_fixture("fresh")
    yield made
    for link in (".venv", "venv"):
        (made.root / link).unlink(missing_ok=True)


def test_the_projects_dot_venv_when_nothing_is_active(project):
    (project.root / ".venv").symlink_to(project.env.folder, target_is_directory=True)
    status, report, _ = preflight(project.root)
    assert status == 0, report["findings"]
    assert report["project"]["python"] == str(project.root / ".venv" / VENV_PYTHON)
    assert report["project"]["pythonSource"] == "the project's .venv/"


def test_the_projects_venv_folder(project):
    (project.root / "venv").symlink_to(project.env.folder, target_is_directory=True)
    _, report, _ = preflight(project.root)
    assert report["project"]["pythonSource"] == "the project's venv/"


def test_the_active_virtualenv_wins_over_the_projects(project, tmp_path):
    (project.root / ".venv").symlink_to(tmp_path, target_is_directory=True)  # no python there
    status, report, _ = preflight(project.root, VIRTUAL_ENV=str(project.env.folder))
    assert status == 0, report["findings"]
    assert report["project"]["python"] == str(project.env.python)
    assert report["project"]["pythonSource"] == "the active virtualenv ($VIRTUAL_ENV)"


def test_the_users_virtualenv_as_nox_passes_it(project):
    # Under nox, VIRTUAL_ENV is the session's venv (this test run's interpreter here).
    status, report, _ = preflight(
        project.root,
        VIRTUAL_ENV=sys.prefix,
        NOX_CURRENT_SESSION="wrap",
        DESKTOP_DJANGO_USER_VIRTUAL_ENV=str(project.env.folder),
    )
    assert status == 0, report["findings"]
    assert report["project"]["python"] == str(project.env.python)


def test_nox_without_the_users_virtualenv_falls_back_to_the_project(project):
    (project.root / ".venv").symlink_to(project.env.folder, target_is_directory=True)
    for variables in (
        {"VIRTUAL_ENV": sys.prefix, "NOX_CURRENT_SESSION": "wrap"},  # an older noxfile
        {"VIRTUAL_ENV": sys.prefix, "DESKTOP_DJANGO_USER_VIRTUAL_ENV": ""},  # none was active
    ):
        _, report, _ = preflight(project.root, **variables)
        assert report["project"]["pythonSource"] == "the project's .venv/", variables


def test_explicit_python_wins(project, tmp_path):
    (project.root / ".venv").symlink_to(tmp_path, target_is_directory=True)
    status, report, _ = preflight(
        project.root, "--python", str(project.env.python), VIRTUAL_ENV=str(tmp_path)
    )
    assert status == 0, report["findings"]
    assert report["project"]["pythonSource"] == "--python"


def test_no_interpreter_is_a_blocker_naming_the_choices_and_the_rest_still_runs(project):
    status, report, _ = preflight(project.root)
    assert status == 1
    (blocker,) = [f for f in report["findings"] if f["kind"] == "blocker"]
    assert blocker["topic"] == "python"
    assert blocker["message"].startswith("no interpreter for the project: activate its ")
    assert "create .venv/ (or venv/)" in blocker["message"]
    assert blocker["message"].endswith("or pass --python PATH")
    assert {"dependencies", "templates"} & {f["topic"] for f in report["findings"]}


def test_an_active_virtualenv_without_python_is_one_clear_line(project, tmp_path):
    status, report, _ = preflight(project.root, VIRTUAL_ENV=str(tmp_path))
    assert status == 1
    (blocker,) = [f for f in report["findings"] if f["kind"] == "blocker"]
    assert f"{tmp_path}, which has no {VENV_PYTHON}" in blocker["message"]
    assert "dependencies" in {f["topic"] for f in report["findings"]}  # the rest still ran


def test_a_python_that_is_not_an_interpreter_is_a_blocker(project, tmp_path):
    fake = tmp_path / "python"
    fake.write_text("not an interpreter\n", encoding="utf-8")
    status, report, _ = preflight(project.root, "--python", str(fake))
    assert status == 1
    messages = " ".join(f["message"] for f in report["findings"] if f["kind"] == "blocker")
    assert f"{fake} could not run" in messages
