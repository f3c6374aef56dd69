"""``foodmatch bench api`` on the embedded engine: the real service over HTTP, tiny numbers."""

from __future__ import annotations

import json
import socket
from datetime import date

import pytest
from typer.testing import CliRunner

from bench.api.figures import (
    EngineRun,
    PhaseFigures,
    RoundFigures,
    Sample,
    phase_figures,
    render,
    report_json,
)
from bench.api.workload import Market
from matcher.cli import root_app
from tests.support.bench import check_figures

app = root_app()

runner = CliRunner()


def test_phase_figures_count_errors_by_status_and_split_by_kind() -> None:
    samples = [
        Sample("list", 0.010, 200),
        Sample("get", 0.020, 200),
        Sample("get", 0.030, 404, "GET /api/v1/contracts/x: not found"),
        Sample("list", 0.040, "ReadTimeout"),
    ]

    figures = phase_figures("reads", samples, wall_seconds=0.5)

    assert figures.requests == 4
    assert figures.error_count == 2
    assert figures.errors == {"404": 1, "ReadTimeout": 1}
    assert figures.requests_per_second == pytest.approx(8.0)
    assert figures.latency is not None
    assert figures.latency.p50 == pytest.approx(20.0)
    assert figures.latency.max == pytest.approx(40.0)
    assert set(figures.by_kind) == {"list", "get"}
    assert figures.by_kind["get"].requests == 2
    assert figures.by_kind["get"].wall_seconds is None
    assert figures.by_kind["get"].requests_per_second is None
    assert phase_figures("none", [], 0.0).latency is None


def test_the_reads_mix_lists_and_single_contracts_with_kitchen_and_coordinator_keys() -> None:
    market = Market.of("t1", groups=2, kitchens=2, today=date(2026, 1, 5))
    tokens = {kid: f"key-{kid}" for kid in market.kitchens}
    first, second = market.kitchens
    contracts = {first: ["c1", "c2"], second: []}

    calls = market.reads(10, contracts, tokens, "coord")

    assert len(calls) == 10
    assert [c.kind for c in calls[:4]] == ["list", "get", "list", "list"]  # second has none
    assert calls[1].path == "/contracts/c1"
    assert all(c.params == {"buyer_id": second} for c in calls[2:4])
    assert [c.token for c in calls].count("coord") == 2  # one in five
    assert all(c.token in ("coord", tokens[first]) for c in calls if c.kind == "get")
    orders = market.orders(7, tokens)
    assert len({c.body["id"] for c in orders if c.body}) == 7
    assert len({c.idempotency_key for c in orders}) == 7
    assert all(c.token == tokens[c.body["buyer_id"]] for c in orders if c.body)


def test_the_table_and_the_json_show_every_phase() -> None:
    from rich.console import Console

    phase = PhaseFigures("orders", 10, {}, 1.0, None)
    reads = phase_figures("reads", [Sample("list", 0.01, 200), Sample("get", 0.02, 200)], 0.1)
    run = EngineRun(
        "inprocess", "abc", "SQLite", 4, 1.0, phase, RoundFigures(0.2, 201, "completed", 3), reads,
        groups=2, kitchens=2, cpus=2, load_before=0.5,
    )  # fmt: skip
    console = Console(width=140, record=True)
    console.print(render([run]))
    text = console.export_text()

    assert "POST /orders" in text
    assert "POST /rounds" in text
    assert "GET /contracts" in text
    assert "3 contracts" in text
    body = report_json([run])
    assert body["runs"][0]["round"]["contracts"] == 3
    assert body["runs"][0]["reads"]["by_kind"]["get"]["requests"] == 1


