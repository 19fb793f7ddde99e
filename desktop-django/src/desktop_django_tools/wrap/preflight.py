"""Preflight: what will work in a desktop build, what needs a change, what is out of scope.

Nothing is written into the project. Its settings are read by its own interpreter
(`probe.py`, without bytecode, from a scratch folder), with the environment a desktop app starts
with: none of the developer's shell variables. Every check runs, whatever an earlier one found,
so one run lists everything to fix; each finding names its file (and line) and the fix.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from desktop_django_tools import server_only
from desktop_django_tools.project_python import probe_environment
from desktop_django_tools.stage.config import PYTHON_VERSION
from desktop_django_tools.wrap import scan, undeclared, versions
from desktop_django_tools.wrap.project import DESKTOP_DJANGO, ProjectError, WrapTarget, locate

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
# Settings holding folders Django resolves against the current folder when they are relative.
PATH_SETTINGS = ("TEMPLATES DIRS", "STATICFILES_DIRS", "LOCALE_PATHS", "FIXTURE_DIRS")
SHOWN_LOCATIONS = 5


@dataclass(frozen=True)
class Finding:
    kind: str  # works | change | out-of-scope | blocker
    topic: str
    message: str  # what was found, then the fix
    by: str = ""  # for changes: "apply" (the packaged settings make it) or "you"
    locations: tuple[str, ...] = ()  # file:line (relative to the project root when inside it)

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "topic": self.topic,
            "message": self.message,
            "by": self.by,
            "locations": list(self.locations),
        }


@dataclass(frozen=True)
class Identity:
    name: str
    app_id: str
    version: str


@dataclass
class Preflight:
    path: Path
    project: WrapTarget | None = None
    identity: Identity | None = None
    probe: dict = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    def add(self, kind: str, topic: str, message: str, by: str = "", locations=()) -> None:
        self.findings.append(Finding(kind, topic, message, by, tuple(locations)))

    @property
    def settings(self) -> dict | None:
        """The project's settings as the probe read them; None when they could not be read."""
        return self.probe.get("settings")

    @property
    def relative_paths(self) -> dict[str, list[str]]:
        """Folder settings holding relative paths: {"TEMPLATES DIRS": ["mysite/templates"]}."""
        return relative_paths(self.settings or {})

    @property
    def loaded(self) -> set[str]:
        """Distributions (normalized) the project loads when it starts, in its own environment:
        what its settings import, then what django.setup() and the URLconf import."""
        found = {**self.probe.get("settings_distributions", {}),
                 **self.probe.get("loaded_distributions", {})}  # fmt: skip
        return {server_only.normalize(name) for name in found}

    @property
    def server_only(self) -> list[str]:
        """The declared distributions the stage leaves out by default: server-only ones the
        project does not load (one its settings import is needed, whatever the list says)."""
        apps = (self.settings or {}).get("INSTALLED_APPS") or ()
        declared = server_only.default_exclusions(self.project.dependencies.names, apps)
        return [name for name in declared if name not in self.loaded]

    @property
    def loaded_server_only(self) -> list[str]:
        """Server-only by the list, but loaded by the project: kept in the stage."""
        return sorted(name for name in self.loaded if server_only.why_server_only(name))

    @property
    def local_apps(self) -> list[dict]:
        """Apps from a distribution installed from a local folder (a path or editable install,
        typically the reusable app an example project sits in) that the project's dependency
        files do not declare: {"distribution", "requirement", "requires", "apps"}."""
        declared = self.project.dependencies.names
        found: dict[str, dict] = {}
        for entry, info in self.probe.get("apps", {}).items():
            name = info.get("distribution")
            if not info.get("local") or not name or server_only.normalize(name) in declared:
                continue
            relative = Path(os.path.relpath(info["local"], self.project.root)).as_posix()
            item = found.setdefault(name, {
                "distribution": name, "requirement": f"{name} @ file:{relative}",
                "requires": [r for r in info.get("requires", []) if "extra ==" not in r],
                "editable": info.get("editable", False), "apps": [],
            })  # fmt: skip
            item["apps"].append(entry)
        return list(found.values())

    @property
    def undeclared(self) -> list[undeclared.Undeclared]:
        """Distributions the project loads from its environment that nothing declared brings
        (not its dependency files, desktop-django's requirements or the local apps')."""
        if not self.probe.get("installed"):
            return []
        extras = ("django52",) if self.needs_tasks_backport else ()
        declared = [*self.project.dependencies.names.values(), DESKTOP_DJANGO,
                    *versions.desktop_django_requirements(extras),
                    *(item["distribution"] for item in self.local_apps)]  # fmt: skip
        return undeclared.find(self.probe, declared)

    @property
    def added_requirements(self) -> list[str]:
        """The requirement lines --apply adds for the project's own needs: the local apps'
        packages (`name @ file:..`), then the undeclared distributions at their versions."""
        return [*(item["requirement"] for item in self.local_apps),
                *(item.requirement for item in self.undeclared)]  # fmt: skip

    @property
    def settings_files(self) -> list[Path]:
        """The project's own files the settings import (the settings module first)."""
        files = [Path(f) for f in self.probe.get("settings_files", [])]
        main = self.probe.get("settings_file")
        if main:
            files = [Path(main).resolve(), *(f for f in files if f != Path(main).resolve())]
        return files

    def setting_locations(self, name: str) -> list[str]:
        """file:line of every assignment to setting `name` in the project's settings files."""
        assignment = re.compile(rf"^\s*{re.escape(name)}\s*(=|\+=|:)", re.MULTILINE)
        where = []
        for path in self.settings_files:
            text = scan.read(path)
            where += [f"{scan.shown(path, self.project.root)}:{scan.line_at(text, m.start())}"
                      for m in assignment.finditer(text)]  # fmt: skip
        return where

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
                "python": None if project.python is None else str(project.python),
                "pythonSource": project.python_source,
                "pythonpath": list(project.pythonpath),
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
            python = project.python or "no interpreter"
            rows = [
                ("manage.py", str(project.manage_py)),
                (
                    "settings",
                    f"{project.settings_module} (from {project.settings_source})"
                    if project.settings_module
                    else "unknown (see the blockers)",
                ),
                ("Django", self.probe.get("django", {}).get("version", "unknown")),
                ("read with", f"{python} ({project.python_source})"),
                ("desktop entry", f"{project.desktop_package}/"),
            ]
            if project.src_layout:
                rows.insert(1, ("layout", "src/ (the stage puts src/ on sys.path)"))
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
                lines += [f"       at {where}" for where in item.locations[:SHOWN_LOCATIONS]]
                if len(item.locations) > SHOWN_LOCATIONS:
                    more = len(item.locations) - SHOWN_LOCATIONS
                    lines.append(f"       ... and {more} more (--json lists them all)")
            lines.append("")
        if self.blockers:
            lines.append(
                f"Result: {len(self.blockers)} blocker(s); fix them (each says how), then run "
                "the preflight again."
            )
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
    _check_manage_pys(report)
    if project.settings_problem:
        report.add(BLOCKER, "project", project.settings_problem,
                   locations=[scan.shown(project.manage_py, project.root)])  # fmt: skip
    if project.python is None:
        report.add(BLOCKER, "python", project.python_source)
    elif project.settings_module:
        report.probe = run_probe(project)
        _check_probe(report)
    # Every check that has what it needs runs, whatever was found before.
    checks = [_check_python_version, _check_dependencies, _check_server_only, _check_loading]
    if project.python is not None and "django" in report.probe:
        checks += [_check_django_pin, _check_versions]
    if report.settings is not None:
        checks += [_check_layout, _check_database, _check_static, _check_media, _check_tasks,
                   _check_services, _check_security, _check_server_bound, _check_dev_servers,
                   _check_app_sources, _check_undeclared, _check_relative_paths]  # fmt: skip
    checks += [_check_templates, _check_spawns]
    for check in checks:
        check(report)
    return report


