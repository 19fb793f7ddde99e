"""The wrapped project, staged with the same contract as the demo, served from the stage:
ready line, its own home page with its static files, the admin login, data kept across runs,
and (for projects that use tasks) the desktop worker running them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import tomllib
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode

import pytest
from desktop_django.manifest import load
from desktop_django_tools.stage.verify import verify

from tests.support.backend import new_token, read_protocol_line

pytestmark = pytest.mark.slow


@dataclass
class Page:
    status: int
    url: str
    headers: dict
    text: str


@dataclass
class StagedApp:
    """`serve` (and optionally `worker`) from a stage, started the way a shell starts them."""

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

    def open(self, path: str, data: dict | None = None, token: bool = True) -> Page:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        if token:
            opener.addheaders = [("X-Desktop-Django-Token", self.token)]
        body = urlencode(data).encode() if data is not None else None
        headers = {"Referer": self.url + path} if body is not None else {}
        # Only ever our own http://127.0.0.1:PORT from the ready line.
        request = urllib.request.Request(self.url + path, data=body, headers=headers)  # noqa: S310
        try:
            with opener.open(request, timeout=15) as reply:  # our own loopback server
                return Page(reply.status, reply.url, dict(reply.headers), reply.read().decode())
        except urllib.error.HTTPError as error:
            return Page(error.code, error.url, dict(error.headers), error.read().decode())

    def post_form(self, path: str, fields: dict) -> Page:
        form = self.open(path)
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
        return self.open(path, {"csrfmiddlewaretoken": csrf, **fields})

    def manage(self, *args: str, **env: str) -> subprocess.CompletedProcess:
        manifest = load(self.stage)
        command = [str(manifest.python_executable), "-I", "-m", "mysite_desktop", "manage", *args]
        return subprocess.run(
            command, env={**self.env, **env}, capture_output=True, text=True, timeout=120
        )


def test_stage_follows_the_contract(case):
    stage = case.stage
    manifest = load(stage)
    assert manifest.data["launcher"]["serve"] == ["-I", "-m", "mysite_desktop.desktop", "serve"]
    assert manifest.data["launcher"]["worker"] == ["-I", "-m", "mysite_desktop.desktop", "worker"]
    assert manifest.data["app"]["name"] == f"Team Notes {case.kind.name}"
    assert manifest.data["app"]["id"] == f"team-notes-{case.kind.name}"
    assert (stage / "app" / "notes" / "models.py").is_file()
    assert not list((stage / "app").rglob("*.sqlite3"))
    assert verify(stage).ok, verify(stage).lines()
    site_packages = next(stage.glob("python/lib/python3.*/site-packages"))
    if case.kind.django == "5.2":
        assert (site_packages / "django_tasks").is_dir()
    if case.kind.dependencies == "uv.lock":  # exactly the project's locked Django
        lock = tomllib.loads((case.root / "uv.lock").read_text())
        locked = next(p["version"] for p in lock["package"] if p["name"] == "django")
        assert list(site_packages.glob(f"django-{locked}.dist-info")), locked


def test_home_page_and_static_files_from_the_stage(case, tmp_path):
    with StagedApp(case.stage, tmp_path / "app data") as app:
        assert app.open("/", token=False).status == 403
        home = app.open("/")
        assert home.status == 200
        assert "<h1>Team notes</h1>" in home.text
        assert "default-src 'self'" in home.headers["Content-Security-Policy"]
        css_path = re.search(r'href="(/static/notes/site\.[0-9a-f]+\.css)"', home.text).group(1)
        css = app.open(css_path)
        assert css.status == 200
        assert css.headers["Content-Type"].startswith("text/css")
        assert "font-family" in css.text
        assert app.open(css_path, token=False).status == 403


def test_admin_login_works(case, tmp_path):
    with StagedApp(case.stage, tmp_path / "app data") as app:
        login = app.open("/admin/login/")
        assert login.status == 200
        assert 'name="username"' in login.text
        admin_css = re.search(r'href="(/static/admin/css/base\.[0-9a-f]+\.css)"', login.text)
        assert app.open(admin_css.group(1)).status == 200
        created = app.manage(
            "createsuperuser", "--noinput", "--username", "keeper", "--email", "k@example.invalid",
            DJANGO_SUPERUSER_PASSWORD="a long desktop passphrase",
        )  # fmt: skip
        assert created.returncode == 0, created.stderr
        done = app.post_form(
            "/admin/login/?next=/admin/",
            {"username": "keeper", "password": "a long desktop passphrase", "next": "/admin/"},
        )
        assert done.status == 200, done.text[:500]
        assert done.url.endswith("/admin/")
        assert "Site administration" in done.text
        session_cookies = [c.name for c in app.jar if c.name.endswith("-sessionid")]
        assert session_cookies == [f"team-notes-{case.kind.name}-sessionid"]


def test_data_persists_across_two_runs(case, tmp_path):
    app_data = tmp_path / "app data"
    with StagedApp(case.stage, app_data) as first:
        if case.kind.tasks:
            first.spawn("worker")
        added = first.post_form("/", {"text": "groom the winged ponies"})
        assert added.status == 200
        assert "groom the winged ponies" in added.text
        if case.kind.tasks:
            deadline = time.monotonic() + 20
            while "(4 words)" not in first.open("/").text and time.monotonic() < deadline:
                time.sleep(0.2)
            assert "(4 words)" in first.open("/").text, "the desktop worker ran no task"
    with StagedApp(case.stage, app_data) as second:
        home = second.open("/")
        assert "groom the winged ponies" in home.text
    version = json.loads((app_data / "app-version.json").read_text())["version"]
    assert version == ("0.1.0" if case.kind.dependencies == "requirements" else "1.4.0")
