"""Thin wrapper over the git CLI for build metadata: the answer, or "" when git cannot give one
(no git installed, not a checkout), because a missing sha must never stop a build."""

from __future__ import annotations

import subprocess
from pathlib import Path


def output(repo: Path, *args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args], cwd=repo, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def visible_files(folder: Path) -> set[Path] | None:
    """Every file under `folder` that git does not ignore (tracked, or new and not ignored),
    as absolute paths; None when `folder` is not in a git work tree (or git is missing)."""
    if output(folder, "rev-parse", "--is-inside-work-tree") != "true":
        return None
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."],
            cwd=folder, capture_output=True, check=True,
        ).stdout  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return None
    names = [name for name in listed.decode("utf-8", "surrogateescape").split("\0") if name]
    return {(folder / name).absolute() for name in names}
