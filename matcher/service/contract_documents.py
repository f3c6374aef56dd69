"""A contract as a printable document and a participant's contracts as CSV, read from a unit of
work: what the API's document routes and ``foodmatch contracts document|export`` serve."""

from __future__ import annotations

from collections.abc import Mapping

from matcher import documents
from matcher.domain.contracts import Contract
from matcher.domain.errors import NotFound
from matcher.domain.model import Crop
from matcher.domain.standards import StandardsRelation
from matcher.reference import District
from matcher.service.ports import ContractFilter, UnitOfWork

__all__ = ["PAGE", "contract_document", "contracts_export", "participant_contracts"]

PAGE = 1000
"""Contracts read per page when collecting a participant's contracts."""


def contract_document(
    uow: UnitOfWork,
    contract_id: str,
    *,
    crops: Mapping[str, Crop],
    lang: documents.Lang = "th",
    standards: StandardsRelation | None = None,
    alternate_href: str | None = None,
    terms: documents.ContractTerms | None = None,
    districts: Mapping[str, District] | None = None,
) -> str:
    """The HTML document of one contract (with its order's purchase-order number and transport
    term, its supply's อย. number, and ``terms``' clauses); :class:`NotFound` for an unknown
    id."""
    contract = uow.contracts.get(contract_id)
    if contract is None:
        raise NotFound("contract", contract_id)
    order = uow.orders.get(contract.order_id)
    supply = uow.supply.get(contract.supply_id)
    return documents.contract_html(
        contract,
        group=uow.groups.get(contract.group_id),
        buyer=uow.buyers.get(contract.buyer_id),
        crop=crops.get(contract.crop_id),
        certificates=uow.certificates.list(contract.group_id),
        lang=lang,
        standards=standards,
        alternate_href=alternate_href,
        order=order.order if order is not None else None,
        supply=supply.supply if supply is not None else None,
        terms=terms,
        crops=crops,
        districts={c: (d.name_th, d.name_en) for c, d in (districts or {}).items()},
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
