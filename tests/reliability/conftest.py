"""Reliability suite: a quick profile inside `nox -s tests`, the full one in `nox -s reliability`.

Every scenario records (scenario, trials, failures, note) on the scoreboard; the table is
printed at the end of the run, and each scenario's test fails if any of its trials failed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

PROFILE = os.environ.get("RELIABILITY_PROFILE", "quick")

# (quick, full): trial counts and durations. Full is what the issue asks for.
_SIZES = {
    "orphan_trials": (4, 20),
    "crash_trials": (3, 20),
    "concurrency_seconds": (8, 60),
    "load_seconds": (8, 60),
    "restart_cycles": (10, 50),
    "bad_input_examples": (200, 1000),
    "race_trials": (20, 100),
    "interrupted_start_trials": (3, 10),
    "worker_kill_trials": (2, 5),
}


def size(name: str) -> int:
    quick, full = _SIZES[name]
    return full if PROFILE == "full" else quick


@dataclass
class Row:
    scenario: str
    trials: int
    failures: int
    note: str = ""


SCOREBOARD: list[Row] = []


@pytest.fixture
def scoreboard():
    def record(scenario: str, trials: int, failures: int, note: str = "") -> None:
        SCOREBOARD.append(Row(scenario, trials, failures, note))

    return record


def pytest_terminal_summary(terminalreporter):
    if not SCOREBOARD:
        return
    terminalreporter.section(f"reliability ({PROFILE} profile)")
    width = max(len(row.scenario) for row in SCOREBOARD)
    terminalreporter.write_line(f"{'scenario':<{width}}  trials  failures  note")
    for row in SCOREBOARD:
        terminalreporter.write_line(
            f"{row.scenario:<{width}}  {row.trials:>6}  {row.failures:>8}  {row.note}"
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can see whether it failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
