"""The registry of Kafka topics: names, keys and partition counts, from configuration.

Keys keep one market's messages in order on one partition: supply and orders are keyed by crop
(the market), participants by their own id, contracts by crop, rounds by ``rounds``.
Pure: no Kafka library is imported here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Topic(StrEnum):
    """Logical topics; :meth:`TopicRegistry.name` gives the configured name."""

    PARTICIPANTS = "participants"
    """Inbound: groups, buyers and certificates registered (key: the participant's id)."""
    SUPPLY = "supply"
    """Inbound: supply announced and withdrawn (key: the crop)."""
    ORDERS = "orders"
    """Inbound: forward orders submitted and cancelled (key: the crop)."""
    ROUND_REQUESTS = "round-requests"
    """Inbound: a coordinator asks for a matching round (key: ``rounds``)."""
    CONTRACT_RESPONSES = "contract-responses"
    """Inbound: groups accept or reject proposals (key: the crop)."""
    CONTRACTS = "contracts"
    """Outbound: contracts proposed and their changes (key: the crop)."""
    ROUNDS = "rounds"
    """Outbound: rounds completed, with their summaries (key: ``rounds``)."""
    EVENTS = "events"
    """Outbound: every other recorded event (key: market or participant)."""
    DEAD_LETTERS = "dead-letters"
    """Messages that could not be decoded or were refused, with the reason and original bytes."""


INBOUND: tuple[Topic, ...] = (
    Topic.PARTICIPANTS,
    Topic.SUPPLY,
    Topic.ORDERS,
    Topic.ROUND_REQUESTS,
    Topic.CONTRACT_RESPONSES,
)
OUTBOUND: tuple[Topic, ...] = (Topic.CONTRACTS, Topic.ROUNDS, Topic.EVENTS, Topic.DEAD_LETTERS)


@dataclass(frozen=True, slots=True)
class TopicRegistry:
    prefix: str = "foodmatch"
    partitions: int = 6
    replication_factor: int = 1

    def name(self, topic: Topic) -> str:
        return f"{self.prefix}.{topic.value}"

    def all(self) -> dict[Topic, str]:
        return {topic: self.name(topic) for topic in Topic}

    def partitions_of(self, topic: Topic) -> int:
        # Rounds and round requests are low-volume and must stay in order: one partition.
        if topic in (Topic.ROUNDS, Topic.ROUND_REQUESTS):
            return 1
        return self.partitions


COMMAND_TOPICS: dict[str, Topic] = {
    "RegisterGroup": Topic.PARTICIPANTS,
    "RegisterBuyer": Topic.PARTICIPANTS,
    "SetDaysOff": Topic.PARTICIPANTS,
    "RegisterCertificate": Topic.PARTICIPANTS,
    "RevokeCertificate": Topic.PARTICIPANTS,
    "AnnounceSupply": Topic.SUPPLY,
    "WithdrawSupply": Topic.SUPPLY,
    "SubmitOrder": Topic.ORDERS,
    "CancelOrder": Topic.ORDERS,
    "CancelDelivery": Topic.ORDERS,
    "RunMatchingRound": Topic.ROUND_REQUESTS,
    "AcceptContract": Topic.CONTRACT_RESPONSES,
    "RejectContract": Topic.CONTRACT_RESPONSES,
    "CancelContract": Topic.CONTRACT_RESPONSES,
    "ConfirmDelivery": Topic.CONTRACT_RESPONSES,
    "AmendContract": Topic.CONTRACT_RESPONSES,
}
"""The inbound topic each command travels on (by command class name): the embedded engine counts
its commands as the messages they stand for."""
