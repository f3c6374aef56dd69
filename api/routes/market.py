"""The market at a glance: the crop catalogue, one market's open book, the overview."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api.auth import Caller, Coordinator
from api.deps import ReadUow, ServiceDep
from api.figures import FIGURE_RESPONSES, FiguresDep
from api.models.market import AuditEntry, Crop, OpenBook, Overview
from api.pages import LIST_RESPONSES, Limit, Offset, paged, window
from api.routes.bodies import IsoDate
from api.routes.common import NOT_FOUND, Json
from matcher.domain.errors import NotFound
from matcher.service import views

router = APIRouter(tags=["market"])


@router.get(
    "/crops", response_model=list[Crop], responses=LIST_RESPONSES, summary="The crop catalogue"
)
def list_crops(
    request: Request,
    response: Response,
    service: ServiceDep,
    _: Caller,
    limit: Limit = 1000,
    offset: Offset = 0,
) -> list[Json]:
    crops = [
        {
            "id": crop.id,
            "name_th": crop.name_th,
            "name_en": crop.name_en,
            "unit": crop.unit.value,
            "group": crop.group,
        }
        for crop in service.context.crops.values()
    ]
    return window(request, response, crops, limit=limit, offset=offset)


@router.get(
    "/markets/{crop_id}/book",
    response_model=OpenBook,
    responses=NOT_FOUND | FIGURE_RESPONSES,
    summary="The open book of one market",
    description="Open demand and free supply per ISO week, and the order and supply lines.",
)
def market_book(
    crop_id: str,
    figures: FiguresDep,
    response: Response,
    service: ServiceDep,
    _: Coordinator,
    since: Annotated[
        IsoDate | None, Query(description="Leave out deliveries before this date.")
    ] = None,
) -> Json:
    if crop_id not in service.context.crops:
        raise NotFound("crop", crop_id)
    answer = figures.of_uow(
        ("book", crop_id, since), lambda uow: views.open_book(uow, crop_id, since=since)
    )
    figures.mark(response)
    return answer


@router.get(
    "/overview",
    response_model=Overview,
    summary="Counts, fill rate, the last round and the engine's state",
    responses=FIGURE_RESPONSES,
)
def overview(figures: FiguresDep, response: Response, service: ServiceDep, _: Coordinator) -> Json:
    counts = figures.of_view(
        "overview", lambda uow, facts: views.overview(uow, facts.today, facts=facts)
    )
    figures.mark(response)
    return counts | {"engine": service.engine.status()}


@router.get(
    "/audit",
    response_model=list[AuditEntry],
    responses=LIST_RESPONSES,
    summary="The audit trail: every recorded change, newest first (who, when, what, why)",
)
def audit(
    request: Request,
    response: Response,
    uow: ReadUow,
    _: Coordinator,
    event: Annotated[str | None, Query(max_length=100, description="e.g. ContractRejected")] = None,
    key: Annotated[str | None, Query(max_length=200, description="Market or participant.")] = None,
    subject: Annotated[
        str | None, Query(max_length=200, description="A contract, order, supply... id.")
    ] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[Json]:
    page, total = views.audit_page(
        uow, event=event, key=key, subject=subject, limit=limit, offset=offset
    )
    return paged(request, response, page, total=total, limit=limit, offset=offset)
