"""Generated projects for the failure classes of issue 20, each built from real PyPI packages
and combined where the classes do not interfere, so each project is staged once:

- reusable-app: a reusable app's repository (`ponytracks`, which depends on django-extensions,
  whose `mail_debug` command raises "install aiosmtpd") with an `example/` project using it
  through a path install and a `tests/` project beside it (two manage.py); the app prints in
  `ready()`; the example's settings import dj-database-url; its manage.py assigns
  DJANGO_SETTINGS_MODULE. Expected: serves, no edit.
- site: a namespace-package app (no `__init__.py`); a public host's cookie domains, Secure
  cookies, SSL redirect, trusted origins, proxy header and HSTS; django-vite in dev mode; a
  gitignored local settings file; django-filter in INSTALLED_APPS, installed in the venv (a
  `pip install` the requirements never got). Expected: one `wrap --apply --stage` command,
  serves, admin login after a restart, no edit; the dev-mode setting is a finding; the
  undeclared app is named by the preflight and pinned at its installed version by --apply.
- narrow-lock: uv.lock pins whitenoise 6.6.0 where pyproject.toml allows >=6.5. Expected: the
  versions blocker names uv.lock's pin and `uv lock --upgrade-package whitenoise`; after that
  command the preflight is clean.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

from tools.wrap.projects import Kind, commit, make_project, run, write

APP = "ponytracks"
PUBLIC_HOST = "notes.example.com"
SERVER_BOUND_SETTINGS = {
    "SESSION_COOKIE_DOMAIN": f'"{PUBLIC_HOST}"',
    "CSRF_COOKIE_DOMAIN": f'"{PUBLIC_HOST}"',
    "SESSION_COOKIE_SECURE": "True",
    "CSRF_COOKIE_SECURE": "True",
    "SECURE_SSL_REDIRECT": "True",
    "CSRF_TRUSTED_ORIGINS": f'["https://{PUBLIC_HOST}"]',
    "SECURE_PROXY_SSL_HEADER": '("HTTP_X_FORWARDED_PROTO", "https")',
    "SECURE_HSTS_SECONDS": "31536000",
}
LOCAL_SETTINGS = "mysite/local_settings.py"
# Installed in the site's venv, listed in its INSTALLED_APPS, declared nowhere.
UNDECLARED = ("django-filter", "django_filters")


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + textwrap.dedent(text), encoding="utf-8")


def _add_apps(settings: Path, *apps: str) -> None:
    text = settings.read_text(encoding="utf-8")
    listed = "".join(f"    '{app}',\n" for app in apps)
    settings.write_text(text.replace("    'notes',\n]", f"    'notes',\n{listed}]", 1),
                        encoding="utf-8")  # fmt: skip


def _git_init(root: Path, message: str) -> None:
    run("git", "init", "--quiet", "--initial-branch=main", cwd=root)
    run("git", "add", "-A", cwd=root)
    commit(root, message)


def make_reusable_app(repo: Path, env: Path) -> Path:
    """The repository of a reusable app with its example project; the env gets the app by a
    path install (`pip install ..`, as its README would say) and dj-database-url."""
    write(repo / "pyproject.toml", f"""
        [project]
        name = "{APP}"
        version = "0.3.0"
        dependencies = ["django>=5.2", "django-extensions>=3.2"]

        [build-system]
        requires = ["hatchling>=1.26"]
        build-backend = "hatchling.build"

        [tool.hatch.build.targets.wheel]
        packages = ["{APP}"]
        """)  # fmt: skip
    write(repo / APP / "__init__.py", "")
    write(repo / APP / "apps.py", f"""
        from django.apps import AppConfig


        class PonytracksConfig(AppConfig):
            name = "{APP}"

            def ready(self):
                print("ponytracks: tracks ready")  # what a chatty app does at start-up
        """)  # fmt: skip
    write(repo / APP / "templatetags" / "__init__.py", "")
    write(repo / APP / "templatetags" / "ponytracks.py", """
        from django import template

        register = template.Library()


        @register.simple_tag
        def track_badge():
            return "tracked by ponytracks"
        """)  # fmt: skip
    example = make_project(repo / "example", Kind("reusable-app", "6", tasks=None), env)
    # The example project belongs to the app's repository, not a repository of its own.
    run("rm", "-rf", ".git", cwd=example)
    settings = example / "mysite" / "settings.py"
    _add_apps(settings, "django_extensions", APP)
    _append(settings, """
        import dj_database_url

        DEFAULT_DATABASE = f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
        DATABASES = {"default": dj_database_url.config(default=DEFAULT_DATABASE)}
        """)  # fmt: skip
    manage = example / "manage.py"
    text = manage.read_text(encoding="utf-8")
    assigned = text.replace(
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.settings')",
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'mysite.settings'",
    ).replace(
        'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")',
        'os.environ["DJANGO_SETTINGS_MODULE"] = "mysite.settings"',
    )
    assert assigned != text, "startproject's manage.py changed shape"
    manage.write_text(assigned, encoding="utf-8")
    home = example / "notes" / "templates" / "notes" / "home.html"
    text = home.read_text(encoding="utf-8")
    home.write_text(text.replace("{% load static %}", "{% load static ponytracks %}", 1)
                    .replace("<h1>Team notes</h1>", "<h1>Team notes</h1><p class=\"badge\">"
                             "{% track_badge %}</p>", 1), encoding="utf-8")  # fmt: skip
    write(example / "requirements.txt", "django>=6.0,<7\ndj-database-url>=2.1\n")
    # The app's own test project: a second manage.py the preflight must not pick.
    write(repo / "tests" / "manage.py", """
        import os
        import sys

        if __name__ == "__main__":
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
            from django.core.management import execute_from_command_line

            execute_from_command_line(sys.argv)
        """)  # fmt: skip
    write(repo / "tests" / "settings.py", f'SECRET_KEY = "tests"\nINSTALLED_APPS = ["{APP}"]\n')
    write(repo / ".gitignore", ".venv\n__pycache__/\ndb.sqlite3\n")
    python = env / "bin" / "python"
    run("uv", "pip", "install", "--quiet", "--python", python, repo, "dj-database-url>=2.1",
        cwd=repo)  # fmt: skip
    _git_init(repo, "ponytracks with its example project")
    return repo


def make_site(root: Path, env: Path) -> Path:
    """A site project with a namespace-package app, a public host's cookie and TLS settings,
    django-vite in dev mode and a developer's gitignored local settings."""
    make_project(root, Kind("site", "6", tasks=None), env)
    boards = root / "boards"  # no __init__.py anywhere: a namespace package
    write(boards / "views.py", """
        from django.shortcuts import render


        def board(request):
            return render(request, "boards/board.html", {"title": "Stable board"})
        """)  # fmt: skip
    write(boards / "urls.py", """
        from django.urls import path

        from boards import views

        urlpatterns = [path("", views.board, name="board")]
        """)  # fmt: skip
    board = '<!doctype html><title>{{ title }}</title><h1 class="board">{{ title }}</h1>\n'
    write(boards / "templates" / "boards" / "board.html", board)
    urls = root / "mysite" / "urls.py"
    text = urls.read_text(encoding="utf-8")
    notes = '    path("", include("notes.urls")),'
    boards_line = '    path("boards/", include("boards.urls")),\n'
    urls.write_text(text.replace(notes, boards_line + notes), encoding="utf-8")
    settings = root / "mysite" / "settings.py"
    _add_apps(settings, "boards", "django_vite", UNDECLARED[1])
    lines = "".join(f"{name} = {value}\n" for name, value in SERVER_BOUND_SETTINGS.items())
    _append(settings, f"\n# The public deployment at {PUBLIC_HOST}, behind a TLS proxy.\n{lines}")
    _append(settings, """
        STATIC_ROOT = BASE_DIR / "staticfiles"
        DJANGO_VITE = {"default": {"dev_mode": True}}

        try:  # a developer's own overrides, never committed
            from mysite.local_settings import *  # noqa: F403
        except ImportError:
            pass
        """)  # fmt: skip
    home = root / "notes" / "templates" / "notes" / "home.html"
    text = home.read_text(encoding="utf-8")
    text = text.replace("{% load static %}", "{% load static django_vite %}", 1)
    home.write_text(text.replace("</head>", "{% vite_hmr_client %}</head>", 1), encoding="utf-8")
    write(root / "requirements.txt", "django>=6.0,<7\ndjango-vite>=3.0\n")
    _append(root / ".gitignore", f"{LOCAL_SETTINGS}\n")
    run("git", "add", "-A", cwd=root)
    commit(root, "the site's boards, its deployment settings and django-vite")
    write(root / LOCAL_SETTINGS, 'LOCAL_ONLY_SECRET = "the developer\'s own"\n')
    return root


