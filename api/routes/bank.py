"""The bank's view (ธ.ก.ส.): a group's consent, and the forward revenue of the groups that gave it.

A group grants or revokes its consent itself (its key or session), or a coordinator does it on
its behalf (the coordinator is recorded). A bank key reads the groups that consented to it and
their revenue by month, as JSON or CSV; without an active consent: 403. The revenue is worked
out in :mod:`matcher.service.bank`; these routes only read and check.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal, cast

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Caller, Forbidden, require_group
from api.deps import ServiceDep
from api.models import bank as models
from api.pages import LIST_RESPONSES, Limit, Offset, window
from api.routes.common import NOT_FOUND, ErrorMessage, Responses
from matcher.auth import Principal, Role
from matcher.bootstrap import Service
from matcher.domain.errors import NotFound
from matcher.domain.model import Buyer, FarmerGroup
from matcher.reference import District
from matcher.service import bank
from matcher.service.contract_documents import participant_contracts

router = APIRouter(tags=["bank"])

Json = dict[str, Any]
MONTH = r"^\d{4}-\d{2}$"
FromMonth = Annotated[
    str | None,
    Query(
        alias="from", pattern=MONTH, description="The first month, YYYY-MM.", examples=["2027-01"]
    ),
]
ToMonth = Annotated[
    str | None,
    Query(alias="to", pattern=MONTH, description="The last month, YYYY-MM.", examples=["2027-06"]),
]
NO_CONSENT = (
    "this group has not consented to the bank reading its revenue, or has revoked its consent"
)
FORBIDDEN: Responses = {
    403: {
        "model": ErrorMessage,
        "description": "Not a bank key (nor a coordinator), or the group has not consented.",
    }
}


class ConsentBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bank: str = Field(
        bank.ALL_BANKS,
        min_length=1,
        max_length=bank.BANK_NAME_LENGTH,
        description="`baac` (every bank key, the default) or one bank key's name.",
        examples=["baac", "ธ.ก.ส. สาขาหาดใหญ่"],
    )


@contextmanager
def _uow(service: Service, *, write: bool = False) -> Iterator[bank.BankUnitOfWork]:
    """A unit of work with the consent store (services on a database have one)."""
    factory = service.uow_factory if write else service.read_uow_factory
    with factory() as uow:
        if not hasattr(uow, "bank_consents"):
            raise NotFound("bank consent store", "this service")
        yield cast(bank.BankUnitOfWork, uow)


def _factory(service: Service) -> bank.BankUowFactory:
    return cast(bank.BankUowFactory, service.uow_factory)


def _consent(c: bank.BankConsent) -> Json:
    return {
        "id": c.id or 0,
        "group_id": c.group_id,
        "bank": c.bank,
        "granted_at": c.granted_at.isoformat(),
        "granted_by": c.granted_by,
        "revoked_at": c.revoked_at.isoformat() if c.revoked_at else None,
        "revoked_by": c.revoked_by,
        "active": c.active,
    }


def _district_names(found: District | None) -> Json:
    return {
        "district_name_th": found.name_th if found else None,
        "district_name_en": found.name_en if found else None,
    }


def _require_reader(caller: Principal) -> None:
    if not (caller.coordinator or caller.role is Role.BANK):
        raise Forbidden(
            f"this is for bank keys and coordinators; the key is a {caller.role.value} key"
        )


# --- consents ----------------------------------------------------------------------------------


@router.put(
    "/groups/{group_id}/bank-consent",
    tags=["groups"],
    response_model=models.BankConsent,
    responses=NOT_FOUND,
    summary="The group consents that the bank reads its forward revenue (group or coordinator)",
)
def grant_consent(
    group_id: str, service: ServiceDep, caller: Caller, body: ConsentBody | None = None
) -> Json:
    """Record the consent (the caller is recorded as who granted it). Granting again what is
    in force answers the consent in force."""
    require_group(caller, group_id)
    name = bank.bank_of((body or ConsentBody()).bank)
    at = service.context.clock.now()
    return _consent(bank.grant(_factory(service), group_id, name, actor=caller.actor, at=at))


@router.delete(
    "/groups/{group_id}/bank-consent",
    tags=["groups"],
    response_model=models.BankConsent,
    responses={
        **NOT_FOUND,
        409: {"model": ErrorMessage, "description": "No consent to this bank is in force."},
    },
    summary="The group revokes its consent (group or coordinator)",
)
def revoke_consent(
    group_id: str,
    service: ServiceDep,
    caller: Caller,
    bank_name: Annotated[
        str, Query(alias="bank", min_length=1, max_length=bank.BANK_NAME_LENGTH)
    ] = bank.ALL_BANKS,
) -> Json:
    """From now on the bank's requests for the group's revenue answer 403; the consent stays
    listed, revoked, with who revoked it."""
    require_group(caller, group_id)
    at = service.context.clock.now()
    revoked = bank.revoke(
        _factory(service), group_id, bank.bank_of(bank_name), actor=caller.actor, at=at
    )
    return _consent(revoked)


@router.get(
    "/bank-consents",
    response_model=list[models.BankConsent],
    responses=LIST_RESPONSES,
    summary="Consents given and revoked, oldest first (the audit trail)",
)
def list_consents(
    request: Request,
    response: Response,
    service: ServiceDep,
    caller: Caller,
    group_id: Annotated[str | None, Query(max_length=200)] = None,
    active: Annotated[bool, Query(description="Only the consents in force.")] = False,
    limit: Limit = 1000,
    offset: Offset = 0,
) -> list[Json]:
    """A coordinator sees every consent; a group its own; a bank those naming it (or every
    bank); a kitchen none (403)."""
    if caller.role is Role.KITCHEN:
        raise Forbidden("a kitchen key has no access to these")
    if caller.role is Role.GROUP and group_id not in (None, caller.participant_id):
        raise Forbidden(f"the key of group {caller.participant_id} may not see these")
    with _uow(service) as uow:
        found = uow.bank_consents.list(group_id=group_id, active=active)
    rows = [_consent(c) for c in found if bank.concerns(c, caller)]
    return window(request, response, rows, limit=limit, offset=offset)


# --- the bank's reading ----------------------------------------------------------------------


@router.get(
    "/bank/groups",
    response_model=list[models.BankGroup],
    responses={**LIST_RESPONSES, **FORBIDDEN},
    summary="The groups that let the calling bank read their revenue (bank or coordinator)",
)
def consented_groups(
    request: Request,
    response: Response,
    service: ServiceDep,
    caller: Caller,
    limit: Limit = 1000,
    offset: Offset = 0,
) -> list[Json]:
    """A coordinator sees every group with a consent in force."""
    _require_reader(caller)
    with _uow(service) as uow:
        consents = [c for c in uow.bank_consents.list(active=True) if bank.concerns(c, caller)]
        groups = {g.id: g for g in uow.groups.list()}
    first: dict[str, str] = {}
    for c in consents:
        first.setdefault(c.group_id, c.granted_at.isoformat())
    districts = service.context.districts
    rows = [
        {
            "id": g.id,
            "name_th": g.name_th,
            "name_en": g.name_en,
            "kind": g.kind.value,
            "district": g.district,
            **_district_names(districts.get(g.district)),
            "members": g.members,
            "consented_at": first[g.id],
        }
        for g in (groups[i] for i in sorted(first) if i in groups)
    ]
    return window(request, response, rows, limit=limit, offset=offset)


def _revenue(
    service: Service, caller: Principal, group_id: str, first: str | None, last: str | None
) -> tuple[bank.Revenue, FarmerGroup, dict[str, Buyer]]:
    """The group's revenue and the objects it names, once the caller may read it."""
    _require_reader(caller)
    with _uow(service) as uow:
        consents = uow.bank_consents.list(group_id=group_id, active=True)
        if not bank.may_read(consents, group_id, caller):
            raise Forbidden(NO_CONSENT)
        group = uow.groups.get(group_id)
        if group is None:
            raise NotFound("group", group_id)
        contracts = participant_contracts(uow, group_id=group_id)
        buyers = {b.id: b for b in uow.buyers.list()}
    months = None
    if first is not None or last is not None:
        today = bank.month_of(service.context.clock.now().date())
        months = bank.months_between(first or today, last or first or today)
    revenue = bank.revenue_by_month(group_id, contracts, months)
    return revenue, group, buyers


