"""Progress output for long steps, and the build log that keeps what the one-line errors leave
out (each tool's full output, tracebacks)."""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from pathlib import Path

_log: Path | None = None


def human_size(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(size) < 1024 or unit == "GB":
            return f"{size:.1f} {unit}" if unit != "B" else f"{int(size)} B"
        size /= 1024
    return f"{size:.1f} GB"


@contextmanager
def build_log(path: Path):
    """A fresh build log for one build: every `say` and `log` inside the block goes to it too."""
    global _log  # one build at a time per process: the log is process state, like stderr
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("", encoding="utf-8")
    _log = path
    try:
        yield path
    finally:
        # A later build (or a test) must not append to this build's log, or to a folder
        # that is gone by then.
        _log = None


def log(text: str) -> None:
    """Write to the build log only (tool output too long for the terminal)."""
    if _log is not None and text:
        with _log.open("a", encoding="utf-8") as handle:
            handle.write(text if text.endswith("\n") else text + "\n")


def say(message: str) -> None:
    print(f"stage: {message}", file=sys.stderr, flush=True)
    log(f"stage: {message}")


@contextmanager
def step(title: str):
    say(f"{title} ...")
    started = time.perf_counter()
    notes: list[str] = []
    yield notes
    elapsed = time.perf_counter() - started
    detail = f" ({'; '.join(notes)})" if notes else ""
    say(f"{title}: done in {elapsed:.1f} s{detail}")
