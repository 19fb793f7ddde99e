"""Fixtures for the Tauri shell's real-window tests: one release build per session (binary,
.deb and .rpm, the same build `desktop-django package tauri` bundles), an X server, the app as
a real process whose JSON milestone lines are read as they come, and WebDriver sessions
through tauri-driver + WebKitWebDriver.

Missing pieces (cargo, npm, Xvfb, WebKitWebDriver, the stage) skip locally and fail under
CI=true, through the one rule in desktop_django_testing/ci.py.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
from desktop_django_testing.ci import require_in_ci
from desktop_django_testing.xvfb import display_for_tests
from tauri_app import WEBKIT_WEBDRIVER, RunningApp, read_events

SHELL = Path(__file__).resolve().parents[1]
REPO = SHELL.parents[1]


@dataclass(frozen=True)
class TauriBuild:
    binary: Path
    artifacts: tuple[Path, ...]

    def artifact(self, suffix: str) -> Path:
        found = [p for p in self.artifacts if p.name.endswith(suffix)]
        assert len(found) == 1, f"expected one *{suffix} among {self.artifacts}"
        return found[0]


def _stage() -> Path:
    from desktop_django_tools import locations

    stage = locations.stage_dir()
    if not (stage / "runtime-manifest.json").is_file():
        require_in_ci(f"no stage in {stage}: run `nox -s stage` first")
    return stage


@pytest.fixture(scope="session")
def stage() -> Path:
    return _stage()


@pytest.fixture(scope="session")
def tauri_build(stage, tmp_path_factory) -> TauriBuild:
    """The release build and its Linux bundles, made once for every test of the session and
    copied aside: a later build (the update test's) rewrites the target folder."""
    from desktop_django_tools.errors import ToolError
    from desktop_django_tools.shells import tauri

    for tool in ("cargo", "npm"):
        if shutil.which(tool) is None:
            require_in_ci(f"{tool} is not installed")
    try:
        artifacts = tauri.build(SHELL, ("deb", "rpm"))
    except ToolError as exc:
        pytest.fail(str(exc))
    kept = tmp_path_factory.mktemp("tauri-build")
    binary = Path(shutil.copy2(tauri.release_binary(SHELL), kept))
    return TauriBuild(binary, tuple(Path(shutil.copy2(a, kept)) for a in artifacts))


@pytest.fixture(scope="session")
def display():
    """A private X server for the session's windows."""
    yield from display_for_tests()


@pytest.fixture
def browser_log(tmp_path) -> Path:
    return tmp_path / "opened-by-the-os.txt"


@pytest.fixture
def app_env(tmp_path, display, stage, browser_log) -> dict[str, str]:
    """The environment every app process of a test gets: its own app data, the stage, the
    private display, and an `xdg-open` that records what the app hands to the OS.

    Why a recorder: the OS browser here is Chromium, which refuses to start as root without
    --no-sandbox, and no file manager is installed. What the tests prove is the app's side:
    a link or a folder is handed to the OS instead of being loaded in the window.
    """
    launchers = tmp_path / "os-launchers"
    launchers.mkdir()
    recorder = launchers / "xdg-open"
    recorder.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{browser_log}"\n', encoding="utf-8")
    recorder.chmod(0o755)
    return {
        **os.environ,
        "PATH": f"{launchers}{os.pathsep}{os.environ.get('PATH', '')}",
        "DISPLAY": display,
        "DESKTOP_DJANGO_STAGE_DIR": str(stage),
        "DESKTOP_DJANGO_APP_DATA_DIR": str(tmp_path / "app-data"),
        # No accessibility bus under Xvfb: GTK would wait for it and warn.
        "NO_AT_BRIDGE": "1",
    }


@pytest.fixture
def launch(tauri_build, app_env):
    """Start the app (`launch(binary=..., args=[...], **env)`); everything it started is
    stopped after the test, whatever the test did to it."""
    started: list[RunningApp] = []

    def start(binary: Path | None = None, args: Sequence[str] = (), **extra_env: str) -> RunningApp:
        process = subprocess.Popen(
            [str(binary or tauri_build.binary), *args],
            env={**app_env, **extra_env},
            stdout=subprocess.PIPE,
            text=True,
        )
        app = RunningApp(process)
        threading.Thread(target=read_events, args=(process, app.events), daemon=True).start()
        started.append(app)
        return app

    yield start
    for app in started:
        survivors = [e for e in app.seen if e["event"] == "backend-ready"]
        if app.process.poll() is None:
            app.process.send_signal(signal.SIGKILL)
            app.process.wait(timeout=10)
        for ready in survivors:
            for pid in (ready["serverPid"], ready["workerPid"]):
                with contextlib.suppress(psutil.NoSuchProcess):
                    psutil.Process(pid).kill()


@pytest.fixture(scope="session")
def tauri_driver(tauri_build) -> Path:
    from desktop_django_tools.integrations import cargo
    from desktop_django_tools.shells import tauri

    if not WEBKIT_WEBDRIVER.is_file():
        require_in_ci(f"{WEBKIT_WEBDRIVER} is missing (apt-get install webkit2gtk-driver)")
    try:
        return tauri.ensure_tauri_driver(SHELL)
    except cargo.CargoError as exc:
        pytest.fail(str(exc))


@pytest.fixture
def artifacts_dir() -> Path:
    folder = Path(os.environ.get("TEST_ARTIFACTS_DIR", REPO / "test-artifacts")) / "tauri"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
