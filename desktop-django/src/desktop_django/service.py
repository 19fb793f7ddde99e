"""Start and stop the web backend: shared by the `serve` process and in-process shells.

`serve` (a child process of Electron or Tauri) and Positron (Django on a thread of the Toga
app) go through these same steps, so there is exactly one implementation of "prepare app
data, lock it, migrate safely, run the hooks, listen on a loopback port".
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass, field

from desktop_django import env, timeline
from desktop_django.app_data import AppData
from desktop_django.instance_lock import InstanceLock
from desktop_django.server import RunningServer, bind_loopback, serve_in_thread

logger = logging.getLogger("desktop_django.service")


class ConfigurationError(RuntimeError):
    pass


def setup_django(settings_module: str) -> None:
    import django
    from django.conf import settings

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    # django.setup() would import the settings first anyway; reading one here gives the
    # timeline the split between the project's settings and the apps' imports.
    settings.INSTALLED_APPS  # noqa: B018
    timeline.mark("settings-imported")
    django.setup()
    timeline.mark("apps-ready")


# The largest request body a page may send, uploads included (Django's DATA_UPLOAD_MAX_MEMORY_SIZE
# leaves files out, and waitress accepts 1 GB). A project sets DESKTOP_DJANGO_MAX_REQUEST_BYTES.
DEFAULT_MAX_REQUEST_BYTES = 5 * 1024 * 1024
# What every shell generates: 32 random bytes from the OS, as lowercase hex.
TOKEN_PATTERN = re.compile(r"[0-9a-f]{64}")


def require_token_when_packaged() -> None:
    from django.conf import settings

    from desktop_django.middleware import expected_token

    token = expected_token()
    if not settings.DEBUG and not TOKEN_PATTERN.fullmatch(token):
        shown = "missing" if not token else f"{len(token)} characters, not 64 lowercase hex"
        raise ConfigurationError(
            f"{env.AUTH_TOKEN} is {shown}: a packaged backend serves only with the "
            "per-session token its shell generates (32 random bytes as 64 hex characters)"
        )


def max_request_bytes() -> int:
    from django.conf import settings

    return int(getattr(settings, "DESKTOP_DJANGO_MAX_REQUEST_BYTES", DEFAULT_MAX_REQUEST_BYTES))


def bring_database_up_to_date(app_data: AppData, backed_up=None):
    """Migrate safely for this app version (see database.py), then run the start-up hooks.
    Django must be set up and the caller must hold the instance lock. `backed_up`: the
    backup this start already took (a backend trial's)."""
    from django.conf import settings
    from django.db import DatabaseError as DjangoDatabaseError

    from desktop_django.database import explain, prepare_database
    from desktop_django.hooks import run_hooks

    version = getattr(settings, "DESKTOP_DJANGO_APP_VERSION", "0")
    report = prepare_database(app_data, version, backed_up=backed_up)
    try:
        run_hooks("DESKTOP_DJANGO_ON_STARTUP")
    except DjangoDatabaseError as exc:  # the first write of an everyday start happens here
        raise explain(app_data.database, exc) from exc
    return report


@dataclass
class WebBackend:
    app_data: AppData
    host: str = "127.0.0.1"
    port: int = 0
    lock: InstanceLock | None = None
    server: RunningServer | None = None
    backed_up: object = None  # a backup this start already took (a backend trial's)
    timings: dict[str, float] = field(default_factory=dict)

    def start(self) -> str:
        """Everything up to a listening server; returns its URL. Django must be set up."""
        from django.core.wsgi import get_wsgi_application

        started = time.perf_counter()
        if self.lock is None:  # an embedding shell may have taken it already (single instance)
            self.lock = InstanceLock(self.app_data.lock_file, shell_child=True).acquire()
        require_token_when_packaged()
        bring_database_up_to_date(self.app_data, backed_up=self.backed_up)
        self.timings["database"] = time.perf_counter() - started
        timeline.mark("database-ready")
        sock = bind_loopback(self.host, self.port)
        timeline.mark("socket-bound")
        self.server = serve_in_thread(get_wsgi_application(), sock, max_request_bytes())
        self.lock.record_owner(url=self.server.url)
        self.timings["total"] = time.perf_counter() - started
        logger.info("serving %s (startup %.0f ms)", self.server.url, self.timings["total"] * 1000)
        return self.server.url

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None
        from django.db import connections

        from desktop_django.database import damage_record

        database = self.app_data.database
        if damage_record(database):
            logger.warning("%s is damaged: left exactly as it is for the next start", database)
        elif database.exists():
            try:
                # Fold the WAL back into the database file, so a stopped app leaves one tidy
                # file (server threads' connections may still be open until the process
                # exits). Plain sqlite3, not Django's connection: an in-process shell calls
                # stop() from its GUI thread, which runs an event loop, and there Django
                # refuses database calls.
                with closing(sqlite3.connect(database, timeout=5)) as db:
                    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except Exception:  # stopping must go on; the WAL stays durable anyway
                logger.warning("WAL checkpoint at stop failed", exc_info=True)
        connections.close_all()
        if self.lock is not None:
            self.lock.release()
            self.lock = None
