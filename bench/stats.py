"""Percentiles the way the report states them: nearest-rank on the sorted sample, in milliseconds."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(sorted_values: Sequence[float], p: float) -> float:
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def summarize(latencies_ms: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99/mean/max and the sample size of a list of latencies in ms."""
    values = sorted(latencies_ms)
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
        "mean": sum(values) / len(values),
        "max": values[-1],
    }
