"""`python` in anything the backend runs is the interpreter running the backend.

A project that shells out to `python` (a management command, a converter script) must get
the stage's own interpreter, with the stage's packages, never whatever the user's PATH finds
first. The stage keeps `python`, `python3` and `python3.X` in the interpreter's folder, so
putting that folder first on PATH is enough.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def put_interpreter_first_on_path() -> str:
    """Prepend the running interpreter's folder (once); returns it."""
    folder = str(Path(sys.executable).parent)
    rest = [
        entry for entry in os.environ.get("PATH", "").split(os.pathsep) if entry and entry != folder
    ]
    os.environ["PATH"] = os.pathsep.join([folder, *rest])
    return folder
