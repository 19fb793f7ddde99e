"""Preflight: what will work in a desktop build, what needs a change, what is out of scope.

Nothing is written. The project's settings are read by its own interpreter (`probe.py`),
with the environment a desktop app starts with: none of the developer's shell variables.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from desktop_django_tools.wrap.project import DESKTOP_DJANGO, Project, ProjectError, locate

PROBE = Path(__file__).with_name("probe.py")
PROBE_TIMEOUT_SECONDS = 120

WORKS, CHANGE, OUT_OF_SCOPE, BLOCKER = "works", "change", "out-of-scope", "blocker"
SECTIONS = (
    (WORKS, "Will work"),
    (CHANGE, "Needs a change"),
    (OUT_OF_SCOPE, "Out of scope"),
    (BLOCKER, "Blockers"),
)
ENGINES = {
    "sqlite3": "SQLite",
    "postgresql": "PostgreSQL",
    "postgis": "PostGIS",
    "mysql": "MySQL",
    "oracle": "Oracle",
}
TASK_QUEUES = {
    # name -> (INSTALLED_APPS prefixes, setting prefixes, distributions)
    "Celery": (("django_celery_beat", "django_celery_results"), ("CELERY",), ("celery",)),
    "RQ": (("django_rq",), ("RQ_",), ("rq", "django-rq")),
    "Huey": (("huey.contrib.djhuey",), ("HUEY",), ("huey",)),
    "Dramatiq": (("django_dramatiq",), ("DRAMATIQ",), ("dramatiq", "django-dramatiq")),
    "Django Q": (("django_q",), ("Q_CLUSTER",), ("django-q", "django-q2")),
}
NETWORK_APPS = {
    "storages": "django-storages keeps files on a remote service",
    "anymail": "django-anymail sends email through a web API",
    "allauth.socialaccount": "social login needs the identity provider online",
}
LOCAL_CACHES = (
    "locmem.LocMemCache",
    "dummy.DummyCache",
    "filebased.FileBasedCache",
    "db.DatabaseCache",
)
STATIC_STORAGES = (
    "django.contrib.staticfiles.storage.StaticFilesStorage",
    "django.contrib.staticfiles.storage.ManifestStaticFilesStorage",
    "whitenoise.storage.CompressedManifestStaticFilesStorage",
    "whitenoise.storage.CompressedStaticFilesStorage",
)
INLINE_SCRIPT = re.compile(
    r"<script\b(?![^>]*\bsrc\s*=)(?![^>]*type\s*=\s*[\"']?(?:application/(?:ld\+)?json|text/template))"
    r"[^>]*>\s*[^<\s]",
    re.IGNORECASE,
)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=\s*[\"']", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)
REMOTE_ASSET = re.compile(r"\b(?:src|href)\s*=\s*[\"'](?:https?:)?//", re.IGNORECASE)


@dataclass(frozen=True)
class Finding:
    kind: str  # works | change | out-of-scope | blocker
    topic: str
    message: str
    by: str = ""  # for changes: "apply" (the packaged settings make it) or "you"

    def to_json(self) -> dict:
        return {"kind": self.kind, "topic": self.topic, "message": self.message, "by": self.by}


@dataclass(frozen=True)
class Identity:
    name: str
    app_id: str
    version: str


@dataclass
class Preflight:
    path: Path
    project: Project | None = None
    identity: Identity | None = None
    probe: dict = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    def add(self, kind: str, topic: str, message: str, by: str = "") -> None:
        self.findings.append(Finding(kind, topic, message, by))

    @property
    def blockers(self) -> list[Finding]:
        return [f for f in self.findings if f.kind == BLOCKER]

    @property
    def django_version(self) -> tuple[int, int] | None:
        version = self.probe.get("django", {}).get("tuple")
        return tuple(version) if version else None

    @property
    def needs_tasks_backport(self) -> bool:
        return self.django_version is not None and self.django_version < (6, 0)

    def to_json(self) -> dict:
        project = self.project
        return {
            "path": str(self.path),
            "project": None
            if project is None
            else {
                "root": str(project.root),
                "settings": project.settings_module,
                "settingsSource": project.settings_source,
                "desktopPackage": project.desktop_package,
                "python": str(project.python),
                "dependencies": project.dependencies.source,
            },
            "app": None if self.identity is None else self.identity.__dict__,
            "django": self.probe.get("django", {}).get("version"),
            "findings": [f.to_json() for f in self.findings],
            "ok": not self.blockers,
        }

    def render(self) -> str:
        lines = [f"desktop-django wrap: preflight of {self.path}", ""]
        project = self.project
        if project is not None:
            rows = [
                ("manage.py", str(project.manage_py)),
                ("settings", f"{project.settings_module} (from {project.settings_source})"),
                ("Django", self.probe.get("django", {}).get("version", "unknown")),
                ("read with", f"{project.python} ({project.python_source})"),
                ("desktop entry", f"{project.desktop_package}/"),
            ]
            if self.identity:
                ident = self.identity
                rows.append(("desktop app", f"{ident.name} (id {ident.app_id}, {ident.version})"))
            lines += [f"  {label:<14} {value}" for label, value in rows]
            lines.append("")
        markers = {WORKS: "ok", CHANGE: "~", OUT_OF_SCOPE: "-", BLOCKER: "X"}
        for kind, title in SECTIONS:
            items = [f for f in self.findings if f.kind == kind]
            if not items:
                continue
            lines.append(f"{title}:")
            for item in items:
                who = {"apply": " [--apply does it]", "you": " [yours to do]"}.get(item.by, "")
                lines.append(f"  {markers[kind]:>2} {item.topic}: {item.message}{who}")
            lines.append("")
        if self.blockers:
            lines.append(f"Result: {len(self.blockers)} blocker(s); nothing can be wrapped yet.")
        else:
            lines.append(
                "Result: ready to wrap. Review the list above, then run again with --apply."
            )
        return "\n".join(lines)


def run(
    path: Path,
    settings: str | None = None,
    python: Path | None = None,
    name: str | None = None,
) -> Preflight:
    report = Preflight(path=path)
    try:
        project = locate(path, settings, python)
    except ProjectError as exc:
        report.add(BLOCKER, "project", str(exc))
        return report
    report.project = project
    report.identity = identity(project, name)
    report.probe = run_probe(project)
    _check_probe(report)
    if report.blockers:
        return report
    _check_layout(report)
    _check_dependencies(report)
    _check_database(report)
    _check_static(report)
    _check_tasks(report)
    _check_services(report)
    _check_security(report)
    _check_templates(report)
    return report


def identity(project: Project, name: str | None) -> Identity:
    meta = {}
    if project.dependencies.pyproject:
        try:
            meta = tomllib.loads(project.dependencies.pyproject.read_text("utf-8"))["project"]
        except (OSError, KeyError, tomllib.TOMLDecodeError):
            meta = {}
    if not name:
        base = meta.get("name") or project.root.name or project.package
        name = re.sub(r"[-_.]+", " ", base).strip().title() or project.package
    app_id = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or project.package
    version = str(meta.get("version") or "0.1.0")
    if not re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+\S*", version):
        version = "0.1.0"
    return Identity(name=name, app_id=app_id, version=version)


def probe_environment() -> dict:
    """What a desktop app starts with: no DJANGO_*, DATABASE_URL or secrets from a shell."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TEMP", "TMP", "SYSTEMROOT",
            "USERPROFILE", "APPDATA", "LOCALAPPDATA", "PATHEXT", "COMSPEC")  # fmt: skip
    return {k: v for k, v in os.environ.items() if k in keep}


