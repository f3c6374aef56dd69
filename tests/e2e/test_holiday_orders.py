"""An order with a delivery on a Thai public holiday, both ways, and a kitchen's non-delivery
days, through the API; the calendar route the kitchen portal's preview reads."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from tests.support.market import API, buyer_body, order_body

NEW_YEAR = date(2027, 1, 1)
AFTER = date(2027, 1, 6)


def test_a_holiday_delivery_moves_to_the_previous_working_day(client: TestClient) -> None:
    assert client.post(API + "/buyers", json=buyer_body()).status_code == 201
    answer = client.post(API + "/orders", json=order_body(deliveries=[NEW_YEAR, AFTER]))
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["on_holiday"] == "previous_working_day"
    assert body["deliveries"] == ["2026-12-30", "2027-01-06"]  # 31 Dec is a holiday too
    assert body["date_changes"] == [
        {
            "asked": "2027-01-01",
            "delivery": "2026-12-30",
            "reason": "holiday",
            "name_th": "วันขึ้นปีใหม่",
            "name_en": "New Year's Day",
        }
    ]
    detail = client.get(API + "/orders/ord-kale-1").json()
    assert [d["date"] for d in detail["delivery_status"]] == ["2026-12-30", "2027-01-06"]
    assert detail["date_changes"] == body["date_changes"]
    again = client.post(API + "/orders", json=order_body(deliveries=[NEW_YEAR, AFTER]))
    assert again.status_code in (200, 201), again.text  # the same order: a repeat


def test_an_order_that_refuses_holidays_is_refused_naming_the_holiday(client: TestClient) -> None:
    assert client.post(API + "/buyers", json=buyer_body()).status_code == 201
    body = order_body(deliveries=[AFTER, NEW_YEAR], on_holiday="refuse")
    answer = client.post(API + "/orders", json=body)
    assert answer.status_code == 422, answer.text
    assert "วันขึ้นปีใหม่ (New Year's Day), a public holiday" in answer.text
    assert client.get(API + "/orders/ord-kale-1").status_code == 404


def test_a_schools_weekend_is_a_non_delivery_day(client: TestClient) -> None:
    school = buyer_body("sch-1", kind="school", non_delivery_weekdays=["sat", "SUN"])
    made = client.post(API + "/buyers", json=school)
    assert made.status_code == 201, made.text
    assert made.json()["non_delivery_weekdays"] == ["sat", "sun"]
    answer = client.post(
        API + "/orders", json=order_body("ord-sch", "sch-1", deliveries=[date(2027, 1, 16)])
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["deliveries"] == ["2027-01-15"]
    assert answer.json()["date_changes"][0]["reason"] == "non_delivery_day"


def test_the_calendar_route_lists_the_years_holidays(client: TestClient) -> None:
    answer = client.get(API + "/calendar/holidays", params={"year": 2027})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["year"] == 2027
    assert body["source"].startswith("holidays ")
    songkran = [h for h in body["holidays"] if h["name_en"] == "Songkran Festival"]
    assert [h["date"] for h in songkran] == ["2027-04-13", "2027-04-14", "2027-04-15"]
    assert songkran[0]["name_th"] == "วันสงกรานต์"
    assert client.get(API + "/calendar/holidays", params={"year": 1800}).status_code == 422


def test_a_schedule_over_new_year_answers_its_moved_dates(client: TestClient) -> None:
    assert client.post(API + "/buyers", json=buyer_body()).status_code == 201
    body = order_body(
        "ord-fri", schedule={"start": "2026-12-25", "end": "2027-01-08", "weekdays": ["fri"]}
    )
    del body["deliveries"]
    answer = client.post(API + "/orders", json=body)
    assert answer.status_code == 201, answer.text
    made = answer.json()
    assert made["schedule"]["weekdays"] == ["fri"]
    assert made["deliveries"] == ["2026-12-25", "2026-12-30", "2027-01-08"]
    assert [c["asked"] for c in made["date_changes"]] == ["2027-01-01"]
    listed = client.get(API + "/orders", params={"buyer_id": "hosp-songkhla"}).json()
    assert listed[0]["deliveries"] == made["deliveries"]
