"""One server per app data folder: an OS file lock that dies with its process.

The OS releases the lock when the holder exits, even on SIGKILL or power loss, so a stale lock
file left by a crash is simply acquired again: there is nothing to clean up by hand.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from filelock import FileLock, Timeout

logger = logging.getLogger("desktop_django.instance_lock")


class InstanceLockedError(RuntimeError):
    pass


class InstanceLock:
    def __init__(self, lock_file: Path, *, holder: str = "instance", wait_seconds: float = 0):
        self.lock_file = lock_file
        self.owner_file = lock_file.with_suffix(".owner.json")
        self.holder = holder
        # thread_local=False: Positron acquires on one thread and releases on another.
        self._lock = FileLock(str(lock_file), timeout=wait_seconds, thread_local=False)

    def acquire(self) -> InstanceLock:
        try:
            self._lock.acquire()
            # Whatever a crashed owner left behind describes a process that is gone.
            self.owner_file.unlink(missing_ok=True)
        except Timeout:
            raise InstanceLockedError(
                f"another {self.holder} is already serving this app data ({self.lock_file}; "
                f"{self._describe_owner()})"
            ) from None
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

    def _describe_owner(self) -> str:
        owner = self.owner()
        return f"pid {owner['pid']}" if "pid" in owner else "owner unknown"
