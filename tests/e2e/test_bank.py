"""The bank's view: a group consents (itself, or a coordinator on its behalf), a bank key reads
the group's forward revenue by month as JSON and CSV, and nothing else; without consent, or
once the consent is revoked, 403; every grant and revocation stays listed."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from matcher.auth import Role
from tests.support.api_keys import new_token
from tests.support.market import API, Market, delivery_dates, order_body, weeks_of

Json = dict[str, Any]
GROUP = "grp-hatyai"
OTHER = "grp-other"


class Keys:
    """Tokens of each role, sent one request at a time."""

    def __init__(self, client: TestClient) -> None:
        service = client.app.state.service  # type: ignore[attr-defined]
        self.client = client
        self.tokens = {
            "coordinator": str(client.headers["Authorization"]).removeprefix("Bearer "),
            "bank": new_token(service, Role.BANK),
            "group": new_token(service, Role.GROUP, GROUP),
            "other_group": new_token(service, Role.GROUP, OTHER),
            "kitchen": new_token(service, Role.KITCHEN, "hosp-songkhla"),
        }

    def call(self, who: str, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        return self.client.request(method, API + path, headers=headers, **kwargs)


@pytest.fixture
def world(client: TestClient, market: Market) -> tuple[Keys, list[Json]]:
    """Two kitchens buying kale from one group, both contracts accepted, the first delivery of
    the hospital's made with 10 refused; a second group with no contract and no consent."""
    days = delivery_dates(3)
    market.buyer()
    market.buyer(
        "school-1", name_th="โรงเรียนมหาวชิราวุธ", name_en="Mahavajiravudh School", kind="school"
    )
    market.group_with_certificate()
    market.group_with_certificate(OTHER, lat=6.9)
    market.supply("sup-kale", weeks=weeks_of(days, 200))
    market.order("ord-hosp", deliveries=days, max_price="35.00")
    market.order("ord-school", "school-1", deliveries=days[:2], quantity=25)
    market.run_round()
    contracts = market.contracts()
    assert len(contracts) == 2
    for c in contracts:
        accepted = market.post(f"/contracts/{c['id']}/accept", {"actor": f"group:{GROUP}"})
        assert accepted["state"] == "accepted"
    hosp = next(c for c in contracts if c["buyer_id"] == "hosp-songkhla")
    first = hosp["deliveries"][0]
    market.post(
        f"/contracts/{hosp['id']}/deliveries/{first['date']}/confirm",
        {
            "actor": "buyer:hosp-songkhla",
            "received": first["quantity"] - 10,
            "refused": 10,
            "refusal_reason": "late",
        },
    )
    return Keys(market.client), market.contracts()


def expected(contracts: list[Json]) -> dict[str, dict[str, Decimal]]:
    """Month -> contracted, delivered, refused (THB), worked out from the contracts."""
    out: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for c in contracts:
        price = Decimal(c["unit_price"])
        for d in c["deliveries"]:
            month = out[d["date"][:7]]
            month["contracted"] += d["quantity"] * price
            month["delivered"] += (d["received"] or 0) * price
            month["refused"] += (d["refused"] or 0) * price
    return out


def test_the_bank_reads_the_revenue_of_a_group_that_consented(
    world: tuple[Keys, list[Json]],
) -> None:
    keys, contracts = world
    granted = keys.call("group", "PUT", f"/groups/{GROUP}/bank-consent", json={})
    assert granted.status_code == 200, granted.text
    assert granted.json() | {"id": 0, "granted_at": ""} == {
        "id": 0,
        "group_id": GROUP,
        "bank": "baac",
        "granted_at": "",
        "granted_by": f"group:{GROUP}",
        "revoked_at": None,
        "revoked_by": None,
        "active": True,
    }

    groups = keys.call("bank", "GET", "/bank/groups")
    assert groups.status_code == 200, groups.text
    assert [(g["id"], g["district"]) for g in groups.json()] == [(GROUP, "9011")]

    answer = keys.call("bank", "GET", f"/bank/groups/{GROUP}/revenue")
    assert answer.status_code == 200, answer.text
    revenue = answer.json()
    want = expected(contracts)
    assert [m["month"] for m in revenue["months"]] == sorted(want)
    for m in revenue["months"]:
        figures = want[m["month"]]
        assert Decimal(m["contracted"]) == figures["contracted"]
        assert Decimal(m["delivered"]) == figures["delivered"]
        assert Decimal(m["refused"]) == figures["refused"]
    assert sum(Decimal(m["refused"]) for m in revenue["months"]) > 0
    assert {b["buyer_id"]: b["kind"] for b in revenue["buyers"]} == {
        "hosp-songkhla": "hospital",
        "school-1": "school",
    }
    total = sum(Decimal(b["contracted"]) for b in revenue["buyers"])
    assert (
        total
        == Decimal(revenue["total"]["contracted"])
        == sum(f["contracted"] for f in want.values())
    )

    exported = keys.call("bank", "GET", f"/bank/groups/{GROUP}/revenue.csv", params={"lang": "th"})
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0][0] == "เดือน"
    month_rows = [r for r in rows[1:] if r[1] == ""]
    assert [(r[0], r[5], r[6], r[7]) for r in month_rows] == [
        (m["month"], m["contracted"], m["delivered"], m["refused"]) for m in revenue["months"]
    ]
    assert {r[1] for r in rows[1:] if r[1]} == {"hosp-songkhla", "school-1"}


