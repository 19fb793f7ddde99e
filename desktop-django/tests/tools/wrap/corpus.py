"""The corpus: one generated Django project per failure class seen on real projects (issue
14), each a small, committed change on top of a `startproject` + notes app.

| case | what it reproduces | expected end |
|---|---|---|
| src-layout | code under src/, manage.py puts src/ on sys.path | serves |
| crlf-requirements | requirements.txt with CRLF line endings | serves; the file stays CRLF |
| old-whitenoise | whitenoise==6.6.0, below desktop-django's floor | preflight blocker |
| runtime-django-test | a view that uses django.test.RequestFactory at run time | serves |
| relative-templates | TEMPLATES DIRS = ["templates"] (relative to the start folder) | serves |
| file-upload | a FileField model, uploaded through a form | serves; upload kept |
| server-only | gunicorn, psycopg, boto3, django-redis, sentry-sdk | serves without them |
| django51 | Django 5.1, an inline style and a CDN stylesheet | blocker + every finding |
| python314 | requires-python >= 3.14 | preflight blocker |
| third-party-cdn | an installed app whose template loads a CDN script | finding; serves |
| python-subprocess | a view that runs `python` in a subprocess | serves, with the stage's python |
"""

from __future__ import annotations

import shutil
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

from tools.wrap.projects import Kind, commit, make_project, run, write

# Every stageable case shares one Django 6 virtualenv; django51 has its own.
CORPUS_ENV = ["django>=6.0,<7"]
DJANGO51_ENV = ["django>=5.1,<5.2"]
WIDGET = "cdnwidget"
CDN_HOST = "cdn.example.com"
CDN_SCRIPT = f"https://{CDN_HOST}/widget.js"


@dataclass(frozen=True)
class CorpusCase:
    name: str
    serves: bool  # False: the preflight ends it with a blocker (the documented finding)
    env: str = "corpus"  # or "django51"


CASES = {
    case.name: case
    for case in (
        CorpusCase("src-layout", True),
        CorpusCase("crlf-requirements", True),
        CorpusCase("old-whitenoise", False),
        CorpusCase("runtime-django-test", True),
        CorpusCase("relative-templates", True),
        CorpusCase("file-upload", True),
        CorpusCase("server-only", True),
        CorpusCase("django51", False, env="django51"),
        CorpusCase("python314", False),
        CorpusCase("third-party-cdn", True),
        CorpusCase("python-subprocess", True),
    )
}
SERVER_ONLY_LINES = ["gunicorn>=23", "psycopg[binary]>=3.2", "boto3>=1.35", "django-redis>=5.4",
                     "sentry-sdk>=2.0"]  # fmt: skip


def python_of(env: Path) -> Path:
    return env / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def make_widget(folder: Path) -> Path:
    """A third-party Django app (its own distribution) whose template loads a CDN script."""
    write(folder / "pyproject.toml", f"""
        [project]
        name = "{WIDGET}"
        version = "1.0.0"
        dependencies = ["django>=5.1"]

        [build-system]
        requires = ["hatchling>=1.26"]
        build-backend = "hatchling.build"
        """)  # fmt: skip
    write(folder / WIDGET / "__init__.py", "")
    write(folder / WIDGET / "templates" / WIDGET / "widget.html",
          f'<div class="widget">Weather</div><script src="{CDN_SCRIPT}"></script>\n')  # fmt: skip
    return folder


def make_env(folder: Path, requirements: list[str]) -> Path:
    run("uv", "venv", "--quiet", "--python", sys.executable, folder, cwd=folder.parent)
    run("uv", "pip", "install", "--quiet", "--python", python_of(folder), *requirements,
        cwd=folder.parent)  # fmt: skip
    return folder


def make_case(root: Path, case: CorpusCase, env: Path, widget: Path) -> Path:
    # Requirements-based, no tasks: each case changes only what its failure class needs.
    make_project(root, Kind(case.name, "6", tasks=None), env)
    BUILDERS[case.name](root, env, widget)
    run("git", "add", "-A", cwd=root)
    commit(root, f"the project's own change: {case.name}")
    return root


def _requirements(root: Path, *extra: str, django: str = "django>=6.0,<7") -> None:
    write(root / "requirements.txt", "\n".join([django, *extra]) + "\n")


def _src_layout(root: Path, _env: Path, _widget: Path) -> None:
    (root / "src").mkdir()
    for name in ("mysite", "notes"):
        shutil.move(root / name, root / "src" / name)
    manage = root / "manage.py"
    text = manage.read_text(encoding="utf-8")
    manage.write_text(text.replace(
        "import sys\n",
        "import sys\nfrom pathlib import Path\n\n"
        "sys.path.insert(0, str(Path(__file__).resolve().parent / 'src'))\n", 1,
    ), encoding="utf-8")  # fmt: skip


def _crlf_requirements(root: Path, _env: Path, _widget: Path) -> None:
    lines = ["# what the server installs", "django>=6.0,<7", ""]
    (root / "requirements.txt").write_bytes("\r\n".join(lines).encode())


def _old_whitenoise(root: Path, _env: Path, _widget: Path) -> None:
    _requirements(root, "whitenoise==6.6.0")


def _runtime_django_test(root: Path, _env: Path, _widget: Path) -> None:
    # Like a CMS rendering a preview: a request built with Django's RequestFactory.
    views = root / "notes" / "views.py"
    views.write_text(views.read_text(encoding="utf-8") + textwrap.dedent("""

        def preview(request):
            from django.http import HttpResponse
            from django.test import RequestFactory

            fake = RequestFactory().get("/preview-of/")
            return HttpResponse(f"preview of {fake.path}")
        """), encoding="utf-8")  # fmt: skip
    _add_url(root, 'path("preview/", views.preview, name="preview")')


