"""Issue 21, app-data folder faults at start: a relative or over-long path, a folder other
users may write to or own, symbolic links where the database, a log or the secret key
belong. Each is one `error` line naming the cause and the path (or one log line when the
folder is ours and is made private), and nothing the links point to is touched."""

from __future__ import annotations

import json
import os
import stat
import subprocess

import pytest
from desktop_django_testing.backend import launcher_env, new_token
from desktop_django_testing.ci import only_on, require_in_ci
from desktop_django_testing.processes import as_root

from tests.reliability.test_startup_faults import SERVE, assert_one_error, fingerprint, run_once

pytestmark = [pytest.mark.slow, only_on("linux", "darwin", reason="POSIX owners and modes")]


@pytest.fixture
def healthy_app_data(backend, tmp_path):
    app_data = tmp_path / "user data"
    backend(app_data).start().stop()
    return app_data


def test_relative_app_data_is_refused_naming_the_variable(tmp_path, stage_dir, scoreboard):
    env = launcher_env(tmp_path, new_token(), stage_dir)
    env["DESKTOP_DJANGO_APP_DATA_DIR"] = "relative/data"
    process = subprocess.Popen(
        SERVE, env=env, cwd=tmp_path, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    out = process.stdout.read().decode()
    process.stdin.close()
    process.stdout.close()
    lines = [json.loads(line) for line in out.splitlines()]
    error = assert_one_error(lines, process.wait(60), "DESKTOP_DJANGO_APP_DATA_DIR", "absolute")
    created = sorted(path.name for path in tmp_path.iterdir())
    scoreboard("F3 relative app data", 1, int(created != []), error["message"][:60])
    assert created == [], "nothing may be created relative to the working folder"


def test_over_long_app_data_is_named_as_too_long(tmp_path, stage_dir, scoreboard):
    deep = tmp_path / "/".join(["a" * 100] * 6)  # > 512 bytes: more than SQLite opens
    lines, code = run_once(SERVE, launcher_env(deep, new_token(), stage_dir))
    error = assert_one_error(lines, code, "too long", "512 bytes")
    assert "permission" not in error["message"].lower()
    scoreboard("F3 over-long app data", 1, 0, error["message"][:60])


def test_world_writable_app_data_of_ours_is_made_private(healthy_app_data, backend, scoreboard):
    os.chmod(healthy_app_data, 0o777)  # noqa: S103 - the fault under test
    running = backend(healthy_app_data).start()
    mode = stat.S_IMODE(healthy_app_data.stat().st_mode)
    log = (healthy_app_data / "logs" / "serve.log").read_text()
    noted = log.count("was writable by other users (mode 0777)")
    scoreboard("F3 0777 app data (ours)", 1, int(mode != 0o700 or noted != 1), f"now {mode:04o}")
    assert mode == 0o700
    assert noted == 1
    assert running.get("/health/").status == 200


def test_app_data_owned_by_another_user_is_refused(healthy_app_data, stage_dir, scoreboard):
    root = as_root()
    if root is None:
        require_in_ci(
            "needs root or passwordless sudo to give a folder to another user", ("linux",)
        )
    before = fingerprint(healthy_app_data)
    owner = f"{os.getuid()}:{os.getgid()}"
    subprocess.run([*root, "chown", "4321:4321", str(healthy_app_data)], check=True)
    try:
        lines, code = run_once(SERVE, launcher_env(healthy_app_data, new_token(), stage_dir))
    finally:
        subprocess.run([*root, "chown", owner, str(healthy_app_data)], check=True)
    error = assert_one_error(lines, code, str(healthy_app_data), "another user", "uid 4321")
    assert fingerprint(healthy_app_data) == before
    scoreboard("F3 foreign-owned app data", 1, 0, error["message"][:60])


@pytest.mark.parametrize("name", ["app.sqlite3", "app.sqlite3-wal", "logs/serve.log", "secret_key"])
def test_a_symbolic_link_in_app_data_is_refused(healthy_app_data, tmp_path, stage_dir, name,
                                                scoreboard):  # fmt: skip
    """The link points at a file of the user's (or another app's database): it must be
    neither written nor read, and the real files stay as they were."""
    link = healthy_app_data / name
    elsewhere = tmp_path / "someone else's file"
    if link.exists():
        link.rename(elsewhere)  # the real file moves away; the link points at it
    else:
        elsewhere.write_bytes(b"")
    link.symlink_to(elsewhere)
    before = elsewhere.read_bytes()
    lines, code = run_once(SERVE, launcher_env(healthy_app_data, new_token(), stage_dir))
    error = assert_one_error(lines, code, str(link), "symbolic link")
    unchanged = elsewhere.read_bytes() == before
    scoreboard(f"F7 symlinked {name}", 1, int(not unchanged), error["message"][:60])
    assert unchanged


def test_a_secret_key_others_can_read_is_refused(healthy_app_data, stage_dir, scoreboard):
    key = healthy_app_data / "secret_key"
    os.chmod(key, 0o644)
    lines, code = run_once(SERVE, launcher_env(healthy_app_data, new_token(), stage_dir))
    error = assert_one_error(lines, code, str(key), "mode 0644", "chmod 600")
    scoreboard("F7 secret key mode 0644", 1, 0, error["message"][:60])
