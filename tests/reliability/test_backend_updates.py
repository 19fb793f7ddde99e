"""Backend updates with real stages and real processes (docs/backend-updates.md).

The factory is the stage as built, trusting a test release key; the next version has one more
migration (desktop_django_testing.stage.next_version_of); broken versions cannot start (a migration
that raises, an import error). Layers are made by `desktop-django layer`'s own function and
applied with the launcher's `backend-update apply`, run by the serving stage's interpreter;
serve is started the way a shell starts it (desktop_django_testing.backend_updates.SlotShell).
"""

from __future__ import annotations

import json
import random
import shutil
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from desktop_django import slots
from desktop_django.layers import LAYER_JSON, UPDATE_KEY
from desktop_django.manifest import load
from desktop_django_testing.backend import request
from desktop_django_testing.backend_updates import (
    SlotShell,
    broken_version_of,
    database_contents,
    rewritten,
    tree_digest,
    updatable_copy,
)
from desktop_django_testing.namespaces import mount_namespace_prefix, small_disk
from desktop_django_testing.stage import linked_copy, next_version_of
from desktop_django_tools.layer import make_layer
from desktop_django_tools.release import signing
from desktop_django_tools.stage.verify import verify

from tests.reliability.conftest import size

pytestmark = pytest.mark.slow

# Tables whose rows belong to the user (the demo's ponies); compared exactly across updates.
USER_TABLES = ("ponies_pony",)


@dataclass
class Versions:
    root: Path
    key: signing.SigningKey
    factory: Path
    next_stage: Path
    next_version: str
    layer: Path
    broken: dict = field(default_factory=dict)

    @property
    def factory_version(self) -> str:
        return load(self.factory, check_files=False).app_version

    def broken_layer(self, kind: str) -> tuple[str, Path]:
        if kind not in self.broken:
            stage = self.root / f"broken-{kind}" / "backend"
            version = broken_version_of(self.factory, stage, kind)
            out = self.root / f"broken-{kind}.layer"
            self.broken[kind] = (version, make_layer(self.factory, stage, out, key=self.key))
        return self.broken[kind]


@pytest.fixture(scope="module")
def versions(staged, tmp_path_factory) -> Versions:
    root = tmp_path_factory.mktemp("versions")
    key = signing.generate()
    factory = updatable_copy(staged, root / "factory" / "backend", key.public_key_text())
    next_stage = root / "next" / "backend"
    version = next_version_of(factory, next_stage)
    layer = make_layer(factory, next_stage, root / "next.layer", key=key)
    return Versions(root, key, factory, next_stage, version, layer)


@pytest.fixture(scope="module")
def seeded(versions, tmp_path_factory) -> Path:
    """App data after one normal start of the factory: the starter roster in the database."""
    app_data = tmp_path_factory.mktemp("seeded") / "app data"
    shell = SlotShell(versions.factory, app_data)
    line, slot = shell.start()
    assert (line["event"], slot) == ("ready", "factory"), line
    assert shell.stop() == 0
    assert database_contents(app_data / "app.sqlite3")["rows"]["ponies_pony"]
    return app_data


def fresh_app_data(seeded: Path, where: Path) -> Path:
    target = where / "app data"
    shutil.copytree(seeded, target)
    return target


def user_rows(app_data: Path) -> dict:
    rows = database_contents(app_data / "app.sqlite3")["rows"]
    return {table: rows[table] for table in USER_TABLES}


