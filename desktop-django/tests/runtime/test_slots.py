"""The slot resolution rule and the state file (desktop_django.slots).

The vectors in tests/contracts/stage-slots.json are the rule's contract: the Electron main
process and the Rust supervisor run the same file.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from desktop_django import slots
from desktop_django_testing.paths import REPO_ROOT

VECTORS = json.loads((REPO_ROOT / "tests" / "contracts" / "stage-slots.json").read_text("utf-8"))


def state_text(case: dict) -> str | None:
    if "stateText" in case:
        return case["stateText"]
    return None if case["state"] is None else json.dumps(case["state"])


@pytest.mark.parametrize("case", VECTORS["cases"], ids=[c["name"] for c in VECTORS["cases"]])
def test_every_vector(case):
    got = slots.resolve(state_text(case), case["slots"], case["factory"])
    assert got.as_json() == case["expect"]


def test_the_vectors_cover_every_reason_and_mode():
    reasons = {case["expect"]["reason"] for case in VECTORS["cases"]}
    modes = {case["expect"]["mode"] for case in VECTORS["cases"]}
    assert reasons == {
        "no-state",
        "invalid-state",
        "factory-active",
        "trial-unconfirmed",
        "active-bad",
        "active-missing",
        "factory-newer",
        "good",
        "trial",
    }
    assert modes == {"normal", "trial", "rollback"}


def test_resolution_reads_the_app_data_folder(tmp_path):
    assert slots.resolve_in(tmp_path, "0.1.0").reason == "no-state"
    slot = slots.stages_dir(tmp_path) / "0.2.0"
    slot.mkdir(parents=True)
    slots.write_state(tmp_path, slots.new_state("0.2.0", "factory", None, []))
    # A slot folder without its completion mark is not a slot yet.
    assert slots.resolve_in(tmp_path, "0.1.0").as_json() == {
        "slot": "factory",
        "mode": "normal",
        "reason": "active-missing",
    }
    (slot / slots.COMPLETE_MARK).write_text("x")
    assert slots.resolve_in(tmp_path, "0.1.0").mode == "trial"
    assert slots.slot_of(slot, tmp_path) == "0.2.0"
    assert slots.slot_of(tmp_path / "elsewhere" / "0.2.0", tmp_path) == slots.FACTORY


def test_write_state_refuses_what_the_rule_would_call_invalid(tmp_path):
    state = slots.new_state("0.2.0", "factory", None, [])
    state["active"] = "../0.2.0"
    with pytest.raises(slots.StateError, match="active"):
        slots.write_state(tmp_path, state)
    assert not slots.state_path(tmp_path).exists()


def test_state_replacement_is_atomic_for_concurrent_readers(tmp_path):
    """A reader never sees half a file while a writer replaces it again and again."""
    slots.write_state(tmp_path, slots.new_state("0.2.0", "factory", None, []))
    stop = threading.Event()
    seen: list[str] = []

    def read_constantly():
        while not stop.is_set():
            seen.append(slots.resolve_in(tmp_path, "0.1.0").reason)

    reader = threading.Thread(target=read_constantly)
    reader.start()
    try:
        for attempts in range(300):
            state = slots.new_state("0.2.0", "factory", None, [])
            state["attempts"] = attempts % 2
            slots.write_state(tmp_path, state)
    finally:
        stop.set()
        reader.join()
    assert seen
    assert "invalid-state" not in seen
    leftovers = [p.name for p in slots.stages_dir(tmp_path).iterdir() if p.name != "state.json"]
    assert leftovers == []


def test_an_invalid_state_is_moved_aside_not_deleted(tmp_path):
    path = slots.state_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text("{ half a state", encoding="utf-8")
    kept = slots.move_invalid_state_aside(tmp_path)
    assert kept is not None
    assert kept.read_text(encoding="utf-8") == "{ half a state"
    assert not path.exists()
    assert slots.read_state(tmp_path) is None


def test_an_unreadable_state_is_invalid_not_an_error(tmp_path):
    path = slots.state_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.mkdir()  # a folder where the file should be: reading it fails on every OS
    assert slots.read_state_text(tmp_path) == ""
    assert slots.resolve_in(tmp_path, "0.1.0").reason == "invalid-state"


def test_versions_order_numerically_with_pre_releases_first():
    ordered = ["0.9.0", "0.10.0rc1", "0.10.0", "0.10.1", "1.0.0a1", "1.0.0b1", "1.0.0"]
    assert sorted(ordered, key=slots.version_key) == ordered
    assert not slots.is_version(Path("0.1.0/..").as_posix())
