"""Reliability suite: a quick profile inside `nox -s tests`, the full one in `nox -s reliability`.

A scenario's test records what it measured (scenario, trials, failures, note) with the
`scoreboard` fixture, before asserting; the row that reaches the table is then settled by the
test's real outcome (see `pytest_runtest_makereport`): a failed test shows at least one
failure (with its error when it failed before recording anything), a skipped one shows as
skipped with its reason, never as "0 failures".
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
    "wrong_token_requests": (6000, 6000),
    "backup_kill_trials": (2, 4),
    "backup_kill_megabytes": (100, 300),
    "backend_update_kill_trials": (6, 50),
}


def size(name: str) -> int:
    quick, full = _SIZES[name]
    return full if PROFILE == "full" else quick


@dataclass
class Row:
    scenario: str
    trials: int
    failures: int | str
    note: str = ""


SCOREBOARD: list[Row] = []


@pytest.fixture
def scoreboard(request):
    """`record(scenario, trials, failures, note)`: a row, settled when the test ends."""
    rows: list[Row] = []
    request.node.scoreboard_rows = rows

    def record(scenario: str, trials: int, failures: int, note: str = "") -> Row:
        rows.append(Row(scenario, trials, failures, note))
        return rows[-1]  # a test counting as it goes updates the row in place

    return record


def _settle(item, report) -> None:
    """Put the test's rows on the table, corrected by how the test really ended."""
    rows = getattr(item, "scoreboard_rows", None)
    if rows is None:
        return
    del item.scoreboard_rows
    reason = _short(report)
    if not rows:
        rows.append(Row(item.name, 0 if report.skipped else 1, 0))
    for row in rows:
        if report.skipped:
            row.failures, row.note = "skipped", reason
        elif report.failed:
            row.failures = max(int(row.failures), 1)
            row.note = f"FAILED: {reason}"
        SCOREBOARD.append(row)


def _short(report) -> str:
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")[:70]
    text = getattr(report, "longreprtext", "") or ""
    errors = [line for line in text.splitlines() if line.startswith("E ")]
    return (errors[0][1:].strip() if errors else text.strip().splitlines()[-1:] or [""])[0][:70]


def pytest_terminal_summary(terminalreporter):
    if not SCOREBOARD:
        return
    terminalreporter.section(f"reliability ({PROFILE} profile)")
    width = max(len(row.scenario) for row in SCOREBOARD)
    terminalreporter.write_line(f"{'scenario':<{width}}  trials  failures  note")
    for row in SCOREBOARD:
        terminalreporter.write_line(
            f"{row.scenario:<{width}}  {row.trials:>6}  {row.failures!s:>8}  {row.note}"
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item (fixtures can see whether it failed), and
    settle the test's scoreboard rows from its outcome: after the call, or at setup when it
    was skipped or broke before running."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    if report.when == "call" or (report.when == "setup" and not report.passed):
        _settle(item, report)
    return report
