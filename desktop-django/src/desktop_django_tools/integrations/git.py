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