def _check_manage_pys(report: Preflight) -> None:
    project = report.project
    if len(project.manage_pys) < 2:
        return
    base = report.path.absolute().resolve()
    others = [scan.shown(p.parent, base) for p in project.manage_pys[1:]]
    report.add(
        WORKS,
        "project",
        f"{len(project.manage_pys)} manage.py files here; wrapping {project.manage_py} (the "
        "nearest, test projects last). To wrap another, point at its folder: "
        + "; ".join(f"desktop-django wrap {report.path / other}" for other in others),
        locations=[scan.shown(p, base) for p in project.manage_pys],
    )


def identity(project: WrapTarget, name: str | None) -> Identity:
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


def run_probe(project: WrapTarget) -> dict:
    # No bytecode (-B), and a scratch working folder: reading the settings writes nothing
    # into the project, so `git status` is the same before and after.
    args = [str(project.python), "-I", "-B", str(PROBE), str(project.root),
            project.settings_module, *project.pythonpath]  # fmt: skip
    try:
        with tempfile.TemporaryDirectory(prefix="desktop-django-probe-") as scratch:
            done = subprocess.run(
                args,
                cwd=scratch,
                env={**probe_environment(), "PYTHONDONTWRITEBYTECODE": "1"},
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
    pinned = _declared_at(project, "django")
    if version == (5, 2):
        report.add(
            WORKS, "django", f"Django {text} (5.2 LTS): the build adds the django-tasks backport"
        )
    elif version and version[0] == 6:
        report.add(WORKS, "django", f"Django {text}")
    else:
        report.add(
            BLOCKER,
            "django",
            f"Django {text} (in {project.python}) is not supported: upgrade the project to "
            "Django 5.2 LTS or 6.x (its pin, then its virtualenv), then run the preflight again",
            locations=pinned,
        )


def _check_django_pin(report: Preflight) -> None:
    """The stage installs the Django the project pins, not the one its virtualenv has."""
    deps = report.project.dependencies
    installed = report.probe["django"]["version"]
    try:
        pinned = Requirement(deps.names.get("django", ""))
    except InvalidRequirement:
        return
    if pinned.specifier and not pinned.specifier.contains(installed, prereleases=True):
        report.add(
            CHANGE,
            "django",
            f"{report.project.python} has Django {installed}, but the project pins "
            f"{pinned.specifier}: the report is about {installed}, the stage installs the "
            "pinned one. Reinstall the project's requirements into its virtualenv and run the "
            "preflight again",
            by="you",
            locations=_declared_at(report.project, "django"),
        )


def _declared_at(project: WrapTarget, name: str) -> list[str]:
    deps = project.dependencies
    return [f"{deps.locations[name]} ({deps.names[name]})"] if name in deps.locations else []


def _check_python_version(report: Preflight) -> None:
    deps = report.project.dependencies
    if not deps.requires_python:
        return
    where = [f"pyproject.toml (requires-python = {deps.requires_python!r})"]
    try:
        allowed = SpecifierSet(deps.requires_python)
    except InvalidSpecifier:
        report.add(
            BLOCKER,
            "python",
            f"requires-python {deps.requires_python!r} is not a version specifier: fix it "
            "(for example '>=3.12')",
            locations=where,
        )
        return
    if allowed.contains(PYTHON_VERSION, prereleases=True):
        report.add(WORKS, "python", f"requires-python {deps.requires_python} allows the "
                   f"stage's Python {PYTHON_VERSION}")  # fmt: skip
    else:
        report.add(
            BLOCKER,
            "python",
            f"requires-python {deps.requires_python} excludes Python {PYTHON_VERSION}, the one "
            "the stage ships: allow it in pyproject.toml if the code runs on it (test with "
            f"Python {PYTHON_VERSION[:4]}), or keep this project on the server for now",
            locations=where,
        )


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
            "only projects whose code sits next to manage.py (or in src/ beside it) can be "
            "wrapped; point at the project that holds that code",
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
            f"INSTALLED_APPS that {project.python} ({project.python_source}) cannot import: "
            f"{', '.join(outside)}. Install the project's requirements into that interpreter, "
            "or point the preflight at the one that has them (activate it, or --python PATH)",
        )
    if project.src_layout:
        report.add(
            CHANGE,
            "layout",
            f"src/ layout ({project.settings_module} is in src/): the stage copies src/ and "
            'puts it on sys.path (desktop-stage.toml: pythonpath = [".", "src"])',
            by="apply",
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
        report.add(
            CHANGE,
            "dependencies",
            f"adds {DESKTOP_DJANGO}{extra} (a reference to this desktop-django until it is on "
            f"an index; --desktop-django SPEC picks another) to {edited}",
            by="apply",
        )


def _check_versions(report: Preflight) -> None:
    """Resolve the project's requirements with desktop-django's, as the stage will install."""
    extras = ("django52",) if report.needs_tasks_backport else ()
    added = tuple(report.added_requirements)
    resolution = versions.resolve(report.project, extras, added)
    if resolution.ok:
        report.add(
            WORKS,
            "versions",
            f"the project's requirements and {DESKTOP_DJANGO}'s resolve together "
            f"for the stage's Python {PYTHON_VERSION} (uv pip compile)",
        )
    elif not resolution.checked:
        report.add(
            CHANGE,
            "versions",
            f"could not resolve the requirements to check them ({resolution.explanation}); "
            "the stage will: when online, run the preflight again to check them now",
            by="you",
        )
    else:
        locked = versions.locked_pins(report.project, resolution.explanation)
        if locked:
            # The lock, not the range, holds the version that conflicts: say so, and how to
            # move the lock within the range.
            names = " ".join(name for name, _version, _where in locked)
            fix = (
                f"uv.lock pins {', '.join(f'{n} {v}' for n, v, _ in locked)} (narrower than "
                f"pyproject.toml's range): run `uv lock --upgrade-package {names}` in "
                f"{report.project.root} (or raise the range if it does not allow a newer "
                "one), then run the preflight again"
            )
            where = [f"{at} ({n} {v}, locked)" for n, v, at in locked]
        else:
            fix = ("Loosen or raise the pin named here (the lines below), reinstall the "
                   "project's requirements, then run the preflight again")  # fmt: skip
            where = []
        if resolution.unreached:
            fix += (" (found with the releases in uv's cache: the index could not be reached, "
                    f"{resolution.unreached[:200]}; online, the preflight also checks newer "
                    "releases)")  # fmt: skip
        report.add(
            BLOCKER,
            "versions",
            f"the project's pins conflict with {DESKTOP_DJANGO}'s requirements: "
            f"{resolution.explanation}. {fix}",
            locations=[*where, *resolution.involved],
        )


def _check_server_only(report: Preflight) -> None:
    deps = report.project.dependencies
    kept = report.loaded_server_only
    if kept:
        report.add(
            CHANGE,
            "server-only dependencies",
            f"{', '.join(kept)} {'is' if len(kept) == 1 else 'are'} on the server-only list, "
            "but the project loads it when it starts (its settings, apps or URLconf import "
            "it): the stage keeps it (`keep` in desktop-stage.toml)",
            by="apply",
            locations=[deps.locations[n] for n in kept if n in deps.locations],
        )
    excluded = report.server_only
    if not excluded:
        return
    where = [f"{deps.locations.get(n, '?')} ({n}: {server_only.why_server_only(n)})"
             for n in excluded]  # fmt: skip
    report.add(
        CHANGE,
        "server-only dependencies",
        f"{', '.join(excluded)} serve only a server deployment: the stage leaves them out "
        "by default, with what only they need; to ship one anyway (your code imports it at "
        "run time), name it in `keep` in desktop-stage.toml [dependencies]",
        by="apply",
        locations=where,
    )


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


def _check_media(report: Preflight) -> None:
    settings = report.settings
    root = report.project.root
    fields = scan.upload_fields(report.project.source_root)
    where = [hit.where(root) for hit in fields]
    media = ((settings.get("STORAGES") or {}).get("default") or {}).get("BACKEND", "")
    if media and media != "django.core.files.storage.FileSystemStorage":
        report.add(
            OUT_OF_SCOPE,
            "media",
            f"file storage {media} keeps uploads on a remote service: the desktop build stores "
            "them in app data/media instead (existing remote files are not copied)",
            locations=where,
        )
    elif fields or "MEDIA_ROOT" in report.probe.get("explicit", []):
        report.add(
            WORKS,
            "media",
            "uploads (FileField/ImageField) are stored in app data/media and, in packaged mode, "
            "served from there at MEDIA_URL behind the desktop token; MEDIA_ROOT is set by "
            "the desktop settings",
            locations=where,
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


def relative_paths(settings: dict) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    values = {
        "TEMPLATES DIRS": [d for e in settings.get("TEMPLATES") or [] for d in e.get("DIRS", [])],
        "STATICFILES_DIRS": [
            d[-1] if isinstance(d, list) else d for d in settings.get("STATICFILES_DIRS") or []
        ],
        "LOCALE_PATHS": settings.get("LOCALE_PATHS") or [],
        "FIXTURE_DIRS": settings.get("FIXTURE_DIRS") or [],
    }
    for name in PATH_SETTINGS:
        relative = [
            str(v) for v in values[name] if isinstance(v, str) and not Path(v).is_absolute()
        ]
        if relative:
            found[name] = relative
    return found


def _check_relative_paths(report: Preflight) -> None:
    found = report.relative_paths
    if not found:
        return
    settings_file = Path(report.probe.get("settings_file") or "")
    text = scan.read(settings_file)
    where = []
    for name, paths in found.items():
        for value in paths:
            at = max(text.find(f'"{value}"'), text.find(f"'{value}'"))
            line = f":{scan.line_at(text, at)}" if at >= 0 else ""
            where.append(
                f"{scan.shown(settings_file, report.project.root)}{line} ({name} {value!r})"
            )
    report.add(
        CHANGE,
        "relative paths",
        "folder settings with relative paths resolve against the folder the app starts in, "
        "which is not the project in a desktop build: the desktop settings anchor them to the "
        "project root",
        by="apply",
        locations=where,
    )


def _check_loading(report: Preflight) -> None:
    error = report.probe.get("load", {}).get("error")
    if error:
        report.add(
            CHANGE,
            "apps",
            f"Django did not start with {report.project.settings_module} in the project's own "
            f"environment ({error}), so the preflight could not see which distributions the "
            "apps and URLconf import; the stage's proof step will. Fix it if the project "
            "should start without your shell's environment variables",
            by="you",
        )


def _check_server_bound(report: Preflight) -> None:
    """Settings that bind the deployment to its host or to TLS: each one the project sets is
    overridden in the packaged settings, and listed here where it is set."""
    bound = report.probe.get("server_bound") or {}
    if not bound:
        return
    where = [
        f"{at} ({name} = {bound[name]!r})"
        for name in sorted(bound)
        for at in report.setting_locations(name) or ["?"]
    ]
    report.add(
        CHANGE,
        "server host",
        f"{', '.join(sorted(bound))} bind the site to its server host or to TLS (a cookie "
        "domain or a Secure cookie never comes back to http://127.0.0.1, so a login would "
        "bounce back to the login page): the packaged settings override each one",
        by="apply",
        locations=where,
    )


def _check_dev_servers(report: Preflight) -> None:
    found = report.probe.get("dev_servers") or []
    if not found:
        return
    where = [f"{at} ({path} = {value!r})" for path, value in found
             for at in report.setting_locations(re.split(r"\[", path)[0]) or ["?"]]  # fmt: skip
    report.add(
        CHANGE,
        "assets",
        f"{', '.join(path for path, _ in found)} point the pages' scripts and styles at a "
        "front-end dev server (Vite, webpack), which a desktop app does not have: the pages "
        "load without them. Build the assets (e.g. `npm run build`) into a static folder and "
        f"set that setting to production mode in {report.project.desktop_package}/settings.py",
        by="you",
        locations=where,
    )


def _check_app_sources(report: Preflight) -> None:
    for item in report.local_apps:
        how = "an editable install" if item["editable"] else "a path install"
        requires = ", ".join(item["requires"]) or "none"
        report.add(
            CHANGE,
            "apps",
            f"{', '.join(item['apps'])} come{'s' if len(item['apps']) == 1 else ''} from "
            f"{item['distribution']}, {how} of a folder outside the project that its "
            f"dependency files do not declare: --apply adds `{item['requirement']}` "
            f"(relative to the project), which brings its declared dependencies ({requires})",
            by="apply",
        )


def _check_undeclared(report: Preflight) -> None:
    found = report.undeclared
    if not found:
        return
    deps = report.project.dependencies
    target = {"requirements": deps.requirements[0].name if deps.requirements else "",
              "pyproject": "pyproject.toml [project] dependencies",
              "uv.lock": "pyproject.toml [project] dependencies (then `uv lock`)"}.get(
        deps.source, f"{report.project.desktop_package}/requirements.txt")  # fmt: skip
    listed = ", ".join(f"{item.distribution} {item.version} ({', '.join(item.modules)})"
                       for item in found)  # fmt: skip
    lines = ", ".join(f"`{item.requirement}`" for item in found)
    report.add(
        CHANGE,
        "dependencies",
        f"{listed} {'is' if len(found) == 1 else 'are'} installed in the project's environment "
        "and loaded when it starts (its settings, apps or URLconf import "
        f"{'it' if len(found) == 1 else 'them'}), but no dependency file declares "
        f"{'it' if len(found) == 1 else 'them'}, so a stage would not install "
        f"{'it' if len(found) == 1 else 'them'}: --apply adds {lines} (the installed "
        f"version{'' if len(found) == 1 else 's'}) to {target}",
        by="apply",
    )


def _check_security(report: Preflight) -> None:
    report.add(
        CHANGE,
        "security",
        "DEBUG off, per-install SECRET_KEY in app data, ALLOWED_HOSTS loopback only, the desktop "
        "token middleware first",
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


def template_dirs(report: Preflight) -> list[tuple[str, Path]]:
    """(whose, folder) of every template folder: the project's, then each installed app's.

    Without readable settings, the project's own `templates/` folders are still scanned.
    """
    project = report.project
    root = project.root
    found: dict[Path, str] = {}
    settings = report.settings or {}
    for engine in settings.get("TEMPLATES") or []:
        for folder in engine.get("DIRS", []):
            found.setdefault((root / folder).resolve(), "project")
    for entry, info in report.probe.get("apps", {}).items():
        # Django's own apps (the admin) and desktop-django's are what the desktop CSP is
        # tested against: only the project's and third-party apps' templates are scanned.
        if info.get("path") and not entry.startswith(("django.", "desktop_django")):
            whose = "project" if info.get("origin") == "project" else info["module"]
            found.setdefault(Path(info["path"]) / "templates", whose)
    if report.settings is None:
        for folder in sorted(project.source_root.glob("*/templates")):
            found.setdefault(folder.resolve(), "project")
        found.setdefault((root / "templates").resolve(), "project")
    return [(whose, folder) for folder, whose in found.items() if folder.is_dir()]


def _check_templates(report: Preflight) -> None:
    root = report.project.root
    labels = {key: label for key, _, label in scan.TEMPLATE_CHECKS}
    grouped: dict[tuple[str, str], list[str]] = {}
    for whose, folder in template_dirs(report):
        for hit in scan.template_hits(folder):
            base = root if whose == "project" else folder
            grouped.setdefault((whose, hit.what), []).append(hit.where(base))
    for (whose, key), where in grouped.items():
        if key == "remote-asset":
            fix = ("download each file into a static folder and load it with {% static %}: the "
                   "desktop app makes no remote requests")  # fmt: skip
        else:
            fix = "move them into static .js/.css files (a class instead of style=)"
        if whose == "project":
            message = f"{labels[key]} in your templates: the desktop CSP blocks them; {fix}"
        else:
            message = (
                f"{labels[key]} in the templates of installed app {whose} (paths below are in "
                f"its templates folder): the desktop CSP blocks them, so the pages using them "
                "lose that part. Override those templates in your own templates folder (same "
                f"path) and {fix}, or check the app's docs for a CSP-compatible mode"
            )
        report.add(CHANGE, "templates", message, by="you", locations=where)


def _check_spawns(report: Preflight) -> None:
    root = report.project.root
    hits = scan.python_spawns(report.project.source_root)
    if not hits:
        return
    report.add(
        WORKS,
        "subprocess",
        "code starts a Python interpreter (`python ...` or sys.executable): in the stage the "
        "launcher puts the bundled interpreter first on PATH, so `python` and sys.executable "
        "are the stage's own; nothing to change",
        locations=[f"{hit.where(root)} ({hit.what})" for hit in hits],
    )
