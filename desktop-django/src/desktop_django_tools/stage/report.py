"""Progress output for long steps: what each step did and how long it took."""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager


def human_size(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(size) < 1024 or unit == "GB":
            return f"{size:.1f} {unit}" if unit != "B" else f"{int(size)} B"
        size /= 1024
    return f"{size:.1f} GB"


def say(message: str) -> None:
    print(f"stage: {message}", file=sys.stderr, flush=True)


@contextmanager
def step(title: str):
    say(f"{title} ...")
    started = time.perf_counter()
    notes: list[str] = []
    yield notes
    elapsed = time.perf_counter() - started
    detail = f" ({'; '.join(notes)})" if notes else ""
    say(f"{title}: done in {elapsed:.1f} s{detail}")
