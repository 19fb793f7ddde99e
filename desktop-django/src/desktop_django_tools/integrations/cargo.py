"""Thin wrapper over cargo: where the Tauri shell's crates come from.

The supervisor crate needs only serde, serde_json and getrandom. Machines that cannot reach
crates.io (this project's build machines) take those from Debian's packaged crates
(`apt-get install librust-serde-json-dev librust-serde-derive-dev librust-getrandom-dev`),
passed with `cargo --config` only then, so the committed Cargo files stay normal for everyone
else. The Tauri app crate needs tauri and its plugins, which Debian does not package: without
crates.io it cannot be built at all, and the sessions say so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DEBIAN_REGISTRY = Path("/usr/share/cargo/registry")
DEBIAN_CRATE_PACKAGES = (
    "librust-serde-json-dev",
    "librust-serde-derive-dev",
    "librust-getrandom-dev",
)
DEBIAN_CRATES = ("serde", "serde_derive", "serde_json", "getrandom")
# Generous for a slow link fetching the Tauri app's crates; without a link it fails at once.
FETCH_TIMEOUT = 900


class CargoError(RuntimeError):
    pass


@dataclass(frozen=True)
class Source:
    """Where a crate's dependencies come from: crates.io (no extra arguments) or Debian."""

    name: str
    config_args: tuple[str, ...] = ()
    offline: bool = False

    def command(self, subcommand: str, manifest: Path, *args: str) -> list[str]:
        # `--config` belongs to cargo itself, so it goes before the subcommand.
        offline = ("--offline",) if self.offline else ()
        return [
            executable(), *self.config_args, subcommand,
            "--manifest-path", str(manifest), *offline, *args,
        ]  # fmt: skip


CRATES_IO = Source("crates.io")


def executable() -> str:
    found = shutil.which("cargo")
    if not found:
        raise CargoError(
            "cargo is not installed: install Rust with rustup, then run `rustup default stable`"
        )
    return found


@cache
def fetch(manifest: Path) -> tuple[bool, str]:
    """Download every dependency of `manifest`: (True, "") or (False, cargo's last words)."""
    try:
        result = subprocess.run(
            [executable(), "fetch", "--manifest-path", str(manifest)],
            capture_output=True,
            text=True,
            timeout=FETCH_TIMEOUT,
            # One attempt: an unreachable registry should answer "no" at once, not after retries.
            env={**os.environ, "CARGO_NET_RETRY": "0"},
        )
    except subprocess.TimeoutExpired:
        return False, f"cargo fetch took longer than {FETCH_TIMEOUT} s"
    lines = result.stderr.strip().splitlines()
    return result.returncode == 0, lines[-1].strip() if lines else ""


def can_fetch(manifest: Path) -> bool:
    return fetch(manifest)[0]


def debian_source() -> Source:
    registry = DEBIAN_REGISTRY.as_posix()
    return Source(
        "Debian's packaged crates",
        (
            "--config", 'source.crates-io.replace-with="debian"',
            "--config", f'source.debian.directory="{registry}"',
        ),
        offline=True,
    )  # fmt: skip


def source_for(manifest: Path) -> Source:
    """crates.io when reachable, else Debian's packaged crates, else a CargoError that says
    exactly what to install."""
    if can_fetch(manifest):
        return CRATES_IO
    if all(any(DEBIAN_REGISTRY.glob(f"{crate}-*")) for crate in DEBIAN_CRATES):
        return debian_source()
    raise CargoError(
        "crates.io is unreachable and Debian's packaged crates are missing: run "
        f"`sudo apt-get install {' '.join(DEBIAN_CRATE_PACKAGES)}`, or run on a connected machine"
    )
