"""The app data folder (desktop_django.app_data) on real folders: what from_environment accepts,
what prepare() creates and corrects, and the secret key's file rules.

The reliability suite keeps the whole-app cases (the launcher's one error line for each)."""

from __future__ import annotations

import os
import re
import stat
from multiprocessing import get_context
from pathlib import Path

import pytest
from desktop_django import app_data, env
from desktop_django.app_data import AppData, AppDataError
from desktop_django_testing.ci import only_on

posix = only_on("linux", "darwin", reason="file modes and owners are POSIX")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_folder_comes_from_the_variable(monkeypatch, tmp_path):
    monkeypatch.setenv(env.APP_DATA_DIR, f"  {tmp_path}  ")
    assert AppData.from_environment().root == tmp_path
    monkeypatch.setenv(env.APP_DATA_DIR, "")
    with pytest.raises(AppDataError, match=f"{env.APP_DATA_DIR} is not set"):
        AppData.from_environment()


def test_a_relative_folder_is_refused_naming_what_was_given(monkeypatch):
    monkeypatch.setenv(env.APP_DATA_DIR, "data")
    with pytest.raises(AppDataError, match="must be an absolute path, not 'data'") as refused:
        AppData.from_environment()
    assert refused.value.path == "data"


def test_a_folder_too_long_for_sqlite_names_the_longest_it_may_be(monkeypatch, tmp_path):
    longest = (
        app_data.MAX_DATABASE_PATH_BYTES
        - len(app_data.DATABASE_FILE + app_data.LONGEST_COMPANION)
        - 1
    )
    fits = tmp_path / ("a" * (longest - len(os.fsencode(tmp_path)) - 1))
    monkeypatch.setenv(env.APP_DATA_DIR, str(fits))
    assert AppData.from_environment().root == fits
    monkeypatch.setenv(env.APP_DATA_DIR, str(fits) + "aa")
    with pytest.raises(AppDataError, match=f"choose a folder whose path is at most {longest} b"):
        AppData.from_environment()


@posix
def test_prepare_makes_the_private_tree(tmp_path):
    root = tmp_path / "new" / "app"
    data = AppData(root).prepare()
    assert data.logs.is_dir()
    assert data.backups.is_dir()
    assert _mode(root) == 0o700
    assert data.notes == []
    assert not list(root.glob(".write-probe-*"))


@posix
def test_a_folder_others_may_write_to_is_made_private_and_said(tmp_path):
    root = tmp_path / "app"
    root.mkdir()
    root.chmod(0o777)
    data = AppData(root).prepare()
    assert _mode(root) == 0o700
    assert data.notes == [
        f"app data folder {root} was writable by other users (mode 0777); "
        "it is now private to this user (0700)"
    ]


@posix
@pytest.mark.parametrize("name", ["app.sqlite3", "app.sqlite3-wal", "secret_key", "logs"])
def test_a_link_in_the_folder_is_refused_naming_its_target(tmp_path, name):
    root = tmp_path / "app"
    root.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (root / name).symlink_to(elsewhere)
    with pytest.raises(
        AppDataError, match=re.escape(f"{root / name} is a symbolic link (to {elsewhere})")
    ):
        AppData(root).prepare()
    assert elsewhere.is_dir()
    assert (root / name).is_symlink()


@posix
def test_the_secret_key_is_made_once_private_and_read_again(tmp_path):
    data = AppData(tmp_path / "app")
    key = data.secret_key()
    assert len(key) >= 32
    assert _mode(data.secret_key_file) == 0o600
    assert AppData(tmp_path / "app").secret_key() == key
    assert [p.name for p in data.root.iterdir() if p.name.startswith(".")] == []


def _first_start(root: str) -> str:
    return AppData(Path(root)).secret_key()


@posix
def test_racing_first_starts_agree_on_one_key(tmp_path):
    # Real processes (forked: no interpreter start-up each): of several creating the key at
    # once, one link wins and all read it.
    with get_context("fork").Pool(4) as pool:
        keys = pool.map(_first_start, [str(tmp_path / "app")] * 4)
    assert len(set(keys)) == 1


@posix
def test_a_key_others_can_read_is_refused_with_the_fix(tmp_path):
    data = AppData(tmp_path / "app")
    data.secret_key()
    data.secret_key_file.chmod(0o644)
    with pytest.raises(AppDataError, match=r"can be read by other users \(mode 0644\)") as refused:
        data.secret_key()
    assert f"chmod 600 {data.secret_key_file}" in str(refused.value)


@posix
@pytest.mark.parametrize(
    ("content", "cause"),
    [(b"short", "is truncated or empty"), ("é".encode() * 40, "is not ASCII text")],
    ids=["truncated", "not-ascii"],
)
def test_a_damaged_key_is_named(tmp_path, content, cause):
    data = AppData(tmp_path / "app").prepare()
    data.secret_key_file.write_bytes(content)
    data.secret_key_file.chmod(0o600)
    with pytest.raises(AppDataError, match=cause):
        data.secret_key()
    assert data.secret_key_file.read_bytes() == content  # user data is never replaced
