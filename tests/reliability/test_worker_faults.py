"""Worker faults: a worker killed mid-routine, a write lock held for longer than SQLite's
busy timeout. The worker restarts alone (Electron's exit policy), without `serve`."""

from __future__ import annotations

import sqlite3

import pytest

from tests.reliability.conftest import size
from tests.support.backend import spawn, start_routine, wait_for_latest_routine

pytestmark = pytest.mark.slow

TEST_SETTINGS = "flying_stable.settings.test"
TASKS_TABLE = "django_tasks_database_dbtaskresult"


def task_statuses(database) -> list[str]:
    with sqlite3.connect(database) as db:
        return [status for (status,) in db.execute(f"SELECT status FROM {TASKS_TABLE}")]  # noqa: S608


def test_worker_killed_mid_routine_is_reconciled_by_the_next_worker(backend, tmp_path, scoreboard):
    """D3: only the worker restarts; its start marks the abandoned task and routine failed."""
    trials = size("worker_kill_trials")
    failures = []
    for trial in range(trials):
        running = backend(
            tmp_path / f"worker-{trial}",
            DJANGO_SETTINGS_MODULE=TEST_SETTINGS,
            FLYING_STABLE_ROUTINE_SECONDS="30,40",
        ).start(with_worker=True)
        start_routine(running.url, running.token, "grooming")
        _routine, seen = wait_for_latest_routine(running.url, running.token, "running", 15)
        assert "running" in seen, seen
        running.worker.kill()  # SIGKILL: no chance to say anything
        running.worker.wait()
        running.worker.stdout.close()
        running.worker.stdin.close()
        running.worker = spawn("worker", running.env)
        routine, seen = wait_for_latest_routine(running.url, running.token, "failed", 15)
        tasks = task_statuses(running.app_data / "app.sqlite3")
        if routine["status"] != "failed" or "abandoned" not in routine["result"]:
            failures.append(f"trial {trial}: routine {routine['status']} {routine['result']!r}")
        elif tasks != ["FAILED"]:
            failures.append(f"trial {trial}: task rows {tasks}")
        running.stop()
    scoreboard("D3 worker killed mid-routine", trials, len(failures), "; ".join(failures)[:80])
    assert not failures
