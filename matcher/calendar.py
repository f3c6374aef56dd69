"""Thailand's public holidays, from the ``holidays`` package (its Thailand calendar, with the days
given in lieu of a holiday that falls on a weekend and the extra days the cabinet declares that
the package knows of). The source of every holiday date in the service: delivery dates
(:mod:`matcher.domain.calendar`), reminders (:func:`thai_working_days`) and the public route
``GET /api/v1/calendar/holidays``.

The package computes the dates (the lunar Buddhist holidays included) when a year is first
asked about; nothing is read from disk. :data:`SOURCE` names the package and its version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib.metadata import version

import holidays

from matcher.domain.calendar import ClosedDay, ClosedDays, ClosedKind
from matcher.notifications import WorkingDay

SOURCE = f"holidays {version('holidays')} (Thailand calendar)"
MIN_YEAR = 2000
MAX_YEAR = 2100


@dataclass(frozen=True, slots=True)
class Holiday:
    day: date
    name_th: str
    name_en: str


def _thai(language: str) -> holidays.HolidayBase:
    return holidays.country_holidays("TH", language=language)


def thai_holidays() -> ClosedDays:
    """Whether a day is a Thai public holiday, with its Thai and English names."""
    th = _thai("th")
    en = _thai("en_US")

    def closed(day: date) -> ClosedDay | None:
        name_th = th.get(day)
        if name_th is None:
            return None
        return ClosedDay(ClosedKind.HOLIDAY, name_th, en.get(day) or name_th)

    return closed


@cache
def thai_calendar() -> ClosedDays:
    """One shared :func:`thai_holidays` (for the scenario's many orders)."""
    return thai_holidays()


def holidays_in(year: int) -> list[Holiday]:
    """The year's public holidays in date order, with their Thai and English names."""
    th = holidays.country_holidays("TH", years=year, language="th")
    en = holidays.country_holidays("TH", years=year, language="en_US")
    return [Holiday(day, name, en.get(day) or name) for day, name in sorted(th.items())]


def thai_working_days() -> WorkingDay:
    """Whether a day is a working day in Thailand (Monday to Friday, not a public holiday); the
    years are filled in as they are asked about. One calendar for both sides of a contract: a
    delivery's reminder goes to the group and to the kitchen on the same day, the last working
    day before the delivery (see :func:`matcher.notifications.reminder_day`)."""
    thai = holidays.country_holidays("TH")

    def working(day: date) -> bool:
        return day.weekday() < 5 and day not in thai

    return working
