"""Read a project's settings with the project's own interpreter; print one JSON object.

Run as a script (`python -I -B probe.py ROOT SETTINGS_MODULE [PYTHONPATH...]`), never imported
by desktop-django: the project's interpreter may not have desktop-django installed, and may run
another Django. Only the settings module is imported (no `django.setup()`, no app code, no
database); the apps are located, not set up. The caller runs it without bytecode and from a
scratch folder, so nothing is written into the project. Standard library and Django only.
"""

import importlib.util
import json
import os
import sys
import traceback
from pathlib import Path

# Modules that, once imported by the settings, mean something reaches out to a server.
NETWORK_MODULES = {
    "sentry_sdk": "Sentry error reporting",
    "redis": "Redis client",
    "boto3": "AWS SDK",
    "botocore": "AWS SDK",
    "google.cloud": "Google Cloud client",
    "elasticsearch": "Elasticsearch client",
    "celery": "Celery",
    "kombu": "a message broker client (kombu)",
    "pika": "RabbitMQ client",
    "newrelic": "New Relic agent",
    "ddtrace": "Datadog tracer",
    "opentelemetry": "OpenTelemetry exporter",
}


def _jsonable(value):
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    return str(value)


def _locate_app(entry, root):
    """{"module", "origin": "project" | "installed" | None, "path"} of an INSTALLED_APPS entry.

    An entry is a module ("wagtail.admin") or an AppConfig class ("notes.apps.NotesConfig");
    finding a submodule imports its parents, which is what Django itself would do.
    """
    candidates = [entry, entry.rsplit(".", 1)[0]] if "." in entry else [entry]
    if ".apps." in entry:
        candidates.insert(0, entry.split(".apps.")[0])
    for module in candidates:
        try:
            spec = importlib.util.find_spec(module)
        except Exception:  # a parent that fails to import: the app cannot be found either
            spec = None
        if spec is None:
            continue
        # A package's folder; for a plain module, the folder it sits in (as Django's
        # AppConfig.path).
        places = list(spec.submodule_search_locations or [])
        path = Path(places[0] if places else Path(spec.origin or "").parent).resolve()
        origin = "project" if path.is_relative_to(root) else "installed"
        return {"module": module, "origin": origin, "path": str(path)}
    return {"module": candidates[0], "origin": None, "path": None}


def probe(root, settings_module, pythonpath):
    # Only the project goes on the path: never this script's folder (Python < 3.11 adds it
    # even under -I), whose module names could shadow the project's.
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if p and Path(p).resolve() != here]
    sys.path[:0] = [str(root / entry) for entry in pythonpath]
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    result = {"python": sys.version.split()[0], "executable": sys.executable}
    try:
        import django
    except ImportError:
        result["error"] = {"kind": "no-django", "message": "Django is not installed"}
        return result
    result["django"] = {"version": django.get_version(), "tuple": list(django.VERSION[:2])}
    before = set(sys.modules)
    try:
        from django.conf import settings

        settings._setup()
        explicit = set(settings._wrapped._explicit_settings)
    except BaseException as exc:  # the report must name it, whatever it is
        frames = traceback.extract_tb(exc.__traceback__)
        if isinstance(exc, SyntaxError) and exc.filename:
            frames.append(traceback.FrameSummary(exc.filename, exc.lineno, ""))
        where = next(
            (f"{Path(f.filename).name}:{f.lineno}" for f in reversed(frames)
             if Path(f.filename).is_absolute() and Path(f.filename).resolve().is_relative_to(root)),
            "",
        )  # fmt: skip
        result["error"] = {
            "kind": "settings",
            "message": f"{exc.__class__.__name__}: {exc}",
            "where": where,
        }
        return result
    imported = set(sys.modules) - before
    names = [
        "INSTALLED_APPS", "MIDDLEWARE", "DATABASES", "STATIC_URL", "STATIC_ROOT",
        "STATICFILES_DIRS", "STORAGES", "MEDIA_ROOT", "TEMPLATES", "LOCALE_PATHS",
        "FIXTURE_DIRS", "AUTH_USER_MODEL", "CACHES", "SESSION_ENGINE", "EMAIL_BACKEND",
        "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "ROOT_URLCONF",
        "WSGI_APPLICATION", "ASGI_APPLICATION", "CHANNEL_LAYERS", "TASKS", "DEBUG",
    ]  # fmt: skip
    values = {name: _jsonable(getattr(settings, name, None)) for name in names}
    values["DATABASES"] = {
        alias: {"ENGINE": config.get("ENGINE", ""), "NAME": _jsonable(config.get("NAME", ""))}
        for alias, config in settings.DATABASES.items()
    }
    result["settings"] = values
    result["explicit"] = sorted(
        n
        for n in explicit
        if n.startswith(("CELERY", "RQ_", "HUEY", "DRAMATIQ", "Q_CLUSTER")) or n in names
    )
    result["apps"] = {entry: _locate_app(entry, root) for entry in settings.INSTALLED_APPS}
    result["network_modules"] = sorted(
        label for name, label in NETWORK_MODULES.items()
        if any(m == name or m.startswith(name + ".") for m in imported)
    )  # fmt: skip
    result["settings_file"] = getattr(sys.modules.get(settings_module), "__file__", None)
    return result


def main():
    root = Path(sys.argv[1]).resolve()
    settings_module = sys.argv[2]
    result = probe(root, settings_module, sys.argv[3:] or ["."])
    sys.stdout.write("\n" + json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
