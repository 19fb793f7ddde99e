"""Scenario 6: two launches on one app data folder, and many start/stop cycles in a row."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading

import psutil
import pytest
from desktop_django_testing.backend import read_protocol_line, spawn
from desktop_django_testing.ci import only_on

from tests.reliability.conftest import size

pytestmark = pytest.mark.slow


def test_two_simultaneous_launches_have_exactly_one_owner(backend, tmp_path, scoreboard):
    env = backend(tmp_path / "contested").env
    barrier = threading.Barrier(2)
    processes: list[subprocess.Popen] = []

    def launch():
        barrier.wait()
        processes.append(spawn("serve", env))

    threads = [threading.Thread(target=launch) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    events = sorted(read_protocol_line(p)["event"] for p in processes)
    for process in processes:
        process.stdin.close()
        process.wait(timeout=10)
        process.stdout.close()
    scoreboard("6 two launches, one owner", 1, int(events != ["error", "ready"]), str(events))
    assert events == ["error", "ready"]


def test_start_stop_cycles_leak_nothing(backend, tmp_path, scoreboard):
    cycles = size("restart_cycles")
    app_data = tmp_path / "cycles"
    backend(app_data).start().stop()
    files_after_first = sorted(p.name for p in app_data.iterdir())
    me = psutil.Process()
    failures = []
    for cycle in range(cycles):
        running = backend(app_data).start()
        if running.get("/health/").status != 200:
            failures.append(f"cycle {cycle}: unhealthy")
        running.stop()
    files = sorted(p.name for p in app_data.iterdir())
    leftovers = [c.pid for c in me.children(recursive=True) if c.status() != psutil.STATUS_ZOMBIE]
    if files != files_after_first:
        failures.append(f"files changed: {sorted(set(files) ^ set(files_after_first))}")
    if leftovers:
        failures.append(f"processes left: {leftovers}")
    scoreboard("6 start/stop cycles (processes)", cycles, len(failures), "; ".join(failures)[:80])
    assert not failures


IN_PROCESS_CYCLES = textwrap.dedent(
    """
    import json, os, sys, threading
    from desktop_django.app_data import AppData
    from desktop_django.service import WebBackend, setup_django

    setup_django("flying_stable.settings.packaged")
    app_data = AppData.from_environment()
    counts = []
    for cycle in range(int(sys.argv[1])):
        backend = WebBackend(app_data)
        backend.start()
        backend.stop()
        counts.append((len(os.listdir("/proc/self/fd")), threading.active_count()))
    print(json.dumps(counts))
    """
)


@only_on("linux", reason="counts /proc/self/fd")
def test_in_process_restarts_leak_no_file_handles(backend, tmp_path, scoreboard):
    """Positron starts and stops the backend inside one long-lived process: a handle leaked
    per cycle would add up over a day of use."""
    cycles = size("restart_cycles")
    env = backend(tmp_path / "in-process").env
    done = subprocess.run(
        [sys.executable, "-c", IN_PROCESS_CYCLES, str(cycles)],
        env=env, capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    counts = json.loads(done.stdout.splitlines()[-1])
    # The first cycle opens what stays open for good; after that nothing may grow.
    (fds_first, threads_first), (fds_last, threads_last) = counts[0], counts[-1]
    leaked = (fds_last > fds_first) + (threads_last > threads_first)
    note = f"fds {fds_first}->{fds_last}, threads {threads_first}->{threads_last}"
    scoreboard("6 start/stop cycles (in-process)", cycles, leaked, note)
    assert not leaked, counts


# A stand-in shell that starts `serve` without the stdin guard (as on a platform where it
# cannot fire), reports its pid and ready line, then idles until it is killed.
UNGUARDED_PARENT = """
import subprocess, sys, time
serve = subprocess.Popen([sys.executable, "-m", "flying_stable.desktop", "serve",
                          "--no-stdin-guard"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
print(serve.pid, flush=True)
print(serve.stdout.readline().decode().strip(), flush=True)
time.sleep(600)
"""


def test_backend_left_running_by_a_crashed_shell_is_stopped(backend, tmp_path, scoreboard):
    """Stale-instance sweep: the new launch stops the orphan (its shell is gone) and starts."""
    running = backend(tmp_path / "stale")
    shell = subprocess.Popen(
        [sys.executable, "-c", UNGUARDED_PARENT], env=running.env, stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    stale_pid = int(shell.stdout.readline())
    assert '"ready"' in shell.stdout.readline()
    shell.kill()  # the shell crashes; its serve keeps the lock, serving nobody
    shell.wait()
    shell.stdout.close()
    stale = psutil.Process(stale_pid)
    try:
        assert stale.is_running()
        running.start()
        gone = not stale.is_running() or stale.status() == psutil.STATUS_ZOMBIE
        healthy = running.get("/health/").status == 200
    finally:
        if stale.is_running():
            stale.kill()
    log = (running.app_data / "logs" / "serve.log").read_text(encoding="utf-8")
    explained = f"stopping pid {stale_pid}" in log
    scoreboard("7 stale backend swept", 1, int(not (gone and healthy and explained)))
    assert gone, f"pid {stale_pid} still runs"
    assert healthy
    assert explained, "the sweep was not logged"


@pytest.mark.parametrize("differs", ["start time", "command line"])
def test_a_process_that_is_not_ours_is_never_touched(backend, tmp_path, scoreboard, differs):
    """The owner record names a pid that now belongs to another program (a recycled pid)
    which holds the lock: the launch refuses and leaves it alone. Either of start time and
    command line not matching the record is enough to tell."""
    running = backend(tmp_path / "foreign")
    running.app_data.mkdir(parents=True)
    lock_file = running.app_data / "app.lock"
    foreign = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time, filelock; held = filelock.FileLock(sys.argv[1]); held.acquire();"
         "print('held', flush=True); time.sleep(600)", str(lock_file)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert foreign.stdout.readline().strip() == "held"
        me = psutil.Process(foreign.pid)
        # What a stale serve with this pid would have recorded; its shell is long gone.
        (running.app_data / "app.owner.json").write_text(
            json.dumps({
                "pid": foreign.pid, "argv": [sys.executable, "-m", "flying_stable.desktop",
                                             "serve"],
                "started": me.create_time() - (3600 if differs == "start time" else 0),
                "parent": 999999, "parent_started": 0,
                "shell_child": True,
            })
        )  # fmt: skip
        serve = spawn("serve", running.env)
        line = read_protocol_line(serve)
        serve.stdin.close()
        serve.wait(timeout=10)
        serve.stdout.close()
        untouched = foreign.poll() is None
    finally:
        foreign.kill()
        foreign.wait()
        foreign.stdout.close()
    refused = line["event"] == "error" and "already serving" in line["message"]
    scoreboard(f"7 foreign pid never touched ({differs})", 1, int(not (untouched and refused)))
    assert untouched, "the foreign process was stopped"
    assert refused, line
