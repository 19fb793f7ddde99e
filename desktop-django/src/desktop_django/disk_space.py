"""A full disk, recognised wherever it shows (SQLite's words, an OS error) and described in
words a user can act on: which folder, how much is free, how much is needed."""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

# SQLite says "disk I/O error" when its shared-memory file cannot grow on a full disk; below
# this much free space that is what it means.
NEARLY_FULL_BYTES = 1024 * 1024
_FULL_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
SQLITE_FULL_TEXT = "database or disk is full"


def free_bytes(folder: Path) -> int | None:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def nearly_full(folder: Path) -> bool:
    free = free_bytes(folder)
    return free is not None and free < NEARLY_FULL_BYTES


def is_disk_full(exc: BaseException, folder: Path) -> bool:
    """True for a write that failed for lack of space on the disk that holds `folder`."""
    for error in _chain(exc):
        if isinstance(error, OSError) and error.errno in _FULL_ERRNOS:
            return True
        text = str(error)
        if SQLITE_FULL_TEXT in text or ("disk I/O error" in text and nearly_full(folder)):
            return True
    return False


def human(size: int | None) -> str:
    if size is None:
        return "an unknown amount"
    amount = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if amount < 1000 or unit == "GB":
            return f"{amount:.0f} {unit}" if unit == "bytes" else f"{amount:.1f} {unit}"
        amount /= 1000
    raise AssertionError("unreachable")


def _chain(exc: BaseException):
    """The exception and its causes (Django wraps sqlite3's errors in its own)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__
