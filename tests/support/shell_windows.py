"""The real windows of the Positron and Tauri shells on a stage, in smoke mode (the app exits 0
once its main page has loaded and everything has stopped): where each shell is found on this
machine, and one way to start it and follow its JSON milestone lines. Used by the no-egress
proof and the shell benchmark."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from desktop_django_testing.paths import REPO_ROOT

SMOKE_TEST_ENV = "DESKTOP_DJANGO_SMOKE_TEST"
# Another interpreter with Toga and the Positron package (same minor version as the stage).
POSITRON_PYTHON_VARIABLE = "DESKTOP_DJANGO_POSITRON_PYTHON"
# `nox -s tests-positron` installs Positron and its GUI toolkit here.
POSITRON_VENV = REPO_ROOT / ".nox" / "tests-positron"
POSITRON = "positron"
TAURI = "tauri"


@dataclass(frozen=True)
class ShellWindow:
    name: str
    program: tuple[str, ...]
    build: str  # how it was found, for reports: "release", "debug", a venv

    def argv(self, stage: Path) -> list[str]:
        # Positron is told the stage on its command line, Tauri in the environment.
        return [*self.program, "--stage", str(stage)] if self.name == POSITRON else [*self.program]

    def env(self, stage: Path, app_data: Path, display: str, home: Path) -> dict[str, str]:
        """Only what a desktop session gives an app, plus the launcher contract's folders."""
        return {
            **bare_desktop_env(display, home),
            "DESKTOP_DJANGO_APP_DATA_DIR": str(app_data),
            "DESKTOP_DJANGO_STAGE_DIR": str(stage),
            SMOKE_TEST_ENV: "1",
        }


def bare_desktop_env(display: str, home: Path) -> dict[str, str]:
    """What a desktop session on a bare Xvfb gives any GUI process: a display, a home, a PATH."""
    home.mkdir(parents=True, exist_ok=True)
    return {
        "DISPLAY": display,
        "HOME": str(home),
        "PATH": "/usr/bin:/bin",
        "NO_AT_BRIDGE": "1",  # no accessibility bus on a bare Xvfb
    }


def positron() -> ShellWindow | str:
    """Positron on an interpreter that has Toga, or why there is none."""
    explicit = os.environ.get(POSITRON_PYTHON_VARIABLE)
    python = Path(explicit) if explicit else POSITRON_VENV / "bin" / "python"
    if not python.exists():
        return (
            f"no Positron interpreter at {python} (run `nox -s tests-positron` once, or set "
            f"{POSITRON_PYTHON_VARIABLE})"
        )
    return ShellWindow(
        POSITRON, (str(python), "-m", "flying_stable_positron"), python.parent.parent.name
    )


def tauri() -> ShellWindow | str:
    """The Tauri app as cargo built it (release preferred: what ships), or why there is none."""
    from desktop_django_tools.integrations import cargo
    from desktop_django_tools.shells import tauri as tauri_shell

    workspace = REPO_ROOT / "shells" / "tauri"
    for release in (True, False):
        binary = cargo.binary(workspace, tauri_shell.APP_BINARY, release=release)
        if binary.is_file():
            return ShellWindow(TAURI, (str(binary),), "release" if release else "debug")
    return (
        f"no Tauri build in {cargo.target_dir(workspace)} "
        "(run `nox -s tests-tauri` or `desktop-django run tauri`)"
    )


class RunningWindow:
    """One shell started in smoke mode; its milestone lines with the seconds since the spawn."""

    def __init__(
        self,
        window: ShellWindow,
        stage: Path,
        app_data: Path,
        display: str,
        home: Path,
        extra_env: dict[str, str] | None = None,
    ):
        self.window = window
        home.mkdir(parents=True, exist_ok=True)
        self.began = time.perf_counter()
        # The spawn on the system-wide monotonic clock the shells' timeline files use.
        self.began_monotonic = time.monotonic()
        self.process = subprocess.Popen(
            window.argv(stage),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**window.env(stage, app_data, display, home), **(extra_env or {})},
            text=True,
        )
        self.events: list[tuple[float, dict]] = []
        self._stderr: list[str] = []
        self._readers = [
            threading.Thread(target=self._read_events, daemon=True),
            threading.Thread(target=lambda: self._stderr.extend(self.process.stderr), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read_events(self) -> None:
        for line in self.process.stdout:
            if line.startswith("{"):
                self.events.append((time.perf_counter() - self.began, json.loads(line)))

    def wait(self, timeout: float) -> int:
        """The exit status; kills the app and raises AssertionError (with its stderr) when it
        has not exited within `timeout` seconds."""
        try:
            status = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(
                f"{self.window.name} did not exit within {timeout} s; {self.report()}"
            ) from None
        for reader in self._readers:
            reader.join(timeout=5)
        return status

    def first(self, event: str) -> tuple[float, dict] | None:
        return next(((at, line) for at, line in self.events if line["event"] == event), None)

    def report(self) -> str:
        events = [line["event"] for _at, line in self.events]
        return f"events {events}; stderr tail:\n{''.join(self._stderr)[-2000:]}"
