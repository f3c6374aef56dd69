"""The open book: supply announcements and forward orders."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Caller, message_id_for, require_buyer, require_group, scoped
from api.deps import MessageId, ReadUow, ServiceDep, read
from api.models.book import Order, OrderDetail, Supply, SupplyDetail
from api.pages import LIST_RESPONSES, Limit, Offset, window
from api.routes.bodies import OrderBody, ReasonBody, SupplyBody
from api.routes.common import COMMAND_RESPONSES, NOT_FOUND, Json, created_responses, run_command
from matcher.auth import Role
from matcher.domain.contracts import CANCEL_REASON_LENGTH, BookState
from matcher.domain.errors import InvalidValue
from matcher.domain.model import SupplyAnnouncement
from matcher.optimiser import schema
from matcher.service import commands, views

if TYPE_CHECKING:
    from matcher.bootstrap import Service
    from matcher.service.ports import UnitOfWork

router = APIRouter()
IdFilter = Annotated[str | None, Query(max_length=200)]


def _order(service: Service, order_id: str) -> Callable[[UnitOfWork], Json]:
    """The view of one order, the districts of its alternatives named from the reference data."""
    districts = service.context.districts
    return lambda uow: views.order(uow, order_id, districts=districts)


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
    response_model=SupplyDetail,
    responses=created_responses(SupplyDetail),
    summary="Announce supply",
)
async def announce_supply(
    body: SupplyBody, service: ServiceDep, key: MessageId, caller: Caller
) -> JSONResponse:
    supply = _supply(body)
    require_group(caller, supply.group_id)
    command = commands.AnnounceSupply(
        supply=supply, message_id=message_id_for(caller, key), actor=caller.actor
    )
    return await run_command(service, command, lambda uow: views.supply(uow, supply.id), status=201)


@router.get(
    "/supply",
    tags=["supply"],
    response_model=list[Supply],
    responses=LIST_RESPONSES,
    summary="List supply announcements",
)
def list_supply(
    request: Request,
    response: Response,
    uow: ReadUow,
    caller: Caller,
    group_id: IdFilter = None,
    crop_id: IdFilter = None,
    state: BookState | None = None,
    limit: Limit = 1000,
    offset: Offset = 0,
) -> list[Json]:
    group_id = scoped(caller, group_id, Role.GROUP)
    found = views.supplies(uow, group_id=group_id, crop_id=crop_id, state=state)
    return window(request, response, found, limit=limit, offset=offset)


@router.get(
    "/supply/{supply_id}",
    tags=["supply"],
    response_model=SupplyDetail,
    responses=NOT_FOUND,
    summary="A supply announcement, with contracted weeks",
)
def get_supply(supply_id: str, uow: ReadUow, caller: Caller) -> Json:
    found = views.supply(uow, supply_id)
    require_group(caller, str(found["group_id"]))
    return found


@router.post(
    "/supply/{supply_id}/withdraw",
    tags=["supply"],
    response_model=SupplyDetail,
    responses=COMMAND_RESPONSES,
    summary="Withdraw a supply announcement",
)
async def withdraw_supply(
    supply_id: str,
    service: ServiceDep,
    key: MessageId,
    caller: Caller,
    body: ReasonBody | None = None,
) -> JSONResponse:
    reason = body.reason if body is not None else ""
    stored = await read(service, lambda uow: views.supply(uow, supply_id))
    require_group(caller, str(stored["group_id"]))
    command = commands.WithdrawSupply(
        supply_id=supply_id,
        reason=reason,
        crop_id=str(stored["crop_id"]),
        message_id=message_id_for(caller, key),
        actor=caller.actor,
    )
    return await run_command(service, command, lambda uow: views.supply(uow, supply_id), status=200)


@router.post(
    "/orders",
    status_code=201,
    tags=["orders"],
    response_model=OrderDetail,
    responses=created_responses(OrderDetail),
    summary="Submit a forward order",
)
async def submit_order(
    body: OrderBody, service: ServiceDep, key: MessageId, caller: Caller
) -> JSONResponse:
    order = schema.order_from(body)
    require_buyer(caller, order.buyer_id)
    command = commands.SubmitOrder(
        order=order, message_id=message_id_for(caller, key), actor=caller.actor
    )
    return await run_command(service, command, _order(service, order.id), status=201)


@router.get(
    "/orders",
    tags=["orders"],
    response_model=list[Order],
    responses=LIST_RESPONSES,
    summary="List forward orders",
)
def list_orders(
    request: Request,
    response: Response,
    uow: ReadUow,
    caller: Caller,
    buyer_id: IdFilter = None,
    crop_id: IdFilter = None,
    state: BookState | None = None,
    limit: Limit = 1000,
    offset: Offset = 0,
) -> list[Json]:
    buyer_id = scoped(caller, buyer_id, Role.KITCHEN)
    found = views.orders(uow, buyer_id=buyer_id, crop_id=crop_id, state=state)
    return window(request, response, found, limit=limit, offset=offset)


@router.get(
    "/orders/{order_id}",
    tags=["orders"],
    response_model=OrderDetail,
    responses=NOT_FOUND,
    summary="An order, with contracted and open quantity per delivery",
)
def get_order(order_id: str, uow: ReadUow, caller: Caller, service: ServiceDep) -> Json:
    found = _order(service, order_id)(uow)
    require_buyer(caller, str(found["buyer_id"]))
    return found


@router.post(
    "/orders/{order_id}/cancel",
    tags=["orders"],
    response_model=OrderDetail,
    responses=COMMAND_RESPONSES,
    summary="Cancel a forward order",
)
async def cancel_order(
    order_id: str,
    service: ServiceDep,
    key: MessageId,
    caller: Caller,
    body: ReasonBody | None = None,
) -> JSONResponse:
    reason = body.reason if body is not None else ""
    stored = await read(service, _order(service, order_id))
    require_buyer(caller, str(stored["buyer_id"]))
    command = commands.CancelOrder(
        order_id=order_id,
        reason=reason,
        crop_id=str(stored["crop_id"]),
        message_id=message_id_for(caller, key),
        actor=caller.actor,
    )
    return await run_command(service, command, _order(service, order_id), status=200)


class CancelDeliveryBody(BaseModel):
    """Why the kitchen cancels one delivery of its order (required)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reason: str = Field(
        min_length=1,
        max_length=CANCEL_REASON_LENGTH,
        pattern=r"\S",
        description="Why this delivery is cancelled (the group is told).",
    )


@router.post(
    "/orders/{order_id}/deliveries/{day}/cancel",
    tags=["orders"],
    response_model=OrderDetail,
    responses=COMMAND_RESPONSES,
    summary="Cancel one future delivery of a forward order",
)
async def cancel_delivery(
    order_id: str,
    day: date,
    body: CancelDeliveryBody,
    service: ServiceDep,
    key: MessageId,
    caller: Caller,
) -> JSONResponse:
    """The kitchen (or a coordinator) cancels the delivery of ``day``, with a reason: the
    order keeps its other dates, and the contract deliveries scheduled that day are released
    (their groups are told). Only a future delivery, not delivered nor cancelled yet, of an
    open order, and not its last one (cancel the order instead)."""
    stored = await read(service, _order(service, order_id))
    require_buyer(caller, str(stored["buyer_id"]))
    command = commands.CancelDelivery(
        order_id=order_id,
        day=day,
        reason=body.reason,
        crop_id=str(stored["crop_id"]),
        message_id=message_id_for(caller, key),
        actor=caller.actor,
    )
    return await run_command(service, command, _order(service, order_id), status=200)