def test_a_range_of_months_has_a_line_for_each_month(world: tuple[Keys, list[Json]]) -> None:
    keys, _ = world
    keys.call("coordinator", "PUT", f"/groups/{GROUP}/bank-consent", json={})
    answer = keys.call(
        "bank", "GET", f"/bank/groups/{GROUP}/revenue", params={"from": "2020-11", "to": "2021-02"}
    )
    assert answer.status_code == 200, answer.text
    assert [(m["month"], m["contracted"]) for m in answer.json()["months"]] == [
        ("2020-11", "0.00"), ("2020-12", "0.00"), ("2021-01", "0.00"), ("2021-02", "0.00")
    ]  # fmt: skip
    backwards = keys.call(
        "bank", "GET", f"/bank/groups/{GROUP}/revenue", params={"from": "2021-02", "to": "2020-11"}
    )
    assert backwards.status_code == 422, backwards.text


def test_without_consent_or_once_revoked_the_bank_is_refused(
    world: tuple[Keys, list[Json]],
) -> None:
    keys, _ = world
    path = f"/bank/groups/{GROUP}/revenue"
    never = keys.call("bank", "GET", path)
    assert never.status_code == 403
    assert "not consented" in never.json()["detail"]
    assert keys.call("bank", "GET", path + ".csv").status_code == 403
    assert keys.call("bank", "GET", "/bank/groups").json() == []

    on_behalf = keys.call("coordinator", "PUT", f"/groups/{GROUP}/bank-consent")
    assert on_behalf.status_code == 200, on_behalf.text
    assert on_behalf.json()["granted_by"] == "coordinator:test-coordinator"
    assert keys.call("bank", "GET", path).status_code == 200

    revoked = keys.call("group", "DELETE", f"/groups/{GROUP}/bank-consent")
    assert revoked.status_code == 200, revoked.text
    assert (revoked.json()["active"], revoked.json()["revoked_by"]) == (False, f"group:{GROUP}")
    assert keys.call("bank", "GET", path).status_code == 403
    assert keys.call("bank", "GET", "/bank/groups").json() == []
    again = keys.call("group", "DELETE", f"/groups/{GROUP}/bank-consent")
    assert again.status_code == 409

    keys.call("group", "PUT", f"/groups/{GROUP}/bank-consent")
    audit = keys.call("coordinator", "GET", "/bank-consents")
    assert audit.status_code == 200
    assert [(c["granted_by"], c["revoked_by"], c["active"]) for c in audit.json()] == [
        ("coordinator:test-coordinator", f"group:{GROUP}", False),
        (f"group:{GROUP}", None, True),
    ]
    assert len(keys.call("bank", "GET", "/bank-consents").json()) == 2
    assert len(keys.call("group", "GET", "/bank-consents").json()) == 2
    assert keys.call("other_group", "GET", "/bank-consents").json() == []
    assert keys.call("kitchen", "GET", "/bank-consents").status_code == 403


def test_a_consent_to_another_bank_does_not_let_this_one_read(
    world: tuple[Keys, list[Json]],
) -> None:
    keys, _ = world
    other_bank = {"bank": "ธ.ก.ส. สาขาสะเดา"}
    assert keys.call("group", "PUT", f"/groups/{GROUP}/bank-consent", json=other_bank).is_success
    assert keys.call("bank", "GET", f"/bank/groups/{GROUP}/revenue").status_code == 403
    assert keys.call("bank", "GET", "/bank-consents").json() == []
    assert keys.call("coordinator", "GET", f"/bank/groups/{GROUP}/revenue").status_code == 200
    mine = {"bank": "test-bank"}
    assert keys.call("group", "PUT", f"/groups/{GROUP}/bank-consent", json=mine).is_success
    assert keys.call("bank", "GET", f"/bank/groups/{GROUP}/revenue").status_code == 200


def test_a_group_grants_and_revokes_its_own_consent_only(world: tuple[Keys, list[Json]]) -> None:
    keys, _ = world
    for method in ("PUT", "DELETE"):
        theirs = keys.call("group", method, f"/groups/{OTHER}/bank-consent")
        assert theirs.status_code == 403, theirs.text
        assert keys.call("kitchen", method, f"/groups/{GROUP}/bank-consent").status_code == 403
    assert (
        keys.call("group", "GET", "/bank-consents", params={"group_id": OTHER}).status_code == 403
    )
    assert keys.call("coordinator", "GET", "/bank-consents").json() == []
    assert keys.call("group", "GET", f"/bank/groups/{GROUP}/revenue").status_code == 403
    assert keys.call("kitchen", "GET", "/bank/groups").status_code == 403


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/orders", None),
        ("GET", "/contracts", None),
        ("GET", "/groups", None),
        ("GET", f"/groups/{GROUP}", None),
        ("GET", "/crops", None),
        ("GET", f"/groups/{GROUP}/contracts.csv", None),
        ("GET", "/sessions", None),
        ("POST", "/orders", order_body("ord-bank", "hosp-songkhla")),
        ("POST", "/rounds", {}),
        ("PUT", f"/groups/{GROUP}/bank-consent", {}),
        ("DELETE", f"/groups/{GROUP}/bank-consent", None),
    ],
)
def test_the_bank_reads_only_its_routes_and_changes_nothing(
    world: tuple[Keys, list[Json]], method: str, path: str, body: Json | None
) -> None:
    keys, _ = world
    keys.call("coordinator", "PUT", f"/groups/{GROUP}/bank-consent", json={})
    kwargs = {"json": body} if body is not None else {}
    answer = keys.call("bank", method, path, **kwargs)
    assert answer.status_code == 403, answer.text
    assert "bank" in answer.json()["detail"]
    me = keys.call("bank", "GET", "/session")
    assert me.status_code == 200
    assert (me.json()["role"], me.json()["portal"]) == ("bank", "/bank/")
