"""When to stop: stdin EOF from the shell, SIGTERM/SIGINT, or CTRL_BREAK on Windows.

stdin EOF is the orphan guard. The shell holds the write end of our stdin pipe; when the shell
exits for any reason, including SIGKILL or a crash, the OS closes it and the read below
returns. Unlike a parent-PID poll or PR_SET_PDEATHSIG, this works the same on Windows.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading

logger = logging.getLogger("desktop_django.lifecycle")


class StopRequest:
    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason = ""
        self.ready = False

    def mark_ready(self) -> None:
        """From here on a stop is graceful (the caller handles it) rather than immediate."""
        self.ready = True

    def request(self, reason: str) -> None:
        if not self._event.is_set():
            self.reason = reason
            logger.info("stop requested: %s", reason)
            self._event.set()

    def wait_forever(self) -> None:
        # Short waits keep the main thread responsive to signal handlers on every platform.
        while not self._event.wait(0.25):
            pass

    def watch_stdin(self) -> None:
        threading.Thread(target=self._read_until_eof, name="stdin-guard", daemon=True).start()

    def _read_until_eof(self) -> None:
        # os.read on the raw descriptor, not sys.stdin: a daemon thread blocked inside a
        # buffered reader makes interpreter shutdown abort ("could not acquire lock").
        try:
            fd = sys.stdin.fileno() if sys.stdin else 0
            while os.read(fd, 4096):
                pass
        except (OSError, ValueError):
            pass
        self.request("stdin closed (the shell exited or asked us to stop)")

    def handle_signals(self) -> None:
        """Install handlers; only the main thread may do this, so embedders skip it."""
        names = ["SIGTERM", "SIGINT", "SIGBREAK", "SIGHUP"]
        for name in names:
            signum = getattr(signal, name, None)
            if signum is not None:
                signal.signal(
                    signum, lambda number, _frame: self.request(signal.Signals(number).name)
                )
