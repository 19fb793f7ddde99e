"""Drive the launcher contract from tests: spawn `serve`/`worker`, read the protocol line,
make requests with or without the token, and check that processes are really gone."""

from __future__ import annotations

import http.client
import json
import os
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import psutil

from desktop_django_testing.processes import read_line_within, stop_child

TOKEN_HEADER = "X-Desktop-Django-Token"
PACKAGED_SETTINGS = "flying_stable.settings.packaged"
LAUNCHER_MODULE = "flying_stable.desktop"


def new_token() -> str:
    return secrets.token_hex(32)


def launcher_env(app_data: Path, token: str, stage_dir: Path | None, **extra: str) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DESKTOP_DJANGO_", "DJANGO_SETTINGS_MODULE"))
    }
    env.update(
        DESKTOP_DJANGO_APP_DATA_DIR=str(app_data),
        DESKTOP_DJANGO_AUTH_TOKEN=token,
        DJANGO_SETTINGS_MODULE=PACKAGED_SETTINGS,
        PYTHONUNBUFFERED="1",
    )
    if stage_dir is not None:
        env["DESKTOP_DJANGO_STAGE_DIR"] = str(stage_dir)
    env.update(extra)
    return env


def spawn(role: str, env: dict, python: str = sys.executable, **popen) -> subprocess.Popen:
    return subprocess.Popen(
        [python, "-m", LAUNCHER_MODULE, role],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=popen.pop("stderr", subprocess.DEVNULL),
        env=env,
        **popen,
    )


def read_protocol_line(process: subprocess.Popen, timeout: float = 20.0) -> dict:
    """The first stdout line as JSON, or an AssertionError naming what happened instead."""
    try:
        raw = read_line_within(process, timeout)
    except TimeoutError:
        raise AssertionError(f"no protocol line within {timeout} s") from None
    if not raw:
        raise AssertionError(f"stdout closed before a protocol line (exit {process.wait(5)})")
    return json.loads(raw)


@dataclass
class Response:
    status: int
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


def request(
    url: str,
    path: str,
    token: str | None = None,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict | None = None,
) -> Response:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    all_headers = dict(headers or {})
    if token is not None:
        all_headers[TOKEN_HEADER] = token
    try:
        connection.request(method, path, body=body, headers=all_headers)
        reply = connection.getresponse()
        return Response(reply.status, {k.lower(): v for k, v in reply.getheaders()}, reply.read())
    finally:
        connection.close()


def wait_until_gone(pids: list[int], timeout: float) -> list[int]:
    """Pids still alive (zombies count as gone) after waiting up to `timeout` seconds."""
    deadline = time.monotonic() + timeout
    alive = list(pids)
    while alive and time.monotonic() < deadline:
        alive = [pid for pid in alive if _alive(pid)]
        if alive:
            time.sleep(0.05)
    return alive


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@dataclass
class RunningBackend:
    """A `serve` (and optionally a `worker`) started the way a shell starts them."""

    app_data: Path
    stage_dir: Path | None
    token: str = field(default_factory=new_token)
    extra_env: dict = field(default_factory=dict)
    serve: subprocess.Popen | None = None
    worker: subprocess.Popen | None = None
    url: str = ""

    @property
    def env(self) -> dict:
        return launcher_env(self.app_data, self.token, self.stage_dir, **self.extra_env)

    def start(self, with_worker: bool = False) -> RunningBackend:
        self.serve = spawn("serve", self.env)
        line = read_protocol_line(self.serve)
        assert line["event"] == "ready", line
        self.url = line["url"]
        if with_worker:
            self.worker = spawn("worker", self.env)
        return self

    def get(self, path: str, **kwargs) -> Response:
        return request(self.url, path, token=self.token, **kwargs)

    def stop(self, timeout: float = 5.0) -> None:
        # Both stdins first, so the two processes stop in parallel, as under a real shell.
        for process in (self.worker, self.serve):
            if process is not None and process.poll() is None:
                process.stdin.close()
        for process in (self.worker, self.serve):
            if process is not None:
                stop_child(process, timeout)


def start_routine(url: str, token: str, kind: str) -> Response:
    """Start a routine the way the page does: GET the form for its CSRF token, then POST."""
    import re
    from urllib.parse import urlencode

    page = request(url, "/routines/", token=token)
    cookie = re.search(r"csrftoken=([^;]+)", page.headers["set-cookie"]).group(1)
    form_token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body).group(1)
    return request(
        url,
        "/routines/start/",
        token=token,
        method="POST",
        body=urlencode({"kind": kind, "csrfmiddlewaretoken": form_token.decode()}).encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookie}",
        },
    )


def wait_for_latest_routine(url: str, token: str, status: str, timeout: float) -> tuple[dict, set]:
    """Poll the status endpoint until the newest routine reaches `status`; returns it and
    every status seen on the way."""
    deadline = time.monotonic() + timeout
    seen: set[str] = set()
    routine: dict = {}
    while time.monotonic() < deadline:
        routine = request(url, "/routines/status.json", token=token).json()["routines"][0]
        seen.add(routine["status"])
        if routine["status"] == status:
            break
        time.sleep(0.05)
    return routine, seen


# A stand-in shell for orphan tests: starts serve and worker on pipes, reports their pids,
# then idles until it is killed (SIGKILL gives it no chance to clean up).
PARENT_SCRIPT = """
import subprocess, sys, time
children = [
    subprocess.Popen([sys.executable, "-m", "flying_stable.desktop", role],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    for role in ("serve", "worker")
]
print(" ".join(str(c.pid) for c in children), flush=True)
print(children[0].stdout.readline().decode().strip(), flush=True)
time.sleep(600)
"""


def spawn_parent(env: dict) -> tuple[subprocess.Popen, list[int]]:
    """Start the stand-in shell; returns it and the pids of its serve and worker."""
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT_SCRIPT],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    pids = [int(pid) for pid in parent.stdout.readline().split()]
    return parent, pids


def read_only_command(app_data: Path, command: list[str]) -> list[str]:
    """`command`, run so that `app_data` is read-only for it, even as root (a read-only bind
    mount in a private mount namespace). Raises RuntimeError where that cannot be arranged."""
    from desktop_django_testing.namespaces import in_mount_namespace

    script = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'
    wrapped = in_mount_namespace(script, str(app_data), *command)
    if wrapped is None:
        raise RuntimeError("a read-only folder needs a private mount namespace (Linux)")
    return wrapped
