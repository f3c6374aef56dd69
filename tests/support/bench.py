"""What every `foodmatch bench api` run's figures must show, whichever engine it ran on."""

from __future__ import annotations

from typing import Any


def check_figures(phase: dict[str, Any], requests: int) -> None:
    """A phase's figures make sense: every request counted, none failed, ordered percentiles."""
    assert phase["requests"] == requests
    assert phase["errors"] == 0, phase["errors_by_status"]
    assert phase["wall_seconds"] > 0
    assert phase["requests_per_second"] > 0
    lat = phase["latency_ms"]
    assert 0 < lat["p50"] <= lat["p90"] <= lat["p95"] <= lat["p99"] <= lat["max"]
