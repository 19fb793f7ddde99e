"""One generated project per kind, walked through preflight, apply and stage exactly once per
test session (each step is the expensive part; the tests assert on what it produced)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pytest
from desktop_django_testing.ci import require_in_ci

from tools.wrap.fixtures_preflight import (  # noqa: F401
    make_fixture,
    preflight_envs,
    shared_fixture,
)
from tools.wrap.projects import KINDS, Kind, make_env, make_project

# The one project whose stage is precompiled, so bytecode of app/ is covered too.
BYTECODE_KIND = "django6"


def wrap_cli(
    *args, cwd: Path | None = None, env: dict | None = None
) -> subprocess.CompletedProcess:
    """The wrap command as a user runs it with no virtualenv active (the test run's own venv
    is not the project's): the project's .venv/ is found, unless `env` says otherwise."""
    inactive = {k: v for k, v in os.environ.items()
                if k not in ("VIRTUAL_ENV", "DESKTOP_DJANGO_USER_VIRTUAL_ENV")}  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "desktop_django_tools.cli", "wrap", *map(str, args)],
        capture_output=True, text=True, cwd=cwd, timeout=180, env=env or inactive,
    )  # fmt: skip


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=True
    ).stdout


@dataclass
class Case:
    """A generated project and what each step of the wrap did to it."""

    kind: Kind
    root: Path
    python: Path
    workdir: Path

    @cached_property
    def preflight(self) -> dict:
        done = wrap_cli(self.root, "--json")
        assert done.returncode == 0, done.stdout + done.stderr
        return json.loads(done.stdout)

    @cached_property
    def preflight_text(self) -> subprocess.CompletedProcess:
        _ = self.preflight  # the JSON run first: both before --apply
        return wrap_cli(self.root)

    @cached_property
    def status_before_apply(self) -> str:
        _ = self.preflight_text
        return git(self.root, "status", "--porcelain")

    @cached_property
    def applied(self) -> subprocess.CompletedProcess:
        _ = self.status_before_apply
        done = wrap_cli(self.root, "--apply", "--name", f"Team Notes {self.kind.name}")
        assert done.returncode == 0, done.stdout + done.stderr
        return done

    @cached_property
    def stage(self) -> Path:
        _ = self.applied
        output = self.workdir / "stage" / "backend"
        args = [sys.executable, "-m", "desktop_django_tools", "stage", "--project", str(self.root),
                "--output",
                str(output), "--python-home", sys.base_prefix]  # fmt: skip
        if self.kind.name != BYTECODE_KIND:
            args.append("--no-bytecode")
        done = subprocess.run(args, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
        return output


@pytest.fixture(scope="session")
def django_envs(tmp_path_factory):
    """One virtualenv per Django version, created on first use and shared by projects."""
    if not shutil.which("uv"):
        require_in_ci("uv is needed to create the fixture projects' virtualenvs")
    if not shutil.which("git"):
        require_in_ci("git is needed: wrap --apply works on git repositories")
    made: dict[str, Path] = {}

    def get(version: str) -> Path:
        if version not in made:
            folder = tmp_path_factory.mktemp(f"django-{version}-env") / "env"
            make_env(folder, version)
            made[version] = folder
        return made[version]

    return get


@pytest.fixture(scope="session")
def wrap_cases(tmp_path_factory, django_envs):
    cases: dict[str, Case] = {}

    def get(name: str) -> Case:
        if name not in cases:
            kind = KINDS[name]
            workdir = tmp_path_factory.mktemp(f"wrap-{name}")
            env = django_envs(kind.django)
            root = make_project(workdir / "team-notes", kind, env)
            python = env / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
            cases[name] = Case(kind=kind, root=root, python=python, workdir=workdir)
        return cases[name]

    return get


@pytest.fixture(params=list(KINDS), ids=list(KINDS))
def case(request, wrap_cases) -> Case:
    return wrap_cases(request.param)


@pytest.fixture
def plain_project(tmp_path, django_envs) -> Path:
    """A fresh, committed Django 6 project for the refusal tests."""
    return make_project(tmp_path / "plain", KINDS["django6"], django_envs("6"))
