"""Projects for the preflight and --apply tests: one per finding class, each made the way a
developer makes one (`django-admin startproject` in a real virtualenv), then given the one
thing that finding is about. No `.gitignore` (a fresh startproject has none), so any file the
preflight wrote would show in `git status`.

The virtualenvs are made once per test session and shared: Django 6 (with a small installed
third-party app whose template loads a CDN script), Django 5.2 and Django 5.1.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from desktop_django_testing.ci import require_in_ci

from tools.wrap.projects import clean_env, commit, run, write

VENV_PYTHON = "Scripts/python.exe" if sys.platform == "win32" else "bin/python"
ENVS = {
    # django-filter: installed in the venv, declared by no fixture (see undeclared_pyproject).
    "6": ["django>=6.0,<7", "django-filter>=24"],
    "5.2": ["django>=5.2,<5.3", "django-tasks>=0.12"],
    "5.1": ["django>=5.1,<5.2"],
}
WIDGETS_APP = "dashboard_widgets"
UNDECLARED_APP = "django_filters"


@dataclass(frozen=True)
class Env:
    folder: Path

    @property
    def python(self) -> Path:
        return self.folder / VENV_PYTHON


def make_env(folder: Path, django: str, extra: tuple[str, ...] = ()) -> Env:
    run("uv", "venv", "--quiet", "--python", sys.executable, folder, cwd=folder.parent)
    env = Env(folder)
    run("uv", "pip", "install", "--quiet", "--python", env.python, *ENVS[django], *extra,
        cwd=folder.parent)  # fmt: skip
    return env


def make_widgets_package(folder: Path) -> Path:
    """A third-party Django app, installed from its own folder: its template loads a script
    from a CDN and runs an inline one (what a dashboard widget app often does)."""
    write(
        folder / "pyproject.toml",
        f"""
        [project]
        name = "dashboard-widgets"
        version = "1.0.0"

        [build-system]
        requires = ["hatchling"]
        build-backend = "hatchling.build"

        [tool.hatch.build.targets.wheel]
        packages = ["{WIDGETS_APP}"]
        """,
    )
    write(folder / WIDGETS_APP / "__init__.py", "")
    write(
        folder / WIDGETS_APP / "templates" / WIDGETS_APP / "chart.html",
        """
        <div class="chart"></div>
        <script src="https://cdn.example.com/chart.min.js"></script>
        <script>drawChart(document.querySelector(".chart"));</script>
        """,
    )
    return folder


def user_env(env: Env) -> dict:
    """The environment of a user who has the project's virtualenv active, as `nox -s wrap`
    passes it (nox replaces VIRTUAL_ENV with its own)."""
    variables = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    return {**variables, "DESKTOP_DJANGO_USER_VIRTUAL_ENV": str(env.folder)}


def startproject(root: Path, env: Env, package: str = "mysite") -> Path:
    """`django-admin startproject` and one app (`notes`) with a view and a template."""
    root.mkdir(parents=True)
    run(env.python, "-m", "django", "startproject", package, ".", cwd=root)
    run(env.python, "manage.py", "startapp", "notes", cwd=root)
    add_app(root / package / "settings.py", "notes")
    write(
        root / "notes" / "views.py",
        """
        from django.shortcuts import render


        def home(request):
            return render(request, "notes/home.html")
        """,
    )
    write(root / "notes" / "templates" / "notes" / "home.html", "<h1>Notes</h1>\n")
    return root


def add_app(settings: Path, app: str) -> None:
    text = settings.read_text(encoding="utf-8")
    settings.write_text(
        text.replace("INSTALLED_APPS = [\n", f"INSTALLED_APPS = [\n    {app!r},\n", 1),
        encoding="utf-8",
    )


def git_commit_all(root: Path) -> Path:
    run("git", "init", "--quiet", "--initial-branch=main", cwd=root)
    run("git", "add", "-A", cwd=root)
    commit(root, "the project, before the desktop")
    return root


def tree_state(root: Path) -> str:
    """Everything git sees, ignored files included (a __pycache__ would show)."""
    return subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all", "--ignored"],
        cwd=root, capture_output=True, text=True, check=True, env=clean_env(),
    ).stdout  # fmt: skip


# The finding classes: each builds on a fresh startproject in the given env.
def fresh(root: Path, env: Env) -> None:
    """Nothing added: a fresh startproject (no .gitignore)."""


def old_whitenoise(root: Path, env: Env) -> None:
    write(root / "requirements.txt", "django>=6.0,<7\nwhitenoise==6.6.0\n")


def old_tasks_backport(root: Path, env: Env) -> None:
    write(root / "requirements.txt", "django>=5.2,<5.3\ndjango-tasks==0.9.0\n")


def future_python(root: Path, env: Env) -> None:
    write(
        root / "pyproject.toml",
        """
        [project]
        name = "team-notes"
        version = "2.0.0"
        requires-python = ">=3.14"
        dependencies = ["django>=6.0"]
        """,
    )


def src_layout(root: Path, env: Env) -> None:
    (root / "src").mkdir()
    for package in ("mysite", "notes"):
        (root / package).rename(root / "src" / package)
    manage = root / "manage.py"
    manage.write_text(
        manage.read_text(encoding="utf-8").replace(
            "import sys\n",
            "import sys\n\nsys.path.insert(0, os.path.join(os.path.dirname(__file__), 'src'))\n",
            1,
        ),
        encoding="utf-8",
    )
    write(
        root / "src" / "notes" / "templates" / "notes" / "home.html",
        "<h1>Notes</h1>\n<script>document.title = 'Notes';</script>\n",
    )
    write(root / "requirements.txt", "django>=6.0,<7\n")


def relative_dirs(root: Path, env: Env) -> None:
    settings = root / "mysite" / "settings.py"
    text = settings.read_text(encoding="utf-8")
    for quote in ("'", '"'):
        text = text.replace(
            f"{quote}DIRS{quote}: [],", f'{quote}DIRS{quote}: ["mysite/templates"],'
        )
    settings.write_text(text + '\nSTATICFILES_DIRS = ["assets"]\n', encoding="utf-8")
    write(root / "mysite" / "templates" / "site.html", "<p>site</p>\n")
    write(root / "assets" / "site.css", "body { margin: 0; }\n")
    write(root / "requirements.txt", "django>=6.0,<7\n")


def server_only(root: Path, env: Env) -> None:
    write(
        root / "requirements.txt",
        """
        django>=6.0,<7
        gunicorn>=22
        psycopg[binary]>=3.2
        boto3>=1.34
        google-cloud-storage>=2.16
        django-redis>=5.4
        sentry-sdk>=2.0
        """,
    )
    add_app(root / "mysite" / "settings.py", "django.contrib.postgres")


def uploads(root: Path, env: Env) -> None:
    write(
        root / "notes" / "models.py",
        """
        from django.db import models


        class Attachment(models.Model):
            title = models.CharField(max_length=100)
            file = models.FileField(upload_to="attachments/")
        """,
    )


def django51(root: Path, env: Env) -> None:
    """An unsupported Django, with other findings too: every one must still be reported."""
    write(
        root / "notes" / "templates" / "notes" / "home.html",
        '<link rel="stylesheet" href="https://cdn.example.com/site.css">\n'
        '<h1 style="color: teal">Notes</h1>\n',
    )
    write(root / "requirements.txt", "django>=5.1,<5.2\ngunicorn>=22\n")


def third_party_cdn(root: Path, env: Env) -> None:
    add_app(root / "mysite" / "settings.py", WIDGETS_APP)


def spawns_python(root: Path, env: Env) -> None:
    write(
        root / "notes" / "views.py",
        """
        import subprocess
        import sys

        from django.http import HttpResponse


        def report(request):
            out = subprocess.run(
                ["python", "-c", "print(42)"], capture_output=True, text=True, check=True
            )
            return HttpResponse(out.stdout)


        def version(request):
            out = subprocess.check_output([sys.executable, "--version"], text=True)
            return HttpResponse(out)
        """,
    )


def stale_venv(root: Path, env: Env) -> None:
    """The virtualenv's Django (6) is not the one the requirements pin (5.2)."""
    write(root / "requirements.txt", "django>=5.2,<5.3\n")


