"""Building blocks for a project's packaged (desktop) settings module.

A packaged settings module imports the project's base settings and then calls these helpers,
so that every desktop build gets the same database pragmas, hosts, secret handling and CSP.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from desktop_django import env
from desktop_django.app_data import AppData

# Exactly the loopback names: a page served from any other Host (DNS rebinding) gets a 400.
LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

# The middleware that every desktop build runs first: host check, token, /health/.
AUTH_MIDDLEWARE = "desktop_django.middleware.DesktopAuthMiddleware"
SECURITY_MIDDLEWARE = "django.middleware.security.SecurityMiddleware"
WHITENOISE_MIDDLEWARE = "whitenoise.middleware.WhiteNoiseMiddleware"
MEDIA_MIDDLEWARE = "desktop_django.media.MediaMiddleware"
BUILTIN_CSP_MIDDLEWARE = "django.middleware.csp.ContentSecurityPolicyMiddleware"  # Django 6.0+
FALLBACK_CSP_MIDDLEWARE = "desktop_django.csp.ContentSecurityPolicyMiddleware"  # Django 5.2
TASKS_DATABASE_BACKEND = "django_tasks_db.DatabaseBackend"
# Cache backends that live in this process or on local disk; anything else is a server.
LOCAL_CACHE_BACKENDS = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
    "django.core.cache.backends.filebased.FileBasedCache",
    "django.core.cache.backends.db.DatabaseCache",
)


def app_data() -> AppData:
    return AppData.from_environment()


def sqlite_database(path: Path) -> dict:
    """SQLite tuned for one desktop user with a web server and a worker writing concurrently."""
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            # IMMEDIATE takes the write lock at BEGIN, so two writers queue on the busy timeout
            # instead of failing with "database is locked" when a read upgrades to a write.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA cache_size=-8000;"
                "PRAGMA mmap_size=67108864;"
                "PRAGMA foreign_keys=ON;"
            ),
        },
    }


def stage_dir() -> Path | None:
    raw = os.environ.get(env.STAGE_DIR, "").strip()
    return Path(raw) if raw else None


def static_root(default: Path) -> Path:
    """Collected static files: inside the stage when running packaged, else `default`."""
    bundle = stage_dir()
    return bundle / "staticfiles" if bundle else default


def auth_token() -> str:
    return os.environ.get(env.AUTH_TOKEN, "")


def content_security_policy() -> dict:
    """A CSP with no remote origin at all: everything the app needs ships inside it."""
    # Django 6.0+ spells the keywords as django.utils.csp.CSP members (a StrEnum); Django
    # 5.2 has no CSP support, and desktop_django.csp reads the same plain strings.
    self_, none = "'self'", "'none'"
    return {
        "default-src": [self_],
        "script-src": [self_],
        "style-src": [self_],
        "img-src": [self_, "data:"],
        "font-src": [self_],
        "connect-src": [self_],
        "object-src": [none],
        "base-uri": [none],
        "frame-ancestors": [none],
        "form-action": [self_],
    }


def has_builtin_csp() -> bool:
    return importlib.util.find_spec("django.middleware.csp") is not None


def has_builtin_tasks() -> bool:
    return importlib.util.find_spec("django.tasks") is not None


def csp_middleware() -> str:
    """Django's own CSP middleware (6.0+), or the small equivalent for Django 5.2."""
    return BUILTIN_CSP_MIDDLEWARE if has_builtin_csp() else FALLBACK_CSP_MIDDLEWARE


def middleware(project_middleware: list[str] | tuple[str, ...]) -> list[str]:
    """A project's middleware arranged for a desktop build.

    The token check runs first (before WhiteNoise, so static files need the token too),
    WhiteNoise right after SecurityMiddleware as its documentation asks, then the user's
    media files (desktop_django.media), and the CSP middleware last, so it sees every
    response.
    """
    ours = {AUTH_MIDDLEWARE, WHITENOISE_MIDDLEWARE, MEDIA_MIDDLEWARE, BUILTIN_CSP_MIDDLEWARE,
            FALLBACK_CSP_MIDDLEWARE}  # fmt: skip
    rest = [name for name in project_middleware if name not in ours]
    at = rest.index(SECURITY_MIDDLEWARE) + 1 if SECURITY_MIDDLEWARE in rest else 0
    rest[at:at] = [WHITENOISE_MIDDLEWARE, MEDIA_MIDDLEWARE]
    return [AUTH_MIDDLEWARE, *rest, csp_middleware()]


def installed_apps(project_apps: list[str] | tuple[str, ...]) -> list[str]:
    """A project's apps plus what the desktop runtime needs: static files and the task
    database the `worker` reads (with the django-tasks backport on Django 5.2)."""
    apps = list(project_apps)
    needed = ["django.contrib.staticfiles"]
    if not has_builtin_tasks():
        if importlib.util.find_spec("django_tasks") is None:
            # desktop-django allows Django 5.2, whose tasks come from the backport extra:
            # say so here rather than as a ModuleNotFoundError deep in app loading.
            raise ImproperlyConfigured(
                "this Django has no django.tasks and the django-tasks backport is not "
                "installed: depend on desktop-django[django52] (or upgrade to Django 6)"
            )
        needed.append("django_tasks")
    needed.append("django_tasks_db")
    for app in needed:
        if not any(name == app or name.startswith(app + ".") for name in apps):
            apps.append(app)
    return apps


def tasks() -> dict:
    """Every task goes to the database, where the desktop `worker` picks it up."""
    return {"default": {"BACKEND": TASKS_DATABASE_BACKEND}}


def local_caches(project_caches: dict | None) -> dict:
    """The project's caches, with any cache server (Redis, Memcached) replaced by an
    in-process cache: a desktop app has no server to talk to."""
    caches = {}
    for alias, config in (project_caches or {}).items():
        if config.get("BACKEND") in LOCAL_CACHE_BACKENDS:
            caches[alias] = config
        else:
            caches[alias] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    return caches or {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def storages() -> dict:
    return {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }


def logging_config() -> dict:
    """Route Django's loggers to the root logger, which the launcher points at app data logs."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "loggers": {
            "django": {"level": "INFO", "propagate": True},
            "django.server": {"level": "WARNING", "propagate": True},
        },
    }
