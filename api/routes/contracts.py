"""Forward contracts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import ReadUow
from api.routes.common import Json
from matcher.domain.contracts import ContractState
from matcher.service import views
from matcher.service.ports import ContractFilter

router = APIRouter(tags=["contracts"])

IdFilter = Annotated[str | None, Query(max_length=200)]
WEEK = r"^\d{4}-W\d{2}$"


@router.get("/contracts", summary="List contracts, filtered")
def list_contracts(
    uow: ReadUow,
    buyer_id: IdFilter = None,
    group_id: IdFilter = None,
    crop_id: IdFilter = None,
    week: Annotated[
        str | None, Query(pattern=WEEK, description="ISO week of a delivery, e.g. 2026-W50.")
    ] = None,
    state: ContractState | None = None,
    order_id: IdFilter = None,
    round_id: IdFilter = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> list[Json]:
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
    return views.contracts(uow, where)


@router.get("/contracts/{contract_id}", summary="A contract")
def get_contract(contract_id: str, uow: ReadUow) -> Json:
    return views.contract(uow, contract_id)
