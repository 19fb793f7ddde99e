"""Which stage Positron imports (backend_slots.choose, on desktop_django.slots' rule) and how
it reads the launcher's backend-update answers. The real flows run in test_window.py."""

from __future__ import annotations

import json
from pathlib import Path

from desktop_django import slots
from flying_stable_positron.backend_slots import FACTORY_STAGE_ENV, ROLLBACK_ENV, choose
from flying_stable_positron.backend_update import last_json_object

REPO = Path(__file__).resolve().parents[3]
MANIFEST = REPO / "tests" / "stage" / "vectors" / "valid" / "minimal-linux.json"


def stage(folder: Path, version: str) -> Path:
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    manifest["app"]["version"] = version
    folder.mkdir(parents=True)
    (folder / "runtime-manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def installed(tmp_path: Path, **state) -> tuple[Path, Path]:
    """A factory stage 0.1.0 and app data with a complete slot 0.2.0 and, given, a state."""
    factory = stage(tmp_path / "factory", "0.1.0")
    app_data = tmp_path / "data"
    slot = stage(slots.stages_dir(app_data) / "0.2.0", "0.2.0")
    (slot / slots.COMPLETE_MARK).touch()
    if state:
        full = {
            "schemaVersion": 1,
            "previous": "factory",
            "attempts": 0,
            "trialBackup": None,
            "highestGood": None,
            "bad": [],
            **state,
        }
        slots.state_path(app_data).write_text(json.dumps(full), encoding="utf-8")
    return factory, app_data


def test_no_state_imports_the_factory_stage(tmp_path):
    factory, app_data = installed(tmp_path)
    choice = choose(factory, app_data)
    assert (choice.slot, choice.mode, choice.reason) == ("factory", "normal", "no-state")
    assert choice.stage_dir == factory
    assert choice.environment == {FACTORY_STAGE_ENV: str(factory)}


def test_a_trial_imports_the_slot_with_the_factory_beside_it(tmp_path):
    factory, app_data = installed(tmp_path, active="0.2.0", status="trial")
    choice = choose(factory, app_data)
    assert (choice.slot, choice.mode) == ("0.2.0", "trial")
    assert choice.stage_dir == slots.stages_dir(app_data) / "0.2.0"
    assert choice.environment == {FACTORY_STAGE_ENV: str(factory)}


def test_after_a_trial_failed_uncounted_the_fallback_is_told_so(tmp_path):
    factory, app_data = installed(tmp_path, active="0.2.0", status="trial")
    choice = choose(factory, app_data, after_failed_trial=True)
    assert (choice.slot, choice.mode, choice.reason) == ("factory", "rollback", "trial-failed")
    assert choice.environment == {FACTORY_STAGE_ENV: str(factory), ROLLBACK_ENV: "1"}


def test_a_counted_trial_resolves_to_rollback_without_the_flag(tmp_path):
    factory, app_data = installed(tmp_path, active="0.2.0", status="trial", attempts=1)
    for after_failed_trial in (False, True):
        choice = choose(factory, app_data, after_failed_trial=after_failed_trial)
        assert (choice.slot, choice.mode, choice.reason) == (
            "factory",
            "rollback",
            "trial-unconfirmed",
        )
        assert ROLLBACK_ENV not in choice.environment


def test_the_answer_is_the_last_json_object_printed():
    out = 'warming up\n{"event": "progress"}\n{"event": "update-applied", "version": "0.2.0"}\n'
    assert last_json_object(out) == {"event": "update-applied", "version": "0.2.0"}
    assert last_json_object("no json\n[1, 2]\n{broken\n") is None
