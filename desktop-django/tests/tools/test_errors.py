"""The one failure path (desktop_django_tools/errors.py): every command that fails for a
reason it can explain ends in one line, `desktop-django COMMAND: cause. Next: step`, with
EXIT_FAILURE and no traceback. Real commands in a real process, real failures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from desktop_django_tools.errors import EXIT_FAILURE


def desktop_django(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "desktop_django_tools", *args],
        capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})},
    )  # fmt: skip


def failure_line(done: subprocess.CompletedProcess, command: str) -> str:
    """The one line a failed command printed last; it names the command."""
    assert done.returncode == EXIT_FAILURE, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("desktop-django ")]
    assert len(lines) == 1, done.stderr
    assert done.stderr.rstrip().endswith(lines[0])
    assert lines[0].startswith(f"desktop-django {command}: ")
    return lines[0]


@pytest.fixture
def no_rust(tmp_path) -> dict[str, str]:
    """A PATH without cargo (nor anything else but this interpreter's folder)."""
    return {"PATH": str(tmp_path / "empty-bin")}


def test_a_stage_of_a_project_that_is_not_wrapped(tmp_path):
    (tmp_path / "site").mkdir()
    line = failure_line(desktop_django("stage", "--project", str(tmp_path / "site")), "stage")
    assert f"no desktop-stage.toml in {tmp_path / 'site'}" in line
    assert f"Next: wrap the project first with `nox -s wrap -- {tmp_path / 'site'}" in line


def test_verifying_a_stage_that_is_not_there(tmp_path):
    done = desktop_django("verify-stage", "--output", str(tmp_path / "none"))
    line = failure_line(done, "verify-stage")
    assert str(tmp_path / "none") in line
    assert line.endswith("Next: rebuild the stage with `desktop-django stage`")


def test_a_tauri_dev_run_without_cargo_names_the_install_and_the_shell_that_opens(no_rust):
    line = failure_line(desktop_django("run", "tauri", env=no_rust), "run")
    assert "cannot build the app here: no Rust toolchain (cargo): install a current Rust" in line
    assert "`sudo apt-get install cargo-web`" in line
    assert line.endswith("Next: `nox -s dev -- --shell positron` opens at once")


def test_the_tauri_suite_without_cargo_names_the_install(no_rust):
    line = failure_line(desktop_django("test-shell", "tauri", env=no_rust), "test-shell")
    assert "cargo is not installed. Next: install a current Rust (Debian 13: " in line


def test_an_electron_run_without_node_names_the_install(no_rust):
    line = failure_line(desktop_django("run", "electron", env=no_rust), "run")
    assert "Node.js is not installed: install Node.js 20.19 or newer" in line


@pytest.mark.parametrize("command", ["release", "offline-bundle"])
def test_a_release_of_an_empty_folder_says_to_package_first(tmp_path, command):
    folder = tmp_path / "dist" / "0.1.0"
    folder.mkdir(parents=True)
    done = desktop_django(command, "positron", "--dir", str(folder), "--allow-dirty")
    line = failure_line(done, command)
    assert f"{folder} holds no artifacts" in line
    assert "Next: run `nox -s package -- positron` first" in line


def test_a_new_key_never_replaces_one_silently(tmp_path):
    assert desktop_django("keygen", str(tmp_path)).returncode == 0
    before = (tmp_path / "release.key").read_bytes()
    line = failure_line(desktop_django("keygen", str(tmp_path)), "keygen")
    assert line == (
        f"desktop-django keygen: {Path(tmp_path) / 'release.key'} exists. "
        "Next: pass --force to replace it"
    )
    assert (tmp_path / "release.key").read_bytes() == before
