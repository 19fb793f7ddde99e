"""A shell's own pytest suite (its real window, its lifecycle), run the way every shell's is."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from desktop_django_tools import locations


def pytest(tests: Path, options: list[str]) -> int:
    """pytest on `tests` from the workspace root, without the Django plugin (a shell's tests
    start the backend as a user would, not in-process); `options` go to pytest."""
    command = [
        sys.executable, "-m", "pytest", "-p", "no:django",
        "-W", "ignore::pytest.PytestConfigWarning", str(tests), *options,
    ]  # fmt: skip
    print(f"$ {' '.join(command)}", flush=True)
    return subprocess.run(command, cwd=locations.require_workspace("a shell's tests")).returncode
