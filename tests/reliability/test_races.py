"""Races between requests: a double-clicked "add a pony" must never become a server error."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from tests.reliability.conftest import size
from tests.reliability.http_client import Client

pytestmark = pytest.mark.slow

PARALLEL_POSTS = 4


def test_double_submitted_create_gives_one_pony_and_a_form_error(backend, tmp_path, scoreboard):
    """D1: identical POSTs at the same moment all pass the form's name check before any of
    them inserts; the unique index then refuses all but one. Each refused one must get the
    form back with the "already a pony called" error, not a 500."""
    trials = size("race_trials")
    running = backend(tmp_path / "races").start()
    clients = [Client(running.url, running.token) for _ in range(PARALLEL_POSTS)]
    for client in clients:
        client.prepare_csrf()
    failures = []
    for trial in range(trials):
        name = f"Twin Comet {trial}"
        barrier = threading.Barrier(PARALLEL_POSTS)
        replies: list[tuple[int, bytes]] = []

        def post(client: Client, name=name, barrier=barrier, replies=replies) -> None:
            barrier.wait()
            status, body, _headers = client.request(
                "POST",
                "/ponies/new/",
                f"name={name.replace(' ', '+')}&status=grazing&csrfmiddlewaretoken="
                f"{client.csrf_form.decode()}".encode(),
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": f"csrftoken={client.csrf_cookie}",
                },
            )
            replies.append((status, body))

        threads = [threading.Thread(target=post, args=(client,)) for client in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        statuses = sorted(status for status, _body in replies)
        refused = [body for status, body in replies if status == 200]
        with sqlite3.connect(running.app_data / "app.sqlite3") as db:
            stored = db.execute(
                "SELECT count(*) FROM ponies_pony WHERE name = ?", (name,)
            ).fetchone()[0]
        explained = all(b"already a pony called" in body for body in refused)
        if statuses.count(302) != 1 or len(refused) != PARALLEL_POSTS - 1 or stored != 1:
            failures.append(f"trial {trial}: statuses {statuses}, {stored} stored")
        elif not explained:
            failures.append(f"trial {trial}: a refused post did not say why")
    for client in clients:
        client.close()
    scoreboard(
        "D1 double-submitted create", trials, len(failures), "; ".join(failures)[:80] or "no 500"
    )
    assert not failures
