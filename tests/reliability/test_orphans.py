"""Scenario 1: whatever moment the shell is killed at, no backend process outlives it by 2 s."""

from __future__ import annotations

import random
import time

import psutil
import pytest
from desktop_django_testing.backend import spawn_parent, start_routine, wait_until_gone

from tests.reliability.conftest import size

pytestmark = pytest.mark.slow

MOMENTS = ["during migration", "during startup", "idle", "while a task runs"]


def test_no_orphans_whenever_the_parent_dies(backend, tmp_path, scoreboard):
    trials = size("orphan_trials")
    failures = []
    for trial in range(trials):
        moment = MOMENTS[trial % len(MOMENTS)]
        running = backend(
            tmp_path / f"trial-{trial}",
            DJANGO_SETTINGS_MODULE="flying_stable.settings.test",
            FLYING_STABLE_ROUTINE_SECONDS="5,8",
        )
        parent, pids = spawn_parent(running.env)
        try:
            if moment == "during migration":
                time.sleep(random.uniform(0.0, 0.15))  # brand-new app data: migrating now
            elif moment == "during startup":
                time.sleep(random.uniform(0.15, 0.3))
            else:
                ready = parent.stdout.readline()
                assert '"ready"' in ready, ready
                if moment == "while a task runs":
                    url = ready.split('"url": "')[1].split('"')[0]
                    start_routine(url, running.token, "grooming")
                    time.sleep(0.6)  # the worker has claimed it and is mid-task
                else:
                    time.sleep(random.uniform(0.1, 0.5))
            # Everything the shell started, grandchildren included, must go away.
            tree = pids + [c.pid for pid in pids if psutil.pid_exists(pid)
                           for c in psutil.Process(pid).children(recursive=True)]  # fmt: skip
            parent.kill()
            parent.wait()
            left = wait_until_gone(tree, timeout=2.0)
            if left:
                failures.append(f"{moment}: {left} still running")
        finally:
            parent.kill()
            parent.stdout.close()
            for pid in pids:
                if psutil.pid_exists(pid):
                    psutil.Process(pid).kill()
    scoreboard("1 orphans", trials, len(failures), "; ".join(failures)[:80])
    assert not failures
