"""`python -m bench` (what `nox -s bench` runs): measure the staged backend, write
`<output>/<date>-<git sha>.json|.md|.png`, and exit 1 if a sanity check fails.

Sanity (all that `--quick` asserts, for CI): every measurement is present and no request or
task failed. Timing targets are reported, never asserted: they hold on a quiet machine only.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from desktop_django_tools import locations

from bench import (
    latency,
    machine,
    report,
    shells,
    shutdown,
    size,
    startup,
    tasks,
    timeline,
    updates,
)
from bench.staged import Stage

REPO = Path(__file__).resolve().parent.parent
MEASUREMENTS = (
    "startup", "latency", "tasks", "shutdown", "size", "memory", "shells", "timeline", "updates"
)  # fmt: skip
SCHEMA_VERSION = 1


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="nox -s bench --", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="few runs, fast compression (CI)")
    parser.add_argument("--runs", type=int, help="warm start-ups per side (default 20, quick 3)")
    parser.add_argument("--cold-runs", type=int, help="cold start-ups per side (default runs/3)")
    parser.add_argument(
        "--stage",
        type=Path,
        default=locations.stage_dir(REPO),
        help="the staged backend (default: .stage/backend)",
    )
    parser.add_argument("--output", type=Path, help="results folder (default bench/results)")
    parser.add_argument(
        "--only", action="append", choices=MEASUREMENTS, help="run only these (repeatable)"
    )
    parser.add_argument(
        "--cold-method",
        choices=("auto", "drop-caches", "fresh-copy"),
        help="how a cold start is made (default: drop the page cache if permitted; quick: copy)",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another stage (say, built before a change) whose launcher joins the start-up runs",
    )
    parser.add_argument(
        "--positron-baseline",
        type=Path,
        help="a folder with another flying_stable_positron (say, an older commit's) that "
        "joins the timeline runs",
    )
    parser.add_argument(
        "--tauri-baseline",
        type=Path,
        help="another Tauri release binary (say, an older commit's) that joins the timeline runs",
    )
    parser.add_argument("--keep-work", action="store_true", help="keep the scratch folder")
    args = parser.parse_args(argv)
    args.runs = args.runs or (3 if args.quick else 20)
    args.cold_runs = args.cold_runs or (1 if args.quick else max(2, args.runs // 3))
    args.cold_method = args.cold_method or ("fresh-copy" if args.quick else "auto")
    if args.output is None:
        args.output = REPO / ("test-artifacts/bench" if args.quick else "bench/results")
    args.only = args.only or list(MEASUREMENTS)
    if "memory" in args.only and "latency" not in args.only:
        args.only.append("latency")  # peak RSS is read after the request run
    return args


# The scratch folder's name; it is removed when the run ends (`--keep-work` keeps it).
SCRATCH_PREFIX = ".bench-work-"


def say(message: str) -> None:
    print(f"bench: {message}", flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    stage = Stage.load(args.stage)
    if not stage.has_bytecode:
        say("warning: this stage has no precompiled bytecode; 'launcher' is not as shipped")
    # Scratch (stage copies, app data, archives) beside the stage, on its disk: /tmp may be a
    # small tmpfs (Debian 13), and a fresh copy must be cold on the disk the stage is on.
    try:
        work = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX, dir=stage.root.parent))
    except OSError:  # a read-only folder around the stage
        work = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX))
    began = time.monotonic()
    git = machine.git(REPO)
    results: dict = {
        "schemaVersion": SCHEMA_VERSION,
        "meta": {
            "date": datetime.now(UTC).strftime("%Y-%m-%d"),
            "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "git": git,
            "command": _command(argv),
            "machine": machine.describe(),
            "stage": machine.stage_facts(stage),
            "options": {
                "quick": args.quick,
                "runs": args.runs,
                "cold_runs": args.cold_runs,
                "measurements": [m for m in MEASUREMENTS if m in args.only],
            },
        },
    }
    memory: dict = {}
    durations = results["meta"]["durations_s"] = {}

    def timed(name: str, measure):
        began_one = time.monotonic()
        try:
            return measure()
        finally:
            durations[name] = round(time.monotonic() - began_one, 1)

    plans = {
        "latency": latency.QUICK if args.quick else latency.FULL,
        "tasks": tasks.QUICK if args.quick else tasks.FULL,
        "size": size.QUICK if args.quick else size.FULL,
    }
    try:
        with machine.LoadMonitor() as load:
            if "startup" in args.only:
                results["startup"] = timed("startup", lambda: _startup(stage, work, args))
            if "latency" in args.only:
                results["latency"], snapshot = timed(
                    "latency", lambda: latency.run(stage, work, plans["latency"], say)
                )
                memory.update(snapshot)
            if "tasks" in args.only:
                results["tasks"], snapshot = timed(
                    "tasks", lambda: tasks.run(stage, work, plans["tasks"], say)
                )
                memory.update(snapshot)
            if "shutdown" in args.only:
                runs = 2 if args.quick else 10
                results["shutdown"] = timed(
                    "shutdown", lambda: shutdown.run(stage, work, runs, say)
                )
            if "size" in args.only:
                results["size"] = timed(
                    "size", lambda: size.measure(stage, work, plans["size"], say=say)
                )
            if "memory" in args.only:
                results["memory"] = memory
            if "shells" in args.only:
                results["shells"] = timed("shells", lambda: shells.run(stage, work, args.runs, say))
            if "updates" in args.only:
                results["updates"] = timed(
                    "updates", lambda: updates.run(stage, work, args.quick, say)
                )
            if "timeline" in args.only:
                baseline = Stage.load(args.baseline) if args.baseline else None
                results["timeline"] = timed(
                    "timeline",
                    lambda: timeline.run(
                        stage,
                        work,
                        args.runs,
                        say,
                        baseline,
                        args.positron_baseline,
                        args.tauri_baseline,
                    ),
                )
    finally:
        if args.keep_work:
            say(f"scratch folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    results["meta"]["duration_s"] = round(time.monotonic() - began, 1)
    results["meta"]["load_average_1min"] = load.summary()
    problems = sanity_problems(results, args.only)
    regressions = timing_regressions(results)
    results["sanity"] = {
        "ok": not problems and not regressions,
        "problems": problems,
        "regressions": regressions,
    }
    paths = report.write(results, args.output, f"{results['meta']['date']}-{git['sha']}")
    print()
    if "timeline" in results:
        print("\n".join(report.timeline_text(results["timeline"])))
    print(report.headline(results))
    for kind, path in paths.items():
        say(f"{kind}: {path}")
    for problem in problems:
        say(f"SANITY: {problem}")
    for regression in regressions:
        say(f"SANITY (timing): {regression}")
    return 1 if problems or regressions else 0


def _startup(stage: Stage, work: Path, args: argparse.Namespace) -> dict:
    # The same stage minus every .pyc, started with -B (a read-only install folder).
    no_bytecode = stage.copy_to(work / "no-bytecode" / "backend", bytecode=False)
    sides = [
        startup.Side(startup.LAUNCHER, stage),
        startup.Side(startup.CONVENTIONAL, stage),
        startup.Side(startup.NO_BYTECODE, no_bytecode, no_bytecode_writes=True),
    ]
    if args.baseline:
        sides.append(startup.Side(startup.BASELINE, Stage.load(args.baseline)))
    try:
        return startup.run(sides, work, args.runs, args.cold_runs, args.cold_method, say)
    finally:
        shutil.rmtree(no_bytecode.root.parent, ignore_errors=True)  # a whole stage: not kept


def _command(argv: list[str] | None) -> str:
    # Paths are this machine's business: the results are committed.
    args = [
        "PATH" if os.path.isabs(arg) else arg for arg in (sys.argv[1:] if argv is None else argv)
    ]
    if os.environ.get("NOX_CURRENT_SESSION") == "bench":
        return " ".join(["nox -s bench", *(["--", *args] if args else [])])
    return " ".join(["python -m bench", *args])


def sanity_problems(results: dict, selected: list[str]) -> list[str]:
    """Everything that makes a run unusable, whatever the timings."""
    problems = [f"{name}: missing" for name in selected if not results.get(name)]
    for phase, by_side in results.get("startup", {}).get("samples", {}).items():
        for side, runs in by_side.items():
            if not runs or any("health_ms" not in r or "page_ms" not in r for r in runs):
                problems.append(f"startup {phase} {side}: no complete runs")
    # runserver's errors are a finding about runserver, reported in the table; the packaged
    # server must have none.
    for endpoint, by_clients in results.get("latency", {}).get("endpoints", {}).items():
        for clients, by_side in by_clients.items():
            for side, row in by_side.items():
                if side == "ratio_p50" or not isinstance(row, dict):
                    continue
                if not row["requests"] or (side == latency.PACKAGED and row["errors"]):
                    problems.append(
                        f"latency {endpoint} x{clients} {side}: {row['errors']} errors of "
                        f"{row['requests']} ({'; '.join(row['error_examples'][:2])})"
                    )
    for group in ("probes", "bursts"):
        for name, row in results.get("tasks", {}).get(group, {}).items():
            if row["errors"] or not row["tasks"]:
                problems.append(f"tasks {group} {name}: {row['errors']} of {row['tasks']} failed")
    for kind, row in results.get("shutdown", {}).get("summary", {}).items():
        if row["left_running"]:
            problems.append(f"shutdown {kind}: {row['left_running']} processes left running")
    total = results.get("size", {}).get("total", {})
    if results.get("size") and not (total.get("bytes") and total.get("xz_bytes")):
        problems.append("size: no total")
    app_layer = results.get("updates", {}).get("app_code", {})
    if results.get("updates") and not app_layer.get("layer_bytes"):
        problems.append("updates: no app-code layer")
    if results.get("updates"):
        timed_rows = {
            "apply": app_layer.get("apply", {}),
            "restart": results["updates"].get("restart", {}),
            "rollback": results["updates"].get("rollback", {}),
        }
        for name, row in timed_rows.items():
            if not row.get("measured"):
                problems.append(f"updates {name}: not measured ({row.get('reason')})")
    for name, row in results.get("memory", {}).items():
        if not row.get("peak_rss_bytes"):
            problems.append(f"memory {name}: no peak RSS")
    # A shell not built here is reported as missing; one that was found must have measured.
    for name in results.get("shells", {}).get("sides", []):
        runs = results["shells"]["samples"][name]
        if not runs or not all(run["peak_rss_bytes"] for run in runs):
            problems.append(f"shells {name}: no complete runs")
    if "timeline" in results and not timeline.has_ready_and_floor(results["timeline"]):
        problems.append("timeline: no ready line or no floor measured")
    return problems


def timing_regressions(results: dict) -> list[str]:
    """The timing verdicts, kept apart from the problems above: both fail the run, but only
    a problem says the bench itself is broken (a loaded machine can fail a timing)."""
    if "timeline" not in results:
        return []
    return list(filter(None, [timeline.regression(results["timeline"])]))


if __name__ == "__main__":
    sys.exit(main())
