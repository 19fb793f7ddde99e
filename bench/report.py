"""The results: one JSON document, a Markdown report (targets first), and a PNG chart of the
start-up distributions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from bench.startup import CONVENTIONAL, LAUNCHER
from bench.stats import percentile

MB = 1_000_000


@dataclass(frozen=True)
class Target:
    name: str
    wanted: str
    value: float | None
    unit: str
    met: bool | None


def _get(data: dict, *keys, default=None):
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return default
        data = data[key]
    return data


def targets(results: dict) -> list[Target]:
    """The issue's targets for this machine, evaluated on the measured values."""
    startup = results.get("startup", {})
    latency = results.get("latency", {}).get("endpoints", {})
    full_list = results.get("latency", {}).get("rows") == 1000
    warm = _get(startup, "summary", "warm", default={})
    ready = _get(warm, LAUNCHER, "ready_ms", "median")
    stage_check = _get(warm, LAUNCHER, "stage_check_ms", "median")
    stage_check_share = round(100 * stage_check / ready, 1) if stage_check and ready else None
    speedup = _get(startup, "ratios", "warm", f"{CONVENTIONAL}/{LAUNCHER}", "health_ms")
    health = _get(latency, "health", "1", "packaged", "latency_ms", "median")
    ponies = _get(latency, "ponies", "1", "packaged", "latency_ms", "median") if full_list else None
    errors_32 = (
        sum(_get(latency, endpoint, "32", "packaged", "errors", default=0) for endpoint in latency)
        if latency
        else None
    )
    task_start = _get(results, "tasks", "probes", "shipped", "start_latency_ms", "median")
    stop_max = _get(results, "shutdown", "summary", "stop", "all_gone_ms", "max")
    orphan_max = _get(results, "shutdown", "summary", "orphan", "all_gone_ms", "max")
    unpacked = _get(results, "size", "total", "bytes")
    compressed = _get(results, "size", "total", "zstd_bytes") or _get(
        results, "size", "total", "xz_bytes"
    )

    shell_rows = _get(results, "shells", "summary", default={})
    timeline_rows = _get(results, "timeline", "summary", default={})
    timeline_ready = _get(timeline_rows, "serve", "serve:ready-line-read", "median")
    timeline_floor = _get(timeline_rows, "floor", "floor:line", "median")
    over_floor = (
        round(timeline_ready / timeline_floor, 2) if timeline_ready and timeline_floor else None
    )

    def at_most(value, limit):
        return None if value is None else value <= limit

    return [
        Target("serve ready line, warm, median", "≤ 250 ms", ready, "ms", at_most(ready, 250)),
        Target(
            "stage integrity check at start, warm: share of the ready line (medians)",
            "≤ 5 %",
            stage_check_share,
            "%",
            at_most(stage_check_share, 5),
        ),
        Target(
            "first /health/ 200, warm: conventional ÷ launcher (medians)",
            "≥ 3x",
            speedup,
            "x",
            None if speedup is None else speedup >= 3,
        ),
        Target("/health/ p50, 1 client", "≤ 3 ms", health, "ms", at_most(health, 3)),
        Target(
            "ponies list (1,000 rows) p50, 1 client", "≤ 25 ms", ponies, "ms", at_most(ponies, 25)
        ),
        Target(
            "request errors at 32 clients (packaged)", "0", errors_32, "", at_most(errors_32, 0)
        ),
        Target(
            "task start latency p50 (shipped polling)",
            "≤ 150 ms",
            task_start,
            "ms",
            at_most(task_start, 150),
        ),
        Target(
            "shutdown: stop request → all processes gone (worst run)",
            "≤ 500 ms",
            stop_max,
            "ms",
            at_most(stop_max, 500),
        ),
        Target(
            "orphans exit after SIGKILL of the shell (worst run)",
            "≤ 1000 ms",
            orphan_max,
            "ms",
            at_most(orphan_max, 1000),
        ),
        Target("stage unpacked", "≤ 45 MB", _mb(unpacked), "MB", at_most(unpacked, 45 * MB)),
        Target(
            f"stage compressed (zstd -{_get(results, 'size', 'levels', 'zstd', default='?')})",
            "≤ 10 MB",
            _mb(compressed),
            "MB",
            at_most(compressed, 10 * MB),
        ),
        Target(
            "serve ready line ÷ django.setup() floor, same run (timeline medians)",
            "≤ 1.1x",
            over_floor,
            "x",
            None if over_floor is None else over_floor <= 1.1,
        ),
        *_update_targets(results.get("updates")),
        *_shell_targets(shell_rows),
        *_timeline_targets(timeline_rows),
    ]


