"""The engine protocol: what the API and the command line need from either engine."""

from __future__ import annotations

from typing import Any, Protocol

from matcher.service.commands import Command
from matcher.service.messagebus import Outcome


class Engine(Protocol):
    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def execute(self, command: Command) -> Outcome:
        """Run ``command``; returns once its effects are committed (or raises its error)."""
        ...

    def execute_sync(self, command: Command, timeout: float | None = None) -> Outcome:
        """The same, for callers without an event loop."""
        ...

    def status(self) -> dict[str, Any]: ...
