"""Generate the Django projects that the wrap tests wrap, the way a developer would.

Nothing here is a copy of a third-party project: `django-admin startproject` and
`manage.py startapp` write the skeleton, `makemigrations` writes the migrations, and this
module adds a small notes app (a model, a view, a template, a static file, a test).

| kind | Django | what it exercises |
|---|---|---|
| django52 | 5.2 LTS + django-tasks | tasks through the backport, CSP fallback, requirements.txt |
| django6 | 6.x | django.tasks built in, Django's CSP, uv.lock (exported as locked) |
| postgres | 6.x | PostgreSQL settings (never connected), pyproject.toml dependencies |
| custom-user | 5.2 LTS without the backport | AUTH_USER_MODEL + admin, project-level templates/ |
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

ENV_REQUIREMENTS = {
    "5.2": ["django>=5.2,<5.3", "django-tasks>=0.8"],
    # The PostgreSQL project imports its driver when Django sets up (never connects).
    "6": ["django>=6.0,<7", "psycopg[binary]>=3.2"],
}


@dataclass(frozen=True)
class Kind:
    name: str
    django: str  # key of ENV_REQUIREMENTS
    tasks: str | None  # "backport", "builtin" or None
    database: str = "sqlite"
    custom_user: bool = False
    dependencies: str = "requirements"  # or "pyproject", "uv.lock"


KINDS = {
    "django52": Kind("django52", "5.2", tasks="backport"),
    "django6": Kind("django6", "6", tasks="builtin", dependencies="uv.lock"),
    "postgres": Kind("postgres", "6", tasks=None, database="postgres", dependencies="pyproject"),
    "custom-user": Kind("custom-user", "5.2", tasks=None, custom_user=True),
}


def clean_env() -> dict:
    """This test run's environment without its Django settings (pytest-django sets them)."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "DESKTOP_DJANGO_", "VIRTUAL_ENV"))}  # fmt: skip


def run(*args, cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, env=clean_env(),
        **kwargs,
    )  # fmt: skip
    if done.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} failed:\n{done.stdout}{done.stderr}")
    return done


def make_env(folder: Path, django: str) -> Path:
    """A virtualenv with the given Django (and nothing of desktop-django); its python."""
    run("uv", "venv", "--quiet", "--python", sys.executable, folder, cwd=folder.parent)
    python = folder / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    run("uv", "pip", "install", "--quiet", "--python", python, *ENV_REQUIREMENTS[django],
        cwd=folder.parent)  # fmt: skip
    return python


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


def make_project(root: Path, kind: Kind, env: Path) -> Path:
    """A committed git repository holding a fresh Django project of the given kind."""
    root.mkdir(parents=True)
    python = env / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    run(python, "-m", "django", "startproject", "mysite", ".", cwd=root)
    (root / ".venv").symlink_to(env, target_is_directory=True)
    run(python, "manage.py", "startapp", "notes", cwd=root)
    _notes_app(root, kind)
    settings = root / "mysite" / "settings.py"
    text = settings.read_text(encoding="utf-8")
    apps = ["notes"]
    if kind.tasks == "backport":
        apps.insert(0, "django_tasks")
    extra = ""
    if kind.tasks == "backport":
        immediate = "django_tasks.backends.immediate.ImmediateBackend"
        extra += f'\nTASKS = {{"default": {{"BACKEND": "{immediate}"}}}}\n'
    if kind.database == "postgres":
        extra += textwrap.dedent("""
            DATABASES = {
                "default": {
                    "ENGINE": "django.db.backends.postgresql",
                    "NAME": "mysite",
                    "USER": "mysite",
                    "HOST": "db.internal.example",
                    "PORT": "5432",
                }
            }
            """)
    if kind.custom_user:
        apps.insert(0, "accounts")
        run(python, "manage.py", "startapp", "accounts", cwd=root)
        _accounts_app(root)
        extra += '\nAUTH_USER_MODEL = "accounts.User"\n'
        text = text.replace("'DIRS': [],", "'DIRS': [BASE_DIR / 'templates'],")
        text = text.replace('"DIRS": [],', '"DIRS": [BASE_DIR / "templates"],')
    text = text.replace(
        "'django.contrib.staticfiles',\n]",
        "'django.contrib.staticfiles',\n" + "".join(f"    '{a}',\n" for a in apps) + "]",
    ).replace(
        '"django.contrib.staticfiles",\n]',
        '"django.contrib.staticfiles",\n' + "".join(f'    "{a}",\n' for a in apps) + "]",
    )
    settings.write_text(text + extra, encoding="utf-8")
    write(
        root / "mysite" / "urls.py",
        """
        from django.contrib import admin
        from django.urls import include, path

        urlpatterns = [
            path("admin/", admin.site.urls),
            path("", include("notes.urls")),
        ]
        """,
    )
    _dependencies(root, kind)
    write(root / ".gitignore", ".venv\n__pycache__/\ndb.sqlite3\n")
    migrate_apps = ["accounts", "notes"] if kind.custom_user else ["notes"]
    run(python, "manage.py", "makemigrations", *migrate_apps, cwd=root)
    run("git", "init", "--quiet", "--initial-branch=main", cwd=root)
    run("git", "add", "-A", cwd=root)
    commit(root, "the project, before the desktop")
    return root


def commit(root: Path, message: str) -> None:
    run(
        "git", "-c", "user.name=Test", "-c", "user.email=test@example.invalid",
        "commit", "--quiet", "-m", message, cwd=root,
    )  # fmt: skip


