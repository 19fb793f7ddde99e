"""tauri.conf.json (and each per-OS overlay merged onto it) against the Tauri v2 config JSON
Schema that ships in the `@tauri-apps/cli` npm package, plus the paths the config points at.

Needs `npm ci` in shells/tauri (the schema comes with the CLI). Without it the tests skip
locally and fail under CI=true, where a skipped check would pass unnoticed.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from desktop_django_testing.ci import require_in_ci

SHELL = Path(__file__).resolve().parents[1]
REPO = SHELL.parents[1]
SRC_TAURI = SHELL / "src-tauri"
SCHEMA_PATH = SHELL / "node_modules" / "@tauri-apps" / "cli" / "config.schema.json"
OVERLAYS = sorted(SRC_TAURI.glob("tauri.*.conf.json"))


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def merge_patch(target: object, patch: object) -> object:
    """RFC 7396 JSON Merge Patch: how the Tauri CLI merges tauri.<os>.conf.json."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


@pytest.fixture(scope="module")
def validator() -> jsonschema.Validator:
    if not SCHEMA_PATH.is_file():
        require_in_ci(f"{SCHEMA_PATH} is missing: run `npm ci` in {SHELL.relative_to(REPO)}")
    schema = load(SCHEMA_PATH)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@pytest.fixture(scope="module")
def config() -> dict:
    return load(SRC_TAURI / "tauri.conf.json")


def errors(validator: jsonschema.Validator, document: dict) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(document)]


def test_config_matches_the_tauri_v2_schema(validator, config):
    assert errors(validator, config) == []


@pytest.mark.parametrize("overlay", OVERLAYS, ids=[p.name for p in OVERLAYS])
def test_each_os_overlay_merges_into_a_valid_config(validator, config, overlay):
    assert errors(validator, merge_patch(config, load(overlay))) == []


def test_there_is_an_overlay_for_each_desktop_os():
    assert {p.name for p in OVERLAYS} == {
        "tauri.linux.conf.json",
        "tauri.macos.conf.json",
        "tauri.windows.conf.json",
    }


def test_the_schema_rejects_a_misspelled_key(validator, config):
    # Proves the schema is strict enough for the tests above to mean something.
    broken = merge_patch(config, {"app": {"security": {"cps": "default-src 'self'"}}})
    assert errors(validator, broken)


def test_window_pages_and_icons_exist(config):
    frontend = (SRC_TAURI / config["build"]["frontendDist"]).resolve()
    for window in config["app"]["windows"]:
        assert (frontend / window["url"]).is_file(), window["url"]
    for icon in config["bundle"]["icon"]:
        assert (SRC_TAURI / icon).is_file(), icon


def test_the_bundled_resource_is_the_stage(config):
    (source, target), *others = config["bundle"]["resources"].items()
    assert not others
    assert (SRC_TAURI / source).resolve() == (REPO / ".stage" / "backend").resolve()
    # backend.rs looks for the stage under this name in the resource folder.
    assert target.rstrip("/") == "backend"


def test_capabilities_name_only_windows_the_app_has(config):
    labels = {window["label"] for window in config["app"]["windows"]} | {"main"}
    enabled = set(config["app"]["security"]["capabilities"])
    files = {load(p)["identifier"]: load(p) for p in (SRC_TAURI / "capabilities").glob("*.json")}
    assert enabled == set(files), "every capability file is enabled, and only those"
    for capability in files.values():
        assert set(capability["windows"]) <= labels
        # The app window shows the Django origin: it must never receive IPC permissions.
        assert "main" not in capability["windows"]
        assert "remote" not in capability
