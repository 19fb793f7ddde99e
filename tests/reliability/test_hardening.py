"""Hardening against a hostile local process or page, proven on a running `serve`:
slow-loris connections, security headers on every answer, `next` values that reach another
host after dot-segment removal, weak tokens, invisible and direction-control names, bad Host
floods in the log, oversized bodies."""

from __future__ import annotations

import contextlib
import re
import socket
import time
from urllib.parse import quote, urlsplit

import pytest
from desktop_django.server import HEADER_READ_SECONDS
from desktop_django_testing.backend import (
    RunningBackend,
    launcher_env,
    read_protocol_line,
    request,
    spawn,
)

from tests.reliability.http_client import Client

pytestmark = pytest.mark.slow

STALLED_CONNECTIONS = 200
SECURITY_HEADERS = ("content-security-policy", "x-content-type-options", "x-frame-options")


@pytest.fixture(scope="module")
def shared(stage_dir, tmp_path_factory):
    """One backend for the checks that leave nothing behind (each start costs seconds)."""
    running = RunningBackend(tmp_path_factory.mktemp("hardening") / "app-data", stage_dir)
    yield running.start()
    running.stop()


def address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname, parts.port


def closed_by_server(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(4096) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True  # reset


def test_slow_loris_connections_are_closed_and_health_stays_fast(backend, tmp_path, scoreboard):
    """H1: 200 connections trickling header bytes never finish a request; the shell's health
    check must keep answering, and the server must drop them once their header time is up."""
    running = backend(tmp_path / "loris").start()
    stalled = []
    for _ in range(STALLED_CONNECTIONS):
        sock = socket.create_connection(address(running.url), timeout=5)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Trickle: ")
        stalled.append(sock)
    latencies, statuses = [], []
    deadline = time.monotonic() + HEADER_READ_SECONDS + 4
    while time.monotonic() < deadline:
        for sock in stalled:
            with contextlib.suppress(OSError):  # closed by the server: what we want
                sock.send(b"a")
        started = time.perf_counter()
        try:
            statuses.append(running.get("/health/").status)
        except OSError as exc:
            statuses.append(repr(exc))
        latencies.append(time.perf_counter() - started)
        time.sleep(0.5)
    closed = sum(closed_by_server(sock) for sock in stalled)
    for sock in stalled:
        sock.close()
    slowest = max(latencies)
    healthy = all(status == 200 for status in statuses) and slowest < 2.0
    note = f"{len(statuses)} health checks, slowest {slowest * 1000:.0f} ms, {closed} dropped"
    scoreboard("H1 200 slow-loris connections", len(statuses), int(not healthy), note)
    assert healthy, (statuses, latencies)
    assert closed == STALLED_CONNECTIONS, f"only {closed} stalled connections were dropped"


def test_the_middlewares_own_answers_carry_security_headers(shared, scoreboard):
    """H4: 400, 403, /health/ and the bootstrap redirect come from the token middleware
    before any other middleware runs; static files must not be readable cross-origin."""
    running = shared
    answers = {
        "400 bad host": request(running.url, "/", running.token, headers={"Host": "evil.test"}),
        "403 no token": request(running.url, "/"),
        "health": running.get("/health/"),
        "bootstrap": request(running.url, f"/desktop-auth/bootstrap/?token={running.token}"),
    }
    missing = {
        name: [h for h in SECURITY_HEADERS if h not in reply.headers]
        for name, reply in answers.items()
    }
    page = running.get("/")
    stylesheet = re.search(rb'href="(/static/[^"]+\.css)"', page.body).group(1).decode()
    static = running.get(stylesheet)
    assert static.status == 200
    problems = {name: headers for name, headers in missing.items() if headers}
    if "access-control-allow-origin" in static.headers:
        problems["static"] = ["access-control-allow-origin"]
    scoreboard("H4 headers on own answers", len(answers) + 1, len(problems), str(problems)[:80])
    assert [reply.status for reply in answers.values()] == [400, 403, 200, 302]
    assert not problems


@pytest.mark.parametrize(
    "next_value",
    ["/.//evil.example", "/..//evil.example", "/a/..//evil.example", "/%2e//evil.example"],
)
def test_bootstrap_next_that_becomes_a_network_path_is_refused(shared, next_value):
    """H5: after a browser removes dot segments these are `//evil.example`."""
    running = shared
    reply = request(
        running.url, f"/desktop-auth/bootstrap/?token={running.token}&next={quote(next_value)}"
    )
    assert reply.status == 302
    assert reply.headers["location"] == "/"


@pytest.mark.parametrize(
    "token",
    ["a" * 32, "A" * 64, "g" * 64],
    ids=["32 chars", "upper case", "not hex"],
)
def test_a_token_that_is_not_64_hex_characters_is_refused_at_start(tmp_path, stage_dir, token):
    """H6: what the shells generate is 32 random bytes as 64 lowercase hex characters."""
    process = spawn("serve", launcher_env(tmp_path / "weak", token, stage_dir))
    line = read_protocol_line(process)
    process.stdin.close()
    assert process.wait(timeout=10) != 0
    process.stdout.close()
    assert line["event"] == "error"
    assert "DESKTOP_DJANGO_AUTH_TOKEN" in line["message"]
    assert "64" in line["message"]


@pytest.mark.parametrize(
    ("name", "notes", "message"),
    [
        ("\u200b\u200b\u200b", "", b"Every pony needs a name."),
        ("\u200d\ufeff\u2060", "", b"Every pony needs a name."),
        ("Evil\u202eyddoP", "", b"text-direction control"),
        ("Fair Wind", "innocent \u202etxet", b"text-direction control"),
    ],
    ids=["zero-width spaces", "joiners", "RLO in name", "RLO in notes"],
)
def test_invisible_and_direction_control_names_are_refused(shared, name, notes, message):
    """H6: a card must show what the name says."""
    running = shared
    client = Client(running.url, running.token)
    client.prepare_csrf()
    before = running.get("/").body.count(b'class="pony-card"')
    status, body, _headers = client.request(
        "POST",
        "/ponies/new/",
        (
            f"name={quote(name)}&status=grazing&personality_notes={quote(notes)}"
            f"&csrfmiddlewaretoken={client.csrf_form.decode()}"
        ).encode(),
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={client.csrf_cookie}",
        },
    )
    client.close()
    assert status == 200
    assert message in body
    assert running.get("/").body.count(b'class="pony-card"') == before


