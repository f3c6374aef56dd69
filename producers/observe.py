"""What a running worker did with a run's messages, read from its outbound topics. Pure.

A run tags the ids of everything it sends (``ord-00001-b1a2b3c4``), or knows the ids it sent;
:class:`Observations` records, for the ids it is asked to follow:

* the events the worker's outbox relay published on ``<prefix>.events``
  (``order.submitted``, ``supply.announced``, ``group.registered``, ...), by type and id;
* the first ``contract.proposed`` per order on ``<prefix>.contracts``;
* the messages it refused on ``<prefix>.dead-letters``, by the event they would have caused.

Times are whatever clock the caller passes (the receiving side's monotonic clock).
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Iterable
from typing import Any

from matcher.adapters.topics import Topic

EVENT_OF: dict[str, str] = {
    "group.register": "group.registered",
    "buyer.register": "buyer.registered",
    "certificate.register": "certificate.registered",
    "supply.announce": "supply.announced",
    "order.submit": "order.submitted",
}
"""The event a handled inbound message of each type leads to."""

Key = tuple[str, str]
"""(event type, id of the thing)."""


def _json(raw: bytes | None) -> dict[str, Any] | None:
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def marked(marker: str) -> Callable[[str], bool]:
    """Follow the ids that contain ``marker`` (a run's tag)."""
    if not marker:
        raise ValueError("the marker must not be empty")
    return lambda thing: marker in thing


def among(ids: Iterable[str]) -> Callable[[str], bool]:
    """Follow exactly these ids."""
    wanted = frozenset(ids)
    return lambda thing: thing in wanted


class Observations:
    """Thread-safe record of what the worker did with the ids that ``follow`` accepts."""

    def __init__(self, follow: Callable[[str], bool]) -> None:
        self.follow = follow
        self._lock = threading.Lock()
        self._events: dict[Key, float] = {}
        self._order: dict[str, list[float]] = {}
        self._contracts: dict[str, float] = {}
        self._refused: dict[Key, str] = {}
        self.received = 0

    def record(self, topic: Topic, value: bytes | None, at: float) -> None:
        """One message from an outbound topic, received at ``at``."""
        data = _json(value)
        with self._lock:
            self.received += 1
        if data is None:
            return
        if topic is Topic.DEAD_LETTERS:
            self._record_refusal(data)
            return
        body = data.get("body")
        kind = data.get("type")
        if not isinstance(body, dict) or not isinstance(kind, str):
            return
        if topic is Topic.CONTRACTS and kind == "contract.proposed":
            order_id = str(body.get("order_id") or "")
            if order_id and self.follow(order_id):
                with self._lock:
                    self._contracts.setdefault(order_id, at)
            return
        thing = str(body.get("id") or "")
        if thing and self.follow(thing):
            with self._lock:
                if (kind, thing) not in self._events:
                    self._events[(kind, thing)] = at
                    self._order.setdefault(kind, []).append(at)

    def _record_refusal(self, data: dict[str, Any]) -> None:
        original = _json(base64.b64decode(str(data.get("original_base64") or "")))
        if original is None:
            return
        body = original.get("body")
        event = EVENT_OF.get(str(original.get("type")))
        if event is None or not isinstance(body, dict):
            return
        thing = str(body.get("id") or "")
        if thing and self.follow(thing):
            reason = f"{data.get('field') or ''}: {data.get('reason') or ''}".strip(": ")
            with self._lock:
                self._refused.setdefault((event, thing), reason)

    def handled(self, keys: Iterable[Key]) -> tuple[int, int]:
        """Of ``keys``: how many led to their event, and how many were refused."""
        with self._lock:
            done = refused = 0
            for key in keys:
                if key in self._events:
                    done += 1
                elif key in self._refused:
                    refused += 1
            return done, refused

    def count(self, *kinds: str) -> int:
        """Events of these types seen so far."""
        with self._lock:
            return sum(len(self._order.get(kind, ())) for kind in kinds)

    def times(self, *kinds: str, skip: dict[str, int] | None = None) -> list[float]:
        """Arrival times of the events of these types, skipping the first ``skip[kind]``."""
        skip = skip or {}
        with self._lock:
            out: list[float] = []
            for kind in kinds:
                out += self._order.get(kind, [])[skip.get(kind, 0) :]
            return sorted(out)

    def refused_count(self, *kinds: str) -> int:
        with self._lock:
            return sum(1 for kind, _ in self._refused if not kinds or kind in kinds)

    def refusals(self, limit: int = 5) -> list[str]:
        """A few refusals as text, for the report."""
        with self._lock:
            items = list(self._refused.items())[:limit]
        return [f"{thing}: {reason}" for (_, thing), reason in items]

    def first_contracts(self) -> dict[str, float]:
        with self._lock:
            return dict(self._contracts)
