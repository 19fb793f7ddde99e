"""Start-up milestones on one clock, for the benchmark's timeline (bench/timeline.py).

Off unless $DESKTOP_DJANGO_TIMELINE (env.TIMELINE) names a file; then each milestone is one
JSON line appended to it: `{"process": "serve", "pid": N, "milestone": "apps-ready", "t": S}`
(`positron/backend-start` for a milestone on that thread of Positron),
where `t` is `time.monotonic()`: the system-wide monotonic clock (CLOCK_MONOTONIC on Linux,
the one Node's `process.hrtime` and Rust's `Instant` read), so the lines of a shell, `serve`
and `worker` share one axis. Each line is a single small `write` on a file opened for
appending, so processes writing at once do not interleave within a line.

When the variable is unset, `mark` is one dictionary look-up: the hooks stay in the shipped
start-up path at no measurable cost.
"""

from __future__ import annotations

import json
import os
import threading
import time

from desktop_django import env

_process = "python"


def begin(process: str) -> None:
    """Name this process in its lines (`serve`, `worker`, `positron`) and mark it up."""
    global _process
    _process = process
    mark("interpreter-up")


def mark(milestone: str) -> None:
    path = os.environ.get(env.TIMELINE)
    if not path:
        return
    # A milestone reached on another thread (Positron's backend) gets its own lane.
    thread = threading.current_thread()
    process = _process if thread is threading.main_thread() else f"{_process}/{thread.name}"
    line = {"process": process, "pid": os.getpid(), "milestone": milestone, "t": time.monotonic()}
    try:
        with open(path, "a", encoding="utf-8") as timeline:
            timeline.write(json.dumps(line) + "\n")
    except OSError:  # a measurement aid: never a reason for the app not to start
        pass
