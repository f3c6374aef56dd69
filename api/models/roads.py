"""Road distances: the coordinator's table and a pair's route (``/api/v1/road-distances``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, with_config
from typing_extensions import TypedDict

from api.models import EXACT, DateTimeText, Number


@with_config(EXACT)
class RoadDistance(TypedDict):
    """A coordinator's measured road km from a farmer group to a buyer; it overrides the road
    model for the pair."""

    group_id: str
    buyer_id: str
    km: Number
    source: Annotated[str, Field(description="Where the figure comes from (free text).")]
    updated_at: DateTimeText


@with_config(EXACT)
class Stored(TypedDict):
    """How many pairs a PUT stored (new or replaced)."""

    stored: int


@with_config(EXACT)
class Place(TypedDict):
    """A node of the province road model the route passes."""

    id: str
    name_th: str
    name_en: str
    lat: Number
    lon: Number


@with_config(EXACT)
class PairRoute(TypedDict):
    """The km rounds use for a (group, buyer) pair, how it was measured, and the places the
    road model's route passes (empty for a measured figure or a short direct road)."""

    group_id: str
    buyer_id: str
    km: Number
    measure: Annotated[
        str, Field(examples=["table", "road_model", "straight_line"], description="Which rule.")
    ]
    places: list[Place]
    roads: Annotated[list[str], Field(description="Highway numbers, in order.")]
