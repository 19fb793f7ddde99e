"""A stage's `serve` (and `worker`) started the way a shell starts them, and a small HTTP
client for it: token header, cookies, CSRF-protected forms and file uploads."""

from __future__ import annotations

import os
import re
import subprocess
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode

from desktop_django.manifest import load
from desktop_django_testing.backend import new_token, read_protocol_line


def moved_stage(built: Path, parent: Path) -> Path:
    """Move a built stage to `<parent>/moved/backend`: a stage must run from wherever the
    installer put it, so every end-to-end test serves from a folder it was not built in."""
    stage = parent / "moved" / "backend"
    stage.parent.mkdir()
    built.rename(stage)
    return stage


@dataclass
class Page:
    status: int
    url: str
    headers: dict
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass
class StagedApp:
    stage: Path
    app_data: Path
    token: str = field(default_factory=new_token)
    processes: list = field(default_factory=list)
    url: str = ""
    jar: CookieJar = field(default_factory=CookieJar)

    @property
    def env(self) -> dict:
        return {
            "PATH": os.environ.get("PATH", ""),
            "DESKTOP_DJANGO_APP_DATA_DIR": str(self.app_data),
            "DESKTOP_DJANGO_AUTH_TOKEN": self.token,
            "DESKTOP_DJANGO_STAGE_DIR": str(self.stage),
        }

    def spawn(self, role: str) -> subprocess.Popen:
        process = subprocess.Popen(
            load(self.stage).launch(role).argv,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=self.env, cwd=self.stage,
        )  # fmt: skip
        self.processes.append(process)
        return process

    def __enter__(self) -> StagedApp:
        line = read_protocol_line(self.spawn("serve"), timeout=60)
        assert line["event"] == "ready", line
        self.url = line["url"]
        return self

    def __exit__(self, *exc) -> None:
        for process in self.processes:
            process.stdin.close()
        for process in self.processes:
            assert process.wait(timeout=15) in (0, 3)
            process.stdout.close()

    def open(self, path: str, data: bytes | dict | None = None, token: bool = True,
             content_type: str | None = None) -> Page:  # fmt: skip
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        if token:
            opener.addheaders = [("X-Desktop-Django-Token", self.token)]
        body = urlencode(data).encode() if isinstance(data, dict) else data
        headers = {"Referer": self.url + path} if body is not None else {}
        if content_type:
            headers["Content-Type"] = content_type
        # Only ever our own http://127.0.0.1:PORT from the ready line.
        request = urllib.request.Request(self.url + path, data=body, headers=headers)  # noqa: S310
        try:
            with opener.open(request, timeout=30) as reply:  # our own loopback server
                return Page(reply.status, reply.url, dict(reply.headers), reply.read())
        except urllib.error.HTTPError as error:
            return Page(error.code, error.url, dict(error.headers), error.read())

    def csrf_token(self, path: str) -> str:
        form = self.open(path)
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
        assert found, f"no CSRF token on {path} ({form.status}): {form.text[:300]}"
        return found.group(1)

    def post_form(self, path: str, fields: dict) -> Page:
        return self.open(path, {"csrfmiddlewaretoken": self.csrf_token(path), **fields})

    def upload(self, path: str, field_name: str, filename: str, content: bytes,
               fields: dict | None = None) -> Page:  # fmt: skip
        """A multipart/form-data POST, as a browser sends a form with a file input."""
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in {"csrfmiddlewaretoken": self.csrf_token(path), **(fields or {})}.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                         f"{value}\r\n".encode())  # fmt: skip
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field_name}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
            + content
            + b"\r\n"
        )
        parts.append(f"--{boundary}--\r\n".encode())
        return self.open(path, b"".join(parts),
                         content_type=f"multipart/form-data; boundary={boundary}")  # fmt: skip

    def manage(self, *args: str, **env: str) -> subprocess.CompletedProcess:
        """The wrapped launcher's `manage` (`python -m <desktop package> manage ...`)."""
        manifest = load(self.stage)
        package = manifest.data["launcher"]["module"].rpartition(".")[0]
        command = [str(manifest.python_executable), "-I", "-m", package, "manage", *args]
        return subprocess.run(
            command, env={**self.env, **env}, capture_output=True, text=True, timeout=120
        )
