"""Farmer groups, buyers (kitchens) and certificates."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.auth import (
    Caller,
    Coordinator,
    actor_of,
    may_see_buyer,
    may_see_group,
    message_id_for,
    require_coordinator,
    require_group,
    require_seen,
)
from api.deps import MessageId, ReadUow, ServiceDep, read
from api.models.participants import Buyer, Certificate, Group, GroupWithCertificates
from api.pages import LIST_RESPONSES, Limit, Offset, window
from api.routes.bodies import BuyerBody, CertificateBody, GroupBody, IsoDate
from api.routes.common import COMMAND_RESPONSES, NOT_FOUND, Json, created_responses, run_command
from matcher.domain.errors import NotFound
from matcher.optimiser import schema
from matcher.service import codec, commands, views
from matcher.service.ports import UnitOfWork

router = APIRouter()


@router.post(
    "/groups",
    status_code=201,
    tags=["groups"],
    response_model=GroupWithCertificates,
    responses=created_responses(GroupWithCertificates),
    summary="Register a farmer group",
)
async def register_group(
    body: GroupBody, service: ServiceDep, key: MessageId, caller: Coordinator
) -> JSONResponse:
    group = schema.group_from(body)
    command = commands.RegisterGroup(group=group, message_id=key, actor=caller.actor)
    return await run_command(service, command, lambda uow: views.group(uow, group.id), status=201)


@router.get(
    "/groups",
    tags=["groups"],
    response_model=list[Group],
    responses=LIST_RESPONSES,
    summary="List farmer groups",
)
def list_groups(
    request: Request,
    response: Response,
    uow: ReadUow,
    caller: Caller,
    limit: Limit = 1000,
    offset: Offset = 0,
) -> list[Json]:
    seen = [g for g in views.groups(uow) if may_see_group(uow, caller, g["id"])]
    return window(request, response, seen, limit=limit, offset=offset)


@router.get(
    "/groups/{group_id}",
    tags=["groups"],
    response_model=GroupWithCertificates,
    responses=NOT_FOUND,
    summary="A group with its certificates",
)
def get_group(group_id: str, uow: ReadUow, caller: Caller) -> Json:
    found = views.group(uow, group_id)
    require_seen(may_see_group(uow, caller, group_id), caller)
    return found


@router.get(
    "/groups/{group_id}/certificates",
    tags=["groups"],
    response_model=list[Certificate],
    responses=NOT_FOUND | LIST_RESPONSES,
    summary="The certificates of a group",
)
def group_certificates(
    group_id: str,
    request: Request,
    response: Response,
    uow: ReadUow,
    caller: Caller,
    limit: Limit = 1000,
    offset: Offset = 0,
) -> list[Json]:
    certificates: list[Json] = get_group(group_id, uow, caller)["certificates"]
    return window(request, response, certificates, limit=limit, offset=offset)


@router.post(
    "/buyers",
    status_code=201,
    tags=["buyers"],
    response_model=Buyer,
    responses=created_responses(Buyer),
    summary="Register a buyer (an institutional kitchen)",
)
async def register_buyer(
    body: BuyerBody, service: ServiceDep, key: MessageId, caller: Coordinator
) -> JSONResponse:
    buyer = schema.buyer_from(body)
    command = commands.RegisterBuyer(buyer=buyer, message_id=key, actor=caller.actor)
    districts = service.context.districts
    return await run_command(
        service, command, lambda uow: views.buyer(uow, buyer.id, districts=districts), status=201
    )


@router.get(
    "/buyers",
    tags=["buyers"],
    response_model=list[Buyer],
    responses=LIST_RESPONSES,
    summary="List buyers",
)
def list_buyers(
    request: Request,
    response: Response,
    uow: ReadUow,
    caller: Caller,
    service: ServiceDep,
    limit: Limit = 1000,
    offset: Offset = 0,
) -> list[Json]:
    found = views.buyers(uow, districts=service.context.districts)
    seen = [b for b in found if may_see_buyer(uow, caller, b["id"])]
    return window(request, response, seen, limit=limit, offset=offset)


@router.get(
    "/buyers/{buyer_id}",
    tags=["buyers"],
    response_model=Buyer,
    responses=NOT_FOUND,
    summary="A buyer",
)
def get_buyer(buyer_id: str, uow: ReadUow, caller: Caller, service: ServiceDep) -> Json:
    found = views.buyer(uow, buyer_id, districts=service.context.districts)
    require_seen(may_see_buyer(uow, caller, buyer_id), caller)
    return found


@router.post(
    "/certificates",
    status_code=201,
    tags=["certificates"],
    response_model=Certificate,
    responses=created_responses(Certificate),
    summary="Register a certificate held by a group",
)
async def register_certificate(
    body: CertificateBody, service: ServiceDep, key: MessageId, caller: Caller
) -> JSONResponse:
    certificate = schema.certificate_from(body)
    require_group(caller, certificate.group_id)
    command = commands.RegisterCertificate(
        certificate=certificate, message_id=message_id_for(caller, key), actor=caller.actor
    )

    def stored(uow: UnitOfWork) -> Any:
        for found in views.certificates(uow, certificate.group_id):
            if found["id"] == certificate.id:
                return found
        raise NotFound("certificate", certificate.id)

    return await run_command(service, command, stored, status=201)


class RevokeBody(BaseModel):
    """From which date a certificate is revoked, and why."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    revoked_on: IsoDate
    reason: str = Field("", max_length=10_000)
    actor: str | None = Field(
        None,
        max_length=200,
        description="Who revokes (coordinator:NAME); default: the caller's key.",
    )


@router.post(
    "/certificates/{certificate_id}/revoke",
    tags=["groups"],
    response_model=Certificate,
    responses=COMMAND_RESPONSES,
    summary="Revoke a certificate from a date (affected deliveries are re-matched)",
)
async def revoke_certificate(
    certificate_id: str, body: RevokeBody, service: ServiceDep, key: MessageId, caller: Caller
) -> JSONResponse:
    require_coordinator(caller)

    def stored(uow: UnitOfWork) -> Any:
        found = uow.certificates.get(certificate_id)
        if found is None:
            raise NotFound("certificate", certificate_id)
        return codec.dump_certificate(found)

    current = await read(service, stored)
    command = commands.RevokeCertificate(
        certificate_id=certificate_id,
        revoked_on=body.revoked_on,
        reason=body.reason,
        group_id=str(current["group_id"]),
        message_id=key,
        actor=actor_of(caller, body.actor),
    )
    return await run_command(service, command, stored, status=200)
