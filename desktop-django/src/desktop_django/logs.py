"""Log files under `<app data>/logs/`, one rotating file per process role."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

MAX_BYTES = 1_000_000
BACKUP_COUNT = 3


def log_to_file(logs_dir: Path, role: str) -> Path:
    """Send the root logger to `<logs_dir>/<role>.log`; one file per role so that two processes
    never rotate the same file (which fails on Windows)."""
    path = logs_dir / f"{role}.log"
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8", delay=True
    )
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return path
