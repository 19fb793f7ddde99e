"""Issue 21, log floods and small faults, proven on a running `serve`: unauthenticated noise
must not rotate the history out of the log; client errors are one line, no traceback; the
middleware's own answers keep the connection open; the worker refuses a newer database."""

from __future__ import annotations

import re
import socket
import sqlite3
import subprocess
import time
from urllib.parse import urlsplit

import pytest
from desktop_django.log_limits import INTERVAL_SECONDS
from desktop_django_testing.backend import spawn

from tests.reliability.conftest import size
from tests.reliability.http_client import Client

pytestmark = pytest.mark.slow

SUMMARY = re.compile(r": (\d+) more 403 answers for a missing or wrong token in the last")


def address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname, parts.port


def log_lines(path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_wrong_token_flood_leaves_the_earlier_log_in_place(backend, tmp_path, scoreboard):
    """6,000 requests with a wrong token, on keep-alive connections as a hostile local
    process would send them: every one is refused, the log does not rotate, the lines
    written before the flood are still there, and the refusals are counted in a few lines."""
    flood = size("wrong_token_requests")
    running = backend(tmp_path / "flooded").start()
    log_file = running.app_data / "logs" / "serve.log"
    before = log_lines(log_file)
    assert any("serving http://" in line for line in before), before
    statuses: dict[int, int] = {}
    sent = 0
    while sent < flood:
        hostile = Client(running.url, "f" * 64)  # a well-formed token that is not this one
        for _ in range(min(500, flood - sent)):
            status, _body, _headers = hostile.request("GET", "/ponies/")
            statuses[status] = statuses.get(status, 0) + 1
            sent += 1
        hostile.close()
    # The refusals left out of the log are counted in a summary line per interval.
    deadline = time.monotonic() + 3 * INTERVAL_SECONDS
    while time.monotonic() < deadline:
        after = log_lines(log_file)
        added = after[len(before) :]
        refusals = sum(" 403 GET /ponies/: wrong desktop token" in line for line in added)
        counted = refusals + sum(int(found) for line in added for found in SUMMARY.findall(line))
        if counted >= flood:
            break
        time.sleep(0.5)
    rotated = (running.app_data / "logs" / "serve.log.1").exists()
    problems = {
        f"statuses {statuses}": statuses != {403: flood},
        "the log rotated": rotated,
        "earlier lines lost": after[: len(before)] != before,
        f"{len(added)} lines for {flood} requests": len(added) > 10,
        f"{counted} of {flood} counted": counted != flood,
    }
    failed = [name for name, bad in problems.items() if bad]
    scoreboard("F8 wrong-token flood", flood, len(failed), f"{len(added)} log lines; {failed}"[:80])
    assert not failed
    assert running.get("/health/").status == 200


def test_too_many_fields_is_one_warning_line(backend, tmp_path, scoreboard):
    """10,000 form fields: Django answers 400 and logged 30 lines of traceback at ERROR."""
    running = backend(tmp_path / "fields").start()
    log_file = running.app_data / "logs" / "serve.log"
    client = Client(running.url, running.token)
    client.prepare_csrf()
    already = len(log_lines(log_file))
    status = client.post_form("/ponies/new/", {f"f{number}": "x" for number in range(10_000)})
    client.close()
    added = log_lines(log_file)[already:]
    scoreboard("F8 10,000 form fields", 1, int(status != 400 or len(added) != 1), added[:1])
    assert status == 400
    assert len(added) == 1, added
    assert " WARNING " in added[0], added
    assert "/ponies/new/" in added[0], added
    assert "Traceback" not in log_file.read_text(encoding="utf-8")


def test_own_answers_keep_pipelined_requests(backend, tmp_path, scoreboard):
    """Three requests written at once on one connection, each answered by the middleware
    itself (403, 400, /health/): all three answers come back on that connection."""
    running = backend(tmp_path / "pipelined").start()
    pipelined = (
        b"GET /ponies/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        b"GET / HTTP/1.1\r\nHost: evil.test\r\n\r\n"
        + f"GET /health/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Desktop-Django-Token: {running.token}"
        "\r\n\r\n".encode()
    )
    answers = []
    with socket.create_connection(address(running.url), timeout=10) as sock:
        sock.sendall(pipelined)
        stream = sock.makefile("rb")
        for _ in range(3):
            status_line = stream.readline()
            headers = {}
            while (line := stream.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode().partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "-1"))
            answers.append((status_line.split()[1], length, stream.read(max(length, 0))))
    statuses = [status for status, _length, _body in answers]
    scoreboard("F8 Content-Length on own answers", 3, int(statuses != [b"403", b"400", b"200"]))
    assert statuses == [b"403", b"400", b"200"], answers
    assert all(length == len(body) > 0 for _status, length, body in answers), answers


def test_worker_refuses_a_database_from_a_newer_version(backend, tmp_path, scoreboard):
    app_data = tmp_path / "downgraded"
    running = backend(app_data)
    running.start().stop()
    with sqlite3.connect(app_data / "app.sqlite3") as db:
        db.execute(
            "INSERT INTO django_migrations (app, name, applied) "
            "VALUES ('ponies', '0099_from_the_future', '2030-01-01')"
        )
    started = time.monotonic()
    worker = spawn("worker", running.env, stderr=subprocess.PIPE)
    worker.wait(timeout=60)  # stdin stays open, as under a shell: closed means "stop"
    message = worker.stderr.read().decode()
    for stream in (worker.stdin, worker.stdout, worker.stderr):
        stream.close()
    refused = worker.returncode != 0 and "newer version" in message
    scoreboard("F8 worker on a newer database", 1, int(not refused), message.strip()[-60:])
    assert worker.returncode != 0, message
    assert "was written by a newer version" in message
    assert "0099_from_the_future" in message
    assert time.monotonic() - started < 60
