"""The faust agents: one per inbound topic, each a thin loop around a :class:`MessageHandler`.

No business rule lives here: an agent turns each faust event into a
:class:`~consumers.handling.Delivery` (bytes, key, topic, partition, offset) and yields what the
handler made of it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from consumers.handling import ABANDONED, DeadLetterSink, Delivery, MessageHandler, Retry
from matcher.adapters.metrics import Metrics
from matcher.adapters.topics import Topic, TopicRegistry
from matcher.adapters.wire import MAX_MESSAGE_BYTES
from matcher.service.messagebus import MessageBus

AGENT_TOPICS: tuple[Topic, ...] = (
    Topic.PARTICIPANTS,
    Topic.SUPPLY,
    Topic.ORDERS,
    Topic.ROUND_REQUESTS,
    Topic.CONTRACT_RESPONSES,
)
"""Inbound topics with an agent (every inbound topic)."""


def agent_name(topic: Topic) -> str:
    return f"foodmatch.{topic.value}"


def _as_bytes(value: Any) -> bytes | None:
    if value is None or isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    return bytes(value)


def delivery_of(event: Any) -> Delivery:
    """The :class:`Delivery` of a faust event (its message carries the raw bytes)."""
    message = event.message
    return Delivery(
        value=_as_bytes(message.value),
        key=_as_bytes(message.key),
        topic=str(message.topic),
        partition=message.partition,
        offset=message.offset,
    )


def leave_unacknowledged(event: Any) -> None:
    """Let a stopping worker finish without committing ``event``'s offset.

    faust commits the offsets of acknowledged messages, and acknowledges the current one when
    the agent moves on; a message already marked ``acked`` is skipped by that acknowledgement,
    so its offset is never committed and the message is delivered again after the restart.
    """
    event.message.acked = True


def _agent_body(
    handler: MessageHandler, name: str, batch_size: int = 1, linger: float = 0.05
) -> Callable[[Any], AsyncIterator[str]]:
    async def one_by_one(stream: Any) -> AsyncIterator[str]:
        async for event in stream.events():
            outcome = await handler(delivery_of(event))
            if outcome == ABANDONED:
                leave_unacknowledged(event)
            yield outcome

    async def in_batches(stream: Any) -> AsyncIterator[str]:
        # faust acknowledges a batch's events when the next batch is asked for, after these
        # are handled (and written); an abandoned one and every one after it stay unacknowledged.
        async for events in stream.take_events(batch_size, within=linger):
            outcomes = await handler.handle_many([delivery_of(e) for e in events])
            abandoned = False
            for event, outcome in zip(events, outcomes, strict=True):
                abandoned = abandoned or outcome == ABANDONED
                if abandoned:
                    leave_unacknowledged(event)
            for outcome in outcomes:
                yield outcome

    process = in_batches if batch_size > 1 else one_by_one
    process.__qualname__ = process.__name__ = name  # how faust names the agent in its logs
    return process


def register_agents(
    app: Any,
    *,
    topics: TopicRegistry,
    bus: MessageBus,
    metrics: Metrics,
    dead_letters: DeadLetterSink,
    retry: Retry | None = None,
    max_message_bytes: int = MAX_MESSAGE_BYTES,
    batch_size: int = 1,
    batch_linger_seconds: float = 0.05,
) -> dict[Topic, Any]:
    """Add one agent per inbound topic to the faust ``app``; returns them by topic.

    With ``batch_size`` above 1 an agent takes what the consumer has ready, up to
    ``batch_size`` messages or what came within ``batch_linger_seconds``, and handles them
    together (:meth:`MessageHandler.handle_many`). Each agent yields the outcome of every
    message (``ok``, ``duplicate``, ``rejected`` or, when the worker stops during retries,
    ``abandoned``), so that ``agent.test_context().put()`` returns once the message is handled.
    """

    def stopping() -> bool:
        return bool(app.should_stop)

    agents: dict[Topic, Any] = {}
    for topic in AGENT_TOPICS:
        channel = app.topic(topics.name(topic), key_serializer="raw", value_serializer="raw")
        handler = MessageHandler(
            topic, bus, metrics, dead_letters, retry, stopping, max_message_bytes=max_message_bytes
        )
        name = agent_name(topic)
        body = _agent_body(handler, name, batch_size, batch_linger_seconds)
        agents[topic] = app.agent(channel, name=name)(body)
    return agents
