"""Backend updates in the real Tauri window (docs/backend-updates.md): the release build on
Xvfb starts an applied layer's slot on trial through the supervisor's `trial::start`, and
either confirms it or rolls it back.

Help > Install Backend Update… opens the native GTK file picker, which WebDriver cannot
drive. Its flow after the picker is the app's `install_layer`, which a launch with
`--install-backend-update FILE` runs with FILE (src-tauri/src/install_argument.rs): the tests
of that flag drive the menu's own install, restart and gate in the real window. The others
install the layer with the launcher's `backend-update apply` (what `install_layer` runs) and
launch the app as a user would after the restart.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from desktop_django_testing.backend_updates import (
    SlotShell,
    broken_version_of,
    database_contents,
    rewritten,
    tree_digest,
    updatable_copy,
)
from desktop_django_testing.stage import next_version_of
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from tauri_app import BUILD_TIMEOUT, LINUX_ONLY
from test_window import Window, webdriver_session

pytestmark = [LINUX_ONLY, BUILD_TIMEOUT]

# The demo's user data; compared row for row across an update and a rollback.
USER_TABLE = "ponies_pony"


class Versions:
    """The factory (the stage trusting a test key), a next version with one more migration,
    and a next version whose migration raises, each as a signed layer on the factory."""

    def __init__(self, stage: Path, root: Path):
        from desktop_django.manifest import load
        from desktop_django_tools.layer import make_layer
        from desktop_django_tools.release import signing

        key = signing.generate()
        self.factory = updatable_copy(stage, root / "factory" / "backend", key.public_key_text())
        self.factory_version = load(self.factory, check_files=False).app_version
        self.next_version_dir = root / "next" / "backend"
        self.next_version = next_version_of(self.factory, self.next_version_dir)
        self.layer = make_layer(
            self.factory, root / "next" / "backend", root / "next.layer", key=key
        )
        broken = root / "broken" / "backend"
        self.broken_version = broken_version_of(self.factory, broken, "migration")
        self.broken_layer = make_layer(self.factory, broken, root / "broken.layer", key=key)


@pytest.fixture(scope="module")
def versions(stage, tmp_path_factory) -> Versions:
    return Versions(stage, tmp_path_factory.mktemp("versions"))


@pytest.fixture
def seeded_app_data(versions, tmp_path) -> Path:
    """App data after one normal start of the factory: the starter roster in the database."""
    app_data = tmp_path / "app data"
    shell = SlotShell(versions.factory, app_data)
    line, slot = shell.start()
    assert (line["event"], slot) == ("ready", "factory"), line
    assert shell.stop() == 0
    assert database_contents(app_data / "app.sqlite3")["rows"][USER_TABLE]
    return app_data


def apply(versions: Versions, app_data: Path, layer: Path, version: str) -> None:
    code, line = SlotShell(versions.factory, app_data).update_command(
        versions.factory, "apply", str(layer)
    )
    assert (code, line["event"], line["version"]) == (0, "update-applied", version), line


def slot_env(app_env: dict, versions: Versions, app_data: Path, **extra: str) -> dict:
    return {
        **app_env,
        "DESKTOP_DJANGO_STAGE_DIR": str(versions.factory),
        "DESKTOP_DJANGO_APP_DATA_DIR": str(app_data),
        **extra,
    }


def test_an_applied_layer_is_confirmed_and_the_page_shows_the_new_version(
    versions, seeded_app_data, tauri_build, tauri_driver, app_env
):
    from desktop_django import slots

    app_data = seeded_app_data
    before = database_contents(app_data / "app.sqlite3")["rows"][USER_TABLE]
    apply(versions, app_data, versions.layer, versions.next_version)

    env = slot_env(app_env, versions, app_data)
    with webdriver_session(tauri_build.binary, tauri_driver, env) as driver:
        window = Window(driver, str(app_data))
        window.switch_to_app_window()
        footer = window.wait().until(
            expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".app-footer"))
        )
        assert versions.next_version in footer.text.split(), footer.text
        # The backend that serves the page runs from the new slot's own interpreter.
        slot = slots.stages_dir(app_data) / versions.next_version
        assert Path(window.server().cmdline()[0]).is_relative_to(slot)
        # The page was shown only after the gate passed: the trial is confirmed by now.
        state = slots.read_state(app_data)
        assert (state["active"], state["status"], state["highestGood"]) == (
            versions.next_version, "good", versions.next_version,
        )  # fmt: skip

    after = database_contents(app_data / "app.sqlite3")["rows"]
    assert after[USER_TABLE] == before, "the ponies of the old version changed"
    # 0002_arrival ran: one arrival noted for every pony that was there before.
    assert sorted(name for _id, name, _note in after["ponies_arrival"]) == sorted(
        pony[1] for pony in before
    )
    assert ("ponies", "0002_arrival") in {(row[1], row[2]) for row in after["django_migrations"]}


def test_a_layer_whose_migration_raises_is_rolled_back_and_the_old_version_serves(
    versions, seeded_app_data, launch
):
    from desktop_django import slots

    app_data = seeded_app_data
    before = database_contents(app_data / "app.sqlite3")
    apply(versions, app_data, versions.broken_layer, versions.broken_version)

    app = launch(**slot_env({}, versions, app_data, DESKTOP_DJANGO_SMOKE_TEST="1"))
    assert app.wait_for("backend-ready", timeout=90)["slot"] == "factory"
    rolled = app.wait_for("rolled-back")
    assert (rolled["from"], rolled["to"]) == (versions.broken_version, versions.factory_version)
    assert Path(rolled["log"]).parent == app_data / "logs"
    assert rolled["message"] == (
        f"Backend {versions.broken_version} failed to start; "
        f"you are back on {versions.factory_version}. Details: {rolled['log']}"
    )
    # The old version's page loaded in the window, and the app stopped cleanly.
    assert app.wait_for("smoke-test")["passed"] is True
    assert app.process_stops_within(15)
    assert app.process.returncode == 0

    after = database_contents(app_data / "app.sqlite3")
    assert after["schema"] == before["schema"], "the failed migration's schema was not undone"
    assert after["rows"][USER_TABLE] == before["rows"][USER_TABLE]
    state = slots.read_state(app_data)
    assert (state["active"], state["status"], state["bad"]) == (
        "factory", "good", [versions.broken_version],
    )  # fmt: skip


def test_a_layer_given_on_the_command_line_is_installed_and_the_window_shows_it(
    versions, seeded_app_data, tauri_build, tauri_driver, app_env
):
    from desktop_django import slots

    app_data = seeded_app_data
    before = database_contents(app_data / "app.sqlite3")["rows"][USER_TABLE]
    env = slot_env(app_env, versions, app_data)
    args = [f"--install-backend-update={versions.layer}"]
    with webdriver_session(tauri_build.binary, tauri_driver, env, args) as driver:
        window = Window(driver, str(app_data))
        window.switch_to_app_window()
        footer = window.wait(60).until(
            expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".app-footer"))
        )
        assert versions.next_version in footer.text.split(), footer.text
        slot = slots.stages_dir(app_data) / versions.next_version
        assert Path(window.server().cmdline()[0]).is_relative_to(slot)
        state = slots.read_state(app_data)
        assert (state["active"], state["status"]) == (versions.next_version, "good")
    after = database_contents(app_data / "app.sqlite3")["rows"]
    assert after[USER_TABLE] == before, "the ponies of the old version changed"


@pytest.mark.parametrize("problem", ["another key", "missing file"])
def test_a_refused_layer_on_the_command_line_changes_nothing_and_the_old_version_serves(
    problem, versions, seeded_app_data, launch, tmp_path
):
    from desktop_django import slots
    from desktop_django_tools.release import signing

    app_data = seeded_app_data
    if problem == "another key":
        # The good layer's layer.json signed again with a key the app does not trust.
        other_key = signing.generate()
        layer = rewritten(versions.layer, tmp_path / "other.layer", other_key, lambda _data: None)
    else:
        layer = tmp_path / "not-there.layer"
    rows = database_contents(app_data / "app.sqlite3")["rows"][USER_TABLE]
    stages = slots.stages_dir(app_data)
    stages_before = tree_digest(stages) if stages.exists() else None

    app = launch(
        args=["--install-backend-update", str(layer)],
        **slot_env({}, versions, app_data, DESKTOP_DJANGO_SMOKE_TEST="1"),
    )
    assert app.wait_for("backend-ready", timeout=90)["slot"] == "factory"
    refused = app.wait_for("update-refused")
    if problem == "missing file":
        assert str(layer) in refused["message"], refused
    else:
        assert "signature does not verify" in refused["message"], refused
    # The old version's page loaded in the window, and the app stopped cleanly.
    assert app.wait_for("smoke-test")["passed"] is True
    assert app.process_stops_within(15)
    assert app.process.returncode == 0
    assert not [event for event in app.seen if event["event"] == "update-applied"]
    assert (tree_digest(stages) if stages.exists() else None) == stages_before
    assert database_contents(app_data / "app.sqlite3")["rows"][USER_TABLE] == rows
