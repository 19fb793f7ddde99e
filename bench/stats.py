"""Summaries of timing samples: medians and tail percentiles, never a mean alone."""

from __future__ import annotations

import math
from collections.abc import Iterable


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation between closest ranks."""
    if not values:
        return math.nan
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summarize(values: Iterable[float], digits: int = 2) -> dict:
    samples = [float(v) for v in values]
    if not samples:
        return {"n": 0}
    return {
        "n": len(samples),
        "median": round(percentile(samples, 50), digits),
        "p10": round(percentile(samples, 10), digits),
        "p90": round(percentile(samples, 90), digits),
        "p99": round(percentile(samples, 99), digits),
        "min": round(min(samples), digits),
        "max": round(max(samples), digits),
    }


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator rounded for a table, or None when either side is missing."""
    if not numerator or not denominator:
        return None
    return round(numerator / denominator, 2)
