"""The staged backend as a shell runs it: who may run it, and which `python` its
subprocesses get."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from desktop_django.manifest import load
from desktop_django_testing.backend import launcher_env, new_token
from desktop_django_testing.ci import only_on

pytestmark = pytest.mark.slow


@only_on("linux", "darwin", reason="POSIX permission bits")
def test_stage_folder_is_readable_and_runnable_by_every_user(staged):
    """H8: built in a mkdtemp folder (0700) and renamed into place, it kept 0700."""
    assert stat.S_IMODE(staged.stat().st_mode) == 0o755


# Runs inside the staged interpreter: the real launcher's `serve` or `worker`, and a thread
# that waits for the launcher to set PATH up, then starts `python` as a project's code would
# and reports which interpreter that was.
IN_THE_BACKEND = """
import os, signal, subprocess, sys, threading, time
from desktop_django import launcher

role, report, before = sys.argv[1], sys.argv[2], os.environ["PATH"]

def run_python_once_started():
    while os.environ["PATH"] == before:
        time.sleep(0.02)
    time.sleep(0.5)
    done = subprocess.run(["python", "-c", "import sys; print(sys.executable); print(sys.prefix)"],
                          capture_output=True, text=True)
    with open(report, "w") as handle:
        handle.write(done.stdout.strip() or done.stderr)
    os.kill(os.getpid(), signal.SIGTERM)

threading.Thread(target=run_python_once_started, daemon=True).start()
launcher.main([role, "--no-stdin-guard"], settings_module="flying_stable.settings.packaged")
"""


@pytest.mark.parametrize("role", ["serve", "worker"])
def test_python_in_a_subprocess_of_the_backend_is_the_stage_interpreter(staged, tmp_path, role):
    """The user's PATH starts with another Python (this test's own) on purpose."""
    manifest = load(staged)
    report = tmp_path / "python-seen.txt"
    env = launcher_env(tmp_path / "app data", new_token(), staged)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    subprocess.run(
        [str(manifest.python_executable), "-I", "-c", IN_THE_BACKEND, role, str(report)],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, timeout=60,
    )  # fmt: skip
    executable, prefix = report.read_text().split("\n")
    # The stage's interpreter under its plain name (`python`, beside python3.X), running
    # from the stage's own prefix, so with the stage's packages.
    assert Path(executable).parent == manifest.python_executable.parent
    assert Path(prefix).resolve() == manifest.python_executable.parent.parent.resolve()
