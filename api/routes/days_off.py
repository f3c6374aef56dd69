"""A kitchen's own non-delivery days: read and replaced by the kitchen itself (its sign-in
session, with the CSRF token as every session write, or its key) or by a coordinator; another
kitchen, a group or the bank is refused (403). The change travels as a command (``SetDaysOff``,
on Kafka ``buyer.days_off``) like every other, so both engines store it the same way; orders
submitted afterwards are moved or refused on the new days (their ``on_holiday``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Caller, message_id_for, require_buyer
from api.deps import MessageId, ReadUow, ServiceDep
from api.models.days_off import DaysOff
from api.routes.bodies import IsoDate, Text
from api.routes.common import COMMAND_RESPONSES, NOT_FOUND, Json, run_command
from matcher.domain.errors import NotFound
from matcher.domain.model import MAX_NON_DELIVERY_DATES
from matcher.service import commands
from matcher.service.ports import UnitOfWork

router = APIRouter(tags=["buyers"])


class DaysOffBody(BaseModel):
    """The kitchen's non-delivery days, replacing those it had."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    non_delivery_weekdays: list[Text] = Field(
        default_factory=list,
        max_length=7,
        description="Weekdays the kitchen does not receive deliveries, e.g. ['sat', 'sun'] "
        "(at least one weekday stays open).",
    )
    non_delivery_dates: list[IsoDate] = Field(
        default_factory=list,
        max_length=MAX_NON_DELIVERY_DATES,
        description="Dates the kitchen does not receive deliveries (public holidays apart).",
    )


def days_off_of(uow: UnitOfWork, buyer_id: str) -> Json:
    found = uow.buyers.get(buyer_id)
    if found is None:
        raise NotFound("buyer", buyer_id)
    return {
        "buyer_id": found.id,
        "non_delivery_weekdays": list(found.non_delivery_weekdays),
        "non_delivery_dates": [d.isoformat() for d in found.non_delivery_dates],
    }


@router.get(
    "/buyers/{buyer_id}/days-off",
    response_model=DaysOff,
    responses=NOT_FOUND,
    summary="A kitchen's own non-delivery days (the kitchen or a coordinator)",
)
def get_days_off(buyer_id: str, uow: ReadUow, caller: Caller) -> Json:
    require_buyer(caller, buyer_id)
    return days_off_of(uow, buyer_id)


@router.put(
    "/buyers/{buyer_id}/days-off",
    response_model=DaysOff,
    responses=COMMAND_RESPONSES,
    summary="Replace a kitchen's non-delivery days (the kitchen or a coordinator)",
    description="Only these two fields of the buyer change. Orders already submitted keep "
    "their dates; orders submitted afterwards are moved or refused on these days, by their "
    "`on_holiday`. Every weekday closed, or an unknown weekday, is refused (422).",
)
async def put_days_off(
    buyer_id: str, body: DaysOffBody, service: ServiceDep, key: MessageId, caller: Caller
) -> JSONResponse:
    require_buyer(caller, buyer_id)
    command = commands.SetDaysOff(
        buyer_id=buyer_id,
        weekdays=tuple(d.strip().lower() for d in body.non_delivery_weekdays),
        dates=tuple(body.non_delivery_dates),
        message_id=message_id_for(caller, key),
        actor=caller.actor,
    )
    return await run_command(service, command, lambda uow: days_off_of(uow, buyer_id), status=200)
