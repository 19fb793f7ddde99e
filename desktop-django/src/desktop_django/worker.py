"""The background-task worker, usable as a process (`worker`) or a thread (Positron).

django-tasks-db's `db_worker` command installs signal handlers and calls sys.exit, which an
embedding shell cannot use from a thread; its `Worker` class is the loop without those, so we
drive that directly and stop it by clearing its `running` flag.
"""

from __future__ import annotations

import logging
import secrets
import time

logger = logging.getLogger("desktop_django.worker")

# Poll often: an idle SQLite SELECT costs microseconds, and a desktop user waits on the result.
POLL_INTERVAL_SECONDS = 0.1
SCHEMA_WAIT_SECONDS = 0.25


class TaskWorker:
    def __init__(self, interval: float = POLL_INTERVAL_SECONDS):
        from django_tasks_db.management.commands.db_worker import Worker

        self._worker = Worker(
            queue_names=["*"],
            excluded_queue_names=[],
            interval=interval,
            batch=False,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=f"desktop-{secrets.token_hex(6)}",
        )

    def run(self) -> None:
        """Run until stopped. A worker started before the web server finished migrating
        finds no task table yet: it waits for the schema instead of crashing."""
        from django.db import OperationalError, close_old_connections

        logger.info("worker started")
        while self._worker.running:
            try:
                self._worker.run()
            except OperationalError as exc:
                if "no such table" not in str(exc):
                    raise
                logger.info("waiting for the database schema (%s)", exc)
                close_old_connections()
                time.sleep(SCHEMA_WAIT_SECONDS)
        logger.info("worker stopped")

    def stop(self) -> None:
        """Finish the task in hand (if any), then leave the loop."""
        self._worker.running = False

    @property
    def busy(self) -> bool:
        return self._worker.running_task
