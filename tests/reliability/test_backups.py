"""Issue 21, backups before a migration: one killed mid-copy leaves partial files that the
next start removes (and counts); rotation goes by the time in the backup's name, so backups
with modification times in the future never push out the one just made."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import time
from datetime import UTC, datetime

import pytest
from desktop_django_testing.backend import read_protocol_line, spawn

from tests.reliability.conftest import size

pytestmark = pytest.mark.slow


def ask_for_a_migration(database) -> None:
    """Undo the routines app's migration: the next start has a plan, so it backs up first."""
    with sqlite3.connect(database) as db:
        db.execute("DROP TABLE routines_routine")
        db.execute("DELETE FROM django_migrations WHERE app = 'routines'")


def rows(database) -> tuple[str, int, int]:
    with sqlite3.connect(database) as db:
        return (
            db.execute("PRAGMA integrity_check").fetchone()[0],
            db.execute("SELECT count(*) FROM ponies_pony").fetchone()[0],
            db.execute("SELECT count(*) FROM ballast").fetchone()[0],
        )


def test_a_backup_killed_mid_copy_is_cleaned_up_at_the_next_start(backend, tmp_path, scoreboard):
    trials, megabytes = size("backup_kill_trials"), size("backup_kill_megabytes")
    app_data = tmp_path / "big"
    running = backend(app_data)
    running.start().stop()
    database = app_data / "app.sqlite3"
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE ballast (data BLOB)")
        db.executemany("INSERT INTO ballast VALUES (randomblob(1000000))", [()] * megabytes)
    ask_for_a_migration(database)
    backups = app_data / "backups"
    missed = []
    for trial in range(trials):
        serve = spawn("serve", running.env)
        deadline = time.monotonic() + 60
        # Mid-copy: a quarter of the database is in the partial file.
        while sum(path.stat().st_size for path in backups.glob("*.partial")) < megabytes * 250_000:
            if serve.poll() is not None or time.monotonic() > deadline:
                break
            time.sleep(0.005)
        serve.send_signal(signal.SIGKILL)
        serve.wait()
        serve.stdin.close()
        serve.stdout.close()
        if not list(backups.glob("*.partial")):
            missed.append(f"trial {trial}: no partial backup killed")
    leftover_bytes = sum(path.stat().st_size for path in backups.glob("*.partial*"))
    serve = spawn("serve", running.env)
    line = read_protocol_line(serve, timeout=120)
    serve.stdin.close()
    serve.wait(timeout=30)
    serve.stdout.close()
    log = (app_data / "logs" / "serve.log").read_text()
    names = sorted(path.name for path in backups.iterdir())
    complete = [name for name in names if name.endswith(".sqlite3")]
    problems = {
        f"not ready: {line}": line["event"] != "ready",
        f"left in backups: {names}": len(complete) != 1 or len(names) != 1,
        "no removal counted": "of backups that were interrupted before they finished" not in log,
        f"rows {rows(database)}": rows(database) != ("ok", 3, megabytes),
        f"backup rows {rows(backups / complete[0]) if complete else None}": not complete
        or rows(backups / complete[0]) != ("ok", 3, megabytes),
    }
    failed = missed + [name for name, bad in problems.items() if bad]
    note = f"{leftover_bytes / 1e6:.0f} MB of partial files removed; {'; '.join(failed)}"
    scoreboard("F2 kill -9 during a backup", trials, len(failed), note[:80])
    assert not failed


def test_backups_with_future_mtimes_never_push_out_the_new_one(backend, tmp_path, scoreboard):
    app_data = tmp_path / "clock"
    running = backend(app_data)
    running.start().stop()
    database = app_data / "app.sqlite3"
    backups = app_data / "backups"
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE ballast (data BLOB)")
    older = [f"app-0.0.9-2026010{day}T120000000000Z.sqlite3" for day in (1, 2, 3)]
    future = datetime(2035, 1, 1, tzinfo=UTC).timestamp()
    for name in older:
        shutil.copy(database, backups / name)
        os.utime(backups / name, (future, future))  # a clock that was wrong once
    ask_for_a_migration(database)
    running.start().stop()
    names = sorted(path.name for path in backups.iterdir())
    made = [name for name in names if name.startswith("app-0.1.0-")]
    problems = {
        f"the new backup is gone: {names}": len(made) != 1,
        f"kept {names}": names != sorted([*older[1:], *made]),
        "the new backup is not the database": not made or rows(backups / made[0])[:2] != ("ok", 3),
        f"rows {rows(database)}": rows(database)[:2] != ("ok", 3),
    }
    failed = [name for name, bad in problems.items() if bad]
    scoreboard("F2 backups with future mtimes", 1, len(failed), "; ".join(failed)[:80])
    assert not failed
