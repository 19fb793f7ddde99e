"""Helpers for the Tauri real-window tests: the app's milestone lines, whether a process is
gone, and closing a window the way a window manager does."""

from __future__ import annotations

import contextlib
import json
import queue
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest

# The real-window tests drive X11 (Xvfb) and WebKitGTK; macOS and Windows CI run the crates'
# tests and the config tests only.
LINUX_ONLY = pytest.mark.skipif(
    sys.platform != "linux", reason="the real-window tests need X11 and WebKitGTK (Linux)"
)

# Debian's webkit2gtk-driver: the native WebDriver server tauri-driver fronts on Linux.
WEBKIT_WEBDRIVER = Path("/usr/bin/WebKitWebDriver")


@dataclass
class RunningApp:
    """The app as a process; its stdout milestone lines arrive on `events`."""

    process: subprocess.Popen
    events: queue.Queue = field(default_factory=queue.Queue)
    seen: list[dict] = field(default_factory=list)

    def wait_for(self, name: str, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        for event in self.seen:
            if event["event"] == name:
                return event
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                pytest.fail(f"no {name!r} event within {timeout} s; saw {self.seen}")
            try:
                event = self.events.get(timeout=left)
            except queue.Empty:
                continue
            if event is None:
                pytest.fail(f"the app exited before {name!r}; saw {self.seen}")
            self.seen.append(event)
            if event["event"] == name:
                return event

    def backend_pids(self) -> tuple[int, int]:
        ready = self.wait_for("backend-ready")
        return ready["serverPid"], ready["workerPid"]


def read_events(process: subprocess.Popen, events: queue.Queue) -> None:
    for line in process.stdout:
        with contextlib.suppress(ValueError):
            event = json.loads(line)
            if isinstance(event, dict) and "event" in event:
                events.put(event)
    events.put(None)


def gone(pid: int) -> bool:
    """No such process, or only its zombie (killed, its parent not yet reaped it)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def wait_until_gone(pids, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(gone(pid) for pid in pids):
            return True
        time.sleep(0.05)
    return all(gone(pid) for pid in pids)


def close_window_like_a_window_manager(display_name: str, title: str) -> None:
    """Send WM_DELETE_WINDOW, the message a window manager sends when the user clicks the
    close button (Xvfb has no window manager to click)."""
    from Xlib import X, display, protocol  # X11 only: imported where it is used

    screen = display.Display(display_name)
    try:
        matches = []
        for window in screen.screen().root.query_tree().children:
            name = window.get_wm_name()
            if name == title and window.get_attributes().map_state == X.IsViewable:
                matches.append(window)
        assert len(matches) == 1, f"expected one visible {title!r} window, found {len(matches)}"
        protocols = screen.intern_atom("WM_PROTOCOLS")
        delete = screen.intern_atom("WM_DELETE_WINDOW")
        message = protocol.event.ClientMessage(
            window=matches[0], client_type=protocols, data=(32, [delete, X.CurrentTime, 0, 0, 0])
        )
        matches[0].send_event(message, event_mask=X.NoEventMask)
        screen.flush()
    finally:
        screen.close()
