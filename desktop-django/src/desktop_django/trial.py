"""serve's side of a backend update: counting a trial, and rolling a failed one back.

A shell starts `serve` from the slot the rule names (docs/backend-updates.md, section 3) and
passes the installed app's own stage in DESKTOP_DJANGO_FACTORY_STAGE_DIR; serve applies the
rule again itself, under the instance lock and before Django is set up:

- **trial** (this slot is on trial, never started): count the attempt in the state before
  anything else, so a trial that dies in any way is never taken for a fresh one again; then
  back up the database (tagged with the trial) and record that backup's name, before any
  migration of the new version touches it.
- **rollback** (the rule says so after a trial that never got confirmed, or the shell says so
  with DESKTOP_DJANGO_ROLLBACK=1): move the database the trial touched aside into
  `backups/failed-<version>-<UTC time>/`, copy the trial's backup back, mark the version bad
  and make this slot the active, good one. Every step can be repeated: a rollback killed
  half-way is done again, whole, by the next start.

Standard library only and no Django: this runs before the new version's code is imported.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from desktop_django import env, slots
from desktop_django.app_data import DATABASE_FILE, AppData
from desktop_django.manifest import ManifestError, load

logger = logging.getLogger("desktop_django.trial")

DATABASE_COMPANIONS = ("", "-wal", "-shm", "-journal")
FAILED_PREFIX = "failed-"
RESTORING_SUFFIX = ".restoring"


class TrialError(RuntimeError):
    """A rollback cannot put the database back; the message says what to do."""


@dataclass
class SlotStart:
    mode: str = "normal"  # "normal", "trial" or "rollback"
    slot: str = slots.FACTORY
    version: str = ""  # this stage's app version
    backup: Path | None = None  # the trial's backup (taken before migrating)
    rolled_back: dict | None = None  # the ready line's `rolledBack` field


def begin(app_data: AppData, log_path: Path | None) -> SlotStart:
    """Apply the slot rule for the serve that starts now; call it holding the instance lock."""
    stage_raw = os.environ.get(env.STAGE_DIR, "").strip()
    factory_raw = os.environ.get(env.FACTORY_STAGE_DIR, "").strip()
    if not stage_raw or not factory_raw:
        return SlotStart()  # started without slots (development, an older shell)
    if not slots.stages_dir(app_data.root).is_dir():
        # No update was ever applied here: nothing to decide, and (the common start) nothing
        # to import or read for it.
        return SlotStart()
    from desktop_django.backend_update import UpdateError, remove_partial_slots, writer_lock

    stage_dir, factory_dir = Path(stage_raw), Path(factory_raw)
    try:
        factory_version = load(factory_dir, check_files=False).app_version
        version = load(stage_dir, check_files=False).app_version
    except ManifestError as exc:
        logger.warning("backend slots not used: %s", exc)
        return SlotStart()
    me = slots.slot_of(stage_dir, app_data.root)
    start = SlotStart(slot=me, version=version)
    for name in remove_partial_slots(app_data.root):
        logger.warning("removed %s, left by an update that did not finish", name)
    try:
        with writer_lock(app_data.root):
            return _decide(app_data, start, factory_version, log_path)
    except UpdateError as exc:
        raise TrialError(str(exc)) from None


def _decide(app_data: AppData, start: SlotStart, factory_version: str, log_path) -> SlotStart:
    root = app_data.root
    resolution = slots.resolve_in(root, factory_version)
    if resolution.reason == "invalid-state":
        kept = slots.move_invalid_state_aside(root)
        logger.warning("the slot state was invalid; kept as %s, the factory serves", kept)
        return start
    state = slots.read_state(root)
    if state is None or state["status"] != slots.TRIAL:
        return start
    forced = os.environ.get(env.ROLLBACK, "") == "1"
    if state["active"] != start.slot and (
        forced or (resolution.mode == "rollback" and resolution.slot == start.slot)
    ):
        start.mode = "rollback"
        start.rolled_back = _roll_back(app_data, state, start, log_path)
    elif resolution.mode == slots.TRIAL and resolution.slot == start.slot:
        start.mode = slots.TRIAL
        state = {**state, "attempts": state["attempts"] + 1}
        slots.write_state(root, state)  # counted before the database or the new code is touched
        from desktop_django.database import backup_before_trial

        start.backup = backup_before_trial(app_data, start.version)
        name = start.backup.name if start.backup else ""
        slots.write_state(root, {**state, "trialBackup": name})
        logger.info("backend %s on trial (backup: %s)", start.version, name or "no database")
    return start


def _roll_back(app_data: AppData, state: dict, start: SlotStart, log_path) -> dict:
    failed = state["active"]
    backup_name = state["trialBackup"]
    kept = None
    if backup_name is not None:  # null: the trial never reached the database
        backup = app_data.backups / backup_name if backup_name else None
        if backup is not None and not backup.is_file():
            raise TrialError(
                f"backend {failed} failed and its backup {backup} is missing, so the database "
                f"cannot be put back; restore a backup from {app_data.backups} by hand"
            )
        kept = _move_database_aside(app_data, failed)
        if backup is not None:
            _restore(backup, app_data.database)
    bad = [*state["bad"], failed] if failed not in state["bad"] else state["bad"]
    previous = state["previous"] if state["previous"] != start.slot else slots.FACTORY
    slots.write_state(
        app_data.root,
        {
            **state,
            "active": start.slot,
            "status": slots.GOOD,
            "previous": previous,
            "attempts": 0,
            "trialBackup": None,
            "bad": bad,
        },
    )
    logger.error(
        "backend %s failed its trial; back on %s (database kept in %s)", failed, start.version, kept
    )
    return {
        "from": failed,
        "to": start.version,
        "log": str(log_path or app_data.logs / "serve.log"),
        "keptDatabase": str(kept) if kept else None,
    }


def _move_database_aside(app_data: AppData, version: str) -> Path | None:
    present = [
        app_data.root / (DATABASE_FILE + suffix)
        for suffix in DATABASE_COMPANIONS
        if (app_data.root / (DATABASE_FILE + suffix)).exists()
    ]
    if not present:
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    folder = app_data.backups / f"{FAILED_PREFIX}{version}-{stamp}"
    folder.mkdir(parents=True)
    for path in present:
        path.rename(folder / path.name)
    slots.fsync_folder(folder)
    slots.fsync_folder(app_data.root)
    return folder


def _restore(backup: Path, database: Path) -> None:
    """A complete copy under a temporary name, synced, then renamed into place."""
    temporary = database.with_name(database.name + RESTORING_SUFFIX)
    shutil.copyfile(backup, temporary)
    with open(temporary, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, database)
    slots.fsync_folder(database.parent)
