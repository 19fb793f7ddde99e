"""The open-files limit: raised at start, and the connection cap kept below it.

macOS gives a process a soft limit of 256 descriptors by default; every connection the server
accepts takes one. With a cap above the limit, `accept()` fails with EMFILE while the listening
socket stays readable, so the server's loop spins at full CPU and logs each failure. So the
soft limit is raised toward the hard one (a process may do that on its own), and the number of
connections is capped below what the limit leaves after the descriptors the app needs itself.
"""

from __future__ import annotations

import logging

try:
    import resource
except ImportError:  # Windows: no descriptor limit of this kind (sockets are handles)
    resource = None

logger = logging.getLogger("desktop_django.open_files")

# Asking for more than this gains nothing (the cap on connections is far lower) and macOS
# refuses a soft limit above its per-process maximum even when the hard limit is "unlimited".
WANTED = 10240
# Descriptors the app needs beside its connections: stdio, the log file, the lock files, the
# database with its -wal and -shm for each server thread and the start-up, the server's own
# trigger pipe and poll, static files being sent, uploads spooled to disk, a backup, the
# interpreter's own modules and libraries, and room for the project's code.
RESERVED = 96
# Never fewer connections than this, however low the limit: a web view and a health check.
MINIMUM_CONNECTIONS = 16


def raise_soft_limit() -> int | None:
    """Raise the soft RLIMIT_NOFILE toward the hard limit; the soft limit now in force (None
    where there is none)."""
    if resource is None:
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = WANTED if hard == resource.RLIM_INFINITY else min(hard, WANTED)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError) as exc:
            logger.warning("could not raise the open-files limit from %d to %d: %s",
                           soft, wanted, exc)  # fmt: skip
    return None if soft == resource.RLIM_INFINITY else soft


def connection_cap(wanted: int, soft_limit: int | None) -> int:
    """At most `wanted` connections, and fewer than the limit leaves for them."""
    if soft_limit is None:
        return wanted
    return max(MINIMUM_CONNECTIONS, min(wanted, soft_limit - RESERVED))