def _relative_templates(root: Path, _env: Path, _widget: Path) -> None:
    settings = root / "mysite" / "settings.py"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text.replace("'DIRS': [],", "'DIRS': ['templates'],").replace(
        '"DIRS": [],', '"DIRS": ["templates"],'), encoding="utf-8")  # fmt: skip
    write(
        root / "templates" / "notes" / "home.html",
        """
        {% load static %}<!doctype html>
        <html><head><title>Team notes</title>
        <link rel="stylesheet" href="{% static 'notes/site.css' %}"></head>
        <body><h1>Team notes</h1><p class="banner">from the project's templates/</p>
        <form method="post">{% csrf_token %}<input name="text"><button>Add</button></form>
        <ul>{% for note in notes %}<li class="note">{{ note.text }}</li>{% endfor %}</ul>
        </body></html>
        """,
    )


def _file_upload(root: Path, env: Path, _widget: Path) -> None:
    app = root / "notes"
    models = app / "models.py"
    models.write_text(models.read_text(encoding="utf-8") + textwrap.dedent("""

        class Attachment(models.Model):
            upload = models.FileField(upload_to="attachments/")
        """), encoding="utf-8")  # fmt: skip
    views = app / "views.py"
    views.write_text(views.read_text(encoding="utf-8") + textwrap.dedent("""

        def attachments(request):
            from notes.models import Attachment

            if request.method == "POST" and request.FILES.get("upload"):
                Attachment.objects.create(upload=request.FILES["upload"])
                return redirect("attachments")
            items = Attachment.objects.order_by("id")
            return render(request, "notes/attachments.html", {"items": items})
        """), encoding="utf-8")  # fmt: skip
    write(
        app / "templates" / "notes" / "attachments.html",
        """
        <!doctype html><html><head><title>Attachments</title></head><body>
        <form method="post" enctype="multipart/form-data">{% csrf_token %}
        <input type="file" name="upload"><button>Upload</button></form>
        <ul>{% for item in items %}<li><a class="file" href="{{ item.upload.url }}">
        {{ item.upload.name }}</a></li>{% endfor %}</ul></body></html>
        """,
    )
    _add_url(root, 'path("attachments/", views.attachments, name="attachments")')
    settings = root / "mysite" / "settings.py"
    settings.write_text(settings.read_text(encoding="utf-8")
                        + '\nMEDIA_URL = "/media/"\nMEDIA_ROOT = BASE_DIR / "media"\n',
                        encoding="utf-8")  # fmt: skip
    run(python_of(env), "manage.py", "makemigrations", "notes", cwd=root)


def _server_only(root: Path, _env: Path, _widget: Path) -> None:
    _requirements(root, *SERVER_ONLY_LINES)


def _django51(root: Path, _env: Path, _widget: Path) -> None:
    _requirements(root, django="django>=5.1,<5.2")
    home = root / "notes" / "templates" / "notes" / "home.html"
    text = home.read_text(encoding="utf-8")
    home.write_text(text.replace(
        "</head>",
        '<link rel="stylesheet" href="https://cdn.example.com/bootstrap.min.css"></head>',
    ).replace("<h1>", '<h1 style="color: teal">'), encoding="utf-8")  # fmt: skip


def _python314(root: Path, _env: Path, _widget: Path) -> None:
    (root / "requirements.txt").unlink()
    write(
        root / "pyproject.toml",
        """
        [project]
        name = "team-notes"
        version = "2.0.0"
        requires-python = ">=3.14"
        dependencies = ["django>=6.0,<7"]
        """,
    )


def _third_party_cdn(root: Path, env: Path, widget: Path) -> None:
    _requirements(root, f"{WIDGET} @ {widget.as_uri()}")
    settings = root / "mysite" / "settings.py"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text.replace("'notes',\n]", f"'notes',\n    '{WIDGET}',\n]").replace(
        '"notes",\n]', f'"notes",\n    "{WIDGET}",\n]'), encoding="utf-8")  # fmt: skip
    home = root / "notes" / "templates" / "notes" / "home.html"
    text = home.read_text(encoding="utf-8")
    home.write_text(text.replace("</body>", f'{{% include "{WIDGET}/widget.html" %}}</body>'),
                    encoding="utf-8")  # fmt: skip


def _python_subprocess(root: Path, _env: Path, _widget: Path) -> None:
    # The pattern of management-command runners: `python` from PATH, in a child process.
    views = root / "notes" / "views.py"
    views.write_text(views.read_text(encoding="utf-8") + textwrap.dedent("""

        def interpreter(request):
            import subprocess

            from django.http import HttpResponse

            done = subprocess.run(
                ["python", "-c", "import sys; print(sys.prefix)"],
                capture_output=True, text=True, check=True,
            )
            return HttpResponse(done.stdout.strip(), content_type="text/plain")
        """), encoding="utf-8")  # fmt: skip
    _add_url(root, 'path("interpreter/", views.interpreter, name="interpreter")')


def _add_url(root: Path, pattern: str) -> None:
    urls = root / "notes" / "urls.py"
    text = urls.read_text(encoding="utf-8")
    urls.write_text(text.replace(
        'urlpatterns = [path("", views.home, name="home")]',
        f'urlpatterns = [path("", views.home, name="home"), {pattern}]',
    ), encoding="utf-8")  # fmt: skip


BUILDERS = {
    "src-layout": _src_layout,
    "crlf-requirements": _crlf_requirements,
    "old-whitenoise": _old_whitenoise,
    "runtime-django-test": _runtime_django_test,
    "relative-templates": _relative_templates,
    "file-upload": _file_upload,
    "server-only": _server_only,
    "django51": _django51,
    "python314": _python314,
    "third-party-cdn": _third_party_cdn,
    "python-subprocess": _python_subprocess,
}
