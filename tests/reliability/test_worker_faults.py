"""Worker faults: a worker killed mid-routine, a write lock held for longer than SQLite's
busy timeout. The worker restarts alone (Electron's exit policy), without `serve`."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from desktop_django_testing.backend import spawn, start_routine, wait_for_latest_routine

from tests.reliability.conftest import size
from tests.reliability.http_client import Client

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


LOCK_HOLD_SECONDS = 25  # longer than SQLite's 20 s busy timeout in the packaged settings


def test_write_lock_held_past_the_busy_timeout(backend, tmp_path, scoreboard):
    """D5 and H9: another process holds the write lock for 25 s. The idle worker waits it out
    and says so in its log; a request that needs to write gets a 503 that says the database
    is busy, not a 500; afterwards both work normally."""
    running = backend(tmp_path / "held-lock", DJANGO_SETTINGS_MODULE=TEST_SETTINGS).start(
        with_worker=True
    )
    worker_log = running.app_data / "logs" / "worker.log"
    deadline = time.monotonic() + 15
    while "worker started" not in (worker_log.read_text() if worker_log.exists() else ""):
        assert time.monotonic() < deadline, "the worker did not start"
        time.sleep(0.1)
    holder = sqlite3.connect(running.app_data / "app.sqlite3", timeout=5)
    holder.execute("BEGIN IMMEDIATE")
    held_since = time.monotonic()
    blocked = {}

    client = Client(running.url, running.token)  # waits 30 s for an answer
    client.prepare_csrf()

    def write_while_locked() -> None:
        status, body, _headers = client.request(
            "POST",
            "/routines/start/",
            f"kind=feeding&csrfmiddlewaretoken={client.csrf_form.decode()}".encode(),
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={client.csrf_cookie}",
            },
        )
        blocked.update(status=status, body=body, seconds=time.monotonic() - held_since)

    writer = threading.Thread(target=write_while_locked)
    writer.start()
    time.sleep(LOCK_HOLD_SECONDS)
    holder.rollback()
    holder.close()
    writer.join()
    client.close()
    worker_alive = running.worker.poll() is None
    waited = "stayed locked" in worker_log.read_text()
    reply = start_routine(running.url, running.token, "grooming")
    routine, _seen = wait_for_latest_routine(running.url, running.token, "done", 15)
    problems = {
        "worker died": not worker_alive,
        "worker log silent": not waited,
        f"blocked write got {blocked.get('status')}": blocked.get("status") != 503,
        "503 did not say the database is busy": b"database is busy" not in blocked.get("body", b""),
        "no routine after the lock": reply.status != 302 or routine["status"] != "done",
    }
    failed = [name for name, bad in problems.items() if bad]
    note = "; ".join([f"503 after {blocked.get('seconds', 0):.0f} s", *failed])
    scoreboard("D5/H9 write lock held 25 s", 1, int(bool(failed)), note[:80])
    assert not failed
