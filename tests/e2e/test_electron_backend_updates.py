"""Backend updates in the Electron shell, end to end under Node against real stages
(docs/backend-updates.md, section 3): its window cannot run here, so the main process's own
modules do what index.js does, driven by shells/electron/test/fixtures/backend-update-flow.js.

A layer to the next version (one more migration) is applied with the serving slot's
interpreter, started on trial, passes the health gate and is confirmed; a layer whose
migration raises is rolled back, the database exactly as before, with the one sentence.
"""

from __future__ import annotations

import json
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
