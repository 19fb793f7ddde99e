"""Which shell `nox -s dev` runs: the best this machine can run, with the reason said.

Electron when its binary is here, else Tauri when it has been built once and can be built
(a cargo as new as the lock needs, WebKitGTK headers on Linux), else Positron. A Tauri that can
be built but never was is not chosen on its own: its first build takes minutes, Positron opens
in seconds, and the reason says how to build Tauri. A display is needed for any window;
without one the answer says so and points at the browser mode.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from desktop_django_tools import locations
from desktop_django_tools.integrations import npm
from desktop_django_tools.integrations.electron_builder import ELECTRON_DIST_VARIABLE
from desktop_django_tools.shells import tauri


@dataclass(frozen=True)
class Choice:
    shell: str | None
    reason: str


def has_display() -> bool:
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def electron_unavailable() -> str | None:
    """Why Electron cannot open a window here, or None. Never downloads anything. A node
    older than the lock declares is said with the missing binary (npm would fetch it), not
    on its own: a binary already here runs whatever the node."""
    if os.environ.get(ELECTRON_DIST_VARIABLE):
        return None
    root = locations.workspace_root()
    dist = root / "shells" / "electron" / "node_modules" / "electron" / "dist" if root else None
    if dist is not None and dist.is_dir() and any(dist.iterdir()):
        return None
    reason = (
        "no Electron binary (npm downloads it from GitHub; set ELECTRON_MIRROR or "
        f"{ELECTRON_DIST_VARIABLE})"
    )
    old_node = npm.node_older_than_declared(root / "shells" / "electron") if root else None
    return f"{reason}, and {old_node}" if old_node else reason


def tauri_unavailable() -> str | None:
    """Why `nox -s dev` does not pick Tauri on its own here, or None."""
    root = locations.workspace_root()
    if root is None:
        return "not in a checkout of the starter"
    shell = root / "shells" / "tauri"
    why_not = tauri.unavailable(shell)
    if why_not:
        return why_not
    if not tauri.built(shell):
        return (
            f"it is not built yet (its first build takes {tauri.FIRST_BUILD_TIME}, once): "
            "`nox -s dev -- --shell tauri` builds and opens it, and `nox -s dev` picks it after"
        )
    return None


def choose(requested: str | None = None) -> Choice:
    if not has_display():
        return Choice(
            None,
            "no display here (DISPLAY/WAYLAND_DISPLAY unset): run under `xvfb-run -a`, or use "
            "`nox -s dev -- --browser` for the backend in a browser",
        )
    if requested:
        return Choice(requested, f"{requested}, as asked (--shell)")
    skipped = []
    for shell, unavailable in (("electron", electron_unavailable), ("tauri", tauri_unavailable)):
        why_not = unavailable()
        if why_not is None:
            return Choice(shell, f"{shell}: the first shell this machine can run")
        skipped.append(f"not {shell}: {why_not}")
    return Choice("positron", "positron (" + "; ".join(skipped) + ")")
