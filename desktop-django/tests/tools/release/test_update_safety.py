"""Users never lose data in an update: two real staged versions over one app-data folder.

Version A is the stage as built. Version B is a copy of it with one more migration (a new
table filled by a data migration from the ponies A's users created) and a higher
`__version__`, compiled the way the stage compiles. Both start exactly as a shell starts
them: the manifest's `launcher.serve` argv and the launcher contract's environment.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import urlencode

import pytest
from desktop_django.manifest import load
from desktop_django_testing.backend import launcher_env, new_token, read_protocol_line, request
from desktop_django_testing.stage import next_version_of

pytestmark = pytest.mark.slow


class Shell:
    """Starts `serve` from a stage the way every shell does, on one app-data folder."""

    def __init__(self, stage: Path, app_data: Path):
        self.stage = stage
        self.app_data = app_data
        self.token = new_token()
        self.process: subprocess.Popen | None = None

    def start(self) -> dict:
        manifest = load(self.stage)
        self.process = subprocess.Popen(
            manifest.launch("serve").argv,
            cwd=self.stage,
            env=launcher_env(self.app_data, self.token, self.stage),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        return read_protocol_line(self.process, timeout=60)

    def stop(self) -> int:
        """Close stdin, as a quitting shell does, and return the exit status."""
        assert self.process is not None
        self.process.stdin.close()
        return self.exit_status()

    def exit_status(self) -> int:
        """Wait for the process to end on its own (after an error line it must)."""
        assert self.process is not None
        code = self.process.wait(timeout=15)
        if not self.process.stdin.closed:
            self.process.stdin.close()
        self.process.stdout.close()
        return code


def add_pony(url: str, token: str, name: str) -> None:
    """Through the app's own form, CSRF included, as a user would."""
    form = request(url, "/ponies/new/", token=token)
    cookie = re.search(r"csrftoken=([^;]+)", form.headers["set-cookie"]).group(1)
    csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', form.body).group(1)
    body = urlencode(
        {
            "name": name,
            "status": "grazing",
            "personality_notes": "Created before the update.",
            "csrfmiddlewaretoken": csrf.decode(),
        }
    ).encode()
    reply = request(
        url,
        "/ponies/new/",
        token=token,
        method="POST",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookie}",
        },
    )
    assert reply.status == 302, reply.body[:500]


def rows(database: Path, sql: str) -> list[tuple]:
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def settle(database: Path) -> str:
    """Fold the WAL into the main file, then hash it: the bytes on disk are the data."""
    connection = sqlite3.connect(database, isolation_level=None)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    return hashlib.sha256(database.read_bytes()).hexdigest()


def test_update_keeps_every_row_backs_up_first_and_downgrade_is_refused(staged, tmp_path):
    stage_a = staged
    version_a = load(stage_a).app_version
    stage_b = tmp_path / "version-b" / "backend"
    version_b = next_version_of(stage_a, stage_b)
    app_data = tmp_path / "app data"
    database = app_data / "app.sqlite3"

    # Version A: first start seeds the starter roster; the user adds a pony of their own.
    shell_a = Shell(stage_a, app_data)
    ready = shell_a.start()
    assert ready["event"] == "ready", ready
    add_pony(ready["url"], shell_a.token, "Nimbus Before-Update")
    assert shell_a.stop() == 0
    ponies_before = rows(database, "SELECT id, name, personality_notes FROM ponies_pony")
    assert len(ponies_before) == 4
    assert list((app_data / "backups").glob("*.sqlite3")) == []

    # Version B on the same app data: backs up, migrates (schema + data), keeps every row.
    shell_b = Shell(stage_b, app_data)
    ready = shell_b.start()
    assert ready["event"] == "ready", ready
    page = request(ready["url"], "/", token=shell_b.token)
    assert page.status == 200
    for _id, name, _notes in ponies_before:
        assert name.encode() in page.body, name
    assert shell_b.stop() == 0

    assert rows(database, "SELECT id, name, personality_notes FROM ponies_pony") == ponies_before
    arrivals = rows(database, "SELECT pony_name FROM ponies_arrival ORDER BY id")
    assert [name for (name,) in arrivals] == [name for _id, name, _notes in ponies_before]
    assert ("ponies", "0002_arrival") in rows(database, "SELECT app, name FROM django_migrations")
    backups = sorted((app_data / "backups").glob("*.sqlite3"))
    assert [b.name.startswith(f"app-{version_a}-") for b in backups] == [True], backups
    assert rows(backups[0], "SELECT id, name, personality_notes FROM ponies_pony") == (
        ponies_before
    )
    assert rows(backups[0], "SELECT name FROM sqlite_master WHERE name = 'ponies_arrival'") == []
    assert version_b in (app_data / "app-version.json").read_text(encoding="utf-8")

    # Version A again (a downgrade): refused with a clear message, nothing touched.
    fingerprint = settle(database)
    version_record = (app_data / "app-version.json").read_bytes()
    shell_a_again = Shell(stage_a, app_data)
    refusal = shell_a_again.start()
    assert refusal["event"] == "error", refusal
    assert "newer version" in refusal["message"]
    assert "ponies.0002_arrival" in refusal["message"]
    assert shell_a_again.exit_status() != 0
    assert settle(database) == fingerprint
    assert (app_data / "app-version.json").read_bytes() == version_record
    assert sorted((app_data / "backups").glob("*.sqlite3")) == backups
