"""Cancelling one delivery of a forward order through the HTTP API (embedded engine, SQLite):
the kitchen's own order only, a reason required, the date gone from the order's demand and kept
with its reason, the contract's delivery of that day released, and what cannot be cancelled
refused with 409 or 422."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from matcher.auth import Role
from matcher.calendar import thai_calendar
from matcher.domain.weeks import iso_week
from tests.support.api_keys import new_token
from tests.support.market import API, Market, delivery_dates, weeks_of

Json = dict[str, Any]
KITCHEN = "hosp-songkhla"


def as_(client: TestClient, role: Role, participant: str | None) -> dict[str, str]:
    service = client.app.state.service  # type: ignore[attr-defined]
    return {"Authorization": f"Bearer {new_token(service, role, participant)}"}


def cancel(
    client: TestClient, day: date | str, body: Json | None, headers: dict[str, str], **kw: str
) -> Any:
    order_id = kw.get("order_id", "ord-kale-1")
    return client.post(
        f"{API}/orders/{order_id}/deliveries/{day}/cancel", json=body, headers=headers
    )


@pytest.fixture
def days(market: Market) -> list[date]:
    """A group, two kitchens, and the first one's order of three weekly deliveries under one
    proposed contract."""
    found = delivery_dates(3)
    market.group_with_certificate()
    market.buyer(KITCHEN)
    market.buyer("hosp-other", lat=6.95)
    market.supply(weeks=weeks_of(found, 100))
    market.order(deliveries=found)
    market.run_round()
    (contract,) = market.contracts()
    assert [d["date"] for d in contract["deliveries"]] == [d.isoformat() for d in found]
    return found


def test_the_kitchen_cancels_one_future_delivery_with_a_reason(
    client: TestClient, market: Market, days: list[date]
) -> None:
    kitchen = as_(client, Role.KITCHEN, KITCHEN) | {"Idempotency-Key": "cancel-1"}
    reason = "ห้องครัวปิดปรับปรุงสัปดาห์นั้น"

    answer = cancel(client, days[1], {"reason": reason}, kitchen)

    assert answer.status_code == 200, answer.text
    order = answer.json()
    assert order["deliveries"] == [days[0].isoformat(), days[2].isoformat()]
    assert [s["date"] for s in order["delivery_status"]] == order["deliveries"]
    (gone,) = order["cancelled_deliveries"]
    assert gone | {"cancelled_at": ""} == {
        "date": days[1].isoformat(),
        "week": iso_week(days[1]),
        "reason": reason,
        "actor": f"buyer:{KITCHEN}",
        "cancelled_at": "",
    }
    assert market.get("/orders/ord-kale-1") == order
    (contract,) = market.contracts()
    states = [d["state"] for d in contract["deliveries"]]
    assert states == ["scheduled", "released", "scheduled"]
    assert contract["state"] == "proposed"
    (entry,) = market.get(f"/contracts/{contract['id']}/history")
    assert (entry["actor"], entry["action"], entry["reason"]) == (
        f"buyer:{KITCHEN}",
        "cancel_delivery",
        reason,
    )
    again = cancel(client, days[1], {"reason": reason}, kitchen)
    assert again.status_code == 200
    assert again.headers.get("Idempotent-Replay") == "true"
    assert again.json()["cancelled_deliveries"] == order["cancelled_deliveries"]


def test_another_kitchen_or_a_group_may_not_cancel_and_a_coordinator_may(
    client: TestClient, market: Market, days: list[date]
) -> None:
    body = {"reason": "closed"}
    for role, who in ((Role.KITCHEN, "hosp-other"), (Role.GROUP, "grp-hatyai")):
        refused = cancel(client, days[1], body, as_(client, role, who))
        assert refused.status_code == 403, refused.text
    assert market.get("/orders/ord-kale-1")["cancelled_deliveries"] == []

    done = cancel(client, days[1], body, as_(client, Role.COORDINATOR, None))

    assert done.status_code == 200, done.text
    assert done.json()["cancelled_deliveries"][0]["actor"].startswith("coordinator:")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (None, "body"),
        ({}, "reason"),
        ({"reason": ""}, "reason"),
        ({"reason": "   "}, "reason"),
        ({"reason": "x" * 501}, "reason"),
        ({"reason": "ok", "other": 1}, "other"),
    ],
)
def test_a_missing_empty_or_too_long_reason_is_422(
    client: TestClient, market: Market, days: list[date], body: Json | None, field: str
) -> None:
    refused = cancel(client, days[1], body, as_(client, Role.KITCHEN, KITCHEN))

    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"][0]["loc"][-1] == field
    assert market.get("/orders/ord-kale-1")["cancelled_deliveries"] == []


def test_a_date_the_order_does_not_have_is_422_and_an_unknown_order_404(
    client: TestClient, market: Market, days: list[date]
) -> None:
    kitchen = as_(client, Role.KITCHEN, KITCHEN)

    not_a_day = cancel(client, days[1] + timedelta(days=1), {"reason": "x"}, kitchen)
    not_a_date = cancel(client, "2026-13-01", {"reason": "x"}, kitchen)
    missing = cancel(client, days[1], {"reason": "x"}, kitchen, order_id="nope")

    assert not_a_day.status_code == 422, not_a_day.text
    assert "is not a delivery date of order" in str(not_a_day.json()["detail"])
    assert not_a_date.status_code == 422
    assert missing.status_code == 404


def test_twice_today_a_cancelled_order_and_the_last_delivery_are_409(
    client: TestClient, market: Market, days: list[date]
) -> None:
    kitchen = as_(client, Role.KITCHEN, KITCHEN)
    # Today, or the last day before it that is no Thai public holiday (on a holiday the service
    # would move the delivery to the working day before): a day that is not in the future.
    closed, today = thai_calendar(), datetime.now(UTC).date()
    today = next(d for d in (today - timedelta(days=n) for n in range(10)) if not closed(d))
    market.order("ord-today", KITCHEN, deliveries=[today, days[0]])
    market.order("ord-one", KITCHEN, deliveries=[days[0]])
    assert cancel(client, days[1], {"reason": "x"}, kitchen).status_code == 200

    twice = cancel(client, days[1], {"reason": "x"}, kitchen)
    now = cancel(client, today, {"reason": "x"}, kitchen, order_id="ord-today")
    last = cancel(client, days[0], {"reason": "x"}, kitchen, order_id="ord-one")
    market.post("/orders/ord-kale-1/cancel", {"reason": "menu changed"})
    closed = cancel(client, days[2], {"reason": "x"}, kitchen)

    assert twice.status_code == 409
    assert "already cancelled" in twice.json()["detail"]
    assert now.status_code == 409
    assert "not in the future" in now.json()["detail"]
    assert last.status_code == 409
    assert "cancel the order instead" in last.json()["detail"]
    assert closed.status_code == 409
    assert "is cancelled" in closed.json()["detail"]
