"""Stopping a launcher child the way a shell does, shared by the benchmarks and the tests
(the only users: the tools never start a launcher child this way)."""

from __future__ import annotations

import os
import shutil
import subprocess


def stop_child(process: subprocess.Popen, timeout: float = 10.0) -> None:
    """Close stdin (the launcher's stop signal; SIGTERM where there is no pipe), wait, and
    kill only what is still there after `timeout` seconds."""
    if process.poll() is None:
        if process.stdin:
            process.stdin.close()
        else:
            process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout:
        process.stdout.close()


def read_line_within(process: subprocess.Popen, timeout: float) -> bytes:
    """The next stdout line (b"" when stdout closed first); TimeoutError after `timeout`
    seconds. A thread does the read because select() on a pipe does not work on Windows."""
    import queue
    import threading

    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: lines.put(process.stdout.readline()), daemon=True).start()
    try:
        return lines.get(timeout=timeout)
    except queue.Empty:
        raise TimeoutError(f"no line from pid {process.pid} within {timeout} s") from None


def as_root() -> list[str] | None:
    """The prefix that runs a command as root: nothing as root, passwordless sudo (GitHub's
    runners, the newcomer's user), or None when neither is there."""
    if os.geteuid() == 0:
        return []
    if shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"], check=False).returncode == 0:
        return ["sudo", "-n"]
    return None
