"""A kitchen's own non-delivery days (``GET``/``PUT /api/v1/buyers/{buyer_id}/days-off``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, with_config
from typing_extensions import TypedDict

from api.models import EXACT, DateText


@with_config(EXACT)
class DaysOff(TypedDict):
    """The days a kitchen does not receive deliveries, besides Thailand's public holidays."""

    buyer_id: str
    non_delivery_weekdays: Annotated[
        list[str], Field(description='Weekdays, "mon".."sun", in week order.')
    ]
    non_delivery_dates: Annotated[list[DateText], Field(description="Dates, in order.")]
