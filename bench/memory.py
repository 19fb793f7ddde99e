"""Memory of a backend process: peak resident set size (the high-water mark), and now."""

from __future__ import annotations

from pathlib import Path

import psutil


def snapshot(pid: int) -> dict:
    """Peak RSS from the kernel's high-water mark where there is one (Linux: VmHWM; Windows:
    peak working set); elsewhere the current RSS stands in and `peak_source` says so."""
    process = psutil.Process(pid)
    info = process.memory_info()
    peak, source = _linux_peak(pid), "VmHWM"
    if peak is None and hasattr(info, "peak_wset"):
        peak, source = info.peak_wset, "peak_wset"
    if peak is None:
        peak, source = info.rss, "rss (no peak available on this OS)"
    return {"peak_rss_bytes": peak, "rss_bytes": info.rss, "peak_source": source}


def _linux_peak(pid: int) -> int | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return None
