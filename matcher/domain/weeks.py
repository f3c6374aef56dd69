"""ISO weeks, the time grid of supply: ``2026-W50`` names the week of 7 December 2026."""

from __future__ import annotations

import re
from datetime import date, timedelta

from matcher.domain.errors import InvalidValue

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def iso_week(day: date) -> str:
    """The ISO week of ``day`` as ``YYYY-Www``."""
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def parse_week(text: str, field: str = "week") -> str:
    """Check and normalise an ISO week string; raise :class:`InvalidValue` when malformed."""
    match = _WEEK.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise InvalidValue(field, f"{text!r} is not an ISO week such as 2026-W50")
    year, week = int(match.group(1)), int(match.group(2))
    try:
        date.fromisocalendar(year, week, 1)
    except ValueError:
        raise InvalidValue(field, f"{text!r}: year {year} has no week {week}") from None
    return f"{year:04d}-W{week:02d}"


def week_monday(week: str) -> date:
    """The Monday of an ISO week."""
    year, number = week.split("-W")
    return date.fromisocalendar(int(year), int(number), 1)


def weeks_between(first: date, last: date) -> list[str]:
    """ISO weeks touched by the days from ``first`` to ``last`` inclusive, in order."""
    out: list[str] = []
    monday = first - timedelta(days=first.weekday())
    while monday <= last:
        out.append(iso_week(monday))
        monday += timedelta(days=7)
    return out
