"""What the numbers were measured on: the machine, the sources and the stage."""

from __future__ import annotations

import os
import platform
from pathlib import Path

import psutil
from desktop_django_tools.integrations import git as git_cli

from bench.staged import Stage


def describe() -> dict:
    cpu = _cpu_model()
    cores = os.cpu_count() or 0
    memory_gb = round(psutil.virtual_memory().total / 2**30)
    system = _os_name()
    return {
        "cpu": cpu,
        "cores": cores,
        "memory_gib": memory_gb,
        "os": system,
        "kernel": platform.release(),
        "arch": platform.machine(),
        "description": f"{system}, {cores} x {cpu}, {memory_gb} GiB RAM",
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def _os_name() -> str:
    try:
        return platform.freedesktop_os_release()["PRETTY_NAME"]
    except (OSError, AttributeError, KeyError):
        return f"{platform.system()} {platform.release()}"


def git(repo: Path) -> dict:
    """The commit measured ("unknown" outside a checkout), and whether tracked files differ."""
    head = git_cli.head(repo)
    if head is None:
        return {"sha": "unknown", "dirty": False}
    dirty = bool(git_cli.output(repo, "status", "--porcelain", "--untracked-files=no"))
    return {"sha": head[:10], "dirty": dirty}


def stage_facts(stage: Stage) -> dict:
    site = next(stage.root.glob("python/lib/python3*/site-packages"), None) or next(
        stage.root.glob("python/Lib/site-packages"), None
    )
    django = "unknown"
    if site is not None:
        for dist in site.glob("django-*.dist-info"):
            django = dist.name.removesuffix(".dist-info").split("-")[1]
    build = stage.manifest.get("build", {})
    return {
        "python": stage.manifest["python"]["version"],
        "python_source": build.get("pythonSource", "unknown"),
        "bytecode": build.get("bytecode"),
        "built_from": build.get("gitSha", "")[:10],
        "django": django,
    }


class LoadMonitor:
    """The 1-minute load average at the start, the end and its peak in between: the numbers
    mean little if other work shared the cores, so the results say how busy the machine was."""

    def __init__(self, every: float = 2.0):
        import threading

        self._every = every
        self._stop = threading.Event()
        self._samples: list[float] = []
        self._thread = threading.Thread(target=self._run, name="load-monitor", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._samples.append(_load())
            self._stop.wait(self._every)

    def __enter__(self) -> LoadMonitor:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join()
        self._samples.append(_load())

    def summary(self) -> dict:
        samples = self._samples or [_load()]
        return {
            "start": round(samples[0], 2),
            "end": round(samples[-1], 2),
            "max": round(max(samples), 2),
            "mean": round(sum(samples) / len(samples), 2),
        }


def _load() -> float:
    try:
        return os.getloadavg()[0]
    except (OSError, AttributeError):
        return 0.0