def crlf_requirements(root: Path, env: Env) -> None:
    (root / "requirements.txt").write_bytes(b"django>=6.0,<7\r\nrequests>=2.31\r\n")


def pyproject_style(root: Path, env: Env) -> None:
    (root / "pyproject.toml").write_bytes(
        b"[project]\r\n"
        b'name = "team-notes"\r\n'
        b'version = "1.2.0"\r\n'
        b'requires-python = ">=3.12"\r\n'
        b"dependencies = [\r\n"
        b'  "django>=6.0,<7",  # the web framework\r\n'
        b'  "requests[socks]>=2.31",\r\n'
        b"]\r\n"
        b"\r\n"
        b"[tool.ruff]\r\n"
        b"line-length = 100\r\n"
    )


def undeclared_pyproject(root: Path, env: Env) -> None:
    """A pyproject project whose INSTALLED_APPS use a package only its venv has."""
    pyproject_style(root, env)
    add_app(root / "mysite" / "settings.py", UNDECLARED_APP)


@dataclass(frozen=True)
class Fixture:
    name: str
    django: str  # a key of ENVS
    build: object  # (root, env) -> None


FIXTURES = {
    f.name: f
    for f in (
        Fixture("fresh", "6", fresh),
        Fixture("old-whitenoise", "6", old_whitenoise),
        Fixture("old-tasks-backport", "5.2", old_tasks_backport),
        Fixture("future-python", "6", future_python),
        Fixture("src-layout", "6", src_layout),
        Fixture("relative-dirs", "6", relative_dirs),
        Fixture("server-only", "6", server_only),
        Fixture("uploads", "6", uploads),
        Fixture("django51", "5.1", django51),
        Fixture("third-party-cdn", "6", third_party_cdn),
        Fixture("spawns-python", "6", spawns_python),
        Fixture("stale-venv", "6", stale_venv),
        Fixture("crlf-requirements", "6", crlf_requirements),
        Fixture("pyproject-style", "6", pyproject_style),
        Fixture("undeclared-pyproject", "6", undeclared_pyproject),
    )
}


