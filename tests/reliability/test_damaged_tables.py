"""D4: damage inside an ordinary table (not the file header) is found at start by SQLite's
quick_check, or by the first request that reads it while the app runs. Either way the file
is moved aside and kept, exactly as found, with one message naming it, and nothing more is
written into it; the next start begins fresh."""

from __future__ import annotations

import hashlib
import json
import sqlite3

import pytest
from desktop_django_testing.backend import launcher_env, new_token, spawn

pytestmark = pytest.mark.slow

GARBAGE = bytes(range(256)) * 64  # 16 KiB: longer than any page, never a valid b-tree page


def damage_table(database, table: str) -> None:
    """Overwrite the root page of `table`, after folding the WAL into the file (so the page
    on disk is the one every connection reads)."""
    with sqlite3.connect(database) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        root = db.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()
    with open(database, "r+b") as handle:
        handle.seek((root[0] - 1) * page_size)
        handle.write(GARBAGE[:page_size])


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def start_once(env) -> tuple[dict, int]:
    process = spawn("serve", env)
    line = json.loads(process.stdout.readline())
    process.stdin.close()
    code = process.wait(timeout=30)
    process.stdout.close()
    return line, code


def starter_ponies(database) -> int:
    with sqlite3.connect(database) as db:
        return db.execute("SELECT count(*) FROM ponies_pony").fetchone()[0]


@pytest.mark.parametrize("table", ["routines_routine", "ponies_pony"])
def test_damaged_table_found_at_start_is_moved_aside_as_found(
    backend, stage_dir, tmp_path, table, scoreboard
):
    app_data = tmp_path / "user data"
    backend(app_data).start().stop()
    database = app_data / "app.sqlite3"
    damage_table(database, table)
    damaged = digest(database)
    env = launcher_env(app_data, new_token(), stage_dir)
    line, code = start_once(env)
    kept = sorted(app_data.glob("app.sqlite3.damaged-*"))
    # app.sqlite3.damaged-<UTC stamp>Z, beside its -wal, -shm and -damage companions
    kept_databases = [path for path in kept if path.name.endswith("Z")]
    problems = []
    if line["event"] != "error" or code == 0:
        problems.append(f"started anyway: {line}")
    elif str(database) not in line["message"] or "moved aside" not in line["message"]:
        problems.append(f"message: {line['message']}")
    if [digest(path) for path in kept_databases] != [damaged]:
        problems.append(f"kept files: {[p.name for p in kept]}")
    again = backend(app_data).start()  # fresh database, seeded as on a first start
    ponies = starter_ponies(database)
    again.stop()
    if ponies != 3:
        problems.append(f"fresh start has {ponies} ponies")
    scoreboard(f"D4 damaged {table} at start", 1, int(bool(problems)), "; ".join(problems)[:80])
    assert not problems


def test_damage_found_by_a_request_stops_writes_and_is_moved_aside_next_start(
    backend, tmp_path, scoreboard
):
    running = backend(tmp_path / "running").start()
    database = running.app_data / "app.sqlite3"
    assert running.get("/").status == 200
    damage_table(database, "ponies_pony")
    first = running.get("/")
    later = running.get("/routines/status.json")  # a table that is not damaged
    damaged = digest(database)
    running.stop()
    unchanged_at_stop = digest(database) == damaged
    line, code = start_once(running.env)
    problems = []
    if first.status != 503 or b"damaged" not in first.body:
        problems.append(f"first request: {first.status}")
    if later.status != 503:
        problems.append(f"later request: {later.status} (the server kept using the file)")
    if not unchanged_at_stop:
        problems.append("the damaged file changed at stop")
    if line["event"] != "error" or code == 0 or str(database) not in line["message"]:
        problems.append(f"next start: {line}")
    fresh = backend(running.app_data).start()
    healthy = fresh.get("/").status == 200
    fresh.stop()
    if not healthy:
        problems.append("the start after that is not healthy")
    scoreboard("D4 damage found by a request", 1, int(bool(problems)), "; ".join(problems)[:80])
    assert not problems
