"""Thin wrapper over cargo for the Tauri shell's workspace.

`shells/tauri` is one Cargo workspace (the app crate and its supervisor crate) with one
committed Cargo.lock and one target folder, so every command here runs `--locked` against the
workspace manifest, and a build made by one step (the tests) is reused by the next (packaging).
"""

from __future__ import annotations

import os
import platform
import shutil
from pathlib import Path


class CargoError(RuntimeError):
    pass


def executable() -> str:
    found = shutil.which("cargo")
    if not found:
        raise CargoError(
            "cargo is not installed: install Rust with rustup (https://rustup.rs), then run "
            "`rustup default stable`"
        )
    return found


def manifest(workspace: Path) -> Path:
    path = workspace / "Cargo.toml"
    if not path.is_file():
        raise CargoError(f"{path} is missing: {workspace} is not the Tauri shell's workspace")
    return path


def command(subcommand: str, workspace: Path, *args: str) -> list[str]:
    """`cargo SUBCOMMAND` on the workspace, refusing to change Cargo.lock."""
    return [
        executable(), subcommand, "--manifest-path", str(manifest(workspace)), "--locked", *args,
    ]  # fmt: skip


def build_command(workspace: Path, *, release: bool = False) -> list[str]:
    return command("build", workspace, *(["--release"] if release else []))


def test_command(workspace: Path, *args: str) -> list[str]:
    return command("test", workspace, "--workspace", *args)


def clippy_command(workspace: Path) -> list[str]:
    """Every target of every crate, with each warning an error."""
    return [*command("clippy", workspace, "--workspace", "--all-targets"), "--", "-D", "warnings"]


def target_dir(workspace: Path) -> Path:
    """Where cargo builds: `$CARGO_TARGET_DIR` when set, else the workspace's `target/`."""
    configured = os.environ.get("CARGO_TARGET_DIR", "").strip()
    if configured:
        return (workspace / configured).resolve()
    return workspace / "target"


def binary(workspace: Path, name: str, *, release: bool) -> Path:
    suffix = ".exe" if platform.system() == "Windows" else ""
    profile = "release" if release else "debug"
    return target_dir(workspace) / profile / f"{name}{suffix}"


def install_command(crate: str, version: str, root: Path) -> list[str]:
    """`cargo install` of one exact version, with the crate's own lock file, into `root/bin`
    (kept out of the user's ~/.cargo so the version the tests need cannot drift)."""
    return [
        executable(), "install", crate, "--version", f"={version}", "--locked",
        "--root", str(root),
    ]  # fmt: skip


def installed_binary(root: Path, name: str) -> Path:
    suffix = ".exe" if platform.system() == "Windows" else ""
    return root / "bin" / f"{name}{suffix}"
