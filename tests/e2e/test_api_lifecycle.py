"""The contract lifecycle through the HTTP API on the embedded engine: every transition, the
re-matching of what falls out of a contract, and illegal moves refused without a change."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from matcher.config import Settings
from tests.support.api_keys import sign_in
from tests.support.lifecycle import PLAIN, act, only_contract, two_group_market
from tests.support.market import API, Market

Json = dict[str, Any]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path}/t.db",
        debounce_seconds=0.2,
        round_interval_seconds=0,
        **PLAIN,  # type: ignore[arg-type]
    )


def test_a_rejected_proposal_goes_to_another_group_in_the_next_round(
    client: TestClient, market: Market
) -> None:
    two_group_market(market)
    market.run_round()
    first = only_contract(market, state="proposed")
    assert first["group_id"] == "grp-near"
    assert first["proposal_expires_at"] is not None

    refused = act(client, first["id"], "reject", {"actor": "group:grp-far"})
    assert refused.status_code == 409
    assert "not a party" in refused.json()["detail"]
    rejected = act(client, first["id"], "reject", {"actor": "group:grp-near", "reason": "no truck"})
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["state"] == "rejected"

    market.run_round()
    second = only_contract(market, state="proposed")
    assert second["group_id"] == "grp-far"
    assert second["quantity"] == 40
    assert second["reason"] == "re-matched: rejected by the group"
    history = market.get(f"/contracts/{first['id']}/history")
    assert [(h["actor"], h["action"], h["reason"]) for h in history] == [
        ("group:grp-near", "reject", "no truck")
    ]


def test_a_delivery_short_by_30_percent_gets_a_top_up_contract(
    client: TestClient, market: Market
) -> None:
    [day] = two_group_market(market)
    market.run_round()
    first = only_contract(market)
    assert act(client, first["id"], "accept", {"actor": "group:grp-near"}).status_code == 200
    confirmed = client.post(
        f"{API}/contracts/{first['id']}/deliveries/{day}/confirm",
        json={"actor": "buyer:hosp-songkhla", "received": 28, "refused": 0},
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["state"] == "completed"
    assert confirmed.json()["deliveries"][0] | {"distance_km": 0} == {
        "date": day,
        "week": confirmed.json()["deliveries"][0]["week"],
        "quantity": 40,
        "distance_km": 0,
        "state": "delivered",
        "received": 28,
        "refused": 0,
        "refusal_reason": None,
        "refusal_note": None,
    }
    market.run_round()
    top_up = [c for c in market.contracts() if c["id"] != first["id"]]
    assert [(c["quantity"], c["reason"]) for c in top_up] == [(12, "re-matched: delivery short")]
    order = market.get("/orders/ord-1")
    assert [(d["contracted"], d["open"]) for d in order["delivery_status"]] == [(40, 0)]


def confirm(client: TestClient, contract_id: str, day: str, body: Json) -> Any:
    return client.post(
        f"{API}/contracts/{contract_id}/deliveries/{day}/confirm",
        json={"actor": "buyer:hosp-songkhla"} | body,
    )


def refused_field(answer: Any) -> tuple[int, list[str], str]:
    """The status, the field named and the message of a refused confirmation."""
    [error] = answer.json()["detail"]
    return answer.status_code, error["loc"], error["msg"]


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        ({"received": 30, "refused": 10}, "refusal_reason", "is required when a quantity"),
        (
            {"received": 40, "refused": 0, "refusal_reason": "late"},
            "refusal_reason",
            "must be empty when nothing is refused",
        ),
        (
            {"received": 30, "refused": 10, "refusal_reason": "spoilt"},
            "refusal_reason",
            "",
        ),
        (
            {"received": 30, "refused": 10, "refusal_reason": "late", "refusal_note": "2 h"},
            "refusal_note",
            "goes only with the reason other",
        ),
        (
            {"received": 30, "refused": 10, "refusal_reason": "other", "refusal_note": "x" * 201},
            "refusal_note",
            "",
        ),
    ],
)
def test_a_refusal_without_a_good_reason_is_refused_naming_the_field(
    client: TestClient, market: Market, body: Json, field: str, says: str
) -> None:
    [day] = two_group_market(market)
    market.run_round()
    first = only_contract(market)
    assert act(client, first["id"], "accept", {"actor": "group:grp-near"}).status_code == 200
    status, loc, msg = refused_field(confirm(client, first["id"], day, body))
    assert (status, loc[-1]) == (422, field)
    assert says in msg
    assert only_contract(market)["deliveries"][0]["state"] == "scheduled"


def test_a_refusal_keeps_its_reason_on_the_delivery_and_in_the_history(
    client: TestClient, market: Market
) -> None:
    [day] = two_group_market(market)
    market.run_round()
    first = only_contract(market)
    assert act(client, first["id"], "accept", {"actor": "group:grp-near"}).status_code == 200
    body = {"received": 30, "refused": 10, "refusal_reason": "other", "refusal_note": "ถุงขาด"}
    confirmed = confirm(client, first["id"], day, body)
    assert confirmed.status_code == 200, confirmed.text
    delivery = market.get(f"/contracts/{first['id']}")["deliveries"][0]
    assert (delivery["refused"], delivery["refusal_reason"], delivery["refusal_note"]) == (
        10,
        "other",
        "ถุงขาด",
    )
    [entry] = [
        h for h in market.get(f"/contracts/{first['id']}/history") if h["action"] != "accept"
    ]
    assert entry["details"]["refusal_reason"] == "other"
    assert entry["details"]["refusal_note"] == "ถุงขาด"


def test_an_expired_proposal_is_re_matched(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/t.db",
        debounce_seconds=0.2,
        round_interval_seconds=0,
        proposal_ttl_hours=0.5 / 3600,  # half a second
        **PLAIN,  # type: ignore[arg-type]
    )
    with TestClient(create_app(settings)) as client:
        sign_in(client)
        market = Market(client)
        two_group_market(market)
        market.run_round()
        first = only_contract(market)
        time.sleep(0.7)
        late = act(client, first["id"], "accept", {"actor": "group:grp-near"})
        assert late.status_code == 409
        assert "expired" in late.json()["detail"]
        market.run_round()
        states = {c["id"]: c["state"] for c in market.contracts()}
        assert states[first["id"]] == "expired"
        fresh = [c for c in market.contracts() if c["id"] != first["id"]]
        assert len(fresh) == 1
        assert fresh[0]["reason"] == "re-matched: proposal expired"
        assert fresh[0]["quantity"] == 40


def test_illegal_transitions_are_refused_and_change_nothing(
    client: TestClient, market: Market
) -> None:
    [day] = two_group_market(market)
    market.run_round()
    contract = only_contract(market)
    cid = contract["id"]
    cancelled = act(client, cid, "cancel", {"actor": "buyer:hosp-songkhla", "reason": "menu"})
    assert cancelled.status_code == 200
    assert cancelled.json()["state"] == "cancelled"
    before = market.get(f"/contracts/{cid}")

    accepted = act(client, cid, "accept", {"actor": "group:grp-near"})
    assert accepted.status_code == 409
    assert "is cancelled" in accepted.json()["detail"]
    again = act(client, cid, "cancel", {"actor": "buyer:hosp-songkhla", "reason": "menu"})
    assert again.status_code == 409
    assert market.get(f"/contracts/{cid}") == before

    market.run_round()
    other = next(c for c in market.contracts() if c["id"] != cid)
    assert act(client, other["id"], "accept", {"actor": "group:" + other["group_id"]}).status_code
    url = f"{API}/contracts/{other['id']}/deliveries/{day}/confirm"
    body = {"actor": "buyer:hosp-songkhla", "received": 40}
    assert client.post(url, json=body).status_code == 200
    twice = client.post(url, json=body)
    assert twice.status_code == 409
    assert "is completed" in twice.json()["detail"]


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("accept", {"actor": ""}, "actor"),
        ("accept", {"actor": "farmer:x"}, "actor"),
        ("cancel", {"actor": "buyer:hosp-songkhla", "reason": " "}, "reason"),
    ],
)
def test_bad_bodies_name_the_field(
    client: TestClient, market: Market, action: str, body: Json, field: str
) -> None:
    two_group_market(market)
    market.run_round()
    cid = only_contract(market)["id"]
    response = act(client, cid, action, body)
    assert response.status_code == 422, response.text
    assert field in response.text


def test_an_amendment_by_agreement_returns_the_difference_to_the_book(
    client: TestClient, market: Market
) -> None:
    [day] = two_group_market(market)
    market.run_round()
    cid = only_contract(market)["id"]
    assert act(client, cid, "accept", {"actor": "group:grp-near"}).status_code == 200
    body = {
        "actor": "buyer:hosp-songkhla",
        "agreed_by": "group:grp-near",
        "deliveries": [{"date": day, "quantity": 30}],
        "reason": "fewer patients",
    }
    amended = act(client, cid, "amend", body)
    assert amended.status_code == 200, amended.text
    assert amended.json()["deliveries"][0]["quantity"] == 30
    one_sided = act(client, cid, "amend", body | {"agreed_by": "buyer:hosp-songkhla"})
    assert one_sided.status_code == 409
    history = market.get(f"/contracts/{cid}/history")
    assert [h["action"] for h in history] == ["accept", "amend"]
    assert history[1]["details"]["agreed_by"] == "group:grp-near"


def test_unknown_contracts_are_404(client: TestClient) -> None:
    response = client.post(f"{API}/contracts/nope/accept", json={"actor": "group:g"})
    assert response.status_code == 404


def test_a_revoked_certificate_releases_only_the_deliveries_from_that_date(
    client: TestClient, market: Market
) -> None:
    days = two_group_market(market, deliveries=3)
    market.run_round()
    first = only_contract(market)
    assert first["group_id"] == "grp-near"
    assert len(first["deliveries"]) == 3
    assert act(client, first["id"], "accept", {"actor": "group:grp-near"}).status_code == 200
    revoked = client.post(
        f"{API}/certificates/cert-grp-near/revoke",
        json={"revoked_on": days[1], "reason": "audit failed", "actor": "coordinator:dao"},
    )
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_on"] == days[1]

    market.run_round()
    kept = market.get(f"/contracts/{first['id']}")
    assert kept["state"] == "accepted"
    assert [(d["date"], d["state"]) for d in kept["deliveries"]] == [
        (days[0], "scheduled"),
        (days[1], "released"),
        (days[2], "released"),
    ]
    assert kept["history"][-1]["action"] == "release"
    fresh = [c for c in market.contracts() if c["id"] != first["id"]]
    assert len(fresh) == 1
    assert fresh[0]["group_id"] == "grp-far"
    assert [d["date"] for d in fresh[0]["deliveries"]] == days[1:]
    assert fresh[0]["reason"].startswith("re-matched: THAI_GAP certificate not valid on")
    again = client.post(f"{API}/certificates/cert-grp-near/revoke", json={"revoked_on": days[2]})
    assert again.status_code == 409


def test_the_audit_trail_lists_every_change_with_actor_time_and_reason(
    client: TestClient, market: Market
) -> None:
    two_group_market(market)
    market.run_round()
    cid = only_contract(market)["id"]
    act(client, cid, "reject", {"actor": "group:grp-near", "reason": "no truck"})

    about = market.get("/audit", subject=cid)
    assert [(e["event"], e["actor"], e["reason"], e["state"]) for e in about] == [
        ("ContractRejected", "group:grp-near", "no truck", "rejected"),
        ("ContractProposed", "system", "matched in a clearing round", "proposed"),
    ]
    assert all(e["at"] and e["subject"] == cid for e in about)
    orders = market.get("/audit", event="OrderSubmitted")
    assert [e["subject"] for e in orders] == ["ord-1"]
    newest_first = [e["id"] for e in market.get("/audit", limit=5)]
    assert newest_first == sorted(newest_first, reverse=True)
    assert len(newest_first) == 5
    assert client.get(f"{API}/audit", params={"limit": 0}).status_code == 422


def test_withdrawn_supply_and_a_cancelled_order_take_their_contracts_with_them(
    client: TestClient, market: Market
) -> None:
    two_group_market(market)
    market.run_round()
    first = only_contract(market)
    assert act(client, first["id"], "accept", {"actor": "group:grp-near"}).status_code == 200
    withdrawn = client.post(f"{API}/supply/sup-near/withdraw", json={"reason": "flooded field"})
    assert withdrawn.status_code == 200, withdrawn.text
    cancelled = market.get(f"/contracts/{first['id']}")
    assert cancelled["state"] == "cancelled"
    assert cancelled["history"][-1]["reason"] == "supply withdrawn: flooded field"

    market.run_round()
    second = only_contract(market, state="proposed")
    assert second["group_id"] == "grp-far"
    assert second["reason"] == "re-matched: cancelled by group"

    gone = client.post(f"{API}/orders/ord-1/cancel", json={"reason": "ward closed"})
    assert gone.status_code == 200, gone.text
    after = market.get(f"/contracts/{second['id']}")
    assert after["state"] == "cancelled"
    assert after["history"][-1]["actor"] == "buyer:hosp-songkhla"
    market.run_round()
    assert market.contracts(state="proposed") == []
