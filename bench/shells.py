"""The shells end to end: Tauri and Positron, each in its real window on Xvfb against the staged
backend, interleaved run by run (T P T P ...).

- `page_loaded_ms`: process spawn → the shell's `page-loaded` milestone line (its main page
  has loaded in the window, after the splash and the bootstrap cookie);
- `peak_rss_bytes`: the highest sum of RSS over the shell's whole process tree (the shell,
  `serve` and `worker` for Tauri, its in-process backend for Positron, and WebKit's web and
  network processes for both), sampled every 20 ms until the app has exited. A sum of RSS
  counts shared library pages once per process, so it is an upper bound for either side;
  `pss_at_peak_bytes` (proportional set size, shared pages split between their users, read
  at each new peak) is the fairer figure for what the tree costs the machine.

Both run in smoke mode (exit once the main page has loaded and everything has stopped), each
with its own app data folder, migrated and seeded by one discarded first launch: every
measured run is the everyday launch. The shells are found the way the tests find them
(tests/support/shell_windows.py); a shell that is not built here is reported, not measured.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import threading
import time
from pathlib import Path

import psutil

from bench.staged import BenchError, Stage
from bench.stats import ratio, summarize

SAMPLE_SECONDS = 0.02
RUN_DEADLINE_SECONDS = 90.0
TAURI, POSITRON = "tauri", "positron"


def run(stage: Stage, work: Path, runs: int, say=print) -> dict:
    found, missing = _find_shells()
    results: dict = {
        "sides": [window.name for window in found],
        "builds": {window.name: window.build for window in found},
        "missing": missing,
        "samples": {window.name: [] for window in found},
        "first_launch": {},
        "sample_interval_ms": SAMPLE_SECONDS * 1000,
    }
    for name, reason in missing.items():
        say(f"shells: {name} not measured: {reason}")
    if not found:
        return results
    from desktop_django_testing.xvfb import virtual_display

    with virtual_display() as display:
        for window in found:
            results["first_launch"][window.name] = _sample(window, stage, work, display)
        for number in range(runs):
            for window in found:
                results["samples"][window.name].append(_sample(window, stage, work, display))
            say(f"shells {number + 1}/{runs}: " + _latest(results["samples"]))
    results["summary"] = {
        name: {
            "page_loaded_ms": summarize(s["page_loaded_ms"] for s in rows),
            "peak_rss_bytes": summarize((s["peak_rss_bytes"] for s in rows), digits=0),
            "pss_at_peak_bytes": summarize((s["pss_at_peak_bytes"] for s in rows), digits=0),
        }
        for name, rows in results["samples"].items()
    }
    if {TAURI, POSITRON} <= set(results["summary"]):
        results["ratios"] = {
            f"{POSITRON}/{TAURI}": {
                key: ratio(
                    results["summary"][POSITRON][key]["median"],
                    results["summary"][TAURI][key]["median"],
                )
                for key in ("page_loaded_ms", "peak_rss_bytes", "pss_at_peak_bytes")
            }
        }
    return results


def _find_shells() -> tuple[list, dict[str, str]]:
    if not sys.platform.startswith("linux"):
        reason = "the real windows are measured on Linux (Xvfb) only"
        return [], {TAURI: reason, POSITRON: reason}
    if not shutil.which("Xvfb"):
        return [], {TAURI: "Xvfb is not installed", POSITRON: "Xvfb is not installed"}
    # The benchmark runs from the repository root; the tests' one way to find a shell.
    from tests.support import shell_windows

    found, missing = [], {}
    for name, find in ((TAURI, shell_windows.tauri), (POSITRON, shell_windows.positron)):
        window = find()
        if isinstance(window, str):
            missing[name] = window
        else:
            found.append(window)
    return found, missing


def _sample(window, stage: Stage, work: Path, display: str) -> dict:
    from tests.support.shell_windows import RunningWindow

    app = RunningWindow(
        window,
        stage.root,
        work / f"shell-{window.name}-data",
        display,
        home=work / f"shell-{window.name}-home",
    )
    memory = TreeMemory(app.process.pid)
    memory.start()
    try:
        status = app.wait(RUN_DEADLINE_SECONDS)
    except AssertionError as exc:
        raise BenchError(str(exc)) from None
    finally:
        memory.stop()
    loaded = app.first("page-loaded")
    if status != 0 or loaded is None:
        raise BenchError(f"{window.name} smoke run failed (exit {status}); {app.report()}")
    return {
        "page_loaded_ms": loaded[0] * 1000,
        "exit_ms": (time.perf_counter() - app.began) * 1000,
        "peak_rss_bytes": memory.peak,
        "pss_at_peak_bytes": memory.pss_at_peak,
        "peak_processes": memory.peak_processes,
        "peak_by_kind": memory.peak_by_kind,
    }


class TreeMemory:
    """Samples the summed RSS of a process and all its descendants on a thread."""

    def __init__(self, pid: int):
        self.root = psutil.Process(pid)
        self.peak = 0
        self.peak_processes = 0
        self.pss_at_peak = 0
        self.peak_by_kind: dict[str, int] = {}
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._sample()
            self._stopping.wait(SAMPLE_SECONDS)

    def _sample(self) -> None:
        try:
            tree = [self.root, *self.root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        by_kind: dict[str, int] = {}
        alive = []
        for process in tree:
            # A process may exit between the listing and the read: it simply is not counted.
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                kind = self._kind(process)
                by_kind[kind] = by_kind.get(kind, 0) + process.memory_info().rss
                alive.append(process)
        total = sum(by_kind.values())
        if total > self.peak:
            self.peak, self.peak_processes, self.peak_by_kind = total, len(alive), by_kind
            # PSS walks every mapping (smaps_rollup): read only at a new peak.
            self.pss_at_peak = sum(_pss(process) for process in alive)

    def _kind(self, process: psutil.Process) -> str:
        if process.pid == self.root.pid:
            return "shell"
        if process.name().startswith("WebKit"):
            return "webkit"
        command = process.cmdline()
        for role in ("serve", "worker"):
            if role in command:
                return role
        return "other"


def _pss(process: psutil.Process) -> int:
    try:
        return getattr(process.memory_full_info(), "pss", 0)
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return 0


def _latest(samples: dict[str, list[dict]]) -> str:
    return ", ".join(
        f"{name} {rows[-1]['page_loaded_ms']:.0f} ms / {rows[-1]['peak_rss_bytes'] / 1e6:.0f} MB"
        for name, rows in samples.items()
        if rows
    )