def _update_targets(updates: dict | None) -> list[Target]:
    """A backend layer against the installer the same change would otherwise need."""
    if not updates:
        return []
    app = updates["app_code"]
    kb = app["layer_bytes"] / 1000
    installer = updates["installer"]
    patch = updates["django_patch"]
    share = patch["share"] * 100 if patch.get("measured") else None
    apply = app["apply"]
    apply_s = apply["s"] if apply.get("measured") else None
    installer_mib = installer["bytes"] / 2**20
    restart = _get(updates, "restart", default={})
    restart_s = restart.get("s") if restart.get("measured") else None
    normal_s = _get(restart, "normal", "median")
    restart_met = None if restart_s is None or normal_s is None else restart_s <= normal_s + 1
    rollback = _get(updates, "rollback", default={})
    rollback_s = rollback.get("s") if rollback.get("measured") else None
    return [
        Target(f"backend layer, app code only (a template and a view; installer: "
               f"{installer_mib:.1f} MiB {installer['name']})", "≤ 100 KB", round(kb, 1), "KB",
               kb <= 100),
        Target("backend layer, Django patch upgrade ÷ whole stage compressed", "≤ 25 %",
               None if share is None else round(share, 1), "%",
               None if share is None else share <= 25),
        Target("apply the app-code layer (verify, build the slot, re-hash)", "≤ 2 s", apply_s,
               "s", None if apply_s is None else apply_s <= 2),
        Target("restart onto the new version: trial serve spawn → ready line",
               "≤ normal start + 1 s" + ("" if normal_s is None else f" ({normal_s + 1:.2f} s)"),
               restart_s, "s", restart_met),
        Target("failed trial (a migration raises) → fallback's ready line, rolledBack",
               "≤ 3 s", rollback_s, "s", None if rollback_s is None else rollback_s <= 3),
    ]  # fmt: skip


def _updates_section(updates: dict) -> list[str]:
    app, installer, patch = updates["app_code"], updates["installer"], updates["django_patch"]
    out = [
        "## Backend updates",
        "",
        "A signed layer (`desktop-django layer`) next to the installer the same change needs "
        f"otherwise ({installer['name']}, {installer['bytes']:,} bytes, {installer['source']}).",
        "",
        "| change | layer | against | share |",
        "|---|---|---|---|",
        f"| app code: {', '.join(app['changed'])} | {app['layer_bytes']:,} B "
        f"| installer {installer['bytes']:,} B | {app['layer_bytes'] / installer['bytes']:.3%} |",
    ]
    if patch.get("measured"):
        out.append(
            f"| Django {patch['from']} → {patch['to']} | {patch['layer_bytes']:,} B | whole "
            f"stage (full layer) {patch['full_layer_bytes']:,} B | {patch['share']:.1%} |"
        )
    else:
        out.append(f"| Django patch upgrade | not measured: {patch['reason']} | | |")
    out += ["", f"Making the app-code layer: {app['make_s']:.2f} s.", ""]
    normal = _get(updates, "restart", "normal", default={})
    rows = [
        ("apply the app-code layer (verify, build the slot, re-hash)", app["apply"]),
        ("normal warm start of the old version, spawn → ready line",
         {"measured": bool(normal.get("n")), "runs": normal, "reason": "no run"}),
        ("restart onto the new version (trial), spawn → ready line", updates.get("restart", {})),
        ("failed trial → the fallback's ready line (rolledBack)", updates.get("rollback", {})),
    ]  # fmt: skip
    out += ["| step | runs | median s | p10-p90 s |", "|---|---|---|---|"]
    for name, row in rows:
        runs = row.get("runs", {})
        if row.get("measured") and runs.get("n"):
            out.append(
                f"| {name} | {runs['n']} | {runs['median']:.3f} "
                f"| {runs['p10']:.3f}-{runs['p90']:.3f} |"
            )
        else:
            out.append(f"| {name} | 0 | not measured: {row.get('reason', 'no run')} | |")
    out.append("")
    return out