@router.get(
    "/bank/groups/{group_id}/revenue",
    response_model=models.Revenue,
    responses={**NOT_FOUND, **FORBIDDEN},
    summary="A consented group's forward revenue by month, and the buyers behind it",
)
def group_revenue(
    group_id: str,
    service: ServiceDep,
    caller: Caller,
    first: FromMonth = None,
    last: ToMonth = None,
) -> Json:
    """By month of delivery: `contracted` (deliveries due under accepted, in-delivery and
    completed contracts), `delivered` (received) and `refused`, in THB at the contract price.
    Without `from`/`to`: the first to the last month with a delivery; at most 36 months."""
    revenue, group, buyers = _revenue(service, caller, group_id, first, last)
    view = bank.revenue_view(revenue, group, buyers)
    return view | _district_names(service.context.districts.get(group.district))


@router.get(
    "/bank/groups/{group_id}/revenue.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}, **NOT_FOUND, **FORBIDDEN},
    summary="The same revenue as CSV: a line per month, a line per buyer and month",
)
def group_revenue_csv(
    group_id: str,
    service: ServiceDep,
    caller: Caller,
    first: FromMonth = None,
    last: ToMonth = None,
    lang: Annotated[
        Literal["th", "en"], Query(description="th: Thai column headers; en: the field names.")
    ] = "en",
) -> Response:
    revenue, _, buyers = _revenue(service, caller, group_id, first, last)
    text = bank.revenue_csv(revenue, buyers, lang=lang)
    return Response(
        content=text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{bank.csv_filename(group_id)}"'},
    )
