"""The distribution's tests stand on their own: with neither the repo root on the path nor the
repo's pytest settings, every test under desktop-django/tests collects and finds its fixtures,
and nothing imports the top-level `tests` package. Their support lives beside them, in
desktop_django_testing, registered by desktop-django/tests/conftest.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from desktop_django_testing.paths import REPO_ROOT

DISTRIBUTION = REPO_ROOT / "desktop-django"

# Loaded into the pytest run below (-p): what that run could import once collection was done.
PROBE = """
import json, os, sys

def pytest_collection_finish(session):
    with open(os.environ["STANDALONE_REPORT"], "w") as report:
        json.dump({"path": sys.path, "tests_imported": "tests" in sys.modules}, report)
"""


def test_the_distribution_tests_collect_and_resolve_fixtures_without_the_repo(tmp_path):
    (tmp_path / "standalone_probe.py").write_text(PROBE)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # not the repo's pyproject settings
    report = tmp_path / "report.json"
    run = subprocess.run(
        # -P: the working folder is not put on the path either. --setup-plan looks every
        # fixture up (a missing one is an error) and runs none of them, nor any test, so
        # assertions need no rewriting.
        [sys.executable, "-P", "-m", "pytest", "-c", str(tmp_path / "pytest.ini"),
         "--rootdir", str(DISTRIBUTION), "--confcutdir", str(DISTRIBUTION),
         "-p", "no:cacheprovider", "-p", "no:warnings", "-p", "standalone_probe",
         "--setup-plan", "--assert=plain", "-qq", str(DISTRIBUTION / "tests")],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path), "STANDALONE_REPORT": str(report)},
        capture_output=True,
        text=True,
        timeout=240,
    )  # fmt: skip
    assert run.returncode == 0, f"{run.stdout[-4000:]}\n{run.stderr[-2000:]}"
    seen = json.loads(report.read_text())
    assert not seen["tests_imported"]
    assert str(REPO_ROOT) not in [str(Path(entry).resolve()) for entry in seen["path"] if entry]
