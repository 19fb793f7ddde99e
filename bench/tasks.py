"""Background tasks: enqueue → start latency, and throughput for a burst of trivial tasks.

Two workers, both the launcher's `worker` on the staged runtime, each on its own copy of the
same database: one with the polling interval as shipped (`desktop_django.worker`), one with
django-tasks-db's own default (read from its `db_worker` command). Probes are single tasks
enqueued at random moments, alternating between the two; bursts enqueue many at once.
Times come from the task rows themselves (`enqueued_at`, `started_at`, `finished_at`).
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from bench import memory
from bench.staged import (
    Stage,
    log_size,
    new_token,
    prepare_app_data,
    read_line,
    run_in_stage,
    start_worker,
    stop,
    wait_for_log,
)
from bench.stats import ratio, summarize

SHIPPED = "shipped"
DEFAULTS = "django-tasks-db-defaults"
SUCCESSFUL = "SUCCESSFUL"


@dataclass(frozen=True)
class Plan:
    probes: int
    burst: int
    bursts: int


FULL = Plan(probes=40, burst=200, bursts=2)
QUICK = Plan(probes=4, burst=20, bursts=1)


@dataclass
class WorkerSide:
    name: str
    interval: float | None  # None: as shipped
    worker: subprocess.Popen | None = None
    helper: subprocess.Popen | None = None

    def ask(self, request: dict, timeout: float) -> object:
        self.helper.stdin.write((json.dumps(request) + "\n").encode())
        self.helper.stdin.flush()
        return json.loads(read_line(self.helper, timeout))


def run(stage: Stage, work: Path, plan: Plan, say=print) -> tuple[dict, dict]:
    template = work / "tasks-template"
    prepare_app_data(stage, template)
    default_interval = run_in_stage(stage, stage.env(template, new_token()), "task-defaults")[
        "interval"
    ]
    sides = [WorkerSide(SHIPPED, None), WorkerSide(DEFAULTS, default_interval)]
    probes: dict[str, list[dict]] = {side.name: [] for side in sides}
    bursts: dict[str, list[list[dict]]] = {side.name: [] for side in sides}
    try:
        for side in sides:
            _start(stage, work, template, side)
        for number in range(plan.probes):
            for side in sides:
                probes[side.name].append(side.ask({"op": "probe"}, timeout=60))
                # A random pause puts the next enqueue at a random point of the poll cycle.
                time.sleep(random.uniform(0.05, 0.35))  # noqa: S311 - timing jitter
            if (number + 1) % 10 == 0 or number + 1 == plan.probes:
                say(f"tasks probes {number + 1}/{plan.probes}")
        for _round in range(plan.bursts):
            for side in sides:
                bursts[side.name].append(
                    side.ask({"op": "burst", "count": plan.burst}, timeout=300)
                )
        snapshot = {f"worker.{side.name}": memory.snapshot(side.worker.pid) for side in sides}
    finally:
        for side in sides:
            for process in (side.helper, side.worker):
                if process is not None:
                    stop(process)

    result = {
        "task": "flying_stable.routines.tasks.run_routine (for a missing routine: one UPDATE)",
        "intervals_s": {SHIPPED: _shipped_interval(stage), DEFAULTS: default_interval},
        "probes": {name: _probe_summary(rows) for name, rows in probes.items()},
        "bursts": {name: _burst_summary(runs) for name, runs in bursts.items()},
    }
    result["ratio_start_p50"] = ratio(
        result["probes"][DEFAULTS]["start_latency_ms"].get("median"),
        result["probes"][SHIPPED]["start_latency_ms"].get("median"),
    )
    for name in probes:
        p = result["probes"][name]["start_latency_ms"]
        b = result["bursts"][name]
        say(
            f"tasks {name}: start p50 {p.get('median', 0):.0f} ms, p99 {p.get('p99', 0):.0f} ms; "
            f"burst {b['tasks_per_second']:.0f} tasks/s, {b['errors']} errors"
        )
    return result, snapshot


def _start(stage: Stage, work: Path, template: Path, side: WorkerSide) -> None:
    app_data = work / f"tasks-{side.name}"
    shutil.copytree(template, app_data, ignore=shutil.ignore_patterns("logs"))
    env = stage.env(app_data, new_token())
    log = app_data / "logs" / "worker.log"
    offset = log_size(log)
    extra = () if side.interval is None else ("--interval", str(side.interval))
    side.worker = start_worker(stage, env, *extra)
    wait_for_log(log, "worker started", offset, timeout=60)
    side.helper = subprocess.Popen(
        stage.in_stage("tasks"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=stage.root,
    )


def _shipped_interval(stage: Stage) -> float | None:
    """POLL_INTERVAL_SECONDS of the staged desktop_django.worker, for the record."""
    result = subprocess.run(
        [str(stage.python), "-I", "-c",
         "from desktop_django.worker import POLL_INTERVAL_SECONDS as s; print(s)"],
        capture_output=True, text=True, cwd=stage.root, timeout=60,
    )  # fmt: skip
    try:
        return float(result.stdout.strip())
    except ValueError:
        return None


def _ms(row: dict, end: str) -> float:
    return (row[end] - row["enqueued"]) * 1000


def _probe_summary(rows: list[dict]) -> dict:
    done = [row for row in rows if row.get("status") == SUCCESSFUL]
    return {
        "tasks": len(rows),
        "errors": len(rows) - len(done),
        "start_latency_ms": summarize(_ms(row, "started") for row in done),
        "finish_latency_ms": summarize(_ms(row, "finished") for row in done),
    }


def _burst_summary(runs: list[list[dict]]) -> dict:
    rates, drains, starts, errors, count = [], [], [], 0, 0
    for rows in runs:
        count += len(rows)
        done = [row for row in rows if row.get("status") == SUCCESSFUL]
        errors += len(rows) - len(done)
        if not done:
            continue
        first_enqueued = min(row["enqueued"] for row in done)
        first_started = min(row["started"] for row in done)
        last_finished = max(row["finished"] for row in done)
        rates.append(len(done) / (last_finished - first_enqueued))
        if len(done) > 1 and last_finished > first_started:
            drains.append((len(done) - 1) / (last_finished - first_started))
        starts += [_ms(row, "started") for row in done]
    return {
        "tasks": count,
        "errors": errors,
        # From the first enqueue to the last finish: includes waiting for the first poll.
        "tasks_per_second": round(sum(rates) / len(rates), 1) if rates else 0.0,
        # Once the worker has found work it does not sleep: the rate it drains a queue at.
        "drain_tasks_per_second": round(sum(drains) / len(drains), 1) if drains else 0.0,
        "start_latency_ms": summarize(starts),
    }