def test_a_layer_applied_offline_starts_migrates_keeps_rows_and_is_confirmed(
    versions, seeded, tmp_path
):
    app_data = fresh_app_data(seeded, tmp_path)
    before = user_rows(app_data)
    shell = SlotShell(versions.factory, app_data)

    code, line = shell.update_command(versions.factory, "apply", str(versions.layer))
    assert code == 0, line
    slot = app_data / "stages" / versions.next_version
    assert line == {
        "event": "update-applied",
        "version": versions.next_version,
        "slot": str(slot),
        "previous": "factory",
    }
    assert verify(slot).ok, verify(slot).lines()
    assert (shell.resolution().slot, shell.resolution().mode) == (versions.next_version, "trial")
    # Apply re-hashed the slot and recorded it: the trial's stage check only stats.
    recorded = json.loads((app_data / "stage-check.json").read_text(encoding="utf-8"))
    assert str(slot.resolve()) in recorded["stages"]

    ready, started = shell.start()
    assert (ready["event"], started) == ("ready", versions.next_version), ready
    assert "rolledBack" not in ready
    state = slots.read_state(app_data)
    assert state["attempts"] == 1
    assert f"-trial-{versions.next_version}-" in state["trialBackup"]
    assert (app_data / "backups" / state["trialBackup"]).is_file()
    assert request(ready["url"], "/", token=shell.token).status == 200

    code, confirmed = shell.update_command(slot, "confirm")
    assert (code, confirmed) == (
        0,
        {"event": "update-confirmed", "version": versions.next_version, "removed": []},
    )
    assert shell.stop() == 0

    state = slots.read_state(app_data)
    assert (state["status"], state["highestGood"]) == ("good", versions.next_version)
    assert user_rows(app_data) == before
    contents = database_contents(app_data / "app.sqlite3")["rows"]
    arrivals = [row[1] for row in contents["ponies_arrival"]]
    assert arrivals == [row[1] for row in before["ponies_pony"]]
    assert any(row[1:3] == ("ponies", "0002_arrival") for row in contents["django_migrations"])
    assert verify(slot).ok, verify(slot).lines()  # serving wrote nothing into the slot
    assert (shell.resolution().slot, shell.resolution().mode) == (versions.next_version, "normal")

    # The same layer again is a replay: refused by the new slot, nothing changed.
    snapshot = tree_digest(app_data)
    code, line = shell.update_command(slot, "apply", str(versions.layer))
    assert code == 1, line
    assert line["event"] == "error", line
    assert "not newer" in line["message"], line
    assert tree_digest(app_data) == snapshot


@pytest.mark.parametrize("kind", ["migration", "import"])
def test_a_version_that_cannot_start_rolls_back_with_the_database_as_before(
    versions, seeded, tmp_path, kind
):
    bad_version, layer = versions.broken_layer(kind)
    app_data = fresh_app_data(seeded, tmp_path)
    before = database_contents(app_data / "app.sqlite3")
    shell = SlotShell(versions.factory, app_data)
    code, line = shell.update_command(versions.factory, "apply", str(layer))
    assert code == 0, line

    ready, started = shell.start()  # the trial fails; the rule then names the factory
    assert (ready["event"], started) == ("ready", "factory"), ready
    rolled = ready["rolledBack"]
    assert (rolled["from"], rolled["to"]) == (bad_version, versions.factory_version)
    assert rolled["log"] == str(app_data / "logs" / "serve.log")
    kept = Path(rolled["keptDatabase"])
    assert kept.parent == app_data / "backups"
    assert kept.name.startswith(f"failed-{bad_version}-")
    assert (kept / "app.sqlite3").is_file()
    assert shell.stop() == 0
    assert database_contents(app_data / "app.sqlite3") == before

    state = slots.read_state(app_data)
    assert (state["active"], state["status"], state["bad"]) == ("factory", "good", [bad_version])
    # Never tried again: the next launch serves the factory, and the layer is refused.
    ready, started = shell.start()
    assert (ready["event"], started, "rolledBack" in ready) == ("ready", "factory", False)
    assert shell.stop() == 0
    snapshot = tree_digest(app_data)
    code, line = shell.update_command(versions.factory, "apply", str(layer))
    assert code == 1, line
    assert "failed to start here before" in line["message"], line
    assert tree_digest(app_data) == snapshot


# --- refusals ---------------------------------------------------------------------------------


def _set(path: str, value):
    def change(data):
        *parents, last = path.split(".")
        for part in parents:
            data = data[part]
        data[last] = value

    return change


def _state(**fields) -> dict:
    return {**slots.new_state(slots.FACTORY, slots.FACTORY, None, []), "status": "good", **fields}


REFUSALS = {
    "unsigned": (lambda v, out: rewritten(v.layer, out, v.key, drop_signature=True), None,
                 "not signed"),
    "another key": (lambda v, out: rewritten(v.layer, out, signing.generate(), _set("format", 1)),
                    None, "signature does not verify"),
    "tampered file": (lambda v, out: rewritten(v.layer, out, v.key, files={
        f"{next(iter(_carried(v)))}": b"print('altered')\n"}), None, "damaged or was altered"),
    "replay": (None, lambda v: _state(highestGood=v.next_version), "not newer than"),
    "failed before": (None, lambda v: _state(bad=[v.next_version]), "failed to start here before"),
    "wrong base": (lambda v, out: rewritten(v.layer, out, v.key, _set("base.version", "0.0.1")),
                   None, "a full layer is needed"),
    "stage contract": (lambda v, out: rewritten(v.layer, out, v.key, _set("stageContract", 99)),
                       None, "install the new installer"),
    "shell too old": (lambda v, out: rewritten(v.layer, out, v.key,
                                               _set("minShellVersion", "99.0.0")),
                      None, "install the new installer"),
    "trial pending": (None, lambda v: {**slots.new_state("9.9.9", "factory", None, [])},
                      "still on trial"),
}  # fmt: skip


