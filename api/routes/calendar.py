"""The calendar deliveries follow: Thailand's public holidays of a year, with their names."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.auth import Caller
from api.models.calendar import HolidayYear
from api.routes.common import Json
from matcher.calendar import MAX_YEAR, MIN_YEAR, SOURCE, holidays_in

router = APIRouter(tags=["market"])


@router.get(
    "/calendar/holidays",
    response_model=HolidayYear,
    summary="Thailand's public holidays of a year",
)
def list_holidays(
    _: Caller,
    year: Annotated[int, Query(ge=MIN_YEAR, le=MAX_YEAR, description="The year (CE).")],
) -> Json:
    """The year's public holidays in date order, with their Thai and English names, and the
    calendar's source (the ``holidays`` package's Thailand calendar and its version). A
    delivery on one of them moves to the previous working day or is refused, by the order's
    ``on_holiday``; the kitchen portal's preview shows the move. Any key may read it."""
    return {
        "year": year,
        "source": SOURCE,
        "holidays": [
            {"date": h.day.isoformat(), "name_th": h.name_th, "name_en": h.name_en}
            for h in holidays_in(year)
        ],
    }
