"""Request latency and throughput: the packaged server (waitress, via `serve`) against
`runserver`, on copies of the same database (1,000 ponies), interleaved round by round.

Endpoints: GET /health/, GET / (the ponies list) and a form POST (editing a pony, answered
with a 302 redirect). Each at 1, 8 and 32 concurrent keep-alive clients, for a fixed number
of requests. Every non-expected status or exception is an error; there must be none.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import memory
from bench.client import Client, FormSession, LoadResult, first_200, run_load
from bench.staged import (
    Stage,
    free_port,
    new_token,
    prepare_app_data,
    run_in_stage,
    start_runserver,
    start_serve,
    start_worker,
    stop,
)
from bench.stats import ratio, summarize

PACKAGED = "packaged"
RUNSERVER = "runserver"
CONCURRENCY = (1, 8, 32)


@dataclass(frozen=True)
class Plan:
    """Requests per (endpoint, concurrency) and side, split into interleaved rounds."""

    health: int
    ponies: int
    form: int
    rounds: int
    rows: int = 1000

    def total(self, endpoint: str) -> int:
        return getattr(self, endpoint)


FULL = Plan(health=2000, ponies=300, form=500, rounds=4)
QUICK = Plan(health=64, ponies=64, form=64, rounds=2)


@dataclass
class Server:
    name: str
    url: str
    token: str
    processes: dict
    form: FormSession | None = None


def _endpoints(ponies: list) -> dict[str, tuple[Callable[[Server], Callable], tuple[int, ...]]]:
    def health(_server: Server):
        return lambda client, _n: client.request("GET", "/health/")[0]

    def ponies_list(_server: Server):
        return lambda client, _n: client.request("GET", "/")[0]

    def form(server: Server):
        def send(client: Client, number: int) -> int:
            pk, name, status = ponies[number % len(ponies)]
            # Only the CSRF cookie: the flash-message cookie a browser would clear on the
            # redirected page must not pile up request after request.
            client.cookies = {}
            return server.form.post(
                client,
                f"/ponies/{pk}/edit/",
                {"name": name, "status": status, "personality_notes": f"edited ({number})"},
            )

        return send

    return {"health": (health, (200,)), "ponies": (ponies_list, (200,)), "form": (form, (302,))}


def run(stage: Stage, work: Path, plan: Plan, say=print) -> tuple[dict, dict]:
    """Returns the latency results and a memory snapshot of every server process taken
    right after the run (peak RSS), before they are stopped."""
    template = work / "latency-template"
    prepare_app_data(stage, template)
    seeded = run_in_stage(stage, stage.env(template, new_token()), "seed-ponies", str(plan.rows))[
        "ponies"
    ]
    servers = []
    try:
        servers.append(_start_packaged(stage, work, template))
        servers.append(_start_runserver(stage, work, template))
        for server in servers:
            page = _check_page(server, plan.rows)
            server.form = FormSession.fetch(
                server.url, server.token, f"/ponies/{seeded[0][0]}/edit/"
            )
        results = {
            "rows": plan.rows,
            # The list is paginated: the page shows the first cards of the `rows` in the table.
            "ponies_page": page,
            "requests": {name: plan.total(name) for name in ("health", "ponies", "form")},
            "rounds": plan.rounds,
            "endpoints": _measure(servers, _endpoints(seeded), plan, say),
        }
        snapshot = {
            f"{server.name}.{role}": memory.snapshot(process.pid)
            for server in servers
            for role, process in server.processes.items()
        }
    finally:
        for server in servers:
            for process in server.processes.values():
                stop(process)
    return results, snapshot


def _start_packaged(stage: Stage, work: Path, template: Path) -> Server:
    app_data = work / "latency-packaged"
    shutil.copytree(template, app_data, ignore=shutil.ignore_patterns("logs"))
    token = new_token()
    env = stage.env(app_data, token)
    serve, url = start_serve(stage, env)
    # The worker runs alongside, as under a shell, so its memory is measured after the run.
    worker = start_worker(stage, env)
    return Server(PACKAGED, url, token, {"serve": serve, "worker": worker})


def _start_runserver(stage: Stage, work: Path, template: Path) -> Server:
    app_data = work / "latency-runserver"
    shutil.copytree(template, app_data, ignore=shutil.ignore_patterns("logs"))
    token = new_token()
    port = free_port()
    process = start_runserver(stage, stage.env(app_data, token), port)
    url = f"http://127.0.0.1:{port}"
    try:
        first_200(url, "/health/", token, time.perf_counter() + 60, poll_every=0.05)
    except TimeoutError:
        stop(process)
        raise
    return Server(RUNSERVER, url, token, {"runserver": process})


def _check_page(server: Server, rows: int) -> dict:
    """The list page as the benchmark sees it: how many cards, how many bytes."""
    client = Client(server.url, server.token)
    try:
        status, body = client.request("GET", "/")
    finally:
        client.close()
    cards = body.count(b"data-pony-id=")
    if status != 200 or not cards or cards > rows:
        raise RuntimeError(f"{server.name}: the ponies page shows {cards} ponies (status {status})")
    return {"cards": cards, "bytes": len(body)}


def _measure(servers: list[Server], endpoints: dict, plan: Plan, say) -> dict:
    results: dict = {}
    for endpoint, (make_send, expected) in endpoints.items():
        results[endpoint] = {}
        for concurrency in CONCURRENCY:
            per_side = {server.name: LoadResult() for server in servers}
            total = plan.total(endpoint)
            per_round = max(concurrency, total // plan.rounds)
            for server in servers:  # warm-up, not recorded: threads, template cache
                run_load(
                    server.url, server.token, make_send(server), concurrency, concurrency, expected
                )
            for _round in range(plan.rounds):
                for server in servers:
                    per_side[server.name].merge(
                        run_load(
                            server.url,
                            server.token,
                            make_send(server),
                            per_round,
                            concurrency,
                            expected,
                        )
                    )
            results[endpoint][str(concurrency)] = {
                name: _summary(load) for name, load in per_side.items()
            }
            row = results[endpoint][str(concurrency)]
            results[endpoint][str(concurrency)]["ratio_p50"] = ratio(
                row[RUNSERVER]["latency_ms"]["median"], row[PACKAGED]["latency_ms"]["median"]
            )
            say(
                f"latency {endpoint} x{concurrency}: "
                + ", ".join(
                    f"{name} p50 {row[name]['latency_ms']['median']:.1f} ms "
                    f"({row[name]['requests_per_second']:.0f}/s, {row[name]['errors']} errors)"
                    for name in per_side
                )
            )
    return results


def _summary(load: LoadResult) -> dict:
    return {
        "requests": len(load.latencies_ms),
        "errors": load.errors,
        "error_examples": load.error_examples,
        "latency_ms": summarize(load.latencies_ms, digits=3),
        "requests_per_second": round(len(load.latencies_ms) / load.wall_seconds, 1)
        if load.wall_seconds
        else 0.0,
    }
