"""Readable contract documents (HTML, Thai or English) and CSV exports per group and per buyer.

The loaders here read through a unit of work and hand domain objects to the pure renderers of
:mod:`matcher.documents`; the command line (``foodmatch contracts``) uses them too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from api.auth import Caller, require_buyer, require_group, require_party
from api.deps import ReadUow, ServiceDep
from matcher import documents
from matcher.domain.contracts import Contract
from matcher.domain.errors import NotFound
from matcher.domain.model import Crop
from matcher.domain.standards import StandardsRelation
from matcher.service.ports import ContractFilter, UnitOfWork

router = APIRouter(tags=["contracts"])

PAGE = 1000
"""Contracts read per page when collecting a participant's contracts."""

LangQuery = Annotated[
    Literal["th", "en"], Query(description="Language of the document: th (Thai) or en.")
]
DeliveriesQuery = Annotated[
    bool, Query(description="One line per delivery instead of one per contract.")
]


def contract_document(
    uow: UnitOfWork,
    contract_id: str,
    *,
    crops: Mapping[str, Crop],
    lang: documents.Lang = "th",
    standards: StandardsRelation | None = None,
    alternate_href: str | None = None,
) -> str:
    """The HTML document of one contract; :class:`NotFound` for an unknown id."""
    contract = uow.contracts.get(contract_id)
    if contract is None:
        raise NotFound("contract", contract_id)
    return documents.contract_html(
        contract,
        group=uow.groups.get(contract.group_id),
        buyer=uow.buyers.get(contract.buyer_id),
        crop=crops.get(contract.crop_id),
        certificates=uow.certificates.list(contract.group_id),
        lang=lang,
        standards=standards,
        alternate_href=alternate_href,
    )


def participant_contracts(
    uow: UnitOfWork, *, group_id: str | None = None, buyer_id: str | None = None
) -> list[Contract]:
    """Every contract of a group or a buyer, read page by page; :class:`NotFound` for an
    unknown participant."""
    if group_id is not None and uow.groups.get(group_id) is None:
        raise NotFound("group", group_id)
    if buyer_id is not None and uow.buyers.get(buyer_id) is None:
        raise NotFound("buyer", buyer_id)
    found: list[Contract] = []
    while True:
        where = ContractFilter(group_id=group_id, buyer_id=buyer_id, limit=PAGE, offset=len(found))
        page = list(uow.contracts.list(where))
        found.extend(page)
        if len(page) < PAGE:
            return found


def contracts_export(
    uow: UnitOfWork,
    *,
    crops: Mapping[str, Crop],
    group_id: str | None = None,
    buyer_id: str | None = None,
    deliveries: bool = False,
) -> tuple[str, str]:
    """(file name, CSV text) of a group's or a buyer's contracts (or their deliveries)."""
    if (group_id is None) == (buyer_id is None):
        raise ValueError("give exactly one of group_id and buyer_id")
    contracts = participant_contracts(uow, group_id=group_id, buyer_id=buyer_id)
    groups = {g.id: g for g in uow.groups.list()}
    buyers = {b.id: b for b in uow.buyers.list()}
    render = documents.deliveries_csv if deliveries else documents.contracts_csv
    text = render(contracts, groups=groups, buyers=buyers, crops=crops)
    kind, key = ("group", group_id) if group_id is not None else ("buyer", buyer_id or "")
    return documents.export_filename(kind, key, deliveries=deliveries), text


def _csv_response(name: str, text: str) -> Response:
    return Response(
        content=text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/contracts/{contract_id}/document",
    response_class=HTMLResponse,
    summary="A contract as a printable document (HTML, Thai or English)",
    responses={404: {"description": "No such contract."}},
)
def get_contract_document(
    contract_id: str, uow: ReadUow, service: ServiceDep, caller: Caller, lang: LangQuery = "th"
) -> HTMLResponse:
    contract = uow.contracts.get(contract_id)
    if contract is not None:
        require_party(caller, contract.buyer_id, contract.group_id)
    other = "en" if lang == "th" else "th"
    page = contract_document(
        uow,
        contract_id,
        crops=service.context.crops,
        lang=lang,
        standards=service.context.standards,
        alternate_href=f"?lang={other}",
    )
    return HTMLResponse(page)


@router.get(
    "/groups/{group_id}/contracts.csv",
    tags=["groups"],
    response_class=Response,
    summary="A group's contracts (or deliveries) as CSV",
    responses={200: {"content": {"text/csv": {}}}, 404: {"description": "No such group."}},
)
def group_contracts_csv(
    group_id: str,
    uow: ReadUow,
    service: ServiceDep,
    caller: Caller,
    deliveries: DeliveriesQuery = False,
) -> Response:
    require_group(caller, group_id)
    name, text = contracts_export(
        uow, crops=service.context.crops, group_id=group_id, deliveries=deliveries
    )
    return _csv_response(name, text)


@router.get(
    "/buyers/{buyer_id}/contracts.csv",
    tags=["buyers"],
    response_class=Response,
    summary="A buyer's contracts (or deliveries) as CSV",
    responses={200: {"content": {"text/csv": {}}}, 404: {"description": "No such buyer."}},
)
def buyer_contracts_csv(
    buyer_id: str,
    uow: ReadUow,
    service: ServiceDep,
    caller: Caller,
    deliveries: DeliveriesQuery = False,
) -> Response:
    require_buyer(caller, buyer_id)
    name, text = contracts_export(
        uow, crops=service.context.crops, buyer_id=buyer_id, deliveries=deliveries
    )
    return _csv_response(name, text)
