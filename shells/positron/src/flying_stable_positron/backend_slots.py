"""Which stage Positron imports: the one it was started with (the factory stage), or an
installed backend update's slot in `<app data>/stages/<version>/` (docs/backend-updates.md).

The rule is desktop_django.slots, the one every shell runs against the shared vectors; this
module only turns its answer into a folder, and picks the fallback slot itself when a trial
failed before anything could count it (then `rollback` is true: DESKTOP_DJANGO_ROLLBACK=1).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from desktop_django import slots
from desktop_django.manifest import load

FACTORY_STAGE_ENV = "DESKTOP_DJANGO_FACTORY_STAGE_DIR"
ROLLBACK_ENV = "DESKTOP_DJANGO_ROLLBACK"


@dataclass(frozen=True)
class SlotChoice:
    slot: str  # "factory" or a version
    mode: str  # "normal", "trial" or "rollback"
    reason: str
    stage_dir: Path  # the folder to import the backend from
    factory_dir: Path  # the stage Positron was started with
    rollback: bool = False  # tell the runtime the trial failed (DESKTOP_DJANGO_ROLLBACK=1)

    @property
    def environment(self) -> dict[str, str]:
        """What the runtime (and every launcher command) needs to apply the rule itself."""
        env = {FACTORY_STAGE_ENV: str(self.factory_dir)}
        if self.rollback:
            env[ROLLBACK_ENV] = "1"
        return env


def choose(factory_dir: Path, app_data: Path, after_failed_trial: bool = False) -> SlotChoice:
    """The slot to start now. `after_failed_trial`: a trial of this launch failed; when the
    rule still says trial (nothing counted its start), the fallback slot, told so."""
    factory_dir = Path(factory_dir).absolute()
    factory = load(factory_dir, check_files=False).app_version
    resolution = slots.resolve_in(app_data, factory)
    slot, mode, reason, rollback = resolution.slot, resolution.mode, resolution.reason, False
    if after_failed_trial and mode == slots.TRIAL:
        state = slots.read_state(app_data)
        complete = set(slots.complete_slots(app_data))
        slot = slots.fallback(state, complete, factory) if state else slots.FACTORY
        mode, reason, rollback = "rollback", "trial-failed", True
    stage_dir = slots.slot_dir(Path(app_data), slot, factory_dir)
    return SlotChoice(slot, mode, reason, Path(stage_dir), factory_dir, rollback)
