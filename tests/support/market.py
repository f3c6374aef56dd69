"""A small driver of the HTTP API for end-to-end tests: payloads and the calls that post them.

Places are in Songkhla: groups near Hat Yai, kitchens in Songkhla city (about 20 km apart).
Delivery dates lie ahead of today, one week apart, so that each falls in its own ISO week.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient

from matcher.calendar import thai_calendar
from matcher.domain.weeks import iso_week

API = "/api/v1"
HAT_YAI = (7.0167, 100.4681)
SONGKHLA_CITY = (7.1422, 100.5664)

Json = dict[str, Any]


def delivery_dates(count: int = 3, *, first_in_days: int = 14) -> list[date]:
    """``count`` dates a week apart from ``first_in_days`` ahead, none on a Thai public holiday
    (the service would move it to the working day before): the first moves on a day or more."""
    holiday = thai_calendar()
    start = date.today() + timedelta(days=first_in_days)
    for _ in range(60):  # a long series may always meet one: then it keeps the last start
        if not any(holiday(start + timedelta(weeks=n)) for n in range(count)):
            break
        start += timedelta(days=1)
    return [start + timedelta(weeks=n) for n in range(count)]


def weeks_of(days: list[date], quantity: int) -> dict[str, int]:
    return {iso_week(d): quantity for d in days}


def group_body(group_id: str = "grp-hatyai", **changes: Any) -> Json:
    body: Json = {
        "id": group_id,
        "name_th": "วิสาหกิจชุมชนผักปลอดภัยหาดใหญ่",
        "name_en": "Hat Yai Safe Vegetable Community Enterprise",
        "lat": HAT_YAI[0],
        "lon": HAT_YAI[1],
        "members": 25,
        "kind": "community_enterprise",
        "district": "9011",
    }
    return body | changes


def buyer_body(buyer_id: str = "hosp-songkhla", **changes: Any) -> Json:
    body: Json = {
        "id": buyer_id,
        "name_th": "โรงพยาบาลสงขลา",
        "name_en": "Songkhla Hospital",
        "kind": "hospital",
        "lat": SONGKHLA_CITY[0],
        "lon": SONGKHLA_CITY[1],
        "district": "9001",
    }
    return body | changes


def certificate_body(
    certificate_id: str = "cert-gap-1", group_id: str = "grp-hatyai", **changes: Any
) -> Json:
    today = date.today()
    body: Json = {
        "id": certificate_id,
        "group_id": group_id,
        "scheme": "THAI_GAP",
        "valid_from": (today - timedelta(days=30)).isoformat(),
        "valid_until": (today + timedelta(days=365)).isoformat(),
        "certifier": "Department of Agriculture",
    }
    return body | changes


def supply_body(
    supply_id: str = "sup-kale-1",
    group_id: str = "grp-hatyai",
    *,
    crop_id: str = "kale",
    weeks: dict[str, int] | None = None,
    **changes: Any,
) -> Json:
    body: Json = {
        "id": supply_id,
        "group_id": group_id,
        "crop_id": crop_id,
        "scheme": "THAI_GAP",
        "weeks": weeks if weeks is not None else weeks_of(delivery_dates(), 100),
        "asking_price": "24.50",
    }
    return body | changes


def order_body(
    order_id: str = "ord-kale-1",
    buyer_id: str = "hosp-songkhla",
    *,
    crop_id: str = "kale",
    deliveries: list[date] | None = None,
    **changes: Any,
) -> Json:
    days = deliveries if deliveries is not None else delivery_dates()
    body: Json = {
        "id": order_id,
        "buyer_id": buyer_id,
        "crop_id": crop_id,
        "quantity": 40,
        "deliveries": [d.isoformat() for d in days],
        "min_tier": "SAFE",
        "max_price": "30.00",
        "max_distance_km": 80,
    }
    return body | changes


class Market:
    """Posts participants and book entries, failing loudly when the API refuses one."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def post(self, path: str, body: Json | None = None, *, key: str | None = None) -> Json:
        headers = {"Idempotency-Key": key} if key is not None else {}
        response = self.client.post(API + path, json=body, headers=headers)
        assert response.status_code in (200, 201), (path, response.status_code, response.text)
        answer: Json = response.json()
        return answer

    def get(self, path: str, **params: Any) -> Any:
        response = self.client.get(API + path, params=params)
        assert response.status_code == 200, (path, response.status_code, response.text)
        return response.json()

    def group_with_certificate(
        self, group_id: str = "grp-hatyai", scheme: str = "THAI_GAP", **changes: Any
    ) -> Json:
        group = self.post("/groups", group_body(group_id, **changes))
        self.post("/certificates", certificate_body(f"cert-{group_id}", group_id, scheme=scheme))
        return group

    def buyer(self, buyer_id: str = "hosp-songkhla", **changes: Any) -> Json:
        return self.post("/buyers", buyer_body(buyer_id, **changes))

    def supply(self, *args: Any, **kwargs: Any) -> Json:
        return self.post("/supply", supply_body(*args, **kwargs))

    def order(self, *args: Any, **kwargs: Any) -> Json:
        return self.post("/orders", order_body(*args, **kwargs))

    def run_round(self, crops: list[str] | None = None) -> Json:
        response = self.client.post(API + "/rounds", json={"crops": crops or []})
        assert response.status_code == 201, response.text
        answer: Json = response.json()
        return answer

    def contracts(self, **filters: Any) -> list[Json]:
        found: list[Json] = self.get("/contracts", **filters)
        return found


def wait_for(check: Callable[[], Any], *, seconds: float = 10.0, every: float = 0.1) -> Any:
    """Poll ``check`` until it returns something truthy; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"nothing turned up within {seconds} s")
        time.sleep(every)