def _timeline_targets(summary: dict) -> list[Target]:
    """Spawn → main page in the real window, read from the timeline (the issue's 600 ms)."""
    rows = []
    for shell in ("tauri", "positron"):
        page = _get(summary, shell, f"{shell}:page-loaded", "median")
        if page is not None:
            rows.append(
                Target(f"{shell.capitalize()}: spawn → main page, warm (timeline median)",
                       "≤ 600 ms", page, "ms", page <= 600)
            )  # fmt: skip
    return rows


def _shell_targets(summary: dict) -> list[Target]:
    """The shells end to end: no target in the issue, so reported, side by side."""
    rows = []
    for shell, tree in (("Tauri", "shell + serve + worker"), ("Positron", "in-process backend")):
        side = summary.get(shell.lower(), {})
        page = _get(side, "page_loaded_ms", "median")
        peak = _get(side, "peak_rss_bytes", "median")
        pss = _get(side, "pss_at_peak_bytes", "median")
        rows += [
            Target(f"{shell}: spawn → main page in the real window, median", "reported",
                   page, "ms", None),
            Target(f"{shell}: peak RSS of the tree ({tree} + WebKit), median", "reported",
                   _mb(peak), "MB", None),
            Target(f"{shell}: PSS of the tree at that peak, median", "reported",
                   _mb(pss), "MB", None),
        ]  # fmt: skip
    return rows


def _mb(value):
    return None if value is None else round(value / MB, 1)


def _fmt(value, unit: str = "") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        text = f"{value:.1f}" if abs(value) >= 10 or unit == "MB" else f"{value:.2f}"
    else:
        text = str(value)
    return f"{text} {unit}".strip() if unit and unit != "x" else f"{text}{unit}"


def _met(value: bool | None) -> str:
    return {True: "yes", False: "**no**", None: "n/a"}[value]


def headline(results: dict) -> str:
    """The table the README shows: every target with its measured value."""
    meta = results["meta"]
    load = meta.get("load_average_1min", {})
    lines = [
        f"Measured {meta['date']} at `{meta['git']['sha']}` on {meta['machine']['description']}, "
        f"with `{meta['command']}` ({meta.get('duration_s', 0) / 60:.0f} min; 1-minute load "
        f"average during the run: mean {load.get('mean', 0):.1f}, max {load.get('max', 0):.1f}).",
        "",
        "| measurement | target | measured | met |",
        "|---|---|---|---|",
    ]
    for target in targets(results):
        lines.append(
            f"| {target.name} | {target.wanted} | {_fmt(target.value, target.unit)} "
            f"| {_met(target.met)} |"
        )
    return "\n".join(lines) + "\n"


def markdown(results: dict) -> str:
    meta = results["meta"]
    out = [
        f"# Benchmark results {meta['date']} ({meta['git']['sha']})",
        "",
        headline(results),
        f"Stage: CPython {meta['stage']['python']} ({meta['stage']['python_source']}), "
        f"Django {meta['stage']['django']}, bytecode precompiled: {meta['stage']['bytecode']}. "
        f"Mode: {'quick' if meta['options']['quick'] else 'full'}. Times in ms; MB = 10^6 bytes.",
        "",
    ]
    if "startup" in results:
        out += _startup_section(results["startup"])
        if results.get("files", {}).get("chart"):
            out += [f"![Start-up distributions]({results['files']['chart']})", ""]
    if "latency" in results:
        out += _latency_section(results["latency"])
    if "tasks" in results:
        out += _tasks_section(results["tasks"])
    if "shutdown" in results:
        out += _shutdown_section(results["shutdown"])
    if "size" in results:
        out += _size_section(results["size"])
    if "memory" in results:
        out += _memory_section(results["memory"])
    if "shells" in results:
        out += _shells_section(results["shells"])
    if "timeline" in results:
        out += _timeline_section(results["timeline"])
    if "updates" in results:
        out += _updates_section(results["updates"])
    return "\n".join(out) + "\n"


def _spread(summary: dict | None) -> str:
    if not summary or not summary.get("n"):
        return "n/a"
    return f"{summary['median']:.0f} ({summary['p10']:.0f}-{summary['p90']:.0f})"


