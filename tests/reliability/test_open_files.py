"""Issue 21, F6: a low open-files limit (256: macOS's default soft limit) and 2,000 held
connections. `serve` caps its connections below the limit, so the accept loop never runs out
of descriptors and spins; once the connections are released `/health/` answers within 2 s,
the process is still up and the log gained a few lines, not thousands."""

from __future__ import annotations

import resource
import socket
import subprocess
import sys
import time
from urllib.parse import urlsplit

import pytest
from desktop_django_testing.backend import (
    LAUNCHER_MODULE,
    launcher_env,
    new_token,
    read_protocol_line,
    request,
)
from desktop_django_testing.ci import only_on, require_tool

pytestmark = [pytest.mark.slow, only_on("linux", reason="prlimit is util-linux")]

LIMIT = 256
HELD = 2000
# What the open-files limit leaves for connections (open_files.py), and so the log's note.
EXPECTED_CAP = LIMIT - 96


@pytest.fixture
def own_descriptors():
    """This test process holds HELD sockets: room for them under its own soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = HELD + 200
    if hard != resource.RLIM_INFINITY and hard < wanted:
        pytest.skip(f"the hard open-files limit here is {hard}, under {wanted}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def hold_connections(port: int, count: int) -> list[socket.socket]:
    """Connect without waiting: past the server's cap and listen backlog the kernel leaves
    them half-open, which is what a flood of clients looks like."""
    held = []
    for _ in range(count):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.connect_ex(("127.0.0.1", port))
        held.append(sock)
    return held


def health_within(url: str, token: str, seconds: float) -> int | None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            return request(url, "/health/", token).status
        except OSError:
            time.sleep(0.05)
    return None


def test_held_connections_under_a_low_limit_are_bounded(
    own_descriptors, stage_dir, tmp_path, scoreboard
):
    prlimit = require_tool("prlimit", "util-linux sets the open-files limit", ("linux",))
    token = new_token()
    app_data = tmp_path / "data"
    env = launcher_env(app_data, token, stage_dir)
    serve = [sys.executable, "-m", LAUNCHER_MODULE, "serve"]
    process = subprocess.Popen(
        [prlimit, f"--nofile={LIMIT}:{LIMIT}", "--", *serve],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    try:
        line = read_protocol_line(process)
        assert line["event"] == "ready", line
        log = app_data / "logs" / "serve.log"
        lines_at_ready = len(log.read_text(encoding="utf-8").splitlines())
        held = hold_connections(urlsplit(line["url"]).port, HELD)
        time.sleep(2)  # the server accepts up to its cap, then leaves the rest waiting
        alive_while_held = process.poll() is None
        for sock in held:
            sock.close()
        released = time.monotonic()
        status = health_within(line["url"], token, 2.0)
        answered_after = time.monotonic() - released
        alive = process.poll() is None
        text = log.read_text(encoding="utf-8")
    finally:
        process.stdin.close()
        process.wait(20)
    added = text.splitlines()[lines_at_ready:]
    failures = int(status != 200) + int(not alive_while_held) + int(not alive)
    scoreboard(
        f"F6 {HELD:,} connections under --nofile={LIMIT}",
        1,
        failures,
        f"/health/ {status} {answered_after:.1f} s after release, {len(added)} log lines",
    )
    assert alive_while_held
    assert alive
    assert status == 200, f"/health/ did not answer within 2 s of the release: {status}"
    assert f"open-files limit {LIMIT}: at most {EXPECTED_CAP} connections" in text
    assert "Too many open files" not in text
    assert "Traceback" not in text
    assert len(added) <= 6, added
