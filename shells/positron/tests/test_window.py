"""Positron for real: GTK + WebKitGTK on Xvfb, against the staged backend."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from desktop_django.instance_lock import InstanceLock
from desktop_django_testing.ci import only_on
from desktop_django_testing.other_service import OtherLoopbackService
from desktop_django_testing.stage import link_or_copy
from flying_stable_positron.single_instance import send_command

pytestmark = [
    pytest.mark.slow,
    only_on("linux", reason="the real window is GTK on Xvfb (Linux)"),
]

HEADER_COLOUR = (0x4B, 0x2A, 0x7B)  # --color-header in stable.css


class PositronProcess:
    def __init__(self, stage: Path, app_data: Path, display: str, *args: str, **extra_env: str):
        self.app_data = app_data
        env = {
            **extra_env,
            "DISPLAY": display,
            "DESKTOP_DJANGO_APP_DATA_DIR": str(app_data),
            "PATH": "/usr/bin:/bin",
            "HOME": str(app_data.parent),
            "NO_AT_BRIDGE": "1",  # no accessibility bus on a bare Xvfb
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flying_stable_positron", "--stage", str(stage), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )
        self.events: queue.Queue = queue.Queue()
        self.seen: list[dict] = []  # every event, also those no wait_for asked for
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            if line.startswith("{"):
                event = json.loads(line)
                self.seen.append(event)
                self.events.put(event)
        self.events.put({"event": "<exit>"})

    def count(self, name: str) -> int:
        return sum(1 for event in self.seen if event["event"] == name)

    def wait_for(self, name: str, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                event = self.events.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                break
            if event["event"] == name:
                return event
            if event["event"] in ("<exit>", "error"):
                break
        self.process.kill()
        raise AssertionError(f"no {name!r} event; stderr:\n{self.process.stderr.read()[-3000:]}")


def header_pixels(image) -> int:
    rgb = image.convert("RGB")
    return sum(count for count, colour in rgb.getcolors(1 << 24) if colour == HEADER_COLOUR)


# The header bar of the ponies page covers far more than this once it is on screen.
PAINTED = 5_000


def first_paint(display: str, timeout: float = 30):
    """The screen once WebKit has painted the loaded page (page-loaded comes before the
    paint, and a loaded machine can take seconds between them), or the last look."""
    from PIL import ImageGrab

    deadline = time.monotonic() + timeout
    while True:
        shot = ImageGrab.grab(xdisplay=display)
        if header_pixels(shot) > PAINTED or time.monotonic() > deadline:
            return shot
        time.sleep(0.25)


def test_window_shows_ponies_page_and_quits_cleanly(staged, xvfb_display, tmp_path, artifacts_dir):
    app = PositronProcess(staged, tmp_path / "app-data", xvfb_display)
    loaded = app.wait_for("page-loaded")
    assert loaded["url"].endswith("/")
    assert loaded["token_in_url"] is False
    shot = first_paint(xvfb_display)
    shot.save(artifacts_dir / "positron-window.png")
    assert header_pixels(shot) > PAINTED, "the app header colour is missing: blank window?"

    started = time.monotonic()
    assert send_command(InstanceLock(app.app_data / "app.lock"), "quit")
    stopped = app.wait_for("stopped", timeout=10)
    assert app.process.wait(timeout=5) == 0
    assert stopped["seconds"] < 3
    assert time.monotonic() - started < 5
    InstanceLock(app.app_data / "app.lock").acquire().release()  # the lock was released


def test_second_launch_focuses_the_first_and_starts_no_server(staged, xvfb_display, tmp_path):
    first = PositronProcess(staged, tmp_path / "shared", xvfb_display)
    first.wait_for("page-loaded")
    owner_before = InstanceLock(tmp_path / "shared" / "app.lock").owner()
    second = PositronProcess(staged, tmp_path / "shared", xvfb_display)
    handed = second.wait_for("already-running", timeout=30)
    assert handed["handed_off"] is True
    assert second.process.wait(timeout=10) == 0
    first.wait_for("focused", timeout=10)
    assert InstanceLock(tmp_path / "shared" / "app.lock").owner()["url"] == owner_before["url"]
    assert send_command(InstanceLock(tmp_path / "shared" / "app.lock"), "quit")
    assert first.process.wait(timeout=10) == 0


def test_a_passed_smoke_test_exits_at_once(staged, xvfb_display, tmp_path):
    app = PositronProcess(
        staged, tmp_path / "app-data", xvfb_display, DESKTOP_DJANGO_SMOKE_TEST="1"
    )
    passed = app.wait_for("smoke-test")
    assert passed["passed"] is True
    ended = time.monotonic()
    assert app.process.wait(timeout=10) == 0
    # The smoke timeout (60 s) must not hold the process once the test has passed.
    assert time.monotonic() - ended < 5
    assert not (app.app_data / "app.owner.json").exists()


def test_ctrl_c_stops_the_backend_cleanly(staged, xvfb_display, tmp_path):
    app = PositronProcess(staged, tmp_path / "app-data", xvfb_display)
    app.wait_for("page-loaded")
    app.process.send_signal(signal.SIGINT)
    stopped = app.wait_for("stopped", timeout=10)
    assert stopped["seconds"] < 3
    assert app.process.wait(timeout=5) == 0
    assert not (app.app_data / "app.owner.json").exists()
    InstanceLock(app.app_data / "app.lock").acquire().release()


def test_the_page_cannot_send_the_web_view_to_another_loopback_port(staged, xvfb_display, tmp_path):
    """H2: cookies ignore ports, so another port on 127.0.0.1 would receive the token
    cookie. The page's own script tries to go there; the WebView must stay, and the other
    server must never be asked for anything."""
    other = OtherLoopbackService("/steal")
    try:
        app = PositronProcess(
            staged, tmp_path / "app-data", xvfb_display,
            DESKTOP_DJANGO_SMOKE_TEST="1", DESKTOP_DJANGO_SMOKE_NAVIGATE_TO=other.url,
        )  # fmt: skip
        loaded = app.wait_for("page-loaded")
        refused = app.wait_for("navigation-refused", timeout=15)
        probe = app.wait_for("navigation-probe", timeout=15)
        app.wait_for("smoke-test", timeout=15)
        assert app.process.wait(timeout=15) == 0
    finally:
        other.close()
    assert refused["url"] == other.url
    assert probe["url"].startswith(loaded["url"].rsplit("/", 1)[0])
    assert other.requests == [], other.requests


def broken_slot(stage: Path, app_data: Path, version: str) -> Path:
    """A complete slot `version` in app data: the stage, hard-linked, whose settings module
    raises on import (a new version that cannot start), and a state that puts it on trial."""
    from desktop_django import slots

    slot = slots.stages_dir(app_data) / version
    for source in stage.rglob("*"):
        target = slot / source.relative_to(stage)
        if source.is_dir() and not source.is_symlink():
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            link_or_copy(source, target, follow_symlinks=False)
    manifest = json.loads((stage / "runtime-manifest.json").read_text(encoding="utf-8"))
    manifest["app"]["version"] = version
    (slot / "runtime-manifest.json").unlink()  # a link: never write through it into the stage
    (slot / "runtime-manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    settings = next(slot.glob("python/lib/python3.*/site-packages/flying_stable/settings"))
    for compiled in settings.glob("__pycache__/packaged.*.pyc"):
        compiled.unlink()
    (settings / "packaged.py").unlink()
    (settings / "packaged.py").write_text("raise ImportError('the new backend is broken')\n")
    (slot / slots.COMPLETE_MARK).touch()
    state = slots.new_state(version, slots.FACTORY, None, [])
    slots.write_state(app_data, state)
    return slot


def test_a_trial_that_cannot_start_is_rolled_back_in_the_window(staged, xvfb_display, tmp_path):
    """A backend update whose code fails to import: the trial fails, Positron starts again on
    the installed stage, says so in one sentence, and the ponies page loads from there."""
    app_data = tmp_path / "app-data"
    broken_slot(staged, app_data, "99.0.0")
    app = PositronProcess(staged, app_data, xvfb_display, DESKTOP_DJANGO_SMOKE_TEST="1")
    failed = app.wait_for("trial-failed")
    assert failed["version"] == "99.0.0"
    assert "the new backend is broken" in failed["message"]
    relaunch = app.wait_for("relaunching")
    assert relaunch["argv"][-2:] == ["--after-failed-trial", "99.0.0"]
    ready = app.wait_for("backend-ready")
    assert ready["slot"] == "factory"
    rolled = app.wait_for("rolled-back")
    version = json.loads((staged / "runtime-manifest.json").read_text())["app"]["version"]
    assert (rolled["from"], rolled["to"]) == ("99.0.0", version)
    assert rolled["message"] == (
        f"Backend 99.0.0 failed to start; you are back on {version}. "
        f"Details: {app_data / 'logs' / 'positron.log'}"
    )
    assert app.wait_for("smoke-test")["passed"] is True
    assert app.process.wait(timeout=15) == 0
    # The runtime rolled the trial back: the version is bad and is not tried again.
    from desktop_django import slots

    state = slots.read_state(app_data)
    assert (state["active"], state["status"], state["bad"]) == ("factory", "good", ["99.0.0"])


@dataclass
class Updates:
    """The stage trusting a test key, its next version (one more migration), the layer to it,
    and the same layer signed by another key."""

    factory: Path
    factory_version: str
    version: str
    layer: Path
    other_key_layer: Path


@pytest.fixture(scope="module")
def updates(staged, tmp_path_factory) -> Updates:
    from desktop_django.layers import LAYER_JSON, LAYER_SIGNATURE
    from desktop_django.manifest import load
    from desktop_django_testing.backend_updates import updatable_copy
    from desktop_django_testing.stage import next_version_of
    from desktop_django_tools.layer import make_layer
    from desktop_django_tools.release import signing

    root = tmp_path_factory.mktemp("positron-updates")
    key = signing.generate()
    factory = updatable_copy(staged, root / "factory" / "backend", key.public_key_text())
    version = next_version_of(factory, root / "next" / "backend")
    layer = make_layer(factory, root / "next" / "backend", root / "next.layer", key=key)
    other_key_layer = root / "other-key.layer"
    with zipfile.ZipFile(layer) as source, zipfile.ZipFile(other_key_layer, "w") as copy:
        for name in source.namelist():
            data = source.read(name)
            if name == LAYER_SIGNATURE:
                data = signing.sign(signing.generate(), source.read(LAYER_JSON), "t", "t").encode()
            copy.writestr(name, data, zipfile.ZIP_LZMA)
    factory_version = load(factory, check_files=False).app_version
    return Updates(factory, factory_version, version, layer, other_key_layer)


def seeded(updates: Updates, app_data: Path, display: str) -> None:
    """App data after one normal start of the factory (the database, the demo roster)."""
    first = PositronProcess(updates.factory, app_data, display, DESKTOP_DJANGO_SMOKE_TEST="1")
    assert first.wait_for("smoke-test")["passed"] is True
    assert first.process.wait(timeout=15) == 0


def ponies(app_data: Path) -> list:
    from desktop_django_testing.backend_updates import database_contents

    return database_contents(app_data / "app.sqlite3")["rows"]["ponies_pony"]


def test_install_backend_update_flag_installs_the_layer_and_the_page_shows_the_new_version(
    updates, xvfb_display, tmp_path
):
    """`--install-backend-update FILE` runs the menu item's flow with FILE: once the page is
    up, the layer is applied with the serving slot's interpreter and Positron restarts onto the
    new slot's trial, without the flag (installed once); the gate confirms it and the window
    shows the new version."""
    from desktop_django import slots

    app_data = tmp_path / "app-data"
    seeded(updates, app_data, xvfb_display)
    roster = ponies(app_data)
    app = PositronProcess(
        updates.factory, app_data, xvfb_display,
        "--install-backend-update", str(updates.layer), DESKTOP_DJANGO_SMOKE_TEST="1",
    )  # fmt: skip
    assert app.wait_for("backend-ready")["slot"] == "factory"
    app.wait_for("page-loaded")
    applied = app.wait_for("update-applied", timeout=120)
    assert (applied["version"], applied["slot"]) == (
        updates.version,
        str(slots.stages_dir(app_data) / updates.version),
    )
    relaunch = app.wait_for("relaunching")
    assert relaunch["argv"] == ["-m", "flying_stable_positron", "--stage", str(updates.factory)]
    assert app.wait_for("update-confirmed")["version"] == updates.version
    assert app.wait_for("backend-ready")["slot"] == updates.version
    footer = app.wait_for("page-footer")["text"]
    assert updates.version in footer.split(), footer
    assert app.wait_for("smoke-test")["passed"] is True
    assert app.process.wait(timeout=15) == 0
    assert (app.count("update-applied"), app.count("relaunching")) == (1, 1), app.seen
    state = slots.read_state(app_data)
    assert (state["active"], state["status"], state["highestGood"]) == (
        updates.version, "good", updates.version,
    )  # fmt: skip
    assert ponies(app_data) == roster


@pytest.mark.parametrize("case", ["another key", "missing file"])
def test_a_refused_layer_from_the_flag_leaves_the_old_version_serving(
    case, updates, xvfb_display, tmp_path
):
    """A layer signed by a key the app does not trust, or a file that is not there: refused
    with the menu's message (`update-refused`), the old version still serves in the window,
    and the app data is as it was."""
    from desktop_django_testing.backend_updates import tree_digest

    app_data = tmp_path / "app-data"
    seeded(updates, app_data, xvfb_display)
    before = {"ponies": ponies(app_data), "stages": tree_digest(app_data / "stages")}
    layer = updates.other_key_layer if case == "another key" else tmp_path / "nowhere.layer"
    app = PositronProcess(
        updates.factory, app_data, xvfb_display,
        "--install-backend-update", str(layer), DESKTOP_DJANGO_SMOKE_TEST="1",
    )  # fmt: skip
    refused = app.wait_for("update-refused", timeout=120)
    assert refused["file"] == str(layer)
    expected = "signature does not verify" if case == "another key" else str(layer)
    assert expected in refused["message"], refused
    footer = app.wait_for("page-footer")["text"]
    assert updates.factory_version in footer.split(), footer
    assert app.wait_for("smoke-test")["passed"] is True
    assert app.process.wait(timeout=15) == 0
    assert app.count("relaunching") == 0
    after = {"ponies": ponies(app_data), "stages": tree_digest(app_data / "stages")}
    assert after == before


def test_a_later_launch_hands_its_layer_to_the_running_window(updates, xvfb_display, tmp_path):
    """Opening a .layer file ("Open with") while Positron runs: the second launch hands the file to
    the first, which installs it and restarts onto the new version; the second starts nothing."""
    app_data = tmp_path / "app-data"
    first = PositronProcess(updates.factory, app_data, xvfb_display)
    first.wait_for("page-loaded")
    second = PositronProcess(
        updates.factory, app_data, xvfb_display, "--install-backend-update", str(updates.layer)
    )
    assert second.wait_for("already-running", timeout=30)["handed_off"] is True
    assert second.process.wait(timeout=10) == 0
    first.wait_for("focused", timeout=10)
    assert first.wait_for("update-applied", timeout=120)["version"] == updates.version
    assert first.wait_for("update-confirmed")["version"] == updates.version
    assert first.wait_for("backend-ready")["slot"] == updates.version
    first.wait_for("page-loaded")
    assert send_command(InstanceLock(app_data / "app.lock"), "quit")
    assert first.process.wait(timeout=15) == 0


def test_an_applied_layer_passes_its_trial_in_the_window_and_is_confirmed(
    updates, xvfb_display, tmp_path
):
    """A signed layer with one more migration, installed with the launcher's apply (what
    administrators run without a window): Positron starts the new slot on trial, the gate
    passes, the slot is confirmed, the migration ran, and the page loads from it."""
    import sqlite3

    from desktop_django import slots
    from flying_stable_positron import backend_update

    factory, version = updates.factory, updates.version
    app_data = tmp_path / "app-data"
    applied = backend_update.apply(factory, factory, app_data, updates.layer)
    assert (applied["version"], applied["previous"]) == (version, "factory")
    app = PositronProcess(factory, app_data, xvfb_display, DESKTOP_DJANGO_SMOKE_TEST="1")
    confirmed = app.wait_for("update-confirmed")
    assert confirmed["version"] == version
    assert app.wait_for("backend-ready")["slot"] == version
    assert app.wait_for("smoke-test")["passed"] is True
    assert app.process.wait(timeout=15) == 0
    state = slots.read_state(app_data)
    assert (state["active"], state["status"], state["highestGood"]) == (version, "good", version)
    database = sqlite3.connect(f"file:{app_data / 'app.sqlite3'}?mode=ro", uri=True)
    try:
        applied_migrations = {name for (name,) in database.execute(
            "SELECT name FROM django_migrations WHERE app = 'ponies'"
        )}  # fmt: skip
    finally:
        database.close()
    assert "0002_arrival" in applied_migrations
