"""A private X display on Xvfb for the real windows (Linux): tests and the shell benchmark."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator


@contextlib.contextmanager
def virtual_display() -> Iterator[str]:
    """DISPLAY of a new Xvfb server (it picks a free number itself: -displayfd); stopped after.
    No TCP listener: clients reach it over its Unix socket, from any network namespace.
    -noreset: by default Xvfb resets itself when its last client leaves, and a client that
    connects during that reset gets "cannot open display" (seen in CI: GTK failed to start
    between two tests).
    Callers check for Xvfb first (tests: the skip rule; the benchmark: a reported gap)."""
    if not shutil.which("Xvfb"):
        raise FileNotFoundError("Xvfb is not installed (apt-get install xvfb)")
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x900x24",
         "-nolisten", "tcp", "-noreset"],
        pass_fds=(write_end,),
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(write_end)
    with os.fdopen(read_end) as numbers:
        number = numbers.readline().strip()
    if not number:
        server.kill()
        raise RuntimeError("Xvfb did not report its display number")
    try:
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def display_for_tests() -> Iterator[str]:
    """The fixture body every test tree shares: the skip rule when Xvfb is missing."""
    if not shutil.which("Xvfb"):
        from desktop_django_testing.ci import require_in_ci

        require_in_ci("Xvfb is not installed (apt-get install xvfb)")
    with virtual_display() as display:
        yield display
