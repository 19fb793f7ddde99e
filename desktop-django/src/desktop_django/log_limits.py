"""Log lines that any local process can provoke, bounded: one line per interval and kind.

Every program on the machine can reach the loopback port, so a request without the token (or
with a rebinding Host) must never write a line of its own: 6,000 of them would rotate the
real history out of the 4 MB of logs. The first of a kind is logged at once, the rest of its
interval are counted, and one summary line at the end of the interval says how many.
The standard library has no rate-limited logger, hence this small one.
"""

from __future__ import annotations

import logging
import threading
import time

INTERVAL_SECONDS = 5.0


class RateLimitedLog:
    def __init__(self, logger: logging.Logger, interval: float = INTERVAL_SECONDS):
        self.logger = logger
        self.interval = interval
        self._lock = threading.Lock()
        # kind -> [start of its interval, lines left out since, a summary is scheduled]
        self._kinds: dict[str, list] = {}

    def warning(self, kind: str, message: str, *args) -> bool:
        """Log `message % args`, unless a line of this `kind` (a plural noun phrase, like
        "403 answers for a wrong token") was written less than an interval ago: then it is
        counted, and one summary line at the end of the interval gives the count. True when
        the line itself was written."""
        now = time.monotonic()
        with self._lock:
            state = self._kinds.setdefault(kind, [float("-inf"), 0, False])
            if now - state[0] >= self.interval and not state[1]:
                state[0] = now
                write = True
            else:
                write = False
                state[1] += 1
                if not state[2]:
                    state[2] = True
                    timer = threading.Timer(state[0] + self.interval - now, self._summary, (kind,))
                    timer.daemon = True
                    timer.start()
        if write:
            self.logger.warning(message, *args)
        return write

    def _summary(self, kind: str) -> None:
        now = time.monotonic()
        with self._lock:
            state = self._kinds[kind]
            left_out, seconds = state[1], now - state[0]
            # The summary opens the next interval: a flood that goes on gets one line each.
            state[:] = [now, 0, False]
        self.logger.warning("%d more %s in the last %.0f s (not logged one by one)",
                            left_out, kind, seconds)  # fmt: skip
