"""The electron-builder wrapper: its command, the quirk settings it adds, and that the
variables it sets are the ones the shell's real builder config (JavaScript) reads."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from desktop_django_testing.ci import only_on, require_in_ci
from desktop_django_testing.paths import REPO_ROOT
from desktop_django_tools.integrations import electron_builder

ELECTRON_SHELL = REPO_ROOT / "shells" / "electron"


@pytest.mark.parametrize(
    ("platform", "flag"),
    [("linux", "--linux"), ("linux2", "--linux"), ("darwin", "--mac"), ("win32", "--win")],
)
def test_one_platform_flag_per_os(platform, flag):
    assert electron_builder.platform_flag(platform) == flag


def test_an_os_electron_builder_cannot_package_on_is_named():
    with pytest.raises(electron_builder.ElectronBuilderError, match="cannot package on sunos5"):
        electron_builder.platform_flag("sunos5")


def test_the_command_never_publishes_and_passes_targets_through():
    command = electron_builder.build_command("node", ["dir", "tar.gz"], platform="linux")
    assert command == [
        "node", "node_modules/electron-builder/cli.js", "--linux", "dir", "tar.gz",
        "--config", "electron-builder.config.js", "--publish", "never",
    ]  # fmt: skip
    # No targets: the ones the config lists for the OS.
    assert electron_builder.build_command("node", [], platform="darwin")[2:4] == [
        "--mac",
        "--config",
    ]


def seven_zip_on_path(monkeypatch, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    tool = folder / "7za"
    tool.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", str(folder))
    return tool


@only_on("linux", "darwin", reason="a POSIX executable stands for 7za")
def test_a_system_7za_replaces_the_github_download(monkeypatch, tmp_path):
    tool = seven_zip_on_path(monkeypatch, tmp_path / "bin")
    assert electron_builder.build_env({})["ELECTRON_BUILDER_7ZIP_PATH"] == str(tool)
    # One the user chose is kept.
    chosen = electron_builder.build_env({"ELECTRON_BUILDER_7ZIP_PATH": "/opt/7za"})
    assert "ELECTRON_BUILDER_7ZIP_PATH" not in chosen


def test_without_7za_electron_builder_is_left_to_its_own_download(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert "ELECTRON_BUILDER_7ZIP_PATH" not in electron_builder.build_env({})


@pytest.mark.parametrize(
    ("environ", "discovery_off"),
    [({}, True), ({"CSC_LINK": "cert.p12"}, False), ({"CSC_NAME": "Developer ID"}, False)],
)
def test_no_signing_credentials_means_no_keychain_identity_either(environ, discovery_off):
    env = electron_builder.build_env(environ)
    assert (env.get("CSC_IDENTITY_AUTO_DISCOVERY") == "false") is discovery_off


def test_only_the_given_locations_are_set(tmp_path):
    assert not {"DESKTOP_DJANGO_STAGE_DIR", "DESKTOP_DJANGO_ELECTRON_OUT",
                "ELECTRON_OVERRIDE_DIST_PATH"} & set(electron_builder.build_env({}))  # fmt: skip
    env = electron_builder.build_env(
        {}, stage_dir=tmp_path / "stage", output_dir=tmp_path / "out", electron_dist=tmp_path / "e"
    )
    assert env["DESKTOP_DJANGO_STAGE_DIR"] == str(tmp_path / "stage")
    assert env["DESKTOP_DJANGO_ELECTRON_OUT"] == str(tmp_path / "out")
    # Electron's own variable for an unpacked Electron, the same one dev runs use.
    assert env["ELECTRON_OVERRIDE_DIST_PATH"] == str(tmp_path / "e")


def test_electron_builder_missing_from_the_shell_says_npm_ci(tmp_path):
    with pytest.raises(electron_builder.ElectronBuilderError, match=r"run `npm ci` there"):
        electron_builder.require_installed(tmp_path)


@pytest.fixture
def installed_shell() -> Path:
    if shutil.which("node") is None:
        require_in_ci("Node.js is not installed")
    if not (ELECTRON_SHELL / electron_builder.CLI).is_file():
        require_in_ci("shells/electron has no node_modules (run `npm ci` there)")
    electron_builder.require_installed(ELECTRON_SHELL)
    return ELECTRON_SHELL


def builder_config(env: dict) -> dict:
    """What shells/electron/packaging/builder-config.js decides under `env`."""
    script = (
        "const { createBuilderConfig } = require('./packaging/builder-config');"
        "const r = createBuilderConfig({ env: process.env, platform: 'linux' });"
        "console.log(JSON.stringify({ output: r.config.directories.output,"
        " dist: r.config.electronDist, layoutOnly: r.layoutOnly, stage: r.stageDir,"
        " name: r.config.artifactName }));"
    )
    done = subprocess.run(
        ["node", "-e", script], cwd=ELECTRON_SHELL, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_builder_config_reads_what_the_wrapper_sets(installed_shell, tmp_path):
    stage = tmp_path / "stage"
    stage.mkdir()
    (stage / "runtime-manifest.json").write_text('{"app": {"version": "9.8.7"}}')
    dist = tmp_path / "unpacked-electron"
    dist.mkdir()
    env = {**os.environ, **electron_builder.build_env(
        os.environ, stage_dir=stage, output_dir=tmp_path / "work", electron_dist=dist
    )}  # fmt: skip
    decided = builder_config(env)
    assert decided["stage"] == str(stage)
    assert decided["output"] == str(tmp_path / "work")
    assert decided["dist"] == str(dist)
    assert decided["layoutOnly"] is False
    assert "layout-only" not in decided["name"]


def test_the_stand_in_electron_makes_a_layout_only_config(installed_shell, tmp_path):
    made = subprocess.run(
        ["node", "packaging/electron-dist-standin.js", str(tmp_path)],
        cwd=ELECTRON_SHELL, capture_output=True, text=True, check=True,
    )  # fmt: skip
    stage = tmp_path / "stage"
    stage.mkdir()
    (stage / "runtime-manifest.json").write_text('{"app": {"version": "9.8.7"}}')
    env = {**os.environ, **electron_builder.build_env(
        os.environ, stage_dir=stage, electron_dist=Path(made.stdout.strip())
    )}  # fmt: skip
    env.pop("DESKTOP_DJANGO_ELECTRON_OUT", None)
    decided = builder_config(env)
    assert decided["layoutOnly"] is True
    assert decided["name"].startswith("${name}-layout-only-")
    assert decided["output"] == str(REPO_ROOT / "build" / "electron-layout-only" / "9.8.7")
