"""Startup and shutdown of the Toga app on Toga's dummy backend, with the real backend host
in this process: bootstrap URL, page-load handling, instance commands, diagnostics, exit.

Every test works alone and in any order: the shared app is started (backend up, bootstrap
URL loaded) by its fixture, and the exit, which ends an app for good, runs in a process of
its own.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import zipfile
from urllib.parse import parse_qs, urlsplit

import pytest
from desktop_django.app_data import AppData
from desktop_django.instance_lock import InstanceLock

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def run_loop_until(app, condition, timeout=30.0):
    async def wait():
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError("condition not reached in time")
            await asyncio.sleep(0.05)

    app.loop.run_until_complete(wait())


@pytest.fixture(scope="module")
def dummy_app(tmp_path_factory):
    """The app with its backend started and the WebView sent to the bootstrap URL; the
    milestone lines it printed on the way are in `app.milestones`."""
    os.environ["TOGA_BACKEND"] = "toga_dummy"
    import flying_stable_positron.app as positron
    from flying_stable_positron.host import BackendHost

    app_data = AppData(tmp_path_factory.mktemp("positron-data")).prepare()
    app = positron.create_app()
    app.host = BackendHost(
        app_data,
        InstanceLock(app_data.lock_file).acquire(),
        settings_module="flying_stable.settings.test",
    )
    milestones: list[dict] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            positron, "announce", lambda event, **details: milestones.append(
                {"event": event, **details}
            )
        )  # fmt: skip
        run_loop_until(app, lambda: app.webview.url and "bootstrap" in app.webview.url)
        app.milestones = milestones
        yield app
    app.handle_exit(app)


def test_backend_starts_then_webview_goes_to_bootstrap(dummy_app):
    app = dummy_app
    parts = urlsplit(app.webview.url)
    assert f"{parts.scheme}://{parts.netloc}" == app.host.url
    assert parse_qs(parts.query) == {"token": [app.host.token], "next": ["/"]}
    assert {"event": "backend-ready", "url": app.host.url} in app.milestones


def test_page_load_of_the_redirect_target_is_announced_once(dummy_app):
    app = dummy_app
    app.on_page_load(type("Loaded", (), {"url": f"{app.host.url}/"})())
    app.on_page_load(type("Loaded", (), {"url": f"{app.host.url}/"})())
    loaded = [e for e in app.milestones if e["event"] == "page-loaded"]
    assert loaded == [{"event": "page-loaded", "url": f"{app.host.url}/", "token_in_url": False}]


def test_second_launch_command_focuses_the_window(dummy_app):
    from flying_stable_positron.single_instance import send_command

    app = dummy_app
    assert send_command(InstanceLock(app.host.app_data.lock_file), "focus")
    run_loop_until(app, lambda: any(e["event"] == "focused" for e in app.milestones))


def test_navigation_is_allowed_only_to_the_backend_origin(dummy_app):
    app = dummy_app
    port = int(urlsplit(app.host.url).port)
    assert app.may_load(f"{app.host.url}/routines/")
    assert not app.may_load(f"http://127.0.0.1:{port + 1}/")
    assert not app.may_load("http://127.0.0.1/")  # the splash's base, once the app is up
    assert not app.may_load("https://example.com/")


def test_export_diagnostics_writes_a_zip_without_the_token(dummy_app, tmp_path):
    from flying_stable_positron.app import DIAGNOSTICS_COMMAND

    app = dummy_app
    command = next(cmd for cmd in app.commands if cmd.text == DIAGNOSTICS_COMMAND)
    target = tmp_path / "support.zip"
    app.main_window._impl.dialog_responses = {"SaveFileDialog": [target], "InfoDialog": [None]}
    app.loop.run_until_complete(app.export_diagnostics(command))
    assert {"event": "diagnostics", "path": str(target)} in app.milestones
    with zipfile.ZipFile(target) as archive:
        contents = b"".join(archive.read(name) for name in archive.namelist())
    assert app.host.token.encode() not in contents


def test_the_health_gate_passes_the_running_backend_and_names_what_is_missing(dummy_app):
    from flying_stable_positron.gate import GateFailed, pass_gate

    host = dummy_app.host
    pass_gate(host.url, host.token, host.app_data.root, host.worker_running)
    with pytest.raises(GateFailed, match=r"within 0.3 s: /health/ answered HTTP 403$"):
        pass_gate(host.url, "0" * 64, host.app_data.root, host.worker_running, deadline=0.3)
    # A worker record of another process, or a worker thread that is gone, is no worker.
    with pytest.raises(GateFailed, match=r"the task worker did not start$"):
        pass_gate(host.url, host.token, host.app_data.root, host.worker_running, 0.3, pid=1)
    with pytest.raises(GateFailed, match=r"the task worker did not start$"):
        pass_gate(host.url, host.token, host.app_data.root, lambda: False, deadline=0.3)


def test_install_backend_update_is_in_help_and_needs_a_staged_backend(dummy_app):
    import toga
    from flying_stable_positron.app import BACKEND_UPDATE_COMMAND

    app = dummy_app
    command = next(cmd for cmd in app.commands if cmd.text == BACKEND_UPDATE_COMMAND)
    assert command.group == toga.Group.HELP
    # This run imports the backend from its environment, not a stage: nothing to update.
    app.main_window._impl.dialog_responses = {"InfoDialog": [None]}
    before = list(app.milestones)
    app.loop.run_until_complete(app.install_backend_update(command))
    assert app.milestones == before
    assert app.main_window._impl.dialog_responses == {"InfoDialog": []}


EXIT_SCRIPT = """
import asyncio, json, os, sys
from pathlib import Path
os.environ["TOGA_BACKEND"] = "toga_dummy"
from desktop_django.app_data import AppData
from desktop_django.instance_lock import InstanceLock
from flying_stable_positron.app import create_app
from flying_stable_positron.host import BackendHost

app_data = AppData(Path(sys.argv[1])).prepare()
app = create_app()
app.host = BackendHost(app_data, InstanceLock(app_data.lock_file).acquire(),
                       settings_module="flying_stable.settings.test")

async def until_started():
    while not (app.webview.url and "bootstrap" in app.webview.url):
        await asyncio.sleep(0.05)

app.loop.run_until_complete(asyncio.wait_for(until_started(), 30))
app.handle_exit(app)
print(json.dumps({"worker_alive": app.host._worker_thread.is_alive()}))
"""


def test_exit_stops_everything_within_budget_and_releases_the_lock(tmp_path):
    app_data = tmp_path / "exit-data"
    done = subprocess.run(
        [sys.executable, "-c", EXIT_SCRIPT, str(app_data)],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    stopped = [line for line in lines if line.get("event") == "stopped"]
    assert stopped, done.stdout + done.stderr
    assert stopped[0]["seconds"] < 3
    assert lines[-1] == {"worker_alive": False}
    InstanceLock(app_data / "app.lock").acquire().release()  # free again


def test_the_install_flag_without_a_stage_is_refused_before_anything_starts(tmp_path):
    """A run that imports the backend from its environment has no slots to install into."""
    done = subprocess.run(
        [sys.executable, "-m", "flying_stable_positron", "--install-backend-update", "fix.layer"],
        capture_output=True, text=True, timeout=60, check=False, cwd=tmp_path,
        env={**os.environ, "DESKTOP_DJANGO_APP_DATA_DIR": str(tmp_path / "data")},
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "--install-backend-update needs --stage" in done.stderr
    assert not (tmp_path / "data").exists()
