"""The Kafka engine as the API sees it: commands go onto the topics, a worker handles them.

``execute`` publishes the command (kafka-python, acknowledged by the broker) and then waits until
a worker has handled it — its message id is in the inbox — or refused it (a rejection record),
so the API answers as it does on the in-process engine: after the effect is committed, or with
the handler's error. Rounds run on the workers.

When the broker does not acknowledge the command within :data:`SEND_TIMEOUT_SECONDS`, the answer
is ``503`` — but the outcome is unknown, not "nothing happened": kafka-python keeps the record
in its buffer (it offers no way to take one record back out, and a batch already on the wire may
still be written), so the command may still take effect once the broker is back. The answer says
so; sending it again with the same ``Idempotency-Key`` is safe, because the inbox absorbs the
second copy (or answers the replay if the first was handled meanwhile).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from kafka.errors import KafkaError

from matcher.adapters.kafka.publisher import KafkaPublisher, create_topics
from matcher.adapters.wire import encode_command
from matcher.config import Settings
from matcher.domain.errors import Unavailable, rebuild_error
from matcher.service import commands
from matcher.service.canonical import command_digest
from matcher.service.messagebus import Outcome
from matcher.service.ports import Clock, MessageIdReused, UnitOfWork


class NotYetHandled(Unavailable):
    """The command is on the topic but no worker has handled it within the wait."""


class BrokerUnavailable(Unavailable):
    """The broker did not acknowledge the command in time (it is down or unreachable); the
    producer may still deliver it later, so its outcome is unknown."""


OUTCOME_UNKNOWN = (
    "it may still take effect; retry with the same Idempotency-Key, which is safe "
    "(a command is applied once per key)"
)


SEND_TIMEOUT_SECONDS = 10.0
"""How long a command may wait for the broker's acknowledgement before the API answers 503."""


class KafkaEngine:
    name = "kafka"

    def __init__(
        self,
        settings: Settings,
        read_uow_factory: Callable[[], UnitOfWork],
        clock: Clock,
        *,
        wait_seconds: float = 30.0,
        on_outcome: Callable[[str, str], None] | None = None,
    ) -> None:
        self.settings = settings
        self.read_uow_factory = read_uow_factory
        self.clock = clock
        self.wait_seconds = wait_seconds
        self._on_outcome = on_outcome
        self._publisher: KafkaPublisher | None = None
        self.sent = 0

    async def start(self) -> None:
        await asyncio.to_thread(self.start_sync)

    def start_sync(self) -> None:
        if self._publisher is None:
            create_topics(self.settings.kafka)
            self._publisher = KafkaPublisher(
                self.settings.kafka,
                max_message_bytes=self.settings.max_message_bytes,
                max_block_ms=int(SEND_TIMEOUT_SECONDS * 1000),
            )

    async def stop(self) -> None:
        await asyncio.to_thread(self.stop_sync)

    def stop_sync(self) -> None:
        if self._publisher is not None:
            self._publisher.close()
            self._publisher = None

    async def execute(self, command: commands.Command) -> Outcome:
        return await asyncio.to_thread(self.execute_sync, command)

    def execute_sync(self, command: commands.Command, timeout: float | None = None) -> Outcome:
        if self._publisher is None:
            raise RuntimeError("the engine is not running")
        digest = command_digest(command)
        with self.read_uow_factory() as uow:
            stored = uow.inbox.digest(command.message_id)
        if stored is not None:
            if stored and digest and stored != digest:
                self._report(command, "rejected")
                raise MessageIdReused(command.message_id)
            self._report(command, "duplicate")
            return Outcome(command, duplicate=True)
        sent_at = self.clock.now() - timedelta(seconds=1)
        try:
            self._publisher.send(encode_command(command), timeout=SEND_TIMEOUT_SECONDS)
        except KafkaError as err:
            self._report(command, "unavailable")
            raise BrokerUnavailable(
                f"the broker did not acknowledge message {command.message_id} within "
                f"{SEND_TIMEOUT_SECONDS:g} s ({type(err).__name__}): {OUTCOME_UNKNOWN}"
            ) from err
        self.sent += 1
        deadline = time.monotonic() + (timeout or self.wait_seconds)
        pause = 0.01
        while time.monotonic() < deadline:
            with self.read_uow_factory() as uow:
                if uow.inbox.seen(command.message_id):
                    self._report(command, "ok")
                    return Outcome(command)
                refused = uow.inbox.rejection(command.message_id)
            if refused is not None and refused.at >= sent_at:
                self._report(command, "rejected")
                raise rebuild_error(refused.error, refused.field, refused.reason)
            time.sleep(pause)
            pause = min(pause * 2, 0.2)
        self._report(command, "pending")
        raise NotYetHandled(
            f"message {command.message_id} is queued but no worker handled it within "
            f"{timeout or self.wait_seconds:g} s: {OUTCOME_UNKNOWN}"
        )

    def status(self) -> dict[str, Any]:
        return {
            "engine": self.name,
            "running": self._publisher is not None,
            "bootstrap_servers": self.settings.kafka.bootstrap_servers,
            "topic_prefix": self.settings.kafka.topic_prefix,
            "sent": self.sent,
        }

    def _report(self, command: commands.Command, outcome: str) -> None:
        if self._on_outcome is not None:
            self._on_outcome(type(command).__name__, outcome)


def build_engine(service: Any) -> KafkaEngine:
    return KafkaEngine(
        service.settings,
        service.read_uow_factory,
        service.context.clock,
        on_outcome=service.metrics.command,
    )
