"""Farmer groups, buyers (kitchens) and certificates."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.deps import MessageId, ReadUow, ServiceDep, read
from api.routes.bodies import BuyerBody, CertificateBody, GroupBody
from api.routes.common import ACTOR, COMMAND_RESPONSES, Json, run_command
from matcher.domain.errors import NotFound
from matcher.optimiser import schema
from matcher.service import codec, commands, views
from matcher.service.ports import UnitOfWork

router = APIRouter()


@router.post(
    "/groups",
    status_code=201,
    tags=["groups"],
    responses=COMMAND_RESPONSES,
    summary="Register a farmer group",
)
async def register_group(body: GroupBody, service: ServiceDep, key: MessageId) -> JSONResponse:
    group = schema.group_from(body)
    command = commands.RegisterGroup(group=group, message_id=key, actor=ACTOR)
    return await run_command(service, command, lambda uow: views.group(uow, group.id), status=201)


@router.get("/groups", tags=["groups"], summary="List farmer groups")
def list_groups(uow: ReadUow) -> list[Json]:
    return views.groups(uow)


@router.get("/groups/{group_id}", tags=["groups"], summary="A group with its certificates")
def get_group(group_id: str, uow: ReadUow) -> Json:
    return views.group(uow, group_id)


@router.get(
    "/groups/{group_id}/certificates", tags=["groups"], summary="The certificates of a group"
)
def group_certificates(group_id: str, uow: ReadUow) -> list[Json]:
    certificates: list[Json] = views.group(uow, group_id)["certificates"]
    return certificates


@router.post(
    "/buyers",
    status_code=201,
    tags=["buyers"],
    responses=COMMAND_RESPONSES,
    summary="Register a buyer (an institutional kitchen)",
)
async def register_buyer(body: BuyerBody, service: ServiceDep, key: MessageId) -> JSONResponse:
    buyer = schema.buyer_from(body)
    command = commands.RegisterBuyer(buyer=buyer, message_id=key, actor=ACTOR)
    return await run_command(service, command, lambda uow: views.buyer(uow, buyer.id), status=201)


@router.get("/buyers", tags=["buyers"], summary="List buyers")
def list_buyers(uow: ReadUow) -> list[Json]:
    return views.buyers(uow)


@router.get("/buyers/{buyer_id}", tags=["buyers"], summary="A buyer")
def get_buyer(buyer_id: str, uow: ReadUow) -> Json:
    return views.buyer(uow, buyer_id)


@router.post(
    "/certificates",
    status_code=201,
    tags=["certificates"],
    responses=COMMAND_RESPONSES,
    summary="Register a certificate held by a group",
)
async def register_certificate(
    body: CertificateBody, service: ServiceDep, key: MessageId
) -> JSONResponse:
    certificate = schema.certificate_from(body)
    command = commands.RegisterCertificate(certificate=certificate, message_id=key, actor=ACTOR)

    def stored(uow: UnitOfWork) -> Any:
        for found in views.certificates(uow, certificate.group_id):
            if found["id"] == certificate.id:
                return found
        raise NotFound("certificate", certificate.id)

    return await run_command(service, command, stored, status=201)


class RevokeBody(BaseModel):
    """From which date a certificate is revoked, and why."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    revoked_on: date
    reason: str = Field("", max_length=10_000)
    actor: str = Field(ACTOR, max_length=200, description="Who revokes (coordinator:NAME).")


@router.post(
    "/certificates/{certificate_id}/revoke",
    tags=["groups"],
    responses=COMMAND_RESPONSES,
    summary="Revoke a certificate from a date (affected deliveries are re-matched)",
)
async def revoke_certificate(
    certificate_id: str, body: RevokeBody, service: ServiceDep, key: MessageId
) -> JSONResponse:
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
        actor=body.actor,
    )
    return await run_command(service, command, stored, status=200)
