"""The messages a ``bench stream`` run sends: the Songkhla scenario's participants, and its orders
and supply repeated with fresh ids, in their wire form (keyed as the producers key them)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from itertools import islice
from typing import Any

from matcher.adapters.messages import (
    PARTICIPANT_KINDS,
    WIRE_TYPES,
    Message,
    message_id_for,
    scenario_messages,
)
from matcher.adapters.wire import WireMessage, encode_body

ACTOR = "bench-stream"


def wire(message: Message) -> WireMessage:
    """``message`` on its topic, keyed as the wire format says (orders and supply by crop)."""
    return encode_body(WIRE_TYPES[message.kind], message.body, message.message_id, ACTOR)


@dataclass(frozen=True, slots=True)
class Book:
    """The scenario split into participants, supply and orders (one pass of the book)."""

    participants: tuple[Message, ...]
    supply: tuple[Message, ...]
    orders: tuple[Message, ...]
    instance: dict[str, Any]
    namespace: str

    @classmethod
    def songkhla(cls, seed: int = 1, today: date | None = None, tag: str = "") -> Book:
        """The Songkhla scenario of 12 weeks from the next season start (valid orders)."""
        from matcher.scenario import season_start, songkhla_instance

        start = season_start(today or date.today())
        instance = songkhla_instance(weeks=12, seed=seed, start=start)
        namespace = f"bench-stream-{tag}" if tag else "bench-stream"
        people: list[Message] = []
        supply: list[Message] = []
        orders: list[Message] = []
        for message in scenario_messages(instance, namespace, seed, disruptions=False):
            if message.kind in PARTICIPANT_KINDS:
                people.append(message)
            elif message.kind == "supply":
                supply.append(message)
            elif message.kind == "orders":
                orders.append(message)
        return cls(tuple(people), tuple(supply), tuple(orders), instance, namespace)

    def fillable(self) -> Book:
        """The book with only the orders the offline optimiser fills (given all the supply)."""
        from matcher.optimiser.schema import parse_instance
        from matcher.optimiser.solve import solve

        solution = solve(parse_instance(self.instance))
        filled = {a.order_id for a in solution.allocations}
        orders = tuple(m for m in self.orders if m.body["id"] in filled)
        if not orders:
            raise ValueError("the scenario has no order that its supply can fill")
        return Book(self.participants, self.supply, orders, self.instance, self.namespace)

    def renamed(self, message: Message, suffix: str) -> Message:
        body = dict(message.body)
        body["id"] = f"{body['id']}{suffix}"
        return Message(message.kind, body, message_id_for(message.kind, body, self.namespace))

    def order_stream(self, label: str) -> Iterator[Message]:
        """The book's orders over and over, each with a fresh id (``-<label><n>``)."""
        number = 0
        while True:
            number += 1
            for message in self.orders:
                yield self.renamed(message, f"-{label}{number}")

    def orders_n(self, count: int, label: str = "d") -> list[Message]:
        return list(islice(self.order_stream(label), count))

    def supply_passes(self, passes: int) -> list[Message]:
        """``passes`` copies of the supply, each with fresh ids (``-s<n>``)."""
        return [
            self.renamed(message, f"-s{number}")
            for number in range(1, passes + 1)
            for message in self.supply
        ]
