from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.support.ci import require_in_ci


@pytest.fixture(scope="session")
def xvfb_display():
    """A private X display on Xvfb; DISPLAY for the app processes started by tests."""
    if not shutil.which("Xvfb"):
        require_in_ci("Xvfb is not installed (apt-get install xvfb)")
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x900x24", "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    with os.fdopen(read_end) as numbers:
        display = f":{numbers.readline().strip()}"
    yield display
    server.terminate()
    server.wait(timeout=10)
