"""An order as its kitchen reads it (``views.order``): each delivery still open carries the
reason the last round that cleared its market gave and the nearest alternative reduced to what
the kitchen may see (the rule, the measure, the limit, the value when it is not another
group's business, and the district of the nearest group, never the group or its supply); and a
buyer carries its district's names."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from matcher.domain.contracts import MatchingRound, OrderRecord, RoundStatus, UnfilledLine
from matcher.domain.model import Buyer, BuyerKind, FarmerGroup, ForwardOrder, Location
from matcher.domain.weeks import iso_week
from matcher.reference import District
from matcher.service import views
from tests.support.fakes import FakeUnitOfWork, Store

FIRST = date(2026, 12, 14)
SECOND = FIRST + timedelta(days=7)
THIRD = SECOND + timedelta(days=7)
AT = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
PLACE = Location(7.0, 100.5)
RATTAPHUM = District("9009", "Rattaphum", "รัตภูมิ", PLACE, PLACE)
DISTRICTS = {RATTAPHUM.code: RATTAPHUM}


def alternative(**changes: Any) -> dict[str, Any]:
    found = {
        "group_id": "grp-far",
        "supply_id": "sup-far",
        "week": iso_week(FIRST),
        "rule": "out_of_range",
        "measure": "distance_km",
        "value": 64.2,
        "limit": 50.0,
    }
    return found | changes


def line(
    day: date, reason: str, alt: dict[str, Any] | None, order_id: str = "ord-1"
) -> UnfilledLine:
    return UnfilledLine(order_id, "kit-1", "kale", day, iso_week(day), 40, reason, "detail", alt)


def store(*lines: UnfilledLine, crop: str = "kale", started: datetime = AT) -> Store:
    s = Store()
    s.groups["grp-far"] = FarmerGroup("grp-far", "กลุ่มไกล", "Far group", PLACE, 20, district="9009")
    s.groups["grp-nowhere"] = FarmerGroup("grp-nowhere", "กลุ่ม", "Group", PLACE, 20)
    s.buyers["kit-1"] = Buyer("kit-1", "ครัว", "Kitchen", BuyerKind.HOSPITAL, PLACE, "9009")
    s.buyers["kit-2"] = Buyer("kit-2", "ครัว 2", "Kitchen 2", BuyerKind.SCHOOL, PLACE, "9999")
    order = ForwardOrder("ord-1", "kit-1", crop, 40, (FIRST, SECOND, THIRD))
    s.orders["ord-1"] = OrderRecord(order)
    add_round(s, "round-1", started, lines)
    return s


def add_round(s: Store, round_id: str, started: datetime, lines: tuple[UnfilledLine, ...]) -> None:
    s.rounds[round_id] = MatchingRound(
        round_id, "request", started, started, RoundStatus.COMPLETED, "flow", "optimal", {},
        unfilled=lines,
    )  # fmt: skip


def deliveries(s: Store) -> dict[str, Any]:
    body = views.order(FakeUnitOfWork(s), "ord-1", districts=DISTRICTS)
    return {d["date"]: d["unfilled"] for d in body["delivery_status"]}


def test_an_open_delivery_has_the_reason_and_the_district_of_the_nearest_group() -> None:
    found = deliveries(store(line(FIRST, "out_of_range", alternative())))

    assert found[FIRST.isoformat()] == {
        "reason": "out_of_range",
        "quantity": 40,
        "alternative": {
            "rule": "out_of_range",
            "measure": "distance_km",
            "value": 64.2,
            "limit": 50.0,
            "district": "9009",
            "district_name_th": "รัตภูมิ",
            "district_name_en": "Rattaphum",
        },
    }


def test_a_delivery_the_last_round_did_not_leave_unfilled_has_none() -> None:
    found = deliveries(store(line(FIRST, "out_of_range", alternative())))

    assert found[SECOND.isoformat()] is None
    assert found[THIRD.isoformat()] is None


def test_a_line_without_an_alternative_keeps_its_reason() -> None:
    found = deliveries(store(line(FIRST, "too_late", None)))

    assert found[FIRST.isoformat()] == {"reason": "too_late", "quantity": 40, "alternative": None}


@pytest.mark.parametrize(
    ("measure", "value", "shown"),
    [
        ("unit_price_thb", "31.50", None),
        ("free_quantity", 25, None),
        ("crop_scope", "vegetables", None),
        ("food_safety", "none", None),
        ("buyers", 3, None),
        ("scheme", "THAI_GAP", "THAI_GAP"),
        ("certificate_valid_until", "2026-12-01", "2026-12-01"),
        ("week", "2026-W52", "2026-W52"),
        ("suppliers", 1, 1),
        ("min_lot", 50, 50),
    ],
)
def test_a_groups_business_is_not_shown_to_the_kitchen(
    measure: str, value: object, shown: object
) -> None:
    alt = alternative(rule="any", measure=measure, value=value, limit="the limit")

    found = deliveries(store(line(FIRST, "any", alt)))[FIRST.isoformat()]["alternative"]

    assert (found["value"], found["limit"]) == (shown, "the limit")
    assert "group_id" not in found
    assert "supply_id" not in found


def test_an_unknown_district_is_named_by_null() -> None:
    alt = alternative(group_id="grp-nowhere")
    gone = alternative(group_id="grp-deleted")

    found = deliveries(store(line(FIRST, "out_of_range", alt), line(SECOND, "out_of_range", gone)))

    for day in (FIRST, SECOND):
        shown = found[day.isoformat()]["alternative"]
        assert (shown["district"], shown["district_name_th"], shown["district_name_en"]) == (
            None,
            None,
            None,
        )


def test_lines_of_other_orders_and_older_rounds_are_left_out() -> None:
    s = store(line(SECOND, "no_supply", None, order_id="ord-other"))
    add_round(s, "round-0", AT - timedelta(days=1), (line(FIRST, "no_supply", None),))

    found = deliveries(s)

    assert list(found.values()) == [None, None, None]


def test_the_last_round_that_cleared_the_market_is_read_not_the_last_round() -> None:
    s = store(line(FIRST, "out_of_range", alternative()))
    later = AT + timedelta(hours=1)
    s.rounds["round-2"] = MatchingRound(
        "round-2", "request", later, later, RoundStatus.COMPLETED, "flow", "optimal",
        {"markets": ["rice"]},
    )  # fmt: skip

    assert deliveries(s)[FIRST.isoformat()]["reason"] == "out_of_range"


def test_a_buyer_carries_its_districts_names() -> None:
    uow = FakeUnitOfWork(store())

    found = views.buyer(uow, "kit-1", districts=DISTRICTS)
    unknown = views.buyer(uow, "kit-2", districts=DISTRICTS)

    assert (found["district_name_th"], found["district_name_en"]) == ("รัตภูมิ", "Rattaphum")
    assert (unknown["district_name_th"], unknown["district_name_en"]) == (None, None)
    assert [b["district_name_en"] for b in views.buyers(uow, districts=DISTRICTS)] == [
        "Rattaphum",
        None,
    ]
