"""Start-up: from process spawn to the first 200 on /health/ and on the ponies page.

Three sides, interleaved run by run on the same staged runtime and app:

- `launcher`: this project's `serve` (binds port 0 itself, prints the ready line);
- `conventional`: what most Django-in-Electron shells do: pick a port, run
  `manage.py migrate --noinput`, then `manage.py runserver 127.0.0.1:PORT --noreload`, and
  poll /health/ every 250 ms;
- `launcher-no-bytecode`: `serve` from a copy of the stage without `__pycache__` and with
  bytecode writes off (`-B`), as from a read-only install folder that shipped no .pyc files.

Warm: the page cache is warm and the app data folder exists (the everyday launch).
Cold: the first launch after install: a brand-new app data folder, and the OS page cache
dropped (when permitted) or else a fresh copy of the stage with its pages evicted.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from bench.client import first_200
from bench.staged import (
    Stage,
    free_port,
    new_token,
    prepare_app_data,
    read_line,
    start_runserver,
    stop,
)
from bench.stats import ratio, summarize

PONIES_PAGE = "/"
HEALTH = "/health/"
CONVENTIONAL_POLL_SECONDS = 0.25
START_DEADLINE_SECONDS = 60.0

LAUNCHER = "launcher"
CONVENTIONAL = "conventional"
NO_BYTECODE = "launcher-no-bytecode"
# Optional (--baseline): the launcher of another stage, e.g. one built before a change.
BASELINE = "baseline-launcher"
# serve's own log line for the stage integrity check it runs before Django starts
# (desktop_django/stage_integrity.py, IntegrityReport.describe).
STAGE_CHECK_LINE = re.compile(
    r"stage check: (\d+) files, (\d+ re-hashed|unchanged)[^(]*\(([0-9.]+) ms\)"
)


@dataclass
class Side:
    name: str
    stage: Stage
    no_bytecode_writes: bool = False


def launcher_sample(side: Side, app_data: Path, token: str) -> dict:
    stage = side.stage
    env = stage.env(app_data, token)
    began = time.perf_counter()
    process = subprocess.Popen(
        stage.argv("serve", no_bytecode_writes=side.no_bytecode_writes),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=stage.root,
    )
    try:
        line = json.loads(read_line(process, START_DEADLINE_SECONDS))
        ready = time.perf_counter()
        if line.get("event") != "ready":
            raise RuntimeError(f"serve failed: {line}")
        deadline = began + START_DEADLINE_SECONDS
        health = first_200(line["url"], HEALTH, token, deadline)
        page = first_200(line["url"], PONIES_PAGE, token, deadline)
    finally:
        stop(process)
    return {
        "ready_ms": (ready - began) * 1000,
        "health_ms": (health - began) * 1000,
        "page_ms": (page - began) * 1000,
        **_stage_check(app_data / "logs" / "serve.log"),
    }


def _stage_check(log: Path) -> dict:
    """The cost of this start's stage integrity check, from serve's own log line (the last
    one: the log holds every earlier start too). A stage from before the check has none."""
    found = STAGE_CHECK_LINE.findall(log.read_text(encoding="utf-8", errors="replace"))
    if not found:
        return {}
    _files, how, milliseconds = found[-1]
    key = "stage_check_ms" if how == "unchanged" else "stage_check_full_ms"
    return {key: float(milliseconds)}


def conventional_sample(side: Side, app_data: Path, token: str) -> dict:
    stage = side.stage
    env = stage.env(app_data, token)
    began = time.perf_counter()
    port = free_port()
    subprocess.run(
        stage.django_admin("migrate", "--noinput"),
        env=env,
        cwd=stage.root,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
        timeout=START_DEADLINE_SECONDS,
    )
    migrated = time.perf_counter()
    process = start_runserver(stage, env, port)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = began + START_DEADLINE_SECONDS
        health = first_200(url, HEALTH, token, deadline, poll_every=CONVENTIONAL_POLL_SECONDS)
        page = first_200(url, PONIES_PAGE, token, deadline)
    finally:
        process.terminate()
        process.wait(10)
    return {
        "migrate_ms": (migrated - began) * 1000,
        "health_ms": (health - began) * 1000,
        "page_ms": (page - began) * 1000,
    }


def sample(side: Side, app_data: Path) -> dict:
    token = new_token()
    if side.name == CONVENTIONAL:
        return conventional_sample(side, app_data, token)
    return launcher_sample(side, app_data, token)


# --- cold caches -----------------------------------------------------------------------

DROP_CACHES = Path("/proc/sys/vm/drop_caches")


def drop_page_cache() -> bool:
    """Drop the OS page cache (Linux, root only). False when not permitted here."""
    if not DROP_CACHES.exists():
        return False
    try:
        os.sync()
        DROP_CACHES.write_text("3\n")
    except OSError:
        return False
    return True


def evict_from_page_cache(root: Path) -> None:
    """Best effort without privileges: ask the OS to forget a tree's cached pages."""
    advise = getattr(os, "posix_fadvise", None)
    if advise is None:
        return
    for directory, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(directory, name)
            try:
                fd = os.open(path, os.O_RDONLY)
            except OSError:
                continue
            try:
                os.fsync(fd)
                advise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            except OSError:
                pass
            finally:
                os.close(fd)


