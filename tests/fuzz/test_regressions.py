"""Plain examples of what the fuzzing found, each fixed at its source.

API (schemathesis):
- ids in a path that do not exist answered 404 without the OpenAPI document saying so;
- a body that is not UTF-8 (or nested beyond the JSON parser) answered an undocumented 400;
- without an API key, a body that is not JSON answered 422 instead of 401 (FastAPI parses the
  body before it runs the authentication dependency);
- a date given as a number (``?since=0``, ``"revoked_on": 0``) was read as Unix seconds;
- a JSON body escaping half a surrogate pair (``"\\ud800"``) answered 500 (the database could
  not store it).

Wire codec (hypothesis):
- a message nested deeper than the JSON parser's recursion limit raised RecursionError, not
  DecodeError (the deep-nesting examples of ``test_wire_properties``);
- half a surrogate pair passed decoding (and failed in the handler's database write);
- delivery confirmations and amendments took quantities of any size.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.routes.common import ErrorMessage
from matcher.adapters.wire import DecodeError, decode_command, encode_body, unpaired_surrogate
from matcher.domain.errors import InvalidValue
from matcher.domain.model import MAX_QUANTITY
from tests.support.api_keys import sign_in
from tests.support.fuzz import fuzz_settings
from tests.support.market import (
    API,
    Market,
    certificate_body,
    delivery_dates,
    group_body,
    order_body,
)

Json = dict[str, Any]
JSON_TYPE = {"Content-Type": "application/json"}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(fuzz_settings(tmp_path))) as client:
        sign_in(client)
        market = Market(client)
        market.group_with_certificate("grp-hatyai")
        market.buyer("hosp-songkhla")
        yield client


def anonymous(client: TestClient) -> dict[str, str]:
    """Headers that replace the client's key with none at all."""
    return {"Authorization": ""}


def loc_of(response: Any) -> list[Any]:
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    return list(detail[0]["loc"])


# --- 404s are documented, and their bodies are what the document says ------------------------


def test_every_route_with_an_id_in_its_path_documents_404_and_answers_its_shape(
    client: TestClient,
) -> None:
    spec = client.get("/openapi.json").json()
    undocumented = [
        f"{method.upper()} {path}"
        for path, operations in spec["paths"].items()
        if path.startswith(API) and "{" in path
        for method, operation in operations.items()
        if "404" not in operation["responses"]
    ]
    assert undocumented == []
    for path in ("/groups/nobody", "/buyers/nobody", "/orders/nothing", "/rounds/none"):
        response = client.get(API + path)
        assert response.status_code == 404
        ErrorMessage.model_validate(response.json())
    assert client.delete(API + "/webhooks/wh_none").status_code == 404
    assert client.get(API + "/webhooks/wh_none/deliveries").status_code == 404


# --- bodies that cannot be read: 422 naming the body, 401 without a key -----------------------


@pytest.mark.parametrize(
    "content",
    [b'{"id": "\xff"}', b'{"id": "\xc3"}', b"[" * 100_000],
    ids=["not-utf8", "truncated-utf8", "nested-too-deep"],
)
def test_a_body_that_cannot_be_read_is_a_422_naming_the_body(
    client: TestClient, content: bytes
) -> None:
    response = client.post(API + "/groups", content=content, headers=JSON_TYPE)
    assert loc_of(response) == ["body"]


@pytest.mark.parametrize(
    "content",
    [b"{", b"\xff\xfe", b"[" * 100_000, b'{"id": "\\ud800"}'],
    ids=["malformed", "not-utf8", "nested-too-deep", "lone-surrogate"],
)
def test_without_a_key_a_bad_body_is_still_a_401(client: TestClient, content: bytes) -> None:
    for path in ("/groups", "/orders", "/contracts/c-1/accept", "/webhooks"):
        response = client.post(API + path, content=content, headers=JSON_TYPE | anonymous(client))
        assert response.status_code == 401, (path, response.text)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_malformed_body_with_a_key_is_still_a_422(client: TestClient) -> None:
    response = client.post(API + "/groups", content=b"{", headers=JSON_TYPE)
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"


# --- dates are ISO text, never Unix seconds -----------------------------------------------------


def test_a_number_is_not_a_date_in_a_query_a_path_or_a_body(client: TestClient) -> None:
    assert loc_of(client.get(API + "/markets/kale/book", params={"since": "0"})) == [
        "query",
        "since",
    ]
    assert client.get(API + "/markets/kale/book", params={"since": "2026-01-05"}).is_success
    confirm = client.post(API + "/contracts/c-1/deliveries/86400/confirm", json={"received": 1})
    assert loc_of(confirm) == ["path", "day"]
    revoke = client.post(API + "/certificates/cert-grp-hatyai/revoke", json={"revoked_on": 0})
    assert loc_of(revoke) == ["body", "revoked_on"]
    amend = client.post(
        API + "/contracts/c-1/amend",
        json={"agreed_by": "group:g", "deliveries": [{"date": "0", "quantity": 1}]},
    )
    assert loc_of(amend) == ["body", "deliveries", 0, "date"]


