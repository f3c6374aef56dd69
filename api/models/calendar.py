"""Thailand's public holidays (``GET /api/v1/calendar/holidays``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, with_config
from typing_extensions import TypedDict

from api.models import EXACT, DateText


@with_config(EXACT)
class Holiday(TypedDict):
    """A public holiday (a day given in lieu of one on a weekend is one too)."""

    date: DateText
    name_th: Annotated[str, Field(description="Its name in Thai.")]
    name_en: Annotated[str, Field(description="Its name in English.")]


@with_config(EXACT)
class HolidayYear(TypedDict):
    """A year's public holidays and where they come from."""

    year: int
    source: Annotated[
        str, Field(description="The calendar: the holidays package's Thailand calendar, version.")
    ]
    holidays: list[Holiday]
