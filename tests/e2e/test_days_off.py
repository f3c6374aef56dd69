"""A kitchen's own non-delivery days through the API: the kitchen signed in (with the CSRF
token, as every session write) or a coordinator reads and replaces them, nobody else; only those
two fields change, through the service (an event says so); a wrong value is refused naming its
field; orders submitted afterwards are moved or refused on the new days."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from matcher.auth import Role
from matcher.config import Settings
from matcher.keys import create_key
from tests.support.market import API, buyer_body, group_body, order_body

Json = dict[str, Any]
CLOSED = date(2027, 3, 17)  # a Wednesday, no public holiday


@dataclass
class Market:
    client: TestClient
    coordinator: dict[str, str]
    keys: dict[str, dict[str, str]]

    def sign_in(self, participant: str) -> tuple[TestClient, str]:
        """A browser signed in as ``participant`` by a coordinator's link, and its CSRF token."""
        link = self.client.post(
            f"{API}/sign-in-links", json={"participant_id": participant}, headers=self.coordinator
        )
        assert link.status_code == 201, link.text
        browser = TestClient(self.client.app, base_url="http://testserver")
        opened = browser.post(link.json()["link"].removeprefix("http://testserver"))
        assert opened.status_code in (200, 303), opened.text
        return browser, browser.get(f"{API}/session").json()["csrf_token"]


@pytest.fixture
def market(tmp_path: Path) -> Iterator[Market]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/daysoff.db",
        auth=True,
        debounce_seconds=3600,
        max_debounce_seconds=3600,
        round_interval_seconds=0,
        webhooks_enabled=False,
    )
    with TestClient(create_app(settings)) as client:
        service = client.app.state.service  # type: ignore[attr-defined]
        now = datetime.now(UTC)

        def key(role: Role, participant: str | None) -> dict[str, str]:
            _, token = create_key(service.uow_factory, role, participant, "test", now)
            return {"Authorization": f"Bearer {token}"}

        coordinator = key(Role.COORDINATOR, None)
        for path, body in (
            ("/groups", group_body("grp-a")),
            ("/buyers", buyer_body("kit-a")),
            ("/buyers", buyer_body("kit-b", lat=6.95)),
        ):
            answer = client.post(API + path, json=body, headers=coordinator)
            assert answer.status_code == 201, answer.text
        keys = {
            "kit-a": key(Role.KITCHEN, "kit-a"),
            "kit-b": key(Role.KITCHEN, "kit-b"),
            "grp-a": key(Role.GROUP, "grp-a"),
            "bank": key(Role.BANK, None),
        }
        yield Market(client, coordinator, keys)


def days_off(weekdays: list[str], dates: list[date]) -> Json:
    return {
        "non_delivery_weekdays": weekdays,
        "non_delivery_dates": [d.isoformat() for d in dates],
    }


def test_the_kitchen_signed_in_replaces_its_days_off_with_the_csrf_token(market: Market) -> None:
    browser, csrf = market.sign_in("kit-a")
    path = f"{API}/buyers/kit-a/days-off"
    assert browser.get(path).json() == {
        "buyer_id": "kit-a",
        "non_delivery_weekdays": [],
        "non_delivery_dates": [],
    }
    body = days_off(["SUN", "sat"], [CLOSED, date(2027, 3, 10), CLOSED])

    assert browser.put(path, json=body).status_code == 403  # no CSRF token
    answer = browser.put(path, json=body, headers={"X-CSRF-Token": csrf})

    assert answer.status_code == 200, answer.text
    expected = {
        "buyer_id": "kit-a",
        "non_delivery_weekdays": ["sat", "sun"],  # in week order
        "non_delivery_dates": ["2027-03-10", "2027-03-17"],  # sorted, once each
    }
    assert answer.json() == expected
    assert browser.get(path).json() == expected
    buyer = market.client.get(f"{API}/buyers/kit-a", headers=market.coordinator).json()
    assert buyer["non_delivery_weekdays"] == ["sat", "sun"]
    assert buyer["name_th"] == buyer_body("kit-a")["name_th"]  # the rest of the buyer stays


