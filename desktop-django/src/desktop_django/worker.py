"""The background-task worker, usable as a process (`worker`) or a thread (Positron).

django-tasks-db's `db_worker` command installs signal handlers and calls sys.exit, which an
embedding shell cannot use from a thread; its `Worker` class is the loop without those, so we
drive that directly and stop it by clearing its `running` flag.

One worker per app data folder, proven by an OS file lock (`worker.lock`) that dies with its
process. Holding it is what lets a starting worker reconcile: no other worker is alive, so a
task still marked RUNNING was abandoned by one that died (killed, crashed, power cut), and is
marked failed, with django-tasks' `task_finished` signal so the project's own records follow.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time

from desktop_django.app_data import AppData
from desktop_django.database import (
    DatabaseError,
    damage_record,
    is_corruption,
    record_damage,
    refuse_newer_database,
)
from desktop_django.disk_space import free_bytes, human, is_disk_full
from desktop_django.instance_lock import InstanceLock

logger = logging.getLogger("desktop_django.worker")

# Poll often: an idle SQLite SELECT costs microseconds, and a desktop user waits on the result.
POLL_INTERVAL_SECONDS = 0.1
SCHEMA_WAIT_SECONDS = 0.25
# A worker restarted right after its predecessor died may start while the OS is still tearing
# that one down; a worker still finishing its task has a 1.5 s grace to leave.
WORKER_LOCK_WAIT_SECONDS = 5.0
# A full disk is a pause, not a crash (a crash would only be restarted by the shell into the
# same full disk, in a loop): the worker tries again after these waits, doubling to the last.
DISK_FULL_FIRST_WAIT_SECONDS = 0.5
DISK_FULL_LONGEST_WAIT_SECONDS = 8.0
# A failure this long after the last one begins a new pause (and gets its own log line).
DISK_FULL_NEW_PAUSE_SECONDS = 60.0


class AbandonedTaskError(Exception):
    """Recorded as the error of a task whose worker stopped before the task finished."""


class TaskWorker:
    def __init__(
        self,
        interval: float = POLL_INTERVAL_SECONDS,
        app_data: AppData | None = None,
        shell_child: bool = False,
    ):
        """`shell_child`: a `worker` process a shell started (a later launch may stop it
        once that shell is gone); not Positron's worker thread."""
        from django_tasks_db.management.commands.db_worker import Worker

        self.app_data = app_data or AppData.from_environment()
        self.shell_child = shell_child
        self._lock: InstanceLock | None = None
        self._disk_full_wait = 0.0
        self._disk_full_last = float("-inf")  # when a write last failed for lack of space
        self._stopping = threading.Event()
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

    def claim(self) -> None:
        """Become this app data's one worker. Raises InstanceLockedError (naming the lock
        file) when another worker is still running."""
        if self._lock is None:
            found = damage_record(self.app_data.database)
            if found:
                raise DatabaseError(
                    f"database {self.app_data.database} was found damaged "
                    f"({found.get('error')}); the worker does not write into it. Start the "
                    "app again: the damaged file is moved aside and kept.",
                    self.app_data.database,
                )
            refuse_newer_database(self.app_data.database)
            self._lock = InstanceLock(
                self.app_data.worker_lock_file,
                holder="worker",
                wait_seconds=WORKER_LOCK_WAIT_SECONDS,
                shell_child=self.shell_child,
            ).acquire()
            self._lock.record_owner(role="worker")

    def run(self) -> None:
        """Run until stopped. A worker started before the web server finished migrating
        finds no task table yet: it waits for the schema instead of crashing; a write lock
        held past SQLite's busy timeout (another process in a long transaction) is waited
        out, not fatal."""
        self.claim()
        logger.info("worker started")
        try:
            reconciled = False
            cause = "was abandoned by a worker that died"
            while self._worker.running:
                try:
                    if not reconciled:
                        fail_abandoned_tasks(cause)
                        reconciled = True
                    self._worker.run()
                except Exception as exc:
                    if self._pause_while_disk_full(exc):
                        # A task cut short by the full disk could not even be marked failed:
                        # it stays RUNNING (its routine "running") until settled, which is
                        # ours to do (we hold the worker lock) once there is room.
                        reconciled = False
                        cause = "was cut short by the full disk"
                        continue
                    if not self._wait_out(exc):
                        raise
        finally:
            self._lock.release()
            self._lock = None
        logger.info("worker stopped")

    def _pause_while_disk_full(self, exc: Exception) -> bool:
        """True when `exc` is a write that failed on a full disk: one log line when the
        pause begins, then retries with a growing wait (the worker never exits over it)."""
        from django.db import close_old_connections

        folder = self.app_data.root
        if not is_disk_full(exc, folder):
            return False
        now = time.monotonic()
        if now - self._disk_full_last > DISK_FULL_NEW_PAUSE_SECONDS:  # room since: a new pause
            logger.warning(
                "the disk is full (%s free in %s): the worker pauses and tries again, up to "
                "every %.0f s, until there is room (%s)",
                human(free_bytes(folder)),
                folder,
                DISK_FULL_LONGEST_WAIT_SECONDS,
                exc,
            )
            self._disk_full_wait = DISK_FULL_FIRST_WAIT_SECONDS
        close_old_connections()
        self._stopping.wait(self._disk_full_wait)
        self._disk_full_last = time.monotonic()
        self._disk_full_wait = min(2 * self._disk_full_wait, DISK_FULL_LONGEST_WAIT_SECONDS)
        return True

    def _wait_out(self, exc: Exception) -> bool:
        """True when `exc` is a passing condition of the database (logged, then retried)."""
        from django.db import DatabaseError as DjangoDatabaseError
        from django.db import OperationalError, close_old_connections
        from django_tasks_db.utils import is_locked_database_exception

        if isinstance(exc, DjangoDatabaseError) and is_corruption(exc):
            # Never keep writing into a damaged file: stop; the next start moves it aside.
            record_damage(self.app_data.database, exc)
            self.stop()
            return True
        if not isinstance(exc, OperationalError):
            return False
        if "no such table" in str(exc):
            logger.info("waiting for the database schema (%s)", exc)
        elif is_locked_database_exception(exc):
            logger.warning(
                "the database stayed locked by another process for longer than its busy "
                "timeout; the worker waits and tries again (%s)",
                exc,
            )
        else:
            return False
        close_old_connections()
        time.sleep(SCHEMA_WAIT_SECONDS)
        return True

    def stop(self) -> None:
        """Finish the task in hand (if any), then leave the loop."""
        self._worker.running = False
        self._stopping.set()

    @property
    def busy(self) -> bool:
        return self._worker.running_task


def fail_abandoned_tasks(cause: str = "was abandoned by a worker that died") -> int:
    """Mark every RUNNING task failed; only the holder of the worker lock may call this, and
    only while it runs none itself."""
    from django.core.exceptions import SuspiciousOperation
    from django_tasks_db.compat import task_finished
    from django_tasks_db.models import DBTaskResult

    abandoned = list(DBTaskResult.objects.running())
    for result in abandoned:
        result.set_failed(
            AbandonedTaskError("the worker running this task stopped before it finished")
        )
        logger.warning("task %s (%s) %s", result.id, result.task_path, cause)
        try:
            backend = type(result.task.get_backend())
        except (ImportError, SuspiciousOperation):
            continue  # a task this version no longer has: nobody to tell
        task_finished.send(sender=backend, task_result=result.task_result)
    return len(abandoned)
