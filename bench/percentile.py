"""Percentiles of measured latencies."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of ``values`` by nearest rank: the smallest value with at
    least ``q`` % of the values at or below it (``q`` = 0 gives the smallest value)."""
    if not values:
        raise ValueError("the percentile of no values is undefined")
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"percentile {q} is outside 0..100")
    ordered = sorted(values)
    rank = math.ceil(round(q * len(ordered) / 100.0, 9))
    return ordered[max(rank, 1) - 1]
