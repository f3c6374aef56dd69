"""The open book: supply announcements and forward orders."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from api.deps import MessageId, ReadUow, ServiceDep, read
from api.routes.bodies import OrderBody, ReasonBody, SupplyBody
from api.routes.common import ACTOR, COMMAND_RESPONSES, Json, run_command
from matcher.domain.contracts import BookState
from matcher.domain.errors import InvalidValue
from matcher.domain.model import SupplyAnnouncement
from matcher.optimiser import schema
from matcher.service import commands, views

router = APIRouter()
IdFilter = Annotated[str | None, Query(max_length=200)]


def _supply(body: SupplyBody) -> SupplyAnnouncement:
    """The announcement; the domain's ``quantities`` is the body's ``weeks``."""
    try:
        return schema.supply_from(body)
    except InvalidValue as err:
        if err.field.startswith("quantities"):
            raise InvalidValue("weeks" + err.field.removeprefix("quantities"), err.reason) from None
        raise


@router.post(
    "/supply",
    status_code=201,
    tags=["supply"],
    responses=COMMAND_RESPONSES,
    summary="Announce supply",
)
async def announce_supply(body: SupplyBody, service: ServiceDep, key: MessageId) -> JSONResponse:
    supply = _supply(body)
    command = commands.AnnounceSupply(supply=supply, message_id=key, actor=ACTOR)
    return await run_command(service, command, lambda uow: views.supply(uow, supply.id), status=201)


@router.get("/supply", tags=["supply"], summary="List supply announcements")
def list_supply(
    uow: ReadUow,
    group_id: IdFilter = None,
    crop_id: IdFilter = None,
    state: BookState | None = None,
) -> list[Json]:
    return views.supplies(uow, group_id=group_id, crop_id=crop_id, state=state)


@router.get(
    "/supply/{supply_id}", tags=["supply"], summary="A supply announcement, with contracted weeks"
)
def get_supply(supply_id: str, uow: ReadUow) -> Json:
    return views.supply(uow, supply_id)


@router.post(
    "/supply/{supply_id}/withdraw",
    tags=["supply"],
    responses=COMMAND_RESPONSES,
    summary="Withdraw a supply announcement",
)
async def withdraw_supply(
    supply_id: str, service: ServiceDep, key: MessageId, body: ReasonBody | None = None
) -> JSONResponse:
    reason = body.reason if body is not None else ""
    stored = await read(service, lambda uow: views.supply(uow, supply_id))
    command = commands.WithdrawSupply(
        supply_id=supply_id,
        reason=reason,
        crop_id=str(stored["crop_id"]),
        message_id=key,
        actor=ACTOR,
    )
    return await run_command(service, command, lambda uow: views.supply(uow, supply_id), status=200)


@router.post(
    "/orders",
    status_code=201,
    tags=["orders"],
    responses=COMMAND_RESPONSES,
    summary="Submit a forward order",
)
async def submit_order(body: OrderBody, service: ServiceDep, key: MessageId) -> JSONResponse:
    order = schema.order_from(body)
    command = commands.SubmitOrder(order=order, message_id=key, actor=ACTOR)
    return await run_command(service, command, lambda uow: views.order(uow, order.id), status=201)


@router.get("/orders", tags=["orders"], summary="List forward orders")
def list_orders(
    uow: ReadUow,
    buyer_id: IdFilter = None,
    crop_id: IdFilter = None,
    state: BookState | None = None,
) -> list[Json]:
    return views.orders(uow, buyer_id=buyer_id, crop_id=crop_id, state=state)


@router.get(
    "/orders/{order_id}",
    tags=["orders"],
    summary="An order, with contracted and open quantity per delivery",
)
def get_order(order_id: str, uow: ReadUow) -> Json:
    return views.order(uow, order_id)


@router.post(
    "/orders/{order_id}/cancel",
    tags=["orders"],
    responses=COMMAND_RESPONSES,
    summary="Cancel a forward order",
)
async def cancel_order(
    order_id: str, service: ServiceDep, key: MessageId, body: ReasonBody | None = None
) -> JSONResponse:
    reason = body.reason if body is not None else ""
    stored = await read(service, lambda uow: views.order(uow, order_id))
    command = commands.CancelOrder(
        order_id=order_id,
        reason=reason,
        crop_id=str(stored["crop_id"]),
        message_id=key,
        actor=ACTOR,
    )
    return await run_command(service, command, lambda uow: views.order(uow, order_id), status=200)
