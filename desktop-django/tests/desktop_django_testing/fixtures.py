"""Fixtures shared by every test tree: collected static files, running backends, the staged
backend. A pytest plugin, registered once per tree by its conftest (`pytest_plugins`): the root
conftest.py for the top-level and shells' tests, desktop-django/tests/conftest.py when the
distribution's tests run on their own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_django_testing.backend import (
    PACKAGED_SETTINGS,
    RunningBackend,
    launcher_env,
    new_token,
)
from desktop_django_testing.paths import REPO_ROOT
from desktop_django_testing.stage import current_or_fresh_stage


@pytest.fixture(scope="session")
def stage_dir(tmp_path_factory) -> Path:
    """A minimal stage: `staticfiles/` collected with the packaged (hashed, compressed) storage."""
    bundle = tmp_path_factory.mktemp("bundle")
    env = launcher_env(tmp_path_factory.mktemp("collect-data"), new_token(), bundle)
    env["DJANGO_SETTINGS_MODULE"] = PACKAGED_SETTINGS
    subprocess.run(
        [sys.executable, "-m", "django", "collectstatic", "--noinput", "-v0"],
        env=env,
        check=True,
    )
    return bundle


@pytest.fixture
def backend(tmp_path, stage_dir):
    """Factory for backends over a fresh app data folder; all are stopped after the test."""
    started: list[RunningBackend] = []

    def make(app_data: Path | None = None, **extra_env) -> RunningBackend:
        instance = RunningBackend(app_data or tmp_path / "app-data", stage_dir, extra_env=extra_env)
        started.append(instance)
        return instance

    yield make
    for instance in started:
        instance.stop()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    path = Path(os.environ.get("TEST_ARTIFACTS_DIR", REPO_ROOT / "test-artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def staged(tmp_path_factory) -> Path:
    """A staged backend: the repo's `.stage/backend` when current, else a fresh offline build."""
    return current_or_fresh_stage(tmp_path_factory)
