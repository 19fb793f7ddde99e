"""The launcher contract (docs/architecture.md), proven with real processes."""

from __future__ import annotations

import hashlib
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from desktop_django_testing.backend import (
    read_only_command,
    read_protocol_line,
    request,
    spawn,
    spawn_parent,
    start_routine,
    wait_for_latest_routine,
    wait_until_gone,
)
from desktop_django_testing.ci import only_on, require_in_ci

pytestmark = pytest.mark.slow


def ponies_in(app_data: Path) -> list[str]:
    with sqlite3.connect(app_data / "app.sqlite3") as db:
        return [row[0] for row in db.execute("SELECT name FROM ponies_pony ORDER BY name")]


def test_ready_line_then_health_only_with_token(backend):
    running = backend().start()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", running.url)
    assert running.get("/health/").json() == {"status": "ok"}
    assert request(running.url, "/health/").status == 403
    assert request(running.url, "/health/", token="f" * 64).status == 403


def test_pages_render_with_hashed_compressed_static_files(backend):
    running = backend().start()
    page = running.get("/")
    assert page.status == 200
    assert b"Clover Skydancer" in page.body  # seeded on first run
    css = re.search(rb'href="(/static/flying_stable/stable\.[0-9a-f]{12}\.css)"', page.body)
    assert css, "stylesheet link should use a hashed name"
    sheet = running.get(css.group(1).decode(), headers={"Accept-Encoding": "gzip"})
    assert sheet.status == 200
    assert sheet.headers["content-type"].startswith("text/css")
    assert sheet.headers.get("content-encoding") == "gzip"
    assert request(running.url, css.group(1).decode()).status == 403


def test_closing_stdin_stops_serve_within_two_seconds(backend):
    running = backend().start()
    running.serve.stdin.close()
    assert running.serve.wait(timeout=2) == 0
    log = (running.app_data / "logs" / "serve.log").read_text()
    assert "serve exited cleanly" in log


@only_on("linux", "darwin", reason="SIGTERM is POSIX; Windows uses CTRL_BREAK")
def test_sigterm_stops_serve_gracefully(backend):
    running = backend().start()
    running.serve.send_signal(signal.SIGTERM)
    assert running.serve.wait(timeout=2) == 0


def test_backend_and_worker_exit_when_their_parent_is_killed(backend):
    """SIGKILL gives the parent no chance to clean up: the stdin guard must do it."""
    running = backend()
    parent, pids = spawn_parent(running.env)
    try:
        assert '"event": "ready"' in parent.stdout.readline()
        time.sleep(0.3)  # let the worker get into its polling loop
        parent.kill()
        parent.wait()
        assert wait_until_gone(pids, timeout=2.0) == []
    finally:
        parent.kill()


def test_restart_on_same_app_data_and_single_owner(backend, tmp_path):
    app_data = tmp_path / "shared"
    first = backend(app_data).start()
    second = spawn("serve", first.env)
    line = read_protocol_line(second)
    assert line["event"] == "error"
    assert "another instance" in line["message"]
    assert str(app_data) in line["message"]
    assert second.wait(timeout=5) != 0
    second.stdout.close()
    first.stop()
    again = backend(app_data).start()
    assert again.get("/health/").status == 200


def test_stale_lock_from_a_killed_server_is_recovered(backend, tmp_path):
    app_data = tmp_path / "crashy"
    crashed = backend(app_data).start()
    crashed.serve.kill()
    crashed.serve.wait()
    assert (app_data / "app.lock").exists()
    assert backend(app_data).start().get("/health/").status == 200


def test_first_run_seeds_once_and_never_again(backend, tmp_path):
    app_data = tmp_path / "seeding"
    first = backend(app_data).start()
    assert len(ponies_in(app_data)) == 3
    first.stop()
    with sqlite3.connect(app_data / "app.sqlite3") as db:
        db.execute("DELETE FROM ponies_pony")
    backend(app_data).start().stop()
    assert ponies_in(app_data) == []


def test_migrations_run_only_when_needed_after_a_backup(backend, tmp_path):
    app_data = tmp_path / "upgrade"
    backend(app_data).start().stop()
    assert list((app_data / "backups").iterdir()) == []  # brand-new: nothing to back up
    backend(app_data).start().stop()
    assert list((app_data / "backups").iterdir()) == []  # nothing to migrate: no backup
    # Pretend this database predates the routines app: one migration is now pending.
    with sqlite3.connect(app_data / "app.sqlite3") as db:
        db.execute("DROP TABLE routines_routine")
        db.execute("DELETE FROM django_migrations WHERE app = 'routines'")
    backend(app_data).start().stop()
    backups = list((app_data / "backups").glob("app-0.1.0-*.sqlite3"))
    assert len(backups) == 1
    with sqlite3.connect(backups[0]) as db:
        assert db.execute("SELECT count(*) FROM ponies_pony").fetchone() == (3,)
    assert len(ponies_in(app_data)) == 3


