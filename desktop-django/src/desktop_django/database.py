"""Bring the app-data database to this app version's schema without ever losing data.

Order matters: refuse a database from a newer app (a downgrade would corrupt it), back up an
existing database before any migration touches it, migrate only when the plan is non-empty
(the common start needs no write at all), and seed only a brand-new database.

"Brand-new" survives an interrupted first start: before the first migration the database is
marked (SQLite's `user_version` header field), and the mark is cleared in the same transaction
as the first-run hooks. A first start killed after some migrations committed leaves the mark,
so the next start still counts as the first; and the hooks' work and the clearing commit
together, so seeding happens exactly once.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from desktop_django.app_data import AppData
from desktop_django.disk_space import free_bytes, human, is_disk_full, nearly_full

logger = logging.getLogger("desktop_django.database")

BACKUPS_KEPT = 3
VERSION_FILE = "app-version.json"
# `PRAGMA user_version` while the first start has not finished ("FRST"). Django never uses the
# field; a project that does would set it in a migration, after this mark is taken.
FIRST_RUN_PENDING = 0x46525354


class DatabaseError(RuntimeError):
    def __init__(self, message: str, path: Path | str):
        super().__init__(message)
        self.path = str(path)


@dataclass
class DatabaseReport:
    brand_new: bool = False
    applied: list[str] = field(default_factory=list)
    backup: Path | None = None


def prepare_database(
    app_data: AppData, app_version: str, backed_up: Path | None = None
) -> DatabaseReport:
    """`backed_up`: a backup this start already took (a backend trial's, see trial.py); the
    migrations then need no second one."""
    from django.db import DatabaseError as DjangoDatabaseError
    from django.db import connection

    path = app_data.database
    report = DatabaseReport()
    remove_partial_backups(app_data)
    try:
        found = damage_record(path)
        if found:
            raise DamageFound(f"{found.get('error', 'damage')} (found {found.get('found_at')})")
        _check_integrity(connection)
        first_start_unfinished = _first_run_pending(connection)
        if not first_start_unfinished and _up_to_date(connection):
            _record_version(app_data, app_version)
            return report
        from django.db.migrations.executor import MigrationExecutor

        if "django_migrations" not in connection.introspection.table_names():
            _set_user_version(connection, FIRST_RUN_PENDING)
            first_start_unfinished = True
        report.brand_new = first_start_unfinished
        executor = MigrationExecutor(connection)
        _refuse_newer_schema(executor.loader, path)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if plan:
            if backed_up is not None:
                report.backup = backed_up
            elif not report.brand_new:
                report.backup = backup_database(app_data, _recorded_version(app_data))
            from django.core.management import call_command

            call_command("migrate", interactive=False, verbosity=0)
            report.applied = [f"{m.app_label}.{m.name}" for m, _backwards in plan]
            logger.info("applied %d migrations: %s", len(plan), ", ".join(report.applied))
    except (DjangoDatabaseError, DamageFound) as exc:
        if isinstance(exc, DamageFound) or is_corruption(exc):
            _close_without_checkpoint(connection)
            kept = move_aside(path)
            raise DatabaseError(
                f"database {path} is damaged ({exc}); it was moved aside to {kept} and kept. "
                "Start the app again to begin with a fresh database, or restore a backup "
                f"from {app_data.backups}.",
                path,
            ) from exc
        raise explain(path, exc) from exc
    if report.brand_new:
        _finish_first_run(connection)
    _record_version(app_data, app_version)
    return report


# SQLite's words for causes a user can fix, and what to do about each.
_CAUSES = (
    ("readonly", "it is read-only: make the file (and its folder) writable for this user"),
    ("disk is full", "the disk is full: free some space, then start the app again"),
    (
        "disk I/O error",
        "SQLite could not write the file or create its -wal/-shm companions beside it: is "
        "the disk full, or the folder on a read-only or network drive?",
    ),
    ("unable to open", "the file or its folder cannot be opened: check its permissions"),
)


def explain(path: Path, exc: BaseException) -> DatabaseError:
    """A database error at start-up as one message that names the file and the next step."""
    text = str(exc)
    if "disk I/O error" in text and nearly_full(path.parent):
        text = "disk is full"  # what SQLite calls an I/O error when -shm cannot grow
    for words, advice in _CAUSES:
        if words in text:
            return DatabaseError(f"cannot use database {path}: {advice} ({exc})", path)
    return DatabaseError(f"cannot open database {path}: {exc}", path)


def _first_run_pending(connection) -> bool:
    from django.db import DatabaseError as DjangoDatabaseError

    try:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA user_version")
            return cursor.fetchone()[0] == FIRST_RUN_PENDING
    except DjangoDatabaseError as exc:
        if is_corruption(exc):
            raise
        return False  # cannot read it: let the careful path below report what is wrong


def _set_user_version(connection, value: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA user_version = {int(value)}")


def _finish_first_run(connection) -> None:
    """The first-run hooks and the clearing of the mark, as one transaction."""
    from django.db import transaction

    from desktop_django.hooks import run_hooks

    with transaction.atomic():
        run_hooks("DESKTOP_DJANGO_FIRST_RUN")
        _set_user_version(connection, 0)


def _up_to_date(connection) -> bool:
    """The everyday start: exactly the migrations on disk are recorded as applied. One query
    and a directory listing per app answer it, where the migration executor would import every
    migration module and build the graph (tens of milliseconds of start-up). Any difference at
    all (a new, a newer or a squashed migration, no table yet) goes the full, careful way."""
    from django.db import DatabaseError as DjangoDatabaseError

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT app, name FROM django_migrations")
            applied = set(cursor.fetchall())
    except DjangoDatabaseError:
        return False
    migrated_apps, on_disk = _migration_files()
    return {row for row in applied if row[0] in migrated_apps} == on_disk


def _migration_files() -> tuple[set[str], set[tuple[str, str]]]:
    """(apps with a migrations package, their (app, migration) names), found the way
    Django's MigrationLoader finds them, but without importing a single migration."""
    import importlib.util
    import pkgutil

    from django.apps import apps
    from django.conf import settings

    overrides = getattr(settings, "MIGRATION_MODULES", {})
    migrated_apps: set[str] = set()
    names: set[tuple[str, str]] = set()
    for config in apps.get_app_configs():
        module = overrides.get(config.label, f"{config.name}.migrations")
        if module is None:
            continue
        try:
            spec = importlib.util.find_spec(module)
        except ImportError:
            continue
        # Django treats a namespace package (no __init__) as an app without migrations.
        if spec is None or spec.origin is None or not spec.submodule_search_locations:
            continue
        migrated_apps.add(config.label)
        for info in pkgutil.iter_modules(spec.submodule_search_locations):
            if not info.ispkg and info.name[0] not in "_~":
                names.add((config.label, info.name))
    return migrated_apps, names


CORRUPTION_MESSAGES = ("file is not a database", "database disk image is malformed")
# Beside the database: written when a request or a task meets damage, so that nothing writes
# into the file again and the next start moves it aside (with this record of what was found).
DAMAGE_SUFFIX = "-damage"


class DamageFound(Exception):
    """The database was found damaged while the app was running (see record_damage)."""


def is_corruption(exc: BaseException) -> bool:
    return any(text in str(exc) for text in CORRUPTION_MESSAGES)


def record_damage(database: Path, exc: BaseException) -> None:
    marker = database.with_name(database.name + DAMAGE_SUFFIX)
    if not marker.exists():
        found = {"found_at": datetime.now(UTC).isoformat(timespec="seconds"), "error": str(exc)}
        marker.write_text(json.dumps(found), encoding="utf-8")
        logger.error("database %s is damaged (%s); it is not written again", database, exc)


def damage_record(database: Path) -> dict | None:
    marker = database.with_name(database.name + DAMAGE_SUFFIX)
    try:
        return json.loads(marker.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {"error": f"damage recorded in {marker}"}


def _check_integrity(connection) -> None:
    """SQLite's quick_check: every page of every b-tree read once (milliseconds for a
    desktop-sized database), without the index-content cross-check of integrity_check.
    Damage inside an ordinary table otherwise shows only when a page reads that table."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA quick_check(5)")
        problems = [row[0] for row in cursor.fetchall()]
    if problems != ["ok"]:
        raise DamageFound("database disk image is malformed: " + "; ".join(problems)[:300])


def _close_without_checkpoint(connection) -> None:
    """Close Django's connection without SQLite's checkpoint-on-close, which would copy the
    WAL into the damaged file: it is moved aside exactly as it was found."""
    raw = connection.connection
    if raw is not None and hasattr(raw, "setconfig"):  # Python 3.12+
        raw.setconfig(sqlite3.SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, True)
    connection.close()


def move_aside(path: Path) -> Path:
    """Rename a damaged database (with its WAL and shared-memory files, and the record of
    damage found while running): never delete it."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    kept = path.with_name(f"{path.name}.damaged-{stamp}")
    for suffix in ("", "-wal", "-shm", DAMAGE_SUFFIX):
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            companion.rename(kept.with_name(kept.name + suffix))
    logger.error("moved damaged database %s to %s", path, kept)
    return kept


def refuse_newer_database(path: Path) -> None:
    """The worker's start: refuse, with serve's own message, a database written by a newer
    version (its tasks may need columns this version does not have). The everyday case costs
    one query; only a database that differs from the migrations on disk builds the graph."""
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    if not _up_to_date(connection):
        _refuse_newer_schema(MigrationLoader(connection), path)


def _refuse_newer_schema(loader, path: Path) -> None:
    known_apps = loader.migrated_apps
    unknown = sorted(
        f"{app}.{name}"
        for app, name in loader.applied_migrations
        if app in known_apps and (app, name) not in loader.graph.nodes
    )
    if unknown:
        raise DatabaseError(
            f"database {path} was written by a newer version of this app (it has migrations "
            f"this version does not know: {', '.join(unknown[:5])}); install the newer version "
            "again, or restore a backup from the backups folder. The database was not changed.",
            path,
        )


# A backup is named `app-<version>-<UTC time>.sqlite3`: rotation goes by that time, never by
# the file's mtime (a clock that was wrong once, or files copied from another machine, would
# make the backup just written look like the oldest one).
_BACKUP_NAME = re.compile(r"app-.+-(\d{8}T\d{6}\d*Z)\.sqlite3")
PARTIAL_SUFFIX = ".partial"
# Beside the database's own size: SQLite's journal for the copy, and some room to spare.
BACKUP_MARGIN_BYTES = 4 * 1024 * 1024


def backup_database(app_data: AppData, old_version: str) -> Path:
    """Online backup (safe while another connection is open), keeping the newest few."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = app_data.backups / f"app-{old_version}-{stamp}.sqlite3"
    partial = target.with_name(target.name + PARTIAL_SUFFIX)
    app_data.backups.mkdir(parents=True, exist_ok=True)
    needed = _backup_size(app_data.database) + BACKUP_MARGIN_BYTES
    free = free_bytes(app_data.backups)
    if free is not None and free < needed:
        raise _no_room_for_backup(app_data, needed, free)
    source = sqlite3.connect(app_data.database)
    try:
        destination = sqlite3.connect(partial)
        try:
            source.backup(destination)
        finally:
            destination.close()
    except sqlite3.Error as exc:
        _remove_partial(partial)
        if is_disk_full(exc, app_data.backups):
            raise _no_room_for_backup(app_data, needed, free_bytes(app_data.backups)) from exc
        raise
    finally:
        source.close()
    # Only a complete backup gets a backup's name (and counts towards the newest kept).
    partial.replace(target)
    logger.info("backed up %s to %s before migrating", app_data.database, target)
    _prune_backups(app_data, keep=target)
    return target


def backup_before_trial(app_data: AppData, trial_version: str) -> Path | None:
    """The backup a backend trial takes before its new code touches the database, named
    after the version that wrote the database and the trial (`app-0.1.0-trial-0.2.0-...`);
    None when there is no database yet."""
    if not app_data.database.exists():
        return None
    return backup_database(app_data, f"{_recorded_version(app_data)}-trial-{trial_version}")


def _backup_size(database: Path) -> int:
    """What the copy will take at most: the database and the WAL not yet folded into it."""
    total = 0
    for suffix in ("", "-wal"):
        with contextlib.suppress(OSError):  # no WAL: nothing to add
            total += database.with_name(database.name + suffix).stat().st_size
    return total


def _no_room_for_backup(app_data: AppData, needed: int, free: int | None) -> DatabaseError:
    return DatabaseError(
        f"cannot back up database {app_data.database} before migrating: the disk is full. "
        f"The backup needs about {human(needed)} in {app_data.backups} and that disk has "
        f"{human(free)} free; free some space there (or move old backups out of that folder), "
        "then start the app again. The database was not changed.",
        app_data.backups,
    )


def _remove_partial(partial: Path) -> None:
    for leftover in (partial, partial.with_name(partial.name + "-journal")):
        try:
            leftover.unlink(missing_ok=True)
        except OSError as exc:
            logger.warning("could not remove the unfinished backup %s: %s", leftover, exc)


def remove_partial_backups(app_data: AppData) -> int:
    """Remove what a backup killed mid-copy left behind (`*.sqlite3.partial` and its
    `-journal`): never a backup, only the start of one. The caller holds the instance lock,
    so no backup is in progress."""
    removed, size = 0, 0
    try:
        leftovers = sorted(app_data.backups.glob(f"app-*.sqlite3{PARTIAL_SUFFIX}*"))
    except OSError:
        return 0
    for leftover in leftovers:
        try:
            length = leftover.stat().st_size
            leftover.unlink()
        except OSError as exc:
            logger.warning("could not remove the unfinished backup %s: %s", leftover, exc)
            continue
        removed, size = removed + 1, size + length
    if removed:
        logger.warning(
            "removed %d files (%s) of backups that were interrupted before they finished, from %s",
            removed,
            human(size),
            app_data.backups,
        )
    return removed


def _prune_backups(app_data: AppData, keep: Path) -> None:
    """Keep the newest BACKUPS_KEPT by the time in their names, always counting `keep` (the
    backup this start just made) among them; a file not named like a backup is not ours to
    judge, and stays."""
    stamped = []
    for path in app_data.backups.glob("app-*.sqlite3"):
        match = _BACKUP_NAME.fullmatch(path.name)
        if match and path != keep:
            stamped.append((match.group(1), path))
    stamped.sort()
    for _stamp, stale in stamped[: max(0, len(stamped) - (BACKUPS_KEPT - 1))]:
        try:
            stale.unlink()
        except OSError as exc:
            logger.warning("could not remove the old backup %s: %s", stale, exc)


def _recorded_version(app_data: AppData) -> str:
    try:
        return json.loads((app_data.root / VERSION_FILE).read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError, TypeError):
        return "unknown"


def _record_version(app_data: AppData, version: str) -> None:
    """Only names the backups made before the next migration: a full disk must not stop a
    start whose database is fine."""
    if _recorded_version(app_data) != version:
        path = app_data.root / VERSION_FILE
        try:
            path.write_text(json.dumps({"version": version}), "utf-8")
        except OSError as exc:
            logger.warning("could not record the app version in %s: %s", path, exc)
