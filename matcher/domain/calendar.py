"""Delivery calendars: the days a kitchen does not receive, and what an order does about them.

A day is *closed* for a kitchen when it is a public holiday (the calendar is passed in: the domain
reads no tables) or one of the kitchen's own non-delivery days (weekdays such as Saturday and
Sunday, or listed dates). An order chooses what happens to a delivery on a closed day
(:class:`OnHoliday`):

- ``previous_working_day`` (the default): the delivery moves to the nearest earlier day that is
  open. The move may cross into the previous ISO week (a Monday holiday moves to the Friday
  before): the delivery then belongs to that week and that week's supply serves it, as for any
  delivery on that date. When the earlier day is already one of the order's deliveries, the
  moved delivery is dropped (the order's quantity is the same on every date, so two deliveries
  cannot share one).
- ``refuse``: an order on listed dates is refused, naming the date and the holiday in Thai and
  English; an order on a weekly schedule keeps its other dates and drops the closed ones.

Every moved or dropped date is kept on the order (:class:`DateChange`) so the kitchen sees why.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from matcher.domain.errors import InvalidValue

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_STEPS_BACK = 31
"""How far back a delivery may move before it is dropped (a kitchen closed a whole month)."""


class OnHoliday(StrEnum):
    """What an order does with a delivery that falls on a closed day."""

    PREVIOUS_WORKING_DAY = "previous_working_day"
    REFUSE = "refuse"


class ClosedKind(StrEnum):
    HOLIDAY = "holiday"
    """A public holiday (including a day given in lieu of one on a weekend)."""
    NON_DELIVERY_DAY = "non_delivery_day"
    """One of the kitchen's own non-delivery days."""


@dataclass(frozen=True, slots=True)
class ClosedDay:
    """Why no delivery is taken on a day: its kind and its name in Thai and English."""

    kind: ClosedKind
    name_th: str
    name_en: str


ClosedDays = Callable[[date], ClosedDay | None]
"""Whether a day is closed (and why); ``None`` when deliveries are taken."""


@dataclass(frozen=True, slots=True)
class DateChange:
    """A delivery date the calendar changed: ``delivery`` is where it went (``None``: dropped)."""

    asked: date
    delivery: date | None
    closed: ClosedDay


def no_closed_days(day: date) -> ClosedDay | None:
    """The calendar with no holiday (tests and instance files that bring none)."""
    return None


_KITCHEN_DAY_TH = {
    "mon": "วันจันทร์",
    "tue": "วันอังคาร",
    "wed": "วันพุธ",
    "thu": "วันพฤหัสบดี",
    "fri": "วันศุกร์",
    "sat": "วันเสาร์",
    "sun": "วันอาทิตย์",
}
_KITCHEN_DAY_EN = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}


def kitchen_closed(weekdays: Iterable[str], dates: Iterable[date]) -> ClosedDays:
    """A kitchen's own non-delivery days: the weekdays it does not receive and listed dates."""
    closed_weekdays = frozenset(WEEKDAY_NAMES.index(w) for w in weekdays)
    closed_dates = frozenset(dates)

    def closed(day: date) -> ClosedDay | None:
        if day in closed_dates:
            return ClosedDay(
                ClosedKind.NON_DELIVERY_DAY,
                "วันที่ครัวไม่รับของ",
                "a date the kitchen does not receive deliveries",
            )
        if day.weekday() in closed_weekdays:
            name = WEEKDAY_NAMES[day.weekday()]
            return ClosedDay(
                ClosedKind.NON_DELIVERY_DAY,
                f"ครัวไม่รับของ{_KITCHEN_DAY_TH[name]}",
                f"the kitchen does not receive deliveries on {_KITCHEN_DAY_EN[name]}",
            )
        return None

    return closed


def either(*calendars: ClosedDays) -> ClosedDays:
    """Closed when any of ``calendars`` says so (the first reason is given)."""

    def closed(day: date) -> ClosedDay | None:
        for calendar in calendars:
            found = calendar(day)
            if found is not None:
                return found
        return None

    return closed


def previous_open_day(day: date, closed: ClosedDays) -> date | None:
    """The nearest day before ``day`` that is open, at most :data:`MAX_STEPS_BACK` days back."""
    for back in range(1, MAX_STEPS_BACK + 1):
        candidate = day - timedelta(days=back)
        if closed(candidate) is None:
            return candidate
    return None


def describe(day: date, closed: ClosedDay) -> str:
    """``2027-01-01 is วันขึ้นปีใหม่ (New Year's Day)``: the date and why it is closed."""
    what = "a public holiday" if closed.kind is ClosedKind.HOLIDAY else "a non-delivery day"
    return f"{day.isoformat()} is {closed.name_th} ({closed.name_en}), {what}"


def apply_calendar(
    deliveries: tuple[date, ...], rule: OnHoliday, closed: ClosedDays, *, listed: bool
) -> tuple[tuple[date, ...], tuple[DateChange, ...]]:
    """The delivery dates after the calendar, and what changed.

    ``listed``: the dates were listed by the kitchen (not a schedule's); under ``refuse`` a closed
    listed date refuses the order (:class:`InvalidValue` on ``deliveries``)."""
    kept = [d for d in deliveries if closed(d) is None]
    taken = set(kept)
    changes: list[DateChange] = []
    for day in deliveries:
        why = closed(day)
        if why is None:
            continue
        if rule is OnHoliday.REFUSE:
            if listed:
                raise InvalidValue(
                    "deliveries",
                    f"{describe(day, why)}: choose another date, or on_holiday "
                    "previous_working_day to move it to the working day before",
                )
            changes.append(DateChange(day, None, why))
            continue
        moved = previous_open_day(day, closed)
        if moved is None or moved in taken:
            changes.append(DateChange(day, None, why))
            continue
        taken.add(moved)
        changes.append(DateChange(day, moved, why))
    if not taken:
        raise InvalidValue("deliveries", "every delivery date falls on a day the kitchen is closed")
    return tuple(sorted(taken)), tuple(changes)
