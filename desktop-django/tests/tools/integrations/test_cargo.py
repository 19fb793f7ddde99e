"""The cargo wrapper against the real Tauri workspace and the real cargo."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from desktop_django_testing.ci import require_in_ci
from desktop_django_tools.integrations import cargo

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
    rust = cargo.required_version(WORKSPACE)
    (copy / "Cargo.toml").write_text(
        f'[workspace]\nmembers = ["supervisor"]\n[workspace.package]\nrust-version = "{rust}"\n',
        encoding="utf-8",
    )
    result = subprocess.run(
        cargo.command("metadata", copy, "--offline"), capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "lock file" in result.stderr
    assert not (copy / "Cargo.lock").exists()


def test_the_declared_rust_version_is_the_newest_any_locked_crate_asks_for(real_cargo):
    # Every crate of the lock for every target (Windows and macOS ones too): what a
    # `cargo build --locked` anywhere resolves against.
    result = subprocess.run(
        cargo.command("metadata", WORKSPACE, "--format-version", "1"),
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    packages = json.loads(result.stdout)["packages"]
    asked = {
        (cargo.version_tuple(p["rust_version"]), p["name"])
        for p in packages
        if p["source"] is not None and p.get("rust_version")
    }
    newest, crate = max(asked)
    declared = cargo.required_version(WORKSPACE)
    assert cargo.version_tuple(declared) == newest, f"{crate} needs {newest}, declared {declared}"
    members = {p["name"]: p["rust_version"] for p in packages if p["source"] is None}
    assert set(members.values()) == {declared}, members


def test_a_cargo_older_than_the_lock_needs_is_refused_with_the_fix():
    # Debian 13's own cargo, as `cargo --version` prints it there.
    debian13 = "cargo 1.85.1 (d73d2caf9 2024-12-31)"
    reason = cargo.too_old(debian13, "1.90")
    assert reason is not None
    assert debian13 in reason
    assert "1.90" in reason
    assert "rustup" in reason
    assert cargo.too_old("cargo 1.90.0 (840b83a10 2025-07-30)", "1.90") is None
    assert cargo.too_old("cargo 1.95.0 (f2d3ce0bd 2026-03-21)", "1.90.1") is None


def test_without_rustup_an_old_cargo_is_told_of_debians_newer_rust(monkeypatch):
    # Debian 13 as installed: its cargo 1.85 and no rustup. Its main archive has cargo-web.
    monkeypatch.setenv("PATH", "")
    reason = cargo.too_old("cargo 1.85.1 (d73d2caf9 2024-12-31)", "1.90")
    assert "`sudo apt-get install cargo-web`" in reason
    assert "https://rustup.rs" in reason


def test_the_cargo_here_is_new_enough_for_the_lock(real_cargo):
    installed = cargo.installed_version()
    assert installed is not None
    assert cargo.too_old(installed, cargo.required_version(WORKSPACE)) is None


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


def test_a_failing_command_raises_an_error_naming_it(real_cargo):
    # cargo refuses an unknown option before it reads or builds anything.
    with pytest.raises(cargo.CargoError, match=r"`cargo build` failed \(exit 1\)") as error:
        cargo.run(cargo.command("build", WORKSPACE, "--no-such-option"), WORKSPACE)
    assert error.value.next_step == "its output above says why"
