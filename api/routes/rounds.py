"""Matching rounds: run one on request, read their records."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from api.auth import Coordinator
from api.deps import MessageId, ReadUow, ServiceDep
from api.models.rounds import Round, RoundDetail
from api.pages import LIST_RESPONSES, Limit, Offset, paged
from api.routes.bodies import RoundBody
from api.routes.common import NOT_FOUND, Json, created_responses, run_command
from matcher.domain.errors import UnknownReference
from matcher.service import commands, views
from matcher.service.rounds import round_id_for

router = APIRouter(tags=["rounds"])


@router.post(
    "/rounds",
    status_code=201,
    response_model=RoundDetail,
    responses=created_responses(RoundDetail),
    summary="Run a matching round now",
    description="Clears the open book (or only the named crops' markets) and returns the round: "
    "its contracts and every unfilled quantity with its reason.",
)
async def run_round(
    service: ServiceDep, key: MessageId, caller: Coordinator, body: RoundBody | None = None
) -> JSONResponse:
    crops = tuple(body.crops) if body is not None else ()
    for i, crop_id in enumerate(crops):
        if crop_id not in service.context.crops:
            raise UnknownReference(f"crops[{i}]", f"no crop with id {crop_id!r}")
    command = commands.RunMatchingRound(crops=crops, message_id=key, actor=caller.actor)
    round_id = round_id_for(command.message_id)
    return await run_command(
        service, command, lambda uow: views.matching_round(uow, round_id), status=201
    )


@router.get(
    "/rounds",
    response_model=list[Round],
    responses=LIST_RESPONSES,
    summary="List rounds, newest first",
)
def list_rounds(
    request: Request,
    response: Response,
    uow: ReadUow,
    _: Coordinator,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[Json]:
    page = views.rounds(uow, limit=limit, offset=offset)
    total = uow.rounds.count()
    return paged(request, response, page, total=total, limit=limit, offset=offset)


@router.get(
    "/rounds/{round_id}",
    response_model=RoundDetail,
    responses=NOT_FOUND,
    summary="A round, with its unfilled quantities and reasons",
)
def get_round(round_id: str, uow: ReadUow, _: Coordinator) -> Json:
    return views.matching_round(uow, round_id)
