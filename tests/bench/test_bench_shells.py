"""`python -m bench --quick --only shells`: both shells measured in their real windows, side by
side, with the whole process tree in the memory figures. Timings are never asserted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from desktop_django_testing.ci import only_on, require_in_ci, require_tool

from tests.support import shell_windows

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(300),
    only_on("linux", reason="the shells' real windows are measured on Xvfb (Linux)"),
]


@pytest.fixture(scope="module")
def shell_results(staged, tmp_path_factory) -> tuple[dict, str]:
    require_tool("Xvfb", "the real windows run on a private X display (apt xvfb)")
    for window in (shell_windows.tauri(), shell_windows.positron()):
        if isinstance(window, str):
            require_in_ci(window)
    output = tmp_path_factory.mktemp("bench-shells")
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--only", "shells", "--runs", "2",
         "--output", str(output)],
        cwd=ROOT,
        env={**os.environ, "DESKTOP_DJANGO_STAGE_DIR": str(staged)},
        capture_output=True,
        text=True,
        timeout=240,
    )  # fmt: skip
    assert run.returncode == 0, f"{run.stdout[-4000:]}\n{run.stderr[-4000:]}"
    (results_file,) = output.glob("*.json")
    results = json.loads(results_file.read_text())
    return results, (output / results["files"]["markdown"]).read_text()


def test_both_shells_are_measured_interleaved(shell_results):
    results, _markdown = shell_results
    shells = results["shells"]
    assert results["sanity"] == {"ok": True, "problems": [], "regressions": []}
    assert shells["missing"] == {}
    assert shells["sides"] == ["tauri", "positron"]
    for name in shells["sides"]:
        runs = shells["samples"][name]
        assert len(runs) == 2, name
        for run in runs:
            assert 0 < run["page_loaded_ms"] < run["exit_ms"], (name, run)
            assert 0 < run["pss_at_peak_bytes"] <= run["peak_rss_bytes"], (name, run)
        assert shells["first_launch"][name]["page_loaded_ms"] > 0
    assert set(shells["ratios"]["positron/tauri"]) == {
        "page_loaded_ms",
        "peak_rss_bytes",
        "pss_at_peak_bytes",
    }


def test_memory_covers_the_whole_process_tree(shell_results):
    results, _markdown = shell_results
    samples = results["shells"]["samples"]
    # Tauri supervises serve and worker; Positron runs Django in its own process. Both
    # render in WebKit's own processes, which must be counted too.
    assert {"shell", "serve", "worker", "webkit"} <= set(samples["tauri"][0]["peak_by_kind"])
    assert {"shell", "webkit"} <= set(samples["positron"][0]["peak_by_kind"])
    assert "serve" not in samples["positron"][0]["peak_by_kind"]


def test_the_report_shows_the_shells(shell_results):
    results, markdown = shell_results
    assert "## Shells end to end" in markdown
    shown = {target["name"] for target in results["targets"] if target["value"] is not None}
    assert {
        "Tauri: spawn → main page in the real window, median",
        "Positron: spawn → main page in the real window, median",
    } <= shown
