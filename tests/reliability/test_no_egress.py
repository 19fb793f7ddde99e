"""No request leaves the machine (security baseline): the staged backend and its worker driven
through the app's pages and a routine, and the real Positron and Tauri windows, each run in a
network namespace that has only loopback, with every process of the tree under strace. Every
address any of them tried to reach must be loopback (or a local socket). A control run, whose
`serve` tries the TEST-NET address, proves that the check catches an attempt."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from desktop_django_testing.ci import only_on, require_in_ci, require_tool
from desktop_django_testing.paths import REPO_ROOT
from desktop_django_testing.xvfb import virtual_display

from tests.support import shell_windows
from tests.support.egress import (
    TEST_NET_ADDRESS,
    Attempt,
    leaving,
    loopback_namespace_prefix,
    read_attempts,
    traced,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(240),
    only_on("linux", reason="network namespaces and strace are Linux's"),
]

RUN_SECONDS = 100


@pytest.fixture
def loopback_only():
    require_tool("strace", "the no-egress proof records connect() calls with it (apt strace)")
    if loopback_namespace_prefix() is None:
        require_in_ci(
            "no network namespace can be made here (unshare --net as root, or an unprivileged "
            "user namespace; and `ip` from iproute2)"
        )


def run_traced(staged: Path, work: Path, *options: str) -> tuple[dict, list[Attempt]]:
    """The session inside the namespace: its steps by name, and every address it tried."""
    log = work / "strace.log"
    session = [sys.executable, "-m", "tests.reliability.no_egress_session"]
    command = traced([*session, "--stage", str(staged), "--work", str(work), *options], log)
    result = subprocess.run(
        command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=RUN_SECONDS
    )
    assert result.returncode == 0, f"{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    steps = {}
    for line in result.stdout.splitlines():
        if line.startswith("{"):
            step = json.loads(line)
            steps[step["step"]] = step
    assert "done" in steps, result.stdout
    return steps, read_attempts(log)


def describe(attempts: list[Attempt]) -> str:
    return "\n".join(f"pid {a.pid}: {a.line}" for a in attempts[:20])


def reached_port(attempts: list[Attempt], port: int) -> bool:
    """The trace saw the tree's own loopback traffic: it records what it should."""
    return any(a.call == "connect" and a.port == port and not a.leaves_machine for a in attempts)


def test_backend_worker_and_pages_reach_only_loopback(staged, tmp_path, loopback_only, scoreboard):
    steps, attempts = run_traced(staged, tmp_path, "--pages")
    off = leaving(attempts)
    scoreboard(
        "no egress: backend + worker, pages and a routine",
        1,
        int(bool(off)),
        f"{len(attempts)} addresses traced",
    )
    assert {"pony-created", "routine-finished"} <= set(steps)
    assert reached_port(attempts, urlsplit(steps["backend-ready"]["url"]).port), describe(attempts)
    assert not off, f"attempts to leave the machine:\n{describe(off)}"


@pytest.mark.parametrize("shell", [shell_windows.POSITRON, shell_windows.TAURI])
def test_real_window_reaches_only_loopback(shell, staged, tmp_path, loopback_only, scoreboard):
    window = shell_windows.positron() if shell == shell_windows.POSITRON else shell_windows.tauri()
    if isinstance(window, str):
        require_in_ci(window)
    require_tool("Xvfb", "the real windows run on a private X display (apt xvfb)")
    with virtual_display() as display:
        steps, attempts = run_traced(staged, tmp_path, "--shell", shell, "--display", display)
    off = leaving(attempts)
    scoreboard(
        f"no egress: {shell} window ({window.build})",
        1,
        int(bool(off)),
        f"{len(attempts)} addresses traced",
    )
    # The page came from the backend over loopback, through WebKit's own processes.
    assert reached_port(attempts, urlsplit(steps["window"]["url"]).port), describe(attempts)
    assert not off, f"attempts to leave the machine:\n{describe(off)}"


def test_the_check_catches_an_attempt_to_leave(staged, tmp_path, loopback_only, scoreboard):
    """Control: `serve` tries TEST-NET first (no route in the namespace: it never leaves)."""
    steps, attempts = run_traced(staged, tmp_path, "--control")
    off = leaving(attempts)
    caught = [a for a in off if a.address == TEST_NET_ADDRESS and a.port == 80]
    scoreboard("no egress: control attempt detected", 1, int(not caught), "TEST-NET from serve")
    assert caught, describe(attempts)
    assert {a.pid for a in caught} == {steps["backend-ready"]["serve_pid"]}
    assert off == caught, describe(off)
