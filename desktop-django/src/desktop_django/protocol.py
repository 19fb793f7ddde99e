"""The launcher's stdout protocol: exactly one JSON line, `ready` or `error`.

Shells read stdout line by line and parse the first line only, so nothing else may ever be
written there: `claim_stdout()` moves `sys.stdout` to stderr for the rest of the process.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TextIO

_protocol_stream: TextIO | None = None


def claim_stdout() -> None:
    global _protocol_stream
    if _protocol_stream is None:
        _protocol_stream = sys.stdout
        sys.stdout = sys.stderr


def _emit(payload: dict) -> None:
    stream = _protocol_stream or sys.stdout
    stream.write(json.dumps(payload, separators=(", ", ": ")) + "\n")
    stream.flush()


def ready(url: str, rolled_back: dict | None = None) -> None:
    """`rolled_back`: a backend trial failed and this serve put the database back
    (docs/backend-updates.md, section 3): from, to, log, keptDatabase."""
    payload = {"event": "ready", "url": url, "pid": os.getpid()}
    if rolled_back is not None:
        payload["rolledBack"] = rolled_back
    _emit(payload)


def error(message: str, log: str | None) -> None:
    _emit({"event": "error", "message": message, "log": log})
