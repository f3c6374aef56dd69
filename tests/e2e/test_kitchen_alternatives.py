"""What each participant reads about the other side, over HTTP with their own keys: a kitchen
reads why its open deliveries are open and the nearest alternative on its order
(``GET /orders/{id}``: the rule, the measure and limit, the district of the nearest group; not
the group, its supply or its asking price), another kitchen and a group are refused it (403);
a group reads the kitchens it has contracts with, each with its district's names."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from matcher.auth import Role
from matcher.config import Settings
from matcher.keys import create_key
from tests.support.market import (
    API,
    buyer_body,
    certificate_body,
    delivery_dates,
    group_body,
    order_body,
    supply_body,
)

Json = dict[str, Any]
DAYS = delivery_dates(2)


@dataclass
class Parties:
    client: TestClient
    keys: dict[str, str]
    round: Json

    def get(self, who: str, path: str) -> Any:
        return self.client.get(API + path, headers={"Authorization": f"Bearer {self.keys[who]}"})

    def ok(self, who: str, path: str) -> Any:
        answer = self.get(who, path)
        assert answer.status_code == 200, (who, path, answer.text)
        return answer.json()


@pytest.fixture
def parties(tmp_path: Path) -> Iterator[Parties]:
    """A Hat Yai group (district 9011) about 23 km by road from two Songkhla city kitchens
    (9001): ``kit-far`` orders within 10 km (out of range) and under 20 THB (below the group's
    24.50), ``kit-near`` within 80 km and 30 THB, so only ``kit-near`` gets a contract."""
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/alt.db",
        auth=True,
        debounce_seconds=3600,
        max_debounce_seconds=3600,
        round_interval_seconds=0,
        webhooks_enabled=False,
    )
    with TestClient(create_app(settings)) as client:
        service = client.app.state.service  # type: ignore[attr-defined]
        now = datetime.now(UTC)
        keys: dict[str, str] = {}
        _, keys["coordinator"] = create_key(service.uow_factory, Role.COORDINATOR, None, "ops", now)

        def post(path: str, body: Json) -> Json:
            answer = client.post(
                API + path, json=body, headers={"Authorization": f"Bearer {keys['coordinator']}"}
            )
            assert answer.status_code in (200, 201), answer.text
            found: Json = answer.json()
            return found

        post("/groups", group_body())
        post("/certificates", certificate_body())
        post("/supply", supply_body())
        post("/buyers", buyer_body("kit-far"))
        post("/buyers", buyer_body("kit-near"))
        post("/orders", order_body("ord-far", "kit-far", deliveries=DAYS[:1], max_distance_km=10))
        post("/orders", order_body("ord-cheap", "kit-far", deliveries=DAYS, max_price="20.00"))
        post("/orders", order_body("ord-near", "kit-near", deliveries=DAYS))
        matching = post("/rounds", {})
        for who, role, participant in (
            ("kitchen", Role.KITCHEN, "kit-far"),
            ("other_kitchen", Role.KITCHEN, "kit-near"),
            ("group", Role.GROUP, "grp-hatyai"),
        ):
            _, keys[who] = create_key(service.uow_factory, role, participant, who, now)
        yield Parties(client, keys, matching)


def round_line(parties: Parties, order_id: str, day: str) -> Json:
    found: Json = next(
        u for u in parties.round["unfilled"] if u["order_id"] == order_id and u["date"] == day
    )
    return found


def test_the_kitchen_reads_the_nearest_group_out_of_range_and_its_district(
    parties: Parties,
) -> None:
    order = parties.ok("kitchen", "/orders/ord-far")

    (delivery,) = order["delivery_status"]
    line = round_line(parties, "ord-far", delivery["date"])
    assert line["alternative"]["measure"] == "distance_km"
    assert delivery["open"] == 40
    assert delivery["unfilled"] == {
        "reason": "out_of_range",
        "quantity": 40,
        "alternative": {
            "rule": "out_of_range",
            "measure": "distance_km",
            "value": line["alternative"]["value"],
            "limit": 10.0,
            "district": "9011",
            "district_name_th": "หาดใหญ่",
            "district_name_en": "Hat Yai",
        },
    }
    assert 15 < delivery["unfilled"]["alternative"]["value"] < 40


def test_the_kitchen_is_not_told_the_groups_id_supply_or_asking_price(parties: Parties) -> None:
    order = parties.ok("kitchen", "/orders/ord-cheap")

    for delivery in order["delivery_status"]:
        alternative = delivery["unfilled"]["alternative"]
        assert delivery["unfilled"]["reason"] == "price_too_high"
        assert (alternative["measure"], alternative["value"]) == ("unit_price_thb", None)
        line = round_line(parties, "ord-cheap", delivery["date"])
        assert alternative["limit"] == line["alternative"]["limit"]
        assert line["alternative"]["value"] is not None  # the coordinator's round has it
    text = json.dumps(order)
    assert "grp-hatyai" not in text
    assert "sup-kale-1" not in text
    assert "24.5" not in text


def test_a_delivery_under_contract_has_no_unfilled_reason(parties: Parties) -> None:
    order = parties.ok("other_kitchen", "/orders/ord-near")

    assert [(d["open"], d["unfilled"]) for d in order["delivery_status"]] == [(0, None), (0, None)]


def test_another_kitchen_and_a_group_are_refused_the_order(parties: Parties) -> None:
    for who in ("other_kitchen", "group"):
        answer = parties.get(who, "/orders/ord-far")
        assert answer.status_code == 403, (who, answer.text)
        assert "alternative" not in answer.text


def test_a_group_reads_its_contracted_kitchens_with_their_district_names(
    parties: Parties,
) -> None:
    buyers = parties.ok("group", "/buyers")
    one = parties.ok("group", "/buyers/kit-near")

    assert [b["id"] for b in buyers] == ["kit-near"]
    assert buyers[0] == one
    assert (one["district"], one["district_name_th"], one["district_name_en"]) == (
        "9001",
        "เมืองสงขลา",
        "Mueang Songkhla",
    )
    assert parties.get("group", "/buyers/kit-far").status_code == 403
