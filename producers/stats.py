"""Statistics of stream benchmarks: rates and latency summaries. Pure.

The percentiles are :func:`matcher.percentile.percentile`'s, by nearest rank, as in
``foodmatch bench api``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from matcher.percentile import percentile


def rate(count: int, seconds: float) -> float:
    """Events per second; 0 when no time has passed."""
    return count / seconds if seconds > 0 else 0.0


def count_between(times: Iterable[float], start: float, end: float) -> int:
    """How many of ``times`` fall in the half-open window ``[start, end)``."""
    return sum(1 for t in times if start <= t < end)


@dataclass(frozen=True, slots=True)
class LatencySummary:
    """Latencies in seconds; the percentiles (nearest rank) are ``None`` when nothing was
    measured."""

    count: int
    unmatched: int
    p50: float | None
    p95: float | None
    p99: float | None
    max: float | None
    mean: float | None


def summarize_latencies(latencies: Iterable[float], unmatched: int = 0) -> LatencySummary:
    values = sorted(latencies)
    if not values:
        return LatencySummary(0, unmatched, None, None, None, None, None)
    return LatencySummary(
        count=len(values),
        unmatched=unmatched,
        p50=percentile(values, 50),
        p95=percentile(values, 95),
        p99=percentile(values, 99),
        max=values[-1],
        mean=sum(values) / len(values),
    )


def latencies_of(
    sent: dict[str, float], first_seen: dict[str, float]
) -> tuple[list[float], list[str]]:
    """Per key: the time from sending to first sight, and the keys never seen (sorted)."""
    latencies = [first_seen[key] - at for key, at in sent.items() if key in first_seen]
    missing = sorted(key for key in sent if key not in first_seen)
    return latencies, missing


@dataclass(frozen=True, slots=True)
class IngestFigures:
    """What a saturating producer measured of a consumer that reports what it handled."""

    sent: int
    handled: int
    refused: int
    produce_seconds: float
    window_seconds: float
    handled_in_window: int
    drain_seconds: float | None
    """From the end of producing until the last message was handled (None: not all were)."""

    @property
    def produce_rate(self) -> float:
        return rate(self.sent, self.produce_seconds)

    @property
    def sustained_rate(self) -> float:
        """Messages handled per second during the measurement window (after the warm-up)."""
        return rate(self.handled_in_window, self.window_seconds)


def ingest_figures(
    *,
    sent: int,
    handled_at: Iterable[float],
    refused: int,
    started: float,
    window_start: float,
    stopped: float,
) -> IngestFigures:
    """Figures of one ingest run from the times (one clock) at which messages were handled."""
    times = sorted(handled_at)
    in_window = count_between(times, window_start, stopped)
    drain = None
    if times and len(times) + refused >= sent:
        drain = max(0.0, times[-1] - stopped)
    return IngestFigures(
        sent=sent,
        handled=len(times),
        refused=refused,
        produce_seconds=stopped - started,
        window_seconds=stopped - window_start,
        handled_in_window=in_window,
        drain_seconds=drain,
    )
