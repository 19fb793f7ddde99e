"""Dev runs keep their data in `<workspace>/.devdata/<name>`, never in the installed app's
folder: a dev database may be migrated ahead of the release a user has installed."""

from __future__ import annotations

from pathlib import Path

from desktop_django_tools import locations


def folder(name: str) -> Path:
    root = locations.workspace_root() or Path.cwd()
    return root / ".devdata" / name
