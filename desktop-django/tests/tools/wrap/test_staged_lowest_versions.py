"""desktop-django's own lower bounds are true: with every runtime requirement at the lowest
version its pyproject.toml allows (uv's lowest-direct resolution), a wrapped Django 5.2
project serves its pages and the desktop worker runs its task. The locked versions are what
every other test runs on."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest
from desktop_django_testing.backend import new_token, read_protocol_line
from desktop_django_testing.paths import REPO_ROOT

from tools.wrap.projects import clean_env, run

pytestmark = pytest.mark.slow

DESKTOP_DJANGO = REPO_ROOT / "desktop-django"
# The floors this test is about (desktop-django/pyproject.toml, with the django52 extra).
FLOORS = {"django": "5.2", "waitress": "3.0.0", "whitenoise": "6.8.0", "filelock": "3.16.0",
          "django-tasks-db": "0.13.0", "django-tasks": "0.12.0"}  # fmt: skip


def lowest_venv(folder, *extras: str):
    """A venv holding desktop-django with its requirements at their lowest allowed versions."""
    venv = folder / "venv"
    run("uv", "venv", "--quiet", "--python", sys.executable, venv, cwd=folder)
    python = venv / "bin" / "python"
    run("uv", "pip", "install", "--quiet", "--python", python, "--resolution",
        "lowest-direct", "-r", DESKTOP_DJANGO / "pyproject.toml",
        *[arg for extra in extras for arg in ("--extra", extra)], cwd=folder)  # fmt: skip
    run("uv", "pip", "install", "--quiet", "--python", python, "--no-deps", DESKTOP_DJANGO,
        cwd=folder)  # fmt: skip
    return python


@pytest.fixture(scope="module")
def lowest_env(tmp_path_factory):
    return lowest_venv(tmp_path_factory.mktemp("lowest"), "django52")


def installed_versions(python) -> dict:
    out = run("uv", "pip", "list", "--python", python, "--format", "freeze", cwd=python.parent)
    return dict(line.split("==") for line in out.stdout.split() if "==" in line)


def get(url: str, token: str, data: dict | None = None, cookies: str = ""):
    body = urlencode(data).encode() if data else None
    headers = {"X-Desktop-Django-Token": token, "Cookie": cookies, "Referer": url}
    request = urllib.request.Request(url, data=body, headers=headers)  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=15) as reply:  # noqa: S310 - our own server
        return reply.read().decode(), reply.headers.get_all("Set-Cookie") or []


def test_a_wrapped_project_serves_at_the_lowest_allowed_versions(lowest_env, wrap_cases,
                                                                 tmp_path):  # fmt: skip
    versions = {name.lower(): v for name, v in installed_versions(lowest_env).items()}
    for name, floor in FLOORS.items():
        assert versions[name] == floor, (name, versions.get(name))
    case = wrap_cases("django52")
    _ = case.applied  # mysite_desktop/ with its packaged settings and launcher
    token = new_token()
    env = {**clean_env(), "DESKTOP_DJANGO_APP_DATA_DIR": str(tmp_path / "app data"),
           "DESKTOP_DJANGO_AUTH_TOKEN": token, "PYTHONPATH": str(case.root)}  # fmt: skip
    # What the stage's static files step does, into app data (no stage here).
    collected = subprocess.run(
        [str(lowest_env), "-m", "django", "collectstatic", "--noinput", "-v0"],
        env={**env, "DJANGO_SETTINGS_MODULE": "mysite_desktop.settings"}, cwd=tmp_path,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert collected.returncode == 0, collected.stderr
    launcher = [str(lowest_env), "-m", "mysite_desktop.desktop"]
    serve = subprocess.Popen([*launcher, "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, env=env, cwd=tmp_path)  # fmt: skip
    worker = None
    try:
        ready = read_protocol_line(serve, timeout=60)
        assert ready["event"] == "ready", ready
        worker = subprocess.Popen([*launcher, "worker"], stdin=subprocess.PIPE,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                                  cwd=tmp_path)  # fmt: skip
        try:
            home, cookies = get(ready["url"] + "/", token)
        except urllib.error.HTTPError as error:
            logs = "".join(p.read_text() for p in (tmp_path / "app data").rglob("*.log"))
            raise AssertionError(f"{error}: {logs[-3000:]}") from error
        assert "<h1>Team notes</h1>" in home
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', home).group(1)
        cookie = "; ".join(c.split(";")[0] for c in cookies)
        get(ready["url"] + "/", token, {"csrfmiddlewaretoken": csrf, "text": "lowest four words"},
            cookie)  # fmt: skip
        deadline = time.monotonic() + 30
        while "(3 words)" not in get(ready["url"] + "/", token)[0]:
            assert time.monotonic() < deadline, "the worker ran no task at the lowest versions"
            time.sleep(0.3)
    finally:
        for process in filter(None, (worker, serve)):
            process.stdin.close()
            process.wait(timeout=20)


def test_django_52_without_the_extra_is_named_not_a_missing_module(tmp_path):
    python = lowest_venv(tmp_path)
    done = subprocess.run(
        [str(python), "-c", "from desktop_django.settings import installed_apps; "
         "installed_apps(['django.contrib.admin'])"],
        capture_output=True, text=True, timeout=60, env=clean_env(),
    )  # fmt: skip
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr
    assert "desktop-django[django52]" in done.stderr
