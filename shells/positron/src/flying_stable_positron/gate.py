"""The health gate of a backend update (docs/backend-updates.md, section 3): a slot on trial
is confirmed only once `/health/` answers 200 to the session token and the task worker has
started and still runs, within a deadline. The worker runs on a thread of this process, so
"started" means its own owner record (`<app data>/worker.owner.json`, written once it has
imported the project and holds the worker lock) names this process, and its thread is alive.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

DEADLINE_SECONDS = 20.0
POLL_SECONDS = 0.2
WORKER_OWNER_FILE = "worker.owner.json"
TOKEN_HEADER = "X-Desktop-Django-Token"  # noqa: S105 - a header name, not a secret


class GateFailed(RuntimeError):
    """The trial is not healthy; the message names what was missing."""


def health_status(url: str, token: str) -> int | None:
    """The status of `GET /health/` with the token, or None when nothing answered."""
    # The URL is our own loopback server's (always http://127.0.0.1:PORT).
    request = urllib.request.Request(f"{url}/health/", headers={TOKEN_HEADER: token})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=2) as reply:  # noqa: S310  # nosec B310
            return reply.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def worker_has_started(app_data: Path, pid: int) -> bool:
    try:
        owner = json.loads((Path(app_data) / WORKER_OWNER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(owner, dict) and owner.get("pid") == pid


def pass_gate(
    url: str,
    token: str,
    app_data: Path,
    worker_alive: Callable[[], bool],
    deadline: float = DEADLINE_SECONDS,
    pid: int | None = None,
) -> None:
    """Return once healthy; raise GateFailed naming what was still missing at the deadline."""
    pid = os.getpid() if pid is None else pid
    until = time.monotonic() + deadline
    healthy, status = False, None
    while True:
        if not healthy:
            status = health_status(url, token)
            healthy = status == 200
        # Every round: a worker that started and then died is not a started worker.
        started = worker_alive() and worker_has_started(app_data, pid)
        if healthy and started:
            return
        if time.monotonic() >= until:
            missing = []
            if not healthy:
                missing.append(
                    "/health/ answered nothing"
                    if status is None
                    else f"/health/ answered HTTP {status}"
                )
            if not started:
                missing.append("the task worker did not start")
            raise GateFailed(f"not healthy within {deadline:g} s: {'; '.join(missing)}")
        time.sleep(POLL_SECONDS)
