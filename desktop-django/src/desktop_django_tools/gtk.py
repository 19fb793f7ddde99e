"""GTK/PyGObject facts that decide how Positron's Linux dependencies are installed."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

LIB_DIRS = ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib")


def needs_debian12_pins() -> bool:
    """True on Linux systems without girepository-2.0 (GLib < 2.80, e.g. Debian 12), where
    only PyGObject 3.50.x builds."""
    if not sys.platform.startswith("linux"):
        return False
    if shutil.which("pkg-config"):
        found = subprocess.run(["pkg-config", "--exists", "girepository-2.0"], check=False)
        return found.returncode != 0
    return not any(list(Path(d).glob("libgirepository-2.0.so*")) for d in LIB_DIRS)