def make_narrow_lock(root: Path, env: Path) -> Path:
    """uv.lock pins whitenoise 6.6.0 (below desktop-django's floor) while pyproject.toml's
    range allows newer ones: the lock was made when the pin was exact, the range widened
    later without relocking."""
    make_project(root, Kind("narrow-lock", "6", tasks=None, dependencies="uv.lock"), env)
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    django = '    "django>=6.0,<7",\n'
    pinned = text.replace(django, django + '    "whitenoise==6.6.0",\n')
    pyproject.write_text(pinned, encoding="utf-8")
    # From uv's cache when it holds what the lock needs (whitenoise 6.6.0 after a first run),
    # else from the index: building the project then asks the index only when it must.
    lock = ("uv", "lock", "--quiet", "--python", env / "bin" / "python")
    try:
        run(*lock, "--offline", cwd=root)
    except AssertionError:
        run(*lock, cwd=root)
    pyproject.write_text(pinned.replace("whitenoise==6.6.0", "whitenoise>=6.5"), encoding="utf-8")
    run("git", "add", "-A", cwd=root)
    commit(root, "whitenoise: any 6.5 or later")
    return root


def lock_line(root: Path, name: str) -> int:
    text = (root / "uv.lock").read_text(encoding="utf-8")
    at = re.search(rf'^name = "{name}"$', text, re.MULTILINE).start()
    return text.count("\n", 0, at) + 1
