"""Deliveries on Thai public holidays and on a kitchen's non-delivery days: moved to the previous
working day or refused, by the order's choice (real holidays from the ``holidays`` package)."""

from __future__ import annotations

from datetime import date

import pytest

from matcher.calendar import SOURCE, holidays_in, thai_holidays
from matcher.domain.calendar import ClosedKind, OnHoliday, either, kitchen_closed
from matcher.domain.errors import InvalidValue
from matcher.domain.model import Buyer, BuyerKind, ForwardOrder, Location, WeeklySchedule

THAI = thai_holidays()
SCHOOL = Buyer(
    "sch",
    "โรงเรียน",
    "School",
    BuyerKind.SCHOOL,
    Location(7.0, 100.5),
    non_delivery_weekdays=("sun", "sat"),
    non_delivery_dates=(date(2027, 3, 19),),
)
HOSPITAL = Buyer("hos", "โรงพยาบาล", "Hospital", BuyerKind.HOSPITAL, Location(7.0, 100.5))


def order(
    *days: date, rule: OnHoliday = OnHoliday.PREVIOUS_WORKING_DAY, buyer: Buyer = HOSPITAL
) -> ForwardOrder:
    o = ForwardOrder("o", buyer.id, "kale", 10, tuple(days), on_holiday=rule)
    return o.on_calendar(either(THAI, buyer.closed_days()))


def test_new_year_moves_back_past_new_years_eve() -> None:
    o = order(date(2027, 1, 1), date(2027, 1, 8))
    assert o.deliveries == (date(2026, 12, 30), date(2027, 1, 8))
    (change,) = o.date_changes
    assert change.asked == date(2027, 1, 1)
    assert change.delivery == date(2026, 12, 30)
    assert change.closed.kind is ClosedKind.HOLIDAY
    assert change.closed.name_th == "วันขึ้นปีใหม่"
    assert change.closed.name_en == "New Year's Day"


@pytest.mark.parametrize("day", [date(2027, 4, 13), date(2027, 4, 14), date(2027, 4, 15)])
def test_songkran_moves_to_the_monday_before(day: date) -> None:
    o = order(day)
    assert o.deliveries == (date(2027, 4, 12),)
    assert o.date_changes[0].closed.name_en == "Songkran Festival"


def test_songkran_days_of_one_order_share_the_working_day_once() -> None:
    o = order(date(2027, 4, 13), date(2027, 4, 15))
    assert o.deliveries == (date(2027, 4, 12),)
    kept, dropped = o.date_changes
    assert (kept.asked, kept.delivery) == (date(2027, 4, 13), date(2027, 4, 12))
    assert (dropped.asked, dropped.delivery) == (date(2027, 4, 15), None)


def test_a_day_in_lieu_of_5_december_moves_into_the_week_before() -> None:
    # 5 Dec 2027 is a Sunday: Monday 6 Dec is given in lieu; a school does not receive on
    # weekends, so the delivery goes to Friday 3 Dec, in the ISO week before.
    o = order(date(2027, 12, 6), buyer=SCHOOL)
    assert o.deliveries == (date(2027, 12, 3),)
    assert "(in lieu)" in o.date_changes[0].closed.name_en


def test_5_december_on_a_weekend_is_still_a_holiday_for_a_hospital_delivering_then() -> None:
    o = order(date(2026, 12, 5))  # a Saturday; the hospital receives on Saturdays
    assert o.deliveries == (date(2026, 12, 4),)


def test_a_kitchens_non_delivery_days_move_deliveries_too() -> None:
    o = order(date(2027, 3, 20), date(2027, 3, 19), date(2027, 3, 24), buyer=SCHOOL)
    # Saturday 20 March: the school's weekend; Friday 19 March: a date it closed.
    assert o.deliveries == (date(2027, 3, 18), date(2027, 3, 24))
    reasons = {c.asked: c.closed for c in o.date_changes}
    assert reasons[date(2027, 3, 20)].kind is ClosedKind.NON_DELIVERY_DAY
    assert reasons[date(2027, 3, 20)].name_th == "ครัวไม่รับของวันเสาร์"
    assert reasons[date(2027, 3, 19)].kind is ClosedKind.NON_DELIVERY_DAY


def test_refuse_refuses_listed_dates_naming_the_holiday_in_thai_and_english() -> None:
    with pytest.raises(InvalidValue) as err:
        order(date(2027, 1, 6), date(2027, 1, 1), rule=OnHoliday.REFUSE)
    assert err.value.field == "deliveries"
    assert "2027-01-01 is วันขึ้นปีใหม่ (New Year's Day), a public holiday" in str(err.value)


def test_refuse_on_a_schedule_drops_the_closed_dates_and_keeps_the_others() -> None:
    schedule = WeeklySchedule(date(2026, 12, 28), date(2027, 1, 10), ("fri",))
    o = ForwardOrder.on_schedule(
        id="o",
        buyer_id="hos",
        crop_id="kale",
        quantity=5,
        schedule=schedule,
        on_holiday=OnHoliday.REFUSE,
    ).on_calendar(THAI)
    assert o.deliveries == (date(2027, 1, 8),)
    assert [(c.asked, c.delivery) for c in o.date_changes] == [(date(2027, 1, 1), None)]


def test_an_order_with_no_closed_day_is_unchanged_and_submitting_twice_gives_the_same() -> None:
    plain = ForwardOrder("o", "hos", "kale", 10, (date(2027, 1, 6),))
    assert plain.on_calendar(THAI) is plain
    moved = order(date(2027, 1, 1))
    assert moved.on_calendar(THAI) == moved == order(date(2027, 1, 1))


def test_only_closed_days_refuse_the_whole_order() -> None:
    closed = kitchen_closed(("sat", "sun"), ())
    o = ForwardOrder("o", "k", "kale", 1, (date(2027, 1, 2),), on_holiday=OnHoliday.REFUSE)
    with pytest.raises(InvalidValue, match="non-delivery day"):
        o.on_calendar(closed)


def test_a_kitchen_receives_on_at_least_one_weekday() -> None:
    week = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    with pytest.raises(InvalidValue, match="at least one weekday"):
        Buyer("b", "ก", "B", BuyerKind.SCHOOL, Location(7, 100), non_delivery_weekdays=week)
    with pytest.raises(InvalidValue, match=r"non_delivery_weekdays\.0"):
        Buyer("b", "ก", "B", BuyerKind.SCHOOL, Location(7, 100), non_delivery_weekdays=("sab",))


def test_the_years_holidays_come_with_their_names_and_source() -> None:
    days = {h.day: h for h in holidays_in(2027)}
    assert days[date(2027, 4, 13)].name_th == "วันสงกรานต์"
    assert days[date(2027, 12, 6)].name_en.endswith("(in lieu)")
    assert list(days) == sorted(days)
    assert SOURCE.startswith("holidays 0.")
    assert "Thailand" in SOURCE
