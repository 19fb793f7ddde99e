"""D6: every start-up error names the file it is about, with a next step. Run as a user
whose app data holds a healthy database from an earlier run."""

from __future__ import annotations

import pytest
from desktop_django_testing.backend import launcher_env, new_token
from desktop_django_testing.ci import require_in_ci
from desktop_django_testing.namespaces import in_mount_namespace

from tests.reliability.test_startup_faults import SERVE, assert_one_error, fingerprint, run_once

pytestmark = pytest.mark.slow


@pytest.fixture
def healthy_app_data(backend, tmp_path):
    app_data = tmp_path / "user data"
    backend(app_data).start().stop()
    return app_data


def run_in_namespace(script: str, app_data, *extra: str) -> list[str]:
    command = in_mount_namespace(script, str(app_data), *extra, *SERVE)
    if command is None:
        require_in_ci(
            "needs a private mount namespace (Linux, root or user namespaces)", ("linux",)
        )
    return command


def test_read_only_database_file_in_a_writable_folder(healthy_app_data, stage_dir, scoreboard):
    database = healthy_app_data / "app.sqlite3"
    before = fingerprint(healthy_app_data)
    script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"'
    command = run_in_namespace(script, healthy_app_data, str(database))
    # sh -c SCRIPT $0 $1 ...: $0 is the folder, $1 the database file
    lines, code = run_once(command, launcher_env(healthy_app_data, new_token(), stage_dir))
    error = assert_one_error(lines, code, str(database), "read-only")
    assert fingerprint(healthy_app_data) == before
    scoreboard("D6 read-only database file", 1, 0, error["message"][:60])


def test_full_disk_with_a_healthy_database(healthy_app_data, tmp_path, stage_dir, scoreboard):
    """The disk fills up between two runs: the database is fine, but SQLite cannot create
    its -wal and -shm files, and app.owner.json cannot be written."""
    saved = tmp_path / "saved"
    saved.mkdir()
    script = (
        'cp -a "$0"/. "$1"/ && mount -t tmpfs -o size=1m tmpfs "$0" && cp -a "$1"/. "$0"/ && '
        'head -c 2000000 /dev/zero > "$0/filler" 2>/dev/null; shift; exec "$@"'
    )
    command = run_in_namespace(script, healthy_app_data, str(saved))
    lines, code = run_once(command, launcher_env(healthy_app_data, new_token(), stage_dir))
    error = assert_one_error(lines, code, str(healthy_app_data / "app.sqlite3"), "disk is full")
    scoreboard("D6 full disk, healthy database", 1, 0, error["message"][:60])
