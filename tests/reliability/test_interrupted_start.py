"""D2: a first start killed part-way (some migrations committed, none of the seeding done)
is still a first start: the next one finishes migrating and seeds, exactly once."""

from __future__ import annotations

import sqlite3
import time

import pytest
from desktop_django_testing.backend import spawn

from tests.reliability.conftest import size

pytestmark = pytest.mark.slow


def committed_migrations(database) -> int:
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=0.05) as db:
            return db.execute("SELECT count(*) FROM django_migrations").fetchone()[0]
    except sqlite3.Error:
        return 0  # no file or no table yet


def kill_after_some_migrations(process, database, deadline: float) -> int:
    """SIGKILL `process` as soon as at least one migration is committed; returns how many
    were (all of them when the start was too quick to catch)."""
    while time.monotonic() < deadline and process.poll() is None:
        count = committed_migrations(database)
        if count:
            process.kill()
            process.wait()
            return committed_migrations(database)
    raise AssertionError("serve neither migrated nor exited in time")


def starter_ponies(database) -> list[str]:
    with sqlite3.connect(database) as db:
        return sorted(name for (name,) in db.execute("SELECT name FROM ponies_pony"))


def test_first_start_killed_mid_migration_still_seeds_once(backend, tmp_path, scoreboard):
    trials = size("interrupted_start_trials")
    failures, caught_mid_way = [], 0
    for trial in range(trials):
        running = backend(tmp_path / f"first-{trial}")
        database = running.app_data / "app.sqlite3"
        first = spawn("serve", running.env)
        committed = kill_after_some_migrations(first, database, time.monotonic() + 30)
        first.stdout.close()
        first.stdin.close()
        running.start()  # the second start: must finish what the first began
        ponies = starter_ponies(database)
        running.stop()
        total = committed_migrations(database)
        caught_mid_way += committed < total
        backups = sorted(p.name for p in (running.app_data / "backups").iterdir())
        # A third start is an ordinary one: nothing seeded again.
        backend(running.app_data).start().stop()
        problems = [
            f"second start left ponies {ponies}" if len(set(ponies)) != 3 else "",
            f"backed up an unfinished first start: {backups}" if backups else "",
            "seeded again on the third start" if starter_ponies(database) != ponies else "",
        ]
        if any(problems):
            reasons = ", ".join(filter(None, problems))
            failures.append(f"trial {trial} (killed at {committed}/{total}): {reasons}")
    note = "; ".join([f"{caught_mid_way} killed mid-migration", *failures])
    scoreboard("D2 first start killed mid-migration", trials, len(failures), note[:80])
    assert not failures
    assert caught_mid_way, "no trial stopped the first migration part-way: the test proved nothing"
