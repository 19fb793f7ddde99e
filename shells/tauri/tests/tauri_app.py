"""Helpers for the Tauri real-window tests: the app's milestone lines, whether a process is
gone, and closing a window the way a window manager does."""

from __future__ import annotations

import contextlib
import json
import queue
import sqlite3
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest
from desktop_django_testing.ci import only_on
from desktop_django_testing.processes import as_root

# The real-window tests drive X11 (Xvfb) and WebKitGTK; macOS and Windows CI run the crates'
# tests and the config tests only.
LINUX_ONLY = only_on("linux", reason="the real-window tests need X11 and WebKitGTK (Linux)")
# The first test of a session waits for the release build (bundling only, when
# `desktop-django test-shell tauri` has built it; a full compile when run alone).
BUILD_TIMEOUT = pytest.mark.timeout(1800)

TAURI_CONF = Path(__file__).resolve().parents[1] / "src-tauri" / "tauri.conf.json"

# Debian's webkit2gtk-driver: the native WebDriver server tauri-driver fronts on Linux.
WEBKIT_WEBDRIVER = Path("/usr/bin/WebKitWebDriver")


@dataclass
class RunningApp:
    """The app as a process; its stdout milestone lines arrive on `events`."""

    process: subprocess.Popen
    events: queue.Queue = field(default_factory=queue.Queue)
    seen: list[dict] = field(default_factory=list)

    def wait_for(self, name: str, timeout: float = 60) -> dict:
        return self.wait_for_nth(name, 1, timeout)

    def wait_for_nth(self, name: str, n: int, timeout: float = 60) -> dict:
        """The n-th `name` event (1-based), waiting for it if it has not come yet."""
        deadline = time.monotonic() + timeout
        while True:
            matching = [event for event in self.seen if event["event"] == name]
            if len(matching) >= n:
                return matching[n - 1]
            left = deadline - time.monotonic()
            if left <= 0:
                pytest.fail(f"no {name!r} event #{n} within {timeout} s; saw {self.seen}")
            try:
                event = self.events.get(timeout=left)
            except queue.Empty:
                continue
            if event is None:
                pytest.fail(f"the app exited before {name!r} #{n}; saw {self.seen}")
            self.seen.append(event)

    def process_stops_within(self, seconds: float) -> bool:
        try:
            self.process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            return False
        return True

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


def visible_window(screen, title: str, min_width: int = 0):
    """The one mapped top-level window with this title (no window manager reparents them),
    at least `min_width` wide: the splash and the app window share the app's name."""
    matches = [
        window
        for window in screen.screen().root.query_tree().children
        if _is_visible_window(window, title, min_width)
    ]
    assert len(matches) == 1, f"expected one visible {title!r} window, found {len(matches)}"
    return matches[0]


def _is_visible_window(window, title: str, min_width: int) -> bool:
    """False too for a window destroyed while we look (the splash closing, a dialog going
    away): X answers BadWindow to any question about it (seen in CI)."""
    from Xlib import X
    from Xlib.error import BadWindow

    try:
        return (
            window.get_wm_name() == title
            and window.get_attributes().map_state == X.IsViewable
            and window.get_geometry().width >= min_width
        )
    except BadWindow:
        return False


def wait_for_window(display_name: str, title: str, timeout: float = 20, min_width: int = 0):
    """Until exactly one such window is visible (the splash may still be closing)."""
    from Xlib import display

    deadline = time.monotonic() + timeout
    screen = display.Display(display_name)
    try:
        while time.monotonic() < deadline:
            with contextlib.suppress(AssertionError):
                visible_window(screen, title, min_width)
                return
            time.sleep(0.1)
        visible_window(screen, title, min_width)
    finally:
        screen.close()


def close_window_like_a_window_manager(display_name: str, title: str, min_width: int = 0) -> None:
    """Send WM_DELETE_WINDOW, the message a window manager sends when the user clicks the
    close button (Xvfb has no window manager to click)."""
    from Xlib import X, display, protocol

    screen = display.Display(display_name)
    try:
        window = visible_window(screen, title, min_width)
        protocols = screen.intern_atom("WM_PROTOCOLS")
        delete = screen.intern_atom("WM_DELETE_WINDOW")
        message = protocol.event.ClientMessage(
            window=window, client_type=protocols, data=(32, [delete, X.CurrentTime, 0, 0, 0])
        )
        window.send_event(message, event_mask=X.NoEventMask)
        screen.flush()
    finally:
        screen.close()


def press_key_in_window(display_name: str, title: str, key: str) -> None:
    """Focus the window and press one key through XTEST, as a user at the keyboard would."""
    from Xlib import XK, X, display
    from Xlib.ext import xtest

    screen = display.Display(display_name)
    try:
        window = visible_window(screen, title)
        window.set_input_focus(X.RevertToParent, X.CurrentTime)
        screen.sync()
        keycode = screen.keysym_to_keycode(XK.string_to_keysym(key))
        xtest.fake_input(screen, X.KeyPress, keycode)
        xtest.fake_input(screen, X.KeyRelease, keycode)
        screen.sync()
    finally:
        screen.close()


def apt(*args: str) -> None:
    command = [*as_root(), "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "-y", "-q", *args]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def package_field(deb: Path, name: str) -> str:
    return subprocess.run(
        ["dpkg-deb", "--field", str(deb), name], check=True, capture_output=True, text=True
    ).stdout.strip()


def installed_files(package: str) -> list[str]:
    listing = subprocess.run(["dpkg", "-L", package], check=True, capture_output=True, text=True)
    return listing.stdout.split()


def user_session_env(home: Path, display: str, **extra: str) -> dict[str, str]:
    """Only what a user's session has: no stage or app-data override, so an installed app
    finds its bundled backend and the user's data folder by itself."""
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "DISPLAY": display, "NO_AT_BRIDGE": "1",
            **extra}  # fmt: skip


def user_data_dir(home: Path) -> Path:
    """Where the installed app keeps the user's data on Linux: the XDG data folder named by
    the identifier in tauri.conf.json."""
    identifier = json.loads(TAURI_CONF.read_text(encoding="utf-8"))["identifier"]
    return home / ".local" / "share" / identifier


def rows(database: Path, sql: str) -> list[tuple]:
    """A query on a database the app may hold open: read-only, closed after."""
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
        return connection.execute(sql).fetchall()
