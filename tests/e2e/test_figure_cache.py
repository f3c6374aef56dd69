"""The coordinator's figures are computed once per state of the market and anew after every
change: what a route answers is always what the figures of the stored market are."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import figures as figures_module
from api.figures import FigureCache
from api.routes.dashboard import routed_map
from matcher.config import Settings
from matcher.domain.contracts import BookState
from matcher.service import stats, views
from matcher.service.planning import PlanningFilter, planning_report
from matcher.service.ports import ContractFilter
from tests.support.market import API, Market, delivery_dates, wait_for, weeks_of


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Rounds only on request: the market changes only when a test changes it."""
    return Settings(
        database_url=f"sqlite:///{tmp_path}/t.db",
        debounce_seconds=3600,
        max_debounce_seconds=3600,
        round_interval_seconds=0,
    )


FIGURES = (
    "/stats/fill",
    "/stats/unmet",
    "/stats/groups",
    "/map",
    "/report/planning",
    "/report/planning.csv",
)


@pytest.fixture
def facts_read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The reads of the parts of the market's facts (each part's name, once per read)."""
    reads: list[str] = []

    def counted(name: str, read: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any) -> Any:
            reads.append(name)
            return read(*args)

        return run

    for name, read in list(stats.PARTS.items()):
        monkeypatch.setitem(stats.PARTS, name, counted(name, read))
    return reads


def direct(client: TestClient) -> dict[str, Any]:
    """The figures computed straight from the stored market's objects, past any cache and past
    the sums the database keeps and adds up."""
    service = client.app.state.service  # type: ignore[attr-defined]
    ctx = service.context
    with service.read_uow_factory() as uow:
        today = ctx.clock.now().date()
        facts = stats.facts_of(
            today=today,
            crops=ctx.crops,
            districts=ctx.districts,
            groups={g.id: g for g in uow.groups.list()},
            buyers={b.id: b for b in uow.buyers.list()},
            orders=[r.order for r in uow.orders.list(state=BookState.OPEN)],
            supply=[r.supply for r in uow.supply.list(state=BookState.OPEN)],
            contracts=uow.contracts.list(ContractFilter(limit=1_000_000)),
            unfilled=uow.rounds.latest_unfilled(sorted(ctx.crops)),
        )
        return {
            "/stats/fill": stats.fill(facts),
            "/stats/unmet": stats.unmet(facts),
            "/stats/groups": stats.distribution(facts),
            "/map": routed_map(facts, ctx.roads),
            "/report/planning": planning_report(facts, PlanningFilter()),
            "/overview": views.overview(uow, today),
            "/markets/kale/book": views.open_book(uow, "kale"),
        }


def answered(client: TestClient) -> dict[str, Any]:
    out = {}
    for path in ("/stats/fill", "/stats/unmet", "/stats/groups", "/map", "/report/planning"):
        out[path] = client.get(API + path).json()
    overview = client.get(API + "/overview").json()
    overview.pop("engine")
    out["/overview"] = overview
    out["/markets/kale/book"] = client.get(API + "/markets/kale/book").json()
    return out


def comparable(figures: dict[str, Any]) -> dict[str, Any]:
    """The figures without the moment they were computed."""
    return {
        path: {k: v for k, v in body.items() if k != "generated_at"}
        for path, body in figures.items()
    }


def test_the_figures_of_one_state_are_computed_once(
    client: TestClient, market: Market, facts_read: list[str]
) -> None:
    days = delivery_dates(2)
    market.group_with_certificate("grp-a")
    market.buyer("hosp-1")
    market.supply("sup-1", "grp-a", weeks=weeks_of(days, 100))
    market.order("ord-1", "hosp-1", deliveries=days)
    for _ in range(2):
        for path in FIGURES:
            assert client.get(API + path).status_code == 200, path
    assert sorted(facts_read) == sorted(set(facts_read))  # each part read once
    assert {"demand", "held", "supply", "unmet", "open_demand_total"} <= set(facts_read)

    facts_read.clear()
    market.order("ord-2", "hosp-1", deliveries=days, quantity=30)
    fill = client.get(API + "/stats/fill").json()
    assert facts_read == ["demand"]  # a figure reads only the part it needs
    assert fill["ordered"] == 2 * 40 + 2 * 30


def test_every_change_of_the_market_shows_in_the_next_answers(
    client: TestClient, market: Market
) -> None:
    days = delivery_dates(2)
    changes: list[Callable[[], object]] = [
        lambda: market.group_with_certificate("grp-a"),
        lambda: market.buyer("hosp-1"),
        lambda: market.supply("sup-1", "grp-a", weeks=weeks_of(days, 60)),
        lambda: market.order("ord-1", "hosp-1", deliveries=days),
        lambda: market.order("ord-2", "hosp-1", deliveries=days, quantity=50),
        lambda: market.run_round(["kale"]),
        lambda: market.post(
            f"/contracts/{market.contracts()[0]['id']}/accept", {"actor": "group:grp-a"}
        ),
        lambda: market.post("/orders/ord-2/cancel", {"reason": "menu changed"}),
        lambda: market.post("/supply/sup-1/withdraw", {"reason": "flood"}),
    ]
    seen: list[int] = []
    for change in changes:
        answered(client)  # the state before the change, now kept
        change()
        now = comparable(answered(client))
        assert now == comparable(direct(client))
        seen.append(now["/stats/fill"]["ordered"])
    assert seen[3] == 80
    assert seen[4] == 180
    assert seen[-2] == 80


def test_requests_at_the_same_time_share_one_computation(
    client: TestClient, market: Market, facts_read: list[str]
) -> None:
    days = delivery_dates(2)
    market.group_with_certificate("grp-a")
    market.buyer("hosp-1")
    market.order("ord-1", "hosp-1", deliveries=days)
    answers: list[int] = []

    def ask(path: str) -> None:
        answers.append(client.get(API + path).status_code)

    threads = [threading.Thread(target=ask, args=(FIGURES[n % 4],)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert answers == [200] * 12
    assert facts_read
    assert sorted(facts_read) == sorted(set(facts_read))


def test_an_older_state_is_computed_but_not_kept() -> None:
    cache = FigureCache()
    today = date(2026, 12, 7)
    computed: list[str] = []

    def compute(label: str) -> Callable[[], str]:
        def run() -> str:
            computed.append(label)
            return label

        return run

    def get(version: tuple[int, int, date], label: str) -> str:
        answer, of = cache.get(version, "fill", compute(label))
        assert of == version
        return answer

    assert get((5, 5, today), "v5") == "v5"
    assert get((5, 5, today), "again") == "v5"
    assert get((4, 4, today), "v4") == "v4"  # an older reader
    assert get((5, 5, today), "again") == "v5"
    assert get((5, 6, today), "v5b") == "v5b"  # a late commit
    assert get((5, 6, date(2026, 12, 8)), "tomorrow") == "tomorrow"
    assert computed == ["v5", "v4", "v5b", "tomorrow"]


def test_a_slow_figure_is_answered_from_the_previous_state_while_the_current_is_computed(
    client: TestClient, market: Market, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(figures_module, "SLOW_SECONDS", 0.0)  # every figure counts as slow
    days = delivery_dates(2)
    market.group_with_certificate("grp-a")
    market.buyer("hosp-1")
    market.order("ord-1", "hosp-1", deliveries=days)
    first = client.get(API + "/stats/fill")
    assert first.headers["X-Figures-State"] == "current"  # nothing earlier to answer with
    assert first.json()["ordered"] == 80

    market.order("ord-2", "hosp-1", deliveries=days, quantity=10)
    at_once = client.get(API + "/stats/fill")
    assert at_once.headers["X-Figures-State"] == "previous"
    assert at_once.json()["ordered"] == 80

    def current() -> Any:
        answer = client.get(API + "/stats/fill")
        return answer if answer.headers["X-Figures-State"] == "current" else None

    later = wait_for(current, seconds=30)
    assert later.json()["ordered"] == 100
    assert comparable({"fill": later.json()}) == comparable({"fill": direct(client)["/stats/fill"]})


def test_the_figure_routes_document_which_state_they_answer(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in (*FIGURES, "/overview", "/markets/{crop_id}/book"):
        answer = spec["paths"][API + path]["get"]["responses"]["200"]
        assert "X-Figures-State" in answer.get("headers", {}), path


def test_the_market_gauges_read_the_facts_again_only_after_a_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from matcher.adapters.market_metrics import install
    from matcher.bootstrap import bootstrap
    from matcher.domain.model import Buyer, BuyerKind, Location
    from matcher.service import commands

    reads: list[int] = []
    original = stats.read_facts

    def counted(*args: Any) -> stats.MarketFacts:
        reads.append(1)
        return original(*args)

    monkeypatch.setattr(stats, "read_facts", counted)
    service = bootstrap(
        Settings(database_url=f"sqlite:///{tmp_path}/m.db", metrics_cache_seconds=0)
    )
    service.engine.start_sync()
    try:
        install(service)
        service.metrics.render()
        service.metrics.render()  # the cache period is over, the market has not changed
        assert len(reads) == 1
        kitchen = Buyer("hosp-9", "โรงพยาบาล", "Hospital", BuyerKind.HOSPITAL, Location(7, 100.5))
        service.engine.execute_sync(commands.RegisterBuyer(buyer=kitchen))
        assert b'foodmatch_participants{role="buyer"} 1.0' in service.metrics.render()
        assert len(reads) == 2
    finally:
        service.engine.stop_sync()
        service.close()
