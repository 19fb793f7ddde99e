"""Where the stage is, which interpreter nox uses, and which shell `nox -s dev` picks."""

import subprocess
from pathlib import Path

from desktop_django import env
from desktop_django_testing.paths import REPO_ROOT
from desktop_django_tools import dev, locations, pythons
from desktop_django_tools.integrations import electron_builder


def test_the_stage_is_in_the_project_unless_the_variable_names_one(monkeypatch, tmp_path):
    monkeypatch.delenv(env.STAGE_DIR, raising=False)
    assert locations.stage_dir() == REPO_ROOT / ".stage" / "backend"
    assert locations.stage_dir(tmp_path) == tmp_path / ".stage" / "backend"
    monkeypatch.setenv(env.STAGE_DIR, str(tmp_path / "elsewhere"))
    assert locations.stage_dir(tmp_path) == tmp_path / "elsewhere"


def test_the_workspace_is_found_from_a_checkout():
    assert locations.workspace_root() == REPO_ROOT
    assert locations.runtime_source() == REPO_ROOT / "desktop-django"


def test_the_interpreter_found_without_starting_a_process_runs_and_is_recent():
    path = pythons.locate()
    assert path is not None
    version = subprocess.run(
        [path, "-c", "import sys; print(sys.version_info[:2] >= (3, 12))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert version == "True"
    assert "shims" not in Path(path).parts


def test_no_display_means_no_window_and_points_at_the_browser_mode(monkeypatch):
    monkeypatch.setattr(dev.sys, "platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    choice = dev.choose()
    assert choice.shell is None
    assert "--browser" in choice.reason


def test_an_unpacked_electron_is_chosen_first(monkeypatch, tmp_path):
    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.setenv(electron_builder.ELECTRON_DIST_VARIABLE, str(tmp_path))
    assert dev.choose().shell == "electron"


def test_without_electron_or_a_rust_toolchain_positron_is_chosen_and_says_why(monkeypatch):
    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.delenv(electron_builder.ELECTRON_DIST_VARIABLE, raising=False)
    monkeypatch.setattr(dev, "electron_unavailable", lambda: "no Electron binary")
    monkeypatch.setenv("PATH", "")  # no cargo
    choice = dev.choose()
    assert choice.shell == "positron"
    assert "not electron: no Electron binary" in choice.reason
    assert "not tauri: no Rust toolchain" in choice.reason


def test_a_tauri_never_built_gives_way_to_positron_and_says_how_long_it_would_take(
    monkeypatch, tmp_path
):
    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.setattr(dev, "electron_unavailable", lambda: "no Electron binary")
    monkeypatch.setattr(dev.tauri, "unavailable", lambda _shell: None)
    monkeypatch.setenv("CARGO_TARGET_DIR", str(tmp_path))  # an empty target folder
    first = dev.choose()
    assert first.shell == "positron"
    assert "not tauri: it is not built yet" in first.reason
    assert dev.tauri.FIRST_BUILD_TIME in first.reason
    assert "--shell tauri" in first.reason
    # Once a dev build exists, the next `nox -s dev` opens Tauri.
    (tmp_path / "debug").mkdir()
    (tmp_path / "debug" / dev.tauri.APP_BINARY).write_bytes(b"")
    assert dev.choose().shell == "tauri"


def test_an_explicit_shell_wins(monkeypatch):
    monkeypatch.setenv("DISPLAY", ":99")
    assert dev.choose("positron").shell == "positron"
