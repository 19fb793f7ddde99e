"""The wrapped project, staged with the same contract as the demo, served from the stage:
ready line, its own home page with its static files, the admin login, data kept across runs,
and (for projects that use tasks) the desktop worker running them."""

from __future__ import annotations

import json
import re
import time
import tomllib

import pytest
from desktop_django.manifest import load
from desktop_django_tools.stage.verify import verify

from tools.wrap.staged_app import StagedApp

pytestmark = pytest.mark.slow


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
