"""Forward contracts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Caller, actor_of, message_id_for, require_party, require_role
from api.deps import MessageId, ReadUow, ServiceDep, read
from api.models.contracts import Contract, HistoryEntry
from api.pages import LIST_RESPONSES, Limit, Offset, paged, window
from api.routes.bodies import IsoDate, Text
from api.routes.common import COMMAND_RESPONSES, NOT_FOUND, Json, run_command
from matcher.auth import Principal, Role
from matcher.domain.contracts import REFUSAL_NOTE_LENGTH, ContractState, RefusalReason
from matcher.domain.errors import InvalidValue
from matcher.service import commands, views
from matcher.service.ports import ContractFilter, UnitOfWork

router = APIRouter(tags=["contracts"])

IdFilter = Annotated[str | None, Query(max_length=200)]
WEEK = r"^\d{4}-W\d{2}$"


@router.get(
    "/contracts",
    response_model=list[Contract],
    responses=LIST_RESPONSES,
    summary="List contracts, filtered",
)
def list_contracts(
    request: Request,
    response: Response,
    uow: ReadUow,
    caller: Caller,
    buyer_id: IdFilter = None,
    group_id: IdFilter = None,
    crop_id: IdFilter = None,
    week: Annotated[
        str | None, Query(pattern=WEEK, description="ISO week of a delivery, e.g. 2026-W50.")
    ] = None,
    state: ContractState | None = None,
    order_id: IdFilter = None,
    round_id: IdFilter = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[Json]:
    buyer_id, group_id = own_contracts(caller, buyer_id, group_id)
    where = ContractFilter(
        buyer_id=buyer_id,
        group_id=group_id,
        crop_id=crop_id,
        week=week,
        state=state,
        order_id=order_id,
        round_id=round_id,
        limit=limit,
        offset=offset,
    )
    total = uow.contracts.count(where)
    page = views.contracts(uow, where)
    return paged(request, response, page, total=total, limit=limit, offset=offset)


@router.get(
    "/contracts/{contract_id}", response_model=Contract, responses=NOT_FOUND, summary="A contract"
)
def get_contract(contract_id: str, uow: ReadUow, caller: Caller) -> Json:
    found = views.contract(uow, contract_id)
    require_party(caller, str(found["buyer_id"]), str(found["group_id"]))
    return found


def own_contracts(
    caller: Principal, buyer_id: str | None, group_id: str | None
) -> tuple[str | None, str | None]:
    """The (buyer, group) filter a caller may use: a kitchen's contracts are its own, a group's
    its own; naming another participant of the same role is refused."""
    if caller.coordinator:
        return buyer_id, group_id
    mine = caller.participant_id
    if caller.role is Role.KITCHEN:
        require_party(caller, buyer_id or str(mine), "")
        return mine, group_id
    require_party(caller, "", group_id or str(mine))
    return buyer_id, mine


Actor = Annotated[
    str | None,
    Field(
        min_length=1,
        max_length=200,
        description="Who acts: group:ID, buyer:ID or coordinator:NAME. Default: the holder of "
        "the API key; a participant can only act as itself, a coordinator may name the party "
        "it acts for.",
        examples=["group:grp-001"],
    ),
]
Count = Annotated[int, Field(ge=0, le=1_000_000_000)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ActorBody(_Body):
    """Who acts on the contract, and why."""

    actor: Actor = None
    reason: Text = ""


class ConfirmBody(_Body):
    """What the kitchen received of one delivery, and what it refused for quality."""

    actor: Actor = None
    received: Count
    refused: Count = 0
    refusal_reason: RefusalReason | None = Field(
        None,
        description="Why a quantity was refused: required when `refused` > 0, refused when it "
        "is 0 (not_fresh, residue_test_failed, wrong_size, late, other).",
    )
    refusal_note: str | None = Field(
        None,
        max_length=REFUSAL_NOTE_LENGTH,
        description="The kitchen's own words on the refusal, only with the reason `other`.",
    )


class AmendLine(_Body):
    date: IsoDate
    new_date: IsoDate | None = Field(None, description="Same ISO week; omit to keep the date.")
    quantity: Count


class AmendBody(_Body):
    """A change both parties agreed: ``actor`` proposes it, ``agreed_by`` is the other party."""

    actor: Actor = None
    agreed_by: Actor = None
    deliveries: list[AmendLine] = Field(min_length=1, max_length=500)
    reason: Text = ""


async def _act(
    service: ServiceDep,
    kind: type[commands.ContractCommand],
    contract_id: str,
    key: str,
    caller: Principal,
    actor: str | None,
    **fields: Any,
) -> JSONResponse:
    """Run a transition of a stored contract (its market is the Kafka partition key) and
    answer with the contract as stored afterwards. Only its parties (and coordinators) may;
    whether this party may make this change is the lifecycle's rule (409 otherwise)."""

    def view(uow: UnitOfWork) -> Json:
        return views.contract(uow, contract_id)

    stored = await read(service, view)
    require_party(caller, str(stored["buyer_id"]), str(stored["group_id"]))
    command = kind(
        contract_id=contract_id,
        crop_id=str(stored["crop_id"]),
        actor=actor_of(caller, actor),
        message_id=message_id_for(caller, key),
        **fields,
    )
    return await run_command(service, command, view, status=200)


