"""One server per app data folder: an OS file lock that dies with its process.

The OS releases the lock when the holder exits, even on SIGKILL or power loss, so a stale lock
file left by a crash is simply acquired again: there is nothing to clean up by hand.

A stale *process* is another matter: a backend whose shell crashed where the stdin guard
could not fire (or an older version without it) keeps the lock while serving nobody. Its
owner record names it exactly (pid, command line, start time) and the shell that started it
(pid, start time). When that very process still runs and its shell is gone, it is asked to
stop (SIGTERM), then killed; anything else (a recycled pid, another program, a backend whose
shell still runs, Positron's own process) is never touched.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from pathlib import Path

from filelock import FileLock, Timeout

logger = logging.getLogger("desktop_django.instance_lock")


STALE_STOP_GRACE_SECONDS = 5.0
# Start times are floats from the same OS clock; a recycled pid starts later by far more.
SAME_START_TOLERANCE_SECONDS = 0.5


class InstanceLockedError(RuntimeError):
    pass


class InstanceLock:
    def __init__(
        self,
        lock_file: Path,
        *,
        holder: str = "instance",
        wait_seconds: float = 0,
        shell_child: bool = False,
    ):
        """`shell_child`: this process is a shell's child (serve, worker), useless once that
        shell is gone, so a later launch may stop it (see the module docstring)."""
        self.lock_file = lock_file
        self.owner_file = lock_file.with_suffix(".owner.json")
        self.holder = holder
        self.shell_child = shell_child
        # thread_local=False: Positron acquires on one thread and releases on another.
        self._lock = FileLock(str(lock_file), timeout=wait_seconds, thread_local=False)

    def acquire(self) -> InstanceLock:
        try:
            self._lock.acquire()
        except Timeout:
            owner = self.owner()
            if not (self.shell_child and stop_if_stale(owner)):
                raise InstanceLockedError(
                    f"another {self.holder} is already serving this app data "
                    f"({self.lock_file}; {_describe(owner)})"
                ) from None
            try:
                self._lock.acquire(timeout=STALE_STOP_GRACE_SECONDS)
            except Timeout:
                raise InstanceLockedError(
                    f"{self.lock_file} is still held after stopping pid {owner.get('pid')}"
                ) from None
        # Whatever a crashed owner left behind describes a process that is gone.
        self.owner_file.unlink(missing_ok=True)
        self.record_owner(**_identity(self.shell_child))
        return self

    def record_owner(self, **details) -> None:
        """Add details (URL, IPC port) to what a second instance can learn about the owner.
        Only a convenience for that second instance: a full disk must not stop this one."""
        payload = {**self.owner(), "pid": os.getpid(), **details}
        try:
            self.owner_file.write_text(json.dumps(payload), encoding="utf-8")
        except OSError as exc:
            logger.warning("could not record this instance in %s: %s", self.owner_file, exc)

    def owner(self) -> dict:
        try:
            return json.loads(self.owner_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def release(self) -> None:
        if self._lock.is_locked:
            self.owner_file.unlink(missing_ok=True)
            self._lock.release()


def _describe(owner: dict) -> str:
    return f"pid {owner['pid']}" if "pid" in owner else "owner unknown"


def _identity(shell_child: bool) -> dict:
    """What proves later that a process is this one: pid, command line, start time, and the
    shell (parent) that started it. Without psutil only the pid: never swept then."""
    try:
        import psutil
    except ImportError:
        return {}
    me = psutil.Process()
    parent = me.parent()
    return {
        "argv": list(sys.orig_argv),
        "started": me.create_time(),
        "parent": parent.pid if parent else None,
        "parent_started": parent.create_time() if parent else None,
        "shell_child": shell_child,
    }


def _same_process(pid, started) -> object | None:
    """The psutil.Process with this pid *and* start time, or None (gone, or a recycled pid)."""
    import psutil

    try:
        process = psutil.Process(int(pid))
        if abs(process.create_time() - float(started)) <= SAME_START_TOLERANCE_SECONDS:
            return process
    except (psutil.Error, TypeError, ValueError):
        pass
    return None


def stop_if_stale(owner: dict) -> bool:
    """Stop the lock's owner when it is a shell's child left behind by its shell; True when
    it was stopped. Every condition must hold; otherwise nothing is done."""
    try:
        import psutil
    except ImportError:
        return False
    if not owner.get("shell_child") or "argv" not in owner:
        return False  # Positron's own process, or a record without an identity
    process = _same_process(owner.get("pid"), owner.get("started"))
    if process is None:
        return False
    try:
        if process.cmdline() != owner["argv"]:
            return False
    except psutil.Error:
        return False
    if _same_process(owner.get("parent"), owner.get("parent_started")) is not None:
        return False  # its shell still runs: a live instance, not a stale one
    logger.warning(
        "stopping pid %s (%s): a backend left running by an earlier launch, whose shell "
        "(pid %s) is gone",
        process.pid,
        " ".join(owner["argv"]),
        owner.get("parent"),
    )
    try:
        process.terminate()
        if not _ended_within(process, STALE_STOP_GRACE_SECONDS):
            logger.warning("pid %s did not stop when asked; killing it", process.pid)
            process.kill()
            if not _ended_within(process, STALE_STOP_GRACE_SECONDS):
                raise psutil.TimeoutExpired(STALE_STOP_GRACE_SECONDS, process.pid)
    except psutil.NoSuchProcess:
        pass
    return True


def _ended_within(process, seconds: float) -> bool:
    """Whether `process` ended within `seconds`. An ended orphan that nobody has reaped yet is
    a zombie, holding nothing (its lock and socket are gone): ended. psutil's own wait() on a
    process that is not our child waits for the pid to vanish, which never comes where PID 1
    reaps no orphans (a container without an init; systemd-nspawn without --boot)."""
    import psutil

    deadline = time.monotonic() + seconds
    while True:
        try:
            process.wait(0)  # reaps it when it is our own child
            return True
        except psutil.TimeoutExpired:
            pass
        try:
            if process.status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