@dataclass(frozen=True)
class Made:
    root: Path
    env: Env


@pytest.fixture(scope="session")
def preflight_envs(tmp_path_factory):
    """One virtualenv per Django version for these fixtures, made on first use."""
    for tool in ("uv", "git"):
        if shutil.which(tool) is None:
            require_in_ci(f"{tool} is needed to make the preflight fixture projects")
    made: dict[str, Env] = {}

    def get(django: str) -> Env:
        if django not in made:
            base = tmp_path_factory.mktemp(f"preflight-django-{django}")
            extra = ()
            if django == "6":
                extra = (str(make_widgets_package(base / "dashboard-widgets")),)
            made[django] = make_env(base / "env", django, extra)
        return made[django]

    return get


def build(folder: Path, name: str, env: Env, git: bool = True) -> Made:
    """`folder/name`: a fresh project of that finding class (committed unless `git` is off)."""
    root = startproject(folder / name, env)
    FIXTURES[name].build(root, env)
    if git:
        git_commit_all(root)
    return Made(root, env)


@pytest.fixture
def make_fixture(tmp_path, preflight_envs):
    """`make_fixture(name, git=True)`: a new project of that class, for a test that writes."""

    def make(name: str, git: bool = True) -> Made:
        return build(tmp_path, name, preflight_envs(FIXTURES[name].django), git)

    return make


@pytest.fixture(scope="session")
def shared_fixture(tmp_path_factory, preflight_envs):
    """`shared_fixture(name)`: one project of that class for the whole session, for tests that
    only read it (the preflight writes nothing, which those tests assert)."""
    made: dict[str, Made] = {}

    def get(name: str) -> Made:
        if name not in made:
            folder = tmp_path_factory.mktemp(f"shared-{name}")
            made[name] = build(folder, name, preflight_envs(FIXTURES[name].django))
        return made[name]

    return get
