"""The road km rounds use for a (group, buyer) pair, and the route behind it.

The coordinator's table first (measured figures), then the province road model (around
Songkhla Lake by the roads, never over the water), then the straight line × the road factor;
a matching instance's own table wins over all of these when a solver is given one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from matcher.domain.errors import InvalidValue, UnknownReference
from matcher.domain.model import Buyer, FarmerGroup
from matcher.geo import great_circle_km
from matcher.roads import RoadNode, to_10_m
from matcher.service.context import ServiceContext
from matcher.service.ports import RoadDistance, UnitOfWork

SOURCE_LENGTH = 200
MAX_KM = 2000.0


@dataclass(frozen=True, slots=True)
class PairMeasure:
    km: float
    measure: str
    """``table``, ``road_model`` or ``straight_line``."""
    places: tuple[RoadNode, ...] = ()
    roads: tuple[str, ...] = ()


def measure_pair(
    ctx: ServiceContext, table: Mapping[tuple[str, str], float], group: FarmerGroup, buyer: Buyer
) -> PairMeasure:
    """The km a round uses from ``group`` to ``buyer``, and how it was measured."""
    known = table.get((group.id, buyer.id))
    if known is not None:
        return PairMeasure(round(known, 2), "table")
    if ctx.roads is not None:
        route = ctx.roads.route(group.location, buyer.location)
        return PairMeasure(to_10_m(route.km), "road_model", route.places, route.roads)
    km = great_circle_km(group.location, buyer.location) * ctx.parameters.road_factor
    return PairMeasure(round(km, 2), "straight_line")


def check_distance(i: int, group_id: str, buyer_id: str, km: float, source: str) -> None:
    where = f"distances[{i}]"
    if not group_id or not buyer_id:
        raise InvalidValue(where, "needs a group_id and a buyer_id")
    if not 0 <= km <= MAX_KM:
        raise InvalidValue(f"{where}.km", f"must be between 0 and {MAX_KM:g}")
    if len(source) > SOURCE_LENGTH:
        raise InvalidValue(f"{where}.source", f"at most {SOURCE_LENGTH} characters")


def store_distances(
    uow: UnitOfWork, rows: Iterable[tuple[str, str, float, str]], now: datetime
) -> int:
    """Check each (group, buyer, km, source) and store them all, or none; the count stored."""
    items: list[RoadDistance] = []
    for i, (group_id, buyer_id, km, source) in enumerate(rows):
        check_distance(i, group_id, buyer_id, km, source)
        if uow.groups.get(group_id) is None:
            raise UnknownReference(f"distances[{i}].group_id", f"no group with id {group_id!r}")
        if uow.buyers.get(buyer_id) is None:
            raise UnknownReference(f"distances[{i}].buyer_id", f"no buyer with id {buyer_id!r}")
        items.append(RoadDistance(group_id, buyer_id, float(km), source, now))
    return uow.road_distances.put(items)
