"""Scenario 5: start-up faults. Each gives exactly one `error` line naming the cause and the
path, a non-zero exit, and leaves existing user data as it was (a damaged database is moved
aside and kept, never deleted)."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from desktop_django_testing.backend import launcher_env, new_token, read_only_command
from desktop_django_testing.ci import require_in_ci
from desktop_django_testing.namespaces import in_mount_namespace

pytestmark = pytest.mark.slow

SERVE = [sys.executable, "-m", "flying_stable.desktop", "serve"]
VECTORS = Path(__file__).resolve().parents[1] / "stage" / "vectors"


def run_once(command: list[str], env: dict) -> tuple[list[dict], int]:
    """All stdout lines (parsed) and the exit code of one start attempt. Like a shell, keep
    stdin open while the process runs (closing it means "stop")."""
    process = subprocess.Popen(
        command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    out = process.stdout.read()  # until the process exits (a fault) or ... never (ready)
    process.stdin.close()
    process.stdout.close()
    code = process.wait(timeout=60)
    lines = [json.loads(line) for line in out.decode().splitlines() if line.strip()]
    return lines, code


def fingerprint(folder: Path) -> dict[str, str]:
    """User data, compared by meaning: every row of the database (a WAL checkpoint changes
    bytes, not data) and the bytes of every other file. Logs are not user data."""
    prints = {}
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if not path.is_file() or "logs" in path.relative_to(folder).parts:
            continue
        if name.endswith(("-wal", "-shm")):
            continue  # part of the database, read through it below
        if name == "app.sqlite3":
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
                dump = "\n".join(db.iterdump())
            prints[name] = hashlib.sha256(dump.encode()).hexdigest()
        else:
            prints[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return prints


@pytest.fixture
def existing_app_data(backend, tmp_path) -> Path:
    """App data with a real database that a previous, healthy run left behind."""
    app_data = tmp_path / "user data"
    backend(app_data).start().stop()
    return app_data


def assert_one_error(lines: list[dict], code: int, *needles: str) -> dict:
    assert len(lines) == 1, lines
    assert lines[0]["event"] == "error", lines
    assert code != 0
    for needle in needles:
        assert needle in lines[0]["message"], (needle, lines[0]["message"])
    return lines[0]


def test_read_only_app_data(existing_app_data, stage_dir, scoreboard):
    before = fingerprint(existing_app_data)
    env = launcher_env(existing_app_data, new_token(), stage_dir)
    # Read-only everywhere except the logs folder would still count as user data untouched.
    try:
        command = read_only_command(existing_app_data, SERVE)
    except RuntimeError as exc:
        require_in_ci(str(exc), ("linux",))
    lines, code = run_once(command, env)
    assert_one_error(lines, code, str(existing_app_data))
    assert fingerprint(existing_app_data) == before
    scoreboard("5 fault: read-only app data", 1, 0, lines[0]["message"][:60])


def test_missing_app_data_setting(stage_dir, tmp_path, scoreboard):
    env = launcher_env(tmp_path / "unused", new_token(), stage_dir)
    del env["DESKTOP_DJANGO_APP_DATA_DIR"]
    lines, code = run_once(SERVE, env)
    assert_one_error(lines, code, "DESKTOP_DJANGO_APP_DATA_DIR")
    scoreboard("5 fault: app data not given", 1, 0, lines[0]["message"][:60])


def test_missing_app_data_folder_is_created(stage_dir, tmp_path, scoreboard):
    """A folder that does not exist yet is not a fault: first start creates it."""
    app_data = tmp_path / "not" / "there" / "yet"
    process = subprocess.Popen(
        SERVE, env=launcher_env(app_data, new_token(), stage_dir),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )  # fmt: skip
    line = json.loads(process.stdout.readline())
    process.stdin.close()
    process.wait(timeout=10)
    process.stdout.close()
    assert line["event"] == "ready"
    assert (app_data / "app.sqlite3").is_file()
    scoreboard("5 fault: app data folder missing", 1, 0, "created on first start")


def test_full_filesystem(stage_dir, tmp_path, scoreboard):
    app_data = tmp_path / "tiny"
    app_data.mkdir()
    # Fill a 256 KiB tmpfs first, then try to start on it.
    script = (
        'mount -t tmpfs -o size=256k tmpfs "$0" && '
        'head -c 400000 /dev/zero > "$0/filler" 2>/dev/null; exec "$@"'
    )
    command = in_mount_namespace(script, str(app_data), *SERVE)
    if command is None:
        require_in_ci(
            "a small tmpfs needs a private mount namespace (Linux, root or user ns)", ("linux",)
        )
    lines, code = run_once(command, launcher_env(app_data, new_token(), stage_dir))
    error = assert_one_error(lines, code, str(app_data))
    assert "No space left" in error["message"] or "full" in error["message"], error
    scoreboard("5 fault: full filesystem", 1, 0, error["message"][:60])


def test_damaged_database_is_moved_aside_and_kept(existing_app_data, stage_dir, scoreboard):
    database = existing_app_data / "app.sqlite3"
    for companion in ("app.sqlite3-wal", "app.sqlite3-shm"):
        (existing_app_data / companion).unlink(missing_ok=True)
    garbage = os.urandom(64 * 1024)
    database.write_bytes(garbage)
    env = launcher_env(existing_app_data, new_token(), stage_dir)
    lines, code = run_once(SERVE, env)
    error = assert_one_error(lines, code, str(database), "damaged", "moved aside")
    kept = list(existing_app_data.glob("app.sqlite3.damaged-*"))
    assert [p.read_bytes() == garbage for p in kept] == [True]
    # The next start begins with a fresh database; the damaged one stays where it was put.
    process = subprocess.Popen(SERVE, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert json.loads(process.stdout.readline())["event"] == "ready"
    process.stdin.close()
    process.wait(timeout=10)
    process.stdout.close()
    assert kept[0].read_bytes() == garbage
    scoreboard("5 fault: damaged database", 1, 0, error["message"][:60])


def test_port_refused(existing_app_data, stage_dir, scoreboard):
    before = fingerprint(existing_app_data)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = launcher_env(existing_app_data, new_token(), stage_dir)
        lines, code = run_once([*SERVE, "--port", str(port)], env)
    assert_one_error(lines, code, f"127.0.0.1:{port}")
    assert fingerprint(existing_app_data) == before
    scoreboard("5 fault: port refused", 1, 0, lines[0]["message"][:60])


def check_stage(stage: Path) -> tuple[list[dict], int]:
    return run_once([sys.executable, "-m", "desktop_django.manifest", str(stage)], dict(os.environ))


def test_corrupt_manifest_is_named(tmp_path, scoreboard):
    stage = tmp_path / "stage"
    stage.mkdir()
    (stage / "runtime-manifest.json").write_bytes(b'{"schemaVersion": 2, "app": ')
    lines, code = check_stage(stage)
    error = assert_one_error(lines, code, "runtime-manifest.json", "not valid JSON")
    (stage / "runtime-manifest.json").write_text(
        (VECTORS / "invalid" / "launcher-serve-empty.json").read_text()
    )
    lines, code = check_stage(stage)
    assert_one_error(lines, code, "runtime-manifest.json")
    scoreboard("5 fault: corrupt manifest", 2, 0, error["message"][:60])


def test_missing_interpreter_is_named(tmp_path, scoreboard):
    from desktop_django.manifest import current_platform

    stage = tmp_path / "stage"
    stage.mkdir()
    manifest = json.loads((VECTORS / "valid" / "minimal-linux.json").read_text())
    manifest["python"]["platform"] = current_platform()
    (stage / "runtime-manifest.json").write_text(json.dumps(manifest))
    lines, code = check_stage(stage)
    error = assert_one_error(lines, code, "python.executable", str(stage / "python"))
    scoreboard("5 fault: missing interpreter", 1, 0, error["message"][:60])