def test_database_from_a_newer_app_version_is_refused_untouched(backend, tmp_path):
    app_data = tmp_path / "downgrade"
    backend(app_data).start().stop()
    database = app_data / "app.sqlite3"
    db = sqlite3.connect(database, isolation_level=None)
    db.execute(
        "INSERT INTO django_migrations (app, name, applied) "
        "VALUES ('ponies', '0099_from_the_future', '2030-01-01')"
    )
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    before = hashlib.sha256(database.read_bytes()).hexdigest()
    refused = spawn("serve", backend(app_data).env)
    line = read_protocol_line(refused)
    assert line["event"] == "error"
    assert "newer version" in line["message"]
    assert "ponies.0099_from_the_future" in line["message"]
    assert refused.wait(timeout=5) != 0
    refused.stdout.close()
    assert hashlib.sha256(database.read_bytes()).hexdigest() == before


def test_missing_token_is_refused_in_packaged_mode(backend):
    running = backend()
    env = {**running.env, "DESKTOP_DJANGO_AUTH_TOKEN": ""}
    process = spawn("serve", env)
    line = read_protocol_line(process)
    assert line["event"] == "error"
    assert "DESKTOP_DJANGO_AUTH_TOKEN" in line["message"]
    assert line["log"].endswith("serve.log")
    assert process.wait(timeout=5) != 0
    process.stdout.close()


def test_read_only_app_data_gives_an_error_line_naming_the_path(backend, tmp_path):
    app_data = tmp_path / "read only"
    app_data.mkdir()
    running = backend(app_data)
    try:
        command = read_only_command(
            app_data, [sys.executable, "-m", "flying_stable.desktop", "serve"]
        )
    except RuntimeError as exc:
        require_in_ci(str(exc), ("linux",))
    process = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=running.env,
    )
    line = read_protocol_line(process)
    assert line["event"] == "error", process.stderr.read()
    assert str(app_data) in line["message"]
    assert "not writable" in line["message"] or "Read-only" in line["message"]
    assert process.wait(timeout=5) != 0
    process.stdout.close()
    process.stderr.close()


def test_worker_runs_a_routine_end_to_end(backend):
    running = backend(DJANGO_SETTINGS_MODULE="flying_stable.settings.test").start(with_worker=True)
    assert start_routine(running.url, running.token, "flight").status == 302
    routine, seen = wait_for_latest_routine(running.url, running.token, "done", timeout=15)
    assert routine["status"] == "done", routine
    assert routine["result"] == "all done, happy pony"
    assert routine["duration_seconds"] >= 0.2
    assert "running" in seen or "pending" in seen


@only_on("linux", "darwin", reason="POSIX niceness; Windows gets a priority class")
def test_worker_runs_below_the_servers_priority(backend):
    """Its start-up and tasks yield the CPU to the server answering the window."""
    import os

    import psutil

    running = backend().start(with_worker=True)
    server, worker = psutil.Process(running.serve.pid), psutil.Process(running.worker.pid)
    wanted = min(os.nice(0) + 10, 19)
    # Lowered by the worker's first line, which comes after its interpreter has started.
    deadline = time.monotonic() + 15
    while worker.nice() != wanted and time.monotonic() < deadline:
        time.sleep(0.05)
    assert worker.nice() == wanted
    assert server.nice() == os.nice(0)


def test_worker_stops_when_stdin_closes(backend):
    running = backend().start(with_worker=True)
    time.sleep(0.3)
    running.worker.stdin.close()
    assert running.worker.wait(timeout=2) == 0


def test_unfinished_routines_are_reconciled_at_the_next_start(backend, tmp_path):
    app_data = tmp_path / "reconcile"
    backend(app_data).start().stop()
    with sqlite3.connect(app_data / "app.sqlite3") as db:
        db.execute(
            "INSERT INTO routines_routine (kind, status, result, task_id, created_at) "
            "VALUES ('hoof', 'running', '', '', '2026-01-01')"
        )
    running = backend(app_data).start()
    routine = running.get("/routines/status.json").json()["routines"][0]
    assert (routine["status"], routine["result"]) == ("failed", "abandoned: app restarted")


def test_serve_writes_its_start_up_milestones_in_order_when_asked(backend, tmp_path):
    """The benchmark's timeline (desktop_django/timeline.py): one JSON line per milestone on
    the shared monotonic clock, in the order start-up reaches them."""
    import json

    from desktop_django import env

    timeline = tmp_path / "timeline.jsonl"
    began = time.monotonic()
    running = backend(**{env.TIMELINE: str(timeline)}).start()
    lines = [json.loads(line) for line in timeline.read_text().splitlines()]
    assert [line["milestone"] for line in lines] == [
        "interpreter-up",
        "settings-imported",
        "apps-ready",
        "database-ready",
        "socket-bound",
        "ready-line",
    ]
    assert {(line["process"], line["pid"]) for line in lines} == {("serve", running.serve.pid)}
    times = [line["t"] for line in lines]
    assert times == sorted(times)
    assert began < times[0]
    assert times[-1] < time.monotonic()
