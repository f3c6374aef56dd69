"""Road distances: the coordinator's measured km per (group, buyer) pair, and a pair's route.

The table overrides the province road model for its pairs in every round (an instance's own
table still wins when a solver is given one). Configuration, not a market command: the routes
write through a unit of work directly.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Caller, Coordinator, require_seen
from api.deps import ServiceDep
from api.models import roads as models
from api.pages import LIST_RESPONSES, Limit, Offset, paged
from api.routes.common import NOT_FOUND
from matcher.domain.errors import NotFound
from matcher.service.ports import RoadDistance
from matcher.service.roads import MAX_KM, SOURCE_LENGTH, measure_pair, store_distances

router = APIRouter(tags=["roads"])

Json = dict[str, Any]


class DistanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    group_id: str = Field(min_length=1, max_length=200)
    buyer_id: str = Field(min_length=1, max_length=200)
    km: float = Field(ge=0, le=MAX_KM, description="Road km from the group to the buyer.")
    source: str = Field("", max_length=SOURCE_LENGTH, description="Where the figure comes from.")


MAX_PAIRS = 100
"""Pairs in one request: 100 of the longest ids and sources stay under the 1 MiB body limit
even written with JSON's longest escapes (12 bytes a character)."""


class DistancesBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    distances: list[DistanceIn] = Field(
        min_length=1,
        max_length=MAX_PAIRS,
        description="At most 100 pairs a request (a body stays under the 1 MiB limit); a "
        "larger table goes in parts, or through `foodmatch import roads`.",
    )


def _row(d: RoadDistance) -> Json:
    return {
        "group_id": d.group_id,
        "buyer_id": d.buyer_id,
        "km": d.km,
        "source": d.source,
        "updated_at": d.updated_at.isoformat(),
    }


@router.get(
    "/road-distances",
    response_model=list[models.RoadDistance],
    responses=LIST_RESPONSES,
    summary="The coordinator's road-distance table",
)
def list_road_distances(
    request: Request,
    response: Response,
    service: ServiceDep,
    _: Coordinator,
    limit: Limit = 1000,
    offset: Offset = 0,
) -> list[Json]:
    """Measured road km per (group, buyer) pair, by group then buyer. Rounds use them instead
    of the province road model for those pairs."""
    with service.read_uow_factory() as uow:
        total = len(uow.road_distances.table())
        page = [_row(d) for d in uow.road_distances.list(limit=limit, offset=offset)]
    return paged(request, response, page, total=total, limit=limit, offset=offset)


@router.put(
    "/road-distances",
    response_model=models.Stored,
    summary="Set measured road km for (group, buyer) pairs",
)
def put_road_distances(body: DistancesBody, service: ServiceDep, _: Coordinator) -> Json:
    """Each pair's km replaces the one stored (or the road model's) from the next round on.
    Every group and buyer must exist; nothing is stored when one does not."""
    rows = [(d.group_id, d.buyer_id, d.km, d.source) for d in body.distances]
    with service.uow_factory() as uow:
        stored = store_distances(uow, rows, service.context.clock.now())
        uow.commit()
    return {"stored": stored}


@router.get(
    "/road-distances/route",
    response_model=models.PairRoute,
    responses=NOT_FOUND,
    summary="The road km rounds use for a pair, and the places on the way",
)
def pair_route(
    service: ServiceDep,
    caller: Caller,
    group_id: Annotated[str, Query(min_length=1, max_length=200)],
    buyer_id: Annotated[str, Query(min_length=1, max_length=200)],
) -> Json:
    """The coordinator's figure for the pair, else the province road model's route (around
    Songkhla Lake by the roads and the Tinsulanonda bridge), else the straight line × the road
    factor. Coordinators, and the group or the buyer itself, may ask."""
    require_seen(caller.coordinator or caller.participant_id in (group_id, buyer_id), caller)
    with service.read_uow_factory() as uow:
        group, buyer = uow.groups.get(group_id), uow.buyers.get(buyer_id)
        if group is None:
            raise NotFound("group", group_id)
        if buyer is None:
            raise NotFound("buyer", buyer_id)
        table = uow.road_distances.table()
    found = measure_pair(service.context, table, group, buyer)
    return {
        "group_id": group_id,
        "buyer_id": buyer_id,
        "km": found.km,
        "measure": found.measure,
        "places": [
            {"id": p.id, "name_th": p.name_th, "name_en": p.name_en, "lat": p.lat, "lon": p.lon}
            for p in found.places
        ],
        "roads": list(found.roads),
    }
