"""The scoreboard tells the truth: rows are settled by the tests' real outcomes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCENARIOS = textwrap.dedent(
    """
    import pytest

    def test_passes(scoreboard):
        scoreboard("passing scenario", 5, 0, "all fine")

    def test_fails_after_recording(scoreboard):
        scoreboard("hopeful scenario", 3, 0, "recorded before the assert")
        assert 1 == 2, "the third trial broke"

    def test_fails_before_recording(scoreboard):
        raise RuntimeError("server never started")

    def test_skips(scoreboard):
        scoreboard("scan", 0, 0)
        pytest.skip("the vulnerability service did not answer")
    """
)


def test_failed_and_skipped_tests_show_as_such(tmp_path):
    (tmp_path / "conftest.py").write_text(
        "from tests.reliability.conftest import *  # noqa: F403\n"
        "from tests.reliability.conftest import pytest_runtest_makereport, "
        "pytest_terminal_summary  # noqa: F401\n"
    )
    (tmp_path / "test_scenarios.py").write_text(SCENARIOS)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:django", "-p", "no:cacheprovider",
         "-c", str(tmp_path / "pytest.ini"), str(tmp_path)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    table = done.stdout.split("reliability (", 1)[1].splitlines()
    rows = {line.split("  ")[0].strip(): line.split() for line in table[2:] if line.strip()}
    assert rows["passing scenario"][2:4] == ["5", "0"]
    assert rows["hopeful scenario"][2:4] == ["3", "1"]
    assert "FAILED" in " ".join(rows["hopeful scenario"])
    assert rows["test_fails_before_recording"][1:3] == ["1", "1"]
    assert rows["scan"][1:3] == ["0", "skipped"]
    assert "vulnerability service" in " ".join(rows["scan"])
