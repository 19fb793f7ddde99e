"""Thin wrapper over electron-builder: every electron-builder quirk lives here.

- It downloads 7-Zip from GitHub on first use (v26). A system 7za (Debian: p7zip-full) is
  used instead when present, through ELECTRON_BUILDER_7ZIP_PATH.
- It downloads the Electron distribution for each target unless given one:
  ELECTRON_OVERRIDE_DIST_PATH, the electron package's own variable for an unpacked Electron
  (so one setting serves dev runs and packaging; read by shells/electron/packaging/
  builder-config.js), else the binary npm installed in node_modules/electron/dist.
- It writes into its output folder its unpacked app (`linux-unpacked/`) and its logs beside
  the artifacts: it works in build/electron/<version>/ (DESKTOP_DJANGO_ELECTRON_OUT), and
  only the artifacts move on to the release folder.
- AppImage and deb need more tools it downloads from GitHub; `dir` and `tar.gz` build
  offline. Machines without GitHub access pass those two as targets.
- On macOS, without CSC_LINK/CSC_NAME it would still sign with the first identity in the
  keychain; identity discovery is turned off so "no credentials" really means unsigned.
- Always `--publish never`: uploading a release is a separate, deliberate step.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from desktop_django import env as contract

from desktop_django_tools.errors import ToolError

PLATFORM_FLAGS = {"linux": "--linux", "darwin": "--mac", "win32": "--win"}
OFFLINE_TARGETS = ("dir", "tar.gz")
CONFIG_FILE = "electron-builder.config.js"
CLI = "node_modules/electron-builder/cli.js"
ELECTRON_DIST_VARIABLE = "ELECTRON_OVERRIDE_DIST_PATH"
OUTPUT_VARIABLE = "DESKTOP_DJANGO_ELECTRON_OUT"
SEVEN_ZIP_VARIABLE = "ELECTRON_BUILDER_7ZIP_PATH"


class ElectronBuilderError(ToolError):
    pass


def platform_flag(platform: str = sys.platform) -> str:
    key = "linux" if platform.startswith("linux") else platform
    try:
        return PLATFORM_FLAGS[key]
    except KeyError:
        raise ElectronBuilderError(f"electron-builder cannot package on {platform}") from None


def build_command(
    node: str, targets: Sequence[str] = (), platform: str = sys.platform
) -> list[str]:
    """Run in shells/electron. No targets: the ones the config lists for this OS."""
    return [
        node, CLI,
        platform_flag(platform), *targets,
        "--config", CONFIG_FILE, "--publish", "never",
    ]  # fmt: skip


def require_installed(shell_dir: Path) -> None:
    """electron-builder comes from the shell's package-lock.json (`npm ci`), not from PATH."""
    if not (shell_dir / CLI).is_file():
        raise ElectronBuilderError(
            f"electron-builder is not installed in {shell_dir} (no {CLI}): run `npm ci` there "
            "(nox -s package -- electron does)"
        )


def build_env(
    environ: Mapping[str, str],
    *,
    stage_dir: Path | None = None,
    output_dir: Path | None = None,
    electron_dist: Path | None = None,
) -> dict[str, str]:
    """The variables to add to `environ` for electron-builder (and the packaging test that
    runs it). Only what is given, plus the quirk settings."""
    env = {}
    if stage_dir is not None:
        env[contract.STAGE_DIR] = str(stage_dir)
    if output_dir is not None:
        env[OUTPUT_VARIABLE] = str(output_dir)
    if electron_dist is not None:
        env[ELECTRON_DIST_VARIABLE] = str(electron_dist)
    system_7za = shutil.which("7za")
    if system_7za and not environ.get(SEVEN_ZIP_VARIABLE):
        env[SEVEN_ZIP_VARIABLE] = system_7za
    if not (environ.get("CSC_LINK") or environ.get("CSC_NAME")):
        env["CSC_IDENTITY_AUTO_DISCOVERY"] = "false"
    return env
