"""Bad input gets 422 naming the field, unknown ids 404, contradictions 409; never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support.market import (
    API,
    Market,
    buyer_body,
    certificate_body,
    group_body,
    order_body,
    supply_body,
)


def _loc_of(response: Any) -> list[Any]:
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, list)
    assert detail
    assert all(isinstance(d["msg"], str) and d["msg"] for d in detail)
    loc: list[Any] = detail[0]["loc"]
    return loc


def test_zero_quantity_is_refused_naming_quantity(market: Market, client: TestClient) -> None:
    market.buyer()

    response = client.post(f"{API}/orders", json=order_body(quantity=0))

    loc = _loc_of(response)
    assert loc == ["body", "quantity"]
    assert response.json()["detail"][0]["type"] == "value_error"
    assert market.get("/orders") == []


def test_order_for_unknown_buyer_is_refused_naming_buyer_id(client: TestClient) -> None:
    response = client.post(f"{API}/orders", json=order_body(buyer_id="nobody"))

    assert _loc_of(response) == ["body", "buyer_id"]
    assert "nobody" in response.json()["detail"][0]["msg"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/orders", order_body(min_tier="PLATINUM"), "min_tier"),
        ("/orders", order_body(max_price="-1"), "max_price"),
        ("/orders", order_body(max_price="12.345"), "max_price"),
        ("/orders", order_body(max_distance_km=0), "max_distance_km"),
        ("/orders", order_body(crop_id="durian_gold"), "crop_id"),
        ("/orders", order_body(quantity="ten"), "quantity"),
        ("/orders", order_body(quantity=10**30), "quantity"),
        ("/orders", order_body(quantity=2.5), "quantity"),
        ("/orders", order_body() | {"deliveries": None}, "deliveries"),
        ("/orders", order_body(unexpected="x"), "unexpected"),
        ("/supply", supply_body(scheme="MOON"), "scheme"),
        ("/supply", supply_body(weeks={"2026-W99": 10}), "2026-W99"),
        ("/supply", supply_body(weeks={"2027-W10": -5}), "2027-W10"),
        ("/supply", supply_body(weeks={}), "weeks"),
        ("/supply", supply_body(asking_price="1e999"), "asking_price"),
        ("/supply", supply_body(group_id="ghost"), "group_id"),
        ("/groups", group_body(lat=95.0), "lat"),
        ("/groups", group_body(members=0), "members"),
        ("/groups", group_body(kind="guild"), "kind"),
        ("/groups", group_body(name_en=" "), "name_en"),
        ("/buyers", buyer_body(kind="castle"), "kind"),
        ("/certificates", certificate_body(scheme="NONE"), "scheme"),
        ("/certificates", certificate_body(group_id="ghost"), "group_id"),
        ("/certificates", certificate_body(valid_until="2020-01-01"), "valid_until"),
    ],
)
def test_invalid_field_is_refused_with_its_name(
    market: Market, client: TestClient, path: str, body: dict[str, Any], field: str
) -> None:
    market.buyer()
    market.group_with_certificate()

    response = client.post(API + path, json=body)

    assert field in _loc_of(response)
    assert _loc_of(response)[0] == "body"


@pytest.mark.parametrize(
    "raw",
    [
        b'{"id": "ord-1", "buyer_id": ',
        b"[1, 2, 3]",
        b'"just a string"',
        b"",
        b'{"id": "g", "name_th": "x", "name_en": "x", "lat": NaN, "lon": 100, "members": 3}',
        b'{"id": "g", "name_th": "x", "name_en": "x", "lat": 1e400, "lon": 100, "members": 3}',
    ],
)
def test_malformed_json_is_refused_with_422(client: TestClient, raw: bytes) -> None:
    response = client.post(
        f"{API}/groups", content=raw, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 422
    assert response.json()["detail"]
    assert client.get(f"{API}/groups").json() == []


@pytest.mark.parametrize(
    "date_text", ["2026-02-30", "tomorrow", "2026-13-01", "99999-01-01", "2026-W50"]
)
def test_bad_delivery_dates_are_refused(market: Market, client: TestClient, date_text: str) -> None:
    market.buyer()
    body = order_body() | {"deliveries": [date_text]}

    response = client.post(f"{API}/orders", json=body)

    assert "deliveries" in _loc_of(response)


def test_a_delivery_date_given_twice_is_refused_naming_both_places(
    market: Market, client: TestClient
) -> None:
    market.buyer()
    day = order_body()["deliveries"][0]
    body = order_body() | {"deliveries": [day, day]}

    response = client.post(f"{API}/orders", json=body)

    assert _loc_of(response) == ["body", "deliveries"]
    message = response.json()["detail"][0]["msg"]
    assert message.startswith(f"{day} is given twice (at positions 0 and 1)")
    assert market.get("/orders") == []


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/supply", {"state": "rotten"}),
        ("/orders", {"state": "lost"}),
        ("/contracts", {"state": "signed-in-blood"}),
        ("/contracts", {"week": "next week"}),
        ("/contracts", {"limit": 0}),
        ("/contracts", {"limit": "many"}),
        ("/contracts", {"offset": 10**30}),
        ("/rounds", {"limit": -1}),
        ("/markets/kale/book", {"since": "2026-02-30"}),
    ],
)
def test_bad_query_values_are_refused_with_422(
    client: TestClient, path: str, params: dict[str, Any]
) -> None:
    response = client.get(API + path, params=params)

    assert _loc_of(response)[0] == "query"


def test_round_for_an_unknown_crop_is_refused_naming_it(client: TestClient) -> None:
    response = client.post(f"{API}/rounds", json={"crops": ["kale", "unobtainium"]})

    assert _loc_of(response) == ["body", "crops", 1]


@pytest.mark.parametrize(
    "path",
    [
        "/groups/ghost",
        "/groups/ghost/certificates",
        "/buyers/ghost",
        "/supply/ghost",
        "/orders/ghost",
        "/contracts/ghost",
        "/rounds/ghost",
        "/markets/unobtainium/book",
    ],
)
def test_unknown_id_answers_404(client: TestClient, path: str) -> None:
    response = client.get(API + path)

    assert response.status_code == 404
    assert "ghost" in response.json()["detail"] or "unobtainium" in response.json()["detail"]


@pytest.mark.parametrize("path", ["/orders/ghost/cancel", "/supply/ghost/withdraw"])
def test_taking_back_something_unknown_answers_404(client: TestClient, path: str) -> None:
    response = client.post(API + path, json={"reason": "typo"})

    assert response.status_code == 404
    assert "ghost" in response.json()["detail"]


def test_re_registering_an_id_with_other_values_answers_409(
    market: Market, client: TestClient
) -> None:
    market.group_with_certificate()

    response = client.post(f"{API}/groups", json=group_body(members=99))

    assert response.status_code == 409
    assert "grp-hatyai" in response.json()["detail"]
    assert market.get("/groups/grp-hatyai")["members"] == 25


def test_re_registering_an_id_with_the_same_values_changes_nothing(market: Market) -> None:
    first = market.post("/buyers", buyer_body())

    again = market.post("/buyers", buyer_body())

    assert again == first
    assert len(market.get("/buyers")) == 1


def test_cancelling_a_cancelled_order_answers_409(market: Market, client: TestClient) -> None:
    market.buyer()
    market.order()
    market.post("/orders/ord-kale-1/cancel", {"reason": "menu changed"})

    response = client.post(f"{API}/orders/ord-kale-1/cancel", json={"reason": "again"})

    assert response.status_code == 409
    assert "cancelled" in response.json()["detail"]


def test_withdrawing_withdrawn_supply_answers_409(market: Market, client: TestClient) -> None:
    market.group_with_certificate()
    market.supply()
    market.post("/supply/sup-kale-1/withdraw")

    response = client.post(f"{API}/supply/sup-kale-1/withdraw")

    assert response.status_code == 409
    assert "withdrawn" in response.json()["detail"]


def test_oversized_idempotency_key_is_refused(client: TestClient) -> None:
    response = client.post(
        f"{API}/buyers", json=buyer_body(), headers={"Idempotency-Key": "k" * 500}
    )

    assert _loc_of(response) == ["header", "Idempotency-Key"]
    assert client.get(f"{API}/buyers").json() == []
