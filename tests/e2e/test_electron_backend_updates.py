"""Backend updates in the Electron shell, end to end under Node against real stages
(docs/backend-updates.md, section 3): its window cannot run here, so the main process's own
modules do what index.js does, driven by shells/electron/test/fixtures/backend-update-flow.js.

A layer to the next version (one more migration) is applied with the serving slot's
interpreter, started on trial, passes the health gate and is confirmed; a layer whose
migration raises is rolled back, the database exactly as before, with the one sentence.
`--install-backend-update` runs the real index.js under Node with the fake Electron
(shells/electron/test/fixtures/run-main-with-fake-electron.js) against the real stage.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from desktop_django import slots
from desktop_django.manifest import load
from desktop_django_testing.backend_updates import (
    broken_version_of,
    database_contents,
    updatable_copy,
)
from desktop_django_testing.ci import require_tool
from desktop_django_testing.stage import next_version_of
from desktop_django_tools.layer import make_layer
from desktop_django_tools.release import signing

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
FLOW = ROOT / "shells" / "electron" / "test" / "fixtures" / "backend-update-flow.js"
MAIN_WITH_FAKE_ELECTRON = FLOW.parent / "run-main-with-fake-electron.js"


def run_flow(factory: Path, app_data: Path, layer: Path | None = None) -> dict:
    node = require_tool("node", "the Electron shell's main-process modules run under Node")
    args = [node, str(FLOW), str(factory), str(app_data), *([str(layer)] if layer else [])]
    done = subprocess.run(args, capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def factory(staged, tmp_path_factory):
    """The stage, trusting a test key, and that key."""
    root = tmp_path_factory.mktemp("electron-updates")
    key = signing.generate()
    return updatable_copy(staged, root / "factory" / "backend", key.public_key_text()), key


@pytest.fixture
def seeded(factory, tmp_path) -> Path:
    """App data after one normal start of the factory (the starter roster in the database)."""
    app_data = tmp_path / "app data"
    first = run_flow(factory[0], app_data)
    assert (first["slot"], first["mode"], first["health"]) == ("factory", "normal", 200), first
    return app_data


def test_a_layer_is_applied_started_on_trial_gated_and_confirmed(factory, seeded, tmp_path):
    stage, key = factory
    version = next_version_of(stage, tmp_path / "next" / "backend")
    layer = make_layer(stage, tmp_path / "next" / "backend", tmp_path / "next.layer", key=key)
    ponies = database_contents(seeded / "app.sqlite3")["rows"]["ponies_pony"]

    result = run_flow(stage, seeded, layer)
    assert result["applied"] == {
        "version": version,
        "slot": str(seeded / "stages" / version),
        "previous": "factory",
    }
    assert (result["slot"], result["mode"], result["cwd"]) == (
        version,
        "trial",
        str(seeded / "stages" / version),
    )
    assert result["confirmed"]["version"] == version, result
    assert (result["trialFailure"], result["rolledBack"], result["health"]) == (None, None, 200)
    state = slots.read_state(seeded)
    assert (state["active"], state["status"], state["highestGood"]) == (version, "good", version)
    after = database_contents(seeded / "app.sqlite3")["rows"]
    assert after["ponies_pony"] == ponies
    assert ("ponies", "0002_arrival") in {(row[1], row[2]) for row in after["django_migrations"]}


def test_a_layer_that_cannot_migrate_is_rolled_back_with_the_database(factory, seeded, tmp_path):
    stage, key = factory
    broken = tmp_path / "broken" / "backend"
    version = broken_version_of(stage, broken, "migration")
    layer = make_layer(stage, broken, tmp_path / "broken.layer", key=key)
    before = database_contents(seeded / "app.sqlite3")

    result = run_flow(stage, seeded, layer)
    assert result["applied"]["version"] == version
    assert (result["slot"], result["mode"], result["health"]) == ("factory", "rollback", 200)
    assert "this migration always fails" in result["trialFailure"]
    factory_version = load(stage, check_files=False).app_version
    assert (result["rolledBack"]["from"], result["rolledBack"]["to"]) == (version, factory_version)
    log = result["rolledBack"]["log"]
    assert result["message"] == (
        f"Backend {version} failed to start; you are back on {factory_version}. Details: {log}"
    )
    assert database_contents(seeded / "app.sqlite3") == before
    kept = Path(result["rolledBack"]["keptDatabase"])
    assert kept.parent == seeded / "backups"
    assert (kept / "app.sqlite3").is_file()
    state = slots.read_state(seeded)
    assert (state["active"], state["bad"]) == ("factory", [version])


def run_main(factory: Path, app_data: Path, argv: list[str], second_instances: list) -> dict:
    """index.js under Node (the fake Electron) on the real stage: launched with `argv`, then
    each of `second_instances` ({argv, cwd}) handed over as a later launch."""
    node = require_tool("node", "the Electron shell's main process runs under Node")
    env = {
        **os.environ,
        "FAKE_SCENARIO": "install-from-argv",
        "FAKE_APP_DATA": str(app_data.parent),
        "FAKE_ARGV": json.dumps(argv),
        "FAKE_SECOND_INSTANCES": json.dumps(second_instances),
        "DESKTOP_DJANGO_ELECTRON_MODE": "staged",
        "DESKTOP_DJANGO_STAGE_DIR": str(factory),
        "DESKTOP_DJANGO_USER_DATA_DIR": str(app_data),
    }
    done = subprocess.run(
        [node, str(MAIN_WITH_FAKE_ELECTRON)],
        capture_output=True, text=True, timeout=600, check=False, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr + done.stdout[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_install_backend_update_from_argv_and_from_a_later_launch(factory, tmp_path):
    """`--install-backend-update FILE` at the first launch, then a later launch's
    `--install-backend-update=FILE` (relative to its own folder) handed over by
    'second-instance': each runs the menu item's flow, and the restarted backend serves the
    new version; a later launch naming a file that is not there is refused, naming it, and
    the version installed before keeps serving."""
    stage, key = factory
    first = next_version_of(stage, tmp_path / "v1" / "backend")
    first_layer = make_layer(stage, tmp_path / "v1" / "backend", tmp_path / "v1.layer", key=key)
    second = next_version_of(tmp_path / "v1" / "backend", tmp_path / "v2" / "backend")
    usb = tmp_path / "usb"
    usb.mkdir()
    # The shell stays the factory's: the second layer asks no newer one than the first did.
    second_layer = make_layer(
        tmp_path / "v1" / "backend", tmp_path / "v2" / "backend", usb / "v2.layer",
        key=key, min_shell_version=load(stage, check_files=False).app_version,
    )  # fmt: skip
    app_data = tmp_path / "user data" / "Flying Stable"
    missing = usb / "not-there.layer"

    result = run_main(
        stage,
        app_data,
        ["--install-backend-update", str(first_layer)],
        [
            {"argv": ["flying-stable", f"--install-backend-update={second_layer.name}"],
             "cwd": str(usb)},
            {"argv": ["flying-stable", "--install-backend-update", str(missing)],
             "cwd": str(usb)},
        ],
    )  # fmt: skip
    launched, handed, refused = result["firstLaunch"], *result["secondInstances"]
    assert (launched["restarted"], launched["messages"]) == (True, []), result["log"]
    assert launched["page"]["status"] == 200
    assert first in launched["page"]["footer"].split(), launched
    assert (handed["restarted"], handed["messages"], handed["focused"]) == (True, [], True)
    assert second in handed["page"]["footer"].split(), handed
    assert refused["restarted"] is False
    assert [box["message"] for box in refused["messages"]] == ["Backend update not installed"]
    assert str(missing) in refused["messages"][0]["detail"]
    assert second in refused["page"]["footer"].split(), refused
    assert result["errorBoxes"] == []
    state = slots.read_state(app_data)
    assert (state["active"], state["status"], state["highestGood"]) == (second, "good", second)
