"""Read a project's settings with the project's own interpreter; print one JSON object.

Run as a script (`python -I -B probe.py ROOT SETTINGS_MODULE [PYTHONPATH...]`), never imported
by desktop-django: the project's interpreter may not have desktop-django installed, and may run
another Django. The settings module is imported first and read; then Django is set up (its
logging configuration left out, so no log file is opened) and the URLconf imported, as the app
does at start-up, to learn which distributions the project really loads. No database
connection is opened by the probe. The caller runs it without bytecode and from a scratch
folder, so nothing is written into the project. Standard library and Django only.
"""

import importlib
import importlib.metadata
import importlib.util
import json
import os
import re
import sys
import traceback
from pathlib import Path
from urllib.parse import unquote, urlparse

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


# Settings that bind a deployment to its server host or to TLS (a cookie pinned to the public
# domain never comes back to 127.0.0.1; a Secure cookie never comes back over plain HTTP): the
# packaged settings override each one; the preflight lists those the project sets.
SERVER_BOUND = (
    "SESSION_COOKIE_DOMAIN", "CSRF_COOKIE_DOMAIN", "LANGUAGE_COOKIE_DOMAIN",
    "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "LANGUAGE_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT", "SECURE_SSL_HOST", "CSRF_TRUSTED_ORIGINS", "SECURE_PROXY_SSL_HEADER",
    "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
    "USE_X_FORWARDED_HOST", "USE_X_FORWARDED_PORT",
)  # fmt: skip
# A front-end integration pointed at its dev server: a `dev_mode`/`dev_server`-like switch that
# is on, or a URL on a loopback port (what a Vite or webpack dev server listens on).
DEV_SWITCH = re.compile(r"dev[_-]?(mode|server)", re.IGNORECASE)
DEV_SERVER_URL = re.compile(r"^(https?:)?//(localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\]):\d+")


def _dev_servers(settings, explicit):
    """[(setting path, value)] of explicit settings that point assets at a dev server."""
    found = []

    def walk(path, value, key=""):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{path}[{k!r}]", v, str(k))
        elif isinstance(value, (list, tuple)):
            for i, v in enumerate(value):
                walk(f"{path}[{i}]", v, key)
        else:
            switched_on = value is True and DEV_SWITCH.search(key)
            if switched_on or (isinstance(value, str) and DEV_SERVER_URL.match(value)):
                found.append((path, value))

    for name in sorted(explicit):
        if name in SERVER_BOUND or name in ("ALLOWED_HOSTS", "INTERNAL_IPS", "DATABASES"):
            continue
        walk(name, getattr(settings, name, None), name)
    return found


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


def _distributions_of(modules, provided):
    """{distribution: [top-level modules]} providing `modules`, from the environment's own
    metadata (`provided`: importlib.metadata.packages_distributions()); the standard library
    and modules of no distribution (the project's own) are not in it."""
    found = {}
    for top in sorted({m.partition(".")[0] for m in modules}):
        for dist in provided.get(top, ()):
            found.setdefault(dist, []).append(top)
    return found


def _direct_urls():
    """[(distribution, its folder, editable, requires)] of every distribution installed from
    a local folder (PEP 610 direct_url.json): a path or editable install."""
    found = []
    for dist in importlib.metadata.distributions():
        try:
            data = json.loads(dist.read_text("direct_url.json") or "null")
        except ValueError:
            continue
        url = (data or {}).get("url", "")
        if not url.startswith("file://") or "dir_info" not in data:
            continue
        folder = Path(unquote(urlparse(url).path)).resolve()
        editable = bool(data["dir_info"].get("editable"))
        found.append((dist.metadata["Name"], folder, editable, list(dist.requires or [])))
    return found


def _installed(local_dists):
    """{distribution: {"version", "requires", "local"}} of everything installed in the
    environment: what the caller needs to tell which loaded distributions the project's
    dependency files bring (with what they require) and which only the environment has."""
    folders = {name: str(folder) for name, folder, _editable, _requires in local_dists}
    found = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if name and name not in found:
            found[name] = {"version": dist.version, "requires": list(dist.requires or []),
                           "local": folders.get(name)}  # fmt: skip
    return found


def _app_source(info, provided, local_dists):
    """Where an app's code comes from: the project tree, a distribution (and whether that one
    was installed from a local folder outside the project, e.g. the reusable app an example
    project sits in), or nothing at all."""
    if info["origin"] != "installed":
        return info
    path = Path(info["path"])
    top = info["module"].partition(".")[0]
    for name, folder, editable, requires in local_dists:
        if path.is_relative_to(folder) or name in provided.get(top, ()):
            return {**info, "distribution": name, "local": str(folder), "editable": editable,
                    "requires": requires}  # fmt: skip
    names = provided.get(top, [])
    return {**info, "distribution": names[0]} if names else info


def _load_like_the_app(settings, imported):
    """django.setup() and the URLconf, as the app loads them; the modules that adds."""
    before = set(sys.modules)
    # Not the project's LOGGING: a file handler would create a log file in the project.
    settings.LOGGING_CONFIG = None
    try:
        import django

        django.setup()
        urlconf = getattr(settings, "ROOT_URLCONF", None)
        if urlconf:
            importlib.import_module(urlconf)
    except BaseException as exc:  # reported as a warning: the settings themselves were read
        return {"error": f"{exc.__class__.__name__}: {' '.join(str(exc).split())}"[:400]}
    return {"modules": sorted(set(sys.modules) - before | imported)}


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
    result["settings_files"] = sorted({
        str(Path(module.__file__).resolve())
        for name in imported
        if (module := sys.modules.get(name)) is not None
        and getattr(module, "__file__", None)
        and Path(module.__file__).resolve().is_relative_to(root)
    })  # fmt: skip
    defaults = importlib.import_module("django.conf.global_settings")
    result["server_bound"] = {
        name: _jsonable(getattr(settings, name))
        for name in SERVER_BOUND
        if getattr(settings, name, None) != getattr(defaults, name, None)
    }
    result["dev_servers"] = [[path, _jsonable(value)]
                             for path, value in _dev_servers(settings, explicit)]  # fmt: skip
    local_dists = _direct_urls()
    provided = importlib.metadata.packages_distributions()
    apps = {entry: _locate_app(entry, root) for entry in settings.INSTALLED_APPS}
    result["apps"] = {entry: _app_source(info, provided, local_dists)
                      for entry, info in apps.items()}  # fmt: skip
    result["settings_distributions"] = _distributions_of(imported, provided)
    loaded = _load_like_the_app(settings, imported)
    result["load"] = {"error": loaded["error"]} if "error" in loaded else {}
    result["loaded_distributions"] = _distributions_of(loaded.get("modules", imported), provided)
    result["installed"] = _installed(local_dists)
    result["network_modules"] = sorted(
        label for name, label in NETWORK_MODULES.items()
        if any(m == name or m.startswith(name + ".") for m in imported)
    )  # fmt: skip
    result["settings_file"] = getattr(sys.modules.get(settings_module), "__file__", None)
    return result


def main():
    root = Path(sys.argv[1]).resolve()
    settings_module = sys.argv[2]
    # Like the launcher: the report owns stdout, whatever the project prints on the way.
    stream, sys.stdout = sys.stdout, sys.stderr
    result = probe(root, settings_module, sys.argv[3:] or ["."])
    stream.write("\n" + json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
