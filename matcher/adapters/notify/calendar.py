"""The market's working days: Monday to Friday except Thailand's public holidays, from the
``holidays`` package (its Thai calendar, with the days given in lieu of a holiday on a weekend).

One calendar for both sides of a contract: a delivery's reminder goes to the group and to the
kitchen on the same day, the last working day before the delivery (see
:func:`matcher.notifications.reminder_day`)."""

from __future__ import annotations

from datetime import date

import holidays

from matcher.notifications import WorkingDay


def thai_working_days() -> WorkingDay:
    """Whether a day is a working day in Thailand; the years are filled in as they are asked
    about."""
    thai = holidays.country_holidays("TH")

    def working(day: date) -> bool:
        return day.weekday() < 5 and day not in thai

    return working