@pytest.mark.parametrize(
    ("path", "body", "loc"),
    [
        ("/orders", order_body("o-1", deliveries=[]) | {"deliveries": [0]}, ["deliveries", 0]),
        (
            "/orders",
            order_body("o-2", deliveries=[])
            | {"deliveries": None, "schedule": {"start": 0, "end": "2026-12-31"}},
            ["schedule", "start"],
        ),
        ("/certificates", certificate_body("c-1", valid_from="0"), ["valid_from"]),
        ("/certificates", certificate_body("c-2", revoked_on=86400), ["revoked_on"]),
        (
            "/certificates",
            certificate_body("c-3", valid_until="2027-01-01T00:00:00"),
            ["valid_until"],
        ),
    ],
    ids=["order-delivery", "order-schedule", "certificate-from", "revoked-on", "datetime"],
)
def test_a_date_field_refuses_numbers_and_datetimes(
    client: TestClient, path: str, body: Json, loc: list[Any]
) -> None:
    assert loc_of(client.post(API + path, json=body)) == ["body", *loc]


def test_iso_dates_are_still_accepted(client: TestClient) -> None:
    days = delivery_dates(2)
    assert client.post(API + "/orders", json=order_body("o-ok", deliveries=days)).status_code == 201
    cert = certificate_body("cert-ok", valid_from=date(2026, 1, 1).isoformat())
    assert client.post(API + "/certificates", json=cert).status_code == 201


# --- half a surrogate pair: refused by name, never a 500 ----------------------------------------


def test_a_lone_surrogate_in_a_body_is_a_422_naming_the_field(client: TestClient) -> None:
    text = json.dumps(group_body("grp-new")).replace("Hat Yai Safe", "\\ud800 Safe")
    response = client.post(API + "/groups", content=text.encode(), headers=JSON_TYPE)
    assert loc_of(response) == ["body", "name_en"]
    key = json.dumps(order_body("o-s")).replace('"max_price"', '"\\udfff"')
    assert loc_of(client.post(API + "/orders", content=key.encode(), headers=JSON_TYPE)) == [
        "body",
        "\\udfff",
    ]
    # A well-formed pair (an emoji escaped by an ASCII-only encoder) is text like any other.
    pair = json.dumps(group_body("grp-emoji", name_en="Greens \U0001f96c"), ensure_ascii=True)
    assert client.post(API + "/groups", content=pair.encode(), headers=JSON_TYPE).status_code == 201
    assert client.get(API + "/groups/grp-emoji").json()["name_en"] == "Greens \U0001f96c"


def test_a_nul_character_in_a_body_is_a_422_naming_the_field(client: TestClient) -> None:
    """PostgreSQL's text columns cannot hold NUL: it is refused where it comes in, on any
    database, like half a surrogate pair."""
    text = json.dumps(group_body("grp-nul")).replace("Hat Yai Safe", "Hat\\u0000Yai Safe")
    response = client.post(API + "/groups", content=text.encode(), headers=JSON_TYPE)
    assert loc_of(response) == ["body", "name_en"]
    assert "NUL" in response.text
    assert client.get(API + "/groups/grp-nul").status_code == 404
    message = (
        b'{"type": "order.cancel", "version": 1, "message_id": "m-1",'
        b' "body": {"order_id": "o-1", "reason": "a\\u0000b"}}'
    )
    with pytest.raises(DecodeError) as refused:
        decode_command(message)
    assert refused.value.field == "reason"


def test_a_lone_surrogate_is_refused_by_the_wire_codec_both_ways() -> None:
    message = (
        b'{"type": "order.cancel", "version": 1, "message_id": "m-1",'
        b' "body": {"order_id": "o\\ud800", "reason": "x"}}'
    )
    with pytest.raises(DecodeError) as refused:
        decode_command(message)
    assert refused.value.field == "order_id"
    with pytest.raises(InvalidValue) as not_sent:
        encode_body("order.cancel", {"order_id": "o-1", "reason": "\udc80"}, "m-1", "tester")
    assert not_sent.value.field == "reason"
    # A key that holds one is named with it escaped, whatever other text it holds.
    assert unpaired_surrogate({"body": {"ผัก\udc80": 1}}) == ("body", "ผัก\\udc80")


# --- the wire codec: bounded quantities ---------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "body", "field"),
    [
        (
            "delivery.confirm",
            {"contract_id": "c", "date": "2026-12-07", "received": MAX_QUANTITY + 1},
            "received",
        ),
        (
            "delivery.confirm",
            {"contract_id": "c", "date": "2026-12-07", "received": 1, "refused": 10**30},
            "refused",
        ),
        (
            "contract.amend",
            {
                "contract_id": "c",
                "agreed_by": "group:g",
                "deliveries": [{"date": "2026-12-07", "new_date": "2026-12-08", "quantity": 2**64}],
            },
            "deliveries.0.quantity",
        ),
    ],
    ids=["received", "refused", "amended-quantity"],
)
def test_wire_quantities_above_the_domain_limit_are_refused_by_name(
    kind: str, body: Json, field: str
) -> None:
    message = encode_body(kind, body, "m-1", "buyer:b")
    with pytest.raises(DecodeError) as refused:
        decode_command(message.value, message.topic)
    assert refused.value.field == field
