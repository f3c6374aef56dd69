"""The coordinator's figures: fill rate, unmet demand, distribution across groups, the map and the
planning report (JSON and CSV). The dashboard at ``/`` is built on these.

A figure is checked against its response model once, when it is computed for a state of the
market, and kept as the JSON of the answer: the requests of that state get those bytes."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api.auth import Caller, Coordinator, scoped
from api.deps import ServiceDep
from api.figures import FIGURE_RESPONSES, FiguresDep
from api.models.figures import Distribution, Fill, MarketMap, PlanningReport, Unmet
from api.routes.common import Json, checked_json
from matcher.auth import Role
from matcher.roads import RoadNetwork
from matcher.service import stats
from matcher.service.planning import (
    PlanningFilter,
    planning_areas_csv,
    planning_csv,
    planning_report,
)

router = APIRouter(tags=["market"])

WEEK = r"^\d{4}-W\d{2}$"
IdFilter = Annotated[str | None, Query(max_length=200)]


@router.get(
    "/stats/fill",
    response_model=Fill,
    summary="Fill rate by crop and ISO week",
    description="Ordered and contracted quantity of the open orders, per crop and week.",
    responses=FIGURE_RESPONSES,
)
def fill(figures: FiguresDep, _: Coordinator) -> Response:
    return _figure(figures, "fill", Fill, stats.fill)


@router.get(
    "/stats/unmet",
    response_model=Unmet,
    summary="Unmet demand by reason, crop and district",
    description="What the last round of each market left unfilled and is still open; `pending` "
    "is open demand no round has looked at yet.",
    responses=FIGURE_RESPONSES,
)
def unmet(figures: FiguresDep, _: Coordinator) -> Response:
    return _figure(figures, "unmet", Unmet, stats.unmet)


@router.get(
    "/stats/groups",
    response_model=Distribution,
    summary="Volume, income and utilisation across groups, with their Gini coefficients",
    responses=FIGURE_RESPONSES,
)
def groups(figures: FiguresDep, _: Coordinator) -> Response:
    return _figure(figures, "groups", Distribution, stats.distribution)


@router.get(
    "/map",
    response_model=MarketMap,
    summary="Groups and kitchens with their positions, and the contract lines between them",
    responses=FIGURE_RESPONSES,
)
def market_map(figures: FiguresDep, service: ServiceDep, _: Coordinator) -> Response:
    roads = service.context.roads
    return _figure(figures, "map", MarketMap, lambda facts: routed_map(facts, roads))


def routed_map(facts: stats.Facts, roads: RoadNetwork | None) -> Json:
    """The map, each link with ``via``: the road model's places between the group and the kitchen
    (``[lat, lon]`` pairs, empty when the straight line is the route or there is no model)."""
    view = stats.map_view(facts)
    for link in view["links"]:
        group, buyer = facts.groups.get(link["group_id"]), facts.buyers.get(link["buyer_id"])
        if roads is None or group is None or buyer is None:
            link["via"] = []
            continue
        places = roads.route(group.location, buyer.location).places
        link["via"] = [[p.lat, p.lon] for p in places]
    return view


def _figure(
    figures: FiguresDep, key: Hashable, model: Any, compute: Callable[[stats.Facts], Json]
) -> Response:
    """The answer of ``compute`` for this state of the market, checked against ``model`` and
    rendered when it is computed, kept under ``key``."""
    body = figures.of_facts(key, lambda facts: checked_json(model, compute(facts)))
    answer = Response(body, media_type="application/json")
    figures.mark(answer)
    return answer


def planning_filter(
    caller: Caller,
    crop_id: IdFilter = None,
    district: IdFilter = None,
    week: Annotated[str | None, Query(pattern=WEEK, description="e.g. 2026-W50")] = None,
    buyer_id: IdFilter = None,
) -> PlanningFilter:
    """The report's filter; a kitchen's report holds only its own lines."""
    buyer_id = scoped(caller, buyer_id, Role.KITCHEN)
    return PlanningFilter(crop_id=crop_id, district=district, week=week, buyer_id=buyer_id)


Where = Annotated[PlanningFilter, Depends(planning_filter)]


PLANNING_DESCRIPTION = (
    "Unmet demand by crop, buyers' district, ISO week, reason and minimum standard, with the "
    "supply that would close it: how much of which crop, certified to which standard, where "
    "(within the orders' distance limit), when and at what price at most."
)


@router.get(
    "/report/planning",
    response_model=PlanningReport,
    summary="The planning report",
    description=PLANNING_DESCRIPTION,
    responses=FIGURE_RESPONSES,
)
def planning(figures: FiguresDep, where: Where) -> Response:
    # ``where`` is a frozen filter, so a part of the key
    return _figure(
        figures, ("planning", where), PlanningReport, lambda facts: planning_report(facts, where)
    )


@router.get(
    "/report/planning.csv",
    summary="The planning report as CSV",
    description=PLANNING_DESCRIPTION,
    response_class=Response,
    responses={
        200: FIGURE_RESPONSES[200]
        | {"content": {"text/csv": {}}, "description": "One row per line."}
    },
)
def planning_as_csv(figures: FiguresDep, where: Where) -> Response:
    text = figures.of_facts(
        ("planning.csv", where), lambda facts: planning_csv(planning_report(facts, where)["lines"])
    )
    answer = Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="planning.csv"'},
    )
    figures.mark(answer)
    return answer


@router.get(
    "/report/planning-areas.csv",
    summary="The groups' supply by district and by sub-district as CSV",
    description="The planning report's `supply_by_area` as one table: a row per district "
    "(`level` district), then a row per sub-district (`level` subdistrict): groups, members, "
    "farm area in rai, announced and contracted quantity.",
    response_class=Response,
    responses={
        200: FIGURE_RESPONSES[200]
        | {"content": {"text/csv": {}}, "description": "One row per district or sub-district."}
    },
)
def planning_areas_as_csv(figures: FiguresDep, _: Coordinator) -> Response:
    text = figures.of_facts(
        "planning-areas.csv", lambda facts: planning_areas_csv(stats.supply_by_area(facts))
    )
    answer = Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="planning-areas.csv"'},
    )
    figures.mark(answer)
    return answer
