"""Dependencies: the service, a read-only unit of work, and the command's message id."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, TypeVar

from fastapi import Depends, Header, Request
from starlette.concurrency import run_in_threadpool

from matcher.bootstrap import Service
from matcher.service.commands import new_message_id
from matcher.service.ports import UnitOfWork

T = TypeVar("T")


def get_service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


ServiceDep = Annotated[Service, Depends(get_service)]


def read_uow(service: ServiceDep) -> Iterator[UnitOfWork]:
    """A unit of work for reading; it is never committed, so leaving it rolls back."""
    with service.read_uow_factory() as uow:
        yield uow


ReadUow = Annotated[UnitOfWork, Depends(read_uow)]


def message_id(
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=200,
            description="Repeat a request with the same key to have its effect only once.",
        ),
    ] = None,
) -> str:
    """The ``Idempotency-Key`` header, or a fresh id when the client sends none."""
    key = (idempotency_key or "").strip()
    return key or new_message_id()


MessageId = Annotated[str, Depends(message_id)]


async def read(service: Service, view: Callable[[UnitOfWork], T]) -> T:
    """Run ``view`` on a fresh unit of work in a worker thread (database calls block)."""

    def run() -> T:
        with service.read_uow_factory() as uow:
            return view(uow)

    return await run_in_threadpool(run)
