"""Stage slots: which backend a shell starts, and the state file that decides it.

The stage inside the installed app is the read-only *factory* slot. A backend update builds a
complete stage under `<app data>/stages/<version>/` (complete once `.slot-complete` exists,
written after the whole slot was re-hashed); `<app data>/stages/state.json` names the active
slot, the previous one and whether the active one is on `trial` or proven `good`.

`resolve` is the one rule every shell applies (docs/backend-updates.md). It is the reference:
the Electron main process and the Rust supervisor implement it again and all three run the
vectors in `tests/contracts/stage-slots.json`; Positron imports this module. Standard library
only, and no Django: shells and the applier read it before anything else is set up.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

SCHEMA_VERSION = 1
STAGES_DIR = "stages"
STATE_FILE = "state.json"
COMPLETE_MARK = ".slot-complete"
BUILDING_PREFIX = ".building-"
FACTORY = "factory"
TRIAL = "trial"
GOOD = "good"
# A slot version is also a folder name: ASCII, starting with a digit, no path separators.
_VERSION = re.compile(r"([0-9]+)\.([0-9]+)\.([0-9]+)([0-9A-Za-z.+-]*)", re.ASCII)
_FILE_NAME = re.compile(r"[0-9A-Za-z._+-]+", re.ASCII)


class StateError(ValueError):
    """state.json is not a valid slot state; the message names the field."""


@dataclass(frozen=True)
class Resolution:
    slot: str  # "factory" or a version
    mode: str  # "normal", "trial" or "rollback"
    reason: str

    def as_json(self) -> dict:
        return {"slot": self.slot, "mode": self.mode, "reason": self.reason}


def is_version(text: object) -> bool:
    return isinstance(text, str) and _VERSION.fullmatch(text) is not None


def version_key(version: str) -> tuple:
    """Order of versions: numerically by major.minor.patch; a version with a suffix
    (`1.2.0rc1`) comes before the same version without one, suffixes compare as text."""
    match = _VERSION.fullmatch(version)
    if match is None:
        raise ValueError(f"not a version: {version!r}")
    major, minor, patch, suffix = match.groups()
    return (int(major), int(minor), int(patch), 0 if suffix else 1, suffix)


def _is_file_name(text: object) -> bool:
    return isinstance(text, str) and bool(_FILE_NAME.fullmatch(text)) and text.strip(".") != ""


def parse_state(text: str) -> dict:
    """The state as a dict, or StateError naming the first field that is wrong."""
    try:
        state = json.loads(text)
    except ValueError as exc:
        raise StateError(f"not valid JSON ({exc})") from None
    if not isinstance(state, dict):
        raise StateError("must be a JSON object")
    schema = state.get("schemaVersion")
    if type(schema) is not int or schema != SCHEMA_VERSION:
        raise StateError(f"field `schemaVersion`: must be {SCHEMA_VERSION}, not {schema!r}")
    for key in ("active", "previous"):
        value = state.get(key)
        if value != FACTORY and not is_version(value):
            raise StateError(f"field `{key}`: must be {FACTORY!r} or a version, not {value!r}")
    if state.get("status") not in (TRIAL, GOOD):
        raise StateError(f"field `status`: must be {TRIAL!r} or {GOOD!r}")
    attempts = state.get("attempts")
    if type(attempts) is not int or attempts < 0:
        raise StateError(f"field `attempts`: must be a count, not {attempts!r}")
    backup = state.get("trialBackup")
    if not (backup is None or backup == "" or _is_file_name(backup)):
        raise StateError('field `trialBackup`: must be null, "" or a file name')
    highest = state.get("highestGood")
    if highest is not None and not is_version(highest):
        raise StateError(f"field `highestGood`: must be null or a version, not {highest!r}")
    bad = state.get("bad")
    if not isinstance(bad, list) or not all(is_version(item) for item in bad):
        raise StateError("field `bad`: must be a list of versions")
    return state


def resolve(state_text: str | None, complete: list[str] | set[str], factory: str) -> Resolution:
    """Which slot to start, in which mode, and why: the rule of docs/backend-updates.md."""
    if state_text is None:
        return Resolution(FACTORY, "normal", "no-state")
    try:
        state = parse_state(state_text)
    except StateError:
        return Resolution(FACTORY, "normal", "invalid-state")
    complete = {slot for slot in complete if is_version(slot)}
    active = state["active"]
    if active == FACTORY:
        return Resolution(FACTORY, "normal", "factory-active")
    if state["status"] == TRIAL and state["attempts"] >= 1:
        # A trial started and was never confirmed: it crashed, was killed or failed.
        return Resolution(fallback(state, complete, factory), "rollback", "trial-unconfirmed")
    if active in state["bad"]:
        return Resolution(fallback(state, complete, factory), "normal", "active-bad")
    if active not in complete:
        return Resolution(fallback(state, complete, factory), "normal", "active-missing")
    if version_key(factory) >= version_key(active):
        # The user installed an installer at least as new as the updated backend.
        return Resolution(FACTORY, "normal", "factory-newer")
    if state["status"] == GOOD:
        return Resolution(active, "normal", "good")
    return Resolution(active, TRIAL, "trial")


def fallback(state: dict, complete: set[str], factory: str) -> str:
    """Where to go when the active slot cannot be used: the previous slot if it is there,
    not bad and newer than the factory, else the factory."""
    previous = state["previous"]
    if (
        previous != FACTORY
        and previous in complete
        and previous not in state["bad"]
        and version_key(previous) > version_key(factory)
    ):
        return previous
    return FACTORY


# --- The slots and the state in an app data folder ------------------------------------------


def stages_dir(app_data: Path) -> Path:
    return Path(app_data) / STAGES_DIR


def state_path(app_data: Path) -> Path:
    return stages_dir(app_data) / STATE_FILE


def slot_dir(app_data: Path, slot: str, factory_dir: Path) -> Path:
    return Path(factory_dir) if slot == FACTORY else stages_dir(app_data) / slot


def slot_of(stage_dir: Path, app_data: Path) -> str:
    """The slot a stage folder is: a version when it is `<app data>/stages/<version>`,
    else the factory."""
    stage_dir = Path(stage_dir).absolute()
    if stage_dir.parent == stages_dir(Path(app_data).absolute()) and is_version(stage_dir.name):
        return stage_dir.name
    return FACTORY


def read_state_text(app_data: Path) -> str | None:
    """The state file's text; None when there is none; "" (invalid) when it cannot be read."""
    try:
        return state_path(app_data).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError):
        return ""


