"""The instance lock (desktop_django.instance_lock) with real processes holding it: one holder
per app data folder, a crashed holder's lock taken again, and a stale backend stopped only
when every part of its record proves it is that very process with its shell gone.

The reliability suite keeps the whole-app cases (two launches, a shell killed under load)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from desktop_django import instance_lock
from desktop_django.instance_lock import InstanceLock, InstanceLockedError

# A holder in its own process: takes the lock, says so, and holds it until stdin closes.
HOLDER = """
import sys
from pathlib import Path
from desktop_django.instance_lock import InstanceLock
lock = InstanceLock(Path(sys.argv[1]), holder="server", shell_child=True).acquire()
lock.record_owner(url="http://127.0.0.1:1/")
print("locked", flush=True)
sys.stdin.read()
lock.release()
"""


@pytest.fixture
def holder(tmp_path: Path):
    """Start a process holding tmp_path/app.lock; yields (process, lock file)."""
    lock_file = tmp_path / "app.lock"
    started = []

    def start() -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(lock_file)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        started.append(process)
        assert process.stdout.readline() == "locked\n"
        return process

    yield start, lock_file
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(10)
        process.stdin.close()
        process.stdout.close()


def test_a_second_instance_is_refused_naming_the_holder(holder):
    start, lock_file = holder
    process = start()
    with pytest.raises(InstanceLockedError) as refused:
        InstanceLock(lock_file, holder="server").acquire()
    assert f"another server is already serving this app data ({lock_file}; " in str(refused.value)
    assert f"pid {process.pid}" in str(refused.value)
    owner = json.loads(lock_file.with_suffix(".owner.json").read_text(encoding="utf-8"))
    assert owner["pid"] == process.pid
    assert owner["url"] == "http://127.0.0.1:1/"
    assert owner["shell_child"] is True


def test_a_killed_holders_lock_is_taken_again_and_its_record_replaced(holder):
    start, lock_file = holder
    process = start()
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    # The kill left the owner record naming the dead process behind.
    assert lock_file.with_suffix(".owner.json").is_file()
    lock = InstanceLock(lock_file).acquire()
    try:
        assert lock.owner()["pid"] == os.getpid()
    finally:
        lock.release()
    assert not lock.owner_file.exists()


def test_a_holder_that_exits_releases_it(holder):
    start, lock_file = holder
    process = start()
    process.stdin.close()
    assert process.wait(10) == 0
    lock = InstanceLock(lock_file).acquire()
    lock.release()


def test_an_owner_record_that_cannot_be_written_does_not_stop_the_instance(tmp_path):
    # The owner record is a convenience: a folder that refuses it must not stop the instance.
    lock = InstanceLock(tmp_path / "app.lock").acquire()
    try:
        lock.owner_file.unlink()
        lock.owner_file.mkdir()  # writing the record now fails with an OSError
        lock.record_owner(url="http://127.0.0.1:2/")
        assert lock.owner() == {}
    finally:
        lock.owner_file.rmdir()
        lock.release()


def _sleeper() -> subprocess.Popen:
    """A process standing for a backend, once it runs its own command line."""
    code = "import time; print('up', flush=True); time.sleep(60)"
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline() == "up\n"
    return process


def _record(process: subprocess.Popen, parent: psutil.Process) -> dict:
    me = psutil.Process(process.pid)
    return {
        "pid": process.pid,
        "argv": me.cmdline(),
        "started": me.create_time(),
        "parent": parent.pid,
        "parent_started": parent.create_time(),
        "shell_child": True,
    }


@pytest.fixture
def gone_shell() -> psutil.Process:
    """A process that has exited: the shell of a backend left running."""
    shell = subprocess.Popen([sys.executable, "-c", "pass"])
    identity = psutil.Process(shell.pid)
    identity.create_time()  # cached: the record keeps the start time it had
    shell.wait(10)
    return identity


def test_a_backend_whose_shell_is_gone_is_stopped(gone_shell):
    backend = _sleeper()
    try:
        assert instance_lock.stop_if_stale(_record(backend, gone_shell)) is True
        # psutil waited for it (our child: it reaped it), so it is gone, not a zombie.
        assert not psutil.pid_exists(backend.pid)
    finally:
        backend.kill()
        backend.wait(10)
        backend.stdout.close()


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"shell_child": False}, id="positrons-own-process"),
        pytest.param({"started": 1.0}, id="recycled-pid"),
        pytest.param({"argv": ["another", "program"]}, id="another-program"),
        pytest.param("shell-still-runs", id="shell-still-runs"),
        pytest.param({"argv": None}, id="no-identity"),
    ],
)
def test_anything_short_of_proof_leaves_the_process_alone(change, gone_shell):
    backend = _sleeper()
    try:
        if change == "shell-still-runs":
            record = _record(backend, psutil.Process())
        else:
            record = {**_record(backend, gone_shell), **change}
            if record["argv"] is None:
                del record["argv"]
        assert instance_lock.stop_if_stale(record) is False
        assert backend.poll() is None
    finally:
        backend.kill()
        backend.wait(10)
        backend.stdout.close()


def test_an_ended_process_nobody_reaped_counts_as_ended_and_a_live_one_does_not():
    """Where PID 1 reaps no orphans (a container without an init, systemd-nspawn without
    --boot) a stopped stale backend stays a zombie: the sweep must take it as stopped, not
    wait for its pid to vanish and fail the start (the newcomer root's 5 s timeout)."""
    # A parent that never reaps its child: the child is a zombie, and not ours to reap.
    code = (
        "import subprocess, sys, time; child = subprocess.Popen([sys.executable, '-c', 'pass']);"
        "print(child.pid, flush=True); time.sleep(60)"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        zombie = psutil.Process(int(parent.stdout.readline()))
        while zombie.status() != psutil.STATUS_ZOMBIE:
            time.sleep(0.01)
        assert instance_lock._ended_within(zombie, 5)
        assert not instance_lock._ended_within(psutil.Process(live.pid), 0.3)
    finally:
        for process in (parent, live):
            process.kill()
            process.wait()
        parent.stdout.close()
