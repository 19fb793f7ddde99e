"""Thin wrapper over the Tauri CLI (`@tauri-apps/cli` from npm, which ships the binary).

Sessions call these verbs; the CLI's quirks (its npm install, where its binary and its config
schema live, which bundles each OS can make) stay here.
"""

from __future__ import annotations

import platform
import shutil
from pathlib import Path

# What `tauri build --bundles` can make on each host (tauri.<os>.conf.json lists the same).
HOST_BUNDLES = {
    "Linux": ("deb", "appimage"),
    "Darwin": ("app", "dmg"),
    "Windows": ("nsis",),
}


class TauriCliError(RuntimeError):
    pass


def npm() -> str:
    found = shutil.which("npm")
    if not found:
        raise TauriCliError("npm is not installed: install Node.js 20 or newer (it ships npm)")
    return found


def install_command() -> list[str]:
    """`npm ci`: exactly the CLI version package-lock.json pins, from the npm registry only."""
    return [npm(), "ci", "--no-audit", "--no-fund"]


def binary(shell_dir: Path) -> Path:
    name = "tauri.cmd" if platform.system() == "Windows" else "tauri"
    return shell_dir / "node_modules" / ".bin" / name


def is_installed(shell_dir: Path) -> bool:
    return binary(shell_dir).exists() and config_schema(shell_dir).is_file()


def config_schema(shell_dir: Path) -> Path:
    """The Tauri v2 config JSON Schema, shipped inside the CLI's npm package."""
    return shell_dir / "node_modules" / "@tauri-apps" / "cli" / "config.schema.json"


def host_bundles() -> tuple[str, ...]:
    bundles = HOST_BUNDLES.get(platform.system())
    if not bundles:
        raise TauriCliError(f"no Tauri bundle is configured for {platform.system()}")
    return bundles


def build_command(shell_dir: Path, *extra: str) -> list[str]:
    return [str(binary(shell_dir)), "build", "--bundles", ",".join(host_bundles()), *extra]


def dev_command(shell_dir: Path, *extra: str) -> list[str]:
    return [str(binary(shell_dir)), "dev", *extra]


def bundle_dir(shell_dir: Path) -> Path:
    return shell_dir / "src-tauri" / "target" / "release" / "bundle"
