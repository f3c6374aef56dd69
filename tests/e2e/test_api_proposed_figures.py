"""The coordinator's figures over HTTP: the fill rate counts contracts the groups accepted, the
quantity under unanswered proposals is shown apart, and the overview's last round is the last one
that made contracts, with the empty rounds run since."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from matcher.config import Settings
from matcher.domain.weeks import iso_week
from tests.support.api_keys import sign_in
from tests.support.market import Market, delivery_dates


@pytest.fixture
def market(tmp_path: Path) -> Iterator[Market]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/figures.db",
        debounce_seconds=3600,  # only the rounds the test asks for
        max_debounce_seconds=3600,
        round_interval_seconds=0,
        metrics_cache_seconds=0,
    )
    with TestClient(create_app(settings)) as client:
        sign_in(client)
        yield Market(client)


def kale_market(market: Market) -> None:
    market.buyer()
    market.group_with_certificate()
    market.order()  # 40 kg on each of three days
    market.supply()


def gauge(market: Market, name: str, **labels: str) -> float:
    response = market.client.get("/metrics")
    assert response.status_code == 200
    found = [
        s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    ]
    assert len(found) == 1, (name, labels, found)
    return found[0]


def test_fill_rate_counts_accepted_contracts_and_shows_proposals_apart(market: Market) -> None:
    kale_market(market)
    market.run_round()
    week = iso_week(delivery_dates()[0])

    overview = market.get("/overview")
    assert (overview["ordered"], overview["contracted"], overview["proposed"]) == (120, 0, 120)
    assert overview["fill_rate"] == 0.0
    assert overview["open_demand"] == 0  # a proposal holds its quantity
    fill = market.get("/stats/fill")
    assert (fill["contracted"], fill["proposed"], fill["fill_rate"]) == (0, 120, 0.0)
    assert fill["crops"][0]["weeks"][week] == {
        "ordered": 40,
        "contracted": 0,
        "proposed": 40,
        "fill_rate": 0.0,
    }
    assert gauge(market, "foodmatch_proposed_units", crop="kale", week=week) == 40
    assert gauge(market, "foodmatch_contracted_units", crop="kale", week=week) == 0
    assert gauge(market, "foodmatch_fill_rate", crop="kale", week=week) == 0
    (group,) = market.get("/stats/groups")["groups"]
    assert (group["contracted"], group["proposed"]) == (0, 120)

    (contract,) = market.contracts()
    market.post(f"/contracts/{contract['id']}/accept", {"actor": "group:grp-hatyai"})

    overview = market.get("/overview")
    assert (overview["contracted"], overview["proposed"], overview["fill_rate"]) == (120, 0, 1.0)
    fill = market.get("/stats/fill")
    assert (fill["contracted"], fill["proposed"], fill["fill_rate"]) == (120, 0, 1.0)
    assert gauge(market, "foodmatch_proposed_units", crop="kale", week=week) == 0
    assert gauge(market, "foodmatch_contracted_units", crop="kale", week=week) == 40
    assert gauge(market, "foodmatch_fill_rate", crop="kale", week=week) == 1.0


def test_overview_shows_the_last_round_that_made_contracts_and_the_empty_rounds_since(
    market: Market,
) -> None:
    empty_first = market.run_round()
    overview = market.get("/overview")
    assert overview["last_round"] is None
    assert overview["empty_rounds_since"] == 1
    assert overview["last_empty_round_at"] == empty_first["finished_at"]

    kale_market(market)
    cleared = market.run_round()
    assert cleared["contract_ids"]
    overview = market.get("/overview")
    assert overview["last_round"]["id"] == cleared["id"]
    assert (overview["empty_rounds_since"], overview["last_empty_round_at"]) == (0, None)

    market.run_round()
    latest_empty = market.run_round()
    assert latest_empty["contract_ids"] == []

    overview = market.get("/overview")
    assert overview["last_round"]["id"] == cleared["id"]
    assert overview["last_round"]["summary"]["fill_rate"] == 1.0
    assert overview["empty_rounds_since"] == 2
    assert overview["last_empty_round_at"] == latest_empty["finished_at"]
    assert overview["rounds"] == 4
    assert market.get("/rounds", limit=1)[0]["id"] == latest_empty["id"]