def _startup_section(startup: dict) -> list[str]:
    out = [
        "## Start-up",
        "",
        f"From process spawn; median (p10-p90). Cold: brand-new app data and "
        f"{'the OS page cache dropped' if startup['cold_method'] == 'drop-caches' else 'a fresh copy of the stage, its pages evicted'}"  # noqa: E501
        f" (`{startup['cold_method']}`). The conventional side polls every "
        f"{startup['conventional_poll_ms']:.0f} ms.",
        "",
        "| phase | side | runs | ready line | migrate done | first /health/ 200 | first page 200 "
        "| ÷ launcher (health) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for phase, by_side in startup["summary"].items():
        ratios = startup["ratios"].get(phase, {})
        for side, metrics in by_side.items():
            factor = _get(ratios, f"{side}/{LAUNCHER}", "health_ms")
            out.append(
                f"| {phase} | {side} | {_get(metrics, 'health_ms', 'n', default=0)} "
                f"| {_spread(metrics.get('ready_ms'))} | {_spread(metrics.get('migrate_ms'))} "
                f"| {_spread(metrics.get('health_ms'))} | {_spread(metrics.get('page_ms'))} "
                f"| {'1' if side == LAUNCHER else _fmt(factor, 'x')} |"
            )
    return [*out, "", *_stage_check_rows(startup)]


def _stage_check_rows(startup: dict) -> list[str]:
    """serve's stage integrity check (stage_integrity.py), measured inside each start above:
    everyday (stat values unchanged) and full (re-hash: the first start of a new copy)."""
    rows = []
    for phase, by_side in startup["summary"].items():
        for side, metrics in by_side.items():
            ready = _get(metrics, "ready_ms", "median")
            for key, kind in (("stage_check_ms", "stat only"), ("stage_check_full_ms", "re-hash")):
                cost = _get(metrics, key, "median")
                if cost is None:
                    continue
                share = f"{100 * cost / ready:.1f} %" if ready else "n/a"
                rows.append(
                    f"| {phase} | {side} | {kind} | {metrics[key]['n']} "
                    f"| {_spread(metrics.get(key))} | {share} |"
                )
    if not rows:
        return []
    return [
        "Stage integrity check inside `serve` (before Django starts), from its own log line; "
        "median (p10-p90) ms and the median's share of the median ready line. The target is "
        "at most 5 % of the ready line for the everyday start.",
        "",
        "| phase | side | check | runs | cost ms | of ready line |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
    ]


def _latency_section(latency: dict) -> list[str]:
    requests = ", ".join(f"{name} {count}" for name, count in latency["requests"].items())
    page = latency["ponies_page"]
    out = [
        "## Requests",
        "",
        f"Packaged server (`serve`: waitress) against `runserver`, each on a copy of the same "
        f"database ({latency['rows']:,} ponies; the list page shows "
        f"{page['cards']} cards, {page['bytes'] / 1000:.0f} kB). "
        f"Requests per endpoint, clients and side: "
        f"{requests}, in {latency['rounds']} interleaved rounds, on keep-alive connections opened "
        "before the clock starts. `form` edits a pony (POST, answered with a 302).",
        "",
        "| endpoint | clients | side | requests | p50 | p90 | p99 | req/s | errors |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for endpoint, by_clients in latency["endpoints"].items():
        for clients, by_side in by_clients.items():
            for side, row in by_side.items():
                if side == "ratio_p50":
                    continue
                lat = row["latency_ms"]
                out.append(
                    f"| {endpoint} | {clients} | {side} | {row['requests']} "
                    f"| {lat.get('median', 0):.2f} | {lat.get('p90', 0):.2f} "
                    f"| {lat.get('p99', 0):.2f} | {row['requests_per_second']:.0f} "
                    f"| {row['errors']} |"
                )
    return [*out, ""]


def _tasks_section(tasks: dict) -> list[str]:
    out = [
        "## Tasks",
        "",
        f"Trivial task: {tasks['task']}. Polling interval: shipped "
        f"{tasks['intervals_s']['shipped']} s, django-tasks-db default "
        f"{tasks['intervals_s']['django-tasks-db-defaults']} s.",
        "",
        "| worker | probes | start p50 | start p99 | finish p50 | burst tasks | tasks/s "
        "(first enqueue → last finish) | drain tasks/s | errors |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, probe in tasks["probes"].items():
        burst = tasks["bursts"][name]
        start = probe["start_latency_ms"]
        out.append(
            f"| {name} | {probe['tasks']} | {start.get('median', 0):.0f} "
            f"| {start.get('p99', 0):.0f} | {probe['finish_latency_ms'].get('median', 0):.0f} "
            f"| {burst['tasks']} | {burst['tasks_per_second']:.0f} "
            f"| {burst['drain_tasks_per_second']:.0f} | {probe['errors'] + burst['errors']} |"
        )
    return [*out, ""]


def _shutdown_section(shutdown: dict) -> list[str]:
    out = [
        "## Shutdown",
        "",
        "`stop`: the shell closes the stdin of serve and worker. `orphan`: the shell is "
        "SIGKILLed; serve and worker must notice and exit by themselves.",
        "",
        "| case | runs | all gone: median | p90 | max | left running |",
        "|---|---|---|---|---|---|",
    ]
    for kind, row in shutdown["summary"].items():
        gone = row["all_gone_ms"]
        out.append(
            f"| {kind} | {gone['n']} | {gone['median']:.0f} | {gone['p90']:.0f} "
            f"| {gone['max']:.0f} | {row['left_running']} |"
        )
    return [*out, ""]


def _size_section(size: dict) -> list[str]:
    levels = size["levels"]
    out = [
        "## Size",
        "",
        f"| component | files | unpacked MB | of which .pyc | zstd -{levels['zstd']} MB "
        f"| xz -{levels['xz']} MB |",
        "|---|---|---|---|---|---|",
    ]
    rows = [*size["components"].items(), ("**total**", size["total"])]
    for name, row in rows:
        out.append(
            f"| {name} | {row['files']} | {_fmt(_mb(row['bytes']), 'MB')} "
            f"| {_fmt(_mb(row['bytecode_bytes']), 'MB')} | {_fmt(_mb(row['zstd_bytes']), 'MB')} "
            f"| {_fmt(_mb(row['xz_bytes']), 'MB')} |"
        )
    unpruned = size.get("unpruned_runtime", {})
    out.append("")
    if unpruned.get("available"):
        staged_runtime = sum(
            size["components"][name]["bytes"] for name in ("interpreter", "stdlib")
        )
        out.append(
            f"Unpruned runtime ({unpruned['source']}, without site-packages): "
            f"{_fmt(_mb(unpruned['bytes']), 'MB')} unpacked, "
            f"{_fmt(_mb(unpruned['zstd_bytes']), 'MB')} zstd -{levels['zstd']}; "
            f"staged interpreter + stdlib: {_fmt(_mb(staged_runtime), 'MB')} "
            f"({100 * (1 - staged_runtime / unpruned['bytes']):.0f}% smaller)."
        )
    else:
        out.append(f"Unpruned runtime: not measured ({unpruned.get('reason', 'skipped')}).")
    return [*out, ""]


def _memory_section(memory: dict) -> list[str]:
    out = [
        "## Memory",
        "",
        "Peak RSS (kernel high-water mark) after the request and task runs.",
        "",
        "| process | peak RSS MB | RSS now MB |",
        "|---|---|---|",
    ]
    for name, row in memory.items():
        out.append(
            f"| {name} | {_fmt(_mb(row['peak_rss_bytes']), 'MB')} "
            f"| {_fmt(_mb(row['rss_bytes']), 'MB')} |"
        )
    return [*out, ""]


def _shells_section(shells: dict) -> list[str]:
    out = [
        "## Shells end to end",
        "",
        "Each shell in its real window on Xvfb, in smoke mode, against the stage; the sides "
        "interleaved run by run, after one discarded first launch each. Page: spawn → the "
        "shell's `page-loaded` line. Peak RSS: the highest sum of RSS over the whole process "
        f"tree, sampled every {shells['sample_interval_ms']:.0f} ms (shared pages counted once "
        "per process: an upper bound). Median (p10-p90).",
        "",
        "| shell | build | runs | page loaded ms | peak RSS MB | PSS at peak MB "
        "| processes at peak | RSS at peak, by process kind (MB) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, summary in shells.get("summary", {}).items():
        runs = shells["samples"][name]
        peak, pss = summary["peak_rss_bytes"], summary["pss_at_peak_bytes"]
        heaviest = max(runs, key=lambda run: run["peak_rss_bytes"])
        kinds = ", ".join(
            f"{kind} {_mb(size):.0f}" for kind, size in sorted(heaviest["peak_by_kind"].items())
        )
        out.append(
            f"| {name} | {shells['builds'][name]} | {summary['page_loaded_ms']['n']} "
            f"| {_spread(summary['page_loaded_ms'])} "
            f"| {_mb(peak['median']):.0f} ({_mb(peak['p10']):.0f}-{_mb(peak['p90']):.0f}) "
            f"| {_mb(pss['median']):.0f} ({_mb(pss['p10']):.0f}-{_mb(pss['p90']):.0f}) "
            f"| {heaviest['peak_processes']} | {kinds} |"
        )
    for pair, values in shells.get("ratios", {}).items():
        out += [
            "",
            f"{pair} (medians): page loaded {_fmt(values['page_loaded_ms'], 'x')}, "
            f"peak RSS {_fmt(values['peak_rss_bytes'], 'x')}, "
            f"PSS at peak {_fmt(values['pss_at_peak_bytes'], 'x')}.",
        ]
    for name, reason in shells.get("missing", {}).items():
        out += ["", f"{name}: not measured ({reason})."]
    return [*out, ""]


def _timeline_section(timeline: dict) -> list[str]:
    out = [
        "## Start-up timeline",
        "",
        "Each side's milestones in ms since it was spawned (bench/timeline.py): medians over "
        "interleaved runs (p10-p90), then a waterfall of the medians.",
        "",
        *timeline_text(timeline),
    ]
    for name, reason in timeline.get("missing", {}).items():
        out += ["", f"{name}: not measured ({reason})."]
    return [*out, ""]


def timeline_text(timeline: dict) -> list[str]:
    """Per side: a table of the milestones' medians and the text waterfall (also printed)."""
    out = []
    for name, points in timeline.get("summary", {}).items():
        out += [f"### {name}", "", "| milestone | ms since spawn | runs |", "|---|---|---|"]
        out += [f"| {key} | {_spread(row)} | {row['n']} |" for key, row in points.items()]
        out += ["", "```", *timeline["chart"][name], "```", ""]
    return out


def chart(results: dict, target: Path) -> bool:
    """Box plots (with every run as a dot) of the start-up times; False without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    startup = results["startup"]
    phases = [phase for phase in ("warm", "cold") if startup["samples"].get(phase)]
    figure, axes = plt.subplots(1, len(phases), figsize=(6 * len(phases), 4.5), squeeze=False)
    colours = {"health_ms": "#3b6ea8", "page_ms": "#d08a2e"}
    labels = {"health_ms": "first /health/ 200", "page_ms": "first ponies page 200"}
    for axis, phase in zip(axes[0], phases, strict=True):
        sides = [side for side in startup["sides"] if startup["samples"][phase].get(side)]
        for offset, metric in ((-0.18, "health_ms"), (0.18, "page_ms")):
            data = [[run[metric] for run in startup["samples"][phase][side]] for side in sides]
            positions = [index + offset for index in range(len(sides))]
            boxes = axis.boxplot(
                data, positions=positions, widths=0.3, patch_artist=True, showfliers=False
            )
            for box in boxes["boxes"]:
                box.set_facecolor(colours[metric])
                box.set_alpha(0.35)
            for position, values in zip(positions, data, strict=True):
                axis.annotate(
                    f"{percentile(values, 50):.0f}",
                    (position, max(values)),
                    textcoords="offset points",
                    xytext=(0, 5),
                    ha="center",
                    fontsize=7,
                    color=colours[metric],
                )
                axis.scatter(
                    [position] * len(values),
                    values,
                    s=9,
                    color=colours[metric],
                    label=labels[metric] if position == positions[0] else None,
                )
        axis.set_xticks(range(len(sides)), [side.replace("-", "-\n", 1) for side in sides])
        axis.set_ylabel("ms from process spawn")
        axis.set_ylim(0, axis.get_ylim()[1] * 1.06)  # room for the median labels
        runs = len(data[0])
        axis.set_title(
            f"{phase} start ({runs} run{'s' if runs != 1 else ''} per side; medians above the runs)"
        )
        axis.grid(axis="y", alpha=0.3)
        axis.legend(loc="upper left", fontsize=8)
    meta = results["meta"]
    figure.suptitle(f"Start-up to first response — {meta['date']} {meta['git']['sha']}")
    figure.tight_layout()
    figure.savefig(target, dpi=110)
    plt.close(figure)
    return True


def write(results: dict, output: Path, stem: str) -> dict[str, Path]:
    output.mkdir(parents=True, exist_ok=True)
    paths = {"json": output / f"{stem}.json", "markdown": output / f"{stem}.md"}
    if "startup" in results and chart(results, output / f"{stem}.png"):
        paths["chart"] = output / f"{stem}.png"
    results["files"] = {kind: path.name for kind, path in paths.items()}
    results["targets"] = [target.__dict__ for target in targets(results)]
    paths["json"].write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    paths["markdown"].write_text(markdown(results), encoding="utf-8")
    return paths