def _dependencies(root: Path, kind: Kind) -> None:
    django = ENV_REQUIREMENTS[kind.django][0]
    lines = [django]
    if kind.tasks == "backport":
        lines.append("django-tasks>=0.8")
    if kind.database == "postgres":
        lines.append("psycopg[binary]>=3.2")
    if kind.dependencies in ("pyproject", "uv.lock"):
        listed = "".join(f'    "{line}",\n' for line in lines)
        (root / "pyproject.toml").write_text(
            '[project]\nname = "team-notes"\nversion = "1.4.0"\nrequires-python = ">=3.12"\n'
            f"dependencies = [\n{listed}]\n\n[tool.ruff]\nline-length = 100\n",
            encoding="utf-8",
        )
    if kind.dependencies == "uv.lock":
        run("uv", "lock", "--quiet", "--python", sys.executable, cwd=root)
    if kind.dependencies == "requirements":
        write(root / "requirements.txt", "\n".join(lines) + "\n")


def _notes_app(root: Path, kind: Kind) -> None:
    app = root / "notes"
    write(
        app / "models.py",
        """
        from django.db import models


        class Note(models.Model):
            text = models.CharField(max_length=200)
            words = models.PositiveIntegerField(null=True, blank=True)
            created = models.DateTimeField(auto_now_add=True)

            def __str__(self):
                return self.text
        """,
    )
    if kind.tasks:
        module = "django_tasks" if kind.tasks == "backport" else "django.tasks"
        write(
            app / "tasks.py",
            f"""
            from {module} import task

            from notes.models import Note


            @task()
            def count_words(note_id):
                note = Note.objects.get(pk=note_id)
                note.words = len(note.text.split())
                note.save(update_fields=["words"])
            """,
        )
    if kind.tasks:
        after_create = (
            "from notes.tasks import count_words\n\n\n"
            "def after_create(note):\n    count_words.enqueue(note.pk)\n"
        )
    else:
        after_create = "def after_create(note):\n    pass\n"
    (app / "views.py").write_text(
        "from django.shortcuts import redirect, render\n\n"
        "from notes.models import Note\n"
        f"{after_create}\n\n"
        "def home(request):\n"
        '    if request.method == "POST":\n'
        '        text = request.POST.get("text", "").strip()\n'
        "        if text:\n"
        "            after_create(Note.objects.create(text=text))\n"
        '        return redirect("home")\n'
        '    notes = Note.objects.order_by("-id")\n'
        '    return render(request, "notes/home.html", {"notes": notes})\n',
        encoding="utf-8",
    )
    write(
        app / "urls.py",
        """
        from django.urls import path

        from notes import views

        urlpatterns = [path("", views.home, name="home")]
        """,
    )
    parent = "base.html" if kind.custom_user else None
    body = """
        <h1>Team notes</h1>
        <form method="post">{% csrf_token %}<input name="text"><button>Add</button></form>
        <ul>{% for note in notes %}<li class="note">{{ note.text }}
        {% if note.words is not None %}
        <span class="words">({{ note.words }} words)</span>{% endif %}
        </li>{% empty %}<li>No notes yet.</li>{% endfor %}</ul>
    """
    if parent:
        template = '{% extends "base.html" %}\n{% block content %}' + body + "{% endblock %}\n"
        write(
            root / "templates" / "base.html",
            """
            {% load static %}<!doctype html>
            <html><head><title>Team notes</title>
            <link rel="stylesheet" href="{% static 'notes/site.css' %}"></head>
            <body><main style="max-width: 40em">{% block content %}{% endblock %}</main>
            </body></html>
            """,
        )
    else:
        template = (
            "{% load static %}<!doctype html>\n<html><head><title>Team notes</title>\n"
            '<link rel="stylesheet" href="{% static \'notes/site.css\' %}"></head>\n'
            f"<body>{body}</body></html>\n"
        )
    write(app / "templates" / "notes" / "home.html", template)
    write(app / "static" / "notes" / "site.css", "body { font-family: sans-serif; }\n")
    if kind.database == "postgres":
        tests = """
            from django.contrib.staticfiles import finders
            from django.test import SimpleTestCase
            from django.urls import reverse


            class NotesWithoutADatabaseTests(SimpleTestCase):
                def test_home_url(self):
                    self.assertEqual(reverse("home"), "/")

                def test_stylesheet_is_found(self):
                    self.assertIsNotNone(finders.find("notes/site.css"))
            """
    else:
        tests = """
            from django.test import TestCase

            from notes.models import Note


            class NotesTests(TestCase):
                def test_add_and_list(self):
                    response = self.client.post("/", {"text": "feed the ponies"})
                    self.assertEqual(response.status_code, 302)
                    self.assertContains(self.client.get("/"), "feed the ponies")
                    self.assertEqual(Note.objects.count(), 1)
            """
    write(app / "tests.py", tests)


def _accounts_app(root: Path) -> None:
    app = root / "accounts"
    write(
        app / "models.py",
        """
        from django.contrib.auth.models import AbstractUser
        from django.db import models


        class User(AbstractUser):
            team = models.CharField(max_length=100, blank=True)
        """,
    )
    write(
        app / "admin.py",
        """
        from django.contrib import admin
        from django.contrib.auth.admin import UserAdmin

        from accounts.models import User

        admin.site.register(User, UserAdmin)
        """,
    )