@router.post(
    "/contracts/{contract_id}/accept",
    response_model=Contract,
    responses=COMMAND_RESPONSES,
    summary="The group accepts a proposed contract",
)
async def accept_contract(
    contract_id: str, body: ActorBody, service: ServiceDep, key: MessageId, caller: Caller
) -> JSONResponse:
    require_role(caller, Role.GROUP)
    return await _act(service, commands.AcceptContract, contract_id, key, caller, body.actor)


@router.post(
    "/contracts/{contract_id}/reject",
    response_model=Contract,
    responses=COMMAND_RESPONSES,
    summary="The group rejects a proposed contract (its quantity is re-matched)",
)
async def reject_contract(
    contract_id: str, body: ActorBody, service: ServiceDep, key: MessageId, caller: Caller
) -> JSONResponse:
    require_role(caller, Role.GROUP)
    return await _act(
        service, commands.RejectContract, contract_id, key, caller, body.actor, reason=body.reason
    )


@router.post(
    "/contracts/{contract_id}/cancel",
    response_model=Contract,
    responses=COMMAND_RESPONSES,
    summary="Either party cancels a contract, with a reason (scheduled deliveries re-matched)",
)
async def cancel_contract(
    contract_id: str, body: ActorBody, service: ServiceDep, key: MessageId, caller: Caller
) -> JSONResponse:
    return await _act(
        service, commands.CancelContract, contract_id, key, caller, body.actor, reason=body.reason
    )


@router.post(
    "/contracts/{contract_id}/deliveries/{day}/confirm",
    response_model=Contract,
    responses=COMMAND_RESPONSES,
    summary="The kitchen confirms a delivery: received and refused quantities, and why",
)
async def confirm_delivery(
    contract_id: str,
    day: IsoDate,
    body: ConfirmBody,
    service: ServiceDep,
    key: MessageId,
    caller: Caller,
) -> JSONResponse:
    require_role(caller, Role.KITCHEN)
    return await _act(
        service,
        commands.ConfirmDelivery,
        contract_id,
        key,
        caller,
        body.actor,
        day=day,
        received=body.received,
        refused=body.refused,
        refusal_reason=body.refusal_reason.value if body.refusal_reason else None,
        refusal_note=body.refusal_note,
    )


@router.post(
    "/contracts/{contract_id}/amend",
    response_model=Contract,
    responses=COMMAND_RESPONSES,
    summary="Change deliveries' quantities or dates (same week) by agreement of both parties",
)
async def amend_contract(
    contract_id: str, body: AmendBody, service: ServiceDep, key: MessageId, caller: Caller
) -> JSONResponse:
    if body.agreed_by is None:
        raise InvalidValue("agreed_by", "name the other party that agreed, e.g. buyer:ID")
    changes = tuple(
        (line.date, line.new_date or line.date, line.quantity) for line in body.deliveries
    )
    return await _act(
        service,
        commands.AmendContract,
        contract_id,
        key,
        caller,
        body.actor,
        agreed_by=body.agreed_by,
        changes=changes,
        reason=body.reason,
    )


@router.get(
    "/contracts/{contract_id}/history",
    response_model=list[HistoryEntry],
    responses=NOT_FOUND | LIST_RESPONSES,
    summary="A contract's audit trail",
)
def contract_history(
    contract_id: str,
    request: Request,
    response: Response,
    uow: ReadUow,
    caller: Caller,
    limit: Limit = 1000,
    offset: Offset = 0,
) -> list[Json]:
    history: list[Json] = list(get_contract(contract_id, uow, caller)["history"])
    return window(request, response, history, limit=limit, offset=offset)
