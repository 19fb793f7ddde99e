"""The release build as a real process in a real window (Xvfb): the smoke-test contract, and
what happens to `serve` and `worker` when the app is killed, closed, or loses its worker."""

from __future__ import annotations

import json
import os
import signal
import time

import psutil
from tauri_app import (
    BUILD_TIMEOUT,
    LINUX_ONLY,
    close_window_like_a_window_manager,
    gone,
    press_key_in_window,
    wait_for_window,
    wait_until_gone,
)

pytestmark = [LINUX_ONLY, BUILD_TIMEOUT]

# windows.rs: the app window is never narrower than this; the splash is 440 px.
APP_WINDOW_MIN_WIDTH = 720


def test_smoke_mode_exits_0_once_the_main_page_loaded_and_all_stopped(launch):
    app = launch(DESKTOP_DJANGO_SMOKE_TEST="1")
    server, worker = app.backend_pids()
    page = app.wait_for("page-loaded")
    assert page["url"].endswith("/")
    assert "token" not in page["url"]
    assert app.wait_for("smoke-test")["passed"] is True
    stopped = app.wait_for("stopped")
    assert stopped["allStopped"] is True
    assert app.process.wait(timeout=30) == 0
    assert gone(server)
    assert gone(worker)


def test_smoke_mode_fails_when_the_backend_cannot_start(launch, tmp_path):
    empty_stage = tmp_path / "no-stage"
    empty_stage.mkdir()
    app = launch(DESKTOP_DJANGO_SMOKE_TEST="1", DESKTOP_DJANGO_STAGE_DIR=str(empty_stage))
    error = app.wait_for("error")
    assert "runtime-manifest.json" in error["message"]
    assert app.wait_for("smoke-test")["passed"] is False
    assert app.process.wait(timeout=30) == 1


def test_kill_9_of_the_app_takes_serve_and_worker_down_within_2_seconds(launch):
    app = launch()
    server, worker = app.backend_pids()
    app.wait_for("page-loaded")
    assert not gone(server)
    assert not gone(worker)
    app.process.send_signal(signal.SIGKILL)
    app.process.wait(timeout=10)
    # Their stdin pipes close with the app: the launcher's orphan guard does the rest.
    assert wait_until_gone([server, worker], timeout=2.0), "serve or worker outlived the app"


def test_closing_the_window_stops_everything_cleanly(launch, app_env, artifacts_dir):
    app = launch()
    server, worker = app.backend_pids()
    app.wait_for("page-loaded")
    # The app window, not the splash (same title, 440 px wide, closing by now).
    wait_for_window(app_env["DISPLAY"], "Flying Stable", min_width=APP_WINDOW_MIN_WIDTH)
    # A window that has only just been mapped can miss the message (GTK is still settling
    # it): like a user clicking again, ask once more if nothing happened.
    for _attempt in range(3):
        closed_at = time.monotonic()
        close_window_like_a_window_manager(
            app_env["DISPLAY"], "Flying Stable", min_width=APP_WINDOW_MIN_WIDTH
        )
        if app.process_stops_within(5):
            break
    stopped = app.wait_for("stopped", timeout=30)
    assert app.process.wait(timeout=30) == 0
    wall = time.monotonic() - closed_at
    assert stopped["allStopped"] is True
    assert gone(server)
    assert gone(worker)
    # The supervisor's grace period is 5 s; a clean stop needs none of it being used up.
    assert stopped["seconds"] < 5
    report = {"stop_seconds": stopped["seconds"], "close_to_exit_seconds": round(wall, 3)}
    (artifacts_dir / "close-stop-time.json").write_text(json.dumps(report), encoding="utf-8")
    print(f"close -> stopped: backend stop {stopped['seconds']:.3f} s, process exit {wall:.3f} s")


def backend_processes_of(app_data: str) -> list[psutil.Process]:
    """serve and worker of this app data (their environment names it), the app not counted."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        try:
            if (process.info["cmdline"] or [""])[-1] in ("serve", "worker") and (
                process.environ().get("DESKTOP_DJANGO_APP_DATA_DIR") == app_data
            ):
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def close_the_splash_and_wait(app, display: str) -> None:
    """Close the splash as a user would (see test_closing_the_window_stops_everything_cleanly
    for why more than once), until the app exits."""
    wait_for_window(display, "Flying Stable")
    for _attempt in range(3):
        close_window_like_a_window_manager(display, "Flying Stable")
        if app.process_stops_within(5):
            return


def test_closing_the_splash_while_the_backend_starts_quits_and_leaves_nothing(launch, app_env):
    """The app window is made at once, hidden (windows::prepare_main), so the splash is not the
    last window: closing it must still quit. serve is held (SIGSTOP) before its ready line, so
    the backend is still starting when the splash closes, as with a slow first migration."""
    app_data = app_env["DESKTOP_DJANGO_APP_DATA_DIR"]
    app = launch()
    deadline = time.monotonic() + 30
    while not (held := backend_processes_of(app_data)):
        assert time.monotonic() < deadline, "serve was never spawned"
        time.sleep(0.02)
    held[0].suspend()
    try:
        close_the_splash_and_wait(app, app_env["DISPLAY"])
        assert app.process.wait(timeout=30) == 0
    finally:
        held[0].resume()
    assert "backend-ready" not in [event["event"] for event in app.seen]
    # Its stdin closed with the app: the launcher's orphan guard stops it once it runs again.
    assert wait_until_gone([held[0].pid], timeout=5), "serve outlived the closed splash"
    assert backend_processes_of(app_data) == []


def test_closing_the_splash_after_a_failed_start_quits(launch, app_env, tmp_path):
    empty_stage = tmp_path / "no-stage"
    empty_stage.mkdir()
    app = launch(DESKTOP_DJANGO_STAGE_DIR=str(empty_stage))
    assert "runtime-manifest.json" in app.wait_for("error")["message"]
    close_the_splash_and_wait(app, app_env["DISPLAY"])
    assert app.process.wait(timeout=30) == 0


def test_a_dead_worker_is_restarted(launch):
    app = launch()
    server, worker = app.backend_pids()
    app.wait_for("page-loaded")
    os.kill(worker, signal.SIGKILL)
    app.wait_for("worker-exited", timeout=10)
    restarted = app.wait_for("worker-restarted", timeout=15)
    assert restarted["pid"] != worker
    replacement = psutil.Process(restarted["pid"])
    # Announced at spawn: the command line shows once the new process has exec'd.
    deadline = time.monotonic() + 5
    while not replacement.cmdline() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert replacement.cmdline()[-1] == "worker"
    assert not gone(server)


def test_a_dead_server_is_reported_and_the_app_quits_cleanly(launch, app_env):
    app = launch()
    server, worker = app.backend_pids()
    app.wait_for("page-loaded")
    os.kill(server, signal.SIGKILL)
    assert "SIGKILL" in app.wait_for("server-exited", timeout=10)["status"]
    # The dialog names the app (from the config) and offers the logs or Quit.
    wait_for_window(app_env["DISPLAY"], "Flying Stable stopped")
    press_key_in_window(app_env["DISPLAY"], "Flying Stable stopped", "Escape")
    assert app.wait_for("stopped", timeout=20)["allStopped"] is True
    assert app.process.wait(timeout=20) == 1
    assert gone(worker)