def _carried(versions: Versions) -> list[str]:
    with zipfile.ZipFile(versions.layer) as archive:
        data = json.loads(archive.read(LAYER_JSON))
    return [entry["path"] for entry in data["files"] if entry["path"].endswith(".py")]


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_every_refusal_names_its_cause_and_leaves_app_data_byte_identical(
    versions, seeded, tmp_path, case
):
    make, state, words = REFUSALS[case]
    app_data = fresh_app_data(seeded, tmp_path)
    if state is not None:
        slots.write_state(app_data, state(versions))
    layer = make(versions, tmp_path / "x.layer") if make else versions.layer
    snapshot = tree_digest(app_data)
    code, line = SlotShell(versions.factory, app_data).update_command(
        versions.factory, "apply", str(layer)
    )
    assert (code, line["event"]) == (1, "error"), line
    assert words in line["message"], line
    assert tree_digest(app_data) == snapshot


def _needs_small_disks():
    if mount_namespace_prefix() is None and not shutil.which("mount"):
        pytest.skip("small disks need root or a private mount namespace (Linux)")


def test_not_enough_space_is_refused_before_anything_is_written(versions, seeded, tmp_path):
    _needs_small_disks()
    with small_disk(tmp_path / "disk", "8m") as disk:
        app_data = disk / "app data"
        shutil.copytree(seeded, app_data)
        snapshot = tree_digest(app_data)
        code, line = SlotShell(versions.factory, app_data).update_command(
            versions.factory, "apply", str(versions.layer)
        )
        assert code == 1, line
        assert "not enough free space" in line["message"], line
        assert "MB free" in line["message"], line
        assert str(app_data / "stages") in line["message"], line
        assert tree_digest(app_data) == snapshot


def test_a_disk_that_fills_while_the_slot_is_written_leaves_the_old_slot_serving(
    versions, seeded, tmp_path
):
    _needs_small_disks()
    # Room for the bytes (the free-space check passes) but not for the stage's 3,600 files.
    with small_disk(tmp_path / "disk", "200m", inodes=600) as disk:
        app_data = disk / "app data"
        shutil.copytree(seeded, app_data)
        before = user_rows(app_data)
        shell = SlotShell(versions.factory, app_data)
        code, line = shell.update_command(versions.factory, "apply", str(versions.layer))
        assert code == 1, line
        assert "became full" in line["message"], line
        stages = app_data / "stages"
        assert sorted(p.name for p in stages.iterdir()) == [".apply.lock"]
        ready, started = shell.start()
        assert (ready["event"], started) == ("ready", "factory"), ready
        assert shell.stop() == 0
        assert user_rows(app_data) == before


# --- kill -9 at many points ---------------------------------------------------------------------


def _apply_seconds(versions: Versions, seeded: Path, where: Path) -> float:
    app_data = fresh_app_data(seeded, where)
    started = time.monotonic()
    code, _line = SlotShell(versions.factory, app_data).update_command(
        versions.factory, "apply", str(versions.layer)
    )
    assert code == 0
    return time.monotonic() - started


def _serves_old_or_clean_trial(versions: Versions, app_data: Path, before: dict) -> str:
    """The next launch, as a shell makes it: ready on the old version or the new one's trial,
    the user's rows all there. Returns the version served."""
    shell = SlotShell(versions.factory, app_data)
    ready, slot = shell.start()
    try:
        assert ready["event"] == "ready", ready
        assert slot in ("factory", versions.next_version), slot
        if slot != "factory":
            state = slots.read_state(app_data)
            assert (state["status"], state["attempts"]) == ("trial", 1)
    finally:
        assert shell.stop() == 0
    assert user_rows(app_data) == before
    assert not [p for p in (app_data / "stages").glob(".building-*")], "partial slot left"
    for name in slots.complete_slots(app_data):
        assert not verify(app_data / "stages" / name).missing
    return slot


