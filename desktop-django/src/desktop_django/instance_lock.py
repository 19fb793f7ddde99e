"""One server per app data folder: an OS file lock that dies with its process.

The OS releases the lock when the holder exits, even on SIGKILL or power loss, so a stale lock
file left by a crash is simply acquired again: there is nothing to clean up by hand.

Written with the two standard-library calls it needs (`fcntl.flock`, `msvcrt.locking`) rather
than the filelock package: importing filelock 4 costs about 10 ms on every start, 4 % of the
whole 250 ms budget, for one non-blocking lock that these calls give directly.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

if os.name == "nt":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


class InstanceLockedError(RuntimeError):
    pass


class InstanceLock:
    def __init__(self, lock_file: Path):
        self.lock_file = lock_file
        self.owner_file = lock_file.with_suffix(".owner.json")
        # Held as a plain descriptor: Positron acquires on one thread and releases on another.
        self._fd: int | None = None

    @property
    def is_locked(self) -> bool:
        return self._fd is not None

    def acquire(self) -> InstanceLock:
        fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT, 0o600)
        if not _try_lock(fd):
            os.close(fd)
            raise InstanceLockedError(
                f"another instance is already serving this app data ({self.lock_file}; "
                f"{self._describe_owner()})"
            )
        self._fd = fd
        # Whatever a crashed owner left behind describes a process that is gone.
        self.owner_file.unlink(missing_ok=True)
        return self

    def record_owner(self, **details) -> None:
        """Add details (URL, IPC port) to what a second instance can learn about the owner."""
        payload = {**self.owner(), "pid": os.getpid(), **details}
        self.owner_file.write_text(json.dumps(payload), encoding="utf-8")

    def owner(self) -> dict:
        try:
            return json.loads(self.owner_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def release(self) -> None:
        if self._fd is None:
            return
        self.owner_file.unlink(missing_ok=True)
        fd, self._fd = self._fd, None
        try:
            _unlock(fd)
        finally:
            os.close(fd)

    def _describe_owner(self) -> str:
        owner = self.owner()
        return f"pid {owner['pid']}" if "pid" in owner else "owner unknown"
