"""Stopping a launcher child the way a shell does, shared by the benchmarks and the tests."""

from __future__ import annotations

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
