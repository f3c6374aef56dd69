"""What a command handler returns, and the shape of a handler."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from matcher.service import events
from matcher.service.context import ServiceContext
from matcher.service.ports import UnitOfWork


@dataclass
class Result:
    events: list[events.Event] = field(default_factory=list)
    value: Any = None
    rerun: bool = False
    """The book changed under a round: another round should follow."""


Handler = Callable[[Any, UnitOfWork, ServiceContext], Result]
