"""Scenarios 2-4: crash consistency, concurrent writers with the worker, sustained load."""

from __future__ import annotations

import random
import sqlite3
import threading
import time

import psutil
import pytest
from desktop_django_testing.backend import start_routine

from tests.reliability.conftest import size
from tests.reliability.http_client import Client, percentile

pytestmark = pytest.mark.slow

TEST_SETTINGS = "flying_stable.settings.test"


def writer(
    url: str, token: str, prefix: str, stop: threading.Event, acknowledged: list, codes: list
):
    client = Client(url, token)
    client.prepare_csrf()
    number = 0
    while not stop.is_set():
        name = f"{prefix}-{number}"
        status = client.post_form("/ponies/new/", {"name": name, "status": "grazing"})
        codes.append(status)
        if status in (200, 302):
            acknowledged.append(name)
        number += 1
    client.close()


def test_crash_consistency(backend, tmp_path, scoreboard):
    trials = size("crash_trials")
    failures = []
    for trial in range(trials):
        app_data = tmp_path / f"crash-{trial}"
        running = backend(
            app_data, DJANGO_SETTINGS_MODULE=TEST_SETTINGS, FLYING_STABLE_ROUTINE_SECONDS="0.3,1.5"
        ).start(with_worker=True)
        stop = threading.Event()
        acknowledged: list[str] = []
        codes: list[int] = []
        thread = threading.Thread(
            target=writer, args=(running.url, running.token, f"t{trial}", stop, acknowledged, codes)
        )
        thread.start()
        for kind in ("grooming", "feeding", "flight"):
            start_routine(running.url, running.token, kind)
        time.sleep(random.uniform(0.5, 2.0))
        # Power-cut style: no goodbye for either process.
        running.serve.kill()
        running.worker.kill()
        running.serve.wait()
        running.worker.wait()
        stop.set()
        thread.join()
        database = app_data / "app.sqlite3"
        with sqlite3.connect(database) as db:
            integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
            stored = {row[0] for row in db.execute("SELECT name FROM ponies_pony")}
        lost = [name for name in acknowledged if name not in stored]
        restarted = backend(app_data, DJANGO_SETTINGS_MODULE=TEST_SETTINGS).start()
        routines = restarted.get("/routines/status.json").json()["routines"]
        restarted.stop()
        unreconciled = [r for r in routines if r["status"] in ("pending", "running")]
        if integrity != "ok" or lost or unreconciled:
            failures.append(
                f"trial {trial}: {integrity}, lost {lost[:3]}, {len(unreconciled)} open"
            )
        if not acknowledged:
            failures.append(f"trial {trial}: no write was acknowledged before the kill")
    scoreboard("2 crash consistency", trials, len(failures), "; ".join(failures)[:80])
    assert not failures


def test_concurrent_writers_and_worker(backend, tmp_path, scoreboard):
    seconds = size("concurrency_seconds")
    running = backend(
        tmp_path / "concurrency", DJANGO_SETTINGS_MODULE=TEST_SETTINGS,
        FLYING_STABLE_ROUTINE_SECONDS="0.05,0.2",
    ).start(with_worker=True)  # fmt: skip
    stop = threading.Event()
    codes: list[int] = []
    threads = [
        threading.Thread(target=writer, args=(running.url, running.token, f"w{n}", stop, [], codes))
        for n in range(16)
    ]
    routines_started = 0
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        start_routine(running.url, running.token, "feeding")
        routines_started += 1
        time.sleep(0.2)
    stop.set()
    for thread in threads:
        thread.join()
    done = sum(
        1 for r in running.get("/routines/status.json").json()["routines"] if r["status"] == "done"
    )
    running.stop()
    logs = "".join(p.read_text() for p in (running.app_data / "logs").glob("*.log"))
    locked = logs.count("database is locked")
    server_errors = sum(1 for code in codes if code >= 500 or code == 0)
    note = f"{len(codes)} writes, {routines_started} routines ({done}+ done), {locked} locked"
    scoreboard("3 concurrency (16 writers)", len(codes), server_errors + locked, note)
    assert locked == 0
    assert server_errors == 0
    assert done > 0


def test_sustained_load_has_no_errors_or_leak(backend, tmp_path, scoreboard):
    seconds = size("load_seconds")
    running = backend(tmp_path / "load").start()
    server = psutil.Process(running.serve.pid)
    paths = ["/health/", "/", "/routines/status.json", "/routines/"]

    def hammer(until: float, clients: list[Client]):
        client = Client(running.url, running.token)
        clients.append(client)
        while time.monotonic() < until:
            client.request("GET", random.choice(paths))
        client.close()

    def run(duration: float) -> list[Client]:
        clients: list[Client] = []
        until = time.monotonic() + duration
        workers = [threading.Thread(target=hammer, args=(until, clients)) for _ in range(32)]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()
        return clients

    run(2.0)  # warm-up: templates, URL resolvers and connections are created once
    before = server.memory_info().rss
    clients = run(seconds)
    after = server.memory_info().rss
    statuses = [s for c in clients for s in c.statuses]
    latencies = [t for c in clients for t in c.latencies]
    errors = sum(1 for s in statuses if s != 200)
    growth = (after - before) / before
    p99 = percentile(latencies, 0.99) * 1000
    p50 = percentile(latencies, 0.5) * 1000
    note = f"{len(statuses)} req, p50 {p50:.1f} ms, p99 {p99:.1f} ms, rss {growth:+.0%}"
    scoreboard("4 load (32 clients)", len(statuses), errors + (growth > 0.2), note)
    assert errors == 0
    assert growth <= 0.2, f"RSS grew from {before} to {after}"
