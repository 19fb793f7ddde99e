"""The classes of issue 20 (zero_edits.py), each project going from preflight to a moved stage
that serves its home page with CSS and an admin login after a restart, with no edit between
the commands, or ending in its documented blocker. Each stageable project is staged once; the
time from the preflight to the first page is printed (the figure of the issue's goal)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from desktop_django_testing.ci import require_tool

from tools.wrap.corpus import CORPUS_ENV, make_env
from tools.wrap.projects import clean_env
from tools.wrap.staged_app import StagedApp, moved_stage
from tools.wrap.zero_edits import (
    APP,
    LOCAL_SETTINGS,
    PUBLIC_HOST,
    SERVER_BOUND_SETTINGS,
    UNDECLARED,
    lock_line,
    make_narrow_lock,
    make_reusable_app,
    make_site,
)

pytestmark = pytest.mark.slow

PASSWORD = "a long desktop passphrase"


# Every request to the index refused at once (a proxy on a closed port): an unreachable index,
# as on a machine that is offline or whose requests time out.
NO_INDEX = {f"{name}_proxy": "http://127.0.0.1:9" for name in ("http", "https", "all")}
NO_INDEX |= {name.upper(): value for name, value in NO_INDEX.items()} | {"NO_PROXY": ""}
NO_INDEX["UV_HTTP_RETRIES"] = "0"  # refused is refused: no backoff


def cli(*args, cwd: Path, timeout: float = 900, env: dict | None = None
        ) -> subprocess.CompletedProcess:  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "desktop_django_tools", *map(str, args)], capture_output=True,
        text=True, cwd=cwd, timeout=timeout, env={**clean_env(), **(env or {})},
    )  # fmt: skip


def preflight(path: Path, env: dict | None = None) -> dict:
    done = cli("wrap", path, "--json", cwd=path, env=env)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    assert done.stdout.strip(), done.stderr
    return json.loads(done.stdout)


def findings(report: dict, topic: str) -> list[dict]:
    return [f for f in report["findings"] if f["topic"] == topic]


def git_status(root: Path) -> str:
    return subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True,
                          text=True, check=True).stdout  # fmt: skip


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    for tool in ("uv", "git"):
        require_tool(tool, "needed to generate the projects")
    base = tmp_path_factory.mktemp("zero-edits-env")
    return make_env(base / "env", [*CORPUS_ENV, "django-vite>=3.0", f"{UNDECLARED[0]}>=24"])


def installed_version(env: Path, distribution: str) -> str:
    code = f"import importlib.metadata as m; print(m.version({distribution!r}))"
    return subprocess.run([env / "bin" / "python", "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip()  # fmt: skip


def serves_with_admin_login(stage: Path, app_data: Path, marker: str) -> StagedApp:
    """Home page with its CSS, a record added, a superuser; after a restart the record is
    there and the superuser logs in to the admin."""
    with StagedApp(stage, app_data) as app:
        home = app.open("/")
        assert home.status == 200, home.text[:500]
        css = re.search(r'href="(/static/notes/site\.[0-9a-f]+\.css)"', home.text)
        assert css, home.text[:500]
        assert app.open(css.group(1)).headers["Content-Type"].startswith("text/css")
        assert app.post_form("/", {"text": marker}).status == 200
        created = app.manage("createsuperuser", "--noinput", "--username", "editor",
                             "--email", "editor@example.invalid",
                             DJANGO_SUPERUSER_PASSWORD=PASSWORD)  # fmt: skip
        assert created.returncode == 0, created.stderr
    with StagedApp(stage, app_data) as again:
        assert marker in again.open("/").text
        login = again.open("/admin/login/")
        assert login.status == 200
        credentials = {"username": "editor", "password": PASSWORD, "next": "/admin/"}
        done = again.post_form("/admin/login/?next=/admin/", credentials)
        assert done.status == 200, done.text[:500]
        assert done.url.endswith("/admin/"), done.url
        assert 'name="password"' not in done.text  # the dashboard, not the login form again
        return home


def test_reusable_apps_example_project_wraps_with_no_edit(env, tmp_path):
    repo = make_reusable_app(tmp_path / "ponytracks", env)
    example = repo / "example"
    started = time.perf_counter()
    report = preflight(repo)  # the repository, as a user points at it
    assert git_status(repo) == "", "the preflight wrote into the project"
    assert not [f for f in report["findings"] if f["kind"] == "blocker"], report
    # Both manage.py files named, the example's chosen, and how to choose the other.
    chosen = findings(report, "project")[0]
    assert chosen["locations"] == ["example/manage.py", "tests/manage.py"], chosen
    assert f"desktop-django wrap {repo / 'tests'}" in chosen["message"]
    # manage.py assigns the settings module: read as it runs.
    assert report["project"]["settings"] == "mysite.settings"
    assert report["project"]["settingsSource"] == "manage.py"
    # dj-database-url is imported by the settings: kept, never left out.
    kept = [f for f in findings(report, "server-only dependencies") if "loads it" in f["message"]]
    assert kept, report
    assert "dj-database-url" in kept[0]["message"]
    # The app of the enclosing package: its path install becomes a requirement.
    source = [f for f in findings(report, "apps") if APP in f["message"]]
    assert source, report
    assert f"{APP} @ file:.." in source[0]["message"]

    applied = cli("wrap", repo, "--apply", "--name", "Pony Tracks", cwd=repo)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    requirements = (example / "requirements.txt").read_text(encoding="utf-8")
    assert f"\n{APP} @ file:..\n" in requirements
    stage_toml = (example / "mysite_desktop" / "desktop-stage.toml").read_text(encoding="utf-8")
    assert 'keep = ["dj-database-url"]' in stage_toml
    assert ".stage/" in (example / ".gitignore").read_text(encoding="utf-8").splitlines()

    built = tmp_path / "built" / "backend"
    staged = cli("stage", "--project", example, "--output", built, "--python-home",
                 sys.base_prefix, "--no-bytecode", cwd=tmp_path)  # fmt: skip
    assert staged.returncode == 0, staged.stdout + staged.stderr
    # django-extensions' mail_debug raises "install aiosmtpd" in the project's own env too.
    assert "warning: django_extensions.management.commands.mail_debug" in staged.stderr
    stage = moved_stage(built, tmp_path)
    site_packages = next(stage.glob("python/lib/python3.*/site-packages"))
    for module in (APP, "django_extensions", "dj_database_url"):
        assert (site_packages / module).is_dir(), module
    home = serves_with_admin_login(stage, tmp_path / "app data", "kept by the example")
    assert "tracked by ponytracks" in home.text
    print(f"\nreusable-app example: preflight to a serving moved stage in "
          f"{time.perf_counter() - started:.1f} s, 0 hand edits")  # fmt: skip


def test_site_with_server_settings_wraps_and_stages_in_one_command(env, tmp_path):
    root = make_site(tmp_path / "site", env)
    started = time.perf_counter()
    report = preflight(root)
    assert git_status(root) == "", "the preflight wrote into the project"
    assert not [f for f in report["findings"] if f["kind"] == "blocker"], report
    bound = findings(report, "server host")[0]
    for name in SERVER_BOUND_SETTINGS:
        assert any(where.startswith("mysite/settings.py:") and f"({name} = " in where
                   for where in bound["locations"]), (name, bound)  # fmt: skip
    dev = findings(report, "assets")[0]
    assert "DJANGO_VITE['default']['dev_mode']" in dev["message"]
    assert dev["locations"][0].startswith("mysite/settings.py:")
    # Installed in the venv and in INSTALLED_APPS, declared nowhere: named, with its pin.
    distribution, module = UNDECLARED
    pin = f"{distribution}=={installed_version(env, distribution)}"
    undeclared = [f for f in findings(report, "dependencies")
                  if "no dependency file" in f["message"]]  # fmt: skip
    assert len(undeclared) == 1, report
    assert f"({module})" in undeclared[0]["message"]
    assert f"--apply adds `{pin}`" in undeclared[0]["message"]
    assert "django-vite" not in undeclared[0]["message"]  # declared: not named

    done = cli("wrap", root, "--apply", "--stage", "--allow-local-python", "--name", "Site",
               cwd=root)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    built = root / ".stage" / "backend"
    assert f"{built / 'python'}" in done.stdout
    assert "-I -m mysite_desktop.desktop serve" in done.stdout
    assert "nox -s dev-positron -- --project" in done.stdout
    changed = {line.strip() for line in git_status(root).splitlines()}
    assert changed == {"M .gitignore", "M requirements.txt", "?? mysite_desktop/"}, changed
    assert f"\n{pin}\n" in (root / "requirements.txt").read_text(encoding="utf-8")
    site_packages = next(built.glob("python/lib/python3.*/site-packages"))
    assert (site_packages / module).is_dir(), "the undeclared app was not installed"
    app_dir = built / "app"
    assert (app_dir / "boards" / "views.py").is_file(), "the namespace-package app is missing"
    assert not (app_dir / LOCAL_SETTINGS).exists(), "a gitignored file was staged"
    assert (root / LOCAL_SETTINGS).is_file(), "the developer's file must stay where it was"

    stage = moved_stage(built, tmp_path)
    home = serves_with_admin_login(stage, tmp_path / "app data", "kept by the site")
    print(f"\nsite: preflight to a serving moved stage in {time.perf_counter() - started:.1f} s, "
          "0 hand edits")  # fmt: skip
    assert PUBLIC_HOST not in home.headers.get("Set-Cookie", "")
    with StagedApp(stage, tmp_path / "app data") as app:
        board = app.open("/boards/")
        assert board.status == 200, board.text[:300]
        assert 'class="board"' in board.text
        # The session cookie of the admin login is for 127.0.0.1 and plain HTTP.
        app.post_form("/admin/login/?next=/admin/",
                      {"username": "editor", "password": PASSWORD, "next": "/admin/"})  # fmt: skip
        cookies = {cookie.name: cookie for cookie in app.jar}
        session = cookies["site-sessionid"]
        assert not session.secure
        assert session.domain in ("127.0.0.1", "127.0.0.1.local"), session.domain


def test_a_lock_narrower_than_its_range_names_the_pin_and_the_command(env, tmp_path):
    root = make_narrow_lock(tmp_path / "narrow", env)
    report = preflight(root)
    blocker = [f for f in report["findings"] if f["kind"] == "blocker"]
    assert [f["topic"] for f in blocker] == ["versions"], report
    assert "uv lock --upgrade-package whitenoise" in blocker[0]["message"]
    assert (
        f"uv.lock:{lock_line(root, 'whitenoise')} (whitenoise 6.6.0, locked)"
        in (blocker[0]["locations"])
    )
    # The verdict does not hang on the index answering: with it unreachable, the conflict in
    # uv's cache is the same blocker, saying the index was not asked.
    offline = [f for f in preflight(root, env=NO_INDEX)["findings"] if f["kind"] == "blocker"]
    assert [f["topic"] for f in offline] == ["versions"], offline
    assert "uv lock --upgrade-package whitenoise" in offline[0]["message"]
    assert "the index could not be reached" in offline[0]["message"]
    assert offline[0]["locations"] == blocker[0]["locations"]
    # The next step it names is the whole fix.
    subprocess.run(["uv", "lock", "--upgrade-package", "whitenoise", "--quiet"], cwd=root,
                   check=True, env=clean_env())  # fmt: skip
    again = preflight(root)
    assert not [f for f in again["findings"] if f["kind"] == "blocker"], again
