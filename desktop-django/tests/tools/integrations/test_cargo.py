"""The cargo wrapper against the real Tauri workspace and the real cargo."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from desktop_django_tools.integrations import cargo

from tests.support.ci import require_in_ci

WORKSPACE = Path(__file__).resolve().parents[4] / "shells" / "tauri"


@pytest.fixture
def real_cargo() -> None:
    if shutil.which("cargo") is None:
        require_in_ci("cargo is not installed")


def test_the_commands_run_on_the_workspace_with_the_lock_as_committed(real_cargo):
    command = cargo.command("metadata", WORKSPACE, "--no-deps", "--format-version", "1")
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    members = {package["name"] for package in json.loads(result.stdout)["packages"]}
    assert members == {"flying-stable-tauri", "desktop-django-supervisor"}


def test_a_lock_that_would_change_is_refused(real_cargo, tmp_path):
    # A copy of the workspace whose lock is missing: `--locked` must stop, not write one.
    copy = tmp_path / "tauri"
    shutil.copytree(WORKSPACE / "supervisor", copy / "supervisor")
    (copy / "Cargo.toml").write_text('[workspace]\nmembers = ["supervisor"]\n', encoding="utf-8")
    result = subprocess.run(
        cargo.command("metadata", copy, "--offline"), capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "lock file" in result.stderr
    assert not (copy / "Cargo.lock").exists()


def test_clippy_turns_every_warning_into_an_error():
    assert cargo.clippy_command(WORKSPACE)[-3:] == ["--", "-D", "warnings"]


def test_a_missing_workspace_is_named(tmp_path):
    with pytest.raises(cargo.CargoError, match=r"Cargo\.toml is missing"):
        cargo.command("build", tmp_path)


def test_without_cargo_the_error_says_how_to_get_it(monkeypatch):
    monkeypatch.setenv("PATH", "")
    with pytest.raises(cargo.CargoError, match="rustup"):
        cargo.executable()


def test_the_target_folder_follows_cargo_target_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("CARGO_TARGET_DIR", raising=False)
    assert cargo.target_dir(WORKSPACE) == WORKSPACE / "target"
    monkeypatch.setenv("CARGO_TARGET_DIR", str(tmp_path))
    assert cargo.target_dir(WORKSPACE) == tmp_path
    assert cargo.binary(WORKSPACE, "app", release=True).parent == tmp_path / "release"


def test_tools_install_one_exact_version_into_their_own_root(real_cargo, tmp_path):
    command = cargo.install_command("tauri-driver", "2.1.0", tmp_path)
    assert command[command.index("--version") + 1] == "=2.1.0"
    assert "--locked" in command
    assert cargo.installed_binary(tmp_path, "tauri-driver").parent == tmp_path / "bin"
