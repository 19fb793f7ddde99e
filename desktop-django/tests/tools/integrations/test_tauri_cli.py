"""The Tauri CLI wrapper: bundles per OS, config overrides, and a real updater key pair."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from desktop_django_testing.ci import require_in_ci
from desktop_django_tools.integrations import npm, tauri_cli

SHELL = Path(__file__).resolve().parents[4] / "shells" / "tauri"


def test_linux_packages_are_deb_and_rpm_without_downloads(monkeypatch):
    monkeypatch.setattr(tauri_cli.platform, "system", lambda: "Linux")
    assert tauri_cli.host_bundles() == ("deb", "rpm")
    assert "AppImage" in tauri_cli.APPIMAGE_NOTICE


def test_an_unknown_os_is_an_error(monkeypatch):
    monkeypatch.setattr(tauri_cli.platform, "system", lambda: "Plan9")
    with pytest.raises(tauri_cli.TauriCliError, match="Plan9"):
        tauri_cli.host_bundles()


def test_overrides_travel_as_one_json_config_argument():
    overrides = {"version": "0.1.1", "bundle": {"createUpdaterArtifacts": True}}
    command = tauri_cli.build_command(SHELL, ("deb",), overrides)
    at = command.index("--config")
    assert json.loads(command[at + 1]) == overrides
    assert command[command.index("--bundles") + 1] == "deb"
    assert "--config" not in tauri_cli.build_command(SHELL, ("deb",))


def test_the_built_artifacts_are_found_per_format(tmp_path):
    bundle = tauri_cli.bundle_dir(tmp_path)
    (bundle / "deb" / "App_0.1.0_amd64").mkdir(parents=True)  # the bundler's staging folder
    (bundle / "deb" / "App_0.1.0_amd64.deb").write_bytes(b"deb")
    (bundle / "rpm").mkdir()
    (bundle / "rpm" / "App-0.1.0-1.x86_64.rpm").write_bytes(b"rpm")
    found = [p.name for p in tauri_cli.bundles_built(tmp_path, ("deb", "rpm", "appimage"))]
    assert found == ["App_0.1.0_amd64.deb", "App-0.1.0-1.x86_64.rpm"]


def test_signer_generate_makes_a_key_pair_the_build_can_sign_with(tmp_path):
    if shutil.which("npm") is None:
        require_in_ci("npm is not installed (the Tauri CLI comes from the npm registry)")
    from desktop_django_tools.shells import tauri

    tauri.ensure_cli(SHELL)
    key = tmp_path / "updates.key"
    subprocess.run(
        tauri_cli.signer_generate_command(SHELL, key, "test-password"),
        check=True,
        capture_output=True,
    )
    public = base64.b64decode(Path(f"{key}.pub").read_text(encoding="utf-8"))
    assert public.startswith(b"untrusted comment: minisign public key")
    env = tauri_cli.signing_env(key, "test-password")
    assert env["TAURI_SIGNING_PRIVATE_KEY"] == key.read_text(encoding="utf-8")
    assert env["TAURI_SIGNING_PRIVATE_KEY_PASSWORD"] == "test-password"


def test_the_cli_install_goes_through_the_one_npm_wrapper(monkeypatch, tmp_path):
    """Without node on PATH, the install step says so (npm's error, not a re-wrapped copy)."""
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(npm.NpmError, match=r"Node\.js is not installed"):
        tauri_cli.install_command()
