"""What test_no_egress.py runs inside the loopback-only namespace, under strace: the staged
backend and worker driven through the app's pages and a routine, then each shell's real
window in smoke mode. One JSON line per step on stdout; any failure exits non-zero.

`python -m tests.reliability.no_egress_session --stage DIR --work DIR` and one of `--pages`
(backend and worker through the pages), `--shell positron|tauri --display :N` (one window)
or `--control` (only `serve`, made to try the TEST-NET address first: the run whose trace
must be caught).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from desktop_django.manifest import load as load_manifest
from desktop_django_testing.backend import (
    launcher_env,
    new_token,
    read_protocol_line,
    request,
    start_routine,
    wait_for_latest_routine,
)
from desktop_django_testing.processes import stop_child

from tests.reliability.http_client import Client
from tests.support import shell_windows
from tests.support.egress import TEST_NET_ADDRESS

TEST_SETTINGS = "flying_stable.settings.test"  # routines of a fraction of a second, never failing
NEW_PONY = "Egress Check"
WINDOW_SECONDS = 60

# The control's `serve`: one connection attempt to TEST-NET, then the launcher as usual.
CONTROL_PROBE = f"""
import runpy, socket, sys
probe = socket.socket()
probe.settimeout(2)
try:
    probe.connect(({TEST_NET_ADDRESS!r}, 80))
except OSError:
    pass
probe.close()
module = sys.argv[1]
sys.argv = [module, *sys.argv[2:]]
runpy.run_module(module, run_name="__main__", alter_sys=True)
"""


def step(event: str, /, **details) -> None:
    print(json.dumps({"step": event, **details}), flush=True)


def start_backend(stage: Path, app_data: Path, control: bool) -> tuple[dict, list]:
    """serve (and, except in the control, worker) started from the manifest, as a shell does."""
    manifest = load_manifest(stage)
    token = new_token()
    env = launcher_env(app_data, token, stage, DJANGO_SETTINGS_MODULE=TEST_SETTINGS)
    serve_argv = manifest.launch("serve").argv
    if control:
        module = manifest.data["launcher"]["module"]
        serve_argv = [serve_argv[0], "-I", "-c", CONTROL_PROBE, module, "serve"]
    popen = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "env": env, "cwd": stage}
    serve = subprocess.Popen(serve_argv, stderr=subprocess.DEVNULL, **popen)
    processes = [serve]
    line = read_protocol_line(serve)
    assert line["event"] == "ready", line
    backend = {"url": line["url"], "token": token, "serve_pid": serve.pid}
    if not control:
        worker = subprocess.Popen(
            manifest.launch("worker").argv, stderr=subprocess.DEVNULL, **popen
        )
        processes.append(worker)
        backend["worker_pid"] = worker.pid
    return backend, processes


def drive_pages(url: str, token: str) -> None:
    """The ponies list, a pony created through the form (CSRF), the routines page, and a
    routine started and seen to finish."""
    listing = request(url, "/", token=token)
    assert listing.status == 200, listing.status
    client = Client(url, token)
    client.prepare_csrf()
    created = client.post_form("/ponies/new/", {"name": NEW_PONY, "status": "grazing"})
    client.close()
    assert created == 302, f"creating a pony answered {created}"
    assert NEW_PONY.encode() in request(url, "/", token=token).body
    step("pony-created", name=NEW_PONY)
    assert request(url, "/routines/", token=token).status == 200
    started = start_routine(url, token, "grooming")
    assert started.status == 302, f"starting a routine answered {started.status}"
    routine, seen = wait_for_latest_routine(url, token, "done", timeout=30)
    assert routine["status"] == "done", (routine, seen)
    step("routine-finished", statuses=sorted(seen))


def run_window(name: str, stage: Path, work: Path, display: str) -> None:
    window = shell_windows.positron() if name == shell_windows.POSITRON else shell_windows.tauri()
    assert not isinstance(window, str), window
    app = shell_windows.RunningWindow(
        window, stage, work / f"{name}-data", display, home=work / f"{name}-home"
    )
    status = app.wait(WINDOW_SECONDS)
    loaded = app.first("page-loaded")
    assert status == 0, f"{name} exited {status}; {app.report()}"
    assert loaded is not None, f"{name} never loaded its main page; {app.report()}"
    step(
        "window", shell=name, build=window.build, url=loaded[1]["url"], seconds=round(loaded[0], 2)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="no_egress_session")
    parser.add_argument("--stage", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--display")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--pages", action="store_true")
    what.add_argument("--shell", choices=(shell_windows.POSITRON, shell_windows.TAURI))
    what.add_argument("--control", action="store_true")
    args = parser.parse_args(argv)
    if args.shell:
        run_window(args.shell, args.stage, args.work, args.display)
        step("done")
        return 0
    backend, processes = start_backend(args.stage, args.work / "backend-data", args.control)
    step("backend-ready", **{key: value for key, value in backend.items() if key != "token"})
    try:
        if args.control:
            assert request(backend["url"], "/health/", token=backend["token"]).status == 200
        else:
            drive_pages(backend["url"], backend["token"])
    finally:
        for process in processes:
            stop_child(process)
    step("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
