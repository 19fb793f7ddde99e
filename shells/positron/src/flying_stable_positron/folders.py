"""Positron's folders: the app data folder known before Toga is imported, and opening a folder
in the OS file manager (Toga has no API for it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def toolkit_names(app_id: str) -> dict[str, str]:
    """Toga's app_id and app_name for a stage's app id; the name also names its data folder."""
    name = f"{app_id}-positron"
    return {"app_id": f"org.desktopdjangostarter.{name}", "app_name": name}


def data_dir_before_toolkit(app_id: str) -> Path | None:
    """The folder Toga's `app.paths.data` will be, where that is known without importing Toga,
    so the backend can start before the toolkit loads: on Linux, toga-gtk's rule (tested
    against it). Elsewhere None: the backend starts once Toga has said (macOS and Windows add
    the app's author and formal name, read from the app)."""
    if not sys.platform.startswith("linux"):
        return None
    return Path.home() / ".local" / "share" / toolkit_names(app_id)["app_name"]


def open_folder(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    if sys.platform == "win32":
        os.startfile(path)  # noqa: S606 - a folder we own, not user input
    elif sys.platform == "darwin":
        subprocess.Popen(["open", str(path)])
    else:
        subprocess.Popen(["xdg-open", str(path)])