def test_bad_host_flood_logs_a_few_warning_lines(shared, scoreboard):
    """H7: a page probing Host values must not fill the log with tracebacks, nor with a line
    per request: one line per 10 s, and it counts the rest."""
    running = shared
    log_file = running.app_data / "logs" / "serve.log"
    already = log_file.stat().st_size
    probes = 50
    for number in range(probes):
        reply = request(running.url, "/", running.token, headers={"Host": f"rebind{number}.test"})
        assert reply.status == 400
    with log_file.open(encoding="utf-8") as log_stream:
        log_stream.seek(already)
        log = log_stream.read()
    lines = [line for line in log.splitlines() if line.strip()]
    warnings = [line for line in lines if "is not a loopback name" in line]
    tracebacks = log.count("Traceback")
    # (The module's earlier bad-Host check may have used up this interval's one line.)
    scoreboard("H7 bad Host log lines", probes, int(len(lines) > 3 or tracebacks > 0))
    assert len(warnings) == len(lines) <= 3, lines  # nothing else either: no "Bad Request"
    assert all(" WARNING " in line for line in warnings)
    assert tracebacks == 0


def test_oversized_upload_is_refused_with_413(shared):
    """H9: a body larger than DESKTOP_DJANGO_MAX_REQUEST_BYTES (5 MiB unless the project
    sets it) is refused from its announced length, before any of it is read or stored."""
    running = shared
    with socket.create_connection(address(running.url), timeout=10) as sock:
        sock.sendall(
            b"POST /ponies/new/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: multipart/form-data; boundary=b0undary\r\n"
            + f"Content-Length: {6 * 1024 * 1024}\r\n\r\n".encode()
        )
        status_line = sock.makefile("rb").readline()
    assert status_line.split()[1] == b"413", status_line
