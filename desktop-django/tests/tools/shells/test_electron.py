"""The Electron orchestration (`desktop-django run|test-shell|package electron`): what it
refuses and how it says so, against the real shell folder, npm and electron-builder. The
full layout-only build is tests/tools/release/test_layout_only_rehearsal.py."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys

import pytest
from desktop_django_testing.ci import only_on, require_in_ci
from desktop_django_tools import cli
from desktop_django_tools.errors import EXIT_FAILURE
from desktop_django_tools.shells import electron


@pytest.fixture
def no_stage(monkeypatch, tmp_path):
    monkeypatch.setenv("DESKTOP_DJANGO_STAGE_DIR", str(tmp_path / "nothing-here"))
    return tmp_path / "nothing-here"


@pytest.fixture
def node_and_npm():
    if shutil.which("node") is None or shutil.which("npm") is None:
        require_in_ci("Node.js and npm are not installed")


def test_the_test_files_are_every_suite_in_order():
    files = electron.test_files(electron.shell_dir())
    folders = [name.split("/")[1] for name in files]
    assert folders == sorted(folders, key=electron.TEST_FOLDERS.index)
    assert set(folders) == set(electron.TEST_FOLDERS)
    assert "test/unit/stage-location.test.js" in files
    assert all(name.endswith(".test.js") for name in files)


def test_a_staged_run_without_a_stage_names_the_command(no_stage, capsys):
    assert cli.main(["run", "electron", "--staged"]) == EXIT_FAILURE
    err = capsys.readouterr().err
    assert f"there is no staged backend in {no_stage}: run `nox -s stage` first" in err


def test_packaging_without_a_stage_names_the_command(no_stage):
    # The packager itself (`package` would stage first): its error says what to run.
    with pytest.raises(electron.ElectronShellError, match="run `nox -s stage` first"):
        electron.package(["--layout-only"])


def test_a_stage_without_a_version_names_the_field(tmp_path):
    (tmp_path / "runtime-manifest.json").write_text('{"app": {}}', encoding="utf-8")
    with pytest.raises(electron.ElectronShellError, match=r"no `app\.version`"):
        electron.stage_version(tmp_path)


def test_unknown_package_options_are_refused():
    with pytest.raises(SystemExit) as exit_info:
        electron.package(["--sign-with-magic"])
    assert exit_info.value.code == 2


@only_on("linux", reason="electron-builder on Linux")
def test_packaging_with_no_electron_to_be_had_points_at_the_layout_only_rehearsal(
    monkeypatch, tmp_path, staged, node_and_npm
):
    monkeypatch.delenv("ELECTRON_OVERRIDE_DIST_PATH", raising=False)
    monkeypatch.setenv("ELECTRON_MIRROR", "http://127.0.0.1:9/")  # nothing answers there
    shell = electron.shell_dir()
    if (shell / "node_modules" / "electron" / "dist").is_dir():
        pytest.skip("an Electron binary is installed here: the download is not needed")
    node = electron.prepare(shell)
    with pytest.raises(electron.ElectronShellError) as error:
        electron.build(node, [], stage=staged, work=tmp_path / "w", release=tmp_path / "r")
    message = str(error.value)
    assert "download failed" in message
    assert "ELECTRON_OVERRIDE_DIST_PATH" in message
    assert "--layout-only" in message
    assert not (tmp_path / "r").exists()


def test_a_dev_run_without_electron_says_how_to_get_one(
    monkeypatch, tmp_path, capsys, node_and_npm
):
    monkeypatch.setenv("ELECTRON_OVERRIDE_DIST_PATH", str(tmp_path))  # holds no Electron
    assert cli.main(["run", "electron"]) == EXIT_FAILURE
    err = capsys.readouterr().err
    assert f"ELECTRON_OVERRIDE_DIST_PATH={tmp_path} holds no Electron binary" in err
    assert "ELECTRON_MIRROR" in err
    assert "nox -s dev-positron" in err


@only_on("linux", "darwin", reason="POSIX signals and a shell-script Electron")
def test_ctrl_c_waits_for_electrons_own_clean_quit(tmp_path, node_and_npm):
    """Ctrl+C reaches the whole foreground group: Electron quits by itself (stopping its
    backend first), and the dev run waits for that instead of killing it halfway. The real
    Electron cannot be downloaded here, so an executable that quits the same way (after a
    second of clean-up) stands in for it through ELECTRON_OVERRIDE_DIST_PATH."""
    dist = tmp_path / "electron-dist"
    dist.mkdir()
    finished = tmp_path / "quit-finished"
    script = dist / "electron"
    script.write_text(
        "#!/bin/sh\n"
        f"trap 'sleep 1; echo clean > \"{finished}\"; exit 0' INT\n"
        "echo started\n"
        "while :; do sleep 0.1; done\n",
        encoding="utf-8",
    )
    script.chmod(0o755)
    env = {**os.environ, "ELECTRON_OVERRIDE_DIST_PATH": str(dist)}
    run = subprocess.Popen(
        [sys.executable, "-m", "desktop_django_tools", "run", "electron"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
        start_new_session=True,
    )  # fmt: skip
    try:
        for line in run.stdout:
            if line.strip() == "started":
                break
        else:
            pytest.fail("the dev run ended before Electron started")
        os.killpg(run.pid, signal.SIGINT)
        assert run.wait(timeout=60) == 130
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
    assert finished.read_text(encoding="utf-8").strip() == "clean"


def test_the_suite_on_a_fresh_clone_builds_the_stage_it_needs(monkeypatch, tmp_path, node_and_npm):
    stage = tmp_path / "stage" / "backend"
    monkeypatch.setenv("DESKTOP_DJANGO_STAGE_DIR", str(stage))
    # This machine's offline way to stage (the CPython running the tests, no bytecode).
    monkeypatch.setenv("DESKTOP_DJANGO_STAGE_OPTIONS", "--allow-local-python --no-bytecode")
    assert electron.test(["test/unit/stage-location.test.js"]) == 0
    assert (stage / "runtime-manifest.json").is_file()