def choose_cold_method(requested: str) -> str:
    if requested == "fresh-copy":
        return "fresh-copy"
    if drop_page_cache():
        return "drop-caches"
    if requested == "drop-caches":
        raise RuntimeError("--cold-method drop-caches: /proc/sys/vm/drop_caches is not writable")
    return "fresh-copy"


# --- the benchmark ---------------------------------------------------------------------


def run(
    sides: list[Side],
    work: Path,
    warm_runs: int,
    cold_runs: int,
    cold_method: str,
    say=print,
) -> dict:
    samples: dict[str, dict[str, list[dict]]] = {"warm": {}, "cold": {}}
    for phase in samples:
        for side in sides:
            samples[phase][side.name] = []

    # Warm: each side gets the same migrated and seeded database, and one discarded launch
    # that fills the page cache (and, for no-bytecode, shows it compiles every time).
    template = work / "startup-template"
    prepare_app_data(sides[0].stage, template)
    warm_data = {}
    for side in sides:
        warm_data[side.name] = work / f"startup-warm-{side.name}"
        shutil.copytree(template, warm_data[side.name], ignore=shutil.ignore_patterns("logs"))
        sample(side, warm_data[side.name])
    for number in range(warm_runs):
        for side in sides:
            samples["warm"][side.name].append(sample(side, warm_data[side.name]))
        say(f"startup warm {number + 1}/{warm_runs}: " + _latest(samples["warm"]))

    method = choose_cold_method(cold_method)
    for number in range(cold_runs):
        for side in sides:
            app_data = work / f"startup-cold-{side.name}-{number}"
            if method == "drop-caches":
                drop_page_cache()
                samples["cold"][side.name].append(sample(side, app_data))
            else:
                copy_root = work / f"startup-cold-stage-{side.name}-{number}" / "backend"
                fresh = Side(
                    side.name,
                    side.stage.copy_to(copy_root, bytecode=side.stage.has_bytecode),
                    side.no_bytecode_writes,
                )
                evict_from_page_cache(copy_root)
                samples["cold"][side.name].append(sample(fresh, app_data))
                shutil.rmtree(copy_root.parent, ignore_errors=True)
        say(f"startup cold {number + 1}/{cold_runs}: " + _latest(samples["cold"]))

    return {
        "cold_method": method,
        "conventional_poll_ms": CONVENTIONAL_POLL_SECONDS * 1000,
        "sides": [side.name for side in sides],
        "samples": samples,
        "summary": {
            phase: {name: _summaries(runs) for name, runs in by_side.items()}
            for phase, by_side in samples.items()
        },
        "ratios": {phase: _ratios(samples[phase]) for phase in samples},
    }


def _summaries(runs: list[dict]) -> dict:
    keys = sorted({key for run in runs for key in run})
    return {key: summarize(run[key] for run in runs if key in run) for key in keys}


def _ratios(by_side: dict[str, list[dict]]) -> dict:
    """Medians of each side divided by the launcher's: how many times slower."""
    medians = {name: _summaries(runs) for name, runs in by_side.items()}
    base = medians.get(LAUNCHER, {})
    out = {}
    for name in by_side:
        if name == LAUNCHER:
            continue
        out[f"{name}/{LAUNCHER}"] = {
            key: ratio(medians[name].get(key, {}).get("median"), base[key].get("median"))
            for key in ("health_ms", "page_ms")
            if key in base
        }
    return out


def _latest(by_side: dict[str, list[dict]]) -> str:
    parts = []
    for name, runs in by_side.items():
        if runs:
            parts.append(f"{name} {runs[-1]['health_ms']:.0f} ms")
    return ", ".join(parts)
