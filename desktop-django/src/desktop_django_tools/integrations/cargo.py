"""Thin wrapper over cargo for the Tauri shell's workspace.

`shells/tauri` is one Cargo workspace (the app crate and its supervisor crate) with one
committed Cargo.lock and one target folder, so every command here runs `--locked` against the
workspace manifest, and a build made by one step (the tests) is reused by the next (packaging).
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # nox's own interpreter may be 3.10, and nox requires tomli there
    import tomli as tomllib

from desktop_django_tools.errors import ToolError
from desktop_django_tools.integrations import steps


class CargoError(ToolError):
    pass


def executable() -> str:
    found = shutil.which("cargo")
    if not found:
        raise CargoError("cargo is not installed", RUSTUP_HINT)
    return found


# How to get a current Rust. Debian 13 ships a second, newer Rust in main (cargo-web: the
# toolchain its browsers are built with, 1.96, security-supported) that replaces the 1.85
# `cargo` from Debian's own mirror, so it works where static.rust-lang.org (which rustup
# downloads from) is out of reach; everywhere else it is rustup.
RUSTUP_HINT = (
    "install a current Rust (Debian 13: `sudo apt-get install cargo-web`; elsewhere rustup "
    "from https://rustup.rs, then `rustup default stable`)"
)
RUST_VERSION = re.compile(r"\b(\d+)\.(\d+)(?:\.(\d+))?")


def version_tuple(text: str) -> tuple[int, int, int] | None:
    """(1, 85, 1) from `cargo 1.85.1 (d73d2caf9 2024-12-31)` or a `rust-version` like 1.90."""
    found = RUST_VERSION.search(text)
    return tuple(int(part or 0) for part in found.groups()) if found else None


def installed_version() -> str | None:
    """The first line of `cargo --version`, or None when there is no (working) cargo."""
    if not shutil.which("cargo"):
        return None
    try:
        out = subprocess.run(["cargo", "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    lines = out.stdout.strip().splitlines()
    return lines[0] if out.returncode == 0 and lines else None


def required_version(workspace: Path) -> str:
    """The workspace's `rust-version`: the oldest Rust that builds its Cargo.lock."""
    with manifest(workspace).open("rb") as handle:
        declared = tomllib.load(handle).get("workspace", {}).get("package", {})
    if "rust-version" not in declared:
        raise CargoError(f"{manifest(workspace)} declares no [workspace.package] rust-version")
    return declared["rust-version"]


def too_old(installed: str, required: str) -> str | None:
    """Why `installed` (a `cargo --version` line) cannot build a lock that needs `required`,
    with the fix; None when it can."""
    have, need = version_tuple(installed), version_tuple(required)
    if have is None or need is None or have >= need:
        return None
    upgrade = "`rustup update stable`" if shutil.which("rustup") else RUSTUP_HINT
    return f"{installed} is older than the Rust {required} Cargo.lock needs: {upgrade}"


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


def run(command: list[str], cwd: Path) -> None:
    """One of the commands above, run; a failure is a CargoError naming it."""
    steps.run(command, cwd=cwd, error=CargoError, name=f"cargo {command[1]}")


def build(workspace: Path, *, release: bool = False) -> None:
    run(build_command(workspace, release=release), workspace)


def test(workspace: Path, *args: str) -> None:
    run(test_command(workspace, *args), workspace)


def clippy(workspace: Path) -> None:
    run(clippy_command(workspace), workspace)


def install(crate: str, version: str, root: Path, cwd: Path) -> Path:
    """`install_command`, run; the installed binary."""
    run(install_command(crate, version, root), cwd)
    return installed_binary(root, crate)
