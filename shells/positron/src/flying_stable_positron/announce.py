"""Positron's milestone lines: one JSON object per line on stdout, for tests and scripts."""

from __future__ import annotations

import json


def announce(event: str, **details) -> None:
    print(json.dumps({"event": event, **details}), flush=True)
