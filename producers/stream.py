"""Synthetic Songkhla streams for ``simulate`` and ``bench stream``: fresh ids and pacing.

A :class:`Scenario` splits the scenario's messages into participants (buyers, groups,
certificates) and the book (supply and orders). :func:`book_cycles` repeats the book without
end; every repetition after the first gets fresh ids (``-r2``, ``-r3``, ...) and fresh message
ids, so that the consumer sees new supply and new orders instead of repeats. A *tag* renames
everything of one run (participants too), so that runs do not collide with each other.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from matcher.adapters.messages import (
    PARTICIPANT_KINDS,
    WIRE_TYPES,
    Message,
    message_id_for,
    scenario_messages,
)
from matcher.adapters.wire import WireMessage, encode_body
from producers.observe import EVENT_OF, Key

BOOK_KINDS = ("supply", "orders")
REFERENCES = ("group_id", "buyer_id")
"""Body fields that name a participant (renamed together with the participants)."""


class Sink(Protocol):
    """Where wire messages go (:class:`matcher.adapters.kafka.publisher.KafkaPublisher` is one)."""

    def send_many(self, messages: Iterable[WireMessage]) -> int: ...


def to_wire(message: Message, actor: str) -> WireMessage:
    """The envelope of ``message`` on its topic, keyed as the wire format says."""
    return encode_body(WIRE_TYPES[message.kind], message.body, message.message_id, actor)


def key_of(message: Message) -> Key:
    """The event that handling ``message`` leads to: (event type, id)."""
    return EVENT_OF[WIRE_TYPES[message.kind]], str(message.body["id"])


def renamed(message: Message, *, id_suffix: str, party_suffix: str, namespace: str) -> Message:
    """``message`` with ``id_suffix`` on its id and ``party_suffix`` on the participants it names.

    A new body gets a new message id (from the content, in ``namespace``); an unchanged one
    keeps its message id.
    """
    if not id_suffix and not party_suffix:
        return message
    body: dict[str, Any] = dict(message.body)
    body["id"] = f"{body['id']}{id_suffix}"
    for ref in REFERENCES:
        if party_suffix and isinstance(body.get(ref), str):
            body[ref] = f"{body[ref]}{party_suffix}"
    return Message(message.kind, body, message_id_for(message.kind, body, namespace))


def cycle_suffix(cycle: int, tag: str = "") -> str:
    """The id suffix of the ``cycle``-th pass over the book (1: the first)."""
    if cycle < 1:
        raise ValueError(f"cycle {cycle} must be at least 1")
    head = f"-{tag}" if tag else ""
    return head + (f"-r{cycle}" if cycle > 1 else "")


@dataclass(frozen=True, slots=True)
class Scenario:
    participants: tuple[Message, ...]
    book: tuple[Message, ...]
    namespace: str
    tag: str = ""

    @classmethod
    def of(cls, instance: dict[str, Any], namespace: str, seed: int, tag: str = "") -> Scenario:
        """The scenario ``instance`` as messages; a non-empty ``tag`` renames the whole run."""
        if tag:
            namespace = f"{namespace}-{tag}"
        party = f"-{tag}" if tag else ""
        people: list[Message] = []
        book: list[Message] = []
        # The load alone: the benchmarks cycle it; a disruption (a flood week) is a demo story.
        for message in scenario_messages(instance, namespace, seed, disruptions=False):
            target = people if message.kind in PARTICIPANT_KINDS else book
            target.append(message)
        participants = tuple(
            renamed(m, id_suffix=party, party_suffix=party, namespace=namespace) for m in people
        )
        return cls(participants, tuple(book), namespace, tag)

    def cycle(self, number: int) -> Iterator[Message]:
        """The book's ``number``-th pass (1: the first), with the ids of that pass."""
        party = f"-{self.tag}" if self.tag else ""
        suffix = cycle_suffix(number, self.tag)
        for message in self.book:
            yield renamed(message, id_suffix=suffix, party_suffix=party, namespace=self.namespace)

    def cycles(self, first: int = 1) -> Iterator[tuple[int, Message]]:
        """Pass after pass over the book, without end: (pass number, message)."""
        if not self.book:
            return
        number = first
        while True:
            for message in self.cycle(number):
                yield number, message
            number += 1


def due(elapsed: float, rate: float, sent: int) -> int:
    """How many messages are due after ``elapsed`` seconds at ``rate`` per second, ``sent`` sent.

    The ``i``-th message (from 0) is due at ``i / rate`` seconds.
    """
    if rate <= 0:
        raise ValueError(f"rate {rate} must be positive")
    if elapsed < 0:
        return 0
    return max(0, math.floor(elapsed * rate) + 1 - sent)


@dataclass
class StreamCounts:
    participants: int = 0
    supply: int = 0
    orders: int = 0
    cycles: int = 0
    elapsed: float = 0.0

    @property
    def book(self) -> int:
        return self.supply + self.orders

    @property
    def total(self) -> int:
        return self.participants + self.book

    def add(self, message: Message) -> None:
        if message.kind == "supply":
            self.supply += 1
        elif message.kind == "orders":
            self.orders += 1
        else:
            self.participants += 1


@dataclass(frozen=True, slots=True)
class Clock:
    """Time for pacing; tests pass a fake whose ``sleep`` moves ``now`` on."""

    now: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


def send_participants(
    scenario: Scenario, sink: Sink, actor: str, counts: StreamCounts, batch: int = 500
) -> None:
    """The participants and certificates, at full speed."""
    for start in range(0, len(scenario.participants), batch):
        chunk = scenario.participants[start : start + batch]
        sink.send_many([to_wire(m, actor) for m in chunk])
        for message in chunk:
            counts.add(message)


def stream_book(
    scenario: Scenario,
    sink: Sink,
    *,
    rate: float,
    duration: float,
    actor: str,
    counts: StreamCounts,
    clock: Clock | None = None,
    tick: float = 0.1,
    max_batch: int = 1000,
    on_tick: Callable[[StreamCounts], None] | None = None,
) -> StreamCounts:
    """Supply and orders at ``rate`` per second for ``duration`` seconds, pass after pass."""
    clock = clock or Clock()
    messages = scenario.cycles()
    started = clock.now()
    sent = 0
    while True:
        elapsed = clock.now() - started
        if elapsed >= duration:
            break
        batch: list[Message] = []
        for _ in range(min(max_batch, due(elapsed, rate, sent))):
            number, message = next(messages, (0, None))
            if message is None:
                break
            counts.cycles = max(counts.cycles, number)
            batch.append(message)
        if batch:
            sink.send_many([to_wire(m, actor) for m in batch])
            for message in batch:
                counts.add(message)
            sent += len(batch)
        elif not scenario.book:
            break
        counts.elapsed = clock.now() - started
        if on_tick is not None:
            on_tick(counts)
        next_due = (sent / rate) if rate > 0 else duration
        wait = min(tick, next_due - (clock.now() - started), duration - (clock.now() - started))
        if wait > 0:
            clock.sleep(wait)
    counts.elapsed = clock.now() - started
    return counts
