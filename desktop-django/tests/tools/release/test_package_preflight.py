"""What `nox -s package` checks before packaging: a current stage, and whether the build
will be signed."""

from __future__ import annotations

import json
import shutil

import pytest
from desktop_django_tools.errors import ToolError
from desktop_django_tools.release.credentials import signing_notice
from desktop_django_tools.stage import command as stage_command
from desktop_django_tools.stage.command import ensure_stage
from desktop_django_tools.stage.config import DEMO
from desktop_django_tools.stage.freshness import stage_state
from desktop_django_tools.stage.manifest_writer import source_hash


def write_manifest(stage, source):
    stage.mkdir(parents=True, exist_ok=True)
    (stage / "runtime-manifest.json").write_text(
        json.dumps({"app": {"sourceHash": source}}), encoding="utf-8"
    )


def test_missing_stage_is_not_current(tmp_path):
    current, reason = stage_state(tmp_path / "backend")
    assert not current
    assert "no staged backend" in reason


def test_stage_from_other_sources_is_stale(tmp_path):
    write_manifest(tmp_path / "backend", "0" * 64)
    current, reason = stage_state(tmp_path / "backend")
    assert not current
    assert "other sources" in reason


def test_unreadable_manifest_is_stale(tmp_path):
    (tmp_path / "backend").mkdir()
    (tmp_path / "backend" / "runtime-manifest.json").write_text("{", encoding="utf-8")
    assert not stage_state(tmp_path / "backend")[0]


def test_stage_from_these_sources_is_current(tmp_path, staged):
    # The staged fixture is current by construction (it rebuilds otherwise).
    assert stage_state(staged) == (True, f"the staged backend in {staged} is current")
    write_manifest(tmp_path / "backend", source_hash(DEMO))
    assert stage_state(tmp_path / "backend")[0]


def test_current_stage_is_not_rebuilt(tmp_path, capsys):
    write_manifest(tmp_path / "backend", source_hash(DEMO))
    before = (tmp_path / "backend" / "runtime-manifest.json").read_bytes()
    assert ensure_stage(tmp_path / "backend", options=[]) == 0
    assert (tmp_path / "backend" / "runtime-manifest.json").read_bytes() == before
    assert "is current" in capsys.readouterr().out


def test_stale_stage_is_rebuilt_with_the_given_options(tmp_path, staged, monkeypatch):
    calls = []

    def fake_stage(argv):
        calls.append(argv)
        shutil.copytree(staged, tmp_path / "backend", dirs_exist_ok=True)
        return 0

    monkeypatch.setattr(stage_command, "stage", fake_stage)
    write_manifest(tmp_path / "backend", "stale")
    assert ensure_stage(tmp_path / "backend", options=["--allow-local-python"]) == 0
    assert calls == [["--output", str(tmp_path / "backend"), "--allow-local-python"]]
    assert stage_state(tmp_path / "backend")[0]


def test_bad_restaging_options_fail_the_calling_command_in_one_line(tmp_path, capsys):
    # Nothing is staged: the options are read before any step starts.
    with pytest.raises(ToolError, match=r"bad stage options \(unrecognized arguments: --fast\)"):
        ensure_stage(tmp_path / "backend", options=["--fast"])
    assert "DESKTOP_DJANGO_STAGE_OPTIONS" in capsys.readouterr().out
    assert not (tmp_path / "backend").exists()


def test_unsigned_notice_names_what_is_missing():
    mac = signing_notice("electron", "darwin", {})
    assert mac.startswith("package: electron artifacts will be unsigned")
    assert "CSC_LINK or CSC_NAME" in mac
    assert "DESKTOP_DJANGO_RELEASE_KEY" in mac
    assert "\n" not in mac
    linux = signing_notice("electron", "linux", {"DESKTOP_DJANGO_RELEASE_KEY": "x"})
    assert "Linux packages carry no code signature" in linux
    assert "RELEASE_KEY" not in linux


def test_no_notice_when_every_credential_is_there():
    env = {"CSC_LINK": "cert.p12", "DESKTOP_DJANGO_RELEASE_KEY": "key"}
    assert signing_notice("electron", "darwin", env) is None
    partial = {"APPLE_CERTIFICATE": "x", "DESKTOP_DJANGO_RELEASE_KEY": "key"}
    assert "APPLE_CERTIFICATE+APPLE_CERTIFICATE_PASSWORD" in signing_notice(
        "tauri", "darwin", partial
    )