def read_state(app_data: Path) -> dict | None:
    """The valid state, or None when there is none or it is invalid."""
    text = read_state_text(app_data)
    if text is None:
        return None
    try:
        return parse_state(text)
    except StateError:
        return None


def complete_slots(app_data: Path) -> list[str]:
    """Versions of the slot folders that hold `.slot-complete`."""
    try:
        entries = sorted(os.listdir(stages_dir(app_data)))
    except OSError:
        return []
    base = stages_dir(app_data)
    return [
        name for name in entries if is_version(name) and (base / name / COMPLETE_MARK).is_file()
    ]


def resolve_in(app_data: Path, factory: str) -> Resolution:
    return resolve(read_state_text(app_data), complete_slots(app_data), factory)


def write_state(app_data: Path, state: dict) -> None:
    """Replace state.json atomically: a complete temporary file in the same folder, fsynced,
    renamed over the old one, then the folder fsynced, so a crash leaves the old state or the
    new one, never a mix."""
    text = json.dumps(state, indent=2, sort_keys=True) + "\n"
    parse_state(text)  # never write a state the rule would treat as invalid
    folder = stages_dir(app_data)
    folder.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=".state-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, folder / STATE_FILE)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    fsync_folder(folder)


def fsync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (POSIX; Windows has no folder handles to sync)."""
    if os.name == "nt":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def move_invalid_state_aside(app_data: Path) -> Path | None:
    """Rename an unreadable or invalid state file (never delete it); the rule already treats
    it as absent, so the factory serves."""
    path = state_path(app_data)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    kept = path.with_name(f"{STATE_FILE}.invalid-{stamp}")
    try:
        path.rename(kept)
    except OSError:
        return None
    return kept


def new_state(active: str, previous: str, highest_good: str | None, bad: list[str]) -> dict:
    """The state right after a slot is installed: on trial, never started."""
    return {
        "schemaVersion": SCHEMA_VERSION,
        "active": active,
        "status": TRIAL,
        "previous": previous,
        "attempts": 0,
        "trialBackup": None,
        "highestGood": highest_good,
        "bad": list(bad),
    }
