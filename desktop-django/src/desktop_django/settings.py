"""Building blocks for a project's packaged (desktop) settings module.

A packaged settings module imports the project's base settings and then calls these helpers,
so that every desktop build gets the same database pragmas, hosts, secret handling and CSP.
"""

from __future__ import annotations

import os
from pathlib import Path

from desktop_django import env
from desktop_django.app_data import AppData

# Exactly the loopback names: a page served from any other Host (DNS rebinding) gets a 400.
LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

# The middleware that every desktop build runs first: host check, token, /health/.
AUTH_MIDDLEWARE = "desktop_django.middleware.DesktopAuthMiddleware"


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


def bundle_dir() -> Path | None:
    raw = os.environ.get(env.BUNDLE_DIR, "").strip()
    return Path(raw) if raw else None


def static_root(default: Path) -> Path:
    """Collected static files: inside the stage when running packaged, else `default`."""
    bundle = bundle_dir()
    return bundle / "staticfiles" if bundle else default


def auth_token() -> str:
    return os.environ.get(env.AUTH_TOKEN, "")


def content_security_policy() -> dict:
    """A CSP with no remote origin at all: everything the app needs ships inside it."""
    from django.utils.csp import CSP

    return {
        "default-src": [CSP.SELF],
        "script-src": [CSP.SELF],
        "style-src": [CSP.SELF],
        "img-src": [CSP.SELF, "data:"],
        "font-src": [CSP.SELF],
        "connect-src": [CSP.SELF],
        "object-src": [CSP.NONE],
        "base-uri": [CSP.NONE],
        "frame-ancestors": [CSP.NONE],
        "form-action": [CSP.SELF],
    }


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
