"""`python -m <app>.desktop diagnostics PATH`: one zip for a support request.

It holds the logs, the stage manifest, versions, the database's integrity check and a
listing of the app-data folder. Only the logs are copied: the user's data, the per-install
secret key and the owner record (with the single-instance IPC token) appear by name and size
in the listing only, and the secret key, the session token or an IPC token that still turns
up in a log line is replaced before the line is written.

It reads the database through a read-only SQLite connection and starts no Django, so it
works when the app cannot start: that is when a support request is made.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import sqlite3
import sys
import time
import zipfile
from importlib import metadata
from pathlib import Path

from desktop_django import env
from desktop_django.app_data import AppData
from desktop_django.manifest import MANIFEST_NAME

REDACTED = "[redacted]"
# Distributions whose versions a support request needs.
VERSIONED = ("django", "desktop-django", "waitress", "whitenoise", "django-tasks-db")


def write(destination: Path, app_data: AppData, stage_dir: Path | None) -> Path:
    """Write the zip at `destination` (a folder gets a timestamped file name in it)."""
    if destination.is_dir():
        stamp = time.strftime("%Y%m%d-%H%M%S")
        destination = destination / f"diagnostics-{stamp}.zip"
    secrets_to_hide = _secret_values(app_data)
    with zipfile.ZipFile(destination, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("versions.json", json.dumps(_versions(), indent=2))
        archive.writestr("database.json", json.dumps(_database_report(app_data), indent=2))
        archive.writestr("app-data.txt", "\n".join(_listing(app_data.root)) + "\n")
        manifest = stage_dir / MANIFEST_NAME if stage_dir else None
        if manifest is not None and manifest.is_file():
            archive.write(manifest, MANIFEST_NAME)
        for log in sorted(app_data.logs.glob("*.log*")) if app_data.logs.is_dir() else ():
            archive.writestr(f"logs/{log.name}", _redacted(log, secrets_to_hide))
    return destination


def _secret_values(app_data: AppData) -> list[str]:
    values = [os.environ.get(env.AUTH_TOKEN, "")]
    with contextlib.suppress(OSError):
        values.append(app_data.secret_key_file.read_text(encoding="utf-8").strip())
    try:
        owner = json.loads((app_data.root / "app.owner.json").read_text(encoding="utf-8"))
        values += [str(v) for k, v in owner.items() if "token" in k.lower()]
    except (OSError, ValueError, AttributeError):
        pass
    # Short values could match ordinary text; real tokens and keys are long.
    return [value for value in values if len(value) >= 16]


def _redacted(path: Path, secrets_to_hide: list[str]) -> str:
    text = path.read_text(encoding="utf-8", errors="replace")
    for value in secrets_to_hide:
        text = text.replace(value, REDACTED)
    return text


def _versions() -> dict:
    packages = {}
    for name in VERSIONED:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = None
    return {
        "python": sys.version,
        "executable": sys.executable,
        "platform": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
        "packages": packages,
        "settings": os.environ.get(env.SETTINGS_MODULE, ""),
    }


def _database_report(app_data: AppData) -> dict:
    database = app_data.database
    report: dict = {"path": str(database), "exists": database.is_file()}
    if not report["exists"]:
        return report
    report["bytes"] = database.stat().st_size
    try:
        # Read-only: a support export must never change the user's database.
        connection = sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True, timeout=5)
        try:
            report["integrity_check"] = [row[0] for row in connection.execute(
                "PRAGMA integrity_check"
            )]  # fmt: skip
            report["user_version"] = connection.execute("PRAGMA user_version").fetchone()[0]
            report["journal_mode"] = connection.execute("PRAGMA journal_mode").fetchone()[0]
        finally:
            connection.close()
    except sqlite3.Error as exc:
        report["error"] = f"{exc.__class__.__name__}: {exc}"
    return report


def _listing(root: Path) -> list[str]:
    lines = [f"# {root}", "# size_bytes  modified_utc  path"]
    if not root.is_dir():
        return [*lines, "(missing)"]
    for path in sorted(root.rglob("*")):
        if path.is_file():
            info = path.stat()
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(info.st_mtime))
            lines.append(f"{info.st_size:>12}  {stamp}  {path.relative_to(root).as_posix()}")
    return lines
