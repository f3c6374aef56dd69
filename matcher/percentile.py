"""The percentile both benchmarks report (``foodmatch bench api`` and ``foodmatch bench stream``).

Nearest rank, so a reported p95 is always a latency that was measured: with ``n`` values sorted
ascending, the ``q``-th percentile is the value of rank ``ceil(q/100 * n)`` (counting from 1; rank
1 for ``q`` = 0), the smallest value with at least ``q`` % of the values at or below it. It does
not interpolate between ranks (NumPy's default does): of 1..10 the p95 is 10, not 9.55. Pure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["percentile"]


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of ``values`` by nearest rank: the smallest value with at
    least ``q`` % of the values at or below it (``q`` = 0 gives the smallest value)."""
    if not values:
        raise ValueError("the percentile of no values is undefined")
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"percentile {q} is outside 0..100")
    ordered = sorted(values)
    # rounded first, so that an error in the last bits cannot move a whole rank up
    rank = math.ceil(round(q * len(ordered) / 100.0, 9))
    return ordered[max(rank, 1) - 1]
