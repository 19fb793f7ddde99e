"""Thin wrapper over the Tauri CLI (`@tauri-apps/cli` from npm, which ships the binary).

Sessions call these verbs; the CLI's quirks (its npm install, where its binary and its config
schema live, which bundles each OS can make here, how it signs updates) stay here.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Mapping
from pathlib import Path

from desktop_django_tools.errors import ToolError
from desktop_django_tools.integrations import npm, steps

# What `tauri build --bundles` makes on each host without downloading anything.
HOST_BUNDLES = {
    "Linux": ("deb", "rpm"),
    "Darwin": ("app", "dmg"),
    "Windows": ("nsis",),
}
# Said once per Linux package run, instead of failing on a download halfway through.
APPIMAGE_NOTICE = (
    "AppImage skipped: the Tauri bundler downloads linuxdeploy and its plugins from GitHub "
    "for it; add `--bundles appimage` where those downloads are allowed"
)


class TauriCliError(ToolError):
    pass


# The @tauri-apps/cli package's own Node.js floor (its package.json `engines`).
MIN_NODE = (18, 0)


def install_command() -> list[str]:
    """`npm ci`: exactly the CLI version package-lock.json pins, from the npm registry only
    (through the one npm wrapper, whose errors say what to install)."""
    return npm.ci_command(minimum=MIN_NODE)


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


def config_arg(overrides: dict) -> list[str]:
    """`--config JSON`: merged onto tauri.conf.json (RFC 7396) for this one build."""
    return ["--config", json.dumps(overrides, separators=(",", ":"))] if overrides else []


def build_command(
    shell_dir: Path, bundles: tuple[str, ...], overrides: dict | None = None, *extra: str
) -> list[str]:
    return [
        str(binary(shell_dir)), "build", "--bundles", ",".join(bundles),
        *config_arg(overrides or {}), *extra,
    ]  # fmt: skip


def signer_generate_command(shell_dir: Path, private_key: Path, password: str) -> list[str]:
    """A new updater key pair: `private_key` and `private_key` + `.pub` (minisign format)."""
    return [
        str(binary(shell_dir)), "signer", "generate", "--ci", "--force",
        "--write-keys", str(private_key), "--password", password,
    ]  # fmt: skip


def signing_env(private_key: Path, password: str) -> dict[str, str]:
    """What `tauri build` reads to sign updater artifacts (`bundle.createUpdaterArtifacts`)."""
    return {
        "TAURI_SIGNING_PRIVATE_KEY": private_key.read_text(encoding="utf-8"),
        "TAURI_SIGNING_PRIVATE_KEY_PASSWORD": password,
    }


def bundle_dir(target_dir: Path) -> Path:
    return target_dir / "release" / "bundle"


def bundles_built(target_dir: Path, bundles: tuple[str, ...]) -> list[Path]:
    """The artifacts of one build: `bundle/<format>/*.<format>` (plus updater signatures)."""
    found: list[Path] = []
    for bundle in bundles:
        folder = bundle_dir(target_dir) / bundle
        if folder.is_dir():
            found.extend(sorted(p for p in folder.iterdir() if p.is_file()))
    return found


def install(shell_dir: Path) -> None:
    """The CLI exactly as package-lock.json pins it, unless it is installed already."""
    if not is_installed(shell_dir):
        steps.run(install_command(), cwd=shell_dir, error=TauriCliError, name="npm ci")


def build(
    shell_dir: Path,
    bundles: tuple[str, ...],
    overrides: dict | None = None,
    *extra: str,
    env: Mapping[str, str] | None = None,
) -> None:
    """`tauri build` (release binary + bundles); a failure is a TauriCliError."""
    command = build_command(shell_dir, bundles, overrides, *extra)
    steps.run(command, cwd=shell_dir, env=env, error=TauriCliError, name="tauri build")
