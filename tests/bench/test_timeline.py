"""The timeline's arithmetic (bench/timeline.py): milestones on the shared clock become ms
since the spawn, and the regression rule holds the ready line to 1.25x the set-up floor. The
measurement itself runs in the quick bench (test_bench_quick.py)."""

from __future__ import annotations

import json

from bench import timeline


def summary(ready_ms: float, floor_ms: float) -> dict:
    return {
        "summary": {
            timeline.SERVE: {timeline.READY_LINE: {"median": ready_ms}},
            timeline.FLOOR: {"floor:line": {"median": floor_ms}},
        }
    }


def test_a_ready_line_within_a_quarter_of_the_floor_passes():
    assert timeline.regression(summary(ready_ms=249.0, floor_ms=200.0)) is None


def test_a_ready_line_over_a_quarter_above_the_floor_fails_naming_both():
    problem = timeline.regression(summary(ready_ms=260.0, floor_ms=200.0))
    assert problem is not None
    assert "ready line (260 ms) is 1.30x the Django set-up floor (200 ms)" in problem


def test_a_run_without_a_floor_is_a_sanity_problem_not_a_timing_verdict():
    from bench.__main__ import sanity_problems, timing_regressions

    results = {"timeline": {"summary": {}}}
    assert "timeline: no ready line or no floor measured" in sanity_problems(results, [])
    assert timing_regressions(results) == []


def test_a_slow_ready_line_is_a_timing_regression_of_the_run():
    from bench.__main__ import sanity_problems, timing_regressions

    results = {"timeline": summary(ready_ms=260.0, floor_ms=200.0)}
    assert sanity_problems(results, []) == []
    (regression,) = timing_regressions(results)
    assert "1.30x" in regression


def test_points_are_ms_since_the_spawn_and_the_first_line_of_each_counts(tmp_path):
    lines = [
        {"process": "serve", "pid": 1, "milestone": "interpreter-up", "t": 100.05},
        {"process": "serve", "pid": 1, "milestone": "apps-ready", "t": 100.25},
        {"process": "worker", "pid": 2, "milestone": "interpreter-up", "t": 100.30},
        {"process": "serve", "pid": 1, "milestone": "apps-ready", "t": 101.0},
    ]
    file = tmp_path / "timeline.jsonl"
    file.write_text("".join(json.dumps(line) + "\n" for line in lines))
    points = timeline.read_points(file, began=100.0)
    assert {key: round(value) for key, value in points.items()} == {
        "serve:interpreter-up": 50,
        "serve:apps-ready": 250,
        "worker:interpreter-up": 300,
    }


def test_the_waterfall_draws_each_step_after_the_one_before_it():
    points = {
        "serve:interpreter-up": {"median": 100.0},
        "serve:apps-ready": {"median": 400.0},
        "worker:interpreter-up": {"median": 600.0},
    }
    header, *rows = timeline.waterfall("serve", points)
    assert "600 ms" in header
    bars = [row.split("|", 1)[1] for row in rows]
    # 60 columns for 600 ms: 0-100, 100-400, then the worker from the last step, 400-600.
    assert [(len(bar) - len(bar.lstrip()), len(bar.strip())) for bar in bars] == [
        (0, 10),
        (10, 30),
        (40, 20),
    ]
