"""Issue 21, F5: a stage file damaged after install. `serve`, started from a copy of the real
stage by its own interpreter, refuses to start with one `error` line naming the damaged file
and the fix, instead of printing ready and answering 500 to every page (a truncated `.pyc`)
or running code the stage never shipped (a replaced one)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from desktop_django.manifest import load
from desktop_django_testing.backend import launcher_env, new_token, read_protocol_line

from tests.reliability.test_startup_faults import assert_one_error, fingerprint, run_once

pytestmark = pytest.mark.slow

# Imported on the first page, not at start-up: damage here used to surface only as 500s.
VIEWS = "flying_stable/ponies/__pycache__/views.cpython-{tag}.pyc"


@pytest.fixture
def stage_copy(staged, tmp_path):
    copy = tmp_path / "installed" / "backend"
    shutil.copytree(staged, copy, symlinks=True)
    return copy


def serve_argv(stage) -> list[str]:
    return load(stage).launch("serve").argv


def start_and_stop(stage, app_data) -> dict:
    env = launcher_env(app_data, new_token(), stage)
    process = subprocess.Popen(
        serve_argv(stage), env=env, cwd=stage, stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        return read_protocol_line(process, timeout=60)
    finally:
        process.stdin.close()
        process.wait(20)
        process.stdout.close()


def bytecode_of_views(stage):
    site = next(stage.glob("python/lib/python3*/site-packages"))
    tag = site.parent.name.removeprefix("python").replace(".", "")
    return site / VIEWS.format(tag=f"{tag}")


def user_data(app_data) -> dict:
    """The fingerprint without the instance lock's owner record: the check runs under the
    lock (after a backend trial is counted), and a start that fails leaves the record of a
    process that is gone, which the next start takes over."""
    prints = fingerprint(app_data)
    prints.pop("app.owner.json", None)
    return prints


def log_text(app_data) -> str:
    return (app_data / "logs" / "serve.log").read_text(encoding="utf-8")


def test_damaged_bytecode_in_the_stage_is_named_at_start(stage_copy, tmp_path, scoreboard):
    app_data = tmp_path / "user data"
    first = start_and_stop(stage_copy, app_data)
    second = start_and_stop(stage_copy, app_data)
    assert first["event"] == second["event"] == "ready", (first, second)
    log = log_text(app_data)
    assert "re-hashed" in log  # the first start after install checks every file's hash
    assert "unchanged since the last check" in log  # the next one only their stat values
    before = user_data(app_data)

    pyc = bytecode_of_views(stage_copy)
    name = pyc.relative_to(stage_copy).as_posix()
    original = pyc.read_bytes()
    failures = 0
    # Truncated: what a full disk during an update or a bad copy leaves.
    pyc.write_bytes(original[: len(original) // 2])
    lines, code = run_once(serve_argv(stage_copy), launcher_env(app_data, new_token(), stage_copy))
    truncated = assert_one_error(lines, code, name, "Reinstall the app", "verify-stage")
    # Replaced (a new file renamed over it, as installers and rsync do) by other bytecode of
    # the same size, with the old modification time: only the inode, or the hash, can tell.
    times = os.stat(pyc)
    other = sorted(pyc.parent.glob("*.pyc"))[0].read_bytes()
    replacement = pyc.with_name("replacement")
    replacement.write_bytes((other + bytes(len(original)))[: len(original)])
    os.utime(replacement, ns=(times.st_atime_ns, times.st_mtime_ns))
    os.replace(replacement, pyc)
    lines, code = run_once(serve_argv(stage_copy), launcher_env(app_data, new_token(), stage_copy))
    replaced = assert_one_error(lines, code, name, "has changed since the stage was built")
    assert replaced["log"] == truncated["log"] == str(app_data / "logs" / "serve.log")
    assert "Traceback" not in log_text(app_data)
    failures += int(user_data(app_data) != before)

    pyc.write_bytes(original)  # repaired (a reinstall): it starts again
    failures += int(start_and_stop(stage_copy, app_data)["event"] != "ready")
    note = truncated["message"][:60]
    scoreboard("F5 truncated and replaced .pyc in a stage copy", 2, failures, note)
    assert failures == 0
