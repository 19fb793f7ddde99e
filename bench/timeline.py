"""The start-up timeline: where the milliseconds of a launch go, milestone by milestone, per
shell, so every later change shows what it moved.

Every side runs with `$DESKTOP_DJANGO_TIMELINE` (desktop_django/timeline.py) naming a fresh
file: the backend processes (`serve`, `worker`, Positron's in-process backend) and the shells
that can (Positron, Electron's main process) append their milestones to it with monotonic
timestamps; Tauri's JSON milestone lines on stdout are timed on arrival. Each point is
reported in ms since this process spawned the side. The sides, interleaved run by run after
one discarded launch each (which also migrates and seeds its app data):

- `floor`: the stage's interpreter running `import django; django.setup()` of the demo and
  printing a line: what no launcher can beat (the regression check in __main__ compares the
  ready line with it);
- `serve`: the launcher alone, spawn → its ready line;
- `electron-main`: Electron's backend supervision under plain Node (no Electron binary is
  needed): serve spawned, its ready line, the worker spawned;
- `tauri`, `positron`: the shells in their real windows on Xvfb, in smoke mode (as in
  shells.py): spawn → the main page loaded;
- `webkit-floor`: what no shell on WebKitGTK can beat (webkit_floor.py): a bare GTK window with
  one web view, spawned once a `serve` is already serving, loading an empty page and then the
  app's bootstrap URL, so the shells' page load splits into the toolkit's share and ours.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from dataclasses import replace
from pathlib import Path

from desktop_django import env as contract

from bench.staged import (
    BenchError,
    Stage,
    bootstrap_url,
    new_token,
    prepare_app_data,
    read_line,
    start_serve,
    stop,
)
from bench.stats import summarize

FLOOR, SERVE, ELECTRON, WEBKIT_FLOOR = "floor", "serve", "electron-main", "webkit-floor"
RUN_DEADLINE_SECONDS = 90.0
FLOOR_SCRIPT = "import django; django.setup(); print('set up', flush=True)"
ELECTRON_DIR = Path(__file__).resolve().parent.parent / "shells" / "electron"
ELECTRON_SCRIPT = ELECTRON_DIR / "scripts" / "backend-timeline.js"
WEBKIT_FLOOR_SCRIPT = Path(__file__).resolve().parent / "webkit_floor.py"
# The point each side is judged by (its total), and the ready line the regression check reads.
BASELINE = "-baseline"
END_POINT = {
    FLOOR: "floor:line",
    SERVE: "serve:ready-line-read",
    ELECTRON: "electron-main:worker-spawned",
    "tauri": "tauri:page-loaded",
    "positron": "positron:page-loaded",
    WEBKIT_FLOOR: "webkit:page-loaded",
}
END_POINT.update({f"{side}{BASELINE}": point for side, point in END_POINT.items()})
READY_LINE = "serve:ready-line-read"
# The ready line may cost this much more than bare django.setup() (the regression rule).
READY_OVER_FLOOR_LIMIT = 1.25
CHART_WIDTH = 60


def run(
    stage: Stage,
    work: Path,
    runs: int,
    say=print,
    baseline: Stage | None = None,
    positron_baseline: Path | None = None,
    tauri_baseline: Path | None = None,
) -> dict:
    """`baseline` (another stage) adds its floor, serve and webkit-floor as sides;
    `positron_baseline` (a folder holding another `flying_stable_positron`, say an older
    commit's) adds Positron running that code, and `tauri_baseline` (another Tauri binary)
    adds Tauri running that binary: the before and after of a change in one interleaved run."""
    sides, missing = _sides(stage, work, baseline, positron_baseline, tauri_baseline)
    for name, reason in missing.items():
        say(f"timeline: {name} not measured: {reason}")
    samples: dict[str, list[dict[str, float]]] = {side.name: [] for side in sides}
    template = work / "timeline-template"
    prepare_app_data(stage, template)
    with _display_if_needed(sides) as display:
        for side in sides:
            side.prepare(template)
            side.sample(display)  # discarded: page cache, first launch of a shell
        for number in range(runs):
            for side in sides:
                samples[side.name].append(side.sample(display))
            say(
                f"timeline {number + 1}/{runs}: "
                + ", ".join(
                    f"{name} {rows[-1].get(END_POINT[name], float('nan')):.0f} ms"
                    for name, rows in samples.items()
                )
            )
    summary = {name: _medians(rows) for name, rows in samples.items()}
    return {
        "sides": [side.name for side in sides],
        "missing": missing,
        "end_points": {side.name: END_POINT[side.name] for side in sides},
        "samples": samples,
        "summary": summary,
        "chart": {name: waterfall(name, points) for name, points in summary.items()},
    }


class _Side:
    """One way of launching, with its own app data (copied from the migrated template)."""

    def __init__(self, name: str, stage: Stage, work: Path):
        self.name, self.stage, self.work = name, stage, work
        self.app_data = work / f"timeline-{name}-data"
        self.file = work / f"timeline-{name}.jsonl"

    def prepare(self, template: Path) -> None:
        shutil.copytree(template, self.app_data, ignore=shutil.ignore_patterns("logs"))

    def env(self) -> dict[str, str]:
        self.file.unlink(missing_ok=True)
        return {**self.stage.env(self.app_data, new_token()), contract.TIMELINE: str(self.file)}

    def sample(self, display: str | None) -> dict[str, float]:
        env = self.env()
        began = time.monotonic()
        own = self.launch(env, display, began)
        return {**read_points(self.file, began), **own}

    def launch(self, env: dict, display: str | None, began: float) -> dict[str, float]:
        raise NotImplementedError


class _Floor(_Side):
    def launch(self, env: dict, display: str | None, began: float) -> dict[str, float]:
        process = subprocess.Popen(
            [str(self.stage.python), "-I", "-c", FLOOR_SCRIPT],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=self.stage.root,
        )
        line = read_line(process, RUN_DEADLINE_SECONDS)
        printed = _ms(began)
        if process.wait(RUN_DEADLINE_SECONDS) != 0 or not line.startswith(b"set up"):
            raise BenchError(f"django.setup() in the stage failed: {process.stderr.read()!r}")
        return {"floor:line": printed}


class _Serve(_Side):
    def launch(self, env: dict, display: str | None, began: float) -> dict[str, float]:
        process = subprocess.Popen(
            self.stage.argv("serve"),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=self.stage.root,
        )
        try:
            line = json.loads(read_line(process, RUN_DEADLINE_SECONDS))
            read = _ms(began)
        finally:
            stop(process)
        if line.get("event") != "ready":
            raise BenchError(f"serve did not start: {line}")
        return {READY_LINE: read}


class _ElectronMain(_Side):
    def launch(self, env: dict, display: str | None, began: float) -> dict[str, float]:
        result = subprocess.run(
            ["node", str(ELECTRON_SCRIPT), str(self.stage.root)],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            env=env,
            timeout=RUN_DEADLINE_SECONDS,
        )
        if result.returncode != 0:
            raise BenchError(f"{ELECTRON_SCRIPT.name} failed: {result.stderr.decode()[-2000:]}")
        return {}


class _Window(_Side):
    """A shell in its real window (tests/support/shell_windows.py), in smoke mode."""

    def __init__(self, window, stage: Stage, work: Path, extra_env: dict | None = None):
        super().__init__(window.name, stage, work)
        self.window, self.extra_env = window, extra_env or {}

    def sample(self, display: str | None) -> dict[str, float]:
        from tests.support.shell_windows import RunningWindow

        self.file.unlink(missing_ok=True)
        app = RunningWindow(
            self.window,
            self.stage.root,
            self.app_data,
            display,
            home=self.work / f"timeline-{self.name}-home",
            extra_env={**self.extra_env, contract.TIMELINE: str(self.file)},
        )
        try:
            status = app.wait(RUN_DEADLINE_SECONDS)
        except AssertionError as exc:
            raise BenchError(str(exc)) from None
        if status != 0 or app.first("page-loaded") is None:
            raise BenchError(f"{self.name} smoke run failed (exit {status}); {app.report()}")
        points = read_points(self.file, app.began_monotonic)
        # Lines on stdout, timed on arrival: Tauri's milestones (Positron writes its own),
        # under the shell's own name for a baseline too, as END_POINT names them.
        for at, line in app.events:
            points.setdefault(f"{self.name.removesuffix(BASELINE)}:{line['event']}", at * 1000)
        return points


class _WebKitFloor(_Side):
    """The bare web view (webkit_floor.py) on Positron's interpreter, which has PyGObject,
    against a `serve` started (untimed) before each spawn."""

    def __init__(self, name: str, stage: Stage, work: Path, python: str):
        super().__init__(name, stage, work)
        self.python = python

    def sample(self, display: str | None) -> dict[str, float]:
        from tests.support.shell_windows import bare_desktop_env

        token = new_token()
        server, url = start_serve(self.stage, self.stage.env(self.app_data, token))
        try:
            began = time.monotonic()
            done = subprocess.run(
                [self.python, "-I", str(WEBKIT_FLOOR_SCRIPT), bootstrap_url(url, token)],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                env=bare_desktop_env(display, self.work / f"timeline-{self.name}-home"),
                timeout=RUN_DEADLINE_SECONDS,
            )
        finally:
            stop(server)
        points = {
            f"webkit:{line['milestone']}": (line["t"] - began) * 1000
            for line in map(json.loads, done.stdout.splitlines())
        }
        if done.returncode != 0 or END_POINT[WEBKIT_FLOOR] not in points:
            raise BenchError(f"{WEBKIT_FLOOR_SCRIPT.name} failed: {done.stderr[-2000:]}")
        return points


def _sides(
    stage: Stage,
    work: Path,
    baseline: Stage | None,
    positron_baseline: Path | None,
    tauri_baseline: Path | None = None,
) -> tuple[list[_Side], dict[str, str]]:
    sides: list[_Side] = [_Floor(FLOOR, stage, work), _Serve(SERVE, stage, work)]
    if baseline is not None:
        sides += [
            _Floor(FLOOR + BASELINE, baseline, work),
            _Serve(SERVE + BASELINE, baseline, work),
        ]
    missing: dict[str, str] = {}
    if shutil.which("node") and ELECTRON_SCRIPT.is_file():
        sides.append(_ElectronMain(ELECTRON, stage, work))
    else:
        missing[ELECTRON] = "Node.js is not installed"
    from bench import shells

    found, unbuilt = shells._find_shells()
    missing.update(unbuilt)
    sides += [_Window(window, stage, work) for window in found]
    positron = next((window for window in found if window.name == shells.POSITRON), None)
    if positron is not None:
        sides.append(_WebKitFloor(WEBKIT_FLOOR, stage, work, positron.program[0]))
        if baseline is not None:  # the other stage's page, in the same bare web view
            name = WEBKIT_FLOOR + BASELINE
            sides.append(_WebKitFloor(name, baseline, work, positron.program[0]))
    else:
        missing[WEBKIT_FLOOR] = "it runs on Positron's interpreter (PyGObject), not found"
    if positron_baseline is not None and positron is not None:
        renamed = replace(positron, name=shells.POSITRON + BASELINE)
        sides.append(_Window(renamed, stage, work, {"PYTHONPATH": str(positron_baseline)}))
    tauri = next((window for window in found if window.name == shells.TAURI), None)
    if tauri_baseline is not None and tauri is not None:
        baseline_binary = (str(tauri_baseline.absolute()),)
        renamed = replace(tauri, name=shells.TAURI + BASELINE, program=baseline_binary)
        sides.append(_Window(renamed, stage, work))
    return sides, missing


class _display_if_needed:
    """A virtual display for the sides that open a window, else nothing."""

    def __init__(self, sides: list[_Side]):
        self.needed = any(isinstance(side, (_Window, _WebKitFloor)) for side in sides)
        self._context = None

    def __enter__(self) -> str | None:
        if not self.needed:
            return None
        from desktop_django_testing.xvfb import virtual_display

        self._context = virtual_display()
        return self._context.__enter__()

    def __exit__(self, *exc) -> None:
        if self._context is not None:
            self._context.__exit__(*exc)


def read_points(path: Path, began: float) -> dict[str, float]:
    """`process:milestone` → ms since `began` (the first time each was written)."""
    points: dict[str, float] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return points
    for raw in lines:
        line = json.loads(raw)
        points.setdefault(f"{line['process']}:{line['milestone']}", (line["t"] - began) * 1000)
    return points


def _ms(began: float) -> float:
    return (time.monotonic() - began) * 1000


def _medians(rows: list[dict[str, float]]) -> dict[str, dict]:
    keys = {key for row in rows for key in row}
    summaries = {key: summarize(row[key] for row in rows if key in row) for key in keys}
    return dict(sorted(summaries.items(), key=lambda item: item[1]["median"]))


def waterfall(name: str, points: dict[str, dict]) -> list[str]:
    """A text waterfall of the medians: each milestone a bar from the one before it in the
    same process to its own median; a process's first bar starts at the milestone before it
    (its parent has just spawned it), the side's first at the spawn."""
    if not points:
        return []
    end = max(summary["median"] for summary in points.values()) or 1.0
    scale = CHART_WIDTH / end
    label_width = max(len(key) for key in points)
    previous: dict[str, float] = {}
    last = 0.0
    lines = [f"{name}: spawn = 0 ms, {CHART_WIDTH} columns = {end:.0f} ms"]
    for key, summary in points.items():
        process = key.split(":", 1)[0]
        start, stop_at = previous.get(process, last), summary["median"]
        previous[process] = last = stop_at
        lead = round(start * scale)
        bar = "█" * max(1, round(stop_at * scale) - lead)
        lines.append(f"{key:<{label_width}} {stop_at:7.0f} ms |{' ' * lead}{bar}")
    return lines


def _ready_and_floor(timeline: dict) -> tuple[float | None, float | None]:
    summary = timeline.get("summary", {})
    ready = summary.get(SERVE, {}).get(READY_LINE, {}).get("median")
    floor = summary.get(FLOOR, {}).get("floor:line", {}).get("median")
    return ready, floor


def has_ready_and_floor(timeline: dict) -> bool:
    ready, floor = _ready_and_floor(timeline)
    return bool(ready and floor)


def regression(timeline: dict) -> str | None:
    """The quick bench's check: the ready line more than 1.25x the set-up floor of this run."""
    ready, floor = _ready_and_floor(timeline)
    if not ready or not floor:
        return None  # a missing measurement is a sanity problem (has_ready_and_floor)
    if ready > READY_OVER_FLOOR_LIMIT * floor:
        return (
            f"timeline: the ready line ({ready:.0f} ms) is {ready / floor:.2f}x the Django "
            f"set-up floor ({floor:.0f} ms), over the {READY_OVER_FLOOR_LIMIT}x allowed"
        )
    return None
