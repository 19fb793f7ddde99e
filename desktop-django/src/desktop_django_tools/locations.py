"""Where things are: the one answer, in Python, to "where is the stage?" and "which project?".

The stage folder is `$DESKTOP_DJANGO_STAGE_DIR` when set, else `<project root>/.stage/backend`,
for the demo workspace and for a wrapped project alike (both names are the runtime's:
`desktop_django.env.STAGE_DIR`, `desktop_django.manifest.STAGE_SUBDIR`). The shells compute
the same rule in their own language (Electron: `shells/electron/src/main/stage-location.js`;
Tauri: `supervisor` crate), each in one place.
"""

from __future__ import annotations

import os
from pathlib import Path

from desktop_django import env
from desktop_django.manifest import STAGE_SUBDIR

from desktop_django_tools.errors import ToolError

# In a checkout these tools live at <workspace>/desktop-django/src/desktop_django_tools.
_CHECKOUT_ROOT = Path(__file__).resolve().parents[3]


def stage_dir(project_root: Path | None = None) -> Path:
    """The stage folder for a project (default: the demo workspace, else the current folder)."""
    configured = os.environ.get(env.STAGE_DIR, "").strip()
    if configured:
        return Path(configured).absolute()
    root = project_root or workspace_root() or Path.cwd()
    return (root / STAGE_SUBDIR).absolute()


def workspace_root() -> Path | None:
    """This starter's workspace when the tools run from a checkout of it, else None."""
    if is_workspace(_CHECKOUT_ROOT):
        return _CHECKOUT_ROOT
    return None


def is_workspace(folder: Path) -> bool:
    return (folder / "backend" / "pyproject.toml").is_file() and (
        folder / "desktop-django" / "pyproject.toml"
    ).is_file()


def require_workspace(what: str) -> Path:
    """The workspace root, or an error saying `what` needs a checkout of this starter."""
    root = workspace_root()
    if root is None:
        raise ToolError(
            f"{what} needs a checkout of the Desktop Django Starter",
            "outside one, pass --project PATH (a project wrapped by `desktop-django wrap`)",
        )
    return root


def runtime_source() -> Path | None:
    """The desktop-django source folder (to build its wheel from) in a checkout, else None."""
    source = _CHECKOUT_ROOT / "desktop-django"
    return source if (source / "pyproject.toml").is_file() else None