# Each trial starts serve once to three times: the full profile's 50 need more than the
# suite's default timeout.
@pytest.mark.timeout(120 + 30 * size("backend_update_kill_trials"))
def test_kill_9_of_the_applier_and_of_serve_at_random_points(
    versions, seeded, tmp_path, scoreboard
):
    trials = size("backend_update_kill_trials")
    rng = random.Random(23)
    apply_seconds = _apply_seconds(versions, seeded, tmp_path / "timing")
    row = scoreboard("backend update: kill -9 of apply and of serve", 0, 0)
    served: dict[str, int] = {}
    for number in range(trials):
        where = tmp_path / f"trial-{number}"
        app_data = fresh_app_data(seeded, where)
        before = user_rows(app_data)
        shell = SlotShell(versions.factory, app_data)
        if number % 2 == 0:
            # The applier, killed somewhere between its start and its end.
            process = shell.spawn_update(versions.factory, "apply", str(versions.layer))
            time.sleep(rng.uniform(0, apply_seconds * 1.1))
            process.kill()
            process.communicate()
        else:
            code, _line = shell.update_command(versions.factory, "apply", str(versions.layer))
            assert code == 0
            # The trial's serve, then (when there is one) the rollback's serve, each killed.
            for _step in range(2):
                resolution = shell.resolution()
                shell.spawn_serve(shell.slot_stage(resolution.slot))
                time.sleep(rng.uniform(0, 2.5))
                shell.kill()
        slot = _serves_old_or_clean_trial(versions, app_data, before)
        served[slot] = served.get(slot, 0) + 1
        row.trials = number + 1
        shutil.rmtree(where)
    row.note = ", ".join(f"{count} served {slot}" for slot, count in sorted(served.items()))


def test_the_factory_without_an_update_key_accepts_no_layer(versions, seeded, tmp_path):
    keyless = tmp_path / "keyless" / "backend"
    linked_copy(versions.factory, keyless)
    (keyless / UPDATE_KEY).unlink()
    app_data = fresh_app_data(seeded, tmp_path)
    snapshot = tree_digest(app_data)
    code, line = SlotShell(keyless, app_data).update_command(keyless, "apply", str(versions.layer))
    assert code == 1, line
    assert "no key" in line["message"], line
    assert tree_digest(app_data) == snapshot


def test_status_reports_the_rule_the_state_and_the_slots(versions, seeded, tmp_path):
    app_data = fresh_app_data(seeded, tmp_path)
    shell = SlotShell(versions.factory, app_data)
    code, line = shell.update_command(versions.factory, "status")
    assert (code, line["resolution"], line["state"], line["slots"]) == (
        0,
        {"slot": "factory", "mode": "normal", "reason": "no-state"},
        None,
        [],
    )
    assert line["factory"] == versions.factory_version
    assert shell.update_command(versions.factory, "apply", str(versions.layer))[0] == 0
    code, line = shell.update_command(versions.factory, "status")
    assert line["resolution"]["mode"] == "trial"
    assert line["slots"] == [versions.next_version]


def test_the_tools_cli_applies_and_refuses_like_the_launcher(versions, seeded, tmp_path, capsys):
    from desktop_django_tools import cli

    app_data = fresh_app_data(seeded, tmp_path)
    where = ["--app-data", str(app_data), "--factory", str(versions.factory)]
    assert cli.main(["backend-update", "apply", str(versions.layer), *where]) == 0
    applied = json.loads(capsys.readouterr().out.splitlines()[0])
    assert (applied["event"], applied["version"]) == ("update-applied", versions.next_version)
    assert cli.main(["backend-update", "status", *where]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["resolution"] == {
        "slot": versions.next_version,
        "mode": "trial",
        "reason": "trial",
    }
    snapshot = tree_digest(app_data)
    assert cli.main(["backend-update", "apply", str(versions.layer), *where]) == 1
    refusal = capsys.readouterr().err
    assert refusal.startswith("desktop-django backend-update: backend "), refusal
    assert "still on trial" in refusal, refusal
    assert tree_digest(app_data) == snapshot


def test_the_shells_rollback_word_ends_a_trial_that_died_before_serve_counted_it(
    versions, seeded, tmp_path
):
    """The new interpreter may die before serve counts its attempt (the rule still says
    trial): the shell starts the fallback with DESKTOP_DJANGO_ROLLBACK=1."""
    app_data = fresh_app_data(seeded, tmp_path)
    before = database_contents(app_data / "app.sqlite3")
    shell = SlotShell(versions.factory, app_data)
    assert shell.update_command(versions.factory, "apply", str(versions.layer))[0] == 0
    ready = shell.serve(versions.factory, DESKTOP_DJANGO_ROLLBACK="1")
    assert ready["event"] == "ready", ready
    assert ready["rolledBack"]["from"] == versions.next_version
    assert ready["rolledBack"]["keptDatabase"] is None  # the trial never reached it
    assert shell.stop() == 0
    assert database_contents(app_data / "app.sqlite3") == before
    state = slots.read_state(app_data)
    assert (state["active"], state["bad"]) == ("factory", [versions.next_version])
