"""Precompile bytecode so the first launch compiles nothing.

`unchecked-hash` .pyc files are used without looking at the source's timestamp, so they stay
valid after the stage is copied, unpacked or moved (all of which change mtimes), and they are
byte-for-byte reproducible. Stripping the stage root from the recorded file names keeps the
build machine's paths out of every .pyc.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from desktop_django_tools.stage.errors import StageError
from desktop_django_tools.stage.files import walk_files


def compile_tree(python: Path, stage_root: Path, folders: list[Path]) -> int:
    command = [
        str(python), "-I", "-m", "compileall", "-q", "-f", "-j", "0",
        "--invalidation-mode", "unchecked-hash",
        "-s", str(stage_root), "-p", "",
        # Template sources shipped by Django and friends are not meant to compile.
        "-x", r"(app_template|project_template)/",
        *map(str, folders),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise StageError(
            "compileall failed on the stage's files",
            "the log names the file that does not compile; fix it or stage with --no-bytecode",
            detail=result.stdout + result.stderr,
        )
    return sum(1 for path in walk_files(stage_root) if path.suffix == ".pyc")
