"""The coordinator's figures: fill rate, unmet demand, distribution across groups, the map and the
planning report (JSON and CSV). The dashboard at ``/`` is built on these."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api.auth import Caller, Coordinator, scoped
from api.figures import FIGURE_RESPONSES, FiguresDep
from api.routes.common import Json
from matcher.auth import Role
from matcher.service import stats
from matcher.service.planning import PlanningFilter, planning_csv, planning_report

router = APIRouter(tags=["market"])

WEEK = r"^\d{4}-W\d{2}$"
IdFilter = Annotated[str | None, Query(max_length=200)]


@router.get(
    "/stats/fill",
    summary="Fill rate by crop and ISO week",
    description="Ordered and contracted quantity of the open orders, per crop and week.",
    responses=FIGURE_RESPONSES,
)
def fill(figures: FiguresDep, response: Response, _: Coordinator) -> Json:
    answer = figures.of_facts("fill", stats.fill)
    figures.mark(response)
    return answer


@router.get(
    "/stats/unmet",
    summary="Unmet demand by reason, crop and district",
    description="What the last round of each market left unfilled and is still open; `pending` "
    "is open demand no round has looked at yet.",
    responses=FIGURE_RESPONSES,
)
def unmet(figures: FiguresDep, response: Response, _: Coordinator) -> Json:
    answer = figures.of_facts("unmet", stats.unmet)
    figures.mark(response)
    return answer


@router.get(
    "/stats/groups",
    summary="Volume, income and utilisation across groups, with their Gini coefficients",
    responses=FIGURE_RESPONSES,
)
def groups(figures: FiguresDep, response: Response, _: Coordinator) -> Json:
    answer = figures.of_facts("groups", stats.distribution)
    figures.mark(response)
    return answer


@router.get(
    "/map",
    summary="Groups and kitchens with their positions, and the contract lines between them",
    responses=FIGURE_RESPONSES,
)
def market_map(figures: FiguresDep, response: Response, _: Coordinator) -> Json:
    answer = figures.of_facts("map", stats.map_view)
    figures.mark(response)
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
    summary="The planning report",
    description=PLANNING_DESCRIPTION,
    responses=FIGURE_RESPONSES,
)
def planning(figures: FiguresDep, response: Response, where: Where) -> Json:
    answer = _planning(figures, where)
    figures.mark(response)
    return answer


def _planning(figures: FiguresDep, where: PlanningFilter) -> Json:
    """The report for ``where`` (a frozen filter, so a key of the cache)."""
    return figures.of_facts(("planning", where), lambda facts: planning_report(facts, where))


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
    report = _planning(figures, where)
    answer = Response(
        planning_csv(report["lines"]),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="planning.csv"'},
    )
    figures.mark(answer)
    return answer
