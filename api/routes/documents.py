"""Readable contract documents (HTML, Thai or English) and CSV exports per group and per buyer.

The loaders here read through a unit of work and hand domain objects to the pure renderers of
:mod:`matcher.documents`; the command line (``foodmatch contracts``) uses them too.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from api.auth import Caller, require_buyer, require_group, require_party
from api.deps import ReadUow, ServiceDep
from matcher.service.contract_documents import contract_document, contracts_export

router = APIRouter(tags=["contracts"])

LangQuery = Annotated[
    Literal["th", "en"], Query(description="Language of the document: th (Thai) or en.")
]
DeliveriesQuery = Annotated[
    bool, Query(description="One line per delivery instead of one per contract.")
]


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
        terms=service.context.contract_terms,
        districts=service.context.districts,
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
