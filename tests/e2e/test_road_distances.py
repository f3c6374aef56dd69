"""Rounds measure road distances around Songkhla Lake; a coordinator's table overrides a pair.

A Khuan Niang group supplies Singhanakhon Hospital across the lake: about 20 km in a straight
line, about 70 km by road (Hat Yai, Songkhla and the Tinsulanonda bridge).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from matcher.config import Settings
from matcher.domain.model import Location
from matcher.geo import great_circle_km
from tests.support.api_keys import sign_in
from tests.support.market import API, Market, delivery_dates, weeks_of

KHUAN_NIANG = (7.190, 100.373)
SINGHANAKHON_HOSPITAL = (7.266, 100.524)


@pytest.fixture
def database(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/roads.db"


@pytest.fixture
def client(database: str) -> Iterator[TestClient]:
    settings = Settings(
        database_url=database,
        debounce_seconds=3600,
        max_debounce_seconds=3600,
        round_interval_seconds=0,
    )
    with TestClient(create_app(settings)) as client:
        sign_in(client)
        yield client


@pytest.fixture
def market(client: TestClient) -> Market:
    market = Market(client)
    lat, lon = KHUAN_NIANG
    market.group_with_certificate("grp-kn", lat=lat, lon=lon, district="9013")
    lat, lon = SINGHANAKHON_HOSPITAL
    market.buyer("hosp-sn", lat=lat, lon=lon, district="9015")
    days = delivery_dates(2)
    market.supply("sup-kn", "grp-kn", weeks=weeks_of(days, 100))
    market.order("ord-sn", "hosp-sn", deliveries=days, quantity=20)
    return market


def test_a_round_measures_the_road_around_the_lake(market: Market) -> None:
    market.run_round(["kale"])
    [contract] = market.contracts(buyer_id="hosp-sn")
    straight = great_circle_km(Location(*KHUAN_NIANG), Location(*SINGHANAKHON_HOSPITAL))
    assert straight < 21
    kms = {d["distance_km"] for d in contract["deliveries"]}
    assert len(kms) == 1
    [km] = kms
    assert 70 <= km <= 80.5
    route = market.get("/road-distances/route", group_id="grp-kn", buyer_id="hosp-sn")
    assert route["measure"] == "road_model"
    assert route["km"] == km
    assert [p["name_en"] for p in route["places"]][:3] == ["Khuan Niang", "Bang Klam", "Hat Yai"]
    assert "Ko Yo" in [p["name_en"] for p in route["places"]]


def test_a_coordinators_figure_overrides_the_road_model(client: TestClient, market: Market) -> None:
    body = {"distances": [{"group_id": "grp-kn", "buyer_id": "hosp-sn", "km": 66.5,
                           "source": "odometer, 2026-11"}]}  # fmt: skip
    put = client.put(f"{API}/road-distances", json=body)
    assert put.status_code == 200, put.text
    assert put.json() == {"stored": 1}
    [row] = market.get("/road-distances")
    assert (row["group_id"], row["buyer_id"], row["km"]) == ("grp-kn", "hosp-sn", 66.5)
    assert row["source"] == "odometer, 2026-11"
    market.run_round(["kale"])
    [contract] = market.contracts(buyer_id="hosp-sn")
    assert {d["distance_km"] for d in contract["deliveries"]} == {66.5}
    route = market.get("/road-distances/route", group_id="grp-kn", buyer_id="hosp-sn")
    assert (route["measure"], route["km"], route["places"]) == ("table", 66.5, [])


def test_a_figure_for_an_unknown_participant_is_refused(client: TestClient, market: Market) -> None:
    body = {"distances": [{"group_id": "grp-kn", "buyer_id": "hosp-sn", "km": 60},
                          {"group_id": "grp-none", "buyer_id": "hosp-sn", "km": 60}]}  # fmt: skip
    refused = client.put(f"{API}/road-distances", json=body)
    assert refused.status_code in (404, 422), refused.text
    assert "grp-none" in refused.text
    assert market.get("/road-distances") == []  # nothing stored


def test_one_request_takes_at_most_a_hundred_pairs(client: TestClient, market: Market) -> None:
    """The largest request stays under the body limit; a larger table goes in parts."""
    pair = {"group_id": "grp-kn", "buyer_id": "hosp-sn", "km": 60}
    refused = client.put(f"{API}/road-distances", json={"distances": [pair] * 101})
    assert refused.status_code == 422, refused.text
    assert "100" in refused.text
    stored = client.put(f"{API}/road-distances", json={"distances": [pair] * 100})
    assert stored.status_code == 200, stored.text
    assert [d["km"] for d in market.get("/road-distances")] == [60]


def test_the_csv_import_stores_the_good_lines(
    client: TestClient, market: Market, database: str, tmp_path: Path
) -> None:
    import typer

    from producers.cli import import_csv

    app = typer.Typer()
    app.command()(import_csv)
    csv = tmp_path / "roads.csv"
    csv.write_text(
        "group_id,buyer_id,km,source\n"
        "grp-kn,hosp-sn,71.2,district office\n"
        "grp-kn,hosp-none,50,\n"
        "grp-kn,hosp-sn,far,\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["roads", str(csv), "--db", database])
    assert result.exit_code == 1, result.output
    assert "1 pairs stored, 2 rejected" in result.output
    assert "line 3" in result.output
    assert "hosp-none" in result.output
    assert "line 4" in result.output
    [row] = market.get("/road-distances")
    assert (row["km"], row["source"]) == (71.2, "district office")
