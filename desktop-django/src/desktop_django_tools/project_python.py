"""A wrapped project's own interpreter, and the environment a desktop app's code starts in.

Below both the wrap (its preflight probes the project with them) and the stage (its proof
re-runs a failed import in the project's own environment to tell what the stage broke from
what was broken already).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# nox replaces VIRTUAL_ENV with its session's own venv; `nox -s wrap` passes the one the user
# had active in this variable (empty: none was active).
USER_VIRTUAL_ENV = "DESKTOP_DJANGO_USER_VIRTUAL_ENV"
VENV_PYTHON = "Scripts/python.exe" if sys.platform == "win32" else "bin/python"
NO_INTERPRETER = (
    "no interpreter for the project: activate its virtualenv, create .venv/ (or venv/) in "
    "{root}, or pass --python PATH"
)


def active_virtualenv() -> tuple[str, str] | None:
    """(folder, where it came from) of the virtualenv the user had active, if any."""
    if USER_VIRTUAL_ENV in os.environ:
        value = os.environ[USER_VIRTUAL_ENV].strip()
        return (value, f"the active virtualenv (${USER_VIRTUAL_ENV})") if value else None
    value = os.environ.get("VIRTUAL_ENV", "").strip()
    if value and os.environ.get("NOX_CURRENT_SESSION") and Path(value) == Path(sys.prefix):
        return None  # nox's own session venv, running this command: not the user's
    return (value, "the active virtualenv ($VIRTUAL_ENV)") if value else None


def find_python(root: Path, explicit: Path | None) -> tuple[Path | None, str]:
    """The interpreter that can import the project, the way a user expects it to be chosen:
    --python, the virtualenv they had active, .venv/ or venv/ in the project. (None, what to
    do) when there is none, so the checks that need no interpreter still run."""
    if explicit:
        if not explicit.exists():
            return None, f"--python {explicit} does not exist: pass an interpreter path"
        return explicit.absolute(), "--python"
    active = active_virtualenv()
    if active:
        candidate = Path(active[0]) / VENV_PYTHON
        if not candidate.exists():
            return None, (
                f"{active[1]} is {active[0]}, which has no {VENV_PYTHON}: activate the "
                "project's virtualenv, or pass --python PATH"
            )
        return candidate, active[1]
    for folder in (".venv", "venv"):
        candidate = root / folder / VENV_PYTHON
        if candidate.exists():
            return candidate, f"the project's {folder}/"
    return None, NO_INTERPRETER.format(root=root)


def probe_environment() -> dict:
    """What a desktop app starts with: no DJANGO_*, DATABASE_URL or secrets from a shell."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TEMP", "TMP", "SYSTEMROOT",
            "USERPROFILE", "APPDATA", "LOCALAPPDATA", "PATHEXT", "COMSPEC")  # fmt: skip
    return {k: v for k, v in os.environ.items() if k in keep}
