"""The minimal FastAPI + SQLite reference of ``foodmatch bench api``, in process, and the ratio
the bench gives against it."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bench.api.figures import (
    EngineRun,
    PhaseFigures,
    RoundFigures,
    Sample,
    phase_figures,
    render,
    report_json,
)
from bench.api.reference_app import create_app


def _order(order_id: str = "ord-1") -> dict[str, Any]:
    return {
        "id": order_id,
        "buyer_id": "kit-1",
        "crop_id": "kale",
        "quantity": 20,
        "deliveries": ["2026-03-02", "2026-03-09"],
        "min_tier": "SAFE",
        "max_price": "30.00",
        "max_distance_km": 80,
    }


def test_the_reference_stores_an_order_once_and_refuses_a_repeat_and_a_bad_body(
    tmp_path: Path,
) -> None:
    path = tmp_path / "reference.db"
    with TestClient(create_app(path)) as client:
        created = client.post("/orders", json=_order())
        repeated = client.post("/orders", json=_order())
        other = client.post("/orders", json=_order("ord-2"))
        no_quantity = client.post(
            "/orders", json={k: v for k, v in _order("x").items() if k != "quantity"}
        )
        bad_date = client.post("/orders", json=_order("y") | {"deliveries": ["not a date"]})
        extra = client.post("/orders", json=_order("z") | {"colour": "green"})

    assert (created.status_code, created.json()) == (201, {"id": "ord-1"})
    assert repeated.status_code == 409
    assert other.status_code == 201
    assert [no_quantity.status_code, bad_date.status_code, extra.status_code] == [422, 422, 422]
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT id, quantity, deliveries, max_price FROM orders ORDER BY id")
        assert rows.fetchall() == [
            ("ord-1", 20, "2026-03-02,2026-03-09", "30.00"),
            ("ord-2", 20, "2026-03-02,2026-03-09", "30.00"),
        ]
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    db.close()


def _run(orders_rps: float, p99_seconds: float, reference: PhaseFigures | None) -> EngineRun:
    samples = [Sample("order", 0.010, 201)] * 98 + [Sample("order", p99_seconds, 201)] * 2
    orders = phase_figures("orders", samples, wall_seconds=100 / orders_rps)
    reads = PhaseFigures("reads", 0, {}, 1.0, None)
    return EngineRun(
        "inprocess", "abc", "SQLite", 16, 1.0, orders, RoundFigures(0.2, 201, "completed", 3),
        reads, groups=2, kitchens=2, cpus=2, load_before=0.5, reference=reference,
    )  # fmt: skip


def _reference(rps: float) -> PhaseFigures:
    samples = [Sample("order", 0.005, 201)] * 100
    return phase_figures("reference", samples, wall_seconds=100 / rps)


def test_the_json_carries_the_reference_the_ratio_and_whether_the_target_holds() -> None:
    below = report_json([_run(90.0, 0.250, _reference(200.0))])["runs"][0]
    above = report_json([_run(180.0, 0.050, _reference(200.0))])["runs"][0]
    without = report_json([_run(90.0, 0.250, None)])["runs"][0]

    assert below["reference"]["orders_per_second"] == pytest.approx(200.0)
    assert below["reference"]["requests"] == 100
    assert below["reference"]["latency_ms"]["p50"] == pytest.approx(5.0)
    assert set(below["reference"]["latency_ms"]) >= {"p50", "p95", "p99"}
    assert below["ratio_to_reference"] == pytest.approx(0.45)
    assert below["target"] == {
        "ratio_at_least": 0.8, "p99_ms_under": 100.0, "ratio_holds": False, "p99_holds": False,
    }  # fmt: skip
    assert above["ratio_to_reference"] == pytest.approx(0.9)
    assert (above["target"]["ratio_holds"], above["target"]["p99_holds"]) == (True, True)
    assert without["reference"] is None
    assert without["ratio_to_reference"] is None
    assert without["target"] is None


def test_a_failed_reference_order_counts_as_an_error_and_the_table_shows_the_ratio() -> None:
    from rich.console import Console

    failing = phase_figures("reference", [Sample("order", 0.005, 409, "exists")], 0.5)
    run = _run(90.0, 0.250, _reference(200.0))
    console = Console(width=160, record=True)
    console.print(render([run]))
    text = console.export_text()

    assert _run(90.0, 0.250, failing).errors == 1
    assert run.errors == 0
    assert "reference POST /orders" in text
    assert "0.45 × the minimal FastAPI + SQLite reference" in text
    assert "does not hold" in text
