"""The scenario's province: school lunch for pre-primary to Prathom 6 only, the Border Patrol
Police schools, the southern products in their season and cabbage short in Songkhla."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest

from matcher.crop_calendar import load_crop_calendar
from matcher.domain.weeks import week_monday
from matcher.reference import load_crops, load_institutions
from matcher.scenario import songkhla_instance
from matcher.scenario.songkhla import SONGKHLA_RATIO
from matcher.scenario.supply import COOL_OFF_SEASON, SOUTHERN, second_flush

DECEMBER = date(2026, 12, 7)
JUNE = date(2027, 6, 7)


@pytest.fixture(scope="module")
def december() -> dict[str, Any]:
    return songkhla_instance(weeks=12, seed=1, start=DECEMBER)


@pytest.fixture(scope="module")
def june() -> dict[str, Any]:
    return songkhla_instance(weeks=12, seed=1, start=JUNE)


def _thursday(week: str) -> date:
    return week_monday(week) + timedelta(days=3)


def _deliveries(order: dict[str, Any]) -> list[date]:
    if "deliveries" in order:
        return [date.fromisoformat(d) for d in order["deliveries"]]
    schedule = order["schedule"]
    day, end = date.fromisoformat(schedule["start"]), date.fromisoformat(schedule["end"])
    names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    out: list[date] = []
    while day <= end:
        if names[day.weekday()] in schedule["weekdays"]:
            out.append(day)
        day += timedelta(days=1)
    return out


def test_the_southern_products_are_in_the_catalogue_and_the_calendar() -> None:
    crops, calendar = load_crops(), load_crop_calendar()
    assert set(crops) >= SOUTHERN
    assert set(calendar) >= SOUTHERN
    assert crops["pak_lieng"].name_th == "ผักเหลียง"
    assert crops["native_durian"].name_th == "ทุเรียนพื้นบ้าน"
    assert {crops[c].group for c in SOUTHERN} <= {"leafy", "fruit_veg", "fruit"}
    assert calendar["longkong"].good_months == {6, 7, 8, 9}
    assert calendar["sato"].good_months == {6, 7, 8, 9, 12, 1}
    assert len(calendar["pak_lieng"].good_months) == 12


@pytest.mark.parametrize("instance_name", ["december", "june"])
def test_seasonal_crops_are_offered_and_ordered_in_their_months_only(
    instance_name: str, request: pytest.FixtureRequest
) -> None:
    instance = request.getfixturevalue(instance_name)
    calendar = load_crop_calendar()
    perennial = {
        c: s.good_months
        for c, s in calendar.items()
        if s.days_to_first_harvest is not None and s.days_to_first_harvest >= 365
    }
    for s in instance["supply"]:
        months = perennial.get(s["crop_id"])
        if months is not None:
            assert all(_thursday(w).month in months for w in s["weeks"]), s["id"]
    for o in instance["orders"]:
        months = perennial.get(o["crop_id"])
        if months is not None:
            assert all(d.month in months for d in _deliveries(o)), o["id"]


def test_no_longkong_in_december_and_longkong_in_june(
    december: dict[str, Any], june: dict[str, Any]
) -> None:
    fruit = ("longkong", "native_durian")
    assert not [s for s in december["supply"] if s["crop_id"] in fruit]
    assert not [o for o in december["orders"] if o["crop_id"] in fruit]
    assert {o["crop_id"] for o in june["orders"]} >= {"longkong"}
    assert {s["crop_id"] for s in june["supply"]} >= {"longkong"}


def test_intercrop_gardens_announce_the_southern_products(december: dict[str, Any]) -> None:
    southern = [s for s in december["supply"] if s["crop_id"] in SOUTHERN]
    assert southern
    assert {o["crop_id"] for o in december["orders"]} & SOUTHERN
    intercrop = {g["id"] for g in december["groups"] if "สวนสมรม" in g["name_th"]}
    assert intercrop
    assert {s["group_id"] for s in southern} & intercrop


def test_cabbage_is_short_and_shorter_outside_the_cool_months(june: dict[str, Any]) -> None:
    assert SONGKHLA_RATIO["cabbage"] < 1.0
    demand = Counter[str]()
    for o in june["orders"]:
        demand[o["crop_id"]] += o["quantity"] * len(_deliveries(o))
    offered = sum(sum(s["weeks"].values()) for s in june["supply"] if s["crop_id"] == "cabbage")
    if demand["cabbage"]:
        assert offered <= SONGKHLA_RATIO["cabbage"] * COOL_OFF_SEASON * 1.6 * demand["cabbage"]


def test_cabbage_lines_shrink_when_the_cool_months_end() -> None:
    spring = songkhla_instance(weeks=12, seed=1, start=date(2027, 1, 18))
    lines = [s for s in spring["supply"] if s["crop_id"] == "cabbage"]
    assert lines
    for s in lines:
        cool = [q for w, q in s["weeks"].items() if _thursday(w).month in (12, 1, 2)]
        warm = [q for w, q in s["weeks"].items() if _thursday(w).month not in (12, 1, 2)]
        if cool and warm:
            assert max(warm) < min(cool), s["id"]


def test_schools_order_for_their_lunch_pupils_only(december: dict[str, Any]) -> None:
    institutions = {i.id: i for i in load_institutions()}
    ordering = {o["buyer_id"] for o in december["orders"]}
    for inst in institutions.values():
        if inst.lunch_pupils == 0:
            assert inst.id not in ordering
    bpp = {i.id for i in institutions.values() if i.subkind == "bpp"}
    assert bpp <= ordering  # the Border Patrol Police schools' kitchens buy
    # the opportunity-expansion school orders for 360 pupils, not its 520
    rice = [
        o
        for o in december["orders"]
        if o["buyer_id"] == "school-ban-sadao" and o["crop_id"] == "rice_jasmine"
    ]
    assert rice
    for order in rice:  # 0.35 kg of rice per pupil a week, 35 % of it bought forward
        weekly = order["quantity"] / 2 if "deliveries" in order else order["quantity"]
        assert 0 < weekly <= 1.1 * 0.35 * 0.35 * 360  # 520 pupils would make 64 kg


@pytest.mark.parametrize("weeks", [1, 2])
def test_a_short_season_still_has_every_kitchens_orders(weeks: int) -> None:
    instance = songkhla_instance(weeks=weeks, seed=1)
    needing = {i.id for i in load_institutions() if i.lunch_pupils != 0}
    assert {o["buyer_id"] for o in instance["orders"]} == needing
    assert len(instance["orders"]) > 100


def test_the_second_flush_is_the_shorter_run_of_months() -> None:
    assert second_flush(frozenset({6, 7, 8, 9, 12, 1})) == {12, 1}
    assert second_flush(frozenset({6, 7, 8, 9})) == frozenset()
    assert second_flush(frozenset({12, 1, 2})) == frozenset()  # one run across the new year
    assert second_flush(frozenset(range(1, 13))) == frozenset()


def test_sato_offers_less_in_its_second_flush() -> None:
    autumn = songkhla_instance(weeks=18, seed=1, start=date(2027, 8, 30))
    lines = [s for s in autumn["supply"] if s["crop_id"] == "sato"]
    assert lines
    both = 0
    for s in lines:
        main = [q for w, q in s["weeks"].items() if _thursday(w).month == 9]
        second = [q for w, q in s["weeks"].items() if _thursday(w).month in (12, 1)]
        assert not [w for w in s["weeks"] if _thursday(w).month in (10, 11)]
        if main and second:
            both += 1
            assert max(second) < min(main), s["id"]
    assert both


def test_school_orders_fit_the_school_lunch_budget(december: dict[str, Any]) -> None:
    """The programme pays 22 to 36 THB per pupil a school day (22 above 120 pupils): what a
    school buys forward a week, at the crops' reference prices, is under 30 % of 22 THB x its
    lunch pupils x 5 days (the rest of the budget goes to meat, fish, oil and the cook)."""
    crops = load_crops()
    lunch = {i.id: i.lunch_pupils for i in load_institutions() if i.lunch_pupils}
    weekly: Counter[str] = Counter()
    weeks = 12
    for o in december["orders"]:
        if o["buyer_id"] in lunch:
            price = (crops[o["crop_id"]].reference_price or 0) / 100
            weekly[o["buyer_id"]] += o["quantity"] * len(_deliveries(o)) * price / weeks
    assert set(weekly) == set(lunch)
    for school, baht in weekly.items():
        assert 0 < baht <= 0.3 * 22 * lunch[school] * 5, school


def test_an_instance_with_its_flood_week_is_a_valid_instance_the_solver_reads() -> None:
    from matcher.optimiser.schema import parse_instance
    from matcher.scenario import songkhla_instance

    raw = songkhla_instance(weeks=4, seed=1, disruptions=True)
    (flood,) = raw["disruptions"]

    assert flood["kind"] == "flood"
    assert flood["supply"]
    assert len(parse_instance(raw).supply) == len(raw["supply"])
