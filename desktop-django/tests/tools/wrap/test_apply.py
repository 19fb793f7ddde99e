"""--apply: one new folder plus one small dependency edit, and the project's own tests pass."""

from __future__ import annotations

import os
import subprocess
import tomllib

import pytest

from tools.wrap.conftest import git

pytestmark = pytest.mark.slow

DESKTOP_FILES = {"__init__.py", "__main__.py", "desktop.py", "settings.py",
                 "desktop-stage.toml", "README.md"}  # fmt: skip


def test_apply_adds_one_folder_one_line_and_ignores_the_stage(case):
    assert case.applied.returncode == 0
    edited = "requirements.txt" if case.kind.dependencies == "requirements" else "pyproject.toml"
    status = sorted(git(case.root, "status", "--porcelain", "--untracked-files=all").splitlines())
    assert status == sorted(
        [f" M {edited}", " M .gitignore"] + [f"?? mysite_desktop/{name}" for name in DESKTOP_FILES]
    )
    ignored = git(case.root, "diff", "--unified=0", "--", ".gitignore").splitlines()
    assert "+.stage/" in ignored, ignored
    diff = git(case.root, "diff", "--unified=0", "--", edited).splitlines()
    removed = [line for line in diff if line.startswith("-") and not line.startswith("---")]
    added = [line for line in diff if line.startswith("+") and not line.startswith("+++")]
    assert removed == [], "the user's lines are never changed"
    extra = "[django52]" if case.kind.django == "5.2" else ""
    # Not on PyPI yet: a direct reference to the desktop-django that wrapped it.
    assert any(f"desktop-django{extra} @ file:///" in line for line in added), added
    assert len(added) <= 2
    if case.kind.dependencies == "uv.lock":
        assert "uv.lock does not list desktop-django yet: run `uv lock`" in case.applied.stdout


def test_stage_config_names_the_project_sources(case):
    _ = case.applied
    config = tomllib.loads((case.root / "mysite_desktop" / "desktop-stage.toml").read_text())
    assert config["app"] == {
        "package": "mysite_desktop",
        "settings": "mysite_desktop.settings",
        "launcher": "mysite_desktop.desktop",
    }
    expected = {"mysite", "notes", "mysite_desktop"}
    if case.kind.custom_user:
        expected |= {"accounts", "templates"}
    assert set(config["source"]["include"]) == expected
    extras = ["django52"] if case.kind.django == "5.2" else []
    assert config["dependencies"]["desktop-django-extras"] == extras
    source = {
        "requirements": ("requirements", ["requirements.txt"]),
        "pyproject": ("pyproject", "pyproject.toml"),
        "uv.lock": ("uv-lock", "uv.lock"),
    }[case.kind.dependencies]
    assert config["dependencies"][source[0]] == source[1]


def run_in_project(case, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DESKTOP_DJANGO_"))}
    return subprocess.run(
        [str(case.python), *args], cwd=case.root, env=env, capture_output=True, text=True,
        timeout=180,
    )  # fmt: skip


def test_the_projects_own_tests_still_pass(case):
    _ = case.applied
    tests = run_in_project(case, "manage.py", "test", "--noinput")
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "OK" in tests.stderr
    check = run_in_project(case, "manage.py", "check")
    assert check.returncode == 0, check.stdout + check.stderr


def test_apply_refuses_to_run_twice(case):
    _ = case.applied
    before = git(case.root, "status", "--porcelain", "--untracked-files=all")
    from tools.wrap.conftest import wrap_cli

    again = wrap_cli(case.root, "--apply", "--force")
    assert again.returncode == 1
    assert "already wrapped" in again.stderr
    assert git(case.root, "status", "--porcelain", "--untracked-files=all") == before
