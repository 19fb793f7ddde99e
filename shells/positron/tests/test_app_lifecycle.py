"""Startup and shutdown of the Toga app on Toga's dummy backend, with the real backend host
in this process: bootstrap URL, page-load handling, instance commands, lock release."""

from __future__ import annotations

import asyncio
import json
import os
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from desktop_django.app_data import AppData
from desktop_django.instance_lock import InstanceLock

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def dummy_app(tmp_path_factory):
    os.environ["TOGA_BACKEND"] = "toga_dummy"
    from flying_stable_positron.app import create_app
    from flying_stable_positron.host import BackendHost

    app_data = AppData(tmp_path_factory.mktemp("positron-data")).prepare()
    app = create_app()
    app.host = BackendHost(
        app_data,
        InstanceLock(app_data.lock_file).acquire(),
        settings_module="flying_stable.settings.test",
    )
    return app


def run_loop_until(app, condition, timeout=30.0):
    async def wait():
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError("condition not reached in time")
            await asyncio.sleep(0.05)

    app.loop.run_until_complete(wait())


def events(capsys) -> list[dict]:
    return [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")
    ]


def test_backend_starts_then_webview_goes_to_bootstrap(dummy_app, capsys):
    app = dummy_app
    run_loop_until(app, lambda: app.webview.url and "bootstrap" in app.webview.url)
    parts = urlsplit(app.webview.url)
    assert f"{parts.scheme}://{parts.netloc}" == app.host.url
    assert parse_qs(parts.query) == {"token": [app.host.token], "next": ["/"]}
    assert {"event": "backend-ready", "url": app.host.url} in events(capsys)


def test_page_load_of_the_redirect_target_is_announced_once(dummy_app, capsys):
    app = dummy_app
    app.on_page_load(type("Loaded", (), {"url": f"{app.host.url}/"})())
    app.on_page_load(type("Loaded", (), {"url": f"{app.host.url}/"})())
    loaded = [e for e in events(capsys) if e["event"] == "page-loaded"]
    assert loaded == [{"event": "page-loaded", "url": f"{app.host.url}/", "token_in_url": False}]


def test_second_launch_command_focuses_the_window(dummy_app, capsys):
    from flying_stable_positron.single_instance import send_command

    app = dummy_app
    assert send_command(InstanceLock(app.host.app_data.lock_file), "focus")
    seen: list[dict] = []

    def focused() -> bool:
        seen.extend(events(capsys))
        return any(event["event"] == "focused" for event in seen)

    run_loop_until(app, focused)


def test_exit_stops_everything_within_budget_and_releases_the_lock(dummy_app, capsys):
    app = dummy_app
    assert app.handle_exit(app) is True
    stopped = [e for e in events(capsys) if e["event"] == "stopped"]
    assert stopped
    assert stopped[0]["seconds"] < 3
    assert not app.host._worker_thread.is_alive()
    InstanceLock(app.host.app_data.lock_file).acquire().release()  # free again
