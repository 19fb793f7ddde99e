"""The stage ships the project's committed release key as update-key.pub, indexed like every
file of the stage, and nothing when no key is committed."""

from __future__ import annotations

import pytest
from desktop_django.layers import UPDATE_KEY
from desktop_django_testing.stage import describe_again, linked_copy
from desktop_django_tools.release import signing
from desktop_django_tools.release.credentials import PUBLIC_KEY_IN_REPO
from desktop_django_tools.stage import update_key
from desktop_django_tools.stage.errors import StageError
from desktop_django_tools.stage.verify import verify


def test_the_committed_key_is_shipped_and_indexed(staged, tmp_path):
    repo = tmp_path / "project"
    (repo / PUBLIC_KEY_IN_REPO).parent.mkdir(parents=True)
    key = signing.generate()
    (repo / PUBLIC_KEY_IN_REPO).write_text(key.public_key_text(), encoding="utf-8")
    stage = tmp_path / "backend"
    linked_copy(staged, stage)
    (stage / UPDATE_KEY).unlink(missing_ok=True)

    assert update_key.ship(stage, repo) == key.key_id_text
    assert (stage / UPDATE_KEY).read_text(encoding="utf-8") == key.public_key_text()
    describe_again(stage)  # what the build's manifest step does next
    index = (stage / "stage-files.sha256").read_text(encoding="utf-8").splitlines()
    assert any(line.endswith(f"  {UPDATE_KEY}") for line in index)
    assert verify(stage).ok


def test_no_committed_key_ships_none(tmp_path):
    stage = tmp_path / "backend"
    stage.mkdir()
    assert update_key.ship(stage, tmp_path / "project") is None
    assert not (stage / UPDATE_KEY).exists()


def test_a_committed_file_that_is_no_key_stops_the_stage(tmp_path):
    repo = tmp_path / "project"
    (repo / PUBLIC_KEY_IN_REPO).parent.mkdir(parents=True)
    (repo / PUBLIC_KEY_IN_REPO).write_text("not a key\n", encoding="utf-8")
    stage = tmp_path / "backend"
    stage.mkdir()
    with pytest.raises(StageError, match=r"release-signing-key\.pub is not a minisign public key"):
        update_key.ship(stage, repo)
    assert not (stage / UPDATE_KEY).exists()
