"""`desktop-django wrap` works from the published wheel alone: templates and the settings
probe are package data, and the console script is declared."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

import pytest
from desktop_django_testing.paths import REPO_ROOT

pytestmark = pytest.mark.slow

ROOT = REPO_ROOT


def test_the_wheel_alone_runs_the_wrap_command(tmp_path, plain_project):
    subprocess.run(
        ["uv", "build", "--wheel", "--package", "desktop-django", "--out-dir", str(tmp_path),
         "--python", sys.executable, "--quiet"],
        cwd=ROOT, check=True,
    )  # fmt: skip
    wheel = next(tmp_path.glob("desktop_django-*.whl"))
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(n for n in names if n.endswith("entry_points.txt"))
        assert (
            "desktop-django = desktop_django_tools.cli:main" in archive.read(entry_points).decode()
        )
        archive.extractall(site)
    for template in ("settings.py.tmpl", "desktop.py.tmpl", "desktop-stage.toml.tmpl"):
        assert f"desktop_django_tools/wrap/templates/{template}" in names
    assert "desktop_django_tools/wrap/probe.py" in names

    script = (
        "import sys, desktop_django; from desktop_django_tools.cli import main; "
        f"assert desktop_django.__file__.startswith({str(site)!r}), desktop_django.__file__; "
        "sys.exit(main())"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "wrap", str(plain_project), "--json"],
        env={"PYTHONPATH": str(site), "PATH": os.environ.get("PATH", "")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["ok"]