def test_only_the_kitchen_itself_or_a_coordinator_may(market: Market) -> None:
    path = f"{API}/buyers/kit-a/days-off"
    body = days_off(["sun"], [])
    for who in ("kit-b", "grp-a", "bank"):
        headers = market.keys[who]
        assert market.client.get(path, headers=headers).status_code == 403, who
        assert market.client.put(path, json=body, headers=headers).status_code == 403, who
    by_coordinator = market.client.put(path, json=body, headers=market.coordinator)
    assert by_coordinator.status_code == 200, by_coordinator.text
    by_kitchen = market.client.put(path, json=days_off([], [CLOSED]), headers=market.keys["kit-a"])
    assert by_kitchen.json()["non_delivery_weekdays"] == []  # replaced, not added to
    missing = market.client.get(f"{API}/buyers/nobody/days-off", headers=market.coordinator)
    assert missing.status_code == 404


def test_a_wrong_value_is_refused_naming_its_field(market: Market) -> None:
    path = f"{API}/buyers/kit-a/days-off"
    headers = market.keys["kit-a"]
    every_day = days_off(["mon", "tue", "wed", "thu", "fri", "sat", "sun"], [])
    for body, field in (
        (every_day, "non_delivery_weekdays"),
        (days_off(["someday"], []), "non_delivery_weekdays.0"),
        (
            {"non_delivery_weekdays": [], "non_delivery_dates": ["17/03/2027"]},
            "non_delivery_dates.0",
        ),
        ({"non_delivery_weekdays": [], "buyer_id": "kit-b"}, "buyer_id"),
    ):
        answer = market.client.put(path, json=body, headers=headers)
        assert answer.status_code == 422, (body, answer.text)
        assert ".".join(str(p) for p in answer.json()["detail"][0]["loc"][1:]) == field
    unchanged = market.client.get(path, headers=headers).json()
    assert unchanged["non_delivery_weekdays"] == []


def test_the_change_is_an_event_and_later_orders_follow_it(market: Market) -> None:
    path = f"{API}/buyers/kit-a/days-off"
    headers = market.keys["kit-a"]
    before = order_body("ord-before", "kit-a", deliveries=[CLOSED])
    assert market.client.post(f"{API}/orders", json=before, headers=headers).status_code == 201

    assert market.client.put(path, json=days_off([], [CLOSED]), headers=headers).status_code == 200
    again = market.client.put(path, json=days_off([], [CLOSED]), headers=headers)
    assert again.status_code == 200  # the same days: no change, no second event

    service = market.client.app.state.service  # type: ignore[attr-defined]
    with service.read_uow_factory() as uow:
        changes = [e for e in uow.outbox.pending(1000) if e.event == "BuyerDaysOffChanged"]
    assert len(changes) == 1
    assert changes[0].payload["non_delivery_dates"] == ["2027-03-17"]
    assert str(changes[0].payload["actor"]).startswith("buyer:kit-a")

    kept = market.client.get(f"{API}/orders/ord-before", headers=headers).json()
    assert [d["date"] for d in kept["delivery_status"]] == ["2027-03-17"]  # sent before: kept
    moved = market.client.post(
        f"{API}/orders",
        json=order_body("ord-after", "kit-a", deliveries=[CLOSED]),
        headers=headers,
    )
    assert moved.status_code == 201, moved.text
    assert moved.json()["deliveries"] == ["2027-03-16"]
    assert moved.json()["date_changes"][0]["reason"] == "non_delivery_day"
    refused = market.client.post(
        f"{API}/orders",
        json=order_body("ord-refuse", "kit-a", deliveries=[CLOSED], on_holiday="refuse"),
        headers=headers,
    )
    assert refused.status_code == 422, refused.text
    assert "2027-03-17" in refused.text
