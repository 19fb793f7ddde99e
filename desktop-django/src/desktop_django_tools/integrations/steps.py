"""How a wrapper runs its tool for a step of a build: the command said first, the tool's
output straight to the terminal (builds are long: the user watches them), and a failure
raised as the wrapper's own ToolError naming the command."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from desktop_django_tools.errors import ToolError


def run(
    command: Sequence[str],
    *,
    cwd: Path,
    error: type[ToolError],
    name: str,
    env: Mapping[str, str] | None = None,
) -> None:
    """Run `command` in `cwd`; `name` is how the failure names it (`cargo build`)."""
    print(f"$ {' '.join(map(str, command))}", flush=True)
    try:
        status = subprocess.run(list(command), cwd=cwd, env=env, check=False).returncode
    except FileNotFoundError:
        raise error(f"`{name}`: {command[0]} is not installed",
                    "`nox -s doctor` says how to get it") from None  # fmt: skip
    if status != 0:
        raise error(f"`{name}` failed (exit {status})", "its output above says why")