@pytest.mark.slow
def test_bench_api_on_the_embedded_engine_measures_orders_a_round_and_reads() -> None:
    result = runner.invoke(
        app,
        ["bench", "api", "--orders", "20", "--reads", "40", "--concurrency", "4", "--json",
         "--no-figures"],
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    (run,) = body["runs"]
    assert run["engine"] == "inprocess"
    assert run["concurrency"] == 4
    check_figures(run["orders"], 20)
    check_figures(run["reads"], 40)
    assert run["reads"]["by_kind"]["list"]["requests"] == 20
    assert run["reads"]["by_kind"]["get"]["requests"] == 20
    assert run["round"]["http_status"] == 201
    assert run["round"]["status"] == "completed"
    assert run["round"]["contracts"] >= 20  # every order is filled, by one group or more
    assert run["round"]["wall_seconds"] > 0
    assert run["notes"] == []
    reference = run["reference"]  # the same 20 orders sent to the minimal FastAPI + SQLite app
    check_figures(reference, 20)
    assert reference["orders_per_second"] == reference["requests_per_second"]
    assert run["ratio_to_reference"] == pytest.approx(
        run["orders"]["requests_per_second"] / reference["orders_per_second"], rel=0.01
    )
    assert set(run["target"]) == {"ratio_at_least", "p99_ms_under", "ratio_holds", "p99_holds"}


@pytest.mark.slow
def test_bench_api_times_every_coordinator_figure_at_two_sizes_against_a_reference() -> None:
    result = runner.invoke(
        app,
        ["bench", "api", "--orders", "5", "--reads", "4", "--concurrency", "2", "--json",
         "--figure-reads", "3", "--figure-scale", "2", "--no-reference"],
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["runs"][0]["reference"] is None  # --no-reference
    assert body["runs"][0]["ratio_to_reference"] is None
    figures = body["figures"]
    assert figures["reads_per_route"] == 3
    demo, doubled = figures["sizes"]
    assert (demo["size"], doubled["size"]) == ("demo", "2x")
    assert demo["market"]["contracts"] > 300  # the demo's market: the Songkhla scenario
    registered = {"buyers": 1}  # the kitchen registered as the demo size's change, copied too
    doubled_from = {k: 2 * (v + registered.get(k, 0)) for k, v in demo["market"].items()}
    assert doubled_from == doubled["market"]
    for size in (demo, doubled):
        assert size["reference"]["path"] == "/api/v1/crops"
        paths = [route["path"] for route in size["routes"]]
        assert {"/api/v1/overview", "/api/v1/stats/fill", "/api/v1/stats/unmet"} <= set(paths)
        assert {"/api/v1/stats/groups", "/api/v1/map", "/api/v1/report/planning"} <= set(paths)
        for route in [size["reference"], *size["routes"]]:
            assert route["errors"] == 0, route
            assert route["reads"] == 3
            assert 0 < route["p50_ms"] <= route["p95_ms"]
            assert route["cold_ms"] > 0
            assert route["times_reference"] > 0
            assert route["after_change_ms"] > 0
        for route in size["routes"]:  # a small market is always answered as it is
            assert route["after_change_state"] == "current", route


def test_the_figures_table_shows_each_route_and_its_multiple_of_the_reference() -> None:
    from rich.console import Console

    from bench.api.coordinator import FiguresRun, RouteFigures, SizeFigures, render_figures

    reference = RouteFigures("/api/v1/crops", 5.0, 2.0, 3.0, 10, 1.0, 0)
    fill = RouteFigures("/api/v1/stats/fill", 400.0, 4.0, 6.0, 10, 2.0, 0)
    counts = {"contracts": 396, "orders": 294, "supply": 111, "groups": 47, "buyers": 37}
    run = FiguresRun((SizeFigures("demo", counts, reference, (fill,)),), 10, 0.5)
    console = Console(width=140, record=True)
    console.print(render_figures(run))
    text = console.export_text()

    assert "/stats/fill" in text
    assert "/crops" in text
    assert "396 contracts" in text
    assert run.to_json()["sizes"][0]["routes"][0]["times_reference"] == 2.0


def test_the_kafka_engine_is_refused_on_sqlite() -> None:
    result = runner.invoke(app, ["bench", "api", "--engine", "kafka", "--db", "sqlite:///x.db"])

    assert result.exit_code == 2
    assert "PostgreSQL, not SQLite" in result.output
    assert "Traceback" not in result.output


def test_a_busy_port_is_refused_before_anything_starts() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(app, ["bench", "api", "--port", str(port)])

    assert result.exit_code == 2
    assert f"port {port} on 127.0.0.1 is busy" in result.output
