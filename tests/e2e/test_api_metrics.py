"""/metrics after a scripted scenario: every catalogue metric the API serves is there, with the
catalogue's labels and the values the scenario implies; the dashboard's JSON agrees."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from matcher.adapters.catalogue import CATALOGUE, exported_names
from matcher.config import Settings
from matcher.domain.weeks import iso_week
from tests.support.api_keys import sign_in
from tests.support.builders import road_km
from tests.support.market import API, HAT_YAI, SONGKHLA_CITY, Market, delivery_dates

Samples = dict[str, list[tuple[dict[str, str], float]]]


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/metrics.db",
        debounce_seconds=3600,  # only the rounds the script asks for
        max_debounce_seconds=3600,
        round_interval_seconds=0,
        metrics_cache_seconds=0,
    )
    with TestClient(create_app(settings)) as client:
        sign_in(client)
        yield client


def scrape(client: TestClient) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200
    out: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for s in family.samples:
            out.setdefault(s.name, []).append((dict(s.labels), s.value))
    return out


def value(samples: Samples, name: str, **labels: str) -> float:
    found = [
        v for got, v in samples.get(name, []) if all(got.get(k) == x for k, x in labels.items())
    ]
    assert len(found) == 1, (name, labels, samples.get(name))
    return found[0]


def scenario(market: Market) -> dict[str, Any]:
    """Two groups, two kitchens; kale fully served, rice without supply, an organic order
    nobody can serve, a refused order, one contract accepted."""
    days = delivery_dates(3)
    market.group_with_certificate("grp-hatyai")
    market.group_with_certificate("grp-chana", lat=6.9, lon=100.74, district="9003")
    market.buyer("hosp-songkhla")
    market.buyer("sch-hatyai", kind="school", lat=7.01, lon=100.47, district="9011")
    market.supply("sup-kale", "grp-hatyai", weeks={iso_week(d): 100 for d in days})
    market.supply("sup-chana", "grp-chana", crop_id="morning_glory", weeks={iso_week(days[0]): 50})
    market.order("ord-kale", "hosp-songkhla", deliveries=days)  # 40 x 3
    market.order("ord-rice", "hosp-songkhla", crop_id="rice_jasmine", deliveries=days[:2])
    market.order("ord-organic", "sch-hatyai", deliveries=days[:1], min_tier="ORGANIC")
    refused = market.client.post(
        API + "/orders", json={"id": "o-x", "buyer_id": "nobody", "crop_id": "kale",
                               "quantity": 5, "deliveries": [days[0].isoformat()]},
    )  # fmt: skip
    assert refused.status_code in (404, 422), refused.text
    market.run_round()
    (kale,) = market.contracts(order_id="ord-kale")
    accepted = market.client.post(
        f"{API}/contracts/{kale['id']}/accept", json={"actor": "group:grp-hatyai"}
    )
    assert accepted.status_code == 200, accepted.text
    return {"days": days, "contract": kale}


def test_the_catalogue_metrics_are_scraped_with_their_labels_and_values(
    client: TestClient,
) -> None:
    script = scenario(Market(client))
    samples = scrape(client)

    for spec in CATALOGUE:
        if spec.served_by == "worker":
            continue  # served by the Kafka workers (tests/kafka)
        names = exported_names(spec)
        assert any(n in samples for n in names), f"{spec.name} is missing from /metrics"
        for n in names:
            for labels, _ in samples.get(n, []):
                assert set(labels) - {"le"} == set(spec.labels), (n, labels)

    days = script["days"]
    consumed = "foodmatch_messages_consumed_total"
    assert value(samples, consumed, topic="participants", outcome="ok") == 6
    assert value(samples, consumed, topic="supply", outcome="ok") == 2
    assert value(samples, consumed, topic="orders", outcome="ok") == 3
    assert value(samples, consumed, topic="orders", outcome="rejected") == 1
    assert value(samples, consumed, topic="round-requests", outcome="ok") == 1
    assert value(samples, consumed, topic="contract-responses", outcome="ok") == 1
    assert value(samples, "foodmatch_rounds_total", trigger="request", status="completed") == 1
    assert value(samples, "foodmatch_round_duration_seconds_count") == 1
    assert value(samples, "foodmatch_solver_runs_total", solver="flow", status="optimal") == 1
    assert value(samples, "foodmatch_contracts_proposed_total", crop="kale") == 1

    assert value(samples, "foodmatch_participants", role="group") == 2
    assert value(samples, "foodmatch_participants", role="buyer") == 2
    assert value(samples, "foodmatch_contracts", state="accepted") == 1
    assert value(samples, "foodmatch_contracts", state="proposed") == 0
    for d in days:
        week = iso_week(d)
        organic = 40 if d == days[0] else 0  # the organic order nobody serves
        assert value(samples, "foodmatch_ordered_units", crop="kale", week=week) == 40 + organic
        assert value(samples, "foodmatch_contracted_units", crop="kale", week=week) == 40
        rate = value(samples, "foodmatch_fill_rate", crop="kale", week=week)
        assert rate == 40 / (40 + organic)
    rice = value(samples, "foodmatch_unmet_demand_units", reason="no_supply",
                 crop="rice_jasmine", district="9001")  # fmt: skip
    assert rice == 2 * 40
    unserved = value(samples, "foodmatch_unmet_demand_units", reason="standard_not_met",
                     crop="kale", district="9011")  # fmt: skip
    assert unserved == 40
    assert value(samples, "foodmatch_open_demand_units", crop="rice_jasmine") == 80
    assert value(samples, "foodmatch_supply_announced_units", crop="kale") == 300
    assert value(samples, "foodmatch_supply_contracted_units", crop="kale") == 120
    assert value(samples, "foodmatch_supply_utilisation", crop="kale") == 0.4
    assert value(samples, "foodmatch_free_supply_units", crop="morning_glory") == 50
    km = road_km(HAT_YAI, SONGKHLA_CITY)
    assert value(samples, "foodmatch_km_per_unit", crop="kale") == pytest.approx(km, abs=0.01)
    # one group has all the volume and income: as unequal as two groups can be
    assert value(samples, "foodmatch_gini", measure="volume") == 0.5
    assert value(samples, "foodmatch_gini", measure="income") == 0.5
    assert value(samples, "foodmatch_last_round_fill_rate") == pytest.approx(120 / 240)
    assert value(samples, "foodmatch_last_round_gap") == 0
    info = value(samples, "foodmatch_last_round_info", solver="flow", trigger="request")
    assert info == 1


def test_the_dashboard_figures_agree_with_the_metrics(client: TestClient) -> None:
    market = Market(client)
    scenario(market)
    samples = scrape(client)

    unmet = market.get("/stats/unmet")
    assert unmet["total"] == sum(v for _, v in samples["foodmatch_unmet_demand_units"])
    assert {r["reason"] for r in unmet["by_reason"]} == {"no_supply", "standard_not_met"}
    assert unmet["pending"] == 0
    fill = market.get("/stats/fill")
    assert fill["ordered"] == sum(v for _, v in samples["foodmatch_ordered_units"])
    assert fill["contracted"] == 120
    groups = market.get("/stats/groups")
    assert groups["gini"]["volume"] == value(samples, "foodmatch_gini", measure="volume")
    assert [g["group_id"] for g in groups["groups"]] == ["grp-hatyai", "grp-chana"]
    overview = market.get("/overview")
    assert overview["open_demand"] == sum(v for _, v in samples["foodmatch_open_demand_units"])
    assert overview["free_supply"] == 300 - 120 + 50
    the_map = market.get("/map")
    assert [(x["group_id"], x["buyer_id"], x["quantity"]) for x in the_map["links"]] == [
        ("grp-hatyai", "hosp-songkhla", 120)
    ]
    report = market.get("/report/planning")
    assert report["total"] == unmet["total"]
    assert {(x["crop_id"], x["reason"]) for x in report["lines"]} == {
        ("rice_jasmine", "no_supply"),
        ("kale", "standard_not_met"),
    }
    csv = client.get(API + "/report/planning.csv", params={"crop_id": "rice_jasmine"})
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    assert len(csv.text.strip().splitlines()) == 1 + 2  # header and one line per week
    bad = client.get(API + "/report/planning", params={"week": "2026-50"})
    assert bad.status_code == 422
