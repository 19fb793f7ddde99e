"""Shutdown: how long until every backend process is gone.

- `stop`: the shell asks (closes the stdin of `serve` and `worker`, as every shell does on
  quit); time until both have exited.
- `orphan`: the shell is SIGKILLed (no chance to ask anything); time until `serve` and
  `worker`, now orphans, have noticed their stdin reach EOF and exited by themselves.
Both with a worker idling in its poll loop and a server that has answered requests.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil

from bench.client import Client
from bench.staged import (
    Stage,
    log_size,
    new_token,
    prepare_app_data,
    read_line,
    start_serve,
    start_worker,
    stop,
    wait_for_log,
)
from bench.stats import summarize

GIVE_UP_SECONDS = 10.0
POLL_SECONDS = 0.002

# A stand-in shell: starts serve, reads its ready line, starts worker, reports the pids and
# waits to be killed. Run by the benchmark's own interpreter, never the stage's.
FAKE_SHELL = r"""
import json, subprocess, sys, time
serve_argv, worker_argv, cwd = json.loads(sys.argv[1])
serve = subprocess.Popen(serve_argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, cwd=cwd)
ready = json.loads(serve.stdout.readline())
worker = subprocess.Popen(worker_argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, cwd=cwd)
print(json.dumps({"serve": serve.pid, "worker": worker.pid, "url": ready.get("url")}), flush=True)
while True:
    time.sleep(60)
"""


def run(stage: Stage, work: Path, runs: int, say=print) -> dict:
    app_data = work / "shutdown"
    prepare_app_data(stage, app_data)
    _become_subreaper()
    samples: dict[str, list[dict]] = {"stop": [], "orphan": []}
    for number in range(runs):
        samples["stop"].append(_stop_sample(stage, app_data))
        samples["orphan"].append(_orphan_sample(stage, app_data))
        say(
            f"shutdown {number + 1}/{runs}: stop {samples['stop'][-1]['all_gone_ms']:.0f} ms, "
            f"orphan {samples['orphan'][-1]['all_gone_ms']:.0f} ms"
        )
    return {
        "samples": samples,
        "summary": {
            kind: {
                "all_gone_ms": summarize(s["all_gone_ms"] for s in rows),
                "left_running": sum(s["left_running"] for s in rows),
            }
            for kind, rows in samples.items()
        },
    }


def _stop_sample(stage: Stage, app_data: Path) -> dict:
    token = new_token()
    env = stage.env(app_data, token)
    serve, url = start_serve(stage, env)
    worker = _start_worker_and_wait(stage, env, app_data)
    _touch(url, token)
    processes = {"serve": serve, "worker": worker}
    tree = _tree_pids(processes.values())
    began = time.perf_counter()
    for process in processes.values():
        process.stdin.close()
    exited = {}
    deadline = began + GIVE_UP_SECONDS
    while len(exited) < len(processes) and time.perf_counter() < deadline:
        for name, process in processes.items():
            if name not in exited and process.poll() is not None:
                exited[name] = (time.perf_counter() - began) * 1000
        time.sleep(POLL_SECONDS)
    others = [pid for pid in tree if pid not in {p.pid for p in processes.values()}]
    descendants = _wait_gone(others, began, deadline)
    for process in processes.values():
        stop(process)  # kills anything that overstayed, so the next run starts clean
    times = [*exited.values(), *(at for at in descendants.values() if at is not None)]
    left = len(processes) - len(exited) + sum(at is None for at in descendants.values())
    return {
        **{f"{name}_ms": value for name, value in exited.items()},
        "all_gone_ms": max(times) if not left else GIVE_UP_SECONDS * 1000,
        "left_running": left,
    }


def _orphan_sample(stage: Stage, app_data: Path) -> dict:
    token = new_token()
    env = stage.env(app_data, token)
    log = app_data / "logs" / "worker.log"
    offset = log_size(log)
    shell = subprocess.Popen(
        [sys.executable, "-c", FAKE_SHELL,
         json.dumps([stage.argv("serve"), stage.argv("worker"), str(stage.root)])],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    try:
        started = json.loads(read_line(shell, 60))
        wait_for_log(log, "worker started", offset, timeout=60)
        _touch(started["url"], token)
        pids = [started["serve"], started["worker"]]
        pids += [pid for pid in _tree_pids_of(pids) if pid not in pids]
        time.sleep(0.2)  # let the worker settle into its poll sleep
        began = time.perf_counter()
        shell.kill()
        shell.wait()
        gone = _wait_gone(pids, began, began + GIVE_UP_SECONDS)
    finally:
        if shell.poll() is None:
            shell.kill()
            shell.wait()
        shell.stdout.close()
    left = [pid for pid, at in gone.items() if at is None]
    for pid in left:  # never leave an orphan behind, even when the guard failed
        with contextlib.suppress(psutil.NoSuchProcess):
            psutil.Process(pid).kill()
    times = [at for at in gone.values() if at is not None]
    return {
        "serve_ms": gone[started["serve"]],
        "worker_ms": gone[started["worker"]],
        "all_gone_ms": max(times) if not left else GIVE_UP_SECONDS * 1000,
        "left_running": len(left),
    }


def _start_worker_and_wait(stage: Stage, env: dict, app_data: Path) -> subprocess.Popen:
    log = app_data / "logs" / "worker.log"
    offset = log_size(log)
    worker = start_worker(stage, env)
    wait_for_log(log, "worker started", offset, timeout=60)
    time.sleep(0.2)  # let the worker settle into its poll sleep
    return worker


def _touch(url: str, token: str) -> None:
    """A few requests first, so the server has live threads and a database connection."""
    client = Client(url, token)
    try:
        for path in ("/health/", "/", "/routines/"):
            client.request("GET", path)
    finally:
        client.close()


def _tree_pids(processes) -> list[int]:
    return _tree_pids_of([p.pid for p in processes])


def _tree_pids_of(pids: list[int]) -> list[int]:
    found = list(pids)
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess):
            found += [child.pid for child in psutil.Process(pid).children(recursive=True)]
    return found


def _wait_gone(pids: list[int], began: float, deadline: float) -> dict[int, float | None]:
    """When each pid was gone (ms after `began`), or None if it still ran at the deadline."""
    gone: dict[int, float | None] = {pid: None for pid in pids}
    while any(at is None for at in gone.values()) and time.perf_counter() < deadline:
        for pid, at in gone.items():
            if at is None and not _alive(pid):
                gone[pid] = (time.perf_counter() - began) * 1000
        time.sleep(POLL_SECONDS)
    return gone


def _alive(pid: int) -> bool:
    if hasattr(os, "WNOHANG"):
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, os.WNOHANG)  # reap it if it became our child (subreaper)
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _become_subreaper() -> None:
    """Linux: orphans of the killed shell become our children, so we can reap them exactly
    instead of leaving zombies to an init that may never reap them in a container."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