def run_probe(project: Project) -> dict:
    try:
        done = subprocess.run(
            [str(project.python), "-I", str(PROBE), str(project.root), project.settings_module],
            cwd=project.root,
            env=probe_environment(),
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT_SECONDS,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {"error": {"kind": "probe", "message": f"{project.python} could not run: {exc}"}}
    lines = done.stdout.strip().splitlines()
    try:
        return json.loads(lines[-1])
    except (IndexError, ValueError):
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": {"kind": "probe", "message": f"{project.python} failed: {tail}"}}


def _check_probe(report: Preflight) -> None:
    project = report.project
    error = report.probe.get("error")
    if error:
        kind = error.get("kind")
        if kind == "no-django":
            report.add(
                BLOCKER,
                "django",
                f"Django is not installed for {project.python} ({project.python_source}): "
                "create the project's virtualenv (.venv) or pass --python PATH",
            )
        elif kind == "settings":
            where = f" ({error['where']})" if error.get("where") else ""
            report.add(
                BLOCKER,
                "settings",
                f"{project.settings_module} cannot be imported as the desktop app would import "
                f"it, without your shell's environment variables: {error['message']}{where}. "
                "Give those settings defaults, or pass --settings a module that imports cleanly",
            )
        else:
            report.add(BLOCKER, "settings", error.get("message", "the settings probe failed"))
        return
    version = report.django_version
    text = report.probe["django"]["version"]
    if version == (5, 2):
        report.add(
            WORKS, "django", f"Django {text} (5.2 LTS): the build adds the django-tasks backport"
        )
    elif version and version[0] == 6:
        report.add(WORKS, "django", f"Django {text}")
    else:
        report.add(BLOCKER, "django", f"Django {text} is not supported: use 5.2 LTS or 6.x")


def _check_layout(report: Preflight) -> None:
    project = report.project
    settings_file = report.probe.get("settings_file")
    inside = False
    if settings_file:
        try:
            Path(settings_file).resolve().relative_to(project.root)
            inside = True
        except ValueError:
            inside = False
    if not inside:
        report.add(
            BLOCKER,
            "layout",
            f"{project.settings_module} is not inside {project.root} (an installed package?): "
            "only projects whose code sits next to manage.py can be wrapped for now",
        )
        return
    if project.desktop_dir.exists():
        report.add(
            WORKS,
            "desktop entry",
            f"{project.desktop_package}/ already exists: already wrapped (--apply never "
            "overwrites it)",
        )
    else:
        report.add(
            CHANGE,
            "desktop entry",
            f"new folder {project.desktop_package}/: packaged settings, launcher, stage config",
            by="apply",
        )
    outside = [
        entry for entry, info in report.probe.get("apps", {}).items() if info.get("origin") is None
    ]
    if outside:
        report.add(
            BLOCKER,
            "apps",
            f"INSTALLED_APPS that cannot be imported: {', '.join(outside)}",
        )


def _check_dependencies(report: Preflight) -> None:
    deps = report.project.dependencies
    root = report.project.root
    requirements = [p.relative_to(root).as_posix() for p in deps.requirements]
    where, edited = {
        "uv.lock": ("uv.lock (exported as locked)", "pyproject.toml"),
        "requirements": (", ".join(requirements), requirements[0] if requirements else ""),
        "pyproject": ("pyproject.toml [project] dependencies", "pyproject.toml"),
    }.get(deps.source, ("", ""))
    if where:
        report.add(
            WORKS, "dependencies", f"{where}: {len(deps.names)} declared, installed into the stage"
        )
    else:
        report.add(
            CHANGE,
            "dependencies",
            f"no requirements file or pyproject dependencies: --apply writes "
            f"{report.project.desktop_package}/requirements.txt with the Django in use",
            by="apply",
        )
    extra = "[django52]" if report.needs_tasks_backport else ""
    if deps.declares(DESKTOP_DJANGO):
        report.add(WORKS, "dependencies", f"{DESKTOP_DJANGO} is already declared")
    elif edited:
        report.add(CHANGE, "dependencies", f"adds {DESKTOP_DJANGO}{extra} to {edited}", by="apply")


def _engine_label(engine: str) -> str:
    short = engine.rsplit(".", 1)[-1]
    return ENGINES.get(short, engine or "no engine")


def _check_database(report: Preflight) -> None:
    settings = report.probe["settings"]
    databases = settings.get("DATABASES") or {}
    default = databases.get("default", {})
    engine = default.get("ENGINE", "")
    if engine.endswith("sqlite3"):
        report.add(
            CHANGE,
            "database",
            "SQLite: the file moves to app data (app.sqlite3) with WAL, IMMEDIATE "
            "transactions and a 20 s busy timeout",
            by="apply",
        )
    else:
        report.add(
            CHANGE,
            "database",
            f"{_engine_label(engine)} ({engine}) is not used by the desktop build: it runs on "
            "SQLite in app data, migrated from scratch (no data is copied from the server)",
            by="apply",
        )
    for alias in sorted(set(databases) - {"default"}):
        report.add(
            OUT_OF_SCOPE,
            "database",
            f"database alias {alias!r} ({_engine_label(databases[alias].get('ENGINE', ''))}) is "
            "dropped: a desktop build has one SQLite database",
        )
    apps = settings.get("INSTALLED_APPS") or []
    if "django.contrib.postgres" in apps:
        report.add(
            CHANGE,
            "database",
            "django.contrib.postgres: PostgreSQL-only fields and lookups do not exist on SQLite; "
            "check the models that use them",
            by="you",
        )
    if "django.contrib.gis" in apps:
        report.add(OUT_OF_SCOPE, "database", "GeoDjango (django.contrib.gis) needs SpatiaLite")


def _check_static(report: Preflight) -> None:
    settings = report.probe["settings"]
    apps = settings.get("INSTALLED_APPS") or []
    url = settings.get("STATIC_URL") or ""
    storage = ((settings.get("STORAGES") or {}).get("staticfiles") or {}).get("BACKEND", "")
    if "django.contrib.staticfiles" not in apps:
        report.add(
            CHANGE, "static files", "adds django.contrib.staticfiles (collectstatic)", by="apply"
        )
    if re.match(r"^(https?:)?//", url):
        report.add(
            CHANGE,
            "static files",
            f"STATIC_URL {url} is remote: served locally at /static/",
            by="apply",
        )
    if storage and storage not in STATIC_STORAGES:
        report.add(
            CHANGE, "static files", f"storage {storage} replaced by WhiteNoise's", by="apply"
        )
    report.add(
        WORKS,
        "static files",
        "collected into the stage (hashed names, compressed) and served by WhiteNoise behind "
        "the desktop token",
    )
    media = ((settings.get("STORAGES") or {}).get("default") or {}).get("BACKEND", "")
    if media and media != "django.core.files.storage.FileSystemStorage":
        report.add(
            OUT_OF_SCOPE, "media", f"file storage {media}: uploads go to app data/media instead"
        )
    else:
        report.add(
            WORKS,
            "media",
            "uploads (if any) are stored in app data/media; serving them is up to your views",
        )


def _check_tasks(report: Preflight) -> None:
    settings = report.probe["settings"]
    apps = settings.get("INSTALLED_APPS") or []
    explicit = report.probe.get("explicit", [])
    deps = report.project.dependencies
    for queue, (app_prefixes, setting_prefixes, dists) in TASK_QUEUES.items():
        evidence = [a for a in apps if a.startswith(app_prefixes)]
        evidence += [s for s in explicit if s.startswith(setting_prefixes)]
        evidence += deps.declares(*dists)
        if evidence:
            report.add(
                OUT_OF_SCOPE,
                "task queue",
                f"{queue} ({', '.join(sorted(set(evidence))[:3])}) is not covered: its tasks will "
                "not run. The desktop worker runs django.tasks; port the tasks to @task",
            )
    if "TASKS" in explicit:
        backends = sorted({c.get("BACKEND", "?") for c in (settings.get("TASKS") or {}).values()})
        report.add(
            CHANGE,
            "tasks",
            f"django.tasks ({', '.join(backends)}) switches to the database backend; the desktop "
            "worker process runs the tasks",
            by="apply",
        )
    else:
        report.add(
            WORKS, "tasks", "django.tasks on the database backend, run by the desktop worker"
        )


def _check_services(report: Preflight) -> None:
    settings = report.probe["settings"]
    apps = settings.get("INSTALLED_APPS") or []
    caches = settings.get("CACHES") or {}
    for alias, config in sorted(caches.items()):
        backend = config.get("BACKEND", "")
        if not backend.endswith(LOCAL_CACHES):
            report.add(
                CHANGE, "cache", f"{alias!r} ({backend}) becomes an in-process cache", by="apply"
            )
    if "channels" in apps or settings.get("CHANNEL_LAYERS"):
        report.add(
            OUT_OF_SCOPE,
            "websockets",
            "Django Channels: the desktop server is WSGI (waitress); websocket consumers will "
            "not run",
        )
    for app, why in NETWORK_APPS.items():
        if any(a == app or a.startswith(app + ".") for a in apps):
            report.add(OUT_OF_SCOPE, "network", f"{app}: {why}; it fails when offline")
    modules = report.probe.get("network_modules") or []
    if modules:
        report.add(
            CHANGE,
            "network at startup",
            f"the settings import {', '.join(modules)}: each start would try to reach a server. "
            "Guard that code (for example behind an environment variable)",
            by="you",
        )
    backend = settings.get("EMAIL_BACKEND") or ""
    if backend.endswith("smtp.EmailBackend") and "EMAIL_BACKEND" in report.probe.get(
        "explicit", []
    ):
        report.add(
            WORKS,
            "email",
            "SMTP is only used when a view sends mail, and needs the network then",
        )
    if settings.get("AUTH_USER_MODEL") and settings["AUTH_USER_MODEL"] != "auth.User":
        report.add(WORKS, "users", f"custom user model {settings['AUTH_USER_MODEL']}")
    if "django.contrib.admin" in apps:
        report.add(
            WORKS,
            "admin",
            "the admin works behind the desktop token; create users with "
            f"`python -m {report.project.desktop_package} manage createsuperuser`",
        )


def _check_security(report: Preflight) -> None:
    settings = report.probe["settings"]
    report.add(
        CHANGE,
        "security",
        "DEBUG off, per-install SECRET_KEY in app data, ALLOWED_HOSTS loopback only, the desktop "
        "token middleware first",
        by="apply",
    )
    secure = [n for n in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE")
              if settings.get(n)]  # fmt: skip
    if secure:
        report.add(
            CHANGE,
            "security",
            f"{', '.join(secure)} turned off: the shell talks plain HTTP to 127.0.0.1",
            by="apply",
        )
    if report.django_version and report.django_version < (6, 0):
        report.add(
            CHANGE,
            "CSP",
            "Django 5.2 has no built-in CSP: desktop_django.csp sends the same strict policy "
            "(SECURE_CSP, no nonces)",
            by="apply",
        )
    else:
        report.add(
            CHANGE,
            "CSP",
            "Django's CSP middleware with a policy that allows no remote origin",
            by="apply",
        )


def template_dirs(report: Preflight) -> list[Path]:
    root = report.project.root
    settings = report.probe["settings"]
    dirs = []
    for engine in settings.get("TEMPLATES") or []:
        dirs += [Path(d) for d in engine.get("DIRS", [])]
    for info in report.probe.get("apps", {}).values():
        if info.get("origin") == "project":
            dirs.append(root.joinpath(*info["module"].split(".")) / "templates")
    inside = []
    for folder in dirs:
        folder = folder if folder.is_absolute() else root / folder
        try:
            folder.resolve().relative_to(root)
        except ValueError:
            continue
        if folder.is_dir():
            inside.append(folder)
    return inside


def _check_templates(report: Preflight) -> None:
    root = report.project.root
    problems: dict[str, list[str]] = {}
    checks = (
        (INLINE_SCRIPT, "inline <script> blocks"),
        (INLINE_HANDLER, "inline event handlers (onclick=...)"),
        (INLINE_STYLE, "inline styles"),
        (REMOTE_ASSET, "remote scripts, styles or fonts (//host/...)"),
    )
    for folder in template_dirs(report):
        for template in sorted(folder.rglob("*.html")):
            try:
                text = template.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            for pattern, label in checks:
                if pattern.search(text):
                    problems.setdefault(label, []).append(str(template.relative_to(root)))
    for label, files in problems.items():
        shown = ", ".join(files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")
        report.add(
            CHANGE,
            "templates",
            f"{label} in {shown}: the desktop CSP blocks them; move them to static files",
            by="you",
        )
