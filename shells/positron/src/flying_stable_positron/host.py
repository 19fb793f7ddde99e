"""Django, its WSGI server and the task worker, in this process: Positron's backend.

Everything `serve` does is reused from desktop_django (WebBackend: app data, lock, safe
migration, hooks, waitress on port 0); this module only adds running it on threads and
stopping it within the shutdown budget.
"""

from __future__ import annotations

import logging
import os
import secrets
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from desktop_django import env, timeline
from desktop_django.app_data import AppData
from desktop_django.instance_lock import InstanceLock
from desktop_django.logs import log_to_file

logger = logging.getLogger("positron.host")

PACKAGED_SETTINGS = "flying_stable.settings.packaged"
SHUTDOWN_BUDGET_SECONDS = 3.0


def use_stage(stage_dir: Path) -> dict:
    """Import the backend from a staged runtime instead of this environment (--staged).

    The stage's interpreter has no GUI toolkit, so Positron runs on its own interpreter of
    the same minor version and puts the stage's site-packages first on sys.path, with the
    folders its `.pth` files name (a wrapped project's code lives in `<stage>/app/`).
    Returns the manifest's `app` object (name, id, version).
    """
    from desktop_django.manifest import load

    manifest = load(stage_dir)
    wanted = ".".join(manifest.data["python"]["version"].split(".")[:2])
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    if wanted != running:
        raise RuntimeError(f"the stage needs Python {wanted}; Positron runs on {running}")
    site_packages = sorted(stage_dir.glob("python/lib/python3.*/site-packages")) or sorted(
        stage_dir.glob("python/Lib/site-packages")
    )
    if not site_packages:
        raise RuntimeError(f"no site-packages folder in the stage at {stage_dir}")
    extra = [
        os.path.normpath(site_packages[0] / line.strip())
        for pth in sorted(site_packages[0].glob("*.pth"))
        for line in pth.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith(("#", "import"))
    ]
    sys.path[0:0] = [str(site_packages[0]), *extra]
    os.environ[env.STAGE_DIR] = str(stage_dir)
    return manifest.data["app"]


@dataclass
class BackendHost:
    app_data: AppData
    lock: InstanceLock
    settings_module: str = PACKAGED_SETTINGS
    token: str = field(default_factory=lambda: secrets.token_hex(32))
    url: str = ""
    _backend: object = None
    _worker: object = None
    _worker_thread: threading.Thread | None = None
    slot_start: object = None  # desktop_django.trial.SlotStart of this start

    def start(self) -> str:
        """Prepare app data, migrate, serve on a loopback port and start the worker."""
        self.app_data.prepare()
        log_path = log_to_file(self.app_data.logs, "positron")
        os.environ[env.APP_DATA_DIR] = str(self.app_data.root)
        os.environ[env.AUTH_TOKEN] = self.token
        os.environ.setdefault(env.SETTINGS_MODULE, self.settings_module)
        from desktop_django import trial
        from desktop_django.service import WebBackend, setup_django

        # What serve does for a backend update (docs/backend-updates.md), under the instance
        # lock and before the slot's code is imported: count a trial and back the database
        # up, or put it back after a failed one. A run without slots gets a normal start.
        self.slot_start = trial.begin(self.app_data, log_path)
        setup_django(os.environ[env.SETTINGS_MODULE])
        self._backend = WebBackend(self.app_data, lock=self.lock, backed_up=self.slot_start.backup)
        self.url = self._backend.start()
        timeline.mark("ready-line")  # in process: the URL a shell would read on serve's stdout
        from desktop_django.worker import TaskWorker

        self._worker = TaskWorker()
        self._worker_thread = threading.Thread(
            target=self._worker.run, name="task-worker", daemon=True
        )
        self._worker_thread.start()
        timeline.mark("worker-spawned")
        return self.url

    def worker_running(self) -> bool:
        return self._worker_thread is not None and self._worker_thread.is_alive()

    def stop(self) -> float:
        """Stop the worker after its current task, then the server; returns seconds taken."""
        started = time.monotonic()
        if self._worker is not None:
            self._worker.stop()
            self._worker_thread.join(timeout=SHUTDOWN_BUDGET_SECONDS - 1.0)
            if self._worker_thread.is_alive():
                logger.warning("a task is still running; it will be reconciled at next start")
        if self._backend is not None:
            self._backend.stop()  # closes the server, the database, and releases the lock
            self._backend = None
        elif self.lock is not None:
            self.lock.release()
        elapsed = time.monotonic() - started
        logger.info("backend stopped in %.2f s", elapsed)
        return elapsed
